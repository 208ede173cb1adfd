/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* NIC offloads (gro, gso, tso, lro) through the ethtool ioctl. Keys are
 * "<interface>/<feature>", values "on" or "off"; the original is journaled
 * like any file. Each offload is a group of the kernel's named feature bits
 * (tso: tx-tcp-segmentation, tx-tcp6-segmentation, ... and whatever tx-tcp-*
 * segmentation bits a newer kernel adds), read and changed together with
 * ETHTOOL_GFEATURES/SFEATURES as `ethtool -K` does: the legacy per-feature
 * requests leave newer bits of a group untouched. Only bits the driver lets
 * change count. A group whose bits differ reads "on:<the bits that are
 * on>", and writing that value back restores exactly them, so the journal
 * puts back a mixed group as it was.
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

static bool is_tso(const char *bit) {
        size_t n = strlen(bit);

        return startswith(bit, "tx-tcp") && n >= 12 && streq(bit + n - 12, "segmentation");
}

static const struct feature {
        const char *name;
        const char *bit;                /* the one kernel feature bit, or NULL: match() */
        bool (*match)(const char *bit);
} features[] = {
        { "gro", "rx-gro", NULL },
        { "gso", "tx-generic-segmentation", NULL },
        { "tso", NULL, is_tso },
        { "lro", "rx-lro", NULL },
};

static bool feature_has(const struct feature *f, const char *bit) {
        return f->bit ? streq(f->bit, bit) : f->match(bit);
}

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

static int ethtool_call(int fd, const char *ifname, void *data) {
        struct ifreq ifr = {};

        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
        ifr.ifr_data = data;
        return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* The feature bits of f on ifname, as a mask per 32-bit block, the current
 * blocks of the device, and the kernel's names of all bits. */
#define FEATURE_BLOCKS 8
struct nic_features {
        uint32_t mask[FEATURE_BLOCKS];
        struct ethtool_get_features_block blocks[FEATURE_BLOCKS];
        unsigned n_blocks, n;
        struct ethtool_gstrings *names;
};

static void bit_name(const struct nic_features *nf, unsigned i, char out[ETH_GSTRING_LEN + 1]) {
        memcpy(out, nf->names->data + (size_t) i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
        out[ETH_GSTRING_LEN] = '\0';
}

static bool bit_set(const uint32_t *words, unsigned i) {
        return words[i / 32] & (1u << (i % 32));
}

static int features_get(int fd, const char *ifname, const struct feature *f, struct nic_features *nf) {
        /* Requests with their variable parts, in 8-byte aligned storage. */
        uint64_t ssbuf[(sizeof(struct ethtool_sset_info) + sizeof(uint32_t) + 7) / 8] = {};
        uint64_t gfbuf[(sizeof(struct ethtool_gfeatures) + sizeof nf->blocks + 7) / 8] = {};
        struct ethtool_sset_info *ss = (struct ethtool_sset_info *) ssbuf;
        struct ethtool_gfeatures *gf = (struct ethtool_gfeatures *) gfbuf;
        uint32_t n;
        int r;

        *ss = (struct ethtool_sset_info) { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_FEATURES };
        r = ethtool_call(fd, ifname, ss);
        if (r < 0)
                return r;
        n = ss->sset_mask ? ss->data[0] : 0;
        if (n == 0 || n > FEATURE_BLOCKS * 32)
                return -EOPNOTSUPP;
        *nf = (struct nic_features) { .n_blocks = (n + 31) / 32, .n = n };
        nf->names = calloc(1, sizeof *nf->names + (size_t) n * ETH_GSTRING_LEN);
        if (!nf->names)
                return -ENOMEM;
        *nf->names = (struct ethtool_gstrings) { .cmd = ETHTOOL_GSTRINGS, .string_set = ETH_SS_FEATURES, .len = n };
        r = ethtool_call(fd, ifname, nf->names);
        if (r < 0)
                return r;
        *gf = (struct ethtool_gfeatures) { .cmd = ETHTOOL_GFEATURES, .size = nf->n_blocks };
        r = ethtool_call(fd, ifname, gf);
        if (r < 0)
                return r;
        memcpy(nf->blocks, gf->features, sizeof nf->blocks);
        for (unsigned i = 0; i < n; i++) {
                char bit[ETH_GSTRING_LEN + 1];
                bit_name(nf, i, bit);
                if (feature_has(f, bit))
                        nf->mask[i / 32] |= 1u << (i % 32);
        }
        return 0;
}

static int kernel_read(const char *ifname, const struct feature *f, char *buf, size_t size) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct nic_features nf = {};
        uint32_t changeable[FEATURE_BLOCKS] = {}, active[FEATURE_BLOCKS] = {};
        unsigned n_changeable = 0, n_on = 0, fixed_on = 0;
        size_t len;
        int r;

        if (fd < 0)
                return -errno;
        r = features_get(fd, ifname, f, &nf);
        for (unsigned i = 0; r >= 0 && i < nf.n_blocks; i++) {
                changeable[i] = nf.mask[i] & nf.blocks[i].available;
                active[i] = nf.blocks[i].active;
                n_changeable += (unsigned) __builtin_popcount(changeable[i]);
                n_on += (unsigned) __builtin_popcount(changeable[i] & active[i]);
                fixed_on += (unsigned) __builtin_popcount(nf.mask[i] & ~nf.blocks[i].available & active[i]);
        }
        if (r < 0) {
                free(nf.names);
                return r;
        }
        if (n_changeable == 0 || n_on == 0 || n_on == n_changeable) {
                free(nf.names);
                return snprintf(buf, size, "%s", (n_changeable ? n_on : fixed_on) ? "on" : "off");
        }
        len = (size_t) snprintf(buf, size, "on:");
        for (unsigned i = 0; i < nf.n && len < size; i++) {
                char bit[ETH_GSTRING_LEN + 1];
                if (!bit_set(changeable, i) || !bit_set(active, i))
                        continue;
                bit_name(&nf, i, bit);
                len += (size_t) snprintf(buf + len, size - len, "%s%s", len > 3 ? "," : "", bit);
        }
        free(nf.names);
        return len < size ? (int) len : -ENOBUFS;
}

/* value: "on", "off", or "on:bit,bit" (exactly these bits of the group on). */
static int kernel_write(const char *ifname, const struct feature *f, const char *value) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        uint64_t sfbuf[(sizeof(struct ethtool_sfeatures) + FEATURE_BLOCKS * sizeof(struct ethtool_set_features_block) + 7) / 8] = {};
        struct ethtool_sfeatures *sf = (struct ethtool_sfeatures *) sfbuf;
        const char *list = startswith(value, "on:");
        struct nic_features nf = {};
        bool any = false;
        int r;

        if (fd < 0)
                return -errno;
        r = features_get(fd, ifname, f, &nf);
        if (r < 0) {
                free(nf.names);
                return r;
        }
        sf->cmd = ETHTOOL_SFEATURES;
        sf->size = nf.n_blocks;
        for (unsigned i = 0; i < nf.n; i++) {
                char bit[ETH_GSTRING_LEN + 1];
                bool want;

                /* Only the bits the driver lets change ("[fixed]" stay). */
                if (!bit_set(nf.mask, i) || !(nf.blocks[i / 32].available & (1u << (i % 32))))
                        continue;
                bit_name(&nf, i, bit);
                want = list ? word_in_list(list, bit) : streq(value, "on");
                sf->features[i / 32].valid |= 1u << (i % 32);
                if (want)
                        sf->features[i / 32].requested |= 1u << (i % 32);
                any = true;
        }
        free(nf.names);
        if (!any)
                return -EOPNOTSUPP;     /* fixed on this device */
        return ethtool_call(fd, ifname, sf);
}

/* The fake host's file for one feature (a host path; hostfs adds --root). */
static void fake_file(const char *ifname, const struct feature *f, char *buf, size_t size) {
        snprintf(buf, size, "/sys/class/net/%s/features/%s", ifname, f->name);
}

static int ethtool_read(void *userdata, const char *key, char *buf, size_t size) {
        const struct hostfs *h = userdata;
        char ifname[IFNAMSIZ];
        const struct feature *f;

        if (!split_key(key, ifname, &f))
                return -EINVAL;
        if (h->root[0]) {
                char p[128];
                fake_file(ifname, f, p, sizeof p);
                return hostfs_read(h, p, buf, size);
        }
        return kernel_read(ifname, f, buf, size);
}

static int ethtool_write(void *userdata, const char *key, const char *value) {
        const struct hostfs *h = userdata;
        char ifname[IFNAMSIZ], p[128];
        const struct feature *f;

        if (!split_key(key, ifname, &f) || (!streq(value, "on") && !streq(value, "off") && !startswith(value, "on:")))
                return -EINVAL;
        if (h->root[0]) {
                fake_file(ifname, f, p, sizeof p);
                return hostfs_write(h, p, value);
        }
        return kernel_write(ifname, f, value);
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
