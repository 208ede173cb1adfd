/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Control requests: who may call what, and which arguments pass. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "control-request.h"

static enum request_verdict check(const char *member, uid_t uid, const char *a0, const char *a1, size_t n,
                                  char **error) {
        const char *args[2] = { a0, a1 };

        free(*error);
        *error = NULL;
        return request_check(member, uid, args, n, error);
}

static void test_reads_are_open_mutations_root_only(void **state) {
        static const char *const reads[] = { "ListProfiles", "ActiveProfile", "Verify", "Recommend", "Status",
                                             "Domains" };
        static const char *const writes[] = { "Off", "Reload" };
        char *error = NULL;

        (void) state;
        for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
                assert_int_equal(check(reads[i], 65534, NULL, NULL, 0, &error), REQUEST_OK);
                assert_false(request_find(reads[i])->mutates);
        }
        for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
                assert_int_equal(check(writes[i], 0, NULL, NULL, 0, &error), REQUEST_OK);
                assert_int_equal(check(writes[i], 1000, NULL, NULL, 0, &error), REQUEST_DENIED);
                assert_non_null(strstr(error, "only root (uid 0)"));
                assert_non_null(strstr(error, "caller is uid 1000"));
        }
        assert_int_equal(check("SwitchProfile", 65534, "latency", NULL, 1, &error), REQUEST_DENIED);
        assert_int_equal(check("SwitchProfile", 0, "latency", NULL, 1, &error), REQUEST_OK);
        /* An unprivileged caller is denied before its arguments are looked at. */
        assert_int_equal(check("SwitchProfile", 65534, "../x", NULL, 1, &error), REQUEST_DENIED);
        assert_int_equal(check("DomainEvent", 65534, "vm1", "started", 2, &error), REQUEST_DENIED);
        assert_int_equal(check("Diff", 65534, "latency", NULL, 1, &error), REQUEST_OK);
        assert_int_equal(check("ProfileInfo", 65534, "latency", NULL, 1, &error), REQUEST_OK);
        free(error);
}

static void test_unknown_methods_are_refused(void **state) {
        char *error = NULL;

        (void) state;
        assert_int_equal(check("Frobnicate", 0, NULL, NULL, 0, &error), REQUEST_UNKNOWN);
        assert_string_equal(error, "unknown method 'Frobnicate'");
        assert_int_equal(check(NULL, 0, NULL, NULL, 0, &error), REQUEST_UNKNOWN);
        assert_null(request_find("switchprofile"));
        free(error);
}

static void test_arguments(void **state) {
        char long_name[80], *error = NULL;

        (void) state;
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        for (const char *const *bad = (const char *const[]) { "", ".hidden", "../etc/passwd", "a b", "x/y",
                                                             "tab\there", "\xc3\xa9", long_name, NULL };
             *bad; bad++) {
                assert_int_equal(check("SwitchProfile", 0, *bad, NULL, 1, &error), REQUEST_INVALID);
                assert_non_null(strstr(error, "invalid profile name"));
                assert_null(strchr(error, '\n'));
                assert_null(strchr(error, '\t'));
        }
        assert_int_equal(check("Diff", 0, long_name, NULL, 1, &error), REQUEST_INVALID);
        assert_string_equal(error, "invalid profile name '(too long)': use letters, digits, '.', '_' and '-', "
                                   "no leading '.', at most 64 characters");
        assert_int_equal(check("SwitchProfile", 0, "my_profile.v2-1", NULL, 1, &error), REQUEST_OK);
        assert_int_equal(check("SwitchProfile", 0, NULL, NULL, 1, &error), REQUEST_INVALID);
        assert_int_equal(check("SwitchProfile", 0, "a", "b", 2, &error), REQUEST_INVALID);
        assert_string_equal(error, "SwitchProfile takes 1 argument(s), got 2");

        assert_int_equal(check("DomainEvent", 0, "web-01 (prod)", "started", 2, &error), REQUEST_OK);
        assert_int_equal(check("DomainEvent", 0, "vm1", "stopped", 2, &error), REQUEST_OK);
        assert_int_equal(check("DomainEvent", 0, "vm1", "release", 2, &error), REQUEST_OK);
        assert_int_equal(check("DomainEvent", 0, "vm1", "prepare", 2, &error), REQUEST_INVALID);
        assert_string_equal(error, "invalid domain event 'prepare': expected started, stopped or release");
        assert_int_equal(check("DomainEvent", 0, "a/b", "started", 2, &error), REQUEST_INVALID);
        assert_int_equal(check("DomainEvent", 0, "a\nb", "started", 2, &error), REQUEST_INVALID);
        assert_string_equal(error, "invalid domain name '(unprintable)': 1 to 256 characters, no '/' and no "
                                   "control characters");
        assert_int_equal(check("DomainEvent", 0, "", "started", 2, &error), REQUEST_INVALID);
        free(error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reads_are_open_mutations_root_only),
                cmocka_unit_test(test_unknown_methods_are_refused),
                cmocka_unit_test(test_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
