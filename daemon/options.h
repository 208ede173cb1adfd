/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Daemon settings: built-in defaults (the installed paths), then the config
 * file, then the command line, each overriding the one before. */

#include <stdbool.h>
#include <stddef.h>

struct options {
        char *root;                     /* prefix for /sys, /proc, /dev, /run */
        char *runtime_dir;
        char *state_dir;
        char **profile_dirs;
        size_t n_profile_dirs;
        char *plugin_dir;
        char *libvirt_uri;              /* "none": no libvirt */
        char *config_file;
        char *profile;                  /* --profile: start with this one */
        char *default_profile;          /* config: when nothing was chosen */
        unsigned interval_ms;
        bool dynamic;                   /* dynamic rules on */
        bool no_bus;
        int log_level;
};

/* Returns 1 to run, 0 to exit successfully (--help, --version), or a
 * negative errno after printing one line to stderr. */
int options_parse(struct options *o, int argc, char *argv[]);
void options_done(struct options *o);

/* Load a config file into o (for tests); missing_ok for the default path. */
int options_load_config(struct options *o, const char *path, bool missing_ok, char **error);
