#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kvmtuned and TuneD side by side on this host, one after the other, each
with its own virtual-host profile: start -> values applied, memory, profile
switch end to end, idle CPU with dynamic tuning on. Prints a markdown
fragment on stdout, progress on stderr. Needs root: it changes this host's
kernel values, and puts every one of them back (also on failure and on
Ctrl-C)."""

import argparse
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "lib"), os.path.join(HERE, "..", "tests", "lib")]

import daemons  # noqa: E402
import hostvalues  # noqa: E402
import procstat  # noqa: E402
import virt  # noqa: E402
from harness import real_host_lock  # noqa: E402

HOME, OTHER = "virtual-host", "virtual-guest"
# Two profiles written for both daemons with the same three sysctls, so a
# switch does the same work in each.
SAME = ("kvmtuned-bench-a", "kvmtuned-bench-b")
SAME_VALUES = {SAME[0]: {"vm.dirty_ratio": "40", "vm.dirty_background_ratio": "5", "vm.swappiness": "10"},
               SAME[1]: {"vm.dirty_ratio": "30", "vm.dirty_background_ratio": "10", "vm.swappiness": "30"}}
POLL = 0.0005


def progress(*a):
    print("vs-tuned:", *a, file=sys.stderr, flush=True)


def wait_exit(proc, timeout):
    """The client's exit status, known the moment it exits. Popen.wait()
    with a timeout polls with growing sleeps (1, 2, 4 ... 50 ms), so a client
    that took 20 ms was seen after 31 ms and one that took 4 ms after 7 ms;
    a pidfd wakes us when the process ends."""
    fd = os.pidfd_open(proc.pid)
    try:
        p = select.poll()
        p.register(fd, select.POLLIN)
        if not p.poll(timeout * 1000):
            raise subprocess.TimeoutExpired(proc.args, timeout)
    finally:
        os.close(fd)
    return proc.wait()


def wait_values(targets, done=lambda: True, check=None, timeout=60):
    """Seconds since t0 until every target value is on the host and done()
    holds; t0 is taken by the caller just before it spawned the process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hostvalues.reached(targets) and done():
            return time.monotonic()
        if check:
            check()
        time.sleep(POLL)
    raise RuntimeError("values not reached within %d s: %s" %
                       (timeout, {p: (hostvalues.read_value(p), v) for p, v in targets.items()}))


class Bench:
    def __init__(self, d, before, paths, args):
        self.d = d
        self.before = before
        self.paths = paths
        self.args = args
        self.out = {}

    def restore(self):
        failed = hostvalues.restore(self.before)
        for p, e in failed:
            progress("cannot put back %s: %s" % (p, e))

    def calibrate(self):
        """What the profile changes on this host: start, wait until the
        daemon says it applied the profile, and see."""
        self.restore()
        self.d.start(HOME)
        self.d.wait_ready()
        self.targets = hostvalues.changed(self.before, self.paths)
        self.d.stop()
        self.restore()
        if not self.targets:
            raise RuntimeError("%s: profile %s changes nothing on this host" % (self.d.name, HOME))
        progress("%s %s sets %d value(s): %s" % (self.d.name, HOME, len(self.targets),
                                                 ", ".join(sorted(self.targets))))

    def start_once(self):
        """Start -> every value of the profile on the host, then stop."""
        self.restore()
        t0 = time.monotonic()
        self.d.start(HOME)
        t = wait_values(self.targets, check=self.d.check_alive) - t0
        self.out.setdefault("start", []).append(t)
        if isinstance(self.d, daemons.Kvmtuned):
            self.d.wait_ready()
            self.out.setdefault("ready", []).append(self.d.ready_at - t0)
        self.d.stop()

    def memory(self, key):
        self.out[key] = procstat.memory_kib(self.d.proc.pid)

    def switches(self, key, a, b):
        """Client process start -> client returned and every value of the
        new profile on the host, alternating between profiles a and b; the
        daemon runs a before and HOME after."""
        if isinstance(self.d, daemons.Kvmtuned) and not self.d.have_client():
            progress("kvmtuned-adm not built: no switch timing for kvmtuned")
            return
        self.d.switch(a)
        at_a = hostvalues.snapshot(self.paths)
        self.d.switch(b)
        at_b = hostvalues.snapshot(self.paths)
        self.d.switch(a)
        again = hostvalues.snapshot(self.paths)
        # What the switch changes, without what a dynamic rule moved meanwhile.
        to = {b: {p: v for p, v in at_b.items() if at_a.get(p) != v and again.get(p) == at_a.get(p)}}
        to[a] = {p: at_a[p] for p in to[b] if p in at_a}
        if not to[b]:
            raise RuntimeError("%s: switching %s -> %s changes nothing" % (self.d.name, a, b))
        times = []
        for i in range(self.args.switches):
            name = b if i % 2 == 0 else a
            t = self.switch_once(name, to[name])
            if t is None:
                self.out[key + "_hung"] = self.out.get(key + "_hung", 0) + 1
            else:
                times.append(t)
        self.d.switch(HOME)
        if times:
            self.out[key] = times
            progress("%s switch %s <-> %s: median %.1f ms" % (self.d.name, a, b, statistics.median(times) * 1000))

    def switch_once(self, name, targets):
        """Seconds, or None when the client did not return in time."""
        argv = self.d.switch_argv(name)
        t0 = time.monotonic()
        c = subprocess.Popen(argv, env=self.d.env, stdout=subprocess.DEVNULL)
        # Block (no polling beside the client) until it returns: both
        # clients return once the switch is done.
        try:
            rc = wait_exit(c, self.args.client_timeout)
        except subprocess.TimeoutExpired:
            progress("%s: %s did not return within %d s" % (self.d.name, " ".join(argv), self.args.client_timeout))
            self.stacks(c.pid)
            c.kill()
            c.wait()
            wait_values(targets, timeout=10)
            return None
        if rc != 0:
            raise RuntimeError("%s exited %d" % (" ".join(argv), rc))
        return wait_values(targets) - t0

    def stacks(self, client):
        """Where the daemon and the client are, for the report."""
        if not shutil.which("gdb"):
            return
        for pid in (self.d.proc.pid, client):
            try:
                r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                                   capture_output=True, text=True, timeout=30)
            except subprocess.TimeoutExpired:
                progress("gdb could not attach to %d within 30 s" % pid)
                continue
            frames = [ln for ln in r.stdout.splitlines() if ln.startswith(("#", "Thread"))]
            progress("stack of %d:\n%s" % (pid, "\n".join(frames[:30])))

    def idle(self):
        pid = self.d.proc.pid
        a = procstat.cpu(pid)
        t0 = time.monotonic()
        time.sleep(self.args.idle)
        b = procstat.cpu(pid)
        span = time.monotonic() - t0
        self.d.check_alive()
        self.out["idle"] = (span, b[0] - a[0], b[1] - a[1], b[2] - a[2])
        progress("%s idle: %.3f s CPU in %.0f s" % (self.d.name, b[1] - a[1], span))

    def connected_memory(self):
        """Memory of a daemon that has connected to libvirt."""
        self.restore()
        connected = self.d.output().count("Connected to libvirt")
        self.d.start(HOME)
        self.d.wait_ready()
        deadline = time.monotonic() + 60
        while self.d.output().count("Connected to libvirt") == connected:
            self.d.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError("%s: no libvirt connection within 60 s:\n%s" % (self.d.name, self.d.output()))
            time.sleep(0.05)
        time.sleep(self.args.settle)
        self.memory("mem_start")
        self.d.stop()
        self.restore()
        progress("%s start: median %.1f ms" % (self.d.name, statistics.median(self.out["start"]) * 1000))
        return self.out

    def run(self):
        """Everything but the start times, on one daemon process."""
        self.restore()
        self.d.start(HOME)
        self.d.wait_ready()
        time.sleep(self.args.settle)
        self.memory("mem_start")
        self.switches("switch", HOME, OTHER)
        self.switches("switch_same", *SAME)
        self.idle()
        self.memory("mem_idle")
        self.d.stop()
        self.restore()
        progress("%s start: median %.1f ms" % (self.d.name, statistics.median(self.out["start"]) * 1000))
        return self.out


def ms(s):
    return "%.1f ms" % (s * 1000) if s < 10 else "%.2f s" % s


def mib(kib):
    return "%.1f MiB" % (kib / 1024)


def row(name, k, t, fmt, target=None, minimum=None):
    """A table row; ratio = TuneD / kvmtuned."""
    if k is None or t is None:
        return "| %s | %s | %s | — | %s |" % (name, fmt(k) if k is not None else "not measured",
                                              fmt(t) if t is not None else "not measured", target or "")
    ratio = t / k if k > 0 else float("inf")
    met = ""
    if minimum is not None:
        met = " ✅" if ratio >= minimum else " ❌ missed"
    return "| %s | %s | %s | %.1f× | %s%s |" % (name, fmt(k), fmt(t), ratio, target or "", met)


def med(out, key):
    return statistics.median(out[key]) if key in out else None


def table(k, t, lv, args):
    idle = args.idle
    lines = [
        "| | kvmtuned | TuneD | TuneD ÷ kvmtuned | target |",
        "|---|---|---|---|---|",
        row("start → profile values on the host (median of %d)" % args.starts,
            med(k, "start"), med(t, "start"), ms, "≥ 10×", 10),
        row("profile switch, client start → values applied (median of %d)" % args.switches,
            med(k, "switch"), med(t, "switch"), ms, "≥ 50×", 50),
        row("profile switch with the same 3 sysctls in both daemons' profiles (median of %d)" % args.switches,
            med(k, "switch_same"), med(t, "switch_same"), ms, "≥ 50×", 50),
        row("daemon RSS (VmRSS) %d s after start" % args.settle,
            k["mem_start"][0], t["mem_start"][0], mib, "≥ 4× (¼ the RSS)", 4),
        row("daemon PSS %d s after start" % args.settle, k["mem_start"][1], t["mem_start"][1], mib),
        row("daemon RSS after the switches and %d s idle" % idle, k["mem_idle"][0], t["mem_idle"][0], mib),
        row("idle CPU over %d s, dynamic tuning on (utime+stime)" % idle,
            k["idle"][1], t["idle"][1], lambda s: "%.2f s" % s),
        row("idle CPU over %d s (schedstat run time)" % idle, k["idle"][2], t["idle"][2], ms),
        row("idle context switches over %d s (all threads)" % idle, k["idle"][3], t["idle"][3], lambda n: "%d" % n),
    ]
    if lv:
        lines += [
            row("start → profile values, kvmtuned with a libvirt URI, libvirtd running (median of %d)" % args.starts,
                med(lv, "start"), med(t, "start"), ms, "≥ 10×", 10),
            row("daemon RSS %d s after start, kvmtuned connected to libvirt" % args.settle,
                lv["mem_start"][0], t["mem_start"][0], mib),
            row("daemon PSS %d s after start, kvmtuned connected to libvirt" % args.settle,
                lv["mem_start"][1], t["mem_start"][1], mib),
        ]
    for name, out in (("kvmtuned", k), ("TuneD", t)):
        for key in ("switch", "switch_same"):
            if out.get(key + "_hung"):
                lines.append("")
                lines.append("%s: %d of %d switch clients did not return within %d s and are left out of the median."
                             % (name, out[key + "_hung"], args.switches, args.client_timeout))
    if "ready" in k:
        lines.append("")
        lines.append("kvmtuned sends `READY=1` %s after it is started (median), after its profile is on the host."
                     % ms(statistics.median(k["ready"])))
    if lv and "ready" in lv:
        lines.append("With a libvirt URI, `READY=1` comes %s after start (median); the libvirt module is loaded "
                     "and connected after it." % ms(statistics.median(lv["ready"])))
    elif not lv:
        lines.append("")
        lines.append("kvmtuned with a libvirt URI: not measured (%s)." % args.no_libvirt)
    return "\n".join(lines)


def raw(name, out):
    parts = []
    for key in ("start", "switch", "switch_same"):
        if key in out:
            parts.append("%s: %s" % (key, ", ".join("%.1f" % (x * 1000) for x in out[key])))
    return "- %s (ms) — %s" % (name, "; ".join(parts))


def write_same_profiles(kvmtuned_dir):
    """SAME for kvmtuned in kvmtuned_dir, for TuneD in /etc/tuned (which is
    put back afterwards)."""
    os.makedirs(kvmtuned_dir, exist_ok=True)
    for name, values in SAME_VALUES.items():
        body = "".join("%s=%s\n" % kv for kv in values.items())
        with open(os.path.join(kvmtuned_dir, name + ".conf"), "w") as f:
            f.write("[main]\nsummary=bench/vs-tuned.py: three sysctls\n\n[sysctl]\n" + body)
        d = os.path.join(hostvalues.ETC_TUNED, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "tuned.conf"), "w") as f:
            f.write("[main]\nsummary=bench/vs-tuned.py: three sysctls\n\n[sysctl]\n" + body)


def libvirt_missing(uri):
    """Why kvmtuned cannot be measured connected to uri, or None."""
    if uri == "none":
        return "--libvirt-uri none"
    if not virt.available():
        return "libvirtd, virsh or QEMU not installed"
    try:
        virt.ensure_libvirtd()
    except (RuntimeError, subprocess.CalledProcessError) as e:
        return "libvirtd cannot run here: %s" % e
    return None


def interrupted(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="meson build directory with kvmtuned")
    ap.add_argument("--source", default=os.path.join(HERE, ".."))
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--switches", type=int, default=10)
    ap.add_argument("--idle", type=int, default=60, help="seconds of idle CPU measurement")
    ap.add_argument("--settle", type=int, default=3)
    ap.add_argument("--client-timeout", type=int, default=20,
                    help="seconds a switch client may take before it counts as hung")
    ap.add_argument("--libvirt-uri", default=virt.URI,
                    help="also start kvmtuned connected to this libvirt ('none': do not)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("vs-tuned: needs root (it tunes this host and puts it back)")
    if not shutil.which("tuned") or not shutil.which("tuned-adm"):
        sys.exit("vs-tuned: TuneD is not installed (apt-get install tuned)")

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, interrupted)
    lock = real_host_lock()
    work = tempfile.mkdtemp(prefix="kvmtuned-bench-")
    paths = hostvalues.candidates()
    before = hostvalues.stable_snapshot(paths)
    paths = sorted(before)
    etc = hostvalues.Directory(hostvalues.ETC_TUNED)
    bus = None
    running = []
    args.no_libvirt = libvirt_missing(args.libvirt_uri)
    if args.no_libvirt:
        progress("kvmtuned with libvirt: not measured (%s)" % args.no_libvirt)
    try:
        bus = daemons.Bus(work)
        progress("system bus: %s%s" % (bus.address, " (private)" if bus.private else ""))
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)
        write_same_profiles(os.path.join(work, "profiles"))
        running = [daemons.Kvmtuned(os.path.join(work, "kvmtuned"), env, os.path.abspath(args.build),
                                    os.path.abspath(args.source), os.path.join(work, "profiles")),
                   daemons.Tuned(os.path.join(work, "tuned"), env)]
        if not args.no_libvirt:
            running.append(daemons.Kvmtuned(os.path.join(work, "kvmtuned-libvirt"), env, os.path.abspath(args.build),
                                            os.path.abspath(args.source), os.path.join(work, "profiles"),
                                            libvirt_uri=args.libvirt_uri))
        benches = [Bench(d, before, paths, args) for d in running]
        for b in benches:
            b.calibrate()
        # Start times interleaved, so that a change in this machine's load
        # falls on both alike.
        for _ in range(args.starts):
            for b in benches:
                b.start_once()
        results = {b.d.name: b.run() for b in benches[:2]}
        for b in benches[2:]:
            results[b.d.name] = b.connected_memory()
    finally:
        for d in running:
            try:
                d.stop()
                d.cleanup()
            except Exception as e:      # never leave the host tuned because one stop failed
                progress("stopping %s: %s" % (d.name, e))
        for p, e in hostvalues.restore(before):
            progress("cannot put back %s: %s" % (p, e))
        etc.restore()
        if bus:
            bus.stop()
        left = hostvalues.changed(before, paths)
        if left:
            progress("still different after restoring: %s" % left)
        shutil.rmtree(work, ignore_errors=True)
        lock.close()

    k, t = results["kvmtuned"], results["TuneD"]
    lv = results.get("kvmtuned with libvirt")
    print(table(k, t, lv, args))
    print()
    print("Every run, in ms:")
    print()
    print(raw("kvmtuned", k))
    print(raw("TuneD", t))
    if lv:
        print(raw("kvmtuned with libvirt", lv))


if __name__ == "__main__":
    main()
