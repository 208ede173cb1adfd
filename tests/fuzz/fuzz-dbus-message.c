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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct dbus_message m;
        uint8_t *copy;

        if (size < DBUS_FIXED_HEADER || size > 65536)
                return 0;
        copy = malloc(size);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        fit_body(copy, size);
        if (dbus_message_parse(&m, copy, size) < 0) {
                free(copy);
                return 0;
        }
        /* What kvmtuned-adm reads first, then everything. */
        if (m.type == DBUS_ERROR) {
                const char *s;

                (void) dbus_message_read_basic(&m, 's', &s);
        }
        while (dbus_message_skip(&m) > 0)
                ;
        dbus_message_done(&m);
        return 0;
}
