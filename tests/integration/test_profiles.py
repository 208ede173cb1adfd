#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Each shipped profile on a fake host: applied as written, and every
original back after SIGTERM, and after SIGKILL + restart + SIGTERM."""

import os
import signal
import struct

import harness
from fakehost import FakeHost, THP, KSM, CPU

VM = "proc/sys/vm"

# What each profile must set on the default fake host (values as the
# daemon reads them back).
EXPECTED = {
    "virtual-host": {
        CPU + "/cpu0/cpufreq/scaling_governor": "performance",
        CPU + "/cpu7/cpufreq/scaling_governor": "performance",
        CPU + "/cpu3/power/energy_perf_bias": "0",
        CPU + "/intel_pstate/min_perf_pct": "100",
        THP + "/enabled": "always",
        THP + "/defrag": "madvise",
        VM + "/dirty_background_ratio": "5",
        VM + "/dirty_ratio": "40",
        VM + "/swappiness": "10",
        # KSM is adaptive: started only under memory pressure (test_dynamic)
        "sys/block/sda/queue/scheduler": "mq-deadline",
        "sys/block/sda/queue/read_ahead_kb": "4096",
        "sys/block/vda/queue/scheduler": "mq-deadline",
    },
    "virtual-guest": {
        CPU + "/cpu0/cpufreq/scaling_governor": "performance",
        THP + "/enabled": "madvise",
        VM + "/dirty_ratio": "30",
        VM + "/dirty_background_ratio": "10",
        VM + "/swappiness": "30",
        KSM + "/run": "0",
        "sys/block/vda/queue/scheduler": "none",
        "sys/block/vda/queue/read_ahead_kb": "4096",
        "sys/block/sda/queue/read_ahead_kb": "128",       # not virtio: untouched
    },
    "latency": {
        CPU + "/cpu5/cpufreq/scaling_governor": "performance",
        CPU + "/intel_pstate/min_perf_pct": "100",
        THP + "/enabled": "madvise",
        THP + "/defrag": "never",
        VM + "/dirty_ratio": "10",
        VM + "/dirty_background_ratio": "3",
        VM + "/swappiness": "10",
        KSM + "/run": "2",
        "sys/block/sda/queue/scheduler": "mq-deadline",
    },
    "density": {
        # dynamic governor, idle to start with; KSM adaptive (test_dynamic)
        CPU + "/cpu2/cpufreq/scaling_governor": "powersave",
        THP + "/enabled": "madvise",
        VM + "/dirty_ratio": "20",
        VM + "/dirty_background_ratio": "10",
        VM + "/swappiness": "30",
        "sys/block/sda/queue/scheduler": "mq-deadline",
    },
}

LATENCY_HOLD = {"virtual-host": 70, "latency": 3}

# Files nobody may touch: the loop device is virtual, ip_forward is the
# system's own business (TuneD's sysctl.d reload breaks it).
UNTOUCHED = ["sys/block/loop0/queue/scheduler", "proc/sys/net/ipv4/ip_forward"]


class Profiles(harness.TestCase):

    def new_host(self):
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        return self.host

    def check_applied(self, host, name):
        for path, want in EXPECTED[name].items():
            self.assertEqual(host.value(path), want, "%s: %s" % (name, path))

    def check_hold(self, host, name):
        with open(host.path("dev/cpu_dma_latency"), "rb") as f:
            data = f.read()
        if name in LATENCY_HOLD:
            self.assertEqual(struct.unpack("<i", data[-4:])[0], LATENCY_HOLD[name])
        else:
            self.assertEqual(data, b"")

    def journal_records(self, d):
        with open(os.path.join(d.runtime, "journal")) as f:
            return f.read().splitlines()[1:]

    def test_each_profile_applies_and_sigterm_restores(self):
        for name in EXPECTED:
            with self.subTest(profile=name):
                host = self.new_host()
                before = host.snapshot()
                d = self.daemon(profile=name)
                d.start()
                self.check_applied(host, name)
                self.check_hold(host, name)
                changed = FakeHost.changes(before, host.snapshot())
                for path in UNTOUCHED:
                    self.assertNotIn(path, changed)
                self.assertTrue(self.journal_records(d))
                self.assertEqual(d.stop(), 0)
                self.assertEqual(FakeHost.changes(before, host.snapshot()), {})
                self.assertEqual(self.journal_records(d), [])
                self.assertIn("STOPPING=1", d.drain())

    def test_each_profile_survives_sigkill(self):
        for name in EXPECTED:
            with self.subTest(profile=name):
                host = self.new_host()
                before = host.snapshot()
                d = self.daemon(profile=name)
                d.start()
                d.kill()
                # Killed: the host is left tuned, the journal knows the originals.
                self.assertNotEqual(FakeHost.changes(before, host.snapshot()), {})
                d.start()
                self.check_applied(host, name)
                self.assertIn("Recovered", d.output())
                self.assertEqual(d.stop(), 0)
                self.assertEqual(FakeHost.changes(before, host.snapshot()), {})

    def test_killed_then_started_with_another_profile(self):
        host = self.new_host()
        before = host.snapshot()
        d = self.daemon(profile="virtual-host")
        d.start()
        d.kill()
        d.profile = "latency"
        d.start()
        self.check_applied(host, "latency")
        # Settings only virtual-host had are back to their originals.
        self.assertEqual(host.value(VM + "/dirty_background_ratio"), "3")
        self.assertEqual(host.value("sys/block/sda/queue/read_ahead_kb"), "128")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})

    def test_read_ahead_only_raised(self):
        # ">4096": a disk that already reads ahead further keeps its value.
        host = self.new_host()
        host.write("sys/block/sda/queue/read_ahead_kb", "8192")
        before = host.snapshot()
        d = self.daemon(profile="virtual-host")
        d.start()
        self.assertEqual(host.value("sys/block/sda/queue/read_ahead_kb"), "8192")
        self.assertEqual(host.value("sys/block/vda/queue/read_ahead_kb"), "4096")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})

    def test_repeated_kills(self):
        host = self.new_host()
        before = host.snapshot()
        d = self.daemon(profile="density")
        for _ in range(5):
            d.start()
            d.kill()
        d.profile = None
        d.start()           # remembered choice: density
        self.check_applied(host, "density")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})

    def test_sighup_reloads_and_refuses_broken_edit(self):
        host = self.new_host()
        before = host.snapshot()
        pdir = os.path.join(self.tmp, "profiles")
        self.write_profile("mine", "[main]\nsummary=x\n[vm]\nswappiness=15\n", pdir)
        d = self.daemon(profile="mine", profile_dirs=[pdir])
        d.start()
        self.assertEqual(host.value(VM + "/swappiness"), "15")
        self.write_profile("mine", "[main]\n[vm]\nswappiness=25\ndirty_ratio=33\n", pdir)
        d.signal(signal.SIGHUP)
        d.wait_for("RELOADING=1")
        d.wait_for("READY=1")
        self.assertEqual(host.value(VM + "/swappiness"), "25")
        self.assertEqual(host.value(VM + "/dirty_ratio"), "33")
        # A broken edit: refused, the active values stay.
        self.write_profile("mine", "[main]\n[vm]\nswappiness=25\ndirty_ratoi=10\n", pdir)
        d.signal(signal.SIGHUP)
        d.wait_for("READY=1")
        self.assertEqual(host.value(VM + "/dirty_ratio"), "33")
        self.assertIn("mine.conf:4:", d.output())
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})


if __name__ == "__main__":
    harness.main()
