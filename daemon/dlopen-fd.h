/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* dlopen() the file open at fd, after checking what it is: a regular file,
 * owned by root (or by us, for tests run as a user) and writable by nobody
 * else. It is loaded through /proc/self/fd, so the file checked is the file
 * loaded, with no window for another to be swapped in. Keep fd open while
 * the object is loaded: glibc knows it by that name. what and path name the
 * file in the one warning logged on failure ("Plugin /usr/lib/.../cpu.so"). */
int dlopen_fd(int fd, const char *what, const char *path, void **ret);
