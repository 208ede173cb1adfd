/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Disks: cache mode, AIO, bus, image format, I/O threads. */

#include "advise-rules.h"

/* Disks that hold data: not CD-ROMs or floppies, and with a medium. */
#define DISKS "/domain/devices/disk[(not(@device) or @device='disk' or @device='lun') and source]"
#define VIRTIO_DISKS DISKS "[target/@bus='virtio']"
/* Disks QEMU opens as local files or block devices: where O_DIRECT and
 * Linux AIO apply (not network disks such as rbd or iSCSI). */
#define LOCAL_DISKS DISKS "[not(@type='network')]"

static const char *const direct_modes[] = { "none", "directsync", NULL };
static const char *const fast_io[] = { "native", "io_uring", NULL };

static int cache_unsafe(struct advise_ctx *c, xmlNodePtr disk, const char *subject) {
        static const char *const unsafe[] = { "unsafe", NULL };

        if (!domxml_is(&c->dom->xml, disk, "driver/@cache", unsafe))
                return 0;
        return advise_emit(c, subject, "cache='unsafe'", NULL);
}

static int check_cache_unsafe(struct advise_ctx *c) {
        return advise_each(c, DISKS, cache_unsafe);
}

static int cache_mode(struct advise_ctx *c, xmlNodePtr disk, const char *subject) {
        static const char *const handled[] = { "none", "directsync", "unsafe", NULL };
        _cleanup_free_ char *mode = domxml_string(&c->dom->xml, disk, "driver/@cache");

        if (domxml_is(&c->dom->xml, disk, "driver/@cache", handled))
                return 0;
        return advise_emitf(c, subject, NULL, "%s%s%s", mode ? "cache='" : "no cache mode: QEMU's default, writeback",
                            mode ?: "", mode ? "'" : "");
}

static int check_cache_mode(struct advise_ctx *c) {
        return advise_each(c, DISKS, cache_mode);
}

static int io_mode(struct advise_ctx *c, xmlNodePtr disk, const char *subject) {
        _cleanup_free_ char *cache = domxml_string(&c->dom->xml, disk, "driver/@cache");
        _cleanup_free_ char *io = domxml_string(&c->dom->xml, disk, "driver/@io");
        char fix[256];

        if (!domxml_is(&c->dom->xml, disk, "driver/@cache", direct_modes) ||
            domxml_is(&c->dom->xml, disk, "driver/@io", fast_io))
                return 0;
        snprintf(fix, sizeof fix, "<driver name='qemu' cache='%s' io='native'/> in the disk (or io='io_uring' "
                 "with QEMU 5.0 and later); virsh edit %s", cache, c->dom->name);
        return advise_emitf(c, subject, fix, "cache='%s' with io='%s'", cache, io ?: "threads");
}

static int check_io_mode(struct advise_ctx *c) {
        return advise_each(c, LOCAL_DISKS, io_mode);
}

static int native_needs_direct(struct advise_ctx *c, xmlNodePtr disk, const char *subject) {
        static const char *const native[] = { "native", NULL };
        _cleanup_free_ char *cache = domxml_string(&c->dom->xml, disk, "driver/@cache");

        if (!domxml_is(&c->dom->xml, disk, "driver/@io", native) ||
            domxml_is(&c->dom->xml, disk, "driver/@cache", direct_modes))
                return 0;
        return advise_emitf(c, subject, NULL, "io='native' with cache='%s'", cache ?: "writeback (default)");
}

static int check_native_needs_direct(struct advise_ctx *c) {
        return advise_each(c, LOCAL_DISKS, native_needs_direct);
}

static int bus(struct advise_ctx *c, xmlNodePtr disk, const char *subject) {
        static const char *const slow[] = { "ide", "sata", "usb", "fdc", "sd", NULL };
        static const char *const scsi[] = { "scsi", NULL };
        _cleanup_free_ char *b = domxml_string(&c->dom->xml, disk, "target/@bus");

        if (domxml_is(&c->dom->xml, disk, "target/@bus", slow))
                return advise_emitf(c, subject, NULL, "bus='%s': an emulated controller", b);
        if (domxml_is(&c->dom->xml, disk, "target/@bus", scsi) &&
            !domxml_has(&c->dom->xml, NULL, "/domain/devices/controller[@type='scsi' and @model='virtio-scsi']"))
                return advise_emit(c, subject, "bus='scsi' on an emulated SCSI controller, not virtio-scsi",
                                   "<controller type='scsi' model='virtio-scsi'/> for the SCSI disks, or "
                                   "<target dev='vdX' bus='virtio'/>; virsh edit DOMAIN");
        return 0;
}

static int check_bus(struct advise_ctx *c) {
        return advise_each(c, DISKS, bus);
}

static int format_qcow2(struct advise_ctx *c, xmlNodePtr disk, const char *subject) {
        static const char *const qcow2[] = { "qcow2", NULL };

        if (!domxml_is(&c->dom->xml, disk, "driver/@type", qcow2))
                return 0;
        return advise_emit(c, subject, "type='qcow2'", NULL);
}

static int check_format(struct advise_ctx *c) {
        return advise_each(c, DISKS, format_qcow2);
}

static int check_iothreads(struct advise_ctx *c) {
        _cleanup_xpath_ xmlXPathObjectPtr disks = domxml_select(&c->dom->xml, NULL, VIRTIO_DISKS);
        size_t n = domxml_n_nodes(disks), without = 0;
        uint64_t iothreads = domxml_uint(&c->dom->xml, NULL, "/domain/iothreads", 0);
        char fix[384];

        if (n < 2)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (iothreads == 0 || !domxml_has(&c->dom->xml, domxml_node(disks, i), "driver/@iothread"))
                        without++;
        if (without == 0)
                return 0;
        snprintf(fix, sizeof fix, "<iothreads>%zu</iothreads> in <domain>, iothread='N' (1..%zu) in each virtio "
                 "disk's <driver>, and <iothreadpin> on housekeeping CPUs; virsh edit %s", n, n, c->dom->name);
        return advise_emitf(c, "disks", fix, "%zu virtio disks, %zu of them without an I/O thread", n, without);
}

static const struct advise_rule rules[] = {
        {
                .id = "disk-cache-unsafe",
                .scope = ADVISE_DOMAIN,
                SEVERITY(ERROR, ERROR, OFF, ERROR, ERROR),
                .check = check_cache_unsafe,
                .message = "cache='unsafe' ignores the guest's flushes: a host crash loses data the guest "
                           "believes is on disk; never in production",
                .fix = "<driver name='qemu' cache='none' io='native'/> in the disk; virsh edit DOMAIN",
                .source = SEED_TUNING " (Disk: cache modes, 'no flush'); " SEED_KVMOPT " (Disk Cache Mode)",
        },
        {
                .id = "disk-cache-mode",
                .scope = ADVISE_DOMAIN,
                SEVERITY(INFO, INFO, OFF, WARNING, WARNING),
                .check = check_cache_mode,
                .message = "the disk goes through the host page cache: with many guests it doubles their "
                           "memory and adds copies, and only cache='none' is safe for live migration "
                           "(writeback suits few VMs on a host with a big page cache)",
                .fix = "<driver name='qemu' cache='none' io='native'/> in the disk; virsh edit DOMAIN",
                .source = SEED_TUNING " (Disk: cachemode selection); " SEED_RHEL6 " (§6.1 Caching)",
        },
        {
                .id = "disk-io-native",
                .scope = ADVISE_DOMAIN,
                SEVERITY(INFO, INFO, OFF, WARNING, INFO),
                .check = check_io_mode,
                .message = "with O_DIRECT (cache none/directsync) QEMU can submit I/O asynchronously to the "
                           "kernel; its thread pool adds latency and threads per request",
                .fix = "<driver name='qemu' cache='none' io='native'/> in the disk; virsh edit DOMAIN",
                .source = SEED_KVMOPT " (Disk: Asynchronous IO)",
        },
        {
                .id = "disk-io-native-cache",
                .scope = ADVISE_DOMAIN,
                SEVERITY(ERROR, ERROR, OFF, ERROR, ERROR),
                .check = check_native_needs_direct,
                .message = "io='native' needs O_DIRECT: QEMU refuses to start it with a caching mode "
                           "(\"aio=native was specified, but it requires cache.direct=on\")",
                .fix = "<driver name='qemu' cache='none' io='native'/>, or drop io='native' (or use "
                       "io='io_uring'); virsh edit DOMAIN",
                .source = SEED_KVMOPT " (Disk: Asynchronous IO); " SEED_TUNING " (Disk: cache modes)",
        },
        {
                .id = "disk-bus",
                .scope = ADVISE_DOMAIN,
                SEVERITY(WARNING, WARNING, OFF, WARNING, WARNING),
                .check = check_bus,
                .message = "an emulated disk controller traps to QEMU for every register access; "
                           "paravirtual virtio-blk or virtio-scsi does not",
                .fix = "<target dev='vdX' bus='virtio'/> (virtio-blk), or bus='scsi' on <controller "
                       "type='scsi' model='virtio-scsi'/>; the guest needs virtio drivers; virsh edit DOMAIN",
                .source = SEED_RHEL6 " (§4.3 virtio and vhost_net: paravirtual devices); " SEED_PERF
                          " (Use Q35 for the Controller)",
        },
        {
                .id = "disk-format-qcow2",
                .scope = ADVISE_DOMAIN,
                SEVERITY(OFF, OFF, OFF, WARNING, OFF),
                .check = check_format,
                .message = "qcow2 allocates clusters and looks up its tables on the I/O path; for latency a "
                           "raw image or a block device (LV) is steadier",
                .fix = "qemu-img convert -O raw IMAGE.qcow2 IMAGE.raw (or a raw LV), then <driver name='qemu' "
                       "type='raw' cache='none' io='native'/>; virsh edit DOMAIN",
                .source = SEED_TUNING " (Disk: disk type raw/qcow2); " SEED_KVMOPT " (Storage Backend: block "
                          "backend performs better than file backend)",
        },
        {
                .id = "disk-iothreads",
                .scope = ADVISE_DOMAIN,
                SEVERITY(INFO, INFO, OFF, WARNING, INFO),
                .check = check_iothreads,
                .message = "several busy virtio disks share QEMU's main loop: their I/O competes with each "
                           "other and with device emulation",
                .fix = "<iothreads>N</iothreads> and iothread='K' in each disk's <driver>; virsh edit DOMAIN",
                .source = SEED_PERF " (Emulator Pins: iothreadpin with iothread); " SEED_TUNING
                          " (blkiotune: libvirt formatdomain)",
        },
};

ADVISE_RULES(disk, rules);
