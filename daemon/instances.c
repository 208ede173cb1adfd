/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>

#include "enumerate.h"
#include "instances.h"
#include "log.h"

void plugins_probe(struct plugins *ps, struct host *host) {
        for (size_t i = 0; i < ps->n; i++) {
                struct plugin *p = &ps->a[i];
                struct kt_ctx *ctx;
                int r;

                p->supported = true;
                if (!p->desc->probe)
                        continue;
                ctx = ctx_new(p, NULL, host);
                if (!ctx) {
                        log_oom();
                        continue;
                }
                ctx->mode = CTX_PROBE;
                r = p->desc->probe(ctx);
                if (r != KT_PROBE_SUPPORTED) {
                        p->supported = false;
                        free(p->unsupported_reason);
                        p->unsupported_reason = strdup(ctx->unsupported ?: (r < 0 ? strerror(-r) : "not supported"));
                        log_info("Plugin %s: not supported here: %s.", p->desc->name, strna(p->unsupported_reason));
                }
                ctx_free(ctx);
        }
}

int instances_new(const struct profile *p, struct host *host, bool notices, struct instances *ret) {
        struct instances is = {};

        is.a = calloc(p->n_sections + 1, sizeof *is.a);
        if (!is.a)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_sections; i++) {
                const struct kt_section *sec = &p->sections[i];
                struct kt_ctx *ctx;

                if (!sec->owner) {
                        if (notices)
                                log_notice("%s:%u: [%s] ignored: plugin '%s' failed to load.", sec->file, sec->line,
                                           sec->name, sec->plugin);
                        continue;
                }
                if (!sec->owner->supported) {
                        if (notices)
                                log_notice("%s:%u: [%s] skipped: %s.", sec->file, sec->line, sec->name,
                                           strna(sec->owner->unsupported_reason));
                        continue;
                }
                ctx = ctx_new(sec->owner, sec, host);
                if (!ctx) {
                        instances_free(&is);
                        return -ENOMEM;
                }
                is.a[is.n++] = ctx;
        }
        *ret = is;
        return 0;
}

void instances_free(struct instances *is) {
        for (size_t i = 0; i < is->n; i++) {
                struct kt_ctx *ctx = is->a[i];
                if (ctx->plugin->desc->release)
                        ctx->plugin->desc->release(ctx);
                ctx_free(ctx);
        }
        free(is->a);
        *is = (struct instances) {};
}

static int apply_one_device(const struct kt_device *dev, void *userdata) {
        struct kt_ctx *ctx = userdata;
        int r;

        if (!devices_match(kt_get(ctx->section, "devices") ?: "*", dev->name))
                return 0;
        ctx->device = dev->name;
        r = ctx->plugin->desc->apply_device(ctx, ctx->section, dev);
        ctx->device = NULL;
        return r;
}

static int plan_instance(struct kt_ctx *ctx, struct plan *plan) {
        const struct kt_plugin *d = ctx->plugin->desc;
        int r = 0;

        ctx->mode = CTX_PLAN;
        ctx->plan = plan;
        if (d->apply)
                r = d->apply(ctx, ctx->section);
        if (r >= 0 && d->subsystem && d->apply_device)
                r = enumerate_devices(&ctx->host->fs, d->subsystem, apply_one_device, ctx);
        ctx->plan = NULL;
        return r;
}

int instances_plan(struct instances *is, struct plan *plan, char **error) {
        for (size_t i = 0; i < is->n; i++) {
                struct kt_ctx *ctx = is->a[i];
                int r = plan_instance(ctx, plan);

                if (r < 0) {
                        if (ctx->error)
                                *error = TAKE_PTR(ctx->error);
                        else if (asprintf(error, "%s:%u: [%s] %s", ctx->section->file, ctx->section->line,
                                          ctx->name, strerror(-r)) < 0)
                                *error = NULL;
                        return r;
                }
        }
        return 0;
}

int instances_plan_device(struct instances *is, const struct kt_device *dev, struct plan *plan) {
        for (size_t i = 0; i < is->n; i++) {
                struct kt_ctx *ctx = is->a[i];
                const struct kt_plugin *d = ctx->plugin->desc;
                enum ctx_mode saved = ctx->mode;
                int r;

                if (!d->subsystem || !d->apply_device || !streq(d->subsystem, dev->subsystem))
                        continue;
                ctx->mode = CTX_PLAN;
                ctx->plan = plan;
                r = apply_one_device(dev, ctx);
                ctx->plan = NULL;
                ctx->mode = saved;
                if (r < 0) {
                        log_warning("%s", ctx->error ?: "device settings refused");
                        free(ctx->error);
                        ctx->error = NULL;
                }
        }
        return 0;
}

void instances_go_live(struct instances *is) {
        for (size_t i = 0; i < is->n; i++)
                is->a[i]->mode = CTX_LIVE;
}

void instances_sample(struct instances *is, const struct kt_sample *s) {
        for (size_t i = 0; i < is->n; i++) {
                struct kt_ctx *ctx = is->a[i];

                if (ctx->mode == CTX_LIVE && ctx->plugin->desc->on_sample)
                        ctx->plugin->desc->on_sample(ctx, s);
        }
}

void instances_status(struct instances *is, struct strbuf *out) {
        for (size_t i = 0; i < is->n; i++) {
                struct kt_ctx *ctx = is->a[i];
                struct kt_status st = { .buf = out, .prefix = ctx->name };

                if (ctx->plugin->desc->status)
                        ctx->plugin->desc->status(ctx, &st);
        }
}
