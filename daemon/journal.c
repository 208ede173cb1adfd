/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "journal.h"
#include "kvmtuned/macro.h"
#include "strbuf.h"

#define JOURNAL_MAGIC "kvmtuned-journal 1 "
#define JOURNAL_MAX_SIZE (64u << 20)

unsigned journal_crc32(const void *data, size_t len) {
        const uint8_t *p = data;
        uint32_t crc = 0xffffffffu;

        /* Bitwise CRC-32 (IEEE): records are short and written rarely. */
        while (len--) {
                crc ^= *p++;
                for (int k = 0; k < 8; k++)
                        crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1u));
        }
        return crc ^ 0xffffffffu;
}

void journal_record_free_many(struct journal_record *r, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(r[i].backend);
                free(r[i].key);
                free(r[i].original);
        }
        free(r);
}

static bool must_escape(unsigned char c) {
        return c <= ' ' || c >= 0x7f || c == '%';
}

static int put_field(struct strbuf *b, const char *s) {
        if (!*s)
                return strbuf_append(b, "%-");
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                int r = must_escape(c) ? strbuf_appendf(b, "%%%02X", c) : strbuf_append_char(b, (char) c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Decode one field of [s, s+n); NULL if it is malformed. */
static char *get_field(const char *s, size_t n) {
        _cleanup_free_ char *out = NULL;
        size_t o = 0;

        if (n == 2 && s[0] == '%' && s[1] == '-')
                return strdup("");
        out = malloc(n + 1);
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%') {
                        int hi, lo;
                        if (i + 2 >= n)
                                return NULL;
                        hi = hexval(s[i + 1]);
                        lo = hexval(s[i + 2]);
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                return NULL;
                        out[o++] = (char) (hi << 4 | lo);
                        i += 2;
                } else
                        out[o++] = s[i];
        }
        out[o] = '\0';
        return TAKE_PTR(out);
}

char *journal_format(const struct journal_record *recs, size_t n, const char *boot_id, size_t *len) {
        _cleanup_(strbuf_done) struct strbuf b = {};

        if (strbuf_append(&b, JOURNAL_MAGIC) < 0 || put_field(&b, boot_id ?: "") < 0 ||
            strbuf_append_char(&b, '\n') < 0)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                size_t start;

                /* Reserve the CRC column, fill it in once the line is known. */
                if (strbuf_append(&b, "00000000 ") < 0)
                        return NULL;
                start = b.len;
                if (put_field(&b, recs[i].backend) < 0 || strbuf_append_char(&b, ' ') < 0 ||
                    put_field(&b, recs[i].key) < 0 || strbuf_append_char(&b, ' ') < 0 ||
                    put_field(&b, recs[i].original) < 0)
                        return NULL;
                char crc[9];
                snprintf(crc, sizeof crc, "%08x", journal_crc32(b.s + start, b.len - start));
                memcpy(b.s + start - 9, crc, 8);
                if (strbuf_append_char(&b, '\n') < 0)
                        return NULL;
        }
        *len = b.len;
        return strbuf_steal(&b);
}

static int parse_line(const char *line, size_t n, struct journal_record *rec) {
        const char *f[3];
        size_t fl[3];
        const char *p = line + 9, *end = line + n;
        unsigned long crc;
        char crcbuf[9];

        if (n < 9 || line[8] != ' ')
                return -EBADMSG;
        memcpy(crcbuf, line, 8);
        crcbuf[8] = '\0';
        crc = strtoul(crcbuf, NULL, 16);
        if (strspn(crcbuf, "0123456789abcdef") != 8 || crc != journal_crc32(p, (size_t) (end - p)))
                return -EBADMSG;
        for (int k = 0; k < 3; k++) {
                const char *sp = memchr(p, ' ', (size_t) (end - p));
                if (k < 2 && !sp)
                        return -EBADMSG;
                if (k == 2 && sp)
                        return -EBADMSG;
                f[k] = p;
                fl[k] = (size_t) ((sp ?: end) - p);
                if (fl[k] == 0)
                        return -EBADMSG;
                p = sp ? sp + 1 : end;
        }
        rec->backend = get_field(f[0], fl[0]);
        rec->key = get_field(f[1], fl[1]);
        rec->original = get_field(f[2], fl[2]);
        if (!rec->backend || !rec->key || !rec->original) {
                free(rec->backend);
                free(rec->key);
                free(rec->original);
                return -EBADMSG;
        }
        return 0;
}

int journal_parse(const char *text, size_t len, const char *boot_id,
                  struct journal_record **ret, size_t *ret_n, size_t *skipped) {
        struct journal_record *recs = NULL;
        size_t n = 0, cap = 0;
        const char *p = text, *end = text + len, *nl;

        *skipped = 0;
        nl = memchr(p, '\n', len);
        if (len == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (!nl || !startswith(p, JOURNAL_MAGIC))
                return -EBADMSG;
        {
                _cleanup_free_ char *id = get_field(p + strlen(JOURNAL_MAGIC), (size_t) (nl - p) - strlen(JOURNAL_MAGIC));
                if (!id)
                        return -EBADMSG;
                if (boot_id && *boot_id && *id && !streq(id, boot_id))
                        return -ESTALE;
        }
        for (p = nl + 1; p < end; p = nl + 1) {
                struct journal_record rec;

                nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl) {              /* torn tail */
                        (*skipped)++;
                        break;
                }
                if (parse_line(p, (size_t) (nl - p), &rec) < 0) {
                        (*skipped)++;
                        continue;
                }
                if (ARRAY_RESERVE(recs, cap, n, 16) < 0) {
                        free(rec.backend), free(rec.key), free(rec.original);
                        journal_record_free_many(recs, n);
                        return -ENOMEM;
                }
                recs[n++] = rec;
        }
        *ret = recs;
        *ret_n = n;
        return (int) n;
}

int journal_load(const char *path, const char *boot_id, struct journal_record **ret, size_t *n, size_t *skipped) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t len = 0;

        *ret = NULL, *n = 0, *skipped = 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > JOURNAL_MAX_SIZE)
                return -EFBIG;
        text = malloc((size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t k = read(fd, text + len, (size_t) st.st_size - len);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        return journal_parse(text, len, boot_id, ret, n, skipped);
}

static int write_all(int fd, const char *s, size_t len) {
        while (len > 0) {
                ssize_t k = write(fd, s, len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                s += k;
                len -= (size_t) k;
        }
        return 0;
}

static int write_file_atomic(const char *path, const char *text, size_t len, int *ret_fd) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (asprintf(&tmp, "%s.new", path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        r = write_all(fd, text, len);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int journal_rewrite(struct journal *j, const struct journal_record *recs, size_t n) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int fd = -1, r;

        text = journal_format(recs, n, j->boot_id, &len);
        if (!text)
                return -ENOMEM;
        r = write_file_atomic(j->path, text, len, &fd);
        if (r < 0)
                return r;
        if (j->fd >= 0)
                close(j->fd);
        j->fd = fd;
        /* Appends go to the end of the new file. */
        if (lseek(j->fd, 0, SEEK_END) < 0)
                return -errno;
        return 0;
}

int journal_init(struct journal *j, const char *path, const char *boot_id) {
        j->fd = -1;
        j->path = strdup(path);
        j->boot_id = strdup(boot_id ?: "");
        if (!j->path || !j->boot_id) {
                journal_close(j);
                return -ENOMEM;
        }
        return 0;
}

void journal_close(struct journal *j) {
        if (j->fd >= 0)
                close(j->fd);
        j->fd = -1;
        free(j->path);
        free(j->boot_id);
        j->path = j->boot_id = NULL;
}

int journal_append(struct journal *j, const struct journal_record *recs, size_t n) {
        _cleanup_free_ char *text = NULL;
        const char *body;
        size_t len;
        int r;

        if (n == 0)
                return 0;
        text = journal_format(recs, n, j->boot_id, &len);
        if (!text)
                return -ENOMEM;
        /* Drop the header line journal_format() produced. */
        body = strchr(text, '\n') + 1;
        r = write_all(j->fd, body, len - (size_t) (body - text));
        if (r < 0)
                return r;
        if (fdatasync(j->fd) < 0)
                return -errno;
        return 0;
}
