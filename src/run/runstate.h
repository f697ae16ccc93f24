/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What a running supervisor leaves for others to find: its lock (held
 * while it lives, so "is it alive?" has an exact answer) and a state file
 * naming the processes, read by `vmrun status`, `shutdown` and `restore`. */

#include <sys/types.h>

#include "basic/util.h"

typedef struct RunState {
        char *name;
        char *profile;
        pid_t supervisor_pid;
        uint64_t supervisor_start_time; /* 0 in a state file of an older vmrun */
        pid_t qemu_pid;
        uint64_t qemu_start_time;       /* /proc/PID/stat starttime: PIDs get reused */
        pid_t swtpm_pid;                /* 0: no TPM */
        uint64_t swtpm_start_time;
        char *tap;                      /* NULL: no bridge; the guest's tap on it otherwise */
        char *unit;                     /* the supervisor's own unit; NULL: none (no systemd) */
        bool machine;                   /* registered with systemd-machined */
        unsigned timeout_shutdown;
        char *phase;                    /* "starting", "running", "stopping" */
} RunState;

void runstate_done(RunState *s);
int runstate_write(const char *path, const RunState *s);
int runstate_read(const char *path, RunState *ret);
