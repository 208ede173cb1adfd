/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/macro.h"
#include "output.h"

int table_add(struct table *t, ...) {
        va_list ap;

        if (t->n_rows == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 16;
                char **c = realloc(t->cells, cap * t->n_cols * sizeof *c);
                if (!c)
                        return -ENOMEM;
                t->cells = c;
                t->cap = cap;
        }
        va_start(ap, t);
        for (unsigned i = 0; i < t->n_cols; i++) {
                const char *s = va_arg(ap, const char *);
                char **cell = &t->cells[t->n_rows * t->n_cols + i];

                *cell = strdup(s ?: "");
                if (!*cell) {
                        for (unsigned k = 0; k < i; k++)
                                free(t->cells[t->n_rows * t->n_cols + k]);
                        va_end(ap);
                        return -ENOMEM;
                }
        }
        va_end(ap);
        t->n_rows++;
        return 0;
}

void table_print(const struct table *t, FILE *f, const char *prefix, const char *const *seps) {
        size_t width[TABLE_MAX_COLS] = {};

        for (size_t r = 0; r < t->n_rows; r++)
                for (unsigned c = 0; c < t->n_cols && c < TABLE_MAX_COLS; c++) {
                        size_t l = strlen(t->cells[r * t->n_cols + c]);
                        if (l > width[c])
                                width[c] = l;
                }
        for (size_t r = 0; r < t->n_rows; r++) {
                fputs(prefix, f);
                for (unsigned c = 0; c < t->n_cols && c < TABLE_MAX_COLS; c++) {
                        const char *cell = t->cells[r * t->n_cols + c];
                        bool last = c + 1 == t->n_cols;

                        if (last)
                                fputs(cell, f);
                        else
                                fprintf(f, "%-*s%s", (int) width[c], cell, seps[c]);
                }
                fputc('\n', f);
        }
}

void table_done(struct table *t) {
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
                free(t->cells[i]);
        free(t->cells);
        t->cells = NULL;
        t->n_rows = t->cap = 0;
}

void json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) (s ?: ""); *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", f);
                else if (*p == '\t')
                        fputs("\\t", f);
                else if (*p < 0x20)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

void json_pair(FILE *f, const char *key, const char *value) {
        json_string(f, key);
        fputs(": ", f);
        json_string(f, value);
}
