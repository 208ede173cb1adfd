# SPDX-License-Identifier: LGPL-2.1-or-later
"""Per-domain placement end to end: a real libvirtd, real QEMU (TCG)
domains, the real kvmtuned binary connected to qemu:///system, and the
thread affinities the kernel reports in /proc/<qemu pid>/task/*/status.

This machine has 2 CPUs: CPU 0 is the housekeeping core (the default
reserve=), so a dedicated vCPU can only get CPU 1 and everything else of
QEMU belongs on CPU 0."""

import json
import os
import signal
import subprocess
import time

import harness
import virt

ALL = "0-%d" % (os.cpu_count() - 1)


def wait_until(what, fn, timeout=30):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def vcpus(aff):
    return {k: v for k, v in aff.items() if k.startswith("CPU ") and k.endswith("/TCG")}


def others(aff):
    return {k: v for k, v in aff.items() if not (k.startswith("CPU ") and k.endswith("/TCG"))}


def pinned(dom, vcpu_cpus, other_cpus):
    """Whether every vCPU thread runs on vcpu_cpus and every other thread on other_cpus."""
    aff = dom.affinities()
    v, o = vcpus(aff), others(aff)
    return bool(v) and all(c == [vcpu_cpus] * len(c) for c in v.values()) and \
        all(set(c) == {other_cpus} for c in o.values())


# What the latency profile changes on this machine's real kernel.
REAL = ["/proc/sys/vm/swappiness", "/proc/sys/vm/dirty_ratio", "/proc/sys/vm/dirty_background_ratio",
        "/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/mm/transparent_hugepage/defrag",
        "/sys/kernel/mm/ksm/run"]


def real_values():
    out = {}
    for path in REAL:
        try:
            with open(path) as f:
                out[path] = f.read().strip()
        except OSError:
            pass
    return out


class Pinning(harness.TestCase):
    def setUp(self):
        super().setUp()
        if os.cpu_count() != 2:
            self.skipTest("these cases are written for this 2-CPU test machine")
        if not virt.available():
            self.skipTest("libvirtd, virsh or qemu-system-x86_64 not installed")
        self.lock = harness.real_host_lock()
        self.addCleanup(self.lock.close)
        try:
            virt.ensure_libvirtd()
        except (RuntimeError, subprocess.CalledProcessError) as e:
            self.skipTest("libvirtd cannot run here: %s" % e)
        self.domains = []
        self.host_before = real_values()

    def tearDown(self):
        for d in self.domains:
            d.destroy()
        super().tearDown()
        # Whatever a case did, the daemons put the real host back.
        self.assertEqual(real_values(), self.host_before)

    def domain(self, **kw):
        d = virt.Domain(self.tmp, **kw)
        self.domains.append(d)
        return d

    def kvmtuned(self, profile="latency", **kw):
        d = self.daemon(root=None, profile=profile, libvirt_uri=virt.URI, **kw)
        return d.start()

    def adm(self, daemon, *args):
        p = subprocess.run([harness.ADM, "--socket", os.path.join(daemon.runtime, "kvmtuned.sock")] + list(args),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def placed(self, daemon, dom):
        """The domain's row of `kvmtuned-adm domains --json`."""
        rows = json.loads(self.adm(daemon, "--json", "domains"))
        return {r["name"]: r for r in rows}.get(dom.name)

    def test_dedicated_off_housekeeping(self):
        d = self.kvmtuned()
        dom = self.domain(vcpus=1).start()
        # The vCPU on CPU 1, QEMU's main, I/O and other threads on CPU 0.
        wait_until("vCPU on 1, emulator on 0", lambda: pinned(dom, "1", "0"))
        d.wait_output("dedicated on CPUs 1, emulator on 0")
        self.assertNotIn("fell back", d.output())
        row = self.placed(d, dom)
        self.assertEqual((row["policy"], row["cpus"], row["note"]), ("dedicated", "1", ""))
        status = self.adm(d, "status")
        self.assertRegex(status, r"pinning\.domains:\s+1 placed: 1 dedicated")
        self.assertRegex(status, r"pinning\.domain:\s+%s: dedicated, vCPU 0:1, emulator 0, memory node 0" % dom.name)

    def test_fallback_and_cpus_return(self):
        d = self.kvmtuned()
        a = self.domain(vcpus=1).start()
        wait_until("first domain dedicated", lambda: pinned(a, "1", "0"))
        # CPU 1 is taken: the second domain falls back, never a partial pinning.
        b = self.domain(vcpus=1).start()
        d.wait_output("fell back from dedicated to shared")
        wait_until("second domain floating on housekeeping", lambda: pinned(b, "0", "0"))
        self.assertTrue(pinned(a, "1", "0"))
        row = self.placed(d, b)
        self.assertEqual(row["policy"], "shared")
        self.assertIn("fell back from dedicated to shared", row["note"])
        self.assertRegex(self.adm(d, "status"), r"pinning\.fallback:\s+%s: fell back" % b.name)
        # Stopping the first gives CPU 1 back to the pool.
        a.destroy()
        d.wait_output("Domain %s (" % a.name)
        wait_until("first domain forgotten", lambda: "%s" % a.name in d.output() and "stopped." in d.output())
        c = self.domain(vcpus=1).start()
        wait_until("third domain dedicated on the returned CPU", lambda: pinned(c, "1", "0"))

    def test_running_before_daemon_and_libvirtd_restart(self):
        early = self.domain(vcpus=1).start()
        d = self.kvmtuned()
        # Listed at connect: a domain that was already running is placed too.
        wait_until("a domain started before the daemon is placed", lambda: pinned(early, "1", "0"))
        virt.restart_libvirtd()
        wait_until("reconnected", lambda: d.output().count("Connected to libvirt") >= 2, timeout=60)
        self.assertIn("Lost the libvirt connection", d.output())
        # Still tracked, not placed twice (it would fall back against itself).
        self.assertNotIn("fell back", d.output())
        late = self.domain(vcpus=1).start()
        d.wait_output("Domain %s (" % late.name)
        wait_until("a domain started after the reconnect falls back", lambda: pinned(late, "0", "0"))

    def test_metadata_override(self):
        d = self.kvmtuned()
        mine = self.domain(vcpus=1, policy="none").start()
        d.wait_output("policy from its metadata: none")
        # Left alone under the latency profile...
        time.sleep(0.5)
        self.assertTrue(pinned(mine, ALL, ALL), mine.affinities())
        # ...until its metadata asks for dedicated, live.
        mine.set_policy("dedicated")
        wait_until("placed after a metadata change", lambda: pinned(mine, "1", "0"))
        # And back to its own pinning with none.
        mine.set_policy("none")
        wait_until("its own pinning back", lambda: pinned(mine, ALL, ALL))

    def test_restore_on_stop(self):
        d = self.kvmtuned()
        dom = self.domain(vcpus=1).start()
        wait_until("pinned", lambda: pinned(dom, "1", "0"))
        self.assertEqual(d.stop(), 0)
        # The domain still runs, with the pinning it had before.
        self.assertTrue(pinned(dom, ALL, ALL), dom.affinities())

    def test_reload_off_and_switch(self):
        d = self.kvmtuned()
        dom = self.domain(vcpus=1).start()
        wait_until("pinned", lambda: pinned(dom, "1", "0"))
        # A reload re-places the domain from scratch: still dedicated, not
        # falling back against its own old placement.
        d.signal(signal.SIGHUP)
        wait_until("reloaded", lambda: d.output().count("Profile latency active") >= 2)
        wait_until("pinned after reload", lambda: pinned(dom, "1", "0"))
        self.assertEqual(self.placed(d, dom)["policy"], "dedicated")
        # off: the running domain gets its own pinning back.
        self.adm(d, "off")
        wait_until("restored by off", lambda: pinned(dom, ALL, ALL))
        self.assertEqual(self.placed(d, dom)["policy"], "none")
        # Switching to a profile with [pinning] places it again; the hook's
        # report of a domain already placed changes nothing.
        self.adm(d, "profile", "latency")
        wait_until("pinned after switch", lambda: pinned(dom, "1", "0"))
        self.adm(d, "domain-event", dom.name, "started")
        self.assertTrue(pinned(dom, "1", "0"))
        self.assertNotIn("fell back", d.output())

    def test_restore_after_crash(self):
        d = self.kvmtuned()
        dom = self.domain(vcpus=1).start()
        wait_until("pinned", lambda: pinned(dom, "1", "0"))
        d.kill()
        self.assertTrue(pinned(dom, "1", "0"))
        # The next start, under a profile that pins nothing, restores it from the journal.
        self.write_profile("plain", "[main]\nsummary=nothing pinned\n")
        d2 = self.daemon(root=None, profile="plain", libvirt_uri=virt.URI,
                         profile_dirs=[os.path.join(self.tmp, "profiles"), harness.PROFILES])
        d2.start()
        self.assertIn("Recovered", d2.output())
        wait_until("original pinning restored", lambda: pinned(dom, ALL, ALL))
        self.assertEqual(d2.stop(), 0)

    def test_restore_after_crash_waits_for_libvirtd(self):
        d = self.kvmtuned()
        dom = self.domain(vcpus=1).start()
        wait_until("pinned", lambda: pinned(dom, "1", "0"))
        d.kill()
        self.write_profile("plain", "[main]\nsummary=nothing pinned\n")
        dirs = [os.path.join(self.tmp, "profiles"), harness.PROFILES]
        virt.stop_libvirtd()
        try:
            # Started while libvirtd is down: the pinning records wait in
            # the journal, through one more kill.
            d2 = self.daemon(root=None, profile="plain", libvirt_uri=virt.URI, profile_dirs=dirs)
            d2.start()
            self.assertIn("libvirt settings, put back once libvirt is up.", d2.output())
            d2.wait_output("not reachable")
            self.assertTrue(pinned(dom, "1", "0"))
            d2.kill()
            d3 = self.daemon(root=None, profile="plain", libvirt_uri=virt.URI, profile_dirs=dirs)
            d3.start()
            self.assertIn("libvirt settings, put back once libvirt is up.", d3.output())
        finally:
            virt.ensure_libvirtd()
        # libvirtd is back: the retry connects and puts the pinning back.
        wait_until("original pinning restored", lambda: pinned(dom, ALL, ALL), timeout=60)
        d3.wait_output("Put back the pinning of ")
        self.assertEqual(d3.stop(), 0)

    def test_put_back_while_libvirtd_down(self):
        d = self.kvmtuned()
        dom = self.domain(vcpus=1).start()
        wait_until("pinned", lambda: pinned(dom, "1", "0"))
        waiting = "They wait in the journal until it is."
        lost = "Lost the libvirt connection"
        virt.stop_libvirtd()
        try:
            d.wait_output(lost)
            # off cannot reach libvirtd: the domain's own pinning waits.
            self.adm(d, "off")
            d.wait_output(waiting)
            self.assertTrue(pinned(dom, "1", "0"))
        finally:
            virt.ensure_libvirtd()
        # This daemon's reconnect puts it back.
        wait_until("restored on reconnect", lambda: pinned(dom, ALL, ALL), timeout=60)
        d.wait_output("Put back the pinning of ")

        # Pinned again; libvirtd goes; off, then the profile again, both
        # while it is away: once back, the domain's own pinning goes back
        # and the domain is placed anew.
        self.adm(d, "profile", "latency")
        wait_until("pinned again", lambda: pinned(dom, "1", "0"))
        virt.stop_libvirtd()
        try:
            wait_until("second loss", lambda: d.output().count(lost) >= 2)
            self.adm(d, "off")
            self.adm(d, "profile", "latency")
            self.assertEqual(d.output().count(waiting), 2)
        finally:
            virt.ensure_libvirtd()
        wait_until("placed again after the reconnect",
                   lambda: d.output().count("Put back the pinning of ") >= 2 and pinned(dom, "1", "0"), timeout=60)
        self.assertEqual(self.placed(d, dom)["policy"], "dedicated")

        # Stopped while libvirtd is down: the next start puts it back.
        virt.stop_libvirtd()
        try:
            wait_until("third loss", lambda: d.output().count(lost) >= 3)
            self.assertEqual(d.stop(), 0)
            self.assertEqual(d.output().count(waiting), 3)
            self.assertTrue(pinned(dom, "1", "0"))
        finally:
            virt.ensure_libvirtd()
        self.write_profile("plain", "[main]\nsummary=nothing pinned\n")
        dirs = [os.path.join(self.tmp, "profiles"), harness.PROFILES]
        d2 = self.daemon(root=None, profile="plain", libvirt_uri=virt.URI, profile_dirs=dirs)
        d2.start()
        wait_until("restored by the next start", lambda: pinned(dom, ALL, ALL), timeout=60)
        d2.wait_output("Put back the pinning of ")
        self.assertEqual(d2.stop(), 0)

    def test_hook_never_fails_a_start(self):
        # The hook installed and libvirtd restarted to pick it up, no daemon
        # running at all: domains start as usual.
        hooks = "/etc/libvirt/hooks/qemu.d"
        hook = os.path.join(hooks, "kvmtuned")
        conf = "/etc/default/kvmtuned-hook"
        if os.path.exists(hook) or os.path.exists(conf):
            self.skipTest("a kvmtuned hook is installed on this machine already")
        os.makedirs(hooks, exist_ok=True)
        with open(os.path.join(harness.SOURCE, "systemd", "kvmtuned-hook")) as src, open(hook, "w") as dst:
            dst.write(src.read())
        os.chmod(hook, 0o755)
        self.addCleanup(virt.restart_libvirtd)
        self.addCleanup(os.unlink, hook)
        adm = os.path.join(harness.BUILD, "adm", "kvmtuned-adm")
        with open(conf, "w") as f:
            f.write("KVMTUNED_ADM=%s\nKVMTUNED_SOCKET=%s\n" % (adm, os.path.join(self.tmp, "run", "kvmtuned.sock")))
        self.addCleanup(os.unlink, conf)
        virt.restart_libvirtd()
        alone = self.domain(vcpus=1).start()
        self.assertTrue(alone.vcpu_threads())
        alone.destroy()
        # With the daemon: the hook's report arrives and is handled.
        d = self.kvmtuned()
        dom = self.domain(vcpus=1).start()
        d.wait_output("Domain %s started, says the libvirt hook." % dom.name)
        wait_until("pinned", lambda: pinned(dom, "1", "0"))
        dom.destroy()
        d.wait_output("Domain %s stopped, says the libvirt hook." % dom.name)


if __name__ == "__main__":
    harness.main()
