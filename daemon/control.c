/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <stdlib.h>

#include "bus.h"
#include "control-socket.h"
#include "control.h"
#include "kvmtuned/names.h"
#include "log.h"
#include "manager.h"

#define BUS_RETRY_MIN_S 1
#define BUS_RETRY_MAX_S 30

struct control {
        struct manager *manager;
        sd_bus *system_bus;             /* NULL: none, or --no-bus */
        sd_event_source *bus_retry;     /* reconnecting after the bus went away */
        unsigned bus_backoff_s;
        struct control_socket socket;
};

static int system_bus_open(struct control *c, bool quiet);

static void on_profile_changed(struct manager *m, void *userdata) {
        struct control *c = userdata;

        (void) m;
        if (c->system_bus)
                bus_emit_active_changed(c->system_bus);
        control_socket_foreach(&c->socket, bus_emit_active_changed);
}

static void system_bus_close(struct control *c) {
        if (!c->system_bus)
                return;
        (void) sd_bus_detach_event(c->system_bus);
        c->system_bus = sd_bus_flush_close_unref(c->system_bus);
}

static void schedule_bus_retry(struct control *c);

static int on_bus_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        struct control *c = userdata;

        (void) s;
        (void) usec;
        if (system_bus_open(c, true) < 0) {
                c->bus_backoff_s = c->bus_backoff_s * 2 > BUS_RETRY_MAX_S ? BUS_RETRY_MAX_S : c->bus_backoff_s * 2;
                schedule_bus_retry(c);
                return 0;
        }
        log_notice("Back on the system bus as %s.", KT_BUS_NAME);
        c->bus_backoff_s = BUS_RETRY_MIN_S;
        return 0;
}

static void schedule_bus_retry(struct control *c) {
        uint64_t usec = (uint64_t) c->bus_backoff_s * 1000000u;
        int r;

        if (!c->bus_retry)
                r = sd_event_add_time_relative(c->manager->event, &c->bus_retry, CLOCK_MONOTONIC, usec, 0,
                                               on_bus_retry, c);
        else {
                r = sd_event_source_set_time_relative(c->bus_retry, usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->bus_retry, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                log_warning_errno(r, "Cannot schedule reconnecting to the system bus: %m");
}

/* The bus went away (dbus-daemon stopped or restarted): the private socket
 * still serves, and the daemon reconnects with back-off (1 s to 30 s), as
 * dbus-daemon comes back when it is restarted. Exiting would leave the host
 * tuned until the next start. */
static int on_system_bus_lost(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct control *c = userdata;

        (void) msg;
        (void) error;
        log_warning("Lost the system bus, serving the private socket only until it is back.");
        system_bus_close(c);
        c->bus_backoff_s = BUS_RETRY_MIN_S;
        schedule_bus_retry(c);
        return 0;
}

/* The system bus is optional: without it (no dbus-daemon, or a policy that
 * does not let us own the name) the private socket still serves. quiet:
 * a reconnect attempt, which says nothing when it fails. */
static int system_bus_open(struct control *c, bool quiet) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                if (!quiet)
                        log_info("No system bus, serving the private socket only.");
                sd_bus_unref(bus);
                return r;
        }
        r = bus_add_daemon_object(bus, c->manager);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_system_bus_lost, c);
        if (r >= 0)
                r = sd_bus_request_name(bus, KT_BUS_NAME, 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, c->manager->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                if (!quiet)
                        log_warning_errno(r, "Cannot serve %s on the system bus, private socket only: %m",
                                          KT_BUS_NAME);
                sd_bus_flush_close_unref(bus);
                return r;
        }
        c->system_bus = bus;
        return 0;
}

int control_new(struct manager *m, struct control **ret) {
        _cleanup_free_ char *path = NULL;
        struct control *c;
        int r;

        if (asprintf(&path, "%s/%s", m->opts->runtime_dir, KT_SOCKET_NAME) < 0)
                return log_oom();
        c = calloc(1, sizeof *c);
        if (!c)
                return log_oom();
        c->manager = m;
        r = control_socket_listen(&c->socket, m, path);
        if (r < 0) {
                control_free(c);
                return r;
        }
        if (!m->opts->no_bus)
                (void) system_bus_open(c, false);
        m->profile_changed = on_profile_changed;
        m->profile_changed_userdata = c;
        *ret = c;
        return 0;
}

struct control *control_free(struct control *c) {
        if (!c)
                return NULL;
        if (c->manager->profile_changed_userdata == c) {
                c->manager->profile_changed = NULL;
                c->manager->profile_changed_userdata = NULL;
        }
        system_bus_close(c);
        sd_event_source_disable_unref(c->bus_retry);
        control_socket_close(&c->socket);
        free(c);
        return NULL;
}
