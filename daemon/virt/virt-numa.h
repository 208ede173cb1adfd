/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Move the memory of a running QEMU domain (libvirt's qemu:///system pid
 * file names the process) onto nodes ("0,2"). No-op on one-node hosts. */
int virt_numa_move(const char *domain, const char *nodes);
