/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the host API stands on: the --root-prefixed file system, the
 * backends that know how to change each kind of setting, and the tunables
 * set that records and applies every change. */

#include "backend.h"
#include "hostfs.h"
#include "tunables.h"

#define HOST_MAX_BACKENDS 8

struct host {
        struct hostfs fs;
        struct backend file;
        struct backend hold;
        struct backend ethtool;
        struct backend *backends[HOST_MAX_BACKENDS];
        size_t n_backends;
        struct tunables tunables;
};

int host_init(struct host *h, const char *root);
int host_add_backend(struct host *h, struct backend *be);
/* Undo host_add_backend() of a backend that failed to come up (nothing set
 * through it yet). */
void host_remove_backend(struct host *h, const struct backend *be);
/* Open the journal; returns how many originals it recovered. Records of
 * the backend named late (added later with host_add_backend()) wait for
 * tunables_restore_waiting(). */
int host_open_journal(struct host *h, const char *path, const char *late);
void host_done(struct host *h);
