/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtuned/macro.h"
#include "write-batch.h"

#define LANE_NAME_MAX 64
#define WORKER_STACK (256 * 1024)

static void op_run(struct write_op *op) {
        char now[BACKEND_VALUE_MAX];
        int r;

        switch (op->kind) {
        case WRITE_RELEASE:
                op->be->release(op->be->userdata, op->key);
                op->result = 0;
                return;
        case WRITE_RESTORE:
                r = op->be->read(op->be->userdata, op->key, now, sizeof now);
                if (r >= 0 && backend_equal(op->be, now, op->value)) {
                        op->result = 0;
                        return;
                }
                break;
        case WRITE_SET:
                break;
        }
        r = op->be->write(op->be->userdata, op->key, op->value);
        op->result = r < 0 ? r : 1;
}

/* ops[i] runs on worker slot[i] - 1; slot 0 is the calling thread. */
struct worker {
        pthread_t thread;
        struct write_op *ops;
        const unsigned *slot;
        size_t n;
        unsigned id;
        bool started;
};

static void worker_run_ops(const struct worker *w) {
        for (size_t i = 0; i < w->n; i++)
                if (w->slot[i] == w->id)
                        op_run(&w->ops[i]);
}

static void *worker_main(void *arg) {
        worker_run_ops(arg);
        return NULL;
}

/* Number the lanes in order of first appearance; slot[i] = worker + 1, or
 * 0 for an op without a lane. Returns the number of workers needed. */
static unsigned assign_slots(const struct write_op *ops, size_t n, unsigned *slot,
                             char (*names)[LANE_NAME_MAX], bool *ret_inline) {
        unsigned n_lanes = 0;

        *ret_inline = false;
        for (size_t i = 0; i < n; i++) {
                const struct backend *be = ops[i].be;
                char name[LANE_NAME_MAX];
                unsigned lane;

                slot[i] = 0;
                if (ops[i].kind == WRITE_RELEASE || !be->lane || !be->lane(ops[i].key, name, sizeof name)) {
                        *ret_inline = true;
                        continue;
                }
                for (lane = 0; lane < n_lanes; lane++)
                        if (streq(names[lane], name))
                                break;
                if (lane == n_lanes)
                        strcpy(names[n_lanes++], name);
                slot[i] = lane % WRITE_BATCH_THREADS_MAX + 1;
        }
        return n_lanes < WRITE_BATCH_THREADS_MAX ? n_lanes : WRITE_BATCH_THREADS_MAX;
}

static void run_all_here(struct write_op *ops, size_t n) {
        for (size_t i = 0; i < n; i++)
                op_run(&ops[i]);
}

unsigned write_batch_run(struct write_op *ops, size_t n) {
        _cleanup_free_ unsigned *slot = NULL;
        _cleanup_free_ char (*names)[LANE_NAME_MAX] = NULL;
        struct worker workers[WRITE_BATCH_THREADS_MAX];
        unsigned n_workers, started = 0;
        bool any_inline, attr_made, have_attr;
        pthread_attr_t attr;

        slot = calloc(n + 1, sizeof *slot);
        names = calloc(n + 1, sizeof *names);
        if (!slot || !names) {
                /* Short of memory: the same writes, one after the other. */
                run_all_here(ops, n);
                return 0;
        }
        n_workers = assign_slots(ops, n, slot, names, &any_inline);
        /* One lane and nothing else to do: no thread buys anything. */
        if (n_workers == 1 && !any_inline) {
                run_all_here(ops, n);
                return 0;
        }

        /* A write needs a few KiB of stack, not the default 8 MiB of address space. */
        attr_made = pthread_attr_init(&attr) == 0;
        have_attr = attr_made && pthread_attr_setstacksize(&attr, WORKER_STACK) == 0;
        for (unsigned w = 0; w < n_workers; w++) {
                workers[w] = (struct worker) { .ops = ops, .slot = slot, .n = n, .id = w + 1 };
                /* The threads inherit the loop's blocked signals. */
                workers[w].started = pthread_create(&workers[w].thread, have_attr ? &attr : NULL, worker_main,
                                                    &workers[w]) == 0;
                started += workers[w].started;
        }
        if (attr_made)
                (void) pthread_attr_destroy(&attr);
        worker_run_ops(&(struct worker) { .ops = ops, .slot = slot, .n = n, .id = 0 });
        for (unsigned w = 0; w < n_workers; w++) {
                if (workers[w].started)
                        (void) pthread_join(workers[w].thread, NULL);
                else
                        worker_run_ops(&workers[w]);   /* no thread to be had: run it here */
        }
        return started;
}
