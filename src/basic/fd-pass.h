/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A descriptor opened by a child that took another user's ids, handed
 * back over a socket (SCM_RIGHTS) with the child's errno: what root does
 * on a user's behalf is done as that user, and root gets the result, not
 * the path. */

#include "basic/util.h"

/* In the child, after fork: sends `error` (0 or an errno) and, with 0,
 * `fd`. Only system calls. 0, or a negative errno. */
int fd_pass_send(int sock, int error, int fd);

/* The child's answer by `deadline`: its descriptor, or its errno as a
 * negative one (-EPROTO: it died, or sent nothing whole). */
int fd_pass_receive(int sock, usec_t deadline, int *ret_fd);
