/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kvmtuned-adm's shared state: the connection to the daemon and how to
 * print. */

#include <stdbool.h>

#include "dbus-connection.h"

struct adm {
        struct dbus_connection conn;
        bool direct;            /* the private socket: no bus, no destination */
        bool json;
        const char *socket;     /* NULL: the default, with the system bus as fallback */
};

/* Connect to the daemon: the private socket, then (unless a socket was
 * named) the system bus. Prints one line on failure. */
int adm_connect(struct adm *a);

/* Call member with string arguments (types: "", "s", "ss"...); on failure
 * print the daemon's refusal as one line on stderr and return a negative
 * errno. reply (NULL: not wanted) is the method return, to read and then
 * free with dbus_message_done(). */
int adm_call(struct adm *a, const char *member, struct dbus_message *reply, const char *types, ...);
/* The same with one argument, a string array ("as"). */
int adm_call_strv(struct adm *a, const char *member, struct dbus_message *reply, char **strv);
void adm_disconnect(struct adm *a);

/* One error line, "kvmtuned-adm: ...", on stderr; returns -EINVAL. */
int adm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The line for a reply that does not read as its method promises; r is
 * what the reader said (0: the reply ended early). */
int adm_bad_reply(int r);
