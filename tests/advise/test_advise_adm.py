#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kvmtuned-adm advise through the real daemon (Advise over the private
socket) on a fake host: the host audit graded by the active profile, the
exit codes a CI job gates on, and refusals as one line."""

import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import adm  # noqa: E402
import harness  # noqa: E402
from advisehost import AdviseHost, CLEAN_CMDLINE  # noqa: E402
from privatebus import PrivateBus  # noqa: E402


class AdviseVerb(harness.TestCase):

    def start(self, profile="virtual-host", **host):
        self.host = AdviseHost(os.path.join(self.tmp, "root"), **host)
        self.d = self.daemon(profile=profile)
        self.d.start()
        return self.d

    def test_clean_host_exits_0(self):
        d = self.start()
        out = adm.ok(self, d, "advise")
        self.assertEqual(out, "Profile virtual-host: nothing to advise (0 domains and the host checked).\n")
        j = adm.data(self, d, "advise")
        self.assertEqual((j["profile"], j["domains"], j["findings"]), ("virtual-host", 0, []))
        # --json also after the verb, as the synopsis reads.
        self.assertEqual(json.loads(adm.ok(self, d, "advise", "--json")), j)

    def test_findings_graded_by_the_active_profile(self):
        cmdline = CLEAN_CMDLINE.replace(" iommu=pt", "")
        d = self.start(cmdline=cmdline, processes=("systemd", "numad"))
        p = adm.run(d, "advise")
        self.assertEqual(p.returncode, 1, p.stderr)       # numad: a warning under virtual-host
        self.assertIn("Profile virtual-host: 0 errors, 1 warning, 1 info", p.stdout)
        self.assertIn("\nHost:\n  warning [host-numad] numad:", p.stdout)
        self.assertIn("  info [host-iommu-pt] kernel command line:", p.stdout)
        self.assertIn("fix: add iommu=pt", p.stdout)
        adm.ok(self, d, "profile", "latency")
        p = adm.run(d, "--json", "advise")
        self.assertEqual(p.returncode, 2, p.stderr)       # numad fights latency's pinning: an error
        j = json.loads(p.stdout)
        self.assertEqual(j["profile"], "latency")
        self.assertEqual([(f["rule"], f["severity"], f["domain"]) for f in j["findings"]],
                         [("host-numad", "error", None), ("host-iommu-pt", "warning", None)])
        self.assertTrue(all(f["source"].startswith("seeds/") for f in j["findings"]))

    def test_a_local_profile_is_graded_as_the_one_it_includes(self):
        self.write_profile("my-latency", "[main]\ninclude=latency\n")
        self.host = AdviseHost(os.path.join(self.tmp, "root"), processes=("numad",))
        d = self.daemon(profile="my-latency", profile_dirs=[os.path.join(self.tmp, "profiles"), harness.PROFILES])
        d.start()
        p = adm.run(d, "advise")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("Profile my-latency: 1 error", p.stdout)

    def test_unprivileged_callers_may_audit(self):
        d = self.start(processes=("tuned",))
        os.chmod(self.tmp, 0o755)
        for sub in ("run",):
            os.chmod(os.path.join(self.tmp, sub), 0o755)
        p = adm.run(d, "advise", prefix=adm.NOBODY)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("[host-tuned]", p.stdout)

    def test_refusals_exit_3_with_one_line(self):
        d = self.start()
        line = adm.refused(self, d, "advise", "web1", expect="without libvirt")
        self.assertIn("web1", line)
        self.assertEqual(adm.run(d, "advise", "web1").returncode, 3)
        adm.refused(self, d, "advise", "a/b", expect="invalid domain name 'a/b'")
        adm.refused(self, d, "advise", "--bogus", expect="unknown option '--bogus'")
        adm.refused(self, d, "advise", "--", "-x", expect="-x")
        self.assertEqual(adm.run(d, "advise", "a/b").returncode, 3)
        p = adm.run(d, "advise", socket=os.path.join(self.tmp, "nowhere.sock"))
        self.assertEqual(p.returncode, 3)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)


@unittest.skipUnless(all(shutil.which(t) for t in ("dbus-daemon", "busctl")), "needs dbus-daemon and busctl")
class AdviseOnTheBus(harness.TestCase):

    def test_advise_method(self):
        os.chmod(self.tmp, 0o755)
        bus = PrivateBus(self.tmp).start()
        try:
            self.host = AdviseHost(os.path.join(self.tmp, "root"), processes=("numad",))
            d = self.daemon(profile="density", env=bus.env())
            plain = d.argv
            d.argv = lambda: [a for a in plain() if a != "--no-bus"]
            d.start()
            p = subprocess.run(["busctl", "--system", "--json=short", "call", "org.kvmtuned.Daemon1",
                                "/org/kvmtuned/Daemon", "org.kvmtuned.Daemon1", "Advise", "as", "0"],
                               capture_output=True, text=True, env=bus.env(), timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            reply = json.loads(p.stdout)
            self.assertEqual(reply["type"], "sua(sssssss)")
            profile, checked, findings = reply["data"]
            self.assertEqual((profile, checked), ("density", 0))
            self.assertEqual([f[:3] for f in findings], [["host-numad", "warning", ""]])
            # Refused as one line: a bad name in the list.
            p = subprocess.run(["busctl", "--system", "call", "org.kvmtuned.Daemon1", "/org/kvmtuned/Daemon",
                                "org.kvmtuned.Daemon1", "Advise", "as", "1", "a/b"],
                               capture_output=True, text=True, env=bus.env(), timeout=60)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("invalid domain name 'a/b'", p.stderr)
        finally:
            for dm in self.daemons:
                dm.cleanup()
            bus.stop()


if __name__ == "__main__":
    harness.main()
