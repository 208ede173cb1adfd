/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Profiles: <name>.conf INI files, found in the first profile directory that
 * has one. [main] holds summary= and include=; every other section is a
 * plugin's ([cpu], or [disk:ssd] for a second disk section) and every key is
 * checked against that plugin's options. Loading either yields a complete,
 * merged, validated profile or one error line naming file:line. */

#include <stdbool.h>
#include <stddef.h>

#include "dirlist.h"

#define PROFILE_MAX_SIZE      (1u << 20)
#define PROFILE_MAX_DEPTH     8
#define PROFILE_MAX_LINE      199       /* inih's line buffer, less the NUL */

struct plugins;

struct profile_key {
        char *key;
        char *value;
        char *file;
        unsigned line;
};

struct kt_section {
        char *name;             /* "disk:ssd" */
        char *plugin;           /* "disk" */
        char *file;
        unsigned line;          /* where the section was first opened */
        struct profile_key *keys;
        size_t n_keys;
        const struct plugin *owner;     /* NULL when the plugin is unavailable here */
};

struct profile {
        char *name;
        char *path;
        char *summary;
        char **includes;        /* as written in [main] */
        size_t n_includes;
        struct kt_section *sections;    /* merged, includes first */
        size_t n_sections;
};

struct profile_dirs {
        char **dirs;
        size_t n;
};

/* Load and validate. On failure *error holds one line for the log or the
 * caller ("file:line: ...") and a negative errno is returned. */
int profile_load(const struct profile_dirs *dirs, const struct plugins *plugins, const char *name,
                 struct profile **ret, char **error);

/* Parse one profile text as if read from file (no includes are resolved);
 * for the fuzzer and unit tests. */
int profile_parse_text(const char *text, size_t len, const char *file, const struct plugins *plugins,
                       struct profile **ret, char **error);

void profile_free(struct profile *p);

/* Find the file for name: the first directory that has <name>.conf. */
int profile_find(const struct profile_dirs *dirs, const char *name, char **ret_path);

/* Names of all profiles in all directories, sorted, each once. */
int profile_list(const struct profile_dirs *dirs, char ***ret, size_t *n);

const struct kt_section *profile_section(const struct profile *p, const char *name);
