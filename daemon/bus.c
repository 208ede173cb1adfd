/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The D-Bus vtable of org.kvmtuned.Daemon1 and nothing else: each handler
 * checks its request (control-request.c), calls the manager and shapes the
 * reply. A new method is one vtable line and one handler (and its line in
 * control-request.c's table, which says who may call it). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "bus.h"
#include "control-request.h"
#include "kvmtuned/names.h"
#include "manager.h"

/* Read the string arguments of the call and check them and the caller.
 * On refusal the reply error is set and a negative errno returned. */
static int request_begin(sd_bus_message *msg, sd_bus_error *error, const char **args) {
        const char *member = sd_bus_message_get_member(msg);
        const struct request_spec *spec = request_find(member);
        _cleanup_free_ char *why = NULL;
        sd_bus_creds *creds = NULL;
        uid_t uid = (uid_t) -1;
        int r;

        for (unsigned i = 0; spec && i < spec->n_args; i++) {
                r = sd_bus_message_read_basic(msg, 's', &args[i]);
                if (r <= 0)
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "missing argument");
        }
        /* Credentials only matter for calls that change something; a caller
         * whose uid cannot be learnt is not root. */
        if (spec && spec->mutates && sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID, &creds) >= 0) {
                /* A private-socket peer has SO_PEERCRED's (effective) uid;
                 * the bus reports its UnixUserID. */
                if (sd_bus_creds_get_euid(creds, &uid) < 0 && sd_bus_creds_get_uid(creds, &uid) < 0)
                        uid = (uid_t) -1;
                sd_bus_creds_unref(creds);
        }
        switch (request_check(member, uid, args, spec ? spec->n_args : 0, &why)) {
        case REQUEST_OK:
                return 0;
        case REQUEST_DENIED:
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, why ?: "access denied");
        case REQUEST_UNKNOWN:
                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_METHOD, why ?: "unknown method");
        case REQUEST_INVALID:
        default:
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, why ?: "invalid arguments");
        }
}

/* A manager refusal as a D-Bus error: a missing profile has its own name,
 * anything else says why in one line. */
static int manager_error(sd_bus_error *error, int r, const char *why) {
        if (r == -ENOMEM)
                return -ENOMEM;
        return sd_bus_error_set(error, r == -ENOENT ? KT_BUS_ERROR_NO_SUCH_PROFILE : KT_BUS_ERROR_REFUSED,
                                why ?: strerror(-r));
}

static int append_changes(sd_bus_message *reply, const struct change *c, size_t n) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ssss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(ssss)", c[i].key, c[i].from, c[i].to, strempty(c[i].owner));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int reply_changes(sd_bus_message *msg, const struct change *c, size_t n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = append_changes(reply, c, n);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_profiles(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct manager *m = userdata;
        char **names = NULL;
        size_t n = 0;
        int r;

        r = request_begin(msg, error, NULL);
        if (r < 0)
                return r;
        r = profile_list(&m->dirs, &names, &n);
        if (r < 0)
                return manager_error(error, r, "cannot read the profile directories");
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *why = NULL, *broken = NULL;
                struct profile *p = NULL;
                const char *summary;

                /* A profile that does not load is still listed, with why. */
                if (profile_load(&m->dirs, &m->plugins, names[i], &p, &why) >= 0)
                        summary = strempty(p->summary);
                else
                        summary = asprintf(&broken, "(does not load: %s)", strna(why)) < 0 ? "" : broken;
                r = sd_bus_message_append(reply, "(ss)", names[i], summary);
                profile_free(p);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const char *active_or_empty(const struct manager *m) {
        return m->active ? m->active->name : "";
}

static int method_active_profile(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        int r;

        r = request_begin(msg, error, NULL);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "ss", active_or_empty(m), strempty(m->reason));
}

static int property_active_profile(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        (void) bus;
        (void) path;
        (void) interface;
        (void) property;
        (void) error;
        return sd_bus_message_append(reply, "s", active_or_empty(userdata));
}

static int method_switch_profile(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        _cleanup_free_ char *why = NULL;
        const char *args[1];
        int r;

        r = request_begin(msg, error, args);
        if (r < 0)
                return r;
        r = manager_switch(m, args[0], "requested through the control API", &why);
        if (r < 0)
                return manager_error(error, r, why);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_off(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        int r;

        r = request_begin(msg, error, NULL);
        if (r < 0)
                return r;
        r = manager_off(m);
        if (r < 0)
                return manager_error(error, r, NULL);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        _cleanup_free_ char *why = NULL;
        int r;

        r = request_begin(msg, error, NULL);
        if (r < 0)
                return r;
        r = manager_reload(m, &why);
        if (r < 0)
                return manager_error(error, r, why);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_verify(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        struct change *c = NULL;
        size_t n = 0;
        int r;

        r = request_begin(msg, error, NULL);
        if (r < 0)
                return r;
        r = manager_verify(m, &c, &n);
        if (r < 0)
                return manager_error(error, r, NULL);
        r = reply_changes(msg, c, n);
        change_free_many(c, n);
        return r;
}

static int method_diff(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        _cleanup_free_ char *why = NULL;
        struct change *c = NULL;
        const char *args[1];
        size_t n = 0;
        int r;

        r = request_begin(msg, error, args);
        if (r < 0)
                return r;
        r = manager_diff(m, args[0], &c, &n, &why);
        if (r < 0)
                return manager_error(error, r, why);
        r = reply_changes(msg, c, n);
        change_free_many(c, n);
        return r;
}

static int append_info(sd_bus_message *reply, const struct profile *p, const struct plan *plan) {
        int r;

        r = sd_bus_message_append(reply, "sss", p->name, strempty(p->summary), strempty(p->path));
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < p->n_includes; i++)
                r = sd_bus_message_append_basic(reply, 's', p->includes[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && i < plan->n; i++)
                r = sd_bus_message_append(reply, "(sss)", plan->items[i].key, plan->items[i].value,
                                          strempty(plan->items[i].owner));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_profile_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct manager *m = userdata;
        _cleanup_free_ char *why = NULL;
        struct profile *p = NULL;
        struct plan plan = {};
        const char *args[1];
        int r;

        r = request_begin(msg, error, args);
        if (r < 0)
                return r;
        r = manager_plan_profile(m, args[0], &p, &plan, &why);
        if (r < 0) {
                plan_done(&plan);       /* a refusal may come after part of the plan */
                return manager_error(error, r, why);
        }
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = append_info(reply, p, &plan);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        plan_done(&plan);
        profile_free(p);
        return r;
}

static int method_recommend(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        const char *name, *why = NULL;
        int r;

        r = request_begin(msg, error, NULL);
        if (r < 0)
                return r;
        name = manager_recommend(m, &why);
        return sd_bus_reply_method_return(msg, "ss", strempty(name), strempty(why));
}

/* "key: value" lines become (key, value) pairs; a line without ": " is a
 * value with an empty key. */
static int append_status_lines(sd_bus_message *reply, const char *text) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ss)");
        while (r >= 0 && *text) {
                const char *nl = strchrnul(text, '\n'), *sep = memmem(text, (size_t) (nl - text), ": ", 2);
                _cleanup_free_ char *key = strndup(text, sep ? (size_t) (sep - text) : 0);
                _cleanup_free_ char *value = sep ? strndup(sep + 2, (size_t) (nl - sep - 2))
                                                 : strndup(text, (size_t) (nl - text));

                if (!key || !value)
                        return -ENOMEM;
                if (*key || *value)
                        r = sd_bus_message_append(reply, "(ss)", key, value);
                text = *nl ? nl + 1 : nl;
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_status(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct manager *m = userdata;
        struct strbuf out = {};
        int r;

        r = request_begin(msg, error, NULL);
        if (r < 0)
                return r;
        r = manager_status(m, &out);
        if (r >= 0)
                r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = append_status_lines(reply, out.s ?: "");
        strbuf_done(&out);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_domains(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct manager *m = userdata;
        struct domain_info *d = NULL;
        size_t n = 0;
        int r;

        r = request_begin(msg, error, NULL);
        if (r < 0)
                return r;
        r = manager_domains(m, &d, &n);
        if (r < 0)
                return manager_error(error, r, "cannot list domains");
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sssss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(sssss)", d[i].name, strempty(d[i].policy), strempty(d[i].cpus),
                                          strempty(d[i].nodes), strempty(d[i].note));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        domain_info_free_many(d, n);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_domain_event(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        _cleanup_free_ char *why = NULL;
        const char *args[2];
        int r;

        r = request_begin(msg, error, args);
        if (r < 0)
                return r;
        r = manager_domain_event(m, args[0], args[1], &why);
        if (r < 0)
                return manager_error(error, r, why);
        return sd_bus_reply_method_return(msg, NULL);
}

static void strv_freep(char ***p) {
        for (char **s = *p; s && *s; s++)
                free(*s);
        free(*p);
}

static int append_findings(sd_bus_message *reply, const struct advise_report *report) {
        int r = sd_bus_message_open_container(reply, 'a', "(sssssss)");

        for (size_t i = 0; r >= 0 && i < report->n; i++) {
                const struct advise_finding *f = &report->findings[i];

                r = sd_bus_message_append(reply, "(sssssss)", f->rule, advise_severity_to_string(f->severity),
                                          strempty(f->domain), f->subject, f->message, f->fix, f->source);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* Advise(as domains): the named domains (every running one when empty)
 * and the host, audited against the active profile. */
static int method_advise(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(strv_freep) char **domains = NULL;
        struct advise_report report = {};
        struct manager *m = userdata;
        _cleanup_free_ char *why = NULL;
        size_t n = 0;
        int r;

        r = request_begin(msg, error, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(msg, &domains);
        if (r < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "missing argument: domains (as)");
        for (; domains && domains[n]; n++)
                if (request_check_arg(REQUEST_ARG_DOMAIN, domains[n], &why) != REQUEST_OK)
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, why);
        r = manager_advise(m, domains, n, &report, &why);
        if (r < 0)
                return r == -ENOMEM ? r : sd_bus_error_set(error, KT_BUS_ERROR_REFUSED, why ?: strerror(-r));
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "su", active_or_empty(m), (uint32_t) report.n_domains);
        if (r >= 0)
                r = append_findings(reply, &report);
        advise_report_done(&report);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable daemon_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("ActiveProfile", "s", property_active_profile, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("ListProfiles", "", , "a(ss)", SD_BUS_PARAM(profiles),
                                 method_list_profiles, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ActiveProfile", "", , "ss", SD_BUS_PARAM(name) SD_BUS_PARAM(reason),
                                 method_active_profile, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SwitchProfile", "s", SD_BUS_PARAM(name), "", ,
                                 method_switch_profile, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Off", "", "", method_off, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Verify", "", , "a(ssss)", SD_BUS_PARAM(drifted),
                                 method_verify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Diff", "s", SD_BUS_PARAM(name), "a(ssss)", SD_BUS_PARAM(changes),
                                 method_diff, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ProfileInfo", "s", SD_BUS_PARAM(name), "sssasa(sss)",
                                 SD_BUS_PARAM(name) SD_BUS_PARAM(summary) SD_BUS_PARAM(file)
                                 SD_BUS_PARAM(includes) SD_BUS_PARAM(settings),
                                 method_profile_info, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Recommend", "", , "ss", SD_BUS_PARAM(name) SD_BUS_PARAM(reason),
                                 method_recommend, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Reload", "", "", method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Status", "", , "a(ss)", SD_BUS_PARAM(lines),
                                 method_status, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Domains", "", , "a(sssss)", SD_BUS_PARAM(domains),
                                 method_domains, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("DomainEvent", "ss", SD_BUS_PARAM(domain) SD_BUS_PARAM(event), "", ,
                                 method_domain_event, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Advise", "as", SD_BUS_PARAM(domains), "sua(sssssss)",
                                 SD_BUS_PARAM(profile) SD_BUS_PARAM(checked) SD_BUS_PARAM(findings),
                                 method_advise, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_add_daemon_object(sd_bus *bus, struct manager *m) {
        return sd_bus_add_object_vtable(bus, NULL, KT_BUS_PATH, KT_BUS_INTERFACE, daemon_vtable, m);
}

void bus_emit_active_changed(sd_bus *bus) {
        (void) sd_bus_emit_properties_changed(bus, KT_BUS_PATH, KT_BUS_INTERFACE, "ActiveProfile", NULL);
}
