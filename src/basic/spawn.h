/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The one way vmrun starts a process: fork, and in the child the signal
 * mask emptied and every disposition back to its default, descriptors
 * placed from a table and every other one closed (close_range), then the
 * caller's set-up, then exec, or a function run in place of exec. A child
 * never keeps a lock, a QMP socket or a signalfd of the supervisor's: a
 * sysfs write stuck in the kernel must not keep the VM locked. */

#include <sys/types.h>

#include "basic/util.h"

/* A child's descriptors: fds[i] becomes descriptor i. At 0, 1 and 2 a -1
 * is /dev/null; above, a -1 is no descriptor. */
#define SPAWN_FDS_MAX 16

typedef struct Spawn {
        /* exec'ed, argv[0] being its path; NULL: `run` instead */
        char *const *argv;
        /* in place of exec, in the child: its return is the exit status */
        int (*run)(void *userdata);
        /* in the child after the descriptors, before exec or run: 0, or a
         * negative errno, and the child exits 126 (it says why on fd 2) */
        int (*setup)(void *userdata);
        void *userdata;
        const int *fds;
        int n_fds;              /* at least 3, at most SPAWN_FDS_MAX */
        bool new_session;       /* setsid(): a ^C or hangup meant for vmrun does not reach it */
} Spawn;

/* Exit statuses of the child when it could not get as far as the program. */
#define SPAWN_EXIT_SETUP 126
#define SPAWN_EXIT_EXEC 127

/* Starts the child; *ret_pidfd watches it (our own unreaped child: its PID
 * cannot be reused under us). The child is killed and reaped when no
 * pidfd can be had. Only async-signal-safe calls in `setup` and `run`. */
int spawn(const Spawn *s, pid_t *ret_pid, int *ret_pidfd);
