/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "adm.h"
#include "config.h"
#include "kvmtuned/macro.h"
#include "kvmtuned/names.h"

/* Long enough for a profile switch on a host with thousands of CPUs. */
#define CALL_TIMEOUT_USEC (120ULL * 1000000ULL)

int adm_error(const char *fmt, ...) {
        va_list ap;

        fputs("kvmtuned-adm: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -EINVAL;
}

static int connect_socket(const char *path, sd_bus **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        sd_bus *bus = NULL;
        int r;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_fd(bus, fd, fd);
        if (r >= 0) {
                fd = -1;        /* the bus owns it now */
                r = sd_bus_start(bus);
        }
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

int adm_connect(struct adm *a) {
        const char *path = a->socket ?: KT_RUNTIME_DIR "/" KT_SOCKET_NAME;
        int r, rb;

        r = connect_socket(path, &a->bus);
        if (r >= 0) {
                a->direct = true;
                return 0;
        }
        if (a->socket)
                return adm_error("cannot connect to %s: %s", path, strerror(-r));
        rb = sd_bus_open_system(&a->bus);
        if (rb >= 0)
                return 0;
        return adm_error("cannot reach kvmtuned: %s: %s, and no system bus: %s", path, strerror(-r), strerror(-rb));
}

int adm_call(struct adm *a, const char *member, sd_bus_message **reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(a->bus, &m, a->direct ? NULL : KT_BUS_NAME, KT_BUS_PATH,
                                           KT_BUS_INTERFACE, member);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return adm_error("cannot build the %s call: %s", member, strerror(-r));
        r = sd_bus_call(a->bus, m, CALL_TIMEOUT_USEC, &error, reply);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED))
                        adm_error("permission denied: %s", error.message ?: member);
                else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                         sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        adm_error("kvmtuned is not running (%s is not on the system bus)", KT_BUS_NAME);
                else
                        adm_error("%s", error.message ?: strerror(-r));
                sd_bus_error_free(&error);
        }
        return r;
}
