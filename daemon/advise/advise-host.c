/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "advise-host.h"
#include "hostfs.h"
#include "kvmtuned/macro.h"

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Words of the kernel's own command line: what follows "--" is init's. */
static const char *next_word(const char **p, size_t *len) {
        const char *w;

        *p += strspn(*p, " \t\n");
        w = *p;
        *len = strcspn(w, " \t\n");
        *p += *len;
        if (*len == 0 || (*len == 2 && strncmp(w, "--", 2) == 0))
                return NULL;
        return w;
}

const char *cmdline_value(const char *cmdline, const char *name, size_t *len) {
        size_t nl = strlen(name), wl;
        const char *p = cmdline, *w, *found = NULL;

        while ((w = next_word(&p, &wl)))
                if (wl > nl && strncmp(w, name, nl) == 0 && w[nl] == '=') {
                        found = w + nl + 1;
                        *len = wl - nl - 1;
                }
        return found;
}

int cmdline_isolcpus(const char *value, size_t len, struct cpuset *ret) {
        char buf[1024];
        const char *p = buf;

        if (len >= sizeof buf)
                return -ENOBUFS;
        memcpy(buf, value, len);
        buf[len] = '\0';
        /* Flags (nohz, domain, managed_irq) come first, each followed by ','. */
        while (isalpha((unsigned char) *p)) {
                p = strchr(p, ',');
                if (!p) {
                        memset(ret, 0, sizeof *ret);
                        return 0;
                }
                p++;
        }
        return cpuset_parse(p, ret);
}

uint64_t cmdline_size_kib(const char *s, size_t len) {
        unsigned long long v = 0;
        size_t i = 0;

        for (; i < len && isdigit((unsigned char) s[i]); i++)
                v = v * 10 + (unsigned) (s[i] - '0');
        if (i == 0)
                return 0;
        if (i == len)
                return v / 1024;
        switch (toupper((unsigned char) s[i])) {
        case 'K': return v;
        case 'M': return v * 1024;
        case 'G': return v * 1024 * 1024;
        default: return 0;
        }
}

/* "512" or, per node, "0:256,1:256". */
static uint64_t hugepages_count(const char *s, size_t len) {
        uint64_t total = 0, v = 0;

        for (size_t i = 0; i <= len; i++) {
                if (i < len && isdigit((unsigned char) s[i]))
                        v = v * 10 + (unsigned) (s[i] - '0');
                else if (i < len && s[i] == ':')
                        v = 0;
                else {
                        total += v;
                        v = 0;
                }
        }
        return total;
}

uint64_t cmdline_hugepages(const char *cmdline, uint64_t size_kib, uint64_t default_kib) {
        const char *p = cmdline, *w;
        uint64_t cur = 0, total = 0;
        size_t wl;

        while ((w = next_word(&p, &wl))) {
                if (startswith(w, "hugepagesz=") && wl > 11)
                        cur = cmdline_size_kib(w + 11, wl - 11);
                else if (startswith(w, "hugepages=") && wl > 10 && (cur ?: default_kib) == size_kib)
                        total += hugepages_count(w + 10, wl - 10);
        }
        return total;
}

int irqbalance_mask_parse(const char *s, struct cpuset *ret) {
        size_t n = strlen(s);
        unsigned bit = 0;

        memset(ret, 0, sizeof *ret);
        /* From the least significant digit, skipping the word separators. */
        for (size_t i = n; i > 0; i--) {
                char c = s[i - 1];
                unsigned v;

                if (c == ',')
                        continue;
                if (!isxdigit((unsigned char) c))
                        return -EINVAL;
                v = isdigit((unsigned char) c) ? (unsigned) (c - '0') : (unsigned) (tolower(c) - 'a' + 10);
                for (unsigned k = 0; k < 4; k++, bit++)
                        if (v & (1u << k))
                                cpuset_add(ret, bit);
        }
        return 0;
}

static void read_cmdline(struct advise_host *h) {
        char type[32];
        const char *v;
        size_t len;

        if (hostfs_read(h->fs, "/proc/cmdline", h->cmdline, sizeof h->cmdline) < 0)
                h->cmdline[0] = '\0';
        v = cmdline_value(h->cmdline, "isolcpus", &len);
        if (v)
                (void) cmdline_isolcpus(v, len, &h->isolcpus);
        v = cmdline_value(h->cmdline, "nohz_full", &len);
        if (v)
                (void) cmdline_isolcpus(v, len, &h->nohz_full);

        v = cmdline_value(h->cmdline, "intel_iommu", &len);
        h->iommu_on = v && len >= 2 && strncmp(v, "on", 2) == 0;
        v = cmdline_value(h->cmdline, "amd_iommu", &len);
        h->iommu_on = h->iommu_on || (v && !(len == 3 && strncmp(v, "off", 3) == 0));
        if (!h->iommu_on) {
                char p[PATH_MAX];
                _cleanup_closedir_ DIR *d = NULL;
                struct dirent *de;

                if (hostfs_path(h->fs, "/sys/class/iommu", p, sizeof p) >= 0 && (d = opendir(p)))
                        while ((de = readdir(d)))
                                if (de->d_name[0] != '.')
                                        h->iommu_on = true;
        }
        v = cmdline_value(h->cmdline, "iommu", &len);
        h->iommu_pt = v && len == 2 && strncmp(v, "pt", 2) == 0;
        v = cmdline_value(h->cmdline, "iommu.passthrough", &len);
        h->iommu_pt = h->iommu_pt || (v && len == 1 && (*v == '1' || *v == 'y'));
        /* A kernel built to pass through by default says so per group. */
        if (!h->iommu_pt && hostfs_read(h->fs, "/sys/kernel/iommu_groups/0/type", type, sizeof type) >= 0)
                h->iommu_pt = streq(type, "identity");

        v = cmdline_value(h->cmdline, "default_hugepagesz", &len);
        if (v)
                h->default_hugepagesz_kib = cmdline_size_kib(v, len);
        if (h->default_hugepagesz_kib == 0) {
                /* Hugepagesize is far down /proc/meminfo; read it whole. */
                char mem[8192];
                const char *s;

                if (hostfs_read(h->fs, "/proc/meminfo", mem, sizeof mem) >= 0 && (s = strstr(mem, "Hugepagesize:")))
                        h->default_hugepagesz_kib = strtoull(s + 13, NULL, 10);
        }
        if (h->default_hugepagesz_kib == 0)
                h->default_hugepagesz_kib = 2048;
}

static struct advise_hugepool *pool_of(struct advise_host *h, uint64_t size_kib) {
        for (unsigned i = 0; i < h->n_pools; i++)
                if (h->pools[i].size_kib == size_kib)
                        return &h->pools[i];
        if (h->n_pools == ADVISE_POOLS_MAX)
                return NULL;
        h->pools[h->n_pools] = (struct advise_hugepool) { .size_kib = size_kib };
        return &h->pools[h->n_pools++];
}

/* dir holds hugepages-<size>kB/free_hugepages, for one node. */
static void read_pools(struct advise_host *h, const char *dir, unsigned node) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        char p[PATH_MAX];

        if (hostfs_path(h->fs, dir, p, sizeof p) < 0 || !(d = opendir(p)))
                return;
        while ((de = readdir(d))) {
                struct advise_hugepool *pool;
                char f[PATH_MAX], buf[32];
                unsigned long long size;

                if (sscanf(de->d_name, "hugepages-%llukB", &size) != 1)
                        continue;
                if (snprintf(f, sizeof f, "%s/%s/free_hugepages", dir, de->d_name) >= (int) sizeof f ||
                    hostfs_read(h->fs, f, buf, sizeof buf) < 0)
                        continue;
                pool = pool_of(h, size);
                if (pool)
                        pool->free[node] = strtoull(buf, NULL, 10);
        }
}

static void read_nodes(struct advise_host *h) {
        char buf[4096], path[128];
        struct cpuset online;

        if (hostfs_read(h->fs, "/sys/devices/system/cpu/online", buf, sizeof buf) >= 0 &&
            cpuset_parse(buf, &online) >= 0)
                h->online_cpus = cpuset_count(&online);
        else
                memset(&online, 0, sizeof online);

        for (unsigned n = 0; n < ADVISE_NODES_MAX; n++) {
                snprintf(path, sizeof path, "/sys/devices/system/node/node%u/cpulist", n);
                if (hostfs_read(h->fs, path, buf, sizeof buf) < 0 || cpuset_parse(buf, &h->node_cpus[n]) < 0)
                        continue;
                h->node_exists[n] = true;
                h->n_nodes = n + 1;
                snprintf(path, sizeof path, "/sys/devices/system/node/node%u/hugepages", n);
                read_pools(h, path, n);
        }
        if (h->n_nodes == 0) {
                /* No NUMA in this kernel: one node holding everything. */
                h->n_nodes = 1;
                h->node_exists[0] = true;
                h->node_cpus[0] = online;
                read_pools(h, "/sys/kernel/mm/hugepages", 0);
        }
}

static void read_processes(struct advise_host *h) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        char p[PATH_MAX];

        if (hostfs_path(h->fs, "/proc", p, sizeof p) < 0 || !(d = opendir(p)))
                return;
        while ((de = readdir(d))) {
                char f[sizeof "/proc//comm" + sizeof de->d_name], comm[32];

                if (!isdigit((unsigned char) de->d_name[0]) || strlen(de->d_name) > 20)
                        continue;
                snprintf(f, sizeof f, "/proc/%s/comm", de->d_name);
                if (hostfs_read(h->fs, f, comm, sizeof comm) < 0)
                        continue;
                h->irqbalance = h->irqbalance || streq(comm, "irqbalance");
                h->numad = h->numad || streq(comm, "numad");
                h->tuned = h->tuned || streq(comm, "tuned");
        }
}

/* IRQBALANCE_BANNED_CPULIST / IRQBALANCE_BANNED_CPUS from the shell-style
 * file the irqbalance service reads (Debian, then Red Hat). */
static void read_irqbalance_config(struct advise_host *h) {
        static const char *const files[] = { "/etc/default/irqbalance", "/etc/sysconfig/irqbalance" };
        char buf[8192];

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char *line, *save = NULL;

                if (hostfs_read(h->fs, files[i], buf, sizeof buf) < 0)
                        continue;
                for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        struct cpuset set;
                        const char *v;
                        char *e;
                        bool list;

                        line += strspn(line, " \t");
                        if (startswith(line, "export "))
                                line += 7;
                        list = (v = startswith(line, "IRQBALANCE_BANNED_CPULIST="));
                        if (!list && !(v = startswith(line, "IRQBALANCE_BANNED_CPUS=")))
                                continue;
                        v += strspn(v, "\"'");
                        e = (char *) v + strcspn(v, "\"'# \t");
                        *e = '\0';
                        if ((list ? cpuset_parse(v, &set) : irqbalance_mask_parse(v, &set)) < 0)
                                continue;
                        for (size_t k = 0; k < ELEMENTSOF(set.bits); k++)
                                h->irqbalance_banned.bits[k] |= set.bits[k];
                }
                return;
        }
}

int advise_host_read(const struct hostfs *fs, struct advise_host *h) {
        char buf[32];

        memset(h, 0, sizeof *h);
        h->fs = fs;
        read_cmdline(h);
        read_nodes(h);
        h->vhost_zcopy = -1;
        if (hostfs_read(fs, "/sys/module/vhost_net/parameters/experimental_zcopytx", buf, sizeof buf) >= 0)
                h->vhost_zcopy = (int) strtol(buf, NULL, 10);
        h->vhost_net_dev = hostfs_exists(fs, "/dev/vhost-net");
        read_processes(h);
        read_irqbalance_config(h);
        return 0;
}

void advise_host_siblings(const struct advise_host *h, unsigned cpu, struct cpuset *ret) {
        char path[128], buf[1024];

        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", cpu);
        if (hostfs_read(h->fs, path, buf, sizeof buf) < 0 || cpuset_parse(buf, ret) < 0)
                memset(ret, 0, sizeof *ret);
}

unsigned advise_host_max_node_cpus(const struct advise_host *h) {
        unsigned best = 0;

        for (unsigned n = 0; n < h->n_nodes; n++)
                if (h->node_exists[n] && cpuset_count(&h->node_cpus[n]) > best)
                        best = cpuset_count(&h->node_cpus[n]);
        return best ?: h->online_cpus;
}

int64_t advise_host_free_hugepages(const struct advise_host *h, uint64_t size_kib, const struct cpuset *nodes) {
        int64_t total = 0;

        for (unsigned i = 0; i < h->n_pools; i++) {
                if (h->pools[i].size_kib != size_kib)
                        continue;
                for (unsigned n = 0; n < h->n_nodes; n++)
                        if (h->node_exists[n] && (!nodes || cpuset_has(nodes, n)))
                                total += (int64_t) h->pools[i].free[n];
                return total;
        }
        return -1;
}
