/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one place host paths are resolved: every /sys, /proc, /dev and /run
 * path goes through hostfs_path(), which puts --root in front of it, so the
 * integration tests can run the real daemon against a fake host tree. */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct hostfs {
        char root[PATH_MAX];    /* "" for the real host */
};

int hostfs_init(struct hostfs *h, const char *root);

/* Write root + path into buf; -ENAMETOOLONG if it does not fit. */
int hostfs_path(const struct hostfs *h, const char *path, char *buf, size_t size);

bool hostfs_exists(const struct hostfs *h, const char *path);

/* Read a small file; trailing whitespace removed. Returns the length. */
int hostfs_read(const struct hostfs *h, const char *path, char *buf, size_t size);

/* The value as a tunable: hostfs_read(), then for /sys choice files such as
 * "always [madvise] never" the selected word. */
int hostfs_read_value(const struct hostfs *h, const char *path, char *buf, size_t size);

int hostfs_write(const struct hostfs *h, const char *path, const char *value);

/* Pure helpers, exported for tests. */
bool value_selected_word(const char *raw, char *buf, size_t size);
bool value_equal(const char *a, const char *b);
bool word_in_list(const char *list, const char *word);
