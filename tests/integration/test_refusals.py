#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bad input at start-up: one clear line naming file:line (or the argument),
a non-zero exit, and no change on the host."""

import os
import shutil
import stat

import harness
from fakehost import FakeHost, THP

VM = "proc/sys/vm"


def error_lines(output):
    return [l for l in output.splitlines() if l.strip()]


class Refusals(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        self.before = self.host.snapshot()
        self.pdir = os.path.join(self.tmp, "profiles")
        os.makedirs(self.pdir)

    def refused(self, profile, expect, profile_dirs=None, extra=()):
        d = self.daemon(profile=profile, profile_dirs=profile_dirs or [self.pdir], extra=extra)
        rc = d.run_to_exit()
        out = d.output()
        self.assertNotEqual(rc, 0, out)
        self.assertIn(expect, out)
        self.assertEqual(len(error_lines(out)), 1, out)
        self.assertEqual(FakeHost.changes(self.before, self.host.snapshot()), {})
        self.assertFalse(os.path.exists(os.path.join(d.state, "active_profile")))
        return out

    def test_unknown_key_names_file_and_line(self):
        path = self.write_profile("typo", "[main]\nsummary=t\n[vm]\nswappiness=10\ndirty_ratoi=5\n", self.pdir)
        self.refused("typo", "%s:5: [vm] unknown key 'dirty_ratoi' (did you mean 'dirty_ratio'?)" % path)

    def test_unknown_section(self):
        path = self.write_profile("sec", "[main]\n[vmm]\nswappiness=1\n", self.pdir)
        self.refused("sec", "%s:2: unknown section [vmm]" % path)

    def test_value_out_of_range(self):
        path = self.write_profile("range", "[vm]\nswappiness=500\n", self.pdir)
        self.refused("range", "%s:2: [vm] swappiness=500: expected an integer from 0 to 200" % path)

    def test_governor_not_available(self):
        path = self.write_profile("gov", "[cpu]\ngovernor=ondemand\n", self.pdir)
        self.refused("gov", "%s:2: [cpu] governor=ondemand: not available on cpu0" % path)

    def test_thp_mode_kernel_does_not_offer(self):
        self.host.write(THP + "/enabled", "[madvise] never")
        self.before = self.host.snapshot()
        path = self.write_profile("thp", "[vm]\nswappiness=1\ntransparent_hugepages=always\n", self.pdir)
        self.refused("thp", "%s:3: [vm] transparent_hugepages=always: this kernel offers: [madvise] never" % path)

    def test_no_such_sysctl(self):
        path = self.write_profile("sysctl", "[sysctl]\nvm.swappiness=1\nvm.no_such_thing=1\n", self.pdir)
        self.refused("sysctl", "%s:3: [sysctl] vm.no_such_thing=1: no such sysctl" % path)

    def test_sysctl_cannot_escape_proc_sys(self):
        path = self.write_profile("escape", "[sysctl]\n../../etc/passwd=x\n", self.pdir)
        self.refused("escape", "%s:2: [sysctl] ../../etc/passwd=x: not a sysctl name" % path)

    def test_two_sections_set_the_same_file(self):
        self.write_profile("conflict", "[vm]\nswappiness=1\n[sysctl]\nvm.swappiness=2\n", self.pdir)
        self.refused("conflict", "[sysctl] sets /proc/sys/vm/swappiness, which [vm] already sets")

    def test_include_problems(self):
        self.write_profile("a", "[main]\ninclude=b\n", self.pdir)
        self.write_profile("b", "[main]\ninclude=a\n", self.pdir)
        self.refused("a", "include cycle: a -> b -> a")
        path = self.write_profile("orphan", "[main]\ninclude=virtual-host,ghost\n", self.pdir)
        self.refused("orphan", "%s:2: included profile 'ghost' not found" % path,
                     profile_dirs=[self.pdir, harness.PROFILES])

    def test_missing_profile(self):
        self.refused("nosuch", "profile 'nosuch' not found")

    def test_not_a_regular_file(self):
        os.mkfifo(os.path.join(self.pdir, "fifo.conf"))
        self.refused("fifo", "fifo.conf: not a regular file")
        os.symlink("/dev/zero", os.path.join(self.pdir, "zero.conf"))
        self.refused("zero", "zero.conf: not a regular file")

    def test_garbage_profile(self):
        with open(os.path.join(self.pdir, "junk.conf"), "wb") as f:
            f.write(os.urandom(64) + b"\x00" + os.urandom(64))
        self.refused("junk", "junk.conf:")

    def test_bad_command_line(self):
        for args, expect in (
                (["--profile", "../etc/passwd"], "invalid --profile '../etc/passwd'"),
                (["--interval-ms", "0"], "invalid --interval-ms '0'"),
                (["--interval-ms", "abc"], "invalid --interval-ms 'abc'"),
                (["--bogus"], "unknown option '--bogus'"),
                (["--log-level", "loud"], "invalid --log-level 'loud'"),
                (["stray"], "unexpected argument 'stray'")):
            with self.subTest(args=args):
                d = self.daemon(extra=args)
                rc = d.run_to_exit()
                self.assertEqual(rc, 1)
                lines = error_lines(d.output())
                self.assertEqual(len(lines), 1, lines)
                self.assertTrue(lines[0].startswith("kvmtuned: " + expect), lines)
                self.assertEqual(FakeHost.changes(self.before, self.host.snapshot()), {})

    def test_bad_config_file(self):
        conf = os.path.join(self.tmp, "bad.conf")
        with open(conf, "w") as f:
            f.write("[daemon]\ninterval_ms=1000\nintervall_ms=5\n")
        d = self.daemon(config=conf, profile="virtual-host")
        self.assertEqual(d.run_to_exit(), 1)
        self.assertIn("%s:3: intervall_ms=5: unknown key" % conf, d.output())
        self.assertEqual(FakeHost.changes(self.before, self.host.snapshot()), {})

    def test_broken_profile_after_crash_restores_originals(self):
        # A daemon killed with the host tuned, then restarted with a broken
        # profile: it refuses the profile but still puts the originals back.
        d = self.daemon(profile="virtual-host", profile_dirs=[harness.PROFILES])
        d.start()
        d.kill()
        path = self.write_profile("broken", "[vm]\nswapiness=1\n", self.pdir)
        d.profile = "broken"
        d.profile_dirs = [self.pdir]
        d.run_to_exit()
        self.assertIn("%s:2:" % path, d.output())
        self.assertEqual(FakeHost.changes(self.before, self.host.snapshot()), {})


class PluginLoader(harness.TestCase):
    """A bad plugin is refused with one line and never takes the daemon down."""

    def setUp(self):
        super().setUp()
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        self.plugins = os.path.join(self.tmp, "plugins")
        shutil.copytree(harness.PLUGINS, self.plugins,
                        ignore=lambda d, names: [n for n in names if not n.endswith(".so")])

    def run_with(self, profile="virtual-host"):
        d = self.daemon(profile=profile, extra=["--plugin-dir", self.plugins])
        d.start()
        return d

    def test_world_writable_plugin_refused(self):
        p = os.path.join(self.plugins, "ksm.so")
        os.chmod(p, 0o666)
        d = self.run_with()
        self.assertIn("ksm.so: writable by group or others (mode 0666), refusing it", d.output())
        self.assertIn("[ksm] ignored: plugin 'ksm' failed to load", d.output())
        self.assertEqual(self.host.value("proc/sys/vm/swappiness"), "10")    # the rest applied
        self.assertEqual(d.stop(), 0)

    def test_not_a_regular_file(self):
        os.unlink(os.path.join(self.plugins, "disk.so"))
        os.symlink(os.path.join(harness.PLUGINS, "disk.so"), os.path.join(self.plugins, "disk.so"))
        os.mkfifo(os.path.join(self.plugins, "fifo.so"))
        d = self.run_with()
        self.assertIn("disk.so: cannot open", d.output())
        self.assertIn("fifo.so: not a regular file", d.output())
        self.assertEqual(d.stop(), 0)

    def test_wrong_abi_and_garbage(self):
        shutil.copy(os.path.join(harness.BUILD, "tests", "plugins", "badabi.so"), self.plugins)
        with open(os.path.join(self.plugins, "junk.so"), "wb") as f:
            f.write(b"not an ELF file")
        os.chmod(os.path.join(self.plugins, "junk.so"), 0o644)
        d = self.run_with()
        self.assertIn("badabi.so: built for plugin ABI 999, this daemon speaks 1, refusing it", d.output())
        self.assertIn("junk.so:", d.output())
        self.assertEqual(d.stop(), 0)

    def test_plugin_whose_probe_fails(self):
        # No cpufreq, no EPB and no PM-QoS device: [cpu] is skipped with a notice.
        import subprocess
        subprocess.check_call(["sh", "-c", "rm -rf %s/sys/devices/system/cpu/cpu*/cpufreq "
                               "%s/sys/devices/system/cpu/cpu*/power %s/dev/cpu_dma_latency"
                               % ((self.host.root,) * 3)])
        d = self.run_with()
        self.assertIn("[cpu] skipped: no cpufreq", d.output())
        self.assertEqual(self.host.value("proc/sys/vm/swappiness"), "10")
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
