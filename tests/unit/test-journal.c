/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "journal.h"
#include "kvmtuned/macro.h"

static const struct journal_record recs[] = {
        { "file", "/sys/kernel/mm/transparent_hugepage/enabled", "madvise" },
        { "file", "/proc/sys/net/ipv4/tcp_rmem", "4096\t131072 6291456" },
        { "file", "/sys/odd path/with%percent", "" },
        { "hold", "/dev/cpu_dma_latency", "line one\nline two" },
};

static void test_crc32_known_value(void **state) {
        (void) state;
        /* The IEEE CRC-32 check value. */
        assert_int_equal(journal_crc32("123456789", 9), 0xcbf43926u);
        assert_int_equal(journal_crc32("", 0), 0);
}

static void test_round_trip(void **state) {
        struct journal_record *out = NULL;
        size_t n = 0, skipped = 9, len;
        _cleanup_free_ char *text = NULL;

        (void) state;
        text = journal_format(recs, ELEMENTSOF(recs), "boot-1", &len);
        assert_non_null(text);
        /* Every record is one line: header plus four. */
        size_t lines = 0;
        for (size_t i = 0; i < len; i++)
                lines += text[i] == '\n';
        assert_int_equal(lines, 5);
        assert_int_equal(journal_parse(text, len, "boot-1", &out, &n, &skipped), 4);
        assert_int_equal(skipped, 0);
        for (size_t i = 0; i < n; i++) {
                assert_string_equal(out[i].backend, recs[i].backend);
                assert_string_equal(out[i].key, recs[i].key);
                assert_string_equal(out[i].original, recs[i].original);
        }
        journal_record_free_many(out, n);
}

static void test_torn_last_record(void **state) {
        struct journal_record *out = NULL;
        size_t n, skipped, len;
        _cleanup_free_ char *text = journal_format(recs, 2, "b", &len);

        (void) state;
        /* Cut the last record anywhere before its newline: it is dropped,
         * the one before survives. */
        size_t first_end = (size_t) (strchr(strchr(text, '\n') + 1, '\n') - text) + 1;
        for (size_t cut = first_end + 1; cut < len; cut++) {
                assert_int_equal(journal_parse(text, cut, "b", &out, &n, &skipped), 1);
                assert_int_equal(skipped, 1);
                assert_string_equal(out[0].original, "madvise");
                journal_record_free_many(out, n);
        }
}

static void test_corrupt_middle_record(void **state) {
        struct journal_record *out = NULL;
        size_t n, skipped, len;
        _cleanup_free_ char *text = journal_format(recs, 3, "b", &len);
        char *second = strchr(strchr(text, '\n') + 1, '\n') + 1;

        (void) state;
        second[12] ^= 0x01;     /* a flipped bit in the second record */
        assert_int_equal(journal_parse(text, len, "b", &out, &n, &skipped), 2);
        assert_int_equal(skipped, 1);
        assert_string_equal(out[0].key, recs[0].key);
        assert_string_equal(out[1].key, recs[2].key);
        journal_record_free_many(out, n);
}

static void test_other_boot_is_stale(void **state) {
        struct journal_record *out = NULL;
        size_t n, skipped, len;
        _cleanup_free_ char *text = journal_format(recs, 1, "boot-A", &len);

        (void) state;
        assert_int_equal(journal_parse(text, len, "boot-B", &out, &n, &skipped), -ESTALE);
        /* No boot id known (fake host): taken as this boot's. */
        assert_int_equal(journal_parse(text, len, "", &out, &n, &skipped), 1);
        journal_record_free_many(out, n);
}

static void test_garbage(void **state) {
        struct journal_record *out = NULL;
        size_t n, skipped;
        const char *junk = "\x7f" "ELF\x01\x02garbage\n";

        (void) state;
        assert_int_equal(journal_parse(junk, strlen(junk), "", &out, &n, &skipped), -EBADMSG);
        assert_int_equal(journal_parse("", 0, "", &out, &n, &skipped), 0);
        assert_int_equal(n, 0);
}

static void test_file_append_rewrite_load(void **state) {
        char dir[] = "/tmp/kt-journal-XXXXXX", path[64];
        struct journal j;
        struct journal_record *out = NULL;
        size_t n, skipped;

        (void) state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/journal", dir);
        assert_int_equal(journal_init(&j, path, "b"), 0);
        assert_int_equal(journal_rewrite(&j, NULL, 0), 0);
        assert_int_equal(journal_append(&j, recs, 2), 0);
        assert_int_equal(journal_append(&j, recs + 2, 2), 0);
        assert_int_equal(journal_load(path, "b", &out, &n, &skipped), 4);
        journal_record_free_many(out, n);
        assert_int_equal(journal_rewrite(&j, recs + 1, 1), 0);
        assert_int_equal(journal_append(&j, recs, 1), 0);
        assert_int_equal(journal_load(path, "b", &out, &n, &skipped), 2);
        assert_string_equal(out[0].key, recs[1].key);
        assert_string_equal(out[1].key, recs[0].key);
        journal_record_free_many(out, n);
        journal_close(&j);
        /* Not a regular file: refused. */
        assert_int_equal(journal_load(dir, "b", &out, &n, &skipped), -EBADFD);
        unlink(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crc32_known_value),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_torn_last_record),
                cmocka_unit_test(test_corrupt_middle_record),
                cmocka_unit_test(test_other_boot_is_stale),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_file_append_rewrite_load),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
