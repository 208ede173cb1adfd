/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "ctx.h"
#include "log.h"
#include "manager.h"
#include "retry.h"
#include "virt-event.h"
#include "virt.h"

#define KT_XMLNS          "https://kvmtuned.org/xmlns/tuning/1"
#define KEEPALIVE_S       5
#define KEEPALIVE_COUNT   3

struct virt_domain {
        char uuid[VIR_UUID_STRING_BUFLEN];
        char *name;
        int id;
        unsigned n_vcpus;
        uint64_t memory_kib;
        char *policy;                   /* from its metadata, or NULL */
        char *r_policy, *r_cpus, *r_nodes, *r_note;     /* as placed */
        bool seen;                      /* reconcile mark */
};

struct virt {
        struct manager *m;
        char *uri;
        virConnectPtr conn;
        bool lost;                      /* the close callback fired */
        int lifecycle_id, metadata_id;
        struct retry retry;             /* reconnecting while libvirtd is away */
        bool failing;                   /* said once that libvirt is not there */
        bool missed;                    /* see virt_missed() */
        struct virt_domain **doms;
        size_t n_doms;
        struct backend backend;
};

static void quiet_errors(void *userdata, virErrorPtr err) {
        (void) userdata;
        (void) err;     /* reported by the caller, once */
}

virConnectPtr virt_connection(struct virt *v) {
        return v && !v->lost ? v->conn : NULL;
}

void virt_missed(struct virt *v) {
        v->missed = true;
}

/* ---- tracked domains ---- */

static void domain_report_clear(struct virt_domain *d) {
        free(d->r_policy), free(d->r_cpus), free(d->r_nodes), free(d->r_note);
        d->r_policy = d->r_cpus = d->r_nodes = d->r_note = NULL;
}

static void domain_free(struct virt_domain *d) {
        if (!d)
                return;
        domain_report_clear(d);
        free(d->name);
        free(d->policy);
        free(d);
}

static struct virt_domain *find_uuid(struct virt *v, const char *uuid) {
        for (size_t i = 0; i < v->n_doms; i++)
                if (streq(v->doms[i]->uuid, uuid))
                        return v->doms[i];
        return NULL;
}

static struct virt_domain *find_name(struct virt *v, const char *name) {
        for (size_t i = 0; i < v->n_doms; i++)
                if (streq(v->doms[i]->name, name))
                        return v->doms[i];
        return NULL;
}

/* policy="..." from <kvmtuned:tuning policy="dedicated"/>. */
static char *metadata_policy(virDomainPtr dom) {
        _cleanup_free_ char *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, KT_XMLNS,
                                                        VIR_DOMAIN_AFFECT_LIVE);
        const char *p;
        size_t n;

        if (!xml || !(p = strstr(xml, "policy=")) || (p[7] != '"' && p[7] != '\''))
                return NULL;
        n = strcspn(p + 8, "\"'");
        return strndup(p + 8, n);
}

static int domain_read(virDomainPtr dom, struct virt_domain *d) {
        virDomainInfo info;
        const char *name;

        if (virDomainGetUUIDString(dom, d->uuid) < 0 || virDomainGetInfo(dom, &info) < 0 ||
            !(name = virDomainGetName(dom)))
                return -EIO;
        free(d->name);
        d->name = strdup(name);
        if (!d->name)
                return -ENOMEM;
        d->id = (int) virDomainGetID(dom);
        d->n_vcpus = info.nrVirtCpu;
        d->memory_kib = info.memory;
        free(d->policy);
        d->policy = metadata_policy(dom);
        return 0;
}

static void dispatch(struct virt *v, struct virt_domain *d, enum kt_domain_event ev) {
        struct instances *is = &v->m->instances;
        struct kt_domain kd = {
                .name = d->name,
                .uuid = d->uuid,
                .id = d->id,
                .n_vcpus = d->n_vcpus,
                .memory_kib = d->memory_kib,
                .policy = d->policy,
        };

        if (ev == KT_DOMAIN_STARTED)
                domain_report_clear(d);
        for (size_t i = 0; i < is->n; i++) {
                struct kt_ctx *ctx = is->a[i];
                if (ctx->plugin->desc->on_domain)
                        ctx->plugin->desc->on_domain(ctx, &kd, ev);
        }
}

static int track(struct virt *v, virDomainPtr dom) {
        struct virt_domain *d, **a;
        char uuid[VIR_UUID_STRING_BUFLEN];
        int r;

        if (virDomainGetUUIDString(dom, uuid) < 0)
                return -EIO;
        d = find_uuid(v, uuid);
        if (d) {
                d->seen = true;
                if (d->id == (int) virDomainGetID(dom))
                        return 0;       /* already tuned for this run */
                /* Restarted while we were away: the old process took its pinning along. */
                dispatch(v, d, KT_DOMAIN_STOPPED);
                (void) tunables_forget_device(&v->m->host.tunables, d->uuid);
        } else {
                a = realloc(v->doms, (v->n_doms + 1) * sizeof *a);
                if (!a)
                        return -ENOMEM;
                v->doms = a;
                d = calloc(1, sizeof *d);
                if (!d)
                        return -ENOMEM;
                v->doms[v->n_doms++] = d;
                d->seen = true;
        }
        r = domain_read(dom, d);
        if (r < 0) {
                log_warning("Domain %s: cannot read its state: %s", uuid, virGetLastErrorMessage());
                return r;
        }
        log_info("Domain %s (%s) running: %u vCPU(s), %llu MiB%s%s.", d->name, d->uuid, d->n_vcpus,
                 (unsigned long long) d->memory_kib / 1024, d->policy ? ", policy from its metadata: " : "",
                 d->policy ?: "");
        dispatch(v, d, KT_DOMAIN_STARTED);
        return 0;
}

static void untrack(struct virt *v, struct virt_domain *d) {
        log_info("Domain %s (%s) stopped.", d->name, d->uuid);
        dispatch(v, d, KT_DOMAIN_STOPPED);
        /* Gone with its process: nothing to put back. */
        (void) tunables_forget_device(&v->m->host.tunables, d->uuid);
        ARRAY_REMOVE_PTR(v->doms, v->n_doms, d);
        domain_free(d);
}

static void reconcile(struct virt *v) {
        virDomainPtr *list = NULL;
        int n;

        n = virConnectListAllDomains(v->conn, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        if (n < 0) {
                log_warning("Cannot list libvirt domains: %s", virGetLastErrorMessage());
                return;
        }
        for (size_t i = 0; i < v->n_doms; i++)
                v->doms[i]->seen = false;
        for (int i = 0; i < n; i++) {
                (void) track(v, list[i]);
                virDomainFree(list[i]);
        }
        free(list);
        for (size_t i = v->n_doms; i-- > 0;)
                if (!v->doms[i]->seen)
                        untrack(v, v->doms[i]);
}

void virt_retune(struct virt *v) {
        struct plan none = {};

        if (!v)
                return;
        /* Straight from the old placement to the new one; a domain no plugin
         * places any more gets its own pinning back. */
        for (size_t i = 0; i < v->n_doms; i++) {
                struct virt_domain *d = v->doms[i];

                dispatch(v, d, KT_DOMAIN_STARTED);
                if (!d->r_policy && tunables_apply_device(&v->m->host.tunables, &none, d->uuid) < 0)
                        log_warning("Domain %s: cannot restore its own pinning.", d->name);
        }
}

/* ---- events ---- */

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        struct virt *v = opaque;
        char uuid[VIR_UUID_STRING_BUFLEN];
        struct virt_domain *d;

        (void) conn;
        (void) detail;
        switch (event) {
        case VIR_DOMAIN_EVENT_STARTED:
                (void) track(v, dom);
                break;
        case VIR_DOMAIN_EVENT_STOPPED:
        case VIR_DOMAIN_EVENT_CRASHED:
                if (virDomainGetUUIDString(dom, uuid) >= 0 && (d = find_uuid(v, uuid)))
                        untrack(v, d);
                break;
        default:
                break;
        }
        return 0;
}

static void on_metadata(virConnectPtr conn, virDomainPtr dom, int type, const char *nsuri, void *opaque) {
        struct virt *v = opaque;
        char uuid[VIR_UUID_STRING_BUFLEN];
        struct virt_domain *d;
        _cleanup_free_ char *policy = NULL;

        (void) conn;
        if (type != VIR_DOMAIN_METADATA_ELEMENT || !streq_ptr(nsuri, KT_XMLNS))
                return;
        if (virDomainGetUUIDString(dom, uuid) < 0 || !(d = find_uuid(v, uuid)))
                return;
        policy = metadata_policy(dom);
        if (streq_ptr(policy, d->policy))
                return;
        log_info("Domain %s: placement policy in its metadata now %s.", d->name, policy ?: "(unset)");
        free(d->policy);
        d->policy = TAKE_PTR(policy);
        dispatch(v, d, KT_DOMAIN_STOPPED);
        dispatch(v, d, KT_DOMAIN_STARTED);
}

static void on_close(virConnectPtr conn, int reason, void *opaque) {
        struct virt *v = opaque;

        (void) conn;
        log_warning("Lost the libvirt connection (%s), reconnecting.",
                    reason == VIR_CONNECT_CLOSE_REASON_EOF        ? "libvirtd went away" :
                    reason == VIR_CONNECT_CLOSE_REASON_KEEPALIVE ? "keepalive timed out" :
                                                                  "error");
        v->lost = true;
        retry_start(&v->retry, 0);
}

/* ---- connection ---- */

static void disconnect(struct virt *v) {
        if (!v->conn)
                return;
        if (!v->lost) {
                if (v->lifecycle_id >= 0)
                        (void) virConnectDomainEventDeregisterAny(v->conn, v->lifecycle_id);
                if (v->metadata_id >= 0)
                        (void) virConnectDomainEventDeregisterAny(v->conn, v->metadata_id);
                (void) virConnectUnregisterCloseCallback(v->conn, on_close);
        }
        v->lifecycle_id = v->metadata_id = -1;
        (void) virConnectClose(v->conn);
        v->conn = NULL;
        v->lost = false;
}

static int try_connect(struct virt *v) {
        v->conn = virConnectOpen(v->uri);
        if (!v->conn)
                return -ECONNREFUSED;
        virConnSetErrorFunc(v->conn, NULL, quiet_errors);
        if (virConnectSetKeepAlive(v->conn, KEEPALIVE_S, KEEPALIVE_COUNT) < 0)
                log_debug("libvirt keepalive not available: %s", virGetLastErrorMessage());
        if (virConnectRegisterCloseCallback(v->conn, on_close, v, NULL) < 0)
                goto fail;
        v->lifecycle_id = virConnectDomainEventRegisterAny(v->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                           VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), v, NULL);
        if (v->lifecycle_id < 0)
                goto fail;
        v->metadata_id = virConnectDomainEventRegisterAny(v->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                                          VIR_DOMAIN_EVENT_CALLBACK(on_metadata), v, NULL);
        if (v->metadata_id < 0)
                log_notice("libvirt metadata events unavailable, policy changes apply at the next start: %s",
                           virGetLastErrorMessage());
        return 0;
fail:
        log_warning("libvirt %s: cannot register for events: %s", v->uri, virGetLastErrorMessage());
        disconnect(v);
        return -EIO;
}

static int connect_now(struct virt *v) {
        int r;

        disconnect(v);
        r = try_connect(v);
        if (r < 0) {
                if (!v->failing)
                        log_notice("libvirt %s not reachable (%s); domains are tuned once it is, retrying quietly.",
                                   v->uri, virGetLastErrorMessage() ?: "no error");
                v->failing = true;
                return r;
        }
        log_info("Connected to libvirt %s.", v->uri);
        v->failing = false;
        /* Before any domain is tuned: the records hold the domains' own
         * pinning (left by a killed daemon, or put back while libvirtd was
         * down), which a tuned domain's first journal record would take for
         * the value to restore. */
        r = tunables_restore_waiting(&v->m->host.tunables);
        if (r > 0)
                log_info("Put back the pinning of %d setting(s) that waited in the journal for libvirt.", r);
        if (r < 0 || v->m->host.tunables.n_waiting > 0) {
                log_warning("libvirt %s: %zu pinning original(s) waiting in the journal could not be put back yet; "
                            "domains are tuned once they are, retrying.", v->uri, v->m->host.tunables.n_waiting);
                disconnect(v);
                return -EAGAIN;
        }
        reconcile(v);
        /* A domain known from before that was placed, or put back, while
         * libvirtd was away still has whatever pinning it had: place it
         * again. Placing forgets the old placement first, so a domain
         * reconcile() just placed is only placed once more. */
        if (v->missed) {
                v->missed = false;
                virt_retune(v);
        }
        return 0;
}

static int reconnect(void *userdata) {
        return connect_now(userdata);
}

int virt_new(struct manager *m, const char *uri, struct virt **ret) {
        struct virt *v;
        int r;

        *ret = NULL;
        if (!uri || streq(uri, "none"))
                return 0;
        v = calloc(1, sizeof *v);
        if (!v)
                return -ENOMEM;
        v->m = m;
        v->lifecycle_id = v->metadata_id = -1;
        retry_init(&v->retry, m->event, reconnect, v, "libvirt");
        v->uri = strdup(uri);
        if (!v->uri) {
                free(v);
                return -ENOMEM;
        }
        backend_virt_init(&v->backend, v);
        r = host_add_backend(&m->host, &v->backend);
        if (r >= 0)
                r = virt_event_register(m->event);
        if (r >= 0 && virInitialize() < 0)
                r = -EIO;
        if (r < 0) {
                host_remove_backend(&m->host, &v->backend);
                virt_free(v);
                return r;
        }
        virSetErrorFunc(NULL, quiet_errors);
        if (connect_now(v) < 0)
                retry_start(&v->retry, RETRY_MIN_S);
        *ret = v;
        return 0;
}

struct virt *virt_free(struct virt *v) {
        if (!v)
                return NULL;
        disconnect(v);
        virt_event_flush();
        retry_done(&v->retry);
        for (size_t i = 0; i < v->n_doms; i++)
                domain_free(v->doms[i]);
        free(v->doms);
        free(v->uri);
        free(v);
        return NULL;
}

/* ---- the hook and the control API ---- */

int virt_domain_event(struct virt *v, const char *name, const char *event, char **error) {
        virConnectPtr conn = virt_connection(v);
        struct virt_domain *d;
        virDomainPtr dom;
        int r = 0;

        /* The control API checked the event's name (control-request.c). */
        log_info("Domain %s %s, says the libvirt hook.", strna(name), strna(event));
        if (!conn) {
                if (asprintf(error, "no libvirt connection: %s is not reachable", v->uri) < 0)
                        *error = NULL;
                return -ENOTCONN;
        }
        if (!streq(event, "started")) {
                /* libvirt may still list it while it stops: trust the hook. */
                d = find_name(v, name);
                if (d)
                        untrack(v, d);
                return 0;
        }
        dom = virDomainLookupByName(conn, name);
        if (!dom) {
                if (asprintf(error, "no domain '%s': %s", name, virGetLastErrorMessage()) < 0)
                        *error = NULL;
                return -ENOENT;
        }
        if (virDomainIsActive(dom) == 1)
                r = track(v, dom);
        virDomainFree(dom);
        return r;
}

static int set_dup(char **dst, const char *src) {
        free(*dst);
        *dst = strdup(src ?: "");
        return *dst ? 0 : -ENOMEM;
}

int virt_domain_report(struct virt *v, const char *uuid, const char *policy, const char *cpus, const char *nodes,
                       const char *note) {
        struct virt_domain *d = v ? find_uuid(v, uuid) : NULL;

        if (!d)
                return -ENOENT;
        if (set_dup(&d->r_policy, policy) < 0 || set_dup(&d->r_cpus, cpus) < 0 || set_dup(&d->r_nodes, nodes) < 0 ||
            set_dup(&d->r_note, note) < 0)
                return -ENOMEM;
        return 0;
}

static int cmp_info(const void *a, const void *b) {
        return strcmp(((const struct domain_info *) a)->name, ((const struct domain_info *) b)->name);
}

int virt_domains(struct virt *v, struct domain_info **ret, size_t *n) {
        struct domain_info *a;
        size_t k = v ? v->n_doms : 0;

        *ret = NULL;
        *n = 0;
        if (k == 0)
                return 0;
        a = calloc(k, sizeof *a);
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < k; i++) {
                const struct virt_domain *d = v->doms[i];
                if (set_dup(&a[i].name, d->name) < 0 || set_dup(&a[i].policy, d->r_policy ?: "none") < 0 ||
                    set_dup(&a[i].cpus, d->r_cpus) < 0 || set_dup(&a[i].nodes, d->r_nodes) < 0 ||
                    set_dup(&a[i].note, d->r_note) < 0) {
                        domain_info_free_many(a, k);
                        return -ENOMEM;
                }
        }
        qsort(a, k, sizeof *a, cmp_info);
        *ret = a;
        *n = k;
        return 0;
}

uint64_t virt_committed_kib(const struct virt *v) {
        uint64_t sum = 0;

        for (size_t i = 0; v && i < v->n_doms; i++)
                sum += v->doms[i]->memory_kib;
        return sum;
}
