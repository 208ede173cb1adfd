#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What `meson install` ships: the tree under a DESTDIR as a distribution
would build it (prefix /usr), the unit checked by systemd-analyze, the man
pages rendered, and a daemon installed under a private prefix that finds
its own plugins, profiles and configuration with nothing but --root.

The project is configured twice here, from the source tree, without tests.
The prefix install keeps everything below its prefix: its runtime
directory is moved there with -Druntimedir (the default, /run/kvmtuned, is
absolute), and its configuration file says libvirt_uri=none so the daemon
never reaches this machine's libvirtd."""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import harness
from fakehost import FakeHost

MESON = shutil.which("meson")
ANALYZE = shutil.which("systemd-analyze")
MAN = shutil.which("man")
VM = "proc/sys/vm"


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def meson_build(builddir, prefix, *options):
    """Configure, build and install the project; returns the install log."""
    r = run([MESON, "setup", builddir, harness.SOURCE, "--prefix", prefix, "-Dtests=false",
             "-Dbuildtype=plain"] + list(options))
    if r.returncode != 0:
        raise AssertionError("meson setup failed:\n" + r.stdout + r.stderr)
    r = run([MESON, "compile", "-C", builddir])
    if r.returncode != 0:
        raise AssertionError("meson compile failed:\n" + r.stdout + r.stderr)


def meson_install(builddir, destdir=None):
    argv = [MESON, "install", "-C", builddir, "--no-rebuild"]
    if destdir:
        argv += ["--destdir", destdir]
    r = run(argv)
    if r.returncode != 0:
        raise AssertionError("meson install failed:\n" + r.stdout + r.stderr)
    return r.stdout


def pkg_config(var, default):
    r = run(["pkg-config", "--variable=" + var, "systemd"])
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else default


def source_names(subdir, pattern):
    return sorted(os.path.basename(p).split(".")[0] for p in glob.glob(os.path.join(harness.SOURCE, subdir, pattern)))


def unit_keys(path):
    """key -> list of values of a unit file (keys may repeat)."""
    keys = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                k, v = line.split("=", 1)
                keys.setdefault(k, []).append(v)
    return keys


class Install(harness.TestCase):

    @classmethod
    def setUpClass(cls):
        if MESON is None:
            raise AssertionError("meson not found")
        cls.top = tempfile.mkdtemp(prefix="kvmtuned-install-")
        # As a distribution builds it.
        cls.dest = os.path.join(cls.top, "dest")
        meson_build(os.path.join(cls.top, "build-usr"), "/usr")
        cls.install_log = meson_install(os.path.join(cls.top, "build-usr"), cls.dest)
        # Under a private prefix, to run.
        cls.prefix = os.path.join(cls.top, "prefix")
        meson_build(os.path.join(cls.top, "build-prefix"), cls.prefix,
                    "-Druntimedir=" + os.path.join(cls.prefix, "run"))
        meson_install(os.path.join(cls.top, "build-prefix"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.top, ignore_errors=True)

    def d(self, path):
        return os.path.join(self.dest, path.lstrip("/"))

    def installed_files(self):
        out = set()
        for dirpath, dirnames, filenames in os.walk(self.dest):
            for n in filenames + [x for x in dirnames if not os.listdir(os.path.join(dirpath, x))]:
                out.add("/" + os.path.relpath(os.path.join(dirpath, n), self.dest))
        return out

    def plugin_dir(self):
        dirs = glob.glob(self.d("/usr/lib*/**/kvmtuned/plugins"), recursive=True)
        self.assertEqual(len(dirs), 1, dirs)
        return "/" + os.path.relpath(dirs[0], self.dest)

    def expected_tree(self):
        unitdir = pkg_config("systemdsystemunitdir", "/usr/lib/systemd/system")
        tmpfilesdir = pkg_config("tmpfilesdir", "/usr/lib/tmpfiles.d")
        plugins = self.plugin_dir()
        want = {"/usr/sbin/kvmtuned",
                unitdir + "/kvmtuned.service",
                tmpfilesdir + "/kvmtuned.conf",
                "/usr/share/dbus-1/system.d/org.kvmtuned.Daemon1.conf",
                "/etc/kvmtuned/kvmtuned.conf",
                "/etc/kvmtuned/profiles",
                "/usr/share/man/man8/kvmtuned.8",
                "/usr/share/man/man8/kvmtuned-adm.8",
                "/usr/share/man/man5/kvmtuned.conf.5",
                "/usr/share/man/man5/kvmtuned-profiles.5"}
        want |= {plugins + "/%s.so" % n for n in source_names("plugins", "*.c")}
        want.add(os.path.dirname(plugins) + "/kvmtuned-libvirt.so")
        want |= {"/usr/lib/kvmtuned/profiles/%s.conf" % n for n in source_names("profiles", "*.conf")}
        if os.path.exists(os.path.join(harness.SOURCE, "systemd", "kvmtuned-hook")):
            want.add("/etc/libvirt/hooks/qemu.d/kvmtuned")
        if os.path.isdir(os.path.join(harness.SOURCE, "adm")):
            want.add("/usr/bin/kvmtuned-adm")
        if os.path.isdir(os.path.join(harness.SOURCE, "shell-completion")):
            want.add("/usr/share/bash-completion/completions/kvmtuned-adm")
        return want

    def test_destdir_tree(self):
        have = self.installed_files()
        want = self.expected_tree()
        self.assertEqual(want - have, set(), "missing from the install")
        # Anything else must be in the places a package may own.
        for extra in sorted(have - want):
            self.assertTrue(extra.startswith(("/usr/", "/etc/kvmtuned/", "/etc/libvirt/hooks/", "/lib/systemd/")),
                            extra)
        for exe in ["/usr/sbin/kvmtuned"] + [p for p in want if "/hooks/" in p or p.endswith("/bin/kvmtuned-adm")]:
            self.assertTrue(os.access(self.d(exe), os.X_OK), exe)
        for so in glob.glob(self.d(self.plugin_dir()) + "/*.so") + glob.glob(self.d(self.plugin_dir()) + "/../*.so"):
            # The daemon refuses group- or world-writable plugins.
            self.assertEqual(os.stat(so).st_mode & 0o022, 0, so)
        with open(self.d("/etc/kvmtuned/kvmtuned.conf")) as a, \
                open(os.path.join(harness.SOURCE, "etc", "kvmtuned.conf")) as b:
            self.assertEqual(a.read(), b.read())

    def test_installed_paths_in_unit_and_tmpfiles(self):
        unitdir = pkg_config("systemdsystemunitdir", "/usr/lib/systemd/system")
        keys = unit_keys(self.d(unitdir + "/kvmtuned.service"))
        self.assertEqual(keys["ExecStart"], ["/usr/sbin/kvmtuned"])
        with open(self.d(pkg_config("tmpfilesdir", "/usr/lib/tmpfiles.d") + "/kvmtuned.conf")) as f:
            lines = [line.split() for line in f if line.strip() and not line.startswith("#")]
        self.assertEqual([(l[0], l[1]) for l in lines],
                         [("d", "/run/kvmtuned"), ("d", "/var/lib/kvmtuned"), ("d", "/etc/kvmtuned/profiles")])
        # No age: the journal of originals is never cleaned up.
        self.assertTrue(all(l[5] == "-" for l in lines), lines)

    def test_existing_config_is_kept(self):
        conf = self.d("/etc/kvmtuned/kvmtuned.conf")
        with open(conf, "w") as f:
            f.write("[daemon]\nlog_level=debug\n")
        try:
            meson_install(os.path.join(self.top, "build-usr"), self.dest)
            with open(conf) as f:
                self.assertEqual(f.read(), "[daemon]\nlog_level=debug\n")
        finally:
            os.unlink(conf)
            meson_install(os.path.join(self.top, "build-usr"), self.dest)
        self.assertTrue(os.path.exists(conf))

    def test_dbus_policy(self):
        tree = ET.parse(self.d("/usr/share/dbus-1/system.d/org.kvmtuned.Daemon1.conf"))
        policies = tree.getroot().findall("policy")
        own = [(p.attrib, a.attrib) for p in policies for a in p.findall("allow") if "own" in a.attrib]
        self.assertEqual(own, [({"user": "root"}, {"own": "org.kvmtuned.Daemon1"})])
        default = [p for p in policies if p.attrib == {"context": "default"}]
        self.assertEqual(len(default), 1)
        ifaces = {a.attrib.get("send_interface") for a in default[0].findall("allow")
                  if a.attrib.get("send_destination") == "org.kvmtuned.Daemon1"}
        self.assertLessEqual({"org.kvmtuned.Daemon1", "org.freedesktop.DBus.Properties",
                              "org.freedesktop.DBus.Introspectable"}, ifaces)
        self.assertEqual(tree.getroot().findall("policy/deny"), [])

    def unit(self):
        return os.path.join(self.prefix, "lib", "systemd", "system", "kvmtuned.service")

    def test_unit_contract(self):
        keys = unit_keys(self.unit())
        self.assertEqual(keys["Type"], ["notify"])
        self.assertTrue(keys["ExecReload"][0].endswith("kill -HUP $MAINPID"))
        self.assertEqual(keys["RuntimeDirectory"], ["kvmtuned"])
        self.assertEqual(keys["RuntimeDirectoryPreserve"], ["yes"])
        # The control socket is for every user, the rest is root's.
        self.assertEqual(keys["RuntimeDirectoryMode"], ["0755"])
        self.assertEqual(keys["UMask"], ["0077"])
        self.assertEqual(keys["StateDirectory"], ["kvmtuned"])
        self.assertIn("tuned.service", keys["Conflicts"][0].split())
        after = " ".join(keys["After"]).split()
        self.assertIn("libvirtd.service", after)
        self.assertIn("virtqemud.service", after)
        self.assertNotIn("Requires", keys)
        self.assertNotIn("BindsTo", keys)
        self.assertEqual(keys["WantedBy"], ["multi-user.target"])
        self.assertEqual(keys["BusName"], ["org.kvmtuned.Daemon1"])

    def test_unit_verifies(self):
        if ANALYZE is None:
            self.skipTest("no systemd-analyze")
        # The prefix install has the ExecStart binary and the man pages the
        # unit's Documentation= names, so nothing needs to be faked.
        env = dict(os.environ, MANPATH=os.path.join(self.prefix, "share", "man"))
        r = run([ANALYZE, "verify", "--man=yes", self.unit()], env=env)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))

    def test_unit_security_at_most_3(self):
        if ANALYZE is None:
            self.skipTest("no systemd-analyze")
        r = run([ANALYZE, "security", "--offline=true", "--no-pager", self.unit()])
        m = re.search(r"Overall exposure level for kvmtuned\.service: (\d+\.\d+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        self.assertLessEqual(float(m.group(1)), 3.0, r.stdout)

    def render(self, page):
        # Warnings at a terminal's width; the text returned in ASCII with
        # lines so long that every option and key stays on one line.
        for width in ("80", "1000"):
            env = dict(os.environ, MANWIDTH=width, LC_ALL="C")
            r = run([MAN, "--warnings", "-l", page], env=env)
            self.assertEqual((r.returncode, r.stderr), (0, ""), page)
        return re.sub(r".\x08", "", r.stdout)

    def man_page(self, name):
        section = name.rsplit(".", 1)[1]
        return self.render(self.d("/usr/share/man/man%s/%s" % (section, name)))

    def test_man_pages_render(self):
        if MAN is None:
            self.skipTest("no man")
        pages = glob.glob(self.d("/usr/share/man/man*/*"))
        self.assertEqual(len(pages), 4)
        for page in pages:
            with open(page) as f:
                self.assertNotRegex(f.read(), r"@[A-Z]+@", page)
            self.assertIn("SEE ALSO", self.render(page))

    def test_man_pages_cover_the_code(self):
        if MAN is None:
            self.skipTest("no man")
        text = self.man_page("kvmtuned.8")
        out = run([harness.DAEMON, "--help"]).stdout
        for opt in re.findall(r"--[a-z][a-z-]+", out):
            self.assertIn(opt, text, "kvmtuned(8) lacks " + opt)
        if os.path.exists(harness.ADM):
            text = self.man_page("kvmtuned-adm.8")
            out = run([harness.ADM, "--help"]).stdout
            verbs = re.search(r"Verbs:\n(.*?)\n\n", out, re.S).group(1)
            for verb in re.findall(r"^  ([a-z-]+)", verbs, re.M):
                self.assertRegex(text, r"\n {7}%s\b" % verb, "kvmtuned-adm(8) lacks the verb " + verb)
            for opt in re.findall(r"--[a-z][a-z-]+", out):
                self.assertIn(opt, text, "kvmtuned-adm(8) lacks " + opt)
        text = self.man_page("kvmtuned.conf.5")
        with open(os.path.join(harness.SOURCE, "daemon", "options.c")) as f:
            known = re.search(r"unknown key \(known: ([a-z_, ]+)\)", f.read()).group(1).split(", ")
        for key in known:
            self.assertIn(key + "=", text, "kvmtuned.conf(5) lacks " + key)
        text = self.man_page("kvmtuned-profiles.5")
        for src in glob.glob(os.path.join(harness.SOURCE, "plugins", "*.c")):
            plugin = os.path.basename(src)[:-2]
            self.assertIn("[%s]" % plugin, text, "kvmtuned-profiles(5) lacks [%s]" % plugin)
            with open(src) as f:
                for key in re.findall(r'\{ "([a-z_.]+)", KT_OPT_', f.read()):
                    self.assertIn(key + "=", text, "kvmtuned-profiles(5) lacks [%s] %s" % (plugin, key))

    def test_installed_daemon_needs_only_root(self):
        if os.geteuid() != 0:
            self.skipTest("plugins must be root's to be loaded")
        P = self.prefix
        with open(os.path.join(P, "etc", "kvmtuned", "kvmtuned.conf"), "w") as f:
            f.write("[daemon]\nlibvirt_uri=none\n")
        host = FakeHost(os.path.join(self.tmp, "root"), hypervisor=True, cpufreq=False)
        before = host.snapshot()
        d = InstalledDaemon(self.tmp, host, os.path.join(P, "sbin", "kvmtuned"))
        self.daemons.append(d)
        d.start()
        self.assertIn("Profile virtual-guest active (the CPU reports a hypervisor", d.output())
        self.assertEqual(host.value(VM + "/swappiness"), "30")
        self.assertTrue(os.path.exists(os.path.join(P, "run", "journal")))
        with open(os.path.join(P, "var", "lib", "kvmtuned", "active_profile")) as f:
            self.assertEqual(f.read().strip(), "virtual-guest")
        adm = os.path.join(P, "bin", "kvmtuned-adm")
        if os.path.exists(adm):
            # The installed client finds the installed daemon's socket.
            r = run([adm, "active"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("virtual-guest", r.stdout)
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})

        # A local profile of the same name hides the shipped one.
        local = os.path.join(P, "etc", "kvmtuned", "profiles", "virtual-guest.conf")
        with open(local, "w") as f:
            f.write("[main]\nsummary=local\n[vm]\nswappiness=7\n")
        try:
            d.start()
            self.assertIn("Profile virtual-guest active (chosen before)", d.output())
            self.assertEqual(host.value(VM + "/swappiness"), "7")
            self.assertEqual(d.stop(), 0)
        finally:
            os.unlink(local)
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})

        # With a libvirt URI it loads the installed libvirt module.
        with open(os.path.join(P, "etc", "kvmtuned", "kvmtuned.conf"), "w") as f:
            f.write("[daemon]\nlibvirt_uri=qemu:///system?socket=%s/no-libvirtd\n" % self.tmp)
        d.start()
        d.wait_output("not reachable")
        self.assertNotIn("libvirt module", d.output())
        self.assertEqual(d.stop(), 0)
        self.assertEqual(FakeHost.changes(before, host.snapshot()), {})


class InstalledDaemon(harness.Daemon):
    """The installed binary with --root and nothing else. The system bus is
    pointed nowhere so the daemon never meets this machine's bus."""

    def __init__(self, workdir, host, binary):
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + os.path.join(workdir, "no-bus"))
        super().__init__(workdir, host=host, env=env)
        self.binary = binary

    def argv(self):
        return [self.binary, "--root", self.root]


if __name__ == "__main__":
    harness.main()
