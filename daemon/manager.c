/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "libvirt-module.h"
#include "log.h"
#include "manager.h"
#include "notify.h"
#include "recommend.h"
#include "state.h"
#include "udev.h"

static int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;

        (void) s;
        log_info("Received %s, putting every value back.", strsignal((int) si->ssi_signo));
        notify("STOPPING=1\nSTATUS=Restoring original values...");
        manager_shutdown(m);
        return sd_event_exit(m->event, 0);
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;
        _cleanup_free_ char *error = NULL;
        struct timespec ts;
        char msg[64];

        (void) s;
        (void) si;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
                 (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000ULL);
        notify(msg);
        if (manager_reload(m, &error) < 0)
                log_error("Reload failed, keeping profile %s as it was: %s", manager_active_name(m),
                          error ?: "error");
        notify("READY=1");
        return 0;
}

/* SIGUSR1: the status lines into the log, for a host with no client at hand. */
static int on_status_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;
        struct strbuf out = {};

        (void) s;
        (void) si;
        if (manager_status(m, &out) >= 0 && out.s)
                for (char *line = strtok(out.s, "\n"); line; line = strtok(NULL, "\n"))
                        log_info("status: %s", line);
        strbuf_done(&out);
        return 0;
}

/* What a switch makes durable after its reply has gone: the remembered
 * choice (renamed into place already, so a kill cannot lose it) and the
 * journal without the records of settings it put back. */
static int on_after_reply(sd_event_source *s, void *userdata) {
        struct manager *m = userdata;
        int r;

        (void) s;
        if (m->state_unsynced) {
                m->state_unsynced = false;
                r = state_sync(m->opts->state_dir);
                if (r < 0)
                        log_warning_errno(r, "Failed to write the chosen profile to disk in %s: %m",
                                          m->opts->state_dir);
        }
        (void) tunables_compact(&m->host.tunables);
        return 0;
}

static void after_reply(struct manager *m) {
        int r = sd_event_source_set_enabled(m->after_reply, SD_EVENT_ONESHOT);
        if (r < 0) {
                log_warning_errno(r, "Cannot schedule the writes that follow a reply, making them now: %m");
                (void) on_after_reply(m->after_reply, m);
        }
}

/* The choice, for the next start: renamed into place now, so the reply
 * that follows is true even if we are killed, and made durable by
 * on_after_reply(), after the reply has gone. */
static void remember(struct manager *m, const char *name) {
        int r;

        r = state_save(m->opts->state_dir, name);
        if (r < 0) {
                log_warning_errno(r, "Failed to remember %s in %s: %m", name ?: "'off'", m->opts->state_dir);
                return;
        }
        m->state_unsynced = true;
}

int manager_new(const struct options *o, struct manager **ret) {
        struct manager *m = calloc(1, sizeof *m);
        int r;

        if (!m)
                return -ENOMEM;
        m->opts = o;
        m->dirs.dirs = o->profile_dirs;
        m->dirs.n = o->n_profile_dirs;
        r = host_init(&m->host, o->root);
        if (r < 0)
                goto fail;
        r = sd_event_default(&m->event);
        if (r < 0)
                goto fail;
        r = monitor_new(&m->host.fs, o->interval_ms, &m->monitor);
        if (r < 0)
                goto fail;
        r = sd_event_add_signal(m->event, &m->sig_term, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sig_int, SIGINT | SD_EVENT_SIGNAL_PROCMASK, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sig_hup, SIGHUP | SD_EVENT_SIGNAL_PROCMASK, on_reload_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sig_usr1, SIGUSR1 | SD_EVENT_SIGNAL_PROCMASK, on_status_signal, m);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &m->after_reply, on_after_reply, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->after_reply, SD_EVENT_OFF);
        if (r < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        manager_free(m);
        return r;
}

/* KSM's committed memory: what the running domains were given. */
static uint64_t committed_kib(void *userdata) {
        struct manager *m = userdata;

        return m->virt ? libvirt_module()->committed_kib(m->virt) : 0;
}

struct manager *manager_free(struct manager *m) {
        if (!m)
                return NULL;
        udev_watch_free(m->udev);
        monitor_free(m->monitor);
        instances_free(&m->instances);
        if (m->virt)
                m->virt = libvirt_module()->disconnect(m->virt);
        profile_free(m->active);
        free(m->reason);
        sd_event_source_unref(m->sig_term);
        sd_event_source_unref(m->sig_int);
        sd_event_source_unref(m->sig_hup);
        sd_event_source_unref(m->sig_usr1);
        sd_event_source_unref(m->after_reply);
        sd_event_source_unref(m->libvirt_later);
        host_done(&m->host);
        plugins_done(&m->plugins);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

const char *manager_active_name(const struct manager *m) {
        return m->active ? m->active->name : "(none)";
}

static void set_reason(struct manager *m, const char *reason) {
        char *s = strdup(reason ?: "");

        if (s) {
                free(m->reason);
                m->reason = s;
        }
}

static void changed(struct manager *m) {
        char msg[128];

        snprintf(msg, sizeof msg, "STATUS=%s%s", m->active ? "Profile " : "No profile active",
                 m->active ? m->active->name : "");
        notify(msg);
        if (m->virt)
                libvirt_module()->retune(m->virt);
        if (m->profile_changed)
                m->profile_changed(m, m->profile_changed_userdata);
}

int manager_plan_profile(struct manager *m, const char *name, struct profile **ret_profile, struct plan *plan,
                         char **error) {
        struct profile *p = NULL;
        struct instances is = {};
        int r;

        r = profile_load(&m->dirs, &m->plugins, name, &p, error);
        if (r < 0)
                return r;
        r = instances_new(p, &m->host, false, &is);
        if (r >= 0)
                r = instances_plan(&is, plan, error);
        instances_free(&is);
        if (r < 0 || !ret_profile)
                profile_free(p);
        else
                *ret_profile = p;
        return r;
}

int manager_switch(struct manager *m, const char *name, const char *reason, char **error) {
        struct profile *p = NULL;
        struct instances is = {};
        struct plan plan = {};
        unsigned writes = m->host.tunables.writes;
        int r;

        /* Load, validate and plan first: a refusal leaves everything as it was. */
        r = profile_load(&m->dirs, &m->plugins, name, &p, error);
        if (r < 0)
                return r;
        r = instances_new(p, &m->host, true, &is);
        if (r >= 0)
                r = instances_plan(&is, &plan, error);
        if (r >= 0) {
                r = tunables_apply(&m->host.tunables, &plan, true);
                if (r < 0 && error && !*error && asprintf(error, "cannot write the journal: %s", strerror(-r)) < 0)
                        *error = NULL;
        }
        if (r < 0) {
                instances_free(&is);
                profile_free(p);
                plan_done(&plan);
                return r;
        }

        instances_free(&m->instances);
        profile_free(m->active);
        m->instances = is;
        m->active = p;
        instances_go_live(&m->instances);
        set_reason(m, reason);

        remember(m, name);
        after_reply(m);
        log_info("Profile %s active (%s): %zu settings, %u written.", name, reason, plan.n,
                 m->host.tunables.writes - writes);
        plan_done(&plan);
        changed(m);
        return 0;
}

int manager_off(struct manager *m) {
        int r;

        r = tunables_rollback(&m->host.tunables);
        if (r < 0)
                log_warning_errno(r, "Failed to empty the journal: %m");
        instances_free(&m->instances);
        profile_free(m->active);
        m->active = NULL;
        set_reason(m, "turned off");
        remember(m, NULL);
        after_reply(m);
        log_info("Tuning off: every original value restored.");
        changed(m);
        return 0;
}

int manager_reload(struct manager *m, char **error) {
        _cleanup_free_ char *name = NULL, *reason = NULL;

        if (!m->active) {
                log_info("Reload: no profile active, nothing to do.");
                return 0;
        }
        name = strdup(m->active->name);
        reason = strdup(m->reason ?: "reloaded");
        if (!name || !reason)
                return -ENOMEM;
        return manager_switch(m, name, reason, error);
}

void manager_shutdown(struct manager *m) {
        int r, pending = 0;

        /* A choice made just before the stop still reaches the disk. */
        if (sd_event_source_get_enabled(m->after_reply, &pending) >= 0 && pending)
                (void) on_after_reply(m->after_reply, m);
        r = tunables_rollback(&m->host.tunables);
        if (r < 0)
                log_warning_errno(r, "Failed to empty the journal: %m");
        instances_free(&m->instances);
}

int manager_verify(struct manager *m, struct change **ret, size_t *n) {
        return tunables_verify(&m->host.tunables, ret, n);
}

int manager_diff(struct manager *m, const char *name, struct change **ret, size_t *n, char **error) {
        struct plan plan = {};
        int r;

        r = manager_plan_profile(m, name, NULL, &plan, error);
        if (r >= 0)
                r = tunables_diff(&m->host.tunables, &plan, ret, n);
        plan_done(&plan);
        return r;
}

const char *manager_recommend(struct manager *m, const char **reason) {
        return recommend_profile(&m->host.fs, reason);
}

/* Which profile to start with, and why. */
static int initial_choice(struct manager *m, char **ret_name, const char **ret_reason) {
        const char *rec, *why;
        char *name = NULL;
        int r;

        if (m->opts->profile) {
                *ret_reason = "requested on the command line";
                return (*ret_name = strdup(m->opts->profile)) ? 0 : -ENOMEM;
        }
        r = state_load(m->opts->state_dir, &name);
        if (r < 0)
                log_warning_errno(r, "Ignoring unreadable choice in %s: %m", m->opts->state_dir);
        if (r == STATE_PROFILE) {
                *ret_name = name;
                *ret_reason = "chosen before";
                return 0;
        }
        if (r == STATE_OFF) {
                *ret_name = NULL;
                *ret_reason = "turned off";
                return 0;
        }
        if (m->opts->default_profile) {
                *ret_reason = "default in the configuration";
                return (*ret_name = strdup(m->opts->default_profile)) ? 0 : -ENOMEM;
        }
        rec = manager_recommend(m, &why);
        *ret_reason = why;
        if (!rec) {
                *ret_name = NULL;
                return 0;
        }
        return (*ret_name = strdup(rec)) ? 0 : -ENOMEM;
}

static void on_sample(const struct kt_sample *s, void *userdata) {
        struct manager *m = userdata;

        instances_sample(&m->instances, s);
}

static void on_device(const char *subsystem, const char *name, enum device_event ev, void *userdata) {
        struct manager *m = userdata;

        if (m->active)
                (void) devices_event(&m->host, &m->instances, subsystem, name, ev);
}

int manager_device_event(struct manager *m, const char *subsystem, const char *name, const char *action) {
        if (!m->active)
                return 0;
        return devices_event(&m->host, &m->instances, subsystem, name, device_event_from_action(subsystem, action));
}

/* The sources that keep the daemon adaptive: the sampling timer and device
 * hotplug. Neither is fatal: without them the profile stays static. */
static void start_watching(struct manager *m) {
        int r;

        if (m->opts->dynamic)
                monitor_set_dispatch(m->monitor, on_sample, m);
        r = monitor_attach(m->monitor, m->event);
        if (r < 0)
                log_warning_errno(r, "Cannot start the sampling timer, dynamic rules stay off: %m");
        /* Under --root the kernel's uevents are about another machine than
         * the tree being tuned. */
        if (m->host.fs.root[0])
                return;
        r = udev_watch_new(m->event, on_device, m, &m->udev);
        if (r < 0)
                log_warning_errno(r, "Cannot watch device hotplug, new devices stay untuned: %m");
}

bool uses_libvirt(const struct manager *m) {
        return m->opts->libvirt_uri && !streq(m->opts->libvirt_uri, "none");
}

/* Load the libvirt module only when a URI asks for it, and only once the
 * profile is on the host and READY=1 has gone: mapping libvirt and its
 * sixty-odd libraries and opening the connection take several times as
 * long as the rest of the start. (A start whose profile fails loads it at
 * once, to put back the pinning a killed daemon left, and exits.) Without
 * the module the daemon still tunes the host: domains are not placed, and
 * the log and domain-event calls say why. */
static void connect_libvirt(struct manager *m) {
        const struct libvirt_module *lv;
        int r;

        if (m->virt || !(lv = libvirt_module_load()))
                return;
        r = lv->connect(m, m->opts->libvirt_uri, &m->virt);
        if (r < 0) {
                log_error_errno(r, "Cannot set up libvirt, domains stay untuned: %m");
                return;
        }
        monitor_set_committed(m->monitor, committed_kib, m);
}

static int on_libvirt_later(sd_event_source *s, void *userdata) {
        (void) s;
        connect_libvirt(userdata);
        return 0;
}

static int connect_libvirt_later(struct manager *m) {
        int r;

        if (!uses_libvirt(m))
                return 0;
        r = sd_event_add_defer(m->event, &m->libvirt_later, on_libvirt_later, m);
        if (r >= 0)
                r = sd_event_source_set_priority(m->libvirt_later, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->libvirt_later, SD_EVENT_ONESHOT);
        if (r < 0) {
                log_warning_errno(r, "Cannot schedule the libvirt connection, connecting now: %m");
                connect_libvirt(m);
        }
        return 0;
}

int manager_start(struct manager *m) {
        _cleanup_free_ char *journal = NULL, *name = NULL, *error = NULL, *reason = NULL;
        const char *why;
        int r, recovered;

        r = mkdir_p(m->opts->runtime_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create runtime directory %s: %m", m->opts->runtime_dir);
        r = mkdir_p(m->opts->state_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create state directory %s: %m", m->opts->state_dir);

        r = plugins_load_dir(&m->plugins, m->opts->plugin_dir);
        if (r < 0)
                return r;
        plugins_probe(&m->plugins, &m->host);

        /* Pinning records wait in the journal for the libvirt module. */
        if (asprintf(&journal, "%s/journal", m->opts->runtime_dir) < 0)
                return log_oom();
        recovered = host_open_journal(&m->host, journal, uses_libvirt(m) ? KT_LIBVIRT_BACKEND : NULL);
        if (recovered < 0)
                return recovered;

        r = initial_choice(m, &name, &why);
        if (r < 0)
                return log_oom();
        if (!name) {
                if (recovered > 0)
                        (void) tunables_rollback(&m->host.tunables);
                set_reason(m, why);
                log_notice("No profile active: %s.", why);
                changed(m);
                start_watching(m);
                return connect_libvirt_later(m);
        }
        if (asprintf(&reason, "%s", why) < 0)
                return log_oom();
        r = manager_switch(m, name, reason, &error);
        if (r < 0) {
                log_error("Cannot apply profile %s: %s", name, error ?: strerror(-r));
                /* What a killed predecessor left changed still goes back,
                 * its domains' pinning too. */
                if (m->host.tunables.n_waiting > 0)
                        connect_libvirt(m);
                if (recovered > 0)
                        (void) tunables_rollback(&m->host.tunables);
                return r;
        }
        start_watching(m);
        return connect_libvirt_later(m);
}

int manager_status(struct manager *m, struct strbuf *out) {
        const struct tunables *t = &m->host.tunables;
        unsigned refused = 0;
        int r;

        for (size_t i = 0; i < t->n; i++)
                refused += t->entries[i]->rejected;
        r = strbuf_appendf(out, "profile: %s\nreason: %s\nsettings: %zu held, %u refused by the kernel\n",
                           manager_active_name(m), strna(m->reason), t->n, refused);
        if (r < 0)
                return r;
        r = strbuf_appendf(out, "dynamic: %s\nhotplug: %s\n", m->opts->dynamic ? "on" : "off (static values only)",
                           m->udev ? udev_watch_source(m->udev) : m->host.fs.root[0] ? "off (--root)" : "off");
        if (r >= 0)
                r = monitor_status(m->monitor, out);
        if (r < 0)
                return r;
        instances_status(&m->instances, out);
        return 0;
}

int manager_domain_event(struct manager *m, const char *domain, const char *event, char **error) {
        /* The control API checked domain and event (control-request.c). */
        if (!m->virt) {
                if (asprintf(error, "no libvirt connection (%s)",
                             uses_libvirt(m) ? "the libvirt module is not loaded" : "--libvirt-uri none") < 0)
                        *error = NULL;
                return -ENOTCONN;
        }
        return libvirt_module()->domain_event(m->virt, domain, event, error);
}

int manager_domains(struct manager *m, struct domain_info **ret, size_t *n) {
        if (!m->virt) {
                *ret = NULL;
                *n = 0;
                return 0;
        }
        return libvirt_module()->domains(m->virt, ret, n);
}

void domain_info_free_many(struct domain_info *d, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(d[i].name);
                free(d[i].policy);
                free(d[i].cpus);
                free(d[i].nodes);
                free(d[i].note);
        }
        free(d);
}
