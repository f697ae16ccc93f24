/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Processes by pidfd: a PID alone can be reused; a pidfd cannot. */

#include <signal.h>
#include <sys/types.h>

#include "basic/util.h"

/* /proc/PID/stat's starttime; -ESRCH when there is no such process. */
int pid_start_time(pid_t pid, uint64_t *ret);
/* A pidfd for `pid`, but only if it is still the process that started at
 * `start_time`; -ESRCH otherwise. */
int pidfd_open_verified(pid_t pid, uint64_t start_time, int *ret_fd);
/* Until the process behind `pidfd` has exited (0) or `deadline`
 * (-ETIMEDOUT): the one wait for a process, any process, in vmrun. */
int pidfd_wait(int pidfd, usec_t deadline);
/* The same, calling drain(userdata) whenever `fd` is readable meanwhile:
 * a child that fills its output pipe would otherwise never exit. */
int pidfd_wait_draining(int pidfd, int fd, void (*drain)(void *userdata), void *userdata, usec_t deadline);

/* The exit of our own child behind `pidfd` (ret: NULL if not wanted),
 * once pidfd_wait() said it has exited; blocks until then otherwise. */
int pidfd_reap(int pidfd, siginfo_t *ret);
/* SIGKILL, then pidfd_reap(). */
int pidfd_kill_and_reap(int pidfd);
