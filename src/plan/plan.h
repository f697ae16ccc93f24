/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* profile → plan: every decision made before anything changes on the
 * host. The plan holds the host steps (with their parameters) and QEMU's
 * argv; `vmrun plan` prints it, `vmrun run` carries it out. Looking at the
 * host here is read-only; what cannot be checked (the GPU is not in this
 * machine, a file is missing) becomes a note, not an error, so a plan can
 * be made anywhere. */

#include "qemu/firmware.h"
#include "handover/handover.h"
#include "basic/paths.h"
#include "host/placement.h"
#include "qemu/privileges.h"
#include "profile/profile.h"
#include "qemu/argv.h"
#include "qemu/rom-acpi.h"
#include "basic/strv.h"

typedef struct Plan {
        const Profile *profile;         /* borrowed */
        VmPaths *paths;
        Firmware *firmware;             /* NULL for SeaBIOS */
        const char *vars;               /* the VM's variable store for this firmware kind, in paths */
        char **gpu_functions;           /* companions actually passed */
        bool has_gpu_subsystem;         /* gpu_subsystem goes to the guest */
        QemuPciIds gpu_subsystem;
        char *battery_table;            /* the fake battery's SSDT, with [gpu] fake-battery */
        bool rom_acpi_on;               /* [gpu] rom-acpi decided for a _ROM */
        char *rom_acpi_why;             /* the reason, either way, for plan and check; NULL without a GPU */
        RomAcpi rom_acpi;               /* the tables with _ROM, built from [gpu] rom; none when off or unreadable */
        char **rom_tables;              /* their files in the state directory, written by run; NULL: none */
        char **cpu_flags;               /* after -cpu MODEL: the Hyper-V enlightenments QEMU offers */
        bool topoext;                   /* -cpu host on AMD: its SMT threads are only seen with topoext */
        uint64_t memlock;               /* QEMU's locked-memory limit: guest RAM + 1 GiB with VFIO, else 0 (left alone) */
        bool has_topology;              /* [cpu] pin: the guest's topology follows the pinned CPUs' */
        CpuTopology topology;
        Hugepages hugepages;            /* with [memory] hugepages: the host's pool of that size */
        int hugepages_error;            /* placement_hugepages()'s error, for plan_check_placement() */
        unsigned cpu_missing;           /* with -ENOENT in cpu_error: the pinned CPU this host lacks */
        int cpu_error;
        QemuCredentials qemu_user;      /* looked up; .user NULL when [qemu] user does not exist */
        HostSteps steps;
        json_t *expect;                 /* what host_verify() finds after the restore */
        Strv argv;
        Strv tpm_argv;                  /* swtpm's, with [vm] tpm; empty without */
        Strv notes;                     /* what could not be checked, and why */
        Strv holders;                   /* a line per holder of the GPU's nodes: its class, what is done */
        Strv adjustments;               /* what was left out to fit this host, and why; not errors */
        Strv input_nodes;               /* the event and USB device nodes QEMU opens ([input], [usb]) */
        Strv input_found;               /* one line per such device found, for plan_print() */
        Strv host_missing;              /* [input], [usb] devices, the [network] bridge and QEMU's SPICE this host lacks: notes, and errors for run */
        unsigned inhibit;               /* INHIBIT_*: logind's locks while the GPU is handed over; 0 without a GPU */
        Strv power_buttons;             /* with the power key vmrun's: a line per ACPI power button found */
} Plan;

/* Can QEMU be given plan->memlock? Logs what to do when not. */
int plan_check_memlock(const Plan *plan);

/* Can the guest be placed as the profile says: are the pinned CPUs there,
 * and enough free hugepages of the size asked for? Says how many are
 * needed and free; logs what to do when not. */
int plan_check_placement(const Plan *plan);

/* What `vmrun check` says of the host's power while the guest has the
 * GPU: logind's inhibitors, and the power button found or not (a
 * warning: the power key then stays logind's). */
void plan_log_power(const Plan *plan);

/* Logs its errors (no firmware found, ...), and the adjustments at notice
 * level. */
int plan_new(const Profile *p, Plan **ret);
Plan *plan_free(Plan *plan);
static inline void plan_freep(Plan **p) {
        plan_free(*p);
}
#define _cleanup_plan_ _cleanup_(plan_freep)

void plan_print(const Plan *plan, FILE *f);
/* What the guest's ACPI gets of the vBIOS ([gpu] rom-acpi) and why, a
 * sentence for `plan` and `check`; NULL without a GPU. */
int plan_rom_acpi_summary(const Plan *plan, char **ret);
int plan_to_json(const Plan *plan, json_t **ret);

/* The parts of plan_new() that decide what the guest sees of itself,
 * for the tests. */

/* Does the host's KVM offer KVM_CAP_* `cap`? (kvm_caps_has(), or a test's) */
typedef bool (*KvmHas)(const void *data, int cap);

/* The -cpu flags for the profile's guest OS: for windows the Hyper-V
 * enlightenments, each only if `offered` (the CPU model's properties,
 * qemu_cpu_properties(); NULL: not known, pass them all) has it, under KVM
 * only if `kvm_has` (NULL: not known) says the kernel emulates what it
 * needs, and with the enlightenments it builds on; without those that
 * cannot work under the profile's accel. What is left out goes to
 * `adjustments`, named. *ret_flags is NULL when there are none. */
int plan_cpu_flags(const Profile *p, char *const *offered, KvmHas kvm_has, const void *kvm_data, char ***ret_flags,
                   Strv *adjustments);

/* [gpu] rom-acpi: whether the guest's ACPI serves [gpu] rom with _ROM:
 * yes, no, or with auto for an NVIDIA GPU (from sysfs) in a portable
 * computer (its DMI chassis type) with a [gpu] rom. *ret_why is the
 * sentence `plan` and `check` show; NULL (and off) without a GPU. */
int plan_rom_acpi_decide(const HostContext *ctx, const Profile *p, bool *ret_on, char **ret_why);

/* The GPU's subsystem IDs for the guest, per [gpu] subsystem: the profile's;
 * none; or by default, for a display controller, the host's from sysfs.
 * *ret_set is false when nothing is to be passed (the reason, if any, goes
 * to `notes` when something could not be read, to `adjustments` when the
 * host has no IDs to give). */
int plan_gpu_subsystem(const HostContext *ctx, const Profile *p, bool *ret_set, QemuPciIds *ret_ids, Strv *notes,
                       Strv *adjustments);
