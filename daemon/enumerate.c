/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"
#include "dirlist.h"
#include "enumerate.h"
#include "hostfs.h"
#include "kvmtuned/macro.h"

static const struct {
        const char *subsystem;
        const char *dir;
} dirs[] = {
        { "block", "/sys/block" },
        { "net",   "/sys/class/net" },
        { "cpu",   "/sys/devices/system/cpu" },
};

static const char *subsystem_dir(const char *subsystem) {
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (streq(dirs[i].subsystem, subsystem))
                        return dirs[i].dir;
        return NULL;
}

bool device_describe(const char *subsystem, const char *name, struct kt_device *dev, char *syspath, size_t size) {
        const char *dir = subsystem_dir(subsystem);
        int n;

        if (!dir)
                return false;
        n = snprintf(syspath, size, "%s/%s", dir, name);
        if (n < 0 || (size_t) n >= size)
                return false;
        *dev = (struct kt_device) { .subsystem = subsystem, .name = name, .syspath = syspath };
        return true;
}

static int enumerate_cpus(const struct hostfs *h, int (*f)(const struct kt_device *, void *), void *userdata) {
        struct cpuset *online = malloc(sizeof *online);
        char buf[4096], name[16], syspath[64];
        int r;

        if (!online)
                return -ENOMEM;
        r = hostfs_read(h, "/sys/devices/system/cpu/online", buf, sizeof buf);
        if (r >= 0)
                r = cpuset_parse(buf, online);
        if (r < 0) {
                free(online);
                return r == -ENOENT ? 0 : r;
        }
        r = 0;
        for (unsigned c = 0; c < CPUS_MAX && r >= 0; c++) {
                struct kt_device dev;
                if (!cpuset_has(online, c))
                        continue;
                snprintf(name, sizeof name, "cpu%u", c);
                device_describe("cpu", name, &dev, syspath, sizeof syspath);
                r = f(&dev, userdata);
        }
        free(online);
        return r;
}

int enumerate_devices(const struct hostfs *h, const char *subsystem,
                      int (*f)(const struct kt_device *dev, void *userdata), void *userdata) {
        const char *dir = subsystem_dir(subsystem);
        char path[PATH_MAX];
        char **names = NULL;
        size_t n = 0;
        int r;

        if (!dir)
                return -EINVAL;
        if (streq(subsystem, "cpu"))
                return enumerate_cpus(h, f, userdata);
        r = hostfs_path(h, dir, path, sizeof path);
        if (r < 0)
                return r;
        r = dir_list(path, NULL, &names, &n);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                struct kt_device dev;
                char syspath[PATH_MAX];
                if (device_describe(subsystem, names[i], &dev, syspath, sizeof syspath))
                        r = f(&dev, userdata);
        }
        strv_free_n(names, n);
        return r;
}

bool devices_match(const char *list, const char *name) {
        bool any_positive = false, matched = false;
        const char *p = list;

        while (*p) {
                char glob[256];
                size_t len;
                bool neg;

                p += strspn(p, " \t,");
                len = strcspn(p, " \t,");
                if (len == 0)
                        break;
                neg = *p == '!';
                if (len - neg >= sizeof glob) {
                        p += len;
                        continue;
                }
                memcpy(glob, p + neg, len - neg);
                glob[len - neg] = '\0';
                p += len;
                if (fnmatch(glob, name, 0) == 0) {
                        if (neg)
                                return false;
                        matched = true;
                }
                if (!neg)
                        any_positive = true;
        }
        return matched || !any_positive;
}
