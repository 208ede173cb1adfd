/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kvmtuned-adm's D-Bus client (adm/dbus-*.c) against sd-bus, the library
 * the daemon serves with: calls and replies of every shape the verbs use
 * go over a real unix socket to an sd-bus server in a thread. Then the
 * reader on messages made by hand: the other byte order, and data that is
 * not valid D-Bus. */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "dbus-connection.h"
#include "dbus-message.h"
#include "kvmtuned/macro.h"

#define PATH  "/org/example/Test"
#define IFACE "org.example.Test"

static char sock_path[64];
static int listen_fd = -1;
static pthread_t server_thread;

static int method_echo(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *a, *b;
        int r;

        (void) userdata;
        (void) error;
        r = sd_bus_message_read(m, "ss", &a, &b);
        if (r < 0)
                return r;
        /* Signals first, one with a dict of arrays: the client must pass
         * over them. */
        r = sd_bus_emit_signal(sd_bus_message_get_bus(m), PATH, IFACE, "Noise", "s", "before the reply");
        if (r >= 0)
                r = sd_bus_emit_signal(sd_bus_message_get_bus(m), PATH, IFACE, "Dict", "a{sas}", 1, "k", 2, "x", "y");
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, "ss", b, a);
}

static int method_rows(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint32_t n;
        int r;

        (void) userdata;
        (void) error;
        r = sd_bus_message_read(m, "u", &n);
        if (r >= 0)
                r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "su", "table", n);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (uint32_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(ss)", "key", i % 2 ? "ünïcode" : "");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "as", 2, "x", "y");
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_strv(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char **strv = NULL;
        int r;

        (void) userdata;
        (void) error;
        r = sd_bus_message_read_strv(m, &strv);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, strv);
        for (char **s = strv; s && *s; s++)
                free(*s);
        free(strv);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_fail(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        (void) m;
        (void) userdata;
        return sd_bus_error_set(error, "org.example.Error.Nope", "no way");
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Echo", "ss", "ss", method_echo, 0),
        SD_BUS_METHOD("Rows", "u", "sua(ss)as", method_rows, 0),
        SD_BUS_METHOD("Strv", "as", "as", method_strv, 0),
        SD_BUS_METHOD("Fail", "", "", method_fail, 0),
        SD_BUS_SIGNAL("Noise", "s", 0),
        SD_BUS_SIGNAL("Dict", "a{sas}", 0),
        SD_BUS_VTABLE_END
};

/* Serves one connection after another until the listening socket closes. */
static void *serve(void *arg) {
        (void) arg;
        for (;;) {
                sd_bus *bus = NULL;
                sd_id128_t id = SD_ID128_MAKE(a5, 1c, 0f, 3e, 77, 42, 4b, 11, 9d, 2a, 60, 05, 8e, 13, c4, 21);
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

                if (fd < 0)
                        return NULL;
                if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fd, fd) < 0 || sd_bus_set_server(bus, 1, id) < 0 ||
                    sd_bus_add_object_vtable(bus, NULL, PATH, IFACE, vtable, NULL) < 0 || sd_bus_start(bus) < 0) {
                        sd_bus_unref(bus);
                        continue;
                }
                while (sd_bus_process(bus, NULL) >= 0)
                        if (sd_bus_wait(bus, UINT64_MAX) < 0)
                                break;
                sd_bus_flush_close_unref(bus);
        }
}

static int setup(void **state) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[] = "/tmp/kt-dbus-XXXXXX";

        (void) state;
        assert_non_null(mkdtemp(dir));
        snprintf(sock_path, sizeof sock_path, "%s/sock", dir);
        strcpy(sa.sun_path, sock_path);
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(listen_fd >= 0);
        assert_int_equal(bind(listen_fd, (struct sockaddr *) &sa, sizeof sa), 0);
        assert_int_equal(listen(listen_fd, 8), 0);
        assert_int_equal(pthread_create(&server_thread, NULL, serve, NULL), 0);
        return 0;
}

static int teardown(void **state) {
        char dir[108];

        (void) state;
        shutdown(listen_fd, SHUT_RDWR);
        close(listen_fd);
        pthread_join(server_thread, NULL);
        unlink(sock_path);
        snprintf(dir, sizeof dir, "%s", sock_path);
        *strrchr(dir, '/') = '\0';
        rmdir(dir);
        return 0;
}

static void le32(uint8_t *p, uint32_t v) {
        for (unsigned i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static void call(struct dbus_connection *c, const char *member, const char *sig, const struct dbus_buf *body,
                 struct dbus_message *reply) {
        assert_int_equal(dbus_connection_call(c, NULL, PATH, IFACE, member, sig, body, 5000000, reply), 0);
}

static void test_call_and_replies(void **state) {
        struct dbus_connection c;
        struct dbus_message reply;
        struct dbus_buf body = {};
        const char *a, *b, *name;
        uint32_t n;

        (void) state;
        assert_int_equal(dbus_connection_open_peer(&c, sock_path), 0);

        dbus_buf_put_string(&body, "first");
        dbus_buf_put_string(&body, "");
        call(&c, "Echo", "ss", &body, &reply);
        dbus_buf_done(&body);
        assert_int_equal(reply.type, DBUS_METHOD_RETURN);
        assert_string_equal(reply.signature, "ss");
        assert_int_equal(dbus_message_read(&reply, "ss", &a, &b), 1);
        assert_string_equal(a, "");
        assert_string_equal(b, "first");
        assert_int_equal(dbus_message_read_basic(&reply, 's', &a), 0);       /* the end */
        dbus_message_done(&reply);

        /* An array of structs, empty and not; then the next argument. */
        for (uint32_t rows = 0; rows <= 3; rows += 3) {
                unsigned seen = 0;
                int r;

                /* "u" by hand: the builder only makes strings. */
                uint8_t u[4];
                struct dbus_buf arg = { .p = u, .n = sizeof u };

                le32(u, rows);
                call(&c, "Rows", "u", &arg, &reply);
                assert_int_equal(dbus_message_read(&reply, "su", &name, &n), 1);
                assert_string_equal(name, "table");
                assert_int_equal(n, rows);
                assert_int_equal(dbus_message_read(&reply, "(ss)", &a, &b), -ENXIO);    /* an array is next */
                assert_int_equal(dbus_message_enter(&reply, 'a', "(ss)"), 1);
                while ((r = dbus_message_read(&reply, "(ss)", &a, &b)) > 0) {
                        assert_string_equal(a, "key");
                        assert_string_equal(b, seen % 2 ? "ünïcode" : "");
                        seen++;
                }
                assert_int_equal(r, 0);
                assert_int_equal(seen, rows);
                assert_int_equal(dbus_message_exit(&reply), 1);
                /* Leaving an array part-read skips the rest. */
                assert_int_equal(dbus_message_enter(&reply, 'a', "s"), 1);
                assert_int_equal(dbus_message_read_basic(&reply, 's', &a), 1);
                assert_string_equal(a, "x");
                assert_int_equal(dbus_message_exit(&reply), 1);
                assert_int_equal(dbus_message_peek(&reply), 0);
                dbus_message_done(&reply);
        }

        /* A string array out and back. */
        {
                char *strv[] = { "web1", "", "db-2", NULL };
                unsigned i = 0;
                int r;

                dbus_buf_put_strv(&body, strv);
                call(&c, "Strv", "as", &body, &reply);
                dbus_buf_done(&body);
                assert_int_equal(dbus_message_enter(&reply, 'a', "s"), 1);
                while ((r = dbus_message_read_basic(&reply, 's', &a)) > 0)
                        assert_string_equal(a, strv[i++]);
                assert_int_equal(r, 0);
                assert_int_equal(i, 3);
                assert_int_equal(dbus_message_exit(&reply), 1);
                dbus_message_done(&reply);

                dbus_buf_put_strv(&body, (char *[]) { NULL });
                call(&c, "Strv", "as", &body, &reply);
                dbus_buf_done(&body);
                assert_int_equal(dbus_message_enter(&reply, 'a', "s"), 1);
                assert_int_equal(dbus_message_read_basic(&reply, 's', &a), 0);
                assert_int_equal(dbus_message_exit(&reply), 1);
                dbus_message_done(&reply);
        }

        /* An error, with its name and message. */
        call(&c, "Fail", NULL, NULL, &reply);
        assert_int_equal(reply.type, DBUS_ERROR);
        assert_string_equal(reply.error_name, "org.example.Error.Nope");
        assert_int_equal(dbus_message_read_basic(&reply, 's', &a), 1);
        assert_string_equal(a, "no way");
        dbus_message_done(&reply);

        /* A method sd-bus does not know is an error too, not a hang. */
        call(&c, "Nothing", NULL, NULL, &reply);
        assert_int_equal(reply.type, DBUS_ERROR);
        assert_string_equal(reply.error_name, "org.freedesktop.DBus.Error.UnknownMethod");
        dbus_message_done(&reply);

        /* A string that is not UTF-8 is refused before it is sent. */
        dbus_buf_put_string(&body, "bad \xff");
        assert_int_equal(dbus_connection_call(&c, NULL, PATH, IFACE, "Echo", "s", &body, 5000000, &reply), -EINVAL);
        dbus_buf_done(&body);
        dbus_connection_close(&c);
}

/* A peer that answers with bytes from a table: OK, a signal that is not
 * valid D-Bus (anyone on a bus may send one), then the reply to serial 1. */
static void *serve_raw(void *arg) {
        static const uint8_t junk_signal[] = {
                'l', DBUS_SIGNAL, 0, 1,  3, 0, 0, 0,  5, 0, 0, 0,  55, 0, 0, 0,
                1, 1, 'o', 0,  2, 0, 0, 0,  '/', 'x', 0, 0,  0, 0, 0, 0,
                2, 1, 's', 0,  3, 0, 0, 0,  'a', '.', 'b', 0,  0, 0, 0, 0,
                3, 1, 's', 0,  1, 0, 0, 0,  'S', 0, 0, 0,  0, 0, 0, 0,
                8, 1, 'g', 0,  1, '!', 0, 0,            /* a body signature that is no type */
                9, 0, 0,
        };
        uint8_t reply[32] = {
                'l', DBUS_METHOD_RETURN, 1, 1,  0, 0, 0, 0,  6, 0, 0, 0,  8, 0, 0, 0,
                5, 1, 'u', 0,  1, 0, 0, 0,
        };
        int lfd = *(int *) arg, fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        char buf[512];

        if (fd < 0)
                return NULL;
        (void) !read(fd, buf, sizeof buf);                      /* AUTH, BEGIN */
        (void) !write(fd, "OK 0123456789abcdef0123456789abcdef\r\n", 37);
        (void) !read(fd, buf, sizeof buf);                      /* the call */
        (void) !write(fd, junk_signal, sizeof junk_signal);
        (void) !write(fd, reply, 24);
        (void) !read(fd, buf, sizeof buf);                      /* until the client closes */
        close(fd);
        return NULL;
}

static void test_unreadable_signal_passed_over(void **state) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct dbus_connection c;
        struct dbus_message reply;
        pthread_t t;
        int lfd;

        (void) state;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s.raw", sock_path);
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(lfd >= 0);
        assert_int_equal(bind(lfd, (struct sockaddr *) &sa, sizeof sa), 0);
        assert_int_equal(listen(lfd, 1), 0);
        assert_int_equal(pthread_create(&t, NULL, serve_raw, &lfd), 0);
        assert_int_equal(dbus_connection_open_peer(&c, sa.sun_path), 0);
        call(&c, "Anything", NULL, NULL, &reply);
        assert_int_equal(reply.type, DBUS_METHOD_RETURN);
        assert_int_equal(reply.reply_serial, 1);
        dbus_message_done(&reply);
        dbus_connection_close(&c);
        pthread_join(t, NULL);
        close(lfd);
        unlink(sa.sun_path);
}

static void test_no_server(void **state) {
        struct dbus_connection c;

        (void) state;
        assert_int_equal(dbus_connection_open_peer(&c, "/nonexistent/kt.sock"), -ENOENT);
        assert_int_equal(c.fd, -1);
}

/* A message from bytes: parse a copy (the message takes it over). */
static int parse(const void *bytes, size_t n, struct dbus_message *m) {
        uint8_t *copy = malloc(n);
        int r;

        assert_non_null(copy);
        memcpy(copy, bytes, n);
        r = dbus_message_parse(m, copy, n);
        if (r < 0)
                free(copy);
        return r;
}

/* A method return, reply to serial 7, body "s" = "hi", big-endian. */
static const uint8_t big_endian[] = {
        'B', 2, 1, 1,  0, 0, 0, 7,  0, 0, 0, 9,  0, 0, 0, 15,
        5, 1, 'u', 0,  0, 0, 0, 7,                      /* REPLY_SERIAL */
        8, 1, 'g', 0,  1, 's', 0,                       /* SIGNATURE */
        0,                                              /* pad to 8 */
        0, 0, 0, 2,  'h', 'i', 0,
};

static void test_big_endian(void **state) {
        struct dbus_message m;
        const char *s;

        (void) state;
        assert_int_equal(dbus_message_size(big_endian), (long) sizeof big_endian);
        assert_int_equal(parse(big_endian, sizeof big_endian, &m), 0);
        assert_int_equal(m.type, DBUS_METHOD_RETURN);
        assert_int_equal(m.serial, 9);
        assert_int_equal(m.reply_serial, 7);
        assert_int_equal(dbus_message_read_basic(&m, 's', &s), 1);
        assert_string_equal(s, "hi");
        dbus_message_done(&m);
}

static void test_built_call_parses(void **state) {
        struct dbus_buf out = {}, body = {};
        struct dbus_message m;
        const char *a;

        (void) state;
        dbus_buf_put_string(&body, "latency");
        assert_int_equal(dbus_message_new_call(&out, 3, "org.kvmtuned.Daemon1", "/org/kvmtuned/Daemon",
                                               "org.kvmtuned.Daemon1", "SwitchProfile", "s", &body), 0);
        assert_int_equal(parse(out.p, out.n, &m), 0);
        assert_int_equal(m.type, DBUS_METHOD_CALL);
        assert_int_equal(m.serial, 3);
        assert_string_equal(m.signature, "s");
        assert_int_equal(dbus_message_read_basic(&m, 's', &a), 1);
        assert_string_equal(a, "latency");
        dbus_message_done(&m);
        dbus_buf_done(&out);

        /* Names that are not D-Bus names, a body without its signature. */
        assert_int_equal(dbus_message_new_call(&out, 1, NULL, "no/slash", "a.b", "M", NULL, NULL), -EINVAL);
        assert_int_equal(dbus_message_new_call(&out, 1, NULL, "/a//b", "a.b", "M", NULL, NULL), -EINVAL);
        assert_int_equal(dbus_message_new_call(&out, 1, NULL, "/a", "a.b", "M", NULL, &body), -EINVAL);
        assert_int_equal(dbus_message_new_call(&out, 0, NULL, "/a", "a.b", "M", NULL, NULL), -EINVAL);
        dbus_buf_done(&out);
        dbus_buf_done(&body);
}

/* A little-endian method return (reply to serial 1) with body of
 * signature sig into msg; returns its size. */
static size_t make_return(uint8_t *msg, size_t size, const char *sig, const uint8_t *body, size_t n) {
        size_t sl = strlen(sig), fields = 14 + sl, at = (16 + fields + 7) & ~(size_t) 7;

        assert_true(sl < 256 && at + n <= size);
        memset(msg, 0, size);
        memcpy(msg, (uint8_t[]) { 'l', DBUS_METHOD_RETURN, 0, 1 }, 4);
        le32(msg + 4, (uint32_t) n);
        le32(msg + 8, 2);
        le32(msg + 12, (uint32_t) fields);
        memcpy(msg + 16, (uint8_t[]) { 5, 1, 'u', 0, 1, 0, 0, 0, 8, 1, 'g', 0, (uint8_t) sl }, 13);
        memcpy(msg + 29, sig, sl + 1);
        memcpy(msg + at, body, n);
        return at + n;
}

/* Valid headers, each body broken in one place: the reader stops with
 * -EBADMSG, never reads past the message (ASan) and never loops. */
static void test_malformed(void **state) {
        static const struct {
                const char *what;
                const char *sig;
                uint8_t body[24];
                size_t n;
        } cases[] = {
                { "string past the body",       "s",  { 9, 0, 0, 0, 'a', 'b', 0 }, 7 },
                { "string without its NUL",     "s",  { 2, 0, 0, 0, 'a', 'b', 'c' }, 7 },
                { "NUL inside a string",        "s",  { 3, 0, 0, 0, 'a', 0, 'b', 0 }, 8 },
                { "not UTF-8",                  "s",  { 2, 0, 0, 0, 0xc3, 0x28, 0 }, 7 },
                { "overlong UTF-8",             "s",  { 2, 0, 0, 0, 0xc0, 0xaf, 0 }, 7 },
                { "UTF-16 surrogate",           "s",  { 3, 0, 0, 0, 0xed, 0xa0, 0x80, 0 }, 8 },
                { "array past the body",        "as", { 64, 0, 0, 0, 1, 0, 0, 0, 'a', 0 }, 10 },
                { "element past its array",     "as", { 4, 0, 0, 0, 5, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 0 }, 14 },
                { "boolean that is 2",          "b",  { 2, 0, 0, 0 }, 4 },
                { "object path without /",      "o",  { 1, 0, 0, 0, 'x', 0 }, 6 },
                { "variant of two types",       "v",  { 2, 's', 's', 0 }, 4 },
                { "variant with a bad type",    "v",  { 1, '!', 0 }, 3 },
                { "struct past the body",       "(ss)", { 1, 0, 0, 0, 'a', 0, 0, 0, 1, 0, 0, 0, 'b' }, 13 },
        };

        (void) state;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                uint8_t msg[96];
                struct dbus_message m;
                size_t n = make_return(msg, sizeof msg, cases[i].sig, cases[i].body, cases[i].n);
                int r;

                assert_int_equal(parse(msg, n, &m), 0);
                while ((r = dbus_message_skip(&m)) > 0)
                        ;
                if (r != -EBADMSG)
                        fail_msg("%s: %d, not -EBADMSG", cases[i].what, r);
                dbus_message_done(&m);
        }
}

/* What the cursor refuses on a valid message. */
static void test_cursor_rules(void **state) {
        static const uint8_t body[] = { 1, 0, 0, 0, 'a', 0, 0, 0, 1, 0, 0, 0, 'b', 0, 0, 0, 7, 0, 0, 0 };
        uint8_t msg[96];
        struct dbus_message m;
        const char *a;
        uint32_t u;

        (void) state;
        assert_int_equal(parse(msg, make_return(msg, sizeof msg, "(ss)u", body, sizeof body), &m), 0);
        assert_int_equal(dbus_message_read_basic(&m, 's', &a), -ENXIO);        /* a struct is next */
        assert_int_equal(dbus_message_enter(&m, 'r', "s"), -ENXIO);           /* not that struct */
        assert_int_equal(dbus_message_enter(&m, 'r', "ss"), 1);
        assert_int_equal(dbus_message_read_basic(&m, 's', &a), 1);
        assert_int_equal(dbus_message_exit(&m), -EBUSY);                     /* half read */
        assert_int_equal(dbus_message_read_basic(&m, 's', &a), 1);
        assert_string_equal(a, "b");
        assert_int_equal(dbus_message_read_basic(&m, 's', &a), 0);
        assert_int_equal(dbus_message_exit(&m), 1);
        assert_int_equal(dbus_message_exit(&m), -EINVAL);                    /* not in a container */
        assert_int_equal(dbus_message_read(&m, "u", &u), 1);
        assert_int_equal(u, 7);
        assert_int_equal(dbus_message_read(&m, "u", &u), 0);
        dbus_message_done(&m);
}

/* Dict entries: a basic key and any one value, only inside an array. */
static void test_dict_signatures(void **state) {
        static const struct {
                const char *sig;
                int parsed;
        } cases[] = {
                { "a{sv}", 0 }, { "a{sas}", 0 }, { "a{s(ss)}", 0 }, { "a{sa{sv}}", 0 }, { "oa{sa{sv}}", 0 },
                { "{sv}", -EBADMSG }, { "a{vs}", -EBADMSG }, { "a{s}", -EBADMSG }, { "a{sss}", -EBADMSG },
                { "a{(s)s}", -EBADMSG }, { "(s{sv})", -EBADMSG }, { "a{sv", -EBADMSG }, { "()", -EBADMSG },
        };

        (void) state;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                uint8_t msg[96];
                struct dbus_message m;
                /* Enough zeros to be an empty array, or to fail for another reason. */
                size_t n = make_return(msg, sizeof msg, cases[i].sig, (uint8_t[8]) {}, 8);
                int r = parse(msg, n, &m);

                if (r != cases[i].parsed)
                        fail_msg("%s: %d, not %d", cases[i].sig, r, cases[i].parsed);
                if (r >= 0)
                        dbus_message_done(&m);
        }
}

/* No signature may nest deeper than 64: 65 arrays is refused at parse. */
static void test_nesting_limit(void **state) {
        char sig[80];
        uint8_t msg[160];
        struct dbus_message m;

        (void) state;
        memset(sig, 'a', 64);
        strcpy(sig + 64, "s");
        assert_int_equal(parse(msg, make_return(msg, sizeof msg, sig, (uint8_t[]) { 0, 0, 0, 0 }, 4), &m), 0);
        dbus_message_done(&m);
        memset(sig, 'a', 65);
        strcpy(sig + 65, "s");
        assert_int_equal(parse(msg, make_return(msg, sizeof msg, sig, (uint8_t[]) { 0, 0, 0, 0 }, 4), &m), -EBADMSG);
}

static void test_bad_headers(void **state) {
        uint8_t msg[sizeof big_endian];
        struct dbus_message m;

        (void) state;
        memcpy(msg, big_endian, sizeof msg);
        msg[0] = 'x';                                   /* byte order */
        assert_int_equal(parse(msg, sizeof msg, &m), -EBADMSG);
        memcpy(msg, big_endian, sizeof msg);
        msg[3] = 2;                                     /* protocol version */
        assert_int_equal(parse(msg, sizeof msg, &m), -EBADMSG);
        memcpy(msg, big_endian, sizeof msg);
        assert_int_equal(parse(msg, sizeof msg - 1, &m), -EBADMSG);    /* short */
        memcpy(msg, big_endian, sizeof msg);
        msg[23] = 0;                                    /* reply serial 0 */
        assert_int_equal(parse(msg, sizeof msg, &m), -EBADMSG);
        memcpy(msg, big_endian, sizeof msg);
        msg[29] = '(';                                  /* body signature "(" */
        assert_int_equal(parse(msg, sizeof msg, &m), -EBADMSG);
        memcpy(msg, big_endian, sizeof msg);
        msg[4] = 0x7f;                                  /* a body of 2 GiB */
        assert_true(dbus_message_size(msg) < 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_call_and_replies),
                cmocka_unit_test(test_no_server),
                cmocka_unit_test(test_big_endian),
                cmocka_unit_test(test_built_call_parses),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_bad_headers),
                cmocka_unit_test(test_cursor_rules),
                cmocka_unit_test(test_nesting_limit),
                cmocka_unit_test(test_dict_signatures),
                cmocka_unit_test(test_unreadable_signal_passed_over),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
