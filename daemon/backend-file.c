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

/* A block device's queue attributes: a scheduler switch (and a queue depth
 * change) freezes that queue alone and sleeps through an RCU grace period. */
static bool file_lane(const char *key, char *buf, size_t size) {
        const char *dev = startswith(key, "/sys/block/"), *end;

        if (!dev || !(end = strchr(dev, '/')) || end == dev || !startswith(end, "/queue/") ||
            (size_t) (end - dev) >= size)
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
