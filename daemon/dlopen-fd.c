/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dlfcn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlopen-fd.h"
#include "log.h"

int dlopen_fd(int fd, const char *what, const char *path, void **ret) {
        char fdpath[64];
        struct stat st;
        void *dl;

        if (fstat(fd, &st) < 0)
                return log_warning_errno(errno, "%s %s: cannot stat: %m, skipping.", what, path);
        if (!S_ISREG(st.st_mode))
                return log_warning_errno(EPERM, "%s %s: not a regular file, refusing it.", what, path);
        if (st.st_uid != 0 && st.st_uid != geteuid())
                return log_warning_errno(EPERM, "%s %s: owned by uid %u, not root, refusing it.", what, path,
                                         (unsigned) st.st_uid);
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return log_warning_errno(EPERM, "%s %s: writable by group or others (mode %04o), refusing it.",
                                         what, path, (unsigned) (st.st_mode & 07777));

        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
        dl = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL);
        if (!dl)
                return log_warning_errno(ENOEXEC, "%s %s: %s, skipping.", what, path, dlerror());
        *ret = dl;
        return 0;
}
