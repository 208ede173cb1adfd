/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `kvmtuned-adm advise`: audit domain XML and the host's boot settings
 * against the active profile. The engine runs every rule of the rule table
 * over each domain and over the host and returns findings graded by the
 * profile: each with why it matters, the concrete fix and where the advice
 * comes from. Nothing here changes the host. */

#include <stddef.h>

#include "strbuf.h"

struct hostfs;

enum advise_severity {
        ADVISE_OFF,             /* the rule does not apply under this profile */
        ADVISE_INFO,
        ADVISE_WARNING,
        ADVISE_ERROR,
        _ADVISE_SEVERITY_MAX,
};

/* The profiles a rule grades differently; any other profile name is graded
 * as ADVISE_DEFAULT. */
enum advise_profile {
        ADVISE_DEFAULT,
        ADVISE_VIRTUAL_HOST,
        ADVISE_VIRTUAL_GUEST,
        ADVISE_LATENCY,
        ADVISE_DENSITY,
        _ADVISE_PROFILE_MAX,
};

struct advise_finding {
        const char *rule;               /* the rule's id, e.g. "disk-cache-unsafe" */
        enum advise_severity severity;
        char *domain;                   /* NULL: the host */
        char *subject;                  /* "disk vda", "interface 52:54:00:…", "kernel command line" */
        char *message;                  /* why it matters, with this case's details */
        char *fix;                      /* the XML snippet, virsh or kernel command-line change */
        const char *source;             /* where the advice comes from */
};

struct advise_report {
        struct advise_finding *findings;
        size_t n, cap;
        size_t n_domains;               /* how many domains were audited */
};

/* One domain as given to the engine: its name (for messages when the XML
 * cannot be read) and its XML as virDomainGetXMLDesc returns it. */
struct advise_input {
        char *name;
        char *xml;
};

enum advise_profile advise_profile_from_name(const char *name);
const char *advise_severity_to_string(enum advise_severity s);
/* The severity named s, or -EINVAL. */
int advise_severity_from_string(const char *s);

/* Run every rule over the domains and the host (read under h) as profile
 * grades them. Findings are sorted: host first, then domains by name, the
 * most severe first. A domain whose XML does not parse is an error with
 * *error naming it. */
int advise_run(const struct hostfs *h, const char *profile, const struct advise_input *domains, size_t n,
               struct advise_report *ret, char **error);

/* The highest severity in the report (ADVISE_OFF when empty): the exit code
 * of `kvmtuned-adm advise` is 0, 1 or 2 from it. */
enum advise_severity advise_report_worst(const struct advise_report *r);

/* Move *f into the report (f is left empty); -ENOMEM leaves f as it was. */
int advise_report_push(struct advise_report *r, struct advise_finding *f);
void advise_finding_done(struct advise_finding *f);
void advise_report_done(struct advise_report *r);

/* Read-only: fetch the XML of the named domains (all active domains when
 * n is 0) through a connection of its own to uri, closed afterwards. */
int advise_fetch(const char *uri, char *const *names, size_t n, struct advise_input **ret, size_t *ret_n,
                 char **error);
void advise_inputs_free(struct advise_input *in, size_t n);

/* The report as people read it, and as --json. */
int advise_format_text(const struct advise_report *r, const char *profile, struct strbuf *out);
int advise_format_json(const struct advise_report *r, const char *profile, struct strbuf *out);
