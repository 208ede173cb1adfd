/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The load monitor: one timer every interval samples CPU (/proc/stat), NICs
 * (/proc/net/dev), disks (/proc/diskstats), memory (/proc/meminfo) and KSM,
 * turns counters into rates and hands the sample to a dispatch callback.
 * Buffers are sized on the first tick and grow only when the host grows
 * (a device or CPU appears); a steady tick allocates nothing. */

#include <stdint.h>
#include <systemd/sd-event.h>

#include "hostfs.h"
#include "kvmtuned/plugin.h"
#include "monitor-parse.h"
#include "strbuf.h"

enum monitor_file {
        MF_STAT,
        MF_NET,
        MF_DISK,
        MF_MEM,
        MF_KSM_RUN,             /* the KSM files in kt_ksm_stat order */
        MF_KSM_PAGES_TO_SCAN,
        MF_KSM_SLEEP,
        MF_KSM_SHARED,
        MF_KSM_SHARING,
        MF_KSM_UNSHARED,
        MF_KSM_FULL_SCANS,
        MONITOR_FILES,
};

extern const char *const monitor_files[MONITOR_FILES];

typedef void (*monitor_dispatch_t)(const struct kt_sample *s, void *userdata);
/* Memory of running domains in KiB, 0 when not known (no libvirt). */
typedef uint64_t (*monitor_committed_t)(void *userdata);

struct monitor {
        const struct hostfs *fs;
        uint32_t interval_ms;
        sd_event_source *timer;
        uint64_t last_usec;
        uint64_t ticks;                 /* samples taken, including the first */

        char *buf;                      /* file contents */
        size_t buf_size;
        int fds[MONITOR_FILES];         /* kept open on the real host; -ENOENT: not there */

        struct cpu_ticks all, all_prev;
        struct cpu_ticks *cpu, *cpu_prev;
        double *cpu_busy;
        unsigned cpu_cap;

        struct dev_counters *nic, *nic_prev;
        struct kt_nic_stat *nics;
        unsigned nic_cap, n_nic_prev;

        struct dev_counters *disk, *disk_prev;
        struct kt_disk_stat *disks;
        unsigned disk_cap, n_disk_prev;

        /* committed memory: the hook first, else qemu RSS every few ticks */
        monitor_committed_t committed;
        void *committed_userdata;
        uint64_t qemu_rss_kib;
        const char *committed_source;

        struct kt_sample sample;        /* the latest, for status */

        monitor_dispatch_t dispatch;
        void *dispatch_userdata;
};

int monitor_new(const struct hostfs *fs, uint32_t interval_ms, struct monitor **ret);
struct monitor *monitor_free(struct monitor *m);

/* Start the timer on e; the first sample is a baseline, the second is the
 * first dispatched. */
int monitor_attach(struct monitor *m, sd_event *e);

void monitor_set_dispatch(struct monitor *m, monitor_dispatch_t f, void *userdata);
void monitor_set_committed(struct monitor *m, monitor_committed_t f, void *userdata);

/* Take one sample now (the timer does this; tests and the benchmark too).
 * Returns 1 when a sample was dispatched, 0 for the baseline. */
int monitor_tick(struct monitor *m, uint64_t now_usec);

/* "key: value" lines about the latest sample. */
int monitor_status(const struct monitor *m, struct strbuf *out);

/* Summed RSS of QEMU processes under fs's /proc, in KiB. */
uint64_t qemu_rss_kib(const struct hostfs *fs);
