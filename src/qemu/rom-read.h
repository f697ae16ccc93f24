/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The vBIOS of a device in this host (`vmrun rom dump`): behind its ROM
 * BAR, through sysfs; when that is empty, as on AMD laptops and APUs, in
 * the ACPI VFCT table, where amdgpu finds it too. rom.h says what is in
 * it. */

#include "host/host.h"
#include "basic/util.h"

typedef enum RomSource {
        ROM_SOURCE_ROM_BAR,     /* ROOT/sys/bus/pci/devices/ADDRESS/rom */
        ROM_SOURCE_VFCT,        /* the device's image in the ACPI VFCT table */
} RomSource;

/* "the PCI ROM BAR (sysfs rom)", "the ACPI VFCT table (PATH)" */
const char *rom_source_to_string(RomSource source);

typedef struct RomRead {
        uint8_t *data;
        size_t size;
        uint16_t vendor, device;
        RomSource source;
        /* The device is the boot VGA and the ROM came through sysfs: what
         * the kernel returns is the copy of its legacy image that the
         * system firmware left in memory, not the ROM itself. */
        bool boot_vga;
} RomRead;

void rom_read_done(RomRead *r);

/* Read ROOT/sys/bus/pci/devices/ADDRESS/rom: write "1" to it, read it,
 * write "0" (on every path once "1" was written). When it holds no ROM
 * (-ENOENT, -EIO, -ENODATA below), the device's image in the ACPI VFCT
 * table instead, matched as amdgpu matches it (host/vfct.h). Logs what
 * went wrong with what to try next (rom_read_error_message(), with why
 * the VFCT table had nothing), and the boot VGA warning. Errors:
 * -ENODEV no such device; -ENOENT it has no ROM attribute; -EAGAIN it is
 * runtime-suspended (nothing is written then); -ENODATA the read returned
 * nothing; -EFBIG more than ROM_SIZE_MAX; the kernel's (-EIO: the ROM BAR
 * holds no valid image) and host_write()'s errors otherwise. */
int rom_read(const HostContext *ctx, const char *address, RomRead *ret);

/* rom_read() into the file at `path` (created or replaced, mode 0644,
 * written only after a successful read). `ret` may be NULL. */
int rom_dump(const HostContext *ctx, const char *address, const char *path, RomRead *ret);

/* What a rom_read() error means and what to try next, for the device at
 * `address`: a sentence or two, without the errno's own text. `vfct`, if
 * not NULL, says why the ACPI VFCT table had no vBIOS for it either, and
 * is put after an empty ROM BAR's reason. */
int rom_read_error_message(int error, const char *address, const char *vfct, char **ret);
