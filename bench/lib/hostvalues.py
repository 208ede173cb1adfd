# SPDX-License-Identifier: LGPL-2.1-or-later
"""The host values either daemon may change, read as one snapshot and put
back exactly: every readable and writable /proc/sys/vm, /proc/sys/net/core
and /sys/kernel/mm file, every block device's queue attributes, the sysctls
the system's own sysctl.d files set (TuneD re-applies those), and the
/etc/tuned directory (TuneD records its active profile there)."""

import glob
import os
import stat

ROOTS = ["/proc/sys/vm", "/proc/sys/net/core", "/sys/kernel/mm"]
QUEUES = "/sys/block/*/queue"
SYSCTL_D = ["/etc/sysctl.conf", "/etc/sysctl.d/*.conf", "/run/sysctl.d/*.conf",
            "/usr/local/lib/sysctl.d/*.conf", "/usr/lib/sysctl.d/*.conf", "/lib/sysctl.d/*.conf"]
ETC_TUNED = "/etc/tuned"


def _rw(path):
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_mode & stat.S_IRUSR and st.st_mode & stat.S_IWUSR


def _sysctl_d_paths():
    out = set()
    for pattern in SYSCTL_D:
        for conf in glob.glob(pattern):
            try:
                lines = open(conf, errors="replace").read().splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip().lstrip("-")
                if not line or line[0] in "#;" or "=" not in line:
                    continue
                key = line.split("=", 1)[0].strip()
                if "/" not in key:
                    key = key.replace(".", "/")
                out.add("/proc/sys/" + key)
    return out


def candidates():
    """Every path a snapshot covers."""
    paths = set()
    for root in ROOTS:
        for d, _, files in os.walk(root):
            paths.update(os.path.join(d, f) for f in files)
    for q in glob.glob(QUEUES):
        paths.update(os.path.join(q, f) for f in os.listdir(q))
    paths |= _sysctl_d_paths()
    return sorted(p for p in paths if _rw(p))


def read_value(path):
    """The value as the kernel means it: for choice files such as
    'always [madvise] never' the selected word. None if unreadable."""
    try:
        with open(path, errors="replace") as f:
            raw = f.read().strip()
    except OSError:
        return None
    if path.startswith("/sys/") and "[" in raw and "]" in raw:
        return raw[raw.index("[") + 1:raw.index("]")]
    return " ".join(raw.split())


def write_value(path, value):
    try:
        with open(path, "w") as f:
            f.write(value)
        return None
    except OSError as e:
        return e


def snapshot(paths):
    return {p: v for p in paths if (v := read_value(p)) is not None}


def stable_snapshot(paths, again_after=0.2):
    """A snapshot without the values that change by themselves."""
    import time
    first = snapshot(paths)
    time.sleep(again_after)
    second = snapshot(paths)
    return {p: v for p, v in first.items() if second.get(p) == v}


def changed(before, paths=None):
    """{path: value now} for every path whose value differs from before."""
    out = {}
    for p in (paths or before):
        v = read_value(p)
        if v is not None and v != before.get(p):
            out[p] = v
    return out


def restore(before, passes=3):
    """Write back every value that differs; returns [(path, error)] for
    those the kernel refused. Values that depend on others (a queue's
    nr_requests on its scheduler) are retried once the rest is back."""
    failed = []
    todo = dict(before)
    for _ in range(passes):
        failed = []
        for p, v in todo.items():
            now = read_value(p)
            if now is None or now == v:
                continue
            e = write_value(p, v)
            if e is not None or read_value(p) != v:
                failed.append((p, e or "reads back as %r" % read_value(p)))
        if not failed:
            break
        todo = {p: before[p] for p, _ in failed}
    return failed


def reached(targets):
    """Whether every path holds its target value."""
    for p, v in targets.items():
        if read_value(p) != v:
            return False
    return True


class Directory:
    """A directory's files (content, mode, times) saved and put back,
    files that appeared removed."""

    def __init__(self, path):
        self.path = path
        self.files = {}
        self.dirs = {}
        self.existed = os.path.isdir(path)
        if not self.existed:
            return
        self.dirs = {}
        for d, _, files in os.walk(path):
            st = os.stat(d)
            self.dirs[d] = (st.st_atime_ns, st.st_mtime_ns)
            for f in files:
                p = os.path.join(d, f)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                st = os.stat(p)
                with open(p, "rb") as fh:
                    self.files[p] = (fh.read(), st.st_mode, st.st_atime_ns, st.st_mtime_ns)

    def restore(self):
        if not self.existed:
            return
        for d, _, files in os.walk(self.path, topdown=False):
            for f in files:
                p = os.path.join(d, f)
                if p not in self.files and (os.path.isfile(p) or os.path.islink(p)):
                    os.unlink(p)
            if d not in self.dirs:
                os.rmdir(d)
        for p, (data, mode, atime, mtime) in self.files.items():
            cur = None
            try:
                with open(p, "rb") as fh:
                    cur = fh.read()
            except OSError:
                pass
            if cur != data:
                with open(p, "wb") as fh:
                    fh.write(data)
            os.chmod(p, stat.S_IMODE(mode))
            os.utime(p, ns=(atime, mtime))
        for d, times in self.dirs.items():
            os.utime(d, ns=times)
