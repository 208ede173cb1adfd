/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The plugin registry: descriptors loaded from <dir>/<name>.so. */

#include <stdbool.h>
#include <stddef.h>

#include "kvmtuned/plugin.h"

struct plugin {
        const struct kt_plugin *desc;
        char *path;             /* NULL for a descriptor added in-process */
        void *dl;
        int fd;                 /* kept open: dlopen() saw the file as /proc/self/fd/<fd> */
        bool supported;         /* probe said yes */
        char *unsupported_reason;
};

struct plugins {
        struct plugin *a;
        size_t n;
        char **failed;          /* names of <name>.so files that did not load */
        size_t n_failed;
};

/* Load every <name>.so in dir. A file that is not a regular file, is not
 * owned by root (or us), is writable by group or others, does not export a
 * descriptor or speaks another ABI is refused with one line and skipped:
 * one bad plugin never takes the daemon down. */
int plugins_load_dir(struct plugins *ps, const char *dir);

/* Register a descriptor linked into the process (tests, fuzzers). */
int plugins_add(struct plugins *ps, const struct kt_plugin *desc);

void plugins_done(struct plugins *ps);

struct plugin *plugins_find(const struct plugins *ps, const char *name);
bool plugins_failed(const struct plugins *ps, const char *name);

/* The option key names for plugin p, including the implicit `devices=` of
 * per-device plugins; NULL if p does not accept key. */
const struct kt_option *plugin_option(const struct plugin *p, const char *key);

/* Check a value against its option: NULL if fine, else a static reason. */
const char *option_check_value(const struct kt_option *o, const char *value, char *buf, size_t size);
int option_parse_bool(const char *s);
