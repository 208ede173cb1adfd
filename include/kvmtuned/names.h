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
#define KT_DOMAIN_NAME_MAX  256

/* Error names of control calls, beside the standard AccessDenied and
 * InvalidArgs. */
#define KT_BUS_ERROR_NO_SUCH_PROFILE "org.kvmtuned.Daemon1.Error.NoSuchProfile"
#define KT_BUS_ERROR_REFUSED         "org.kvmtuned.Daemon1.Error.Refused"

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

/* Domain names travel from the libvirt hook and kvmtuned-adm: libvirt
 * forbids '/' in them; control characters have no business in a log line. */
static inline bool kt_domain_name_valid(const char *name) {
        size_t n;

        if (!name || name[0] == '\0')
                return false;
        n = strlen(name);
        if (n > KT_DOMAIN_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) name[i] < 0x20 || name[i] == 0x7f || name[i] == '/')
                        return false;
        return true;
}

/* What the libvirt hook reports about a domain (its "operation" argument). */
static inline bool kt_domain_event_valid(const char *event) {
        static const char *const events[] = { "started", "stopped", "release" };

        if (!event)
                return false;
        for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
                if (strcmp(event, events[i]) == 0)
                        return true;
        return false;
}
