/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A device came or went while a profile is active: tune it at once, or stop
 * tracking what was set for it. Whatever the source (udev, a test). */

#include "host.h"
#include "instances.h"

enum device_event {
        DEVICE_EVENT_IGNORE,
        DEVICE_EVENT_ADD,       /* add (net, block), online (cpu) */
        DEVICE_EVENT_REMOVE,    /* remove, offline */
};

/* Map a uevent action of subsystem to what it means for tuning. */
enum device_event device_event_from_action(const char *subsystem, const char *action);

/* Returns the number of settings applied or forgotten, or a negative errno
 * when the journal cannot be written. A device the host tree does not show
 * (under --root: an event of the real kernel) is ignored. */
int devices_event(struct host *h, struct instances *is, const char *subsystem, const char *name,
                  enum device_event ev);
