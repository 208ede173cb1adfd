/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [pinning]: where each libvirt domain's vCPUs, emulator threads and memory
 * run, decided as domains start and stop (daemon/placement.h has the
 * policies). A domain may choose its own policy in its XML:
 *   <metadata><kvmtuned:tuning xmlns:kvmtuned="https://kvmtuned.org/xmlns/tuning/1"
 *                              policy="dedicated|spread|shared|none"/></metadata>
 * The plugin only decides: kt_pin_domain() journals the domain's own pinning
 * before changing it, and off, a profile switch or the daemon's exit put it
 * back. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/macro.h"
#include "kvmtuned/plugin.h"
#include "placement.h"
#include "topology.h"

static const struct kt_option options[] = {
        { "policy", KT_OPT_ENUM, .choices = "dedicated|spread|shared|none", .def = "shared",
          .help = "how domains are placed unless their metadata says otherwise" },
        { "reserve", KT_OPT_STRING,
          .help = "housekeeping CPUs (emulator threads, never a dedicated vCPU): a CPU list or 'none'; "
                  "default the first core and its SMT siblings" },
        {}
};

struct placed {
        char *uuid, *name;
        struct placement pl;
};

struct priv {
        struct topology topo;
        bool loaded;
        enum policy policy;
        struct placement_pool pool;
        struct placed **doms;
        size_t n_doms;
};

static int read_host(void *userdata, const char *path, char *buf, size_t size) {
        int r = kt_read_raw(userdata, path, buf, size);

        return r < 0 ? r : 0;
}

static int load_topology(struct kt_ctx *ctx, struct topology *t) {
        return topology_load(read_host, ctx, t);
}

static int probe(struct kt_ctx *ctx) {
        struct topology t;

        if (load_topology(ctx, &t) < 0)
                return kt_unsupported(ctx, "no CPU topology under /sys/devices/system/cpu");
        topology_done(&t);
        return KT_PROBE_SUPPORTED;
}

static void placed_free(struct placed *p) {
        if (!p)
                return;
        placement_done(&p->pl);
        free(p->uuid);
        free(p->name);
        free(p);
}

static void release(struct kt_ctx *ctx) {
        struct priv *s = kt_priv(ctx);

        for (size_t i = 0; i < s->n_doms; i++)
                placed_free(s->doms[i]);
        free(s->doms);
        s->doms = NULL;
        s->n_doms = 0;
        topology_done(&s->topo);
        s->loaded = false;
}

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        struct priv *s = kt_priv(ctx);
        const char *reserve = kt_get(sec, "reserve");
        struct cpuset reserved;
        int r;

        release(ctx);
        r = load_topology(ctx, &s->topo);
        if (r < 0)
                return kt_reject(ctx, "policy", "cannot read the CPU topology");
        s->loaded = true;
        r = placement_reserve(&s->topo, reserve, &reserved);
        if (r == -ENOENT)
                return kt_reject(ctx, "reserve", "names a CPU that is not online");
        if (r == -E2BIG)
                return kt_reject(ctx, "reserve", "leaves no CPU for domains");
        if (r < 0)
                return kt_reject(ctx, "reserve", "not a CPU list or 'none'");
        placement_pool_init(&s->pool, &reserved);
        s->policy = (enum policy) policy_from_string(kt_get(sec, "policy"));
        return 0;
}

static struct placed *find(struct priv *s, const char *uuid, size_t *ret_index) {
        for (size_t i = 0; i < s->n_doms; i++)
                if (streq(s->doms[i]->uuid, uuid)) {
                        if (ret_index)
                                *ret_index = i;
                        return s->doms[i];
                }
        return NULL;
}

static void forget(struct priv *s, const char *uuid) {
        size_t i;
        struct placed *p = find(s, uuid, &i);

        if (!p)
                return;
        placement_release(&s->pool, &p->pl);
        s->doms[i] = s->doms[--s->n_doms];
        placed_free(p);
}

static enum policy domain_policy(struct kt_ctx *ctx, const struct kt_domain *dom) {
        struct priv *s = kt_priv(ctx);
        int p;

        if (!dom->policy)
                return s->policy;
        p = policy_from_string(dom->policy);
        if (p < 0) {
                kt_log(ctx, KT_LOG_WARNING, "domain %s: unknown policy '%s' in its metadata, using %s", dom->name,
                       dom->policy, policy_to_string(s->policy));
                return s->policy;
        }
        return (enum policy) p;
}

/* The strings kt_pin_domain() takes. */
struct pin_text {
        char **vcpus;
        char emulator[1024];
        char nodes[256];
        char cpus[8192];
};

static void pin_text_done(struct pin_text *t, unsigned n) {
        if (!t)
                return;
        for (unsigned i = 0; t->vcpus && i < n; i++)
                free(t->vcpus[i]);
        free(t->vcpus);
        t->vcpus = NULL;
}

static int pin_text_make(const struct topology *topo, const struct placement *pl, struct pin_text *t) {
        *t = (struct pin_text) {};
        if (cpuset_format(&pl->cpus, t->cpus, sizeof t->cpus) < 0 ||
            cpuset_format(&pl->emulator, t->emulator, sizeof t->emulator) < 0)
                return -ENOBUFS;
        /* Memory binding means nothing on a single-node host. */
        if (topo->n_nodes > 1 && placement_format_nodes(topo, pl, t->nodes, sizeof t->nodes) < 0)
                return -ENOBUFS;
        t->vcpus = calloc(pl->n_vcpus, sizeof *t->vcpus);
        if (!t->vcpus)
                return -ENOMEM;
        for (unsigned i = 0; i < pl->n_vcpus; i++) {
                if (pl->vcpu_cpu) {
                        if (asprintf(&t->vcpus[i], "%u", pl->vcpu_cpu[i]) < 0)
                                t->vcpus[i] = NULL;
                } else
                        t->vcpus[i] = strdup(t->cpus);
                if (!t->vcpus[i])
                        return -ENOMEM;
        }
        return 0;
}

static void place(struct kt_ctx *ctx, const struct kt_domain *dom) {
        struct priv *s = kt_priv(ctx);
        struct placement_request req = {
                .policy = domain_policy(ctx, dom),
                .n_vcpus = dom->n_vcpus,
                .memory_kib = dom->memory_kib,
        };
        _cleanup_free_ struct pin_text *text = calloc(1, sizeof *text);
        struct placed *p = NULL, **a;
        int r;

        forget(s, dom->uuid);
        if (req.policy == POLICY_NONE) {
                r = kt_unpin_domain(ctx, dom);
                if (r < 0)
                        kt_log(ctx, KT_LOG_WARNING, "domain %s: cannot restore its own pinning: %s", dom->name,
                               strerror(-r));
                kt_domain_report(ctx, dom, "none", "", "", dom->policy ? "policy none in its metadata" : "");
                return;
        }
        a = realloc(s->doms, (s->n_doms + 1) * sizeof *a);
        if (!a)
                goto oom;
        s->doms = a;
        p = calloc(1, sizeof *p);
        if (!text || !p || !(p->uuid = strdup(dom->uuid)) || !(p->name = strdup(dom->name)))
                goto oom;
        r = placement_compute(&s->topo, &s->pool, &req, &p->pl);
        if (r < 0) {
                kt_log(ctx, KT_LOG_WARNING, "domain %s: cannot place it: %s", dom->name, strerror(-r));
                placed_free(p);
                return;
        }
        r = pin_text_make(&s->topo, &p->pl, text);
        if (r < 0)
                goto oom;
        r = kt_pin_domain(ctx, dom,
                          &(struct kt_pinning) {
                                  .n_vcpus = p->pl.n_vcpus,
                                  .vcpu_cpus = (const char *const *) text->vcpus,
                                  .emulator_cpus = text->emulator,
                                  .memory_nodes = text->nodes[0] ? text->nodes : NULL,
                          });
        if (r < 0) {
                kt_log(ctx, KT_LOG_WARNING, "domain %s: pinning refused, left as it was: %s", dom->name,
                       strerror(-r));
                kt_domain_report(ctx, dom, "none", "", "", "pinning refused");
                pin_text_done(text, p->pl.n_vcpus);
                placed_free(p);
                return;
        }
        placement_commit(&s->pool, &p->pl);
        s->doms[s->n_doms++] = p;
        kt_log(ctx, p->pl.note[0] ? KT_LOG_NOTICE : KT_LOG_INFO, "domain %s: %s on CPUs %s, emulator on %s%s%s%s%s",
               dom->name, policy_to_string(p->pl.policy), text->cpus, text->emulator,
               text->nodes[0] ? ", memory on node(s) " : "", text->nodes, p->pl.note[0] ? "; " : "", p->pl.note);
        kt_domain_report(ctx, dom, policy_to_string(p->pl.policy), text->cpus, text->nodes, p->pl.note);
        pin_text_done(text, p->pl.n_vcpus);
        return;
oom:
        pin_text_done(text, p ? p->pl.n_vcpus : 0);
        placed_free(p);
        kt_log(ctx, KT_LOG_ERR, "domain %s: out of memory", dom->name);
}

static void on_domain(struct kt_ctx *ctx, const struct kt_domain *dom, enum kt_domain_event event) {
        struct priv *s = kt_priv(ctx);

        if (!s->loaded)
                return;
        if (event == KT_DOMAIN_STARTED)
                place(ctx, dom);
        else
                forget(s, dom->uuid);
}

static void status(struct kt_ctx *ctx, struct kt_status *st) {
        struct priv *s = kt_priv(ctx);
        unsigned count[_POLICY_MAX] = {};
        char buf[8192];

        if (!s->loaded)
                return;
        for (size_t i = 0; i < s->n_doms; i++)
                count[s->doms[i]->pl.policy]++;
        kt_status_add(st, "policy", "%s", policy_to_string(s->policy));
        if (cpuset_format(&s->pool.reserved, buf, sizeof buf) >= 0)
                kt_status_add(st, "housekeeping", "%s", buf[0] ? buf : "(none)");
        kt_status_add(st, "domains", "%zu placed: %u dedicated, %u spread, %u shared", s->n_doms,
                      count[POLICY_DEDICATED], count[POLICY_SPREAD], count[POLICY_SHARED]);
        for (size_t i = 0; i < s->n_doms; i++) {
                const struct placed *p = s->doms[i];
                if (placement_describe(&s->topo, &p->pl, buf, sizeof buf) >= 0)
                        kt_status_add(st, "domain", "%s: %s", p->name, buf);
                if (p->pl.note[0])
                        kt_status_add(st, "fallback", "%s: %s", p->name, p->pl.note);
        }
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "pinning",
        .summary = "per-domain vCPU, emulator and memory placement (dedicated, spread, shared)",
        .options = options,
        .priv_size = sizeof(struct priv),
        .probe = probe,
        .apply = apply,
        .on_domain = on_domain,
        .status = status,
        .release = release,
};
