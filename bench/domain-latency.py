#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Latency from a domain's STARTED event to all its threads pinned.

Runs the real kvmtuned (build dir) with the latency profile against the
real libvirtd, starts N transient TCG domains one after another, and for
each measures from the moment `virsh event` reports the lifecycle event
"Started" to the moment /proc/<qemu pid>/task/*/status shows every vCPU
thread on its dedicated CPU and every other thread on housekeeping.
Prints p50, p99 and max in milliseconds.

    bench/domain-latency.py [--runs 50] [--build build]

A benchmark, not a test: it takes the real-host lock the tests take, and
polling /proc competes for the CPUs it measures on a small machine."""

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))

import harness  # noqa: E402
import virt     # noqa: E402


class Events:
    """virsh event --loop in the background: domain name -> time of Started."""

    def __init__(self):
        self.started = {}
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(["virsh", "-c", virt.URI, "event", "--all", "--loop", "--timestamp"],
                                     stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            # 2026-11-23 11:05:35.123+0000: event 'lifecycle' for domain 'x': Started Booted
            if "'lifecycle'" not in line or ": Started" not in line:
                continue
            stamp = line.split(": event", 1)[0]
            t = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f%z").timestamp()
            name = line.split("for domain '", 1)[1].split("'", 1)[0]
            with self.cond:
                self.started[name] = t
                self.cond.notify_all()

    def wait(self, name, timeout=30):
        with self.cond:
            if not self.cond.wait_for(lambda: name in self.started, timeout):
                raise RuntimeError("no Started event for %s" % name)
            return self.started[name]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def all_pinned(dom, vcpu_cpu, house):
    aff = dom.affinities()
    ok = False
    for name, lists in aff.items():
        want = vcpu_cpu if name.startswith("CPU ") and name.endswith("/TCG") else house
        ok = name.startswith("CPU ") or ok
        if any(c != want for c in lists):
            return False
    return ok


def percentile(sorted_values, p):
    k = (len(sorted_values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--build", help="build directory (KT_BUILD_DIR, set by bench/run, is what counts)")
    args = ap.parse_args()

    lock = harness.real_host_lock()
    virt.ensure_libvirtd()
    work = tempfile.mkdtemp(prefix="kvmtuned-bench-")
    daemon = harness.Daemon(work, profile="latency", libvirt_uri=virt.URI)
    daemon.start()
    events = Events()
    lat = []
    try:
        for i in range(args.runs):
            dom = virt.Domain(work, vcpus=1)
            dom.start()
            t0 = events.wait(dom.name)
            while not all_pinned(dom, "1", "0"):
                if time.time() - t0 > 30:
                    raise RuntimeError("domain %s not pinned after 30 s:\n%s" % (dom.name, daemon.output()))
                time.sleep(0.0002)
            lat.append((time.time() - t0) * 1000.0)
            dom.destroy()
    finally:
        events.close()
        daemon.stop()
        lock.close()
    lat.sort()
    print("STARTED event -> all threads pinned, %d starts: p50 %.1f ms, p99 %.1f ms, max %.1f ms" %
          (len(lat), percentile(lat, 50), percentile(lat, 99), lat[-1]))


if __name__ == "__main__":
    main()
