#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kvmtuned-adm against the real daemon on a fake host, over the private
socket: every verb, and refusals that leave the active profile and the host
exactly as they were."""

import json
import os
import re
import shlex
import socket
import struct
import subprocess
import sys
import time
import unittest

import adm
import harness
from fakehost import FakeHost, THP
from test_profiles import EXPECTED

VM = "proc/sys/vm"
SHIPPED = ["density", "latency", "virtual-guest", "virtual-host"]


class AdmTestCase(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        self.original = self.host.snapshot()
        self.pdir = os.path.join(self.tmp, "profiles")
        os.makedirs(self.pdir)
        self.d = self.daemon(profile="virtual-host", profile_dirs=[self.pdir, harness.PROFILES])
        self.d.start()

    def tearDown(self):
        # A clean exit (in sanitizer builds: no leak) after whatever the
        # test asked of the daemon.
        if self.d.proc and self.d.proc.poll() is None:
            self.assertEqual(self.d.stop(), 0, self.d.output())
        super().tearDown()

    def assert_applied(self, profile):
        for path, value in EXPECTED[profile].items():
            self.assertEqual(self.host.value(path), value, "%s under %s" % (path, profile))

    def active(self):
        return adm.data(self, self.d, "active")["profile"]


class Verbs(AdmTestCase):

    def test_list(self):
        out = adm.ok(self, self.d, "list")
        lines = out.splitlines()
        self.assertEqual(lines[0], "Available profiles:")
        self.assertEqual(lines[-1], "Current active profile: virtual-host")
        rows = lines[1:-1]
        self.assertEqual([r.split()[1] for r in rows], SHIPPED)
        # Summaries start in one column, as tuned-adm aligns them.
        self.assertEqual(len({r.index(" - ", 2) for r in rows}), 1, out)
        j = adm.data(self, self.d, "list")
        self.assertEqual([p["name"] for p in j["profiles"]], SHIPPED)
        self.assertTrue(all(p["summary"] for p in j["profiles"]))
        self.assertEqual(j["active"], "virtual-host")

    def test_list_shows_a_broken_profile_and_why(self):
        path = self.write_profile("broken", "[vm]\nswapiness=1\n", self.pdir)
        j = adm.data(self, self.d, "list")
        broken = [p for p in j["profiles"] if p["name"] == "broken"][0]
        self.assertIn("does not load: %s:2:" % path, broken["summary"])

    def test_active(self):
        self.assertEqual(adm.ok(self, self.d, "active"), "Current active profile: virtual-host\n")
        j = adm.data(self, self.d, "active")
        self.assertEqual(j, {"profile": "virtual-host", "reason": "requested on the command line"})

    def test_switch_applies_before_replying(self):
        self.assert_applied("virtual-host")
        for name in ("latency", "density", "virtual-guest", "virtual-host"):
            self.assertEqual(adm.ok(self, self.d, "profile", name), "")
            self.assert_applied(name)
            self.assertEqual(adm.data(self, self.d, "active"),
                             {"profile": name, "reason": "requested through the control API"})
            with open(os.path.join(self.d.state, "active_profile")) as f:
                self.assertEqual(f.read().strip(), name)
        adm.ok(self, self.d, "verify")
        self.assertEqual(self.d.stop(), 0)
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})

    def test_off_restores_every_original_and_persists(self):
        adm.ok(self, self.d, "profile", "latency")
        self.assertEqual(adm.ok(self, self.d, "off"), "")
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})
        self.assertEqual(adm.ok(self, self.d, "active"), "No current active profile.\n")
        self.assertIsNone(self.active())
        self.assertIn("Verification succeeded", adm.ok(self, self.d, "verify"))
        # The choice survives a restart: the daemon comes back with nothing.
        self.assertEqual(self.d.stop(), 0)
        self.d.profile = None
        self.d.start()
        self.assertIsNone(self.active())
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})
        adm.ok(self, self.d, "profile", "virtual-host")
        self.assert_applied("virtual-host")

    def test_verify_lists_each_drifted_path(self):
        self.assertEqual(adm.ok(self, self.d, "verify"),
                         "Verification succeeded: every value profile virtual-host set is in place.\n")
        self.host.write(VM + "/swappiness", 77)
        self.host.write(VM + "/dirty_ratio", 3)
        line = adm.refused(self, self.d, "verify", expect="verification failed: 2 value(s) differ")
        self.assertIn("virtual-host", line)
        p = adm.run(self.d, "verify")
        rows = [re.split(r"\s+", l.strip()) for l in p.stdout.splitlines()]
        self.assertIn(["/proc/sys/vm/swappiness:", "expected", "10,", "actual", "77"], rows)
        self.assertIn(["/proc/sys/vm/dirty_ratio:", "expected", "40,", "actual", "3"], rows)
        self.assertEqual(len(rows), 2)
        p = adm.run(self.d, "--json", "verify")
        self.assertNotEqual(p.returncode, 0)
        j = json.loads(p.stdout)
        self.assertFalse(j["ok"])
        self.assertEqual(j["profile"], "virtual-host")
        drift = {r["path"]: (r["expected"], r["actual"]) for r in j["drifted"]}
        self.assertEqual(drift, {"/proc/sys/vm/swappiness": ("10", "77"), "/proc/sys/vm/dirty_ratio": ("40", "3")})
        # Switching back to the profile repairs it.
        adm.ok(self, self.d, "reload")
        adm.ok(self, self.d, "verify")

    def test_diff_changes_nothing(self):
        before = self.host.snapshot()
        out = adm.ok(self, self.d, "diff", "latency")
        rows = {}
        for l in out.splitlines():
            m = re.match(r"^(\S+):\s+(.*) -> (.*)$", l)
            self.assertTrue(m, l)
            rows[m.group(1)] = (m.group(2), m.group(3))
        self.assertEqual(rows["/proc/sys/vm/dirty_ratio"], ("40", "10"))
        self.assertEqual(rows["/sys/kernel/mm/transparent_hugepage/defrag"], ("madvise", "never"))
        self.assertNotIn("/proc/sys/vm/swappiness", rows)      # 10 in both
        self.assertEqual(self.host.snapshot(), before)
        self.assertEqual(self.active(), "virtual-host")
        j = adm.data(self, self.d, "diff", "latency")
        self.assertEqual({c["path"]: (c["now"], c["new"]) for c in j["changes"]}, rows)
        self.assertEqual(adm.ok(self, self.d, "diff", "virtual-host"),
                         "No changes: the host already is as profile virtual-host would set it.\n")
        # What diff promised is what the switch does.
        adm.ok(self, self.d, "profile", "latency")
        after = self.host.snapshot()
        for path, (_, new) in rows.items():
            if not path.startswith("/dev/"):       # held devices read back as what is held
                self.assertEqual(after[path.lstrip("/")], new, path)

    def test_info(self):
        before = self.host.snapshot()
        out = adm.ok(self, self.d, "info", "latency")
        head = dict(re.match(r"^(\w+):\s+(.*)$", l).groups() for l in out.splitlines()[:4])
        self.assertEqual(head["Profile"], "latency")
        self.assertEqual(head["File"], os.path.join(harness.PROFILES, "latency.conf"))
        self.assertTrue(head["Summary"])
        self.assertEqual(head["Includes"], "-")
        self.assertRegex(out, r"\n  /proc/sys/vm/dirty_ratio\s+= 10\s+vm\n")
        self.write_profile("mine", "[main]\nsummary=Mine\ninclude=latency\n[vm]\nswappiness=3\n", self.pdir)
        out = adm.ok(self, self.d, "info", "mine")
        self.assertIn("Includes: latency\n", out)
        self.assertRegex(out, r"\n  /proc/sys/vm/swappiness\s+= 3\s+vm\n")
        self.assertEqual(self.host.snapshot(), before)
        self.assertEqual(self.active(), "virtual-host")

    def test_status(self):
        out = adm.ok(self, self.d, "status")
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^profile:\s+virtual-host$")
        self.assertRegex(lines[1], r"^reason:\s+requested on the command line$")
        # Values start in one column.
        self.assertEqual(len({len(re.match(r"^\S+:\s+", l).group(0)) for l in lines if ":" in l}), 1, out)
        j = adm.data(self, self.d, "status")
        self.assertEqual(j["profile"], "virtual-host")
        self.assertIn("held", j["settings"])

    def test_domains_without_libvirt(self):
        self.assertEqual(adm.ok(self, self.d, "domains"), "No domains tracked.\n")
        self.assertEqual(adm.data(self, self.d, "domains"), [])

    def test_domain_event(self):
        adm.refused(self, self.d, "domain-event", "vm1", "started", expect="no libvirt connection")
        adm.refused(self, self.d, "domain-event", "vm1", "exploded", expect="invalid domain event 'exploded'")
        adm.refused(self, self.d, "domain-event", "../vm", "started", expect="invalid domain name '../vm'")

    def test_reload_applies_the_edited_profile(self):
        self.write_profile("mine", "[main]\ninclude=virtual-host\n[vm]\nswappiness=7\n", self.pdir)
        adm.ok(self, self.d, "profile", "mine")
        self.assertEqual(self.host.value(VM + "/swappiness"), "7")
        self.write_profile("mine", "[main]\ninclude=virtual-host\n[vm]\nswappiness=8\n", self.pdir)
        adm.ok(self, self.d, "reload")
        self.assertEqual(self.host.value(VM + "/swappiness"), "8")
        # An edit that breaks it is refused; the running version stays.
        path = self.write_profile("mine", "[main]\ninclude=virtual-host\n[vm]\nswappiness=800\n", self.pdir)
        before = self.host.snapshot()
        adm.refused(self, self.d, "reload", expect="%s:4:" % path)
        self.assertEqual(self.host.snapshot(), before)
        self.assertEqual(self.active(), "mine")

    def test_recommend(self):
        line = adm.refused(self, self.d, "recommend", expect="no profile fits this host")
        self.assertIn("neither a VM nor a KVM host", line)
        self.host.write("sys/hypervisor/type", "xen")
        self.assertEqual(adm.ok(self, self.d, "recommend"), "virtual-guest\n")
        self.host.write("dev/kvm", "")
        os.unlink(self.host.path("sys/hypervisor/type"))
        self.assertEqual(adm.ok(self, self.d, "recommend"), "virtual-host\n")


class Refusals(AdmTestCase):
    """Every refusal leaves the active profile and the host untouched."""

    def setUp(self):
        super().setUp()
        adm.ok(self, self.d, "profile", "latency")
        self.before = self.host.snapshot()

    def untouched(self):
        self.assertEqual(FakeHost.changes(self.before, self.host.snapshot()), {})
        self.assertEqual(self.active(), "latency")
        self.assert_applied("latency")
        adm.ok(self, self.d, "verify")
        with open(os.path.join(self.d.state, "active_profile")) as f:
            self.assertEqual(f.read().strip(), "latency")

    def test_bad_names(self):
        for name in ("../etc/passwd", ".hidden", "a b", "x/y", "", "é", "a" * 65, "name;rm"):
            for verb in ("profile", "diff", "info"):
                with self.subTest(name=name, verb=verb):
                    adm.refused(self, self.d, verb, name, expect="invalid profile name")
        self.untouched()

    def test_unknown_profile(self):
        for verb in ("profile", "diff", "info"):
            adm.refused(self, self.d, verb, "nosuch", expect="profile 'nosuch' not found")
        self.untouched()

    def test_broken_profiles(self):
        cases = {
            "typo": ("[vm]\nswappiness=1\ndirty_ratoi=5\n", ":3: [vm] unknown key 'dirty_ratoi'"),
            "range": ("[main]\ninclude=virtual-host\n[vm]\nswappiness=500\n", ":4: [vm] swappiness=500"),
            "cycle": ("[main]\ninclude=cycle\n", "include cycle"),
            "thp": ("[vm]\ntransparent_hugepages=sometimes\n", ":2:"),
            "orphan": ("[main]\ninclude=phantom\n", "included profile 'phantom' not found"),
        }
        for name, (text, expect) in cases.items():
            self.write_profile(name, text, self.pdir)
            with self.subTest(name=name):
                adm.refused(self, self.d, "profile", name, expect=expect)
                adm.refused(self, self.d, "diff", name, expect=expect)
                adm.refused(self, self.d, "info", name, expect=expect)
                self.untouched()
        with open(os.path.join(self.pdir, "junk.conf"), "wb") as f:
            f.write(os.urandom(64) + b"\x00")
        adm.refused(self, self.d, "profile", "junk", expect="junk.conf")
        os.mkfifo(os.path.join(self.pdir, "fifo.conf"))
        adm.refused(self, self.d, "profile", "fifo", expect="not a regular file")
        self.untouched()

    def test_help_and_version(self):
        p = subprocess.run([harness.ADM, "--help"], stdout=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(p.returncode, 0)
        for verb in ("list", "active", "profile", "off", "verify", "recommend", "info", "diff", "status",
                     "domains", "reload", "domain-event"):
            self.assertRegex(p.stdout, r"\n  %s " % verb)
        p = subprocess.run([harness.ADM, "--version"], stdout=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^kvmtuned-adm \d+\.\d+\.\d+\n$")
        self.untouched()

    def test_usage_errors(self):
        for args, expect in ((["bogus"], "unknown verb 'bogus'"),
                             (["profile"], "profile takes NAME, got 0 argument(s)"),
                             (["active", "x"], "active takes no arguments, got 1"),
                             (["--json", "profile", "x"], "profile has no --json output"),
                             (["--frobnicate", "list"], "unknown option '--frobnicate'"),
                             ([], "no verb given")):
            with self.subTest(args=args):
                adm.refused(self, self.d, *args, expect=expect)
        missing = os.path.join(self.tmp, "nosuch.sock")
        adm.refused(self, self.d, "list", socket=missing, expect="cannot connect to %s" % missing)
        self.untouched()


class NonRoot(AdmTestCase):
    """Anyone may connect and read; only root may change anything."""

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)       # nobody must reach the socket in it
        self.as_nobody = ["runuser", "-u", "nobody", "--"]
        self.before = self.host.snapshot()

    def test_reads_allowed(self):
        root_list = adm.ok(self, self.d, "list")
        self.assertEqual(adm.ok(self, self.d, "list", prefix=self.as_nobody), root_list)
        self.assertEqual(adm.ok(self, self.d, "active", prefix=self.as_nobody),
                         "Current active profile: virtual-host\n")
        adm.ok(self, self.d, "verify", prefix=self.as_nobody)
        adm.ok(self, self.d, "status", prefix=self.as_nobody)
        adm.ok(self, self.d, "domains", prefix=self.as_nobody)
        self.assertRegex(adm.ok(self, self.d, "diff", "latency", prefix=self.as_nobody),
                         r"\n/proc/sys/vm/dirty_ratio: +40 -> 10\n")
        self.assertIn("Profile:  latency", adm.ok(self, self.d, "info", "latency", prefix=self.as_nobody))

    def test_mutations_denied(self):
        for args, method in ((["profile", "latency"], "SwitchProfile"), (["off"], "Off"), (["reload"], "Reload"),
                             (["domain-event", "vm1", "started"], "DomainEvent")):
            with self.subTest(args=args):
                line = adm.refused(self, self.d, *args, prefix=self.as_nobody)
                self.assertEqual(line, "kvmtuned-adm: permission denied: %s changes the host: only root (uid 0) "
                                       "may call it, caller is uid 65534" % method)
        # Denied before the arguments are even looked at.
        adm.refused(self, self.d, "profile", "nosuch", prefix=self.as_nobody, expect="permission denied")
        self.assertEqual(FakeHost.changes(self.before, self.host.snapshot()), {})
        self.assertEqual(self.active(), "virtual-host")
        adm.ok(self, self.d, "verify")

    def test_connection_hog_cannot_lock_out_root(self):
        # nobody opens and holds many connections: beyond its share they
        # are closed, root still gets through, and nobody again once it
        # lets go.
        # The system's python: a user's own (pyenv) may be unreadable to nobody.
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        hog = subprocess.Popen(self.as_nobody + [python, "-c", HOG, adm.socket_of(self.d), "40"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
        try:
            kept, closed = map(int, hog.stdout.readline().split())
            self.assertEqual((kept, closed), (16, 24))
            self.assertIn("too many connections from this user", self.d.output())
            adm.ok(self, self.d, "profile", "latency")
            adm.refused(self, self.d, "active", prefix=self.as_nobody)
        finally:
            hog.stdin.close()
            hog.wait(30)
            hog.stdout.close()
        deadline = time.monotonic() + 20
        while adm.run(self.d, "active", prefix=self.as_nobody).returncode != 0:
            self.assertLess(time.monotonic(), deadline, "nobody still locked out after closing")
            time.sleep(0.1)


class Wire(AdmTestCase):
    """The control socket as other D-Bus clients use it."""

    def call_bytes(self, member):
        """A method call on the daemon, serial 1, no arguments, built by hand."""
        def string(code, sig, value):
            v = value.encode()
            body = (bytes([len(v)]) + v + b"\0") if sig == "g" else struct.pack("<I", len(v)) + v + b"\0"
            return bytes([code, 1]) + sig.encode() + b"\0" + body
        fields = b""
        for code, sig, value in ((1, "o", "/org/kvmtuned/Daemon"), (2, "s", "org.kvmtuned.Daemon1"), (3, "s", member)):
            fields += b"\0" * (-len(fields) % 8) + string(code, sig, value)
        head = b"l\1\0\1" + struct.pack("<III", 0, 1, len(fields)) + fields
        return head + b"\0" * (-len(head) % 8)

    def reply_type(self, s, buf):
        """The type of the first message that is not a signal; buf: what
        came after the OK line."""
        while True:
            while len(buf) < 16 or len(buf) < ((16 + struct.unpack("<I", buf[12:16])[0] + 7) & ~7) + \
                    struct.unpack("<I", buf[4:8])[0]:
                chunk = s.recv(4096)
                self.assertTrue(chunk, "the daemon closed the connection")
                buf += chunk
            size = ((16 + struct.unpack("<I", buf[12:16])[0] + 7) & ~7) + struct.unpack("<I", buf[4:8])[0]
            if buf[1] != 4:
                return buf[1]
            buf = buf[size:]

    def test_pipelined_clients_get_their_reply(self):
        # All at once (AUTH, BEGIN and the call in one write), and the call
        # together with BEGIN after OK: the daemon must answer both, not
        # wait for more bytes that never come.
        auth = b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n"
        for pipelined in (True, False):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(10)
                s.connect(adm.socket_of(self.d))
                s.sendall(auth + (b"BEGIN\r\n" + self.call_bytes("ActiveProfile") if pipelined else b""))
                buf = b""
                while b"\r\n" not in buf:
                    buf += s.recv(256)
                line, buf = buf.split(b"\r\n", 1)
                self.assertTrue(line.startswith(b"OK "), line)
                if not pipelined:
                    s.sendall(b"BEGIN\r\n" + self.call_bytes("ActiveProfile"))
                try:
                    self.assertEqual(self.reply_type(s, buf), 2, "pipelined=%s" % pipelined)
                except socket.timeout:
                    self.fail("no reply to a call sent with BEGIN (pipelined=%s)" % pipelined)


# Connect N times, wait until the daemon has either kept or closed each
# connection, print "kept closed", hold them until stdin closes.
HOG = """
import socket, sys
conns = []
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b"\\0AUTH EXTERNAL\\r\\n")   # a kept connection answers; a closed one reads EOF
    conns.append(s)
kept = closed = 0
for s in conns:
    s.settimeout(20)
    try:
        answered = bool(s.recv(256))
    except ConnectionResetError:
        answered = False
    kept, closed = (kept + 1, closed) if answered else (kept, closed + 1)
print(kept, closed, flush=True)
sys.stdin.read()
"""


BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


@unittest.skipUnless(os.path.exists(BASH_COMPLETION), "needs bash-completion")
class Completion(AdmTestCase):

    def complete(self, *words):
        """What bash offers for the last of words."""
        script = ('source %s; source %s; COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE="${COMP_WORDS[*]}"; '
                  'COMP_POINT=${#COMP_LINE}; _kvmtuned_adm; printf "%%s\\n" "${COMPREPLY[@]}"'
                  % (BASH_COMPLETION, os.path.join(harness.SOURCE, "shell-completion", "bash", "kvmtuned-adm"),
                     " ".join(shlex.quote(w) for w in (harness.ADM,) + words), len(words)))
        out = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE, universal_newlines=True,
                             check=True).stdout
        return sorted(w for w in out.splitlines() if w)

    def test_verbs_options_and_profiles(self):
        self.assertEqual(self.complete("d"), ["diff", "domain-event", "domains"])
        self.assertEqual(len(self.complete("")), 13)
        self.assertEqual(self.complete("--j"), ["--json"])
        sock = adm.socket_of(self.d)
        self.assertEqual(self.complete("--socket", sock, "profile", ""), SHIPPED)
        self.assertEqual(self.complete("--socket", sock, "diff", "vir"), ["virtual-guest", "virtual-host"])
        self.assertEqual(self.complete("--socket", sock, "profile", "latency", ""), [])
        self.assertEqual(self.complete("domain-event", "vm1", "st"), ["started", "stopped"])


if __name__ == "__main__":
    harness.main()
