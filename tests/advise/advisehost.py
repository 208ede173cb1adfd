# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fake host tree with everything advise reads, for the advise tests."""

from fakehost import FakeHost, NODE

# The dedicated CPUs of the fixtures (vCPUs pinned on 1,9,2,10) are
# isolated, tick-free, hugepages reserved at boot, the IOMMU in pt mode.
CLEAN_CMDLINE = ("BOOT_IMAGE=/vmlinuz-6.1.0 root=/dev/sda1 ro isolcpus=managed_irq,domain,1-3,9-11 "
                 "nohz_full=1-3,9-11 intel_iommu=on iommu=pt default_hugepagesz=2M hugepagesz=2M hugepages=2048")


class AdviseHost(FakeHost):
    """A FakeHost (2 nodes x 4 cores x 2 threads: CPU n and n+8 are
    siblings) with what advise reads besides: the kernel command line, free
    hugepages per node, vhost_net, running processes, irqbalance's config."""

    def __init__(self, root, cmdline=CLEAN_CMDLINE, free_2m=(1024, 1024), vhost=True, zcopytx=1,
                 processes=("systemd", "libvirtd"), banned=None, **kw):
        kw.setdefault("nodes", 2)
        kw.setdefault("cores_per_node", 4)
        super().__init__(root, **kw)
        self.write("proc/cmdline", cmdline)
        for node in range(self.nodes):
            d = "%s/node%d/hugepages/hugepages-2048kB" % (NODE, node)
            free = free_2m[node] if node < len(free_2m) else 0
            self.write(d + "/nr_hugepages", free)
            self.write(d + "/free_hugepages", free)
            self.write("%s/node%d/hugepages/hugepages-1048576kB/free_hugepages" % (NODE, node), 0)
        if vhost:
            self.write("dev/vhost-net", "")
            self.write("sys/module/vhost_net/parameters/experimental_zcopytx", zcopytx)
        for pid, comm in enumerate(processes, start=1):
            self.write("proc/%d/comm" % pid, comm)
        if banned is not None:
            self.write("etc/default/irqbalance", "# irqbalance\n%s\n" % banned)
