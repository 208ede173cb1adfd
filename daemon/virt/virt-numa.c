/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Moving a running domain's memory to the nodes it was just bound to. libvirt
 * changes the domain's allowed nodes; the pages already placed elsewhere
 * move only if the kernel is asked to, which needs the real kernel, so this
 * is libnuma's numa_migrate_pages(). */

#include <errno.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "virt-numa.h"

static int qemu_pid(const char *domain) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[256];
        int pid;

        snprintf(path, sizeof path, "/run/libvirt/qemu/%s.pid", domain);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (fscanf(f, "%d", &pid) != 1 || pid <= 0)
                return -EINVAL;
        return pid;
}

int virt_numa_move(const char *domain, const char *nodes) {
        struct bitmask *to, *from;
        int pid, r;

        if (numa_available() < 0 || numa_max_node() < 1)
                return 0;       /* one node: nowhere to move to */
        pid = qemu_pid(domain);
        if (pid < 0)
                return pid;
        to = numa_parse_nodestring(nodes);
        if (!to)
                return -EINVAL;
        from = numa_allocate_nodemask();
        if (!from) {
                numa_bitmask_free(to);
                return -ENOMEM;
        }
        for (int n = 0; n <= numa_max_node(); n++)
                if (!numa_bitmask_isbitset(to, (unsigned) n))
                        numa_bitmask_setbit(from, (unsigned) n);
        r = numa_migrate_pages(pid, from, to);
        numa_bitmask_free(from);
        numa_bitmask_free(to);
        if (r < 0)
                return log_debug_errno(-errno, "Domain %s: moving memory to node(s) %s failed: %m", domain, nodes);
        return 0;
}
