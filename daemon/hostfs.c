/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hostfs.h"
#include "kvmtuned/macro.h"

int hostfs_init(struct hostfs *h, const char *root) {
        size_t n;

        if (!root || streq(root, "/"))
                root = "";
        n = strlen(root);
        while (n > 0 && root[n - 1] == '/')
                n--;
        if (n >= sizeof(h->root))
                return -ENAMETOOLONG;
        memcpy(h->root, root, n);
        h->root[n] = '\0';
        return 0;
}

int hostfs_path(const struct hostfs *h, const char *path, char *buf, size_t size) {
        int n;

        if (path[0] != '/')
                return -EINVAL;
        n = snprintf(buf, size, "%s%s", h->root, path);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return 0;
}

bool hostfs_exists(const struct hostfs *h, const char *path) {
        char p[PATH_MAX];

        return hostfs_path(h, path, p, sizeof p) >= 0 && access(p, F_OK) >= 0;
}

int hostfs_read(const struct hostfs *h, const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = -1;
        char p[PATH_MAX];
        size_t len = 0;
        int r;

        if (size == 0)
                return -EINVAL;
        r = hostfs_path(h, path, p, sizeof p);
        if (r < 0)
                return r;
        /* O_NONBLOCK: a FIFO planted in a fake tree must not hang the daemon. */
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t k = read(fd, buf + len, size - 1 - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len == size - 1)
                        break;
        }
        while (len > 0 && isspace((unsigned char) buf[len - 1]))
                len--;
        buf[len] = '\0';
        return (int) len;
}

bool value_selected_word(const char *raw, char *buf, size_t size) {
        const char *open = strchr(raw, '['), *close;
        size_t n;

        if (!open)
                return false;
        close = strchr(open, ']');
        if (!close || close == open + 1)
                return false;
        n = (size_t) (close - open - 1);
        if (n >= size || memchr(open + 1, ' ', n))
                return false;
        memcpy(buf, open + 1, n);
        buf[n] = '\0';
        return true;
}

int hostfs_read_value(const struct hostfs *h, const char *path, char *buf, size_t size) {
        char raw[4096];
        int r;

        r = hostfs_read(h, path, raw, sizeof raw);
        if (r < 0)
                return r;
        /* Only sysfs uses the bracket convention; a sysctl may hold '[' as data. */
        if (startswith(path, "/sys/") && value_selected_word(raw, buf, size))
                return (int) strlen(buf);
        if ((size_t) r >= size)
                return -ENOBUFS;
        memcpy(buf, raw, (size_t) r + 1);
        return r;
}

int hostfs_write(const struct hostfs *h, const char *path, const char *value) {
        _cleanup_close_ int fd = -1;
        char p[PATH_MAX];
        size_t len = strlen(value);
        ssize_t k;
        int r;

        r = hostfs_path(h, path, p, sizeof p);
        if (r < 0)
                return r;
        fd = open(p, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_TRUNC);
        if (fd < 0)
                return -errno;
        /* One write(): sysfs and procfs take the value in a single store. */
        k = write(fd, value, len);
        if (k < 0)
                return -errno;
        if ((size_t) k != len)
                return -EIO;
        return 0;
}

/* Compare two values as the kernel means them: blanks are separators, so
 * "4096\t87380 6291456" equals "4096 87380  6291456". */
bool value_equal(const char *a, const char *b) {
        for (;;) {
                while (*a == ' ' || *a == '\t' || *a == '\n')
                        a++;
                while (*b == ' ' || *b == '\t' || *b == '\n')
                        b++;
                if (!*a || !*b)
                        return !*a && !*b;
                while (*a && *b && !isspace((unsigned char) *a) && *a == *b)
                        a++, b++;
                if ((*a && !isspace((unsigned char) *a)) || (*b && !isspace((unsigned char) *b)))
                        return false;
        }
}

bool word_in_list(const char *list, const char *word) {
        size_t wl = strlen(word);
        const char *p = list;

        if (wl == 0)
                return false;
        while (*p) {
                size_t n;

                p += strspn(p, " \t\n,[]");
                n = strcspn(p, " \t\n,[]");
                if (n == wl && strncmp(p, word, n) == 0)
                        return true;
                p += n;
        }
        return false;
}
