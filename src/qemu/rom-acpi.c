/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "qemu/aml.h"
#include "qemu/argv.h"
#include "qemu/rom-acpi.h"

#define HELPER "VRPT"

void rom_acpi_done(RomAcpi *t) {
        for (size_t i = 0; i < t->n_tables; i++)
                free(t->tables[i].data);
        free(t->tables);
        *t = (RomAcpi) { 0 };
}

size_t rom_acpi_n_tables(size_t size) {
        return (size + ROM_ACPI_PART_SIZE - 1) / ROM_ACPI_PART_SIZE;
}

/* VR00, VR01, ...: the Buffer of part i, in the GPU's scope */
static void part_name(size_t i, char buf[static 5]) {
        assert(i <= 0xff);
        snprintf(buf, 5, "VR%02zX", i);
}

/* \_SB.PCI0.S08.S00.VR01 */
static void part_path(size_t i, char buf[static sizeof(QEMU_GPU_ACPI_PATH) + 5]) {
        char name[5];

        part_name(i, name);
        snprintf(buf, sizeof(QEMU_GPU_ACPI_PATH) + 5, "%s.%s", QEMU_GPU_ACPI_PATH, name);
}

/* Method (VRPT, 3): Mid (part Arg0, Arg1, Arg2); past the last part an
 * empty Buffer, as Mid gives past the end of one */
static void helper_method(Aml *a, size_t n_parts) {
        _cleanup_(aml_done) Aml body = { 0 };

        for (size_t i = 0; i < n_parts; i++) {
                _cleanup_(aml_done) Aml pred = { 0 }, then = { 0 };
                char name[5];

                part_name(i, name);
                aml_byte(&pred, AML_LEQUAL_OP);
                aml_arg(&pred, 0);
                aml_integer(&pred, i);
                aml_byte(&then, AML_RETURN_OP);
                aml_byte(&then, AML_MID_OP);
                aml_name(&then, name);
                aml_arg(&then, 1);
                aml_arg(&then, 2);
                aml_byte(&then, AML_ZERO_OP);
                aml_if(&body, &pred, &then);
        }
        aml_byte(&body, AML_RETURN_OP);
        aml_buffer(&body, NULL, 0);
        aml_method(a, HELPER, 3, &body);
}

/* Method (_ROM, 2): see rom-acpi.h */
static void rom_method(Aml *a) {
        _cleanup_(aml_done) Aml body = { 0 }, clamp = { 0 }, clamped = { 0 }, short_ = { 0 }, next = { 0 };

        /* Local0 = Arg1; If (Local0 > 4096) { Local0 = 4096 } */
        aml_byte(&body, AML_STORE_OP);
        aml_arg(&body, 1);
        aml_local(&body, 0);
        aml_byte(&clamp, AML_LGREATER_OP);
        aml_local(&clamp, 0);
        aml_integer(&clamp, ROM_ACPI_CHUNK_MAX);
        aml_byte(&clamped, AML_STORE_OP);
        aml_integer(&clamped, ROM_ACPI_CHUNK_MAX);
        aml_local(&clamped, 0);
        aml_if(&body, &clamp, &clamped);

        /* Divide (Arg0, PART, Local2, Local1): the part, the offset in it */
        aml_byte(&body, AML_DIVIDE_OP);
        aml_arg(&body, 0);
        aml_integer(&body, ROM_ACPI_PART_SIZE);
        aml_local(&body, 2);
        aml_local(&body, 1);

        /* Local3 = VRPT (Local1, Local2, Local0); Local4 = SizeOf (Local3) */
        aml_byte(&body, AML_STORE_OP);
        aml_name(&body, HELPER);         /* a call: the name, then its arguments */
        aml_local(&body, 1);
        aml_local(&body, 2);
        aml_local(&body, 0);
        aml_local(&body, 3);
        aml_byte(&body, AML_STORE_OP);
        aml_byte(&body, AML_SIZEOF_OP);
        aml_local(&body, 3);
        aml_local(&body, 4);

        /* If (Local4 < Local0) { Concatenate (Local3, VRPT (Local1 + 1,
         * 0, Local0 - Local4), Local3) } */
        aml_byte(&short_, AML_LLESS_OP);
        aml_local(&short_, 4);
        aml_local(&short_, 0);
        aml_byte(&next, AML_CONCAT_OP);
        aml_local(&next, 3);
        aml_name(&next, HELPER);
        aml_byte(&next, AML_ADD_OP);
        aml_local(&next, 1);
        aml_integer(&next, 1);
        aml_byte(&next, AML_ZERO_OP);
        aml_integer(&next, 0);
        aml_byte(&next, AML_SUBTRACT_OP);
        aml_local(&next, 0);
        aml_local(&next, 4);
        aml_byte(&next, AML_ZERO_OP);
        aml_local(&next, 3);
        aml_if(&body, &short_, &next);

        aml_byte(&body, AML_RETURN_OP);
        aml_local(&body, 3);
        aml_method(a, "_ROM", 2, &body);
}

/* If (Zero) { External (...) ... }: for a disassembler of this table
 * alone; interpreters skip it */
static void externals(Aml *a, size_t table, size_t n_parts) {
        _cleanup_(aml_done) Aml zero = { 0 }, list = { 0 };

        aml_byte(&zero, AML_ZERO_OP);
        aml_external(&list, QEMU_GPU_ACPI_PATH, AML_TYPE_DEVICE, 0);
        for (size_t i = 1; table == 0 && i < n_parts; i++) {
                char path[sizeof(QEMU_GPU_ACPI_PATH) + 5];

                part_path(i, path);
                aml_external(&list, path, AML_TYPE_BUFFER, 0);
        }
        aml_if(a, &zero, &list);
}

static int build_table(const uint8_t *rom, size_t size, size_t table, size_t n_parts, AcpiTable *ret) {
        _cleanup_(aml_done) Aml body = { 0 }, scope = { 0 };
        size_t start = table * ROM_ACPI_PART_SIZE;
        size_t part = size - start < ROM_ACPI_PART_SIZE ? size - start : ROM_ACPI_PART_SIZE;
        char name[5], table_id[9];
        int r;

        part_name(table, name);
        aml_byte(&scope, AML_NAME_OP);
        aml_name(&scope, name);
        aml_buffer(&scope, rom + start, part);
        if (table == 0) {
                rom_method(&scope);
                helper_method(&scope, n_parts);
        }
        externals(&body, table, n_parts);
        aml_scope(&body, QEMU_GPU_ACPI_PATH, &scope);

        /* a name of its own for each: no loader can take one for another's copy */
        snprintf(table_id, sizeof table_id, "GPUROM%02zX", table);
        r = aml_table("SSDT", "VMRUN", table_id, 1, &body, &ret->data, &ret->size);
        if (r < 0)
                return r;
        if (ret->size > QEMU_ACPI_TABLE_MAX) {
                free(ret->data);
                *ret = (AcpiTable) { 0 };
                return -E2BIG;
        }
        return 0;
}

int rom_acpi_build(const void *rom, size_t size, RomAcpi *ret) {
        _cleanup_(rom_acpi_done) RomAcpi t = { 0 };
        size_t n = rom_acpi_n_tables(size);
        int r;

        if (size == 0)
                return -EINVAL;
        if (size > ROM_ACPI_SIZE_MAX)
                return -EFBIG;
        t.tables = calloc(n, sizeof(AcpiTable));
        if (!t.tables)
                return -ENOMEM;
        for (; t.n_tables < n; t.n_tables++) {
                r = build_table(rom, size, t.n_tables, n, &t.tables[t.n_tables]);
                if (r < 0)
                        return r;
        }
        *ret = t;
        t = (RomAcpi) { 0 };
        return 0;
}

int rom_acpi_build_fd(int fd, RomAcpi *ret) {
        _cleanup_free_ uint8_t *rom = NULL;
        struct stat st;
        size_t size;
        int r;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        /* a FIFO or a device would be read for as long as it gives */
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        r = read_full_fd(fd, ROM_ACPI_SIZE_MAX, &rom, &size);
        if (r < 0)
                return r;
        return rom_acpi_build(rom, size, ret);
}

int rom_acpi_build_file(const char *path, RomAcpi *ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        return fd < 0 ? negative_errno() : rom_acpi_build_fd(fd, ret);
}

int rom_acpi_file_name(size_t i, char **ret) {
        return asprintf(ret, "rom-ssdt-%zu.aml", i) < 0 ? -ENOMEM : 0;
}

/* Removes the tables' names from i on, up to the first that is not there */
static int remove_from(int dir_fd, const char *dir, size_t i) {
        for (;; i++) {
                _cleanup_free_ char *name = NULL;

                if (rom_acpi_file_name(i, &name) < 0)
                        return log_oom();
                if (unlinkat(dir_fd, name, 0) >= 0)
                        continue;
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(negative_errno(), "remove %s/%s, the GPU's _ROM table of an earlier run: %s",
                                       dir, name, strerror(errno));
        }
}

int rom_acpi_write_at(const RomAcpi *t, int dir_fd, const char *dir, bool replace, mode_t mode) {
        int r;

        if (replace) {
                r = remove_from(dir_fd, dir, 0);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < t->n_tables; i++) {
                _cleanup_free_ char *name = NULL;

                if (rom_acpi_file_name(i, &name) < 0)
                        return log_oom();
                r = write_file_new_at(dir_fd, name, t->tables[i].data, t->tables[i].size, mode);
                if (r == -EEXIST)
                        return log_error_errno(r, "write %s/%s: it exists (a link is not followed either); vmrun "
                                               "writes new files only: remove it, or name another directory",
                                               dir, name);
                if (r < 0)
                        return log_error_errno(r, "write %s/%s, the GPU's _ROM table: %s", dir, name, STRERROR(r));
        }
        return 0;
}
