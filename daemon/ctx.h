/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* struct kt_ctx: one plugin instance, the handle every host API call takes.
 * Its mode decides what kt_set() means: collect into a plan, change the host
 * now, or (while probing) nothing at all. */

#include "host.h"
#include "kvmtuned/plugin.h"
#include "plugins.h"
#include "profile.h"
#include "strbuf.h"

enum ctx_mode {
        CTX_PROBE,
        CTX_PLAN,
        CTX_LIVE,
};

struct kt_ctx {
        const struct plugin *plugin;
        const struct kt_section *section;       /* NULL while probing */
        char *name;                             /* "disk:ssd" */
        void *priv;
        enum ctx_mode mode;
        struct host *host;
        struct plan *plan;                      /* CTX_PLAN */
        const char *device;                     /* device being applied, tags its settings */
        char *error;                            /* first kt_reject() */
        char *unsupported;                      /* kt_unsupported() */
};

struct kt_status {
        struct strbuf *buf;
        const char *prefix;
};

struct kt_ctx *ctx_new(const struct plugin *p, const struct kt_section *sec, struct host *host);
void ctx_free(struct kt_ctx *ctx);

/* Paths a plugin may ask the core to write: sysfs, sysctls, devices, and
 * nothing that climbs out of them. */
bool host_path_allowed(const char *path);
