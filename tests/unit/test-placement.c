/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Placement on synthetic hosts: one socket up to 8 nodes x 448 CPUs, both
 * ways kernels number SMT siblings, and the topology read from a fake sysfs. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/macro.h"
#include "placement.h"
#include "topology.h"

#define GIB (UINT64_C(1024) * 1024)

static const enum topo_numbering numberings[] = { TOPO_SIBLINGS_N_PLUS_CORES, TOPO_SIBLINGS_ADJACENT };

struct host {
        struct topology topo;
        struct placement_pool pool;
};

static struct host *host_new(unsigned nodes, unsigned cores, unsigned threads, enum topo_numbering numbering,
                             uint64_t node_kib) {
        struct host *h = calloc(1, sizeof *h);
        struct cpuset reserved;

        assert_non_null(h);
        assert_int_equal(topology_synthetic(nodes, cores, threads, numbering, node_kib, &h->topo), 0);
        assert_int_equal(placement_reserve(&h->topo, NULL, &reserved), 0);
        placement_pool_init(&h->pool, &reserved);
        return h;
}

static void host_free(struct host *h) {
        topology_done(&h->topo);
        free(h);
}

static struct placement *place(struct host *h, enum policy policy, unsigned vcpus, uint64_t kib) {
        struct placement *p = malloc(sizeof *p);
        struct placement_request req = { .policy = policy, .n_vcpus = vcpus, .memory_kib = kib };

        assert_non_null(p);
        assert_int_equal(placement_compute(&h->topo, &h->pool, &req, p), 0);
        placement_commit(&h->pool, p);
        return p;
}

static void unplace(struct host *h, struct placement *p) {
        placement_release(&h->pool, p);
        placement_done(p);
        free(p);
}

static bool disjoint(const struct cpuset *a, const struct cpuset *b) {
        for (unsigned w = 0; w < CPUS_MAX / 64; w++)
                if (a->bits[w] & b->bits[w])
                        return false;
        return true;
}

/* What every dedicated placement must be: 1:1, whole cores, off housekeeping,
 * each guest vCPU pair on one core, and on the nodes it names. */
static void check_dedicated(const struct host *h, const struct placement *p) {
        const struct topology *t = &h->topo;

        assert_int_equal(p->policy, POLICY_DEDICATED);
        assert_non_null(p->vcpu_cpu);
        assert_int_equal(cpuset_count(&p->cpus), p->n_vcpus);
        assert_true(disjoint(&p->owned, &h->pool.reserved));
        for (unsigned v = 0; v < p->n_vcpus; v++) {
                int core = topology_core_of(t, p->vcpu_cpu[v]);
                int node = topology_node_of(t, p->vcpu_cpu[v]);

                assert_true(core >= 0 && node >= 0);
                assert_true(p->nodes & (UINT64_C(1) << node));
                for (unsigned k = 0; k < t->cores[core].n_threads; k++)
                        assert_true(cpuset_has(&p->owned, t->cores[core].threads[k]));
                if (v % 2 == 1 && t->cores[core].n_threads == 2)
                        assert_int_equal(topology_core_of(t, p->vcpu_cpu[v - 1]), core);
        }
}

static void test_reserve(void **state) {
        struct host *h = host_new(2, 4, 2, TOPO_SIBLINGS_N_PLUS_CORES, GIB);
        struct cpuset set;
        char buf[64];

        (void) state;
        /* Default: the first core and its sibling, 0 and 0+8. */
        assert_int_equal(cpuset_format(&h->pool.reserved, buf, sizeof buf) > 0, 1);
        assert_string_equal(buf, "0,8");
        assert_int_equal(placement_reserve(&h->topo, "none", &set), 0);
        assert_int_equal(cpuset_count(&set), 0);
        assert_int_equal(placement_reserve(&h->topo, "0-1,8-9", &set), 0);
        assert_int_equal(cpuset_count(&set), 4);
        assert_int_equal(placement_reserve(&h->topo, "16", &set), -ENOENT);
        assert_int_equal(placement_reserve(&h->topo, "0-15", &set), -E2BIG);
        assert_int_equal(placement_reserve(&h->topo, "x", &set), -EINVAL);
        assert_int_equal(policy_from_string("spread"), POLICY_SPREAD);
        assert_int_equal(policy_from_string("pinned"), -EINVAL);
        host_free(h);
}

static void test_one_socket(void **state) {
        (void) state;
        for (size_t n = 0; n < ELEMENTSOF(numberings); n++) {
                struct host *h = host_new(1, 5, 2, numberings[n], 8 * GIB);
                struct placement *a, *b, *c;

                a = place(h, POLICY_DEDICATED, 2, GIB);
                check_dedicated(h, a);
                assert_string_equal(a->note, "");
                /* The emulator sits on housekeeping, nowhere else. */
                assert_true(cpuset_count(&a->emulator) == 2 && !disjoint(&a->emulator, &h->pool.reserved));
                b = place(h, POLICY_DEDICATED, 3, GIB);
                check_dedicated(h, b);
                assert_int_equal(cpuset_count(&b->owned), 4);   /* whole cores: the idle sibling too */
                assert_true(disjoint(&a->owned, &b->owned));
                /* One core left: a 4-vCPU dedicated domain cannot have it. */
                c = place(h, POLICY_DEDICATED, 4, GIB);
                assert_int_equal(c->policy, POLICY_SHARED);
                assert_null(c->vcpu_cpu);
                assert_non_null(strstr(c->note, "fell back from dedicated to shared"));
                assert_int_equal(cpuset_count(&c->cpus), 2);
                assert_true(disjoint(&c->cpus, &h->pool.reserved) && disjoint(&c->cpus, &a->owned));
                /* Stopping a domain gives its cores back. */
                unplace(h, a);
                unplace(h, c);
                c = place(h, POLICY_DEDICATED, 4, GIB);
                check_dedicated(h, c);
                unplace(h, b);
                unplace(h, c);
                assert_int_equal(cpuset_count(&h->pool.taken), 0);
                host_free(h);
        }
}

/* This test machine's shape: two CPUs, no SMT. */
static void test_two_cpus(void **state) {
        struct host *h = host_new(1, 2, 1, TOPO_SIBLINGS_ADJACENT, GIB);
        struct placement *a, *b;
        char buf[128];

        (void) state;
        a = place(h, POLICY_DEDICATED, 1, 64 * 1024);
        check_dedicated(h, a);
        assert_int_equal(a->vcpu_cpu[0], 1);
        assert_true(cpuset_has(&a->emulator, 0) && cpuset_count(&a->emulator) == 1);
        assert_int_equal(placement_describe(&h->topo, a, buf, sizeof buf), 0);
        assert_string_equal(buf, "dedicated, vCPU 0:1, emulator 0, memory node 0");
        b = place(h, POLICY_DEDICATED, 1, 64 * 1024);
        assert_int_equal(placement_describe(&h->topo, b, buf, sizeof buf), 0);
        assert_string_equal(buf, "shared, vCPUs on 0, emulator 0, memory anywhere");
        assert_int_equal(b->policy, POLICY_SHARED);
        assert_true(cpuset_has(&b->cpus, 0) && cpuset_count(&b->cpus) == 1);
        assert_non_null(strstr(b->note, "dedicated: 1 vCPU(s) wanted, 0 CPU(s) free"));
        assert_non_null(strstr(b->note, "floating on housekeeping"));
        unplace(h, a);
        unplace(h, b);
        host_free(h);
}

static void test_none(void **state) {
        struct host *h = host_new(1, 2, 1, TOPO_SIBLINGS_ADJACENT, GIB);
        struct placement_request req = { .policy = POLICY_NONE, .n_vcpus = 2 };
        struct placement p;

        (void) state;
        assert_int_equal(placement_compute(&h->topo, &h->pool, &req, &p), 0);
        assert_int_equal(p.policy, POLICY_NONE);
        req.n_vcpus = 0;
        assert_int_equal(placement_compute(&h->topo, &h->pool, &req, &p), -EINVAL);
        host_free(h);
}

/* 8 nodes x 28 cores x 2 threads: 448 CPUs. */
static void test_big_dedicated(void **state) {
        (void) state;
        for (size_t n = 0; n < ELEMENTSOF(numberings); n++) {
                struct host *h = host_new(8, 28, 2, numberings[n], 64 * GIB);
                struct placement *doms[200];
                unsigned n_doms = 0, dedicated = 0;
                struct placement *wide;

                assert_int_equal(cpuset_count(&h->topo.online), 448);
                /* 4-vCPU domains fit one node each; best fit fills a node before opening the next. */
                for (unsigned i = 0; i < 14; i++) {
                        doms[n_doms] = place(h, POLICY_DEDICATED, 4, GIB);
                        check_dedicated(h, doms[n_doms]);
                        assert_int_equal(__builtin_popcountll(doms[n_doms]->nodes), 1);
                        n_doms++;
                }
                /* Node 0 lost one core to housekeeping: 27 cores = 54 threads, 13 domains then 2 left. */
                assert_int_equal(doms[0]->nodes, doms[12]->nodes);
                /* 80 vCPUs exceed any node's 56 threads: the fewest nodes, two. */
                wide = place(h, POLICY_DEDICATED, 80, 4 * GIB);
                check_dedicated(h, wide);
                assert_int_equal(__builtin_popcountll(wide->nodes), 2);
                doms[n_doms++] = wide;
                /* Fill the rest; no CPU is ever given twice, never a housekeeping one. */
                while (n_doms < 200) {
                        struct placement *p = place(h, POLICY_DEDICATED, 2, GIB);
                        if (p->policy == POLICY_DEDICATED) {
                                check_dedicated(h, p);
                                dedicated++;
                        } else {
                                assert_int_equal(p->policy, POLICY_SHARED);
                                assert_null(p->vcpu_cpu);
                                assert_true(disjoint(&p->cpus, &h->pool.taken) ||
                                            disjoint(&p->cpus, &h->pool.reserved));
                        }
                        for (unsigned j = 0; j < n_doms; j++)
                                assert_true(p->policy != POLICY_DEDICATED || disjoint(&p->owned, &doms[j]->owned));
                        doms[n_doms++] = p;
                }
                /* 446 non-housekeeping threads: 56 + 80 taken above, 310 left = 155 two-vCPU domains. */
                assert_int_equal(dedicated, 155);
                assert_int_equal(cpuset_count(&h->pool.taken), 446);
                while (n_doms > 0)
                        unplace(h, doms[--n_doms]);
                assert_int_equal(cpuset_count(&h->pool.taken), 0);
                for (unsigned i = 0; i < 8; i++)
                        assert_int_equal(h->pool.node_vcpus[i], 0);
                host_free(h);
        }
}

/* Memory decides too: a domain bigger than any node's free memory spans nodes. */
static void test_memory_bound(void **state) {
        struct host *h = host_new(4, 8, 2, TOPO_SIBLINGS_N_PLUS_CORES, 16 * GIB);
        struct placement *p, *q;
        char buf[32];

        (void) state;
        p = place(h, POLICY_DEDICATED, 4, 24 * GIB);
        check_dedicated(h, p);
        assert_int_equal(__builtin_popcountll(p->nodes), 2);
        assert_true(placement_format_nodes(&h->topo, p, buf, sizeof buf) > 0);
        assert_non_null(strchr(buf, ','));
        /* Spread wants one node with room: 100 GiB fits nowhere, so shared. */
        q = place(h, POLICY_SPREAD, 2, 100 * GIB);
        assert_int_equal(q->policy, POLICY_SHARED);
        assert_non_null(strstr(q->note, "fell back from spread to shared: spread: no node"));
        assert_int_equal(q->nodes, 0);
        unplace(h, q);
        unplace(h, p);
        host_free(h);
}

static void test_spread(void **state) {
        (void) state;
        for (size_t n = 0; n < ELEMENTSOF(numberings); n++) {
                struct host *h = host_new(4, 4, 2, numberings[n], 8 * GIB);
                struct placement *p[8];
                unsigned per_node[4] = {};

                /* Each goes to the least loaded node: two per node after eight. */
                for (unsigned i = 0; i < 8; i++) {
                        int node;

                        p[i] = place(h, POLICY_SPREAD, 2, GIB);
                        assert_int_equal(p[i]->policy, POLICY_SPREAD);
                        assert_int_equal(__builtin_popcountll(p[i]->nodes), 1);
                        node = __builtin_ctzll(p[i]->nodes);
                        per_node[node]++;
                        for (unsigned cpu = 0; cpu < 32; cpu++)
                                if (cpuset_has(&p[i]->cpus, cpu))
                                        assert_int_equal(topology_node_of(&h->topo, cpu), node);
                        assert_true(disjoint(&p[i]->cpus, &h->pool.reserved));
                }
                for (unsigned i = 0; i < 4; i++)
                        assert_int_equal(per_node[i], 2);
                /* Spread never takes dedicated cores. */
                for (unsigned i = 0; i < 8; i++)
                        unplace(h, p[i]);
                host_free(h);
        }
}

/* The topology as read from sysfs. */
struct fake_file {
        const char *path, *text;
};

static const struct fake_file fake_sysfs[] = {
        { "/sys/devices/system/cpu/online", "0-3" },
        { "/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0,2" },
        { "/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "1,3" },
        { "/sys/devices/system/cpu/cpu2/topology/thread_siblings_list", "0,2" },
        { "/sys/devices/system/cpu/cpu3/topology/thread_siblings_list", "1,3" },
        { "/sys/devices/system/cpu/cpu1/topology/physical_package_id", "1" },
        { "/sys/devices/system/cpu/cpu3/topology/physical_package_id", "1" },
        { "/sys/devices/system/node/online", "0-1" },
        { "/sys/devices/system/node/node0/cpulist", "0,2" },
        { "/sys/devices/system/node/node1/cpulist", "1,3" },
        { "/sys/devices/system/node/node0/distance", "10 21" },
        { "/sys/devices/system/node/node1/distance", "21 10" },
        { "/sys/devices/system/node/node0/meminfo", "Node 0 MemTotal:  1000 kB\nNode 0 MemFree:    600 kB" },
        { "/sys/devices/system/node/node1/meminfo", "Node 1 MemTotal:  2000 kB\nNode 1 MemFree:   1500 kB" },
};

static int fake_read(void *userdata, const char *path, char *buf, size_t size) {
        const struct fake_file *files = userdata;

        for (size_t i = 0; i < ELEMENTSOF(fake_sysfs); i++)
                if (streq(files[i].path, path))
                        return snprintf(buf, size, "%s", files[i].text) < (int) size ? 0 : -ENOBUFS;
        return -ENOENT;
}

static void test_sysfs(void **state) {
        struct topology t;

        (void) state;
        assert_int_equal(topology_load(fake_read, (void *) fake_sysfs, &t), 0);
        assert_int_equal(t.n_cores, 2);
        assert_int_equal(t.cores[0].n_threads, 2);
        assert_int_equal(t.cores[0].threads[1], 2);
        assert_int_equal(t.cores[1].package, 1);
        assert_int_equal(t.cores[1].node, 1);
        assert_int_equal(t.n_nodes, 2);
        assert_int_equal(t.nodes[1].free_kib, 1500);
        assert_int_equal(t.nodes[0].total_kib, 1000);
        assert_int_equal(t.nodes[0].distance[1], 21);
        assert_int_equal(topology_node_of(&t, 3), 1);
        assert_int_equal(topology_core_of(&t, 2), 0);
        assert_int_equal(topology_core_of(&t, 7), -1);
        topology_done(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reserve),       cmocka_unit_test(test_one_socket),
                cmocka_unit_test(test_two_cpus),      cmocka_unit_test(test_none),
                cmocka_unit_test(test_big_dedicated), cmocka_unit_test(test_memory_bound),
                cmocka_unit_test(test_spread),        cmocka_unit_test(test_sysfs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
