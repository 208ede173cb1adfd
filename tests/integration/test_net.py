#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""[net] on a fake host: offloads and txqueuelen of the NICs `devices=`
matches, each original journaled: back after SIGTERM, and after SIGKILL
once a restarted daemon reads the journal. (The fake host keeps one file
per offload; test_hotplug drives the real ethtool ioctl on veth.)"""

import os

import harness
from fakehost import FakeHost

NET = "sys/class/net/"


class Net(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.host = FakeHost(os.path.join(self.tmp, "root"), nics=("eth0", "eth1", "lo"))
        self.original = self.host.snapshot()
        self.pdir = os.path.join(self.tmp, "profiles")
        self.write_profile("nic", "[net]\ndevices=eth*, !eth1\ngro=false\ntso=off\nlro=false\ntxqueuelen=4000\n",
                           self.pdir)
        self.write_profile("none", "[main]\nsummary=nothing\n", self.pdir)

    def test_offloads_applied_and_restored(self):
        d = self.daemon(profile="nic", profile_dirs=[self.pdir])
        d.start()
        self.assertEqual(self.host.value(NET + "eth0/features/gro"), "off")
        self.assertEqual(self.host.value(NET + "eth0/features/tso"), "off")
        self.assertEqual(self.host.value(NET + "eth0/features/gso"), "on")      # not in the profile
        self.assertEqual(self.host.value(NET + "eth0/tx_queue_len"), "4000")
        changed = FakeHost.changes(self.original, self.host.snapshot())
        self.assertEqual(set(changed), {NET + "eth0/features/gro", NET + "eth0/features/tso",
                                        NET + "eth0/tx_queue_len"})     # not eth1, not lo; lro was off
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})

        d = self.daemon(profile="nic", profile_dirs=[self.pdir])
        d.start()
        d.kill()
        self.assertEqual(self.host.value(NET + "eth0/features/gro"), "off")
        d = self.daemon(profile="none", profile_dirs=[self.pdir])
        d.start()
        # gro, tso, lro (already off: journaled, not written) and txqueuelen
        self.assertIn("Recovered 4 original value(s)", d.output())
        self.assertIn("0 settings, 3 written", d.output())
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
