/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [vm]: transparent hugepages, khugepaged, and the writeback and swap
 * sysctls a hypervisor cares about. Typed keys, so a typo or an
 * out-of-range ratio is caught when the profile loads; each option's data
 * is the file it sets. */

#include "kvmtuned/plugin.h"

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
        {}
};

static int probe(struct kt_ctx *ctx) {
        if (kt_exists(ctx, THP "/enabled") || kt_exists(ctx, VM "/dirty_ratio"))
                return KT_PROBE_SUPPORTED;
        return kt_unsupported(ctx, "no transparent hugepages and no /proc/sys/vm");
}

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        char list[256];
        int r;

        for (const struct kt_option *o = options; o->name; o++) {
                const char *path = o->data, *v = kt_get(sec, o->name);

                if (!v)
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
        .probe = probe,
        .apply = apply,
};
