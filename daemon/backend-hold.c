/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Held devices: /dev/cpu_dma_latency keeps its PM-QoS request only while a
 * file descriptor with the value written to it stays open, and the kernel
 * drops the request when the descriptor closes, even after SIGKILL. So a
 * hold needs no journal: closing is the rollback. */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "hashmap.h"
#include "hostfs.h"
#include "kvmtuned/macro.h"

struct hold {
        char *path;
        int fd;
        char value[24];
};

struct holds {
        const struct hostfs *hostfs;
        struct hashmap map;     /* path -> struct hold */
};

static void hold_free(struct hold *h) {
        if (!h)
                return;
        if (h->fd >= 0)
                close(h->fd);
        free(h->path);
        free(h);
}

static int hold_read(void *userdata, const char *key, char *buf, size_t size) {
        struct holds *hs = userdata;
        struct hold *h = hashmap_get(&hs->map, key);

        if (!h)
                return -ENOENT;
        return snprintf(buf, size, "%s", h->value);
}

static void hold_release(void *userdata, const char *key) {
        struct holds *hs = userdata;

        hold_free(hashmap_remove(&hs->map, key));
}

static int hold_write(void *userdata, const char *key, const char *value) {
        struct holds *hs = userdata;
        _cleanup_close_ int fd = -1;
        struct hold *h;
        char p[PATH_MAX], *end;
        long long v;
        int32_t v32;
        int r;

        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || *end || v < INT32_MIN || v > INT32_MAX)
                return -EINVAL;
        v32 = (int32_t) v;
        r = hostfs_path(hs->hostfs, key, p, sizeof p);
        if (r < 0)
                return r;
        fd = open(p, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (write(fd, &v32, sizeof v32) != (ssize_t) sizeof v32)
                return errno ? -errno : -EIO;

        /* The new request is in place before the old one goes. */
        hold_release(hs, key);
        h = calloc(1, sizeof *h);
        if (!h || !(h->path = strdup(key))) {
                free(h);
                return -ENOMEM;
        }
        h->fd = TAKE_FD(fd);
        snprintf(h->value, sizeof h->value, "%d", v32);
        r = hashmap_put(&hs->map, h->path, h);
        if (r < 0)
                hold_free(h);
        return r;
}

int backend_hold_init(struct backend *be, const struct hostfs *h) {
        struct holds *hs = calloc(1, sizeof *hs);

        if (!hs)
                return -ENOMEM;
        hs->hostfs = h;
        *be = (struct backend) {
                .name = "hold",
                .journaled = false,
                .userdata = hs,
                .read = hold_read,
                .write = hold_write,
                .release = hold_release,
        };
        return 0;
}

void backend_hold_done(struct backend *be) {
        struct holds *hs = be->userdata;

        if (!hs)
                return;
        for (size_t i = 0; i < hs->map.cap; i++)
                hold_free(hs->map.slots[i].value);
        hashmap_clear(&hs->map);
        free(hs);
        be->userdata = NULL;
}
