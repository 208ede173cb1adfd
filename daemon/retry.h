/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reconnecting to something that comes back when it is restarted (the
 * system bus, libvirtd): attempt() after a first delay, then after 1, 2,
 * 4 ... 30 s for as long as it fails. Exiting instead would leave the host
 * tuned until the next start. */

#include <systemd/sd-event.h>

#define RETRY_MIN_S 1
#define RETRY_MAX_S 30

struct retry {
        sd_event *event;
        sd_event_source *source;
        unsigned delay_s;               /* before the attempt after a failed one */
        int (*attempt)(void *userdata); /* negative: failed, try again */
        void *userdata;
        const char *what;               /* "the system bus", for the one warning */
};

void retry_init(struct retry *r, sd_event *event, int (*attempt)(void *userdata), void *userdata,
                const char *what);
/* The first attempt after first_s seconds (0: on the next loop iteration),
 * with the back-off from its start: also after a success. */
void retry_start(struct retry *r, unsigned first_s);
void retry_done(struct retry *r);
