/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/macro.h"
#include "topology.h"

#define CPU_DIR  "/sys/devices/system/cpu"
#define NODE_DIR "/sys/devices/system/node"

void topology_done(struct topology *t) {
        free(t->cores);
        free(t->nodes);
        free(t->core_of);
        free(t->node_of);
        *t = (struct topology) {};
}

int topology_core_of(const struct topology *t, unsigned cpu) {
        return cpu < CPUS_MAX ? t->core_of[cpu] : -1;
}

int topology_node_of(const struct topology *t, unsigned cpu) {
        return cpu < CPUS_MAX ? t->node_of[cpu] : -1;
}

static int topology_alloc(struct topology *t, unsigned max_cores, unsigned max_nodes) {
        *t = (struct topology) {};
        t->cores = calloc(max_cores ?: 1, sizeof *t->cores);
        t->nodes = calloc(max_nodes ?: 1, sizeof *t->nodes);
        t->core_of = malloc(CPUS_MAX * sizeof *t->core_of);
        t->node_of = malloc(CPUS_MAX * sizeof *t->node_of);
        if (!t->cores || !t->nodes || !t->core_of || !t->node_of) {
                topology_done(t);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < CPUS_MAX; i++)
                t->core_of[i] = t->node_of[i] = -1;
        return 0;
}

/* "Node 0 MemFree:   123 kB" (node meminfo) or "MemFree:  123 kB" (/proc/meminfo). */
static uint64_t meminfo_kib(const char *text, const char *field) {
        const char *p = strstr(text, field);

        return p ? strtoull(p + strlen(field), NULL, 10) : 0;
}

static int read_cpuset(topo_read_fn rd, void *ud, const char *path, struct cpuset *set) {
        char buf[8192];
        int r;

        r = rd(ud, path, buf, sizeof buf);
        if (r < 0)
                return r;
        return cpuset_parse(buf, set);
}

static int load_cores(topo_read_fn rd, void *ud, struct topology *t) {
        _cleanup_free_ struct cpuset *sib = malloc(sizeof *sib);
        char path[128], buf[64];

        if (!sib)
                return -ENOMEM;
        for (unsigned cpu = 0; cpu < CPUS_MAX; cpu++) {
                struct topo_core *c;
                unsigned first = cpu;

                if (!cpuset_has(&t->online, cpu) || t->core_of[cpu] >= 0)
                        continue;
                snprintf(path, sizeof path, CPU_DIR "/cpu%u/topology/thread_siblings_list", cpu);
                if (read_cpuset(rd, ud, path, sib) < 0) {
                        snprintf(path, sizeof path, CPU_DIR "/cpu%u/topology/core_cpus_list", cpu);
                        if (read_cpuset(rd, ud, path, sib) < 0)
                                *sib = (struct cpuset) {};
                }
                cpuset_add(sib, cpu);
                c = &t->cores[t->n_cores];
                *c = (struct topo_core) {};
                snprintf(path, sizeof path, CPU_DIR "/cpu%u/topology/physical_package_id", cpu);
                if (rd(ud, path, buf, sizeof buf) >= 0)
                        c->package = (unsigned) strtoul(buf, NULL, 10);
                for (unsigned s = first; s < CPUS_MAX && c->n_threads < TOPO_MAX_THREADS; s++)
                        if (cpuset_has(sib, s) && cpuset_has(&t->online, s) && t->core_of[s] < 0) {
                                c->threads[c->n_threads++] = s;
                                t->core_of[s] = (int) t->n_cores;
                        }
                t->n_cores++;
        }
        return 0;
}

/* Without NUMA in sysfs the host is one node holding everything. */
static int load_one_node(topo_read_fn rd, void *ud, struct topology *t) {
        struct topo_node *n = &t->nodes[0];
        char buf[8192];

        t->n_nodes = 1;
        n->id = 0;
        n->cpus = t->online;
        n->distance[0] = 10;
        if (rd(ud, "/proc/meminfo", buf, sizeof buf) >= 0) {
                n->total_kib = meminfo_kib(buf, "MemTotal:");
                n->free_kib = meminfo_kib(buf, "MemFree:");
        }
        return 0;
}

static int load_nodes(topo_read_fn rd, void *ud, const struct cpuset *ids, struct topology *t) {
        char path[128], buf[8192];
        int r;

        for (unsigned id = 0; id < CPUS_MAX && t->n_nodes < TOPO_MAX_NODES; id++) {
                struct topo_node *n;
                const char *p;

                if (!cpuset_has(ids, id))
                        continue;
                n = &t->nodes[t->n_nodes++];
                n->id = id;
                snprintf(path, sizeof path, NODE_DIR "/node%u/cpulist", id);
                r = read_cpuset(rd, ud, path, &n->cpus);
                if (r < 0)
                        n->cpus = (struct cpuset) {};
                for (unsigned i = 0; i < CPUS_MAX / 64; i++)
                        n->cpus.bits[i] &= t->online.bits[i];
                snprintf(path, sizeof path, NODE_DIR "/node%u/meminfo", id);
                if (rd(ud, path, buf, sizeof buf) >= 0) {
                        n->total_kib = meminfo_kib(buf, "MemTotal:");
                        n->free_kib = meminfo_kib(buf, "MemFree:");
                }
                /* distance lists every online node in id order. */
                snprintf(path, sizeof path, NODE_DIR "/node%u/distance", id);
                if (rd(ud, path, buf, sizeof buf) < 0)
                        buf[0] = '\0';
                p = buf;
                for (unsigned j = 0; j < TOPO_MAX_NODES; j++) {
                        char *end;
                        unsigned long d = strtoul(p, &end, 10);
                        n->distance[j] = end == p ? 0 : (unsigned) d;
                        p = end;
                }
        }
        for (unsigned i = 0; i < t->n_nodes; i++)
                for (unsigned j = 0; j < t->n_nodes; j++)
                        if (t->nodes[i].distance[j] == 0)
                                t->nodes[i].distance[j] = i == j ? 10 : 20;
        return 0;
}

int topology_load(topo_read_fn rd, void *ud, struct topology *ret) {
        _cleanup_free_ struct cpuset *ids = malloc(sizeof *ids);
        struct topology t;
        int r;

        if (!ids)
                return -ENOMEM;
        r = topology_alloc(&t, CPUS_MAX, TOPO_MAX_NODES);
        if (r < 0)
                return r;
        r = read_cpuset(rd, ud, CPU_DIR "/online", &t.online);
        if (r >= 0 && cpuset_count(&t.online) == 0)
                r = -ENODEV;
        if (r >= 0)
                r = load_cores(rd, ud, &t);
        if (r >= 0) {
                if (read_cpuset(rd, ud, NODE_DIR "/online", ids) >= 0 && cpuset_count(ids) > 0)
                        r = load_nodes(rd, ud, ids, &t);
                else
                        r = load_one_node(rd, ud, &t);
        }
        if (r < 0) {
                topology_done(&t);
                return r;
        }
        for (unsigned i = 0; i < t.n_nodes; i++)
                for (unsigned cpu = 0; cpu < CPUS_MAX; cpu++)
                        if (cpuset_has(&t.nodes[i].cpus, cpu))
                                t.node_of[cpu] = (int) i;
        for (unsigned c = 0; c < t.n_cores; c++) {
                int node = t.node_of[t.cores[c].threads[0]];
                t.cores[c].node = node < 0 ? 0 : (unsigned) node;
        }
        *ret = t;
        return 0;
}

int topology_synthetic(unsigned nodes, unsigned cores_per_node, unsigned threads, enum topo_numbering numbering,
                       uint64_t node_kib, struct topology *ret) {
        unsigned n_cores = nodes * cores_per_node;
        struct topology t;
        int r;

        if (nodes == 0 || nodes > TOPO_MAX_NODES || cores_per_node == 0 || threads == 0 ||
            threads > TOPO_MAX_THREADS || n_cores * threads > CPUS_MAX)
                return -EINVAL;
        r = topology_alloc(&t, n_cores, nodes);
        if (r < 0)
                return r;
        t.n_cores = n_cores;
        t.n_nodes = nodes;
        for (unsigned i = 0; i < nodes; i++) {
                t.nodes[i].id = i;
                t.nodes[i].total_kib = node_kib;
                t.nodes[i].free_kib = node_kib;
                for (unsigned j = 0; j < nodes; j++)
                        t.nodes[i].distance[j] = i == j ? 10 : 21;
        }
        for (unsigned c = 0; c < n_cores; c++) {
                struct topo_core *core = &t.cores[c];

                core->node = c / cores_per_node;
                core->package = core->node;
                core->n_threads = threads;
                for (unsigned k = 0; k < threads; k++) {
                        unsigned cpu = numbering == TOPO_SIBLINGS_N_PLUS_CORES ? c + k * n_cores : c * threads + k;
                        core->threads[k] = cpu;
                        cpuset_add(&t.online, cpu);
                        cpuset_add(&t.nodes[core->node].cpus, cpu);
                        t.core_of[cpu] = (int) c;
                        t.node_of[cpu] = (int) core->node;
                }
        }
        *ret = t;
        return 0;
}
