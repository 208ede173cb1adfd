#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kvmtuned-adm advise on a real domain: the daemon fetches its XML from a
real libvirtd over a read-only connection of its own, and the report names
the domain's real problems with fixes that name it. The same through the
engine's test driver."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import adm  # noqa: E402
import harness  # noqa: E402
import virt  # noqa: E402
from advisehost import AdviseHost  # noqa: E402

RUN = os.path.join(harness.BUILD, "tests", "advise", "advise-run")


def advise(root, *args):
    """The engine's test driver on domains from libvirt, the host facts
    from a fake tree (so the result does not depend on this machine)."""
    return subprocess.run([RUN, "--libvirt", virt.URI, "--root", root] + list(args), capture_output=True, text=True,
                          timeout=120)


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
        self.root = os.path.join(self.tmp, "root")

    def tearDown(self):
        self.lock.close()
        super().tearDown()

    def daemon_on_libvirt(self):
        # The host the daemon tunes is a fake tree; the domains are real.
        self.host = AdviseHost(self.root)
        d = self.daemon(profile="virtual-host", extra=["--libvirt-uri", virt.URI])
        d.start()
        return d

    def test_kvmtuned_adm_advise(self):
        d = self.daemon_on_libvirt()
        with self.dom:
            name = self.dom.name
            p = adm.run(d, "advise", name)
            self.assertEqual(p.returncode, 1, p.stderr)     # warnings, no errors
            out = p.stdout
            self.assertTrue(out.startswith("Profile virtual-host: 0 errors, 2 warnings, 3 info (1 domain and "
                                           "the host checked).\n"), out)
            self.assertIn("\nDomain %s:\n" % name, out)
            self.assertIn("  warning [disk-bus] disk hdb:", out)
            self.assertIn("(bus='ide': an emulated controller)", out)
            self.assertIn("  info [disk-cache-mode] disk vda:", out)
            self.assertIn("(cache='writeback')", out)
            self.assertIn("  warning [cpu-model] cpu:", out)
            self.assertIn("  info [net-multiqueue] interface 52:54:00:6b:74:01:", out)
            self.assertIn("fix: <driver name='vhost' queues='2'/>", out)
            self.assertIn("virsh edit %s" % name, out)
            self.assertIn("source: seeds/", out)

            j = json.loads(adm.run(d, "--json", "advise").stdout)
            self.assertIn(name, {f["domain"] for f in j["findings"]})

            line = adm.refused(self, d, "advise", "kt-no-such-domain", expect="kt-no-such-domain")
            self.assertIn("No domain", line)

    def test_report_on_a_running_domain(self):
        AdviseHost(self.root)
        with self.dom:
            name = self.dom.name
            p = advise(self.root, "--profile", "virtual-host", "--ids", name)
            self.assertIn(p.returncode, (1, 2), p.stderr)
            mine = sorted(l.split()[0] for l in p.stdout.splitlines() if l.split()[1] == name)
            self.assertEqual(mine, ["cpu-model", "disk-bus", "disk-cache-mode", "mem-hugepages", "net-multiqueue"])

            p = advise(self.root, "--profile", "virtual-host", "--json", name)
            doc = json.loads(p.stdout)
            self.assertEqual(doc["domains"], 1)
            found = {(f["rule"], f["subject"]): f for f in doc["findings"] if f["domain"] == name}
            self.assertIn("cache='writeback'", found[("disk-cache-mode", "disk vda")]["message"])
            self.assertIn("bus='ide'", found[("disk-bus", "disk hdb")]["message"])
            mq = found[("net-multiqueue", "interface 52:54:00:6b:74:01")]
            self.assertIn("2 vCPUs, queues=1", mq["message"])
            self.assertIn("queues='2'", mq["fix"])
            self.assertIn("virsh edit %s" % name, found[("disk-bus", "disk hdb")]["fix"])

            p = advise(self.root, "--profile", "virtual-host", "--text", name)
            self.assertIn("Domain %s:" % name, p.stdout)
            self.assertIn("warning [disk-bus] disk hdb:", p.stdout)

            # No names: every running domain, this one among them.
            p = advise(self.root, "--profile", "virtual-host", "--ids")
            self.assertIn(name, {l.split()[1] for l in p.stdout.splitlines()})

    def test_unknown_domain_is_one_clear_error(self):
        AdviseHost(self.root)
        p = advise(self.root, "--ids", "kt-no-such-domain")
        self.assertEqual(p.returncode, 69)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("kt-no-such-domain", p.stderr)


if __name__ == "__main__":
    harness.main()
