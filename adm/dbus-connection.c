/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "dbus-connection.h"

#define SYSTEM_BUS_DEFAULT "unix:path=/run/dbus/system_bus_socket"
#define AUTH_LINE_MAX      512
#define RECEIVE_MIN        4096
/* Connecting, authenticating, Hello, and each send. */
#define SETUP_TIMEOUT_USEC (25ULL * 1000000ULL)

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static int send_all(int fd, const void *p, size_t n) {
        const uint8_t *b = p;

        while (n > 0) {
                ssize_t k = send(fd, b, n, MSG_NOSIGNAL);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return errno == EAGAIN ? -ETIMEDOUT : -errno;      /* SO_SNDTIMEO */
                b += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Read more into c->in, waiting until deadline; the buffer doubles while
 * it has less than RECEIVE_MIN free. */
static int receive(struct dbus_connection *c, uint64_t deadline) {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        ssize_t k;

        while (c->in_cap - c->in_n < RECEIVE_MIN)
                if (ARRAY_RESERVE(c->in, c->in_cap, c->in_cap, 2 * RECEIVE_MIN) < 0)
                        return -ENOMEM;
        for (;;) {
                uint64_t now = now_usec();
                int r;

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int) ((deadline - now + 999) / 1000));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        continue;
                k = recv(c->fd, c->in + c->in_n, c->in_cap - c->in_n, MSG_DONTWAIT);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ECONNRESET;
                c->in_n += (size_t) k;
                return 0;
        }
}

/* Take n bytes off the front of c->in. */
static void consume(struct dbus_connection *c, size_t n) {
        memmove(c->in, c->in + n, c->in_n - n);
        c->in_n -= n;
}

/* 1 and the next message in m; 0 when a message was passed over. */
static int read_message(struct dbus_connection *c, uint64_t deadline, struct dbus_message *m) {
        uint8_t *data;
        long size;
        int r;

        while (c->in_n < DBUS_FIXED_HEADER)
                if ((r = receive(c, deadline)) < 0)
                        return r;
        size = dbus_message_size(c->in);
        if (size < 0)
                return (int) size;
        while (c->in_n < (size_t) size)
                if ((r = receive(c, deadline)) < 0)
                        return r;
        data = malloc((size_t) size);
        if (!data)
                return -ENOMEM;
        memcpy(data, c->in, (size_t) size);
        consume(c, (size_t) size);
        r = dbus_message_parse(m, data, (size_t) size);
        if (r < 0) {
                /* A call or signal we could not read is not our reply: pass it
                 * over (anyone on the bus may send us a signal). */
                bool other = data[1] == DBUS_METHOD_CALL || data[1] == DBUS_SIGNAL;

                free(data);
                return other ? 0 : r;
        }
        return 1;
}

/* SASL EXTERNAL as our effective uid; BEGIN goes with AUTH, as sd-bus sends it, so
 * the first message never shares a read with BEGIN on the server. */
static int authenticate(struct dbus_connection *c) {
        char out[64], hex[32] = "", uid[16];
        uint64_t deadline = now_usec() + SETUP_TIMEOUT_USEC;
        char *eol;
        int r;

        snprintf(uid, sizeof uid, "%u", (unsigned) geteuid());   /* what SO_PEERCRED shows */
        for (size_t i = 0; uid[i]; i++)
                snprintf(hex + 2 * i, 3, "%02x", (unsigned char) uid[i]);
        r = snprintf(out, sizeof out, "%cAUTH EXTERNAL %s\r\nBEGIN\r\n", 0, hex);
        r = send_all(c->fd, out, (size_t) r);
        if (r < 0)
                return r;
        while (!(eol = c->in_n ? memmem(c->in, c->in_n, "\r\n", 2) : NULL)) {
                if (c->in_n > AUTH_LINE_MAX)
                        return -EBADMSG;
                if ((r = receive(c, deadline)) < 0)
                        return r;
        }
        r = c->in_n >= 3 && memcmp(c->in, "OK ", 3) == 0 ? 0 : -EPERM;
        consume(c, (size_t) ((uint8_t *) eol - c->in) + 2);
        return r;
}

static int connect_unix(struct dbus_connection *c, const char *path, bool abstract) {
        static const struct timeval send_timeout = { .tv_sec = SETUP_TIMEOUT_USEC / 1000000 };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = strlen(path), off = abstract ? 1 : 0;
        int r;

        /* A path needs its NUL; an abstract name has none. */
        if (n + off + !abstract > sizeof sa.sun_path)
                return -ENAMETOOLONG;
        memcpy(sa.sun_path + off, path, n);
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
                return -errno;
        /* connect() and send() block at most this long: a daemon that stopped
         * accepting must not hang every hook call behind it for ever. */
        if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout) < 0) {
                r = -errno;
                dbus_connection_close(c);
                return r;
        }
        if (connect(c->fd, (struct sockaddr *) &sa,
                    (socklen_t) (offsetof(struct sockaddr_un, sun_path) + off + n + (abstract ? 0 : 1))) < 0) {
                r = errno == EAGAIN ? -ETIMEDOUT : -errno;          /* SO_SNDTIMEO */
                dbus_connection_close(c);
                return r;
        }
        r = authenticate(c);
        if (r < 0)
                dbus_connection_close(c);
        return r;
}

int dbus_connection_open_peer(struct dbus_connection *c, const char *path) {
        *c = DBUS_CONNECTION_NULL;
        return connect_unix(c, path, false);
}

/* The value of key in one address ("unix:path=/x,guid=..."), unescaped
 * (%XX) into buf, or NULL. */
static const char *address_value(const char *a, size_t n, const char *key, char *buf, size_t size) {
        size_t k = strlen(key), o = 0;
        const char *p = memchr(a, ':', n);

        for (p = p ? p + 1 : a + n; p < a + n;) {
                const char *end = memchr(p, ',', (size_t) (a + n - p)) ?: a + n;

                if ((size_t) (end - p) > k && memcmp(p, key, k) == 0 && p[k] == '=') {
                        for (p += k + 1; p < end && o + 1 < size; p++) {
                                unsigned v;

                                if (*p == '%' && end - p >= 3 && sscanf(p + 1, "%2x", &v) == 1) {
                                        buf[o++] = (char) v;
                                        p += 2;
                                } else
                                        buf[o++] = *p;
                        }
                        buf[o] = '\0';
                        return p == end ? buf : NULL;
                }
                p = end + 1;
        }
        return NULL;
}

static int hello(struct dbus_connection *c) {
        struct dbus_message reply;
        int r;

        r = dbus_connection_call(c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                 "Hello", NULL, NULL, SETUP_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;
        r = reply.type == DBUS_ERROR ? -EPERM : 0;
        dbus_message_done(&reply);
        return r;
}

int dbus_connection_open_system(struct dbus_connection *c) {
        const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS") ?: SYSTEM_BUS_DEFAULT;
        int r = -ENOENT;

        *c = DBUS_CONNECTION_NULL;
        /* Addresses are tried in order, separated by ';'. */
        for (const char *a = address; *a;) {
                size_t n = strcspn(a, ";");
                char path[sizeof ((struct sockaddr_un *) NULL)->sun_path];

                if (n > 5 && memcmp(a, "unix:", 5) == 0) {
                        if (address_value(a, n, "path", path, sizeof path))
                                r = connect_unix(c, path, false);
                        else if (address_value(a, n, "abstract", path, sizeof path))
                                r = connect_unix(c, path, true);
                        if (r >= 0)
                                break;
                }
                a += n + (a[n] == ';');
        }
        if (r < 0)
                return r;
        r = hello(c);
        if (r < 0)
                dbus_connection_close(c);
        return r;
}

void dbus_connection_close(struct dbus_connection *c) {
        if (c->fd >= 0)
                close(c->fd);
        free(c->in);
        *c = DBUS_CONNECTION_NULL;
}

int dbus_connection_call(struct dbus_connection *c, const char *destination, const char *path,
                         const char *interface, const char *member, const char *sig, const struct dbus_buf *body,
                         uint64_t timeout_usec, struct dbus_message *reply) {
        struct dbus_buf out = {};
        uint64_t deadline = now_usec() + timeout_usec;
        uint32_t serial = ++c->serial;
        int r;

        r = dbus_message_new_call(&out, serial, destination, path, interface, member, sig, body);
        if (r >= 0)
                r = send_all(c->fd, out.p, out.n);
        dbus_buf_done(&out);
        while (r >= 0) {
                r = read_message(c, deadline, reply);
                if (r <= 0)
                        continue;
                if ((reply->type == DBUS_METHOD_RETURN || reply->type == DBUS_ERROR) &&
                    reply->reply_serial == serial)
                        return 0;
                dbus_message_done(reply);
        }
        return r;
}
