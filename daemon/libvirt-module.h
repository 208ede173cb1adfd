/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Everything that needs libvirt (the domain connection, its pinning
 * backend) or libxml2 (advise's domain XML) lives in one module,
 * kvmtuned-libvirt.so, which the daemon dlopen()s the first time it needs
 * it: just after start (the profile applied, READY=1 sent) when a libvirt
 * URI is configured, or on the first advise call. A daemon run with --libvirt-uri none never maps libvirt and the
 * sixty-odd libraries it pulls in (gnutls, curl, ICU...), which would
 * otherwise be most of its start-up time and of its resident memory.
 *
 * The module is built with the daemon and only ever loaded by the daemon of
 * the same build: the installed daemon loads it from the package library
 * directory, any other (the build tree's, a copy) only from beside itself.
 * It calls into the core directly (the executable exports the functions it
 * uses, daemon/libvirt-module.sym), and both sides check the build's
 * version string. */

#include <stddef.h>
#include <stdint.h>

struct advise_report;
struct domain_info;
struct hostfs;
struct manager;
struct virt;

#define KT_LIBVIRT_MODULE_SYMBOL "kt_libvirt_module"
#define KT_LIBVIRT_MODULE_FILE   "kvmtuned-libvirt.so"
/* The pinning backend's name, as the journal records it. */
#define KT_LIBVIRT_BACKEND       "libvirt"

struct libvirt_module {
        const char *version;    /* KT_VERSION of the build */
        size_t size;            /* sizeof(struct libvirt_module) of the build */

        /* Register the pinning backend on the host and connect to uri,
         * retrying quietly while libvirtd is not there. Called once the
         * profile is on the host: the journal is open by then, and on the
         * first connection the backend puts back the pinning records a
         * killed daemon left waiting in it (tunables_restore_waiting()). */
        int (*connect)(struct manager *m, const char *uri, struct virt **ret);
        struct virt *(*disconnect)(struct virt *v);
        /* The active profile changed: hand every running domain to the new
         * plugin instances. */
        void (*retune)(struct virt *v);
        /* The hook's report: started, stopped, release. */
        int (*domain_event)(struct virt *v, const char *name, const char *event, char **error);
        int (*domains)(struct virt *v, struct domain_info **ret, size_t *n);
        /* Memory of the running domains, for KSM's committed_kib. */
        uint64_t (*committed_kib)(const struct virt *v);
        /* What a plugin reported about a domain's placement. */
        int (*domain_report)(struct virt *v, const char *uuid, const char *policy, const char *cpus,
                             const char *nodes, const char *note);
        /* Audit the named domains (every running one when n is 0) read over
         * a read-only connection to uri (NULL: no domains), and the host
         * under h, graded as profile. */
        int (*advise)(const struct hostfs *h, const char *uri, const char *profile, char *const *names, size_t n,
                      struct advise_report *ret, char **error);
};

/* The module, loaded on the first call; NULL (logged once, with why) when
 * it cannot be loaded. Later calls return the same answer. */
const struct libvirt_module *libvirt_module_load(void);

/* The module if it is loaded, else NULL; never loads it. */
const struct libvirt_module *libvirt_module(void);
