/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The choice that survives restarts, in STATE_DIR/active_profile: a profile
 * name, or "!off". No file means no choice was made yet. An empty one (a
 * power cut before its data reached the disk) means the choice before it,
 * which state_save() keeps until state_sync(), or else none. */

enum state_choice {
        STATE_NONE,
        STATE_OFF,
        STATE_PROFILE,
};

/* Returns a state_choice, or a negative errno; *ret_name is set for STATE_PROFILE. */
int state_load(const char *dir, char **ret_name);
/* name NULL means off. Put in place atomically (a rename), not yet durably. */
int state_save(const char *dir, const char *name);
/* Make the last state_save() durable: fsync() the file and the directory.
 * Run after the reply, off the switch's critical path. */
int state_sync(const char *dir);
