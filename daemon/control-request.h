/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which control calls exist, who may make them, and what their arguments
 * must look like. Pure: the D-Bus handlers, the unit tests and the fuzzer
 * call it with plain strings and a uid. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define REQUEST_MAX_ARGS 2

enum request_arg {
        REQUEST_ARG_PROFILE,    /* a profile name: [A-Za-z0-9._-], no leading dot */
        REQUEST_ARG_DOMAIN,     /* a libvirt domain name */
        REQUEST_ARG_EVENT,      /* started, stopped, release */
};

struct request_spec {
        const char *member;     /* the D-Bus method name */
        bool mutates;           /* changes the host or the daemon: uid 0 only */
        unsigned n_args;        /* all arguments are strings ("s") */
        enum request_arg args[REQUEST_MAX_ARGS];
};

enum request_verdict {
        REQUEST_OK,
        REQUEST_UNKNOWN,        /* no such method */
        REQUEST_DENIED,         /* caller may not make this call */
        REQUEST_INVALID,        /* an argument is malformed */
};

/* The spec of member, or NULL. */
const struct request_spec *request_find(const char *member);

/* Whether uid may call member with args (n of them). On refusal *error (if
 * not NULL) gets one line saying why, naming the argument. */
enum request_verdict request_check(const char *member, uid_t uid, const char *const *args, size_t n,
                                   char **error);
