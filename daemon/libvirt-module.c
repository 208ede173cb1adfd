/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dlopen-fd.h"
#include "libvirt-module.h"
#include "log.h"

static const struct libvirt_module *loaded;
static bool tried;

/* The installed daemon loads the installed module; a daemon anywhere else
 * (its build tree, a copy) only the one beside it, so a build never picks
 * up a module installed from another build. */
static int open_module(char *path, size_t size) {
        char exe[PATH_MAX], sbindir[PATH_MAX];
        char *slash;
        ssize_t k;
        int n;

        /* What the caller names in its message when we fail before a path. */
        snprintf(path, size, "%s", "beside /proc/self/exe");
        k = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (k <= 0)
                return k < 0 ? -errno : -ENOENT;
        exe[k] = '\0';
        slash = strrchr(exe, '/');
        if (!slash || slash == exe)
                return -ENOENT;
        *slash = '\0';
        if (realpath(KT_SBIN_DIR, sbindir) && streq(exe, sbindir))
                n = snprintf(path, size, "%s/%s", KT_PKGLIB_DIR, KT_LIBVIRT_MODULE_FILE);
        else
                n = snprintf(path, size, "%s/%s", exe, KT_LIBVIRT_MODULE_FILE);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        n = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        return n >= 0 ? n : -errno;
}

static const struct libvirt_module *load(void) {
        const struct libvirt_module *mod;
        char path[PATH_MAX];
        void *dl;
        int fd;

        fd = open_module(path, sizeof path);
        if (fd < 0) {
                log_error_errno(fd, "Cannot open the libvirt module %s: %m; libvirt domains are not tuned.", path);
                return NULL;
        }
        if (dlopen_fd(fd, "libvirt module", path, &dl) < 0) {
                close(fd);
                return NULL;
        }
        mod = dlsym(dl, KT_LIBVIRT_MODULE_SYMBOL);
        if (!mod || !mod->version || !streq(mod->version, KT_VERSION) || mod->size != sizeof *mod) {
                log_error("libvirt module %s: not from this build of kvmtuned (%s), refusing it.", path,
                          mod && mod->version ? mod->version : "no descriptor");
                dlclose(dl);
                close(fd);
                return NULL;
        }
        /* Loaded for good: the fd stays open and the object mapped. */
        log_debug("Loaded the libvirt module %s.", path);
        return mod;
}

const struct libvirt_module *libvirt_module_load(void) {
        if (!tried) {
                tried = true;
                loaded = load();
        }
        return loaded;
}

const struct libvirt_module *libvirt_module(void) {
        return loaded;
}
