/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [ksm]: kernel same-page merging. Merging saves memory on hosts packing
 * similar guests, costs CPU, and is a cross-VM side channel, so the
 * latency profile turns it off and unmerges (run=2). */

#include "kvmtuned/plugin.h"

#define KSM "/sys/kernel/mm/ksm"

static const struct kt_option options[] = {
        { "run", KT_OPT_ENUM, .choices = "0|1|2", .help = "0 stop, 1 merge, 2 stop and unmerge everything",
          .data = KSM "/run" },
        { "pages_to_scan", KT_OPT_INT, .min = 1, .max = 100000, .help = "pages per wake-up",
          .data = KSM "/pages_to_scan" },
        { "sleep_millisecs", KT_OPT_INT, .min = 0, .max = 600000, .help = "pause between scans",
          .data = KSM "/sleep_millisecs" },
        { "merge_across_nodes", KT_OPT_BOOL, .help = "merge pages of different NUMA nodes",
          .data = KSM "/merge_across_nodes" },
        { "max_page_sharing", KT_OPT_INT, .min = 2, .max = 1 << 20, .help = "most sharers of one KSM page",
          .data = KSM "/max_page_sharing" },
        { "use_zero_pages", KT_OPT_BOOL, .help = "merge empty pages with the zero page",
          .data = KSM "/use_zero_pages" },
        {}
};

static int probe(struct kt_ctx *ctx) {
        return kt_exists(ctx, KSM "/run") ? KT_PROBE_SUPPORTED : kt_unsupported(ctx, "kernel built without KSM");
}

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        int r;

        /* Settings first, run last: ksmd starts with its final parameters. */
        for (const struct kt_option *o = options + 1; o->name; o++) {
                const char *v = kt_get(sec, o->name);

                if (!v)
                        continue;
                if (!kt_exists(ctx, o->data)) {
                        kt_log(ctx, KT_LOG_INFO, "%s not set: not in this kernel", o->name);
                        continue;
                }
                if (o->type == KT_OPT_BOOL)
                        v = kt_get_bool(sec, o->name, false) ? "1" : "0";
                r = kt_set(ctx, o->data, v);
                if (r < 0)
                        return r;
        }
        if (kt_has(sec, "run"))
                return kt_set(ctx, KSM "/run", kt_get(sec, "run"));
        return 0;
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "ksm",
        .summary = "Kernel same-page merging",
        .options = options,
        .probe = probe,
        .apply = apply,
};
