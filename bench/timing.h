/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Clock and percentiles for the C benchmarks. */

#include <stdlib.h>
#include <time.h>

static inline double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

/* Sorts t in place. */
static inline double percentile(double *t, unsigned n, unsigned pct) {
        qsort(t, n, sizeof *t, cmp_double);
        return t[(size_t) ((n - 1) * pct / 100)];
}
