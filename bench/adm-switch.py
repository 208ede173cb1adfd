#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""How long `kvmtuned-adm profile X` takes, from starting the process until
it exits with the reply (the new values written), against the real daemon
on a fake host. Alternates between two profiles so every call moves the
host; prints the median and spread of many runs.

  bench/adm-switch.py [--runs N] [--build DIR] [--cpus-per-node N] [--profiles A,B]

Not a test: numbers depend on the machine. Reference points printed beside
it: `kvmtuned-adm --version` (process start and exit only) and
`kvmtuned-adm active` (connect and one read-only call)."""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))


def timed(argv):
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("%s failed: %s" % (" ".join(argv), p.stderr.decode().strip()))
    return t * 1000


def daemon_cpu_ms(pid):
    """User + system CPU time the daemon has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def children_cpu_ms():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000.0


def summary(name, ms):
    ms = sorted(ms)
    p90 = ms[int(len(ms) * 0.9) - 1] if len(ms) >= 10 else ms[-1]
    print("%-34s n=%-4d median %6.2f ms   min %6.2f   p90 %6.2f   max %6.2f" %
          (name, len(ms), statistics.median(ms), ms[0], p90, ms[-1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--cpus-per-node", type=int, default=2, help="cores per NUMA node (2 nodes, SMT 2)")
    ap.add_argument("--profiles", default="latency,virtual-host")
    ap.add_argument("--runtime-on-disk", action="store_true",
                    help="journal on the work dir's file system, not tmpfs (/run is tmpfs on real hosts)")
    a = ap.parse_args()
    os.environ["KT_BUILD_DIR"] = a.build
    import harness
    from fakehost import FakeHost

    work = tempfile.mkdtemp(prefix="kvmtuned-bench-")
    host = FakeHost(os.path.join(work, "root"), cores_per_node=a.cpus_per_node)
    d = harness.Daemon(work, host=host, profile=a.profiles.split(",")[0])
    shm = None
    if not a.runtime_on_disk and os.access("/dev/shm", os.W_OK):
        shm = tempfile.mkdtemp(prefix="kvmtuned-bench-run-", dir="/dev/shm")
        d.runtime = shm
    try:
        d.start()
        sock = os.path.join(d.runtime, "kvmtuned.sock")
        adm = [harness.ADM, "--socket", sock]
        names = a.profiles.split(",")
        for _ in range(5):      # warm the page cache and the daemon
            timed(adm + ["active"])
        version = [timed([harness.ADM, "--version"]) for _ in range(a.runs)]
        active = [timed(adm + ["active"]) for _ in range(a.runs)]
        switch = {n: [] for n in names}
        cpu_daemon, cpu_client = daemon_cpu_ms(d.proc.pid), children_cpu_ms()
        for i in range(a.runs):
            n = names[(i + 1) % len(names)]
            switch[n].append(timed(adm + ["profile", n]))
            host.settle()       # what the kernel does to choice files, outside the clock
            d.drain(0)          # as systemd would read the daemon's STATUS= messages
        print("fake host: %d CPUs, %d block devices; journal in %s, state in %s" %
              (host.ncpus, len(host.disks) + len(host.virtual_disks), d.runtime, d.state))
        print("load average before: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
        summary("kvmtuned-adm --version", version)
        summary("kvmtuned-adm active", active)
        for n, ms in switch.items():
            summary("kvmtuned-adm profile %s" % n, ms)
        summary("kvmtuned-adm profile (all)", [x for ms in switch.values() for x in ms])
        # CPU time does not grow when other work shares the machine, so it
        # is the steadier figure on a busy host (ticks: coarse, averaged).
        print("CPU per switch: daemon %.2f ms, kvmtuned-adm %.2f ms (averages over %d switches)" %
              ((daemon_cpu_ms(d.proc.pid) - cpu_daemon) / a.runs, (children_cpu_ms() - cpu_client) / a.runs,
               a.runs))
        if d.stop() != 0:
            sys.exit("daemon did not stop cleanly")
    finally:
        d.cleanup()
        shutil.rmtree(work, ignore_errors=True)
        if shm:
            shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    main()
