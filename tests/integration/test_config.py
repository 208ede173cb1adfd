#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kvmtuned.conf: the shipped example is valid, the command line overrides
the file, and a bad file is refused with file:line before anything on the
host changes."""

import os
import re

import harness
from fakehost import FakeHost

EXAMPLE = os.path.join(harness.SOURCE, "etc", "kvmtuned.conf")


class Config(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.host = FakeHost(os.path.join(self.tmp, "root"), hypervisor=True)
        self.before = self.host.snapshot()

    def conf(self, text, mode="w"):
        path = os.path.join(self.tmp, "site.conf")
        with open(path, mode) as f:
            f.write(text)
        return path

    def refused(self, conf, expect, extra=(), missing=False):
        d = self.daemon(config=conf, profile="virtual-host", extra=extra)
        if missing:
            os.unlink(conf)         # the harness gives every daemon a config file
        self.assertEqual(d.run_to_exit(), 1)
        lines = [l for l in d.output().splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("kvmtuned: " + expect), lines)
        self.assertEqual(FakeHost.changes(self.before, self.host.snapshot()), {})
        self.assertFalse(os.path.exists(d.state), "state directory created before the config was accepted")
        return lines[0]

    def test_example_with_every_key_uncommented_is_valid(self):
        # The shipped example documents every key with its default value.
        with open(EXAMPLE) as f:
            text = f.read()
        keys = re.findall(r"^#([a-z_]+)=", text, re.M)
        self.assertEqual(sorted(keys), ["default_profile", "dynamic", "interval_ms", "libvirt_uri", "log_level"])
        uncommented = re.sub(r"^#([a-z_]+=)", r"\1", text, flags=re.M).replace("libvirt_uri=qemu:///system",
                                                                             "libvirt_uri=none")
        d = self.daemon(config=self.conf(uncommented))
        d.start()
        self.assertIn("Profile virtual-host active (default in the configuration)", d.output())
        self.assertEqual(d.stop(), 0)

    def test_example_as_shipped_changes_no_default(self):
        d = self.daemon(config=EXAMPLE)
        d.start()
        self.assertIn("Profile virtual-guest active (the CPU reports a hypervisor", d.output())
        self.assertEqual(d.stop(), 0)

    def test_log_level_from_file_and_command_line_override(self):
        conf = self.conf("[daemon]\nlog_level=error\n")
        d = self.daemon(config=conf, profile="virtual-guest")
        d.start()
        self.assertNotIn("Profile virtual-guest active", d.output())
        self.assertEqual(d.stop(), 0)
        d.extra = ["--log-level", "info"]
        d.start()
        self.assertIn("Profile virtual-guest active", d.output())
        self.assertEqual(d.stop(), 0)

    def test_bad_value_refused_even_where_overridden(self):
        # The file is checked as a whole even where the command line would
        # override it: a broken file is a broken file.
        self.refused(self.conf("[daemon]\nlog_level=loud\n"), "%s:2: log_level=loud: expected error, warning" %
                     os.path.join(self.tmp, "site.conf"), extra=["--log-level", "debug"])

    def test_bad_values(self):
        path = os.path.join(self.tmp, "site.conf")
        for line, why in (
                ("interval_ms=5", "expected milliseconds from 10 to 3600000"),
                ("interval_ms=1s", "expected milliseconds from 10 to 3600000"),
                ("dynamic=maybe", "expected a boolean"),
                ("default_profile=../../etc/passwd", "not a valid profile name"),
                ("log_level=verbose", "expected error, warning, notice, info or debug"),
                ("profile=latency", "unknown key (known: interval_ms, dynamic, libvirt_uri, default_profile, "
                                    "log_level)")):
            with self.subTest(line=line):
                self.refused(self.conf("# site\n[daemon]\ninterval_ms=1000\n" + line + "\n"),
                             "%s:4: %s: %s" % (path, line, why))

    def test_keys_outside_daemon_section(self):
        path = os.path.join(self.tmp, "site.conf")
        self.refused(self.conf("interval_ms=1000\n"),
                     "%s:1: interval_ms=1000: keys belong in a [daemon] section" % path)
        self.refused(self.conf("[daemon]\ndynamic=no\n[main]\nlog_level=info\n"),
                     "%s:4: log_level=info: keys belong in a [daemon] section" % path)

    def test_syntax_error(self):
        path = os.path.join(self.tmp, "site.conf")
        self.refused(self.conf("[daemon]\ndynamic=yes\njust words\n"),
                     "%s:3: syntax error (expected key=value)" % path)

    def test_files_that_are_not_a_config(self):
        path = os.path.join(self.tmp, "site.conf")
        self.refused(self.conf(b"[daemon]\n\x00\x01\x02\n", "wb"), "%s:2: line too long or binary" % path)
        self.refused(self.conf("# " + "x" * 70000 + "\n"), "%s: not a regular file of at most 64 KiB" % path)
        self.refused(self.tmp, "%s: not a regular file of at most 64 KiB" % self.tmp)
        missing = os.path.join(self.tmp, "missing.conf")
        self.refused(missing, "%s: No such file or directory" % missing, missing=True)


if __name__ == "__main__":
    harness.main()
