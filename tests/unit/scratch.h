/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Files in a scratch tree that stands for a host: a test writes what the
 * kernel would hold and reads back what the code under test wrote. Include
 * after <cmocka.h>: failures are cmocka assertions. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* root + rel, with text exactly as given; missing directories are made. */
static inline void scratch_put(const char *root, const char *rel, const char *text) {
        char p[256];
        FILE *f;

        assert_true((size_t) snprintf(p, sizeof p, "%s%s", root, rel) < sizeof p);
        for (char *s = p + strlen(root) + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
                *s = '/';
        }
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* The first line of root + rel, without its newline; valid until the next call. */
static inline char *scratch_get(const char *root, const char *rel) {
        static char buf[256];
        char p[256];
        FILE *f;

        snprintf(p, sizeof p, "%s%s", root, rel);
        f = fopen(p, "r");
        assert_non_null(f);
        if (!fgets(buf, sizeof buf, f))
                buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\n")] = '\0';
        return buf;
}
