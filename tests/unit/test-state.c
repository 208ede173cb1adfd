/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scratch.h"
#include "state.h"

/* The choice state_load() finds in dir: "!none", "!off" or the name. */
static const char *loaded(const char *dir) {
        static char buf[64];
        char *name = NULL;
        int r = state_load(dir, &name);

        assert_true(r >= 0);
        if (r == STATE_NONE)
                return "!none";
        if (r == STATE_OFF)
                return "!off";
        assert_int_equal(r, STATE_PROFILE);
        snprintf(buf, sizeof buf, "%s", name);
        free(name);
        return buf;
}

static bool exists(const char *dir, const char *rel) {
        char p[128];

        snprintf(p, sizeof p, "%s/%s", dir, rel);
        return access(p, F_OK) == 0;
}

/* Saves, resaves and syncs in dir; parent is /tmp (ext4 here) or /dev/shm. */
static void save_load_sync(const char *parent) {
        char dir[64], path[96];

        snprintf(dir, sizeof dir, "%s/kt-state-XXXXXX", parent);
        assert_non_null(mkdtemp(dir));
        assert_string_equal(loaded(dir), "!none");

        /* The first choice: nothing to exchange with, a plain rename. */
        assert_int_equal(state_save(dir, "virtual-host"), 0);
        assert_string_equal(loaded(dir), "virtual-host");
        assert_false(exists(dir, ".active_profile.new"));

        /* Later ones: the old choice may wait under the temporary name
         * until the sync, and never counts as the choice. */
        assert_int_equal(state_save(dir, "latency"), 0);
        assert_string_equal(loaded(dir), "latency");
        assert_int_equal(state_save(dir, NULL), 0);
        assert_string_equal(loaded(dir), "!off");
        assert_int_equal(state_save(dir, "density"), 0);
        assert_string_equal(loaded(dir), "density");
        assert_int_equal(state_sync(dir), 0);
        assert_false(exists(dir, ".active_profile.new"));
        assert_string_equal(loaded(dir), "density");
        assert_int_equal(state_sync(dir), 0);

        /* An empty file (power cut before the data reached the disk): the
         * choice before it while state_sync() has not run, else none. Two
         * saves before a sync keep the one before the last. */
        assert_int_equal(state_save(dir, "latency"), 0);
        scratch_put(dir, "/active_profile", "");
        assert_string_equal(loaded(dir), "density");
        assert_int_equal(state_save(dir, NULL), 0);
        assert_int_equal(state_save(dir, "virtual-host"), 0);
        assert_string_equal(loaded(dir), "virtual-host");
        scratch_put(dir, "/active_profile", "");
        assert_string_equal(loaded(dir), "!off");
        assert_int_equal(state_sync(dir), 0);
        scratch_put(dir, "/active_profile", "");
        assert_string_equal(loaded(dir), "!none");

        /* A name no profile can have is an error. */
        scratch_put(dir, "/active_profile", "../etc\n");
        char *name = NULL;
        assert_int_equal(state_load(dir, &name), -EBADMSG);
        assert_null(name);

        assert_int_equal(state_save(dir, "virtual-guest"), 0);
        assert_string_equal(loaded(dir), "virtual-guest");
        assert_int_equal(state_sync(dir), 0);
        snprintf(path, sizeof path, "%s/active_profile", dir);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_on_disk(void **state) {
        (void) state;
        save_load_sync("/tmp");
}

static void test_on_tmpfs(void **state) {
        (void) state;
        if (access("/dev/shm", W_OK) < 0)
                skip();
        save_load_sync("/dev/shm");
}

static void test_refused(void **state) {
        (void) state;
        /* No such directory: an error, nothing created. */
        assert_true(state_save("/nonexistent/kvmtuned-state", "latency") < 0);
        assert_true(state_sync("/nonexistent/kvmtuned-state") < 0);
        /* A name too long for the file is refused before anything is written. */
        char dir[] = "/tmp/kt-state-XXXXXX", big[300];
        assert_non_null(mkdtemp(dir));
        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        assert_int_equal(state_save(dir, big), -EINVAL);
        assert_false(exists(dir, ".active_profile.new"));
        assert_false(exists(dir, "active_profile"));
        assert_int_equal(rmdir(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_on_disk),
                cmocka_unit_test(test_on_tmpfs),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
