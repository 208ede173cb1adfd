/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libvirt's event loop is the daemon's sd-event loop: virEventRegisterImpl()
 * maps libvirt's handles onto io sources and its timeouts onto time sources,
 * so connection keepalive, domain events and the close callback are
 * dispatched on the one thread, with no locks. Register before the first
 * connection is opened; once per process. */

#include <systemd/sd-event.h>

int virt_event_register(sd_event *e);

/* Run the free callbacks of handles removed while the loop was exiting;
 * call from a clean stack, after the connection is closed. */
void virt_event_flush(void);
