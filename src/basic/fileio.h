/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Files written whole: a reader sees the old content or the new, never a
 * mix, and the new survives a crash once the call returns. */

#include <sys/types.h>

#include "basic/util.h"

/* Write `j` to `path` so that a reader sees the old or the new content,
 * never a mix, and the new content survives a crash once this returns. */
int json_write_atomic(const char *path, json_t *j, mode_t mode);

/* Copy `from` to `to` (mode `mode`) through `to`.tmp and a rename. */
int copy_file(const char *from, const char *to, mode_t mode);

/* mkdir -p with `mode` for each directory created; existing ones are left
 * as they are. */
int mkdir_parents(const char *path, mode_t mode);
