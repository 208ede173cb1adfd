/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The plugin instances of one profile, one per section whose plugin is
 * available and supported here, and turning them into a plan. */

#include <stdbool.h>

#include "ctx.h"

struct instances {
        struct kt_ctx **a;
        size_t n;
};

/* Run every loaded plugin's probe once, recording whether it is usable. */
void plugins_probe(struct plugins *ps, struct host *host);

/* Instances for profile p. With notices, say once which sections are
 * skipped and why (plugin missing, unsupported here). */
int instances_new(const struct profile *p, struct host *host, bool notices, struct instances *ret);
void instances_free(struct instances *is);

/* What the profile wants: each plugin's apply(), and apply_device() for every
 * matching device. Nothing is written. On refusal *error says why. */
int instances_plan(struct instances *is, struct plan *plan, char **error);

/* The plan for one device that just appeared. */
int instances_plan_device(struct instances *is, const struct kt_device *dev, struct plan *plan);

/* From now on the instances act on the host directly (dynamic rules). */
void instances_go_live(struct instances *is);

/* Hand one load sample to every instance's dynamic rules. */
void instances_sample(struct instances *is, const struct kt_sample *s);

void instances_status(struct instances *is, struct strbuf *out);
