/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.kvmtuned.Daemon1 at /org/kvmtuned/Daemon: the control API, the same
 * on the system bus and on every private-socket connection. */

#include <systemd/sd-bus.h>

struct manager;

/* Serve the interface on bus, for manager m. */
int bus_add_daemon_object(sd_bus *bus, struct manager *m);

/* Tell bus's listeners that ActiveProfile changed. */
void bus_emit_active_changed(sd_bus *bus);
