/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Device hotplug: a libudev monitor on the event loop for net, block and
 * cpu events, each handed to a callback. */

#include <systemd/sd-event.h>

#include "devices.h"

struct udev_watch;

typedef void (*udev_watch_cb)(const char *subsystem, const char *name, enum device_event ev, void *userdata);

int udev_watch_new(sd_event *e, udev_watch_cb cb, void *userdata, struct udev_watch **ret);
struct udev_watch *udev_watch_free(struct udev_watch *w);
/* "udev" or "kernel": where events come from. */
const char *udev_watch_source(const struct udev_watch *w);
