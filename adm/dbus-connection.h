/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A blocking D-Bus client connection over a unix socket: SASL EXTERNAL,
 * Hello on a bus, one method call at a time. Enough for kvmtuned-adm,
 * which makes one or two calls and exits. */

#include <stdint.h>

#include "dbus-message.h"

struct dbus_connection {
        int fd;
        uint32_t serial;                /* of the last message sent */
        uint8_t *in;                    /* received, not yet a whole message */
        size_t in_n, in_cap;
};

#define DBUS_CONNECTION_NULL ((struct dbus_connection) { .fd = -1 })

/* Connect to a peer (no bus daemon) listening on the socket at path. */
int dbus_connection_open_peer(struct dbus_connection *c, const char *path);
/* Connect to the system bus: $DBUS_SYSTEM_BUS_ADDRESS, or the standard
 * socket, then Hello. */
int dbus_connection_open_system(struct dbus_connection *c);
void dbus_connection_close(struct dbus_connection *c);

/* Send a method call to member of interface on object path (destination:
 * NULL on a peer connection), body of signature sig, and wait up to
 * timeout_usec for its reply: a method return or an error, which the
 * caller reads and frees. Signals and other messages are passed over. */
int dbus_connection_call(struct dbus_connection *c, const char *destination, const char *path,
                         const char *interface, const char *member, const char *sig, const struct dbus_buf *body,
                         uint64_t timeout_usec, struct dbus_message *reply);
