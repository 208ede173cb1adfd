/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The libvirt connection: lifecycle and metadata events on the daemon's
 * loop, keepalive, reconnect with back-off when libvirtd goes away, and the
 * running domains it tracks. Every (re)connect lists the running domains and
 * reconciles, so a domain started while disconnected is not missed. Each
 * domain is tuned once per start, however many times the hook and the
 * events report it. */

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdint.h>

#include "backend.h"

struct manager;
struct domain_info;
struct virt;

/* Connect to uri ("none": never). A libvirtd that is not there is normal:
 * logged once, retried quietly. Registers the pinning backend on the host
 * (after the journal is open); the first connection puts back the pinning
 * a killed daemon left in the journal, before any domain is tuned. */
int virt_new(struct manager *m, const char *uri, struct virt **ret);
struct virt *virt_free(struct virt *v);

/* The active profile changed: hand every running domain to the new plugin
 * instances. */
void virt_retune(struct virt *v);

/* The hook's report: started, stopped, release. */
int virt_domain_event(struct virt *v, const char *name, const char *event, char **error);

int virt_domains(struct virt *v, struct domain_info **ret, size_t *n);

/* Memory of the running domains, for KSM's committed_kib. */
uint64_t virt_committed_kib(const struct virt *v);

/* What a plugin reported about a domain's placement (kt_domain_report). */
int virt_domain_report(struct virt *v, const char *uuid, const char *policy, const char *cpus, const char *nodes,
                       const char *note);

/* The live connection, or NULL. */
virConnectPtr virt_connection(struct virt *v);
/* A pinning read or write found libvirtd out of reach: whatever the domains
 * were meant to get meanwhile did not reach them, so they are retuned once
 * the connection is back. */
void virt_missed(struct virt *v);

/* The pinning backend (backend-virt.c): keys "<uuid>/vcpu<N>",
 * "<uuid>/emulator", "<uuid>/memory"; values CPU or node lists. */
void backend_virt_init(struct backend *be, struct virt *v);
