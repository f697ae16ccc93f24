/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Inside src/plan only: what plan_new() takes from the other files here. */

#include "host/host.h"
#include "plan/plan.h"

/* The GPU's functions to pass: [gpu] functions, or every function of its
 * slot. */
int plan_resolve_gpu_functions(const HostContext *ctx, Plan *plan);

/* [input] evdev, [usb] devices and [network] bridge found on the host, or
 * noted missing. */
int plan_host_devices(const HostContext *ctx, Plan *plan);

/* logind's inhibitor locks while the GPU is handed over, and the power
 * buttons vmrun reads then ([host] power-button, lid). */
int plan_power(const HostContext *ctx, Plan *plan);

/* [gpu] rom-acpi: the decision and why, the GPU's _ROM tables built from
 * [gpu] rom and their files in the state directory; what keeps them from
 * being built is a note. */
int plan_rom_acpi(const HostContext *ctx, Plan *plan);

/* The hugepages the guest's RAM is on: x86's 2 MiB when the host's pool
 * could not be read (the plan says why). */
uint64_t plan_hugepage_size(const Plan *plan);
