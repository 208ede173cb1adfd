#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Device hotplug on this machine's real kernel: a veth pair created while
the daemon runs arrives as a kernel uevent and gets the profile's [net]
settings (offloads through the ethtool ioctl, txqueuelen) at once; deleting
it drops those settings from what the daemon tracks, without errors.
Offloads of a pair that existed at start go back on SIGTERM, and after
SIGKILL a restart restores them from the journal. Root only; only veth
interfaces the test creates are touched, and they are deleted again."""

import os
import re
import signal
import subprocess
import time

import harness

PROFILE = "[net]\ndevices=ktv*\ngso=%s\ntso=%s\ntxqueuelen=512\n"


def ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), check=check, capture_output=True, text=True)


def offload(dev, name):
    """'on' or 'off' as `ethtool -k` shows it."""
    out = subprocess.run(["ethtool", "-k", dev], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.strip().startswith(name + ":"):
            return line.split(":")[1].split()[0]
    raise AssertionError("%s: no %s in ethtool -k" % (dev, name))


def txqueuelen(dev):
    with open("/sys/class/net/%s/tx_queue_len" % dev) as f:
        return f.read().strip()


GSO, TSO = "generic-segmentation-offload", "tcp-segmentation-offload"
MANGLEID = "tx-tcp-mangleid-segmentation"


class Hotplug(harness.TestCase):

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to create veth interfaces")
        ip("link", "del", "ktprobe0", check=False)     # left by a killed run
        try:
            ip("link", "add", "ktprobe0", "type", "veth", "peer", "name", "ktprobe1")
        except (subprocess.CalledProcessError, FileNotFoundError) as e:
            self.skipTest("cannot create a veth pair here: %s" % e)
        super().setUp()
        self.lock = harness.real_host_lock()
        # What the driver starts a veth with; the profile asks for the opposite.
        self.default = {GSO: offload("ktprobe0", GSO), TSO: offload("ktprobe0", TSO), "txq": txqueuelen("ktprobe0")}
        ip("link", "del", "ktprobe0")
        self.want = {k: ("off" if v == "on" else "on") for k, v in self.default.items() if k != "txq"}
        self.pdir = os.path.join(self.tmp, "profiles")
        self.write_profile("veth", PROFILE % (self.want[GSO], self.want[TSO]), self.pdir)
        self.write_profile("none", "[main]\nsummary=nothing\n", self.pdir)

    def tearDown(self):
        for dev in ("ktv0", "ktv-s0", "ktprobe0"):
            ip("link", "del", dev, check=False)
        super().tearDown()
        if hasattr(self, "lock"):
            self.lock.close()

    def daemon_on_real_host(self, profile):
        return self.daemon(root="/", profile=profile, profile_dirs=[self.pdir])

    def tuned(self, dev):
        return (offload(dev, GSO) == self.want[GSO] and offload(dev, TSO) == self.want[TSO] and
                txqueuelen(dev) == "512")

    def wait(self, d, what, cond, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.05)
        self.fail("no %s within %ss:\n%s" % (what, timeout, d.output()))

    def test_veth_added_and_removed(self):
        d = self.daemon_on_real_host("veth")
        d.start()
        d.signal(signal.SIGUSR1)
        self.wait(d, "the hotplug status line", lambda: re.search(r"status: hotplug: (kernel|udev)\n", d.output()))
        self.assertNotIn("ktv0", d.output())
        ip("link", "add", "ktv0", "type", "veth", "peer", "name", "ktv1")
        self.wait(d, "ktv0 and ktv1 tuned", lambda: self.tuned("ktv0") and self.tuned("ktv1"))
        self.wait(d, "the log line", lambda: "net ktv1 appeared: 3 setting(s)" in d.output())
        ip("link", "del", "ktv0")          # takes its peer with it
        self.wait(d, "both forgotten", lambda: "net ktv0 went away: 3 setting(s) no longer tracked" in d.output()
                  and "net ktv1 went away: 3 setting(s) no longer tracked" in d.output())
        self.assertEqual(d.stop(), 0)
        out = d.output()
        self.assertNotIn("Failed", out)
        self.assertNotIn("Cannot", out)

    def test_offloads_restored_on_stop_and_after_sigkill(self):
        ip("link", "add", "ktv-s0", "type", "veth", "peer", "name", "ktv-s1")
        # A group with one bit unlike the others comes back exactly so.
        subprocess.run(["ethtool", "-K", "ktv-s0", MANGLEID, "off"], check=True)
        d = self.daemon_on_real_host("veth")
        d.start()
        self.assertTrue(self.tuned("ktv-s0"))
        self.assertEqual(d.stop(), 0)
        self.assertEqual(offload("ktv-s0", GSO), self.default[GSO])
        self.assertEqual(offload("ktv-s0", TSO), self.default[TSO])
        self.assertEqual(offload("ktv-s0", MANGLEID), "off")
        self.assertEqual(offload("ktv-s1", MANGLEID), "on")
        self.assertEqual(txqueuelen("ktv-s0"), self.default["txq"])

        d = self.daemon_on_real_host("veth")
        d.start()
        self.assertTrue(self.tuned("ktv-s1"))
        d.kill()
        self.assertTrue(self.tuned("ktv-s1"))
        d = self.daemon_on_real_host("none")
        d.start()
        self.assertIn("Recovered 6 original value(s)", d.output())
        self.assertEqual(offload("ktv-s1", GSO), self.default[GSO])
        self.assertEqual(offload("ktv-s1", TSO), self.default[TSO])
        self.assertEqual(txqueuelen("ktv-s1"), self.default["txq"])
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
