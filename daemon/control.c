/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <stdlib.h>

#include "bus.h"
#include "control-socket.h"
#include "control.h"
#include "kvmtuned/names.h"
#include "log.h"
#include "manager.h"
#include "retry.h"

struct control {
        struct manager *manager;
        sd_bus *system_bus;             /* NULL: none, or --no-bus */
        struct retry bus_retry;         /* reconnecting after the bus went away */
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

static int bus_reconnect(void *userdata) {
        struct control *c = userdata;
        int r;

        r = system_bus_open(c, true);
        if (r >= 0)
                log_notice("Back on the system bus as %s.", KT_BUS_NAME);
        return r;
}

/* The bus went away (dbus-daemon stopped or restarted): the private socket
 * still serves, and the daemon reconnects with back-off (retry.h). */
static int on_system_bus_lost(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct control *c = userdata;

        (void) msg;
        (void) error;
        log_warning("Lost the system bus, serving the private socket only until it is back.");
        system_bus_close(c);
        retry_start(&c->bus_retry, RETRY_MIN_S);
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
        retry_init(&c->bus_retry, m->event, bus_reconnect, c, "the system bus");
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
        retry_done(&c->bus_retry);
        control_socket_close(&c->socket);
        free(c);
        return NULL;
}
