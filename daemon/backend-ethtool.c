/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* NIC offloads (gro, gso, tso, lro) through the ethtool ioctl. Keys are
 * "<interface>/<feature>", values "on" or "off"; the original is journaled
 * like any file. The legacy per-feature requests are used: every kernel and
 * driver answers them, and they map onto the feature bits.
 *
 * Under --root there is no kernel behind the interfaces: the fake host
 * keeps one file per feature, /sys/class/net/<if>/features/<feature>. */

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "backend.h"
#include "hostfs.h"
#include "kvmtuned/macro.h"

static const struct feature {
        const char *name;
        uint32_t get, set;
        uint32_t flag;          /* ETHTOOL_GFLAGS bit; 0 for a per-feature request */
} features[] = {
        { "gro", ETHTOOL_GGRO, ETHTOOL_SGRO, 0 },
        { "gso", ETHTOOL_GGSO, ETHTOOL_SGSO, 0 },
        { "tso", ETHTOOL_GTSO, ETHTOOL_STSO, 0 },
        { "lro", ETHTOOL_GFLAGS, ETHTOOL_SFLAGS, ETH_FLAG_LRO },
};

static const struct feature *feature_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(features); i++)
                if (streq(features[i].name, name))
                        return &features[i];
        return NULL;
}

/* Split "eth0/gro"; false for anything else. */
static bool split_key(const char *key, char ifname[IFNAMSIZ], const struct feature **f) {
        const char *slash = strchr(key, '/');
        size_t n = slash ? (size_t) (slash - key) : 0;

        if (n == 0 || n >= IFNAMSIZ || strchr(slash + 1, '/') || key[0] == '.')
                return false;
        memcpy(ifname, key, n);
        ifname[n] = '\0';
        *f = feature_find(slash + 1);
        return *f != NULL;
}

bool ethtool_key_valid(const char *key) {
        char ifname[IFNAMSIZ];
        const struct feature *f;

        return split_key(key, ifname, &f);
}

static int ethtool_call(const char *ifname, struct ethtool_value *v) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {};

        if (fd < 0)
                return -errno;
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
        ifr.ifr_data = (void *) v;
        if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
                return -errno;
        return 0;
}

/* The fake host's file for one feature (a host path; hostfs adds --root). */
static void fake_file(const char *ifname, const struct feature *f, char *buf, size_t size) {
        snprintf(buf, size, "/sys/class/net/%s/features/%s", ifname, f->name);
}

static int ethtool_read(void *userdata, const char *key, char *buf, size_t size) {
        const struct hostfs *h = userdata;
        struct ethtool_value v = {};
        char ifname[IFNAMSIZ];
        const struct feature *f;
        bool on;
        int r;

        if (!split_key(key, ifname, &f))
                return -EINVAL;
        if (h->root[0]) {
                char p[128];
                fake_file(ifname, f, p, sizeof p);
                return hostfs_read(h, p, buf, size);
        }
        v.cmd = f->get;
        r = ethtool_call(ifname, &v);
        if (r < 0)
                return r;
        on = f->flag ? (v.data & f->flag) != 0 : v.data != 0;
        return snprintf(buf, size, "%s", on ? "on" : "off");
}

static int ethtool_write(void *userdata, const char *key, const char *value) {
        const struct hostfs *h = userdata;
        struct ethtool_value v = {};
        char ifname[IFNAMSIZ], p[128];
        const struct feature *f;
        bool on;
        int r;

        if (!split_key(key, ifname, &f) || (!streq(value, "on") && !streq(value, "off")))
                return -EINVAL;
        on = streq(value, "on");
        if (h->root[0]) {
                fake_file(ifname, f, p, sizeof p);
                return hostfs_write(h, p, value);
        }
        if (f->flag) {
                /* Flags are one word: change only our bit. */
                v.cmd = f->get;
                r = ethtool_call(ifname, &v);
                if (r < 0)
                        return r;
                v.data = on ? v.data | f->flag : v.data & ~f->flag;
        } else
                v.data = on;
        v.cmd = f->set;
        return ethtool_call(ifname, &v);
}

void backend_ethtool_init(struct backend *be, const struct hostfs *h) {
        *be = (struct backend) {
                .name = "ethtool",
                .journaled = true,
                .userdata = (void *) h,
                .read = ethtool_read,
                .write = ethtool_write,
                .key_valid = ethtool_key_valid,
        };
}
