#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The daemon SIGKILLed while `kvmtuned-adm profile X` switches, again and
again: the client fails with one line, and the next daemon recovers every
original value from the journal."""

import os
import random
import subprocess
import time

import adm
import harness
from fakehost import FakeHost

PROFILES = ["virtual-host", "latency", "density", "virtual-guest"]


class KillDuringSwitch(harness.TestCase):

    def test_kill_loop(self):
        # 256 CPUs and 8 disks: a switch moves several hundred files, so
        # kills land inside it.
        self.host = FakeHost(os.path.join(self.tmp, "root"), nodes=4, cores_per_node=32, threads=2,
                             disks=["sd%s" % c for c in "abcdefgh"])
        original = self.host.snapshot()
        rng = random.Random(int(os.environ.get("KT_SEED", "0")) or None)
        d = self.daemon(profile="virtual-host")
        interrupted = 0
        for i in range(25):
            d.profile = rng.choice(PROFILES)
            d.start()
            target = rng.choice([p for p in PROFILES if p != d.profile])
            client = subprocess.Popen([harness.ADM, "--socket", adm.socket_of(d), "profile", target],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
            time.sleep(rng.uniform(0, 0.05))
            d.kill()
            out, err = client.communicate(timeout=60)
            if client.returncode != 0:
                interrupted += 1
                lines = err.splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertTrue(lines[0].startswith("kvmtuned-adm: "), lines)
            # The next daemon finds the journal: whatever it runs now, the
            # host is consistent with it, and off brings back every original.
            d.profile = None
            d.start()
            adm.ok(self, d, "verify")
            adm.ok(self, d, "off")
            self.assertEqual(FakeHost.changes(original, self.host.snapshot()), {}, "round %d" % i)
            self.assertEqual(d.stop(), 0)
        print("%d of 25 switches interrupted" % interrupted)
        self.assertGreater(interrupted, 0, "no kill landed during a switch: the loop tested nothing")

    def test_client_killed_during_switch(self):
        # The caller dies, not the daemon: the switch completes or never
        # starts, the daemon stays consistent and keeps serving.
        self.host = FakeHost(os.path.join(self.tmp, "root"), nodes=4, cores_per_node=32, threads=2)
        original = self.host.snapshot()
        rng = random.Random(int(os.environ.get("KT_SEED", "0")) or None)
        d = self.daemon(profile="virtual-host")
        d.start()
        for i in range(15):
            target = PROFILES[i % len(PROFILES)]
            client = subprocess.Popen([harness.ADM, "--socket", adm.socket_of(d), "profile", target],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, 0.03))
            client.kill()
            client.wait(10)
            d.settle()
            active = adm.data(self, d, "active")["profile"]
            self.assertIn(active, PROFILES)
            adm.ok(self, d, "verify")
        self.assertIsNone(d.proc.poll())
        adm.ok(self, d, "off")
        self.assertEqual(FakeHost.changes(original, self.host.snapshot()), {})
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
