/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The write batch: different lanes really run at once (a write in one lane
 * waits for a write in another, which only a concurrent run can satisfy),
 * each lane keeps its order, writes without a lane stay on the calling
 * thread and in order, restores skip what the host already holds, and the
 * file backend puts each block device's queue in a lane of its own. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "kvmtuned/macro.h"
#include "log.h"
#include "tunables.h"
#include "write-batch.h"

/* A host in memory. Keys are "lane/name"; a key "lane/-" has no lane. */
#define LOG_MAX 256
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static char written[LOG_MAX][32];       /* keys in the order written */
static pthread_t writer[LOG_MAX];
static unsigned n_written, n_released;
static const char *wait_for;            /* a write to "b/go" waits until this key is written */

static bool was_written(const char *key) {
        for (unsigned i = 0; i < n_written; i++)
                if (streq(written[i], key))
                        return true;
        return false;
}

/* What was written, for reads after a write. */
static struct { char key[32], value[32]; } store[LOG_MAX];
static unsigned n_store;

static void store_put(const char *key, const char *value) {
        unsigned i;

        for (i = 0; i < n_store && !streq(store[i].key, key); i++)
                ;
        if (i == LOG_MAX)
                return;
        n_store += i == n_store;
        snprintf(store[i].key, sizeof store[i].key, "%s", key);
        snprintf(store[i].value, sizeof store[i].value, "%s", value);
}

static int mem_write(void *userdata, const char *key, const char *value) {
        struct timespec until;
        int r = 0;

        (void) userdata;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        pthread_mutex_lock(&lock);
        while (wait_for && streq(key, "a/wait") && !was_written(wait_for) && r == 0)
                r = pthread_cond_timedwait(&changed, &lock, &until) == ETIMEDOUT ? ETIMEDOUT : 0;
        if (n_written < LOG_MAX) {
                snprintf(written[n_written], sizeof written[n_written], "%s", key);
                writer[n_written++] = pthread_self();
        }
        if (strstr(key, "fail"))
                r = EACCES;
        else if (!r)
                store_put(key, value);
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        return r ? -r : 0;
}

static int mem_read(void *userdata, const char *key, char *buf, size_t size) {
        const char *v = strstr(key, "held") ? "old" : "other";

        (void) userdata;
        pthread_mutex_lock(&lock);
        for (unsigned i = 0; i < n_store; i++)
                if (streq(store[i].key, key))
                        v = store[i].value;
        snprintf(buf, size, "%s", v);
        pthread_mutex_unlock(&lock);
        return (int) strlen(buf);
}

static void mem_release(void *userdata, const char *key) {
        (void) userdata, (void) key;
        n_released++;
}

static bool mem_lane(const char *key, char *buf, size_t size) {
        const char *slash = strchr(key, '/');

        if (!slash || streq(slash, "/-") || (size_t) (slash - key) >= size)
                return false;
        snprintf(buf, size, "%.*s", (int) (slash - key), key);
        return true;
}

static const struct backend mem = {
        .name = "mem", .journaled = true,
        .read = mem_read, .write = mem_write, .release = mem_release, .lane = mem_lane,
};

static struct write_op set(const char *key) {
        return (struct write_op) { .be = &mem, .key = key, .value = "new", .kind = WRITE_SET, .result = -1 };
}

static int reset(void **state) {
        (void) state;
        log_set_level(KT_LOG_ERR);
        n_written = n_released = n_store = 0;
        wait_for = NULL;
        return 0;
}

static unsigned position(const char *key) {
        for (unsigned i = 0; i < n_written; i++)
                if (streq(written[i], key))
                        return i;
        fail_msg("%s was never written", key);
        return 0;
}

/* "a/wait" is queued first and blocks until "b/go" is written: a batch
 * that ran the lanes one after the other would time out. */
static void test_lanes_run_at_once(void **state) {
        struct write_op ops[] = { set("a/wait"), set("b/go") };

        (void) state;
        wait_for = "b/go";
        assert_int_equal(write_batch_run(ops, 2), 2);
        assert_int_equal(ops[0].result, 1);
        assert_int_equal(ops[1].result, 1);
        assert_true(position("b/go") < position("a/wait"));
}

static void test_lane_keeps_order(void **state) {
        struct write_op ops[] = { set("a/1"), set("b/1"), set("x/-"), set("a/2"), set("b/2"), set("y/-"), set("a/3") };

        (void) state;
        assert_int_equal(write_batch_run(ops, ELEMENTSOF(ops)), 2);
        assert_int_equal(n_written, ELEMENTSOF(ops));
        assert_true(position("a/1") < position("a/2") && position("a/2") < position("a/3"));
        assert_true(position("b/1") < position("b/2"));
        assert_true(position("x/-") < position("y/-"));
        /* Writes without a lane ran here; the lanes did not. */
        assert_true(pthread_equal(writer[position("x/-")], pthread_self()));
        assert_true(pthread_equal(writer[position("y/-")], pthread_self()));
        assert_false(pthread_equal(writer[position("a/1")], pthread_self()));
        for (size_t i = 0; i < ELEMENTSOF(ops); i++)
                assert_int_equal(ops[i].result, 1);
}

/* One lane alone gains nothing from a thread. */
static void test_single_lane_runs_here(void **state) {
        struct write_op ops[] = { set("a/1"), set("a/2") };

        (void) state;
        assert_int_equal(write_batch_run(ops, 2), 0);
        assert_true(pthread_equal(writer[0], pthread_self()));
        assert_true(position("a/1") < position("a/2"));
}

/* More lanes than threads: lanes share threads, none is lost. */
static void test_more_lanes_than_threads(void **state) {
        enum { LANES = WRITE_BATCH_THREADS_MAX + 8 };
        static char keys[LANES * 2][16];
        struct write_op ops[LANES * 2];

        (void) state;
        for (unsigned i = 0; i < LANES * 2; i++) {
                snprintf(keys[i], sizeof keys[i], "l%u/%u", i % LANES, i / LANES);
                ops[i] = set(keys[i]);
        }
        /* Fewer threads (a pids limit) only means lanes share them. */
        assert_true(write_batch_run(ops, LANES * 2) <= WRITE_BATCH_THREADS_MAX);
        assert_int_equal(n_written, LANES * 2);
        for (unsigned i = 0; i < LANES; i++) {
                assert_int_equal(ops[i].result, 1);
                assert_true(position(keys[i]) < position(keys[i + LANES]));
        }
}

static void test_restore_and_release(void **state) {
        struct write_op ops[] = {
                { .be = &mem, .key = "a/held", .value = "old", .kind = WRITE_RESTORE, .result = -1 },
                { .be = &mem, .key = "b/moved", .value = "old", .kind = WRITE_RESTORE, .result = -1 },
                { .be = &mem, .key = "hold", .kind = WRITE_RELEASE, .result = -1 },
        };

        (void) state;
        write_batch_run(ops, ELEMENTSOF(ops));
        assert_int_equal(ops[0].result, 0);     /* already holds the original */
        assert_int_equal(ops[1].result, 1);
        assert_int_equal(ops[2].result, 0);
        assert_int_equal(n_written, 1);
        assert_string_equal(written[0], "b/moved");
        assert_int_equal(n_released, 1);
}

/* Through the tunables set: in a lane, a switch puts back (newest first)
 * before it sets, and a refused write marks its own entry, not another. */
static void test_tunables_switch(void **state) {
        char dir[] = "/tmp/kt-write-batch-XXXXXX", journal[64];
        struct backend be = mem;
        struct backend *backends[] = { &be };
        struct tunables t;
        struct plan a = {}, b = {};

        (void) state;
        assert_non_null(mkdtemp(dir));
        snprintf(journal, sizeof journal, "%s/journal", dir);
        assert_true(tunables_init(&t, backends, 1, journal, "boot", NULL) >= 0);
        assert_int_equal(plan_add(&a, &be, "a/1", "new", NULL, "test", NULL), 0);
        assert_int_equal(plan_add(&a, &be, "a/2", "new", NULL, "test", NULL), 0);
        assert_int_equal(tunables_apply(&t, &a, true), 0);

        n_written = 0;
        assert_int_equal(plan_add(&b, &be, "a/3", "new", NULL, "test", NULL), 0);
        assert_int_equal(plan_add(&b, &be, "a/fail", "new", NULL, "test", NULL), 0);
        assert_int_equal(plan_add(&b, &be, "b/1", "new", NULL, "test", NULL), 0);
        assert_int_equal(tunables_apply(&t, &b, true), 0);
        assert_int_equal(n_written, 5);
        assert_true(position("a/2") < position("a/1"));
        assert_true(position("a/1") < position("a/3") && position("a/3") < position("a/fail"));
        assert_int_equal(t.n, 3);
        for (size_t i = 0; i < t.n; i++)
                assert_int_equal(t.entries[i]->rejected, streq(t.entries[i]->key, "a/fail"));

        assert_int_equal(tunables_rollback(&t), 0);
        assert_int_equal(t.n, 0);
        tunables_done(&t);
        plan_done(&a);
        plan_done(&b);
        assert_int_equal(unlink(journal), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_file_backend_lanes(void **state) {
        struct hostfs h = {};
        struct backend be;
        char lane[64];

        (void) state;
        backend_file_init(&be, &h);
        assert_true(be.lane("/sys/block/vda/queue/scheduler", lane, sizeof lane));
        assert_string_equal(lane, "vda");
        assert_true(be.lane("/sys/block/nvme0n1/queue/nr_requests", lane, sizeof lane));
        assert_string_equal(lane, "nvme0n1");
        assert_true(be.lane("/sys/block/sda/queue/wbt_lat_usec", lane, sizeof lane));
        assert_string_equal(lane, "sda");
        /* Cheap stores stay on the loop thread. */
        assert_false(be.lane("/sys/block/vda/queue/read_ahead_kb", lane, sizeof lane));
        assert_false(be.lane("/sys/block/vda/queue/scheduler/x", lane, sizeof lane));
        assert_false(be.lane("/sys/block/vda/size", lane, sizeof lane));
        assert_false(be.lane("/sys/block//queue/scheduler", lane, sizeof lane));
        assert_false(be.lane("/proc/sys/vm/swappiness", lane, sizeof lane));
        assert_false(be.lane("/sys/kernel/mm/transparent_hugepage/enabled", lane, sizeof lane));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_lanes_run_at_once, reset),
                cmocka_unit_test_setup(test_lane_keeps_order, reset),
                cmocka_unit_test_setup(test_single_lane_runs_here, reset),
                cmocka_unit_test_setup(test_more_lanes_than_threads, reset),
                cmocka_unit_test_setup(test_restore_and_release, reset),
                cmocka_unit_test_setup(test_tunables_switch, reset),
                cmocka_unit_test_setup(test_file_backend_lanes, reset),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
