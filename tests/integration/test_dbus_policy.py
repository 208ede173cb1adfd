#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The D-Bus policy systemd/org.kvmtuned.Daemon1.conf on a real
dbus-daemon: this machine's own system bus configuration (its default
policy: no one owns a name or sends a method call unless a drop-in allows
it), listening on a private socket, with our policy as its only drop-in.
Only root may own org.kvmtuned.Daemon1; every user may call its interface,
Properties and Introspectable (the daemon decides, per call, who may
mutate); other interfaces stay closed. Checked with a stand-in owner
(tests/lib/busname.py) and with the real daemon."""

import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import harness
from fakehost import FakeHost

SYSTEM_CONF = "/usr/share/dbus-1/system.conf"
POLICY = os.path.join(harness.SOURCE, "systemd", "org.kvmtuned.Daemon1.conf")
BUSNAME = os.path.join(harness.SOURCE, "tests", "lib", "busname.py")
NAME = "org.kvmtuned.Daemon1"
PATH = "/org/kvmtuned/Daemon"
# The helper runs as nobody too, who cannot reach a python under /root.
SYSTEM_PYTHON = "/usr/bin/python3"


def bus_config(socket_path):
    """The system bus's configuration with its listen address, user, pid
    file and drop-in directories replaced: our policy is the only drop-in."""
    tree = ET.parse(SYSTEM_CONF)
    root = tree.getroot()
    for el in list(root):
        if el.tag in ("listen", "user", "fork", "pidfile", "servicehelper", "include", "includedir",
                      "standard_system_servicedirs", "syslog"):
            root.remove(el)
    ET.SubElement(root, "listen").text = "unix:path=" + socket_path
    ET.SubElement(root, "include").text = POLICY
    return ET.tostring(root, encoding="unicode")


class DBusPolicy(harness.TestCase):

    def setUp(self):
        super().setUp()
        for tool in ("dbus-daemon", "busctl", "runuser"):
            if shutil.which(tool) is None:
                self.skipTest("no " + tool)
        if os.geteuid() != 0 or not os.path.exists(SYSTEM_CONF) or not os.path.exists(SYSTEM_PYTHON):
            self.skipTest("needs root, the system bus configuration and /usr/bin/python3")
        # nobody must reach the socket.
        self.bdir = tempfile.mkdtemp(prefix="kvmtuned-bus-")
        os.chmod(self.bdir, 0o755)
        self.addCleanup(shutil.rmtree, self.bdir, True)
        sock = os.path.join(self.bdir, "bus")
        conf = os.path.join(self.bdir, "bus.conf")
        with open(conf, "w") as f:
            f.write(bus_config(sock))
        self.bus = subprocess.Popen(["dbus-daemon", "--config-file", conf, "--nofork", "--nopidfile",
                                     "--print-address"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.stop, self.bus)
        line = self.bus.stdout.readline()
        if not line:
            self.fail("dbus-daemon did not start: " + self.bus.stderr.read())
        self.address = "unix:path=" + sock

    def stop(self, proc):
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=20)

    def own(self, user=None):
        argv = [SYSTEM_PYTHON, BUSNAME, self.address, NAME]
        if user:
            argv = ["runuser", "-u", user, "--"] + argv
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.stop, p)
        return p, p.stdout.readline().strip()

    def call(self, interface, member, user=None, *args):
        argv = ["busctl", "--address=" + self.address, "call", NAME, PATH, interface, member]
        if args:
            argv += ["s" * len(args)] + list(args)
        if user:
            argv = ["runuser", "-u", user, "--"] + argv
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr

    def test_only_root_owns_the_name(self):
        _, said = self.own(user="nobody")
        self.assertTrue(said.startswith("denied: Permission denied"), said)
        _, said = self.own()
        self.assertEqual(said, "owned")

    def test_everyone_may_call_the_daemon(self):
        _, said = self.own()
        self.assertEqual(said, "owned")
        for user in (None, "nobody"):
            for iface, member in ((NAME, "Status"), ("org.freedesktop.DBus.Properties", "GetAll"),
                                  ("org.freedesktop.DBus.Introspectable", "Introspect")):
                with self.subTest(user=user, interface=iface):
                    rc, out = self.call(iface, member, user)
                    # Delivered: the owner answered (it has no objects, so
                    # an error from it), the bus did not refuse.
                    self.assertNotIn("Access denied", out)
                    self.assertIn("Unknown object '%s'" % PATH, out)

    def test_other_interfaces_stay_closed(self):
        _, said = self.own()
        self.assertEqual(said, "owned")
        rc, out = self.call("org.kvmtuned.Private", "Anything", "nobody")
        self.assertNotEqual(rc, 0)
        self.assertIn("Access denied", out)

    def test_the_daemon_on_the_bus(self):
        # The real daemon claims its name under this policy; nobody reads
        # through the bus and is turned away by the daemon, not the bus,
        # when it tries to switch.
        host = FakeHost(os.path.join(self.tmp, "root"))
        d = self.daemon(host=host, profile="virtual-host", env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address))
        plain = d.argv
        d.argv = lambda: [a for a in plain() if a != "--no-bus"]
        d.start()
        self.assertNotIn("Cannot serve", d.output())
        for user in (None, "nobody"):
            rc, out = self.call(NAME, "ListProfiles", user)
            self.assertEqual(rc, 0, out)
            self.assertIn('"latency"', out)
            rc, out = self.call("org.freedesktop.DBus.Properties", "GetAll", user, NAME)
            self.assertEqual(rc, 0, out)
            self.assertIn("ActiveProfile", out)
            rc, out = self.call("org.freedesktop.DBus.Introspectable", "Introspect", user)
            self.assertEqual(rc, 0, out)
            self.assertIn("SwitchProfile", out)
        # dbus-send shows whose refusal it is: the bus says "Rejected send
        # message", the daemon says why.
        r = subprocess.run(["runuser", "-u", "nobody", "--", "dbus-send", "--bus=" + self.address, "--print-reply",
                            "--dest=" + NAME, PATH, NAME + ".SwitchProfile", "string:latency"],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("org.freedesktop.DBus.Error.AccessDenied", r.stderr)
        self.assertNotIn("Rejected send message", r.stderr)
        self.assertEqual(d.stop(), 0)

if __name__ == "__main__":
    harness.main()
