/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Memory: hugepage backing and free pages, balloon, KSM, locking. */

#include <inttypes.h>
#include <stdio.h>

#include "advise-rules.h"

static uint64_t pages_for(uint64_t kib, uint64_t page_kib) {
        return page_kib ? (kib + page_kib - 1) / page_kib : 0;
}

static int check_hugepages(struct advise_ctx *c) {
        uint64_t size, pages = pages_for(c->dom->memory_kib, c->host->default_hugepagesz_kib);
        char fix[384], sz[32];

        if (advise_domain_hugepages(c->dom, c->host, &size))
                return 0;
        advise_format_kib(c->host->default_hugepagesz_kib, sz, sizeof sz);
        snprintf(fix, sizeof fix, "<memoryBacking><hugepages/></memoryBacking> (virsh edit %s), with %" PRIu64
                 " pages of %s reserved for it: hugepages=%" PRIu64 " on the kernel command line, or sysctl "
                 "vm.nr_hugepages", c->dom->name, pages, sz, pages);
        return advise_emit(c, "memory", "backed by 4 KiB pages", fix);
}

/* The host nodes the domain's memory must come from: a strict numatune
 * nodeset, else any node. */
static bool bound_nodes(const struct advise_ctx *c, struct cpuset *ret, char *buf, size_t size) {
        static const char *const loose[] = { "preferred", "interleave", NULL };
        _cleanup_free_ char *set = domxml_string(&c->dom->xml, NULL, "/domain/numatune/memory/@nodeset");

        if (!set || domxml_is(&c->dom->xml, NULL, "/domain/numatune/memory/@mode", loose) ||
            cpuset_parse(set, ret) < 0)
                return false;
        snprintf(buf, size, "node(s) %s", set);
        return true;
}

static int check_hugepages_free(struct advise_ctx *c) {
        char where[128] = "all nodes", sz[32];
        uint64_t size, need;
        struct cpuset nodes;
        bool bound;
        int64_t free;

        /* A running domain already holds its pages. */
        if (c->dom->active || !advise_domain_hugepages(c->dom, c->host, &size))
                return 0;
        bound = bound_nodes(c, &nodes, where, sizeof where);
        need = pages_for(c->dom->memory_kib, size);
        free = advise_host_free_hugepages(c->host, size, bound ? &nodes : NULL);
        advise_format_kib(size, sz, sizeof sz);
        if (free < 0)
                return advise_emitf(c, "memory", NULL, "needs %" PRIu64 " page(s) of %s; the host has no %s pool",
                                    need, sz, sz);
        if ((uint64_t) free >= need)
                return 0;
        return advise_emitf(c, "memory", NULL, "needs %" PRIu64 " page(s) of %s; %s have %" PRId64 " free", need,
                            sz, where, free);
}

static int check_balloon(struct advise_ctx *c) {
        _cleanup_free_ char *model = domxml_string(&c->dom->xml, NULL, "/domain/devices/memballoon/@model");

        if (model && streq(model, "none"))
                return 0;
        return advise_emitf(c, "memballoon", NULL, "%s%s%s", model ? "model='" : "no <memballoon>: libvirt adds "
                            "a virtio balloon", model ?: "", model ? "'" : "");
}

static int check_nosharepages(struct advise_ctx *c) {
        uint64_t size;

        /* hugetlbfs pages are never merged by KSM. */
        if (domxml_has(&c->dom->xml, NULL, "/domain/memoryBacking/nosharepages") ||
            advise_domain_hugepages(c->dom, c->host, &size))
                return 0;
        return advise_emit(c, "memory", "KSM may merge this guest's pages", NULL);
}

static int check_locked(struct advise_ctx *c) {
        if (domxml_has(&c->dom->xml, NULL, "/domain/memoryBacking/locked"))
                return 0;
        return advise_emit(c, "memory", "guest memory may be swapped out", NULL);
}

static const struct advise_rule rules[] = {
        {
                .id = "mem-hugepages",
                .scope = ADVISE_DOMAIN,
                SEVERITY(OFF, INFO, OFF, WARNING, OFF),
                .check = check_hugepages,
                .message = "hugepages cut TLB misses and page-walk cost for guest memory; reserved hugetlbfs "
                           "pages are also never split or swapped",
                .fix = "<memoryBacking><hugepages/></memoryBacking>, with enough pages reserved; virsh edit DOMAIN",
                .source = SEED_RHEL6 " (§5.2 Huge pages and transparent huge pages); " SEED_KVMOPT " (HugePages)",
        },
        {
                .id = "mem-hugepages-free",
                .scope = ADVISE_DOMAIN,
                SEVERITY(ERROR, ERROR, OFF, ERROR, ERROR),
                .check = check_hugepages_free,
                .message = "the domain asks for more hugepages than are free where its memory must come "
                           "from: it will fail to start",
                .fix = "reserve more: echo N > /sys/devices/system/node/nodeX/hugepages/hugepages-SIZEkB/"
                       "nr_hugepages (or hugepages= on the kernel command line), or bind the domain to a node "
                       "with free pages (<numatune><memory nodeset=.../>)",
                .source = SEED_RHEL6 " (§5.2: the pages guests use must stay below what the host has); " SEED_KVMOPT
                          " (Check HugePage status)",
        },
        {
                .id = "mem-balloon",
                .scope = ADVISE_DOMAIN,
                SEVERITY(OFF, OFF, OFF, WARNING, OFF),
                .check = check_balloon,
                .message = "a balloon lets the host take memory back from a running guest; for latency the "
                           "guest's memory should stay put and fully backed",
                .fix = "<memballoon model='none'/> in <devices>; virsh edit DOMAIN",
                .source = SEED_PERF " (Memory Backing: memory fixed to the guest); libvirt formatdomain "
                          "(memballoon), linked from " SEED_TUNING,
        },
        {
                .id = "mem-nosharepages",
                .scope = ADVISE_DOMAIN,
                SEVERITY(OFF, OFF, OFF, WARNING, OFF),
                .check = check_nosharepages,
                .message = "KSM merging this guest's pages is a side channel between guests, and unmerging "
                           "(copy on write) adds latency spikes",
                .fix = "<memoryBacking><nosharepages/></memoryBacking>; virsh edit DOMAIN",
                .source = SEED_PERF " (Memory Backing: nosharepages; KSM is a security risk); " SEED_GANETI " (KSM)",
        },
        {
                .id = "mem-locked",
                .scope = ADVISE_DOMAIN,
                SEVERITY(OFF, OFF, OFF, INFO, OFF),
                .check = check_locked,
                .message = "unlocked guest memory can be swapped or migrated by the host, a page fault on the "
                           "guest's hot path",
                .fix = "<memoryBacking><locked/></memoryBacking> with <memtune><hard_limit> sized for the guest "
                       "plus QEMU's overhead; virsh edit DOMAIN",
                .source = SEED_PERF " (Memory Backing: locked)",
        },
};

ADVISE_RULES(memory, rules);
