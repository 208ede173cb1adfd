/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "advise-domain.h"

/* vcpupin entries naming a single CPU: the 1:1 pinning dedicated CPUs get. */
static int load_pins(struct advise_domain *d) {
        _cleanup_xpath_ xmlXPathObjectPtr pins = NULL;

        d->pin = malloc(sizeof(int) * (d->vcpus ?: 1));
        if (!d->pin)
                return -ENOMEM;
        for (unsigned i = 0; i < d->vcpus; i++)
                d->pin[i] = -1;
        pins = domxml_select(&d->xml, NULL, "/domain/cputune/vcpupin");
        for (size_t i = 0; i < domxml_n_nodes(pins); i++) {
                xmlNodePtr n = domxml_node(pins, i);
                _cleanup_free_ char *set = domxml_string(&d->xml, n, "@cpuset");
                uint64_t vcpu = domxml_uint(&d->xml, n, "@vcpu", UINT64_MAX);
                struct cpuset cpus;

                if (!set || vcpu >= d->vcpus || cpuset_parse(set, &cpus) < 0 || cpuset_count(&cpus) != 1)
                        continue;
                for (unsigned c = 0; c < CPUS_MAX; c++)
                        if (cpuset_has(&cpus, c)) {
                                d->pin[vcpu] = (int) c;
                                cpuset_add(&d->pinned, c);
                                break;
                        }
        }
        return 0;
}

int advise_domain_load(struct advise_domain *d, const char *name, const char *xml, char **error) {
        _cleanup_free_ char *unit = NULL;
        int r;

        *d = (struct advise_domain) {};
        r = domxml_parse(&d->xml, xml, error);
        if (r < 0)
                return r;
        d->name = domxml_string(&d->xml, NULL, "/domain/name") ?: strdup(name ?: "(unnamed)");
        if (!d->name)
                return -ENOMEM;
        d->active = domxml_has(&d->xml, NULL, "/domain/@id[. != '-1']");
        d->vcpus = (unsigned) domxml_uint(&d->xml, NULL, "/domain/vcpu/@current",
                                          domxml_uint(&d->xml, NULL, "/domain/vcpu", 1));
        if (d->vcpus == 0 || d->vcpus > CPUS_MAX)
                d->vcpus = 1;
        unit = domxml_string(&d->xml, NULL, "/domain/memory/@unit");
        d->memory_kib = domxml_scale_kib(domxml_uint(&d->xml, NULL, "/domain/memory", 0), unit);
        return load_pins(d);
}

void advise_domain_done(struct advise_domain *d) {
        domxml_done(&d->xml);
        free(d->name);
        free(d->pin);
        *d = (struct advise_domain) {};
}

void advise_device_subject(const struct advise_domain *d, xmlNodePtr dev, char *buf, size_t size) {
        /* A NIC's MAC stays; its tap name (target dev) changes per start. */
        _cleanup_free_ char *id = domxml_string(&d->xml, dev, xmlStrEqual(dev->name, BAD_CAST "interface") ?
                                                "mac/@address" : "target/@dev");

        if (!id)
                id = domxml_string(&d->xml, dev, "target/@dev");
        if (!id)
                id = domxml_string(&d->xml, dev, "alias/@name");
        snprintf(buf, size, "%s %s", (const char *) dev->name, id ?: "(unnamed)");
}

bool advise_domain_hugepages(const struct advise_domain *d, const struct advise_host *h, uint64_t *ret_size_kib) {
        _cleanup_free_ char *unit = NULL;
        uint64_t size;

        if (!domxml_has(&d->xml, NULL, "/domain/memoryBacking/hugepages"))
                return false;
        /* <page size=…> without a nodeset is the size for all guest memory;
         * with none, libvirt takes the host's default hugepage size. */
        size = domxml_uint(&d->xml, NULL, "/domain/memoryBacking/hugepages/page[1]/@size", 0);
        unit = domxml_string(&d->xml, NULL, "/domain/memoryBacking/hugepages/page[1]/@unit");
        size = size ? domxml_scale_kib(size, unit) : 0;
        *ret_size_kib = size ?: h->default_hugepagesz_kib;
        return true;
}

void advise_dedicated_cpus(const struct advise_ctx *c, struct cpuset *ret) {
        memset(ret, 0, sizeof *ret);
        for (size_t i = 0; i < c->n_doms; i++)
                for (size_t k = 0; k < ELEMENTSOF(ret->bits); k++)
                        ret->bits[k] |= c->doms[i].pinned.bits[k];
}

void advise_format_kib(uint64_t kib, char *buf, size_t size) {
        if (kib && kib % (1024 * 1024) == 0)
                snprintf(buf, size, "%" PRIu64 " GiB", kib / (1024 * 1024));
        else if (kib && kib % 1024 == 0)
                snprintf(buf, size, "%" PRIu64 " MiB", kib / 1024);
        else
                snprintf(buf, size, "%" PRIu64 " KiB", kib);
}

int advise_each(struct advise_ctx *c, const char *expr,
                int (*f)(struct advise_ctx *c, xmlNodePtr node, const char *subject)) {
        _cleanup_xpath_ xmlXPathObjectPtr set = domxml_select(&c->dom->xml, NULL, expr);

        for (size_t i = 0; i < domxml_n_nodes(set); i++) {
                char subject[ADVISE_SUBJECT_MAX];
                int r;

                advise_device_subject(c->dom, domxml_node(set, i), subject, sizeof subject);
                r = f(c, domxml_node(set, i), subject);
                if (r < 0)
                        return r;
        }
        return 0;
}
