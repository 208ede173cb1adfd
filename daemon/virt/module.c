/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kvmtuned-libvirt.so: the one symbol the daemon looks up (see
 * daemon/libvirt-module.h). */

#include "advise.h"
#include "config.h"
#include "libvirt-module.h"
#include "virt.h"

static int advise(const struct hostfs *h, const char *uri, const char *profile, char *const *names, size_t n,
                  struct advise_report *ret, char **error) {
        struct advise_input *in = NULL;
        size_t n_in = 0;
        int r;

        if (uri) {
                r = advise_fetch(uri, names, n, &in, &n_in, error);
                if (r < 0)
                        return r;
        }
        r = advise_run(h, profile, in, n_in, ret, error);
        advise_inputs_free(in, n_in);
        return r;
}

__attribute__((visibility("default"))) const struct libvirt_module kt_libvirt_module = {
        .version = KT_VERSION,
        .size = sizeof(struct libvirt_module),
        .connect = virt_new,
        .disconnect = virt_free,
        .retune = virt_retune,
        .domain_event = virt_domain_event,
        .domains = virt_domains,
        .committed_kib = virt_committed_kib,
        .domain_report = virt_domain_report,
        .advise = advise,
};
