#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Start-up: which profile the daemon picks when nobody chose one, what it
remembers, its config file, and the sd_notify protocol."""

import os
import shutil
import subprocess

import adm
import harness
from fakehost import FakeHost, THP

VM = "proc/sys/vm"


class Startup(harness.TestCase):

    def state(self, d):
        path = os.path.join(d.state, "active_profile")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return f.read().strip()

    def test_recommends_virtual_guest_inside_a_vm(self):
        host = self.host = FakeHost(os.path.join(self.tmp, "root"), hypervisor=True, cpufreq=False)
        d = self.daemon()
        d.start()
        self.assertIn("virtual-guest active (the CPU reports a hypervisor", d.output())
        self.assertEqual(host.value(VM + "/swappiness"), "30")
        self.assertEqual(self.state(d), "virtual-guest")
        self.assertIn("governor and EPP not set", d.output())
        self.assertEqual(d.stop(), 0)

    def test_recommends_virtual_host_on_a_kvm_host(self):
        host = self.host = FakeHost(os.path.join(self.tmp, "root"))
        host.write("dev/kvm", "")
        d = self.daemon()
        d.start()
        self.assertIn("virtual-host active (/dev/kvm exists)", d.output())
        self.assertEqual(host.value(THP + "/enabled"), "always")
        self.assertEqual(d.stop(), 0)

    def test_libvirt_socket_means_kvm_host(self):
        host = self.host = FakeHost(os.path.join(self.tmp, "root"))
        host.write("run/libvirt/virtqemud-sock", "")
        d = self.daemon()
        d.start()
        self.assertIn("virtual-host active (a libvirt daemon is running)", d.output())
        self.assertEqual(d.stop(), 0)

    def mapped(self, d):
        with open("/proc/%d/maps" % d.proc.pid) as f:
            return {os.path.basename(line.split()[-1]) for line in f if "/" in line}

    def test_libvirt_is_loaded_only_for_a_uri(self):
        self.host = FakeHost(os.path.join(self.tmp, "root"), hypervisor=True, cpufreq=False)
        d = self.daemon()
        d.start()
        libs = self.mapped(d)
        self.assertNotIn("kvmtuned-libvirt.so", libs)
        self.assertFalse([n for n in libs if n.startswith(("libvirt.so", "libxml2.so"))], libs)
        self.assertEqual(d.stop(), 0)

        sock = os.path.join(self.tmp, "no-libvirtd")
        d = self.daemon(libvirt_uri="qemu:///system?socket=" + sock)
        d.start()
        d.wait_output("not reachable")
        # Loaded only once the profile is on the host.
        out = d.output()
        self.assertLess(out.index("Profile virtual-guest active"), out.index("not reachable"), out)
        libs = self.mapped(d)
        self.assertIn("kvmtuned-libvirt.so", libs)
        self.assertTrue([n for n in libs if n.startswith("libvirt.so")], libs)
        self.assertIn("not reachable", d.output())
        self.assertNotIn("libvirt module", d.output())
        self.assertEqual(d.stop(), 0)

    def test_libvirt_module_missing_or_refused(self):
        # A daemon outside its build tree and install loads a module only
        # from beside itself; without one, or with one anybody may write,
        # it still tunes the host and says why domains are not tuned.
        self.host = FakeHost(os.path.join(self.tmp, "root"), hypervisor=True, cpufreq=False)
        before = self.host.snapshot()
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        exe = os.path.join(bindir, "kvmtuned")
        shutil.copy2(harness.DAEMON, exe)
        module = os.path.join(bindir, "kvmtuned-libvirt.so")
        d = self.daemon(libvirt_uri="qemu:///system?socket=" + os.path.join(self.tmp, "no-libvirtd"))
        plain = d.argv
        d.argv = lambda: [exe] + plain()[1:]

        d.start()
        d.wait_output("Cannot open the libvirt module %s: No such file or directory" % module)
        self.assertIn("virtual-guest active", d.output())
        self.assertEqual(self.host.value(VM + "/swappiness"), "30")
        adm.refused(self, d, "domain-event", "web1", "started", expect="the libvirt module is not loaded")
        self.assertEqual(d.stop(), 0)

        shutil.copy2(os.path.join(os.path.dirname(harness.DAEMON), "kvmtuned-libvirt.so"), module)
        os.chmod(module, 0o666)
        d.start()
        d.wait_output("libvirt module %s: writable by group or others (mode 0666), refusing it." % module)
        self.assertNotIn("not reachable", d.output())
        self.assertEqual(d.stop(), 0)

        os.chmod(module, 0o644)
        d.start()
        d.wait_output("not reachable")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, self.host.snapshot()), {})

    def test_no_profile_when_nothing_fits(self):
        host = self.host = FakeHost(os.path.join(self.tmp, "root"))
        before = host.snapshot()
        d = self.daemon()
        d.start()
        self.assertIn("No profile active: neither a VM nor a KVM host", d.output())
        self.assertIn("STATUS=No profile active", "\n".join(d.messages))
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})
        self.assertIsNone(self.state(d))
        self.assertEqual(d.stop(), 0)

    def test_remembered_choice_wins_over_recommendation(self):
        host = self.host = FakeHost(os.path.join(self.tmp, "root"), hypervisor=True)
        d = self.daemon(profile="latency")
        d.start()
        self.assertEqual(d.stop(), 0)
        self.assertEqual(self.state(d), "latency")
        d.profile = None
        d.start()
        self.assertIn("Profile latency active (chosen before)", d.output())
        self.assertEqual(host.value(THP + "/defrag"), "never")
        self.assertEqual(d.stop(), 0)

    def test_remembered_off(self):
        host = self.host = FakeHost(os.path.join(self.tmp, "root"), hypervisor=True)
        before = host.snapshot()
        d = self.daemon()
        os.makedirs(d.state)
        with open(os.path.join(d.state, "active_profile"), "w") as f:
            f.write("!off\n")
        d.start()
        self.assertIn("No profile active: turned off", d.output())
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})
        self.assertEqual(d.stop(), 0)

    def test_empty_state_file_is_no_choice(self):
        # What a power cut can leave of a choice renamed into place but not
        # yet on disk: not "off", which would leave the host untuned.
        self.host = FakeHost(os.path.join(self.tmp, "root"), hypervisor=True, cpufreq=False)
        d = self.daemon()
        os.makedirs(d.state)
        open(os.path.join(d.state, "active_profile"), "w").close()
        d.start()
        self.assertIn("virtual-guest active (the CPU reports a hypervisor", d.output())
        self.assertEqual(self.state(d), "virtual-guest")
        self.assertEqual(d.stop(), 0)

    def test_config_default_profile_and_command_line_override(self):
        host = self.host = FakeHost(os.path.join(self.tmp, "root"), hypervisor=True)
        conf = os.path.join(self.tmp, "k.conf")
        with open(conf, "w") as f:
            f.write("# site defaults\n[daemon]\ndefault_profile=density\ninterval_ms=2000\nlog_level=info\n")
        d = self.daemon(config=conf)
        d.start()
        self.assertIn("Profile density active (default in the configuration)", d.output())
        self.assertEqual(d.stop(), 0)
        os.unlink(os.path.join(d.state, "active_profile"))
        d.profile = "latency"
        d.start()
        self.assertIn("Profile latency active (requested on the command line)", d.output())
        self.assertEqual(d.stop(), 0)

    def test_notify_protocol(self):
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        d = self.daemon(profile="virtual-host")
        d.start()
        self.assertIn("STATUS=Profile virtual-host", "\n".join(d.messages))
        self.assertEqual(d.stop(), 0)
        self.assertIn("STOPPING=1", d.drain())

    def test_sigint_restores_like_sigterm(self):
        import signal
        host = self.host = FakeHost(os.path.join(self.tmp, "root"))
        before = host.snapshot()
        d = self.daemon(profile="latency")
        d.start()
        d.signal(signal.SIGINT)
        self.assertEqual(d.proc.wait(20), 0)
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})

    def test_help_and_version(self):
        out = subprocess.run([harness.DAEMON, "--help"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        for opt in ("--root", "--runtime-dir", "--state-dir", "--profile-dir", "--plugin-dir", "--libvirt-uri",
                    "--no-bus", "--interval-ms", "--profile"):
            self.assertIn(opt, out.stdout)
        out = subprocess.run([harness.DAEMON, "--version"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r"^kvmtuned \d+\.\d+")

    def test_earlier_boot_journal_is_not_replayed(self):
        host = self.host = FakeHost(os.path.join(self.tmp, "root"))
        d = self.daemon(profile="virtual-host")
        d.start()
        d.kill()
        # "Reboot": the kernel has its defaults back and a new boot id.
        host.build()
        before = host.snapshot()
        d.profile = None
        os.unlink(os.path.join(d.state, "active_profile"))
        d.start()
        self.assertIn("from an earlier boot, discarding it", d.output())
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    harness.main()
