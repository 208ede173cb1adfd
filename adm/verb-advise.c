/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kvmtuned-adm advise [DOMAIN...]: the daemon audits, this prints the
 * report (daemon/advise-format.c) and exits 0, 1 or 2 by its worst
 * finding, so a CI job can gate domain definitions on it. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "advise.h"
#include "kvmtuned/names.h"
#include "verbs.h"

static int read_finding(struct dbus_message *reply, struct advise_report *report) {
        const char *rule, *severity, *domain, *subject, *message, *fix, *source;
        struct advise_finding f = {};
        int r, s;

        r = dbus_message_read(reply, "(sssssss)", &rule, &severity, &domain, &subject, &message, &fix, &source);
        if (r <= 0)
                return r;
        s = advise_severity_from_string(severity);
        if (s < 0)
                return -EBADMSG;
        /* rule and source stay in the reply, which outlives the report. */
        f = (struct advise_finding) {
                .rule = rule,
                .severity = (enum advise_severity) s,
                .domain = *domain ? strdup(domain) : NULL,
                .subject = strdup(subject),
                .message = strdup(message),
                .fix = strdup(fix),
                .source = source,
        };
        if ((*domain && !f.domain) || !f.subject || !f.message || !f.fix || advise_report_push(report, &f) < 0) {
                advise_finding_done(&f);
                return -ENOMEM;
        }
        return 1;
}

static int read_report(struct dbus_message *reply, const char **profile, struct advise_report *report) {
        uint32_t checked = 0;
        int r;

        r = dbus_message_read(reply, "su", profile, &checked);
        if (r == 0)
                r = -EBADMSG;           /* the reply ended early */
        if (r >= 0)
                r = dbus_message_enter(reply, 'a', "(sssssss)");
        while (r > 0)
                r = read_finding(reply, report);
        if (r >= 0)
                r = dbus_message_exit(reply);
        report->n_domains = checked;
        return r;
}

/* advise takes --json among its domain names too ("advise web1 --json"),
 * as its synopsis shows; "--" ends options, for a domain named "-x". */
static int take_options(struct adm *a, char **args) {
        bool names_only = false;
        char **out = args;

        for (char **in = args; *in; in++) {
                if (!names_only && streq(*in, "--"))
                        names_only = true;
                else if (!names_only && (streq(*in, "--json") || streq(*in, "-j")))
                        a->json = true;
                else if (!names_only && (*in)[0] == '-')
                        return adm_error("unknown option '%s' for advise (see --help)", *in);
                else
                        *out++ = *in;
        }
        *out = NULL;
        return 0;
}

int verb_advise(struct adm *a, char **args) {
        _cleanup_(dbus_message_done) struct dbus_message reply = {};
        struct advise_report report = {};
        struct strbuf out = {};
        const char *profile = NULL;
        int r;

        r = take_options(a, args);
        if (r < 0)
                return r;
        for (char **d = args; *d; d++)
                if (!kt_domain_name_valid(*d))
                        return adm_error("invalid domain name '%s': 1 to %d characters, no '/' and no control "
                                         "characters", *d, KT_DOMAIN_NAME_MAX);
        r = adm_call_strv(a, "Advise", &reply, args);
        if (r < 0)
                return r;
        r = read_report(&reply, &profile, &report);
        if (r < 0) {
                advise_report_done(&report);
                return adm_bad_reply(r);
        }
        if (!*profile)
                profile = "(none)";
        r = a->json ? advise_format_json(&report, profile, &out) : advise_format_text(&report, profile, &out);
        if (r >= 0) {
                enum advise_severity worst = advise_report_worst(&report);

                fputs(out.s ?: "", stdout);
                r = worst == ADVISE_ERROR ? 2 : worst == ADVISE_WARNING ? 1 : 0;
        } else
                r = adm_error("out of memory");
        strbuf_done(&out);
        advise_report_done(&report);
        return r;
}
