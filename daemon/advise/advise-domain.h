/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One domain's facts for the advise rules, read from its XML once. */

#include "advise-rules.h"

/* Parse xml into d; on failure *error says why. */
int advise_domain_load(struct advise_domain *d, const char *name, const char *xml, char **error);
void advise_domain_done(struct advise_domain *d);
