/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dirlist.h"
#include "dlopen-fd.h"
#include "log.h"
#include "plugins.h"

#define PLUGIN_NAME_MAX 32

static const struct kt_option devices_option = {
        .name = "devices",
        .type = KT_OPT_LIST,
        .def = "*",
        .help = "devices this section applies to: names or globs, `!` excludes",
};

const struct kt_option *plugin_option(const struct plugin *p, const char *key) {
        const struct kt_option *wild = NULL;

        if (p->desc->subsystem && streq(key, "devices"))
                return &devices_option;
        for (const struct kt_option *o = p->desc->options; o && o->name; o++) {
                if (streq(o->name, key))
                        return o;
                if (streq(o->name, "*"))
                        wild = o;
        }
        return wild;
}

int option_parse_bool(const char *s) {
        static const char *const yes[] = { "1", "yes", "true", "on" };
        static const char *const no[] = { "0", "no", "false", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

static bool choice_valid(const char *choices, const char *value) {
        size_t vl = strlen(value);

        for (const char *p = choices; *p;) {
                size_t n = strcspn(p, "|");
                if (n == vl && strncmp(p, value, n) == 0)
                        return true;
                p += n;
                p += *p == '|';
        }
        return false;
}

const char *option_check_value(const struct kt_option *o, const char *value, char *buf, size_t size) {
        long long v;
        char *end;

        switch (o->type) {
        case KT_OPT_INT:
                errno = 0;
                v = strtoll(value, &end, 10);
                if (errno || end == value || *end || v < o->min || v > o->max) {
                        snprintf(buf, size, "expected an integer from %lld to %lld", o->min, o->max);
                        return buf;
                }
                return NULL;
        case KT_OPT_BOOL:
                return option_parse_bool(value) < 0 ? "expected a boolean (1/0, yes/no, true/false, on/off)" : NULL;
        case KT_OPT_ENUM:
                if (!choice_valid(o->choices, value)) {
                        snprintf(buf, size, "expected one of: %s", o->choices);
                        return buf;
                }
                return NULL;
        case KT_OPT_STRING:
        case KT_OPT_LIST:
                return NULL;
        }
        return "unknown option type";
}

static bool plugin_name_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n <= PLUGIN_NAME_MAX &&
               strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int registry_append(struct plugins *ps, const struct plugin *p) {
        struct plugin *a = realloc(ps->a, (ps->n + 1) * sizeof *a);

        if (!a)
                return -ENOMEM;
        ps->a = a;
        ps->a[ps->n++] = *p;
        return 0;
}

int plugins_add(struct plugins *ps, const struct kt_plugin *desc) {
        if (desc->abi != KT_PLUGIN_ABI || !desc->name || !plugin_name_valid(desc->name))
                return -EPROTO;
        if (plugins_find(ps, desc->name))
                return -EEXIST;
        return registry_append(ps, &(struct plugin) { .desc = desc, .supported = true, .fd = -1 });
}

static int note_failed(struct plugins *ps, const char *name) {
        char **a = realloc(ps->failed, (ps->n_failed + 1) * sizeof *a);

        if (!a)
                return -ENOMEM;
        ps->failed = a;
        if (!(ps->failed[ps->n_failed] = strdup(name)))
                return -ENOMEM;
        ps->n_failed++;
        return 0;
}

static int load_one(struct plugins *ps, int dirfd, const char *dir, const char *file, const char *name) {
        _cleanup_close_ int fd = -1;
        char path[PATH_MAX];
        const struct kt_plugin *desc;
        void *dl;
        int r;

        snprintf(path, sizeof path, "%s/%s", dir, file);
        fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return log_warning_errno(errno, "Plugin %s: cannot open: %m, skipping.", path);
        r = dlopen_fd(fd, "Plugin", path, &dl);
        if (r < 0)
                return r;
        desc = dlsym(dl, KT_PLUGIN_SYMBOL);
        if (!desc) {
                log_warning("Plugin %s: no '%s' descriptor, skipping.", path, KT_PLUGIN_SYMBOL);
                dlclose(dl);
                return -ENOEXEC;
        }
        if (desc->abi != KT_PLUGIN_ABI) {
                log_warning("Plugin %s: built for plugin ABI %u, this daemon speaks %u, refusing it.",
                            path, desc->abi, KT_PLUGIN_ABI);
                dlclose(dl);
                return -EPROTO;
        }
        if (!desc->name || !streq(desc->name, name)) {
                log_warning("Plugin %s: descriptor names itself '%s', refusing it.", path, strna(desc->name));
                dlclose(dl);
                return -EPROTO;
        }
        if (plugins_find(ps, name)) {
                dlclose(dl);
                return 0;
        }
        /* The fd stays open so the next plugin cannot get the same
         * /proc/self/fd name (see dlopen_fd()). */
        struct plugin p = { .desc = desc, .dl = dl, .supported = true, .path = strdup(path), .fd = fd };
        r = p.path ? registry_append(ps, &p) : -ENOMEM;
        if (r < 0) {
                free(p.path);
                dlclose(dl);
                return r;
        }
        TAKE_FD(fd);
        return 0;
}

static bool is_shared_object(const char *name) {
        const char *dot = strrchr(name, '.');

        return dot && dot != name && streq(dot, ".so");
}

int plugins_load_dir(struct plugins *ps, const char *dir) {
        char **names = NULL;
        size_t n = 0;
        int r, dfd;

        r = dir_list(dir, is_shared_object, &names, &n);
        if (r < 0)
                return log_error_errno(r, "Cannot open plugin directory %s: %m", dir);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                strv_free_n(names, n);
                return log_error_errno(errno, "Cannot open plugin directory %s: %m", dir);
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                char name[PLUGIN_NAME_MAX + 1];
                size_t l = strlen(names[i]) - 3;

                if (l > PLUGIN_NAME_MAX) {
                        log_warning("Plugin %s/%s: name too long, skipping.", dir, names[i]);
                        continue;
                }
                memcpy(name, names[i], l);
                name[l] = '\0';
                if (!plugin_name_valid(name)) {
                        log_warning("Plugin %s/%s: invalid name, skipping.", dir, names[i]);
                        continue;
                }
                if (load_one(ps, dfd, dir, names[i], name) < 0)
                        r = note_failed(ps, name);
        }
        close(dfd);
        strv_free_n(names, n);
        return r;
}

void plugins_done(struct plugins *ps) {
        for (size_t i = 0; i < ps->n; i++) {
                free(ps->a[i].path);
                free(ps->a[i].unsupported_reason);
                if (ps->a[i].dl)
                        dlclose(ps->a[i].dl);
                if (ps->a[i].fd >= 0)
                        close(ps->a[i].fd);
        }
        for (size_t i = 0; i < ps->n_failed; i++)
                free(ps->failed[i]);
        free(ps->failed);
        free(ps->a);
        *ps = (struct plugins) {};
}

struct plugin *plugins_find(const struct plugins *ps, const char *name) {
        for (size_t i = 0; i < ps->n; i++)
                if (streq(ps->a[i].desc->name, name))
                        return &ps->a[i];
        return NULL;
}

bool plugins_failed(const struct plugins *ps, const char *name) {
        for (size_t i = 0; i < ps->n_failed; i++)
                if (streq(ps->failed[i], name))
                        return true;
        return false;
}
