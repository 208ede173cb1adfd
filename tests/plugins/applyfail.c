/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A plugin whose apply fails without saying why (no kt_reject): the
 * profile must still be refused atomically, with a line naming the section. */

#include <errno.h>

#include "kvmtuned/plugin.h"

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        (void) sec;
        /* Ask for a change first: the refusal must drop it unapplied. */
        kt_set(ctx, "/proc/sys/vm/dirty_ratio", "1");
        return -EBUSY;
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "applyfail",
        .options = (const struct kt_option[]) { {} },
        .apply = apply,
};
