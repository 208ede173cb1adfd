#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Faults: the daemon killed at random moments while it applies profiles, a
torn journal, host writes the kernel (or file permissions) refuse, plugins
that fail their probe. Whatever happens, no original value is lost."""

import os
import random
import shutil
import signal
import subprocess
import time
import zlib

import harness
from fakehost import FakeHost

VM = "proc/sys/vm"
PROFILES = ["virtual-host", "virtual-guest", "latency", "density"]


def journal_field(s):
    if s == "":
        return "%-"
    return "".join(c if 0x20 < ord(c) < 0x7f and c != "%" else "%%%02X" % ord(c) for c in s)


def journal_line(backend, key, original):
    body = " ".join(journal_field(f) for f in (backend, key, original))
    return "%08x %s\n" % (zlib.crc32(body.encode()), body)


class SigkillStorm(harness.TestCase):
    """SIGKILL at random moments while profiles apply, many times in a row:
    the next start restores every original (the journal is always enough)."""

    def test_storm_on_a_large_host(self):
        # 448 CPUs: applying a profile writes ~1000 files, so the kills land
        # in the middle of journal appends and host writes alike.
        self.host = FakeHost(os.path.join(self.tmp, "root"), nodes=8, cores_per_node=28, threads=2,
                             disks=["sd%s" % c for c in "abcdefgh"])
        before = self.host.snapshot()
        rng = random.Random(int(os.environ.get("KT_SEED", "0")) or None)
        d = self.daemon()
        # Kill within the time a start takes on this machine, measured once
        # (a fixed window would miss on a fast machine and idle on a slow one).
        d.profile = "density"
        t0 = time.monotonic()
        d.start()
        window = time.monotonic() - t0
        d.kill()
        kills_while_starting = 0
        for i in range(40):
            d.profile = rng.choice(PROFILES)
            d.start(wait=False)
            time.sleep(rng.uniform(0, window))
            if d.proc.poll() is None:
                kills_while_starting += "READY=1" not in d.drain(0)
                d.kill()
            else:
                self.fail("daemon exited early:\n" + d.output())
        self.assertGreater(kills_while_starting, 0, "no kill landed before READY: the storm tested nothing")
        # One clean start and stop: everything the storm changed comes back.
        d.profile = "latency"
        d.start()
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, self.host.snapshot()), {})

    def test_kill_during_reload(self):
        self.host = FakeHost(os.path.join(self.tmp, "root"), nodes=4, cores_per_node=16)
        before = self.host.snapshot()
        pdir = os.path.join(self.tmp, "profiles")
        d = self.daemon(profile="mine", profile_dirs=[pdir, harness.PROFILES])
        self.write_profile("mine", "[main]\ninclude=virtual-host\n", pdir)
        d.start()
        rng = random.Random()
        for i in range(15):
            # Alternate between two very different profiles so each reload
            # moves hundreds of settings, and kill somewhere in it.
            base = "latency" if i % 2 else "density"
            self.write_profile("mine", "[main]\ninclude=%s\n[vm]\nswappiness=%d\n" % (base, i), pdir)
            d.signal(signal.SIGHUP)
            time.sleep(rng.uniform(0, 0.02))
            d.kill()
            d.start()
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, self.host.snapshot()), {})


class Journal(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        self.boot_id = self.host.read("proc/sys/kernel/random/boot_id")

    def write_journal(self, d, text):
        os.makedirs(d.runtime, exist_ok=True)
        with open(os.path.join(d.runtime, "journal"), "w") as f:
            f.write("kvmtuned-journal 1 %s\n" % journal_field(self.boot_id) + text)

    def off(self, d):
        os.makedirs(d.state, exist_ok=True)
        with open(os.path.join(d.state, "active_profile"), "w") as f:
            f.write("!off\n")

    def test_torn_last_record(self):
        # A daemon died while appending its second record: the first was
        # durable and its value written; the torn one was never written.
        d = self.daemon()
        self.host.write(VM + "/swappiness", 10)
        full = journal_line("file", "/proc/sys/vm/swappiness", "60")
        torn = journal_line("file", "/proc/sys/vm/dirty_ratio", "20")[:30]
        self.write_journal(d, full + torn)
        self.off(d)
        d.start()
        self.assertIn("1 torn or corrupt record(s) skipped", d.output())
        self.assertIn("Recovered 1 original value(s)", d.output())
        self.assertEqual(self.host.value(VM + "/swappiness"), "60")
        self.assertEqual(self.host.value(VM + "/dirty_ratio"), "20")
        self.assertEqual(d.stop(), 0)
        with open(os.path.join(d.runtime, "journal")) as f:
            self.assertEqual(f.read().splitlines()[1:], [])

    def test_corrupt_record_in_the_middle(self):
        d = self.daemon()
        self.host.write(VM + "/swappiness", 10)
        self.host.write(VM + "/dirty_ratio", 40)
        bad = journal_line("file", "/proc/sys/vm/dirty_background_ratio", "10").replace("10\n", "11\n")
        self.write_journal(d, journal_line("file", "/proc/sys/vm/swappiness", "60") + bad +
                           journal_line("file", "/proc/sys/vm/dirty_ratio", "20"))
        self.off(d)
        d.start()
        self.assertIn("1 torn or corrupt record(s) skipped", d.output())
        self.assertEqual(self.host.value(VM + "/swappiness"), "60")
        self.assertEqual(self.host.value(VM + "/dirty_ratio"), "20")
        self.assertEqual(d.stop(), 0)

    def test_garbage_journal(self):
        d = self.daemon(profile="virtual-host")
        os.makedirs(d.runtime, exist_ok=True)
        with open(os.path.join(d.runtime, "journal"), "wb") as f:
            f.write(os.urandom(4096))
        before = self.host.snapshot()
        d.start()
        self.assertIn("unreadable, discarding it", d.output())
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, self.host.snapshot()), {})

    def test_journal_that_is_not_a_file(self):
        d = self.daemon(profile="virtual-host")
        os.makedirs(os.path.join(d.runtime, "journal"))
        rc = d.run_to_exit()
        self.assertNotEqual(rc, 0)
        self.assertIn("journal", d.output())


class RefusedWrites(harness.TestCase):
    """Writes the host refuses are reported and skipped; the rest applies and
    is restored."""

    def test_fifo_refuses(self):
        # Reading a FIFO with no writer gives "", writing one with no
        # reader fails with ENXIO: a file that takes no value.
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        os.unlink(self.host.path(VM + "/dirty_ratio"))
        os.mkfifo(self.host.path(VM + "/dirty_ratio"))
        before = self.host.snapshot()
        d = self.daemon(profile="virtual-host")
        d.start()
        self.assertIn("Failed to set /proc/sys/vm/dirty_ratio to '40', skipping: No such device or address",
                      d.output())
        self.assertEqual(self.host.value(VM + "/swappiness"), "10")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, self.host.snapshot()), {})

    def test_not_root(self):
        # Run the daemon as nobody: files it may write are nobody's, a few
        # stay root's and read-only, so the kernel answers EACCES.
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        os.chmod(self.tmp, 0o755)
        os.chown(self.tmp, 65534, 65534)
        for dirpath, dirs, files in os.walk(self.tmp):
            for n in dirs + files:
                os.lchown(os.path.join(dirpath, n), 65534, 65534)
        for rel in (VM + "/swappiness", "sys/block/sda/queue/read_ahead_kb"):
            os.chown(self.host.path(rel), 0, 0)
            os.chmod(self.host.path(rel), 0o444)
        pdir = os.path.join(self.tmp, "profiles")
        secret = self.write_profile("secret", "[vm]\nswappiness=1\n", pdir)
        os.chown(secret, 0, 0)
        os.chmod(secret, 0o600)
        os.chown(pdir, 65534, 65534)
        before = self.host.snapshot()

        def as_nobody(d):
            d.argv_prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
            for p in (d.config,):
                os.chown(p, 65534, 65534)
            return d

        d = as_nobody(self.daemon(profile="virtual-host"))
        d.start()
        out = d.output()
        self.assertIn("Failed to set /proc/sys/vm/swappiness to '10', skipping: Permission denied", out)
        self.assertIn("Failed to set /sys/block/sda/queue/read_ahead_kb to '4096', skipping: Permission denied", out)
        self.assertEqual(self.host.value(VM + "/dirty_ratio"), "40")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, self.host.snapshot()), {})

        # An unreadable profile: one line naming it, nothing changed.
        d = as_nobody(self.daemon(profile="secret", profile_dirs=[pdir]))
        self.assertNotEqual(d.run_to_exit(), 0)
        self.assertIn("%s: Permission denied" % secret, d.output())
        self.assertEqual(FakeHost.changes(before, self.host.snapshot()), {})


class FailingPlugins(harness.TestCase):

    def test_probe_error_and_failed_apply(self):
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        plugins = os.path.join(self.tmp, "plugins")
        shutil.copytree(harness.PLUGINS, plugins,
                        ignore=lambda d, names: [n for n in names if not n.endswith(".so")])
        for name in ("probefail.so", "applyfail.so"):
            shutil.copy(os.path.join(harness.BUILD, "tests", "plugins", name), plugins)
        pdir = os.path.join(self.tmp, "profiles")
        self.write_profile("mine", "[main]\ninclude=virtual-host\n[probefail]\n", pdir)
        before = self.host.snapshot()
        d = self.daemon(profile="mine", profile_dirs=[pdir, harness.PROFILES], extra=["--plugin-dir", plugins])
        d.start()
        self.assertIn("Plugin probefail: not supported here: Input/output error", d.output())
        self.assertIn("[probefail] skipped", d.output())
        self.assertEqual(self.host.value(VM + "/swappiness"), "10")
        self.assertEqual(d.stop(), 0)

        # A plugin whose apply fails without saying why still refuses the
        # profile atomically, with a line naming its section.
        path = self.write_profile("bad", "[vm]\nswappiness=1\n[applyfail]\n", pdir)
        d = self.daemon(profile="bad", profile_dirs=[pdir], extra=["--plugin-dir", plugins])
        self.assertNotEqual(d.run_to_exit(), 0)
        self.assertIn("%s:3: [applyfail] Device or resource busy" % path, d.output())
        self.assertEqual(FakeHost.changes(before, self.host.snapshot()), {})


if __name__ == "__main__":
    harness.main()
