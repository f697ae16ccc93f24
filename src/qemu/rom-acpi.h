/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The GPU's vBIOS through ACPI: SSDTs that give the GPU's node in the
 * guest (QEMU_GPU_ACPI_PATH) a _ROM method serving the ROM file.
 *
 * NVIDIA's driver for mobile GPUs reads the vBIOS with _ROM, as a
 * laptop's firmware provides it, and not from the PCI ROM (ACPI 6.5,
 * B.3.3: _ROM (offset, length) returns a Buffer of at most 4 KiB from
 * that offset). The ROM is in the tables as Buffers; QEMU takes at most
 * QEMU_ACPI_TABLE_MAX bytes per table, so a ROM of more than one part
 * (ROM_ACPI_PART_SIZE) is spread over one table per part, the first
 * holding the method:
 *
 *   Scope (\_SB.PCI0.S08.S00) {            every table: the part it holds
 *       Name (VR00, Buffer (...) { ... })
 *       Method (_ROM, 2) {                  the first table only
 *           Local0 = min (Arg1, 4096)
 *           Divide (Arg0, ROM_ACPI_PART_SIZE, Local2, Local1)
 *           Local3 = VRPT (Local1, Local2, Local0)
 *           Local4 = SizeOf (Local3)
 *           If (Local4 < Local0) {          ran past its part: the next one's start
 *               Concatenate (Local3, VRPT (Local1 + 1, 0, Local0 - Local4), Local3)
 *           }
 *           Return (Local3)
 *       }
 *       Method (VRPT, 3) {                  Mid (part Arg0, Arg1, Arg2)
 *           If (Arg0 == 0) { Return (Mid (VR00, Arg1, Arg2)) }
 *           ...
 *           Return (Buffer (0) {})          past the end: nothing
 *       }
 *   }
 *
 * A part is a whole number of 4 KiB chunks, and a chunk at most 4 KiB, so
 * one spans two parts at the most. */

#include "basic/util.h"

/* 15 chunks of 4 KiB: a table with it, the method and its names stays
 * under QEMU's 64 KiB */
#define ROM_ACPI_PART_SIZE 0xf000u
/* What _ROM returns at most (ACPI 6.5, B.3.3) */
#define ROM_ACPI_CHUNK_MAX 0x1000u
/* Twice NVIDIA's largest vBIOS, in 69 tables */
#define ROM_ACPI_SIZE_MAX (4u * 1024 * 1024)

typedef struct AcpiTable {
        uint8_t *data;
        size_t size;
} AcpiTable;

typedef struct RomAcpi {
        AcpiTable *tables;
        size_t n_tables;
} RomAcpi;

void rom_acpi_done(RomAcpi *t);

/* How many tables a ROM of `size` bytes takes. */
size_t rom_acpi_n_tables(size_t size);

/* The tables for `size` bytes of ROM at `rom`: -EINVAL for none, -EFBIG
 * for more than ROM_ACPI_SIZE_MAX. Logs nothing. */
int rom_acpi_build(const void *rom, size_t size, RomAcpi *ret);

/* The same for the file open at `fd`: -EBADFD for what is no regular
 * file, read()'s errors too. Logs nothing. */
int rom_acpi_build_fd(int fd, RomAcpi *ret);
/* ... and for the file at `path`, opened by the caller's own right
 * (`vmrun rom ssdt`): open()'s errors too. */
int rom_acpi_build_file(const char *path, RomAcpi *ret);

/* The name of table `i` in a directory: rom-ssdt-I.aml */
int rom_acpi_file_name(size_t i, char **ret);

/* Each table as a new file of its name, mode `mode`, in the directory
 * `dir_fd` (`dir` in messages), never through an entry already there: a
 * file or a link there is -EEXIST. With `replace`, such entries are
 * removed first, and so are those of tables past the last (an earlier,
 * bigger ROM's): only for a directory nobody else may write. Logs what
 * failed, naming the file, and what to do. */
int rom_acpi_write_at(const RomAcpi *t, int dir_fd, const char *dir, bool replace, mode_t mode);
