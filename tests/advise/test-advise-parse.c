/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The pure parsers behind the advise host facts and domain sizes: kernel
 * command line words, isolcpus flags, hugepage reservations, irqbalance
 * masks, libvirt units. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>

#include "advise-host.h"
#include "advise-xml.h"

static void test_cmdline_value(void **state) {
        const char *cl = "BOOT_IMAGE=/vmlinuz iommu=off iommu=pt isolcpus=2-3 -- isolcpus=9 init=/x";
        const char *v;
        size_t len = 0;

        (void) state;
        v = cmdline_value(cl, "iommu", &len);
        assert_non_null(v);
        assert_int_equal(len, 2);
        assert_memory_equal(v, "pt", 2);
        /* What follows "--" is init's, not the kernel's. */
        v = cmdline_value(cl, "isolcpus", &len);
        assert_int_equal(len, 3);
        assert_memory_equal(v, "2-3", 3);
        assert_null(cmdline_value(cl, "init", &len));
        assert_null(cmdline_value(cl, "iommu.passthrough", &len));
        assert_null(cmdline_value("", "iommu", &len));
}

static void test_isolcpus_flags(void **state) {
        struct cpuset s;

        (void) state;
        assert_int_equal(cmdline_isolcpus("managed_irq,domain,1-3,9", 24, &s), 0);
        assert_int_equal(cpuset_count(&s), 4);
        assert_true(cpuset_has(&s, 9));
        assert_false(cpuset_has(&s, 0));
        assert_int_equal(cmdline_isolcpus("4-5", 3, &s), 0);
        assert_int_equal(cpuset_count(&s), 2);
        assert_int_equal(cmdline_isolcpus("domain", 6, &s), 0);
        assert_int_equal(cpuset_count(&s), 0);
        assert_true(cmdline_isolcpus("1-x", 3, &s) < 0);
}

static void test_hugepages(void **state) {
        const char *cl = "hugepages=64 default_hugepagesz=1G hugepagesz=1G hugepages=8 hugepagesz=2M hugepages=0:256,1:256";

        (void) state;
        assert_int_equal(cmdline_size_kib("2M", 2), 2048);
        assert_int_equal(cmdline_size_kib("1G", 2), 1048576);
        assert_int_equal(cmdline_size_kib("2048k", 5), 2048);
        assert_int_equal(cmdline_size_kib("x", 1), 0);
        /* The first hugepages= is for the default size, wherever default_hugepagesz= stands. */
        assert_int_equal(cmdline_hugepages(cl, 1048576, 1048576), 64 + 8);
        assert_int_equal(cmdline_hugepages(cl, 2048, 1048576), 512);
        assert_int_equal(cmdline_hugepages("quiet", 2048, 2048), 0);
        assert_int_equal(cmdline_hugepages("hugepages=100", 2048, 2048), 100);
}

static void test_irqbalance_mask(void **state) {
        struct cpuset s;

        (void) state;
        assert_int_equal(irqbalance_mask_parse("00000606", &s), 0);
        assert_int_equal(cpuset_count(&s), 4);
        assert_true(cpuset_has(&s, 1) && cpuset_has(&s, 2) && cpuset_has(&s, 9) && cpuset_has(&s, 10));
        assert_int_equal(irqbalance_mask_parse("00000001,00000000", &s), 0);
        assert_int_equal(cpuset_count(&s), 1);
        assert_true(cpuset_has(&s, 32));
        assert_true(irqbalance_mask_parse("0x12", &s) < 0);
}

static void test_units(void **state) {
        (void) state;
        assert_int_equal(domxml_scale_kib(4, NULL), 4);
        assert_int_equal(domxml_scale_kib(1, "GiB"), 1048576);
        assert_int_equal(domxml_scale_kib(1, "G"), 1048576);
        assert_int_equal(domxml_scale_kib(512, "MiB"), 524288);
        assert_int_equal(domxml_scale_kib(1000, "KB"), 977);        /* 1000000 bytes, rounded up */
        assert_int_equal(domxml_scale_kib(1, "b"), 1);
        assert_int_equal(domxml_scale_kib(1, "parsec"), 0);
}

static void test_domxml(void **state) {
        struct domxml d;
        char *error = NULL, *s;

        (void) state;
        assert_int_equal(domxml_parse(&d, "<domain><vcpu current='2'>4</vcpu><name>x</name></domain>", &error), 0);
        assert_int_equal(domxml_uint(&d, NULL, "/domain/vcpu/@current", 0), 2);
        assert_int_equal(domxml_uint(&d, NULL, "/domain/vcpu", 0), 4);
        assert_int_equal(domxml_uint(&d, NULL, "/domain/name", 7), 7);
        assert_true(domxml_has(&d, NULL, "/domain/vcpu"));
        assert_false(domxml_has(&d, NULL, "/domain/cpu"));
        s = domxml_string(&d, NULL, "/domain/name");
        assert_string_equal(s, "x");
        free(s);
        assert_null(domxml_string(&d, NULL, "/domain/cpu/@mode"));
        domxml_done(&d);
        assert_true(domxml_parse(&d, "<domain>", &error) < 0);
        assert_non_null(error);
        assert_non_null(strstr(error, "line 1"));
        free(error);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cmdline_value),
                cmocka_unit_test(test_isolcpus_flags),
                cmocka_unit_test(test_hugepages),
                cmocka_unit_test(test_irqbalance_mask),
                cmocka_unit_test(test_units),
                cmocka_unit_test(test_domxml),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
