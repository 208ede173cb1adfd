/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

static uint64_t hash(const char *s) {
        uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ull;
        return h;
}

static size_t find(const struct hashmap *h, const char *key) {
        size_t i = hash(key) & (h->cap - 1);

        while (h->slots[i].key && strcmp(h->slots[i].key, key) != 0)
                i = (i + 1) & (h->cap - 1);
        return i;
}

static int grow(struct hashmap *h) {
        struct hashmap old = *h;
        size_t cap = old.cap ? old.cap * 2 : 16;

        h->slots = calloc(cap, sizeof *h->slots);
        if (!h->slots) {
                *h = old;
                return -ENOMEM;
        }
        h->cap = cap;
        h->n = 0;
        for (size_t i = 0; i < old.cap; i++)
                if (old.slots[i].key) {
                        h->slots[find(h, old.slots[i].key)] = old.slots[i];
                        h->n++;
                }
        free(old.slots);
        return 0;
}

int hashmap_put(struct hashmap *h, const char *key, void *value) {
        size_t i;

        /* Keep the load under 3/4 so probes stay short. */
        if ((h->n + 1) * 4 > h->cap * 3 && grow(h) < 0)
                return -ENOMEM;
        i = find(h, key);
        if (!h->slots[i].key)
                h->n++;
        h->slots[i] = (struct hashmap_slot) { key, value };
        return 0;
}

void *hashmap_get(const struct hashmap *h, const char *key) {
        if (h->n == 0)
                return NULL;
        return h->slots[find(h, key)].value;
}

void *hashmap_remove(struct hashmap *h, const char *key) {
        size_t i, j;
        void *value;

        if (h->n == 0)
                return NULL;
        i = find(h, key);
        if (!h->slots[i].key)
                return NULL;
        value = h->slots[i].value;
        h->slots[i] = (struct hashmap_slot) {};
        h->n--;
        /* Backward-shift deletion: move later members of the probe run
         * into the hole when their home slot allows it. */
        for (j = (i + 1) & (h->cap - 1); h->slots[j].key; j = (j + 1) & (h->cap - 1)) {
                size_t home = hash(h->slots[j].key) & (h->cap - 1);
                if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
                        h->slots[i] = h->slots[j];
                        h->slots[j] = (struct hashmap_slot) {};
                        i = j;
                }
        }
        return value;
}

void hashmap_clear(struct hashmap *h) {
        free(h->slots);
        *h = (struct hashmap) {};
}
