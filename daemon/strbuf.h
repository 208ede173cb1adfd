/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A growable, always NUL-terminated string for building replies, journal
 * text and reports. */

#include <stddef.h>

#include "kvmtuned/macro.h"

struct strbuf {
        char *s;
        size_t len, cap;
};

int strbuf_append(struct strbuf *b, const char *s);
int strbuf_append_n(struct strbuf *b, const char *s, size_t n);
int strbuf_append_char(struct strbuf *b, char c);
int strbuf_appendf(struct strbuf *b, const char *fmt, ...) _printf_(2, 3);
/* Return the string (never NULL: "" when empty) and reset b. */
char *strbuf_steal(struct strbuf *b);
void strbuf_done(struct strbuf *b);
