/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Committed guest memory without libvirt: the resident memory of every
 * QEMU process (qemu-system-<arch>, or qemu-kvm as some distributions name
 * it), as ksmtuned estimates it. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostfs.h"
#include "kvmtuned/macro.h"
#include "monitor.h"

static bool is_qemu(const char *comm) {
        return strncmp(comm, "qemu-system-", 12) == 0 || streq(comm, "qemu-kvm");
}

uint64_t qemu_rss_kib(const struct hostfs *fs) {
        uint64_t total = 0, page_kib = (uint64_t) sysconf(_SC_PAGESIZE) / 1024;
        char dir[PATH_MAX];
        struct dirent *de;
        DIR *d;

        if (hostfs_path(fs, "/proc", dir, sizeof dir) < 0 || !(d = opendir(dir)))
                return 0;
        while ((de = readdir(d))) {
                char path[64], buf[128];
                unsigned long long size, resident;
                char *end;
                unsigned long pid;

                errno = 0;
                pid = strtoul(de->d_name, &end, 10);
                if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end || errno)
                        continue;
                snprintf(path, sizeof path, "/proc/%lu/comm", pid);
                if (hostfs_read(fs, path, buf, sizeof buf) < 0 || !is_qemu(buf))
                        continue;
                /* statm: size resident shared ... in pages */
                snprintf(path, sizeof path, "/proc/%lu/statm", pid);
                if (hostfs_read(fs, path, buf, sizeof buf) < 0 || sscanf(buf, "%llu %llu", &size, &resident) != 2)
                        continue;
                total += resident * page_kib;
        }
        closedir(d);
        return total;
}
