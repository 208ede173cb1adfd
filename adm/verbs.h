/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kvmtuned-adm's verbs: one table row and one function each. */

#include <stdbool.h>

#include "adm.h"

struct verb {
        const char *name;
        const char *args;       /* for --help: "NAME", "DOMAIN EVENT" */
        unsigned n_args;
        bool json;              /* takes --json */
        const char *help;
        int (*run)(struct adm *a, char **args);
};

const struct verb *verb_find(const char *name);
/* The table, for --help; ends with a NULL name. */
extern const struct verb verbs[];
