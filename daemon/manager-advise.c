/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The manager's advise entry point: domain XML from libvirt, the host
 * under --root, graded by the active profile. */

#include <stdio.h>

#include "advise.h"
#include "libvirt-module.h"
#include "manager.h"

/* The profile the rules grade by: the active one when it is a shipped
 * profile, else the first shipped profile it includes (a local
 * "my-latency" that includes latency is graded as latency). */
static const char *grading_profile(const struct manager *m) {
        if (!m->active)
                return NULL;
        if (advise_profile_from_name(m->active->name) != ADVISE_DEFAULT)
                return m->active->name;
        for (size_t i = 0; i < m->active->n_includes; i++)
                if (advise_profile_from_name(m->active->includes[i]) != ADVISE_DEFAULT)
                        return m->active->includes[i];
        return m->active->name;
}

int manager_advise(struct manager *m, char *const *domains, size_t n, struct advise_report *ret, char **error) {
        const struct libvirt_module *lv;

        /* No libvirt: the host alone can still be audited. */
        if (!uses_libvirt(m) && n > 0) {
                if (asprintf(error, "Cannot audit domain %s: the daemon runs without libvirt "
                             "(--libvirt-uri none)", domains[0]) < 0)
                        *error = NULL;
                return -ENOTCONN;
        }
        /* The rules read domain XML with libxml2: they live in the module. */
        lv = libvirt_module_load();
        if (!lv) {
                if (asprintf(error, "Cannot audit: the libvirt module is not loaded (see the daemon's log)") < 0)
                        *error = NULL;
                return -ELIBACC;
        }
        return lv->advise(&m->host.fs, uses_libvirt(m) ? m->opts->libvirt_uri : NULL, grading_profile(m), domains,
                          n, ret, error);
}
