/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's CPU and memory layout: online CPUs grouped into physical cores
 * (SMT siblings), packages, NUMA nodes with their distances and free memory.
 * Read from sysfs through a read function, so the daemon reads under --root,
 * the pinning plugin through kt_read(), and tests and benchmarks build any
 * host they like. */

#include <stdint.h>

#include "cpulist.h"

#define TOPO_MAX_NODES   64
#define TOPO_MAX_THREADS 8

struct topo_core {
        unsigned node;                  /* index into nodes[] */
        unsigned package;
        unsigned n_threads;
        unsigned threads[TOPO_MAX_THREADS];     /* online siblings, ascending */
};

struct topo_node {
        unsigned id;                    /* the kernel's node number */
        uint64_t total_kib, free_kib;
        struct cpuset cpus;             /* online CPUs of this node */
        unsigned distance[TOPO_MAX_NODES];      /* to nodes[j], by index */
};

struct topology {
        struct cpuset online;
        unsigned n_cores;
        struct topo_core *cores;        /* ordered by first thread */
        unsigned n_nodes;
        struct topo_node *nodes;        /* ordered by id */
        int *core_of, *node_of;         /* by CPU number (CPUS_MAX), -1 when offline */
};

/* Read a host file (trailing newline removed); 0 or a negative errno. */
typedef int (*topo_read_fn)(void *userdata, const char *path, char *buf, size_t size);

int topology_load(topo_read_fn read, void *userdata, struct topology *ret);
void topology_done(struct topology *t);

/* The core a CPU belongs to, or -1. */
int topology_core_of(const struct topology *t, unsigned cpu);
/* The node index a CPU belongs to, or -1. */
int topology_node_of(const struct topology *t, unsigned cpu);

/* A synthetic host: nodes x cores_per_node x threads with each node's
 * memory; siblings numbered "n+cores" (cpu n and n + all cores share a core)
 * or "2k" (cpus 2k and 2k+1 share a core). For tests and benchmarks. */
enum topo_numbering {
        TOPO_SIBLINGS_N_PLUS_CORES,
        TOPO_SIBLINGS_ADJACENT,
};
int topology_synthetic(unsigned nodes, unsigned cores_per_node, unsigned threads, enum topo_numbering numbering,
                       uint64_t node_kib, struct topology *ret);
