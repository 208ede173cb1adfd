/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "hostfs.h"
#include "log.h"
#include "tunables.h"
#include "write-batch.h"

static char *make_id(const char *backend, const char *key, const char **ret_key) {
        char *id;

        if (asprintf(&id, "%s\t%s", backend, key) < 0)
                return NULL;
        if (ret_key)
                *ret_key = id + strlen(backend) + 1;
        return id;
}

/* Replace *dst by a copy of src (which may be NULL). */
static int set_str(char **dst, const char *src) {
        char *s = NULL;

        if (src && !(s = strdup(src)))
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

/* ---- plans ---- */

void plan_done(struct plan *p) {
        for (size_t i = 0; i < p->n; i++) {
                struct plan_item *it = &p->items[i];
                free(it->id);
                free(it->value);
                free(it->accept);
                free(it->owner);
                free(it->device);
        }
        free(p->items);
        hashmap_clear(&p->index);
        *p = (struct plan) {};
}

int plan_add(struct plan *p, const struct backend *be, const char *key, const char *value,
             const char *accept, const char *owner, const char *device) {
        _cleanup_free_ char *id = NULL;
        struct plan_item *it;
        const char *k;
        size_t pos;

        id = make_id(be->name, key, &k);
        if (!id)
                return -ENOMEM;
        pos = (size_t) (uintptr_t) hashmap_get(&p->index, id);
        if (pos > 0) {
                it = &p->items[pos - 1];
        } else {
                if (ARRAY_RESERVE(p->items, p->cap, p->n, 32) < 0)
                        return -ENOMEM;
                it = &p->items[p->n];
                *it = (struct plan_item) { .be = be, .key = k, .id = TAKE_PTR(id) };
                if (hashmap_put(&p->index, it->id, (void *) (uintptr_t) (p->n + 1)) < 0) {
                        free(it->id);
                        return -ENOMEM;
                }
                p->n++;
        }
        if (set_str(&it->value, value) < 0 || set_str(&it->accept, accept) < 0 ||
            set_str(&it->owner, owner) < 0 || set_str(&it->device, device) < 0)
                return -ENOMEM;
        return 0;
}

static const struct plan_item *plan_find_id(const struct plan *p, const char *id) {
        size_t pos = (size_t) (uintptr_t) hashmap_get(&p->index, id);

        return pos > 0 ? &p->items[pos - 1] : NULL;
}

const struct plan_item *plan_find(const struct plan *p, const char *backend, const char *key) {
        _cleanup_free_ char *id = make_id(backend, key, NULL);

        return id ? plan_find_id(p, id) : NULL;
}

/* ---- entries ---- */

static void entry_free(struct entry *e) {
        if (!e)
                return;
        free(e->id);
        free(e->original);
        free(e->value);
        free(e->accept);
        free(e->owner);
        free(e->device);
        free(e);
}

static struct entry *entry_add(struct tunables *t, const struct backend *be, const char *key, const char *original) {
        struct entry *e;

        if (ARRAY_RESERVE(t->entries, t->cap, t->n, 32) < 0)
                return NULL;
        e = calloc(1, sizeof *e);
        if (!e)
                return NULL;
        e->be = be;
        e->id = make_id(be->name, key, &e->key);
        if (!e->id || set_str(&e->original, original) < 0 || hashmap_put(&t->index, e->id, e) < 0) {
                entry_free(e);
                return NULL;
        }
        t->entries[t->n++] = e;
        return e;
}

/* Drop entries marked by a NULL slot, keeping order. */
static void entries_compact(struct tunables *t) {
        size_t j = 0;

        for (size_t i = 0; i < t->n; i++)
                if (t->entries[i])
                        t->entries[j++] = t->entries[i];
        t->n = j;
}

static void entry_remove_at(struct tunables *t, size_t i) {
        hashmap_remove(&t->index, t->entries[i]->id);
        entry_free(t->entries[i]);
        t->entries[i] = NULL;
}

const struct backend *tunables_backend(const struct tunables *t, const char *name) {
        for (size_t i = 0; i < t->n_backends; i++)
                if (streq(t->backends[i]->name, name))
                        return t->backends[i];
        return NULL;
}

/* The journal as it should be: one record per journaled entry. */
static int journal_sync(struct tunables *t) {
        _cleanup_free_ struct journal_record *recs = calloc(t->n + t->n_waiting + 1, sizeof *recs);
        size_t n = 0;
        int r;

        if (!recs)
                return -ENOMEM;
        /* Waiting records first: they are older than every entry. */
        for (size_t i = 0; i < t->n_waiting; i++)
                recs[n++] = t->waiting[i];
        for (size_t i = 0; i < t->n; i++) {
                struct entry *e = t->entries[i];
                if (e->be->journaled)
                        recs[n++] = (struct journal_record) { (char *) e->be->name, (char *) e->key, e->original };
        }
        r = journal_rewrite(&t->journal, recs, n);
        if (r >= 0)
                t->compact_pending = false;
        return r;
}

int tunables_compact(struct tunables *t) {
        int r;

        if (!t->compact_pending)
                return 0;
        r = journal_sync(t);
        if (r < 0)
                log_warning_errno(r, "Failed to compact journal %s: %m", t->journal.path);
        return r;
}

int tunables_init(struct tunables *t, struct backend **backends, size_t n_backends,
                  const char *journal_path, const char *boot_id, const char *late) {
        struct journal_record *recs = NULL;
        size_t n = 0, skipped = 0, adopted = 0;
        int r;

        *t = (struct tunables) { .backends = backends, .n_backends = n_backends, .journal.fd = -1 };
        if (late && !(t->late = strdup(late)))
                return -ENOMEM;

        r = journal_load(journal_path, boot_id, &recs, &n, &skipped);
        if (r == -ESTALE)
                log_notice("Journal %s is from an earlier boot, discarding it.", journal_path);
        else if (r < 0)
                log_warning_errno(r, "Journal %s is unreadable, discarding it: %m", journal_path);
        if (skipped > 0)
                log_notice("Journal %s: %zu torn or corrupt record(s) skipped.", journal_path, skipped);

        for (size_t i = 0; i < n; i++) {
                const struct backend *be = tunables_backend(t, recs[i].backend);
                _cleanup_free_ char *id = NULL;

                if (!be && streq_ptr(recs[i].backend, t->late)) {
                        /* Taken over: recs[i] no longer owns its strings. */
                        if (ARRAY_RESERVE(t->waiting, t->cap_waiting, t->n_waiting, 16) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        t->waiting[t->n_waiting++] = recs[i];
                        recs[i] = (struct journal_record) {};
                        continue;
                }
                if (!be || !be->journaled) {
                        log_warning("Journal %s: unknown setting kind '%s' for %s, ignoring.",
                                    journal_path, recs[i].backend, recs[i].key);
                        continue;
                }
                id = make_id(be->name, recs[i].key, NULL);
                if (!id) {
                        r = -ENOMEM;
                        goto out;
                }
                if (hashmap_get(&t->index, id))
                        continue;       /* the first record holds the true original */
                if (!entry_add(t, be, recs[i].key, recs[i].original)) {
                        r = -ENOMEM;
                        goto out;
                }
                adopted++;
        }

        /* Rewrite rather than truncate: the adopted originals must survive
         * until they are restored. */
        r = journal_init(&t->journal, journal_path, boot_id);
        if (r >= 0)
                r = journal_sync(t);
        if (r < 0) {
                log_error_errno(r, "Failed to write journal %s: %m", journal_path);
                goto out;
        }
        if (adopted + t->n_waiting > 0)
                log_notice("Recovered %zu original value(s) from the journal of a daemon that did not stop cleanly.",
                           adopted + t->n_waiting);
        if (t->n_waiting > 0)
                log_notice("%zu of them are %s settings, put back once %s is up.", t->n_waiting, t->late, t->late);
        r = (int) (adopted + t->n_waiting);
out:
        journal_record_free_many(recs, n);
        return r;
}

void tunables_done(struct tunables *t) {
        for (size_t i = 0; i < t->n; i++)
                entry_free(t->entries[i]);
        free(t->entries);
        journal_record_free_many(t->waiting, t->n_waiting);
        t->waiting = NULL;
        t->n_waiting = t->cap_waiting = 0;
        free(t->late);
        t->late = NULL;
        hashmap_clear(&t->index);
        journal_close(&t->journal);
        t->entries = NULL;
        t->n = t->cap = 0;
}

/* ---- restoring ---- */

typedef bool (*entry_pick_t)(const struct entry *e, const void *arg);

static struct write_op restore_op(const struct entry *e) {
        return (struct write_op) {
                .be = e->be, .key = e->key, .value = e->original,
                .kind = e->be->journaled ? WRITE_RESTORE : WRITE_RELEASE,
        };
}

/* Queue into ops a restore of every entry pick() chooses, newest first, and
 * mark those entries: they stay until drop_marked(), so the ops' strings
 * live through the batch. Returns how many were queued. */
static size_t restores_queue(struct tunables *t, struct write_op *ops, entry_pick_t pick, const void *arg) {
        size_t n = 0;

        for (size_t i = t->n; i-- > 0;) {
                struct entry *e = t->entries[i];

                e->dropping = pick(e, arg);
                if (e->dropping)
                        ops[n++] = restore_op(e);
        }
        return n;
}

/* A restore the late backend could not make for want of a connection
 * (libvirtd down): its original joins the waiting records, to be written by
 * tunables_restore_waiting() once the backend can, by this daemon or the
 * next. */
static bool keep_waiting(struct tunables *t, const struct write_op *op) {
        struct journal_record rec = {};

        if (op->result != -ENOTCONN || !streq_ptr(op->be->name, t->late) || !op->value)
                return false;
        if (ARRAY_RESERVE(t->waiting, t->cap_waiting, t->n_waiting, 16) < 0 ||
            !(rec.backend = strdup(op->be->name)) || !(rec.key = strdup(op->key)) ||
            !(rec.original = strdup(op->value))) {
                free(rec.backend);
                free(rec.key);
                return false;
        }
        t->waiting[t->n_waiting++] = rec;
        return true;
}

/* Restores run newest first; waiting records are kept oldest first, in
 * journal order: turn those added since first around. */
static void waiting_reverse_from(struct tunables *t, size_t first) {
        for (size_t i = first, j = t->n_waiting; j > 0 && i < --j; i++) {
                struct journal_record tmp = t->waiting[i];
                t->waiting[i] = t->waiting[j];
                t->waiting[j] = tmp;
        }
}

/* Count what ops (restores, newest first) wrote and report what they could
 * not; what the late backend could not reach waits (keep_waiting()). */
static void restores_finish(struct tunables *t, const struct write_op *ops, size_t n) {
        size_t first = t->n_waiting;

        for (size_t i = 0; i < n; i++) {
                if (ops[i].result >= 0)
                        t->writes += ops[i].result > 0;
                else if (!keep_waiting(t, &ops[i]))
                        log_warning_errno(ops[i].result, "Failed to restore %s to '%s': %m", ops[i].key, ops[i].value);
        }
        waiting_reverse_from(t, first);
        /* Once while it is away, not for every domain a retune puts back. */
        if (first == 0 && t->n_waiting > 0)
                log_notice("%zu %s setting(s) not put back: %s is not reachable. They wait in the journal until it is.",
                           t->n_waiting, t->late, t->late);
}

/* Forget the entries restores_queue() marked. Returns whether there were any. */
static bool drop_marked(struct tunables *t) {
        bool any = false;

        for (size_t i = 0; i < t->n; i++)
                if (t->entries[i]->dropping) {
                        entry_remove_at(t, i);
                        any = true;
                }
        entries_compact(t);
        return any;
}

/* Put back and forget what pick() chooses. Returns whether anything went. */
static bool restore_where(struct tunables *t, entry_pick_t pick, const void *arg) {
        _cleanup_free_ struct write_op *ops = calloc(t->n + 1, sizeof *ops);
        size_t n;

        if (!ops) {
                /* Short of memory: still put everything back, one at a time. */
                size_t first = t->n_waiting;

                for (size_t i = t->n; i-- > 0;) {
                        struct entry *e = t->entries[i];
                        struct write_op op;

                        e->dropping = pick(e, arg);
                        if (!e->dropping)
                                continue;
                        op = restore_op(e);
                        write_batch_run(&op, 1);
                        restores_finish(t, &op, 1);
                }
                waiting_reverse_from(t, first);
                return drop_marked(t);
        }
        n = restores_queue(t, ops, pick, arg);
        write_batch_run(ops, n);
        restores_finish(t, ops, n);
        return drop_marked(t);
}

static bool pick_all(const struct entry *e, const void *arg) {
        (void) e, (void) arg;
        return true;
}

/* What a profile switch puts back: all the new plan does not set, except
 * what a backend retunes per device once the switch is done. */
static bool pick_unplanned(const struct entry *e, const void *plan) {
        return !plan_find_id(plan, e->id) && !(e->be->retuned_per_device && e->device);
}

struct device_plan {
        const struct plan *plan;
        const char *device;
};

static bool pick_device_unplanned(const struct entry *e, const void *arg) {
        const struct device_plan *dp = arg;

        return e->device && streq(e->device, dp->device) && !plan_find_id(dp->plan, e->id);
}

/* ---- applying ---- */

/* Step 1: what the host holds now (cur), and the originals to journal. */
static int read_current(struct tunables *t, const struct plan *p, char **cur, struct journal_record *recs,
                        size_t *n_recs) {
        char buf[BACKEND_VALUE_MAX];

        for (size_t i = 0; i < p->n; i++) {
                const struct plan_item *it = &p->items[i];
                int k = it->be->read(it->be->userdata, it->key, buf, sizeof buf);

                if (k >= 0 && !(cur[i] = strdup(buf)))
                        return -ENOMEM;
                if (k < 0 && it->be->journaled) {
                        log_warning_errno(k, "%s: cannot read %s, skipping it: %m", it->owner, it->key);
                        continue;
                }
                if (it->be->journaled && !hashmap_get(&t->index, it->id))
                        recs[(*n_recs)++] = (struct journal_record) { (char *) it->be->name, (char *) it->key, cur[i] };
        }
        return 0;
}

/* What the entry of a planned setting remembers of it. */
static int entry_update(struct entry *e, const struct plan_item *it) {
        /* A dynamic rule's live change keeps the device its setting was
         * first made for, so a removal still forgets it. */
        if (set_str(&e->value, it->value) < 0 || set_str(&e->accept, it->accept) < 0 ||
            set_str(&e->owner, it->owner) < 0 || (it->device && set_str(&e->device, it->device) < 0))
                return -ENOMEM;
        return 0;
}

int tunables_apply(struct tunables *t, const struct plan *p, bool full) {
        _cleanup_free_ struct journal_record *recs = NULL;
        _cleanup_free_ struct write_op *ops = NULL;
        _cleanup_free_ const struct plan_item **set_item = NULL;
        size_t n_recs = 0, n_restores = 0, n_ops;
        bool removed = false;
        char **cur = NULL;
        int r;

        cur = calloc(p->n + 1, sizeof *cur);
        recs = calloc(p->n + 1, sizeof *recs);
        /* Sets: at most the plan; restores (a full apply): at most every
         * entry, those the plan adds included. */
        ops = calloc((full ? t->n + 2 * p->n : p->n) + 1, sizeof *ops);
        set_item = calloc(p->n + 1, sizeof *set_item);
        if (!cur || !recs || !ops || !set_item) {
                free(cur);
                return -ENOMEM;
        }

        /* 1. What the host holds now, and the originals to journal. */
        r = read_current(t, p, cur, recs, &n_recs);
        if (r < 0)
                goto out;

        /* 2. Originals are durable before anything changes. */
        if (n_recs > 0 && t->compact_pending)
                (void) tunables_compact(t);
        r = journal_append(&t->journal, recs, n_recs);
        if (r < 0) {
                log_error_errno(r, "Failed to write journal %s, changing nothing: %m", t->journal.path);
                (void) journal_sync(t);         /* drop a torn tail */
                goto out;
        }
        for (size_t i = 0; i < p->n; i++) {
                const struct plan_item *it = &p->items[i];
                if ((cur[i] || !it->be->journaled) && !hashmap_get(&t->index, it->id) &&
                    !entry_add(t, it->be, it->key, it->be->journaled ? cur[i] : NULL)) {
                        r = -ENOMEM;
                        goto out;
                }
        }

        /* 3. Put back what the new plan no longer sets, newest first, and
         * 4. write the new values, skipping those the host already has: one
         * batch, so that a device's restores and new values keep their order
         * while different devices' run side by side. */
        if (full)
                n_restores = restores_queue(t, ops, pick_unplanned, p);
        n_ops = n_restores;
        for (size_t i = 0; i < p->n; i++) {
                const struct plan_item *it = &p->items[i];
                struct entry *e = hashmap_get(&t->index, it->id);

                if (!e)
                        continue;       /* unreadable, skipped above */
                e->rejected = false;
                if (cur[i] && backend_equal(it->be, cur[i], it->value))
                        continue;
                set_item[n_ops - n_restores] = it;
                ops[n_ops++] = (struct write_op) { .be = it->be, .key = it->key, .value = it->value, .kind = WRITE_SET };
        }
        write_batch_run(ops, n_ops);

        restores_finish(t, ops, n_restores);
        for (size_t i = n_restores; i < n_ops; i++) {
                const struct write_op *op = &ops[i];
                const struct plan_item *it = set_item[i - n_restores];

                if (op->result < 0) {
                        log_warning_errno(op->result, "%s: Failed to set %s to '%s', skipping: %m",
                                          it->owner, op->key, op->value);
                        ((struct entry *) hashmap_get(&t->index, it->id))->rejected = true;
                } else
                        t->writes++;
        }
        if (full)
                removed = drop_marked(t);

        for (size_t i = 0; i < p->n; i++) {
                struct entry *e = hashmap_get(&t->index, p->items[i].id);
                if (e && entry_update(e, &p->items[i]) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
        }

        if (removed)
                t->compact_pending = true;
out:
        for (size_t i = 0; i < p->n; i++)
                free(cur[i]);
        free(cur);
        return r;
}

int tunables_restore_waiting(struct tunables *t) {
        const struct backend *be = t->late ? tunables_backend(t, t->late) : NULL;
        _cleanup_free_ struct write_op *ops = NULL;
        struct journal_record *recs = t->waiting;
        size_t n = t->n_waiting;
        unsigned writes = t->writes;

        if (!be || n == 0)
                return 0;
        ops = calloc(n, sizeof *ops);
        if (!ops)
                return -ENOMEM;
        /* Newest first, as a rollback: of two records of one setting, the
         * first holds the true original and is written last. */
        for (size_t i = 0; i < n; i++) {
                const struct journal_record *rec = &recs[n - 1 - i];
                ops[i] = (struct write_op) { .be = be, .key = rec->key, .value = rec->original, .kind = WRITE_RESTORE };
        }
        write_batch_run(ops, n);
        /* The records leave the list while their ops still point into them;
         * restores_finish() puts back those still unreachable. */
        t->waiting = NULL;
        t->n_waiting = t->cap_waiting = 0;
        restores_finish(t, ops, n);
        journal_record_free_many(recs, n);
        (void) journal_sync(t);
        return (int) (t->writes - writes);
}

int tunables_rollback(struct tunables *t) {
        (void) restore_where(t, pick_all, NULL);
        return journal_sync(t);
}

int tunables_apply_device(struct tunables *t, const struct plan *p, const char *device) {
        int r;

        r = tunables_apply(t, p, false);
        if (r < 0)
                return r;
        if (!restore_where(t, pick_device_unplanned, &(struct device_plan) { p, device }))
                return 0;
        return journal_sync(t);
}

int tunables_forget_device(struct tunables *t, const char *device) {
        bool removed = false;

        for (size_t i = t->n; i-- > 0;) {
                struct entry *e = t->entries[i];
                if (!e->device || !streq(e->device, device))
                        continue;
                /* A non-journaled hold still owns a descriptor. */
                if (!e->be->journaled)
                        e->be->release(e->be->userdata, e->key);
                entry_remove_at(t, i);
                removed = true;
        }
        if (!removed)
                return 0;
        entries_compact(t);
        return journal_sync(t);
}

/* ---- verify and diff ---- */

void change_free_many(struct change *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(c[i].backend);
                free(c[i].key);
                free(c[i].from);
                free(c[i].to);
                free(c[i].owner);
        }
        free(c);
}

struct changes {
        struct change *a;
        size_t n, cap;
};

static int changes_add(struct changes *c, const char *backend, const char *key, const char *from,
                       const char *to, const char *owner) {
        struct change *x;

        if (ARRAY_RESERVE(c->a, c->cap, c->n, 16) < 0)
                return -ENOMEM;
        x = &c->a[c->n];
        *x = (struct change) {};
        if (set_str(&x->backend, backend) < 0 || set_str(&x->key, key) < 0 || set_str(&x->from, from) < 0 ||
            set_str(&x->to, to) < 0 || set_str(&x->owner, owner) < 0) {
                free(x->backend), free(x->key), free(x->from), free(x->to), free(x->owner);
                return -ENOMEM;
        }
        c->n++;
        return 0;
}

static const char *read_or_reason(const struct backend *be, const char *key, char *buf, size_t size) {
        int r = be->read(be->userdata, key, buf, size);

        if (r >= 0)
                return buf;
        snprintf(buf, size, "(unreadable: %s)", strerror(-r));
        return NULL;
}

bool accept_matches(const char *accept, const char *value) {
        long long lo, hi, v;
        char *end;
        int consumed = 0;

        if (sscanf(accept, "%lld-%lld%n", &lo, &hi, &consumed) == 2 && accept[consumed] == '\0') {
                errno = 0;
                v = strtoll(value, &end, 10);
                return errno == 0 && end != value && *end == '\0' && v >= lo && v <= hi;
        }
        for (const char *p = accept; *p;) {
                size_t n = strcspn(p, "|");
                if (n == strlen(value) && strncmp(p, value, n) == 0)
                        return true;
                p += n;
                p += *p == '|';
        }
        return false;
}

int tunables_verify(struct tunables *t, struct change **ret, size_t *n) {
        struct changes c = {};
        char now[BACKEND_VALUE_MAX];

        for (size_t i = 0; i < t->n; i++) {
                const struct entry *e = t->entries[i];
                const char *v;
                bool ok;

                if (!e->value || e->rejected)
                        continue;
                v = read_or_reason(e->be, e->key, now, sizeof now);
                ok = v && (e->accept ? accept_matches(e->accept, v) : backend_equal(e->be, v, e->value));
                if (!ok && changes_add(&c, e->be->name, e->key, e->accept ?: e->value, now, e->owner) < 0) {
                        change_free_many(c.a, c.n);
                        return -ENOMEM;
                }
        }
        *ret = c.a;
        *n = c.n;
        return 0;
}

int tunables_diff(struct tunables *t, const struct plan *p, struct change **ret, size_t *n) {
        struct changes c = {};
        char now[BACKEND_VALUE_MAX];
        int r = 0;

        for (size_t i = 0; i < p->n && r >= 0; i++) {
                const struct plan_item *it = &p->items[i];
                const char *v = read_or_reason(it->be, it->key, now, sizeof now);

                if (!it->be->journaled && !v)
                        snprintf(now, sizeof now, "(not held)");
                if (!v || !backend_equal(it->be, v, it->value))
                        r = changes_add(&c, it->be->name, it->key, now, it->value, it->owner);
        }
        for (size_t i = 0; i < t->n && r >= 0; i++) {
                const struct entry *e = t->entries[i];
                const char *v;

                if (plan_find_id(p, e->id))
                        continue;
                v = read_or_reason(e->be, e->key, now, sizeof now);
                if (!e->be->journaled)
                        r = changes_add(&c, e->be->name, e->key, now, "(released)", e->owner);
                else if (!v || !backend_equal(e->be, v, e->original))
                        r = changes_add(&c, e->be->name, e->key, now, e->original, e->owner);
        }
        if (r < 0) {
                change_free_many(c.a, c.n);
                return r;
        }
        *ret = c.a;
        *n = c.n;
        return 0;
}
