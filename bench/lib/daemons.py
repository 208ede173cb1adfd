# SPDX-License-Identifier: LGPL-2.1-or-later
"""The two daemons under test, started the same way: in the foreground, on
this host, with a profile named on the command line; plus the system bus
they talk on. Each knows how to tell that it has applied its profile
(kvmtuned: READY=1 on NOTIFY_SOCKET; TuneD: its log line) and how its
client switches profiles."""

import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BUS_SOCKET = "/run/dbus/system_bus_socket"
RUNTIME_PARENT = "/dev/shm"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


class Bus:
    """The system bus: the real one if it runs, else a private dbus-daemon
    of type system that only root may use."""

    def __init__(self, workdir):
        self.proc = None
        self.address = None
        if self._connectable(BUS_SOCKET):
            self.address = "unix:path=" + BUS_SOCKET
            return
        path = os.path.join(workdir, "system_bus_socket")
        conf = os.path.join(workdir, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONFIG % path)
        self.proc = subprocess.Popen(["dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile",
                                      "--print-address=1"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon did not start")

    @staticmethod
    def _connectable(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    @property
    def private(self):
        return self.proc is not None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Daemon:
    """One daemon under test; at most one process at a time."""

    name = None

    def __init__(self, workdir, env):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.env = env
        self.proc = None
        self.log_path = os.path.join(workdir, "daemon.log")

    def argv(self, profile):
        raise NotImplementedError

    def switch_argv(self, profile):
        raise NotImplementedError

    def start(self, profile):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.argv(profile), stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self.env, start_new_session=True)
        return self.proc

    def ready(self):
        """Whether the daemon has said it applied its profile."""
        raise NotImplementedError

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if self.ready():
                return
            self.wait_event(0.01)
        raise RuntimeError("%s: not ready within %d s:\n%s" % (self.name, timeout, self.output()))

    def wait_event(self, timeout):
        """Sleep until the daemon may have news, at most timeout seconds."""
        time.sleep(timeout)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited with %d:\n%s" % (self.name, self.proc.returncode, self.output()))

    def switch(self, profile):
        """Run the client to the end (untimed)."""
        r = subprocess.run(self.switch_argv(profile), env=self.env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("%s failed: %s" % (" ".join(self.switch_argv(profile)), r.stderr.strip()))

    def stop(self, timeout=60):
        """SIGTERM (the daemon puts its values back), SIGKILL if it hangs."""
        if not self.proc:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self.log.close()

    def cleanup(self):
        pass

    def output(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""


class Kvmtuned(Daemon):
    name = "kvmtuned"

    def __init__(self, workdir, env, build, source, extra_profiles, libvirt_uri="none"):
        super().__init__(workdir, env)
        self.libvirt_uri = libvirt_uri
        if libvirt_uri != "none":
            self.name = "kvmtuned with libvirt"
        self.build = build
        self.source = source
        self.extra_profiles = extra_profiles
        # On tmpfs, as /run is on a systemd host: the journal's fdatasync()
        # then costs what it costs in production.
        self.runtime = tempfile.mkdtemp(prefix="kvmtuned-bench-run-", dir=RUNTIME_PARENT) \
            if os.access(RUNTIME_PARENT, os.W_OK) else os.path.join(workdir, "run")
        self.state = os.path.join(workdir, "state")
        self.config = os.path.join(workdir, "kvmtuned.conf")
        with open(self.config, "w") as f:
            f.write("[daemon]\ndynamic=yes\n")
        self.notify_path = os.path.join(workdir, "notify.sock")
        self.notify = None
        self.ready_at = None
        self.adm = os.path.join(build, "adm", "kvmtuned-adm")

    def argv(self, profile):
        return [os.path.join(self.build, "daemon", "kvmtuned"),
                "--plugin-dir", os.path.join(self.build, "plugins"),
                "--profile-dir", os.path.join(self.source, "profiles"), "--profile-dir", self.extra_profiles,
                "--runtime-dir", self.runtime, "--state-dir", self.state,
                "--libvirt-uri", self.libvirt_uri, "--config", self.config, "--profile", profile]

    def have_client(self):
        return os.access(self.adm, os.X_OK)

    def switch_argv(self, profile):
        return [self.adm, "--socket", os.path.join(self.runtime, "kvmtuned.sock"), "profile", profile]

    def start(self, profile):
        if self.notify:
            self.notify.close()
        if os.path.exists(self.notify_path):
            os.unlink(self.notify_path)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.setblocking(False)
        self.ready_at = None
        self.env = dict(self.env, NOTIFY_SOCKET=self.notify_path)
        return super().start(profile)

    def ready(self):
        """Reads NOTIFY_SOCKET; remembers when READY=1 arrived."""
        while self.ready_at is None:
            if not self.notify:
                return False
            try:
                msg = self.notify.recv(4096).decode(errors="replace")
            except BlockingIOError:
                return False
            if "READY=1" in msg.split("\n"):
                self.ready_at = time.monotonic()
                # Nobody reads on from here: a full socket would block the
                # daemon's next sd_notify() (a datagram queue holds ten).
                self.close_notify()
        return True

    def wait_event(self, timeout):
        # Wake as READY=1 arrives, so ready_at is not up to 10 ms late.
        if self.notify:
            select.select([self.notify], [], [], timeout)
        else:
            time.sleep(timeout)

    def close_notify(self):
        if self.notify:
            self.notify.close()
            self.notify = None
        if os.path.exists(self.notify_path):
            os.unlink(self.notify_path)

    def stop(self, timeout=60):
        super().stop(timeout)
        self.close_notify()

    def cleanup(self):
        shutil.rmtree(self.runtime, ignore_errors=True)


class Tuned(Daemon):
    name = "TuneD"
    APPLIED = "static tuning from profile"

    def __init__(self, workdir, env):
        super().__init__(workdir, env)
        self.tuned_log = os.path.join(workdir, "tuned.log")
        self.pid_file = os.path.join(workdir, "tuned.pid")
        self.log_offset = 0

    @staticmethod
    def version():
        r = subprocess.run(["tuned", "--version"], capture_output=True, text=True)
        return (r.stdout + r.stderr).strip().replace("tuned ", "")

    def argv(self, profile):
        # As Debian's tuned.service runs it, with its log and PID file here.
        return ["tuned", "-l", self.tuned_log, "-P", self.pid_file, "-p", profile]

    def switch_argv(self, profile):
        return ["tuned-adm", "profile", profile]

    def start(self, profile):
        try:
            self.log_offset = os.path.getsize(self.tuned_log)
        except OSError:
            self.log_offset = 0
        return super().start(profile)

    def ready(self):
        try:
            with open(self.tuned_log, errors="replace") as f:
                f.seek(self.log_offset)
                return self.APPLIED in f.read()
        except OSError:
            return False
