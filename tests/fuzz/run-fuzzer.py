#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run a fuzz harness against a fresh fake host.

  run-fuzzer.py BINARY --regression SEEDS...       every seed once (any build)
  run-fuzzer.py BINARY --runs N SEEDS...           libFuzzer, N inputs
  run-fuzzer.py BINARY --time SECONDS SEEDS...     libFuzzer, for a while

New inputs libFuzzer finds go to a scratch corpus; a crash leaves its input
in the scratch directory, whose path is printed."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fakehost import FakeHost  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("seeds", nargs="+")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--regression", action="store_true")
    mode.add_argument("--runs", type=int)
    mode.add_argument("--time", type=int)
    ap.add_argument("--dict")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    a = ap.parse_args()

    build = os.environ.get("KT_BUILD_DIR", os.path.join(os.path.dirname(a.binary), "..", ".."))
    work = tempfile.mkdtemp(prefix="kvmtuned-fuzz-")
    FakeHost(os.path.join(work, "root"))
    env = dict(os.environ, KT_PLUGIN_DIR=os.path.join(build, "plugins"), KT_FUZZ_ROOT=os.path.join(work, "root"))
    env.setdefault("KT_PROFILE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "profiles"))
    if a.regression:
        argv = [a.binary] + a.seeds
    else:
        corpus = os.path.join(work, "corpus")
        os.mkdir(corpus)
        argv = [a.binary, "-artifact_prefix=%s/" % work, "-max_len=4096", "-timeout=10", "-rss_limit_mb=2048"]
        argv += ["-runs=%d" % a.runs] if a.runs else ["-max_total_time=%d" % a.time]
        if a.dict:
            argv.append("-dict=" + a.dict)
        argv += [corpus] + a.seeds
    rc = subprocess.call(argv, env=env)
    if rc != 0 or a.keep:
        print("scratch directory kept: %s" % work, file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
