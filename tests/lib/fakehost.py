# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fake host tree for running the real daemon with --root.

Builds /sys, /proc and /dev files as a kernel would show them (choice files
with the selection in brackets, CPU topology with SMT siblings, NUMA nodes,
cpufreq, THP, KSM, sysctls, block devices, NICs), and compares snapshots of
what the daemon may touch.
"""

import ctypes
import os
import random
import struct

THP = "sys/kernel/mm/transparent_hugepage"
KSM = "sys/kernel/mm/ksm"
CPU = "sys/devices/system/cpu"
NODE = "sys/devices/system/node"


def cpulist(cpus):
    """[0,1,2,5] -> '0-2,5'"""
    cpus = sorted(cpus)
    out, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else "%d-%d" % (cpus[i], cpus[j]))
        i = j + 1
    return ",".join(out)


def selected(value):
    """The selected word of a choice file, else the value itself."""
    if "[" in value and "]" in value:
        return value[value.index("[") + 1:value.index("]")]
    return value


class _Inotify:
    """Just enough inotify (through libc) to see the daemon close a file
    it wrote."""

    IN_CLOSE_WRITE = 0x8
    IN_NONBLOCK = 0o4000
    IN_CLOEXEC = 0o2000000

    def __init__(self):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(self.IN_NONBLOCK | self.IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs = {}

    def watch(self, directory):
        if directory in self.dirs.values():
            return
        wd = self.libc.inotify_add_watch(self.fd, directory.encode(), self.IN_CLOSE_WRITE)
        if wd < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch " + directory)
        self.dirs[wd] = directory

    def pending(self):
        """Paths closed after writing since the last call."""
        out = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            off = 0
            while off < len(data):
                wd, _, _, n = struct.unpack_from("iIII", data, off)
                name = data[off + 16:off + 16 + n].rstrip(b"\0").decode()
                off += 16 + n
                if wd in self.dirs and name:
                    out.append(os.path.join(self.dirs[wd], name))

    def close(self):
        os.close(self.fd)


class FakeHost:
    """nodes x cores_per_node x threads; siblings numbered 'n+cores' (cpu n and
    n+ncores share a core, as on most x86 servers) or 'adjacent' (2k, 2k+1)."""

    def __init__(self, root, nodes=2, cores_per_node=2, threads=2, siblings="n+cores",
                 cpufreq=True, governors="performance powersave schedutil",
                 disks=("sda", "vda"), virtual_disks=("loop0",), nics=("eth0",),
                 hypervisor=False, mem_kib=16 * 1024 * 1024):
        self.root = root
        self.nodes = nodes
        self.cores_per_node = cores_per_node
        self.threads = threads
        self.siblings = siblings
        self.cpufreq = cpufreq
        self.governors = governors
        self.disks = list(disks)
        self.virtual_disks = list(virtual_disks)
        self.nics = list(nics)
        self.hypervisor = hypervisor
        self.mem_kib = mem_kib
        self.ncores = nodes * cores_per_node
        self.ncpus = self.ncores * threads
        self.choices = {}       # absolute path -> the words the "kernel" offers
        self.selection = {}     # absolute path -> the selected word
        self.inotify = None
        self.build()

    # ---- files ----

    def path(self, rel):
        return os.path.join(self.root, rel.lstrip("/"))

    def write(self, rel, content):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(p, mode) as f:
            f.write(content if isinstance(content, bytes) else str(content) + "\n")

    def replace(self, rel, content):
        """Write a whole new file in one step (rename), as the daemon may read
        it at any moment: a /proc file never shows half its lines."""
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p + ".new", "w") as f:
            f.write(content)
        os.replace(p + ".new", p)

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read().strip()

    def choice(self, rel, words, selected_word):
        """A kernel choice file: reads "a [b] c", takes one word written to it."""
        p = self.path(rel)
        self.choices[p] = words.split()
        self.selection[p] = selected_word
        self._show(p)
        if self.inotify is None:
            self.inotify = _Inotify()
        self.inotify.watch(os.path.dirname(p))

    def _show(self, p):
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(" ".join("[%s]" % w if w == self.selection[p] else w for w in self.choices[p]) + "\n")

    def settle(self):
        """Do what the kernel does when a choice file is written: show the
        whole list again with the new word selected (a word it does not
        offer leaves the old selection, as its EINVAL would)."""
        if self.inotify is None:
            return
        for p in self.inotify.pending():
            if p not in self.choices or not os.path.exists(p):
                continue
            with open(p) as f:
                content = f.read().strip()
            if "[" in content:
                continue                # our own rewrite
            if content in self.choices[p]:
                self.selection[p] = content
            self._show(p)

    def value(self, rel):
        """What the daemon sees: the selected word of a choice file."""
        return selected(self.read(rel))

    # ---- topology ----

    def core_of(self, cpu):
        return cpu % self.ncores if self.siblings == "n+cores" else cpu // self.threads

    def cpus_of_core(self, core):
        if self.siblings == "n+cores":
            return [core + t * self.ncores for t in range(self.threads)]
        return [core * self.threads + t for t in range(self.threads)]

    def node_of_core(self, core):
        return core // self.cores_per_node

    def cpus_of_node(self, node):
        cores = range(node * self.cores_per_node, (node + 1) * self.cores_per_node)
        return sorted(c for core in cores for c in self.cpus_of_core(core))

    def build(self):
        n = self.ncpus
        for f in ("online", "possible", "present"):
            self.write(CPU + "/" + f, cpulist(range(n)))
        for cpu in range(n):
            core = self.core_of(cpu)
            d = "%s/cpu%d" % (CPU, cpu)
            sib = cpulist(self.cpus_of_core(core))
            self.write(d + "/topology/core_id", core % self.cores_per_node)
            self.write(d + "/topology/physical_package_id", self.node_of_core(core))
            self.write(d + "/topology/die_id", 0)
            self.write(d + "/topology/thread_siblings_list", sib)
            self.write(d + "/topology/core_cpus_list", sib)
            if cpu > 0:
                self.write(d + "/online", 1)
            self.write(d + "/power/energy_perf_bias", 6)
            if self.cpufreq:
                self.write(d + "/cpufreq/scaling_governor", "powersave")
                self.write(d + "/cpufreq/scaling_available_governors", self.governors)
                self.write(d + "/cpufreq/energy_performance_preference", "balance_performance")
                self.write(d + "/cpufreq/energy_performance_available_preferences",
                           "default performance balance_performance balance_power power")
        if self.cpufreq:
            self.write(CPU + "/intel_pstate/min_perf_pct", 30)
            self.write(CPU + "/intel_pstate/status", "active")

        for f in ("online", "possible", "has_cpu", "has_memory"):
            self.write(NODE + "/" + f, cpulist(range(self.nodes)))
        per_node = self.mem_kib // self.nodes
        for node in range(self.nodes):
            d = "%s/node%d" % (NODE, node)
            self.write(d + "/cpulist", cpulist(self.cpus_of_node(node)))
            self.write(d + "/distance", " ".join("10" if o == node else "21" for o in range(self.nodes)))
            self.write(d + "/meminfo", "Node %d MemTotal:       %d kB\nNode %d MemFree:        %d kB\n"
                       "Node %d MemUsed:        %d kB" % (node, per_node, node, per_node * 3 // 4,
                                                          node, per_node // 4))

        self.choice(THP + "/enabled", "always madvise never", "madvise")
        self.choice(THP + "/defrag", "always defer defer+madvise madvise never", "madvise")
        self.choice(THP + "/shmem_enabled", "always within_size advise never deny force", "never")
        self.write(THP + "/khugepaged/defrag", 1)
        self.write(THP + "/khugepaged/pages_to_scan", 4096)
        self.write(THP + "/khugepaged/scan_sleep_millisecs", 10000)
        self.write(THP + "/khugepaged/alloc_sleep_millisecs", 60000)
        self.write(THP + "/khugepaged/max_ptes_none", 511)

        for k, v in (("run", 0), ("pages_to_scan", 100), ("sleep_millisecs", 20), ("merge_across_nodes", 1),
                     ("max_page_sharing", 256), ("use_zero_pages", 0), ("pages_shared", 0),
                     ("pages_sharing", 0), ("pages_unshared", 0), ("pages_volatile", 0), ("full_scans", 0)):
            self.write(KSM + "/" + k, v)

        for k, v in (("vm/dirty_ratio", 20), ("vm/dirty_background_ratio", 10), ("vm/swappiness", 60),
                     ("vm/dirty_expire_centisecs", 3000), ("vm/dirty_writeback_centisecs", 500),
                     ("vm/nr_hugepages", 0), ("kernel/numa_balancing", 1), ("net/ipv4/ip_forward", 1),
                     ("net/core/somaxconn", 4096), ("net/ipv4/tcp_rmem", "4096\t131072\t6291456")):
            self.write("proc/sys/" + k, v)
        self.write("proc/sys/kernel/random/boot_id", "6d3f2c1e-0000-4000-8000-%012x" % random.getrandbits(48))

        flags = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov ht syscall nx lm vmx"
        if self.hypervisor:
            flags += " hypervisor"
        self.write("proc/cpuinfo", "".join(
            "processor\t: %d\nvendor_id\t: GenuineIntel\nmodel name\t: Fake CPU\nflags\t\t: %s\n\n" % (c, flags)
            for c in range(n)))
        self.write("proc/meminfo", "MemTotal:       %d kB\nMemFree:        %d kB\nMemAvailable:   %d kB\n"
                   "Buffers:          102400 kB\nCached:          2097152 kB\n"
                   % (self.mem_kib, self.mem_kib * 3 // 4, self.mem_kib * 7 // 8))
        self.write("proc/stat", "cpu  0 0 0 0 0 0 0 0 0 0\n" + "".join(
            "cpu%d 0 0 0 0 0 0 0 0 0 0\n" % c for c in range(n)))

        for disk in self.disks + self.virtual_disks:
            d = "sys/block/" + disk
            self.choice(d + "/queue/scheduler", "none mq-deadline kyber bfq", "none")
            self.write(d + "/queue/read_ahead_kb", 128)
            self.write(d + "/queue/nr_requests", 64)
            if disk in self.disks:
                os.makedirs(self.path(d + "/device"), exist_ok=True)
        for nic in self.nics:
            d = "sys/class/net/" + nic
            self.write(d + "/tx_queue_len", 1000)
            self.write(d + "/operstate", "up")
            # No kernel to answer ethtool here: one file per offload.
            for feature in ("gro", "gso", "tso", "lro"):
                self.write(d + "/features/" + feature, "on" if feature != "lro" else "off")
        self.counters = Counters(self)
        self.counters.write()

        # A real character device would be better, but a regular file lets
        # the test see the 4 bytes written while the request is held.
        self.write("dev/cpu_dma_latency", b"")

    # ---- comparing ----

    # Files the daemon must never leave changed, by selected value.
    TRACKED_DIRS = ("sys", "proc/sys")

    def snapshot(self):
        snap = {}
        for top in self.TRACKED_DIRS:
            base = self.path(top)
            for dirpath, _, files in os.walk(base):
                for f in files:
                    p = os.path.join(dirpath, f)
                    rel = os.path.relpath(p, self.root)
                    if not os.path.isfile(p) or os.path.islink(p):
                        continue        # a FIFO would block; links are not settings
                    try:
                        with open(p) as fh:
                            snap[rel] = selected(fh.read().strip())
                    except (OSError, UnicodeDecodeError):
                        pass
        return snap

    @staticmethod
    def changes(before, after):
        """Paths whose value differs: {path: (before, after)}."""
        keys = set(before) | set(after)
        return {k: (before.get(k), after.get(k)) for k in sorted(keys) if before.get(k) != after.get(k)}


class Counters:
    """The fake kernel's cumulative counters behind /proc/stat,
    /proc/net/dev and /proc/diskstats, advanced by wall time at set rates
    (a real kernel's counters never stand still)."""

    HZ = 100

    def __init__(self, host):
        self.host = host
        self.cpu = [[0] * 8 for _ in range(host.ncpus)]     # user nice system idle iowait irq softirq steal
        self.nic = {n: [0, 0, 0, 0] for n in host.nics}     # rx bytes, rx packets, tx bytes, tx packets
        self.disk = {d: [0, 0, 0] for d in host.disks + host.virtual_disks}  # reads, writes, sectors written
        self.busy = 0.0             # fraction of every CPU
        self.write_bps = 0.0        # bytes/s written to the first disk
        self.nic_bps = 0.0          # bytes/s received by every NIC

    def advance(self, seconds):
        ticks = seconds * self.HZ
        for c in self.cpu:
            c[0] += int(round(ticks * self.busy))
            c[3] += int(round(ticks * (1 - self.busy)))
        for n in self.nic.values():
            n[0] += int(self.nic_bps * seconds)
            n[1] += int(self.nic_bps * seconds / 1500)
        if self.disk:
            d = self.disk[self.host.disks[0] if self.host.disks else next(iter(self.disk))]
            d[1] += int(self.write_bps * seconds / 65536)
            d[2] += int(self.write_bps * seconds / 512)

    def write(self):
        total = [sum(c[i] for c in self.cpu) for i in range(8)]
        self.host.replace("proc/stat", "cpu  %s 0 0\n" % " ".join(map(str, total)) + "".join(
            "cpu%d %s 0 0\n" % (i, " ".join(map(str, c))) for i, c in enumerate(self.cpu)) +
            "intr 0\nctxt 0\nbtime 0\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n")
        self.host.replace("proc/net/dev",
                        "Inter-|   Receive                            "
                        "                    |  Transmit\n"
                        " face |bytes    packets errs drop fifo frame compressed multicast|"
                        "bytes    packets errs drop fifo colls carrier compressed\n" + "".join(
                            "%6s: %d %d 0 0 0 0 0 0 %d %d 0 0 0 0 0 0\n" % (n, c[0], c[1], c[2], c[3])
                            for n, c in self.nic.items()))
        self.host.replace("proc/diskstats", "".join(
            "   8 %7d %s %d 0 0 0 %d 0 %d 0 0 0 0 0 0 0 0\n" % (i * 16, d, c[0], c[1], c[2])
            for i, (d, c) in enumerate(self.disk.items())))

    def set_meminfo(self, free_kib, total_kib=None, cached_kib=0, buffers_kib=0):
        total = total_kib or self.host.mem_kib
        self.host.replace("proc/meminfo", "MemTotal:       %d kB\nMemFree:        %d kB\nMemAvailable:   %d kB\n"
                        "Buffers:        %d kB\nCached:         %d kB\n"
                        % (total, free_kib, free_kib + cached_kib, buffers_kib, cached_kib))


class LoadDriver:
    """A thread that keeps the fake counters moving, as time passes, at the
    rates the test sets on host.counters."""

    def __init__(self, host, period=0.05):
        import threading
        self.host = host
        self.period = period
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join()

    def run(self):
        import time
        last = time.monotonic()
        while not self.stop_event.wait(self.period):
            now = time.monotonic()
            with self.lock:
                self.host.counters.advance(now - last)
                self.host.counters.write()
            last = now

    def set(self, **rates):
        with self.lock:
            for k, v in rates.items():
                setattr(self.host.counters, k, v)
