/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The sd_notify protocol without ever blocking: sd_notify() waits when the
 * service manager's queue is full, which would stall the whole event loop
 * (control calls, samples) behind a reader that is not reading. A message
 * that does not fit is dropped; status lines are advisory, and a manager
 * that does not read misses READY=1 however it is sent. */
void notify(const char *msg);
