/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "ksmtuned.h"

#define SIXTEEN_GIB_KIB (16ULL * 1024 * 1024)

const struct ksmtuned_params ksmtuned_defaults = {
        .boost = 300,
        .decay = 50,
        .npages_min = 64,
        .npages_max = 1250,
        .thres_coef = 20,
        .thres_min_kib = 2048ULL * 1024,
        .sleep_msec = 10,
};

uint64_t ksmtuned_threshold(const struct ksmtuned_params *p, uint64_t total_kib) {
        uint64_t t = total_kib / 100 * p->thres_coef + total_kib % 100 * p->thres_coef / 100;

        return t > p->thres_min_kib ? t : p->thres_min_kib;
}

unsigned ksmtuned_sleep(const struct ksmtuned_params *p, uint64_t total_kib) {
        uint64_t s = total_kib ? (uint64_t) p->sleep_msec * SIXTEEN_GIB_KIB / total_kib : 10;

        return s < 10 ? 10 : s > 600000 ? 600000 : (unsigned) s;
}

static unsigned clamp_npages(const struct ksmtuned_params *p, long long n) {
        if (n < p->npages_min)
                return p->npages_min;
        if (n > p->npages_max)
                return p->npages_max;
        return (unsigned) n;
}

struct ksmtuned_decision ksmtuned_step(const struct ksmtuned_params *p, const struct ksmtuned_input *in) {
        struct ksmtuned_decision d = { .thres_kib = ksmtuned_threshold(p, in->total_kib) };

        if (in->committed_kib + d.thres_kib < in->total_kib && in->free_kib > d.thres_kib) {
                d.reason = KSMTUNED_STOP;
                d.npages = in->npages;
                return d;
        }
        d.run = true;
        d.sleep_ms = ksmtuned_sleep(p, in->total_kib);
        if (in->free_kib < d.thres_kib) {
                d.reason = KSMTUNED_BOOST;
                d.npages = clamp_npages(p, (long long) in->npages + p->boost);
        } else {
                d.reason = KSMTUNED_DECAY;
                d.npages = clamp_npages(p, (long long) in->npages - p->decay);
        }
        return d;
}
