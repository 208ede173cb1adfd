/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kvmtuned/macro.h"
#include "kvmtuned/names.h"
#include "output.h"
#include "verbs.h"

#define _cleanup_reply_ _cleanup_(dbus_message_done)
#define _cleanup_table_ _cleanup_(table_done)

/* Read an array of string structs ("(ss)", "(ssss)"...) into t. */
static int read_rows(struct dbus_message *reply, struct table *t) {
        char inner[TABLE_MAX_COLS + 1] = {}, sig[TABLE_MAX_COLS + 3];
        const char *c[TABLE_MAX_COLS] = {};
        int r;

        memset(inner, 's', t->n_cols);
        snprintf(sig, sizeof sig, "(%s)", inner);
        r = dbus_message_enter(reply, 'a', sig);
        while (r > 0) {
                r = dbus_message_enter(reply, 'r', inner);
                if (r <= 0)
                        break;
                for (unsigned i = 0; i < t->n_cols && r >= 0; i++)
                        r = dbus_message_read_basic(reply, 's', &c[i]);
                if (r >= 0)
                        r = dbus_message_exit(reply);
                if (r >= 0)
                        r = table_add(t, c[0], c[1], c[2], c[3], c[4]) < 0 ? -ENOMEM : 1;
        }
        if (r >= 0)
                r = dbus_message_exit(reply);
        return r < 0 ? adm_bad_reply(r) : 0;
}

static const char *cell(const struct table *t, size_t row, unsigned col) {
        return t->cells[row * t->n_cols + col];
}

/* Rows as a JSON array of objects with the given keys. */
static void json_rows(const struct table *t, const char *const *keys) {
        putchar('[');
        for (size_t r = 0; r < t->n_rows; r++) {
                fputs(r ? ", {" : "{", stdout);
                for (unsigned c = 0; c < t->n_cols; c++) {
                        if (c)
                                fputs(", ", stdout);
                        json_pair(stdout, keys[c], cell(t, r, c));
                }
                putchar('}');
        }
        putchar(']');
}

static int active_profile(struct adm *a, char **name, char **reason) {
        _cleanup_reply_ struct dbus_message reply = {};
        const char *n, *why;
        int r;

        r = adm_call(a, "ActiveProfile", &reply, NULL);
        if (r < 0)
                return r;
        r = dbus_message_read(&reply, "ss", &n, &why);
        if (r <= 0)
                return adm_bad_reply(r);
        *name = strdup(n);
        *reason = strdup(why);
        return *name && *reason ? 0 : -ENOMEM;
}

static int check_profile_name(const char *name) {
        if (kt_profile_name_valid(name))
                return 0;
        return adm_error("invalid profile name '%s': use letters, digits, '.', '_' and '-', no leading '.', "
                         "at most %d characters", name, KT_PROFILE_NAME_MAX);
}

static int verb_list(struct adm *a, char **args) {
        _cleanup_reply_ struct dbus_message reply = {};
        _cleanup_table_ struct table t = { .n_cols = 2 };
        _cleanup_free_ char *active = NULL, *reason = NULL;
        static const char *const keys[] = { "name", "summary" };
        int r;

        (void) args;
        r = adm_call(a, "ListProfiles", &reply, NULL);
        if (r >= 0)
                r = read_rows(&reply, &t);
        if (r >= 0)
                r = active_profile(a, &active, &reason);
        if (r < 0)
                return r;
        if (a->json) {
                fputs("{\"profiles\": ", stdout);
                json_rows(&t, keys);
                fputs(", \"active\": ", stdout);
                if (*active)
                        json_string(stdout, active);
                else
                        fputs("null", stdout);
                puts("}");
                return 0;
        }
        puts("Available profiles:");
        table_print(&t, stdout, "- ", (const char *const[]) { " - " });
        if (*active)
                printf("Current active profile: %s\n", active);
        else
                puts("No current active profile.");
        return 0;
}

static int verb_active(struct adm *a, char **args) {
        _cleanup_free_ char *active = NULL, *reason = NULL;
        int r;

        (void) args;
        r = active_profile(a, &active, &reason);
        if (r < 0)
                return r;
        if (a->json) {
                fputs("{\"profile\": ", stdout);
                if (*active)
                        json_string(stdout, active);
                else
                        fputs("null", stdout);
                fputs(", ", stdout);
                json_pair(stdout, "reason", reason);
                puts("}");
        } else if (*active)
                printf("Current active profile: %s\n", active);
        else
                puts("No current active profile.");
        return 0;
}

static int verb_profile(struct adm *a, char **args) {
        int r = check_profile_name(args[0]);

        return r < 0 ? r : adm_call(a, "SwitchProfile", NULL, "s", args[0]);
}

static int verb_off(struct adm *a, char **args) {
        (void) args;
        return adm_call(a, "Off", NULL, NULL);
}

static int verb_reload(struct adm *a, char **args) {
        (void) args;
        return adm_call(a, "Reload", NULL, NULL);
}

static int verb_verify(struct adm *a, char **args) {
        _cleanup_reply_ struct dbus_message reply = {};
        _cleanup_table_ struct table t = { .n_cols = 4 }, out = { .n_cols = 3 };
        _cleanup_free_ char *active = NULL, *reason = NULL;
        static const char *const keys[] = { "path", "expected", "actual", "owner" };
        int r;

        (void) args;
        r = active_profile(a, &active, &reason);
        if (r >= 0)
                r = adm_call(a, "Verify", &reply, NULL);
        if (r >= 0)
                r = read_rows(&reply, &t);
        if (r < 0)
                return r;
        if (a->json) {
                fputs("{", stdout);
                json_pair(stdout, "profile", active);
                printf(", \"ok\": %s, \"drifted\": ", t.n_rows ? "false" : "true");
                json_rows(&t, keys);
                puts("}");
        } else if (t.n_rows == 0) {
                if (*active)
                        printf("Verification succeeded: every value profile %s set is in place.\n", active);
                else
                        puts("Verification succeeded: no profile active, nothing to verify.");
        } else {
                for (size_t i = 0; i < t.n_rows; i++) {
                        _cleanup_free_ char *path = NULL, *exp = NULL, *act = NULL;

                        if (asprintf(&path, "%s:", cell(&t, i, 0)) < 0 ||
                            asprintf(&exp, "expected %s,", cell(&t, i, 1)) < 0 ||
                            asprintf(&act, "actual %s", cell(&t, i, 2)) < 0 || table_add(&out, path, exp, act) < 0)
                                return -ENOMEM;
                }
                table_print(&out, stdout, "", (const char *const[]) { " ", " " });
        }
        if (t.n_rows == 0)
                return 0;
        fflush(stdout);
        adm_error("verification failed: %zu value(s) differ from what profile %s set", t.n_rows,
                  *active ? active : "(none)");
        return -EUCLEAN;
}

static int verb_diff(struct adm *a, char **args) {
        _cleanup_reply_ struct dbus_message reply = {};
        _cleanup_table_ struct table t = { .n_cols = 4 }, out = { .n_cols = 2 };
        static const char *const keys[] = { "path", "now", "new", "owner" };
        int r;

        r = check_profile_name(args[0]);
        if (r >= 0)
                r = adm_call(a, "Diff", &reply, "s", args[0]);
        if (r >= 0)
                r = read_rows(&reply, &t);
        if (r < 0)
                return r;
        if (a->json) {
                fputs("{", stdout);
                json_pair(stdout, "profile", args[0]);
                fputs(", \"changes\": ", stdout);
                json_rows(&t, keys);
                puts("}");
                return 0;
        }
        if (t.n_rows == 0) {
                printf("No changes: the host already is as profile %s would set it.\n", args[0]);
                return 0;
        }
        for (size_t i = 0; i < t.n_rows; i++) {
                _cleanup_free_ char *path = NULL, *change = NULL;

                if (asprintf(&path, "%s:", cell(&t, i, 0)) < 0 ||
                    asprintf(&change, "%s -> %s", cell(&t, i, 1), cell(&t, i, 2)) < 0 ||
                    table_add(&out, path, change) < 0)
                        return -ENOMEM;
        }
        table_print(&out, stdout, "", (const char *const[]) { " " });
        return 0;
}

static int verb_recommend(struct adm *a, char **args) {
        _cleanup_reply_ struct dbus_message reply = {};
        const char *name, *why;
        int r;

        (void) args;
        r = adm_call(a, "Recommend", &reply, NULL);
        if (r < 0)
                return r;
        r = dbus_message_read(&reply, "ss", &name, &why);
        if (r <= 0)
                return adm_bad_reply(r);
        if (!*name)
                return adm_error("no profile fits this host: %s", *why ? why : "nothing recognised");
        puts(name);
        return 0;
}

static int read_includes(struct dbus_message *reply, char **ret) {
        struct table t = { .n_cols = 1 };
        const char *s;
        size_t len = 0;
        char *out;
        int r;

        r = dbus_message_enter(reply, 'a', "s");
        while (r > 0 && (r = dbus_message_read_basic(reply, 's', &s)) > 0) {
                r = table_add(&t, s) < 0 ? -ENOMEM : 1;
                len += strlen(s) + 2;
        }
        if (r >= 0)
                r = dbus_message_exit(reply);
        out = r >= 0 ? calloc(1, len + 2) : NULL;
        for (size_t i = 0; out && i < t.n_rows; i++) {
                if (i)
                        strcat(out, ", ");
                strcat(out, cell(&t, i, 0));
        }
        table_done(&t);
        if (r < 0)
                return adm_bad_reply(r);
        if (!out)
                return -ENOMEM;
        if (!*out)
                strcpy(out, "-");
        *ret = out;
        return 0;
}

static int verb_info(struct adm *a, char **args) {
        _cleanup_reply_ struct dbus_message reply = {};
        _cleanup_table_ struct table head = { .n_cols = 2 }, settings = { .n_cols = 3 };
        _cleanup_free_ char *includes = NULL;
        const char *name, *summary, *file;
        int r;

        r = check_profile_name(args[0]);
        if (r >= 0)
                r = adm_call(a, "ProfileInfo", &reply, "s", args[0]);
        if (r < 0)
                return r;
        r = dbus_message_read(&reply, "sss", &name, &summary, &file);
        if (r <= 0)
                return adm_bad_reply(r);
        r = read_includes(&reply, &includes);
        if (r >= 0)
                r = read_rows(&reply, &settings);
        if (r >= 0)
                r = table_add(&head, "Profile:", name);
        if (r >= 0)
                r = table_add(&head, "Summary:", summary);
        if (r >= 0)
                r = table_add(&head, "File:", file);
        if (r >= 0)
                r = table_add(&head, "Includes:", includes);
        if (r < 0)
                return r;
        table_print(&head, stdout, "", (const char *const[]) { " " });
        printf("Settings (%zu):\n", settings.n_rows);
        table_print(&settings, stdout, "  ", (const char *const[]) { " = ", "  " });
        return 0;
}

static int verb_status(struct adm *a, char **args) {
        _cleanup_reply_ struct dbus_message reply = {};
        _cleanup_table_ struct table t = { .n_cols = 2 }, out = { .n_cols = 2 };
        int r;

        (void) args;
        r = adm_call(a, "Status", &reply, NULL);
        if (r >= 0)
                r = read_rows(&reply, &t);
        if (r < 0)
                return r;
        if (a->json) {
                putchar('{');
                for (size_t i = 0; i < t.n_rows; i++) {
                        if (i)
                                fputs(", ", stdout);
                        json_pair(stdout, cell(&t, i, 0), cell(&t, i, 1));
                }
                puts("}");
                return 0;
        }
        for (size_t i = 0; i < t.n_rows; i++) {
                _cleanup_free_ char *key = NULL;

                if (asprintf(&key, "%s%s", cell(&t, i, 0), *cell(&t, i, 0) ? ":" : "") < 0 ||
                    table_add(&out, key, cell(&t, i, 1)) < 0)
                        return -ENOMEM;
        }
        table_print(&out, stdout, "", (const char *const[]) { " " });
        return 0;
}

static int verb_domains(struct adm *a, char **args) {
        _cleanup_reply_ struct dbus_message reply = {};
        _cleanup_table_ struct table t = { .n_cols = 5 }, out = { .n_cols = 5 };
        static const char *const keys[] = { "name", "policy", "cpus", "nodes", "note" };
        int r;

        (void) args;
        r = adm_call(a, "Domains", &reply, NULL);
        if (r >= 0)
                r = read_rows(&reply, &t);
        if (r < 0)
                return r;
        if (a->json) {
                json_rows(&t, keys);
                putchar('\n');
                return 0;
        }
        if (t.n_rows == 0) {
                puts("No domains tracked.");
                return 0;
        }
        r = table_add(&out, "DOMAIN", "POLICY", "CPUS", "NODES", "NOTE");
        for (size_t i = 0; r >= 0 && i < t.n_rows; i++)
                r = table_add(&out, cell(&t, i, 0), cell(&t, i, 1), *cell(&t, i, 2) ? cell(&t, i, 2) : "-",
                              *cell(&t, i, 3) ? cell(&t, i, 3) : "-", cell(&t, i, 4));
        if (r < 0)
                return r;
        table_print(&out, stdout, "", (const char *const[]) { "  ", "  ", "  ", "  " });
        return 0;
}

static int verb_domain_event(struct adm *a, char **args) {
        if (!kt_domain_name_valid(args[0]))
                return adm_error("invalid domain name '%s': 1 to %d characters, no '/' and no control characters",
                                 args[0], KT_DOMAIN_NAME_MAX);
        if (!kt_domain_event_valid(args[1]))
                return adm_error("invalid domain event '%s': expected started, stopped or release", args[1]);
        return adm_call(a, "DomainEvent", NULL, "ss", args[0], args[1]);
}

const struct verb verbs[] = {
        { "list",         "",             0, true,  "list the profiles, and the active one", verb_list },
        { "active",       "",             0, true,  "show the active profile", verb_active },
        { "profile",      "NAME",         1, false, "switch to profile NAME", verb_profile },
        { "off",          "",             0, false, "put every original value back, run with no profile", verb_off },
        { "verify",       "",             0, true,  "check that the host still has the active profile's values", verb_verify },
        { "recommend",    "",             0, false, "show the profile this host should run", verb_recommend },
        { "info",         "NAME",         1, false, "show profile NAME and what it sets here", verb_info },
        { "diff",         "NAME",         1, true,  "show what switching to NAME would change", verb_diff },
        { "status",       "",             0, true,  "show the daemon's state", verb_status },
        { "domains",      "",             0, true,  "show the tracked domains and their placement", verb_domains },
        { "reload",       "",             0, false, "re-read the active profile and apply what changed", verb_reload },
        { "domain-event", "DOMAIN EVENT", 2, false, "retune DOMAIN after EVENT (started, stopped, release)", verb_domain_event },
        { "advise",       "[DOMAIN...]",  VERB_ANY_ARGS, true, "audit domains and the host against the profile "
          "(exit 1: warnings, 2: errors, 3: could not run)", verb_advise, 3 },
        {}
};

const struct verb *verb_find(const char *name) {
        for (const struct verb *v = verbs; v->name; v++)
                if (streq(v->name, name))
                        return v;
        return NULL;
}
