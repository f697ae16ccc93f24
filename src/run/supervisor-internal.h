/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the supervisor's files share, and nothing outside them includes:
 * its state, read and changed by the event loop (supervisor.c), QEMU's
 * start (qemu-start.c), the state file (state-phase.c) and the handover's
 * hook (handover-hook.c). */

#include <signal.h>

#include "basic/log.h"
#include "basic/util.h"
#include "host/tap.h"
#include "plan/plan.h"
#include "qemu/qmp.h"
#include "qemu/tpm.h"
#include "run/host-power.h"

/* How long QEMU gets to open QMP after exec, and to answer a command. */
#define QMP_START_TIMEOUT (60 * USEC_PER_SEC)
#define QMP_COMMAND_TIMEOUT (10 * USEC_PER_SEC)

typedef enum Phase {
        PHASE_RUNNING,
        PHASE_POWERDOWN,        /* ACPI power button pressed, waiting for the guest */
        PHASE_QUIT,             /* quit sent (or SIGTERM when QMP is gone) */
        PHASE_KILL,             /* SIGKILL sent */
} Phase;

typedef struct Supervisor {
        const Plan *plan;
        const Profile *profile;

        pid_t qemu_pid;
        uint64_t qemu_start_time;       /* for the state file's readers' pidfds */
        int pidfd;
        int sigfd;
        int timerfd;
        int epfd;
        ForeignOutput qemu_out; /* QEMU's stdout and stderr, logged line by line */
        Qmp *qmp;
        Tpm *tpm;               /* swtpm, with [vm] tpm */
        Tap tap;                /* [network] mode = bridge: its fd until QEMU has it, its name for the state file */
        uint64_t start_time;    /* this process's, in the state file: a reused PID is not this supervisor */
        bool stopped_in_handover;
        bool stopped_from_outside;      /* QEMU was ending on a signal of someone else's when vmrun would stop it */
        char *unit;             /* its own unit (vmrun@NAME.service, vmrun-NAME.scope); NULL: none here */
        bool registered;        /* with systemd-machined */
        usec_t tpm_verdict;     /* swtpm exited cleanly: when to call it a death if QEMU has not ended by then */
        HostPower power;        /* logind's locks and the power buttons, while the GPU is handed over */


        Phase phase;
        char *shutdown_reason;  /* from QMP's SHUTDOWN event */
        bool guest_panicked;
        bool qemu_exited;
        usec_t qemu_exit_usec;          /* when: the black screen on the way back starts there */
        siginfo_t exit_info;
} Supervisor;

/* "SIGTERM", "SIGINT", ... for the signals that ask the VM to stop; NULL for others. */
const char *stop_signal_name(int sig);
