/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>

#include "log.h"

static int max_level = KT_LOG_INFO;

void log_set_level(int level) {
        max_level = level;
}

int log_get_level(void) {
        return max_level;
}

int log_level_from_string(const char *s) {
        static const struct {
                const char *name;
                int level;
        } table[] = {
                { "err",     KT_LOG_ERR },
                { "error",   KT_LOG_ERR },
                { "warning", KT_LOG_WARNING },
                { "notice",  KT_LOG_NOTICE },
                { "info",    KT_LOG_INFO },
                { "debug",   KT_LOG_DEBUG },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcasecmp(s, table[i].name) == 0)
                        return table[i].level;
        return -EINVAL;
}

int log_internal(int level, int error, const char *fmt, ...) {
        static int journal = -1;
        int saved = errno;
        va_list ap;

        if (error < 0)
                error = -error;

        if (level <= max_level) {
                char line[2048];
                int n = 0, k;

                if (journal < 0)
                        journal = getenv("JOURNAL_STREAM") != NULL;
                if (journal)
                        n = snprintf(line, sizeof line, "<%d>", level);
                errno = error;  /* for %m */
                va_start(ap, fmt);
                k = vsnprintf(line + n, sizeof line - (size_t) n - 1, fmt, ap);
                va_end(ap);
                if (k >= 0) {
                        n += k < (int) (sizeof line - (size_t) n - 1) ? k : (int) (sizeof line - (size_t) n - 2);
                        line[n++] = '\n';
                        /* One write per line: lines never interleave. */
                        (void) !write(STDERR_FILENO, line, (size_t) n);
                }
        }

        errno = saved;
        return -error;
}
