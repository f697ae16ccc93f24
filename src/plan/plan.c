/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <linux/kvm.h>
#include <sys/stat.h>

#include "host/host.h"
#include "handover/steps.h"
#include "host/kvm.h"
#include "basic/log.h"
#include "host/pci.h"
#include "plan/plan.h"
#include "qemu/argv.h"
#include "qemu/caps.h"
#include "host/tap.h"
#include "qemu/tpm.h"

const char *host_root(void) {
        const char *e = getenv("VMRUN_ROOT");
        return e && e[0] == '/' ? e : "/";
}

Plan *plan_free(Plan *plan) {
        if (!plan)
                return NULL;
        vm_paths_free(plan->paths);
        firmware_free(plan->firmware);
        strv_free(plan->gpu_functions);
        free(plan->battery_table);
        strv_free(plan->cpu_flags);
        host_steps_done(&plan->steps);
        json_decref(plan->expect);
        strv_done(&plan->argv);
        strv_done(&plan->tpm_argv);
        strv_done(&plan->notes);
        qemu_credentials_done(&plan->qemu_user);
        strv_done(&plan->adjustments);
        strv_done(&plan->input_nodes);
        strv_done(&plan->input_found);
        strv_done(&plan->host_missing);
        free(plan);
        return NULL;
}

/* The default companions: every other function of the GPU's slot, which
 * on a laptop is the HDMI/DP audio function at .1 (and on some cards USB-C
 * and UCSI controllers at .2/.3). They share the slot's reset and almost
 * always its IOMMU group, so they have to go along anyway. */
static int resolve_gpu_functions(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_free_ char *devices = NULL, *gpu = NULL;
        _cleanup_strv_ Strv found = { 0 };
        DIR *d;
        struct dirent *de;
        size_t slot_len = strlen(p->gpu_address) - 1; /* "0000:01:00." */
        int r;

        if (p->gpu_functions) {
                char **copy = calloc(strv_length(p->gpu_functions) + 1, sizeof(char *));
                if (!copy)
                        return -ENOMEM;
                for (size_t i = 0; p->gpu_functions[i]; i++)
                        if (!(copy[i] = strdup(p->gpu_functions[i]))) {
                                strv_free(copy);
                                return -ENOMEM;
                        }
                plan->gpu_functions = copy;
                return 0;
        }

        r = host_path(ctx, "/sys/bus/pci/devices", &devices);
        if (r < 0)
                return r;
        if (asprintf(&gpu, "%s/%s", devices, p->gpu_address) < 0)
                return -ENOMEM;
        if (access(gpu, F_OK) < 0) {
                r = strv_pushf(&plan->notes,
                               "GPU %s is not present on this host, so its companion functions cannot be listed: "
                               "only the GPU itself would be passed; set [gpu] functions = to name them",
                               p->gpu_address);
                if (r < 0)
                        return r;
                plan->gpu_functions = calloc(1, sizeof(char *));
                return plan->gpu_functions ? 0 : -ENOMEM;
        }

        d = opendir(devices);
        if (!d)
                return negative_errno();
        while ((de = readdir(d)))
                if (strncmp(de->d_name, p->gpu_address, slot_len) == 0 && strlen(de->d_name) == slot_len + 1 &&
                    !streq(de->d_name, p->gpu_address)) {
                        r = strv_push(&found, de->d_name);
                        if (r < 0) {
                                closedir(d);
                                return r;
                        }
                }
        closedir(d);

        if (!found.v && !(found.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        strv_sort(found.v);
        plan->gpu_functions = TAKE_PTR(found.v);
        found = (Strv) { 0 };
        return 0;
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
                                                       "there, or set VMRUN_DATA_DIR to BUILD_DIR/firmware",
                                         plan->battery_table, strerror(errno)));
        for (size_t i = 0; i < p->n_disks; i++)
                RET_GATHER(r, note_missing(plan, "disk image", p->disks[i].file, R_OK));
        if (p->kernel)
                RET_GATHER(r, note_missing(plan, "kernel", p->kernel, R_OK));
        if (p->initrd)
                RET_GATHER(r, note_missing(plan, "initrd", p->initrd, R_OK));
        return r;
}

/* ---- [input] and [usb]: the host's devices QEMU opens ---- */

static bool is_event_node(const char *path) {
        const char *n = startswith(path, "/dev/input/event");
        return n && *n && n[strspn(n, "0123456789")] == '\0';
}

/* An [input] evdev name (udev's by-id or by-path link, or the node) to its
 * /dev/input/eventN, which is what QEMU's user has to be given. */
static int plan_evdev(const HostContext *ctx, Plan *plan, const char *path) {
        _cleanup_free_ char *node = NULL;
        int r;

        r = host_follow(ctx, path, &node);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                return strv_pushf(&plan->host_missing,
                                  "[input] evdev %s is not there: is the device plugged in? `ls -l /dev/input/by-id` "
                                  "lists the keyboards and mice by name", path);
        if (r < 0)
                return strv_pushf(&plan->host_missing, "[input] evdev %s: %s", path, STRERROR(r));
        if (!is_event_node(node))
                return strv_pushf(&plan->host_missing,
                                  "[input] evdev %s leads to %s, not an event device (/dev/input/eventN): use the name "
                                  "ending in -event-kbd or -event-mouse", path, node);
        r = strv_pushf(&plan->input_found, "%s -> %s", path, node);
        if (r >= 0 && !strv_contains(plan->input_nodes.v, node))
                r = strv_push(&plan->input_nodes, node);
        return r;
}

/* /sys/bus/usb/devices/DEV/ATTR as a number in `base` */
static int usb_attr(const HostContext *ctx, const char *dev, const char *attr, int base, unsigned long *ret) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "/sys/bus/usb/devices/%s/%s", dev, attr) < 0)
                return -ENOMEM;
        return host_read_unsigned(ctx, path, base, ret);
}

/* A USB disk or network adapter may be what the host runs on, or the
 * connection the user is on: as for PCI devices, [host] allow-classes must
 * name the class. The class is per interface (bInterfaceClass of each
 * NAME:CONFIG.INTERFACE), so a composite device is looked at whole. */
static int usb_class_check(const HostContext *ctx, Plan *plan, const UsbId *id, const char *name, char *const *all) {
        static const struct {
                unsigned long class;
                unsigned allow;
                const char *what;
        } protected[] = {
                { 0x08, HOST_ALLOW_STORAGE, "a USB disk (mass storage)" },
                { 0x02, HOST_ALLOW_NETWORK, "a USB network adapter (communications)" },
                { 0x0a, HOST_ALLOW_NETWORK, "a USB network adapter (CDC data)" },
                { 0xe0, HOST_ALLOW_NETWORK, "a wireless controller (Bluetooth or RNDIS)" },
        };
        size_t len = strlen(name);

        for (size_t i = 0; all[i]; i++) {
                _cleanup_free_ char *path = NULL;
                unsigned long class;

                if (strncmp(all[i], name, len) != 0 || all[i][len] != ':')
                        continue;
                if (asprintf(&path, "/sys/bus/usb/devices/%s/bInterfaceClass", all[i]) < 0)
                        return -ENOMEM;
                if (host_read_hex(ctx, path, &class) < 0)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(protected); k++)
                        if (class == protected[k].class && !(plan->profile->allow_classes & protected[k].allow))
                                return strv_pushf(&plan->host_missing,
                                                  "[usb] device %04x:%04x (%s) is %s, interface %s: the host may need it; "
                                                  "vmrun gives it to the guest only with [host] allow-classes = %s",
                                                  id->vendor, id->product, name, protected[k].what, all[i],
                                                  protected[k].allow == HOST_ALLOW_STORAGE ? "storage" : "network");
        }
        return 0;
}

/* Every USB device with the IDs: QEMU takes the first it finds, and the
 * node of each (usbfs: /dev/bus/usb/BBB/DDD) goes to QEMU's user. */
static int plan_usb(const HostContext *ctx, Plan *plan, const UsbId *id, char *const *usb) {
        size_t matches = 0;
        int r;

        for (size_t i = 0; usb[i]; i++) {
                _cleanup_free_ char *node = NULL;
                unsigned long vendor, product, bus, dev;

                /* devices, not their interfaces (1-2:1.0) */
                if (strchr(usb[i], ':'))
                        continue;
                if (usb_attr(ctx, usb[i], "idVendor", 16, &vendor) < 0 ||
                    usb_attr(ctx, usb[i], "idProduct", 16, &product) < 0 || vendor != id->vendor ||
                    product != id->product)
                        continue;
                matches++;
                r = usb_class_check(ctx, plan, id, usb[i], usb);
                if (r < 0)
                        return r;
                if (usb_attr(ctx, usb[i], "busnum", 10, &bus) < 0 || usb_attr(ctx, usb[i], "devnum", 10, &dev) < 0 ||
                    bus > 999 || dev > 999) {
                        r = strv_pushf(&plan->host_missing, "USB device %04x:%04x (%s): cannot read its bus and device "
                                       "numbers in /sys/bus/usb/devices/%s", id->vendor, id->product, usb[i], usb[i]);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (asprintf(&node, "/dev/bus/usb/%03lu/%03lu", bus, dev) < 0)
                        return -ENOMEM;
                if (!host_exists(ctx, node))
                        r = strv_pushf(&plan->host_missing, "USB device %04x:%04x (%s) has no node %s", id->vendor,
                                       id->product, usb[i], node);
                else {
                        r = strv_pushf(&plan->input_found, "%04x:%04x -> USB device %s, %s", id->vendor, id->product,
                                       usb[i], node);
                        if (r >= 0)
                                r = strv_push(&plan->input_nodes, node);
                }
                if (r < 0)
                        return r;
        }
        if (matches == 0)
                return strv_pushf(&plan->host_missing,
                                  "[usb] device %04x:%04x is not plugged in (no /sys/bus/usb/devices/*/idVendor, "
                                  "idProduct match it); `lsusb` lists what is", id->vendor, id->product);
        return 0;
}

/* The tap vmrun makes at start needs the bridge to be there already: it is
 * the host's network, not vmrun's to make. */
static int plan_bridge(const HostContext *ctx, Plan *plan) {
        const char *br = plan->profile->bridge;
        int r = tap_check_bridge(ctx, br);

        if (r == -ENODEV)
                return strv_pushf(&plan->host_missing,
                                  "[network] bridge %s is not there (`ip -br link`); make it first (NetworkManager: `nmcli "
                                  "connection add type bridge ifname %s`, or systemd-networkd), or use mode = user",
                                  br, br);
        if (r == -ENOTTY)
                return strv_pushf(&plan->host_missing,
                                  "[network] bridge %s is a network interface but not a bridge (no /sys/class/net/%s/bridge); "
                                  "name the bridge the host's network is on, or use mode = user",
                                  br, br);
        return r;
}

/* A device the profile names and this host lacks is a note for `plan` (it
 * may be made anywhere) and an error for `check` and `run`: QEMU would
 * fail on a missing event device after the handover, and a USB device
 * plugged in later would not be QEMU's user's to open. */
static int plan_input(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_strv_free_ char **usb = NULL;
        int r = 0;

        for (size_t i = 0; r >= 0 && p->input_evdev && p->input_evdev[i]; i++)
                r = plan_evdev(ctx, plan, p->input_evdev[i]);
        /* the bus once, for every [usb] id; in order, so that the first
         * match is the one QEMU would take */
        if (r >= 0 && p->n_usb_devices > 0) {
                r = host_list_dir(ctx, "/sys/bus/usb/devices", &usb);
                if (r >= 0)
                        strv_sort(usb);
                /* a host without a readable USB bus has none of them */
                else if (r != -ENOMEM)
                        r = 0;
        }
        for (size_t i = 0; r >= 0 && i < p->n_usb_devices; i++)
                r = plan_usb(ctx, plan, &p->usb_devices[i], usb ? usb : (char *const[]) { NULL });
        if (r >= 0 && p->network == NETWORK_BRIDGE)
                r = plan_bridge(ctx, plan);
        for (size_t i = 0; r >= 0 && i < plan->host_missing.n; i++)
                r = strv_push(&plan->notes, plan->host_missing.v[i]);
        return r;
}

/* The files an earlier run's swtpm left (0600, its user's): given to this
 * run's user too, so that a changed [qemu] user still finds the TPM it had
 * (swtpm would otherwise fail on a state it may not read). */
static int plan_grant_tpm_state(const HostContext *ctx, Plan *plan, const QemuCredentials *c) {
        _cleanup_strv_free_ char **files = NULL;
        int r;

        /* empty before the first run, which makes it */
        r = host_list_dir(ctx, plan->paths->tpm_dir, &files);
        if (r < 0)
                return r;
        strv_sort(files);
        for (size_t i = 0; files[i]; i++) {
                _cleanup_free_ char *path = NULL;

                if (asprintf(&path, "%s/%s", plan->paths->tpm_dir, files[i]) < 0)
                        return -ENOMEM;
                r = host_steps_add_grant(&plan->steps, path, c->uid, c->gid, c->user);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* QEMU's user, and what it must be given for the run: the VM's state
 * directory (the VARS copy, often its disks and kernel) and the VFIO group
 * nodes, which are root's 0600 when vfio-pci creates them. */
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
        r = host_steps_add_grant(&plan->steps, plan->paths->state_dir, c->uid, c->gid, c->user);
        if (r >= 0 && plan->firmware)
                r = host_steps_add_grant(&plan->steps, plan->vars, c->uid, c->gid, c->user);
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

int plan_check_memlock(const Plan *plan) {
        uint64_t hard;
        int r;

        r = privileges_memlock_check(plan->memlock, &hard);
        if (r == -EPERM)
                return log_error_errno(r, "VFIO pins guest RAM: QEMU needs a locked-memory limit of %llu MiB, but the "
                                          "hard limit is %llu MiB and vmrun lacks CAP_SYS_RESOURCE to raise it; run "
                                          "vmrun as root outside a container, or raise LimitMEMLOCK= / "
                                          "/etc/security/limits.conf",
                                       (unsigned long long) (plan->memlock >> 20), (unsigned long long) (hard >> 20));
        if (r < 0)
                return log_error_errno(r, "read the locked-memory limit: %s", STRERROR(r));
        return 0;
}

/* The hugepages the guest's RAM is on: x86's 2 MiB when the host's pool
 * could not be read (the plan says why) */
static uint64_t hugepage_size(const Plan *plan) {
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

int plan_check_placement(const Plan *plan) {
        const Profile *p = plan->profile;
        const Hugepages *h = &plan->hugepages;
        char size[32];
        int r = 0;

        if (plan->cpu_error == -ENOENT)
                RET_GATHER(r, log_error_errno(plan->cpu_error,
                                              "[cpu] pin names host CPU %u, which this host does not have or is offline "
                                              "(no /sys/devices/system/cpu/cpu%u/topology); `lscpu -e` lists them",
                                              plan->cpu_missing, plan->cpu_missing));
        else if (plan->cpu_error < 0)
                RET_GATHER(r, log_error_errno(plan->cpu_error, "[cpu] pin: cannot read the host CPUs' topology: %s",
                                              STRERROR(plan->cpu_error)));
        if (!p->hugepages)
                return r;

        hugepage_size_to_string(h->size, size);
        switch (plan->hugepages_error) {
        case 0:
                break;
        case -EOPNOTSUPP:
                return log_error_errno(plan->hugepages_error,
                                       "[memory] hugepages: this kernel has no hugepages (no /sys/kernel/mm/hugepages, "
                                       "CONFIG_HUGETLBFS); set hugepages = no");
        case -ENOENT:
                return log_error_errno(plan->hugepages_error,
                                       "[memory] hugepages: this host has no %s pages (no "
                                       "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB)%s",
                                       size, h->size >> 10,
                                       h->size == 1ULL << 30 ? "; 1 GiB pages need a CPU with pdpe1gb (grep pdpe1gb "
                                                               "/proc/cpuinfo), else use 2M"
                                                             : "");
        case -ERANGE:
                return log_error_errno(plan->hugepages_error,
                                       "[memory] hugepages: [vm] memory = %" PRIu64 "M is not a whole number of this "
                                       "host's %s pages",
                                       p->memory >> 20, size);
        default:
                return log_error_errno(plan->hugepages_error, "[memory] hugepages: cannot read the pool of %s pages: %s",
                                       size, STRERROR(plan->hugepages_error));
        }
        if (h->available < h->needed) {
                if (h->size >= 1ULL << 30)
                        return log_error_errno(-ENOMEM,
                                               "[memory] hugepages: guest RAM needs %" PRIu64 " pages of %s, %" PRIu64
                                               " are free (of %" PRIu64 "); 1 GiB pages are best reserved at boot: "
                                               "hugepagesz=1G hugepages=%" PRIu64 " on the kernel command line",
                                               h->needed, size, h->available, h->total,
                                               h->total + h->needed - h->available);
                return log_error_errno(-ENOMEM,
                                       "[memory] hugepages: guest RAM needs %" PRIu64 " pages of %s, %" PRIu64
                                       " are free (of %" PRIu64 "); reserve more: echo %" PRIu64
                                       " > /sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages (or "
                                       "vm.nr_hugepages in /etc/sysctl.d)",
                                       h->needed, size, h->available, h->total, h->total + h->needed - h->available,
                                       h->size >> 10);
        }
        log_info("hugepages: guest RAM needs %" PRIu64 " pages of %s, %" PRIu64 " are free (of %" PRIu64 ")", h->needed,
                 size, h->available, h->total);
        return r;
}

static const char *const *firmware_dirs(char ***ret_owned) {
        const char *e = getenv("VMRUN_FIRMWARE_DIRS");
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

int plan_new(const Profile *p, Plan **ret) {
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_strv_free_ char **owned_dirs = NULL;
        _cleanup_(host_context_done) HostContext ctx = { .root = host_root(), .allow_classes = p->allow_classes };
        int r;

        plan = calloc(1, sizeof(Plan));
        if (!plan)
                return log_oom();
        plan->profile = p;

        r = vm_paths_new(p->name, &plan->paths);
        if (r < 0)
                return log_oom();
        /* each kind its own store: one copied from the template without
         * keys would boot with Secure Boot off after a switch to
         * uefi-secure */
        plan->vars = p->firmware == FIRMWARE_UEFI_SECURE ? plan->paths->vars_secure : plan->paths->vars;

        if (p->firmware != FIRMWARE_BIOS) {
                const char *const *dirs = firmware_dirs(&owned_dirs);
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
        }

        if (p->has_gpu) {
                r = resolve_gpu_functions(&ctx, plan);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return log_error_errno(r, "list the functions of %s in sysfs: %s", p->gpu_address, STRERROR(r));
        }

        r = plan_gpu_subsystem(&ctx, p, &plan->has_gpu_subsystem, &plan->gpu_subsystem, &plan->notes,
                               &plan->adjustments);
        if (r < 0)
                return log_oom();

        if (p->has_gpu && p->gpu_fake_battery) {
                r = vm_data_file("fake-battery.aml", &plan->battery_table);
                if (r < 0)
                        return log_oom();
                if (strchr(plan->battery_table, ':'))
                        return log_error_errno(-EINVAL, "the fake battery's ACPI table %s has a ':' in its path, which "
                                                        "QEMU's -acpitable cannot take; set VMRUN_DATA_DIR to a "
                                                        "directory without one",
                                               plan->battery_table);
        }

        r = plan_hyperv(&ctx, plan);
        if (r < 0)
                return log_oom();

        if (p->tpm) {
                r = tpm_swtpm_argv(plan->paths->tpm_dir, &plan->tpm_argv);
                if (r == -EINVAL)
                        return log_error_errno(r, "%s: [vm] tpm: swtpm cannot be given a state directory with a ',' "
                                               "(%s); set VMRUN_STATE_DIR to a directory without one",
                                               p->path, plan->paths->tpm_dir);
                if (r < 0)
                        return log_oom();
        }

        r = plan_placement(&ctx, plan);
        if (r < 0)
                return log_oom();

        /* looks at the host (read-only) and logs what it cannot read */
        r = host_steps_plan(&ctx, p, plan->gpu_functions, &plan->steps, &plan->notes, &plan->expect);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return r;

        r = collect_notes(&ctx, plan);
        if (r < 0)
                return log_oom();

        /* VFIO pins all of guest RAM, and QEMU maps a little more (ROM
         * BARs, the IOMMU's tables): libvirt allows RAM + 1 GiB, and so
         * does vmrun */
        plan->memlock = p->has_gpu ? p->memory + (1ULL << 30) : 0;

        r = plan_input(&ctx, plan);
        if (r < 0)
                return log_oom();

        r = plan_qemu_user(&ctx, plan);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "look up QEMU's user %s: %s", p->qemu_user, STRERROR(r));

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
                .topology = plan->has_topology ? &plan->topology : NULL,
                /* a plan made where the pool cannot be read still shows
                 * the backend, with x86's usual size */
                .hugepage_size = p->hugepages ? hugepage_size(plan) : 0,
        };
        r = qemu_argv_build(&c, &plan->argv);
        if (r == -E2BIG)
                return log_error_errno(r, "%s: too many devices for one slot or controller (a slot has 8 functions, "
                                       "q35's SATA controller 6 ports)", p->path);
        if (r == -EINVAL)
                return log_error_errno(r, "%s: a path QEMU cannot be given (a ':' in an -acpitable file)", p->path);
        if (r < 0)
                return log_oom();

        for (size_t i = 0; i < plan->adjustments.n; i++)
                log_notice("%s: %s", p->name, plan->adjustments.v[i]);

        *ret = TAKE_PTR(plan);
        return 0;
}

/* For display only: quote what a shell would split, so the printed line
 * can be pasted. vmrun itself never goes through a shell. */
static void print_quoted(FILE *f, const char *s) {
        if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%") == strlen(s)) {
                fputs(s, f);
                return;
        }
        fputc('\'', f);
        for (; *s; s++)
                if (*s == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*s, f);
        fputc('\'', f);
}

void plan_print(const Plan *plan, FILE *f) {
        const Profile *p = plan->profile;

        fprintf(f, "VM %s, from %s\n", p->name, p->path);
        fprintf(f, "  runtime   %s (QMP for clients: %s)\n", plan->paths->run_dir, plan->paths->qmp_public);
        fprintf(f, "  state     %s\n", plan->paths->state_dir);
        if (plan->firmware)
                fprintf(f, "  firmware  %s\n            code %s, variables %s (copied once from %s)%s\n",
                        plan->firmware->descriptor, plan->firmware->code, plan->vars,
                        strempty(plan->firmware->vars_template), plan->firmware->requires_smm ? ", SMM on" : "");
        else
                fprintf(f, "  firmware  SeaBIOS (QEMU's default BIOS)\n");
        if (p->tpm)
                fprintf(f, "  tpm       TPM 2.0 (tpm-crb) from swtpm, started before QEMU as %s, stopped after it; "
                           "state in %s\n",
                        plan->qemu_user.user ? plan->qemu_user.user : p->qemu_user, plan->paths->tpm_dir);
        if (p->network == NETWORK_BRIDGE)
                fprintf(f, "  network   a tap on bridge %s, made by vmrun at start and handed to QEMU (-netdev tap,fd=); "
                           "it goes with QEMU\n",
                        p->bridge);
        if (p->has_gpu) {
                fprintf(f, "  gpu       %s", p->gpu_address);
                for (size_t i = 0; plan->gpu_functions[i]; i++)
                        fprintf(f, " + %s", plan->gpu_functions[i]);
                fprintf(f, "%s%s\n", p->gpu_rom ? ", vBIOS " : ", no vBIOS ROM", strempty(p->gpu_rom));
                if (plan->has_gpu_subsystem)
                        fprintf(f, "            subsystem %04x:%04x (%s)\n", plan->gpu_subsystem.vendor,
                                plan->gpu_subsystem.device,
                                p->gpu_subsystem == GPU_SUBSYSTEM_SET ? "[gpu] subsystem" : "the host's, from sysfs");
                else
                        fprintf(f, "            subsystem: what the device shows (%s)\n",
                                p->gpu_subsystem == GPU_SUBSYSTEM_NONE ? "[gpu] subsystem = none" : "none read from the host");
                if (plan->battery_table)
                        fprintf(f, "            fake battery: ACPI table %s\n", plan->battery_table);
                fprintf(f, "            backlight: %s\n",
                        p->gpu_backlight == GPU_BACKLIGHT_MAX
                                ? "max, before the host driver goes; put back after ([gpu] backlight = max)"
                                : "left as it is; put back after if it changed ([gpu] backlight = keep)");
        }
        if (p->input_evdev) {
                fprintf(f, "  input     ");
                for (size_t i = 0; p->input_evdev[i]; i++)
                        fprintf(f, "%s%s", i > 0 ? ", " : "", p->input_evdev[i]);
                fprintf(f, "\n            grabbed by QEMU (input-linux); %s switch them between guest and host "
                           "([input] grab-toggle = %s)\n",
                        grab_toggle_keys(p->grab_toggle), grab_toggle_to_string(p->grab_toggle));
        }
        if (p->n_usb_devices > 0) {
                fprintf(f, "  usb       ");
                for (size_t i = 0; i < p->n_usb_devices; i++)
                        fprintf(f, "%s%04x:%04x", i > 0 ? ", " : "", p->usb_devices[i].vendor,
                                p->usb_devices[i].product);
                fprintf(f, " (usb-host on a qemu-xhci controller; QEMU takes the first device with those IDs)\n");
        }
        for (size_t i = 0; i < plan->input_found.n; i++)
                fprintf(f, "            found: %s\n", plan->input_found.v[i]);
        fprintf(f, "  guest os  %s", guest_os_to_string(p->os));
        if (plan->cpu_flags) {
                fprintf(f, ", Hyper-V enlightenments:");
                for (size_t i = 0; plan->cpu_flags[i]; i++)
                        fprintf(f, " %s", plan->cpu_flags[i]);
        }
        fputc('\n', f);
        if (p->cpu_pin.n > 0) {
                fprintf(f, "  cpus      vCPU → host CPU:");
                for (size_t i = 0; i < p->cpu_pin.n; i++)
                        fprintf(f, " %zu→%u", i, p->cpu_pin.v[i]);
                if (p->emulator_pin.n > 0) {
                        fprintf(f, "; QEMU's other threads on");
                        for (size_t i = 0; i < p->emulator_pin.n; i++)
                                fprintf(f, "%s%u", i ? "," : " ", p->emulator_pin.v[i]);
                }
                fprintf(f, " (pinned before the guest starts)\n");
                if (plan->has_topology)
                        fprintf(f, "            topology: %u socket, %u core%s of %u thread%s, as the pinned CPUs are\n",
                                plan->topology.sockets, plan->topology.cores, plan->topology.cores == 1 ? "" : "s",
                                plan->topology.threads, plan->topology.threads == 1 ? "" : "s");
                else if (plan->cpu_error == -ENOENT)
                        fprintf(f, "            host CPU %u is not on this host\n", plan->cpu_missing);
        }
        fprintf(f, "  memory    %" PRIu64 " MiB", p->memory >> 20);
        if (p->hugepages) {
                char size[32];

                hugepage_size_to_string(hugepage_size(plan), size);
                if (plan->hugepages_error == 0)
                        fprintf(f, " on %" PRIu64 " hugepages of %s, preallocated; %" PRIu64 " free here (of %" PRIu64
                                   ")%s\n",
                                plan->hugepages.needed, size, plan->hugepages.available, plan->hugepages.total,
                                plan->hugepages.available < plan->hugepages.needed ? ": too few (`vmrun check`)" : "");
                else
                        fprintf(f, " on hugepages of %s, preallocated; this host's pool: %s (`vmrun check`)\n", size,
                                plan->hugepages_error == -ERANGE ? "not a whole number of its pages"
                                : plan->hugepages_error == -EOPNOTSUPP || plan->hugepages_error == -ENOENT
                                        ? "none of that size"
                                        : STRERROR(plan->hugepages_error));
        } else
                fprintf(f, ", ordinary pages ([memory] hugepages = no)\n");

        fprintf(f, "\nHost steps (%zu):\n", plan->steps.n);
        if (plan->steps.n == 0)
                fprintf(f, "  none: nothing on the host changes\n");
        for (size_t i = 0; i < plan->steps.n; i++)
                fprintf(f, "  %2zu. %s\n", i + 1, plan->steps.steps[i].summary);

        fprintf(f, "\nQEMU command line (exec'd directly, no shell):\n  ");
        for (size_t i = 0; i < plan->argv.n; i++) {
                const char *a = plan->argv.v[i];
                if (i > 0)
                        fputs(a[0] == '-' ? " \\\n    " : " ", f);
                print_quoted(f, a);
        }
        fprintf(f, "\n  with fd %d: the supervisor's QMP connection (one end of a socket pair)\n"
                   "       fd %d: QMP for clients, listening on %s (mode 0600)\n",
                QEMU_FD_QMP_SUPERVISOR, QEMU_FD_QMP_PUBLIC, plan->paths->qmp_public);
        if (plan->tpm_argv.n > 0) {
                fprintf(f, "       fd %d: swtpm's control channel (one end of a socket pair)\n", QEMU_FD_TPM);
                fprintf(f, "\nswtpm command line (the other end as fd %d):\n  ", SWTPM_FD_CTRL);
                for (size_t i = 0; i < plan->tpm_argv.n; i++) {
                        if (i > 0)
                                fputc(' ', f);
                        print_quoted(f, plan->tpm_argv.v[i]);
                }
                fputc('\n', f);
        }

        if (plan->adjustments.n > 0) {
                fprintf(f, "\nAdjusted to this host:\n");
                for (size_t i = 0; i < plan->adjustments.n; i++)
                        fprintf(f, "  - %s\n", plan->adjustments.v[i]);
        }
        if (plan->notes.n > 0) {
                fprintf(f, "\nCould not check on this host:\n");
                for (size_t i = 0; i < plan->notes.n; i++)
                        fprintf(f, "  - %s\n", plan->notes.v[i]);
        }
}

static json_t *strv_to_json(char *const *l) {
        json_t *a = json_array();

        for (size_t i = 0; a && l && l[i]; i++)
                if (json_array_append_new(a, json_string(l[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *cpus_to_json(const CpuList *l) {
        json_t *a = json_array();

        for (size_t i = 0; a && i < l->n; i++)
                if (json_array_append_new(a, json_integer(l->v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static int placement_to_json(const Plan *plan, json_t **ret) {
        const Profile *p = plan->profile;
        _cleanup_json_ json_t *pl = NULL;

        pl = json_pack("{s:o, s:o}", "pin", cpus_to_json(&p->cpu_pin), "emulator_pin", cpus_to_json(&p->emulator_pin));
        if (!pl)
                return -ENOMEM;
        if (plan->has_topology &&
            json_object_set_new(pl, "topology", json_pack("{s:i, s:i, s:i}", "sockets", plan->topology.sockets, "cores",
                                                          plan->topology.cores, "threads", plan->topology.threads)) < 0)
                return -ENOMEM;
        if (p->hugepages && plan->hugepages_error == 0 &&
            json_object_set_new(pl, "hugepages",
                                json_pack("{s:I, s:I, s:I, s:I}", "size", (json_int_t) plan->hugepages.size, "needed",
                                          (json_int_t) plan->hugepages.needed, "available",
                                          (json_int_t) plan->hugepages.available, "total",
                                          (json_int_t) plan->hugepages.total)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(pl);
        return 0;
}

int plan_to_json(const Plan *plan, json_t **ret) {
        const Profile *p = plan->profile;
        _cleanup_json_ json_t *j = NULL, *steps = json_array();

        if (!steps)
                return -ENOMEM;
        for (size_t i = 0; i < plan->steps.n; i++)
                if (json_array_append_new(steps, json_pack("{s:s, s:s, s:O}", "type", plan->steps.steps[i].type->name,
                                                           "summary", plan->steps.steps[i].summary, "params",
                                                           plan->steps.steps[i].params)) < 0)
                        return -ENOMEM;

        j = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:o, s:O, s:o, s:o, s:o}",
                      "name", p->name, "profile", p->path,
                      "paths", "run", plan->paths->run_dir, "state", plan->paths->state_dir, "qmp", plan->paths->qmp_public,
                      "journal", plan->paths->journal,
                      "os", guest_os_to_string(p->os),
                      "cpu_flags", strv_to_json(plan->cpu_flags),
                      "host_steps", steps,
                      "argv", strv_to_json(plan->argv.v),
                      "notes", strv_to_json(plan->notes.v),
                      "adjustments", strv_to_json(plan->adjustments.v));
        if (!j)
                return -ENOMEM;
        if (plan->firmware &&
            json_object_set_new(j, "firmware", json_pack("{s:s, s:s, s:s?, s:s, s:b}", "descriptor",
                                                         plan->firmware->descriptor, "code", plan->firmware->code,
                                                         "vars_template", plan->firmware->vars_template, "vars",
                                                         plan->vars, "smm", plan->firmware->requires_smm)) < 0)
                return -ENOMEM;
        if (p->tpm && json_object_set_new(j, "tpm", json_pack("{s:s, s:o}", "state", plan->paths->tpm_dir, "argv",
                                                              strv_to_json(plan->tpm_argv.v))) < 0)
                return -ENOMEM;
        if (p->has_gpu) {
                char subsystem[16];

                snprintf(subsystem, sizeof subsystem, "%04x:%04x", plan->gpu_subsystem.vendor, plan->gpu_subsystem.device);
                if (json_object_set_new(j, "gpu", json_pack("{s:s, s:o, s:s?, s:s?, s:s?, s:s}", "address", p->gpu_address,
                                                            "functions", strv_to_json(plan->gpu_functions), "rom",
                                                            p->gpu_rom, "subsystem",
                                                            plan->has_gpu_subsystem ? subsystem : NULL,
                                                            "fake_battery", plan->battery_table, "backlight",
                                                            gpu_backlight_to_string(p->gpu_backlight))) < 0)
                        return -ENOMEM;
        }
        if (p->cpu_pin.n > 0 || p->hugepages) {
                json_t *pl = NULL;

                if (placement_to_json(plan, &pl) < 0 || json_object_set_new(j, "placement", pl) < 0)
                        return -ENOMEM;
        }
        if (p->input_evdev || p->n_usb_devices > 0) {
                json_t *usb = json_array();

                for (size_t i = 0; usb && i < p->n_usb_devices; i++) {
                        char id[16];

                        snprintf(id, sizeof id, "%04x:%04x", p->usb_devices[i].vendor, p->usb_devices[i].product);
                        if (json_array_append_new(usb, json_string(id)) < 0)
                                return json_decref(usb), -ENOMEM;
                }
                if (!usb || json_object_set_new(j, "input", json_pack("{s:o, s:s, s:o, s:o}", "evdev",
                                                                      strv_to_json(p->input_evdev), "grab_toggle",
                                                                      grab_toggle_to_string(p->grab_toggle), "usb", usb,
                                                                      "nodes", strv_to_json(plan->input_nodes.v))) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(j);
        return 0;
}
