/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A plugin built for another ABI: the loader must refuse it by its version
 * field alone, before touching anything else in the descriptor. */

#include "kvmtuned/plugin.h"

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = 999,
        .name = "badabi",
};
