/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The control API's front ends: the system bus (when there is one and
 * --no-bus is not given) and, always, the private socket. Both serve the
 * same object (bus.c); both hear of every profile change. */

struct manager;
struct control;

int control_new(struct manager *m, struct control **ret);
struct control *control_free(struct control *c);
