/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The names in dir that keep() accepts (all but dot files when keep is
 * NULL), sorted; the same every time, so logs and listings are stable. */
int dir_list(const char *dir, bool (*keep)(const char *name), char ***ret, size_t *n);

void strv_free_n(char **v, size_t n);
