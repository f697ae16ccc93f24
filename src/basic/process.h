/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Processes by pidfd: a PID alone can be reused; a pidfd cannot. */

#include <sys/types.h>

#include "basic/util.h"

/* /proc/PID/stat's starttime; -ESRCH when there is no such process. */
int pid_start_time(pid_t pid, uint64_t *ret);
/* A pidfd for `pid`, but only if it is still the process that started at
 * `start_time`; -ESRCH otherwise. */
int pidfd_open_verified(pid_t pid, uint64_t start_time, int *ret_fd);
/* Wait for the process behind a pidfd to exit, before `deadline`. */
int pidfd_wait_exit(int pidfd, usec_t deadline);
