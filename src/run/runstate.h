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
        pid_t qemu_pid;
        uint64_t qemu_start_time;       /* /proc/PID/stat starttime: PIDs get reused */
        pid_t swtpm_pid;                /* 0: no TPM */
        uint64_t swtpm_start_time;
        char *tap;                      /* NULL: no bridge; the guest's tap on it otherwise */
        unsigned timeout_shutdown;
        char *phase;                    /* "starting", "running", "stopping" */
} RunState;

void runstate_done(RunState *s);
int runstate_write(const char *path, const RunState *s);
int runstate_read(const char *path, RunState *ret);

/* Take the VM's lock (run root/locks/vm-NAME.lock). -EBUSY when another
 * process holds it; *ret_fd keeps it until closed. */
int vm_lock(const char *name, int *ret_fd);
/* The lock of one PCI device, so two VMs never take the same device. On
 * -EBUSY, *ret_holder (if given) names the VM that holds it. */
int device_lock(const char *pci_address, const char *vm, int *ret_fd, char **ret_holder);

int pid_start_time(pid_t pid, uint64_t *ret);
/* A pidfd for `pid`, but only if it is still the process that started at
 * `start_time`; -ESRCH otherwise. */
int pidfd_open_verified(pid_t pid, uint64_t start_time, int *ret_fd);
/* Wait for the process behind a pidfd to exit, before `deadline`. */
int pidfd_wait_exit(int pidfd, usec_t deadline);
