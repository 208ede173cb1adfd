/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* CPU lists as the kernel writes them ("0-3,8,10-11"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPUS_MAX 8192

struct cpuset {
        uint64_t bits[CPUS_MAX / 64];
};

int cpuset_parse(const char *s, struct cpuset *set);
/* "0-3,8"; returns the length or -ENOBUFS. */
int cpuset_format(const struct cpuset *set, char *buf, size_t size);

static inline void cpuset_add(struct cpuset *s, unsigned cpu) {
        if (cpu < CPUS_MAX)
                s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}
static inline void cpuset_del(struct cpuset *s, unsigned cpu) {
        if (cpu < CPUS_MAX)
                s->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}
static inline bool cpuset_has(const struct cpuset *s, unsigned cpu) {
        return cpu < CPUS_MAX && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}
unsigned cpuset_count(const struct cpuset *s);
