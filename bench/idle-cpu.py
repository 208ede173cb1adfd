#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Daemon CPU and wake-ups while idle, every dynamic rule on, at
--interval-ms 1000 for 60 s, on this machine's own kernel: the daemon
samples the real /proc and /sys/kernel/mm/ksm, as it would in production.
The profile is [cpu] dynamic, [vm] writeback_dynamic and [ksm] adaptive;
anything they change is put back when the daemon stops, and the run holds
the tests' real-host lock so no test sees it.

The daemon runs in a private network namespace (unshare --net): on this
shared machine other work creates and deletes interfaces all the time, and
each of those uevents would wake an otherwise idle daemon.

CPU time and run count come from /proc/PID/task/*/schedstat (nanoseconds
on CPU, times scheduled in), wake-ups from voluntary context switches
(each sleep that ends is one).

    bench/idle-cpu.py [--build DIR] [--duration S] [--interval-ms N]
"""

import argparse
import glob
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))


def counters(pid):
    cpu_ns = runs = wakeups = 0
    for task in glob.glob("/proc/%d/task/*" % pid):
        with open(task + "/schedstat") as f:
            ns, _, n = f.read().split()
        cpu_ns += int(ns)
        runs += int(n)
        with open(task + "/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    wakeups += int(line.split()[1])
    return cpu_ns, runs, wakeups


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--interval-ms", type=int, default=1000)
    ap.add_argument("--shared-net", dest="private_net", action="store_false",
                    help="stay in this network namespace (counts others' interface churn)")
    a = ap.parse_args()
    os.environ.setdefault("KT_BUILD_DIR", os.path.abspath(a.build))
    os.environ.setdefault("KT_SOURCE_DIR", os.path.join(HERE, ".."))
    import harness

    tmp = tempfile.mkdtemp(prefix="kvmtuned-idle-")
    lock = harness.real_host_lock()
    try:
        pdir = os.path.join(tmp, "profiles")
        os.makedirs(pdir)
        with open(os.path.join(pdir, "rules.conf"), "w") as f:
            f.write("[cpu]\ndynamic=true\n[vm]\nwriteback_dynamic=true\n[ksm]\nadaptive=true\n")
        d = harness.Daemon(tmp, root="/", profile="rules", profile_dirs=[pdir],
                           extra=["--interval-ms", str(a.interval_ms)])
        if a.private_net:
            d.argv_prefix = ["unshare", "--net", "--"]
        d.start()
        time.sleep(2 * a.interval_ms / 1000)        # past start-up and the baseline sample
        c0, r0, w0, t0 = *counters(d.proc.pid), time.monotonic()
        time.sleep(a.duration)
        c1, r1, w1, t1 = *counters(d.proc.pid), time.monotonic()
        d.stop()
        d.cleanup()
        wall = t1 - t0
        intervals = wall * 1000 / a.interval_ms
        print("idle %.0f s at --interval-ms %d, dynamic governor, writeback and adaptive KSM on" % (wall, a.interval_ms))
        print("cpu: %.4f%% of one core (%.1f ms in %.0f s)" % (100 * (c1 - c0) / 1e9 / wall, (c1 - c0) / 1e6, wall))
        print("wake-ups: %d (%.2f per interval), scheduled in %d times" % (w1 - w0, (w1 - w0) / intervals, r1 - r0))
    finally:
        lock.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
