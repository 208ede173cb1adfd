/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Events come from udevd when it runs: they arrive after its rules have
 * renamed interfaces and settled permissions, so the names are final. With
 * no udevd (containers, early boot, test machines) the kernel's own uevents
 * are the only source; they carry the same subsystem, name and action. */

#include <libudev.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtuned/macro.h"
#include "log.h"
#include "udev.h"

struct udev_watch {
        struct udev *udev;
        struct udev_monitor *mon;
        sd_event_source *io;
        const char *source;
        udev_watch_cb cb;
        void *userdata;
};

static const char *const subsystems[] = { "net", "block", "cpu" };

static void handle(struct udev_watch *w, struct udev_device *d) {
        const char *subsystem = udev_device_get_subsystem(d), *action = udev_device_get_action(d),
                   *name = udev_device_get_sysname(d), *devtype = udev_device_get_devtype(d);
        bool known = false;

        if (!subsystem || !action || !name)
                return;
        for (size_t i = 0; i < ELEMENTSOF(subsystems); i++)
                known = known || streq(subsystems[i], subsystem);
        /* Partitions share their disk's queue. */
        if (!known || (streq(subsystem, "block") && devtype && !streq(devtype, "disk")))
                return;
        log_debug("uevent: %s %s %s", action, subsystem, name);
        w->cb(subsystem, name, device_event_from_action(subsystem, action), w->userdata);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct udev_watch *w = userdata;
        struct udev_device *d;

        (void) s;
        (void) fd;
        (void) revents;
        /* Drain the socket: one wake-up may carry several events. */
        while ((d = udev_monitor_receive_device(w->mon))) {
                handle(w, d);
                udev_device_unref(d);
        }
        return 0;
}

int udev_watch_new(sd_event *e, udev_watch_cb cb, void *userdata, struct udev_watch **ret) {
        struct udev_watch *w = calloc(1, sizeof *w);
        int r = -ENOMEM;

        if (!w)
                return -ENOMEM;
        w->cb = cb;
        w->userdata = userdata;
        w->source = access("/run/udev/control", F_OK) >= 0 ? "udev" : "kernel";
        w->udev = udev_new();
        if (!w->udev)
                goto fail;
        w->mon = udev_monitor_new_from_netlink(w->udev, w->source);
        if (!w->mon) {
                r = errno > 0 ? -errno : -EIO;
                goto fail;
        }
        for (size_t i = 0; i < ELEMENTSOF(subsystems); i++) {
                r = udev_monitor_filter_add_match_subsystem_devtype(w->mon, subsystems[i], NULL);
                if (r < 0)
                        goto fail;
        }
        r = udev_monitor_enable_receiving(w->mon);
        if (r < 0)
                goto fail;
        r = sd_event_add_io(e, &w->io, udev_monitor_get_fd(w->mon), EPOLLIN, on_io, w);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(w->io, "udev");
        *ret = w;
        return 0;
fail:
        udev_watch_free(w);
        return r;
}

struct udev_watch *udev_watch_free(struct udev_watch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->io);
        udev_monitor_unref(w->mon);
        udev_unref(w->udev);
        free(w);
        return NULL;
}

const char *udev_watch_source(const struct udev_watch *w) {
        return w->source;
}
