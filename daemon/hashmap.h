/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A string-keyed hash map with linear probing. Keys are borrowed: they must
 * live as long as their slot (store them inside the value). */

#include <stddef.h>

struct hashmap_slot {
        const char *key;
        void *value;
};

struct hashmap {
        struct hashmap_slot *slots;
        size_t cap, n;
};

int hashmap_put(struct hashmap *h, const char *key, void *value);
void *hashmap_get(const struct hashmap *h, const char *key);
void *hashmap_remove(struct hashmap *h, const char *key);
void hashmap_clear(struct hashmap *h);
