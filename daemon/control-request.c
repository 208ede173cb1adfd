/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "control-request.h"
#include "kvmtuned/macro.h"
#include "kvmtuned/names.h"

/* Every method of org.kvmtuned.Daemon1. A method missing here is refused
 * outright, so a new one cannot slip in unauthorized. */
static const struct request_spec specs[] = {
        { "ListProfiles",  false, 0, {} },
        { "ActiveProfile", false, 0, {} },
        { "SwitchProfile", true,  1, { REQUEST_ARG_PROFILE } },
        { "Off",           true,  0, {} },
        { "Verify",        false, 0, {} },
        { "Diff",          false, 1, { REQUEST_ARG_PROFILE } },
        { "ProfileInfo",   false, 1, { REQUEST_ARG_PROFILE } },
        { "Recommend",     false, 0, {} },
        { "Reload",        true,  0, {} },
        { "Status",        false, 0, {} },
        { "Domains",       false, 0, {} },
        { "DomainEvent",   true,  2, { REQUEST_ARG_DOMAIN, REQUEST_ARG_EVENT } },
};

const struct request_spec *request_find(const char *member) {
        if (!member)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(specs); i++)
                if (streq(specs[i].member, member))
                        return &specs[i];
        return NULL;
}

static enum request_verdict refuse(char **error, enum request_verdict v, const char *fmt, ...) _printf_(3, 4);
static enum request_verdict refuse(char **error, enum request_verdict v, const char *fmt, ...) {
        va_list ap;

        if (!error)
                return v;
        free(*error);
        va_start(ap, fmt);
        if (vasprintf(error, fmt, ap) < 0)
                *error = NULL;
        va_end(ap);
        return v;
}

/* Arguments are quoted back only when they are short and printable, so a
 * refusal stays one readable line. */
static const char *quotable(const char *s) {
        size_t n = strlen(s);

        if (n > KT_PROFILE_NAME_MAX)
                return "(too long)";
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] >= 0x7f)
                        return "(unprintable)";
        return s;
}

static enum request_verdict check_arg(enum request_arg kind, const char *a, char **error) {
        switch (kind) {
        case REQUEST_ARG_PROFILE:
                if (kt_profile_name_valid(a))
                        return REQUEST_OK;
                return refuse(error, REQUEST_INVALID,
                              "invalid profile name '%s': use letters, digits, '.', '_' and '-', "
                              "no leading '.', at most %d characters", quotable(a), KT_PROFILE_NAME_MAX);
        case REQUEST_ARG_DOMAIN:
                if (kt_domain_name_valid(a))
                        return REQUEST_OK;
                return refuse(error, REQUEST_INVALID,
                              "invalid domain name '%s': 1 to %d characters, no '/' and no control characters",
                              quotable(a), KT_DOMAIN_NAME_MAX);
        case REQUEST_ARG_EVENT:
                if (kt_domain_event_valid(a))
                        return REQUEST_OK;
                return refuse(error, REQUEST_INVALID,
                              "invalid domain event '%s': expected started, stopped or release", quotable(a));
        }
        return refuse(error, REQUEST_INVALID, "invalid argument");
}

enum request_verdict request_check(const char *member, uid_t uid, const char *const *args, size_t n,
                                   char **error) {
        const struct request_spec *s = request_find(member);
        enum request_verdict v;

        if (!s)
                return refuse(error, REQUEST_UNKNOWN, "unknown method '%s'", member ? quotable(member) : "");
        /* Authorization first: an unprivileged caller learns nothing from
         * argument checks of calls it may not make. */
        if (s->mutates && uid != 0)
                return refuse(error, REQUEST_DENIED, "%s changes the host: only root (uid 0) may call it, caller is uid %u",
                              s->member, (unsigned) uid);
        if (n != s->n_args)
                return refuse(error, REQUEST_INVALID, "%s takes %u argument(s), got %zu", s->member, s->n_args, n);
        for (size_t i = 0; i < n; i++) {
                if (!args[i])
                        return refuse(error, REQUEST_INVALID, "%s: argument %zu missing", s->member, i + 1);
                v = check_arg(s->args[i], args[i], error);
                if (v != REQUEST_OK)
                        return v;
        }
        return REQUEST_OK;
}
