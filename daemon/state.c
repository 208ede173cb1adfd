/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmtuned/macro.h"
#include "kvmtuned/names.h"
#include "state.h"

#define STATE_FILE "active_profile"
#define STATE_TMP "." STATE_FILE ".new"
/* "off" is a word no profile name can be ('!' is not allowed in one), so
 * an empty or torn file is never mistaken for it. */
#define STATE_OFF_WORD "!off"

/* The choice in dir/name: a state_choice, STATE_EMPTY, or a negative errno. */
#define STATE_EMPTY (STATE_PROFILE + 1)
static int load_file(const char *dir, const char *name, char **ret_name) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        char buf[KT_PROFILE_NAME_MAX + 2];
        ssize_t n;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT ? STATE_NONE : -errno;
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        if (buf[0] == '\0')
                return STATE_EMPTY;
        if (streq(buf, STATE_OFF_WORD))
                return STATE_OFF;
        if (!kt_profile_name_valid(buf))
                return -EBADMSG;
        *ret_name = strdup(buf);
        return *ret_name ? STATE_PROFILE : -ENOMEM;
}

int state_load(const char *dir, char **ret_name) {
        int r = load_file(dir, STATE_FILE, ret_name);

        if (r != STATE_EMPTY)
                return r;
        /* Empty: put in place, but its data not yet on disk when the power
         * went. Until state_sync() the previous choice waits under the
         * temporary name (put_in_place()); without it, no choice. */
        r = load_file(dir, STATE_TMP, ret_name);
        return r == STATE_OFF || r == STATE_PROFILE ? r : STATE_NONE;
}

/* Puts tmp in place of path. A plain rename() over an existing file on
 * ext4 (auto_da_alloc, its default) first writes tmp's data out, inside the
 * rename: 0.6 ms at the median and 2-3 ms at p90 on this project's test
 * machine, on every switch before its reply. Exchanging the two names
 * instead skips that (0.05 ms), and leaves the old choice under tmp's name;
 * state_sync() makes the new one durable after the reply and removes the
 * old. A file system without RENAME_EXCHANGE, or no file yet, gets the
 * plain rename(). */
static int put_in_place(const char *tmp, const char *path) {
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) >= 0)
                return 0;
        if (errno != ENOENT && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return -errno;
        return rename(tmp, path) < 0 ? -errno : 0;
}

int state_save(const char *dir, const char *name) {
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -1;
        char buf[KT_PROFILE_NAME_MAX + 2];
        int len, r = 0;

        len = snprintf(buf, sizeof buf, "%s\n", name ?: STATE_OFF_WORD);
        if (len < 0 || (size_t) len >= sizeof buf)
                return -EINVAL;
        if (asprintf(&path, "%s/" STATE_FILE, dir) < 0 || asprintf(&tmp, "%s/" STATE_TMP, dir) < 0)
                return -ENOMEM;
        /* A new file, never the one a previous exchange left under this name
         * before state_sync() ran: that one is on disk, the choice now in
         * place may not be yet. */
        if (unlink(tmp) < 0 && errno != ENOENT)
                return -errno;
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        /* No fsync() here: the file is put in place before the caller
         * replies, so a kill cannot lose the choice, and state_sync() makes
         * it durable after the reply. An fsync() here put the disk's
         * latency, 10 ms and more, on every switch before the client got its
         * answer (bench/RESULTS.md). */
        if (write(fd, buf, (size_t) len) != len)
                r = errno ? -errno : -EIO;
        if (r >= 0)
                r = put_in_place(tmp, path);
        if (r < 0)
                unlink(tmp);
        return r;
}

int state_sync(const char *dir) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1, dfd = -1;

        if (asprintf(&path, "%s/" STATE_FILE, dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                return -errno;
        /* The previous choice, left here by put_in_place(). */
        if (unlinkat(dfd, STATE_TMP, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
