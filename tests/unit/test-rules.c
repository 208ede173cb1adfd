/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The dynamic rules' arithmetic: hysteresis edges, and ksmtuned's steps,
 * clamps, threshold and sleep. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rules/hysteresis.h"
#include "rules/ksmtuned.h"

#define GIB (1024ULL * 1024)

static const struct hysteresis_params P = { .high = 70, .low = 30, .up = 3, .down = 2 };

static void test_hysteresis_needs_consecutive_samples(void **state) {
        struct hysteresis h = {};

        (void) state;
        assert_false(hysteresis_step(&h, &P, 90));
        assert_false(hysteresis_step(&h, &P, 90));
        /* one sample in the dead band restarts the count */
        assert_false(hysteresis_step(&h, &P, 50));
        assert_int_equal(h.run, 0);
        assert_false(hysteresis_step(&h, &P, 90));
        assert_false(hysteresis_step(&h, &P, 90));
        assert_true(hysteresis_step(&h, &P, 90));
        assert_true(h.high);
        assert_int_equal(h.run, 0);
        /* staying high is no flip */
        assert_false(hysteresis_step(&h, &P, 99));
        assert_false(hysteresis_step(&h, &P, 10));
        assert_true(hysteresis_step(&h, &P, 10));
        assert_false(h.high);
}

static void test_hysteresis_thresholds_are_strict(void **state) {
        struct hysteresis h = {};

        (void) state;
        for (int i = 0; i < 10; i++)
                assert_false(hysteresis_step(&h, &P, 70));     /* at the threshold is not above */
        for (int i = 0; i < 2; i++)
                (void) hysteresis_step(&h, &P, 70.01);
        assert_true(hysteresis_step(&h, &P, 70.01));
        for (int i = 0; i < 10; i++)
                assert_false(hysteresis_step(&h, &P, 30));     /* at the threshold is not below */
        assert_true(h.high);
}

static void test_hysteresis_one_sample(void **state) {
        const struct hysteresis_params p = { .high = 1, .low = 0.5, .up = 1, .down = 0 };
        struct hysteresis h = {};

        (void) state;
        assert_true(hysteresis_step(&h, &p, 2));
        assert_true(hysteresis_step(&h, &p, 0));        /* down=0 acts as 1 */
}

static void test_ksmtuned_threshold_and_sleep(void **state) {
        const struct ksmtuned_params *p = &ksmtuned_defaults;

        (void) state;
        /* 20% of 16 GiB beats 2 GiB; on 4 GiB the 2 GiB floor wins */
        assert_int_equal(ksmtuned_threshold(p, 16 * GIB), 16 * GIB / 5);
        assert_int_equal(ksmtuned_threshold(p, 4 * GIB), 2 * GIB);
        /* 10 ms per 16 GiB, never below 10 */
        assert_int_equal(ksmtuned_sleep(p, 16 * GIB), 10);
        assert_int_equal(ksmtuned_sleep(p, 4 * GIB), 40);
        assert_int_equal(ksmtuned_sleep(p, 256 * GIB), 10);
        assert_int_equal(ksmtuned_sleep(p, 0), 10);
}

static void test_ksmtuned_stops_with_room(void **state) {
        struct ksmtuned_input in = { .total_kib = 16 * GIB, .free_kib = 12 * GIB, .committed_kib = 8 * GIB,
                                     .npages = 500 };
        struct ksmtuned_decision d;

        (void) state;
        d = ksmtuned_step(&ksmtuned_defaults, &in);
        assert_false(d.run);
        assert_int_equal(d.reason, KSMTUNED_STOP);
        /* committed + thres reaching total keeps it running (decaying) */
        in.committed_kib = 16 * GIB - 16 * GIB / 5;
        d = ksmtuned_step(&ksmtuned_defaults, &in);
        assert_true(d.run);
        assert_int_equal(d.reason, KSMTUNED_DECAY);
        assert_int_equal(d.npages, 450);
}

static void test_ksmtuned_boost_decay_clamp(void **state) {
        struct ksmtuned_input in = { .total_kib = 16 * GIB, .free_kib = 1 * GIB, .npages = 0 };
        struct ksmtuned_decision d;

        (void) state;
        /* first boost from nothing: 0 + 300 */
        d = ksmtuned_step(&ksmtuned_defaults, &in);
        assert_true(d.run);
        assert_int_equal(d.reason, KSMTUNED_BOOST);
        assert_int_equal(d.npages, 300);
        assert_int_equal(d.sleep_ms, 10);
        for (int i = 0; i < 10; i++) {
                in.npages = d.npages;
                d = ksmtuned_step(&ksmtuned_defaults, &in);
        }
        assert_int_equal(d.npages, 1250);       /* clamped at the top */
        /* free exactly at the threshold is not short: decay */
        in.free_kib = ksmtuned_threshold(&ksmtuned_defaults, in.total_kib);
        in.committed_kib = 16 * GIB;
        in.npages = 100;
        d = ksmtuned_step(&ksmtuned_defaults, &in);
        assert_int_equal(d.reason, KSMTUNED_DECAY);
        assert_int_equal(d.npages, 64);         /* 100 - 50 clamped at the bottom */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hysteresis_needs_consecutive_samples),
                cmocka_unit_test(test_hysteresis_thresholds_are_strict),
                cmocka_unit_test(test_hysteresis_one_sample),
                cmocka_unit_test(test_ksmtuned_threshold_and_sleep),
                cmocka_unit_test(test_ksmtuned_stops_with_room),
                cmocka_unit_test(test_ksmtuned_boost_decay_clamp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
