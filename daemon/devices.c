/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <limits.h>

#include "devices.h"
#include "enumerate.h"
#include "log.h"

enum device_event device_event_from_action(const char *subsystem, const char *action) {
        /* A hot-added CPU is announced offline ("add"); its cpufreq files
         * appear only when it comes online. */
        if (streq(subsystem, "cpu"))
                return streq(action, "online") ? DEVICE_EVENT_ADD :
                       streq(action, "offline") ? DEVICE_EVENT_REMOVE : DEVICE_EVENT_IGNORE;
        if (streq(action, "add"))
                return DEVICE_EVENT_ADD;
        if (streq(action, "remove"))
                return DEVICE_EVENT_REMOVE;
        return DEVICE_EVENT_IGNORE;
}

static int device_add(struct host *h, struct instances *is, const struct kt_device *dev) {
        struct plan plan = {};
        size_t n;
        int r;

        r = instances_plan_device(is, dev, &plan);
        n = plan.n;
        if (r >= 0 && n > 0)
                r = tunables_apply(&h->tunables, &plan, false);
        plan_done(&plan);
        if (r < 0)
                return log_warning_errno(r, "Cannot tune %s %s: %m", dev->subsystem, dev->name);
        if (n > 0)
                log_info("%s %s appeared: %zu setting(s) of the active profile applied.", dev->subsystem, dev->name,
                         n);
        return (int) n;
}

int devices_event(struct host *h, struct instances *is, const char *subsystem, const char *name,
                  enum device_event ev) {
        struct kt_device dev;
        char syspath[PATH_MAX];
        size_t before = h->tunables.n;
        int r;

        if (ev == DEVICE_EVENT_IGNORE || !device_describe(subsystem, name, &dev, syspath, sizeof syspath))
                return 0;
        if (ev == DEVICE_EVENT_ADD) {
                if (!hostfs_exists(&h->fs, syspath))
                        return 0;
                return device_add(h, is, &dev);
        }
        r = tunables_forget_device(&h->tunables, name);
        if (r < 0)
                log_warning_errno(r, "Failed to rewrite the journal after %s went away: %m", name);
        if (before > h->tunables.n)
                log_info("%s %s went away: %zu setting(s) no longer tracked.", subsystem, name,
                         before - h->tunables.n);
        return (int) (before - h->tunables.n);
}
