/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One step's host writes, run at once where the kernel lets them overlap.
 *
 * Switching a block device's I/O scheduler freezes its queue and waits out
 * an RCU grace period: 10-20 ms each, spent asleep in the kernel. Written one
 * after the other, a host with twenty disks takes a third of a second to
 * switch profile; written side by side the grace periods overlap and it takes
 * one. A backend names a *lane* for such keys (the device); writes in one
 * lane keep their order, different lanes run on their own threads, and
 * everything without a lane runs in order on the calling thread meanwhile.
 *
 * The batch only calls the backends' read/write/release: no logging, no
 * journal, no tunables bookkeeping. The caller reads each op's result once
 * write_batch_run() returns. */

#include <stddef.h>

#include "backend.h"

enum write_kind {
        WRITE_SET,      /* write value */
        WRITE_RESTORE,  /* write value (an original) unless the host holds it already */
        WRITE_RELEASE,  /* a non-journaled setting: the backend's release() */
};

struct write_op {
        const struct backend *be;
        const char *key;
        const char *value;
        enum write_kind kind;
        int result;     /* 1 written, 0 nothing to write, negative errno */
};

/* Writes with a lane run on at most this many threads. */
#define WRITE_BATCH_THREADS_MAX 32

/* Returns how many threads ran lanes (0: everything ran here). */
unsigned write_batch_run(struct write_op *ops, size_t n);
