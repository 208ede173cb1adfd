/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Per-domain CPU and memory placement, as a pure function:
 * topology + the pool (what is reserved and already given out) + a request
 * -> a placement, which the caller then commits to the pool.
 *
 *   dedicated  1:1 vCPU -> CPU on whole free cores, guest vCPU pairs on SMT
 *              sibling pairs; one NUMA node when it fits (best fit: the node
 *              left with the fewest free cores, as the Kubernetes CPU
 *              Manager does), else the fewest, closest nodes; memory strict
 *              to the chosen nodes.
 *   spread     the vCPUs float over one node: the least loaded that has
 *              room for the domain's memory and vCPUs (numad's choice).
 *   shared     the vCPUs float over every CPU that is neither housekeeping
 *              nor dedicated to a domain.
 *
 * Housekeeping CPUs are never given to a domain's vCPUs (unless nothing else
 * is left for a shared domain); emulator threads go there. A request that
 * cannot be met falls to the next policy down, dedicated -> spread ->
 * shared, and the placement's note says why: never a partial pinning. */

#include <stdbool.h>
#include <stdint.h>

#include "cpulist.h"
#include "topology.h"

enum policy {
        POLICY_NONE,
        POLICY_SHARED,
        POLICY_SPREAD,
        POLICY_DEDICATED,
        _POLICY_MAX,
};

const char *policy_to_string(enum policy p);
int policy_from_string(const char *s);          /* enum policy or -EINVAL */

struct placement_pool {
        struct cpuset reserved;                 /* housekeeping */
        struct cpuset taken;                    /* dedicated to some domain */
        unsigned node_vcpus[TOPO_MAX_NODES];    /* vCPUs confined to each node */
        uint64_t node_kib[TOPO_MAX_NODES];      /* memory bound to each node */
};

struct placement_request {
        enum policy policy;
        unsigned n_vcpus;
        uint64_t memory_kib;
};

struct placement {
        enum policy policy;                     /* what the domain got */
        unsigned n_vcpus;
        unsigned *vcpu_cpu;                     /* dedicated: vCPU i runs on vcpu_cpu[i]; else NULL */
        struct cpuset cpus;                     /* the CPUs every vCPU may run on (the union for dedicated) */
        struct cpuset owned;                    /* dedicated: whole cores taken from the pool */
        struct cpuset emulator;                 /* emulator and I/O threads */
        uint64_t nodes;                         /* memory nodes by index, bit i; 0: unrestricted */
        unsigned node_vcpus[TOPO_MAX_NODES];    /* charged to the pool */
        uint64_t node_kib[TOPO_MAX_NODES];
        char note[384];                         /* why not the requested policy, or "" */
};

/* Housekeeping CPUs from spec: NULL or "" for the first core and its SMT
 * siblings, "none", or a CPU list of online CPUs. */
int placement_reserve(const struct topology *t, const char *spec, struct cpuset *ret);

void placement_pool_init(struct placement_pool *pool, const struct cpuset *reserved);

/* Compute a placement; the pool is not changed. Fails only on ENOMEM or a
 * request of no vCPUs. */
int placement_compute(const struct topology *t, const struct placement_pool *pool,
                      const struct placement_request *req, struct placement *ret);

/* Account a placement in the pool, or give its resources back. */
void placement_commit(struct placement_pool *pool, const struct placement *p);
void placement_release(struct placement_pool *pool, const struct placement *p);

void placement_done(struct placement *p);

/* The memory nodes as kernel node ids, "0,2"; "" when unrestricted. */
int placement_format_nodes(const struct topology *t, const struct placement *p, char *buf, size_t size);

/* One line for status: "dedicated, vCPU 0:1 1:3, emulator 0, memory node 0". */
int placement_describe(const struct topology *t, const struct placement *p, char *buf, size_t size);
