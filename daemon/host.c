/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "array.h"
#include "host.h"
#include "log.h"

int host_init(struct host *h, const char *root) {
        int r;

        *h = (struct host) { .tunables.journal.fd = -1 };
        r = hostfs_init(&h->fs, root);
        if (r < 0)
                return r;
        backend_file_init(&h->file, &h->fs);
        r = backend_hold_init(&h->hold, &h->fs);
        if (r < 0)
                return r;
        h->backends[h->n_backends++] = &h->file;
        h->backends[h->n_backends++] = &h->hold;
        backend_ethtool_init(&h->ethtool, &h->fs);
        h->backends[h->n_backends++] = &h->ethtool;
        return 0;
}

/* The tunables set sees the backends that come after the journal (the
 * libvirt module's) and go again. */
static void backends_changed(struct host *h) {
        if (h->tunables.backends)
                h->tunables.n_backends = h->n_backends;
}

int host_add_backend(struct host *h, struct backend *be) {
        if (h->n_backends >= HOST_MAX_BACKENDS)
                return -E2BIG;
        h->backends[h->n_backends++] = be;
        backends_changed(h);
        return 0;
}

void host_remove_backend(struct host *h, const struct backend *be) {
        ARRAY_REMOVE_PTR(h->backends, h->n_backends, be);
        backends_changed(h);
}

int host_open_journal(struct host *h, const char *path, const char *late) {
        char boot_id[64] = "";

        /* Missing in a fake tree: then any journal is taken as this boot's. */
        (void) hostfs_read(&h->fs, "/proc/sys/kernel/random/boot_id", boot_id, sizeof boot_id);
        return tunables_init(&h->tunables, h->backends, h->n_backends, path, boot_id, late);
}

void host_done(struct host *h) {
        tunables_done(&h->tunables);
        backend_hold_done(&h->hold);
}
