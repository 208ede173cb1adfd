/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The host: kernel command line for dedicated CPUs, IOMMU and hugepages,
 * irqbalance, and the daemons that fight kvmtuned. */

#include <inttypes.h>
#include <stdio.h>

#include "advise-rules.h"

#define GRUB "GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub (grub2-mkconfig) and reboot"

/* The dedicated CPUs not in covered; false when there are none. */
static bool uncovered(const struct advise_ctx *c, const struct cpuset *covered, struct cpuset *ret, char *dedicated,
                      size_t size) {
        struct cpuset all;
        bool any = false;

        advise_dedicated_cpus(c, &all);
        for (size_t k = 0; k < ELEMENTSOF(all.bits); k++) {
                ret->bits[k] = all.bits[k] & ~covered->bits[k];
                any = any || ret->bits[k];
        }
        if (cpuset_format(&all, dedicated, size) < 0)
                snprintf(dedicated, size, "(too many to list)");
        return any;
}

/* fix is "<before><the dedicated CPUs><after>". */
static int check_cmdline_cpus(struct advise_ctx *c, const char *param, const struct cpuset *have, const char *before,
                              const char *after) {
        char dedicated[512], missing[512], fix[768];
        struct cpuset m;

        if (!uncovered(c, have, &m, dedicated, sizeof dedicated))
                return 0;
        (void) cpuset_format(&m, missing, sizeof missing);
        snprintf(fix, sizeof fix, "%s%s%s", before, dedicated, after);
        return advise_emitf(c, "kernel command line", fix, "dedicated CPUs %s; %s not in %s=", dedicated, missing,
                            param);
}

static int check_isolcpus(struct advise_ctx *c) {
        return check_cmdline_cpus(c, "isolcpus", &c->host->isolcpus, "add isolcpus=managed_irq,domain,",
                                  " to the kernel command line: " GRUB);
}

static int check_nohz_full(struct advise_ctx *c) {
        return check_cmdline_cpus(c, "nohz_full", &c->host->nohz_full, "add nohz_full=",
                                  " (and rcu_nocbs= the same) to the kernel command line: " GRUB);
}

static int check_iommu_pt(struct advise_ctx *c) {
        if (!c->host->iommu_on || c->host->iommu_pt)
                return 0;
        return advise_emit(c, "kernel command line", "the IOMMU is on without iommu=pt", NULL);
}

/* "2M", "1G": a page size as the kernel command line takes it. */
static void cmdline_size(uint64_t kib, char *buf, size_t size) {
        if (kib % (1024 * 1024) == 0)
                snprintf(buf, size, "%" PRIu64 "G", kib / (1024 * 1024));
        else if (kib % 1024 == 0)
                snprintf(buf, size, "%" PRIu64 "M", kib / 1024);
        else
                snprintf(buf, size, "%" PRIu64 "K", kib);
}

static int check_hugepages_boot(struct advise_ctx *c) {
        uint64_t sizes[ADVISE_POOLS_MAX] = {}, pages[ADVISE_POOLS_MAX] = {};
        size_t n = 0;

        for (size_t i = 0; i < c->n_doms; i++) {
                uint64_t size;
                size_t k;

                if (!advise_domain_hugepages(&c->doms[i], c->host, &size) || size == 0)
                        continue;
                for (k = 0; k < n && sizes[k] != size; k++)
                        ;
                if (k == ELEMENTSOF(sizes))
                        continue;
                sizes[k] = size;
                pages[k] += (c->doms[i].memory_kib + size - 1) / size;
                n += k == n;
        }
        for (size_t k = 0; k < n; k++) {
                char sz[32], fix[384];
                int r;

                if (cmdline_hugepages(c->host->cmdline, sizes[k], c->host->default_hugepagesz_kib) > 0)
                        continue;
                cmdline_size(sizes[k], sz, sizeof sz);
                snprintf(fix, sizeof fix, "add hugepagesz=%s hugepages=%" PRIu64 " to the kernel command line%s%s%s: "
                         GRUB, sz, pages[k],
                         sizes[k] == c->host->default_hugepagesz_kib ? "" : " (and default_hugepagesz=",
                         sizes[k] == c->host->default_hugepagesz_kib ? "" : sz,
                         sizes[k] == c->host->default_hugepagesz_kib ? "" :
                         " if domains whose <hugepages/> names no page size should use them too)");
                r = advise_emitf(c, "kernel command line", fix, "domains use %" PRIu64 " page(s) of %s; no "
                                 "hugepages= for that size", pages[k], sz);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_irqbalance(struct advise_ctx *c) {
        char dedicated[512], missing[512], fix[768];
        struct cpuset banned = c->host->irqbalance_banned, m;

        if (!c->host->irqbalance)
                return 0;
        /* irqbalance leaves isolated and nohz_full CPUs alone by itself. */
        for (size_t k = 0; k < ELEMENTSOF(banned.bits); k++)
                banned.bits[k] |= c->host->isolcpus.bits[k] | c->host->nohz_full.bits[k];
        if (!uncovered(c, &banned, &m, dedicated, sizeof dedicated))
                return 0;
        (void) cpuset_format(&m, missing, sizeof missing);
        snprintf(fix, sizeof fix, "IRQBALANCE_BANNED_CPULIST=%s in /etc/default/irqbalance (/etc/sysconfig/"
                 "irqbalance), then restart irqbalance", dedicated);
        return advise_emitf(c, "irqbalance", fix, "irqbalance may route interrupts to dedicated CPUs %s", missing);
}

static int check_numad(struct advise_ctx *c) {
        if (!c->host->numad)
                return 0;
        return advise_emit(c, "numad", "numad is running", NULL);
}

static int check_tuned(struct advise_ctx *c) {
        if (!c->host->tuned)
                return 0;
        return advise_emit(c, "tuned", "TuneD is running", NULL);
}

static const struct advise_rule rules[] = {
        {
                .id = "host-isolcpus",
                .scope = ADVISE_HOST,
                SEVERITY(INFO, INFO, OFF, WARNING, OFF),
                .check = check_isolcpus,
                .message = "CPUs given 1:1 to vCPUs still run host tasks and kernel threads, which preempt the "
                           "vCPUs; isolcpus keeps the scheduler off them",
                .fix = "isolcpus=managed_irq,domain,<dedicated CPUs> on the kernel command line",
                .source = SEED_PERF " (Isolate CPUs: isolcpus= with the pinned CPUs)",
        },
        {
                .id = "host-nohz-full",
                .scope = ADVISE_HOST,
                SEVERITY(OFF, OFF, OFF, INFO, OFF),
                .check = check_nohz_full,
                .message = "the scheduler tick interrupts dedicated CPUs every few milliseconds; nohz_full "
                           "stops it while one vCPU runs there",
                .fix = "nohz_full=<dedicated CPUs> on the kernel command line",
                .source = SEED_PERF " (Isolate CPUs: context switches on the VM's CPUs)",
        },
        {
                .id = "host-iommu-pt",
                .scope = ADVISE_HOST,
                SEVERITY(INFO, INFO, OFF, WARNING, INFO),
                .check = check_iommu_pt,
                .message = "with the IOMMU on and no passthrough mode, every host DMA is translated: host "
                           "networking and storage pay for it; devices assigned to guests need no more than pt",
                .fix = "add iommu=pt (next to intel_iommu=on) to the kernel command line: " GRUB,
                .source = SEED_PERF " (Nesting PCI Passthrough: iommu=pt intel_iommu=on)",
        },
        {
                .id = "host-hugepages-boot",
                .scope = ADVISE_HOST,
                SEVERITY(WARNING, WARNING, OFF, WARNING, WARNING),
                .check = check_hugepages_boot,
                .message = "hugepages reserved after boot come from fragmented memory and may not be found "
                           "(1 GiB pages usually cannot be); reserve them on the kernel command line",
                .fix = "hugepagesz=SIZE hugepages=N (default_hugepagesz=SIZE) on the kernel command line",
                .source = SEED_KVMOPT " (Enable 1GB HugePage: kernel options, reboot required)",
        },
        {
                .id = "host-irqbalance",
                .scope = ADVISE_HOST,
                SEVERITY(INFO, INFO, OFF, WARNING, OFF),
                .check = check_irqbalance,
                .message = "irqbalance moves device interrupts onto CPUs dedicated to vCPUs, where each one "
                           "preempts the guest",
                .fix = "IRQBALANCE_BANNED_CPULIST=<dedicated CPUs> in /etc/default/irqbalance",
                .source = SEED_PERF " (Isolate CPUs: the VM's CPUs used solely by the VM); irqbalance(1)",
        },
        {
                .id = "host-numad",
                .scope = ADVISE_HOST,
                SEVERITY(WARNING, WARNING, OFF, ERROR, WARNING),
                .check = check_numad,
                .message = "numad re-places processes and migrates their memory on its own, undoing kvmtuned's "
                           "domain placement (libvirt's placement='auto' only asks it once)",
                .fix = "stop and disable numad (systemctl disable --now numad)",
                .source = SEED_RHEL6 " (§7.2.2 domain processes: numad placement)",
        },
        {
                .id = "host-tuned",
                .scope = ADVISE_HOST,
                SEVERITY(WARNING, WARNING, WARNING, ERROR, WARNING),
                .check = check_tuned,
                .message = "TuneD sets the same tunables (governor, THP, KSM, dirty ratios, sysctls) from its own "
                           "profile: the two daemons overwrite each other",
                .fix = "tuned-adm off, then systemctl disable --now tuned",
                .source = SEED_RHEL6 " (§3.1 tuned and tuned-adm: virtual-host, virtual-guest)",
        },
};

ADVISE_RULES(host, rules);
