/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>

#include "advise-domain.h"
#include "advise-rules.h"
#include "hostfs.h"

/* The rule table's fixes say "virsh edit DOMAIN": name the domain. */
static char *replace_word(const char *s, const char *word, const char *with) {
        struct strbuf b = {};
        const char *hit;
        int r = 0;

        while (r >= 0 && (hit = strstr(s, word))) {
                r = strbuf_append_n(&b, s, (size_t) (hit - s));
                if (r >= 0)
                        r = strbuf_append(&b, with);
                s = hit + strlen(word);
        }
        if (r >= 0)
                r = strbuf_append(&b, s);
        if (r < 0) {
                strbuf_done(&b);
                return NULL;
        }
        return strbuf_steal(&b);
}

int advise_emit(struct advise_ctx *c, const char *subject, const char *detail, const char *fix) {
        struct advise_finding f = {
                .rule = c->rule->id,
                .severity = c->severity,
                .source = c->rule->source,
        };
        int r;

        f.domain = c->dom ? strdup(c->dom->name) : NULL;
        f.subject = strdup(subject);
        f.fix = c->dom ? replace_word(fix ?: c->rule->fix, "DOMAIN", c->dom->name) : strdup(fix ?: c->rule->fix);
        if (detail) {
                if (asprintf(&f.message, "%s (%s)", c->rule->message, detail) < 0)
                        f.message = NULL;
        } else
                f.message = strdup(c->rule->message);
        if ((c->dom && !f.domain) || !f.subject || !f.fix || !f.message)
                r = -ENOMEM;
        else
                r = advise_report_push(c->report, &f);
        if (r < 0)
                advise_finding_done(&f);
        return r;
}

int advise_emitf(struct advise_ctx *c, const char *subject, const char *fix, const char *detail_fmt, ...) {
        _cleanup_free_ char *detail = NULL;
        va_list ap;
        int r;

        va_start(ap, detail_fmt);
        r = vasprintf(&detail, detail_fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return advise_emit(c, subject, detail, fix);
}

static int run_rules(struct advise_ctx *c, enum advise_profile profile, enum advise_scope scope) {
        for (size_t t = 0; t < advise_n_rule_tables; t++)
                for (size_t i = 0; i < advise_rule_tables[t]->n; i++) {
                        const struct advise_rule *rule = &advise_rule_tables[t]->rules[i];
                        int r;

                        if (rule->scope != scope || rule->severity[profile] == ADVISE_OFF)
                                continue;
                        c->rule = rule;
                        c->severity = rule->severity[profile];
                        r = rule->check(c);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* Host first, then domains by name; within each, the most severe first. */
static int finding_cmp(const struct advise_finding *x, const struct advise_finding *y) {
        int k;

        if (!x->domain != !y->domain)
                return x->domain ? 1 : -1;
        if (x->domain && (k = strcmp(x->domain, y->domain)))
                return k;
        if (x->severity != y->severity)
                return x->severity > y->severity ? -1 : 1;
        return 0;
}

/* Insertion sort: stable, so equal findings stay in table order; reports
 * hold tens of findings. */
static void sort_findings(struct advise_report *r) {
        for (size_t i = 1; i < r->n; i++) {
                struct advise_finding f = r->findings[i];
                size_t k = i;

                for (; k > 0 && finding_cmp(&r->findings[k - 1], &f) > 0; k--)
                        r->findings[k] = r->findings[k - 1];
                r->findings[k] = f;
        }
}

static void domains_free(struct advise_domain *doms, size_t n) {
        for (size_t i = 0; i < n; i++)
                advise_domain_done(&doms[i]);
        free(doms);
}

int advise_run(const struct hostfs *h, const char *profile, const struct advise_input *domains, size_t n,
               struct advise_report *ret, char **error) {
        enum advise_profile p = advise_profile_from_name(profile);
        _cleanup_free_ struct advise_host *host = NULL;
        struct advise_domain *doms = NULL;
        struct advise_report report = {};
        struct advise_ctx c = { .report = &report };
        int r;

        host = calloc(1, sizeof *host);
        doms = calloc(n ?: 1, sizeof *doms);
        if (!host || !doms) {
                free(doms);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *why = NULL;

                r = advise_domain_load(&doms[i], domains[i].name, domains[i].xml, &why);
                if (r < 0) {
                        if (error && asprintf(error, "domain %s: %s", strna(domains[i].name),
                                              why ?: "cannot be read") < 0)
                                *error = NULL;
                        domains_free(doms, n);
                        return r;
                }
        }
        r = advise_host_read(h, host);
        if (r < 0)
                goto fail;
        c.host = host;
        c.doms = doms;
        c.n_doms = n;
        r = run_rules(&c, p, ADVISE_HOST);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                c.dom = &doms[i];
                r = run_rules(&c, p, ADVISE_DOMAIN);
        }
        if (r < 0)
                goto fail;
        sort_findings(&report);
        report.n_domains = n;
        domains_free(doms, n);
        *ret = report;
        return 0;
fail:
        domains_free(doms, n);
        advise_report_done(&report);
        return r;
}
