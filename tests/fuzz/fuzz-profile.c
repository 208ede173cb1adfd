/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Profiles from hostile input: parse, resolve includes, validate against the
 * real plugins' option tables, and plan against a fake host. Nothing is
 * ever written (planning only collects).
 *
 * One input is up to four profile files separated by \x01 (a byte no valid
 * profile holds): p0 is loaded, and may include p1..p3 (or itself).
 *
 * Environment: KT_PLUGIN_DIR (built plugins), KT_FUZZ_ROOT (a fake host tree,
 * made by run-fuzzer.py). */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "instances.h"
#include "log.h"
#include "plugins.h"
#include "profile.h"

#define FILES 4

static struct plugins plugins;
static struct host host;
static char dir[64];
static struct profile_dirs dirs;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        const char *pdir = getenv("KT_PLUGIN_DIR"), *root = getenv("KT_FUZZ_ROOT");
        static char *d[1];

        (void) argc;
        (void) argv;
        log_set_level(-1);      /* silence: the fuzzer's output is its own */
        if (!pdir || !root) {
                fprintf(stderr, "fuzz-profile: set KT_PLUGIN_DIR and KT_FUZZ_ROOT (see run-fuzzer.py)\n");
                exit(2);
        }
        if (host_init(&host, root) < 0 || plugins_load_dir(&plugins, pdir) < 0 || plugins.n == 0) {
                fprintf(stderr, "fuzz-profile: cannot load plugins from %s\n", pdir);
                exit(2);
        }
        plugins_probe(&plugins, &host);
        snprintf(dir, sizeof dir, "/tmp/kt-fuzz-profile-%d", (int) getpid());
        mkdir(dir, 0700);
        d[0] = dir;
        dirs = (struct profile_dirs) { d, 1 };
        return 0;
}

static void put(unsigned i, const uint8_t *data, size_t n) {
        char path[128];
        int fd;

        snprintf(path, sizeof path, "%s/p%u.conf", dir, i);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                abort();
        if (n > 0 && write(fd, data, n) != (ssize_t) n)
                abort();
        close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct profile *p = NULL;
        struct instances is = {};
        struct plan plan = {};
        char *error = NULL;
        size_t start = 0;
        unsigned f = 0;

        for (size_t i = 0; i <= size && f < FILES; i++)
                if (i == size || data[i] == 0x01) {
                        put(f++, data + start, i - start);
                        start = i + 1;
                }
        for (; f < FILES; f++) {
                char path[128];
                snprintf(path, sizeof path, "%s/p%u.conf", dir, f);
                unlink(path);
        }

        if (profile_load(&dirs, &plugins, "p0", &p, &error) >= 0) {
                if (error)
                        abort();        /* success never carries an error */
                if (instances_new(p, &host, false, &is) >= 0) {
                        if (instances_plan(&is, &plan, &error) < 0 && (!error || strchr(error, '\n')))
                                abort();        /* every refusal says why, in one line */
                        instances_free(&is);
                }
                plan_done(&plan);
                profile_free(p);
        } else if (!error || strchr(error, '\n'))
                abort();                /* a refusal is one line */
        free(error);
        return 0;
}
