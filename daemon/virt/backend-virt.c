/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libvirt pinning as a journaled backend: a running domain's vCPU pinning,
 * emulator pinning and memory nodes, keyed by the domain's UUID so a record
 * survives renames and a daemon crash. Values are CPU (or node) lists in the
 * kernel's form; the journal keeps the domain's own pinning from before the
 * first change, and restoring writes it back through libvirt. Changes are
 * live only: the persistent definition is never touched. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"
#include "kvmtuned/macro.h"
#include "libvirt-module.h"
#include "virt-numa.h"
#include "virt.h"

enum what {
        PIN_VCPU,
        PIN_EMULATOR,
        PIN_MEMORY,
};

struct key {
        char uuid[VIR_UUID_STRING_BUFLEN];
        enum what what;
        unsigned vcpu;
};

static int key_parse(const char *s, struct key *k) {
        const char *slash = strchr(s, '/');
        char *end;

        if (!slash || (size_t) (slash - s) != VIR_UUID_STRING_BUFLEN - 1)
                return -EINVAL;
        memcpy(k->uuid, s, VIR_UUID_STRING_BUFLEN - 1);
        k->uuid[VIR_UUID_STRING_BUFLEN - 1] = '\0';
        slash++;
        if (streq(slash, "emulator"))
                k->what = PIN_EMULATOR;
        else if (streq(slash, "memory"))
                k->what = PIN_MEMORY;
        else if (startswith(slash, "vcpu") && slash[4] >= '0' && slash[4] <= '9') {
                unsigned long n = strtoul(slash + 4, &end, 10);
                if (*end || n > 65535)
                        return -EINVAL;
                k->what = PIN_VCPU;
                k->vcpu = (unsigned) n;
        } else
                return -EINVAL;
        return 0;
}

static virDomainPtr lookup(struct virt *v, const struct key *k) {
        virConnectPtr conn = virt_connection(v);

        return conn ? virDomainLookupByUUIDString(conn, k->uuid) : NULL;
}

/* Why the libvirt call just made failed; call it before any other libvirt
 * function, which would reset the error. -ENOTCONN when libvirtd is out of
 * reach (not connected, or the connection died before its close callback
 * came): a restore that fails so waits in the journal for the next
 * connection (tunables.h), and the module retunes its domains once it is
 * back (virt_missed()). -ENOENT when the domain is gone, -EIO otherwise. */
static int failure(struct virt *v) {
        int code = virGetLastErrorCode();
        virConnectPtr conn = virt_connection(v);

        if (!conn || virConnectIsAlive(conn) != 1) {
                virt_missed(v);
                return -ENOTCONN;
        }
        return code == VIR_ERR_NO_DOMAIN ? -ENOENT : -EIO;
}

static int host_cpus(struct virt *v, virDomainPtr dom) {
        int n = virNodeGetCPUMap(virDomainGetConnect(dom), NULL, NULL, 0);

        return n > 0 ? n : failure(v);
}

static int map_to_list(const unsigned char *map, int ncpus, char *buf, size_t size) {
        _cleanup_free_ struct cpuset *set = calloc(1, sizeof *set);

        if (!set)
                return -ENOMEM;
        for (int c = 0; c < ncpus; c++)
                if (VIR_CPU_USABLE(map, VIR_CPU_MAPLEN(ncpus), 0, c))
                        cpuset_add(set, (unsigned) c);
        return cpuset_format(set, buf, size);
}

static int read_memory(struct virt *v, virDomainPtr dom, char *buf, size_t size) {
        virTypedParameterPtr params = NULL;
        int n = 0, r = -ENODATA;

        if (virDomainGetNumaParameters(dom, NULL, &n, VIR_DOMAIN_AFFECT_LIVE) < 0)
                return failure(v);
        if (n <= 0)
                return -EIO;
        params = calloc((size_t) n, sizeof *params);
        if (!params)
                return -ENOMEM;
        if (virDomainGetNumaParameters(dom, params, &n, VIR_DOMAIN_AFFECT_LIVE) < 0) {
                r = failure(v);
                free(params);
                return r;
        }
        for (int i = 0; i < n; i++)
                if (streq(params[i].field, VIR_DOMAIN_NUMA_NODESET) && params[i].type == VIR_TYPED_PARAM_STRING)
                        r = snprintf(buf, size, "%s", params[i].value.s ?: "") < (int) size ? 0 : -ENOBUFS;
        virTypedParamsFree(params, n);
        return r;
}

static int virt_read(void *userdata, const char *key, char *buf, size_t size) {
        struct virt *v = userdata;
        _cleanup_free_ unsigned char *maps = NULL;
        virDomainPtr dom;
        virDomainInfo info;
        struct key k;
        int ncpus, maplen, r;

        r = key_parse(key, &k);
        if (r < 0)
                return r;
        dom = lookup(v, &k);
        if (!dom)
                return failure(v);
        if (k.what == PIN_MEMORY) {
                r = read_memory(v, dom, buf, size);
                goto out;
        }
        r = ncpus = host_cpus(v, dom);
        if (r < 0)
                goto out;
        if (virDomainGetInfo(dom, &info) < 0) {
                r = failure(v);
                goto out;
        }
        maplen = VIR_CPU_MAPLEN(ncpus);
        maps = calloc(info.nrVirtCpu + 1, (size_t) maplen);
        if (!maps) {
                r = -ENOMEM;
                goto out;
        }
        if (k.what == PIN_EMULATOR)
                r = virDomainGetEmulatorPinInfo(dom, maps, maplen, VIR_DOMAIN_AFFECT_LIVE) < 0 ? failure(v) : 0;
        else if (k.vcpu >= info.nrVirtCpu)
                r = -ENOENT;
        else
                r = virDomainGetVcpuPinInfo(dom, (int) info.nrVirtCpu, maps, maplen, VIR_DOMAIN_AFFECT_LIVE) < 0
                            ? failure(v)
                            : 0;
        if (r >= 0) {
                r = map_to_list(VIR_GET_CPUMAP(maps, maplen, k.what == PIN_VCPU ? (int) k.vcpu : 0), ncpus, buf, size);
                r = r < 0 ? r : 0;
        }
out:
        virDomainFree(dom);
        return r;
}

static int write_memory(struct virt *v, virDomainPtr dom, const char *nodes) {
        virTypedParameter p = { .type = VIR_TYPED_PARAM_STRING };
        const char *name = virDomainGetName(dom);

        snprintf(p.field, sizeof p.field, "%s", VIR_DOMAIN_NUMA_NODESET);
        p.value.s = (char *) nodes;
        if (virDomainSetNumaParameters(dom, &p, 1, VIR_DOMAIN_AFFECT_LIVE) < 0)
                return failure(v);
        /* New allocations follow the binding; what is elsewhere moves now. */
        if (name)
                (void) virt_numa_move(name, nodes);
        return 0;
}

static int virt_write(void *userdata, const char *key, const char *value) {
        struct virt *v = userdata;
        _cleanup_free_ unsigned char *map = NULL;
        _cleanup_free_ struct cpuset *set = calloc(1, sizeof *set);
        virDomainPtr dom;
        struct key k;
        int ncpus, maplen, r;

        if (!set)
                return -ENOMEM;
        r = key_parse(key, &k);
        if (r < 0)
                return r;
        r = cpuset_parse(value, set);
        if (r < 0 || cpuset_count(set) == 0)
                return -EINVAL;
        dom = lookup(v, &k);
        if (!dom)
                return failure(v);
        if (k.what == PIN_MEMORY) {
                r = write_memory(v, dom, value);
                goto out;
        }
        r = ncpus = host_cpus(v, dom);
        if (r < 0)
                goto out;
        maplen = VIR_CPU_MAPLEN(ncpus);
        map = calloc(1, (size_t) maplen);
        if (!map) {
                r = -ENOMEM;
                goto out;
        }
        for (int c = 0; c < ncpus; c++)
                if (cpuset_has(set, (unsigned) c))
                        VIR_USE_CPU(map, c);
        if (k.what == PIN_EMULATOR)
                r = virDomainPinEmulator(dom, map, maplen, VIR_DOMAIN_AFFECT_LIVE);
        else
                r = virDomainPinVcpuFlags(dom, k.vcpu, map, maplen, VIR_DOMAIN_AFFECT_LIVE);
        r = r < 0 ? failure(v) : 0;
out:
        virDomainFree(dom);
        return r;
}

static bool virt_equal(const char *a, const char *b) {
        _cleanup_free_ struct cpuset *x = malloc(sizeof *x), *y = malloc(sizeof *y);

        if (!x || !y || cpuset_parse(a, x) < 0 || cpuset_parse(b, y) < 0)
                return streq(a, b);
        return memcmp(x, y, sizeof *x) == 0;
}

void backend_virt_init(struct backend *be, struct virt *v) {
        *be = (struct backend) {
                .name = KT_LIBVIRT_BACKEND,
                .journaled = true,
                .retuned_per_device = true,
                .userdata = v,
                .read = virt_read,
                .write = virt_write,
                .equal = virt_equal,
        };
}
