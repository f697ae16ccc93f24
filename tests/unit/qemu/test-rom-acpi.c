/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "capture.h"
#include "fake-root.h"
#include "skip.h"

#include <ctype.h>
#include <sys/wait.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/process.h"
#include "basic/spawn.h"
#include "qemu/aml.h"
#include "qemu/argv.h"
#include "qemu/rom-acpi.h"

/* The SSDTs with the GPU's _ROM: their shape, and what ACPICA's own tools
 * (acpica-tools: iasl, acpiexec) make of them when this machine has them:
 * iasl disassembles them into ASL that compiles back to the same bytes,
 * and acpiexec, over a DSDT with the node QEMU gives the GPU, runs _ROM
 * and gets the ROM's bytes back. */

#define TOOL_DEADLINE (120 * USEC_PER_SEC)
#define SMALL (40 * 1024)
/* three parts: two whole, the last one short */
#define LARGE (2 * ROM_ACPI_PART_SIZE + 12345)

/* A ROM whose bytes say where they are: no two parts, no two 4 KiB
 * chunks alike */
static uint8_t *rom_bytes(size_t size) {
        uint8_t *rom = malloc(size);

        assert_non_null(rom);
        for (size_t i = 0; i < size; i++)
                rom[i] = (uint8_t) (i * 7 + i / 251);
        return rom;
}

static RomAcpi build(const uint8_t *rom, size_t size) {
        RomAcpi t = { 0 };

        assert_int_equal(rom_acpi_build(rom, size, &t), 0);
        return t;
}

static void assert_table_sound(const AcpiTable *t, size_t index) {
        uint32_t length;
        uint8_t sum = 0;
        char id[9];

        assert_true(t->size > AML_TABLE_HEADER_SIZE);
        assert_true(t->size <= QEMU_ACPI_TABLE_MAX);
        assert_memory_equal(t->data, "SSDT", 4);
        memcpy(&length, t->data + 4, 4);
        assert_int_equal(length, t->size);
        for (size_t i = 0; i < t->size; i++)
                sum = (uint8_t) (sum + t->data[i]);
        assert_int_equal(sum, 0);
        assert_memory_equal(t->data + 10, "VMRUN\0", 6);
        /* two hex digits: rom-acpi.c numbers at most 0xff tables (gcc 14
         * says a size_t could take 16, the cast says it does not) */
        assert_true(index <= 0xff);
        snprintf(id, sizeof id, "GPUROM%02X", (unsigned) (uint8_t) index);
        assert_memory_equal(t->data + 16, id, 8);
}

/* The Buffer Name (VRnn, Buffer (...) {...}) in table i, as a slice of it */
static const uint8_t *part_bytes(const AcpiTable *t, size_t i, size_t *ret_size) {
        char name[5];
        const uint8_t *p;
        uint8_t pl[4];
        uint32_t size;
        int n;

        assert_true(i <= 0xff);
        snprintf(name, sizeof name, "VR%02X", (unsigned) (uint8_t) i);
        p = memmem(t->data, t->size, (const uint8_t[]) { AML_NAME_OP, (uint8_t) name[0], (uint8_t) name[1],
                                                         (uint8_t) name[2], (uint8_t) name[3], AML_BUFFER_OP }, 6);
        assert_non_null(p);
        p += 6;
        /* PkgLength, then the size as WordConst or DWordConst */
        n = p[0] >> 6 ? (p[0] >> 6) + 1 : 1;
        p += n;
        if (p[0] == AML_WORD_PREFIX) {
                size = (uint32_t) p[1] | (uint32_t) p[2] << 8;
                p += 3;
        } else {
                assert_int_equal(p[0], AML_DWORD_PREFIX);
                memcpy(&size, p + 1, 4);
                p += 5;
        }
        assert_int_equal(aml_pkg_length(size + (size > 0xffff ? 5 : 3), pl), n);
        *ret_size = size;
        return p;
}

static void test_a_small_rom_is_one_ssdt_putting_rom_on_the_gpus_node(void **state) {
        _cleanup_free_ uint8_t *rom = rom_bytes(SMALL);
        _cleanup_(rom_acpi_done) RomAcpi t = build(rom, SMALL);
        /* Scope (\_SB.PCI0.S08.S00), Method (_ROM, 2) */
        static const uint8_t gpu[] = { '\\', 0x2f, 4, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'S', '0', '8', '_',
                                       'S', '0', '0', '_' };
        const uint8_t *part;
        size_t size;

        assert_int_equal(t.n_tables, 1);
        assert_table_sound(&t.tables[0], 0);
        assert_non_null(memmem(t.tables[0].data, t.tables[0].size, gpu, sizeof gpu));
        assert_non_null(memmem(t.tables[0].data, t.tables[0].size, "_ROM\x02", 5));
        part = part_bytes(&t.tables[0], 0, &size);
        assert_int_equal(size, SMALL);
        assert_memory_equal(part, rom, SMALL);
}

static void test_a_rom_over_64_kib_is_spread_over_tables_qemu_takes(void **state) {
        _cleanup_free_ uint8_t *rom = rom_bytes(LARGE);
        _cleanup_(rom_acpi_done) RomAcpi t = build(rom, LARGE);
        size_t at = 0;

        assert_int_equal(t.n_tables, 3);
        assert_int_equal(rom_acpi_n_tables(LARGE), 3);
        for (size_t i = 0; i < t.n_tables; i++) {
                const uint8_t *part;
                size_t size;

                assert_table_sound(&t.tables[i], i);
                part = part_bytes(&t.tables[i], i, &size);
                assert_int_equal(size, i < 2 ? ROM_ACPI_PART_SIZE : 12345);
                assert_memory_equal(part, rom + at, size);
                at += size;
                /* the method in the first table only */
                assert_true(!memmem(t.tables[i].data, t.tables[i].size, "_ROM\x02", 5) == (i > 0));
        }
        assert_int_equal(at, LARGE);
}

static void test_the_largest_rom_fits_qemus_tables_and_a_larger_or_empty_one_is_refused(void **state) {
        _cleanup_free_ uint8_t *rom = rom_bytes(ROM_ACPI_SIZE_MAX + 1);
        _cleanup_(rom_acpi_done) RomAcpi t = build(rom, ROM_ACPI_SIZE_MAX);
        RomAcpi none = { 0 };

        assert_int_equal(t.n_tables, 69);
        /* the first has the method, with a test and an External per part */
        for (size_t i = 0; i < t.n_tables; i++)
                assert_table_sound(&t.tables[i], i);
        assert_int_equal(rom_acpi_build(rom, ROM_ACPI_SIZE_MAX + 1, &none), -EFBIG);
        assert_int_equal(rom_acpi_build(rom, 0, &none), -EINVAL);
        assert_null(none.tables);
}

/* ---- the files ---- */

static void test_the_tables_are_new_files_and_an_entry_there_is_only_replaced_when_asked(void **state) {
        _cleanup_free_ uint8_t *rom = rom_bytes(LARGE);
        _cleanup_(rom_acpi_done) RomAcpi t = build(rom, LARGE);
        _cleanup_close_ int dir_fd = -1;
        _cleanup_free_ char *target = NULL, *log = NULL;
        FakeRoot f;
        Capture c;
        struct stat st;

        fake_root_new(&f, "rom-acpi");
        dir_fd = open(f.dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        assert_true(dir_fd >= 0);

        assert_int_equal(rom_acpi_write_at(&t, dir_fd, f.dir, false, 0600), 0);
        for (size_t i = 0; i < 3; i++) {
                char name[32];

                snprintf(name, sizeof name, "rom-ssdt-%zu.aml", i);
                assert_int_equal(fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
                assert_true(S_ISREG(st.st_mode));
                assert_int_equal(st.st_mode & 07777, 0600);
                assert_int_equal(st.st_size, t.tables[i].size);
        }

        /* a file there is not written over, nor a link followed */
        capture_start(&c);
        assert_int_equal(rom_acpi_write_at(&t, dir_fd, f.dir, false, 0600), -EEXIST);
        free(capture_end(&c));
        fake_file(&f, "/target", "not a table\n");
        fake_link(&f, "/rom-ssdt-0.aml", "target");
        capture_start(&c);
        assert_int_equal(rom_acpi_write_at(&t, dir_fd, f.dir, false, 0600), -EEXIST);
        log = capture_end(&c);
        assert_logged(log, "/rom-ssdt-0.aml: it exists (a link is not followed either); vmrun writes new files only");
        target = fake_read(&f, "/target");
        assert_string_equal(target, "not a table\n");

        /* replaced when asked: the link goes, not what it leads to, and
         * so does a table past the last, an earlier and bigger ROM's */
        fake_file(&f, "/rom-ssdt-5.aml", "old\n");
        fake_file(&f, "/rom-ssdt-3.aml", "old\n");
        assert_int_equal(rom_acpi_write_at(&t, dir_fd, f.dir, true, 0600), 0);
        assert_int_equal(fstatat(dir_fd, "rom-ssdt-0.aml", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_size, t.tables[0].size);
        free(target);
        target = fake_read(&f, "/target");
        assert_string_equal(target, "not a table\n");
        assert_int_equal(fstatat(dir_fd, "rom-ssdt-3.aml", &st, AT_SYMLINK_NOFOLLOW), -1);
        /* removal stops at the first gap: 4 was never there */
        assert_int_equal(fstatat(dir_fd, "rom-ssdt-5.aml", &st, AT_SYMLINK_NOFOLLOW), 0);

        fake_root_remove(&f);
}

/* ---- ACPICA's tools ---- */

/* `name` on PATH, or NULL */
static char *tool(const char *name) {
        _cleanup_free_ char *path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        char *save = NULL;

        assert_non_null(path);
        for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char *p;

                assert_true(asprintf(&p, "%s/%s", d, name) > 0);
                if (access(p, X_OK) >= 0)
                        return p;
                free(p);
        }
        return NULL;
}

/* Runs argv (argv[0] a full path), its output into `out`; its exit status */
static int run(char *const *argv, const char *out) {
        _cleanup_close_ int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), pidfd = -1;
        siginfo_t si;
        pid_t pid;

        assert_true(fd >= 0);
        assert_int_equal(spawn(&(const Spawn) { .argv = argv, .fds = (const int[]) { -1, fd, fd }, .n_fds = 3 }, &pid,
                               &pidfd), 0);
        assert_int_equal(pidfd_wait(pidfd, deadline_after(TOOL_DEADLINE)), 0);
        assert_int_equal(pidfd_reap(pidfd, &si), 0);
        assert_int_equal(si.si_code, CLD_EXITED);
        return si.si_status;
}

static uint8_t *read_whole(const char *path, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint8_t *data = NULL;

        if (fd < 0)
                fail_msg("%s: %s", path, strerror(errno));
        assert_int_equal(read_full_fd(fd, 64u << 20, &data, ret_size), 0);
        return data;
}

static char *slurp(const char *path) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        char *s;

        data = read_whole(path, &size);
        s = malloc(size + 1);
        assert_non_null(s);
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

static void write_tables(const RomAcpi *t, const char *dir) {
        _cleanup_close_ int dir_fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

        assert_true(dir_fd >= 0);
        assert_int_equal(rom_acpi_write_at(t, dir_fd, dir, true, 0644), 0);
}

static void test_iasl_disassembles_each_table_into_asl_that_compiles_back_to_it(void **state) {
        _cleanup_free_ char *iasl = tool("iasl");
        _cleanup_free_ uint8_t *rom = rom_bytes(LARGE);
        _cleanup_(rom_acpi_done) RomAcpi t = { 0 };
        FakeRoot f;

        if (!iasl) {
                skip_because("iasl is not installed (acpica-tools, which scripts/install-deps installs)");
                return;
        }
        t = build(rom, LARGE);
        fake_root_new(&f, "rom-acpi-iasl");
        write_tables(&t, f.dir);
        for (size_t i = 0; i < t.n_tables; i++) {
                _cleanup_free_ char *aml = NULL, *dsl = NULL, *prefix = NULL, *back = NULL, *log = NULL, *text = NULL,
                                    *want = NULL;
                _cleanup_free_ uint8_t *again = NULL;
                size_t size;

                assert_true(asprintf(&aml, "%s/rom-ssdt-%zu.aml", f.dir, i) > 0);
                assert_true(asprintf(&prefix, "%s/back-%zu", f.dir, i) > 0);
                assert_true(asprintf(&dsl, "%s.dsl", prefix) > 0);
                assert_true(asprintf(&back, "%s.aml", prefix) > 0);
                assert_true(asprintf(&log, "%s.log", prefix) > 0);

                /* -d: disassemble, into PREFIX.dsl */
                if (run((char *const[]) { iasl, (char *) "-p", prefix, (char *) "-d", aml, NULL }, log) != 0)
                        fail_msg("iasl -d %s: %s", aml, slurp(log));
                text = slurp(dsl);
                assert_non_null(strstr(text, "Scope (\\_SB.PCI0.S08.S00)"));
                assert_true(asprintf(&want, "Name (VR%02zX, Buffer (0x", i) > 0);
                assert_non_null(strstr(text, want));
                assert_true(!strstr(text, "Method (_ROM, 2, NotSerialized)") == (i > 0));

                /* and back: the same bytes after the header (whose
                 * creator is iasl's then); a whole part, 640 KB of ASL,
                 * takes iasl seconds: the first table and the short last
                 * one say it all */
                if (i > 0 && i + 1 < t.n_tables)
                        continue;
                if (run((char *const[]) { iasl, (char *) "-p", prefix, dsl, NULL }, log) != 0)
                        fail_msg("iasl %s: %s", dsl, slurp(log));
                again = read_whole(back, &size);
                assert_int_equal(size, t.tables[i].size);
                assert_memory_equal(again, t.tables[i].data, 9);
                assert_memory_equal(again + 10, t.tables[i].data + 10, 18);
                assert_memory_equal(again + AML_TABLE_HEADER_SIZE, t.tables[i].data + AML_TABLE_HEADER_SIZE,
                                    size - AML_TABLE_HEADER_SIZE);
        }
        fake_root_remove(&f);
}

/* The part of QEMU 7.2's DSDT that matters here, as the guest dumps it:
 * the root port in slot 1 (S08) and the GPU behind it (S00) */
static const char dsdt_asl[] =
        "DefinitionBlock (\"\", \"DSDT\", 1, \"BOCHS \", \"BXPC    \", 1)\n"
        "{\n"
        "    Scope (\\_SB)\n"
        "    {\n"
        "        Device (PCI0)\n"
        "        {\n"
        "            Name (_HID, EisaId (\"PNP0A08\"))\n"
        "            Name (_ADR, Zero)\n"
        "            Device (S08)\n"
        "            {\n"
        "                Name (_ADR, 0x00010000)\n"
        "                Device (S00)\n"
        "                {\n"
        "                    Name (_ADR, Zero)\n"
        "                }\n"
        "            }\n"
        "        }\n"
        "    }\n"
        "}\n";

/* The Buffers acpiexec printed, in order: "[Buffer] Length 1000 =", then
 * lines of up to 16 bytes, "    0010: 70 77 7E ...  // pw~..." */
static size_t acpiexec_buffers(const char *out, uint8_t **bufs, size_t *sizes, size_t max) {
        size_t n = 0;

        for (const char *p = out; (p = strstr(p, "[Buffer] Length ")) && n < max; n++) {
                char *end;
                size_t got = 0;

                sizes[n] = strtoul(p + strlen("[Buffer] Length "), &end, 16);
                bufs[n] = malloc(sizes[n] + 1);
                assert_non_null(bufs[n]);
                p = end;
                while (got < sizes[n]) {
                        /* the next "XXXX: " */
                        while (*p && !(isxdigit(p[0]) && isxdigit(p[1]) && isxdigit(p[2]) && isxdigit(p[3]) &&
                                       p[4] == ':' && p[5] == ' '))
                                p++;
                        assert_true(*p);
                        p += 6;
                        for (size_t k = 0; k < 16 && got < sizes[n]; k++, p += 3)
                                assert_int_equal(sscanf(p, "%2hhx", &bufs[n][got++]), 1);
                }
        }
        return n;
}

static void test_acpiexec_runs_rom_on_qemus_gpu_node_and_gets_the_files_bytes(void **state) {
        _cleanup_free_ char *iasl = tool("iasl"), *acpiexec = tool("acpiexec");
        FakeRoot f;

        if (!iasl || !acpiexec) {
                skip_because("acpiexec or iasl is not installed (acpica-tools, which scripts/install-deps installs)");
                return;
        }
        fake_root_new(&f, "rom-acpi-exec");
        fake_file(&f, "/dsdt.asl", dsdt_asl);
        {
                _cleanup_free_ char *asl = fake_path(&f, "/dsdt.asl"), *prefix = fake_path(&f, "/dsdt"),
                                    *log = fake_path(&f, "/dsdt.log");
                if (run((char *const[]) { iasl, (char *) "-p", prefix, asl, NULL }, log) != 0)
                        fail_msg("iasl %s: %s", asl, slurp(log));
        }

        for (size_t size = SMALL; size; size = size == SMALL ? LARGE : 0) {
                _cleanup_free_ uint8_t *rom = rom_bytes(size);
                _cleanup_(rom_acpi_done) RomAcpi t = build(rom, size);
                _cleanup_free_ char *cmd = NULL, *log = fake_path(&f, "/exec.log"), *out = NULL;
                _cleanup_strv_ Strv argv = { 0 };
                size_t last = (size - 1) / ROM_ACPI_CHUNK_MAX * ROM_ACPI_CHUNK_MAX;
                /* offset and length asked */
                const size_t ask[][2] = {
                        { 0, 4096 },                                    /* the first chunk */
                        { 0x1000, 0x10000 },                            /* 4 KiB at the most */
                        { ROM_ACPI_PART_SIZE - 100, 4096 },             /* across two parts */
                        { 12345, 77 },                                  /* anywhere, any length */
                        { last, 4096 },                                 /* the last, short */
                        { size, 16 },                                   /* past the end: nothing */
                };
                uint8_t *bufs[ELEMENTSOF(ask)] = { NULL };
                size_t sizes[ELEMENTSOF(ask)], n;

                write_tables(&t, f.dir);
                {
                        size_t len = 0;
                        FILE *m = open_memstream(&cmd, &len);

                        assert_non_null(m);
                        for (size_t i = 0; i < ELEMENTSOF(ask); i++)
                                fprintf(m, "%sevaluate %s._ROM %zu %zu", i ? "; " : "", QEMU_GPU_ACPI_PATH,
                                        ask[i][0], ask[i][1]);
                        assert_int_equal(fclose(m), 0);
                }
                assert_int_equal(strv_push(&argv, acpiexec), 0);
                assert_int_equal(strv_push(&argv, "-b"), 0);
                assert_int_equal(strv_push(&argv, cmd), 0);
                assert_int_equal(strv_pushf(&argv, "%s/dsdt.aml", f.dir), 0);
                for (size_t i = 0; i < t.n_tables; i++)
                        assert_int_equal(strv_pushf(&argv, "%s/rom-ssdt-%zu.aml", f.dir, i), 0);

                if (run(argv.v, log) != 0)
                        fail_msg("acpiexec: %s", slurp(log));
                out = slurp(log);
                if (strstr(out, "ACPI Error") || strstr(out, "ACPI Exception"))
                        fail_msg("acpiexec: %s", out);
                n = acpiexec_buffers(out, bufs, sizes, ELEMENTSOF(ask));
                assert_int_equal(n, ELEMENTSOF(ask));
                for (size_t i = 0; i < n; i++) {
                        /* the file's bytes from the offset, 4 KiB at the most */
                        size_t off = ask[i][0], want = ask[i][1] < 4096 ? ask[i][1] : 4096;

                        want = off >= size ? 0 : want < size - off ? want : size - off;
                        if (sizes[i] != want)
                                fail_msg("a ROM of %zu: _ROM (%zu, %zu) returned %zu bytes, want %zu", size, off,
                                         ask[i][1], sizes[i], want);
                        assert_memory_equal(bufs[i], rom + off, want);
                        free(bufs[i]);
                }
        }
        fake_root_remove(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_small_rom_is_one_ssdt_putting_rom_on_the_gpus_node),
                cmocka_unit_test(test_a_rom_over_64_kib_is_spread_over_tables_qemu_takes),
                cmocka_unit_test(test_the_largest_rom_fits_qemus_tables_and_a_larger_or_empty_one_is_refused),
                cmocka_unit_test(test_the_tables_are_new_files_and_an_entry_there_is_only_replaced_when_asked),
                cmocka_unit_test(test_iasl_disassembles_each_table_into_asl_that_compiles_back_to_it),
                cmocka_unit_test(test_acpiexec_runs_rom_on_qemus_gpu_node_and_gets_the_files_bytes),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
