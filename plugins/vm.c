/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [vm]: transparent hugepages, khugepaged, and the writeback and swap
 * sysctls a hypervisor cares about. Typed keys, so a typo or an
 * out-of-range ratio is caught when the profile loads; each option's data
 * is the file it sets.
 *
 * writeback_dynamic=true lowers dirty_background_ratio under sustained disk
 * writes, so background writeback starts early and writers are not stalled
 * by a huge flush later (the DRBD notes in the reference seeds); it returns
 * to the profile's value when the writes stop. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/plugin.h"
#include "rules/hysteresis.h"

#define THP "/sys/kernel/mm/transparent_hugepage"
#define VM  "/proc/sys/vm"

static const struct kt_option options[] = {
        { "transparent_hugepages", KT_OPT_ENUM, .choices = "always|madvise|never",
          .help = "THP for anonymous memory", .data = THP "/enabled" },
        { "transparent_hugepage.defrag", KT_OPT_ENUM, .choices = "always|defer|defer+madvise|madvise|never",
          .help = "whether page faults stall to compact memory for THP", .data = THP "/defrag" },
        { "transparent_hugepage.shmem_enabled", KT_OPT_ENUM, .choices = "always|within_size|advise|never|deny|force",
          .help = "THP for shmem/tmpfs", .data = THP "/shmem_enabled" },
        { "khugepaged.defrag", KT_OPT_BOOL, .help = "khugepaged may compact memory",
          .data = THP "/khugepaged/defrag" },
        { "khugepaged.pages_to_scan", KT_OPT_INT, .min = 1, .max = 1 << 22, .help = "pages per khugepaged pass",
          .data = THP "/khugepaged/pages_to_scan" },
        { "khugepaged.scan_sleep_millisecs", KT_OPT_INT, .min = 0, .max = 3600000, .help = "pause between passes",
          .data = THP "/khugepaged/scan_sleep_millisecs" },
        { "khugepaged.alloc_sleep_millisecs", KT_OPT_INT, .min = 0, .max = 3600000,
          .help = "pause after a failed huge page allocation", .data = THP "/khugepaged/alloc_sleep_millisecs" },
        { "khugepaged.max_ptes_none", KT_OPT_INT, .min = 0, .max = 511, .help = "unmapped PTEs a collapse may fill",
          .data = THP "/khugepaged/max_ptes_none" },
        { "dirty_ratio", KT_OPT_INT, .min = 1, .max = 100, .help = "vm.dirty_ratio, percent",
          .data = VM "/dirty_ratio" },
        { "dirty_background_ratio", KT_OPT_INT, .min = 1, .max = 100, .help = "vm.dirty_background_ratio, percent",
          .data = VM "/dirty_background_ratio" },
        { "dirty_expire_centisecs", KT_OPT_INT, .min = 0, .max = 360000, .help = "vm.dirty_expire_centisecs",
          .data = VM "/dirty_expire_centisecs" },
        { "dirty_writeback_centisecs", KT_OPT_INT, .min = 0, .max = 360000, .help = "vm.dirty_writeback_centisecs",
          .data = VM "/dirty_writeback_centisecs" },
        { "swappiness", KT_OPT_INT, .min = 0, .max = 200, .help = "vm.swappiness", .data = VM "/swappiness" },
        { "writeback_dynamic", KT_OPT_BOOL, .def = "false", .help = "lower dirty_background_ratio under sustained disk writes" },
        { "writeback_busy_ratio", KT_OPT_INT, .min = 1, .max = 100, .def = "4", .help = "writeback_dynamic: dirty_background_ratio under write load" },
        { "writeback_above_mib", KT_OPT_INT, .min = 1, .max = 1 << 20, .def = "64", .help = "writeback_dynamic: MiB/s written (all disks) that counts as load" },
        { "writeback_below_mib", KT_OPT_INT, .min = 0, .max = 1 << 20, .def = "16", .help = "writeback_dynamic: MiB/s below which the load has ended" },
        { "writeback_busy_samples", KT_OPT_INT, .min = 1, .max = 3600, .def = "3", .help = "writeback_dynamic: samples of load before lowering" },
        { "writeback_idle_samples", KT_OPT_INT, .min = 1, .max = 3600, .def = "10", .help = "writeback_dynamic: quiet samples before restoring" },
        {}
};

#define DIRTY_BG VM "/dirty_background_ratio"

struct vm_priv {
        bool dynamic;
        struct hysteresis_params params;
        struct hysteresis state;        /* high: under write load */
        long long base, busy;           /* dirty_background_ratio off and under load */
        char accept[32];
        double mib_per_s;
};

static int probe(struct kt_ctx *ctx) {
        if (kt_exists(ctx, THP "/enabled") || kt_exists(ctx, VM "/dirty_ratio"))
                return KT_PROBE_SUPPORTED;
        return kt_unsupported(ctx, "no transparent hugepages and no /proc/sys/vm");
}

/* The value off load is the profile's, else what the host has now. */
static int setup_writeback(struct kt_ctx *ctx, const struct kt_section *sec) {
        struct vm_priv *p = kt_priv(ctx);
        char buf[32];

        p->dynamic = kt_get_bool(sec, "writeback_dynamic", false);
        if (!p->dynamic)
                return 0;
        if (kt_has(sec, "dirty_background_ratio"))
                p->base = kt_get_int(sec, "dirty_background_ratio", 10);
        else if (kt_read(ctx, DIRTY_BG, buf, sizeof buf) >= 0)
                p->base = strtoll(buf, NULL, 10);
        else {
                kt_log(ctx, KT_LOG_INFO, "writeback_dynamic off: %s is not there", DIRTY_BG);
                p->dynamic = false;
                return 0;
        }
        p->busy = kt_get_int(sec, "writeback_busy_ratio", 4);
        p->params = (struct hysteresis_params) {
                .high = (double) kt_get_int(sec, "writeback_above_mib", 64),
                .low = (double) kt_get_int(sec, "writeback_below_mib", 16),
                .up = (unsigned) kt_get_int(sec, "writeback_busy_samples", 3),
                .down = (unsigned) kt_get_int(sec, "writeback_idle_samples", 10),
        };
        if (p->params.low >= p->params.high)
                return kt_reject(ctx, "writeback_below_mib", "must be below writeback_above_mib (%.0f)", p->params.high);
        snprintf(p->accept, sizeof p->accept, "%lld-%lld", p->busy < p->base ? p->busy : p->base,
                 p->busy < p->base ? p->base : p->busy);
        return 0;
}

static int set_dirty_bg(struct kt_ctx *ctx, long long v) {
        struct vm_priv *p = kt_priv(ctx);
        char value[16];

        snprintf(value, sizeof value, "%lld", v);
        return kt_set_dynamic(ctx, DIRTY_BG, value, p->accept);
}

static void on_sample(struct kt_ctx *ctx, const struct kt_sample *s) {
        struct vm_priv *p = kt_priv(ctx);
        double bytes = 0;

        if (!p->dynamic)
                return;
        for (unsigned i = 0; i < s->n_disks; i++)
                bytes += s->disks[i].write_bytes_per_s;
        p->mib_per_s = bytes / (1024 * 1024);
        if (!hysteresis_step(&p->state, &p->params, p->mib_per_s))
                return;
        kt_log(ctx, KT_LOG_INFO, "writes %.0f MiB/s: dirty_background_ratio %lld", p->mib_per_s,
               p->state.high ? p->busy : p->base);
        (void) set_dirty_bg(ctx, p->state.high ? p->busy : p->base);
}

static void status(struct kt_ctx *ctx, struct kt_status *st) {
        struct vm_priv *p = kt_priv(ctx);

        if (!p->dynamic)
                return;
        if (p->state.high)
                kt_status_add(st, "writeback", "dirty_background_ratio %lld (writes %.0f MiB/s, %lld below %.0f MiB/s for %u samples, %u so far)",
                              p->busy, p->mib_per_s, p->base, p->params.low, p->params.down, p->state.run);
        else
                kt_status_add(st, "writeback", "dirty_background_ratio %lld (writes %.0f MiB/s, %lld above %.0f MiB/s for %u samples, %u so far)",
                              p->base, p->mib_per_s, p->busy, p->params.high, p->params.up, p->state.run);
}

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        struct vm_priv *p = kt_priv(ctx);
        char list[256];
        int r;

        r = setup_writeback(ctx, sec);
        if (r < 0)
                return r;
        if (p->dynamic) {
                r = set_dirty_bg(ctx, p->base);
                if (r < 0)
                        return r;
        }
        for (const struct kt_option *o = options; o->name && o->data; o++) {
                const char *path = o->data, *v = kt_get(sec, o->name);

                if (!v || (p->dynamic && strcmp(path, DIRTY_BG) == 0))
                        continue;
                if (kt_read_raw(ctx, path, list, sizeof list) < 0) {
                        kt_log(ctx, KT_LOG_INFO, "%s not set: %s is not there", o->name, path);
                        continue;
                }
                /* The kernel lists what it supports; the option's choices are
                 * only what some kernel does. */
                if (o->type == KT_OPT_ENUM && !kt_word_in_list(list, v))
                        return kt_reject(ctx, o->name, "this kernel offers: %s", list);
                if (o->type == KT_OPT_BOOL)
                        v = kt_get_bool(sec, o->name, false) ? "1" : "0";
                r = kt_set(ctx, path, v);
                if (r < 0)
                        return r;
        }
        return 0;
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "vm",
        .summary = "Transparent hugepages, khugepaged, writeback and swappiness",
        .options = options,
        .priv_size = sizeof(struct vm_priv),
        .probe = probe,
        .apply = apply,
        .on_sample = on_sample,
        .status = status,
};
