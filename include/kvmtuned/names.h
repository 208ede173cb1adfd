/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Names the daemon and kvmtuned-adm must agree on. */

#include <stdbool.h>
#include <string.h>

#define KT_BUS_NAME      "org.kvmtuned.Daemon1"
#define KT_BUS_PATH      "/org/kvmtuned/Daemon"
#define KT_BUS_INTERFACE "org.kvmtuned.Daemon1"

#define KT_SOCKET_NAME   "kvmtuned.sock"

#define KT_PROFILE_NAME_MAX 64

/* Profile names become file names (<name>.conf) and travel in control
 * calls: [A-Za-z0-9._-], no leading dot, bounded length. */
static inline bool kt_profile_name_valid(const char *name) {
        size_t n;

        if (!name || name[0] == '\0' || name[0] == '.')
                return false;
        n = strlen(name);
        if (n > KT_PROFILE_NAME_MAX)
                return false;
        return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "abcdefghijklmnopqrstuvwxyz"
                            "0123456789._-") == n;
}
