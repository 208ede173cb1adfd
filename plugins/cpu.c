/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [cpu]: frequency governor and energy preferences per CPU, intel_pstate's
 * floor, and a PM-QoS latency request held while the profile is active.
 * With dynamic=true the governor follows the host's load: the busy governor
 * after busy_samples samples above busy_above percent, the idle one after
 * idle_samples samples below idle_below. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/plugin.h"
#include "rules/hysteresis.h"

#define CPU_SYS "/sys/devices/system/cpu"
#define CPUS_MAX 8192

struct cpu_priv {
        bool dynamic;
        struct hysteresis_params params;
        struct hysteresis state;        /* high: the busy governor */
        char busy[32], idle[32];        /* resolved on the first CPU that offers them */
        char accept[72];                /* "busy|idle" for verify */
        double load;
        unsigned cpus[CPUS_MAX];
};

static const struct kt_option options[] = {
        { "governor", KT_OPT_STRING, .help = "scaling governor; 'a|b' takes the first the kernel offers" },
        { "energy_performance_preference", KT_OPT_STRING,
          .help = "EPP hint (performance, balance_performance, ...); 'a|b' as for governor" },
        { "energy_perf_bias", KT_OPT_STRING, .help = "EPB: performance, normal, powersave or 0-15" },
        { "min_perf_pct", KT_OPT_INT, .min = 0, .max = 100, .help = "intel_pstate lower limit, percent" },
        { "force_latency", KT_OPT_INT, .min = 0, .max = 2000000000,
          .help = "hold /dev/cpu_dma_latency at this many microseconds (C-state exit latency cap)" },
        { "dynamic", KT_OPT_BOOL, .def = "false", .help = "governor follows load: busy_governor when busy, idle_governor when idle" },
        { "busy_governor", KT_OPT_STRING, .def = "performance", .help = "dynamic: governor under load ('a|b' as for governor)" },
        { "idle_governor", KT_OPT_STRING, .def = "powersave|schedutil", .help = "dynamic: governor when idle" },
        { "busy_above", KT_OPT_INT, .min = 1, .max = 100, .def = "70", .help = "dynamic: load percent that counts as busy" },
        { "idle_below", KT_OPT_INT, .min = 0, .max = 99, .def = "30", .help = "dynamic: load percent that counts as idle" },
        { "busy_samples", KT_OPT_INT, .min = 1, .max = 3600, .def = "3", .help = "dynamic: busy samples in a row before switching" },
        { "idle_samples", KT_OPT_INT, .min = 1, .max = 3600, .def = "10", .help = "dynamic: idle samples in a row before switching back" },
        {}
};

static int probe(struct kt_ctx *ctx) {
        if (kt_exists(ctx, CPU_SYS "/cpu0/cpufreq") || kt_exists(ctx, CPU_SYS "/cpufreq/policy0") ||
            kt_exists(ctx, "/dev/cpu_dma_latency") || kt_exists(ctx, CPU_SYS "/cpu0/power/energy_perf_bias"))
                return KT_PROBE_SUPPORTED;
        return kt_unsupported(ctx, "no cpufreq, no energy_perf_bias and no /dev/cpu_dma_latency");
}

static bool cpufreq_anywhere(struct kt_ctx *ctx) {
        unsigned cpus[1];

        return kt_online_cpus(ctx, cpus, 1) == 1 && kt_exists(ctx, CPU_SYS "/cpu0/cpufreq");
}

static int setup_dynamic(struct kt_ctx *ctx, const struct kt_section *sec) {
        struct cpu_priv *p = kt_priv(ctx);

        p->dynamic = kt_get_bool(sec, "dynamic", false);
        if (!p->dynamic)
                return 0;
        if (kt_has(sec, "governor"))
                return kt_reject(ctx, "governor", "dynamic=true chooses the governor; set busy_governor and idle_governor instead");
        p->params = (struct hysteresis_params) {
                .high = (double) kt_get_int(sec, "busy_above", 70),
                .low = (double) kt_get_int(sec, "idle_below", 30),
                .up = (unsigned) kt_get_int(sec, "busy_samples", 3),
                .down = (unsigned) kt_get_int(sec, "idle_samples", 10),
        };
        if (p->params.low >= p->params.high)
                return kt_reject(ctx, "idle_below", "must be below busy_above (%.0f)", p->params.high);
        return 0;
}

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        int r;

        r = setup_dynamic(ctx, sec);
        if (r < 0)
                return r;

        if (kt_has(sec, "force_latency")) {
                r = kt_hold(ctx, "/dev/cpu_dma_latency", (int32_t) kt_get_int(sec, "force_latency", 0));
                if (r < 0)
                        return r;
        }
        if (kt_has(sec, "min_perf_pct")) {
                if (kt_exists(ctx, CPU_SYS "/intel_pstate/min_perf_pct")) {
                        r = kt_set(ctx, CPU_SYS "/intel_pstate/min_perf_pct", kt_get(sec, "min_perf_pct"));
                        if (r < 0)
                                return r;
                } else
                        kt_log(ctx, KT_LOG_INFO, "no intel_pstate here, min_perf_pct not set");
        }
        if ((kt_has(sec, "governor") || kt_get_bool(sec, "dynamic", false) ||
             kt_has(sec, "energy_performance_preference")) && !cpufreq_anywhere(ctx))
                kt_log(ctx, KT_LOG_INFO, "no cpufreq here (a VM?), governor and EPP not set");
        return 0;
}

/* Set attr of one CPU to the first of wanted that the CPU's list file offers. */
static int set_choice(struct kt_ctx *ctx, const struct kt_device *dev, const char *key, const char *attr,
                      const char *list_attr) {
        const char *wanted = kt_get(kt_section(ctx), key);
        char path[256], list[1024], pick[64];

        if (!wanted)
                return 0;
        snprintf(path, sizeof path, "%s/cpufreq/%s", dev->syspath, list_attr);
        if (kt_read_raw(ctx, path, list, sizeof list) < 0)
                return 0;       /* this CPU has no such knob */
        if (!kt_first_available(wanted, list, pick, sizeof pick))
                return kt_reject(ctx, key, "not available on %s (available: %s)", dev->name, list);
        snprintf(path, sizeof path, "%s/cpufreq/%s", dev->syspath, attr);
        return kt_set(ctx, path, pick);
}

/* Resolve the two dynamic governors against this CPU's list (once), and
 * set the one the rule is in now. */
static int set_dynamic_governor(struct kt_ctx *ctx, const struct kt_device *dev) {
        struct cpu_priv *p = kt_priv(ctx);
        const struct kt_section *sec = kt_section(ctx);
        char path[256], list[1024];

        snprintf(path, sizeof path, "%s/cpufreq/scaling_available_governors", dev->syspath);
        if (kt_read_raw(ctx, path, list, sizeof list) < 0)
                return 0;
        if (!p->busy[0]) {
                if (!kt_first_available(kt_get(sec, "busy_governor"), list, p->busy, sizeof p->busy))
                        return kt_reject(ctx, "busy_governor", "not available on %s (available: %s)", dev->name, list);
                if (!kt_first_available(kt_get(sec, "idle_governor"), list, p->idle, sizeof p->idle)) {
                        p->busy[0] = '\0';
                        return kt_reject(ctx, "idle_governor", "not available on %s (available: %s)", dev->name, list);
                }
                snprintf(p->accept, sizeof p->accept, "%s|%s", p->busy, p->idle);
        }
        snprintf(path, sizeof path, "%s/cpufreq/scaling_governor", dev->syspath);
        return kt_set_dynamic(ctx, path, p->state.high ? p->busy : p->idle, p->accept);
}

static void on_sample(struct kt_ctx *ctx, const struct kt_sample *s) {
        struct cpu_priv *p = kt_priv(ctx);
        const char *gov;
        unsigned n;

        if (!p->dynamic || !p->busy[0])
                return;
        p->load = s->busy * 100;
        if (!hysteresis_step(&p->state, &p->params, p->load))
                return;
        gov = p->state.high ? p->busy : p->idle;
        kt_log(ctx, KT_LOG_INFO, "load %.0f%%: governor %s", p->load, gov);
        n = kt_online_cpus(ctx, p->cpus, CPUS_MAX);
        for (unsigned i = 0; i < n; i++) {
                char path[96];
                snprintf(path, sizeof path, CPU_SYS "/cpu%u/cpufreq/scaling_governor", p->cpus[i]);
                if (kt_exists(ctx, path))
                        (void) kt_set_dynamic(ctx, path, gov, p->accept);
        }
}

static void status(struct kt_ctx *ctx, struct kt_status *st) {
        struct cpu_priv *p = kt_priv(ctx);

        if (!p->dynamic)
                return;
        if (!p->busy[0]) {
                kt_status_add(st, "governor", "dynamic, but no CPU offers cpufreq governors");
                return;
        }
        if (p->state.high)
                kt_status_add(st, "governor", "%s (load %.0f%%, %s below %.0f%% for %u samples, %u so far)", p->busy,
                              p->load, p->idle, p->params.low, p->params.down, p->state.run);
        else
                kt_status_add(st, "governor", "%s (load %.0f%%, %s above %.0f%% for %u samples, %u so far)", p->idle,
                              p->load, p->busy, p->params.high, p->params.up, p->state.run);
}

static const char *epb_value(const char *v) {
        static const struct {
                const char *name, *value;
        } names[] = { { "performance", "0" }, { "balance-performance", "4" }, { "normal", "6" },
                      { "balance-power", "8" }, { "power", "15" }, { "powersave", "15" } };
        char *end;
        long n;

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(names[i].name, v) == 0)
                        return names[i].value;
        n = strtol(v, &end, 10);
        return (*v && !*end && n >= 0 && n <= 15) ? v : NULL;
}

static int apply_device(struct kt_ctx *ctx, const struct kt_section *sec, const struct kt_device *dev) {
        char path[256];
        int r;

        if (((struct cpu_priv *) kt_priv(ctx))->dynamic)
                r = set_dynamic_governor(ctx, dev);
        else
                r = set_choice(ctx, dev, "governor", "scaling_governor", "scaling_available_governors");
        if (r >= 0)
                r = set_choice(ctx, dev, "energy_performance_preference", "energy_performance_preference",
                               "energy_performance_available_preferences");
        if (r < 0)
                return r;
        if (kt_has(sec, "energy_perf_bias")) {
                const char *v = epb_value(kt_get(sec, "energy_perf_bias"));
                if (!v)
                        return kt_reject(ctx, "energy_perf_bias", "expected performance, normal, powersave or 0-15");
                snprintf(path, sizeof path, "%s/power/energy_perf_bias", dev->syspath);
                if (kt_exists(ctx, path))
                        return kt_set(ctx, path, v);
        }
        return 0;
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "cpu",
        .summary = "CPU frequency governor, energy preferences and PM-QoS latency",
        .options = options,
        .subsystem = "cpu",
        .priv_size = sizeof(struct cpu_priv),
        .probe = probe,
        .apply = apply,
        .apply_device = apply_device,
        .on_sample = on_sample,
        .status = status,
};
