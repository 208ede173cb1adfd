/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What `kvmtuned-adm status` says about the latest sample: totals first,
 * then the busiest few CPUs, NICs and disks (a host has hundreds). */

#include <inttypes.h>

#include "monitor.h"

#define TOP 3

/* Indexes of the n largest values (descending), value(i) for i < count. */
static unsigned top(unsigned count, double (*value)(const struct kt_sample *, unsigned), const struct kt_sample *s,
                    unsigned idx[TOP]) {
        unsigned n = 0;

        for (unsigned i = 0; i < count; i++) {
                double v = value(s, i);
                unsigned j;

                if (v <= 0 || (n == TOP && value(s, idx[TOP - 1]) >= v))
                        continue;
                for (j = n < TOP ? n : TOP - 1; j > 0 && value(s, idx[j - 1]) < v; j--)
                        idx[j] = idx[j - 1];
                idx[j] = i;
                if (n < TOP)
                        n++;
        }
        return n;
}

static double cpu_value(const struct kt_sample *s, unsigned i) {
        return s->cpu_busy[i];
}

static double nic_value(const struct kt_sample *s, unsigned i) {
        return s->nics[i].rx_bytes_per_s + s->nics[i].tx_bytes_per_s;
}

static double disk_value(const struct kt_sample *s, unsigned i) {
        return s->disks[i].iops + s->disks[i].write_bytes_per_s;
}

static const char *mib(uint64_t kib, char *buf, size_t size) {
        snprintf(buf, size, "%" PRIu64 " MiB", kib / 1024);
        return buf;
}

int monitor_status(const struct monitor *m, struct strbuf *out) {
        const struct kt_sample *s = &m->sample;
        char a[32], b[32], c[32], d[32];
        unsigned idx[TOP], n;
        int r;

        if (s->seq == 0)
                return strbuf_appendf(out, "sampling: every %u ms, no sample yet\n", m->interval_ms);
        r = strbuf_appendf(out, "sampling: every %u ms, sample %" PRIu64 "\n", m->interval_ms, s->seq);
        if (r >= 0)
                r = strbuf_appendf(out, "load: %.0f%% of %u CPUs", s->busy * 100, s->n_cpus);
        n = s->n_cpus ? top(s->n_cpus, cpu_value, s, idx) : 0;
        for (unsigned i = 0; i < n && r >= 0; i++)
                r = strbuf_appendf(out, "%s cpu%u %.0f%%", i ? "," : " (busiest:", idx[i], s->cpu_busy[idx[i]] * 100);
        if (r >= 0)
                r = strbuf_appendf(out, "%s\n", n ? ")" : "");
        if (r >= 0)
                r = strbuf_appendf(out, "memory: %s free, %s available of %s; committed %s (%s)\n",
                                   mib(s->mem.free_kib, a, sizeof a), mib(s->mem.available_kib, b, sizeof b),
                                   mib(s->mem.total_kib, c, sizeof c), mib(s->committed_kib, d, sizeof d),
                                   m->committed_source);
        if (r >= 0 && s->ksm.present)
                r = strbuf_appendf(out,
                                   "ksm: run %" PRIu64 ", pages_to_scan %" PRIu64 ", sleep %" PRIu64
                                   " ms; %" PRIu64 " pages merged into %" PRIu64 ", %" PRIu64 " full scans\n",
                                   s->ksm.run, s->ksm.pages_to_scan, s->ksm.sleep_millisecs, s->ksm.pages_sharing,
                                   s->ksm.pages_shared, s->ksm.full_scans);
        n = top(s->n_nics, nic_value, s, idx);
        if (r >= 0)
                r = strbuf_appendf(out, "nics: %u%s", s->n_nics, n ? " (busiest:" : "");
        for (unsigned i = 0; i < n && r >= 0; i++) {
                const struct kt_nic_stat *x = &s->nics[idx[i]];
                r = strbuf_appendf(out, "%s %s rx %.0f KiB/s tx %.0f KiB/s", i ? "," : "", x->name,
                                   x->rx_bytes_per_s / 1024, x->tx_bytes_per_s / 1024);
        }
        if (r >= 0)
                r = strbuf_appendf(out, "%s\n", n ? ")" : "");
        n = top(s->n_disks, disk_value, s, idx);
        if (r >= 0)
                r = strbuf_appendf(out, "disks: %u%s", s->n_disks, n ? " (busiest:" : "");
        for (unsigned i = 0; i < n && r >= 0; i++) {
                const struct kt_disk_stat *x = &s->disks[idx[i]];
                r = strbuf_appendf(out, "%s %s %.0f IOPS, %.0f KiB/s written", i ? "," : "", x->name, x->iops,
                                   x->write_bytes_per_s / 1024);
        }
        if (r >= 0)
                r = strbuf_appendf(out, "%s\n", n ? ")" : "");
        return r < 0 ? r : 0;
}
