/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Arrays that double as they grow, and arrays of pointers that shrink. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Room for one more element: *a holds n elements in *cap slots of size
 * bytes; the first allocation has first slots. -ENOMEM leaves the array as
 * it was. */
static inline int array_reserve(void **a, size_t *cap, size_t n, size_t size, size_t first) {
        size_t c;
        void *t;

        if (n < *cap)
                return 0;
        c = *cap ? *cap * 2 : first;
        if (c > SIZE_MAX / size)
                return -ENOMEM;
        t = realloc(*a, c * size);
        if (!t)
                return -ENOMEM;
        *a = t;
        *cap = c;
        return 0;
}

#define ARRAY_RESERVE(a, cap, n, first) array_reserve((void **) &(a), &(cap), (n), sizeof *(a), (first))

/* Take the pointer p out of the *n pointers in a, keeping the others'
 * order. Nothing happens when it is not there. */
static inline void array_remove_ptr(void **a, size_t *n, const void *p) {
        for (size_t i = 0; i < *n; i++)
                if (a[i] == p) {
                        memmove(a + i, a + i + 1, (*n - i - 1) * sizeof *a);
                        (*n)--;
                        return;
                }
}

#define ARRAY_REMOVE_PTR(a, n, p) array_remove_ptr((void **) (a), &(n), (p))
