/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "log.h"
#include "retry.h"

static void schedule(struct retry *r, unsigned seconds);

static int on_time(sd_event_source *s, uint64_t usec, void *userdata) {
        struct retry *r = userdata;
        unsigned delay = r->delay_s;

        (void) s;
        (void) usec;
        if (r->attempt(r->userdata) >= 0)
                return 0;
        r->delay_s = delay * 2 > RETRY_MAX_S ? RETRY_MAX_S : delay * 2;
        schedule(r, delay);
        return 0;
}

static void schedule(struct retry *r, unsigned seconds) {
        uint64_t usec = (uint64_t) seconds * 1000000u;
        int k;

        if (!r->source)
                k = sd_event_add_time_relative(r->event, &r->source, CLOCK_MONOTONIC, usec, 0, on_time, r);
        else {
                k = sd_event_source_set_time_relative(r->source, usec);
                if (k >= 0)
                        k = sd_event_source_set_enabled(r->source, SD_EVENT_ONESHOT);
        }
        if (k < 0)
                log_warning_errno(k, "Cannot schedule reconnecting to %s: %m", r->what);
}

void retry_init(struct retry *r, sd_event *event, int (*attempt)(void *userdata), void *userdata,
                const char *what) {
        *r = (struct retry) { .event = event, .delay_s = RETRY_MIN_S, .attempt = attempt, .userdata = userdata,
                              .what = what };
}

void retry_start(struct retry *r, unsigned first_s) {
        r->delay_s = RETRY_MIN_S;
        schedule(r, first_s);
}

void retry_done(struct retry *r) {
        r->source = sd_event_source_disable_unref(r->source);
}
