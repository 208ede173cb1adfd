/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The private control socket, RUNTIME_DIR/kvmtuned.sock: every accepted
 * connection is a peer-to-peer D-Bus server serving the control API, so
 * kvmtuned-adm works on hosts without a dbus-daemon. The socket is open to
 * every local user; each call is authorized from the peer's credentials. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

struct manager;
struct peer;

struct control_socket {
        struct manager *manager;
        char *path;
        int fd;
        sd_event_source *accept_source;
        sd_event_source *post_auth;     /* on while a new peer may hold a call from its first read */
        struct peer *peers;
        unsigned n_peers;
        unsigned n_refused;     /* connections turned away, for rate-limited logging */
};

int control_socket_listen(struct control_socket *cs, struct manager *m, const char *path);
void control_socket_close(struct control_socket *cs);

/* Call f on the bus of every connected peer. */
void control_socket_foreach(struct control_socket *cs, void (*f)(sd_bus *bus));
