# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run kvmtuned-adm against a harness.Daemon's private socket."""

import json
import os
import subprocess

import harness

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def socket_of(daemon):
    return os.path.join(daemon.runtime, "kvmtuned.sock")


def run(daemon, *args, prefix=(), socket=None, timeout=120):
    """kvmtuned-adm --socket <daemon's> ARGS; the fake host is settled
    after the reply, as the kernel would have by then."""
    argv = list(prefix) + [harness.ADM, "--socket", socket or socket_of(daemon)] + list(args)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=timeout)
    daemon.settle()
    return p


def ok(test, daemon, *args, **kw):
    p = run(daemon, *args, **kw)
    test.assertEqual(p.returncode, 0, "kvmtuned-adm %s: %s" % (" ".join(args), p.stderr))
    test.assertEqual(p.stderr, "")
    return p.stdout


def refused(test, daemon, *args, expect=None, **kw):
    """A refusal: non-zero exit, one line on stderr (containing expect)."""
    p = run(daemon, *args, **kw)
    test.assertNotEqual(p.returncode, 0, "kvmtuned-adm %s succeeded:\n%s" % (" ".join(args), p.stdout))
    lines = p.stderr.splitlines()
    test.assertEqual(len(lines), 1, p.stderr)
    test.assertTrue(lines[0].startswith("kvmtuned-adm: "), lines)
    if expect is not None:
        test.assertIn(expect, lines[0])
    return lines[0]


def data(test, daemon, *args, **kw):
    return json.loads(ok(test, daemon, "--json", *args, **kw))
