/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dirlist.h"
#include "kvmtuned/macro.h"
#include "kvmtuned/names.h"
#include "plugins.h"
#include "profile.h"

/* ---- errors: one line, with file and line ---- */

static int fail(char **error, int err, const char *fmt, ...) _printf_(3, 4);
static int fail(char **error, int err, const char *fmt, ...) {
        va_list ap;

        if (error && !*error) {
                va_start(ap, fmt);
                if (vasprintf(error, fmt, ap) < 0)
                        *error = NULL;
                va_end(ap);
        }
        return err;
}

/* ---- the model ---- */

static void section_clear(struct kt_section *s) {
        for (size_t i = 0; i < s->n_keys; i++) {
                free(s->keys[i].key);
                free(s->keys[i].value);
                free(s->keys[i].file);
        }
        free(s->keys);
        free(s->name);
        free(s->plugin);
        free(s->file);
}

void profile_free(struct profile *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_sections; i++)
                section_clear(&p->sections[i]);
        free(p->sections);
        strv_free_n(p->includes, p->n_includes);
        free(p->name);
        free(p->path);
        free(p->summary);
        free(p);
}

static void profile_freep(struct profile **p) {
        profile_free(*p);
}

const struct kt_section *profile_section(const struct profile *p, const char *name) {
        for (size_t i = 0; i < p->n_sections; i++)
                if (streq(p->sections[i].name, name))
                        return &p->sections[i];
        return NULL;
}

static struct kt_section *section_get(struct profile *p, const char *name, const char *plugin, const char *file,
                                      unsigned line, const struct plugin *owner) {
        struct kt_section *s = (struct kt_section *) profile_section(p, name), *a;

        if (s)
                return s;
        a = realloc(p->sections, (p->n_sections + 1) * sizeof *a);
        if (!a)
                return NULL;
        p->sections = a;
        s = &a[p->n_sections];
        *s = (struct kt_section) { .name = strdup(name), .plugin = strdup(plugin), .file = strdup(file),
                                   .line = line, .owner = owner };
        if (!s->name || !s->plugin || !s->file) {
                section_clear(s);
                return NULL;
        }
        p->n_sections++;
        return s;
}

static struct profile_key *section_find_key(struct kt_section *s, const char *key) {
        for (size_t i = 0; i < s->n_keys; i++)
                if (streq(s->keys[i].key, key))
                        return &s->keys[i];
        return NULL;
}

/* Set key in s, replacing an earlier value (that is how inheritance works). */
static int section_set(struct kt_section *s, const char *key, const char *value, const char *file, unsigned line) {
        struct profile_key *k = section_find_key(s, key), *a;
        char *v = strdup(value), *f = strdup(file);

        if (!v || !f) {
                free(v), free(f);
                return -ENOMEM;
        }
        if (!k) {
                a = realloc(s->keys, (s->n_keys + 1) * sizeof *a);
                if (!a || !(a[s->n_keys].key = strdup(key))) {
                        s->keys = a ?: s->keys;
                        free(v), free(f);
                        return -ENOMEM;
                }
                s->keys = a;
                k = &a[s->n_keys++];
                k->value = k->file = NULL;
        }
        free(k->value);
        free(k->file);
        k->value = v;
        k->file = f;
        k->line = line;
        return 0;
}

static int profile_merge(struct profile *dst, const struct profile *src) {
        for (size_t i = 0; i < src->n_sections; i++) {
                const struct kt_section *ss = &src->sections[i];
                struct kt_section *ds = section_get(dst, ss->name, ss->plugin, ss->file, ss->line, ss->owner);

                if (!ds)
                        return -ENOMEM;
                for (size_t k = 0; k < ss->n_keys; k++)
                        if (section_set(ds, ss->keys[k].key, ss->keys[k].value, ss->keys[k].file,
                                        ss->keys[k].line) < 0)
                                return -ENOMEM;
        }
        return 0;
}

/* ---- reading one file ---- */

/* Only a regular file of bounded size, opened without blocking: a FIFO or a
 * device named like a profile must not hang or feed the daemon. */
static int read_bounded(const char *path, char **ret, size_t *ret_len, char **error) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        struct stat st, st2;
        size_t len = 0;

        if (stat(path, &st) < 0)
                return fail(error, -errno, "%s: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return fail(error, -EBADFD, "%s: not a regular file", path);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return fail(error, -errno, "%s: %s", path, strerror(errno));
        if (fstat(fd, &st2) < 0)
                return fail(error, -errno, "%s: %s", path, strerror(errno));
        if (!S_ISREG(st2.st_mode) || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev)
                return fail(error, -EBADFD, "%s: not a regular file", path);
        if (st2.st_size > PROFILE_MAX_SIZE)
                return fail(error, -EFBIG, "%s: file too large (%lld bytes, at most %u)", path,
                            (long long) st2.st_size, PROFILE_MAX_SIZE);
        text = malloc((size_t) st2.st_size + 1);
        if (!text)
                return -ENOMEM;
        while (len < (size_t) st2.st_size) {
                ssize_t k = read(fd, text + len, (size_t) st2.st_size - len);
                if (k < 0)
                        return fail(error, -errno, "%s: %s", path, strerror(errno));
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        text[len] = '\0';
        *ret = TAKE_PTR(text);
        *ret_len = len;
        return 0;
}

/* ---- parsing: inih, fed line by line so we know where we are ---- */

struct parse {
        const char *p, *end;
        const char *file;
        unsigned line;
        bool indented;          /* this line continues the previous key */
        const struct plugins *plugins;
        struct profile *profile;
        struct kt_section *section;     /* NULL in [main] or before any section */
        bool in_main;
        char *last_key;         /* for continuation lines */
        unsigned *include_lines;
        char **error;
        int err;
};

static int parse_fail(struct parse *ps, int err, const char *fmt, ...) _printf_(3, 4);
static int parse_fail(struct parse *ps, int err, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (ps->err < 0)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        ps->err = fail(ps->error, err, "%s:%u: %s", ps->file, ps->line, msg ?: "error");
        return 0;
}

static bool section_name_valid(const char *s) {
        size_t n = strlen(s), colon = strcspn(s, ":");

        return n > 0 && n <= 64 && colon > 0 && colon + 1 != n &&
               strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-:") == n &&
               (colon == n || !strchr(s + colon + 1, ':'));
}

static void section_header(struct parse *ps, const char *start, const char *end) {
        const struct plugin *owner;
        char name[80], plugin[80];
        size_t n;

        if (!end)
                return (void) parse_fail(ps, -EINVAL, "section header without ']'");
        n = (size_t) (end - start - 1);
        if (n >= sizeof name)
                return (void) parse_fail(ps, -EINVAL, "section name too long");
        memcpy(name, start + 1, n);
        name[n] = '\0';
        free(ps->last_key);
        ps->last_key = NULL;
        ps->in_main = streq(name, "main");
        ps->section = NULL;
        if (ps->in_main)
                return;
        if (!section_name_valid(name))
                return (void) parse_fail(ps, -EINVAL, "invalid section name [%s]", name);
        n = strcspn(name, ":");
        memcpy(plugin, name, n);
        plugin[n] = '\0';
        owner = plugins_find(ps->plugins, plugin);
        if (!owner && !plugins_failed(ps->plugins, plugin))
                return (void) parse_fail(ps, -EINVAL, "unknown section [%s]: no plugin '%s'", name, plugin);
        ps->section = section_get(ps->profile, name, plugin, ps->file, ps->line, owner);
        if (!ps->section)
                ps->err = -ENOMEM;
}

/* inih's reader: hand over one line, counting lines and catching what inih
 * would accept silently (long lines, lines without '=', empty sections). */
/* Text a person wrote: no control characters but tab, valid UTF-8. */
static bool line_is_text(const char *s, size_t n) {
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char) s[i];
                size_t more;

                if (c < 0x80) {
                        if ((c < 0x20 && c != '\t') || c == 0x7f)
                                return false;
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        more = 1;
                else if (c >= 0xe0 && c <= 0xef)
                        more = 2;
                else if (c >= 0xf0 && c <= 0xf4)
                        more = 3;
                else
                        return false;
                if (i + more >= n)
                        return false;
                for (size_t k = 1; k <= more; k++)
                        if (((unsigned char) s[i + k] & 0xc0) != 0x80)
                                return false;
                i += more + 1;
        }
        return true;
}

static char *reader(char *str, int num, void *stream) {
        struct parse *ps = stream;
        const char *nl, *s, *e;
        size_t len;

        if (ps->err < 0 || ps->p >= ps->end)
                return NULL;
        nl = memchr(ps->p, '\n', (size_t) (ps->end - ps->p));
        e = nl ?: ps->end;
        len = (size_t) (e - ps->p);
        if (len > 0 && ps->p[len - 1] == '\r')
                len--;
        ps->line++;
        if (len > PROFILE_MAX_LINE || (int) len + 1 > num) {
                parse_fail(ps, -EINVAL, "line longer than %d characters", PROFILE_MAX_LINE);
                return NULL;
        }
        if (memchr(ps->p, '\0', len)) {
                parse_fail(ps, -EINVAL, "binary data (NUL byte)");
                return NULL;
        }
        if (!line_is_text(ps->p, len)) {
                parse_fail(ps, -EINVAL, "binary data (control character or invalid UTF-8)");
                return NULL;
        }
        memcpy(str, ps->p, len);
        str[len] = '\0';
        ps->p = nl ? nl + 1 : ps->end;

        s = str + strspn(str, " \t");
        ps->indented = s > str;
        if (*s == '\0' || *s == '#' || *s == ';')
                return str;
        if (*s == '[' && !ps->indented) {
                section_header(ps, s, strchr(s, ']'));
                return ps->err < 0 ? NULL : str;
        }
        if (!ps->indented && !strchr(s, '=')) {
                parse_fail(ps, -EINVAL, "expected key=value: '%s'", s);
                return NULL;
        }
        return str;
}

static unsigned edit_distance(const char *a, const char *b) {
        unsigned row[65], la = (unsigned) strlen(a), lb = (unsigned) strlen(b);

        if (la > 64 || lb > 64)
                return 99;
        for (unsigned j = 0; j <= lb; j++)
                row[j] = j;
        for (unsigned i = 1; i <= la; i++) {
                unsigned diag = row[0], tmp;
                row[0] = i;
                for (unsigned j = 1; j <= lb; j++) {
                        tmp = row[j];
                        unsigned best = diag + (a[i - 1] != b[j - 1]);
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = tmp;
                }
        }
        return row[lb];
}

static const char *suggest(const struct plugin *p, const char *key) {
        const char *best = NULL;
        unsigned bd = 3;

        for (const struct kt_option *o = p->desc->options; o && o->name; o++) {
                unsigned d = edit_distance(o->name, key);
                if (d < bd) {
                        bd = d;
                        best = o->name;
                }
        }
        if (p->desc->subsystem && edit_distance("devices", key) < bd)
                best = "devices";
        return best;
}

static int main_key(struct parse *ps, const char *key, const char *value) {
        struct profile *p = ps->profile;

        if (streq(key, "summary")) {
                free(p->summary);
                p->summary = strdup(value);
                return p->summary ? 1 : (ps->err = -ENOMEM, 0);
        }
        if (streq(key, "include")) {
                _cleanup_free_ char *copy = strdup(value);
                char *save = NULL;

                if (!copy)
                        return ps->err = -ENOMEM, 0;
                for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
                        char **a;
                        unsigned *l;

                        if (!kt_profile_name_valid(w))
                                return parse_fail(ps, -EINVAL, "[main] include: invalid profile name '%s'", w);
                        a = realloc(p->includes, (p->n_includes + 1) * sizeof *a);
                        l = realloc(ps->include_lines, (p->n_includes + 1) * sizeof *l);
                        if (a)
                                p->includes = a;
                        if (l)
                                ps->include_lines = l;
                        if (!a || !l || !(a[p->n_includes] = strdup(w)))
                                return ps->err = -ENOMEM, 0;
                        l[p->n_includes++] = ps->line;
                }
                return 1;
        }
        return parse_fail(ps, -EINVAL, "[main] unknown key '%s' (known: summary, include)", key);
}

static int handler(void *user, const char *section, const char *key, const char *value) {
        struct parse *ps = user;
        const struct kt_option *o;
        struct profile_key *k;
        const char *why;
        char buf[160];

        if (ps->err < 0)
                return 0;
        if (!section[0])
                return parse_fail(ps, -EINVAL, "'%s' outside any section", key);
        if (ps->in_main)
                return main_key(ps, key, value);
        if (!ps->section)
                return parse_fail(ps, -EINVAL, "'%s' outside any section", key);

        k = section_find_key(ps->section, key);
        if (k && ps->indented && ps->last_key && streq(ps->last_key, key)) {
                /* A continuation line: the value goes on. */
                _cleanup_free_ char *joined = NULL;
                if (asprintf(&joined, "%s %s", k->value, value) < 0)
                        return ps->err = -ENOMEM, 0;
                free(k->value);
                k->value = TAKE_PTR(joined);
                value = k->value;
        } else if (k && streq(k->file, ps->file))
                return parse_fail(ps, -EINVAL, "[%s] '%s' set twice (first at line %u)", ps->section->name, key,
                                  k->line);
        else if (section_set(ps->section, key, value, ps->file, ps->line) < 0)
                return ps->err = -ENOMEM, 0;

        free(ps->last_key);
        ps->last_key = strdup(key);

        if (!ps->section->owner)
                return 1;       /* plugin unavailable here: nothing to check against */
        o = plugin_option(ps->section->owner, key);
        if (!o) {
                const char *s = suggest(ps->section->owner, key);
                if (s)
                        return parse_fail(ps, -EINVAL, "[%s] unknown key '%s' (did you mean '%s'?)",
                                          ps->section->name, key, s);
                return parse_fail(ps, -EINVAL, "[%s] unknown key '%s'", ps->section->name, key);
        }
        why = option_check_value(o, value, buf, sizeof buf);
        if (why)
                return parse_fail(ps, -EINVAL, "[%s] %s=%s: %s", ps->section->name, key, value, why);
        return 1;
}

static int parse_text(const char *text, size_t len, const char *file, const struct plugins *plugins,
                      struct profile **ret, unsigned **ret_include_lines, char **error) {
        _cleanup_(profile_freep) struct profile *p = calloc(1, sizeof *p);
        struct parse ps = {
                .p = text, .end = text + len, .file = file, .plugins = plugins, .error = error,
        };
        int r;

        if (!p)
                return -ENOMEM;
        ps.profile = p;
        r = ini_parse_stream(reader, &ps, handler, &ps);
        free(ps.last_key);
        if (ps.err == 0 && r > 0)
                ps.err = fail(error, -EINVAL, "%s:%d: syntax error", file, r);
        else if (ps.err == 0 && r < 0)
                ps.err = -ENOMEM;
        if (ps.err < 0) {
                free(ps.include_lines);
                return ps.err;
        }
        if (ret_include_lines)
                *ret_include_lines = ps.include_lines;
        else
                free(ps.include_lines);
        *ret = TAKE_PTR(p);
        return 0;
}

int profile_parse_text(const char *text, size_t len, const char *file, const struct plugins *plugins,
                       struct profile **ret, char **error) {
        return parse_text(text, len, file, plugins, ret, NULL, error);
}

/* ---- finding and including ---- */

int profile_find(const struct profile_dirs *dirs, const char *name, char **ret_path) {
        struct stat st;

        if (!kt_profile_name_valid(name))
                return -EINVAL;
        for (size_t i = 0; i < dirs->n; i++) {
                _cleanup_free_ char *path = NULL;

                if (asprintf(&path, "%s/%s.conf", dirs->dirs[i], name) < 0)
                        return -ENOMEM;
                /* lstat: a dangling or odd entry still shadows later dirs,
                 * and read_bounded() then says what is wrong with it. */
                if (lstat(path, &st) >= 0) {
                        *ret_path = TAKE_PTR(path);
                        return 0;
                }
        }
        return -ENOENT;
}

struct stack {
        const char *names[PROFILE_MAX_DEPTH + 2];
        unsigned n;
};

static int load_rec(const struct profile_dirs *dirs, const struct plugins *plugins, const char *name,
                    struct stack *stack, const char *from_file, unsigned from_line, struct profile **ret,
                    char **error) {
        _cleanup_(profile_freep) struct profile *own = NULL, *merged = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_free_ unsigned *include_lines = NULL;
        size_t len = 0;
        int r;

        r = profile_find(dirs, name, &path);
        if (r == -ENOENT && from_file)
                return fail(error, r, "%s:%u: included profile '%s' not found", from_file, from_line, name);
        if (r == -ENOENT)
                return fail(error, r, "profile '%s' not found", name);
        if (r < 0)
                return fail(error, r, "invalid profile name '%s'", name);

        r = read_bounded(path, &text, &len, error);
        if (r < 0)
                return r;
        r = parse_text(text, len, path, plugins, &own, &include_lines, error);
        if (r < 0)
                return r;

        merged = calloc(1, sizeof *merged);
        if (!merged)
                return -ENOMEM;
        stack->names[stack->n++] = name;
        for (size_t i = 0; i < own->n_includes; i++) {
                _cleanup_(profile_freep) struct profile *inc = NULL;
                const char *in = own->includes[i];

                for (unsigned s = 0; s < stack->n; s++)
                        if (streq(stack->names[s], in)) {
                                char chain[512] = "";
                                for (unsigned t = s; t < stack->n; t++) {
                                        strncat(chain, stack->names[t], sizeof chain - strlen(chain) - 1);
                                        strncat(chain, " -> ", sizeof chain - strlen(chain) - 1);
                                }
                                strncat(chain, in, sizeof chain - strlen(chain) - 1);
                                return fail(error, -ELOOP, "%s:%u: include cycle: %s", path, include_lines[i], chain);
                        }
                if (stack->n > PROFILE_MAX_DEPTH)
                        return fail(error, -ELOOP, "%s:%u: includes nested deeper than %d levels", path,
                                    include_lines[i], PROFILE_MAX_DEPTH);
                r = load_rec(dirs, plugins, in, stack, path, include_lines[i], &inc, error);
                if (r < 0)
                        return r;
                r = profile_merge(merged, inc);
                if (r < 0)
                        return r;
        }
        stack->n--;

        r = profile_merge(merged, own);
        if (r < 0)
                return r;
        merged->name = strdup(name);
        merged->path = TAKE_PTR(path);
        merged->summary = strdup(own->summary ?: "");
        merged->includes = TAKE_PTR(own->includes);
        merged->n_includes = own->n_includes;
        own->n_includes = 0;
        if (!merged->name || !merged->summary)
                return -ENOMEM;
        *ret = TAKE_PTR(merged);
        return 0;
}

int profile_load(const struct profile_dirs *dirs, const struct plugins *plugins, const char *name,
                 struct profile **ret, char **error) {
        struct stack stack = {};

        if (!kt_profile_name_valid(name))
                return fail(error, -EINVAL, "invalid profile name '%s': use A-Z a-z 0-9 . _ - and no leading dot",
                            name);
        return load_rec(dirs, plugins, name, &stack, NULL, 0, ret, error);
}

/* ---- listing ---- */

static bool is_profile_file(const char *name) {
        size_t l = strlen(name);
        char base[KT_PROFILE_NAME_MAX + 1];

        if (l <= 5 || l - 5 > KT_PROFILE_NAME_MAX || !streq(name + l - 5, ".conf"))
                return false;
        memcpy(base, name, l - 5);
        base[l - 5] = '\0';
        return kt_profile_name_valid(base);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int profile_list(const struct profile_dirs *dirs, char ***ret, size_t *ret_n) {
        char **all = NULL;
        size_t n = 0, j = 0;

        for (size_t i = 0; i < dirs->n; i++) {
                char **names = NULL, **t;
                size_t k = 0;

                if (dir_list(dirs->dirs[i], is_profile_file, &names, &k) < 0)
                        continue;
                t = realloc(all, (n + k + 1) * sizeof *t);
                if (!t) {
                        strv_free_n(names, k);
                        strv_free_n(all, n);
                        return -ENOMEM;
                }
                all = t;
                for (size_t m = 0; m < k; m++) {
                        names[m][strlen(names[m]) - 5] = '\0';
                        all[n++] = names[m];
                }
                free(names);
        }
        if (n > 0)
                qsort(all, n, sizeof *all, cmp_str);
        for (size_t i = 0; i < n; i++) {
                if (j > 0 && streq(all[j - 1], all[i]))
                        free(all[i]);
                else
                        all[j++] = all[i];
        }
        *ret = all;
        *ret_n = j;
        return 0;
}
