/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [disk]: I/O scheduler, read-ahead and queue depth per block device,
 * for the devices that `devices=` matches (default: all real disks). */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/plugin.h"

static const struct kt_option options[] = {
        { "scheduler", KT_OPT_STRING,
          .help = "I/O scheduler; 'a|b' takes the first the device offers (mq-deadline, none, kyber, bfq)" },
        { "read_ahead_kb", KT_OPT_STRING, .help = "read-ahead, KiB, 0-1048576; '>N' only raises a smaller value" },
        { "nr_requests", KT_OPT_INT, .min = 4, .max = 1 << 16, .help = "request queue depth" },
        {}
};

/* Schedulers some kernel has had; a name outside this is a typo. */
static const char known_schedulers[] = "none mq-deadline kyber bfq deadline cfq noop";

/* "N" sets read-ahead to N KiB; ">N" (as TuneD writes it) raises it to N
 * where it is smaller and leaves a larger one alone. */
static int parse_read_ahead(const char *v, unsigned long *ret, bool *at_least) {
        char *end;

        *at_least = v[0] == '>';
        if (*at_least)
                v++;
        if (*v < '0' || *v > '9')
                return -1;
        *ret = strtoul(v, &end, 10);
        return *end || *ret > (1UL << 20) ? -1 : 0;
}

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        const char *s = kt_get(sec, "scheduler");
        unsigned long kb;
        bool at_least;
        char buf[64];

        if (s && !kt_first_available(s, known_schedulers, buf, sizeof buf))
                return kt_reject(ctx, "scheduler", "no such I/O scheduler (known: %s)", known_schedulers);
        s = kt_get(sec, "read_ahead_kb");
        if (s && parse_read_ahead(s, &kb, &at_least) < 0)
                return kt_reject(ctx, "read_ahead_kb", "'%s' is not N or >N with N from 0 to 1048576", s);
        return 0;
}

static int set_read_ahead(struct kt_ctx *ctx, const char *path, const char *v) {
        unsigned long kb, now;
        bool at_least;
        char buf[32];

        if (parse_read_ahead(v, &kb, &at_least) < 0)
                return -EINVAL;
        /* Hold the larger value rather than leave the file out of the plan:
         * after a crash the file holds what an earlier run wrote, and a
         * plan without it would put the original back. */
        if (at_least && kt_read(ctx, path, buf, sizeof buf) >= 0 && sscanf(buf, "%lu", &now) == 1 && now > kb)
                kb = now;
        snprintf(buf, sizeof buf, "%lu", kb);
        return kt_set(ctx, path, buf);
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
                if (i == 0)
                        r = set_read_ahead(ctx, path, kt_get(sec, numbers[i]));
                else
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
