# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real libvirtd with real QEMU domains (TCG: this machine has no
/dev/kvm), for the tests that need one. ensure_libvirtd() starts the
daemons once if none runs; Domain is a transient, diskless guest that sits
in its firmware, which is all pinning and XML auditing need.

Tests that use these take harness.real_host_lock(): libvirtd is one per
machine."""

import os
import shutil
import subprocess
import time
import uuid

URI = "qemu:///system"
QEMU_CONF = "/etc/libvirt/qemu.conf"
NS = "https://kvmtuned.org/xmlns/tuning/1"


def virsh(*args, check=True, timeout=60):
    p = subprocess.run(["virsh", "-q", "-c", URI] + list(args), capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("virsh %s: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


def _qemu_runs_as_root():
    # Without a /dev/kvm and without the image files a packaged setup has,
    # QEMU runs as root here; the stock config leaves user/group commented.
    try:
        with open(QEMU_CONF) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    lines = [l.strip() for l in text.splitlines()]
    if 'user = "root"' in lines and 'group = "root"' in lines:
        return
    with open(QEMU_CONF, "a") as f:
        f.write('\n# added by the kvmtuned test suite\nuser = "root"\ngroup = "root"\n')


def available():
    return shutil.which("libvirtd") is not None and shutil.which("virsh") is not None and \
        os.path.exists("/usr/bin/qemu-system-x86_64")


def ensure_libvirtd(timeout=30):
    """Start virtlogd and libvirtd unless they run; wait until virsh answers."""
    if subprocess.run(["virsh", "-c", URI, "version"], capture_output=True).returncode == 0:
        return
    os.makedirs("/var/log/libvirt", exist_ok=True)
    _qemu_runs_as_root()
    for user in ("libvirt-qemu",):
        if subprocess.run(["getent", "group", user], capture_output=True).returncode != 0:
            subprocess.run(["groupadd", "-r", user], check=True)
        if subprocess.run(["id", user], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "-r", "-g", user, "-d", "/var/lib/libvirt", "-s", "/usr/sbin/nologin",
                            user], check=True)
    if subprocess.run(["pgrep", "-x", "virtlogd"], capture_output=True).returncode != 0:
        subprocess.run(["virtlogd", "-d"], check=True)
    if subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True).returncode != 0:
        subprocess.run(["libvirtd", "-d"], check=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["virsh", "-c", URI, "version"], capture_output=True).returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("libvirtd did not answer within %d s" % timeout)


def domain_xml(name, vcpus=1, memory_mib=64, policy=None, extra_devices="", extra=""):
    meta = ""
    if policy is not None:
        meta = ('<metadata><kvmtuned:tuning xmlns:kvmtuned="%s" policy="%s"/></metadata>' % (NS, policy))
    return """<domain type='qemu'>
  <name>%s</name>
  <uuid>%s</uuid>
  %s
  <memory unit='MiB'>%d</memory>
  <vcpu placement='static'>%d</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  %s
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    %s
  </devices>
</domain>
""" % (name, uuid.uuid4(), meta, memory_mib, vcpus, extra, extra_devices)


class Domain:
    """A transient domain, destroyed on exit (and on any earlier failure)."""

    def __init__(self, workdir, name=None, **kw):
        self.name = name or "kt-test-%s" % uuid.uuid4().hex[:8]
        self.path = os.path.join(workdir, self.name + ".xml")
        with open(self.path, "w") as f:
            f.write(domain_xml(self.name, **kw))

    def start(self):
        virsh("create", self.path)
        return self

    def destroy(self):
        virsh("destroy", self.name, check=False)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.destroy()

    def vcpu_threads(self):
        """{vcpu index: host thread id} from the QEMU process."""
        out = virsh("qemu-monitor-command", self.name, "--hmp", "info cpus")
        threads = {}
        for line in out.splitlines():
            line = line.strip().lstrip("*").strip()
            if line.startswith("CPU #"):
                idx = int(line[5:line.index(":")])
                threads[idx] = int(line.split("thread_id=")[1].split()[0])
        return threads


    def pid(self):
        """The QEMU process id, from libvirt's pid file."""
        with open("/run/libvirt/qemu/%s.pid" % self.name) as f:
            return int(f.read().strip())

    def affinities(self):
        """{thread name: [CPU list text, ...]} for every QEMU thread, from
        /proc/<pid>/task/*/status: vCPU threads are named 'CPU n/TCG'."""
        pid = self.pid()
        out = {}
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    name = f.read().strip()
                with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                    status = f.read()
            except FileNotFoundError:
                continue    # a thread that just ended
            for line in status.splitlines():
                if line.startswith("Cpus_allowed_list:"):
                    out.setdefault(name, []).append(line.split(":", 1)[1].strip())
        return out

    def set_policy(self, policy):
        """Change the kvmtuned metadata of the running domain (live)."""
        virsh("metadata", self.name, "--uri", NS, "--key", "kvmtuned", "--live",
              "--set", '<tuning policy="%s"/>' % policy)


def restart_libvirtd(timeout=30):
    """Stop libvirtd and start it again; running domains keep running."""
    stop_libvirtd(timeout)
    ensure_libvirtd(timeout)


def stop_libvirtd(timeout=30):
    """Stop libvirtd; running domains keep running."""
    p = subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True, text=True)
    for pid in p.stdout.split():
        os.kill(int(pid), 15)
    deadline = time.monotonic() + timeout
    while subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True).returncode == 0:
        if time.monotonic() > deadline:
            raise RuntimeError("libvirtd did not stop within %d s" % timeout)
        time.sleep(0.1)
