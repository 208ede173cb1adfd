/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Small pure helpers: choice files, value comparison, CPU lists, device
 * globs, the hash map. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"
#include "enumerate.h"
#include "hashmap.h"
#include "hostfs.h"
#include "kvmtuned/names.h"
#include "tunables.h"

static void test_selected_word(void **state) {
        char buf[32];

        (void) state;
        assert_true(value_selected_word("always [madvise] never", buf, sizeof buf));
        assert_string_equal(buf, "madvise");
        assert_true(value_selected_word("[none] mq-deadline kyber bfq", buf, sizeof buf));
        assert_string_equal(buf, "none");
        assert_true(value_selected_word("always defer defer+madvise [madvise] never", buf, sizeof buf));
        assert_string_equal(buf, "madvise");
        assert_false(value_selected_word("performance", buf, sizeof buf));
        assert_false(value_selected_word("[]", buf, sizeof buf));
        assert_false(value_selected_word("[unterminated", buf, sizeof buf));
        assert_false(value_selected_word("[a b]", buf, sizeof buf));
        assert_false(value_selected_word("[waytoolongforthebuffer-xxxxxxxxxx]", buf, 8));
}

static void test_value_equal(void **state) {
        (void) state;
        assert_true(value_equal("4096\t131072\t6291456", "4096 131072 6291456"));
        assert_true(value_equal("  a  b ", "a b"));
        assert_true(value_equal("", ""));
        assert_false(value_equal("a", "ab"));
        assert_false(value_equal("ab", "a"));
        assert_false(value_equal("a b", "a"));
        assert_false(value_equal("", "0"));
}

static void test_word_in_list(void **state) {
        (void) state;
        assert_true(word_in_list("always [madvise] never", "madvise"));
        assert_true(word_in_list("always [madvise] never", "never"));
        assert_false(word_in_list("always [madvise] never", "mad"));
        assert_false(word_in_list("performance powersave", ""));
        assert_true(word_in_list("performance powersave", "powersave"));
}

static void test_cpuset(void **state) {
        struct cpuset *s = malloc(sizeof *s);
        char buf[64];

        (void) state;
        assert_int_equal(cpuset_parse("0-3,8,10-11", s), 0);
        assert_int_equal(cpuset_count(s), 7);
        assert_true(cpuset_has(s, 8));
        assert_false(cpuset_has(s, 9));
        assert_int_equal(cpuset_format(s, buf, sizeof buf), (int) strlen("0-3,8,10-11"));
        assert_string_equal(buf, "0-3,8,10-11");
        assert_int_equal(cpuset_parse("447\n", s), 0);
        assert_true(cpuset_has(s, 447));
        assert_int_equal(cpuset_parse("", s), 0);
        assert_int_equal(cpuset_count(s), 0);
        assert_int_equal(cpuset_parse("3-1", s), -EINVAL);
        assert_int_equal(cpuset_parse("1,,2", s), -EINVAL);
        assert_int_equal(cpuset_parse("x", s), -EINVAL);
        assert_int_equal(cpuset_parse("99999", s), -ERANGE);
        assert_int_equal(cpuset_parse("0-7", s), 0);
        assert_int_equal(cpuset_format(s, buf, 3), -ENOBUFS);
        free(s);
}

static void test_devices_match(void **state) {
        (void) state;
        assert_true(devices_match("*", "sda"));
        assert_true(devices_match("sd*, vd*", "vdb"));
        assert_false(devices_match("sd*", "nvme0n1"));
        assert_false(devices_match("sd*,!sdb", "sdb"));
        assert_true(devices_match("!sdb", "sda"));
        assert_false(devices_match("!sd*", "sda"));
        assert_true(devices_match("", "anything"));
}

static void test_profile_names(void **state) {
        (void) state;
        assert_true(kt_profile_name_valid("virtual-host"));
        assert_true(kt_profile_name_valid("my_profile.v2"));
        assert_false(kt_profile_name_valid(".hidden"));
        assert_false(kt_profile_name_valid("../etc/passwd"));
        assert_false(kt_profile_name_valid("a/b"));
        assert_false(kt_profile_name_valid(""));
        assert_false(kt_profile_name_valid("with space"));
        assert_false(kt_profile_name_valid("x\n"));
}

static void test_accept(void **state) {
        (void) state;
        assert_true(accept_matches("64-1250", "64"));
        assert_true(accept_matches("64-1250", "1250"));
        assert_false(accept_matches("64-1250", "1251"));
        assert_false(accept_matches("64-1250", "12x"));
        assert_true(accept_matches("performance|powersave", "powersave"));
        assert_false(accept_matches("performance|powersave", "power"));
}

static void test_hashmap(void **state) {
        struct hashmap h = {};
        char keys[2000][16];

        (void) state;
        for (int i = 0; i < 2000; i++) {
                snprintf(keys[i], sizeof keys[i], "k%d", i);
                assert_int_equal(hashmap_put(&h, keys[i], (void *) (uintptr_t) (i + 1)), 0);
        }
        assert_int_equal(h.n, 2000);
        for (int i = 0; i < 2000; i += 2)
                assert_ptr_equal(hashmap_remove(&h, keys[i]), (void *) (uintptr_t) (i + 1));
        for (int i = 0; i < 2000; i++)
                assert_ptr_equal(hashmap_get(&h, keys[i]), i % 2 ? (void *) (uintptr_t) (i + 1) : NULL);
        assert_null(hashmap_remove(&h, "absent"));
        hashmap_clear(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_selected_word), cmocka_unit_test(test_value_equal),
                cmocka_unit_test(test_word_in_list),  cmocka_unit_test(test_cpuset),
                cmocka_unit_test(test_devices_match), cmocka_unit_test(test_profile_names),
                cmocka_unit_test(test_accept),        cmocka_unit_test(test_hashmap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
