/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <byteswap.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "dbus-message.h"

#define ALIGN_TO(x, a) (((x) + (a) - 1) & ~((size_t) (a) - 1))

enum {
        FIELD_PATH = 1,
        FIELD_INTERFACE = 2,
        FIELD_MEMBER = 3,
        FIELD_ERROR_NAME = 4,
        FIELD_REPLY_SERIAL = 5,
        FIELD_DESTINATION = 6,
        FIELD_SIGNATURE = 8,
};

static bool host_big_endian(void) {
        return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

static bool is_basic(char t) {
        return t && strchr("ybnqiuxtdhsog", t);
}

static size_t alignment(char t) {
        switch (t) {
        case 'n': case 'q':
                return 2;
        case 'b': case 'i': case 'u': case 'h': case 's': case 'o': case 'a':
                return 4;
        case 'x': case 't': case 'd': case '(': case '{':
                return 8;
        default:                /* y g v */
                return 1;
        }
}

/* Length of the one complete type at s (s < end), or 0 when there is
 * none. A dict entry is a type only as an array's element. */
static size_t type_len_in(const char *s, const char *end, unsigned depth, bool in_array) {
        unsigned members = 0;
        const char *p;
        size_t n;

        if (s >= end || depth > DBUS_NESTING_MAX)
                return 0;
        if (is_basic(*s) || *s == 'v')
                return 1;
        if (*s == 'a') {
                n = type_len_in(s + 1, end, depth + 1, true);
                return n ? n + 1 : 0;
        }
        if (*s != '(' && !(*s == '{' && in_array))
                return 0;
        for (p = s + 1; p < end && *p != (*s == '(' ? ')' : '}'); p += n, members++) {
                /* A dict entry: a basic key, then one value. */
                if (*s == '{' && (members >= 2 || (members == 0 && !is_basic(*p))))
                        return 0;
                n = type_len_in(p, end, depth + 1, false);
                if (n == 0)
                        return 0;
        }
        if (p >= end || members == 0 || (*s == '{' && members != 2))
                return 0;
        return (size_t) (p + 1 - s);
}

static size_t type_len(const char *s, const char *end) {
        return type_len_in(s, end, 0, false);
}

/* The length of the type next at frame f. */
static size_t frame_type_len(const struct dbus_frame *f) {
        return type_len_in(f->sig, f->sig_end, 0, f->kind == 'a');
}

static bool signature_valid(const char *s, size_t n) {
        for (size_t i = 0, l; i < n; i += l) {
                l = type_len(s + i, s + n);
                if (l == 0)
                        return false;
        }
        return n <= 255;
}

bool dbus_utf8_valid(const char *s, size_t n) {
        const unsigned char *u = (const unsigned char *) s;

        for (size_t i = 0; i < n;) {
                unsigned c = u[i], len, cp;

                if (c == 0)
                        return false;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        len = 2, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        len = 3, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        len = 4, cp = c & 0x07;
                else
                        return false;
                if (n - i < len)
                        return false;
                for (unsigned k = 1; k < len; k++) {
                        if ((u[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (u[i + k] & 0x3f);
                }
                /* Overlong forms, surrogates, beyond U+10FFFF. */
                if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += len;
        }
        return true;
}

/* Whether a message that starts with head is in the other byte order. */
static bool swapped(const uint8_t *head) {
        return (head[0] == 'B') != host_big_endian();
}

static uint32_t load_u32(const uint8_t *p, bool swap) {
        uint32_t v;

        memcpy(&v, p, sizeof v);
        return swap ? bswap_32(v) : v;
}

static uint32_t get_u32(const struct dbus_message *m, const uint8_t *p) {
        return load_u32(p, m->swap);
}

/* n bytes at the next offset aligned to align, within the current level. */
static int take(struct dbus_message *m, size_t align, size_t n, const uint8_t **ret) {
        size_t p = ALIGN_TO(m->pos, align), end = m->frame[m->depth].end;

        if (p > end || n > end - p)
                return -EBADMSG;
        m->pos = p + n;
        if (ret)
                *ret = m->data + p;
        return 0;
}

static int read_value(struct dbus_message *m, char type, void *ret) {
        const uint8_t *p;
        size_t len;
        int r;

        switch (type) {
        case 'y':
                r = take(m, 1, 1, &p);
                if (r >= 0 && ret)
                        *(uint8_t *) ret = *p;
                return r;
        case 'n': case 'q': {
                uint16_t v;

                r = take(m, 2, 2, &p);
                if (r >= 0 && ret) {
                        memcpy(&v, p, 2);
                        *(uint16_t *) ret = m->swap ? bswap_16(v) : v;
                }
                return r;
        }
        case 'b': case 'i': case 'u': case 'h':
                r = take(m, 4, 4, &p);
                if (r < 0)
                        return r;
                if (type == 'b' && get_u32(m, p) > 1)
                        return -EBADMSG;
                if (ret)
                        *(uint32_t *) ret = get_u32(m, p);
                return 0;
        case 'x': case 't': case 'd': {
                uint64_t v;

                r = take(m, 8, 8, &p);
                if (r >= 0 && ret) {
                        memcpy(&v, p, 8);
                        *(uint64_t *) ret = m->swap ? bswap_64(v) : v;
                }
                return r;
        }
        case 's': case 'o': case 'g':
                if (type == 'g') {
                        r = take(m, 1, 1, &p);
                        len = r < 0 ? 0 : *p;
                } else {
                        r = take(m, 4, 4, &p);
                        len = r < 0 ? 0 : get_u32(m, p);
                }
                if (r >= 0 && len >= DBUS_MESSAGE_MAX)
                        r = -EBADMSG;
                if (r >= 0)
                        r = take(m, 1, len + 1, &p);
                if (r < 0)
                        return r;
                if (p[len] != '\0')
                        return -EBADMSG;
                if (type == 'g' ? !signature_valid((const char *) p, len) :
                    !dbus_utf8_valid((const char *) p, len) || (type == 'o' && p[0] != '/'))
                        return -EBADMSG;
                if (ret)
                        *(const char **) ret = (const char *) p;
                return 0;
        default:
                return -EINVAL;
        }
}

/* Whether the current level has nothing more; moves an array's cursor on
 * to its next element. */
static bool at_end(struct dbus_message *m) {
        struct dbus_frame *f = &m->frame[m->depth];

        if (f->kind == 'a') {
                if (m->pos >= f->end)
                        return true;
                if (f->sig == f->sig_end)
                        f->sig = f->elem;
                return false;
        }
        return f->sig == f->sig_end;
}

char dbus_message_peek(struct dbus_message *m) {
        return at_end(m) ? 0 : *m->frame[m->depth].sig;
}

int dbus_message_read_basic(struct dbus_message *m, char type, void *ret) {
        struct dbus_frame *f = &m->frame[m->depth];
        int r;

        if (!is_basic(type))
                return -EINVAL;
        if (at_end(m))
                return 0;
        if (*f->sig != type)
                return -ENXIO;
        r = read_value(m, type, ret);
        if (r < 0)
                return r;
        f->sig++;
        return 1;
}

static int push(struct dbus_message *m, struct dbus_frame f) {
        if (m->depth >= DBUS_NESTING_MAX)
                return -EBADMSG;
        m->frame[++m->depth] = f;
        return 1;
}

/* Enter the container at the cursor; contents (n bytes) must match
 * unless it is NULL. */
static int enter(struct dbus_message *m, char type, const char *contents, size_t n) {
        struct dbus_frame *f = &m->frame[m->depth];
        size_t len, saved = m->pos;
        const uint8_t *p;
        const char *s, *vsig;
        uint32_t bytes;
        int r;

        if (at_end(m))
                return 0;
        s = f->sig;     /* at_end() may have moved it to an array's next element */
        len = frame_type_len(f);
        switch (type) {
        case 'a':
                if (*s != 'a' || (contents && (len != n + 1 || memcmp(s + 1, contents, n) != 0)))
                        return -ENXIO;
                r = take(m, 4, 4, &p);
                if (r < 0)
                        return r;
                bytes = get_u32(m, p);
                if (bytes > 64u * 1024 * 1024)
                        return -EBADMSG;
                /* The padding to the first element is not in the length. */
                r = take(m, alignment(s[1]), bytes, NULL);
                if (r < 0)
                        return r;
                m->pos -= bytes;
                return push(m, (struct dbus_frame) {
                        .kind = 'a', .elem = s + 1, .sig = s + 1, .sig_end = s + len, .end = m->pos + bytes });
        case 'r': case 'e':
                if (*s != (type == 'r' ? '(' : '{') ||
                    (contents && (len != n + 2 || memcmp(s + 1, contents, n) != 0)))
                        return -ENXIO;
                r = take(m, 8, 0, NULL);
                if (r < 0)
                        return r;
                return push(m, (struct dbus_frame) { .kind = 'r', .sig = s + 1, .sig_end = s + len - 1, .end = f->end });
        case 'v':
                if (*s != 'v')
                        return -ENXIO;
                r = read_value(m, 'g', &vsig);
                if (r < 0)
                        return r;
                len = strlen(vsig);
                if (len == 0 || type_len(vsig, vsig + len) != len)
                        return -EBADMSG;
                if (contents && (len != n || memcmp(vsig, contents, n) != 0)) {
                        m->pos = saved;
                        return -ENXIO;
                }
                return push(m, (struct dbus_frame) { .kind = 'v', .sig = vsig, .sig_end = vsig + len, .end = f->end });
        default:
                return -EINVAL;
        }
}

int dbus_message_enter(struct dbus_message *m, char type, const char *contents) {
        return enter(m, type, contents, contents ? strlen(contents) : 0);
}

int dbus_message_exit(struct dbus_message *m) {
        struct dbus_frame *f = &m->frame[m->depth], *parent;

        if (m->depth == 0)
                return -EINVAL;
        if (f->kind == 'a')
                m->pos = f->end;
        else if (f->sig != f->sig_end)
                return -EBUSY;
        m->depth--;
        parent = &m->frame[m->depth];
        parent->sig += frame_type_len(parent);
        return 1;
}

int dbus_message_skip(struct dbus_message *m) {
        const char *s;
        int r;

        if (at_end(m))
                return 0;
        s = m->frame[m->depth].sig;
        if (is_basic(*s))
                return dbus_message_read_basic(m, *s, NULL);
        r = enter(m, *s == '(' ? 'r' : *s == '{' ? 'e' : *s, NULL, 0);
        /* Element by element: what is skipped is checked all the same. */
        while (r > 0 && !at_end(m))
                r = dbus_message_skip(m);
        return r < 0 ? r : dbus_message_exit(m);
}

static int read_types(struct dbus_message *m, const char **types, va_list *ap) {
        bool first = true;
        int r;

        for (; **types && **types != ')'; (*types)++, first = false) {
                char t = **types;

                if (t == '(') {
                        const char *inner = *types + 1, *close = inner;

                        for (unsigned depth = 1; *close && (depth > 1 || *close != ')'); close++)
                                depth += *close == '(' ? 1 : *close == ')' ? -1 : 0;
                        if (*close != ')')
                                return -EINVAL;
                        r = enter(m, 'r', inner, (size_t) (close - inner));
                        if (r <= 0)
                                return r == 0 && !first ? -ENXIO : r;
                        *types = inner;
                        r = read_types(m, types, ap);
                        if (r <= 0)
                                return r == 0 ? -EBADMSG : r;
                        r = dbus_message_exit(m);
                } else
                        r = dbus_message_read_basic(m, t, va_arg(*ap, void *));
                if (r == 0 && !first)
                        return -ENXIO;
                if (r <= 0)
                        return r;
        }
        return 1;
}

int dbus_message_read(struct dbus_message *m, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = read_types(m, &types, &ap);
        va_end(ap);
        return r;
}

long dbus_message_size(const uint8_t head[DBUS_FIXED_HEADER]) {
        uint64_t fields, body, total;

        if ((head[0] != 'l' && head[0] != 'B') || head[3] != 1)
                return -EBADMSG;
        body = load_u32(head + 4, swapped(head));
        fields = load_u32(head + 12, swapped(head));
        total = ALIGN_TO(DBUS_FIXED_HEADER + fields, 8) + body;
        return total > DBUS_MESSAGE_MAX ? -EBADMSG : (long) total;
}

/* One header field: the three kvmtuned-adm reads, with their types
 * checked; the others are skipped. */
static int read_field(struct dbus_message *m, uint8_t code) {
        void *target = NULL;
        char want = 0;
        int r;

        switch (code) {
        case FIELD_REPLY_SERIAL:
                want = 'u', target = &m->reply_serial;
                break;
        case FIELD_SIGNATURE:
                want = 'g', target = &m->signature;
                break;
        case FIELD_ERROR_NAME:
                want = 's', target = &m->error_name;
                break;
        }
        r = dbus_message_enter(m, 'v', NULL);
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;
        if (!want)
                r = dbus_message_skip(m);
        else if (dbus_message_peek(m) != want)
                r = -EBADMSG;
        else
                r = dbus_message_read_basic(m, want, target);
        if (r >= 0)
                r = dbus_message_exit(m);
        return r;
}

static int parse(struct dbus_message *m, uint8_t *data, size_t size) {
        static const char fields_sig[] = "a(yv)";
        size_t body;
        long total;
        uint8_t code;
        int r;

        *m = (struct dbus_message) { .data = data, .size = size, .signature = "" };
        if (size < DBUS_FIXED_HEADER)
                return -EBADMSG;
        total = dbus_message_size(data);
        if (total < 0 || (size_t) total != size)
                return -EBADMSG;
        m->swap = swapped(data);
        m->type = data[1];
        m->serial = get_u32(m, data + 8);
        if (m->serial == 0)
                return -EBADMSG;
        body = size - get_u32(m, data + 4);

        /* The header fields, an a(yv) at offset 12, with the cursor. */
        m->frame[0] = (struct dbus_frame) { .sig = fields_sig, .sig_end = fields_sig + 5, .end = body };
        m->pos = 12;
        r = dbus_message_enter(m, 'a', "(yv)");
        while (r > 0 && (r = dbus_message_enter(m, 'r', "yv")) > 0) {
                r = dbus_message_read_basic(m, 'y', &code);
                if (r > 0)
                        r = read_field(m, code);
                if (r > 0)
                        r = dbus_message_exit(m);
        }
        if (r >= 0)
                r = dbus_message_exit(m);
        if (r < 0)
                return -EBADMSG;
        if (ALIGN_TO(m->pos, 8) != body)
                return -EBADMSG;
        if ((m->type == DBUS_METHOD_RETURN || m->type == DBUS_ERROR) && m->reply_serial == 0)
                return -EBADMSG;
        if (m->type == DBUS_ERROR && !m->error_name)
                return -EBADMSG;

        m->frame[0] = (struct dbus_frame) { .sig = m->signature, .sig_end = m->signature + strlen(m->signature),
                                            .end = size };
        m->pos = body;
        m->depth = 0;
        return 0;
}

int dbus_message_parse(struct dbus_message *m, uint8_t *data, size_t size) {
        int r = parse(m, data, size);

        /* On failure the caller keeps data: m must not point at it. */
        if (r < 0)
                *m = (struct dbus_message) {};
        return r;
}

void dbus_message_done(struct dbus_message *m) {
        free(m->data);
        m->data = NULL;
        m->size = 0;
}

/* Building. */

static void put(struct dbus_buf *b, const void *p, size_t n) {
        if (n == 0 || b->oom)
                return;
        while (b->cap - b->n < n)
                if (ARRAY_RESERVE(b->p, b->cap, b->cap, 256) < 0) {
                        b->oom = true;
                        return;
                }
        memcpy(b->p + b->n, p, n);
        b->n += n;
}

static void pad(struct dbus_buf *b, size_t align) {
        static const uint8_t zeros[8];

        put(b, zeros, ALIGN_TO(b->n, align) - b->n);
}

static void put_u32(struct dbus_buf *b, uint32_t v) {
        pad(b, 4);
        put(b, &v, sizeof v);
}

void dbus_buf_put_string(struct dbus_buf *b, const char *s) {
        size_t n = strlen(s);

        if (!dbus_utf8_valid(s, n))
                b->invalid = true;
        put_u32(b, (uint32_t) n);
        put(b, s, n + 1);
}

static void put_signature(struct dbus_buf *b, const char *s) {
        uint8_t n = (uint8_t) strlen(s);

        put(b, &n, 1);
        put(b, s, n + 1u);
}

void dbus_buf_put_strv(struct dbus_buf *b, char *const *strv) {
        size_t at;
        uint32_t len;

        put_u32(b, 0);
        at = b->n;
        for (; strv && *strv; strv++)
                dbus_buf_put_string(b, *strv);
        if (b->oom)
                return;
        len = (uint32_t) (b->n - at);
        memcpy(b->p + at - sizeof len, &len, sizeof len);
}

void dbus_buf_done(struct dbus_buf *b) {
        free(b->p);
        *b = (struct dbus_buf) {};
}

static void put_field(struct dbus_buf *b, uint8_t code, char type, const char *value) {
        char sig[2] = { type, '\0' };

        pad(b, 8);
        put(b, &code, 1);
        put_signature(b, sig);
        if (type == 'g')
                put_signature(b, value);
        else
                dbus_buf_put_string(b, value);
}

static bool name_ok(const char *s, bool path) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 255 || !dbus_utf8_valid(s, n))
                return false;
        return !path || (s[0] == '/' && (n == 1 || s[n - 1] != '/') && !strstr(s, "//"));
}

int dbus_message_new_call(struct dbus_buf *out, uint32_t serial, const char *destination, const char *path,
                          const char *interface, const char *member, const char *sig, const struct dbus_buf *body) {
        uint8_t head[4] = { host_big_endian() ? 'B' : 'l', DBUS_METHOD_CALL, 0, 1 };
        uint32_t fields;
        size_t body_n = body ? body->n : 0;

        sig = sig ?: "";
        if (serial == 0 || !name_ok(path, true) || !name_ok(interface, false) || !name_ok(member, false) ||
            (destination && !name_ok(destination, false)) || !signature_valid(sig, strlen(sig)) ||
            (body_n > 0) != (*sig != '\0') || body_n > DBUS_MESSAGE_MAX / 2)
                return -EINVAL;
        if (body && body->invalid)
                return -EINVAL;
        if (body && body->oom)
                return -ENOMEM;
        put(out, head, sizeof head);
        put_u32(out, (uint32_t) body_n);
        put_u32(out, serial);
        put_u32(out, 0);
        put_field(out, FIELD_PATH, 'o', path);
        put_field(out, FIELD_INTERFACE, 's', interface);
        put_field(out, FIELD_MEMBER, 's', member);
        if (destination)
                put_field(out, FIELD_DESTINATION, 's', destination);
        if (*sig)
                put_field(out, FIELD_SIGNATURE, 'g', sig);
        if (out->oom)
                return -ENOMEM;
        fields = (uint32_t) (out->n - DBUS_FIXED_HEADER);
        memcpy(out->p + 12, &fields, sizeof fields);
        pad(out, 8);
        if (body_n)
                put(out, body->p, body_n);
        return out->oom ? -ENOMEM : 0;
}
