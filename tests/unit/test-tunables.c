/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The tunables set on a scratch tree: apply journals originals before it
 * writes, a switch goes straight to the new values, rollback restores,
 * a recovered journal is restored, refused writes are skipped. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "kvmtuned/macro.h"
#include "log.h"
#include "scratch.h"

static char root[64], journal[128];

static void put(const char *rel, const char *value) {
        scratch_put(root, rel, value);
}

static char *get(const char *rel) {
        return scratch_get(root, rel);
}

/* A write counter: wraps the file backend to see every host write. */
static unsigned writes_to(const struct host *h) {
        return h->tunables.writes;
}

static int setup(void **state) {
        char cmd[256];

        (void) state;
        log_set_level(KT_LOG_ERR);
        strcpy(root, "/tmp/kt-tunables-XXXXXX");
        assert_non_null(mkdtemp(root));
        snprintf(cmd, sizeof cmd, "mkdir -p %s/sys/kernel/mm/transparent_hugepage %s/proc/sys/vm %s/run", root, root, root);
        assert_int_equal(system(cmd), 0);
        snprintf(journal, sizeof journal, "%s/run/journal", root);
        return 0;
}

static int teardown(void **state) {
        char cmd[128];

        (void) state;
        snprintf(cmd, sizeof cmd, "rm -rf %s", root);
        return system(cmd) == 0 ? 0 : -1;
}

static void reset_host(void) {
        put("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never");
        put("/proc/sys/vm/swappiness", "60");
        put("/proc/sys/vm/dirty_ratio", "20");
        put("/proc/sys/vm/dirty_background_ratio", "10");
        unlink(journal);
}

static void add(struct plan *p, struct host *h, const char *key, const char *value) {
        assert_int_equal(plan_add(p, &h->file, key, value, NULL, "test", NULL), 0);
}

static void test_apply_switch_rollback(void **state) {
        struct host h;
        struct plan a = {}, b = {};
        unsigned w;

        (void) state;
        reset_host();
        assert_int_equal(host_init(&h, root), 0);
        assert_int_equal(host_open_journal(&h, journal, NULL), 0);

        add(&a, &h, "/sys/kernel/mm/transparent_hugepage/enabled", "always");
        add(&a, &h, "/proc/sys/vm/swappiness", "10");
        add(&a, &h, "/proc/sys/vm/dirty_ratio", "20");         /* already so: no write */
        w = writes_to(&h);
        assert_int_equal(tunables_apply(&h.tunables, &a, true), 0);
        assert_int_equal(writes_to(&h) - w, 2);
        assert_string_equal(get("/sys/kernel/mm/transparent_hugepage/enabled"), "always");
        assert_string_equal(get("/proc/sys/vm/swappiness"), "10");
        assert_int_equal(h.tunables.n, 3);

        /* Switch: swappiness to its new value in one write, THP back,
         * dirty_background_ratio new. */
        add(&b, &h, "/proc/sys/vm/swappiness", "30");
        add(&b, &h, "/proc/sys/vm/dirty_background_ratio", "5");
        w = writes_to(&h);
        assert_int_equal(tunables_apply(&h.tunables, &b, true), 0);
        assert_int_equal(writes_to(&h) - w, 3);
        assert_string_equal(get("/sys/kernel/mm/transparent_hugepage/enabled"), "madvise");
        assert_string_equal(get("/proc/sys/vm/swappiness"), "30");
        assert_string_equal(get("/proc/sys/vm/dirty_background_ratio"), "5");

        /* The original of swappiness is still the first one: 60. */
        assert_int_equal(tunables_rollback(&h.tunables), 0);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "60");
        assert_string_equal(get("/proc/sys/vm/dirty_background_ratio"), "10");
        assert_int_equal(h.tunables.n, 0);

        plan_done(&a);
        plan_done(&b);
        host_done(&h);
}

static void test_recovery_after_kill(void **state) {
        struct host h1, h2;
        struct plan a = {};

        (void) state;
        reset_host();
        assert_int_equal(host_init(&h1, root), 0);
        assert_int_equal(host_open_journal(&h1, journal, NULL), 0);
        add(&a, &h1, "/proc/sys/vm/swappiness", "1");
        add(&a, &h1, "/sys/kernel/mm/transparent_hugepage/enabled", "never");
        assert_int_equal(tunables_apply(&h1.tunables, &a, true), 0);
        plan_done(&a);
        /* "Killed": the first instance never rolls back. */

        assert_int_equal(host_init(&h2, root), 0);
        assert_int_equal(host_open_journal(&h2, journal, NULL), 2);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "1");
        assert_int_equal(tunables_rollback(&h2.tunables), 0);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "60");
        assert_string_equal(get("/sys/kernel/mm/transparent_hugepage/enabled"), "madvise");
        host_done(&h2);
        host_done(&h1);
}

static void test_recovered_then_switch_keeps_original(void **state) {
        struct host h1, h2;
        struct plan a = {}, b = {};

        (void) state;
        reset_host();
        assert_int_equal(host_init(&h1, root), 0);
        assert_int_equal(host_open_journal(&h1, journal, NULL), 0);
        add(&a, &h1, "/proc/sys/vm/swappiness", "1");
        assert_int_equal(tunables_apply(&h1.tunables, &a, true), 0);

        /* A new daemon adopts the journal and applies its profile: the
         * true original (60) must survive, not the killed daemon's 1. */
        assert_int_equal(host_init(&h2, root), 0);
        assert_int_equal(host_open_journal(&h2, journal, NULL), 1);
        add(&b, &h2, "/proc/sys/vm/swappiness", "5");
        assert_int_equal(tunables_apply(&h2.tunables, &b, true), 0);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "5");
        assert_int_equal(tunables_rollback(&h2.tunables), 0);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "60");
        plan_done(&a);
        plan_done(&b);
        host_done(&h2);
        host_done(&h1);
}

static void test_refused_write_skipped(void **state) {
        struct host h;
        struct plan a = {};
        struct change *c = NULL;
        size_t n = 0;
        char fifo[256];

        (void) state;
        reset_host();
        /* A FIFO with no reader: reading gives "", writing fails (ENXIO). */
        snprintf(fifo, sizeof fifo, "%s/proc/sys/vm/refuses", root);
        unlink(fifo);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        assert_int_equal(host_init(&h, root), 0);
        assert_int_equal(host_open_journal(&h, journal, NULL), 0);
        add(&a, &h, "/proc/sys/vm/swappiness", "10");
        add(&a, &h, "/proc/sys/vm/refuses", "1");
        add(&a, &h, "/proc/sys/vm/dirty_ratio", "40");
        add(&a, &h, "/proc/sys/vm/does-not-exist", "1");
        assert_int_equal(tunables_apply(&h.tunables, &a, true), 0);
        /* The rest still applied. */
        assert_string_equal(get("/proc/sys/vm/swappiness"), "10");
        assert_string_equal(get("/proc/sys/vm/dirty_ratio"), "40");
        /* Refused writes are not drift. */
        assert_int_equal(tunables_verify(&h.tunables, &c, &n), 0);
        assert_int_equal(n, 0);
        free(c);
        assert_int_equal(tunables_rollback(&h.tunables), 0);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "60");
        assert_string_equal(get("/proc/sys/vm/dirty_ratio"), "20");
        unlink(fifo);
        plan_done(&a);
        host_done(&h);
}

static void test_verify_and_diff(void **state) {
        struct host h;
        struct plan a = {}, b = {};
        struct change *c = NULL;
        size_t n = 0;

        (void) state;
        reset_host();
        assert_int_equal(host_init(&h, root), 0);
        assert_int_equal(host_open_journal(&h, journal, NULL), 0);
        add(&a, &h, "/proc/sys/vm/swappiness", "10");
        assert_int_equal(plan_add(&a, &h.file, "/proc/sys/vm/dirty_ratio", "20", "10-30", "test", NULL), 0);
        assert_int_equal(tunables_apply(&h.tunables, &a, true), 0);

        assert_int_equal(tunables_verify(&h.tunables, &c, &n), 0);
        assert_int_equal(n, 0);
        free(c);
        put("/proc/sys/vm/swappiness", "77");          /* someone else changed it */
        put("/proc/sys/vm/dirty_ratio", "25");          /* within the dynamic range: fine */
        assert_int_equal(tunables_verify(&h.tunables, &c, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(c[0].key, "/proc/sys/vm/swappiness");
        assert_string_equal(c[0].from, "10");
        assert_string_equal(c[0].to, "77");
        change_free_many(c, n);

        /* Diff to a plan that sets dirty_ratio only: swappiness would go back
         * to 60, dirty_ratio 25 -> 40. Nothing changes meanwhile. */
        add(&b, &h, "/proc/sys/vm/dirty_ratio", "40");
        assert_int_equal(tunables_diff(&h.tunables, &b, &c, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(c[0].key, "/proc/sys/vm/dirty_ratio");
        assert_string_equal(c[0].from, "25");
        assert_string_equal(c[0].to, "40");
        assert_string_equal(c[1].key, "/proc/sys/vm/swappiness");
        assert_string_equal(c[1].from, "77");
        assert_string_equal(c[1].to, "60");
        change_free_many(c, n);
        assert_string_equal(get("/proc/sys/vm/dirty_ratio"), "25");

        assert_int_equal(tunables_rollback(&h.tunables), 0);
        plan_done(&a);
        plan_done(&b);
        host_done(&h);
}

static void test_forget_device(void **state) {
        struct host h;
        struct plan a = {};

        (void) state;
        reset_host();
        assert_int_equal(host_init(&h, root), 0);
        assert_int_equal(host_open_journal(&h, journal, NULL), 0);
        assert_int_equal(plan_add(&a, &h.file, "/proc/sys/vm/swappiness", "10", NULL, "disk", "sdz"), 0);
        add(&a, &h, "/proc/sys/vm/dirty_ratio", "40");
        assert_int_equal(tunables_apply(&h.tunables, &a, true), 0);
        assert_int_equal(tunables_forget_device(&h.tunables, "sdz"), 0);
        assert_int_equal(h.tunables.n, 1);
        assert_int_equal(tunables_rollback(&h.tunables), 0);
        /* The forgotten device's setting is not written back. */
        assert_string_equal(get("/proc/sys/vm/swappiness"), "10");
        assert_string_equal(get("/proc/sys/vm/dirty_ratio"), "20");
        plan_done(&a);
        host_done(&h);
}

/* Settings a backend retunes per device (libvirt domains) outlive a profile
 * switch; moving the device itself puts back what it no longer sets. */
static void test_per_device(void **state) {
        struct host h;
        struct backend dom;
        struct plan a = {}, none = {}, c = {};

        (void) state;
        reset_host();
        assert_int_equal(host_init(&h, root), 0);
        dom = h.file;
        dom.name = "dom";
        dom.retuned_per_device = true;
        assert_int_equal(host_add_backend(&h, &dom), 0);
        assert_int_equal(host_open_journal(&h, journal, NULL), 0);

        assert_int_equal(plan_add(&a, &dom, "/proc/sys/vm/swappiness", "10", NULL, "pinning", "vm1"), 0);
        add(&a, &h, "/proc/sys/vm/dirty_ratio", "40");
        assert_int_equal(tunables_apply(&h.tunables, &a, true), 0);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "10");

        /* A switch to a plan without either: the profile's setting goes back,
         * the device's stays for its own retune. */
        assert_int_equal(tunables_apply(&h.tunables, &none, true), 0);
        assert_string_equal(get("/proc/sys/vm/dirty_ratio"), "20");
        assert_string_equal(get("/proc/sys/vm/swappiness"), "10");
        assert_int_equal(h.tunables.n, 1);

        /* The device moves to other settings: the one it left goes back. */
        assert_int_equal(plan_add(&c, &dom, "/proc/sys/vm/dirty_background_ratio", "3", NULL, "pinning", "vm1"), 0);
        assert_int_equal(tunables_apply_device(&h.tunables, &c, "vm1"), 0);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "60");
        assert_string_equal(get("/proc/sys/vm/dirty_background_ratio"), "3");
        assert_int_equal(h.tunables.n, 1);

        /* Nothing for it: everything back. */
        assert_int_equal(tunables_apply_device(&h.tunables, &none, "vm1"), 0);
        assert_string_equal(get("/proc/sys/vm/dirty_background_ratio"), "10");
        assert_int_equal(h.tunables.n, 0);
        plan_done(&a);
        plan_done(&c);
        host_done(&h);
}

static void test_hold(void **state) {
        struct host h;
        struct plan a = {}, b = {};
        char p[256];
        struct stat st;

        (void) state;
        reset_host();
        snprintf(p, sizeof p, "%s/dev", root);
        mkdir(p, 0755);
        put("/dev/cpu_dma_latency", "");
        assert_int_equal(host_init(&h, root), 0);
        assert_int_equal(host_open_journal(&h, journal, NULL), 0);
        assert_int_equal(plan_add(&a, &h.hold, "/dev/cpu_dma_latency", "3", NULL, "cpu", NULL), 0);
        assert_int_equal(tunables_apply(&h.tunables, &a, true), 0);
        snprintf(p, sizeof p, "%s/dev/cpu_dma_latency", root);
        assert_int_equal(stat(p, &st), 0);
        assert_true(st.st_size >= 4);
        /* Holds are never journaled. */
        struct journal_record *recs = NULL;
        size_t n = 0, skipped = 0;
        assert_int_equal(journal_load(journal, "", &recs, &n, &skipped), 0);
        journal_record_free_many(recs, n);
        /* Same value again: nothing reopened; then released on switch. */
        unsigned w = writes_to(&h);
        assert_int_equal(tunables_apply(&h.tunables, &a, true), 0);
        assert_int_equal(writes_to(&h), w);
        assert_int_equal(tunables_apply(&h.tunables, &b, true), 0);
        assert_int_equal(h.tunables.n, 0);
        plan_done(&a);
        host_done(&h);
}

/* Block queues go through the write batch, one lane per device: a switch
 * puts back one disk and sets another, and the journal still holds exactly
 * the originals of what is held. */
static void test_block_queues(void **state) {
        static const char *const disks[] = { "vda", "vdb", "vdc" };
        struct host h;
        struct plan a = {}, b = {};
        char p[256];
        unsigned w;

        (void) state;
        reset_host();
        for (size_t i = 0; i < ELEMENTSOF(disks); i++) {
                snprintf(p, sizeof p, "/sys/block/%s/queue/scheduler", disks[i]);
                put(p, "none [mq-deadline] kyber");
                snprintf(p, sizeof p, "/sys/block/%s/queue/nr_requests", disks[i]);
                put(p, "256");
        }
        assert_int_equal(host_init(&h, root), 0);
        assert_int_equal(host_open_journal(&h, journal, NULL), 0);

        add(&a, &h, "/sys/block/vda/queue/scheduler", "none");
        add(&a, &h, "/sys/block/vda/queue/nr_requests", "64");
        add(&a, &h, "/sys/block/vdb/queue/scheduler", "none");
        add(&a, &h, "/proc/sys/vm/swappiness", "10");
        w = writes_to(&h);
        assert_int_equal(tunables_apply(&h.tunables, &a, true), 0);
        assert_int_equal(writes_to(&h) - w, 4);
        assert_string_equal(get("/sys/block/vda/queue/scheduler"), "none");
        assert_string_equal(get("/sys/block/vda/queue/nr_requests"), "64");
        assert_string_equal(get("/sys/block/vdb/queue/scheduler"), "none");

        add(&b, &h, "/sys/block/vdc/queue/scheduler", "kyber");
        add(&b, &h, "/sys/block/vda/queue/nr_requests", "128");
        w = writes_to(&h);
        assert_int_equal(tunables_apply(&h.tunables, &b, true), 0);
        /* vda's scheduler, vdb's scheduler and swappiness back; vdc and vda's depth set. */
        assert_int_equal(writes_to(&h) - w, 5);
        assert_string_equal(get("/sys/block/vda/queue/scheduler"), "mq-deadline");
        assert_string_equal(get("/sys/block/vdb/queue/scheduler"), "mq-deadline");
        assert_string_equal(get("/sys/block/vdc/queue/scheduler"), "kyber");
        assert_string_equal(get("/sys/block/vda/queue/nr_requests"), "128");
        assert_string_equal(get("/proc/sys/vm/swappiness"), "60");
        assert_int_equal(h.tunables.n, 2);

        /* The records of what went back leave the journal when the caller
         * compacts it (after its reply). */
        struct journal_record *recs = NULL;
        size_t n = 0, skipped = 0;
        assert_true(h.tunables.compact_pending);
        assert_int_equal(journal_load(journal, "", &recs, &n, &skipped), 5);
        journal_record_free_many(recs, n);
        assert_int_equal(tunables_compact(&h.tunables), 0);
        assert_false(h.tunables.compact_pending);
        assert_int_equal(journal_load(journal, "", &recs, &n, &skipped), 2);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(recs[i].original, streq(recs[i].key, "/sys/block/vdc/queue/scheduler") ?
                                                   "mq-deadline" : "256");
        journal_record_free_many(recs, n);

        /* An apply that journals a new original compacts first: no stale
         * record may precede it. */
        assert_int_equal(tunables_apply(&h.tunables, &a, true), 0);
        assert_true(h.tunables.compact_pending);
        struct plan c = {};
        add(&c, &h, "/sys/block/vdc/queue/scheduler", "kyber");
        add(&c, &h, "/sys/block/vda/queue/nr_requests", "128");
        add(&c, &h, "/proc/sys/vm/dirty_ratio", "30");
        assert_int_equal(tunables_apply(&h.tunables, &c, false), 0);
        assert_int_equal(journal_load(journal, "", &recs, &n, &skipped), (int) h.tunables.n);
        journal_record_free_many(recs, n);

        assert_int_equal(tunables_rollback(&h.tunables), 0);
        assert_false(h.tunables.compact_pending);
        plan_done(&c);
        assert_string_equal(get("/sys/block/vdc/queue/scheduler"), "mq-deadline");
        assert_string_equal(get("/sys/block/vda/queue/nr_requests"), "256");
        assert_int_equal(h.tunables.n, 0);

        plan_done(&a);
        plan_done(&b);
        host_done(&h);
}

/* A backend that registers after the journal is open, as the libvirt
 * module's does: an in-memory map of two keys. */
static char late_values[2][32];
static bool late_down;          /* no connection: writes fail with -ENOTCONN */
static bool late_gone;          /* the domain is gone: writes fail with -ENOENT */

static int late_slot(const char *key) {
        return streq(key, "dom/vcpu0") ? 0 : streq(key, "dom/vcpu1") ? 1 : -1;
}

static int late_read(void *userdata, const char *key, char *buf, size_t size) {
        int i = late_slot(key);

        (void) userdata;
        if (i < 0)
                return -ENOENT;
        snprintf(buf, size, "%s", late_values[i]);
        return 0;
}

static int late_write(void *userdata, const char *key, const char *value) {
        int i = late_slot(key);

        (void) userdata;
        if (late_down)
                return -ENOTCONN;
        if (i < 0 || late_gone)
                return -ENOENT;
        snprintf(late_values[i], sizeof late_values[i], "%s", value);
        return 1;
}

static struct backend late = { .name = "late", .journaled = true, .read = late_read, .write = late_write };

/* A fresh fake host, and both keys of the late backend at "0-3". */
static void late_reset(void) {
        reset_host();
        strcpy(late_values[0], "0-3");
        strcpy(late_values[1], "0-3");
}

/* The backend of the journal's first record. */
static char *journal_first(void) {
        static char first[32];
        struct journal_record *recs = NULL;
        size_t n = 0, skipped = 0;

        assert_true(journal_load(journal, "", &recs, &n, &skipped) >= 1);
        snprintf(first, sizeof first, "%s", recs[0].backend);
        journal_record_free_many(recs, n);
        return first;
}

static size_t journal_count(const char *backend) {
        struct journal_record *recs = NULL;
        size_t n = 0, skipped = 0, k = 0;

        assert_true(journal_load(journal, "", &recs, &n, &skipped) >= 0);
        for (size_t i = 0; i < n; i++)
                k += streq(recs[i].backend, backend);
        journal_record_free_many(recs, n);
        return k;
}

static void test_late_backend(void **state) {
        struct host h1, h2, h3;
        struct plan a = {}, b = {};

        (void) state;
        late_reset();
        /* A daemon with the backend from the start pins both, then is killed. */
        assert_int_equal(host_init(&h1, root), 0);
        assert_int_equal(host_add_backend(&h1, &late), 0);
        assert_int_equal(host_open_journal(&h1, journal, NULL), 0);
        add(&a, &h1, "/proc/sys/vm/swappiness", "1");
        assert_int_equal(plan_add(&a, &late, "dom/vcpu0", "1", NULL, "test", "dom"), 0);
        assert_int_equal(plan_add(&a, &late, "dom/vcpu1", "2", NULL, "test", "dom"), 0);
        assert_int_equal(tunables_apply(&h1.tunables, &a, true), 0);
        assert_string_equal(late_values[0], "1");
        assert_int_equal(journal_count("late"), 2);

        /* The next one opens the journal before the backend registers: its
         * records wait, and outlive the rewrites of a switch and a kill. */
        assert_int_equal(host_init(&h2, root), 0);
        assert_int_equal(host_open_journal(&h2, journal, "late"), 3);
        assert_int_equal(h2.tunables.n, 1);
        assert_int_equal(h2.tunables.n_waiting, 2);
        add(&b, &h2, "/proc/sys/vm/dirty_ratio", "30");
        assert_int_equal(tunables_apply(&h2.tunables, &b, true), 0);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "60");
        assert_int_equal(tunables_compact(&h2.tunables), 0);
        assert_int_equal(journal_count("late"), 2);
        assert_int_equal(journal_count("file"), 1);
        /* Older than any entry, so first: a replay writes them last. */
        assert_string_equal(journal_first(), "late");
        assert_string_equal(late_values[0], "1");
        assert_int_equal(tunables_restore_waiting(&h2.tunables), 0);   /* not registered yet */

        assert_int_equal(host_init(&h3, root), 0);
        assert_int_equal(host_open_journal(&h3, journal, "late"), 3);
        assert_int_equal(h3.tunables.n_waiting, 2);
        host_done(&h3);

        /* Off (or a stop) before it registers puts back the rest and keeps them. */
        assert_int_equal(tunables_rollback(&h2.tunables), 0);
        assert_string_equal(get("/proc/sys/vm/dirty_ratio"), "20");
        assert_int_equal(journal_count("late"), 2);
        assert_int_equal(journal_count("file"), 0);

        /* It registers, but cannot reach its target yet: they keep waiting. */
        assert_int_equal(host_add_backend(&h2, &late), 0);
        assert_ptr_equal(tunables_backend(&h2.tunables, "late"), &late);
        late_down = true;
        assert_int_equal(tunables_restore_waiting(&h2.tunables), 0);
        late_down = false;
        assert_int_equal(h2.tunables.n_waiting, 2);
        assert_int_equal(journal_count("late"), 2);
        assert_string_equal(late_values[0], "1");

        /* It can: the originals go back and leave the journal. */
        assert_int_equal(tunables_restore_waiting(&h2.tunables), 2);
        assert_string_equal(late_values[0], "0-3");
        assert_string_equal(late_values[1], "0-3");
        assert_int_equal(h2.tunables.n_waiting, 0);
        assert_int_equal(journal_count("late"), 0);
        assert_int_equal(tunables_restore_waiting(&h2.tunables), 0);
        host_done(&h2);
        host_done(&h1);
        plan_done(&a);
        plan_done(&b);

        /* A daemon that will never have it drops such records. */
        reset_host();
        assert_int_equal(host_init(&h1, root), 0);
        assert_int_equal(host_add_backend(&h1, &late), 0);
        assert_int_equal(host_open_journal(&h1, journal, NULL), 0);
        assert_int_equal(plan_add(&a, &late, "dom/vcpu0", "1", NULL, "test", "dom"), 0);
        assert_int_equal(tunables_apply(&h1.tunables, &a, true), 0);
        assert_int_equal(journal_count("late"), 1);
        assert_int_equal(host_init(&h3, root), 0);
        assert_int_equal(host_open_journal(&h3, journal, NULL), 0);
        assert_int_equal(h3.tunables.n_waiting, 0);
        assert_int_equal(journal_count("late"), 0);
        host_done(&h3);
        host_done(&h1);
        plan_done(&a);

        /* Two records of one setting (a hand-made journal): the first holds
         * the true original, and goes back last. */
        struct journal_record twice[] = {
                { (char *) "late", (char *) "dom/vcpu0", (char *) "0-3" },
                { (char *) "late", (char *) "dom/vcpu0", (char *) "2" },
        };
        size_t len;
        _cleanup_free_ char *text = journal_format(twice, 2, "", &len);
        assert_non_null(text);
        put("/run/journal", text);
        strcpy(late_values[0], "1");
        assert_int_equal(host_init(&h1, root), 0);
        assert_int_equal(host_open_journal(&h1, journal, "late"), 2);
        assert_int_equal(host_add_backend(&h1, &late), 0);
        assert_int_equal(tunables_restore_waiting(&h1.tunables), 2);
        assert_string_equal(late_values[0], "0-3");
        host_done(&h1);
}

/* The keys of the journal's records of backend, in journal order, joined by ' '. */
static char *journal_keys(const char *backend) {
        static char keys[128];
        struct journal_record *recs = NULL;
        size_t n = 0, skipped = 0;

        keys[0] = '\0';
        assert_true(journal_load(journal, "", &recs, &n, &skipped) >= 0);
        for (size_t i = 0; i < n; i++)
                if (streq(recs[i].backend, backend))
                        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", keys[0] ? " " : "",
                                 recs[i].key);
        journal_record_free_many(recs, n);
        return keys;
}

static void test_late_backend_unreachable(void **state) {
        struct host h1, h2;
        struct plan a = {}, none = {};

        (void) state;
        late_reset();
        assert_int_equal(host_init(&h1, root), 0);
        assert_int_equal(host_open_journal(&h1, journal, "late"), 0);
        assert_int_equal(host_add_backend(&h1, &late), 0);
        add(&a, &h1, "/proc/sys/vm/swappiness", "1");
        assert_int_equal(plan_add(&a, &late, "dom/vcpu0", "1", NULL, "test", "dom"), 0);
        assert_int_equal(plan_add(&a, &late, "dom/vcpu1", "2", NULL, "test", "dom"), 0);
        assert_int_equal(tunables_apply(&h1.tunables, &a, true), 0);

        /* A domain put back while the backend cannot connect: its originals
         * wait, and the settings are no longer held. */
        late_down = true;
        assert_int_equal(tunables_apply_device(&h1.tunables, &none, "dom"), 0);
        assert_string_equal(late_values[0], "1");
        assert_int_equal(h1.tunables.n, 1);
        assert_int_equal(h1.tunables.n_waiting, 2);
        assert_string_equal(journal_keys("late"), "dom/vcpu0 dom/vcpu1");

        /* Off, or a stop: the rest goes back, the waiting records stay in
         * the journal, in journal order, for whoever connects next. */
        assert_int_equal(tunables_rollback(&h1.tunables), 0);
        assert_string_equal(get("/proc/sys/vm/swappiness"), "60");
        assert_int_equal(journal_count("file"), 0);
        assert_string_equal(journal_keys("late"), "dom/vcpu0 dom/vcpu1");
        assert_int_equal(host_init(&h2, root), 0);
        assert_int_equal(host_open_journal(&h2, journal, "late"), 2);
        assert_int_equal(h2.tunables.n_waiting, 2);
        host_done(&h2);

        /* Still unreachable at the next try: nothing lost, nothing doubled. */
        assert_int_equal(tunables_restore_waiting(&h1.tunables), 0);
        assert_int_equal(h1.tunables.n_waiting, 2);
        assert_string_equal(journal_keys("late"), "dom/vcpu0 dom/vcpu1");
        late_down = false;

        /* Connected again: the domain's own pinning goes back. */
        assert_int_equal(tunables_restore_waiting(&h1.tunables), 2);
        assert_string_equal(late_values[0], "0-3");
        assert_string_equal(late_values[1], "0-3");
        assert_int_equal(h1.tunables.n_waiting, 0);
        assert_int_equal(journal_count("late"), 0);
        host_done(&h1);
        plan_done(&a);

        /* Any other failure (the domain is gone) is final: reported, not kept. */
        reset_host();
        assert_int_equal(host_init(&h1, root), 0);
        assert_int_equal(host_open_journal(&h1, journal, "late"), 0);
        assert_int_equal(host_add_backend(&h1, &late), 0);
        assert_int_equal(plan_add(&a, &late, "dom/vcpu0", "1", NULL, "test", "dom"), 0);
        assert_int_equal(tunables_apply(&h1.tunables, &a, true), 0);
        late_gone = true;
        assert_int_equal(tunables_rollback(&h1.tunables), 0);
        late_gone = false;
        assert_int_equal(h1.tunables.n_waiting, 0);
        assert_int_equal(journal_count("late"), 0);
        host_done(&h1);
        plan_done(&a);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_apply_switch_rollback),
                cmocka_unit_test(test_recovery_after_kill),
                cmocka_unit_test(test_recovered_then_switch_keeps_original),
                cmocka_unit_test(test_refused_write_skipped),
                cmocka_unit_test(test_verify_and_diff),
                cmocka_unit_test(test_forget_device),
                cmocka_unit_test(test_hold),
                cmocka_unit_test(test_per_device),
                cmocka_unit_test(test_block_queues),
                cmocka_unit_test(test_late_backend),
                cmocka_unit_test(test_late_backend_unreachable),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
