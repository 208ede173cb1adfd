/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"

static int parse_num(const char **p, unsigned *ret) {
        char *end;
        unsigned long v;

        if (**p < '0' || **p > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(*p, &end, 10);
        if (errno || v >= CPUS_MAX)
                return -ERANGE;
        *p = end;
        *ret = (unsigned) v;
        return 0;
}

int cpuset_parse(const char *s, struct cpuset *set) {
        const char *p = s;

        memset(set, 0, sizeof *set);
        p += strspn(p, " \t\n");
        if (*p == '\0')
                return 0;
        for (;;) {
                unsigned lo, hi;
                int r = parse_num(&p, &lo);

                if (r < 0)
                        return r;
                hi = lo;
                if (*p == '-') {
                        p++;
                        r = parse_num(&p, &hi);
                        if (r < 0)
                                return r;
                        if (hi < lo)
                                return -EINVAL;
                }
                for (unsigned c = lo; c <= hi; c++)
                        cpuset_add(set, c);
                p += strspn(p, " \t\n");
                if (*p == '\0')
                        return 0;
                if (*p != ',')
                        return -EINVAL;
                p++;
        }
}

int cpuset_format(const struct cpuset *set, char *buf, size_t size) {
        size_t len = 0;

        if (size == 0)
                return -ENOBUFS;
        buf[0] = '\0';
        for (unsigned c = 0; c < CPUS_MAX; c++) {
                unsigned e;
                int n;

                if (!cpuset_has(set, c))
                        continue;
                for (e = c; e + 1 < CPUS_MAX && cpuset_has(set, e + 1); e++)
                        ;
                if (e == c)
                        n = snprintf(buf + len, size - len, "%s%u", len ? "," : "", c);
                else
                        n = snprintf(buf + len, size - len, "%s%u-%u", len ? "," : "", c, e);
                if (n < 0 || (size_t) n >= size - len)
                        return -ENOBUFS;
                len += (size_t) n;
                c = e;
        }
        return (int) len;
}

unsigned cpuset_count(const struct cpuset *s) {
        unsigned n = 0;

        for (size_t i = 0; i < CPUS_MAX / 64; i++)
                n += (unsigned) __builtin_popcountll(s->bits[i]);
        return n;
}
