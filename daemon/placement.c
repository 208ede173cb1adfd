/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/macro.h"
#include "placement.h"

static const char *const policy_names[_POLICY_MAX] = {
        [POLICY_NONE] = "none",
        [POLICY_SHARED] = "shared",
        [POLICY_SPREAD] = "spread",
        [POLICY_DEDICATED] = "dedicated",
};

const char *policy_to_string(enum policy p) {
        return p < _POLICY_MAX ? policy_names[p] : NULL;
}

int policy_from_string(const char *s) {
        for (int i = 0; s && i < _POLICY_MAX; i++)
                if (streq(s, policy_names[i]))
                        return i;
        return -EINVAL;
}

int placement_reserve(const struct topology *t, const char *spec, struct cpuset *ret) {
        *ret = (struct cpuset) {};
        if (!spec || !*spec) {
                const struct topo_core *first = NULL;

                for (unsigned c = 0; c < t->n_cores; c++)
                        if (!first || t->cores[c].threads[0] < first->threads[0])
                                first = &t->cores[c];
                for (unsigned k = 0; first && k < first->n_threads; k++)
                        cpuset_add(ret, first->threads[k]);
                return 0;
        }
        if (streq(spec, "none"))
                return 0;
        if (cpuset_parse(spec, ret) < 0)
                return -EINVAL;
        for (unsigned cpu = 0; cpu < CPUS_MAX; cpu++)
                if (cpuset_has(ret, cpu) && !cpuset_has(&t->online, cpu))
                        return -ENOENT;
        /* Keeping every CPU for housekeeping leaves nothing to place on. */
        if (cpuset_count(ret) >= cpuset_count(&t->online))
                return -E2BIG;
        return 0;
}

void placement_pool_init(struct placement_pool *pool, const struct cpuset *reserved) {
        *pool = (struct placement_pool) {};
        if (reserved)
                pool->reserved = *reserved;
}

void placement_done(struct placement *p) {
        free(p->vcpu_cpu);
        p->vcpu_cpu = NULL;
}

static void note_add(struct placement *p, const char *fmt, ...) _printf_(2, 3);
static void note_add(struct placement *p, const char *fmt, ...) {
        size_t len = strlen(p->note);
        va_list ap;

        if (len > 0 && len + 2 < sizeof p->note) {
                memcpy(p->note + len, "; ", 3);
                len += 2;
        }
        va_start(ap, fmt);
        (void) vsnprintf(p->note + len, sizeof p->note - len, fmt, ap);
        va_end(ap);
}

static bool core_free(const struct topology *t, const struct placement_pool *pool, unsigned c) {
        const struct topo_core *core = &t->cores[c];

        for (unsigned k = 0; k < core->n_threads; k++)
                if (cpuset_has(&pool->reserved, core->threads[k]) || cpuset_has(&pool->taken, core->threads[k]))
                        return false;
        return true;
}

static uint64_t node_avail_kib(const struct topology *t, const struct placement_pool *pool, unsigned i) {
        uint64_t used = pool->node_kib[i], free_kib = t->nodes[i].free_kib;

        return free_kib > used ? free_kib - used : 0;
}

static void emulator_on_housekeeping(const struct topology *t, const struct placement_pool *pool,
                                     struct placement *p) {
        bool any = false;

        for (unsigned i = 0; i < CPUS_MAX / 64; i++) {
                p->emulator.bits[i] = pool->reserved.bits[i] & t->online.bits[i];
                any = any || p->emulator.bits[i];
        }
        if (!any)
                p->emulator = p->cpus;
}

/* The nodes a dedicated domain takes, in the order to take cores from:
 * one node when one fits (the tightest fit), else the fewest, closest. */
static unsigned choose_dedicated_nodes(const struct topology *t, const struct placement_pool *pool,
                                       const unsigned *free_threads, const struct placement_request *req,
                                       unsigned *ret) {
        unsigned best = UINT32_MAX, best_left = UINT32_MAX;
        unsigned best_n = 0, best_dist = UINT32_MAX;
        unsigned order[TOPO_MAX_NODES];

        for (unsigned i = 0; i < t->n_nodes; i++)
                if (free_threads[i] >= req->n_vcpus && node_avail_kib(t, pool, i) >= req->memory_kib &&
                    free_threads[i] - req->n_vcpus < best_left) {
                        best = i;
                        best_left = free_threads[i] - req->n_vcpus;
                }
        if (best != UINT32_MAX) {
                ret[0] = best;
                return 1;
        }

        for (unsigned s = 0; s < t->n_nodes; s++) {
                unsigned n = 0, threads = 0, dist = 0;
                uint64_t kib = 0;

                if (free_threads[s] == 0)
                        continue;
                /* Nodes by distance from s, then by most free threads. */
                for (unsigned i = 0; i < t->n_nodes; i++)
                        order[n++] = i;
                for (unsigned i = 1; i < n; i++)
                        for (unsigned j = i; j > 0; j--) {
                                unsigned a = order[j - 1], b = order[j];
                                unsigned da = a == s ? 0 : t->nodes[s].distance[a];
                                unsigned db = b == s ? 0 : t->nodes[s].distance[b];
                                if (da < db || (da == db && free_threads[a] >= free_threads[b]))
                                        break;
                                order[j - 1] = b;
                                order[j] = a;
                        }
                n = 0;
                for (unsigned i = 0; i < t->n_nodes && (threads < req->n_vcpus || kib < req->memory_kib); i++) {
                        unsigned node = order[i];
                        if (free_threads[node] == 0)
                                continue;
                        threads += free_threads[node];
                        kib += node_avail_kib(t, pool, node);
                        dist += t->nodes[s].distance[node];
                        order[n++] = node;
                }
                if (threads < req->n_vcpus || kib < req->memory_kib)
                        continue;
                if (n < best_n || best_n == 0 || (n == best_n && dist < best_dist)) {
                        best_n = n;
                        best_dist = dist;
                        memcpy(ret, order, n * sizeof *ret);
                }
        }
        return best_n;
}

static int place_dedicated(const struct topology *t, const struct placement_pool *pool,
                           const struct placement_request *req, struct placement *p) {
        unsigned free_threads[TOPO_MAX_NODES] = {}, nodes[TOPO_MAX_NODES];
        unsigned n_nodes, total = 0, v = 0;
        uint64_t left = req->memory_kib;

        for (unsigned c = 0; c < t->n_cores; c++)
                if (core_free(t, pool, c))
                        free_threads[t->cores[c].node] += t->cores[c].n_threads;
        for (unsigned i = 0; i < t->n_nodes; i++)
                total += free_threads[i];

        n_nodes = choose_dedicated_nodes(t, pool, free_threads, req, nodes);
        if (n_nodes == 0) {
                if (total < req->n_vcpus)
                        note_add(p, "dedicated: %u vCPU(s) wanted, %u CPU(s) free on whole cores", req->n_vcpus,
                                 total);
                else
                        note_add(p, "dedicated: no nodes with %u free CPU(s) have %llu KiB free", req->n_vcpus,
                                 (unsigned long long) req->memory_kib);
                return -ENOSPC;
        }

        p->vcpu_cpu = calloc(req->n_vcpus, sizeof *p->vcpu_cpu);
        if (!p->vcpu_cpu)
                return -ENOMEM;
        for (unsigned k = 0; k < n_nodes && v < req->n_vcpus; k++)
                for (unsigned c = 0; c < t->n_cores && v < req->n_vcpus; c++) {
                        const struct topo_core *core = &t->cores[c];

                        if (core->node != nodes[k] || !core_free(t, pool, c))
                                continue;
                        /* Whole cores: an odd vCPU's idle sibling stays ours. */
                        for (unsigned j = 0; j < core->n_threads; j++) {
                                cpuset_add(&p->owned, core->threads[j]);
                                if (v < req->n_vcpus) {
                                        p->vcpu_cpu[v++] = core->threads[j];
                                        cpuset_add(&p->cpus, core->threads[j]);
                                        p->node_vcpus[core->node]++;
                                }
                        }
                }
        /* Memory strict to the chosen nodes, charged in the order they were chosen. */
        for (unsigned k = 0; k < n_nodes && left > 0; k++) {
                unsigned i = nodes[k];
                uint64_t avail = node_avail_kib(t, pool, i);

                p->nodes |= UINT64_C(1) << i;
                p->node_kib[i] = k + 1 == n_nodes || avail > left ? left : avail;
                left -= p->node_kib[i];
        }
        for (unsigned k = 0; k < n_nodes; k++)
                if (p->node_vcpus[nodes[k]] > 0)
                        p->nodes |= UINT64_C(1) << nodes[k];
        p->policy = POLICY_DEDICATED;
        return 0;
}

static int place_spread(const struct topology *t, const struct placement_pool *pool,
                        const struct placement_request *req, struct placement *p) {
        _cleanup_free_ struct cpuset *usable = malloc(sizeof *usable);
        unsigned best = UINT32_MAX, best_cnt = 0;
        uint64_t best_avail = 0;

        if (!usable)
                return -ENOMEM;
        for (unsigned i = 0; i < t->n_nodes; i++) {
                unsigned cnt = 0;
                uint64_t avail = node_avail_kib(t, pool, i);

                for (unsigned w = 0; w < CPUS_MAX / 64; w++)
                        cnt += (unsigned) __builtin_popcountll(t->nodes[i].cpus.bits[w] & ~pool->reserved.bits[w] &
                                                               ~pool->taken.bits[w]);
                if (cnt < req->n_vcpus || avail < req->memory_kib)
                        continue;
                /* Least loaded after placing: compare (load+n)/cnt by cross-multiplying. */
                if (best != UINT32_MAX) {
                        uint64_t a = (uint64_t) (pool->node_vcpus[i] + req->n_vcpus) * best_cnt;
                        uint64_t b = (uint64_t) (pool->node_vcpus[best] + req->n_vcpus) * cnt;
                        if (a > b || (a == b && avail <= best_avail))
                                continue;
                }
                best = i;
                best_cnt = cnt;
                best_avail = avail;
        }
        if (best == UINT32_MAX) {
                note_add(p, "spread: no node has %u free CPU(s) and %llu KiB", req->n_vcpus,
                         (unsigned long long) req->memory_kib);
                return -ENOSPC;
        }
        for (unsigned w = 0; w < CPUS_MAX / 64; w++)
                p->cpus.bits[w] = t->nodes[best].cpus.bits[w] & ~pool->reserved.bits[w] & ~pool->taken.bits[w];
        p->nodes = UINT64_C(1) << best;
        p->node_vcpus[best] = req->n_vcpus;
        p->node_kib[best] = req->memory_kib;
        p->policy = POLICY_SPREAD;
        return 0;
}

static void place_shared(const struct topology *t, const struct placement_pool *pool, struct placement *p) {
        for (unsigned w = 0; w < CPUS_MAX / 64; w++)
                p->cpus.bits[w] = t->online.bits[w] & ~pool->reserved.bits[w] & ~pool->taken.bits[w];
        if (cpuset_count(&p->cpus) == 0) {
                note_add(p, "shared: no free non-housekeeping CPU, floating on housekeeping");
                for (unsigned w = 0; w < CPUS_MAX / 64; w++)
                        p->cpus.bits[w] = t->online.bits[w] & ~pool->taken.bits[w];
        }
        p->policy = POLICY_SHARED;
}

int placement_compute(const struct topology *t, const struct placement_pool *pool,
                      const struct placement_request *req, struct placement *ret) {
        struct placement *p = ret;
        int r = -ENOSPC;

        *p = (struct placement) { .policy = POLICY_NONE, .n_vcpus = req->n_vcpus };
        if (req->n_vcpus == 0)
                return -EINVAL;
        if (req->policy == POLICY_NONE)
                return 0;
        if (req->policy >= POLICY_DEDICATED)
                r = place_dedicated(t, pool, req, p);
        if (r == -ENOSPC && req->policy >= POLICY_SPREAD)
                r = place_spread(t, pool, req, p);
        if (r == -ENOSPC) {
                place_shared(t, pool, p);
                r = 0;
        }
        if (r < 0) {
                placement_done(p);
                return r;
        }
        if (p->policy != req->policy) {
                char why[sizeof p->note];
                size_t len, n;

                memcpy(why, p->note, sizeof why);
                snprintf(p->note, sizeof p->note, "fell back from %s to %s: ", policy_to_string(req->policy),
                         policy_to_string(p->policy));
                len = strlen(p->note);
                n = strnlen(why, sizeof why);
                if (n > sizeof p->note - len - 1)
                        n = sizeof p->note - len - 1;
                memcpy(p->note + len, why, n);
                p->note[len + n] = '\0';
        }
        emulator_on_housekeeping(t, pool, p);
        return 0;
}

void placement_commit(struct placement_pool *pool, const struct placement *p) {
        for (unsigned w = 0; w < CPUS_MAX / 64; w++)
                pool->taken.bits[w] |= p->owned.bits[w];
        for (unsigned i = 0; i < TOPO_MAX_NODES; i++) {
                pool->node_vcpus[i] += p->node_vcpus[i];
                pool->node_kib[i] += p->node_kib[i];
        }
}

void placement_release(struct placement_pool *pool, const struct placement *p) {
        for (unsigned w = 0; w < CPUS_MAX / 64; w++)
                pool->taken.bits[w] &= ~p->owned.bits[w];
        for (unsigned i = 0; i < TOPO_MAX_NODES; i++) {
                pool->node_vcpus[i] -= pool->node_vcpus[i] < p->node_vcpus[i] ? pool->node_vcpus[i] : p->node_vcpus[i];
                pool->node_kib[i] -= pool->node_kib[i] < p->node_kib[i] ? pool->node_kib[i] : p->node_kib[i];
        }
}

int placement_format_nodes(const struct topology *t, const struct placement *p, char *buf, size_t size) {
        size_t len = 0;

        if (size == 0)
                return -ENOBUFS;
        buf[0] = '\0';
        for (unsigned i = 0; i < t->n_nodes && i < 64; i++) {
                int k;

                if (!(p->nodes & (UINT64_C(1) << i)))
                        continue;
                k = snprintf(buf + len, size - len, "%s%u", len ? "," : "", t->nodes[i].id);
                if (k < 0 || (size_t) k >= size - len)
                        return -ENOBUFS;
                len += (size_t) k;
        }
        return (int) len;
}

int placement_describe(const struct topology *t, const struct placement *p, char *buf, size_t size) {
        char set[4096], nodes[256];
        size_t len;
        int k;

        k = snprintf(buf, size, "%s, vCPU", policy_to_string(p->policy));
        if (k < 0 || (size_t) k >= size)
                return -ENOBUFS;
        len = (size_t) k;
        if (p->vcpu_cpu)
                for (unsigned v = 0; v < p->n_vcpus; v++) {
                        k = snprintf(buf + len, size - len, " %u:%u", v, p->vcpu_cpu[v]);
                        if (k < 0 || (size_t) k >= size - len)
                                return -ENOBUFS;
                        len += (size_t) k;
                }
        else {
                if (cpuset_format(&p->cpus, set, sizeof set) < 0)
                        return -ENOBUFS;
                k = snprintf(buf + len, size - len, "s on %s", set);
                if (k < 0 || (size_t) k >= size - len)
                        return -ENOBUFS;
                len += (size_t) k;
        }
        if (cpuset_format(&p->emulator, set, sizeof set) < 0 || placement_format_nodes(t, p, nodes, sizeof nodes) < 0)
                return -ENOBUFS;
        k = snprintf(buf + len, size - len, ", emulator %s, memory %s%s", set, nodes[0] ? "node " : "",
                     nodes[0] ? nodes : "anywhere");
        return k < 0 || (size_t) k >= size - len ? -ENOBUFS : 0;
}
