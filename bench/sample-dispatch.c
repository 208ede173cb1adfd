/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Benchmark, not a test: the cost of one sample + dispatch (read and parse
 * /proc/stat, /proc/net/dev, /proc/diskstats, /proc/meminfo and KSM, turn
 * counters into rates, run every plugin's on_sample) on a fake host tree,
 * with the real plugins and a real profile applied to that tree.
 *
 *   sample-dispatch ROOT PLUGIN_DIR PROFILE_DIR PROFILE [SAMPLES]
 *
 * bench/sample-dispatch.py builds a 448-CPU, 64-NIC, 128-disk tree and
 * runs this. */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "instances.h"
#include "log.h"
#include "monitor.h"
#include "profile.h"

/* Allocations by the daemon's code (linked with --wrap): a steady sample
 * should make none. */
static unsigned long allocations;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n) {
        allocations++;
        return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
        allocations++;
        return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
        allocations++;
        return __real_realloc(p, n);
}

static uint64_t now_ns(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

static void dispatch(const struct kt_sample *s, void *userdata) {
        instances_sample(userdata, s);
}

int main(int argc, char *argv[]) {
        struct profile_dirs dirs = { .n = 1 };
        struct plugins ps = {};
        struct instances is = {};
        struct plan plan = {};
        struct profile *p = NULL;
        struct monitor *m = NULL;
        struct host h;
        char journal[4096], *error = NULL;
        unsigned n = argc > 5 ? (unsigned) atoi(argv[5]) : 2000;
        uint64_t *t, sum = 0, cpu0, cpu1;
        unsigned long allocs;

        if (argc < 5 || n == 0) {
                fprintf(stderr, "usage: %s ROOT PLUGIN_DIR PROFILE_DIR PROFILE [SAMPLES]\n", argv[0]);
                return 2;
        }
        log_set_level(KT_LOG_WARNING);
        dirs.dirs = &argv[3];
        snprintf(journal, sizeof journal, "%s/journal", argv[1]);
        t = calloc(n, sizeof *t);
        if (!t || host_init(&h, argv[1]) < 0 || host_open_journal(&h, journal, NULL) < 0 ||
            plugins_load_dir(&ps, argv[2]) < 0)
                return 1;
        plugins_probe(&ps, &h);
        if (profile_load(&dirs, &ps, argv[4], &p, &error) < 0 || instances_new(p, &h, false, &is) < 0 ||
            instances_plan(&is, &plan, &error) < 0 || tunables_apply(&h.tunables, &plan, true) < 0) {
                fprintf(stderr, "profile %s: %s\n", argv[4], error ?: "failed");
                return 1;
        }
        instances_go_live(&is);
        if (monitor_new(&h.fs, 1000, &m) < 0)
                return 1;
        monitor_set_dispatch(m, dispatch, &is);

        /* Baseline (buffers sized here), then the rules' first decisions
         * (which write through the journal), untimed: what follows is the
         * steady state. */
        for (unsigned i = 0; i < 30; i++)
                (void) monitor_tick(m, (uint64_t) (i + 1) * 1000);
        allocs = allocations;
        cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        for (unsigned i = 0; i < n; i++) {
                uint64_t a = now_ns(CLOCK_MONOTONIC);
                (void) monitor_tick(m, (uint64_t) (i + 31) * 1000000);
                t[i] = now_ns(CLOCK_MONOTONIC) - a;
                sum += t[i];
        }
        cpu1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        allocs = allocations - allocs;
        qsort(t, n, sizeof *t, cmp_u64);
        printf("samples: %u on %u CPUs, %u NICs, %u disks, profile %s\n", n, m->sample.n_cpus, m->sample.n_nics,
               m->sample.n_disks, argv[4]);
        printf("sample+dispatch: mean %.3f ms, median %.3f ms, p99 %.3f ms, max %.3f ms\n", sum / (double) n / 1e6,
               t[n / 2] / 1e6, t[n * 99 / 100] / 1e6, t[n - 1] / 1e6);
        /* On a busy machine the wall-clock tail is other processes running;
         * CPU time is what one sample costs. */
        printf("cpu time: %.3f ms per sample\n", (cpu1 - cpu0) / (double) n / 1e6);
        printf("allocations by the core: %lu in %u samples\n", allocs, n);

        (void) tunables_rollback(&h.tunables);
        monitor_free(m);
        plan_done(&plan);
        instances_free(&is);
        profile_free(p);
        host_done(&h);
        plugins_done(&ps);
        free(t);
        free(error);
        return 0;
}
