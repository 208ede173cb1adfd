/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The domain part of the host API (kvmtuned/plugin.h): pinning requests
 * become settings of the "libvirt" backend tagged with the domain's UUID,
 * so they are journaled, verified and rolled back like any other, and
 * forgotten when the domain stops. */

#include <stdio.h>
#include <stdlib.h>

#include "ctx.h"
#include "libvirt-module.h"
#include "log.h"

static const struct backend *pin_backend(struct kt_ctx *ctx) {
        return tunables_backend(&ctx->host->tunables, KT_LIBVIRT_BACKEND);
}

static int move_domain(struct kt_ctx *ctx, const struct kt_domain *dom, const struct kt_pinning *pin) {
        const struct backend *be = pin_backend(ctx);
        struct plan plan = {};
        char key[96];             /* a 36-character UUID and "/emulator" */
        int r = 0;

        if (!be)
                return -ENOTCONN;
        if (ctx->mode != CTX_LIVE)
                return -EPERM;
        for (unsigned i = 0; pin && i < pin->n_vcpus && r >= 0; i++) {
                if (!pin->vcpu_cpus[i])
                        continue;
                snprintf(key, sizeof key, "%s/vcpu%u", dom->uuid, i);
                r = plan_add(&plan, be, key, pin->vcpu_cpus[i], NULL, ctx->name, dom->uuid);
        }
        if (r >= 0 && pin && pin->emulator_cpus) {
                snprintf(key, sizeof key, "%s/emulator", dom->uuid);
                r = plan_add(&plan, be, key, pin->emulator_cpus, NULL, ctx->name, dom->uuid);
        }
        if (r >= 0 && pin && pin->memory_nodes) {
                snprintf(key, sizeof key, "%s/memory", dom->uuid);
                r = plan_add(&plan, be, key, pin->memory_nodes, NULL, ctx->name, dom->uuid);
        }
        if (r >= 0)
                r = tunables_apply_device(&ctx->host->tunables, &plan, dom->uuid);
        plan_done(&plan);
        return r;
}

int kt_pin_domain(struct kt_ctx *ctx, const struct kt_domain *dom, const struct kt_pinning *pin) {
        return move_domain(ctx, dom, pin);
}

int kt_unpin_domain(struct kt_ctx *ctx, const struct kt_domain *dom) {
        return move_domain(ctx, dom, NULL);
}

void kt_domain_report(struct kt_ctx *ctx, const struct kt_domain *dom, const char *policy, const char *cpus,
                      const char *nodes, const char *note) {
        const struct backend *be = pin_backend(ctx);

        /* The backend is there only while the libvirt module is connected. */
        if (be && libvirt_module()->domain_report(be->userdata, dom->uuid, policy, cpus, nodes, note) < 0)
                log_debug("Domain %s: placement report dropped.", dom->name);
}
