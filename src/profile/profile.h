/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The profile: one INI file per VM (libinih syntax), read into a Profile.
 * Unknown sections and keys are errors, as are keys given twice: a typo
 * must never silently drop a setting. Every error names file:line, the
 * section and key, and what is allowed. */

#include "basic/util.h"

/* [vm] firmware: SeaBIOS, or OVMF picked by qemu/firmware.c */
typedef enum FirmwareKind {
        FIRMWARE_BIOS,          /* SeaBIOS, QEMU's default: no descriptor */
        FIRMWARE_UEFI,          /* OVMF that boots unsigned guests: no enrolled-keys;
                                 * preferably without requires-smm, then without secure-boot */
        FIRMWARE_UEFI_SECURE,   /* OVMF with secure-boot + enrolled-keys, preferably requires-smm */
        _FIRMWARE_KIND_MAX,
} FirmwareKind;

const char *firmware_kind_to_string(FirmwareKind k);
int firmware_kind_from_string(const char *s);  /* kind, or -EINVAL */

typedef enum Accel {
        ACCEL_KVM,
        ACCEL_TCG,
        _ACCEL_MAX,
} Accel;

typedef enum DiskInterface {
        DISK_VIRTIO,
        DISK_NVME,
        DISK_SATA,
        _DISK_INTERFACE_MAX,
} DiskInterface;

typedef enum NetworkMode {
        NETWORK_USER,
        NETWORK_NONE,
        NETWORK_BRIDGE,
        _NETWORK_MODE_MAX,
} NetworkMode;

/* What the guest is told about itself: Windows gets Hyper-V's
 * enlightenments, the others nothing extra. */
typedef enum GuestOs {
        GUEST_OS_OTHER,
        GUEST_OS_WINDOWS,
        GUEST_OS_LINUX,
        _GUEST_OS_MAX,
} GuestOs;

/* The subsystem vendor/device the guest sees on the GPU. */
typedef enum GpuSubsystem {
        GPU_SUBSYSTEM_HOST,     /* the host's own, read from sysfs by the plan */
        GPU_SUBSYSTEM_NONE,     /* whatever QEMU's vfio-pci shows */
        GPU_SUBSYSTEM_SET,      /* the profile's */
        _GPU_SUBSYSTEM_MAX,
} GpuSubsystem;

/* What happens to the panel's backlight around the handover. */
typedef enum GpuBacklight {
        GPU_BACKLIGHT_KEEP,     /* recorded, left as it is, put back if it changed */
        GPU_BACKLIGHT_MAX,      /* set to its maximum before the host driver goes */
        _GPU_BACKLIGHT_MAX,
} GpuBacklight;

/* Whether the guest's ACPI serves the vBIOS with _ROM ([gpu] rom-acpi) */
typedef enum GpuRomAcpi {
        GPU_ROM_ACPI_AUTO,      /* for an NVIDIA GPU in a laptop, with a [gpu] rom */
        GPU_ROM_ACPI_YES,
        GPU_ROM_ACPI_NO,
        _GPU_ROM_ACPI_MAX,
} GpuRomAcpi;

/* Login sessions whose processes hold the GPU: [host] end-sessions */
typedef enum EndSessions {
        END_SESSIONS_SEAT,      /* those on the GPU's seat are ended through logind */
        END_SESSIONS_NONE,      /* none: such a holder is refused before any change */
        _END_SESSIONS_MAX,
} EndSessions;

/* The host's power button while the guest has the GPU: [host] power-button */
typedef enum PowerButtonMode {
        POWER_BUTTON_GUEST,     /* vmrun reads it, logind's handle-power-key held: a press asks the guest to power off */
        POWER_BUTTON_HOST,      /* logind's HandlePowerKey=, as without vmrun (by default it powers the host off) */
        _POWER_BUTTON_MAX,
} PowerButtonMode;

/* The laptop's lid while the guest has the GPU: [host] lid */
typedef enum LidMode {
        LID_KEEP_RUNNING,       /* logind's handle-lid-switch held: closing the lid suspends nothing */
        LID_HOST,               /* logind's HandleLidSwitch=, as without vmrun */
        _LID_MAX,
} LidMode;

/* The keys that move grabbed input between guest and host: QEMU's
 * input-linux grab-toggle values */
typedef enum GrabToggle {
        GRAB_TOGGLE_CTRL_CTRL,          /* QEMU's default */
        GRAB_TOGGLE_ALT_ALT,
        GRAB_TOGGLE_SHIFT_SHIFT,
        GRAB_TOGGLE_META_META,
        GRAB_TOGGLE_SCROLLLOCK,
        GRAB_TOGGLE_CTRL_SCROLLLOCK,
        _GRAB_TOGGLE_MAX,
} GrabToggle;

/* A host USB device, as lsusb prints it: 046d:c52b. */
typedef struct UsbId {
        unsigned vendor, product;
} UsbId;

typedef struct ProfileDisk {
        char *id;               /* "system" for [disk system]; "disk0", "disk1"... otherwise */
        char *file;
        char *format;           /* qcow2 | raw; NULL until validation picks one */
        DiskInterface interface;
        bool read_only;
        unsigned line;          /* where its section starts, for messages */
} ProfileDisk;

typedef struct CpuList {
        unsigned *v;
        size_t n;
} CpuList;

typedef struct Profile {
        char *path;
        char *name;

        /* [vm] */
        uint64_t memory;        /* bytes */
        unsigned cpus;
        Accel accel;
        FirmwareKind firmware;
        GuestOs os;
        bool tpm;               /* a TPM 2.0 (swtpm) for the guest */

        /* [gpu] */
        bool has_gpu;
        char *gpu_address;      /* canonical 0000:01:00.0 */
        char **gpu_functions;   /* companions; NULL: every other function of the slot */
        char *gpu_rom;
        GpuRomAcpi gpu_rom_acpi;
        bool gpu_fake_battery;
        GpuSubsystem gpu_subsystem;
        unsigned gpu_subsystem_vendor, gpu_subsystem_device;    /* with GPU_SUBSYSTEM_SET */
        GpuBacklight gpu_backlight;

        /* [disk ...] */
        ProfileDisk *disks;
        size_t n_disks;

        /* [boot] */
        char *kernel;
        char *initrd;
        char *append;

        /* [display] */
        char *spice_address;    /* NULL: no SPICE */
        unsigned spice_port;

        /* [input] */
        char **input_evdev;     /* /dev/input/... event devices QEMU reads and grabs */
        GrabToggle grab_toggle;

        /* [usb] */
        /* [cpu] */
        CpuList cpu_pin;                /* vCPU i runs on cpu_pin.v[i]; n == 0: not pinned */
        CpuList emulator_pin;           /* QEMU's other threads */

        /* [memory] */
        bool hugepages;                 /* guest RAM from hugetlb pages, preallocated */
        uint64_t hugepage_size;         /* bytes; 0: the host's default size */

        UsbId *usb_devices;     /* host USB devices QEMU takes */
        size_t n_usb_devices;

        /* [network] */
        NetworkMode network;
        char *bridge;

        /* [host] */
        char *display_manager;          /* "auto", "none" or a unit name */
        char **stop_units;              /* more units to stop, in this order */
        EndSessions end_sessions;
        unsigned timeout_release;       /* seconds the GPU's holders get to let go once told */
        unsigned allow_classes;         /* HOST_ALLOW_*: storage/network devices that may go */
        PowerButtonMode power_button;
        LidMode lid;

        /* [qemu] */
        char *qemu_binary;
        char *qemu_user;                /* QEMU runs as this user; "root" only if asked */
        unsigned timeout_shutdown;      /* seconds */
} Profile;

const char *accel_to_string(Accel a);
const char *disk_interface_to_string(DiskInterface d);
const char *network_mode_to_string(NetworkMode m);
const char *guest_os_to_string(GuestOs o);
const char *gpu_backlight_to_string(GpuBacklight b);
const char *gpu_rom_acpi_to_string(GpuRomAcpi r);
const char *end_sessions_to_string(EndSessions e);
const char *power_button_mode_to_string(PowerButtonMode m);
const char *lid_mode_to_string(LidMode m);
const char *grab_toggle_to_string(GrabToggle g);
/* How a person presses it, for the plan and the docs */
const char *grab_toggle_keys(GrabToggle g);

Profile *profile_free(Profile *p);
static inline void profile_freep(Profile **p) {
        profile_free(*p);
}
#define _cleanup_profile_ _cleanup_(profile_freep)

/* A profile run as root must be root's and writable by nobody else, nor
 * replaceable through any directory on its way from / (sshd's
 * StrictModes): each must belong to root (or `owner`) and be writable by
 * nobody else, unless it has the sticky bit (/tmp). `fd` is the open
 * profile; a symlink is followed to where it leads, and the directory it
 * is in is checked as well. 0, or -EPERM logged with why and the fix. */
int profile_check_trusted(int fd, const char *path, uid_t owner);

typedef enum ProfileLoadFlags {
        /* refuse a profile profile_check_trusted() does not trust, for root */
        PROFILE_LOAD_STRICT_MODES = 1 << 0,
} ProfileLoadFlags;

/* Read and check a profile. Logs every problem found (all of them, not just
 * the first) at error level, then returns -EINVAL; -ENOENT/-EACCES when the
 * file cannot be opened (logged too), -EPERM when it is not trusted. */
int profile_load_full(const char *path, ProfileLoadFlags flags, Profile **ret);

/* profile_load_full() with PROFILE_LOAD_STRICT_MODES when run as root:
 * root acts on what the profile says. */
int profile_load(const char *path, Profile **ret);

/* The same, from memory (NUL bytes included, which are errors); `path` is
 * only used in messages and for the default name. */
int profile_load_buffer(const char *path, const void *data, size_t size, Profile **ret);
int profile_load_string(const char *path, const char *text, Profile **ret);

/* Where `vmrun run NAME` looks when NAME is not a path: /etc/vmrun/NAME.profile
 * (a test build's VMRUN_PROFILE_DIR overrides the directory). */
int profile_resolve(const char *name_or_path, char **ret_path);

/* A systemd unit name, as [host] stop-units takes them. */
bool unit_name_is_valid(const char *name);
