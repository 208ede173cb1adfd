#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The advise rules on domain XML fixtures and fake host trees: for each
rule a fixture where it fires and one where it does not, asserting exactly
which rule ids the engine reports, under which profile."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from advisehost import AdviseHost, CLEAN_CMDLINE  # noqa: E402

RUN = os.path.join(harness.BUILD, "tests", "advise", "advise-run")
DOMAINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "domains")

def run(root, profile, *fixtures, mode="--ids"):
    paths = [os.path.join(DOMAINS, f + ".xml") for f in fixtures]
    p = subprocess.run([RUN, "--root", root, "--profile", profile, mode] + paths, capture_output=True, text=True,
                       timeout=60)
    return p


def fired(root, profile, *fixtures):
    p = run(root, profile, *fixtures)
    if p.returncode not in (0, 1, 2):
        raise AssertionError("advise-run failed (%d): %s" % (p.returncode, p.stderr))
    return sorted(l.split()[0] for l in p.stdout.splitlines())


class Rules(harness.TestCase):

    def host(self, **kw):
        root = os.path.join(self.tmp, "root-%d" % len(os.listdir(self.tmp)))
        AdviseHost(root, **kw)
        return root

    def assertFires(self, root, profile, fixture, expected):
        self.assertEqual(fired(root, profile, fixture), sorted(expected),
                         "%s under %s" % (fixture, profile))

    def test_good_domain_passes_every_profile(self):
        root = self.host()
        for profile in ("latency", "virtual-host", "density", "virtual-guest", "balanced"):
            for f in ("good", "good-virtio-scsi", "good-l3-qemu-arg", "good-numa-cells", "good-hugepages-running",
                      "good-user-nic", "good-network-disk"):
                self.assertFires(root, profile, f, [])

    def test_disks(self):
        root = self.host()
        self.assertFires(root, "latency", "bad-cache-unsafe", ["disk-cache-unsafe"])
        self.assertFires(root, "virtual-host", "bad-cache-unsafe", ["disk-cache-unsafe"])
        self.assertFires(root, "latency", "bad-cache-mode", ["disk-cache-mode"] * 2)
        self.assertFires(root, "latency", "bad-io-threads", ["disk-io-native"] * 2)
        self.assertFires(root, "latency", "bad-native-cached", ["disk-cache-mode", "disk-io-native-cache"])
        self.assertFires(root, "latency", "bad-disk-bus", ["disk-bus"] * 2)
        self.assertFires(root, "latency", "bad-qcow2", ["disk-format-qcow2"])
        self.assertFires(root, "virtual-host", "bad-qcow2", [])
        self.assertFires(root, "latency", "bad-iothreads", ["disk-iothreads"])
        self.assertFires(root, "virtual-host", "bad-iothreads", ["disk-iothreads"])

    def test_network(self):
        root = self.host()
        self.assertFires(root, "latency", "bad-net-model", ["net-model"])
        self.assertFires(root, "latency", "bad-net-userspace", ["net-vhost"])
        self.assertFires(root, "latency", "bad-net-one-queue", ["net-multiqueue"])
        self.assertFires(root, "virtual-guest", "bad-net-one-queue", [])

    def test_multiqueue_within_host_limit(self):
        # 4 vCPUs on a 2-CPU host: queues=2 is all the host can serve.
        root = self.host(nodes=1, cores_per_node=2, threads=1, free_2m=(1024,))
        self.assertFires(root, "latency", "bad-overcommit", ["cpu-overcommit"])

    def test_cpu(self):
        root = self.host()
        self.assertFires(root, "latency", "bad-cpu-custom", ["cpu-model"])
        self.assertFires(root, "density", "bad-cpu-custom", ["cpu-model"])
        self.assertFires(root, "virtual-host", "bad-no-cpu", ["cpu-model", "cpu-topology-smt"])
        self.assertFires(root, "virtual-host", "bad-passthrough", ["cpu-passthrough-migration"])
        self.assertFires(root, "latency", "bad-passthrough", [])
        self.assertFires(root, "latency", "bad-topology-cores", ["cpu-topology-smt"])
        self.assertFires(root, "latency", "bad-topology-pairs", ["cpu-topology-smt"])
        self.assertFires(root, "density", "bad-topology-pairs", [])
        self.assertFires(root, "latency", "bad-l3-cache", ["cpu-l3-cache"])
        self.assertFires(root, "virtual-host", "bad-l3-cache", [])
        self.assertFires(root, "virtual-host", "bad-numa-span", ["cpu-numa-span"])
        # queues=2 for 4 vCPUs is short on a 16-CPU host (and enough on 2 CPUs).
        self.assertFires(root, "latency", "bad-overcommit", ["net-multiqueue"])

    def test_numa_span_needs_numa(self):
        # One node of 16 CPUs: 10 vCPUs fit in it.
        root = self.host(nodes=1, cores_per_node=8, free_2m=(2048,))
        self.assertFires(root, "virtual-host", "bad-numa-span", [])

    def test_memory(self):
        root = self.host()
        self.assertFires(root, "latency", "bad-no-hugepages", ["mem-hugepages"])
        self.assertFires(root, "virtual-host", "bad-no-hugepages", ["mem-hugepages"])
        self.assertFires(root, "density", "bad-no-hugepages", [])
        self.assertFires(root, "latency", "bad-hugepages-short", ["mem-hugepages-free"])
        self.assertFires(root, "density", "bad-hugepages-short", ["mem-hugepages-free"])
        self.assertFires(root, "latency", "bad-hugepages-1g", ["host-hugepages-boot", "mem-hugepages-free"])
        self.assertFires(root, "latency", "bad-balloon", ["mem-balloon"])
        self.assertFires(root, "latency", "bad-no-balloon-element", ["mem-balloon"])
        self.assertFires(root, "virtual-host", "bad-balloon", [])
        self.assertFires(root, "latency", "bad-sharepages", ["mem-hugepages", "mem-nosharepages"])
        self.assertFires(root, "latency", "bad-unlocked", ["mem-locked"])

    def test_hugepages_free_counts_the_bound_node(self):
        # 4 GiB of 2 MiB pages: node 0 alone has 1024 free, both together 2048.
        root = self.host(free_2m=(2048, 0))
        self.assertFires(root, "latency", "bad-hugepages-short", [])
        root = self.host(free_2m=(0, 2048))
        self.assertFires(root, "latency", "bad-hugepages-short", ["mem-hugepages-free"])

    def test_kernel_command_line(self):
        drop = lambda *words: " ".join(w for w in CLEAN_CMDLINE.split() if w.split("=")[0] not in words)
        root = self.host(cmdline=drop("isolcpus"))
        self.assertFires(root, "latency", "good", ["host-isolcpus"])
        self.assertFires(root, "density", "good", [])
        root = self.host(cmdline=drop("nohz_full"))
        self.assertFires(root, "latency", "good", ["host-nohz-full"])
        self.assertFires(root, "virtual-host", "good", [])
        root = self.host(cmdline=drop("iommu"))
        self.assertFires(root, "latency", "good", ["host-iommu-pt"])
        # A kernel that passes through by default shows it per IOMMU group.
        os.makedirs(os.path.join(root, "sys/kernel/iommu_groups/0"))
        with open(os.path.join(root, "sys/kernel/iommu_groups/0/type"), "w") as f:
            f.write("identity\n")
        self.assertFires(root, "latency", "good", [])
        with open(os.path.join(root, "sys/kernel/iommu_groups/0/type"), "w") as f:
            f.write("DMA-FQ\n")
        self.assertFires(root, "latency", "good", ["host-iommu-pt"])
        root = self.host(cmdline=drop("iommu", "intel_iommu"))
        self.assertFires(root, "latency", "good", [])
        # An IOMMU the kernel turned on by itself (AMD's default) shows in sysfs.
        os.makedirs(os.path.join(root, "sys/class/iommu/ivhd0"))
        self.assertFires(root, "latency", "good", ["host-iommu-pt"])
        root = self.host(cmdline=drop("hugepages", "hugepagesz", "default_hugepagesz"))
        self.assertFires(root, "latency", "good", ["host-hugepages-boot"])
        # A hugepages= before any hugepagesz= is for the default size.
        root = self.host(cmdline=drop("hugepages", "hugepagesz", "default_hugepagesz") + " hugepages=512")
        self.assertFires(root, "latency", "good", [])
        # Isolated CPUs that miss one of the dedicated ones.
        root = self.host(cmdline=CLEAN_CMDLINE.replace("domain,1-3,9-11", "domain,1-3,9"))
        self.assertFires(root, "latency", "good", ["host-isolcpus"])

    def test_irqbalance(self):
        bare = " ".join(w for w in CLEAN_CMDLINE.split() if not w.startswith(("isolcpus", "nohz_full")))
        root = self.host(cmdline=bare, processes=("systemd", "irqbalance"))
        self.assertFires(root, "latency", "good", ["host-irqbalance", "host-isolcpus", "host-nohz-full"])
        root = self.host(cmdline=bare, processes=("systemd", "irqbalance"),
                         banned='IRQBALANCE_BANNED_CPULIST="1-2,9-10"')
        self.assertFires(root, "latency", "good", ["host-isolcpus", "host-nohz-full"])
        root = self.host(cmdline=bare, processes=("systemd", "irqbalance"), banned="IRQBALANCE_BANNED_CPUS=00000606")
        self.assertFires(root, "latency", "good", ["host-isolcpus", "host-nohz-full"])
        root = self.host(cmdline=bare, processes=("systemd", "irqbalance"), banned="IRQBALANCE_BANNED_CPUS=00000206")
        self.assertFires(root, "latency", "good", ["host-irqbalance", "host-isolcpus", "host-nohz-full"])
        root = self.host(cmdline=bare)
        self.assertFires(root, "latency", "good", ["host-isolcpus", "host-nohz-full"])
        # Isolated CPUs are left alone by irqbalance itself.
        root = self.host(processes=("systemd", "irqbalance"))
        self.assertFires(root, "latency", "good", [])

    def test_fighting_daemons(self):
        root = self.host(processes=("systemd", "numad"))
        self.assertFires(root, "latency", "good", ["host-numad"])
        self.assertFires(root, "virtual-guest", "good", [])
        root = self.host(processes=("systemd", "tuned"))
        self.assertFires(root, "density", "good", ["host-tuned"])
        self.assertFires(root, "virtual-guest", "good", ["host-tuned"])

    def test_vhost_net(self):
        root = self.host(vhost=False)
        self.assertFires(root, "latency", "good", ["host-vhost-net"])
        self.assertFires(root, "latency", "bad-net-userspace", ["net-vhost"])
        root = self.host(zcopytx=0)
        self.assertFires(root, "virtual-host", "good", ["host-vhost-zerocopy"])
        self.assertFires(root, "density", "good", [])

    def test_host_rules_see_every_domain(self):
        root = self.host(cmdline=" ".join(w for w in CLEAN_CMDLINE.split() if not w.startswith("isolcpus")))
        self.assertEqual(fired(root, "latency", "good", "bad-qcow2"), ["disk-format-qcow2", "host-isolcpus"])

    def test_exit_codes_and_json(self):
        root = self.host()
        self.assertEqual(run(root, "latency", "good", mode="--json").returncode, 0)
        self.assertEqual(run(root, "latency", "bad-unlocked", mode="--json").returncode, 0)   # info only
        self.assertEqual(run(root, "latency", "bad-qcow2", mode="--json").returncode, 1)
        p = run(root, "latency", "bad-qcow2", "bad-cache-unsafe", mode="--json")
        self.assertEqual(p.returncode, 2)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["profile"], "latency")
        self.assertEqual(doc["domains"], 2)
        self.assertEqual((doc["errors"], doc["warnings"]), (1, 1))
        first = doc["findings"][0]
        self.assertEqual((first["rule"], first["severity"], first["domain"], first["subject"]),
                         ("disk-cache-unsafe", "error", "bad-cache-unsafe", "disk vda"))
        self.assertIn("cache='none'", first["fix"])
        self.assertIn("seeds/", first["source"])

    def test_text_report(self):
        root = self.host(processes=("systemd", "numad"))
        p = run(root, "latency", "good", "bad-net-one-queue", mode="--text")
        self.assertEqual(p.returncode, 2, p.stderr)
        out = p.stdout
        self.assertIn("Profile latency: 1 error, 1 warning, 0 info (2 domains and the host checked).", out)
        self.assertLess(out.index("Host:"), out.index("Domain bad-net-one-queue:"))
        self.assertIn("error [host-numad] numad:", out)
        self.assertIn("warning [net-multiqueue] interface 52:54:00:00:00:01:", out)
        self.assertIn("(4 vCPUs, queues=1)", out)
        self.assertIn("fix: <driver name='vhost' queues='4'/>", out)
        self.assertIn("ethtool -L <nic> combined 4", out)
        self.assertNotIn("Domain good:", out)
        p = run(root, "virtual-guest", "good", mode="--text")
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout, "Profile virtual-guest: nothing to advise (1 domain and the host checked).\n")

    def test_unreadable_xml_is_one_clear_error(self):
        bad = os.path.join(self.tmp, "broken.xml")
        with open(bad, "w") as f:
            f.write("<domain><name>x</name>\n<devices>\n</domain>\n")
        p = subprocess.run([RUN, "--root", self.host(), "--ids", bad], capture_output=True, text=True)
        self.assertEqual(p.returncode, 65)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("broken.xml: line 3", p.stderr)
        with open(bad, "w") as f:
            f.write("<network><name>x</name></network>\n")
        p = subprocess.run([RUN, "--root", self.host(), "--ids", bad], capture_output=True, text=True)
        self.assertEqual(p.returncode, 65)
        self.assertIn("not <domain>", p.stderr)


if __name__ == "__main__":
    harness.main()
