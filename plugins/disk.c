/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [disk]: I/O scheduler, read-ahead and queue depth per block device,
 * for the devices that `devices=` matches (default: all real disks). */

#include <stdio.h>
#include <string.h>

#include "kvmtuned/plugin.h"

static const struct kt_option options[] = {
        { "scheduler", KT_OPT_STRING,
          .help = "I/O scheduler; 'a|b' takes the first the device offers (mq-deadline, none, kyber, bfq)" },
        { "read_ahead_kb", KT_OPT_INT, .min = 0, .max = 1 << 20, .help = "read-ahead, KiB" },
        { "nr_requests", KT_OPT_INT, .min = 4, .max = 1 << 16, .help = "request queue depth" },
        {}
};

/* Schedulers some kernel has had; a name outside this is a typo. */
static const char known_schedulers[] = "none mq-deadline kyber bfq deadline cfq noop";

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        const char *s = kt_get(sec, "scheduler");
        char buf[64];

        if (s && !kt_first_available(s, known_schedulers, buf, sizeof buf))
                return kt_reject(ctx, "scheduler", "no such I/O scheduler (known: %s)", known_schedulers);
        return 0;
}

static int apply_device(struct kt_ctx *ctx, const struct kt_section *sec, const struct kt_device *dev) {
        char path[256], list[256], pick[64];
        int r;

        /* Loop, zram, ram and device-mapper nodes have no device behind
         * them: their queues are not worth tuning. */
        snprintf(path, sizeof path, "%s/device", dev->syspath);
        if (!kt_exists(ctx, path))
                return 0;

        if (kt_has(sec, "scheduler")) {
                snprintf(path, sizeof path, "%s/queue/scheduler", dev->syspath);
                if (kt_read_raw(ctx, path, list, sizeof list) >= 0) {
                        if (kt_first_available(kt_get(sec, "scheduler"), list, pick, sizeof pick)) {
                                r = kt_set(ctx, path, pick);
                                if (r < 0)
                                        return r;
                        } else
                                kt_log(ctx, KT_LOG_INFO, "%s offers none of %s (only: %s), left as it is", dev->name,
                                       kt_get(sec, "scheduler"), list);
                }
        }
        static const char *const numbers[] = { "read_ahead_kb", "nr_requests" };
        for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
                if (!kt_has(sec, numbers[i]))
                        continue;
                snprintf(path, sizeof path, "%s/queue/%s", dev->syspath, numbers[i]);
                if (!kt_exists(ctx, path))
                        continue;
                r = kt_set(ctx, path, kt_get(sec, numbers[i]));
                if (r < 0)
                        return r;
        }
        return 0;
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "disk",
        .summary = "Block device scheduler, read-ahead and queue depth",
        .options = options,
        .subsystem = "block",
        .apply = apply,
        .apply_device = apply_device,
};
