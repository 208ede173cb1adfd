/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "advise-rules.h"

/* Host findings first, then each domain's disks, network, CPU, memory. */
const struct advise_rules *const advise_rule_tables[] = {
        &advise_rules_host,
        &advise_rules_disk,
        &advise_rules_net,
        &advise_rules_cpu,
        &advise_rules_memory,
};
const size_t advise_n_rule_tables = ELEMENTSOF(advise_rule_tables);
