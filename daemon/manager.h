/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's state and its event sources: the loaded plugins, the active
 * profile and its instances, and the operations every front end (signals,
 * control calls, device and domain events) goes through. */

#include <systemd/sd-event.h>

#include "host.h"
#include "instances.h"
#include "monitor.h"
#include "options.h"
#include "plugins.h"
#include "profile.h"
#include "strbuf.h"

struct manager {
        sd_event *event;
        const struct options *opts;
        struct host host;
        struct plugins plugins;
        struct profile_dirs dirs;

        struct profile *active;         /* NULL: no profile (off) */
        struct instances instances;
        char *reason;                   /* why the active profile (or none) was chosen */

        sd_event_source *sig_term, *sig_int, *sig_hup;
        sd_event_source *sig_usr1;      /* status into the log */
        sd_event_source *after_reply;   /* fsyncs a reply need not wait for */
        sd_event_source *libvirt_later; /* loads the libvirt module after READY=1 */
        bool state_unsynced;            /* the remembered choice is not on disk yet */

        struct monitor *monitor;        /* load samples for the dynamic rules */
        struct udev_watch *udev;        /* device hotplug; NULL when unavailable */
        struct virt *virt;              /* NULL: --libvirt-uri none, or no libvirt module */

        /* Told after every change of the active profile. */
        void (*profile_changed)(struct manager *m, void *userdata);
        void *profile_changed_userdata;
};

int manager_new(const struct options *o, struct manager **ret);
struct manager *manager_free(struct manager *m);

/* Load plugins, recover a journal, apply the first profile. A profile that
 * does not load is fatal here: one line, no host change. */
int manager_start(struct manager *m);

/* Move the host to profile name, or leave everything as it is and return an
 * error with *error saying why. */
int manager_switch(struct manager *m, const char *name, const char *reason, char **error);

/* Put everything back and run with no profile; remembered across restarts. */
int manager_off(struct manager *m);

/* Re-read the active profile and apply what changed. */
int manager_reload(struct manager *m, char **error);

/* Put everything back before exiting (the choice stays for the next start). */
void manager_shutdown(struct manager *m);

/* What is no longer as the active profile set it. */
int manager_verify(struct manager *m, struct change **ret, size_t *n);

/* What switching to name would change; changes nothing. */
int manager_diff(struct manager *m, const char *name, struct change **ret, size_t *n, char **error);

/* Load name into a plan without applying it (diff, info). */
int manager_plan_profile(struct manager *m, const char *name, struct profile **ret_profile, struct plan *plan,
                         char **error);

/* The profile this host should run, and why; NULL when none fits. */
const char *manager_recommend(struct manager *m, const char **reason);

const char *manager_active_name(const struct manager *m);

/* `kvmtuned-adm status`: "key: value" lines, most important first. Every
 * component adds its own lines here (profile, settings, each plugin
 * instance's rules; monitors and domains as they come). */
int manager_status(struct manager *m, struct strbuf *out);

/* A domain started or stopped, as the libvirt hook reports it ("started",
 * "stopped", "release"): retune that domain. Without a libvirt connection
 * this fails with *error saying so. */
int manager_domain_event(struct manager *m, const char *domain, const char *event, char **error);

/* A device came or went (udev, or a test): tune it or forget it. */
int manager_device_event(struct manager *m, const char *subsystem, const char *name, const char *action);

/* One running domain as `kvmtuned-adm domains` shows it. */
struct domain_info {
        char *name;
        char *policy;           /* dedicated, spread, shared, none */
        char *cpus;             /* vCPU placement as a CPU list, "" when floating */
        char *nodes;            /* memory nodes, "" when unrestricted */
        char *note;             /* why this policy (e.g. fell back from dedicated), or "" */
};

/* The domains the daemon tracks, sorted by name. */
int manager_domains(struct manager *m, struct domain_info **ret, size_t *n);
/* Whether a libvirt URI is configured (not "none"). */
bool uses_libvirt(const struct manager *m);
void domain_info_free_many(struct domain_info *d, size_t n);

struct advise_report;

/* `kvmtuned-adm advise`: audit the named domains (every running one when n
 * is 0) and the host against the active profile, over a read-only libvirt
 * connection of its own. Without libvirt only the host is audited and
 * naming a domain is an error with *error saying why. */
int manager_advise(struct manager *m, char *const *domains, size_t n, struct advise_report *ret, char **error);
