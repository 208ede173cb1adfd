/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

void notify(const char *msg) {
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len;
        size_t n;
        int fd;

        if (!path || (path[0] != '/' && path[0] != '@'))
                return;
        n = strlen(path);
        if (n >= sizeof sa.sun_path)
                return;
        memcpy(sa.sun_path, path, n);
        if (path[0] == '@')
                sa.sun_path[0] = '\0';  /* abstract namespace */
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return;
        if (sendto(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *) &sa, len) < 0)
                log_debug("Notification dropped (%s): %s", strerror(errno), msg);
        close(fd);
}
