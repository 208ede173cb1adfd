/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parsers for the /proc files the monitor samples. Pure: text in, counters
 * out, into arrays the caller owns, so a tick allocates nothing and the unit
 * tests call them directly. A parser that needs more room than it was given
 * returns -ENOBUFS with the count it needs, and the caller grows once. */

#include <stdbool.h>
#include <stdint.h>

#include "kvmtuned/plugin.h"

struct cpu_ticks {
        uint64_t busy, total;
        bool present;           /* listed in /proc/stat, i.e. online */
};

/* Cumulative counters of one NIC or disk, as the kernel keeps them. */
struct dev_counters {
        char name[32];
        uint64_t c[4];          /* NIC: rx bytes, rx packets, tx bytes, tx packets;
                                 * disk: reads, writes, sectors written, 0 */
        bool wanted;            /* disk: a whole disk (has /sys/block/NAME) */
};

/* /proc/stat: the "cpu" line into *all, "cpuN" lines into cpus[N]. *n_cpus
 * becomes the highest N + 1. */
int parse_proc_stat(const char *text, struct cpu_ticks *all, struct cpu_ticks *cpus, unsigned cap,
                    unsigned *n_cpus);

/* /proc/net/dev, one entry per interface in file order. */
int parse_net_dev(const char *text, struct dev_counters *a, unsigned cap, unsigned *n);

/* /proc/diskstats, one entry per line in file order (partitions too: the
 * caller decides which are whole disks). */
int parse_diskstats(const char *text, struct dev_counters *a, unsigned cap, unsigned *n);

/* /proc/meminfo: MemTotal, MemFree, MemAvailable, Buffers, Cached. */
int parse_meminfo(const char *text, struct kt_mem_stat *m);

/* Busy fraction between two readings; *prev_busy when no tick elapsed. */
double ticks_busy(const struct cpu_ticks *now, const struct cpu_ticks *before, double prev_busy);
