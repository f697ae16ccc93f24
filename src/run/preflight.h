/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Before the first host step: what a real start needs that `vmrun plan`
 * only notes, checked while nothing has changed yet. */

#include "host/host.h"
#include "plan/plan.h"

/* /run/vmrun/NAME (root's, 0700) and /var/lib/vmrun/NAME, the VM's UEFI
 * variable store from its template, the TPM's state directory. Logs. */
int preflight_prepare_dirs(const Plan *plan);

/* Try, as QEMU's user, what QEMU opens by name (/dev/kvm, the kernel, the
 * firmware, the ROM...), before anything changes. Logs each it cannot,
 * with what to do. 0 when QEMU runs as root. */
int preflight_qemu_access(const Plan *plan);

/* Every file, binary, device and limit the run needs; logs each problem
 * with what to do, and returns the first error. */
int preflight(const Plan *plan);

/* After a run: what in `dir`, which QEMU's user could write, is not a
 * plain file (a link, a directory, a file with a second name). Logged as
 * warnings, never followed. */
void preflight_report_foreign(const HostContext *ctx, const char *dir);

/* Refuses a plan whose devices a VM's journal still lists: its supervisor
 * died before giving the host back, and its `vmrun restore` would take
 * them from under this VM. */
int preflight_other_journals(const Plan *plan);

/* Under vmrun@INSTANCE.service (`unit`, NULL: not in a unit) the profile's
 * VM must be INSTANCE: ExecStopPost= restores that name. Logs otherwise. */
int preflight_unit_instance(const char *unit, const char *vm);

/* `vmrun run`'s checks before its first host step, in order: no journal
 * left, the unit, the directories, preflight(), then the host's precheck.
 * Logs each problem, with what to do. */
int preflight_run(const Plan *plan, HostContext *host);
