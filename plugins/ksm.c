/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [ksm]: kernel same-page merging. Merging saves memory on hosts packing
 * similar guests, costs CPU, and is a cross-VM side channel, so the
 * latency profile turns it off and unmerges (run=2). adaptive=true runs
 * ksmtuned's algorithm instead of fixed values: ksmd only while memory is
 * short, scanning harder the shorter it is. */

#include <inttypes.h>
#include <stdio.h>

#include "kvmtuned/plugin.h"
#include "rules/ksmtuned.h"

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
        /* adaptive mode; defaults are ksmtuned.conf's */
        { "adaptive", KT_OPT_BOOL, .def = "false", .help = "ksmtuned: run ksmd only under memory pressure (sets run, pages_to_scan, sleep_millisecs)" },
        { "boost", KT_OPT_INT, .min = 1, .max = 100000, .def = "300", .help = "adaptive: pages_to_scan increase while free memory is short" },
        { "decay", KT_OPT_INT, .min = 1, .max = 100000, .def = "50", .help = "adaptive: pages_to_scan decrease once it is not" },
        { "npages_min", KT_OPT_INT, .min = 1, .max = 100000, .def = "64", .help = "adaptive: lowest pages_to_scan" },
        { "npages_max", KT_OPT_INT, .min = 1, .max = 100000, .def = "1250", .help = "adaptive: highest pages_to_scan" },
        { "thres_coef", KT_OPT_INT, .min = 1, .max = 100, .def = "20", .help = "adaptive: free memory threshold, percent of MemTotal" },
        { "thres_min_mib", KT_OPT_INT, .min = 0, .max = 1 << 30, .def = "2048", .help = "adaptive: threshold at least this many MiB" },
        { "sleep_msec", KT_OPT_INT, .min = 1, .max = 600000, .def = "10", .help = "adaptive: sleep_millisecs per 16 GiB of memory" },
        { "adaptive_samples", KT_OPT_INT, .min = 1, .max = 3600, .def = "10", .help = "adaptive: evaluate every this many samples" },
        {}
};

struct ksm_priv {
        bool adaptive;
        struct ksmtuned_params params;
        unsigned every;
        bool evaluated;
        struct ksmtuned_decision last;
        struct ksmtuned_input in;
};

#define N_STATIC 6      /* the options above "adaptive" that set a file */

static int probe(struct kt_ctx *ctx) {
        return kt_exists(ctx, KSM "/run") ? KT_PROBE_SUPPORTED : kt_unsupported(ctx, "kernel built without KSM");
}

static int setup_adaptive(struct kt_ctx *ctx, const struct kt_section *sec) {
        static const char *const owned[] = { "run", "pages_to_scan", "sleep_millisecs" };
        struct ksm_priv *p = kt_priv(ctx);

        p->adaptive = kt_get_bool(sec, "adaptive", false);
        if (!p->adaptive)
                return 0;
        for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
                if (kt_has(sec, owned[i]))
                        return kt_reject(ctx, owned[i], "adaptive=true sets it; remove one of the two");
        p->params = (struct ksmtuned_params) {
                .boost = (unsigned) kt_get_int(sec, "boost", 300),
                .decay = (unsigned) kt_get_int(sec, "decay", 50),
                .npages_min = (unsigned) kt_get_int(sec, "npages_min", 64),
                .npages_max = (unsigned) kt_get_int(sec, "npages_max", 1250),
                .thres_coef = (unsigned) kt_get_int(sec, "thres_coef", 20),
                .thres_min_kib = (uint64_t) kt_get_int(sec, "thres_min_mib", 2048) * 1024,
                .sleep_msec = (unsigned) kt_get_int(sec, "sleep_msec", 10),
        };
        if (p->params.npages_min > p->params.npages_max)
                return kt_reject(ctx, "npages_min", "above npages_max (%u)", p->params.npages_max);
        p->every = (unsigned) kt_get_int(sec, "adaptive_samples", 10);
        return 0;
}

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        int r;

        r = setup_adaptive(ctx, sec);
        if (r < 0)
                return r;
        /* Settings first, run last: ksmd starts with its final parameters. */
        for (const struct kt_option *o = options + 1; o < options + N_STATIC; o++) {
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

static void set_number(struct kt_ctx *ctx, const char *file, unsigned v, const char *accept) {
        char value[16];

        snprintf(value, sizeof value, "%u", v);
        (void) kt_set_dynamic(ctx, file, value, accept);
}

static void on_sample(struct kt_ctx *ctx, const struct kt_sample *s) {
        struct ksm_priv *p = kt_priv(ctx);
        struct ksmtuned_decision d;
        char range[32];

        if (!p->adaptive || !s->ksm.present || (s->seq - 1) % p->every != 0)
                return;
        p->in = (struct ksmtuned_input) {
                .total_kib = s->mem.total_kib,
                .free_kib = s->mem.free_kib + s->mem.buffers_kib + s->mem.cached_kib,
                .committed_kib = s->committed_kib,
                .npages = p->evaluated ? p->last.npages : (unsigned) s->ksm.pages_to_scan,
        };
        d = ksmtuned_step(&p->params, &p->in);
        if (!p->evaluated || d.run != p->last.run)
                kt_log(ctx, KT_LOG_INFO, "%s ksmd: free %" PRIu64 " MiB, threshold %" PRIu64 " MiB, committed %" PRIu64 " MiB",
                       d.run ? "starting" : "stopping", p->in.free_kib / 1024, d.thres_kib / 1024,
                       p->in.committed_kib / 1024);
        /* Only what changed goes to the host API: a steady evaluation
         * costs no request (verify reports anyone else's change). */
        if (d.run && (!p->evaluated || !p->last.run || d.npages != p->last.npages)) {
                snprintf(range, sizeof range, "%u-%u", p->params.npages_min, p->params.npages_max);
                set_number(ctx, KSM "/pages_to_scan", d.npages, range);
        }
        if (d.run && (!p->evaluated || !p->last.run || d.sleep_ms != p->last.sleep_ms))
                set_number(ctx, KSM "/sleep_millisecs", d.sleep_ms, NULL);
        if (!p->evaluated || d.run != p->last.run)
                set_number(ctx, KSM "/run", d.run, "0-1");
        p->last = d;
        p->evaluated = true;
}

static void status(struct kt_ctx *ctx, struct kt_status *st) {
        static const char *const why[] = {
                [KSMTUNED_STOP] = "enough free memory for what is committed",
                [KSMTUNED_BOOST] = "free below threshold: boosting",
                [KSMTUNED_DECAY] = "free above threshold: decaying",
        };
        struct ksm_priv *p = kt_priv(ctx);

        if (!p->adaptive)
                return;
        if (!p->evaluated) {
                kt_status_add(st, "adaptive", "waiting for the first sample (every %u samples)", p->every);
                return;
        }
        kt_status_add(st, "adaptive",
                      "%s, pages_to_scan %u (%s; free %" PRIu64 " MiB, threshold %" PRIu64 " MiB, committed %" PRIu64
                      " MiB of %" PRIu64 " MiB; every %u samples)",
                      p->last.run ? "running" : "stopped", p->last.npages, why[p->last.reason], p->in.free_kib / 1024,
                      p->last.thres_kib / 1024, p->in.committed_kib / 1024, p->in.total_kib / 1024, p->every);
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "ksm",
        .summary = "Kernel same-page merging",
        .options = options,
        .priv_size = sizeof(struct ksm_priv),
        .probe = probe,
        .apply = apply,
        .on_sample = on_sample,
        .status = status,
};
