/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <stdlib.h>

#include "bus.h"
#include "control-socket.h"
#include "control.h"
#include "kvmtuned/names.h"
#include "log.h"
#include "manager.h"

struct control {
        struct manager *manager;
        sd_bus *system_bus;             /* NULL: none, or --no-bus */
        struct control_socket socket;
};

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

/* The bus went away (dbus-daemon stopped or restarted): the private socket
 * still serves; exiting would leave the host tuned until the next start. */
static int on_system_bus_lost(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        (void) msg;
        (void) error;
        log_warning("Lost the system bus, serving the private socket only.");
        system_bus_close(userdata);
        return 0;
}

/* The system bus is optional: without it (no dbus-daemon, or a policy that
 * does not let us own the name) the private socket still serves. */
static void system_bus_open(struct control *c) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                log_info("No system bus, serving the private socket only.");
                sd_bus_unref(bus);
                return;
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
                log_warning_errno(r, "Cannot serve %s on the system bus, private socket only: %m", KT_BUS_NAME);
                sd_bus_flush_close_unref(bus);
                return;
        }
        c->system_bus = bus;
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
                system_bus_open(c);
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
        control_socket_close(&c->socket);
        free(c);
        return NULL;
}
