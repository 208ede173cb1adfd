/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kvmtuned: argv, then run(). */

#include <stdlib.h>
#include "notify.h"

#include "control.h"
#include "log.h"
#include "manager.h"
#include "options.h"

static int run(int argc, char *argv[]) {
        struct options opts = {};
        struct manager *m = NULL;
        struct control *c = NULL;
        int r;

        r = options_parse(&opts, argc, argv);
        if (r <= 0)
                goto out;
        log_set_level(opts.log_level);

        r = manager_new(&opts, &m);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the event loop: %m");
                goto out;
        }
        r = manager_start(m);
        if (r < 0)
                goto out;
        r = control_new(m, &c);
        if (r < 0) {
                manager_shutdown(m);    /* nobody could turn it off: put it back */
                goto out;
        }

        notify("READY=1");
        r = sd_event_loop(m->event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
out:
        control_free(c);
        manager_free(m);
        options_done(&opts);
        return r;
}

int main(int argc, char *argv[]) {
        return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
