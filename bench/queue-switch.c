/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Switching the I/O scheduler of several real block devices at once, as a
 * profile switch does on a host with many disks: the daemon's tunables code
 * (one tunables_apply() per switch) with the write batch giving each device
 * a lane of its own, and the same with every write on the calling thread.
 * The devices are this host's loop devices: they need no backing file, and
 * their queues freeze and wait out an RCU grace period on a scheduler switch
 * like any disk's. Every scheduler is put back at the end (the journal's
 * rollback, as the daemon does on stop).
 *
 * Usage: queue-switch [ROUNDS]
 * Prints a markdown fragment. Needs root. */

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "hostfs.h"
#include "log.h"
#include "timing.h"
#include "tunables.h"

#define DEVICES_MAX 16
#define DEFAULT_ROUNDS 20

static char devices[DEVICES_MAX][128];
static unsigned n_devices;

/* The loop devices whose scheduler can be none and mq-deadline. */
static void find_devices(void) {
        glob_t g;

        if (glob("/sys/block/loop*/queue/scheduler", 0, NULL, &g) != 0)
                return;
        for (size_t i = 0; i < g.gl_pathc && n_devices < DEVICES_MAX; i++) {
                char list[256] = "";
                FILE *f = fopen(g.gl_pathv[i], "re");

                if (!f)
                        continue;
                if (fgets(list, sizeof list, f) && strstr(list, "none") && strstr(list, "mq-deadline"))
                        snprintf(devices[n_devices++], sizeof devices[0], "%s", g.gl_pathv[i]);
                fclose(f);
        }
        globfree(&g);
}

/* Whether the first n devices read back as want: a switch that did not
 * happen must not be timed. */
static bool devices_hold(const struct hostfs *fs, unsigned n, const char *want) {
        char now[64];

        for (unsigned i = 0; i < n; i++)
                if (hostfs_read_value(fs, devices[i], now, sizeof now) < 0 || !streq(now, want))
                        return false;
        return true;
}

/* Median ms of rounds switches of the first n devices, alternating
 * schedulers; lanes off runs every write on this thread. */
static int measure(const char *journal, bool lanes, unsigned n, unsigned rounds, double *ret_ms) {
        _cleanup_free_ double *t = calloc(rounds, sizeof *t);
        struct hostfs fs;
        struct backend be;
        struct backend *backends[1] = { &be };
        struct tunables tun;
        int r;

        if (!t)
                return -ENOMEM;
        (void) unlink(journal);
        (void) hostfs_init(&fs, NULL);
        backend_file_init(&be, &fs);
        if (!lanes)
                be.lane = NULL;
        r = tunables_init(&tun, backends, 1, journal, "bench-boot-id", NULL);
        if (r < 0)
                return r;
        for (unsigned round = 0; round <= rounds && r >= 0; round++) {
                struct plan p = {};
                double t0;

                const char *want = round % 2 ? "none" : "mq-deadline";

                for (unsigned i = 0; i < n && r >= 0; i++)
                        r = plan_add(&p, &be, devices[i], want, NULL, "bench", NULL);
                t0 = now_us();
                if (r >= 0)
                        r = tunables_apply(&tun, &p, true);
                if (r >= 0 && !devices_hold(&fs, n, want))
                        r = -EIO;
                /* Round 0 moves every device off its original first. */
                if (round > 0)
                        t[round - 1] = (now_us() - t0) / 1000.0;
                plan_done(&p);
        }
        if (tunables_rollback(&tun) < 0 && r >= 0)
                r = -EIO;
        tunables_done(&tun);
        (void) unlink(journal);
        if (r >= 0)
                *ret_ms = percentile(t, rounds, 50);
        return r;
}

static int read_all(const struct hostfs *fs, char (*values)[64]) {
        for (unsigned i = 0; i < n_devices; i++) {
                int r = hostfs_read_value(fs, devices[i], values[i], 64);
                if (r < 0)
                        return r;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned rounds = DEFAULT_ROUNDS, counts[] = { 1, 0 };
        char journal[] = "/dev/shm/kvmtuned-queue-switch.journal";
        static char before[DEVICES_MAX][64], after[DEVICES_MAX][64];
        struct hostfs fs;
        int r = 0;

        if (argc > 1) {
                char *end;
                unsigned long v = strtoul(argv[1], &end, 10);
                if (*end || v < 1 || v > 10000) {
                        fprintf(stderr, "queue-switch: invalid round count '%s': expected 1 to 10000\n", argv[1]);
                        return EXIT_FAILURE;
                }
                rounds = (unsigned) v;
        }
        log_set_level(KT_LOG_WARNING);
        find_devices();
        printf("### Switching the I/O scheduler of many disks\n\n");
        if (n_devices < 2) {
                printf("Not measured: this host has fewer than two loop devices with a scheduler.\n");
                return EXIT_SUCCESS;
        }
        counts[1] = n_devices;
        if (hostfs_init(&fs, NULL) < 0 || read_all(&fs, before) < 0) {
                fprintf(stderr, "queue-switch: cannot read the schedulers\n");
                return EXIT_FAILURE;
        }
        printf("`tunables_apply()` moving the scheduler of real loop devices between `mq-deadline` and `none`, "
               "median of %u switches: each device's queue written in a lane of its own (as the daemon does), "
               "and every write one after the other.\n\n"
               "| devices | one after another | side by side | ratio |\n|---|---|---|---|\n", rounds);
        for (size_t i = 0; i < ELEMENTSOF(counts) && r >= 0; i++) {
                double serial = 0, lanes = 0;

                r = measure(journal, false, counts[i], rounds, &serial);
                if (r >= 0)
                        r = measure(journal, true, counts[i], rounds, &lanes);
                if (r >= 0)
                        printf("| %u | %.1f ms | %.1f ms | %.1f× |\n", counts[i], serial, lanes, serial / lanes);
        }
        if (read_all(&fs, after) < 0 || memcmp(before, after, sizeof before) != 0) {
                fprintf(stderr, "queue-switch: a scheduler was not put back\n");
                return EXIT_FAILURE;
        }
        if (r < 0) {
                fprintf(stderr, "queue-switch: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
