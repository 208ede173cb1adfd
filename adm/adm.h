/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kvmtuned-adm's shared state: the connection to the daemon and how to
 * print. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

struct adm {
        sd_bus *bus;
        bool direct;            /* the private socket: no bus, no destination */
        bool json;
        const char *socket;     /* NULL: the default, with the system bus as fallback */
};

/* Connect to the daemon: the private socket, then (unless a socket was
 * named) the system bus. Prints one line on failure. */
int adm_connect(struct adm *a);

/* Call member with arguments types, ...; on failure print the daemon's
 * refusal as one line on stderr and return a negative errno. */
int adm_call(struct adm *a, const char *member, sd_bus_message **reply, const char *types, ...);

/* One error line, "kvmtuned-adm: ...", on stderr; returns -EINVAL. */
int adm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
