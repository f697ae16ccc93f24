/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Where a VM's files live. Runtime state (QMP sockets, the handover
 * journal, the supervisor's state file) under /run/vmrun/NAME, gone with a
 * reboot like the handover it describes; persistent state (the UEFI
 * variable store, the TPM's state) under /var/lib/vmrun/NAME.
 * A test build's VMRUN_RUN_DIR and VMRUN_STATE_DIR move them
 * (basic/test-switch.h); a release build has them where they are. The locks stay in /run/vmrun/locks in every
 * build: two runs must never disagree on where a GPU's lock is.
 *
 * Files vmrun ships (the fake battery's ACPI table) are in DATADIR/vmrun,
 * where `meson install` puts them; a test build's VMRUN_DATA_DIR points
 * elsewhere, at BUILD_DIR/firmware for a vmrun run from its build tree. */

#include "basic/util.h"

#define VMRUN_LOCK_DIR "/run/vmrun/locks"

typedef struct VmPaths {
        char *run_dir;          /* /run/vmrun/NAME, mode 0700 */
        char *state_dir;        /* /var/lib/vmrun/NAME */
        char *qmp_public;       /* run_dir/qmp.sock, for clients */
        char *state_file;       /* run_dir/supervisor.json: PIDs, for clients */
        char *journal;          /* run_dir/journal.json: host steps done */
        char *console_log;      /* run_dir/console.log: the guest's serial port */
        char *vars;             /* state_dir/efivars.fd: firmware = uefi's variable store */
        char *vars_secure;      /* state_dir/efivars-secure.fd: uefi-secure's, apart so that a VM switched
                                 * to it gets the template with the keys enrolled, not the old store */
        char *tpm_dir;          /* state_dir/tpm: swtpm's state, with [vm] tpm */
} VmPaths;

const char *vm_run_root(void);
const char *vm_state_root(void);
const char *vm_data_dir(void);

/* The names of the VMs with a directory under vm_run_root(), sorted as
 * found; none when it does not exist. */
int vm_names(char ***ret);

/* vm_data_dir()/NAME. */
int vm_data_file(const char *name, char **ret);

int vm_paths_new(const char *name, VmPaths **ret);
VmPaths *vm_paths_free(VmPaths *p);
static inline void vm_paths_freep(VmPaths **p) {
        vm_paths_free(*p);
}
#define _cleanup_vm_paths_ _cleanup_(vm_paths_freep)
