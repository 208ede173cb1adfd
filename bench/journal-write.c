/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The cost of one journaled write: the daemon's own tunables code moving a
 * setting it does not hold yet (read it, append its original to the journal
 * with one write() and one fdatasync(), write the new value), on a fake host
 * under a temporary directory. Also, for scale, a write to a setting already
 * held (no journal record) and a plain write of the same file.
 *
 * Usage: journal-write [N] [JOURNAL_DIR...]
 * Prints a markdown fragment. The fake host lives in /dev/shm when there is
 * one (in memory, as sysfs and procfs are: a file system that flushes on
 * O_TRUNC would be measured instead of the daemon), else in $TMPDIR; the
 * journal goes to each JOURNAL_DIR in turn (default: $TMPDIR, on disk, and
 * /dev/shm, standing for a tmpfs /run). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "hostfs.h"
#include "log.h"
#include "timing.h"
#include "tunables.h"

#define DEFAULT_N 200
#define KEY_FMT "/proc/sys/bench/k%u"

static const char *fs_name(const char *dir) {
        static const struct { long magic; const char *name; } names[] = {
                { 0xEF53, "ext4" }, { 0x01021994, "tmpfs" }, { 0x58465342, "xfs" },
                { 0x9123683E, "btrfs" }, { 0x794c7630, "overlayfs" },
        };
        struct statfs s;

        if (statfs(dir, &s) < 0)
                return "?";
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (s.f_type == names[i].magic)
                        return names[i].name;
        return "other";
}

static void key_of(char *buf, size_t size, unsigned i) {
        (void) snprintf(buf, size, KEY_FMT, i);
}

/* root + rel; -ENAMETOOLONG when it does not fit. */
static int host_path(char *buf, size_t size, const char *root, const char *rel) {
        int k = snprintf(buf, size, "%s%s", root, rel);

        return k < 0 || (size_t) k >= size ? -ENAMETOOLONG : 0;
}

static int mkdir_p(char *path) {
        for (char *s = path + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* A fake host with n settings, each holding "0". */
static int make_host(const char *root, unsigned n) {
        char path[PATH_MAX];

        int r;

        r = host_path(path, sizeof path, root, "/proc/sys/bench");
        if (r < 0 || (r = mkdir_p(path)) < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                char key[64];
                FILE *f;

                key_of(key, sizeof key, i);
                r = host_path(path, sizeof path, root, key);
                if (r < 0)
                        return r;
                f = fopen(path, "we");
                if (!f)
                        return -errno;
                fputs("0\n", f);
                fclose(f);
        }
        return 0;
}

static int apply_one(struct tunables *t, const struct backend *be, unsigned i, const char *value, double *us) {
        struct plan p = {};
        char key[64];
        double t0;
        int r;

        key_of(key, sizeof key, i);
        r = plan_add(&p, be, key, value, NULL, "bench", NULL);
        if (r < 0)
                return r;
        t0 = now_us();
        r = tunables_apply(t, &p, false);
        *us = now_us() - t0;
        plan_done(&p);
        return r;
}

struct result {
        double first, first99;  /* journaled write: median, p99 */
        double held, held99;    /* write to a held setting */
        double rollback;        /* per setting put back */
};

static int run(const char *root, const char *journal_dir, unsigned n, struct result *res) {
        _cleanup_free_ double *t = calloc(n, sizeof *t);
        char journal[PATH_MAX];
        struct hostfs fs;
        struct backend be;
        struct backend *backends[1] = { &be };
        struct tunables tun;
        double t0;
        int r;

        if (!t)
                return -ENOMEM;
        r = make_host(root, n);
        if (r < 0)
                return r;
        snprintf(journal, sizeof journal, "%s/journal", journal_dir);
        (void) unlink(journal);
        r = hostfs_init(&fs, root);
        if (r < 0)
                return r;
        backend_file_init(&be, &fs);
        r = tunables_init(&tun, backends, 1, journal, "bench-boot-id", NULL);
        if (r < 0)
                return r;

        for (unsigned i = 0; i < n && r >= 0; i++)
                r = apply_one(&tun, &be, i, "1", &t[i]);
        if (r < 0)
                goto out;
        res->first = percentile(t, n, 50);
        res->first99 = percentile(t, n, 99);

        for (unsigned i = 0; i < n && r >= 0; i++)
                r = apply_one(&tun, &be, i, i % 2 ? "2" : "3", &t[i]);
        if (r < 0)
                goto out;
        res->held = percentile(t, n, 50);
        res->held99 = percentile(t, n, 99);

        t0 = now_us();
        r = tunables_rollback(&tun);
        res->rollback = (now_us() - t0) / n;
out:
        tunables_done(&tun);
        (void) unlink(journal);
        return r;
}

/* The same file writes with no journal at all. */
static int plain(const char *root, unsigned n, double *median, double *p99) {
        _cleanup_free_ double *t = calloc(n, sizeof *t);
        struct hostfs fs;
        char key[64];
        int r;

        if (!t)
                return -ENOMEM;
        r = hostfs_init(&fs, root);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                double t0;

                key_of(key, sizeof key, i);
                t0 = now_us();
                r = hostfs_write(&fs, key, "4");
                t[i] = now_us() - t0;
                if (r < 0)
                        return r;
        }
        *median = percentile(t, n, 50);
        *p99 = percentile(t, n, 99);
        return 0;
}

static void remove_tree(const char *root, unsigned n) {
        char path[PATH_MAX];

        static const char *const dirs[] = { "/proc/sys/bench", "/proc/sys", "/proc" };

        char key[64];

        for (unsigned i = 0; i < n; i++) {
                key_of(key, sizeof key, i);
                if (host_path(path, sizeof path, root, key) >= 0)
                        (void) unlink(path);
        }
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (host_path(path, sizeof path, root, dirs[i]) >= 0)
                        (void) rmdir(path);
        (void) rmdir(root);
}

int main(int argc, char *argv[]) {
        const char *tmp = getenv("TMPDIR") ?: "/tmp";
        const char *defaults[] = { tmp, "/dev/shm" };
        const char *host_dir = access("/dev/shm", W_OK) >= 0 ? "/dev/shm" : tmp;
        const char *const *dirs = defaults;
        size_t n_dirs = ELEMENTSOF(defaults);
        unsigned n = DEFAULT_N;
        char root[PATH_MAX];
        double pm, p99;
        int r;

        if (argc > 1) {
                char *end;
                unsigned long v = strtoul(argv[1], &end, 10);
                if (*end || v < 1 || v > 100000) {
                        fprintf(stderr, "journal-write: invalid count '%s': expected 1 to 100000\n", argv[1]);
                        return EXIT_FAILURE;
                }
                n = (unsigned) v;
        }
        if (argc > 2) {
                dirs = (const char *const *) argv + 2;
                n_dirs = (size_t) argc - 2;
        }
        log_set_level(KT_LOG_WARNING);
        snprintf(root, sizeof root, "%s/kvmtuned-journal-write.XXXXXX", host_dir);
        if (!mkdtemp(root)) {
                fprintf(stderr, "journal-write: cannot create a directory in %s: %m\n", host_dir);
                return EXIT_FAILURE;
        }

        printf("### The cost of one journaled write\n\n"
               "The daemon's tunables code (`tunables_apply()`) on a fake host in %s (%s), %u settings, "
               "each moved once: median and 99th percentile.\n\n"
               "| | median | p99 |\n|---|---|---|\n", host_dir, fs_name(host_dir), n);
        for (size_t i = 0; i < n_dirs; i++) {
                struct result res = {};

                if (access(dirs[i], W_OK) < 0)
                        continue;
                r = run(root, dirs[i], n, &res);
                if (r < 0) {
                        fprintf(stderr, "journal-write: journal in %s: %s\n", dirs[i], strerror(-r));
                        remove_tree(root, n);
                        return EXIT_FAILURE;
                }
                printf("| first change of a setting: read, journal append + fdatasync, write — journal on %s (%s) "
                       "| %.1f µs | %.1f µs |\n", dirs[i], fs_name(dirs[i]), res.first, res.first99);
                printf("| change of a setting already held (no journal record) — journal on %s | %.1f µs | %.1f µs |\n",
                       dirs[i], res.held, res.held99);
                printf("| putting one setting back (rollback of %u, per setting) — journal on %s | %.1f µs | |\n",
                       n, dirs[i], res.rollback);
        }
        r = plain(root, n, &pm, &p99);
        if (r >= 0)
                printf("| plain write of the same file, no journal | %.1f µs | %.1f µs |\n", pm, p99);
        remove_tree(root, n);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
