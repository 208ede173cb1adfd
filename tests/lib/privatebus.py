# SPDX-License-Identifier: LGPL-2.1-or-later
"""A private dbus-daemon for one test, configured like a system bus: its
own socket, and a policy that lets root own the daemon's name and everyone
call it (the daemon authorizes each call itself)."""

import os
import subprocess

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
  <policy user="root">
    <allow own="{name}"/>
  </policy>
</busconfig>
"""


class PrivateBus:

    def __init__(self, workdir, name="org.kvmtuned.Daemon1", policy=None):
        self.socket = os.path.join(workdir, "system_bus_socket")
        self.config = os.path.join(workdir, "bus.conf")
        with open(self.config, "w") as f:
            f.write(policy if policy is not None else CONFIG.format(socket=self.socket, name=name))
        self.address = "unix:path=" + self.socket
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["dbus-daemon", "--config-file=" + self.config, "--nofork",
                                      "--print-address=1"], stdout=subprocess.PIPE, universal_newlines=True)
        line = self.proc.stdout.readline()      # printed once it listens
        if not line.startswith("unix:"):
            raise AssertionError("dbus-daemon did not start: %r" % line)
        return self

    def env(self, base=None):
        e = dict(os.environ if base is None else base)
        e["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        return e

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if self.proc:
            self.proc.stdout.close()
