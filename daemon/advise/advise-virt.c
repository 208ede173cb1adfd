/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Domain XML for advise, from libvirt: a read-only connection of its own
 * per call, so an audit never depends on (or disturbs) the daemon's
 * connection, and works for a non-root caller's socket too. */

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>

#include "advise.h"

static void quiet(void *userdata, virErrorPtr e) {
        (void) userdata;
        (void) e;
}

static void connp(virConnectPtr *c) {
        if (*c)
                virConnectClose(*c);
}

static int fail(char **error, int r, const char *what, const char *name) {
        const char *why = virGetLastErrorMessage();

        if (error && asprintf(error, "%s%s%s: %s", what, name ? " " : "", name ?: "", why ?: "unknown error") < 0)
                *error = NULL;
        return r;
}

static int input_of(virDomainPtr dom, struct advise_input *in, char **error) {
        const char *name = virDomainGetName(dom);

        in->name = strdup(name ?: "");
        if (!in->name)
                return -ENOMEM;
        in->xml = virDomainGetXMLDesc(dom, 0);
        if (!in->xml)
                return fail(error, -EIO, "Cannot read the XML of domain", in->name);
        return 0;
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(((const struct advise_input *) a)->name, ((const struct advise_input *) b)->name);
}

void advise_inputs_free(struct advise_input *in, size_t n) {
        for (size_t i = 0; in && i < n; i++) {
                free(in[i].name);
                free(in[i].xml);
        }
        free(in);
}

int advise_fetch(const char *uri, char *const *names, size_t n, struct advise_input **ret, size_t *ret_n,
                 char **error) {
        _cleanup_(connp) virConnectPtr conn = NULL;
        virDomainPtr *all = NULL;
        struct advise_input *in = NULL;
        size_t count = n;
        int r = 0;

        virSetErrorFunc(NULL, quiet);
        conn = virConnectOpenReadOnly(uri);
        if (!conn)
                return fail(error, -ECONNREFUSED, "Cannot connect to libvirt at", uri);
        if (n == 0) {
                int k = virConnectListAllDomains(conn, &all, VIR_CONNECT_LIST_DOMAINS_ACTIVE);

                if (k < 0)
                        return fail(error, -EIO, "Cannot list the domains of", uri);
                count = (size_t) k;
        }
        in = calloc(count ?: 1, sizeof *in);
        if (!in)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < count; i++) {
                virDomainPtr dom = all ? all[i] : virDomainLookupByName(conn, names[i]);

                if (!dom) {
                        r = fail(error, -ENOENT, "No domain", names[i]);
                        break;
                }
                r = input_of(dom, &in[i], error);
                if (!all)
                        virDomainFree(dom);
        }
        for (size_t i = 0; all && i < count; i++)
                virDomainFree(all[i]);
        free(all);
        if (r < 0) {
                advise_inputs_free(in, count);
                return r;
        }
        qsort(in, count, sizeof *in, name_cmp);
        *ret = in;
        *ret_n = count;
        return 0;
}
