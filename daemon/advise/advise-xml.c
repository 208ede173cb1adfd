/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <strings.h>
#include <libxml/parser.h>
#include <libxml/xpathInternals.h>

#include "advise-xml.h"

/* libvirt's namespace for raw QEMU arguments (<qemu:commandline>). */
#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

/* The first error is the one that explains the rest ("tag mismatch" before
 * "premature end of data"). */
static void first_error(void *userdata, xmlErrorPtr e) {
        char **first = userdata;

        if (*first || !e)
                return;
        if (asprintf(first, "line %d: %s", e->line, e->message ?: "not XML") < 0)
                *first = NULL;
        else
                (*first)[strcspn(*first, "\n")] = '\0';
}

int domxml_parse(struct domxml *d, const char *xml, char **error) {
        char *first = NULL;

        *d = (struct domxml) {};
        /* NONET: a domain's XML never makes us fetch anything. */
        xmlSetStructuredErrorFunc(&first, first_error);
        d->doc = xmlReadMemory(xml, (int) strlen(xml), "domain.xml", NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlSetStructuredErrorFunc(NULL, NULL);
        if (!d->doc) {
                if (error)
                        *error = first ?: strdup("not XML");
                else
                        free(first);
                return -EINVAL;
        }
        free(first);
        if (!xmlDocGetRootElement(d->doc) || !xmlStrEqual(xmlDocGetRootElement(d->doc)->name, BAD_CAST "domain")) {
                domxml_done(d);
                if (error)
                        *error = strdup("the root element is not <domain>");
                return -EINVAL;
        }
        d->xp = xmlXPathNewContext(d->doc);
        if (!d->xp || xmlXPathRegisterNs(d->xp, BAD_CAST "qemu", BAD_CAST QEMU_NS) < 0) {
                domxml_done(d);
                return -ENOMEM;
        }
        return 0;
}

void domxml_done(struct domxml *d) {
        if (d->xp)
                xmlXPathFreeContext(d->xp);
        if (d->doc)
                xmlFreeDoc(d->doc);
        *d = (struct domxml) {};
}

static xmlXPathObjectPtr eval(const struct domxml *d, xmlNodePtr node, const char *expr) {
        return xmlXPathNodeEval(node ?: xmlDocGetRootElement(d->doc), BAD_CAST expr, d->xp);
}

xmlXPathObjectPtr domxml_select(const struct domxml *d, xmlNodePtr node, const char *expr) {
        return eval(d, node, expr);
}

size_t domxml_n_nodes(const xmlXPathObject *set) {
        if (!set || set->type != XPATH_NODESET || !set->nodesetval)
                return 0;
        return (size_t) set->nodesetval->nodeNr;
}

xmlNodePtr domxml_node(const xmlXPathObject *set, size_t i) {
        return set->nodesetval->nodeTab[i];
}

char *domxml_string(const struct domxml *d, xmlNodePtr node, const char *expr) {
        _cleanup_free_ char *full = NULL;
        _cleanup_xpath_ xmlXPathObjectPtr o = NULL;

        if (asprintf(&full, "string(%s)", expr) < 0)
                return NULL;
        o = eval(d, node, full);
        if (!o || o->type != XPATH_STRING || !o->stringval || !o->stringval[0])
                return NULL;
        return strdup((const char *) o->stringval);
}

bool domxml_has(const struct domxml *d, xmlNodePtr node, const char *expr) {
        _cleanup_xpath_ xmlXPathObjectPtr o = eval(d, node, expr);

        return o && xmlXPathCastToBoolean(o);
}

uint64_t domxml_uint(const struct domxml *d, xmlNodePtr node, const char *expr, uint64_t def) {
        _cleanup_free_ char *s = domxml_string(d, node, expr);
        unsigned long long v;
        char *end;

        if (!s)
                return def;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-')
                return def;
        return v;
}

bool domxml_is(const struct domxml *d, xmlNodePtr node, const char *expr, const char *const *words) {
        _cleanup_free_ char *s = domxml_string(d, node, expr);

        for (; s && *words; words++)
                if (streq(s, *words))
                        return true;
        return false;
}

uint64_t domxml_scale_kib(uint64_t value, const char *unit) {
        static const struct {
                const char *name;
                uint64_t bytes;
        } units[] = {
                { "b", 1 }, { "bytes", 1 },
                { "KB", 1000 }, { "k", 1024 }, { "KiB", 1024 },
                { "MB", 1000000 }, { "M", 1024 * 1024 }, { "MiB", 1024 * 1024 },
                { "GB", 1000000000 }, { "G", 1024 * 1024 * 1024 }, { "GiB", 1024 * 1024 * 1024 },
                { "TB", UINT64_C(1000000000000) }, { "T", UINT64_C(1) << 40 }, { "TiB", UINT64_C(1) << 40 },
        };
        uint64_t bytes;

        if (!unit)
                return value;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(unit, units[i].name)) {
                        if (__builtin_mul_overflow(value, units[i].bytes, &bytes))
                                return UINT64_MAX / 1024;
                        return bytes / 1024 + (bytes % 1024 != 0);
                }
        return 0;
}
