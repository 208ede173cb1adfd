#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Build a big fake host (448 CPUs in 8 nodes of 28 cores x 2 threads, 64
NICs, 128 disks) and time one sample + dispatch on it with the density
profile (all three dynamic rules on). Prints the C benchmark's figures.

    bench/sample-dispatch.py [--build DIR] [--samples N] [--profile NAME]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))

from fakehost import FakeHost  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--profile", default="density")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kvmtuned-bench-")
    try:
        host = FakeHost(os.path.join(tmp, "root"), nodes=8, cores_per_node=28, threads=2,
                        nics=["eth%d" % i for i in range(64)],
                        disks=["sd%s" % (chr(97 + i // 26) + chr(97 + i % 26)) for i in range(128)],
                        virtual_disks=())
        host.counters.busy = 0.3
        host.counters.nic_bps = 1e6
        host.counters.write_bps = 1e6
        host.counters.advance(1)
        host.counters.write()
        subprocess.run([os.path.join(a.build, "bench", "sample-dispatch"), host.root,
                        os.path.join(a.build, "plugins"), os.path.join(HERE, "..", "profiles"), a.profile,
                        str(a.samples)], check=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
