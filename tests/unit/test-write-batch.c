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

#include "backend.h"
#include "kvmtuned/macro.h"
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

static int mem_write(void *userdata, const char *key, const char *value) {
        struct timespec until;
        int r = 0;

        (void) userdata, (void) value;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        pthread_mutex_lock(&lock);
        while (wait_for && streq(key, "a/wait") && !was_written(wait_for) && r == 0)
                r = pthread_cond_timedwait(&changed, &lock, &until);
        if (n_written < LOG_MAX) {
                snprintf(written[n_written], sizeof written[n_written], "%s", key);
                writer[n_written++] = pthread_self();
        }
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        return r ? -ETIMEDOUT : 0;
}

static int mem_read(void *userdata, const char *key, char *buf, size_t size) {
        (void) userdata;
        snprintf(buf, size, "%s", strstr(key, "held") ? "old" : "other");
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
        n_written = n_released = 0;
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
        assert_int_equal(write_batch_run(ops, LANES * 2), WRITE_BATCH_THREADS_MAX);
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
                cmocka_unit_test_setup(test_file_backend_lanes, reset),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
