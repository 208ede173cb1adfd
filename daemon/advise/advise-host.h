/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the advise host rules know about the host, read once per run under
 * --root: the kernel command line, NUMA nodes and their free hugepages,
 * vhost_net, and the daemons that would fight kvmtuned. */

#include <stdbool.h>
#include <stdint.h>

#include "cpulist.h"

struct hostfs;

#define ADVISE_NODES_MAX 64
#define ADVISE_POOLS_MAX 8

struct advise_hugepool {
        uint64_t size_kib;
        uint64_t free[ADVISE_NODES_MAX];        /* per node */
};

struct advise_host {
        const struct hostfs *fs;

        char cmdline[4096];
        struct cpuset isolcpus, nohz_full;
        bool iommu_on, iommu_pt;
        uint64_t default_hugepagesz_kib;

        unsigned n_nodes;                       /* node ids 0..n_nodes-1 that exist */
        bool node_exists[ADVISE_NODES_MAX];
        struct cpuset node_cpus[ADVISE_NODES_MAX];
        unsigned online_cpus;

        struct advise_hugepool pools[ADVISE_POOLS_MAX];
        unsigned n_pools;

        int vhost_zcopy;                        /* -1: vhost_net not loaded */
        bool vhost_net_dev;

        bool irqbalance, numad, tuned;          /* running */
        struct cpuset irqbalance_banned;        /* from its config file */
};

/* Read everything; a missing file leaves its fact at "unknown/absent". */
int advise_host_read(const struct hostfs *fs, struct advise_host *h);

/* The SMT siblings of cpu (itself included); empty when unknown. */
void advise_host_siblings(const struct advise_host *h, unsigned cpu, struct cpuset *ret);

/* The largest number of CPUs on one node (all online CPUs without NUMA). */
unsigned advise_host_max_node_cpus(const struct advise_host *h);

/* Free hugepages of size_kib on the nodes in nodes (all when NULL);
 * -1 when the host has no pool of that size. */
int64_t advise_host_free_hugepages(const struct advise_host *h, uint64_t size_kib, const struct cpuset *nodes);

/* Pure parsers of the kernel command line, exported for tests. */
/* The value of the last name=... word, or NULL; *len gets its length. */
const char *cmdline_value(const char *cmdline, const char *name, size_t *len);
/* isolcpus=[flags,]list: the CPU list after the flags. */
int cmdline_isolcpus(const char *value, size_t len, struct cpuset *ret);
/* Pages of size_kib the command line reserves (hugepagesz=/hugepages=
 * pairs; a hugepages= before any hugepagesz= is for the default size). */
uint64_t cmdline_hugepages(const char *cmdline, uint64_t size_kib, uint64_t default_kib);
/* A size as the kernel command line writes it: "2M", "1G", "2048k". */
uint64_t cmdline_size_kib(const char *s, size_t len);
/* irqbalance's IRQBALANCE_BANNED_CPUS: hex mask words, most significant first. */
int irqbalance_mask_parse(const char *s, struct cpuset *ret);
