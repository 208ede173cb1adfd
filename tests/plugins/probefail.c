/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A plugin whose probe fails with an error: the daemon must carry on
 * without it and skip its section with a notice. */

#include <errno.h>

#include "kvmtuned/plugin.h"

static int probe(struct kt_ctx *ctx) {
        (void) ctx;
        return -EIO;
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "probefail",
        .options = (const struct kt_option[]) { {} },
        .probe = probe,
};
