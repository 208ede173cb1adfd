/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Control calls from hostile input, through the real request handling: a
 * D-Bus method call built from the input goes over a socketpair to an
 * sd-bus server serving the daemon's vtable (bus.c) for a manager that runs
 * the shipped profiles on a fake host. Every call must get exactly one
 * reply, every refusal must be one line, and a refused call must leave the
 * active profile as it was. The pure check (control-request.c) is also
 * called with an unprivileged uid, which a socketpair cannot fake.
 *
 * Input: one selector byte, then NUL-separated fields: the member name and
 * up to four string arguments. Selector bits 0-1 choose the interface
 * (the daemon's, Properties, Introspectable, Peer).
 *
 * Environment: KT_PLUGIN_DIR, KT_FUZZ_ROOT (from run-fuzzer.py) and
 * KT_PROFILE_DIR (the shipped profiles). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus.h"
#include "control-request.h"
#include "fuzz.h"
#include "kvmtuned/names.h"
#include "log.h"
#include "manager.h"

#define MAX_FIELDS 5
#define MAX_PUMPS  10000

static struct options opts;
static char base[64];
static unsigned changes_seen;   /* PropertiesChanged signals the client got */
static struct manager *manager;
static sd_bus *server, *client;

static void die(const char *what, int r) {
        fprintf(stderr, "fuzz-control: %s: %s\n", what, strerror(r < 0 ? -r : r));
        exit(2);
}

static void write_file(const char *dir, const char *name, const char *text) {
        char path[256];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "we");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                die(path, errno);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        (void) remove(path);
        return 0;
}

static void remove_base(void) {
        (void) nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A private daemon state: runtime and state dirs on tmpfs when there is one
 * (the journal is fsync'ed on every switch), and a profile dir with a
 * broken profile and one that includes a shipped one. */
static void start_manager(void) {
        const char *pdir = getenv("KT_PLUGIN_DIR"), *root = getenv("KT_FUZZ_ROOT"), *shipped = getenv("KT_PROFILE_DIR");
        static char run[96], state[96], mine[96], conf[96];
        int r;

        if (!pdir || !root || !shipped) {
                fprintf(stderr, "fuzz-control: set KT_PLUGIN_DIR, KT_FUZZ_ROOT and KT_PROFILE_DIR (see run-fuzzer.py)\n");
                exit(2);
        }
        snprintf(base, sizeof base, "%s/kt-fuzz-control-%d", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
                 (int) getpid());
        snprintf(run, sizeof run, "%s/run", base);
        snprintf(state, sizeof state, "%s/state", base);
        snprintf(mine, sizeof mine, "%s/profiles", base);
        snprintf(conf, sizeof conf, "%s/kvmtuned.conf", base);
        if (mkdir(base, 0700) < 0 || mkdir(mine, 0755) < 0)
                die(base, errno);
        atexit(remove_base);
        write_file(base, "kvmtuned.conf", "");
        write_file(mine, "broken.conf", "[main]\ninclude=virtual-host\n[vm]\nswappiness=500\n");
        write_file(mine, "mine.conf", "[main]\nsummary=mine\ninclude=latency\n[vm]\nswappiness=3\n");

        char *argv[] = { "kvmtuned", "--root", (char *) root, "--runtime-dir", run, "--state-dir", state,
                         "--plugin-dir", (char *) pdir, "--profile-dir", mine, "--profile-dir", (char *) shipped,
                         "--config", conf, "--libvirt-uri", "none", "--no-bus", "--profile", "virtual-guest",
                         "--log-level", "error", NULL };
        r = options_parse(&opts, (int) ELEMENTSOF(argv) - 1, argv);
        if (r <= 0)
                die("options", r);
        log_set_level(-1);      /* silence: the fuzzer's output is its own */
        r = manager_new(&opts, &manager);
        if (r < 0)
                die("manager_new", r);
        r = manager_start(manager);
        if (r < 0)
                die("manager_start", r);
}

/* The fake host's choice files (as tests/lib/fakehost.py builds them). A
 * kernel shows the whole list again after a word is written to one; do the
 * same after every call, so the next switch validates against a list as
 * the real one would, and switches keep going deep instead of being
 * refused from the second one on. */
static const struct {
        const char *path;
        const char *words;
} choices[] = {
        { "sys/kernel/mm/transparent_hugepage/enabled", "always madvise never" },
        { "sys/kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise madvise never" },
        { "sys/kernel/mm/transparent_hugepage/shmem_enabled", "always within_size advise never deny force" },
        { "sys/block/sda/queue/scheduler", "none mq-deadline kyber bfq" },
        { "sys/block/vda/queue/scheduler", "none mq-deadline kyber bfq" },
        { "sys/block/loop0/queue/scheduler", "none mq-deadline kyber bfq" },
};

static void settle_one(const char *root, const char *rel, const char *words) {
        char path[512], now[128] = "", out[256] = "", w[64];
        const char *p = words;
        FILE *f;
        size_t len;
        int n;

        snprintf(path, sizeof path, "%s/%s", root, rel);
        f = fopen(path, "re");
        if (!f)
                return;
        len = fread(now, 1, sizeof now - 1, f);
        fclose(f);
        now[len] = '\0';
        now[strcspn(now, "\n")] = '\0';
        if (strchr(now, '['))
                return;         /* nothing written since */
        while (sscanf(p, "%63s%n", w, &n) == 1) {
                bool sel = streq(w, now);
                snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s%s%s", *out ? " " : "", sel ? "[" : "",
                         w, sel ? "]" : "");
                p += n;
        }
        f = fopen(path, "we");
        if (f) {
                fprintf(f, "%s\n", out);
                fclose(f);
        }
}

static void settle(void) {
        for (size_t i = 0; i < ELEMENTSOF(choices); i++)
                settle_one(getenv("KT_FUZZ_ROOT"), choices[i].path, choices[i].words);
}

static void on_changed(struct manager *m, void *userdata) {
        (void) m;
        bus_emit_active_changed(userdata);
}

/* Run both ends until nothing is left to do; done tells when to stop. */
static void pump(const bool *done) {
        for (unsigned i = 0; i < MAX_PUMPS; i++) {
                int a = sd_bus_process(server, NULL), b = sd_bus_process(client, NULL);

                if (a < 0 || b < 0)
                        die("sd_bus_process", a < 0 ? a : b);
                if (done && *done && a == 0 && b == 0)
                        return;
                if (!done && sd_bus_is_ready(client) > 0)
                        return;
        }
        fprintf(stderr, "fuzz-control: no reply after %u rounds\n", MAX_PUMPS);
        abort();        /* every call gets a reply */
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        (void) m;
        (void) userdata;
        (void) ret_error;
        changes_seen++;
        return 0;
}

static void start_buses(void) {
        sd_id128_t id;
        int fds[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
                die("socketpair", errno);
        r = sd_bus_new(&server);
        if (r >= 0)
                r = sd_bus_set_fd(server, fds[0], fds[0]);
        if (r >= 0)
                r = sd_id128_randomize(&id);
        if (r >= 0)
                r = sd_bus_set_server(server, 1, id);
        if (r >= 0)
                r = bus_add_daemon_object(server, manager);
        if (r >= 0)
                r = sd_bus_start(server);
        if (r >= 0)
                r = sd_bus_new(&client);
        if (r >= 0)
                r = sd_bus_set_fd(client, fds[1], fds[1]);
        if (r >= 0)
                r = sd_bus_match_signal(client, NULL, NULL, KT_BUS_PATH, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_properties_changed, NULL);
        if (r >= 0)
                r = sd_bus_start(client);
        if (r < 0)
                die("bus setup", r);
        pump(NULL);
        manager->profile_changed = on_changed;
        manager->profile_changed_userdata = server;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        start_manager();
        settle();
        start_buses();
        return 0;
}

struct call {
        bool done;
        bool error;
        char *error_message;
};

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct call *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        (void) ret_error;
        c->done = true;
        c->error = e != NULL;
        if (e && e->message)
                c->error_message = strdup(e->message);
        return 1;
}

/* The pure check, as an unprivileged caller would meet it. */
static void check_unprivileged(const char *member, const char *const *args, size_t n) {
        const struct request_spec *spec = request_find(member);
        char *error = NULL;
        enum request_verdict v = request_check(member, 65534, args, n, &error);

        if (v != REQUEST_OK && (!error || strchr(error, '\n')))
                abort();        /* every refusal says why, in one line */
        if (spec && spec->mutates && v != REQUEST_DENIED)
                abort();        /* nobody mutates anything */
        if (!spec && v != REQUEST_UNKNOWN)
                abort();
        free(error);
}

static const char *const interfaces[] = {
        KT_BUS_INTERFACE,
        "org.freedesktop.DBus.Properties",
        "org.freedesktop.DBus.Introspectable",
        "org.freedesktop.DBus.Peer",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        const char *fields[MAX_FIELDS] = {};
        _cleanup_free_ char *text = NULL, *before = NULL;
        struct call call = {};
        unsigned seen;
        size_t n = 0;
        int r;

        if (size < 2)
                return 0;
        /* NUL-terminated copy, cut into fields at each NUL. */
        text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        for (char *p = text; n < MAX_FIELDS && p < text + size - 1; p += strlen(p) + 1)
                fields[n++] = p;
        if (n == 0)
                return 0;

        check_unprivileged(fields[0], fields + 1, n - 1);

        r = sd_bus_message_new_method_call(client, &msg, NULL, KT_BUS_PATH, interfaces[data[0] & 3], fields[0]);
        for (size_t i = 1; r >= 0 && i < n; i++)
                r = sd_bus_message_append_basic(msg, 's', fields[i]);
        if (r < 0)
                return 0;       /* not a valid member name or not UTF-8: sd-bus refuses to send it */

        before = strdup(manager_active_name(manager));
        if (!before)
                return 0;
        seen = changes_seen;
        r = sd_bus_call_async(client, NULL, msg, on_reply, &call, 0);
        if (r < 0)
                die("sd_bus_call_async", r);
        pump(&call.done);
        settle();
        if (call.error) {
                /* Our refusals are one line. (sd-bus's own, for the
                 * standard interfaces, quote their arguments verbatim.) */
                if ((data[0] & 3) == 0 && call.error_message && strchr(call.error_message, '\n'))
                        abort();
                if (strcmp(before, manager_active_name(manager)) != 0)
                        abort();        /* a refused call changed the profile */
        }
        /* A switch, off, or reload of an active profile is announced to
         * the peer before the reply. */
        if (!call.error && (data[0] & 3) == 0 && changes_seen == seen &&
            (streq(fields[0], "SwitchProfile") || streq(fields[0], "Off") ||
             (streq(fields[0], "Reload") && !streq(before, "(none)"))))
                abort();
        free(call.error_message);
        return 0;
}
