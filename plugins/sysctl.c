/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [sysctl]: any key under /proc/sys. "vm.dirty_ratio" is /proc/sys/vm/dirty_ratio;
 * a key with slashes is taken as the path itself, so names with dots in
 * them (VLAN interfaces) stay reachable: net/ipv4/conf/eth0.100/rp_filter. */

#include <stdio.h>
#include <string.h>

#include "kvmtuned/plugin.h"

static const struct kt_option options[] = {
        { "*", KT_OPT_STRING, .help = "a sysctl name such as vm.swappiness, and its value" },
        {}
};

static bool key_valid(const char *k) {
        size_t n = strlen(k);

        return n > 0 && n < 200 && k[0] != '.' && k[0] != '/' && !strstr(k, "..") &&
               strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./") == n;
}

static int apply(struct kt_ctx *ctx, const struct kt_section *sec) {
        for (size_t i = 0; i < kt_section_size(sec); i++) {
                const char *key = kt_section_key(sec, i), *value = kt_section_value(sec, i);
                char path[256];
                int r;

                if (!key || !value)
                        continue;
                if (!key_valid(key))
                        return kt_reject(ctx, key, "not a sysctl name");
                snprintf(path, sizeof path, "/proc/sys/%s", key);
                if (!strchr(key, '/'))
                        for (char *p = path + strlen("/proc/sys/"); *p; p++)
                                if (*p == '.')
                                        *p = '/';
                if (!kt_exists(ctx, path))
                        return kt_reject(ctx, key, "no such sysctl (%s)", path);
                r = kt_set(ctx, path, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

KT_EXPORT const struct kt_plugin kvmtuned_plugin = {
        .abi = KT_PLUGIN_ABI,
        .name = "sysctl",
        .summary = "Kernel parameters under /proc/sys",
        .options = options,
        .apply = apply,
};
