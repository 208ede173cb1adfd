#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The control API on a (private) system bus: the daemon claims its name,
busctl gets the same answers as kvmtuned-adm on the private socket,
PropertiesChanged follows every switch, and the daemon (not only the bus
policy) refuses mutations from non-root callers."""

import json
import os
import select
import shutil
import subprocess
import time
import unittest

import adm
import harness
from fakehost import FakeHost
from privatebus import PrivateBus

OBJ = ["org.kvmtuned.Daemon1", "/org/kvmtuned/Daemon", "org.kvmtuned.Daemon1"]


@unittest.skipUnless(all(shutil.which(t) for t in ("dbus-daemon", "dbus-send", "busctl")),
                     "needs dbus-daemon, dbus-send and busctl")
class Bus(harness.TestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)
        self.bus = PrivateBus(self.tmp).start()
        self.host = FakeHost(os.path.join(self.tmp, "root"))
        self.original = self.host.snapshot()
        self.d = self.daemon(profile="virtual-host", env=self.bus.env())
        plain = self.d.argv
        self.d.argv = lambda: [a for a in plain() if a != "--no-bus"]
        self.d.start()

    def tearDown(self):
        super().tearDown()
        self.bus.stop()

    def busctl(self, *args, prefix=(), check=True):
        p = subprocess.run(list(prefix) + ["busctl", "--system", "--json=short"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                           env=self.bus.env(), timeout=60)
        self.d.settle()
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def call(self, method, *args, **kw):
        sig = "s" * len(args)
        p = self.busctl("call", *OBJ, method, *([sig] + list(args) if args else []), **kw)
        return json.loads(p.stdout)["data"] if p.stdout.strip() else []

    def test_name_claimed(self):
        p = self.busctl("list", check=True)
        names = [n["name"] for n in json.loads(p.stdout)]
        self.assertIn("org.kvmtuned.Daemon1", names)

    def test_bus_going_away(self):
        # dbus-daemon stops: the daemon keeps its profile and the socket.
        self.bus.stop()
        deadline = time.monotonic() + 20
        while "Lost the system bus, serving the private socket only" not in self.d.output():
            self.assertLess(time.monotonic(), deadline, self.d.output())
            time.sleep(0.05)
        self.assertIsNone(self.d.proc.poll())
        adm.ok(self, self.d, "profile", "latency")
        self.assertEqual(self.host.value("proc/sys/vm/dirty_ratio"), "10")

        # It comes back (dbus-daemon restarted): the daemon reconnects and
        # claims its name again, with the profile it has now.
        if os.path.exists(self.bus.socket):
            os.unlink(self.bus.socket)
        self.bus.start()
        deadline = time.monotonic() + 30
        while "Back on the system bus" not in self.d.output():
            self.assertLess(time.monotonic(), deadline, self.d.output())
            time.sleep(0.1)
        self.assertEqual(self.call("ActiveProfile")[0], "latency")
        self.assertEqual(self.d.stop(), 0)
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})

    def test_introspection(self):
        p = subprocess.run(["busctl", "--system", "introspect", "--no-pager", "--no-legend", *OBJ],
                           stdout=subprocess.PIPE, universal_newlines=True, env=self.bus.env(), check=True)
        members = [tuple(l.split()[:2]) for l in p.stdout.splitlines() if l.startswith(".")]
        self.assertEqual(sorted(n for n, kind in members if kind == "method"), sorted("." + m for m in (
            "ActiveProfile", "Advise", "Diff", "DomainEvent", "Domains", "ListProfiles", "Off", "ProfileInfo",
            "Recommend", "Reload", "Status", "SwitchProfile", "Verify")))
        self.assertEqual([n for n, kind in members if kind == "property"], [".ActiveProfile"])

    def test_same_answers_as_the_socket(self):
        j = adm.data(self, self.d, "list")
        self.assertEqual(self.call("ListProfiles")[0], [[p["name"], p["summary"]] for p in j["profiles"]])
        j = adm.data(self, self.d, "active")
        self.assertEqual(self.call("ActiveProfile"), [j["profile"], j["reason"]])
        j = adm.data(self, self.d, "status")
        self.assertEqual(dict(map(tuple, self.call("Status")[0])), j)
        j = adm.data(self, self.d, "diff", "latency")
        self.assertEqual(self.call("Diff", "latency")[0],
                         [[c["path"], c["now"], c["new"], c["owner"]] for c in j["changes"]])
        self.assertEqual(self.call("Domains")[0], adm.data(self, self.d, "domains"))
        self.host.write("proc/sys/vm/swappiness", 42)
        p = adm.run(self.d, "--json", "verify")
        j = json.loads(p.stdout)
        self.assertEqual(self.call("Verify")[0],
                         [[c["path"], c["expected"], c["actual"], c["owner"]] for c in j["drifted"]])
        self.assertEqual(len(j["drifted"]), 1)
        info = self.call("ProfileInfo", "latency")
        self.assertEqual(info[0], "latency")
        self.assertIn(["/proc/sys/vm/dirty_ratio", "10", "vm"], info[4])
        self.assertEqual(self.busctl("get-property", *OBJ, "ActiveProfile").stdout.strip(),
                         '{"type":"s","data":"virtual-host"}')

    def test_switch_over_the_bus(self):
        self.call("SwitchProfile", "latency")
        self.assertEqual(self.host.value("proc/sys/vm/dirty_ratio"), "10")
        self.assertEqual(adm.data(self, self.d, "active")["profile"], "latency")
        # kvmtuned-adm without --socket finds the daemon on the bus when
        # there is no socket at the default path.
        if not os.path.exists("/run/kvmtuned/kvmtuned.sock"):
            p = subprocess.run([harness.ADM, "profile", "density"], env=self.bus.env(),
                               stderr=subprocess.PIPE, universal_newlines=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.d.settle()
            self.assertEqual(self.call("ActiveProfile")[0], "density")
        self.call("Off")
        self.assertEqual(FakeHost.changes(self.original, self.host.snapshot()), {})

    def test_refusals_over_the_bus(self):
        before = self.host.snapshot()
        for args, error in ((["SwitchProfile", "s", "../etc/passwd"], "invalid profile name"),
                            (["SwitchProfile", "s", "nosuch"], "profile 'nosuch' not found"),
                            (["Diff", "s", ".hidden"], "invalid profile name"),
                            (["DomainEvent", "ss", "vm/1", "started"], "invalid domain name"),
                            (["DomainEvent", "ss", "vm1", "boom"], "invalid domain event")):
            with self.subTest(args=args):
                p = self.busctl("call", *OBJ, *args, check=False)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(error, p.stderr)
        # A mutation from nobody: the bus policy lets the call through, the
        # daemon refuses it.
        p = self.busctl("call", *OBJ, "SwitchProfile", "s", "latency", check=False, prefix=adm.NOBODY)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Access denied", p.stderr)
        # busctl shows only the error name; dbus-send shows whose refusal it is.
        p = subprocess.run(adm.NOBODY + ["dbus-send", "--system", "--print-reply", "--dest=" + OBJ[0], OBJ[1],
                                         OBJ[2] + ".SwitchProfile", "string:latency"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                           env=self.bus.env(), timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("org.freedesktop.DBus.Error.AccessDenied: SwitchProfile changes the host: only root (uid 0) "
                      "may call it, caller is uid 65534", p.stderr)
        self.assertEqual(self.call("ActiveProfile", prefix=adm.NOBODY)[0], "virtual-host")
        self.assertEqual(FakeHost.changes(before, self.host.snapshot()), {})

    def test_properties_changed_on_every_switch(self):
        mon = subprocess.Popen(["busctl", "--system", "--json=short", "monitor",
                                "--match=type='signal',interface='org.freedesktop.DBus.Properties',"
                                "member='PropertiesChanged',path='/org/kvmtuned/Daemon'"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                               env=self.bus.env())
        try:
            # The monitor is live once it sees the first signal: keep
            # switching (between two profiles) until one arrives.
            deadline = time.monotonic() + 30
            i = 0
            while self.read_change(mon, 0.5) is None:
                self.assertLess(time.monotonic(), deadline, "no PropertiesChanged within 30 s")
                adm.ok(self, self.d, "profile", ("latency", "density")[i % 2])
                i += 1
            # Then every switch (through the socket) is announced on the bus.
            for name in ("virtual-guest", "virtual-host", "latency"):
                adm.ok(self, self.d, "profile", name)
                self.wait_change(mon, name)
            adm.ok(self, self.d, "off")
            self.wait_change(mon, "")
        finally:
            mon.terminate()
            mon.wait(10)
            mon.stdout.close()

    def wait_change(self, mon, name):
        """Signals of earlier switches may still be queued: skip them."""
        deadline = time.monotonic() + 20
        while True:
            got = self.read_change(mon, max(0, deadline - time.monotonic()))
            self.assertIsNotNone(got, "no PropertiesChanged for %r" % name)
            if got == name:
                return
            self.assertLess(time.monotonic(), deadline, "no PropertiesChanged for %r" % name)

    @staticmethod
    def read_change(mon, timeout):
        """The ActiveProfile of the next PropertiesChanged, or None."""
        r, _, _ = select.select([mon.stdout], [], [], timeout)
        if not r:
            return None
        try:
            msg = json.loads(mon.stdout.readline())
        except ValueError:
            return None
        payload = msg.get("payload", {}).get("data", [])
        if len(payload) >= 2 and "ActiveProfile" in payload[1]:
            return payload[1]["ActiveProfile"]["data"]
        return None


if __name__ == "__main__":
    harness.main()
