/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Plain host files: sysfs attributes and sysctls. Keys are host paths. */

#include "backend.h"
#include "hostfs.h"

static int file_read(void *userdata, const char *key, char *buf, size_t size) {
        return hostfs_read_value(userdata, key, buf, size);
}

static int file_write(void *userdata, const char *key, const char *value) {
        return hostfs_write(userdata, key, value);
}

void backend_file_init(struct backend *be, const struct hostfs *h) {
        *be = (struct backend) {
                .name = "file",
                .journaled = true,
                .userdata = (void *) h,
                .read = file_read,
                .write = file_write,
        };
}
