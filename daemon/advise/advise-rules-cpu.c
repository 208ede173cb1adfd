/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* CPU: model, migration, topology against SMT pinning, L3 cache, NUMA. */

#include "advise-rules.h"

static const char *const host_modes[] = { "host-passthrough", "host-model", "maximum", NULL };

static int check_model(struct advise_ctx *c) {
        _cleanup_free_ char *mode = domxml_string(&c->dom->xml, NULL, "/domain/cpu/@mode");
        _cleanup_free_ char *name = domxml_string(&c->dom->xml, NULL, "/domain/cpu/model");

        if (!domxml_has(&c->dom->xml, NULL, "/domain/cpu"))
                return advise_emit(c, "cpu", "no <cpu>: QEMU's generic model without the host's features", NULL);
        if (domxml_is(&c->dom->xml, NULL, "/domain/cpu/@mode", host_modes))
                return 0;
        return advise_emitf(c, "cpu", NULL, "mode='%s'%s%s", mode ?: "custom", name ? " model " : "", name ?: "");
}

static int check_migration(struct advise_ctx *c) {
        static const char *const passthrough[] = { "host-passthrough", NULL };

        if (!domxml_is(&c->dom->xml, NULL, "/domain/cpu/@mode", passthrough))
                return 0;
        return advise_emit(c, "cpu", "mode='host-passthrough'", NULL);
}

/* Whether each group of size consecutive vCPUs sits on the SMT siblings
 * of one core; *bad gets the first vCPU of the first group that does not. */
static bool groups_on_cores(const struct advise_ctx *c, unsigned size, unsigned *bad) {
        for (unsigned g = 0; g + size <= c->dom->vcpus; g += size) {
                struct cpuset sib;

                advise_host_siblings(c->host, (unsigned) c->dom->pin[g], &sib);
                for (unsigned k = 1; k < size; k++)
                        if (c->dom->pin[g + k] == c->dom->pin[g] || !cpuset_has(&sib, (unsigned) c->dom->pin[g + k])) {
                                *bad = g;
                                return false;
                        }
        }
        return true;
}

static int check_topology(struct advise_ctx *c) {
        unsigned threads = (unsigned) domxml_uint(&c->dom->xml, NULL, "/domain/cpu/topology/@threads", 1);
        unsigned host_threads, bad = 0;
        struct cpuset sib;
        char fix[384];

        /* Only a domain whose every vCPU has a CPU of its own. */
        if (c->dom->vcpus < 2)
                return 0;
        for (unsigned v = 0; v < c->dom->vcpus; v++)
                if (c->dom->pin[v] < 0)
                        return 0;
        advise_host_siblings(c->host, (unsigned) c->dom->pin[0], &sib);
        host_threads = cpuset_count(&sib);

        if (threads <= 1) {
                if (host_threads < 2 || c->dom->vcpus % host_threads || !groups_on_cores(c, host_threads, &bad))
                        return 0;
                snprintf(fix, sizeof fix, "<cpu ...><topology sockets='1' dies='1' cores='%u' threads='%u'/></cpu>; "
                         "virsh edit %s", c->dom->vcpus / host_threads, host_threads, c->dom->name);
                return advise_emitf(c, "cpu topology", fix,
                                    "vCPUs are pinned in groups of %u on SMT sibling threads, but the guest "
                                    "sees %u independent cores", host_threads, c->dom->vcpus);
        }
        if (groups_on_cores(c, threads, &bad))
                return 0;
        snprintf(fix, sizeof fix, "pin each group of %u vCPUs on one core's sibling threads (virsh vcpupin %s "
                 "VCPU CPU, siblings in /sys/devices/system/cpu/cpuN/topology/thread_siblings_list), or "
                 "<topology ... threads='1'/>", threads, c->dom->name);
        return advise_emitf(c, "cpu topology", fix,
                            "threads='%u', but vCPUs %u-%u are not pinned on the sibling threads of one core "
                            "(vCPU %u is on CPU %d)", threads, bad, bad + threads - 1, bad, c->dom->pin[bad]);
}

static int check_l3_cache(struct advise_ctx *c) {
        static const char *const passthrough[] = { "host-passthrough", NULL };
        const char *fix;

        if (domxml_has(&c->dom->xml, NULL, "/domain/cpu/cache[@mode='passthrough' or @level='3']") ||
            domxml_has(&c->dom->xml, NULL, "/domain/qemu:commandline/qemu:arg[contains(@value, 'l3-cache=on')]"))
                return 0;
        fix = domxml_is(&c->dom->xml, NULL, "/domain/cpu/@mode", passthrough) ?
                "<cpu mode='host-passthrough'><cache mode='passthrough'/></cpu>; virsh edit DOMAIN" :
                "<cpu ...><cache level='3' mode='emulate'/></cpu>; virsh edit DOMAIN";
        return advise_emit(c, "cpu cache", "no <cache> in <cpu>", fix);
}

static int check_numa_span(struct advise_ctx *c) {
        unsigned node_cpus = advise_host_max_node_cpus(c->host), nodes = 0;

        for (unsigned n = 0; n < c->host->n_nodes; n++)
                nodes += c->host->node_exists[n];
        if (nodes < 2 || c->dom->vcpus <= node_cpus || domxml_has(&c->dom->xml, NULL, "/domain/cpu/numa/cell"))
                return 0;
        return advise_emitf(c, "cpu numa", NULL, "%u vCPUs, the largest host NUMA node has %u CPUs",
                            c->dom->vcpus, node_cpus);
}

static int check_overcommit(struct advise_ctx *c) {
        if (c->host->online_cpus == 0 || c->dom->vcpus <= c->host->online_cpus)
                return 0;
        return advise_emitf(c, "vcpu", NULL, "%u vCPUs on a host with %u CPUs", c->dom->vcpus,
                            c->host->online_cpus);
}

static const struct advise_rule rules[] = {
        {
                .id = "cpu-model",
                .scope = ADVISE_DOMAIN,
                SEVERITY(INFO, WARNING, OFF, WARNING, INFO),
                .check = check_model,
                .message = "a generic or named CPU model hides host features (AES-NI, AVX…) that speed up "
                           "crypto and vector work; copying the host CPU is recommended",
                .fix = "<cpu mode='host-passthrough' check='none' migratable='on'/> (or <cpu mode='host-model'/> "
                       "where guests migrate across CPU generations); virsh edit DOMAIN",
                .source = SEED_GANETI " (Host CPU); " SEED_RHEL6 " (§2.3.2 CPU configuration: copy the host CPU)",
        },
        {
                .id = "cpu-passthrough-migration",
                .scope = ADVISE_DOMAIN,
                SEVERITY(INFO, INFO, OFF, OFF, INFO),
                .check = check_migration,
                .message = "host-passthrough exposes this host's exact CPU: live migration to a host with a "
                           "different CPU can crash the guest",
                .fix = "migrate only between hosts with the same CPU model, or use <cpu mode='host-model'/> (or "
                       "a named model every host has); virsh edit DOMAIN",
                .source = SEED_GANETI " (Host CPU: live migration between two different CPU types)",
        },
        {
                .id = "cpu-topology-smt",
                .scope = ADVISE_DOMAIN,
                SEVERITY(INFO, INFO, OFF, WARNING, OFF),
                .check = check_topology,
                .message = "the guest topology does not match how its vCPUs are pinned on SMT siblings, so the "
                           "guest scheduler misjudges which vCPUs share a core",
                .fix = "<topology sockets='1' dies='1' cores='N' threads='2'/> with vCPU pairs pinned on sibling "
                       "pairs; virsh edit DOMAIN",
                .source = SEED_PERF " (CPU Pinning: pair the two threads of one core); " SEED_RHEL6
                          " (§2.3.3 CPU topology)",
        },
        {
                .id = "cpu-l3-cache",
                .scope = ADVISE_DOMAIN,
                SEVERITY(OFF, OFF, OFF, WARNING, OFF),
                .check = check_l3_cache,
                .message = "without an L3 cache in its CPU description the guest scheduler wakes idle vCPUs "
                           "with IPIs instead of sharing work over the cache",
                .fix = "<cpu ...><cache level='3' mode='emulate'/></cpu>; virsh edit DOMAIN",
                .source = SEED_PERF " (Enable L3 Caching: host,l3-cache=on)",
        },
        {
                .id = "cpu-numa-span",
                .scope = ADVISE_DOMAIN,
                SEVERITY(WARNING, WARNING, OFF, WARNING, INFO),
                .check = check_numa_span,
                .message = "the guest has more vCPUs than one host NUMA node but sees a single node: its "
                           "memory is remote for some vCPUs and it cannot place it well",
                .fix = "<cpu><numa><cell id='0' cpus='...' memory='...'/>...</numa></cpu>, one cell per host node "
                       "used, with <numatune><memnode cellid='0' mode='strict' nodeset='0'/>...; virsh edit DOMAIN",
                .source = SEED_RHEL6 " (§2.3.4 warning: more vCPUs than one NUMA node; §7 NUMA)",
        },
        {
                .id = "cpu-overcommit",
                .scope = ADVISE_DOMAIN,
                SEVERITY(WARNING, WARNING, OFF, ERROR, WARNING),
                .check = check_overcommit,
                .message = "one guest with more vCPUs than the host has CPUs: its vCPUs preempt each other, "
                           "and spinlock holders get descheduled",
                .fix = "virsh setvcpus DOMAIN N --config --maximum, with N at most the host's CPUs",
                .source = SEED_RHEL6 " (§2.3.1 CPU overcommit warning)",
        },
};

ADVISE_RULES(cpu, rules);
