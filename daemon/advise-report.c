/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The advise report: findings, their severities, and what the exit code
 * is made of. Shared by the daemon and kvmtuned-adm (which rebuilds a
 * report from the Advise reply to print it). */

#include "advise.h"
#include "array.h"
#include "kvmtuned/macro.h"

static const char *const severity_names[_ADVISE_SEVERITY_MAX] = {
        [ADVISE_OFF] = "off",
        [ADVISE_INFO] = "info",
        [ADVISE_WARNING] = "warning",
        [ADVISE_ERROR] = "error",
};

const char *advise_severity_to_string(enum advise_severity s) {
        return s < _ADVISE_SEVERITY_MAX ? severity_names[s] : "?";
}

int advise_severity_from_string(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(severity_names); i++)
                if (streq(s, severity_names[i]))
                        return (int) i;
        return -EINVAL;
}

int advise_report_push(struct advise_report *r, struct advise_finding *f) {
        if (ARRAY_RESERVE(r->findings, r->cap, r->n, 16) < 0)
                return -ENOMEM;
        r->findings[r->n++] = *f;
        *f = (struct advise_finding) {};
        return 0;
}

void advise_finding_done(struct advise_finding *f) {
        free(f->domain);
        free(f->subject);
        free(f->message);
        free(f->fix);
}

void advise_report_done(struct advise_report *r) {
        for (size_t i = 0; i < r->n; i++)
                advise_finding_done(&r->findings[i]);
        free(r->findings);
        *r = (struct advise_report) {};
}

enum advise_severity advise_report_worst(const struct advise_report *r) {
        enum advise_severity worst = ADVISE_OFF;

        for (size_t i = 0; i < r->n; i++)
                if (r->findings[i].severity > worst)
                        worst = r->findings[i].severity;
        return worst;
}

enum advise_profile advise_profile_from_name(const char *name) {
        static const char *const names[_ADVISE_PROFILE_MAX] = {
                [ADVISE_VIRTUAL_HOST] = "virtual-host",
                [ADVISE_VIRTUAL_GUEST] = "virtual-guest",
                [ADVISE_LATENCY] = "latency",
                [ADVISE_DENSITY] = "density",
        };

        for (size_t i = 0; name && i < ELEMENTSOF(names); i++)
                if (names[i] && streq(name, names[i]))
                        return (enum advise_profile) i;
        return ADVISE_DEFAULT;
}
