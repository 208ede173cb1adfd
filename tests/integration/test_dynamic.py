#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The dynamic rules on a fake host whose /proc counters the test moves
between ticks at --interval-ms 100: the governor follows CPU load both
ways, KSM starts under memory pressure and stops after it, and
dirty_background_ratio drops under write load and comes back.
`kvmtuned-adm status` explains each rule, `verify` accepts a dynamic value
anywhere in its rule's range, and a dynamic change is covered by the
journal: SIGKILL, restart, and the original is back."""

import os
import re
import signal
import time

import adm
import harness
from fakehost import FakeHost, LoadDriver, CPU, KSM

VM = "proc/sys/vm"
GOV = CPU + "/cpu%d/cpufreq/scaling_governor"
DBR = VM + "/dirty_background_ratio"
GIB = 1024 * 1024


class Dynamic(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        self.original = self.host.snapshot()

    def start(self, profile="density", extra=(), **kw):
        d = self.daemon(profile=profile, extra=["--interval-ms", "100"] + list(extra), **kw)
        d.start()
        return d

    def wait(self, d, what, cond, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            if d.proc.poll() is not None:
                self.fail("daemon exited while waiting for %s:\n%s" % (what, d.output()))
            time.sleep(0.05)
        self.fail("no %s within %ss:\n%s" % (what, timeout, d.output()[-4000:]))

    def governors(self):
        return {self.host.value(GOV % c) for c in range(self.host.ncpus)}

    def status(self, d):
        """`kvmtuned-adm status`, with the column padding folded away."""
        return re.sub(r"^(\S+:)\s+", r"\1 ", adm.ok(self, d, "status"), flags=re.M)

    def test_status_through_sigusr1(self):
        # For a host with no client at hand: the same lines into the log.
        d = self.start()
        self.wait(d, "a sample", lambda: "sample 1" in self.status(d))
        d.signal(signal.SIGUSR1)
        self.wait(d, "status in the log", lambda: re.search(r"status: cpu\.governor: powersave \(load", d.output()))
        self.assertIn("status: hotplug: off (--root)", d.output())
        self.assertEqual(d.stop(), 0)

    def test_governor_follows_load(self):
        d = self.start()
        self.assertEqual(self.governors(), {"powersave"})
        with LoadDriver(self.host) as load:
            load.set(busy=0.9)
            self.wait(d, "performance under load", lambda: self.governors() == {"performance"})
            st = self.status(d)
            self.assertRegex(st, r"cpu\.governor: performance \(load \d+%, powersave below 30% for 10 samples")
            self.assertRegex(st, r"load: \d+% of 8 CPUs")
            # The dynamic value is what the profile wants now: verify agrees,
            # and flags a governor outside the rule's range.
            self.assertIn("Verification succeeded", adm.ok(self, d, "verify"))
            self.host.write(GOV % 3, "schedutil")
            adm.refused(self, d, "verify", expect="verification failed: 1 value(s) differ")
            p = adm.run(d, "verify")
            self.assertRegex(p.stdout, r"cpu3/cpufreq/scaling_governor:\s+expected performance\|powersave, actual schedutil")
            self.host.write(GOV % 3, "performance")
            load.set(busy=0.05)
            self.wait(d, "powersave when idle", lambda: self.governors() == {"powersave"})
            st = self.status(d)
            self.assertRegex(st, r"cpu\.governor: powersave \(load \d+%, performance above 70% for 3 samples")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})

    def test_switch_needs_enough_busy_samples(self):
        # Hysteresis: busy samples count up, and until there are enough of
        # them in a row the governor stays.
        self.write_profile("slow", "[cpu]\ndynamic=true\nbusy_samples=1000\n")
        d = self.start(profile="slow", profile_dirs=[os.path.join(self.tmp, "profiles")])
        with LoadDriver(self.host) as load:
            load.set(busy=0.95)
            self.wait(d, "several busy samples", lambda: re.search(
                r"governor: powersave \(load (9\d|100)%, performance above 70% for 1000 samples, "
                r"([5-9]|\d\d+) so far\)", self.status(d)))
            self.assertEqual(self.governors(), {"powersave"})
        self.assertEqual(d.stop(), 0)

    def test_ksm_follows_memory_pressure(self):
        d = self.start()
        run = lambda: self.host.value(KSM + "/run")
        self.wait(d, "ksmd stopped with plenty of free memory", lambda: "stopping ksmd" in d.output())
        self.assertEqual(run(), "0")
        self.host.counters.set_meminfo(free_kib=1 * GIB)
        self.wait(d, "ksmd running under pressure", lambda: run() == "1")
        pages = int(self.host.value(KSM + "/pages_to_scan"))
        self.assertGreaterEqual(pages, 64)
        self.assertLessEqual(pages, 2500)
        # density: 16 GiB, 10 ms per 16 GiB
        self.assertEqual(self.host.value(KSM + "/sleep_millisecs"), "10")
        self.wait(d, "pages_to_scan boosted to the cap", lambda: self.host.value(KSM + "/pages_to_scan") == "2500")
        st = self.status(d)
        self.assertRegex(st, r"ksm\.adaptive: running, pages_to_scan 2500 \(free below threshold: boosting; "
                             r"free 1024 MiB, threshold 4915 MiB")
        self.host.counters.set_meminfo(free_kib=12 * GIB)
        self.wait(d, "ksmd stopped after the pressure", lambda: run() == "0")
        self.assertIn("ksm.adaptive: stopped", self.status(d))
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})

    def test_writeback_under_write_load(self):
        d = self.start()
        self.assertEqual(self.host.value(DBR), "10")
        with LoadDriver(self.host) as load:
            load.set(write_bps=300 * 1024 * 1024)
            self.wait(d, "dirty_background_ratio lowered", lambda: self.host.value(DBR) == "4")
            st = self.status(d)
            self.assertRegex(st, r"vm\.writeback: dirty_background_ratio 4 \(writes \d+ MiB/s, 10 below 16 MiB/s")
            self.assertRegex(st, r"disks: 3 \(busiest: sda \d+ IOPS")
            load.set(write_bps=0)
            self.wait(d, "dirty_background_ratio back", lambda: self.host.value(DBR) == "10")
        self.assertEqual(d.stop(), 0)

    def test_dynamic_false_keeps_static_values(self):
        with open(os.path.join(self.tmp, "kvmtuned.conf"), "w") as f:
            f.write("[daemon]\ndynamic=false\n")
        d = self.start()
        with LoadDriver(self.host) as load:
            load.set(busy=0.95, write_bps=300 * 1024 * 1024)
            self.wait(d, "samples under load", lambda: re.search(r"load: (9\d|100)%", self.status(d)))
            time.sleep(1)
            st = self.status(d)
        self.assertIn("dynamic: off (static values only)", st)
        self.assertEqual(self.governors(), {"powersave"})
        self.assertEqual(self.host.value(DBR), "10")
        self.assertNotIn("ksmd", d.output())
        self.assertEqual(d.stop(), 0)

    def test_sigkill_after_dynamic_change_restores(self):
        d = self.start()
        with LoadDriver(self.host) as load:
            load.set(busy=0.9, write_bps=300 * 1024 * 1024)
            self.wait(d, "both rules under load",
                      lambda: self.governors() == {"performance"} and self.host.value(DBR) == "4")
            d.kill()
        self.assertEqual(self.host.value(GOV % 0), "performance")
        # Restart with a profile that leaves CPUs and writeback alone: the
        # journal's originals go back.
        self.write_profile("other", "[vm]\nswappiness=55\n")
        d2 = self.start(profile="other", profile_dirs=[os.path.join(self.tmp, "profiles")])
        self.assertIn("Recovered", d2.output())
        self.assertEqual(self.governors(), {"powersave"})
        self.assertEqual(self.host.value(DBR), "10")
        self.assertEqual(d2.stop(), 0)
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})


if __name__ == "__main__":
    harness.main()
