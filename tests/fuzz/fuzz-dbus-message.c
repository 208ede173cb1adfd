/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kvmtuned-adm's D-Bus reader (adm/dbus-message.c) on hostile bytes: a
 * message as it would come off the socket. The body length is made to fit
 * the input, so the fuzzer spends its time in the header fields and the
 * body. The reader must refuse what is not valid, never read outside the
 * message, and always stop. */

#include <stdlib.h>
#include <string.h>

#include "dbus-message.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        return 0;
}

static void fit_body(uint8_t *d, size_t size) {
        bool big = d[0] == 'B';
        size_t fields = big ? (size_t) d[12] << 24 | d[13] << 16 | d[14] << 8 | d[15] :
                              (size_t) d[15] << 24 | d[14] << 16 | d[13] << 8 | d[12];
        size_t body = (DBUS_FIXED_HEADER + fields + 7) & ~(size_t) 7;
        uint32_t n;

        if (body > size)
                return;
        n = (uint32_t) (size - body);
        for (unsigned i = 0; i < 4; i++)
                d[4 + i] = (uint8_t) (big ? n >> (24 - 8 * i) : n >> (8 * i));
}

static int parse_copy(const uint8_t *data, size_t size, struct dbus_message *m) {
        uint8_t *copy = malloc(size);
        int r;

        if (!copy)
                return -1;
        memcpy(copy, data, size);
        fit_body(copy, size);
        r = dbus_message_parse(m, copy, size);
        if (r < 0)
                free(copy);
        return r;
}

/* What the verbs do with a reply: strings, then rows of string structs
 * until the array ends, leaving it early now and then. */
static void read_like_the_verbs(struct dbus_message *m) {
        const char *a, *b, *c;
        unsigned rows = 0;

        (void) dbus_message_read(m, "ss", &a, &b);
        if (dbus_message_enter(m, 'a', "(ss)") <= 0 && dbus_message_enter(m, 'a', "(sss)") <= 0)
                return;
        while (dbus_message_read(m, "(ss)", &a, &b) > 0 || dbus_message_read(m, "(sss)", &a, &b, &c) > 0)
                if (++rows == 3)
                        break;
        (void) dbus_message_exit(m);
        (void) dbus_message_read(m, "su", &a, &rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct dbus_message m;

        if (size < DBUS_FIXED_HEADER || size > 65536)
                return 0;
        if (parse_copy(data, size, &m) < 0)
                return 0;
        /* Everything, checked as it is skipped. */
        while (dbus_message_skip(&m) > 0)
                ;
        dbus_message_done(&m);

        if (parse_copy(data, size, &m) < 0)
                return 0;
        read_like_the_verbs(&m);
        dbus_message_done(&m);
        return 0;
}
