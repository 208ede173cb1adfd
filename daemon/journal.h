/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The tunables journal: the original value of everything the daemon changed,
 * written and made durable before the change itself. A journal left behind
 * means the daemon died with the host tuned; the next start restores from it.
 *
 * File format, one record per line, every field percent-encoded:
 *
 *     kvmtuned-journal 1 <boot-id>
 *     <crc32 of the rest of the line, 8 hex> <backend> <key> <original>
 *
 * A line that is incomplete or fails its CRC is a write that was torn by the
 * crash; since the host write only follows a durable record, such a record's
 * value was never changed and it is skipped. The boot id ties the journal to
 * one boot: after a reboot the kernel has its defaults back, and a leftover
 * journal (a state dir on disk, say) must not be replayed. */

#include <stdbool.h>
#include <stddef.h>

struct journal_record {
        char *backend;
        char *key;
        char *original;
};

struct journal {
        int fd;
        char *path;
        char *boot_id;
};

void journal_record_free_many(struct journal_record *r, size_t n);

/* Read the journal at path. Returns the number of records kept; *skipped
 * counts torn or corrupt records. A missing file is 0 records. */
int journal_load(const char *path, const char *boot_id, struct journal_record **ret, size_t *n, size_t *skipped);

/* Prepare j for path; the file is written by the first journal_rewrite(). */
int journal_init(struct journal *j, const char *path, const char *boot_id);
void journal_close(struct journal *j);

/* Append records with one write() and one fdatasync(). */
int journal_append(struct journal *j, const struct journal_record *recs, size_t n);

/* Replace the whole journal atomically (new file, fsync, rename). */
int journal_rewrite(struct journal *j, const struct journal_record *recs, size_t n);

/* Pure parts, for the unit tests. */
unsigned journal_crc32(const void *data, size_t len);
int journal_parse(const char *text, size_t len, const char *boot_id,
                  struct journal_record **ret, size_t *n, size_t *skipped);
char *journal_format(const struct journal_record *recs, size_t n, const char *boot_id, size_t *len);
