/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A backend is one kind of host setting the core knows how to read, write
 * and put back: files under /sys and /proc, held devices such as
 * /dev/cpu_dma_latency, NIC features, libvirt pinning. The tunables set
 * treats them all alike, which is what makes journal, rollback, diff and
 * verify one mechanism. */

#include <stdbool.h>
#include <stddef.h>

#include "hostfs.h"

/* Room for any value a backend reads: a sysfs or procfs file's worth. */
#define BACKEND_VALUE_MAX 4096

struct backend {
        const char *name;       /* as written in the journal */
        bool journaled;         /* false: release() undoes, nothing survives a crash */
        bool retuned_per_device; /* a profile switch leaves a device's settings to its own retune */
        void *userdata;
        /* Current value, normalised for comparison. */
        int (*read)(void *userdata, const char *key, char *buf, size_t size);
        int (*write)(void *userdata, const char *key, const char *value);
        /* Undo a non-journaled setting. */
        void (*release)(void *userdata, const char *key);
        /* Whether two values mean the same; NULL: value_equal(). */
        bool (*equal)(const char *a, const char *b);
        /* Whether a plugin may name this key; NULL: a host path under
         * /sys, /proc/sys or /dev (host_path_allowed()). */
        bool (*key_valid)(const char *key);
        /* A write to key may sleep long in the kernel and touches nothing
         * outside its device (a block queue's scheduler): the device, into
         * buf, so the write can run beside other devices' (write-batch.h).
         * false or NULL: the write runs on the loop thread. A key with a
         * lane must be the only key naming its setting: writes in different
         * lanes, or in a lane and on the loop thread, are not ordered. */
        bool (*lane)(const char *key, char *buf, size_t size);
};

static inline bool backend_equal(const struct backend *be, const char *a, const char *b) {
        return be->equal ? be->equal(a, b) : value_equal(a, b);
}

struct hostfs;

void backend_file_init(struct backend *be, const struct hostfs *h);

void backend_ethtool_init(struct backend *be, const struct hostfs *h);
bool ethtool_key_valid(const char *key);

struct holds;
int backend_hold_init(struct backend *be, const struct hostfs *h);
void backend_hold_done(struct backend *be);
