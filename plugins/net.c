/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [net]: per-NIC offloads and transmit queue length, for the interfaces
 * that `devices=` matches (default: all but loopback). The reference notes
 * advise turning GRO/GSO and TSO/LRO off on the hypervisor's bridge ports
 * in some setups; no shipped profile does, a user profile can. */

#include <stdio.h>
#include <string.h>

#include "kvmtuned/plugin.h"

static const struct kt_option options[] = {
        { "gro", KT_OPT_BOOL, .help = "generic receive offload", .data = "gro" },
        { "gso", KT_OPT_BOOL, .help = "generic segmentation offload", .data = "gso" },
        { "tso", KT_OPT_BOOL, .help = "TCP segmentation offload", .data = "tso" },
        { "lro", KT_OPT_BOOL, .help = "large receive offload (breaks forwarding: off on bridge ports)", .data = "lro" },
        { "txqueuelen", KT_OPT_INT, .min = 0, .max = 1 << 20, .help = "transmit queue length, packets" },
        {}
};

static int apply_device(struct kt_ctx *ctx, const struct kt_section *sec, const struct kt_device *dev) {
        char path[256];
        int r;

        if (strcmp(dev->name, "lo") == 0 && !kt_has(sec, "devices"))
                return 0;
        for (const struct kt_option *o = options; o->data; o++) {
                if (!kt_has(sec, o->name))
                        continue;
                r = kt_set_offload(ctx, dev->name, o->data, kt_get_bool(sec, o->name, false));
                if (r < 0)
                        return r;
        }
        if (kt_has(sec, "txqueuelen")) {
                snprintf(path, sizeof path, "%s/tx_queue_len", dev->syspath);
                if (kt_exists(ctx, path)) {
                        r = kt_set(ctx, path, kt_get(sec, "txqueuelen"));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "net",
        .summary = "NIC offloads (gro, gso, tso, lro) and transmit queue length",
        .options = options,
        .subsystem = "net",
        .apply_device = apply_device,
};
