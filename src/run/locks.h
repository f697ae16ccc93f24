/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Locks under /run/vmrun/locks: one per VM (held by its supervisor while
 * it lives, so "is it alive?" has an exact answer) and one per PCI device
 * (two VMs never take the same GPU). */

#include "plan/plan.h"

/* Whether a supervisor holds the VM's lock, asked without taking it: a
 * `vmrun status` never makes a start fail. For a user, who may not open
 * it, whether the supervisor vm_alive_publish() named still lives. */
int vm_lock_held(const char *name, bool *ret);

/* What a user's `vmrun status` reads in place of the lock, which only
 * root may open: the calling supervisor's PID and start time, in
 * /run/vmrun/alive/NAME.json. */
int vm_alive_publish(const char *name);

/* Take the VM's lock (VMRUN_LOCK_DIR/vm-NAME.lock). -EBUSY when another
 * process holds it; *ret_fd keeps it until closed. */
int vm_lock(const char *name, int *ret_fd);
/* The lock of one PCI device, so two VMs never take the same device. On
 * -EBUSY, *ret_holder (if given) names the VM that holds it. */
int device_lock(const char *pci_address, const char *vm, int *ret_fd, char **ret_holder);

typedef struct DeviceLocks {
        int fds[9];             /* a slot has at most 8 functions */
        size_t n;
} DeviceLocks;

void device_locks_done(DeviceLocks *l);

/* The lock of each of `devices` for `vm`, into `locks`. -EBUSY when
 * another VM holds one: *ret_busy is that device, *ret_holder that VM's
 * name (NULL when unknown); the caller says what to do about it. */
int device_locks_take_all(const char *const *devices, size_t n, const char *vm, DeviceLocks *locks,
                          const char **ret_busy, char **ret_holder);

/* The lock of every function the plan passes; logs which VM holds one
 * that is taken. */
int device_locks_take(const Plan *plan, DeviceLocks *locks);
