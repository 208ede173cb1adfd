/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The monitor on a scratch /proc: parsers, rates between two ticks, buffers
 * that grow when CPUs and devices appear; and the device-event path (a CPU
 * coming online gets the per-CPU settings, a device that goes is
 * forgotten), driven directly since no real CPU can be hot-added here. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "devices.h"
#include "log.h"
#include "monitor.h"
#include "plugins.h"
#include "profile.h"
#include "scratch.h"

static char root[64];

static void put(const char *rel, const char *text) {
        scratch_put(root, rel, text);
}

static char *get(const char *rel) {
        return scratch_get(root, rel);
}

static int setup(void **state) {
        (void) state;
        log_set_level(KT_LOG_ERR);
        strcpy(root, "/tmp/kt-monitor-XXXXXX");
        assert_non_null(mkdtemp(root));
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        (void) state;
        snprintf(cmd, sizeof cmd, "rm -rf %s", root);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_parse_proc_stat(void **state) {
        struct cpu_ticks all, cpus[2];
        unsigned n;

        (void) state;
        assert_int_equal(parse_proc_stat("cpu  10 0 10 70 10 0 0 0 5 0\ncpu0 5 0 5 35 5 0 0 0\ncpu2 5 0 5 35 5 0 0 0\n"
                                         "intr 1 2 3\n", &all, cpus, 2, &n), -ENOBUFS);
        assert_int_equal(n, 3);
        assert_int_equal(all.total, 100);       /* guest time is inside user */
        assert_int_equal(all.busy, 20);         /* idle and iowait are not busy */
        assert_true(cpus[0].present);
        assert_false(cpus[1].present);          /* offline: not listed */
        assert_int_equal(parse_proc_stat("intr 1\n", &all, cpus, 2, &n), -EBADMSG);
}

static void test_parse_net_and_disks(void **state) {
        struct dev_counters d[4];
        struct kt_mem_stat m;
        unsigned n;

        (void) state;
        assert_int_equal(parse_net_dev("Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n"
                                       "    lo: 100 2 0 0 0 0 0 0 100 2 0 0 0 0 0 0\n"
                                       "  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n", d, 4, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(d[1].name, "eth0");
        assert_int_equal(d[1].c[0], 1000);
        assert_int_equal(d[1].c[3], 20);
        assert_int_equal(parse_diskstats("   8       0 sda 7 0 0 0 3 0 800 0 0 0 0 0 0 0 0\n"
                                         "   8       1 sda1 1 0 0 0 1 0 8 0 0 0 0 0 0 0 0\n", d, 1, &n), -ENOBUFS);
        assert_int_equal(n, 2);
        assert_string_equal(d[0].name, "sda");
        assert_int_equal(d[0].c[1], 3);
        assert_int_equal(d[0].c[2], 800);
        assert_int_equal(parse_meminfo("MemTotal: 1000 kB\nMemFree: 200 kB\nMemAvailable: 500 kB\nBuffers: 10 kB\n"
                                       "Cached: 90 kB\n", &m), 0);
        assert_int_equal(m.free_kib, 200);
        assert_int_equal(m.cached_kib, 90);
        assert_int_equal(parse_meminfo("nothing\n", &m), -EBADMSG);
}

static unsigned dispatched;
static struct kt_sample last;

static void on_sample(const struct kt_sample *s, void *userdata) {
        (void) userdata;
        dispatched++;
        last = *s;
}

static void proc(const char *stat, unsigned long long eth0_rx, unsigned long long sda_sectors) {
        char buf[512];

        put("/proc/stat", stat);
        snprintf(buf, sizeof buf, "h\nh\n  eth0: %llu 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", eth0_rx);
        put("/proc/net/dev", buf);
        snprintf(buf, sizeof buf, "8 0 sda 0 0 0 0 10 0 %llu 0 0 0 0\n8 1 sda1 0 0 0 0 10 0 %llu 0 0 0 0\n",
                 sda_sectors, sda_sectors);
        put("/proc/diskstats", buf);
}

static void test_rates_and_growth(void **state) {
        struct hostfs fs;
        struct monitor *m;
        struct strbuf out = {};

        (void) state;
        assert_int_equal(hostfs_init(&fs, root), 0);
        put("/sys/block/sda/size", "1\n");
        put("/proc/meminfo", "MemTotal: 16000 kB\nMemFree: 8000 kB\n");
        put("/sys/kernel/mm/ksm/run", "1\n");
        proc("cpu 0 0 0 100 0 0 0 0\ncpu0 0 0 0 100 0 0 0 0\n", 0, 0);
        assert_int_equal(monitor_new(&fs, 1000, &m), 0);
        monitor_set_dispatch(m, on_sample, NULL);
        assert_int_equal(monitor_tick(m, 1000000), 0);          /* baseline */
        assert_int_equal(dispatched, 0);

        /* one second later: cpu0 75% busy, a second CPU online, 1 MB received, 2048 sectors written */
        proc("cpu 75 0 0 225 0 0 0 0\ncpu0 75 0 0 125 0 0 0 0\ncpu1 0 0 0 100 0 0 0 0\n", 1000000, 2048);
        assert_int_equal(monitor_tick(m, 2000000), 1);
        assert_int_equal(dispatched, 1);
        assert_int_equal(last.seq, 1);
        assert_int_equal(last.n_cpus, 2);
        assert_true(fabs(last.cpu_busy[0] - 0.75) < 1e-9);
        assert_true(fabs(last.cpu_busy[1]) < 1e-9);             /* no interval yet */
        assert_true(fabs(last.busy - 0.375) < 1e-9);
        assert_int_equal(last.n_nics, 1);
        assert_true(fabs(last.nics[0].rx_bytes_per_s - 1000000) < 1e-6);
        assert_int_equal(last.n_disks, 1);                      /* the partition is not a disk */
        assert_string_equal(last.disks[0].name, "sda");
        assert_true(fabs(last.disks[0].write_bytes_per_s - 2048 * 512) < 1e-6);
        assert_true(fabs(last.disks[0].iops) < 1e-9);
        assert_int_equal(last.mem.total_kib, 16000);
        assert_true(last.ksm.present);
        assert_int_equal(last.ksm.run, 1);

        /* no tick elapsed on the counters: the previous load stands */
        assert_int_equal(monitor_tick(m, 3000000), 1);
        assert_true(fabs(last.busy - 0.375) < 1e-9);
        assert_true(fabs(last.nics[0].rx_bytes_per_s) < 1e-9);

        assert_int_equal(monitor_status(m, &out), 0);
        assert_non_null(strstr(out.s, "sampling: every 1000 ms, sample 2\n"));
        assert_non_null(strstr(out.s, "load: 38% of 2 CPUs (busiest: cpu0 75%)\n"));
        assert_non_null(strstr(out.s, "ksm: run 1,"));
        strbuf_done(&out);
        monitor_free(m);
}

/* ---- device events ---- */

static int gov_apply_device(struct kt_ctx *ctx, const struct kt_section *sec, const struct kt_device *dev) {
        char path[128];

        snprintf(path, sizeof path, "%s/cpufreq/scaling_governor", dev->syspath);
        return kt_set(ctx, path, kt_get(sec, "governor"));
}

static const struct kt_option gov_options[] = { { "governor", KT_OPT_STRING }, {} };
static const struct kt_plugin gov = { .abi = KT_PLUGIN_ABI, .name = "cpu", .subsystem = "cpu",
                                      .options = gov_options, .apply_device = gov_apply_device };

static void test_cpu_online_and_removal(void **state) {
        struct plugins ps = {};
        char dir[128], journal[128], *error = NULL;
        struct profile_dirs dirs = { .n = 1 };
        char *dirv[] = { dir };
        struct profile *p = NULL;
        struct instances is = {};
        struct plan plan = {};
        struct host h;

        (void) state;
        snprintf(dir, sizeof dir, "%s/profiles", root);
        dirs.dirs = dirv;
        put("/profiles/t.conf", "[cpu]\ngovernor=performance\n");
        put("/sys/devices/system/cpu/online", "0\n");
        put("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave\n");
        put("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n");
        snprintf(journal, sizeof journal, "%s/journal", root);

        assert_int_equal(plugins_add(&ps, &gov), 0);
        assert_int_equal(host_init(&h, root), 0);
        assert_int_equal(host_open_journal(&h, journal, NULL), 0);
        assert_int_equal(profile_load(&dirs, &ps, "t", &p, &error), 0);
        assert_int_equal(instances_new(p, &h, false, &is), 0);
        assert_int_equal(instances_plan(&is, &plan, &error), 0);
        assert_int_equal(tunables_apply(&h.tunables, &plan, true), 0);
        instances_go_live(&is);
        assert_string_equal(get("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"), "performance");
        assert_string_equal(get("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor"), "powersave");

        /* cpu1 comes online: tuned at once, and journaled like the rest */
        assert_int_equal(device_event_from_action("cpu", "add"), DEVICE_EVENT_IGNORE);
        assert_int_equal(devices_event(&h, &is, "cpu", "cpu1", device_event_from_action("cpu", "online")), 1);
        assert_string_equal(get("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor"), "performance");
        assert_int_equal(h.tunables.n, 2);
        /* an event for a device this host tree does not have is ignored */
        assert_int_equal(devices_event(&h, &is, "cpu", "cpu7", DEVICE_EVENT_ADD), 0);

        /* cpu1 goes offline: forgotten, not written */
        put("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "schedutil\n");
        assert_int_equal(devices_event(&h, &is, "cpu", "cpu1", device_event_from_action("cpu", "offline")), 1);
        assert_int_equal(h.tunables.n, 1);
        assert_int_equal(tunables_rollback(&h.tunables), 0);
        assert_string_equal(get("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"), "powersave");
        assert_string_equal(get("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor"), "schedutil");

        plan_done(&plan);
        instances_free(&is);
        profile_free(p);
        host_done(&h);
        plugins_done(&ps);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_proc_stat),
                cmocka_unit_test(test_parse_net_and_disks),
                cmocka_unit_test(test_rates_and_growth),
                cmocka_unit_test(test_cpu_online_and_removal),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
