/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "monitor.h"

#define KSM "/sys/kernel/mm/ksm/"
#define SWAP(a, b)                              \
        do {                                    \
                __typeof__(a) _t_ = (a);        \
                (a) = (b);                      \
                (b) = _t_;                      \
        } while (0)
/* How often the qemu RSS fallback rescans /proc: a walk over every process
 * is the one costly part of a sample, and guest memory moves slowly. */
#define QEMU_SCAN_USEC (30ULL * 1000 * 1000)

int monitor_new(const struct hostfs *fs, uint32_t interval_ms, struct monitor **ret) {
        struct monitor *m = calloc(1, sizeof *m);

        if (!m)
                return -ENOMEM;
        m->fs = fs;
        m->interval_ms = interval_ms;
        m->buf_size = 64 * 1024;
        m->buf = malloc(m->buf_size);
        if (!m->buf) {
                free(m);
                return -ENOMEM;
        }
        m->committed_source = "unknown";
        for (size_t i = 0; i < MONITOR_FILES; i++)
                m->fds[i] = -1;
        *ret = m;
        return 0;
}

struct monitor *monitor_free(struct monitor *m) {
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->timer);
        for (size_t i = 0; i < MONITOR_FILES; i++)
                if (m->fds[i] >= 0)
                        close(m->fds[i]);
        free(m->buf);
        free(m->cpu);
        free(m->cpu_prev);
        free(m->cpu_busy);
        free(m->nic);
        free(m->nic_prev);
        free(m->nics);
        free(m->disk);
        free(m->disk_prev);
        free(m->disks);
        free(m);
        return NULL;
}

void monitor_set_dispatch(struct monitor *m, monitor_dispatch_t f, void *userdata) {
        m->dispatch = f;
        m->dispatch_userdata = userdata;
}

void monitor_set_committed(struct monitor *m, monitor_committed_t f, void *userdata) {
        m->committed = f;
        m->committed_userdata = userdata;
}

const char *const monitor_files[MONITOR_FILES] = {
        [MF_STAT] = "/proc/stat",
        [MF_NET] = "/proc/net/dev",
        [MF_DISK] = "/proc/diskstats",
        [MF_MEM] = "/proc/meminfo",
        [MF_KSM_RUN] = KSM "run",
        [MF_KSM_PAGES_TO_SCAN] = KSM "pages_to_scan",
        [MF_KSM_SLEEP] = KSM "sleep_millisecs",
        [MF_KSM_SHARED] = KSM "pages_shared",
        [MF_KSM_SHARING] = KSM "pages_sharing",
        [MF_KSM_UNSHARED] = KSM "pages_unshared",
        [MF_KSM_FULL_SCANS] = KSM "full_scans",
};

/* On the real host the kernel regenerates a /proc or sysfs file on every
 * read from offset 0, so each file stays open and a sample costs one
 * pread() per file. Under --root the files are a fake host's, which a test
 * may replace between ticks: open them afresh each time. */
static int file_fd(struct monitor *m, enum monitor_file f) {
        char p[PATH_MAX];
        int fd, r;

        if (m->fds[f] >= 0)
                return m->fds[f];
        if (m->fds[f] == -ENOENT)
                return -ENOENT;         /* the real kernel has no such file: it will not grow one */
        r = hostfs_path(m->fs, monitor_files[f], p, sizeof p);
        if (r < 0)
                return r;
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (!m->fs->root[0] && errno == ENOENT)
                        m->fds[f] = -ENOENT;
                return -errno;
        }
        if (!m->fs->root[0])
                m->fds[f] = fd;
        return fd;
}

static void file_done(struct monitor *m, enum monitor_file f, int fd) {
        if (fd != m->fds[f])
                close(fd);
}

/* Read f into buf; -ENOBUFS when it does not fit. */
static int read_into(struct monitor *m, enum monitor_file f, char *buf, size_t size) {
        int fd = file_fd(m, f);
        size_t len = 0;

        if (fd < 0)
                return fd;
        for (;;) {
                size_t want = size - 1 - len;
                ssize_t k = pread(fd, buf + len, want, (off_t) len);
                if (k < 0 && errno == EINTR)
                        continue;
                /* /proc and sysfs fill the whole request unless the file
                 * ends first, so a short read is the end: no second call
                 * just to see 0. */
                if (k > 0 && (size_t) k < want) {
                        len += (size_t) k;
                        k = 0;
                }
                if (k <= 0 || (len += (size_t) k) == size - 1) {
                        int r = k < 0 ? -errno : len == size - 1 ? -ENOBUFS : 0;
                        file_done(m, f, fd);
                        if (r < 0)
                                return r;
                        buf[len] = '\0';
                        return (int) len;
                }
        }
}

/* The whole file into m->buf, which doubles (rarely) until it fits. */
static int read_file(struct monitor *m, enum monitor_file f) {
        for (;;) {
                int r = read_into(m, f, m->buf, m->buf_size);
                char *nb;

                if (r != -ENOBUFS)
                        return r;
                nb = realloc(m->buf, m->buf_size * 2);
                if (!nb)
                        return -ENOMEM;
                m->buf = nb;
                m->buf_size *= 2;
        }
}

/* Grow an array of n elements of size sz to cap, zeroing the new part. */
static int grow(void **a, size_t sz, unsigned old, unsigned cap) {
        void *p = realloc(*a, (size_t) cap * sz);

        if (!p)
                return -ENOMEM;
        memset((char *) p + (size_t) old * sz, 0, (size_t) (cap - old) * sz);
        *a = p;
        return 0;
}

static int sample_cpus(struct monitor *m) {
        unsigned n = 0;
        int r;

        r = read_file(m, MF_STAT);
        if (r < 0)
                return r;
        r = parse_proc_stat(m->buf, &m->all, m->cpu, m->cpu_cap, &n);
        if (r == -ENOBUFS || (r >= 0 && !m->cpu)) {
                unsigned cap = n + 8, old = m->cpu_cap;
                if (grow((void **) &m->cpu, sizeof *m->cpu, old, cap) < 0 ||
                    grow((void **) &m->cpu_prev, sizeof *m->cpu_prev, old, cap) < 0 ||
                    grow((void **) &m->cpu_busy, sizeof *m->cpu_busy, old, cap) < 0)
                        return -ENOMEM;
                m->cpu_cap = cap;
                r = parse_proc_stat(m->buf, &m->all, m->cpu, m->cpu_cap, &n);
        }
        if (r < 0)
                return r;

        m->sample.busy = ticks_busy(&m->all, &m->all_prev, m->sample.busy);
        m->all_prev = m->all;
        for (unsigned c = 0; c < n; c++) {
                if (!m->cpu[c].present)
                        m->cpu_busy[c] = -1;
                else if (!m->cpu_prev[c].present)
                        m->cpu_busy[c] = 0;     /* just came online: no interval yet */
                else
                        m->cpu_busy[c] = ticks_busy(&m->cpu[c], &m->cpu_prev[c], m->cpu_busy[c]);
        }
        SWAP(m->cpu, m->cpu_prev);
        m->sample.n_cpus = n;
        m->sample.cpu_busy = m->cpu_busy;
        return 0;
}

/* The previous reading of the same device: at the same position unless
 * devices came or went. */
static const struct dev_counters *find_prev(const struct dev_counters *prev, unsigned n_prev, unsigned i,
                                            const char *name) {
        if (i < n_prev && streq(prev[i].name, name))
                return &prev[i];
        for (unsigned j = 0; j < n_prev; j++)
                if (streq(prev[j].name, name))
                        return &prev[j];
        return NULL;
}

static double rate(uint64_t now, uint64_t before, double dt) {
        return now >= before && dt > 0 ? (double) (now - before) / dt : 0;
}

/* Parse path with f into *cur, growing cur, prev and the stats array
 * together; returns the device count. */
static int read_devices(struct monitor *m, enum monitor_file path,
                        int (*f)(const char *, struct dev_counters *, unsigned, unsigned *),
                        struct dev_counters **cur, struct dev_counters **prev, void **stats, size_t stat_size,
                        unsigned *cap) {
        unsigned n = 0;
        int r;

        r = read_file(m, path);
        if (r < 0)
                return r;
        r = f(m->buf, *cur, *cap, &n);
        if (r == -ENOBUFS) {
                unsigned c = n + 8, old = *cap;
                if (grow((void **) cur, sizeof **cur, old, c) < 0 || grow((void **) prev, sizeof **prev, old, c) < 0 ||
                    grow(stats, stat_size, old, c) < 0)
                        return -ENOMEM;
                *cap = c;
                r = f(m->buf, *cur, *cap, &n);
        }
        return r < 0 ? r : (int) n;
}

static int sample_nics(struct monitor *m, double dt) {
        int n = read_devices(m, MF_NET, parse_net_dev, &m->nic, &m->nic_prev, (void **) &m->nics,
                             sizeof *m->nics, &m->nic_cap);

        if (n < 0)
                return n;
        for (unsigned i = 0; i < (unsigned) n; i++) {
                const struct dev_counters *d = &m->nic[i], *p = find_prev(m->nic_prev, m->n_nic_prev, i, d->name);
                struct kt_nic_stat *s = &m->nics[i];

                memcpy(s->name, d->name, sizeof s->name);
                s->rx_bytes_per_s = p ? rate(d->c[0], p->c[0], dt) : 0;
                s->rx_packets_per_s = p ? rate(d->c[1], p->c[1], dt) : 0;
                s->tx_bytes_per_s = p ? rate(d->c[2], p->c[2], dt) : 0;
                s->tx_packets_per_s = p ? rate(d->c[3], p->c[3], dt) : 0;
        }
        SWAP(m->nic, m->nic_prev);
        m->n_nic_prev = (unsigned) n;
        m->sample.nics = m->nics;
        m->sample.n_nics = (unsigned) n;
        return 0;
}

static int sample_disks(struct monitor *m, double dt) {
        unsigned k = 0;
        int n = read_devices(m, MF_DISK, parse_diskstats, &m->disk, &m->disk_prev, (void **) &m->disks,
                             sizeof *m->disks, &m->disk_cap);

        if (n < 0)
                return n;
        for (unsigned i = 0; i < (unsigned) n; i++) {
                struct dev_counters *d = &m->disk[i];
                const struct dev_counters *p = find_prev(m->disk_prev, m->n_disk_prev, i, d->name);
                struct kt_disk_stat *s;

                /* Partitions would count their disk's I/O twice. Which lines
                 * are whole disks is looked up only when a name is new. */
                if (p)
                        d->wanted = p->wanted;
                else {
                        char path[64];
                        snprintf(path, sizeof path, "/sys/block/%s", d->name);
                        d->wanted = hostfs_exists(m->fs, path);
                }
                if (!d->wanted)
                        continue;
                s = &m->disks[k++];
                memcpy(s->name, d->name, sizeof s->name);
                s->iops = p ? rate(d->c[0] + d->c[1], p->c[0] + p->c[1], dt) : 0;
                s->write_bytes_per_s = p ? rate(d->c[2], p->c[2], dt) * 512 : 0;
        }
        SWAP(m->disk, m->disk_prev);
        m->n_disk_prev = (unsigned) n;
        m->sample.disks = m->disks;
        m->sample.n_disks = k;
        return 0;
}

static void sample_ksm(struct monitor *m) {
        static const size_t offsets[] = {
                offsetof(struct kt_ksm_stat, run),
                offsetof(struct kt_ksm_stat, pages_to_scan),
                offsetof(struct kt_ksm_stat, sleep_millisecs),
                offsetof(struct kt_ksm_stat, pages_shared),
                offsetof(struct kt_ksm_stat, pages_sharing),
                offsetof(struct kt_ksm_stat, pages_unshared),
                offsetof(struct kt_ksm_stat, full_scans),
        };
        struct kt_ksm_stat *k = &m->sample.ksm;
        char buf[32];

        *k = (struct kt_ksm_stat) {};
        for (size_t i = 0; i < ELEMENTSOF(offsets); i++) {
                uint64_t v;
                if (read_into(m, MF_KSM_RUN + i, buf, sizeof buf) < 0)
                        continue;
                v = strtoull(buf, NULL, 10);
                memcpy((char *) k + offsets[i], &v, sizeof v);
                k->present = true;
        }
}

static void sample_committed(struct monitor *m) {
        uint64_t every = m->interval_ms ? QEMU_SCAN_USEC / ((uint64_t) m->interval_ms * 1000) : 1;
        uint64_t v = m->committed ? m->committed(m->committed_userdata) : 0;

        if (v > 0) {
                m->sample.committed_kib = v;
                m->committed_source = "running domains";
                return;
        }
        if (every == 0 || (m->ticks - 1) % every == 0)
                m->qemu_rss_kib = qemu_rss_kib(m->fs);
        m->sample.committed_kib = m->qemu_rss_kib;
        m->committed_source = "qemu RSS";
}

int monitor_tick(struct monitor *m, uint64_t now_usec) {
        double dt = m->last_usec && now_usec > m->last_usec ? (double) (now_usec - m->last_usec) / 1e6 : 0;
        int r;

        m->ticks++;
        r = sample_cpus(m);
        if (r < 0)
                log_debug_errno(r, "Cannot sample /proc/stat: %m");
        r = sample_nics(m, dt);
        if (r < 0)
                log_debug_errno(r, "Cannot sample /proc/net/dev: %m");
        r = sample_disks(m, dt);
        if (r < 0)
                log_debug_errno(r, "Cannot sample /proc/diskstats: %m");
        if (read_file(m, MF_MEM) < 0 || parse_meminfo(m->buf, &m->sample.mem) < 0)
                log_debug("Cannot sample /proc/meminfo.");
        sample_ksm(m);
        sample_committed(m);
        m->last_usec = now_usec;
        m->sample.interval_ms = m->interval_ms;
        if (m->ticks < 2)
                return 0;       /* rates need two readings */
        m->sample.seq = m->ticks - 1;
        if (m->dispatch)
                m->dispatch(&m->sample, m->dispatch_userdata);
        return 1;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct monitor *m = userdata;
        uint64_t next = usec + (uint64_t) m->interval_ms * 1000, now = usec;
        int r;

        /* Rates are per the time that really passed: the timer may fire
         * late by its accuracy. */
        (void) sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &now);
        (void) monitor_tick(m, now);
        /* Re-arm from the planned time so the period does not drift; after
         * a stall, skip what was missed rather than catch up. */
        if (next <= now)
                next = now + (uint64_t) m->interval_ms * 1000;
        r = sd_event_source_set_time(s, next);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Cannot re-arm the sampling timer: %m");
        return 0;
}

int monitor_attach(struct monitor *m, sd_event *e) {
        uint64_t usec = (uint64_t) m->interval_ms * 1000;
        int r;

        /* A loose accuracy lets the kernel fold our wake-up into others. */
        r = sd_event_add_time_relative(e, &m->timer, CLOCK_MONOTONIC, usec, usec / 10 ?: 1, on_timer, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(m->timer, "monitor");
        return 0;
}
