/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The devices per-device plugins work on, read from sysfs under --root:
 * block devices, network interfaces, online CPUs. */

#include <stdbool.h>

#include "kvmtuned/plugin.h"

struct hostfs;

/* Call f for each device of subsystem ("block", "net", "cpu"), in name
 * order (CPUs in number order). Stops at and returns f's first error. */
int enumerate_devices(const struct hostfs *h, const char *subsystem,
                      int (*f)(const struct kt_device *dev, void *userdata), void *userdata);

/* Fill dev for one named device; false if subsystem is unknown. */
bool device_describe(const char *subsystem, const char *name, struct kt_device *dev, char *syspath, size_t size);

/* Whether name matches a devices= list: globs separated by blanks or commas,
 * "!glob" excludes; a list of exclusions alone means "all but these". */
bool devices_match(const char *list, const char *name);
