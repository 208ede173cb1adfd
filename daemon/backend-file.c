/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Plain host files: sysfs attributes and sysctls. Keys are host paths. */

#include <string.h>

#include "backend.h"
#include "hostfs.h"
#include "kvmtuned/macro.h"

static int file_read(void *userdata, const char *key, char *buf, size_t size) {
        return hostfs_read_value(userdata, key, buf, size);
}

static int file_write(void *userdata, const char *key, const char *value) {
        return hostfs_write(userdata, key, value);
}

/* The block queue attributes whose store freezes the queue and sleeps
 * through an RCU grace period: the scheduler and what depends on it. The
 * others (read_ahead_kb, rq_affinity ...) take microseconds and stay on the
 * loop thread, where a thread would cost more than it saves. */
static const char *const frozen_queue_attrs[] = { "scheduler", "nr_requests", "wbt_lat_usec" };

static bool file_lane(const char *key, char *buf, size_t size) {
        const char *dev = startswith(key, "/sys/block/"), *end, *attr;
        bool slow = false;

        if (!dev || !(end = strchr(dev, '/')) || end == dev || !(attr = startswith(end, "/queue/")) ||
            (size_t) (end - dev) >= size)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(frozen_queue_attrs); i++)
                slow = slow || streq(attr, frozen_queue_attrs[i]);
        if (!slow)
                return false;
        memcpy(buf, dev, (size_t) (end - dev));
        buf[end - dev] = '\0';
        return true;
}

void backend_file_init(struct backend *be, const struct hostfs *h) {
        *be = (struct backend) {
                .name = "file",
                .journaled = true,
                .userdata = (void *) h,
                .read = file_read,
                .write = file_write,
                .lane = file_lane,
        };
}
