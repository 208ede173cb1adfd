/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The advise rule table. A rule is one entry: its id, its severity under
 * each profile, the check, the message and the fix, and the source of the
 * advice. Each area (disk, network, CPU, memory, host) keeps its entries
 * next to their checks, so adding a rule touches one place. */

#include <stdbool.h>
#include <stdint.h>

#include "advise-host.h"
#include "advise-xml.h"
#include "advise.h"
#include "cpulist.h"

struct advise_domain {
        char *name;
        bool active;                    /* running: its XML has an id */
        unsigned vcpus;                 /* current vCPUs */
        uint64_t memory_kib;
        struct domxml xml;
        /* vcpu -> the one host CPU it is pinned to, -1 when floating or on several. */
        int *pin;
        struct cpuset pinned;           /* the CPUs vCPUs are pinned 1:1 to */
};

/* What a check sees. Domain rules get dom; host rules get dom NULL and
 * every audited domain in doms (the dedicated CPUs, who uses hugepages). */
struct advise_ctx {
        const struct advise_rule *rule;
        enum advise_severity severity;
        const struct advise_host *host;
        const struct advise_domain *dom;
        const struct advise_domain *doms;
        size_t n_doms;
        struct advise_report *report;
};

enum advise_scope {
        ADVISE_DOMAIN,
        ADVISE_HOST,
};

struct advise_rule {
        const char *id;
        enum advise_scope scope;
        /* Indexed by enum advise_profile: default, virtual-host,
         * virtual-guest, latency, density. */
        enum advise_severity severity[_ADVISE_PROFILE_MAX];
        /* Calls advise_emit() once per case found; a negative errno on failure. */
        int (*check)(struct advise_ctx *c);
        const char *message;            /* why it matters */
        const char *fix;                /* the general fix, when a case gives none */
        const char *source;             /* where the advice comes from */
};

#define SEVERITY(def, host, guest, latency, density)                    \
        .severity = { [ADVISE_DEFAULT] = ADVISE_##def, [ADVISE_VIRTUAL_HOST] = ADVISE_##host, \
                      [ADVISE_VIRTUAL_GUEST] = ADVISE_##guest, [ADVISE_LATENCY] = ADVISE_##latency, \
                      [ADVISE_DENSITY] = ADVISE_##density }

/* Record one case: subject names what ("disk vda"), detail (may be NULL)
 * is appended to the rule's message, fix (may be NULL for the rule's) is
 * this case's concrete fix. */
int advise_emit(struct advise_ctx *c, const char *subject, const char *detail, const char *fix);
int advise_emitf(struct advise_ctx *c, const char *subject, const char *fix, const char *detail_fmt, ...)
        _printf_(4, 5);

/* Helpers the checks share. */
#define ADVISE_SUBJECT_MAX 128
/* "disk vda", "interface 52:54:00:12:34:56": what a device is called in a finding. */
void advise_device_subject(const struct advise_domain *d, xmlNodePtr dev, char *buf, size_t size);
/* Call f for each node expr selects in the domain, with its subject. */
int advise_each(struct advise_ctx *c, const char *expr,
                int (*f)(struct advise_ctx *c, xmlNodePtr node, const char *subject));
/* Whether a domain uses hugepages, and of which size (KiB). */
bool advise_domain_hugepages(const struct advise_domain *d, const struct advise_host *h, uint64_t *ret_size_kib);
/* The host CPUs some domain's vCPUs are pinned to one each. */
void advise_dedicated_cpus(const struct advise_ctx *c, struct cpuset *ret);
/* "2 GiB", "1048576 KiB" */
void advise_format_kib(uint64_t kib, char *buf, size_t size);

struct advise_rules {
        const struct advise_rule *rules;
        size_t n;
};

extern const struct advise_rules advise_rules_disk, advise_rules_net, advise_rules_cpu, advise_rules_memory,
        advise_rules_host;

/* Every area's table, in report order. */
extern const struct advise_rules *const advise_rule_tables[];
extern const size_t advise_n_rule_tables;

#define ADVISE_RULES(area, table) \
        const struct advise_rules advise_rules_##area = { table, ELEMENTSOF(table) }

/* The reference notes the advice comes from (../shared/seeds in the
 * project's notes), cited by each rule's source. */
#define SEED_TUNING  "seeds/000_1f0f17e8b20fe73d.txt"   /* KVM tuning notes */
#define SEED_KVMOPT  "seeds/001_41444d9798802583.txt"   /* KVM Optimization (OpenStack) */
#define SEED_RHEL6   "seeds/002_3678bc2d30f0d46e.txt"   /* RHEL 6 Virtualization Tuning Guide */
#define SEED_GANETI  "seeds/003_adc1ca3263f1224c.txt"   /* Ganeti performance notes */
#define SEED_PERF    "seeds/004_0534c25686e8e9e3.txt"   /* Performance optimization notes */
