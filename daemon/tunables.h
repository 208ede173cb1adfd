/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The set of host settings the daemon holds, and the only code that changes
 * the host. A profile becomes a *plan* (what every setting should be); the
 * tunables set moves the host to a plan in one step:
 *
 *   1. read the current value of everything the plan sets,
 *   2. journal the original of every setting not yet held (one durable write),
 *   3. put back what the old plan set and the new one does not,
 *   4. write the new values, skipping those the host already has.
 *
 * A setting both plans share is written once, straight to its new value, and
 * keeps the original journaled when it was first changed. Steps 3 and 4 are
 * one write batch (write-batch.h): each block device's scheduler and queue
 * depth keep their order on a thread of their own, the rest keep theirs on
 * the caller's. */

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "hashmap.h"
#include "journal.h"

struct plan_item {
        const struct backend *be;
        char *id;               /* backend name + '\t' + key, the index key */
        const char *key;        /* points into id */
        char *value;
        char *accept;           /* dynamic: "MIN-MAX" or "a|b", else NULL */
        char *owner;            /* plugin instance, "cpu" or "disk:ssd" */
        char *device;           /* the device it belongs to, or NULL */
};

struct plan {
        struct plan_item *items;
        size_t n, cap;
        struct hashmap index;   /* id -> item position + 1 */
};

struct entry {
        const struct backend *be;
        char *id;
        const char *key;
        char *original;         /* NULL when not journaled (holds) */
        char *value;            /* what we set; NULL when recovered from a journal */
        char *accept;
        char *owner;
        char *device;
        bool rejected;          /* the host refused the write */
        bool dropping;          /* being put back: forgotten once the writes are done */
};

struct tunables {
        struct backend **backends;
        size_t n_backends;
        struct journal journal;
        struct entry **entries; /* in journal order */
        size_t n, cap;
        struct hashmap index;   /* id -> entry */
        unsigned writes;        /* host writes done, for status and benchmarks */
        bool compact_pending;   /* the journal still holds records of settings put back */
        /* Originals of the late backend (see tunables_init()) not written
         * yet, in journal order: recovered from a killed daemon's journal
         * before the backend registered, or put back while it could not
         * connect. Kept in the journal until tunables_restore_waiting(). */
        char *late;
        struct journal_record *waiting;
        size_t n_waiting, cap_waiting;
};

/* A difference between what is and what would be / should be. */
struct change {
        char *backend;
        char *key;
        char *from;
        char *to;
        char *owner;
};

void plan_done(struct plan *p);
/* Set key to value in the plan; a later item for the same key replaces an
 * earlier one. */
int plan_add(struct plan *p, const struct backend *be, const char *key, const char *value,
             const char *accept, const char *owner, const char *device);
const struct plan_item *plan_find(const struct plan *p, const char *backend, const char *key);

/* Open the journal at path; records left by a killed daemon become entries
 * whose originals the next apply or rollback restores. Records of the
 * backend named late (NULL: none), which registers only after the journal
 * is open, wait in the journal for tunables_restore_waiting(); those of any
 * other backend this daemon lacks are dropped. Returns how many originals
 * were recovered, waiting ones included. */
int tunables_init(struct tunables *t, struct backend **backends, size_t n_backends,
                  const char *journal_path, const char *boot_id, const char *late);
void tunables_done(struct tunables *t);

/* The late backend is registered and can write: put back what its waiting
 * records hold, newest first, and forget them, except those it could not
 * write for want of a connection (-ENOTCONN), which keep waiting. Returns
 * how many it wrote.
 *
 * Any restore of the late backend that fails with -ENOTCONN (a rollback or
 * a device put back while it cannot connect) joins the waiting records the
 * same way. */
int tunables_restore_waiting(struct tunables *t);

/* full: the plan replaces everything held (a profile switch), except what a
 * backend retunes per device once the switch is done (libvirt domains);
 * otherwise it adds to it (a device that appeared, a dynamic rule). Fails only when the
 * journal cannot be written, with the host unchanged; a write the host
 * refuses is logged and skipped. */
int tunables_apply(struct tunables *t, const struct plan *p, bool full);

/* A full apply that put settings back leaves their records in the journal
 * (compact_pending) until tunables_compact(). Dropping them is not needed
 * for safety — a replay would put back values the host already has — and
 * costs an fsync, which a caller can make after it has replied. The next
 * apply compacts first, so no stale record ever precedes a new one. */
int tunables_compact(struct tunables *t);

/* Put everything back, newest first, and empty the journal. */
int tunables_rollback(struct tunables *t);

/* Move one device (a libvirt domain) to plan: apply it, then put back what
 * the device held and plan no longer sets. */
int tunables_apply_device(struct tunables *t, const struct plan *p, const char *device);

/* Stop tracking what belongs to a device that went away: nothing to write. */
int tunables_forget_device(struct tunables *t, const char *device);

/* Settings whose host value no longer matches what was set. */
int tunables_verify(struct tunables *t, struct change **ret, size_t *n);

/* What applying plan (fully) would change, without changing anything. */
int tunables_diff(struct tunables *t, const struct plan *p, struct change **ret, size_t *n);

void change_free_many(struct change *c, size_t n);

/* Whether value lies within an accept spec ("64-1250", "performance|powersave"). */
bool accept_matches(const char *accept, const char *value);

const struct backend *tunables_backend(const struct tunables *t, const char *name);
