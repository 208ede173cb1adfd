/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

struct hostfs;

/* The profile this host should run when nobody chose one: virtual-guest
 * inside a VM, virtual-host on a KVM host, else NULL. *reason says what
 * gave it away. */
const char *recommend_profile(const struct hostfs *h, const char **reason);
