/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* QEMU's start and its descriptors: the guest's tap, opened before the
 * handover; QEMU spawned with its QMP sockets, console log, output pipe
 * and swtpm's channel; its vCPUs pinned before the guest's first
 * instruction. Each function logs its error. */

#include "run/supervisor-internal.h"

/* The tap on [network] bridge, in s->tap until QEMU has it. */
int open_tap(Supervisor *s);
/* swtpm if the plan has one, then QEMU, stopped by -S; *ret_qmp_fd is vmrun's end of QMP. */
int spawn_qemu(Supervisor *s, int *ret_qmp_fd);
/* The vCPUs and QEMU's other threads on the host CPUs [cpu] names; 0 when it names none. */
int pin_cpus(Supervisor *s);
