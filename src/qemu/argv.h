/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The QEMU command line, as an argv array for execv(): never a string for
 * a shell. A value that goes into one of QEMU's "key=value,key=value"
 * options has its commas doubled; devices, block nodes and objects go in
 * as JSON (-device '{"driver":...}'), where no value can be taken for an
 * option. This file only formats: every decision is in its inputs. */

#include "qemu/firmware.h"
#include "host/placement.h"
#include "profile/profile.h"
#include "basic/strv.h"

/* Where QEMU finds the supervisor's descriptors after exec: the two QMP
 * sockets, the guest's console log, with a TPM its end of swtpm's control
 * channel, with a bridge the tap device; each made by vmrun so that QEMU
 * (not root) needs no way into the VM's runtime directory, nor the
 * privilege to make a network device. */
#define QEMU_FD_QMP_SUPERVISOR 3
#define QEMU_FD_QMP_PUBLIC 4
#define QEMU_FD_CONSOLE 5
#define QEMU_FD_TPM 6
#define QEMU_FD_TAP 7
#define QEMU_FD_END 8                   /* one past the last */

/* Where the GPU sits in the guest: function 0 behind a root port in slot 1
 * of q35's pcie.0. QEMU (7.2, as Debian 12's) describes both in its DSDT,
 * naming a PCI device's node S and its devfn in hex: the port is
 * \_SB.PCI0.S08, the GPU \_SB.PCI0.S08.S00, the node the guest's kernel
 * takes as the GPU's ACPI companion (its _ADR under its bridge's). */
#define QEMU_GPU_ROOT_PORT_ADDR "01.0"
#define QEMU_GPU_ACPI_PATH "\\_SB.PCI0.S08.S00"

/* The most QEMU's -acpitable takes in one table: its blob keeps each
 * table's length in 16 bits ("ACPI table too big, requested: 70050, max:
 * 65535", QEMU 7.2). */
#define QEMU_ACPI_TABLE_MAX 65535

typedef struct QemuPciIds {
        unsigned vendor, device;
} QemuPciIds;

typedef struct QemuConfig {
        const Profile *profile;
        const Firmware *firmware;       /* NULL: SeaBIOS */
        const char *vars;               /* the VM's own copy of the VARS template */
        bool sandbox;                   /* -sandbox: QEMU runs unprivileged and may not regain it */
        char *const *gpu_functions;     /* companions of the GPU, in guest function order */
        const QemuPciIds *gpu_subsystem; /* the GPU's subsystem IDs as the guest sees them; NULL: the device's own */
        char *const *cpu_flags;         /* appended to -cpu MODEL: "hv-relaxed=on", ... */
        bool topoext;                   /* and ",topoext=on" after them */
        const char *battery_table;      /* an SSDT for -acpitable file=; NULL: none */
        char *const *rom_tables;        /* the SSDTs with the GPU's _ROM, for -acpitable file= each; NULL: none */
        const CpuTopology *topology;    /* -smp's sockets, cores, threads; NULL: QEMU's default */
        uint64_t hugepage_size;         /* guest RAM from a memfd of such hugepages, preallocated; 0: none */
} QemuConfig;

/* The -cpu model: the host's own CPU under KVM, everything TCG can do
 * without it. */
const char *qemu_cpu_model(Accel accel);

/* "a,b" → "a,,b": for values inside QEMU's comma-separated options. */
char *qemu_opt_escape(const char *s);

/* -E2BIG: more devices than a slot or controller takes; -EINVAL: a path
 * QEMU cannot be given (a ':' in battery_table or rom_tables, which
 * -acpitable splits file names at, with no way to escape it). */
int qemu_argv_build(const QemuConfig *c, Strv *ret);
