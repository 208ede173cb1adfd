/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Placement compute time: 200 domains onto a fake 8-node, 448-CPU host
 * (28 cores x 2 threads per node), a mix of dedicated, spread and shared
 * requests of 4 to 8 vCPUs (more than the host has for dedicated, so many
 * fall back), placed one after another as they would start; repeated, and
 * reported per domain and per full host. A benchmark, not a test. */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "placement.h"
#include "timing.h"
#include "topology.h"

#define DOMAINS 200
#define ROUNDS  50

int main(void) {
        static struct placement placed[DOMAINS];
        static double each[DOMAINS * ROUNDS];
        double total = 0, worst_round = 0;
        unsigned fell_back = 0;
        struct topology t;
        struct cpuset reserved;

        if (topology_synthetic(8, 28, 2, TOPO_SIBLINGS_N_PLUS_CORES, UINT64_C(256) << 20, &t) < 0 ||
            placement_reserve(&t, NULL, &reserved) < 0)
                return EXIT_FAILURE;
        for (unsigned round = 0; round < ROUNDS; round++) {
                struct placement_pool pool;
                double start = now_us(), took;

                placement_pool_init(&pool, &reserved);
                for (unsigned i = 0; i < DOMAINS; i++) {
                        struct placement_request req = {
                                .policy = i % 4 == 3 ? POLICY_SHARED : i % 4 == 2 ? POLICY_SPREAD : POLICY_DEDICATED,
                                .n_vcpus = 4 + 2 * (i % 3),
                                .memory_kib = (UINT64_C(1) << 20) * (1 + i % 8),
                        };
                        double t0 = now_us();

                        if (placement_compute(&t, &pool, &req, &placed[i]) < 0)
                                return EXIT_FAILURE;
                        each[round * DOMAINS + i] = now_us() - t0;
                        placement_commit(&pool, &placed[i]);
                        fell_back += round == 0 && placed[i].policy != req.policy;
                }
                took = now_us() - start;
                total += took;
                if (took > worst_round)
                        worst_round = took;
                for (unsigned i = 0; i < DOMAINS; i++)
                        placement_done(&placed[i]);
        }
        qsort(each, DOMAINS * ROUNDS, sizeof *each, cmp_double);
        printf("placement, 448 CPUs / 8 nodes, %d domains (%u fell back), %d rounds:\n", DOMAINS, fell_back, ROUNDS);
        printf("  per domain: p50 %.1f us, p99 %.1f us, max %.1f us\n", each[DOMAINS * ROUNDS / 2],
               each[DOMAINS * ROUNDS * 99 / 100], each[DOMAINS * ROUNDS - 1]);
        printf("  all %d domains: mean %.2f ms, worst %.2f ms\n", DOMAINS, total / ROUNDS / 1000.0, worst_round / 1000.0);
        topology_done(&t);
        return EXIT_SUCCESS;
}
