#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""advise on a real domain: the XML comes from a real libvirtd over the
engine's own read-only connection, and the report names the domain's real
problems with fixes that name it."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
import virt  # noqa: E402

RUN = os.path.join(harness.BUILD, "tests", "advise", "advise-run")


def advise(*args):
    return subprocess.run([RUN, "--libvirt", virt.URI] + list(args), capture_output=True, text=True, timeout=120)


@unittest.skipUnless(virt.available(), "libvirtd, virsh or QEMU missing")
class RealDomain(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.lock = harness.real_host_lock()
        virt.ensure_libvirtd()
        images = [os.path.join(self.tmp, "disk%d.raw" % i) for i in range(2)]
        for image in images:
            with open(image, "wb") as f:
                f.truncate(16 * 1024 * 1024)
        # A writeback virtio disk, an IDE disk, a one-queue virtio NIC on
        # 2 vCPUs, and no <cpu>: four things advise must see.
        devices = """
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='writeback'/>
      <source file='%s'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source file='%s'/>
      <target dev='hdb' bus='ide'/>
    </disk>
    <interface type='ethernet'>
      <mac address='52:54:00:6b:74:01'/>
      <model type='virtio'/>
    </interface>
    <memballoon model='none'/>""" % tuple(images)
        self.dom = virt.Domain(self.tmp, vcpus=2, memory_mib=64, extra_devices=devices)

    def tearDown(self):
        self.lock.close()
        super().tearDown()

    def test_report_on_a_running_domain(self):
        with self.dom:
            name = self.dom.name
            p = advise("--profile", "virtual-host", "--ids", name)
            self.assertIn(p.returncode, (1, 2), p.stderr)
            mine = sorted(l.split()[0] for l in p.stdout.splitlines() if l.split()[1] == name)
            self.assertEqual(mine, ["cpu-model", "disk-bus", "disk-cache-mode", "mem-hugepages", "net-multiqueue"])

            p = advise("--profile", "virtual-host", "--json", name)
            doc = json.loads(p.stdout)
            self.assertEqual(doc["domains"], 1)
            found = {(f["rule"], f["subject"]): f for f in doc["findings"] if f["domain"] == name}
            self.assertIn("cache='writeback'", found[("disk-cache-mode", "disk vda")]["message"])
            self.assertIn("bus='ide'", found[("disk-bus", "disk hdb")]["message"])
            mq = found[("net-multiqueue", "interface 52:54:00:6b:74:01")]
            self.assertIn("2 vCPUs, queues=1", mq["message"])
            self.assertIn("queues='2'", mq["fix"])
            self.assertIn("virsh edit %s" % name, found[("disk-bus", "disk hdb")]["fix"])

            p = advise("--profile", "virtual-host", "--text", name)
            self.assertIn("Domain %s:" % name, p.stdout)
            self.assertIn("warning [disk-bus] disk hdb:", p.stdout)

            # No names: every running domain, this one among them.
            p = advise("--profile", "virtual-host", "--ids")
            self.assertIn(name, {l.split()[1] for l in p.stdout.splitlines()})

    def test_unknown_domain_is_one_clear_error(self):
        p = advise("--ids", "kt-no-such-domain")
        self.assertEqual(p.returncode, 69)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("kt-no-such-domain", p.stderr)


if __name__ == "__main__":
    harness.main()
