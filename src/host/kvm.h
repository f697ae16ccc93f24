/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the running kernel's KVM offers, asked of /dev/kvm with
 * KVM_CHECK_EXTENSION. QEMU asks some of it only when it starts, and on a
 * Hyper-V register the kernel does not emulate it aborts (Linux 6.8 and
 * newer can be built without Hyper-V emulation, CONFIG_KVM_HYPERV): the
 * plan asks first and leaves out what would not work. */

#include <stdbool.h>

#include "host/host.h"

typedef struct KvmCaps {
        int fd;         /* /dev/kvm; -1: not asked (no KVM here, or not KVM's device) */
} KvmCaps;

/* Open ROOT/dev/kvm. -ENOENT without it; -ENOTTY when it is not KVM's
 * device (a fake root's file). */
int kvm_caps_open(const HostContext *ctx, KvmCaps *ret);
void kvm_caps_close(KvmCaps *k);

/* Does KVM offer capability `cap` (KVM_CAP_*)? Only asked of an open
 * KvmCaps. */
bool kvm_caps_has(const KvmCaps *k, int cap);
