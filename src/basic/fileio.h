/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Files written whole: a reader sees the old content or the new, never a
 * mix, and the new survives a crash once the call returns. And binary
 * files read whole. */

#include <sys/types.h>

#include "basic/util.h"

/* Write `j` to `path` so that a reader sees the old or the new content,
 * never a mix, and the new content survives a crash once this returns. */
int json_write_atomic(const char *path, json_t *j, mode_t mode);

/* Copy `from` to a new file `name` (mode `mode`) in the directory
 * `dir_fd`, never through an entry already there: -EEXIST when there is
 * one, a symlink included. Whole or not at all, after a crash too. */
int copy_file_new_at(const char *from, int dir_fd, const char *name, mode_t mode);

/* All of `fd`, at most `max` bytes: -EFBIG for more. */
int read_full_fd(int fd, size_t max, uint8_t **ret, size_t *ret_size);

/* The same with `size` bytes from `data`. */
int write_file_new_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode);

/* mkdir -p: `path` itself made with `mode`, each missing directory above
 * it with 0755 (as the package's tmpfiles.d makes /run/vmrun: the lock
 * directory's 0700, made first on a fresh host, would keep users out of
 * /run/vmrun/alive); existing ones are left as they are. */
int mkdir_parents(const char *path, mode_t mode);
