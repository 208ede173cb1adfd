/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The host API plugins call (declared in kvmtuned/plugin.h). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"
#include "ctx.h"
#include "log.h"

struct kt_ctx *ctx_new(const struct plugin *p, const struct kt_section *sec, struct host *host) {
        struct kt_ctx *ctx = calloc(1, sizeof *ctx);

        if (!ctx)
                return NULL;
        ctx->plugin = p;
        ctx->section = sec;
        ctx->host = host;
        ctx->name = strdup(sec ? sec->name : p->desc->name);
        if (p->desc->priv_size > 0)
                ctx->priv = calloc(1, p->desc->priv_size);
        if (!ctx->name || (p->desc->priv_size > 0 && !ctx->priv)) {
                ctx_free(ctx);
                return NULL;
        }
        return ctx;
}

void ctx_free(struct kt_ctx *ctx) {
        if (!ctx)
                return;
        free(ctx->priv);
        free(ctx->name);
        free(ctx->error);
        free(ctx->unsupported);
        free(ctx);
}

bool host_path_allowed(const char *path) {
        static const char *const roots[] = { "/sys/", "/proc/sys/", "/dev/" };
        bool under = false;

        for (size_t i = 0; i < ELEMENTSOF(roots); i++)
                if (startswith(path, roots[i]))
                        under = true;
        return under && !strstr(path, "/../") && !strstr(path, "/./") && !strstr(path, "//") &&
               !(strlen(path) >= 3 && streq(path + strlen(path) - 3, "/.."));
}

int kt_read(struct kt_ctx *ctx, const char *path, char *buf, size_t size) {
        return hostfs_read_value(&ctx->host->fs, path, buf, size);
}

int kt_read_raw(struct kt_ctx *ctx, const char *path, char *buf, size_t size) {
        return hostfs_read(&ctx->host->fs, path, buf, size);
}

bool kt_exists(struct kt_ctx *ctx, const char *path) {
        return hostfs_exists(&ctx->host->fs, path);
}

static int request(struct kt_ctx *ctx, struct backend *be, const char *key, const char *value, const char *accept) {
        struct plan one = {};
        int r;

        if (be->key_valid ? !be->key_valid(key) : !host_path_allowed(key)) {
                kt_log(ctx, KT_LOG_WARNING, "refusing to touch %s: outside /sys, /proc/sys and /dev", key);
                return -EPERM;
        }
        switch (ctx->mode) {
        case CTX_PLAN: {
                /* Two sections fighting over one setting is a profile bug:
                 * say so instead of letting the later one win silently. */
                const struct plan_item *it = plan_find(ctx->plan, be->name, key);
                if (it && it->owner && !streq(it->owner, ctx->name)) {
                        if (!ctx->error &&
                            asprintf(&ctx->error, "%s:%u: [%s] sets %s, which [%s] already sets", ctx->section->file,
                                     ctx->section->line, ctx->name, key, it->owner) < 0)
                                ctx->error = NULL;
                        return -EEXIST;
                }
                return plan_add(ctx->plan, be, key, value, accept, ctx->name, ctx->device);
        }
        case CTX_LIVE:
                r = plan_add(&one, be, key, value, accept, ctx->name, ctx->device);
                if (r >= 0)
                        r = tunables_apply(&ctx->host->tunables, &one, false);
                plan_done(&one);
                return r;
        case CTX_PROBE:
                break;
        }
        return -EPERM;
}

int kt_set(struct kt_ctx *ctx, const char *path, const char *value) {
        return request(ctx, &ctx->host->file, path, value, NULL);
}

int kt_set_dynamic(struct kt_ctx *ctx, const char *path, const char *value, const char *accept) {
        return request(ctx, &ctx->host->file, path, value, accept);
}

int kt_hold(struct kt_ctx *ctx, const char *path, int32_t value) {
        char v[16];

        snprintf(v, sizeof v, "%d", value);
        return request(ctx, &ctx->host->hold, path, v, NULL);
}

int kt_set_offload(struct kt_ctx *ctx, const char *ifname, const char *feature, bool on) {
        char key[64];
        int n = snprintf(key, sizeof key, "%s/%s", ifname, feature);

        if (n < 0 || (size_t) n >= sizeof key || !ethtool_key_valid(key))
                return -EINVAL;
        return request(ctx, &ctx->host->ethtool, key, on ? "on" : "off", NULL);
}

static const struct profile_key *find_key(const struct kt_section *sec, const char *key) {
        for (size_t i = 0; sec && i < sec->n_keys; i++)
                if (streq(sec->keys[i].key, key))
                        return &sec->keys[i];
        return NULL;
}

int kt_reject(struct kt_ctx *ctx, const char *key, const char *fmt, ...) {
        const struct profile_key *k = find_key(ctx->section, key);
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        if (ctx->error)
                return -EINVAL;
        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (k)
                r = asprintf(&ctx->error, "%s:%u: [%s] %s=%s: %s", k->file, k->line, ctx->name, key, k->value, msg);
        else if (ctx->section)
                r = asprintf(&ctx->error, "%s:%u: [%s] %s (default %s): %s", ctx->section->file, ctx->section->line,
                             ctx->name, key, strna(kt_get(ctx->section, key)), msg);
        else
                r = asprintf(&ctx->error, "%s: %s: %s", ctx->name, key, msg);
        if (r < 0)
                ctx->error = NULL;
        return -EINVAL;
}

int kt_unsupported(struct kt_ctx *ctx, const char *fmt, ...) {
        va_list ap;

        free(ctx->unsupported);
        va_start(ap, fmt);
        if (vasprintf(&ctx->unsupported, fmt, ap) < 0)
                ctx->unsupported = NULL;
        va_end(ap);
        return KT_PROBE_UNSUPPORTED;
}

void kt_log(struct kt_ctx *ctx, int level, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        if (level > log_get_level())
                return;
        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r >= 0)
                log_internal(level, 0, "%s: %s", ctx->name, msg);
}

void kt_status_add(struct kt_status *st, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r >= 0)
                (void) strbuf_appendf(st->buf, "%s%s%s: %s\n", st->prefix ?: "", st->prefix ? "." : "", key, msg);
}

void *kt_priv(struct kt_ctx *ctx) {
        return ctx->priv;
}

const struct kt_section *kt_section(struct kt_ctx *ctx) {
        return ctx->section;
}

const char *kt_instance_name(struct kt_ctx *ctx) {
        return ctx->name;
}

unsigned kt_online_cpus(struct kt_ctx *ctx, unsigned *cpus, unsigned max) {
        _cleanup_free_ struct cpuset *set = malloc(sizeof *set);
        char buf[4096];
        unsigned n = 0;

        if (!set || hostfs_read(&ctx->host->fs, "/sys/devices/system/cpu/online", buf, sizeof buf) < 0 ||
            cpuset_parse(buf, set) < 0)
                return 0;
        for (unsigned c = 0; c < CPUS_MAX && n < max; c++)
                if (cpuset_has(set, c))
                        cpus[n++] = c;
        return n;
}

/* ---- sections ---- */

const char *kt_get(const struct kt_section *sec, const char *key) {
        const struct profile_key *k = find_key(sec, key);
        const struct kt_option *o;

        if (k)
                return k->value;
        if (!sec || !sec->owner)
                return NULL;
        o = plugin_option(sec->owner, key);
        return o && !streq(o->name, "*") ? o->def : NULL;
}

long long kt_get_int(const struct kt_section *sec, const char *key, long long fallback) {
        const char *v = kt_get(sec, key);
        char *end;
        long long n;

        if (!v)
                return fallback;
        errno = 0;
        n = strtoll(v, &end, 10);
        return errno || end == v || *end ? fallback : n;
}

bool kt_get_bool(const struct kt_section *sec, const char *key, bool fallback) {
        const char *v = kt_get(sec, key);
        int b = v ? option_parse_bool(v) : -1;

        return b < 0 ? fallback : b;
}

bool kt_has(const struct kt_section *sec, const char *key) {
        return find_key(sec, key) != NULL;
}

size_t kt_section_size(const struct kt_section *sec) {
        return sec ? sec->n_keys : 0;
}

const char *kt_section_key(const struct kt_section *sec, size_t i) {
        return i < sec->n_keys ? sec->keys[i].key : NULL;
}

const char *kt_section_value(const struct kt_section *sec, size_t i) {
        return i < sec->n_keys ? sec->keys[i].value : NULL;
}

bool kt_word_in_list(const char *list, const char *word) {
        return word_in_list(list, word);
}

const char *kt_first_available(const char *wanted, const char *list, char *buf, size_t size) {
        for (const char *p = wanted; *p;) {
                size_t n = strcspn(p, "|");
                if (n > 0 && n < size) {
                        memcpy(buf, p, n);
                        buf[n] = '\0';
                        if (word_in_list(list, buf))
                                return buf;
                }
                p += n;
                p += *p == '|';
        }
        return NULL;
}
