/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The advise report as text for people and as JSON for CI. */

#include <stdbool.h>
#include <stdio.h>

#include "advise.h"

static void count(const struct advise_report *r, size_t n[_ADVISE_SEVERITY_MAX]) {
        for (size_t i = 0; i < _ADVISE_SEVERITY_MAX; i++)
                n[i] = 0;
        for (size_t i = 0; i < r->n; i++)
                n[r->findings[i].severity]++;
}

int advise_format_text(const struct advise_report *r, const char *profile, struct strbuf *out) {
        size_t n[_ADVISE_SEVERITY_MAX];
        const char *last = NULL;
        int k;

        count(r, n);
        if (r->n == 0)
                return strbuf_appendf(out, "Profile %s: nothing to advise (%zu domain%s and the host checked).\n",
                                      profile, r->n_domains, r->n_domains == 1 ? "" : "s");
        k = strbuf_appendf(out, "Profile %s: %zu error%s, %zu warning%s, %zu info (%zu domain%s and the host "
                           "checked).\n", profile, n[ADVISE_ERROR], n[ADVISE_ERROR] == 1 ? "" : "s",
                           n[ADVISE_WARNING], n[ADVISE_WARNING] == 1 ? "" : "s", n[ADVISE_INFO], r->n_domains,
                           r->n_domains == 1 ? "" : "s");
        for (size_t i = 0; k >= 0 && i < r->n; i++) {
                const struct advise_finding *f = &r->findings[i];

                if (i == 0 || !streq_ptr(last, f->domain))
                        k = f->domain ? strbuf_appendf(out, "\nDomain %s:\n", f->domain)
                                      : strbuf_append(out, "\nHost:\n");
                last = f->domain;
                if (k >= 0)
                        k = strbuf_appendf(out, "  %s [%s] %s: %s\n      fix: %s\n      source: %s\n",
                                           advise_severity_to_string(f->severity), f->rule, f->subject, f->message,
                                           f->fix, f->source);
        }
        return k < 0 ? -ENOMEM : 0;
}

static int json_string(struct strbuf *out, const char *s) {
        int k = strbuf_append_char(out, '"');

        for (; k >= 0 && s && *s; s++) {
                unsigned char ch = (unsigned char) *s;

                if (ch == '"' || ch == '\\')
                        k = strbuf_appendf(out, "\\%c", ch);
                else if (ch == '\n')
                        k = strbuf_append(out, "\\n");
                else if (ch < 0x20)
                        k = strbuf_appendf(out, "\\u%04x", ch);
                else
                        k = strbuf_append_char(out, (char) ch);
        }
        return k < 0 ? k : strbuf_append_char(out, '"');
}

static int json_field(struct strbuf *out, const char *name, const char *value, bool last) {
        int k = strbuf_appendf(out, "\"%s\":", name);

        if (k >= 0)
                k = value ? json_string(out, value) : strbuf_append(out, "null");
        if (k >= 0 && !last)
                k = strbuf_append_char(out, ',');
        return k;
}

int advise_format_json(const struct advise_report *r, const char *profile, struct strbuf *out) {
        size_t n[_ADVISE_SEVERITY_MAX];
        int k;

        count(r, n);
        k = strbuf_append(out, "{");
        if (k >= 0)
                k = json_field(out, "profile", profile, false);
        if (k >= 0)
                k = strbuf_appendf(out, "\"domains\":%zu,\"errors\":%zu,\"warnings\":%zu,\"infos\":%zu,\"findings\":[",
                                   r->n_domains, n[ADVISE_ERROR], n[ADVISE_WARNING], n[ADVISE_INFO]);
        for (size_t i = 0; k >= 0 && i < r->n; i++) {
                const struct advise_finding *f = &r->findings[i];

                k = strbuf_append(out, i ? ",{" : "{");
                if (k >= 0)
                        k = json_field(out, "rule", f->rule, false);
                if (k >= 0)
                        k = json_field(out, "severity", advise_severity_to_string(f->severity), false);
                if (k >= 0)
                        k = json_field(out, "domain", f->domain, false);
                if (k >= 0)
                        k = json_field(out, "subject", f->subject, false);
                if (k >= 0)
                        k = json_field(out, "message", f->message, false);
                if (k >= 0)
                        k = json_field(out, "fix", f->fix, false);
                if (k >= 0)
                        k = json_field(out, "source", f->source, true);
                if (k >= 0)
                        k = strbuf_append_char(out, '}');
        }
        if (k >= 0)
                k = strbuf_append(out, "]}\n");
        return k < 0 ? -ENOMEM : 0;
}
