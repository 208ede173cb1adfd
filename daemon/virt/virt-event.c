/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <libvirt/libvirt.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "log.h"
#include "virt-event.h"

struct watch {
        int id;
        bool timer;
        int fd;
        int interval_ms;                        /* timers: -1 off, 0 every iteration */
        sd_event_source *source;
        sd_event_source *free_later;
        virEventHandleCallback handle_cb;
        virEventTimeoutCallback timeout_cb;
        void *opaque;
        virFreeCallback ff;
};

static sd_event *loop;
static struct watch **pending;                  /* frees the loop could not defer (it is exiting) */
static size_t n_pending;
static struct watch **watches;                  /* by id - 1; ids are never reused */
static int n_watches, cap_watches;

static struct watch *watch_get(int id, bool timer) {
        struct watch *w;

        if (id < 1 || id > n_watches)
                return NULL;
        w = watches[id - 1];
        return w && w->timer == timer ? w : NULL;
}

static struct watch *watch_new(bool timer) {
        struct watch *w;

        if (n_watches == cap_watches) {
                int cap = cap_watches ? cap_watches * 2 : 16;
                struct watch **a = realloc(watches, (size_t) cap * sizeof *a);
                if (!a)
                        return NULL;
                watches = a;
                cap_watches = cap;
        }
        w = calloc(1, sizeof *w);
        if (!w)
                return NULL;
        w->timer = timer;
        w->fd = -1;
        w->id = ++n_watches;
        watches[w->id - 1] = w;
        return w;
}

static uint32_t to_epoll(int events) {
        return (events & VIR_EVENT_HANDLE_READABLE ? EPOLLIN : 0) |
               (events & VIR_EVENT_HANDLE_WRITABLE ? EPOLLOUT : 0);
}

static int from_epoll(uint32_t events) {
        return (events & EPOLLIN ? VIR_EVENT_HANDLE_READABLE : 0) |
               (events & EPOLLOUT ? VIR_EVENT_HANDLE_WRITABLE : 0) |
               (events & EPOLLERR ? VIR_EVENT_HANDLE_ERROR : 0) |
               (events & EPOLLHUP ? VIR_EVENT_HANDLE_HANGUP : 0);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct watch *w = userdata;

        (void) s;
        w->handle_cb(w->id, fd, from_epoll(revents), w->opaque);
        return 0;
}

static int add_handle(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff) {
        struct watch *w = watch_new(false);
        int r;

        if (!w)
                return -1;
        r = sd_event_add_io(loop, &w->source, fd, to_epoll(events), on_io, w);
        if (r >= 0 && events == 0)
                r = sd_event_source_set_enabled(w->source, SD_EVENT_OFF);
        if (r < 0) {
                log_warning_errno(r, "libvirt event loop: cannot watch fd %d: %m", fd);
                watches[w->id - 1] = NULL;
                sd_event_source_unref(w->source);
                free(w);
                return -1;
        }
        w->fd = fd;
        w->handle_cb = cb;
        w->opaque = opaque;
        w->ff = ff;
        return w->id;
}

static void update_handle(int id, int events) {
        struct watch *w = watch_get(id, false);

        if (!w || !w->source)
                return;
        if (events == 0) {
                (void) sd_event_source_set_enabled(w->source, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_io_events(w->source, to_epoll(events));
        (void) sd_event_source_set_enabled(w->source, SD_EVENT_ON);
}

/* libvirt wants free callbacks from a clean stack, never from inside the
 * remove call: they run on the next loop iteration. */
static int on_free_later(sd_event_source *s, void *userdata) {
        struct watch *w = userdata;

        (void) s;
        if (w->ff)
                w->ff(w->opaque);
        w->free_later = sd_event_source_disable_unref(w->free_later);
        free(w);
        return 0;
}

static int remove_watch(int id, bool timer) {
        struct watch *w = watch_get(id, timer);
        int r;

        if (!w)
                return -1;
        watches[id - 1] = NULL;
        w->source = sd_event_source_disable_unref(w->source);
        r = sd_event_add_defer(loop, &w->free_later, on_free_later, w);
        if (r < 0) {
                /* The loop is exiting: virt_event_flush() frees it. */
                struct watch **a = realloc(pending, (n_pending + 1) * sizeof *a);
                if (!a) {
                        free(w);        /* leak the opaque rather than free it on libvirt's stack */
                        return 0;
                }
                pending = a;
                pending[n_pending++] = w;
        }
        return 0;
}

static int remove_handle(int id) {
        return remove_watch(id, false);
}

static int timer_arm(struct watch *w) {
        uint64_t now;
        int r;

        if (w->interval_ms < 0)
                return sd_event_source_set_enabled(w->source, SD_EVENT_OFF);
        r = sd_event_now(loop, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        r = sd_event_source_set_time(w->source, now + (uint64_t) w->interval_ms * 1000);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(w->source, SD_EVENT_ONESHOT);
}

static int on_time(sd_event_source *s, uint64_t usec, void *userdata) {
        struct watch *w = userdata;
        int id = w->id;

        (void) s;
        (void) usec;
        /* Periodic: arm the next round first, the callback may change or remove it. */
        (void) timer_arm(w);
        w->timeout_cb(id, w->opaque);
        return 0;
}

static int add_timeout(int interval_ms, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff) {
        struct watch *w = watch_new(true);
        int r;

        if (!w)
                return -1;
        w->interval_ms = interval_ms;
        w->timeout_cb = cb;
        w->opaque = opaque;
        w->ff = ff;
        r = sd_event_add_time(loop, &w->source, CLOCK_MONOTONIC, 0, 0, on_time, w);
        if (r >= 0)
                r = timer_arm(w);
        if (r < 0) {
                log_warning_errno(r, "libvirt event loop: cannot add a timer: %m");
                watches[w->id - 1] = NULL;
                sd_event_source_unref(w->source);
                free(w);
                return -1;
        }
        return w->id;
}

static void update_timeout(int id, int interval_ms) {
        struct watch *w = watch_get(id, true);

        if (!w)
                return;
        w->interval_ms = interval_ms;
        (void) timer_arm(w);
}

static int remove_timeout(int id) {
        return remove_watch(id, true);
}

void virt_event_flush(void) {
        for (size_t i = 0; i < n_pending; i++) {
                if (pending[i]->ff)
                        pending[i]->ff(pending[i]->opaque);
                free(pending[i]);
        }
        free(pending);
        pending = NULL;
        n_pending = 0;
}

int virt_event_register(sd_event *e) {
        if (loop)
                return loop == e ? 0 : -EBUSY;
        loop = e;
        virEventRegisterImpl(add_handle, update_handle, remove_handle, add_timeout, update_timeout, remove_timeout);
        return 0;
}
