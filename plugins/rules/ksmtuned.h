/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The ksmtuned algorithm (the ksmtuned script shipped with qemu-kvm
 * packages), as pure arithmetic:
 *
 *   thres = max(thres_coef% of MemTotal, thres_min)
 *   committed + thres < total and free > thres  ->  stop ksmd
 *   otherwise pages_to_scan += boost while free < thres, else -= decay,
 *   clamped to [npages_min, npages_max], and ksmd runs with
 *   sleep_millisecs = sleep_msec * 16 GiB / total (at least 10).
 *
 * "free" is MemFree + Buffers + Cached, as ksmtuned reads it. */

#include <stdbool.h>
#include <stdint.h>

struct ksmtuned_params {
        unsigned boost, decay;
        unsigned npages_min, npages_max;
        unsigned thres_coef;            /* percent of MemTotal */
        uint64_t thres_min_kib;
        unsigned sleep_msec;            /* per 16 GiB of memory */
};

struct ksmtuned_input {
        uint64_t total_kib, free_kib, committed_kib;
        unsigned npages;                /* pages_to_scan now (0: never set) */
};

enum ksmtuned_reason {
        KSMTUNED_STOP,                  /* enough memory for all that is committed */
        KSMTUNED_BOOST,                 /* free below the threshold */
        KSMTUNED_DECAY,                 /* running, free above the threshold */
};

struct ksmtuned_decision {
        bool run;
        unsigned npages, sleep_ms;
        uint64_t thres_kib;
        enum ksmtuned_reason reason;
};

/* Defaults of ksmtuned.conf. */
extern const struct ksmtuned_params ksmtuned_defaults;

uint64_t ksmtuned_threshold(const struct ksmtuned_params *p, uint64_t total_kib);
unsigned ksmtuned_sleep(const struct ksmtuned_params *p, uint64_t total_kib);
struct ksmtuned_decision ksmtuned_step(const struct ksmtuned_params *p, const struct ksmtuned_input *in);
