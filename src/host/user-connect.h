/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A socket in a user's runtime directory, connected as that user. The
 * directory is the user's: a link there could point root at any socket
 * on the host (PID 1's own), and root would follow it. A child that has
 * only the user's uid and gid connects, and hands the connection back;
 * the peer must be a process of that user. */

#include <sys/types.h>

#include "basic/util.h"

/* ROOT/run/user/UID/REL (root: NULL or "/" for the host), connected as
 * uid, by `deadline`. -ENOENT: no runtime directory or no socket there;
 * -EPERM: the directory is not uid's, the socket there is one uid may
 * not use (a link to root's), or the peer is not a process of uid; -ETIMEDOUT: no answer by the deadline. */
int connect_as_user(const char *root, uid_t uid, const char *rel, usec_t deadline, int *ret_fd);
