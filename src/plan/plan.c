/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <linux/kvm.h>
#include <sys/stat.h>

#include "host/host.h"
#include "handover/steps.h"
#include "host/kvm.h"
#include "basic/log.h"
#include "basic/test-switch.h"
#include "host/pci.h"
#include "plan/plan-internal.h"
#include "qemu/argv.h"
#include "qemu/caps.h"
#include "host/tap.h"
#include "qemu/tpm.h"

Plan *plan_free(Plan *plan) {
        if (!plan)
                return NULL;
        vm_paths_free(plan->paths);
        firmware_free(plan->firmware);
        strv_free(plan->gpu_functions);
        free(plan->battery_table);
        free(plan->rom_acpi_why);
        rom_acpi_done(&plan->rom_acpi);
        strv_free(plan->rom_tables);
        strv_free(plan->cpu_flags);
        host_steps_done(&plan->steps);
        json_decref(plan->expect);
        strv_done(&plan->argv);
        strv_done(&plan->tpm_argv);
        strv_done(&plan->notes);
        strv_done(&plan->holders);
        qemu_credentials_done(&plan->qemu_user);
        strv_done(&plan->adjustments);
        strv_done(&plan->input_nodes);
        strv_done(&plan->input_found);
        strv_done(&plan->host_missing);
        strv_done(&plan->power_buttons);
        free(plan);
        return NULL;
}

/* Hyper-V's enlightenments, as QEMU calls them: a Windows guest that finds
 * them uses the hypervisor's cheaper paths instead of emulated hardware.
 * Under KVM each needs the kernel to emulate its part (kvm_cap, besides
 * KVM_CAP_HYPERV itself), and some build on earlier ones (needs: indexes
 * into this table), as QEMU checks when it starts. */
#define HV_VPINDEX 3
#define HV_TIME 5
#define HV_SYNIC 6
static const struct {
        const char *property;
        const char *value;
        int kvm_cap;
        int needs[2];           /* -1: none */
} hyperv_flags[] = {
        /* no watchdog bug check when a vCPU was descheduled for a while */
        { "hv-relaxed", "on", KVM_CAP_HYPERV, { -1, -1 } },
        /* EOI and ICR through MSRs, without an exit per APIC access */
        { "hv-vapic", "on", KVM_CAP_HYPERV_VAPIC, { -1, -1 } },
        /* spin 8191 times before telling the hypervisor a lock is contended */
        { "hv-spinlocks", "0x1fff", KVM_CAP_HYPERV_SPIN, { -1, -1 } },
        /* the vCPU numbering that synic, tlbflush and ipi address CPUs by */
        [HV_VPINDEX] = { "hv-vpindex", "on", KVM_CAP_HYPERV_VP_INDEX, { -1, -1 } },
        { "hv-runtime", "on", KVM_CAP_HYPERV, { -1, -1 } },
        /* the reference TSC page: a clock that needs no exit */
        [HV_TIME] = { "hv-time", "on", KVM_CAP_HYPERV_TIME, { -1, -1 } },
        /* synthetic interrupt controller and timers: an idle Windows stops
         * ticking the emulated HPET/RTC hundreds of times a second */
        [HV_SYNIC] = { "hv-synic", "on", KVM_CAP_HYPERV_SYNIC, { HV_VPINDEX, -1 } },
        { "hv-stimer", "on", KVM_CAP_HYPERV, { HV_SYNIC, HV_TIME } },
        /* the TSC and APIC frequencies, so Windows does not measure them */
        { "hv-frequencies", "on", KVM_CAP_HYPERV, { -1, -1 } },
        /* TLB flushes and IPIs to other vCPUs as one hypercall, not one
         * exit per target vCPU */
        { "hv-tlbflush", "on", KVM_CAP_HYPERV_TLBFLUSH, { HV_VPINDEX, -1 } },
        { "hv-ipi", "on", KVM_CAP_HYPERV_SEND_IPI, { HV_VPINDEX, -1 } },
};

int plan_cpu_flags(const Profile *p, char *const *offered, KvmHas kvm_has, const void *kvm_data, char ***ret_flags,
                   Strv *adjustments) {
        _cleanup_strv_ Strv flags = { 0 };
        bool kept[ELEMENTSOF(hyperv_flags)] = { false };
        bool kvm = p->accel == ACCEL_KVM;
        int r;

        if (p->os != GUEST_OS_WINDOWS) {
                *ret_flags = NULL;
                return 0;
        }
        /* A kernel without Hyper-V emulation at all: the guest must not
         * see a Hyper-V CPUID and then find its registers missing */
        if (kvm && kvm_has && !kvm_has(kvm_data, KVM_CAP_HYPERV)) {
                r = strv_pushf(adjustments,
                               "every Hyper-V enlightenment left out: this kernel's KVM emulates no Hyper-V interface "
                               "(no KVM_CAP_HYPERV; Linux 6.8 and newer built without CONFIG_KVM_HYPERV); Windows runs, "
                               "with more exits and a busier idle");
                if (r < 0)
                        return r;
                *ret_flags = NULL;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(hyperv_flags); i++) {
                const char *f = hyperv_flags[i].property;
                const char *missing = NULL;

                for (size_t k = 0; k < ELEMENTSOF(hyperv_flags[i].needs); k++) {
                        int n = hyperv_flags[i].needs[k];
                        if (kvm && n >= 0 && !kept[n])
                                missing = hyperv_flags[n].property;
                }
                /* QEMU 7.2 (Debian 12's) checks hv-vpindex with KVM's
                 * capability even without KVM and refuses to start: "kernel
                 * doesn't allow setting HyperV VP_INDEX" */
                if (p->accel == ACCEL_TCG && streq(f, "hv-vpindex"))
                        r = strv_pushf(adjustments,
                                       "%s left out: QEMU 7.2 refuses it without KVM, and under accel = tcg the "
                                       "guest sees no Hyper-V interface anyway", f);
                else if (offered && !strv_contains(offered, f))
                        r = strv_pushf(adjustments, "%s left out: %s does not offer it (not a property of its %s CPU)",
                                       f, p->qemu_binary, qemu_cpu_model(p->accel));
                else if (kvm && kvm_has && !kvm_has(kvm_data, hyperv_flags[i].kvm_cap))
                        r = strv_pushf(adjustments, "%s left out: this kernel's KVM does not emulate it (KVM capability %d)",
                                       f, hyperv_flags[i].kvm_cap);
                else if (missing)
                        r = strv_pushf(adjustments, "%s left out: it builds on %s, which is left out", f, missing);
                else {
                        r = strv_pushf(&flags, "%s=%s", f, hyperv_flags[i].value);
                        kept[i] = true;
                }
                if (r < 0)
                        return r;
        }
        *ret_flags = TAKE_PTR(flags.v);
        flags = (Strv) { 0 };
        return 0;
}

static const char *caps_error(int r) {
        switch (r) {
        case -ETIMEDOUT:
                return "it did not answer in time";
        case -EIO:
                return "it exited with an error";
        case -EBADMSG:
                return "its answer lists no CPU properties";
        case -E2BIG:
                return "its answer is far longer than any help text";
        default:
                return STRERROR(r);
        }
}

static bool kvm_has_cap(const void *data, int cap) {
        return kvm_caps_has(data, cap);
}

/* What the installed QEMU and the running kernel offer decide the flags,
 * not a list of versions. */
static int plan_hyperv(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_strv_free_ char **offered = NULL;
        _cleanup_(kvm_caps_close) KvmCaps kvm = { .fd = -1 };
        int r;

        if (p->os != GUEST_OS_WINDOWS)
                return 0;
        /* without /dev/kvm there is a note already (accel = kvm), and the
         * flags are not filtered by what it offers */
        if (p->accel == ACCEL_KVM)
                (void) kvm_caps_open(ctx, &kvm);
        r = qemu_cpu_properties(p->qemu_binary, qemu_cpu_model(p->accel), QEMU_CAPS_TIMEOUT, &offered);
        if (r == -ENOMEM)
                return r;
        /* a QEMU that cannot be executed has its own note already */
        if (r < 0 && r != -ENOENT && r != -EACCES) {
                r = strv_pushf(&plan->notes,
                               "cannot ask %s which Hyper-V enlightenments its %s CPU offers (%s): all are passed "
                               "unchecked; see `%s -device %s-x86_64-cpu,help`",
                               p->qemu_binary, qemu_cpu_model(p->accel), caps_error(r), p->qemu_binary,
                               qemu_cpu_model(p->accel));
                if (r < 0)
                        return r;
        }
        return plan_cpu_flags(p, offered, kvm.fd >= 0 ? kvm_has_cap : NULL, &kvm, &plan->cpu_flags, &plan->adjustments);
}

/* [display] spice needs a QEMU with SPICE, asked of QEMU (`-spice help`):
 * where SPICE is a module of its own (QEMU 10 on Debian 13, the package
 * qemu-system-modules-spice) an installed QEMU can lack it. QEMU would
 * refuse its command line only after the handover: run and check refuse
 * before it. */
static int plan_display(Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_free_ char *said = NULL;
        int r;

        if (!p->spice_address)
                return 0;
        r = qemu_has_spice(p->qemu_binary, QEMU_CAPS_TIMEOUT, &said);
        if (r == -ENOMEM)
                return r;
        /* a QEMU that cannot be executed has its own note already */
        if (r > 0 || r == -ENOENT || r == -EACCES)
                return 0;
        if (r == 0)
                return strv_pushf(&plan->host_missing,
                                  "[display] spice: %s has no SPICE; `%s -spice help` says: %s. Install QEMU's SPICE "
                                  "module (on Debian 13 and later the package qemu-system-modules-spice), or remove "
                                  "[display] spice",
                                  p->qemu_binary, p->qemu_binary, said && *said ? said : "nothing");
        return strv_pushf(&plan->notes, "[display] spice: cannot ask %s whether it has SPICE (%s); see `%s -spice help`",
                          p->qemu_binary, caps_error(r), p->qemu_binary);
}

int plan_gpu_subsystem(const HostContext *ctx, const Profile *p, bool *ret_set, QemuPciIds *ret_ids, Strv *notes,
                       Strv *adjustments) {
        _cleanup_(pci_device_done) PciDevice d = { .iommu_group = -1 };
        int r;

        *ret_set = false;
        *ret_ids = (QemuPciIds) { 0 };
        if (!p->has_gpu || p->gpu_subsystem == GPU_SUBSYSTEM_NONE)
                return 0;
        if (p->gpu_subsystem == GPU_SUBSYSTEM_SET) {
                *ret_ids = (QemuPciIds) { p->gpu_subsystem_vendor, p->gpu_subsystem_device };
                *ret_set = true;
                return 0;
        }

        /* A laptop's GPU carries the notebook maker's subsystem IDs, which
         * NVIDIA's mobile driver checks; on many laptops the system
         * firmware writes them at power-on and the guest, after vfio-pci
         * has reset the device, reads 0000:0000 or the chip's generic
         * ones. The kernel read them at boot, so sysfs has the real ones. */
        r = pci_device_read(ctx, p->gpu_address, &d);
        if (r == -ENOENT)
                return strv_pushf(notes,
                                  "GPU %s is not present on this host, so its subsystem IDs cannot be read: the guest "
                                  "would see what the device shows; set [gpu] subsystem = VENDOR:DEVICE (lspci -nnv) "
                                  "to give them",
                                  p->gpu_address);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return strv_pushf(notes, "cannot read the subsystem IDs of GPU %s: %s", p->gpu_address, STRERROR(r));
        if (pci_class_base(d.class) != PCI_BASE_DISPLAY)
                return 0;
        if (d.subsystem_vendor == 0 || d.subsystem_vendor == 0xffff)
                return strv_pushf(adjustments,
                                  "GPU %s has no subsystem IDs in sysfs (%04x:%04x): none are passed; set [gpu] "
                                  "subsystem = VENDOR:DEVICE to give some",
                                  p->gpu_address, d.subsystem_vendor, d.subsystem_device);
        *ret_ids = (QemuPciIds) { d.subsystem_vendor, d.subsystem_device };
        *ret_set = true;
        return 0;
}

static int note_missing(Plan *plan, const char *what, const char *path, int mode) {
        if (access(path, mode) >= 0)
                return 0;
        return strv_pushf(&plan->notes, "%s %s: %s", what, path, strerror(errno));
}

static int collect_notes(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_free_ char *kvm = NULL;
        int r = 0;

        RET_GATHER(r, note_missing(plan, "QEMU binary", p->qemu_binary, X_OK));
        if (p->has_gpu) {
                _cleanup_free_ char *rel = NULL, *dev = NULL;
                if (asprintf(&rel, "/sys/bus/pci/devices/%s", p->gpu_address) < 0 || host_path(ctx, rel, &dev) < 0)
                        return -ENOMEM;
                if (access(dev, F_OK) < 0)
                        RET_GATHER(r, strv_pushf(&plan->notes, "GPU %s is not present on this host (no %s)",
                                                 p->gpu_address, dev));
        }
        if (p->accel == ACCEL_KVM) {
                if (host_path(ctx, "/dev/kvm", &kvm) < 0)
                        return -ENOMEM;
                RET_GATHER(r, note_missing(plan, "accel = kvm needs", kvm, R_OK | W_OK));
        }
        if (p->gpu_rom)
                RET_GATHER(r, note_missing(plan, "vBIOS ROM", p->gpu_rom, R_OK));
        if (p->tpm && access(SWTPM_BINARY, X_OK) < 0)
                RET_GATHER(r, strv_pushf(&plan->notes, "[vm] tpm = yes needs swtpm, the TPM emulator: %s: %s; install "
                                                       "swtpm (Debian: apt install swtpm swtpm-tools), or set [vm] tpm = no",
                                         SWTPM_BINARY, strerror(errno)));
        if (plan->battery_table && access(plan->battery_table, R_OK) < 0)
                RET_GATHER(r, strv_pushf(&plan->notes, "the fake battery's ACPI table %s: %s; `meson install` puts it "
                                                       "there (a test build run from its tree: VMRUN_DATA_DIR=BUILD_DIR/firmware)",
                                         plan->battery_table, strerror(errno)));
        for (size_t i = 0; i < p->n_disks; i++)
                RET_GATHER(r, note_missing(plan, "disk image", p->disks[i].file, R_OK));
        if (p->kernel)
                RET_GATHER(r, note_missing(plan, "kernel", p->kernel, R_OK));
        if (p->initrd)
                RET_GATHER(r, note_missing(plan, "initrd", p->initrd, R_OK));
        return r;
}

/* The files an earlier run's swtpm left (0600, its user's): given to this
 * run's user too, so that a changed [qemu] user still finds the TPM it had
 * (swtpm would otherwise fail on a state it may not read). QEMU's user
 * could write that directory: what else it put there (a link, a second
 * name of a file) is named, and neither followed nor given. */
static int plan_grant_tpm_state(const HostContext *ctx, Plan *plan, const QemuCredentials *c) {
        _cleanup_strv_free_ char **files = NULL, **others = NULL;
        int r;

        /* empty before the first run, which makes it */
        r = host_list_files(ctx, plan->paths->tpm_dir, &files, &others);
        if (r == -ELOOP || r == -ENOTDIR)
                return strv_pushf(&plan->host_missing, "the TPM's state %s is not a directory (a link?): it is not "
                                                       "followed; look at it, then remove it", plan->paths->tpm_dir);
        if (r < 0)
                return r;
        for (size_t i = 0; files[i]; i++) {
                _cleanup_free_ char *path = NULL;

                if (asprintf(&path, "%s/%s", plan->paths->tpm_dir, files[i]) < 0)
                        return -ENOMEM;
                r = host_steps_add_grant(&plan->steps, path, c->uid, c->gid, c->user);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; others[i]; i++) {
                r = strv_pushf(&plan->notes, "%s/%s is not a file of swtpm's (a link, a directory or a second name of "
                                             "a file, made by QEMU's user?): not given to %s, not followed; remove it",
                               plan->paths->tpm_dir, others[i], c->user);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* QEMU's user, and what it must be given for the run: the VM's files in
 * its state directory (the VARS copy, the TPM's state, often its disks and
 * kernel) and the VFIO group nodes, which are root's 0600 when vfio-pci
 * creates them. */
static int plan_qemu_user(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        const QemuCredentials *c = &plan->qemu_user;
        size_t n_steps = plan->steps.n;
        int r;

        r = qemu_credentials_lookup(p->qemu_user, &plan->qemu_user);
        if (r == -ENOENT)
                return strv_pushf(&plan->notes,
                                  "QEMU's user %s does not exist: create it with `systemd-sysusers` (vmrun ships "
                                  "sysusers.d/vmrun.conf) or `useradd --system --user-group --groups kvm --no-create-home "
                                  "--shell /usr/sbin/nologin %s`, or set [qemu] user = root",
                                  p->qemu_user, p->qemu_user);
        if (r < 0)
                return r;
        if (qemu_credentials_privileged(c))
                return strv_pushf(&plan->adjustments,
                                  "QEMU runs as %s (uid 0), as [qemu] user says: no privilege drop and no -sandbox",
                                  c->user);
        /* its state directory stays root's: QEMU's user gets the files in
         * it, never the right to add, remove or swap one */
        r = plan->firmware ? host_steps_add_grant(&plan->steps, plan->vars, c->uid, c->gid, c->user) : 0;
        /* swtpm runs as QEMU's user too, and writes its state there */
        if (r >= 0 && p->tpm)
                r = host_steps_add_grant(&plan->steps, plan->paths->tpm_dir, c->uid, c->gid, c->user);
        if (r >= 0 && p->tpm)
                r = plan_grant_tpm_state(ctx, plan, c);
        for (size_t i = 0; r >= 0 && i < p->n_disks; i++)
                r = host_steps_add_grant(&plan->steps, p->disks[i].file, c->uid, c->gid, c->user);
        /* the VM's own copies; files elsewhere stay whose they are and
         * must be readable (the supervisor checks, as QEMU's user) */
        const char *own[] = { p->kernel, p->initrd, p->gpu_rom };
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(own); i++) {
                const char *rest = own[i] ? startswith(own[i], plan->paths->state_dir) : NULL;
                if (rest && rest[0] == '/')
                        r = host_steps_add_grant(&plan->steps, own[i], c->uid, c->gid, c->user);
        }
        /* the GPU's _ROM tables, root's 0600 when the start writes them */
        for (size_t i = 0; r >= 0 && plan->rom_tables && plan->rom_tables[i]; i++)
                r = host_steps_add_grant(&plan->steps, plan->rom_tables[i], c->uid, c->gid, c->user);
        for (size_t i = 0, groups = 0; r >= 0 && i < n_steps; i++) {
                const HostStep *st = &plan->steps.steps[i];
                _cleanup_free_ char *node = NULL;

                if (!streq(st->type->name, "check-vfio-group"))
                        continue;
                /* the container node: 0666 where udev runs, root's alone
                 * where it does not */
                if (groups++ == 0)
                        r = host_steps_add_grant(&plan->steps, "/dev/vfio/vfio", c->uid, c->gid, c->user);
                if (r < 0)
                        break;
                if (asprintf(&node, "/dev/vfio/%" JSON_INTEGER_FORMAT,
                             json_integer_value(json_object_get(st->params, "group"))) < 0)
                        return -ENOMEM;
                r = host_steps_add_grant(&plan->steps, node, c->uid, c->gid, c->user);
        }
        /* the keyboards, mice and USB devices: root's (group input, or
         * 0664 for usbfs) until then */
        for (size_t i = 0; r >= 0 && i < plan->input_nodes.n; i++)
                r = host_steps_add_grant(&plan->steps, plan->input_nodes.v[i], c->uid, c->gid, c->user);
        return r;
}

uint64_t plan_hugepage_size(const Plan *plan) {
        return plan->hugepages.size ? plan->hugepages.size : 2ULL << 20;
}

/* [cpu] pin's topology and [memory] hugepages' pool, read from the host
 * under ctx; what does not fit is kept for plan_check_placement() (a
 * missing CPU, too few hugepages) or goes to adjustments (a topology
 * without SMT). With KVM on an AMD host, plan->topoext: without it the
 * guest does not see AMD's SMT threads. */
static int plan_placement(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        int r;

        if (p->cpu_pin.n > 0) {
                _cleanup_free_ char *flat = NULL;

                r = placement_topology(ctx, p->cpu_pin.v, p->cpu_pin.n, &plan->topology, &flat, &plan->cpu_missing);
                if (r == -ENOMEM)
                        return r;
                plan->cpu_error = r < 0 ? r : 0;
                plan->has_topology = r >= 0;
                if (flat) {
                        r = strv_consume(&plan->adjustments, TAKE_PTR(flat));
                        if (r < 0)
                                return r;
                }
        }
        if (p->hugepages) {
                r = placement_hugepages(ctx, p->hugepage_size, p->memory, &plan->hugepages);
                if (r == -ENOMEM)
                        return r;
                plan->hugepages_error = r < 0 ? r : 0;
        }
        if (p->accel == ACCEL_KVM) {
                _cleanup_free_ char *vendor = NULL;

                r = placement_cpu_vendor(ctx, &vendor);
                if (r == -ENOMEM)
                        return r;
                /* AMD's SMT threads are in CPUID leaves that -cpu host only
                 * fills with topoext; Intel's need nothing */
                plan->topoext = r >= 0 && streq(vendor, "AuthenticAMD");
        }
        return 0;
}

static const char *const *firmware_dirs(char ***ret_owned) {
        const char *e = test_switch("VMRUN_FIRMWARE_DIRS");
        _cleanup_strv_ Strv dirs = { 0 };
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        *ret_owned = NULL;
        if (!e)
                return firmware_default_dirs;
        copy = strdup(e);
        if (!copy)
                return NULL;
        for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save))
                if (strv_push(&dirs, t) < 0)
                        return NULL;
        if (!dirs.v && !(dirs.v = calloc(1, sizeof(char *))))
                return NULL;
        *ret_owned = TAKE_PTR(dirs.v);
        dirs = (Strv) { 0 };
        return (const char *const *) *ret_owned;
}

static int plan_paths(Plan *plan) {
        const Profile *p = plan->profile;
        int r;

        r = vm_paths_new(p->name, &plan->paths);
        if (r < 0)
                return log_oom();
        /* each kind its own store: one copied from the template without
         * keys would boot with Secure Boot off after a switch to
         * uefi-secure */
        plan->vars = p->firmware == FIRMWARE_UEFI_SECURE ? plan->paths->vars_secure : plan->paths->vars;
        return 0;
}

static int plan_firmware(Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_strv_free_ char **owned_dirs = NULL;
        const char *const *dirs;
        int r;

        if (p->firmware == FIRMWARE_BIOS)
                return 0;
        dirs = firmware_dirs(&owned_dirs);
        if (!dirs)
                return log_oom();
        r = firmware_find(dirs, p->firmware, "q35", &plan->firmware);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "%s: no %s firmware for q35 among QEMU's firmware descriptors "
                                       "(%s%s): install the ovmf package, or set [vm] firmware = bios",
                                       p->path, firmware_kind_to_string(p->firmware), dirs[0],
                                       dirs[0] && dirs[1] ? ", ..." : "");
        return 0;
}

/* The GPU's functions, the subsystem IDs it is given, the fake battery's
 * ACPI table and those with its _ROM. */
static int plan_gpu(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        int r;

        if (p->has_gpu) {
                r = plan_resolve_gpu_functions(ctx, plan);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return log_error_errno(r, "list the functions of %s in sysfs: %s", p->gpu_address, STRERROR(r));
        }

        r = plan_gpu_subsystem(ctx, p, &plan->has_gpu_subsystem, &plan->gpu_subsystem, &plan->notes,
                               &plan->adjustments);
        if (r < 0)
                return log_oom();

        if (p->has_gpu && p->gpu_fake_battery) {
                r = vm_data_file("fake-battery.aml", &plan->battery_table);
                if (r < 0)
                        return log_oom();
                if (strchr(plan->battery_table, ':'))
                        return log_error_errno(-EINVAL, "the fake battery's ACPI table %s has a ':' in its path, which "
                                                        "QEMU's -acpitable cannot take; install vmrun with a "
                                                        "DATADIR without one",
                                               plan->battery_table);
        }

        r = plan_rom_acpi(ctx, plan);
        if (r == -ENOMEM)
                return log_oom();
        return r;
}

static int plan_tpm(Plan *plan) {
        const Profile *p = plan->profile;
        int r;

        if (!p->tpm)
                return 0;
        r = tpm_swtpm_argv(plan->paths->tpm_dir, &plan->tpm_argv);
        if (r == -EINVAL)
                return log_error_errno(r, "%s: [vm] tpm: swtpm cannot be given a state directory with a ',' "
                                       "(%s); name the VM without one",
                                       p->path, plan->paths->tpm_dir);
        if (r < 0)
                return log_oom();
        return 0;
}

/* What the run changes on the host and what QEMU is given there: the host
 * steps, what is missing, the memory it may lock, the devices and the
 * files its user is given. */
static int plan_host_side(HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        int r;

        /* looks at the host (read-only) and logs what it cannot read */
        r = host_steps_plan(ctx, p, plan->gpu_functions, &plan->steps, &plan->notes, &plan->holders,
                            &plan->expect);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return r;

        r = collect_notes(ctx, plan);
        if (r < 0)
                return log_oom();

        /* VFIO pins all of guest RAM, and QEMU maps a little more (ROM
         * BARs, the IOMMU's tables): libvirt allows RAM + 1 GiB, and so
         * does vmrun */
        plan->memlock = p->has_gpu ? p->memory + (1ULL << 30) : 0;

        r = plan_host_devices(ctx, plan);
        if (r < 0)
                return log_oom();

        r = plan_qemu_user(ctx, plan);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "look up QEMU's user %s: %s", p->qemu_user, STRERROR(r));

        r = plan_power(ctx, plan);
        if (r < 0)
                return log_oom();
        return 0;
}

static int plan_qemu_argv(Plan *plan) {
        const Profile *p = plan->profile;
        int r;

        QemuConfig c = {
                .profile = p,
                .firmware = plan->firmware,
                .vars = plan->vars,
                .sandbox = plan->qemu_user.user && !qemu_credentials_privileged(&plan->qemu_user),
                .gpu_functions = plan->gpu_functions,
                .gpu_subsystem = plan->has_gpu_subsystem ? &plan->gpu_subsystem : NULL,
                .cpu_flags = plan->cpu_flags,
                .topoext = plan->topoext,
                .battery_table = plan->battery_table,
                .rom_tables = plan->rom_tables,
                .topology = plan->has_topology ? &plan->topology : NULL,
                /* a plan made where the pool cannot be read still shows
                 * the backend, with x86's usual size */
                .hugepage_size = p->hugepages ? plan_hugepage_size(plan) : 0,
        };
        r = qemu_argv_build(&c, &plan->argv);
        if (r == -E2BIG)
                return log_error_errno(r, "%s: too many devices for one slot or controller (a slot has 8 functions, "
                                       "q35's SATA controller 6 ports)", p->path);
        if (r == -EINVAL)
                return log_error_errno(r, "%s: a path QEMU cannot be given (a ':' in an -acpitable file)", p->path);
        if (r < 0)
                return log_oom();
        return 0;
}

int plan_new(const Profile *p, Plan **ret) {
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_(host_context_done) HostContext ctx = { .root = host_root(), .allow_classes = p->allow_classes };
        double t0 = log_elapsed();
        int r;

        plan = calloc(1, sizeof(Plan));
        if (!plan)
                return log_oom();
        plan->profile = p;

        r = plan_paths(plan);
        if (r < 0)
                return r;

        r = plan_firmware(plan);
        if (r < 0)
                return r;

        r = plan_gpu(&ctx, plan);
        if (r < 0)
                return r;

        r = plan_hyperv(&ctx, plan);
        if (r < 0)
                return log_oom();

        r = plan_display(plan);
        if (r < 0)
                return log_oom();

        r = plan_tpm(plan);
        if (r < 0)
                return r;

        r = plan_placement(&ctx, plan);
        if (r < 0)
                return log_oom();

        r = plan_host_side(&ctx, plan);
        if (r < 0)
                return r;

        r = plan_qemu_argv(plan);
        if (r < 0)
                return r;

        for (size_t i = 0; i < plan->adjustments.n; i++)
                log_notice("%s: %s", p->name, plan->adjustments.v[i]);

        log_debug("plan of %s made (%.0f ms)", p->name, (log_elapsed() - t0) * 1000);
        *ret = TAKE_PTR(plan);
        return 0;
}
