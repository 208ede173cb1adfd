#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtual-guest on this machine's own kernel: /proc/sys and /sys/kernel/mm
(and the guest's virtio disks). Root only; every value is put back."""

import glob
import os

import harness

KNOBS = [
    "/sys/kernel/mm/transparent_hugepage/enabled",
    "/sys/kernel/mm/ksm/run",
    "/proc/sys/vm/dirty_ratio",
    "/proc/sys/vm/dirty_background_ratio",
    "/proc/sys/vm/swappiness",
] + sorted(glob.glob("/sys/block/vd*/queue/scheduler") + glob.glob("/sys/block/vd*/queue/read_ahead_kb"))

# Values unlike virtual-guest's, set first so every change is visible.
PRESET = {
    "/sys/kernel/mm/transparent_hugepage/enabled": "always",
    "/sys/kernel/mm/ksm/run": "1",
    "/proc/sys/vm/dirty_ratio": "21",
    "/proc/sys/vm/dirty_background_ratio": "9",
    "/proc/sys/vm/swappiness": "61",
}

EXPECTED = {
    "/sys/kernel/mm/transparent_hugepage/enabled": "madvise",
    "/sys/kernel/mm/ksm/run": "0",
    "/proc/sys/vm/dirty_ratio": "30",
    "/proc/sys/vm/dirty_background_ratio": "10",
    "/proc/sys/vm/swappiness": "30",
}


def read(path):
    with open(path) as f:
        v = f.read().strip()
    return v[v.index("[") + 1:v.index("]")] if "[" in v else v


def write(path, value):
    with open(path, "w") as f:
        f.write(value)


class RealKernel(harness.TestCase):

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to change kernel tunables")
        if not os.access("/proc/sys/vm/swappiness", os.W_OK):
            self.skipTest("/proc/sys is read-only here")
        super().setUp()
        self.lock = harness.real_host_lock()
        self.originals = {p: read(p) for p in KNOBS if os.path.exists(p)}
        for disk in glob.glob("/sys/block/vd*/queue/scheduler"):
            if "mq-deadline" in open(disk).read():
                PRESET[disk] = "mq-deadline"
                EXPECTED[disk] = "none"
        for ra in glob.glob("/sys/block/vd*/queue/read_ahead_kb"):
            PRESET[ra] = "256"
            EXPECTED[ra] = "4096"
        for p, v in PRESET.items():
            write(p, v)
        self.preset = {p: read(p) for p in self.originals}

    def tearDown(self):
        for p, v in getattr(self, "originals", {}).items():
            try:
                write(p, v)
            except OSError:
                pass
        if hasattr(self, "lock"):
            self.lock.close()
        super().tearDown()

    def now(self):
        return {p: read(p) for p in self.originals}

    def check_applied(self):
        for p, want in EXPECTED.items():
            self.assertEqual(read(p), want, p)

    def test_apply_and_restore_on_sigterm(self):
        d = harness.Daemon(self.tmp, root=None, profile="virtual-guest")
        self.daemons.append(d)
        d.start()
        self.check_applied()
        self.assertEqual(d.stop(), 0)
        self.assertEqual(self.now(), self.preset)

    def test_restore_after_sigkill_and_restart(self):
        d = harness.Daemon(self.tmp, root=None, profile="virtual-guest")
        self.daemons.append(d)
        d.start()
        d.kill()
        self.check_applied()
        d.start()
        self.assertIn("Recovered", d.output())
        self.check_applied()
        self.assertEqual(d.stop(), 0)
        self.assertEqual(self.now(), self.preset)

    def test_with_only_the_units_capabilities(self):
        # kvmtuned.service bounds the daemon to a few capabilities: the job
        # on this kernel must still be done with just those.
        with open(os.path.join(harness.SOURCE, "systemd", "kvmtuned.service.in")) as f:
            caps = [line.split("=", 1)[1].split() for line in f if line.startswith("CapabilityBoundingSet=")]
        self.assertEqual(len(caps), 1)
        bounding = ",".join(["-all"] + ["+" + c[len("CAP_"):].lower() for c in caps[0]])
        d = harness.Daemon(self.tmp, root=None, profile="virtual-guest")
        d.argv_prefix = ["setpriv", "--no-new-privs", "--inh-caps=-all", "--bounding-set=" + bounding]
        self.daemons.append(d)
        d.start()
        with open("/proc/%d/status" % d.proc.pid) as f:
            eff = [int(line.split()[1], 16) for line in f if line.startswith("CapEff:")][0]
        numbers = {"CAP_NET_ADMIN": 12, "CAP_SYS_NICE": 23}     # linux/capability.h
        self.assertEqual(eff, sum(1 << numbers[c] for c in caps[0]))
        self.check_applied()
        self.assertNotIn("Failed to set", d.output())
        self.assertEqual(d.stop(), 0)
        self.assertEqual(self.now(), self.preset)

    def test_kernel_rejects_a_value(self):
        # The kernel refuses swappiness=201 with EINVAL: logged, skipped,
        # the rest applied, nothing left changed.
        pdir = os.path.join(self.tmp, "profiles")
        self.write_profile("bad-value", "[sysctl]\nvm.swappiness=201\nvm.dirty_ratio=31\n", pdir)
        d = harness.Daemon(self.tmp, root=None, profile="bad-value", profile_dirs=[pdir])
        self.daemons.append(d)
        d.start()
        self.assertIn("Failed to set /proc/sys/vm/swappiness to '201', skipping: Invalid argument", d.output())
        self.assertEqual(read("/proc/sys/vm/dirty_ratio"), "31")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(self.now(), self.preset)


if __name__ == "__main__":
    harness.main()
