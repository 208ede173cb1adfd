/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Network: virtio with vhost, multiqueue; the host's vhost_net. */

#include "advise-rules.h"

/* Interfaces QEMU emulates (not passed-through VFs, vhost-user or vDPA,
 * which are virtio by nature). */
#define NICS "/domain/devices/interface[not(@type='hostdev') and not(@type='vhostuser') and not(@type='vdpa')]"
/* virtio NICs on a tap device: what vhost_net and multiqueue apply to
 * (not user-mode networking or sockets). */
#define VIRTIO_NICS NICS "[model/@type='virtio' and (@type='network' or @type='bridge' or @type='direct' " \
        "or @type='ethernet')]"

/* The kernel's tun queue limit (MAX_TAP_QUEUES), which libvirt and QEMU
 * also cap virtio-net queues at. */
#define TAP_QUEUES_MAX 256u

static int model(struct advise_ctx *c, xmlNodePtr nic, const char *subject) {
        static const char *const virtio[] = { "virtio", NULL };
        _cleanup_free_ char *m = domxml_string(&c->dom->xml, nic, "model/@type");

        if (domxml_is(&c->dom->xml, nic, "model/@type", virtio))
                return 0;
        return advise_emitf(c, subject, NULL, "%s%s%s", m ? "model '" : "no model: QEMU's default emulated NIC",
                            m ?: "", m ? "'" : "");
}

static int check_model(struct advise_ctx *c) {
        return advise_each(c, NICS, model);
}

static int vhost(struct advise_ctx *c, xmlNodePtr nic, const char *subject) {
        static const char *const userspace[] = { "qemu", NULL };

        if (!domxml_is(&c->dom->xml, nic, "driver/@name", userspace))
                return 0;
        return advise_emit(c, subject, "driver name='qemu': virtio served in QEMU's user space", NULL);
}

static int check_vhost(struct advise_ctx *c) {
        return advise_each(c, VIRTIO_NICS, vhost);
}

/* queues = vCPUs, within what the host can serve: the tun limit, and no
 * more queues than host CPUs to run their vhost threads. */
static unsigned wanted_queues(const struct advise_ctx *c) {
        unsigned want = c->dom->vcpus;

        if (want > TAP_QUEUES_MAX)
                want = TAP_QUEUES_MAX;
        if (c->host->online_cpus > 0 && want > c->host->online_cpus)
                want = c->host->online_cpus;
        return want;
}

static int multiqueue(struct advise_ctx *c, xmlNodePtr nic, const char *subject) {
        uint64_t queues = domxml_uint(&c->dom->xml, nic, "driver/@queues", 1);
        unsigned want = wanted_queues(c);
        char fix[256];

        if (c->dom->vcpus < 2 || queues >= want)
                return 0;
        snprintf(fix, sizeof fix, "<driver name='vhost' queues='%u'/> in the interface (virsh edit %s), then "
                 "in the guest: ethtool -L <nic> combined %u", want, c->dom->name, want);
        return advise_emitf(c, subject, fix, "%u vCPUs, queues=%llu", c->dom->vcpus, (unsigned long long) queues);
}

static int check_multiqueue(struct advise_ctx *c) {
        return advise_each(c, VIRTIO_NICS, multiqueue);
}

/* Whether some audited domain has a virtio NIC served by vhost (the
 * default when the host has it). */
static size_t vhost_users(const struct advise_ctx *c) {
        size_t n = 0;

        for (size_t i = 0; i < c->n_doms; i++)
                if (domxml_has(&c->doms[i].xml, NULL, VIRTIO_NICS "[not(driver/@name='qemu')]"))
                        n++;
        return n;
}

static int check_vhost_net_dev(struct advise_ctx *c) {
        size_t n = vhost_users(c);

        if (n == 0 || c->host->vhost_net_dev)
                return 0;
        return advise_emitf(c, "vhost_net", NULL, "/dev/vhost-net is missing; %zu domain(s) have virtio NICs", n);
}

static int check_zerocopy(struct advise_ctx *c) {
        size_t n = vhost_users(c);

        if (n == 0 || c->host->vhost_zcopy != 0)
                return 0;
        return advise_emitf(c, "vhost_net", NULL, "experimental_zcopytx=0; %zu domain(s) use vhost", n);
}

static const struct advise_rule rules[] = {
        {
                .id = "net-model",
                .scope = ADVISE_DOMAIN,
                SEVERITY(WARNING, WARNING, OFF, WARNING, WARNING),
                .check = check_model,
                .message = "an emulated NIC (e1000, rtl8139) costs a VM exit per register access; virtio-net "
                           "is paravirtual and can be served by vhost_net in the kernel",
                .fix = "<model type='virtio'/> in the interface (the guest needs virtio-net); virsh edit DOMAIN",
                .source = SEED_RHEL6 " (§4.3 virtio and vhost_net)",
        },
        {
                .id = "net-vhost",
                .scope = ADVISE_DOMAIN,
                SEVERITY(WARNING, WARNING, OFF, WARNING, WARNING),
                .check = check_vhost,
                .message = "vhost_net moves virtio-net's data path into the kernel: fewer copies, lower "
                           "latency and CPU use than QEMU's user-space backend",
                .fix = "<driver name='vhost'/> in the interface (modprobe vhost_net on the host); virsh edit DOMAIN",
                .source = SEED_RHEL6 " (§4.3 virtio and vhost_net)",
        },
        {
                .id = "net-multiqueue",
                .scope = ADVISE_DOMAIN,
                SEVERITY(INFO, INFO, OFF, WARNING, INFO),
                .check = check_multiqueue,
                .message = "a single queue pair puts all the guest's network interrupts and vhost work on one "
                           "vCPU and one host thread; one queue per vCPU spreads them",
                .fix = "<driver name='vhost' queues='N'/> with N = vCPUs; virsh edit DOMAIN",
                .source = SEED_TUNING " (Network: multiqueue support)",
        },
        {
                .id = "host-vhost-net",
                .scope = ADVISE_HOST,
                SEVERITY(WARNING, WARNING, OFF, WARNING, WARNING),
                .check = check_vhost_net_dev,
                .message = "without vhost_net, virtio NICs fall back to QEMU's user-space backend",
                .fix = "modprobe vhost_net, and echo vhost_net > /etc/modules-load.d/vhost_net.conf",
                .source = SEED_RHEL6 " (§4.3 virtio and vhost_net)",
        },
        {
                .id = "host-vhost-zerocopy",
                .scope = ADVISE_HOST,
                SEVERITY(OFF, INFO, OFF, INFO, OFF),
                .check = check_zerocopy,
                .message = "vhost_net copies every transmitted packet; zero-copy transmit hands large guest "
                           "buffers to the NIC directly",
                .fix = "echo 'options vhost_net experimental_zcopytx=1' > /etc/modprobe.d/vhost-net.conf, then "
                       "reload vhost_net (with the guests stopped) or reboot",
                .source = SEED_PERF " (Enabling VHOST-NET Zero Copy)",
        },
};

ADVISE_RULES(net, rules);
