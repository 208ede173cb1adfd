/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "adm.h"
#include "config.h"
#include "kvmtuned/macro.h"
#include "kvmtuned/names.h"

/* Long enough for a profile switch on a host with thousands of CPUs. */
#define CALL_TIMEOUT_USEC (120ULL * 1000000ULL)
#define ARGS_MAX 4

#define ERROR_PREFIX "org.freedesktop.DBus.Error."

int adm_error(const char *fmt, ...) {
        va_list ap;

        fputs("kvmtuned-adm: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -EINVAL;
}

int adm_connect(struct adm *a) {
        const char *path = a->socket ?: KT_RUNTIME_DIR "/" KT_SOCKET_NAME;
        int r, rb;

        r = dbus_connection_open_peer(&a->conn, path);
        if (r >= 0) {
                a->direct = true;
                return 0;
        }
        if (a->socket)
                return adm_error("cannot connect to %s: %s", path, strerror(-r));
        rb = dbus_connection_open_system(&a->conn);
        if (rb >= 0)
                return 0;
        return adm_error("cannot reach kvmtuned: %s: %s, and no system bus: %s", path, strerror(-r), strerror(-rb));
}

int adm_bad_reply(int r) {
        if (r == -ENOMEM)
                return adm_error("out of memory");
        return adm_error("unexpected reply from kvmtuned: %s", strerror(EBADMSG));
}

void adm_disconnect(struct adm *a) {
        dbus_connection_close(&a->conn);
}

/* The daemon's refusal, as one line; returns the errno it stands for. */
static int refused(struct dbus_message *reply, const char *member) {
        const char *name = reply->error_name, *message = NULL;

        if (dbus_message_read_basic(reply, 's', &message) <= 0 || !*message)
                message = NULL;
        if (streq(name, ERROR_PREFIX "AccessDenied")) {
                adm_error("permission denied: %s", message ?: member);
                return -EACCES;
        }
        if (streq(name, ERROR_PREFIX "ServiceUnknown") || streq(name, ERROR_PREFIX "NameHasNoOwner")) {
                adm_error("kvmtuned is not running (%s is not on the system bus)", KT_BUS_NAME);
                return -ESRCH;
        }
        adm_error("%s", message ?: name);
        return streq(name, ERROR_PREFIX "InvalidArgs") ? -EINVAL : -EIO;
}

static int call(struct adm *a, const char *member, const char *sig, const struct dbus_buf *body,
                struct dbus_message *ret) {
        struct dbus_message reply;
        int r;

        r = dbus_connection_call(&a->conn, a->direct ? NULL : KT_BUS_NAME, KT_BUS_PATH, KT_BUS_INTERFACE, member,
                                 sig, body, CALL_TIMEOUT_USEC, &reply);
        if (r == -EINVAL)
                return adm_error("cannot build the %s call: %s", member, strerror(-r));
        if (r == -ENOMEM)
                return adm_error("out of memory");
        if (r < 0)
                return adm_error("%s: %s", member, r == -EBADMSG ? "malformed message from kvmtuned" : strerror(-r));
        if (reply.type == DBUS_ERROR)
                r = refused(&reply, member);
        if (r < 0 || !ret)
                dbus_message_done(&reply);
        else
                *ret = reply;
        return r;
}

int adm_call(struct adm *a, const char *member, struct dbus_message *reply, const char *types, ...) {
        struct dbus_buf body = {};
        va_list ap;
        int r;

        types = types ?: "";
        if (strlen(types) > ARGS_MAX || strspn(types, "s") != strlen(types))
                return adm_error("cannot build the %s call: %s", member, strerror(EINVAL));
        va_start(ap, types);
        for (const char *t = types; *t; t++)
                dbus_buf_put_string(&body, va_arg(ap, const char *));
        va_end(ap);
        r = call(a, member, types, &body, reply);
        dbus_buf_done(&body);
        return r;
}

int adm_call_strv(struct adm *a, const char *member, struct dbus_message *reply, char **strv) {
        struct dbus_buf body = {};
        int r;

        dbus_buf_put_strv(&body, strv);
        r = call(a, member, "as", &body, reply);
        dbus_buf_done(&body);
        return r;
}
