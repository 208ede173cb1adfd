/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "kvmtuned/names.h"
#include "log.h"
#include "options.h"
#include "plugins.h"

#define INTERVAL_MIN_MS 10
#define INTERVAL_MAX_MS 3600000

static int set_string(char **dst, const char *v) {
        char *s = strdup(v);

        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

static int parse_interval(const char *v, unsigned *ret) {
        char *end;
        unsigned long n;

        errno = 0;
        n = strtoul(v, &end, 10);
        if (errno || end == v || *end || n < INTERVAL_MIN_MS || n > INTERVAL_MAX_MS)
                return -EINVAL;
        *ret = (unsigned) n;
        return 0;
}

static int add_profile_dir(struct options *o, const char *d) {
        char **a = realloc(o->profile_dirs, (o->n_profile_dirs + 1) * sizeof *a);

        if (!a)
                return -ENOMEM;
        o->profile_dirs = a;
        if (!(a[o->n_profile_dirs] = strdup(d)))
                return -ENOMEM;
        o->n_profile_dirs++;
        return 0;
}

static void clear_profile_dirs(struct options *o) {
        for (size_t i = 0; i < o->n_profile_dirs; i++)
                free(o->profile_dirs[i]);
        free(o->profile_dirs);
        o->profile_dirs = NULL;
        o->n_profile_dirs = 0;
}

/* ---- the config file: [daemon] key=value ---- */

struct config_parse {
        struct options *o;
        const char *path;
        const char *p, *end;
        unsigned line;
        char **error;
        int err;
};

static int config_fail(struct config_parse *c, const char *key, const char *value, const char *why) {
        if (c->err == 0 && asprintf(c->error, "%s:%u: %s=%s: %s", c->path, c->line, key, value, why) < 0)
                *c->error = NULL;
        c->err = -EINVAL;
        return 0;
}

static int config_key(void *user, const char *section, const char *key, const char *value) {
        struct config_parse *c = user;
        struct options *o = c->o;
        int b, l;

        if (c->err < 0)
                return 0;
        if (!streq(section, "daemon"))
                return config_fail(c, key, value, "keys belong in a [daemon] section");
        if (streq(key, "interval_ms")) {
                if (parse_interval(value, &o->interval_ms) < 0)
                        return config_fail(c, key, value, "expected milliseconds from 10 to 3600000");
        } else if (streq(key, "dynamic")) {
                if ((b = option_parse_bool(value)) < 0)
                        return config_fail(c, key, value, "expected a boolean");
                o->dynamic = b;
        } else if (streq(key, "libvirt_uri")) {
                if (set_string(&o->libvirt_uri, value) < 0)
                        return c->err = -ENOMEM, 0;
        } else if (streq(key, "default_profile")) {
                if (!kt_profile_name_valid(value))
                        return config_fail(c, key, value, "not a valid profile name");
                if (set_string(&o->default_profile, value) < 0)
                        return c->err = -ENOMEM, 0;
        } else if (streq(key, "log_level")) {
                if ((l = log_level_from_string(value)) < 0)
                        return config_fail(c, key, value, "expected error, warning, notice, info or debug");
                o->log_level = l;
        } else
                return config_fail(c, key, value,
                                   "unknown key (known: interval_ms, dynamic, libvirt_uri, default_profile, log_level)");
        return 1;
}

static char *config_reader(char *str, int num, void *stream) {
        struct config_parse *c = stream;
        const char *nl;
        size_t len;

        if (c->err < 0 || c->p >= c->end)
                return NULL;
        nl = memchr(c->p, '\n', (size_t) (c->end - c->p));
        len = (size_t) ((nl ?: c->end) - c->p);
        c->line++;
        if (len + 1 > (size_t) num || memchr(c->p, '\0', len)) {
                if (asprintf(c->error, "%s:%u: line too long or binary", c->path, c->line) < 0)
                        *c->error = NULL;
                c->err = -EINVAL;
                return NULL;
        }
        memcpy(str, c->p, len);
        str[len] = '\0';
        c->p = nl ? nl + 1 : c->end;
        return str;
}

int options_load_config(struct options *o, const char *path, bool missing_ok, char **error) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *text = NULL;
        struct config_parse c = { .o = o, .path = path, .error = error };
        struct stat st;
        size_t len;
        int r;

        f = fopen(path, "re");
        if (!f) {
                if (errno == ENOENT && missing_ok)
                        return 0;
                if (asprintf(error, "%s: %s", path, strerror(errno)) < 0)
                        *error = NULL;
                return -errno;
        }
        if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 65536) {
                if (asprintf(error, "%s: not a regular file of at most 64 KiB", path) < 0)
                        *error = NULL;
                return -EINVAL;
        }
        text = malloc((size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        len = fread(text, 1, (size_t) st.st_size, f);
        c.p = text;
        c.end = text + len;
        r = ini_parse_stream(config_reader, &c, config_key, &c);
        if (c.err < 0)
                return c.err;
        if (r != 0) {
                if (asprintf(error, "%s:%d: syntax error (expected key=value)", path, r) < 0)
                        *error = NULL;
                return -EINVAL;
        }
        return 0;
}

/* ---- the command line ---- */

enum {
        ARG_ROOT = 0x100,
        ARG_RUNTIME_DIR,
        ARG_STATE_DIR,
        ARG_PROFILE_DIR,
        ARG_PLUGIN_DIR,
        ARG_LIBVIRT_URI,
        ARG_NO_BUS,
        ARG_INTERVAL,
        ARG_PROFILE,
        ARG_CONFIG,
        ARG_LOG_LEVEL,
        ARG_VERSION,
};

static const struct option longopts[] = {
        { "root",        required_argument, NULL, ARG_ROOT },
        { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
        { "state-dir",   required_argument, NULL, ARG_STATE_DIR },
        { "profile-dir", required_argument, NULL, ARG_PROFILE_DIR },
        { "plugin-dir",  required_argument, NULL, ARG_PLUGIN_DIR },
        { "libvirt-uri", required_argument, NULL, ARG_LIBVIRT_URI },
        { "no-bus",      no_argument,       NULL, ARG_NO_BUS },
        { "interval-ms", required_argument, NULL, ARG_INTERVAL },
        { "profile",     required_argument, NULL, ARG_PROFILE },
        { "config",      required_argument, NULL, ARG_CONFIG },
        { "log-level",   required_argument, NULL, ARG_LOG_LEVEL },
        { "help",        no_argument,       NULL, 'h' },
        { "version",     no_argument,       NULL, ARG_VERSION },
        {}
};

static void help(void) {
        printf("Usage: kvmtuned [OPTIONS]\n"
               "Adaptive tuning daemon for KVM hypervisors and guests.\n\n"
               "      --root DIR          prefix for every /sys, /proc, /dev and /run path\n"
               "      --runtime-dir DIR   journal and control socket (default %s)\n"
               "      --state-dir DIR     the active profile across restarts (default %s)\n"
               "      --profile-dir DIR   where profiles are; repeatable, first wins\n"
               "                          (default %s)\n"
               "      --plugin-dir DIR    plugins (default %s)\n"
               "      --libvirt-uri URI   libvirt connection, or 'none' (default %s)\n"
               "      --no-bus            do not use the system bus, only the private socket\n"
               "      --interval-ms N     sampling period (default %u)\n"
               "      --profile NAME      start with this profile\n"
               "      --config FILE       daemon configuration (default %s)\n"
               "      --log-level LEVEL   error, warning, notice, info or debug\n"
               "  -h, --help              show this help\n"
               "      --version           show the version\n",
               KT_RUNTIME_DIR, KT_STATE_DIR, KT_PROFILE_DIRS, KT_PLUGIN_DIR, KT_LIBVIRT_URI, KT_INTERVAL_MS,
               KT_CONFIG_FILE);
}

static int bad_arg(const char *opt, const char *value, const char *why) {
        fprintf(stderr, "kvmtuned: invalid %s '%s': %s\n", opt, value, why);
        return -EINVAL;
}

static int set_defaults(struct options *o) {
        _cleanup_free_ char *dirs = strdup(KT_PROFILE_DIRS);
        char *save = NULL;

        *o = (struct options) { .interval_ms = KT_INTERVAL_MS, .dynamic = true, .log_level = KT_LOG_INFO };
        if (!dirs || set_string(&o->runtime_dir, KT_RUNTIME_DIR) < 0 || set_string(&o->state_dir, KT_STATE_DIR) < 0 ||
            set_string(&o->plugin_dir, KT_PLUGIN_DIR) < 0 || set_string(&o->libvirt_uri, KT_LIBVIRT_URI) < 0 ||
            set_string(&o->config_file, KT_CONFIG_FILE) < 0)
                return -ENOMEM;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
                if (add_profile_dir(o, d) < 0)
                        return -ENOMEM;
        return 0;
}

/* Where the command line can go wrong before anything is read. */
static int check_dir_arg(const char *opt, const char *v) {
        if (!*v)
                return bad_arg(opt, v, "empty path");
        return 0;
}

int options_parse(struct options *o, int argc, char *argv[]) {
        _cleanup_free_ char *error = NULL;
        struct options cli = {};
        bool config_given = false;
        unsigned interval = 0;
        int c, r, level = -1, no_bus = 0;

        r = set_defaults(o);
        if (r < 0)
                return r;

        /* First pass: remember what the command line says. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("kvmtuned %s\n", KT_VERSION);
                        return 0;
                case ARG_ROOT:
                        if (check_dir_arg("--root", optarg) < 0 || set_string(&cli.root, optarg) < 0)
                                goto fail;
                        break;
                case ARG_RUNTIME_DIR:
                        if (check_dir_arg("--runtime-dir", optarg) < 0 || set_string(&cli.runtime_dir, optarg) < 0)
                                goto fail;
                        break;
                case ARG_STATE_DIR:
                        if (check_dir_arg("--state-dir", optarg) < 0 || set_string(&cli.state_dir, optarg) < 0)
                                goto fail;
                        break;
                case ARG_PROFILE_DIR:
                        if (check_dir_arg("--profile-dir", optarg) < 0 || add_profile_dir(&cli, optarg) < 0)
                                goto fail;
                        break;
                case ARG_PLUGIN_DIR:
                        if (check_dir_arg("--plugin-dir", optarg) < 0 || set_string(&cli.plugin_dir, optarg) < 0)
                                goto fail;
                        break;
                case ARG_LIBVIRT_URI:
                        if (!*optarg) {
                                bad_arg("--libvirt-uri", optarg, "empty; use 'none' for no libvirt");
                                goto fail;
                        }
                        if (set_string(&cli.libvirt_uri, optarg) < 0)
                                goto fail;
                        break;
                case ARG_NO_BUS:
                        no_bus = 1;
                        break;
                case ARG_INTERVAL:
                        if (parse_interval(optarg, &interval) < 0) {
                                bad_arg("--interval-ms", optarg, "expected milliseconds from 10 to 3600000");
                                goto fail;
                        }
                        break;
                case ARG_PROFILE:
                        if (!kt_profile_name_valid(optarg)) {
                                bad_arg("--profile", optarg, "use A-Z a-z 0-9 . _ - and no leading dot");
                                goto fail;
                        }
                        if (set_string(&cli.profile, optarg) < 0)
                                goto fail;
                        break;
                case ARG_CONFIG:
                        config_given = true;
                        if (set_string(&o->config_file, optarg) < 0)
                                goto fail;
                        break;
                case ARG_LOG_LEVEL:
                        level = log_level_from_string(optarg);
                        if (level < 0) {
                                bad_arg("--log-level", optarg, "expected error, warning, notice, info or debug");
                                goto fail;
                        }
                        break;
                case '?':
                        if (optopt && optopt < 0x100)
                                fprintf(stderr, "kvmtuned: unknown option '-%c' (see --help)\n", optopt);
                        else if (optopt)
                                fprintf(stderr, "kvmtuned: option '%s' needs a value (see --help)\n", argv[optind - 1]);
                        else
                                fprintf(stderr, "kvmtuned: unknown option '%s' (see --help)\n", argv[optind - 1]);
                        goto fail;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "kvmtuned: unexpected argument '%s' (see --help)\n", argv[optind]);
                goto fail;
        }

        /* The config file, then the command line on top. */
        r = options_load_config(o, o->config_file, !config_given, &error);
        if (r < 0) {
                fprintf(stderr, "kvmtuned: %s\n", error ?: strerror(-r));
                goto fail;
        }
#define OVERRIDE(f) do { if (cli.f) { free(o->f); o->f = TAKE_PTR(cli.f); } } while (0)
        OVERRIDE(root);
        OVERRIDE(runtime_dir);
        OVERRIDE(state_dir);
        OVERRIDE(plugin_dir);
        OVERRIDE(libvirt_uri);
        OVERRIDE(profile);
#undef OVERRIDE
        if (cli.n_profile_dirs > 0) {
                clear_profile_dirs(o);
                o->profile_dirs = TAKE_PTR(cli.profile_dirs);
                o->n_profile_dirs = cli.n_profile_dirs;
                cli.n_profile_dirs = 0;
        }
        if (interval)
                o->interval_ms = interval;
        if (level >= 0)
                o->log_level = level;
        if (no_bus)
                o->no_bus = true;
        options_done(&cli);
        return 1;
fail:
        options_done(&cli);
        return -EINVAL;
}

void options_done(struct options *o) {
        free(o->root);
        free(o->runtime_dir);
        free(o->state_dir);
        clear_profile_dirs(o);
        free(o->plugin_dir);
        free(o->libvirt_uri);
        free(o->config_file);
        free(o->profile);
        free(o->default_profile);
        *o = (struct options) {};
}
