/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Domain XML for the advise rules: one parsed document with an XPath
 * context, so a rule states what it looks at as an XPath expression. */

#include <stdbool.h>
#include <stdint.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "kvmtuned/macro.h"

struct domxml {
        xmlDocPtr doc;
        xmlXPathContextPtr xp;
};

/* Parse xml; on failure *error says why (with the line). */
int domxml_parse(struct domxml *d, const char *xml, char **error);
void domxml_done(struct domxml *d);

/* The nodes expr selects from node (NULL: the document root). Never NULL
 * on success; free with xmlXPathFreeObject (or _cleanup_xpath_). */
xmlXPathObjectPtr domxml_select(const struct domxml *d, xmlNodePtr node, const char *expr);
size_t domxml_n_nodes(const xmlXPathObject *set);
xmlNodePtr domxml_node(const xmlXPathObject *set, size_t i);

/* string(expr) evaluated at node, or NULL when it is empty (or on ENOMEM). */
char *domxml_string(const struct domxml *d, xmlNodePtr node, const char *expr);
/* Whether expr selects anything (boolean(expr)). */
bool domxml_has(const struct domxml *d, xmlNodePtr node, const char *expr);
/* number(expr) as an unsigned integer; def when empty or not a number. */
uint64_t domxml_uint(const struct domxml *d, xmlNodePtr node, const char *expr, uint64_t def);
/* Whether string(expr) is one of the NULL-terminated words. */
bool domxml_is(const struct domxml *d, xmlNodePtr node, const char *expr, const char *const *words);

/* A libvirt size (memory, hugepage size) in KiB: value scaled by unit
 * ("KiB" when NULL); 0 for an unknown unit. */
uint64_t domxml_scale_kib(uint64_t value, const char *unit);

static inline void xpath_freep(xmlXPathObjectPtr *p) {
        if (*p)
                xmlXPathFreeObject(*p);
}
#define _cleanup_xpath_ _cleanup_(xpath_freep)
