/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "capture.h"
#include "fake-root.h"
#include "vfct-table.h"

#include "basic/fileio.h"
#include "host/host.h"
#include "host/vfct.h"
#include "basic/log.h"
#include "qemu/rom.h"
#include "qemu/rom-read.h"

#define GPU "0000:01:00.0"
#define GPU_DIR "/sys/bus/pci/devices/" GPU
#define GPU_ROM GPU_DIR "/rom"

#define ROM_SIZE (96 * 1024)

/* What a read returns is checked by rom.c, not here: any bytes that start
 * as a ROM does and differ from one offset to the next. */
static uint8_t *rom_bytes(size_t size) {
        uint8_t *b = malloc(size);

        assert_non_null(b);
        for (size_t i = 0; i < size; i++)
                b[i] = (uint8_t) (i * 7 + i / 256);
        b[0] = 0x55;
        b[1] = 0xAA;
        return b;
}

/* The laptop's GPU as sysfs shows it, with `rom` holding `rom` bytes. */
static void gpu(const FakeRoot *f, const uint8_t *rom, size_t size) {
        fake_file(f, GPU_DIR "/class", "0x030000\n");
        fake_file(f, GPU_DIR "/vendor", "0x10de\n");
        fake_file(f, GPU_DIR "/device", "0x28e0\n");
        fake_file(f, GPU_DIR "/boot_vga", "0\n");
        fake_file(f, GPU_DIR "/power/runtime_status", "active\n");
        fake_file_bytes(f, GPU_ROM, rom, size);
}

/* The first byte of ROOT/path. */
static uint8_t first_byte(const FakeRoot *f, const char *path) {
        char *full = fake_path(f, path);
        FILE *file = fopen(full, "re");
        int c;

        assert_non_null(file);
        c = fgetc(file);
        assert_true(c != EOF);
        fclose(file);
        free(full);
        return (uint8_t) c;
}

/* The whole file, as the dump left it. */
static uint8_t *read_back(const char *path, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint8_t *data = NULL;

        assert_true(fd >= 0);
        assert_int_equal(read_full_fd(fd, 64 * 1024 * 1024, &data, ret_size), 0);
        return data;
}

/* ---- reading the ROM from sysfs ---- */

static void test_a_read_switches_the_rom_on_reads_it_and_switches_it_off_again(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ uint8_t *buf = rom_bytes(ROM_SIZE);
        _cleanup_(rom_read_done) RomRead rr = { 0 };
        size_t n = ROM_SIZE;

        gpu(f, buf, n);
        assert_int_equal(rom_read(&ctx, GPU, &rr), 0);
        /* In the fake tree `rom` is a plain file, and each write lands on its
         * first byte: what was read starts with the "1", so the ROM was
         * switched on before the read; the file now starts with "0", so it
         * was switched off after. */
        assert_int_equal(rr.data[0], '1');
        assert_int_equal(first_byte(f, GPU_ROM), '0');
        assert_int_equal(rr.size, n);
        assert_memory_equal(rr.data + 1, buf + 1, n - 1);
        assert_int_equal(rr.vendor, 0x10de);
        assert_int_equal(rr.device, 0x28e0);
        assert_false(rr.boot_vga);
}

static void test_a_dump_writes_what_was_read_to_the_file(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ uint8_t *buf = rom_bytes(ROM_SIZE), *out = NULL;
        _cleanup_free_ char *path = fake_path(f, "/vbios.rom");
        RomRead rr = { 0 };
        size_t n = ROM_SIZE, size;

        gpu(f, buf, n);
        assert_int_equal(rom_dump(&ctx, GPU, path, &rr), 0);
        out = read_back(path, &size);
        assert_int_equal(size, n);
        assert_memory_equal(out, rr.data, n);
        rom_read_done(&rr);
        /* and without asking for what was read */
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rom_dump(&ctx, GPU, path, NULL), 0);
}

/* root writes the dump, often to /tmp, where anyone may have put a link
 * first: only a new file is written, never through a link */
static void test_a_dump_writes_no_file_that_exists_and_follows_no_link(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ uint8_t *buf = rom_bytes(ROM_SIZE), *out = NULL;
        _cleanup_free_ char *path = fake_path(f, "/vbios.rom"), *victim = fake_path(f, "/shadow");
        size_t n = ROM_SIZE, size;

        gpu(f, buf, n);
        fake_file(f, "/shadow", "root:secret\n");
        assert_int_equal(symlink(victim, path), 0);
        assert_int_equal(rom_dump(&ctx, GPU, path, NULL), -EEXIST);
        out = read_back(victim, &size);
        assert_int_equal(size, strlen("root:secret\n"));
        assert_int_equal(unlink(path), 0);
        fake_file(f, "/vbios.rom", "an older dump");
        assert_int_equal(rom_dump(&ctx, GPU, path, NULL), -EEXIST);
}

static void test_an_empty_read_is_enodata_and_nothing_is_written_to_the_file(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ char *path = fake_path(f, "/vbios.rom");
        uint8_t none[1] = { 0 };
        RomRead rr = { 0 };

        gpu(f, none, 0);
        /* takes the writes and reads as nothing, like an empty ROM BAR */
        fake_link(f, GPU_ROM, "/dev/null");
        assert_int_equal(rom_read(&ctx, GPU, &rr), -ENODATA);
        assert_null(rr.data);
        assert_int_equal(rom_dump(&ctx, GPU, path, NULL), -ENODATA);
        assert_int_equal(access(path, F_OK), -1);
}

static void test_a_rom_too_large_is_refused_and_switched_off_again(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ char *path = fake_path(f, GPU_ROM);
        uint8_t sig[2] = { 0x55, 0xAA };
        RomRead rr = { 0 };

        gpu(f, sig, sizeof sig);
        assert_int_equal(truncate(path, ROM_SIZE_MAX + 1), 0);
        assert_int_equal(rom_read(&ctx, GPU, &rr), -EFBIG);
        /* an error after the "1": still the "0" */
        assert_int_equal(first_byte(f, GPU_ROM), '0');
}

static void test_a_runtime_suspended_device_is_refused_before_anything_is_written(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ uint8_t *buf = rom_bytes(ROM_SIZE);
        RomRead rr = { 0 };

        gpu(f, buf, ROM_SIZE);
        fake_file(f, GPU_DIR "/power/runtime_status", "suspended\n");
        assert_int_equal(rom_read(&ctx, GPU, &rr), -EAGAIN);
        assert_int_equal(first_byte(f, GPU_ROM), 0x55);
}

static void test_the_boot_vga_device_is_read_and_flagged(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ uint8_t *buf = rom_bytes(64 * 1024);
        _cleanup_(rom_read_done) RomRead rr = { 0 };

        gpu(f, buf, 64 * 1024);
        fake_file(f, GPU_DIR "/boot_vga", "1\n");
        assert_int_equal(rom_read(&ctx, GPU, &rr), 0);
        assert_true(rr.boot_vga);
        assert_int_equal(rr.size, 64 * 1024);
}

static void test_a_device_without_a_rom_attribute_is_enoent(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        uint8_t none[1] = { 0 };
        RomRead rr = { 0 };

        gpu(f, none, 0);
        fake_unlink(f, GPU_ROM);
        assert_int_equal(rom_read(&ctx, GPU, &rr), -ENOENT);
}

static void test_a_device_that_is_not_there_is_enodev(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        RomRead rr = { 0 };

        fake_dir(f, "/sys/bus/pci/devices");
        assert_int_equal(rom_read(&ctx, GPU, &rr), -ENODEV);
}

static void test_the_rom_of_a_storage_controller_is_not_touched(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ uint8_t *buf = rom_bytes(ROM_SIZE);
        RomRead rr = { 0 };

        gpu(f, buf, ROM_SIZE);
        fake_file(f, GPU_DIR "/class", "0x010802\n");
        assert_int_equal(rom_read(&ctx, GPU, &rr), -EPERM);
        assert_int_equal(first_byte(f, GPU_ROM), 0x55);
}

/* ---- when the ROM BAR is empty: the ACPI VFCT table ---- */

#define APU "0000:03:00.0"
#define APU_DIR "/sys/bus/pci/devices/" APU
#define APU_ROM APU_DIR "/rom"

/* A Ryzen laptop's Radeon 680M as sysfs shows it: the boot VGA, whose ROM
 * BAR reads as nothing. */
static void apu(const FakeRoot *f) {
        fake_file(f, APU_DIR "/class", "0x030000\n");
        fake_file(f, APU_DIR "/vendor", "0x1002\n");
        fake_file(f, APU_DIR "/device", "0x1681\n");
        fake_file(f, APU_DIR "/boot_vga", "1\n");
        fake_file(f, APU_DIR "/power/runtime_status", "active\n");
        fake_link(f, APU_ROM, "/dev/null");
}

/* The host's VFCT table with `n` images. */
static void vfct(const FakeRoot *f, const VfctSpec *specs, size_t n) {
        size_t size;
        _cleanup_free_ uint8_t *t = vfct_table(specs, n, &size);

        fake_file_bytes(f, VFCT_PATH, t, size);
}

/* rom_read() of the APU that fails with `error`; what it logged. */
static char *read_fails(const FakeRoot *f, int error) {
        HostContext ctx = { .root = f->dir };
        RomRead rr = { 0 };
        Capture c;
        char *log;
        int r;

        capture_start(&c);
        r = rom_read(&ctx, APU, &rr);
        log = capture_end(&c);
        assert_int_equal(r, error);
        assert_null(rr.data);
        return log;
}

static void test_an_empty_rom_bar_gives_the_vfct_image_for_the_device(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        const VfctSpec one[] = { { RADEON_680M, .length = 60 * 1024 } };
        _cleanup_(rom_read_done) RomRead rr = { 0 };

        apu(f);
        vfct(f, one, 1);
        assert_int_equal(rom_read(&ctx, APU, &rr), 0);
        assert_int_equal(rr.source, ROM_SOURCE_VFCT);
        assert_int_equal(rr.size, 60 * 1024);
        assert_true(vfct_image_is(rr.data, 0, rr.size));
        assert_int_equal(rr.vendor, 0x1002);
        assert_int_equal(rr.device, 0x1681);
        /* what the kernel's shadow copy of the boot VGA's ROM is, this is not */
        assert_false(rr.boot_vga);
}

static void test_a_device_without_a_rom_attribute_gives_the_vfct_image_too(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        const VfctSpec one[] = { { RADEON_680M, .length = 4096 } };
        _cleanup_(rom_read_done) RomRead rr = { 0 };

        apu(f);
        fake_unlink(f, APU_ROM);
        vfct(f, one, 1);
        assert_int_equal(rom_read(&ctx, APU, &rr), 0);
        assert_int_equal(rr.source, ROM_SOURCE_VFCT);
        assert_int_equal(rr.size, 4096);
}

static void test_of_two_vfct_images_the_device_s_own_is_taken(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        const VfctSpec two[] = {
                { .bus = 0x01, .vendor = 0x1002, .device = 0x73ef, .length = 8192 },
                { RADEON_680M, .length = 4096 },
        };
        _cleanup_(rom_read_done) RomRead rr = { 0 };

        apu(f);
        vfct(f, two, 2);
        assert_int_equal(rom_read(&ctx, APU, &rr), 0);
        assert_int_equal(rr.size, 4096);
        assert_true(vfct_image_is(rr.data, 1, rr.size));
}

static void test_a_rom_behind_the_rom_bar_is_taken_before_the_vfct_table(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        const VfctSpec one[] = { { RADEON_680M, .length = 4096 } };
        _cleanup_free_ uint8_t *buf = rom_bytes(ROM_SIZE);
        _cleanup_(rom_read_done) RomRead rr = { 0 };

        apu(f);
        fake_unlink(f, APU_ROM);
        fake_file_bytes(f, APU_ROM, buf, ROM_SIZE);
        vfct(f, one, 1);
        assert_int_equal(rom_read(&ctx, APU, &rr), 0);
        assert_int_equal(rr.source, ROM_SOURCE_ROM_BAR);
        assert_int_equal(rr.size, ROM_SIZE);
        assert_true(rr.boot_vga);
}

static void test_without_a_vfct_table_the_empty_rom_bar_is_the_error_and_says_so(void **state) {
        FakeRoot *f = *state;
        _cleanup_free_ char *log = NULL;

        apu(f);
        log = read_fails(f, -ENODATA);
        assert_logged(log, "reading the ROM of " APU " returned nothing: the ROM BAR is empty. Nor is there an "
                           "ACPI VFCT table (/sys/firmware/acpi/tables/VFCT)");
        assert_logged(log, "vmrun rom check FILE --device " APU);
}

static void test_a_vfct_table_without_the_device_s_image_names_the_images_it_has(void **state) {
        FakeRoot *f = *state;
        const VfctSpec other[] = {
                { .bus = 0x03, .vendor = 0x1002, .device = 0x15bf, .length = 4096 }, /* a Radeon 780M */
                { .bus = 0x01, .vendor = 0x1002, .device = 0x73ef, .length = 4096 },
        };
        _cleanup_free_ char *log = NULL;

        apu(f);
        vfct(f, other, 2);
        log = read_fails(f, -ENODATA);
        assert_logged(log, "The ACPI VFCT table (/sys/firmware/acpi/tables/VFCT) has no image for this device "
                           "(1002:1681), only for 03:00.0 1002:15bf, 01:00.0 1002:73ef");
}

static void test_a_truncated_vfct_image_is_refused(void **state) {
        FakeRoot *f = *state;
        const VfctSpec cut[] = { { RADEON_680M, .length = 4096, .claimed_length = 65536 } };
        _cleanup_free_ char *log = NULL;

        apu(f);
        vfct(f, cut, 1);
        log = read_fails(f, -ENODATA);
        assert_logged(log, "runs past the table's end");
        assert_logged(log, "truncated");
}

static void test_a_broken_vfct_table_is_said_to_be_broken(void **state) {
        FakeRoot *f = *state;
        _cleanup_free_ char *log = NULL;

        apu(f);
        fake_file(f, VFCT_PATH, "VFCT, but nothing more\n");
        log = read_fails(f, -ENODATA);
        assert_logged(log, "/sys/firmware/acpi/tables/VFCT is no VFCT table");
}

/* a sleeping device's empty read says nothing about its ROM BAR */
static void test_a_runtime_suspended_device_is_not_looked_up_in_the_vfct_table(void **state) {
        FakeRoot *f = *state;
        const VfctSpec one[] = { { RADEON_680M, .length = 4096 } };
        _cleanup_free_ char *log = NULL;

        apu(f);
        fake_file(f, APU_DIR "/power/runtime_status", "suspended\n");
        vfct(f, one, 1);
        log = read_fails(f, -EAGAIN);
        assert_not_logged(log, "VFCT");
}

static void test_a_dump_from_the_vfct_table_writes_its_image_and_says_where_it_came_from(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        const VfctSpec one[] = { { RADEON_680M, .length = 8192 } };
        _cleanup_free_ char *path = fake_path(f, "/vbios.rom"), *log = NULL;
        _cleanup_free_ uint8_t *out = NULL;
        size_t size;
        Capture c;
        int r;

        apu(f);
        vfct(f, one, 1);
        capture_start(&c);
        r = rom_dump(&ctx, APU, path, NULL);
        log = capture_end(&c);
        assert_int_equal(r, 0);
        out = read_back(path, &size);
        assert_int_equal(size, 8192);
        assert_true(vfct_image_is(out, 0, size));
        assert_logged(log, "8192 bytes, the ROM of " APU " (1002:1681), from the ACPI VFCT table "
                           "(/sys/firmware/acpi/tables/VFCT)");
}

static void test_a_dump_from_sysfs_says_so(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ uint8_t *buf = rom_bytes(ROM_SIZE);
        _cleanup_free_ char *path = fake_path(f, "/vbios.rom"), *log = NULL;
        Capture c;
        int r;

        gpu(f, buf, ROM_SIZE);
        capture_start(&c);
        r = rom_dump(&ctx, GPU, path, NULL);
        log = capture_end(&c);
        assert_int_equal(r, 0);
        assert_logged(log, "the ROM of " GPU " (10de:28e0), from the PCI ROM BAR (sysfs rom)");
}

/* ---- what each failure says ---- */

static char *message(int error) {
        char *m = NULL;

        assert_int_equal(rom_read_error_message(error, GPU, NULL, &m), 0);
        return m;
}

static void test_an_empty_rom_bar_says_where_laptops_keep_the_vbios(void **state) {
        _cleanup_free_ char *eio = message(-EIO), *empty = message(-ENODATA), *none = message(-ENOENT);

        for (char *const *m = (char *const[]) { eio, empty, none, NULL }; *m; m++) {
                assert_non_null(strstr(*m, "laptops"));
                assert_non_null(strstr(*m, "system firmware"));
                assert_non_null(strstr(*m, "GPU-Z"));
                assert_non_null(strstr(*m, "vmrun rom check FILE --device " GPU));
        }
        assert_non_null(strstr(eio, "ROM BAR is empty"));
        assert_non_null(strstr(eio, "dmesg"));
        assert_non_null(strstr(empty, "returned nothing"));
        assert_non_null(strstr(none, "no expansion ROM"));
}

static void test_why_the_vfct_table_had_nothing_stands_between_the_empty_rom_bar_and_the_hint(void **state) {
        _cleanup_free_ char *m = NULL;

        assert_int_equal(rom_read_error_message(-EIO, GPU, "The table has none", &m), 0);
        assert_non_null(strstr(m, "the ROM BAR is empty. The table has none. This is common on laptops"));
}

static void test_a_suspended_device_says_how_to_keep_it_awake(void **state) {
        _cleanup_free_ char *m = message(-EAGAIN);

        assert_non_null(strstr(m, "runtime-suspended"));
        assert_non_null(strstr(m, "echo on > /sys/bus/pci/devices/" GPU "/power/control"));
        assert_non_null(strstr(m, "echo auto > "));
}

static void test_other_failures_say_what_they_are(void **state) {
        _cleanup_free_ char *root = message(-EACCES), *gone = message(-ENODEV), *big = message(-EFBIG),
                            *other = message(-EBUSY);

        assert_non_null(strstr(root, "root"));
        assert_non_null(strstr(gone, "no PCI device " GPU));
        assert_non_null(strstr(big, "16 MiB"));
        assert_non_null(strstr(other, strerror(EBUSY)));
        assert_non_null(strstr(other, GPU));
}

#define TEST(name) cmocka_unit_test(name)
#define TEST_ROOT(name) cmocka_unit_test_setup_teardown(name, fake_root_setup, fake_root_teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST_ROOT(test_a_read_switches_the_rom_on_reads_it_and_switches_it_off_again),
                TEST_ROOT(test_a_dump_writes_what_was_read_to_the_file),
                TEST_ROOT(test_a_dump_writes_no_file_that_exists_and_follows_no_link),
                TEST_ROOT(test_an_empty_read_is_enodata_and_nothing_is_written_to_the_file),
                TEST_ROOT(test_a_rom_too_large_is_refused_and_switched_off_again),
                TEST_ROOT(test_a_runtime_suspended_device_is_refused_before_anything_is_written),
                TEST_ROOT(test_the_boot_vga_device_is_read_and_flagged),
                TEST_ROOT(test_a_device_without_a_rom_attribute_is_enoent),
                TEST_ROOT(test_a_device_that_is_not_there_is_enodev),
                TEST_ROOT(test_the_rom_of_a_storage_controller_is_not_touched),
                TEST_ROOT(test_an_empty_rom_bar_gives_the_vfct_image_for_the_device),
                TEST_ROOT(test_a_device_without_a_rom_attribute_gives_the_vfct_image_too),
                TEST_ROOT(test_of_two_vfct_images_the_device_s_own_is_taken),
                TEST_ROOT(test_a_rom_behind_the_rom_bar_is_taken_before_the_vfct_table),
                TEST_ROOT(test_without_a_vfct_table_the_empty_rom_bar_is_the_error_and_says_so),
                TEST_ROOT(test_a_vfct_table_without_the_device_s_image_names_the_images_it_has),
                TEST_ROOT(test_a_truncated_vfct_image_is_refused),
                TEST_ROOT(test_a_broken_vfct_table_is_said_to_be_broken),
                TEST_ROOT(test_a_runtime_suspended_device_is_not_looked_up_in_the_vfct_table),
                TEST_ROOT(test_a_dump_from_the_vfct_table_writes_its_image_and_says_where_it_came_from),
                TEST_ROOT(test_a_dump_from_sysfs_says_so),
                TEST(test_an_empty_rom_bar_says_where_laptops_keep_the_vbios),
                TEST(test_why_the_vfct_table_had_nothing_stands_between_the_empty_rom_bar_and_the_hint),
                TEST(test_a_suspended_device_says_how_to_keep_it_awake),
                TEST(test_other_failures_say_what_they_are),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
