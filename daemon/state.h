/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The choice that survives restarts, in STATE_DIR/active_profile: a profile
 * name, or an empty file for "off". No file means no choice was made yet. */

enum state_choice {
        STATE_NONE,
        STATE_OFF,
        STATE_PROFILE,
};

/* Returns a state_choice, or a negative errno; *ret_name is set for STATE_PROFILE. */
int state_load(const char *dir, char **ret_name);
/* name NULL means off. Written atomically. */
int state_save(const char *dir, const char *name);
