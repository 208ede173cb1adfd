/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/macro.h"
#include "monitor-parse.h"

static const char *next_line(const char *p) {
        const char *nl = strchr(p, '\n');

        return nl ? nl + 1 : p + strlen(p);
}

/* Read up to max unsigned numbers after p; returns how many. */
static unsigned read_numbers(const char *p, uint64_t *v, unsigned max) {
        unsigned n = 0;

        while (n < max) {
                char *end;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p < '0' || *p > '9')
                        break;
                v[n++] = strtoull(p, &end, 10);
                p = end;
        }
        return n;
}

static void ticks_from(const uint64_t *v, unsigned n, struct cpu_ticks *t) {
        uint64_t total = 0;

        /* user nice system idle iowait irq softirq steal; guest time is
         * already part of user. */
        for (unsigned i = 0; i < n && i < 8; i++)
                total += v[i];
        t->total = total;
        t->busy = total - v[3] - (n > 4 ? v[4] : 0);
        t->present = true;
}

int parse_proc_stat(const char *text, struct cpu_ticks *all, struct cpu_ticks *cpus, unsigned cap,
                    unsigned *n_cpus) {
        unsigned n = 0;
        bool overflow = false, seen_all = false;

        for (unsigned i = 0; i < cap; i++)
                cpus[i].present = false;
        for (const char *p = text; *p; p = next_line(p)) {
                uint64_t v[10];
                unsigned k;
                char *end;

                if (strncmp(p, "cpu", 3) != 0)
                        continue;
                if (p[3] == ' ') {
                        k = read_numbers(p + 3, v, ELEMENTSOF(v));
                        if (k < 4)
                                return -EBADMSG;
                        ticks_from(v, k, all);
                        seen_all = true;
                        continue;
                }
                unsigned long c = strtoul(p + 3, &end, 10);
                if (end == p + 3 || *end != ' ' || c >= 65536)
                        continue;
                k = read_numbers(end, v, ELEMENTSOF(v));
                if (k < 4)
                        return -EBADMSG;
                if (c + 1 > n)
                        n = (unsigned) c + 1;
                if (c >= cap) {
                        overflow = true;
                        continue;
                }
                ticks_from(v, k, &cpus[c]);
        }
        *n_cpus = n;
        if (!seen_all)
                return -EBADMSG;
        return overflow ? -ENOBUFS : 0;
}

static void copy_name(char dst[32], const char *s, size_t len) {
        if (len > 31)
                len = 31;
        memcpy(dst, s, len);
        dst[len] = '\0';
}

int parse_net_dev(const char *text, struct dev_counters *a, unsigned cap, unsigned *n) {
        unsigned count = 0;

        for (const char *p = text; *p; p = next_line(p)) {
                const char *colon = strchr(p, ':'), *nl = strchr(p, '\n');
                uint64_t v[16];
                const char *s = p;

                /* The two header lines have no colon before their end. */
                if (!colon || (nl && colon > nl))
                        continue;
                while (*s == ' ')
                        s++;
                if (read_numbers(colon + 1, v, ELEMENTSOF(v)) < 10)
                        continue;
                if (count < cap) {
                        struct dev_counters *d = &a[count];
                        copy_name(d->name, s, (size_t) (colon - s));
                        /* rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets ... */
                        d->c[0] = v[0];
                        d->c[1] = v[1];
                        d->c[2] = v[8];
                        d->c[3] = v[9];
                }
                count++;
        }
        *n = count;
        return count > cap ? -ENOBUFS : 0;
}

int parse_diskstats(const char *text, struct dev_counters *a, unsigned cap, unsigned *n) {
        unsigned count = 0;

        for (const char *p = text; *p; p = next_line(p)) {
                uint64_t v[8];
                const char *s = p, *name;
                size_t len;

                /* major minor name reads merged sectors ms writes merged sectors ... */
                if (read_numbers(s, v, 2) != 2)
                        continue;
                while (*s == ' ')
                        s++;
                s += strspn(s, "0123456789");
                s += strspn(s, " ");
                s += strspn(s, "0123456789");
                s += strspn(s, " ");
                name = s;
                len = strcspn(s, " \n");
                if (len == 0 || read_numbers(s + len, v, 7) < 7)
                        continue;
                if (count < cap) {
                        struct dev_counters *d = &a[count];
                        copy_name(d->name, name, len);
                        d->c[0] = v[0];
                        d->c[1] = v[4];
                        d->c[2] = v[6];
                        d->c[3] = 0;
                }
                count++;
        }
        *n = count;
        return count > cap ? -ENOBUFS : 0;
}

int parse_meminfo(const char *text, struct kt_mem_stat *m) {
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "MemTotal:", offsetof(struct kt_mem_stat, total_kib) },
                { "MemFree:", offsetof(struct kt_mem_stat, free_kib) },
                { "MemAvailable:", offsetof(struct kt_mem_stat, available_kib) },
                { "Buffers:", offsetof(struct kt_mem_stat, buffers_kib) },
                { "Cached:", offsetof(struct kt_mem_stat, cached_kib) },
        };
        unsigned found = 0;

        *m = (struct kt_mem_stat) {};
        for (const char *p = text; *p && found < ELEMENTSOF(keys); p = next_line(p))
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t len = strlen(keys[i].key);
                        uint64_t v;
                        if (strncmp(p, keys[i].key, len) != 0)
                                continue;
                        if (read_numbers(p + len, &v, 1) == 1) {
                                memcpy((char *) m + keys[i].offset, &v, sizeof v);
                                found++;
                        }
                        break;
                }
        return m->total_kib > 0 ? 0 : -EBADMSG;
}

double ticks_busy(const struct cpu_ticks *now, const struct cpu_ticks *before, double prev_busy) {
        uint64_t dt, db;

        if (now->total <= before->total || now->busy < before->busy)
                return prev_busy;
        dt = now->total - before->total;
        db = now->busy - before->busy;
        return db >= dt ? 1.0 : (double) db / (double) dt;
}
