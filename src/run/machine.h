/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The VM in the system's own tools: registered with systemd-machined
 * while it runs, so that `machinectl list` shows it, `machinectl poweroff`
 * powers the guest off through vmrun (SIGRTMIN+4 to the supervisor, the
 * machine's leader) and `machinectl terminate` stops the machine's unit.
 *
 * That unit must be the VM's alone: started from ssh, the supervisor is in
 * the ssh session's scope, and terminating the machine would end the
 * session. So a supervisor that is not the main process of a service of
 * its own (vmrun@NAME.service) first moves into a scope of its own,
 * vmrun-NAME.scope, before anything on the host changes. A host without
 * systemd or machined runs the VM just the same; vmrun says so. Each
 * function logs what it did, or why not. */

#include <stdbool.h>

#include "basic/util.h"

/* The supervisor's own unit: 1 with *ret_unit ("vmrun@win10.service",
 * "vmrun-win10.scope") when it has one, which machined may stop; 0 when
 * it has none here (no systemd), or could not get one. */
int machine_own_unit(const char *vm, char **ret_unit);

/* Registers VM `vm` (leader: this process, in `unit`). True when done. */
bool machine_register(const char *vm, const char *unit);
void machine_unregister(const char *vm);
