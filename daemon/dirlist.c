/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dirlist.h"

void strv_free_n(char **v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int dir_list(const char *dir, bool (*keep)(const char *name), char ***ret, size_t *ret_n) {
        DIR *d = opendir(dir);
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char **t;

                if (de->d_name[0] == '.' || (keep && !keep(de->d_name)))
                        continue;
                t = realloc(names, (n + 1) * sizeof *t);
                if (!t || !(t[n] = strdup(de->d_name))) {
                        closedir(d);
                        strv_free_n(t ?: names, n);
                        return -ENOMEM;
                }
                names = t;
                n++;
        }
        closedir(d);
        if (n > 0)
                qsort(names, n, sizeof *names, cmp_str);
        *ret = names;
        *ret_n = n;
        return 0;
}
