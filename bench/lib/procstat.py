# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a process costs, from /proc: memory (VmRSS, PSS) and CPU time and
wakeups summed over all its threads."""

import glob
import os

TICK = os.sysconf("SC_CLK_TCK")


def memory_kib(pid):
    """(VmRSS, Pss) in KiB."""
    rss = pss = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def cpu(pid):
    """(utime+stime in seconds, on-CPU time in seconds from schedstat,
    context switches) summed over the process's threads."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])   # utime, stime
    run_ns = 0
    switches = 0
    for task in glob.glob("/proc/%d/task/*" % pid):
        try:
            with open(task + "/schedstat") as f:
                run_ns += int(f.read().split()[0])
            with open(task + "/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        switches += int(line.split()[1])
        except OSError:
            pass        # a thread that just exited
    return ticks / TICK, run_ns / 1e9, switches
