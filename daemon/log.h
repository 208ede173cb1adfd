/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging: one line per event on stderr, with a <N> priority prefix when
 * stderr is the journal (systemd sets JOURNAL_STREAM). Functions that take an
 * errno print it through %m, as systemd's log_*_errno() do, and return the
 * negative errno so callers can `return log_error_errno(r, ...)`. */

#include <stdbool.h>

#include "kvmtuned/macro.h"
#include "kvmtuned/plugin.h"

void log_set_level(int level);
int log_get_level(void);
int log_level_from_string(const char *s);

int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)

#define log_error_errno(error, ...)   log_internal(KT_LOG_ERR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(KT_LOG_WARNING, (error), __VA_ARGS__)
#define log_notice_errno(error, ...)  log_internal(KT_LOG_NOTICE, (error), __VA_ARGS__)
#define log_debug_errno(error, ...)   log_internal(KT_LOG_DEBUG, (error), __VA_ARGS__)

#define log_error(...)   ((void) log_internal(KT_LOG_ERR, 0, __VA_ARGS__))
#define log_warning(...) ((void) log_internal(KT_LOG_WARNING, 0, __VA_ARGS__))
#define log_notice(...)  ((void) log_internal(KT_LOG_NOTICE, 0, __VA_ARGS__))
#define log_info(...)    ((void) log_internal(KT_LOG_INFO, 0, __VA_ARGS__))
#define log_debug(...)   ((void) log_internal(KT_LOG_DEBUG, 0, __VA_ARGS__))

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
