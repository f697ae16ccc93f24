/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>

#include "basic/log.h"
#include "host/pci.h"
#include "plan/plan-internal.h"

/* [gpu] rom-acpi: whether the guest's ACPI gives the GPU a _ROM serving
 * [gpu] rom (qemu/rom-acpi.h), why, and the tables and their files. */

#define PCI_VENDOR_NVIDIA 0x10de

/* QEMU loads an initrd for SeaBIOS just below the 160 KiB it keeps for
 * ACPI at the top of RAM (x86_load_linux()'s acpi_data_size), where
 * SeaBIOS puts the tables: what passes that, less QEMU's own tables, is
 * written over (seen: a guest's RSDT pointing into the ROM's bytes). OVMF
 * loads an initrd itself, around them. */
#define SEABIOS_INITRD_ACPI_ROOM (128u * 1024)

/* SMBIOS's chassis types of portable computers (DMI type 3, as
 * /sys/class/dmi/id/chassis_type shows it; systemd-hostnamed calls them
 * laptop, handset, tablet and convertible); NULL for the others */
static const char *portable_chassis(unsigned long type) {
        switch (type) {
        case 0x08:
                return "Portable";
        case 0x09:
                return "Laptop";
        case 0x0a:
                return "Notebook";
        case 0x0b:
                return "Hand Held";
        case 0x0e:
                return "Sub Notebook";
        case 0x1e:
                return "Tablet";
        case 0x1f:
                return "Convertible";
        case 0x20:
                return "Detachable";
        default:
                return NULL;
        }
}

static int sayf(char **ret, const char *format, ...) _printf_(2, 3);
static int sayf(char **ret, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(ret, format, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : 0;
}

/* auto: an NVIDIA GPU in a portable computer, the one kind of host whose
 * firmware is known to give the GPU's driver its vBIOS through _ROM. 1
 * for a table, 0 for none; *ret_why says why either way. */
static int decide_auto(const HostContext *ctx, const Profile *p, char **ret_why) {
        _cleanup_(pci_device_done) PciDevice gpu = { .iommu_group = -1 };
        unsigned long chassis;
        const char *portable;
        int r;

        if (!p->gpu_rom)
                return sayf(ret_why, "[gpu] rom-acpi = auto, and there is no [gpu] rom to serve");
        r = pci_device_read(ctx, p->gpu_address, &gpu);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sayf(ret_why, "[gpu] rom-acpi = auto, and GPU %s is not on this host to say whose it is (set "
                                     "rom-acpi = yes to pass the table anyway)", p->gpu_address);
        if (gpu.vendor != PCI_VENDOR_NVIDIA)
                return sayf(ret_why, "[gpu] rom-acpi = auto, and the GPU (%04x:%04x) is not NVIDIA's, whose mobile "
                                     "driver is the one known to read _ROM", gpu.vendor, gpu.device);
        r = host_read_unsigned(ctx, "/sys/class/dmi/id/chassis_type", 10, &chassis);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sayf(ret_why, "[gpu] rom-acpi = auto, and this host does not say whether it is a laptop (no "
                                     "/sys/class/dmi/id/chassis_type): set rom-acpi = yes for a laptop's GPU");
        portable = portable_chassis(chassis);
        if (!portable)
                return sayf(ret_why, "[gpu] rom-acpi = auto, and this host is no laptop (DMI chassis type %lu): the "
                                     "driver of a desktop's GPU reads its PCI ROM", chassis);
        r = sayf(ret_why, "[gpu] rom-acpi = auto: an NVIDIA GPU (%04x:%04x) in a laptop (DMI chassis type %lu, %s), "
                          "whose driver reads the vBIOS with _ROM", gpu.vendor, gpu.device, chassis, portable);
        return r < 0 ? r : 1;
}

int plan_rom_acpi_decide(const HostContext *ctx, const Profile *p, bool *ret_on, char **ret_why) {
        _cleanup_free_ char *why = NULL;
        int r;

        if (!p->has_gpu) {
                *ret_on = false;
                *ret_why = NULL;
                return 0;
        }
        switch (p->gpu_rom_acpi) {
        case GPU_ROM_ACPI_YES:
                r = sayf(&why, "[gpu] rom-acpi = yes");
                r = r < 0 ? r : 1;
                break;
        case GPU_ROM_ACPI_NO:
                r = sayf(&why, "[gpu] rom-acpi = no");
                break;
        case GPU_ROM_ACPI_AUTO:
                r = decide_auto(ctx, p, &why);
                break;
        default:
                assert_not_reached();
        }
        if (r < 0)
                return r;
        *ret_on = r > 0;
        *ret_why = TAKE_PTR(why);
        return 0;
}

/* STATE_DIR/rom-ssdt-N.aml, one per table */
static int table_paths(Plan *plan) {
        _cleanup_strv_ Strv paths = { 0 };

        for (size_t i = 0; i < plan->rom_acpi.n_tables; i++) {
                _cleanup_free_ char *name = NULL;

                if (rom_acpi_file_name(i, &name) < 0 || strv_pushf(&paths, "%s/%s", plan->paths->state_dir, name) < 0)
                        return -ENOMEM;
        }
        plan->rom_tables = TAKE_PTR(paths.v);
        paths = (Strv) { 0 };
        return 0;
}

/* [vm] firmware = bios with [boot] initrd: QEMU's initrd over the tables */
static int note_initrd(Plan *plan) {
        const Profile *p = plan->profile;
        size_t total = 0;

        for (size_t i = 0; i < plan->rom_acpi.n_tables; i++)
                total += plan->rom_acpi.tables[i].size;
        if (p->firmware != FIRMWARE_BIOS || !p->initrd || total <= SEABIOS_INITRD_ACPI_ROOM)
                return 0;
        return strv_pushf(&plan->notes, "[gpu] rom-acpi: the _ROM tables are %zu KiB, and with [vm] firmware = bios "
                                        "QEMU loads [boot] initrd where SeaBIOS puts ACPI tables past %u KiB, which "
                                        "breaks the guest's ACPI; set firmware = uefi (OVMF loads the initrd around "
                                        "them), or rom-acpi = no",
                          total / 1024, SEABIOS_INITRD_ACPI_ROOM / 1024);
}

/* The tables are built now, from the ROM as it is: `plan` shows what
 * `run` writes into the state directory before the first host step. */
int plan_rom_acpi(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_close_ int fd = -1;
        int r;

        r = plan_rom_acpi_decide(ctx, p, &plan->rom_acpi_on, &plan->rom_acpi_why);
        if (r < 0 || !plan->rom_acpi_on)
                return r;
        if (strchr(plan->paths->state_dir, ':'))
                return log_error_errno(-EINVAL, "[gpu] rom-acpi: the state directory %s has a ':', which QEMU's "
                                                "-acpitable cannot take; name the VM without one",
                                       plan->paths->state_dir);
        /* read as QEMU reads its romfile, as QEMU's user: the file may
         * sit where a user can swap it for a link to root's own */
        r = privileges_open(&plan->qemu_user, p->gpu_rom, O_RDONLY, &fd);
        if (r >= 0)
                r = rom_acpi_build_fd(fd, &plan->rom_acpi);
        if (r == -ENOMEM)
                return r;
        /* a missing or unreadable file is one of the notes already */
        if (r == -ENOENT || r == -EACCES)
                return 0;
        if (r == -EFBIG)
                return strv_pushf(&plan->notes, "[gpu] rom %s is more than the %u MiB _ROM serves ([gpu] rom-acpi): "
                                                "is it the vBIOS? `vmrun rom check %s`",
                                  p->gpu_rom, ROM_ACPI_SIZE_MAX >> 20, p->gpu_rom);
        if (r < 0)
                return strv_pushf(&plan->notes, "[gpu] rom %s cannot be served with _ROM ([gpu] rom-acpi): %s",
                                  p->gpu_rom, r == -EBADFD ? "not a regular file" : r == -EINVAL ? "it is empty"
                                                                                                : STRERROR(r));
        r = table_paths(plan);
        if (r < 0)
                return r;
        return note_initrd(plan);
}

int plan_rom_acpi_summary(const Plan *plan, char **ret) {
        const Profile *p = plan->profile;
        size_t n = plan->rom_acpi.n_tables;

        if (!plan->rom_acpi_why) {
                *ret = NULL;
                return 0;
        }
        if (plan->rom_tables)
                return sayf(ret, "_ROM on %s serves %s, %zu SSDT%s (%s%s, written at start) for -acpitable; %s",
                            QEMU_GPU_ACPI_PATH, p->gpu_rom, n, n == 1 ? "" : "s", plan->rom_tables[0],
                            n > 1 ? " ..." : "", plan->rom_acpi_why);
        if (plan->rom_acpi_on)
                return sayf(ret, "no _ROM, though %s: [gpu] rom %s cannot be served (see the notes)",
                            plan->rom_acpi_why, p->gpu_rom);
        return sayf(ret, "no _ROM: %s", plan->rom_acpi_why);
}
