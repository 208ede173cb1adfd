# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run the real kvmtuned binary the way systemd would: with a NOTIFY_SOCKET
to learn when it is ready, private runtime and state directories, and a
--root fake host (or the real one)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BUILD = os.environ.get("KT_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE = os.environ.get("KT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DAEMON = os.path.join(BUILD, "daemon", "kvmtuned")
ADM = os.path.join(BUILD, "adm", "kvmtuned-adm")
PLUGINS = os.path.join(BUILD, "plugins")
PROFILES = os.path.join(SOURCE, "profiles")

SKIP = 77

# Tests that change this machine's own kernel settings or its libvirtd take
# this lock, so two suites (or two checkouts) never interleave on one host.
HOST_LOCK = "/tmp/kvmtuned-tests-real-host.lock"


def real_host_lock():
    import fcntl
    f = open(HOST_LOCK, "a")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


class Daemon:
    """One kvmtuned process. Wait for READY=1 with start(); stop() sends
    SIGTERM and waits; kill() sends SIGKILL."""

    def __init__(self, workdir, root=None, profile=None, profile_dirs=None, extra=(), env=None,
                 config=None, host=None, libvirt_uri="none"):
        self.workdir = workdir
        self.libvirt_uri = libvirt_uri
        self.host = host            # a FakeHost to settle after every reply
        if host is not None and root is None:
            root = host.root
        self.runtime = os.path.join(workdir, "run")
        self.state = os.path.join(workdir, "state")
        self.root = root
        self.profile = profile
        self.profile_dirs = profile_dirs if profile_dirs is not None else [PROFILES]
        self.extra = list(extra)
        self.env = env
        self.config = config or os.path.join(workdir, "kvmtuned.conf")
        if not os.path.exists(self.config):
            with open(self.config, "w") as f:
                f.write("")
        self.proc = None
        self.argv_prefix = []       # e.g. ["setpriv", "--reuid=nobody", ...]
        self.log_path = os.path.join(workdir, "daemon.log")
        self.notify_path = os.path.join(workdir, "notify.sock")
        self.notify = None
        self.messages = []

    def argv(self):
        a = self.argv_prefix + [DAEMON, "--runtime-dir", self.runtime, "--state-dir", self.state, "--plugin-dir", PLUGINS,
             "--libvirt-uri", self.libvirt_uri, "--no-bus", "--config", self.config]
        if self.root is not None:
            a += ["--root", self.root]
        for d in self.profile_dirs:
            a += ["--profile-dir", d]
        if self.profile:
            a += ["--profile", self.profile]
        return a + self.extra

    def start(self, wait=True, timeout=20):
        self.close_notify()
        if os.path.exists(self.notify_path):
            os.unlink(self.notify_path)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        os.chmod(self.notify_path, 0o777)       # a daemon run as another user must reach it
        # Read every message as it comes, as systemd does: this run's only.
        self.messages = []
        self.seen = 0                           # messages wait_for() and drain() have looked at
        self.reader = threading.Thread(target=self._read_notify, args=(self.notify, self.messages), daemon=True)
        self.reader.start()
        env = dict(os.environ if self.env is None else self.env)
        env["NOTIFY_SOCKET"] = self.notify_path
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.argv(), stdout=self.log, stderr=subprocess.STDOUT, env=env)
        if wait:
            self.wait_for("READY=1", timeout)
        return self

    @staticmethod
    def _read_notify(sock, messages):
        sock.settimeout(0.1)
        while True:
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                continue
            except OSError:
                return

    def close_notify(self):
        if self.notify:
            self.notify.close()
            self.reader.join()
            self.notify = None

    def wait_for(self, what, timeout=20):
        """The first message not looked at yet that holds the line what."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while self.seen < len(self.messages):
                msg = self.messages[self.seen]
                self.seen += 1
                if what in msg.split("\n"):
                    self.settle()
                    return msg
            if self.proc.poll() is not None:
                raise AssertionError("daemon exited with %d before %s:\n%s" % (self.proc.returncode, what, self.output()))
            time.sleep(0.02)
        raise AssertionError("no %s within %ss:\n%s" % (what, timeout, self.output()))

    def wait_output(self, text, timeout=30):
        """Until this run's log holds text: what the daemon does after
        READY=1 (loading the libvirt module, connecting) is logged later."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.proc.poll() is not None:
                raise AssertionError("daemon exited with %d before logging %r:\n%s"
                                     % (self.proc.returncode, text, self.output()))
            if time.monotonic() > deadline:
                raise AssertionError("no %r in the log within %ss:\n%s" % (text, timeout, self.output()))
            time.sleep(0.02)

    def settle(self):
        if self.host is not None:
            self.host.settle()

    def drain(self, timeout=0.5):
        """Every notify message of this run so far, once none has come for
        timeout seconds (including those sent while exiting)."""
        n = -1
        while n != len(self.messages):
            n = len(self.messages)
            time.sleep(timeout)
        self.seen = len(self.messages)
        return "\n".join(self.messages)

    def run_to_exit(self, timeout=20):
        """Start and wait for exit (for refusals): returns the exit code."""
        self.start(wait=False)
        try:
            return self.proc.wait(timeout)
        finally:
            self.log.close()
            self.settle()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout)
        self.log.close()
        self.settle()
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()
        self.settle()

    def output(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def cleanup(self):
        # Stopped as systemd stops it, so it puts every value back: a
        # daemon on the real host (root=None) killed here would leave its
        # values behind, its journal removed with the test's directory.
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.close_notify()


class TestCase(unittest.TestCase):
    """A temporary directory per test, removed afterwards."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvmtuned-test-")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def daemon(self, **kw):
        if "host" not in kw and "root" not in kw and getattr(self, "host", None) is not None:
            kw["host"] = self.host
        if "host" not in kw:
            kw.setdefault("root", os.path.join(self.tmp, "root"))
        d = Daemon(self.tmp, **kw)
        self.daemons.append(d)
        return d

    def write_profile(self, name, text, directory=None):
        directory = directory or os.path.join(self.tmp, "profiles")
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name + ".conf")
        with open(path, "w") as f:
            f.write(text)
        return path


def main():
    """unittest.main(), mapping 'every test skipped' to exit code 77."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun > 0 and len(r.skipped) == r.testsRun:
        sys.exit(SKIP)
    sys.exit(0)
