/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The part of the D-Bus wire format (dbus-specification, "Message
 * Protocol") kvmtuned-adm speaks: building a method call whose arguments
 * are strings, and reading any message with a cursor in the style of
 * sd_bus_message_read(): basic types, arrays, structs, dict entries and
 * variants. kvmtuned-adm does not link libsystemd: loading it (and the six
 * libraries it pulls in) was most of the client's start-up time, and every
 * switch starts a client. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
        DBUS_METHOD_CALL = 1,
        DBUS_METHOD_RETURN = 2,
        DBUS_ERROR = 3,
        DBUS_SIGNAL = 4,
};

#define DBUS_FIXED_HEADER  16
#define DBUS_MESSAGE_MAX   (128u * 1024 * 1024)        /* the specification's limit */
#define DBUS_NESTING_MAX   64                          /* arrays + structs, as the specification */

struct dbus_frame {
        char kind;                      /* 0 (the top), 'a', 'r' (struct or dict entry) or 'v' */
        const char *sig, *sig_end;      /* what is left to read at this level */
        const char *elem;               /* 'a': the element's signature */
        size_t end;                     /* no read goes past this offset */
};

/* A received message. Strings read from it point into data. */
struct dbus_message {
        uint8_t *data;
        size_t size;
        bool swap;                      /* the sender's byte order is not ours */
        uint8_t type;
        uint32_t serial, reply_serial;  /* reply_serial: 0 when absent */
        const char *error_name;         /* NULL when absent */
        const char *signature;          /* of the body; "" when absent */

        /* The read cursor. */
        size_t pos;
        unsigned depth;
        struct dbus_frame frame[DBUS_NESTING_MAX + 1];
};

/* The size of the whole message whose first DBUS_FIXED_HEADER bytes are
 * head, or -EBADMSG. */
long dbus_message_size(const uint8_t head[DBUS_FIXED_HEADER]);

/* Check the header of the complete message in data (size bytes, from
 * malloc) and point the cursor at the body. On success m owns data. */
int dbus_message_parse(struct dbus_message *m, uint8_t *data, size_t size);
void dbus_message_done(struct dbus_message *m);

/* The cursor, as sd-bus's: 1 when a value was read or a container
 * entered, 0 at the end of the current array (or of the body), -ENXIO
 * when the next value has another type, -EBADMSG when the data is not
 * valid D-Bus. Types: y b n q i u x t d h s o g (s, o, g: const char **;
 * b, h, i, u: uint32_t; n, q: uint16_t; x, t, d: uint64_t; y: uint8_t). */
int dbus_message_read_basic(struct dbus_message *m, char type, void *ret);
/* type 'a', 'r' (a struct: contents without the parentheses), 'e' (a dict
 * entry, the same) or 'v'; contents NULL takes any. */
int dbus_message_enter(struct dbus_message *m, char type, const char *contents);
/* Leave the container: the rest of an array is skipped; a struct must
 * have been read to its end (-EBUSY). */
int dbus_message_exit(struct dbus_message *m);
/* Basic types and structs of them, e.g. "ss", "su", "(sss)". */
int dbus_message_read(struct dbus_message *m, const char *types, ...);
/* Skip the next value, whatever its type, checking it as if read. */
int dbus_message_skip(struct dbus_message *m);
/* The type of the next value, or 0 at the end of the current level. */
char dbus_message_peek(struct dbus_message *m);

/* A message being built, in this machine's byte order. */
struct dbus_buf {
        uint8_t *p;
        size_t n, cap;
        bool oom;
        bool invalid;                   /* a string that is not valid UTF-8 */
};

void dbus_buf_done(struct dbus_buf *b);
/* Append one string ("s") or an array of strings ("as"), aligned as in a
 * body: a body starts on an 8-byte boundary of the message. */
void dbus_buf_put_string(struct dbus_buf *b, const char *s);
void dbus_buf_put_strv(struct dbus_buf *b, char *const *strv);

/* A method call: the header, then body (signature sig; NULL and "" for
 * none). destination may be NULL (a peer-to-peer connection). Returns 0,
 * -ENOMEM or -EINVAL (a name or path that is not valid D-Bus). */
int dbus_message_new_call(struct dbus_buf *out, uint32_t serial, const char *destination, const char *path,
                          const char *interface, const char *member, const char *sig, const struct dbus_buf *body);

/* Whether s is valid UTF-8 without NUL: strings on the bus must be. */
bool dbus_utf8_valid(const char *s, size_t n);
