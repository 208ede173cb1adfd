/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>

#include "strbuf.h"

static int reserve(struct strbuf *b, size_t extra) {
        size_t need = b->len + extra + 1;
        char *t;

        if (need <= b->cap)
                return 0;
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
                cap *= 2;
        t = realloc(b->s, cap);
        if (!t)
                return -ENOMEM;
        b->s = t;
        b->cap = cap;
        return 0;
}

int strbuf_append_n(struct strbuf *b, const char *s, size_t n) {
        if (reserve(b, n) < 0)
                return -ENOMEM;
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
        return 0;
}

int strbuf_append(struct strbuf *b, const char *s) {
        return strbuf_append_n(b, s, strlen(s));
}

int strbuf_append_char(struct strbuf *b, char c) {
        return strbuf_append_n(b, &c, 1);
}

int strbuf_appendf(struct strbuf *b, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        if (reserve(b, (size_t) n) < 0)
                return -ENOMEM;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
        return 0;
}

char *strbuf_steal(struct strbuf *b) {
        char *s = b->s ? b->s : strdup("");

        b->s = NULL;
        b->len = b->cap = 0;
        return s;
}

void strbuf_done(struct strbuf *b) {
        free(b->s);
        b->s = NULL;
        b->len = b->cap = 0;
}
