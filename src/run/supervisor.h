/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The supervisor: one process, one event loop. It hands the host over,
 * starts QEMU, watches it over QMP and its pidfd, asks the guest to power
 * off on SIGTERM/SIGINT (escalating to quit, then SIGKILL, each with a
 * deadline), and whatever way QEMU ends, gives the host back. */

#include "plan/plan.h"

/* The exit status of `vmrun run` says how the VM ended. */
typedef enum VmrunExit {
        VMRUN_EXIT_POWEROFF = 0,        /* the guest powered off (by itself or on ACPI request) */
        VMRUN_EXIT_FAILURE = 1,         /* could not start; the host was left as it was */
        VMRUN_EXIT_USAGE = 2,           /* bad command line or profile */
        VMRUN_EXIT_QUIT = 3,            /* QEMU was stopped: QMP quit or a signal to QEMU */
        VMRUN_EXIT_CRASH = 4,           /* QEMU died: non-zero exit or a signal vmrun did not send */
        VMRUN_EXIT_KILLED = 5,          /* QEMU did not stop in time and vmrun killed it */
        VMRUN_EXIT_RESTORE = 6,         /* the VM ended but the host was not fully given back */
} VmrunExit;

int supervisor_run(const Plan *plan);
