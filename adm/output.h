/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Printing for kvmtuned-adm: columns aligned as tuned-adm does, and JSON
 * strings for --json. */

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 5

struct table {
        unsigned n_cols;
        char **cells;           /* n_rows * n_cols */
        size_t n_rows, cap;
};

/* Add a row of t->n_cols strings (NULL prints as ""). */
int table_add(struct table *t, ...);
/* Each row: prefix, then the columns padded to their widest cell and
 * separated by the seps (n_cols - 1 of them), the last column unpadded. */
void table_print(const struct table *t, FILE *f, const char *prefix, const char *const *seps);
void table_done(struct table *t);

/* s as a JSON string, quotes included. */
void json_string(FILE *f, const char *s);
/* "key": "value" */
void json_pair(FILE *f, const char *key, const char *value);
