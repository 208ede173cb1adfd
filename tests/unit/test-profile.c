/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Profile parsing, validation and include resolution, against plugins
 * registered in-process. Every refusal must name file:line. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtuned/macro.h"
#include "plugins.h"
#include "profile.h"

static const struct kt_option cpu_options[] = {
        { "governor", KT_OPT_STRING },
        { "force_latency", KT_OPT_INT, .min = 0, .max = 1000 },
        { "boost", KT_OPT_BOOL },
        { "mode", KT_OPT_ENUM, .choices = "static|dynamic", .def = "static" },
        {}
};
static const struct kt_plugin cpu = { .abi = KT_PLUGIN_ABI, .name = "cpu", .options = cpu_options };
static const struct kt_plugin disk = { .abi = KT_PLUGIN_ABI, .name = "disk", .subsystem = "block",
                                       .options = (const struct kt_option[]) { { "scheduler", KT_OPT_STRING }, {} } };
static const struct kt_option any[] = { { "*", KT_OPT_STRING }, {} };
static const struct kt_plugin sysctl = { .abi = KT_PLUGIN_ABI, .name = "sysctl", .options = any };

static struct plugins plugins;
static char dir[64], dir2[64];
static struct profile_dirs dirs;

static void put(const char *d, const char *name, const char *text) {
        char path[256];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s.conf", d, name);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* Load name and return the error line (NULL on success); the profile, if
 * any, is freed. */
static char *load_err(const char *name) {
        struct profile *p = NULL;
        char *error = NULL;
        int r = profile_load(&dirs, &plugins, name, &p, &error);

        if (r >= 0) {
                assert_null(error);
                profile_free(p);
                return NULL;
        }
        assert_null(p);
        assert_non_null(error);
        return error;
}

static void expect_error(const char *name, const char *where, const char *what) {
        _cleanup_free_ char *e = load_err(name);
        char want[512];

        if (!e)
                fail_msg("profile '%s' loaded, expected '%s'", name, what);
        snprintf(want, sizeof want, "%s/%s", dir, where);
        if (!strstr(e, want) || !strstr(e, what))
                fail_msg("error '%s' lacks '%s' or '%s'", e, want, what);
        assert_null(strchr(e, '\n'));   /* one line */
}

static int setup(void **state) {
        (void) state;
        assert_int_equal(plugins_add(&plugins, &cpu), 0);
        assert_int_equal(plugins_add(&plugins, &disk), 0);
        assert_int_equal(plugins_add(&plugins, &sysctl), 0);
        plugins.failed = calloc(1, sizeof(char *));
        plugins.failed[0] = strdup("pinning");
        plugins.n_failed = 1;
        strcpy(dir, "/tmp/kt-profile-XXXXXX");
        strcpy(dir2, "/tmp/kt-profile2-XXXXXX");
        assert_non_null(mkdtemp(dir));
        assert_non_null(mkdtemp(dir2));
        static char *d[2];
        d[0] = dir;
        d[1] = dir2;
        dirs = (struct profile_dirs) { d, 2 };
        return 0;
}

static int teardown(void **state) {
        char cmd[200];

        (void) state;
        plugins_done(&plugins);
        snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, dir2);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_valid_and_merged(void **state) {
        struct profile *p = NULL;
        char *error = NULL;
        const struct kt_section *s;

        (void) state;
        put(dir, "base", "[main]\nsummary=Base\n[cpu]\ngovernor=powersave\nforce_latency=100\n[sysctl]\nvm.swappiness=60\n");
        put(dir, "child", "# comment\n[main]\nsummary=Child\ninclude=base\n\n[cpu]\ngovernor=performance\n"
                          "[disk:ssd]\ndevices=sd*\n  nvme*\nscheduler=none\n");
        assert_int_equal(profile_load(&dirs, &plugins, "child", &p, &error), 0);
        assert_string_equal(p->summary, "Child");
        s = profile_section(p, "cpu");
        assert_non_null(s);
        assert_int_equal(s->n_keys, 2);
        assert_string_equal(kt_section_value(s, 0), "performance");     /* the including profile wins */
        assert_string_equal(kt_section_value(s, 1), "100");             /* inherited */
        s = profile_section(p, "disk:ssd");
        assert_non_null(s);
        assert_string_equal(s->plugin, "disk");
        assert_string_equal(kt_section_value(s, 0), "sd* nvme*");       /* continuation line */
        assert_non_null(profile_section(p, "sysctl"));
        profile_free(p);
}

static void test_first_directory_wins(void **state) {
        struct profile *p = NULL;
        char *error = NULL;

        (void) state;
        put(dir2, "shadowed", "[main]\nsummary=system\n");
        put(dir, "shadowed", "[main]\nsummary=admin\n");
        put(dir2, "only-system", "[main]\nsummary=system only\n");
        assert_int_equal(profile_load(&dirs, &plugins, "shadowed", &p, &error), 0);
        assert_string_equal(p->summary, "admin");
        profile_free(p);
        assert_int_equal(profile_load(&dirs, &plugins, "only-system", &p, &error), 0);
        profile_free(p);
}

static void test_unknown_key(void **state) {
        _cleanup_free_ char *e = NULL;

        (void) state;
        put(dir, "typo", "[main]\nsummary=x\n\n[cpu]\ngovernor=performance\ngoverner=powersave\n");
        expect_error("typo", "typo.conf:6:", "unknown key 'governer'");
        e = load_err("typo");
        assert_non_null(strstr(e, "did you mean 'governor'"));
}

static void test_bad_values(void **state) {
        (void) state;
        put(dir, "int", "[cpu]\nforce_latency=fast\n");
        expect_error("int", "int.conf:2:", "expected an integer from 0 to 1000");
        put(dir, "range", "[cpu]\nforce_latency=1001\n");
        expect_error("range", "range.conf:2:", "expected an integer");
        put(dir, "bool", "[cpu]\nboost=maybe\n");
        expect_error("bool", "bool.conf:2:", "expected a boolean");
        put(dir, "enum", "[cpu]\nmode=sometimes\n");
        expect_error("enum", "enum.conf:2:", "expected one of: static|dynamic");
}

static void test_structure_errors(void **state) {
        char big[400];

        (void) state;
        put(dir, "nosection", "governor=performance\n");
        expect_error("nosection", "nosection.conf:1:", "outside any section");
        put(dir, "unknownsec", "[main]\n[frobnicate]\nx=1\n");
        expect_error("unknownsec", "unknownsec.conf:2:", "unknown section [frobnicate]");
        put(dir, "emptysec", "[main]\nsummary=x\n[frobnicate]\n");
        expect_error("emptysec", "emptysec.conf:3:", "unknown section");
        put(dir, "noequals", "[cpu]\ngovernor performance\n");
        expect_error("noequals", "noequals.conf:2:", "expected key=value");
        put(dir, "colon", "[cpu]\ngovernor: performance\n");
        expect_error("colon", "colon.conf:2:", "expected key=value");
        put(dir, "nobracket", "[cpu\ngovernor=x\n");
        expect_error("nobracket", "nobracket.conf:1:", "without ']'");
        put(dir, "twice", "[cpu]\ngovernor=a\ngovernor=b\n");
        expect_error("twice", "twice.conf:3:", "set twice (first at line 2)");
        put(dir, "mainkey", "[main]\nsumary=x\n");
        expect_error("mainkey", "mainkey.conf:2:", "[main] unknown key 'sumary'");
        memset(big, 'x', sizeof big);
        memcpy(big, "[cpu]\ngovernor=", 15);
        big[sizeof big - 1] = '\0';
        put(dir, "longline", big);
        expect_error("longline", "longline.conf:2:", "line longer than 199");
}

static void test_binary_and_files(void **state) {
        char path[256];
        FILE *f;

        (void) state;
        snprintf(path, sizeof path, "%s/binary.conf", dir);
        f = fopen(path, "w");
        fwrite("[cpu]\ngov\0ernor=x\n", 1, 18, f);
        fclose(f);
        expect_error("binary", "binary.conf:2:", "NUL");

        /* Comments in any language are fine; bytes that are not text are not. */
        put(dir, "utf8", "# 日本語のコメント: キャッシュモード\n[cpu]\ngovernor=performance\n");
        assert_null(load_err("utf8"));
        put(dir, "latin1", "[cpu]\ngovernor=caf\xe9\n");
        expect_error("latin1", "latin1.conf:2:", "invalid UTF-8");
        put(dir, "ctrl", "[cpu]\ngovernor=a\x1b[31mred\n");
        expect_error("ctrl", "ctrl.conf:2:", "control character");

        snprintf(path, sizeof path, "%s/fifo.conf", dir);
        assert_int_equal(mkfifo(path, 0644), 0);
        expect_error("fifo", "fifo.conf", "not a regular file");

        snprintf(path, sizeof path, "%s/dev.conf", dir);
        assert_int_equal(symlink("/dev/zero", path), 0);
        expect_error("dev", "dev.conf", "not a regular file");

        snprintf(path, sizeof path, "%s/dangling.conf", dir);
        assert_int_equal(symlink("/nonexistent/x", path), 0);
        expect_error("dangling", "dangling.conf", "No such file");

        snprintf(path, sizeof path, "%s/huge.conf", dir);
        f = fopen(path, "w");
        for (int i = 0; i < 120000; i++)
                fputs("# padding\n", f);
        fclose(f);
        expect_error("huge", "huge.conf", "file too large");

        snprintf(path, sizeof path, "%s/adir.conf", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        expect_error("adir", "adir.conf", "not a regular file");
}

static void test_includes(void **state) {
        _cleanup_free_ char *e = NULL;

        (void) state;
        put(dir, "cyc-a", "[main]\ninclude=cyc-b\n");
        put(dir, "cyc-b", "[main]\nsummary=b\n\ninclude=cyc-a\n");
        expect_error("cyc-a", "cyc-b.conf:4:", "include cycle: cyc-a -> cyc-b -> cyc-a");
        put(dir, "self", "[main]\ninclude=self\n");
        expect_error("self", "self.conf:2:", "include cycle");
        put(dir, "missing-inc", "[main]\ninclude=base, nosuch\n");
        expect_error("missing-inc", "missing-inc.conf:2:", "included profile 'nosuch' not found");
        put(dir, "badname-inc", "[main]\ninclude=../etc\n");
        expect_error("badname-inc", "badname-inc.conf:2:", "invalid profile name");
        for (int i = 0; i < 12; i++) {
                char name[16], text[64];
                snprintf(name, sizeof name, "deep%d", i);
                snprintf(text, sizeof text, "[main]\ninclude=deep%d\n", i + 1);
                put(dir, name, text);
        }
        put(dir, "deep12", "[main]\n");
        expect_error("deep0", "deep8.conf:2:", "nested deeper than 8");
        /* An error deep in an included profile names that file. */
        put(dir, "inc-bad", "[main]\ninclude=typo\n");
        expect_error("inc-bad", "typo.conf:6:", "unknown key");
        e = load_err("nonexistent-profile");
        assert_string_equal(e, "profile 'nonexistent-profile' not found");
}

static void test_unavailable_plugin_section(void **state) {
        struct profile *p = NULL;
        char *error = NULL;
        const struct kt_section *s;

        (void) state;
        put(dir, "withpin", "[main]\n[pinning]\npolicy=whatever\n");
        assert_int_equal(profile_load(&dirs, &plugins, "withpin", &p, &error), 0);
        s = profile_section(p, "pinning");
        assert_non_null(s);
        assert_null(s->owner);
        profile_free(p);
}

static void test_invalid_name(void **state) {
        _cleanup_free_ char *e = load_err("../../etc/passwd");

        (void) state;
        assert_non_null(strstr(e, "invalid profile name"));
}

static void test_list(void **state) {
        char **names = NULL;
        size_t n = 0;
        bool saw_base = false, saw_system = false;

        (void) state;
        assert_int_equal(profile_list(&dirs, &names, &n), 0);
        for (size_t i = 0; i < n; i++) {
                saw_base |= streq(names[i], "base");
                saw_system |= streq(names[i], "only-system");
                if (i > 0)
                        assert_true(strcmp(names[i - 1], names[i]) < 0);        /* sorted, unique */
        }
        assert_true(saw_base);
        assert_true(saw_system);
        strv_free_n(names, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_and_merged),
                cmocka_unit_test(test_first_directory_wins),
                cmocka_unit_test(test_unknown_key),
                cmocka_unit_test(test_bad_values),
                cmocka_unit_test(test_structure_errors),
                cmocka_unit_test(test_binary_and_files),
                cmocka_unit_test(test_includes),
                cmocka_unit_test(test_unavailable_plugin_section),
                cmocka_unit_test(test_invalid_name),
                cmocka_unit_test(test_list),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
