/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [cpu]: frequency governor and energy preferences per CPU, intel_pstate's
 * floor, and a PM-QoS latency request held while the profile is active. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/plugin.h"

#define CPU_SYS "/sys/devices/system/cpu"

static const struct kt_option options[] = {
        { "governor", KT_OPT_STRING, .help = "scaling governor; 'a|b' takes the first the kernel offers" },
        { "energy_performance_preference", KT_OPT_STRING,
          .help = "EPP hint (performance, balance_performance, ...); 'a|b' as for governor" },
        { "energy_perf_bias", KT_OPT_STRING, .help = "EPB: performance, normal, powersave or 0-15" },
        { "min_perf_pct", KT_OPT_INT, .min = 0, .max = 100, .help = "intel_pstate lower limit, percent" },
        { "force_latency", KT_OPT_INT, .min = 0, .max = 2000000000,
          .help = "hold /dev/cpu_dma_latency at this many microseconds (C-state exit latency cap)" },
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

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        int r;

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
        if ((kt_has(sec, "governor") || kt_has(sec, "energy_performance_preference")) && !cpufreq_anywhere(ctx))
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
        .probe = probe,
        .apply = apply,
        .apply_device = apply_device,
};
