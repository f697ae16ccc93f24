/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-root.h"

#include <glob.h>

#include "host/host.h"
#include "basic/log.h"
#include "qemu/rom.h"

/* ---- synthetic images ----
 *
 * Built byte by byte the way the PCI Firmware Specification lays them out,
 * so that each test says exactly what the ROM contains. */

typedef struct Spec {
        uint8_t code_type;
        uint16_t vendor, device;
        size_t length;                  /* bytes, a multiple of 512 */
        bool last;
        uint16_t efi_machine, efi_subsystem;
        bool no_efi_signature;
        const uint16_t *device_list;    /* zero-terminated; PCIR revision 3 */
} Spec;

#define RTX_4060_MOBILE_IDS .vendor = 0x10de, .device = 0x28e0
#define PCIR_AT 0x1c

static void put16(uint8_t *p, uint16_t v) {
        p[0] = v & 0xff;
        p[1] = v >> 8;
}

/* Writes the image at buf + offset; returns the offset after it. */
static size_t put_image(uint8_t *buf, size_t offset, const Spec *s) {
        uint8_t *im = buf + offset, *pcir = im + PCIR_AT;

        memset(im, 0, s->length);
        im[0] = 0x55;
        im[1] = 0xAA;
        im[2] = (uint8_t) (s->length / 512);
        if (s->code_type == ROM_CODE_EFI) {
                put16(im + 0x02, (uint16_t) (s->length / 512));
                if (!s->no_efi_signature)
                        put16(im + 0x04, 0x0EF1);
                put16(im + 0x08, s->efi_subsystem);
                put16(im + 0x0A, s->efi_machine);
                put16(im + 0x16, 0x40);         /* the PE image, not looked at */
        }
        put16(im + 0x18, PCIR_AT);
        memcpy(pcir, "PCIR", 4);
        put16(pcir + 0x04, s->vendor);
        put16(pcir + 0x06, s->device);
        put16(pcir + 0x0A, 0x18);
        pcir[0x0F] = 0x03;                      /* class: display controller */
        put16(pcir + 0x10, (uint16_t) (s->length / 512));
        pcir[0x14] = s->code_type;
        pcir[0x15] = s->last ? 0x80 : 0x00;
        if (s->device_list) {
                pcir[0x0C] = 3;
                put16(pcir + 0x08, 0x20);
                for (size_t i = 0;; i++) {
                        put16(pcir + 0x20 + 2 * i, s->device_list[i]);
                        if (!s->device_list[i])
                                break;
                }
        }
        return offset + s->length;
}

static const Spec legacy = { .code_type = ROM_CODE_X86, RTX_4060_MOBILE_IDS, .length = 64 * 1024 };
static const Spec efi_x64 = {
        .code_type = ROM_CODE_EFI,
        RTX_4060_MOBILE_IDS,
        .length = 32 * 1024,
        .last = true,
        .efi_machine = ROM_EFI_X64,
        .efi_subsystem = ROM_EFI_BOOT_SERVICE_DRIVER,
};

static Spec with_last(Spec s, bool last) {
        s.last = last;
        return s;
}

/* An RTX 4060 Mobile vBIOS as it should be: legacy, then x64 EFI, last. */
static size_t good_vbios(uint8_t *buf) {
        return put_image(buf, put_image(buf, 0, &legacy), &efi_x64);
}

static const RomExpect rtx_4060 = { .set = true, .vendor = 0x10de, .device = 0x28e0 };

/* A heap copy of exactly `size` bytes. The buffers the tests build images
 * in have room to spare, which would hide a read past the end of the data:
 * in an exact copy, ASan sees it. */
static uint8_t *exact_copy(const void *data, size_t size) {
        uint8_t *b = malloc(size);

        /* glibc and ASan both give a pointer for 0 bytes */
        assert_non_null(b);
        if (size > 0)
                memcpy(b, data, size);
        return b;
}

/* rom_parse() of the `size` bytes at `data`, and nothing beyond them. */
static Rom *parse(const void *data, size_t size, const RomExpect *expect) {
        _cleanup_free_ uint8_t *exact = exact_copy(data, size);
        Rom *rom = NULL;

        assert_int_equal(rom_parse(exact, size, expect, &rom), 0);
        assert_non_null(rom);
        return rom;
}

static char *describe(const RomImage *im) {
        char *s = NULL;

        assert_int_equal(rom_image_describe(im, &s), 0);
        return s;
}

static const char *warning_of(const Rom *rom, RomProblem p) {
        for (size_t i = 0; i < rom->n_warnings; i++)
                if (rom->warnings[i].problem == p)
                        return rom->warnings[i].message;
        fail_msg("no warning %d", (int) p);
        return NULL;
}

/* 256 KiB: room for every chain below */
static uint8_t *new_buf(void) {
        uint8_t *b = calloc(1, 256 * 1024);

        assert_non_null(b);
        return b;
}

/* ---- the chain ---- */

static void test_a_legacy_and_an_x64_efi_image_make_a_rom_without_warnings(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        size_t n = good_vbios(buf);
        _cleanup_rom_ Rom *rom = parse(buf, n, &rtx_4060);

        assert_int_equal(rom->n_images, 2);
        assert_int_equal(rom->n_warnings, 0);
        assert_true(rom_usable(rom));
        assert_int_equal(rom->header_size, 0);
        assert_int_equal(rom->size, n);
}

static void test_each_image_reports_offset_length_code_type_vendor_device_and_last_bit(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        _cleanup_rom_ Rom *rom = parse(buf, good_vbios(buf), NULL);

        assert_int_equal(rom->images[0].offset, 0);
        assert_int_equal(rom->images[0].length, 64 * 1024);
        assert_int_equal(rom->images[0].code_type, ROM_CODE_X86);
        assert_int_equal(rom->images[0].vendor, 0x10de);
        assert_int_equal(rom->images[0].device, 0x28e0);
        assert_false(rom->images[0].last);
        assert_int_equal(rom->images[1].offset, 64 * 1024);
        assert_int_equal(rom->images[1].length, 32 * 1024);
        assert_int_equal(rom->images[1].code_type, ROM_CODE_EFI);
        assert_true(rom->images[1].last);
}

static void test_an_efi_image_reports_its_machine_type_and_subsystem(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        _cleanup_rom_ Rom *rom = parse(buf, good_vbios(buf), NULL);
        _cleanup_free_ char *d0 = describe(&rom->images[0]), *d1 = describe(&rom->images[1]);

        assert_true(rom->images[1].efi_signature);
        assert_int_equal(rom->images[1].efi_machine, ROM_EFI_X64);
        assert_int_equal(rom->images[1].efi_subsystem, ROM_EFI_BOOT_SERVICE_DRIVER);
        assert_false(rom->images[1].efi_compressed);
        assert_string_equal(d0, "x86 legacy, 10de:28e0");
        assert_string_equal(d1, "EFI x64 boot service driver, 10de:28e0");
}

static void test_a_legacy_only_rom_is_usable_but_warns_that_ovmf_shows_nothing(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec only = with_last(legacy, true);
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, 0, &only), &rtx_4060);

        assert_int_equal(rom->n_images, 1);
        assert_true(rom_usable(rom));
        assert_int_equal(rom->n_warnings, 1);
        assert_true(rom_has_problem(rom, ROM_NO_X64_EFI));
        assert_non_null(strstr(warning_of(rom, ROM_NO_X64_EFI), "OVMF will show nothing"));
        assert_non_null(strstr(warning_of(rom, ROM_NO_X64_EFI), "only legacy code"));
}

static void test_an_ia32_efi_image_is_no_x64_efi_image(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec ia32 = efi_x64;
        ia32.efi_machine = ROM_EFI_IA32;
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, put_image(buf, 0, &legacy), &ia32), NULL);
        _cleanup_free_ char *d = describe(&rom->images[1]);

        assert_true(rom_has_problem(rom, ROM_NO_X64_EFI));
        assert_non_null(strstr(warning_of(rom, ROM_NO_X64_EFI), "another CPU"));
        assert_string_equal(d, "EFI IA32 boot service driver, 10de:28e0");
        assert_true(rom_usable(rom));
}

static void test_an_x64_efi_application_is_not_a_driver_firmware_would_load(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec app = efi_x64;
        app.efi_subsystem = ROM_EFI_APPLICATION;
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, put_image(buf, 0, &legacy), &app), NULL);

        assert_true(rom_has_problem(rom, ROM_NO_X64_EFI));
}

static void test_an_x64_efi_runtime_driver_counts_as_an_x64_efi_image(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec rt = efi_x64;
        rt.efi_subsystem = ROM_EFI_RUNTIME_DRIVER;
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, put_image(buf, 0, &legacy), &rt), NULL);

        assert_false(rom_has_problem(rom, ROM_NO_X64_EFI));
}

static void test_an_efi_image_without_the_efi_signature_is_shown_as_such_and_not_counted(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec bad = efi_x64;
        bad.no_efi_signature = true;
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, put_image(buf, 0, &legacy), &bad), NULL);
        _cleanup_free_ char *d = describe(&rom->images[1]);

        assert_false(rom->images[1].efi_signature);
        assert_non_null(strstr(d, "without the EFI signature"));
        assert_true(rom_has_problem(rom, ROM_NO_X64_EFI));
}

static void test_the_chain_follows_each_image_length_to_the_next_512_byte_boundary(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec a = { .code_type = ROM_CODE_X86, RTX_4060_MOBILE_IDS, .length = 512 },
             b = { .code_type = ROM_CODE_NVIDIA, RTX_4060_MOBILE_IDS, .length = 1536 };
        size_t n = put_image(buf, put_image(buf, put_image(buf, 0, &a), &b), &efi_x64);
        _cleanup_rom_ Rom *rom = parse(buf, n, NULL);

        assert_int_equal(rom->n_images, 3);
        assert_int_equal(rom->images[1].offset, 512);
        assert_int_equal(rom->images[2].offset, 2048);
        assert_int_equal(rom->images[1].code_type, ROM_CODE_NVIDIA);
        assert_int_equal(rom->n_warnings, 0);
}

static void test_code_types_without_a_name_are_shown_by_number(void **state) {
        RomImage im = { .code_type = 0x42, .vendor = 0x1234, .device = 0x5678 };
        RomImage efi = { .code_type = ROM_CODE_EFI, .efi_signature = true, .efi_machine = 0x1234, .efi_subsystem = 0x33 };
        _cleanup_free_ char *d = describe(&im), *e = describe(&efi);

        assert_string_equal(d, "code type 0x42, 1234:5678");
        assert_string_equal(e, "EFI machine 0x1234 subsystem 0x33, 0000:0000");
        assert_string_equal(rom_code_type_to_string(ROM_CODE_NVIDIA), "NVIDIA-specific");
        assert_string_equal(rom_code_type_to_string(ROM_CODE_X86), "x86 legacy");
        assert_string_equal(rom_efi_machine_to_string(ROM_EFI_AARCH64), "AArch64");
        assert_string_equal(rom_efi_machine_to_string(ROM_EFI_EBC), "EBC");
        assert_null(rom_code_type_to_string(0x42));
        assert_null(rom_efi_subsystem_to_string(0x33));
}

/* ---- what firmware does not see ---- */

static void test_images_after_the_last_one_are_listed_but_firmware_does_not_see_them(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec first = with_last(legacy, true);
        /* NVIDIA keeps images for its own driver behind the one marked last */
        Spec nv = { .code_type = ROM_CODE_NVIDIA, .vendor = 0x10de, .length = 4096, .last = true };
        size_t n = put_image(buf, put_image(buf, put_image(buf, 0, &first), &efi_x64), &nv);
        _cleanup_rom_ Rom *rom = parse(buf, n, &rtx_4060);

        assert_int_equal(rom->n_images, 3);
        assert_false(rom->images[0].after_last);
        assert_true(rom->images[1].after_last);
        assert_true(rom->images[2].after_last);
        /* the x64 image is there, but firmware stops before it */
        assert_true(rom_has_problem(rom, ROM_NO_X64_EFI));
        /* nor is an image firmware never sees checked against the device */
        assert_false(rom_has_problem(rom, ROM_WRONG_DEVICE));
        assert_true(rom_usable(rom));
}

static void test_padding_after_the_last_image_is_no_problem(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        size_t n = good_vbios(buf);
        memset(buf + n, 0xff, 8192);
        _cleanup_rom_ Rom *rom = parse(buf, n + 8192, NULL);

        assert_int_equal(rom->n_images, 2);
        assert_int_equal(rom->n_warnings, 0);
}

static void test_a_chain_that_runs_to_the_end_of_the_file_without_a_last_image_warns(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec not_last = with_last(efi_x64, false);
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, put_image(buf, 0, &legacy), &not_last), NULL);

        assert_int_equal(rom->n_images, 2);
        assert_true(rom_has_problem(rom, ROM_NO_LAST_IMAGE));
        assert_non_null(strstr(warning_of(rom, ROM_NO_LAST_IMAGE), "last-image bit"));
        assert_true(rom_usable(rom));
}

static void test_an_image_without_the_last_bit_followed_by_no_image_warns(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        size_t n = put_image(buf, 0, &legacy);
        memset(buf + n, 0xff, 4096);
        _cleanup_rom_ Rom *rom = parse(buf, n + 4096, NULL);

        assert_int_equal(rom->n_images, 1);
        assert_true(rom_has_problem(rom, ROM_NO_LAST_IMAGE));
        assert_non_null(strstr(warning_of(rom, ROM_NO_LAST_IMAGE), "0x0"));
        assert_true(rom_usable(rom));
}

static void test_a_second_image_without_a_pcir_breaks_the_chain(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        size_t n = good_vbios(buf);

        memcpy(buf + legacy.length + PCIR_AT, "XXXX", 4);
        _cleanup_rom_ Rom *rom = parse(buf, n, NULL);

        assert_int_equal(rom->n_images, 1);
        assert_true(rom_has_problem(rom, ROM_BROKEN_CHAIN));
        assert_non_null(strstr(warning_of(rom, ROM_BROKEN_CHAIN), "PCIR"));
        assert_true(rom_has_problem(rom, ROM_NO_X64_EFI));
}

/* ---- not usable ---- */

static void test_an_image_running_past_the_end_of_the_file_is_truncated(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        size_t n = good_vbios(buf);
        _cleanup_rom_ Rom *rom = parse(buf, n - 1000, NULL);

        assert_int_equal(rom->n_images, 2);
        assert_true(rom->images[1].truncated);
        assert_true(rom_has_problem(rom, ROM_TRUNCATED));
        assert_false(rom_usable(rom));
        assert_non_null(strstr(warning_of(rom, ROM_TRUNCATED), "32768 bytes long"));
}

static void test_a_file_cut_inside_the_first_header_has_no_image(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();

        good_vbios(buf);
        _cleanup_rom_ Rom *rom = parse(buf, 16, NULL);

        assert_int_equal(rom->n_images, 0);
        assert_true(rom_has_problem(rom, ROM_NO_IMAGE));
        assert_false(rom_usable(rom));
}

static void test_a_file_of_zeros_has_no_image(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        _cleanup_rom_ Rom *zeros = parse(buf, 4096, NULL);
        _cleanup_rom_ Rom *empty = parse(buf, 0, NULL);

        assert_true(rom_has_problem(zeros, ROM_NO_IMAGE));
        assert_non_null(strstr(warning_of(zeros, ROM_NO_IMAGE), "0x55AA"));
        assert_int_equal(zeros->n_warnings, 1);
        assert_true(rom_has_problem(empty, ROM_NO_IMAGE));
        assert_false(rom_usable(empty));
}

/* The signature alone does not make a PCIR: its fields run to 0x18, and
 * a file cut anywhere before that has them past its end, where nothing may
 * be read (ASan, seeing only the file's bytes, says so if it is). */
static void test_a_file_that_ends_inside_the_pcir_has_no_image(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec only = with_last(legacy, true);

        put_image(buf, 0, &only);
        for (size_t end = PCIR_AT + 4; end < PCIR_AT + 0x18; end++) {
                _cleanup_rom_ Rom *rom = parse(buf, end, &rtx_4060);

                assert_int_equal(rom->n_images, 0);
                assert_true(rom_has_problem(rom, ROM_NO_IMAGE));
                assert_non_null(strstr(warning_of(rom, ROM_NO_IMAGE), "PCIR"));
                assert_false(rom_usable(rom));
        }
}

static void test_a_pcir_pointer_beyond_the_file_is_no_image(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();

        good_vbios(buf);
        put16(buf + 0x18, 0xfff0);
        _cleanup_rom_ Rom *rom = parse(buf, 1024, NULL);

        assert_int_equal(rom->n_images, 0);
        assert_true(rom_has_problem(rom, ROM_NO_IMAGE));
        assert_non_null(strstr(warning_of(rom, ROM_NO_IMAGE), "0xfff0"));
}

static void test_an_image_length_of_zero_ends_the_walk_instead_of_looping(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        size_t n = good_vbios(buf);

        put16(buf + PCIR_AT + 0x10, 0);
        _cleanup_rom_ Rom *rom = parse(buf, n, NULL);

        assert_int_equal(rom->n_images, 0);
        assert_non_null(strstr(warning_of(rom, ROM_NO_IMAGE), "length 0"));
}

/* ---- the device ---- */

static void test_images_for_another_model_are_not_usable(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        /* an RTX 4070 Mobile's */
        Spec a = legacy, b = efi_x64;
        a.device = b.device = 0x2860;
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, put_image(buf, 0, &a), &b), &rtx_4060);

        assert_true(rom->images[0].wrong_device);
        assert_true(rom_has_problem(rom, ROM_WRONG_DEVICE));
        assert_false(rom_usable(rom));
        assert_non_null(strstr(warning_of(rom, ROM_WRONG_DEVICE), "10de:2860"));
        assert_non_null(strstr(warning_of(rom, ROM_WRONG_DEVICE), "10de:28e0"));
        assert_non_null(strstr(warning_of(rom, ROM_WRONG_DEVICE), "another model's"));
}

static void test_an_image_for_another_vendor_is_not_usable(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec b = efi_x64;
        b.vendor = 0x1002;
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, put_image(buf, 0, &legacy), &b), &rtx_4060);

        assert_false(rom->images[0].wrong_device);
        assert_true(rom->images[1].wrong_device);
        assert_false(rom_usable(rom));
        assert_non_null(strstr(warning_of(rom, ROM_WRONG_DEVICE), "another vendor's"));
}

static void test_a_device_in_the_pcir_3_device_list_matches(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        static const uint16_t list[] = { 0x28a0, 0x28e0, 0 };
        Spec a = legacy, b = efi_x64;
        a.device = b.device = 0x28a1;
        a.device_list = b.device_list = list;
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, put_image(buf, 0, &a), &b), &rtx_4060);

        assert_int_equal(rom->images[0].n_more_devices, 2);
        assert_false(rom->images[0].wrong_device);
        assert_true(rom_usable(rom));
        assert_int_equal(rom->n_warnings, 0);
}

/* The list is part of its image: what follows the image, though still in
 * the file, is not more of it, even where it reads like more device IDs. */
static void test_a_pcir_3_device_list_ends_with_its_image(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        static const uint16_t list[] = { 0x28a0, 0 };
        /* an RTX 4070 Mobile's, with one more ID in its list */
        Spec a = with_last(legacy, true);
        size_t n;

        a.length = 512;
        a.device = 0x2860;
        a.device_list = list;
        n = put_image(buf, 0, &a);
        /* the list moved to the image's last two bytes; right after the
         * image, what would go on with our device's ID and a list's end */
        put16(buf + PCIR_AT + 0x08, (uint16_t) (n - 2 - PCIR_AT));
        put16(buf + n - 2, 0x28a0);
        put16(buf + n, 0x28e0);
        put16(buf + n + 2, 0);
        _cleanup_rom_ Rom *rom = parse(buf, n + 512, &rtx_4060);

        assert_int_equal(rom->n_images, 1);
        assert_int_equal(rom->images[0].n_more_devices, 1);
        assert_true(rom->images[0].wrong_device);
        assert_true(rom_has_problem(rom, ROM_WRONG_DEVICE));
        assert_false(rom_usable(rom));
}

static void test_without_an_expected_device_vendor_and_device_are_not_checked(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        Spec a = with_last(legacy, false), b = efi_x64;
        a.vendor = b.vendor = 0x8086;
        RomExpect none = { 0 };
        _cleanup_rom_ Rom *rom = parse(buf, put_image(buf, put_image(buf, 0, &a), &b), &none);
        _cleanup_rom_ Rom *rom2 = parse(buf, put_image(buf, put_image(buf, 0, &a), &b), NULL);

        assert_false(rom_has_problem(rom, ROM_WRONG_DEVICE));
        assert_false(rom_has_problem(rom2, ROM_WRONG_DEVICE));
}

/* ---- the NVGI header ---- */

static void test_an_nvgi_header_is_skipped_to_the_first_0x55aa_at_a_512_byte_boundary(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        size_t n;

        memcpy(buf, "NVGI", 4);
        /* a 0x55AA off the 512-byte grid inside the header is not the start */
        buf[0x100] = 0x55;
        buf[0x101] = 0xAA;
        n = put_image(buf, put_image(buf, 0x400, &legacy), &efi_x64);
        _cleanup_rom_ Rom *rom = parse(buf, n, &rtx_4060);

        assert_int_equal(rom->header_size, 0x400);
        assert_int_equal(rom->n_images, 2);
        assert_int_equal(rom->images[0].offset, 0x400);
        assert_int_equal(rom->images[1].code_type, ROM_CODE_EFI);
        assert_false(rom_has_problem(rom, ROM_NO_X64_EFI));
}

static void test_a_rom_behind_an_nvgi_header_must_be_stripped_first(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        size_t n;

        memcpy(buf, "NVGI", 4);
        n = put_image(buf, put_image(buf, 0x400, &legacy), &efi_x64);
        _cleanup_rom_ Rom *rom = parse(buf, n, &rtx_4060);

        assert_true(rom_has_problem(rom, ROM_NVGI_HEADER));
        assert_false(rom_usable(rom));
        /* the command that strips it, with the right offset */
        assert_non_null(strstr(warning_of(rom, ROM_NVGI_HEADER), "tail -c +1025 "));
        /* the fix comes last, after what else is wrong */
        assert_int_equal(rom->warnings[rom->n_warnings - 1].problem, ROM_NVGI_HEADER);
}

static void test_an_nvgi_header_with_no_image_after_it_has_no_image(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();

        memcpy(buf, "NVGI", 4);
        _cleanup_rom_ Rom *rom = parse(buf, 8192, NULL);

        assert_int_equal(rom->n_images, 0);
        assert_true(rom_has_problem(rom, ROM_NO_IMAGE));
        assert_non_null(strstr(warning_of(rom, ROM_NO_IMAGE), "NVGI"));
        assert_false(rom_has_problem(rom, ROM_NVGI_HEADER));
}

/* ---- real ROMs Debian ships ---- */

static void read_whole(const char *path, uint8_t **ret, size_t *ret_size) {
        FILE *f = fopen(path, "re");
        uint8_t *b;
        long n;

        if (!f)
                fail_msg("%s: %s; the tests need ipxe-qemu and seabios (scripts/install-deps)", path, strerror(errno));
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        assert_true(n > 0);
        rewind(f);
        b = malloc((size_t) n + 4096);
        assert_non_null(b);
        assert_int_equal(fread(b, 1, (size_t) n, f), (size_t) n);
        fclose(f);
        *ret = b;
        *ret_size = (size_t) n;
}

static void each(const char *pattern, size_t min, void (*check)(const char *path)) {
        glob_t g = { 0 };

        if (glob(pattern, 0, NULL, &g) != 0)
                fail_msg("no %s; the tests need ipxe-qemu and seabios (scripts/install-deps)", pattern);
        assert_true(g.gl_pathc >= min);
        for (size_t i = 0; i < g.gl_pathc; i++)
                check(g.gl_pathv[i]);
        globfree(&g);
}

/* Where ipxe-qemu puts QEMU's iPXE ROMs: QEMU's data directory (Debian 13
 * on), or its own (Debian 12); the first that has efi-e1000.rom. */
static const char *ipxe_dir(void) {
        static const char *const dirs[] = { "/usr/share/qemu", "/usr/lib/ipxe/qemu" };
        char path[64];

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(path, sizeof path, "%s/efi-e1000.rom", dirs[i]);
                if (access(path, R_OK) == 0)
                        return dirs[i];
        }
        fail_msg("no efi-e1000.rom in /usr/share/qemu or /usr/lib/ipxe/qemu; the tests need ipxe-qemu (scripts/install-deps)");
        return NULL;
}

/* DIR/NAME of ipxe_dir(), in a buffer of the caller's */
static const char *ipxe_path(char buf[static 64], const char *name) {
        snprintf(buf, 64, "%s/%s", ipxe_dir(), name);
        return buf;
}

static void check_ipxe(const char *path) {
        _cleanup_rom_ Rom *rom = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        size_t size, end;

        assert_int_equal(rom_parse_file(path, NULL, &rom), 0);
        if (rom->n_images != 2 || rom->n_warnings != 0)
                fail_msg("%s: %zu images, %zu warnings", path, rom->n_images, rom->n_warnings);
        assert_int_equal(rom->images[0].code_type, ROM_CODE_X86);
        assert_false(rom->images[0].last);
        assert_int_equal(rom->images[1].code_type, ROM_CODE_EFI);
        assert_true(rom->images[1].efi_signature);
        assert_int_equal(rom->images[1].efi_machine, ROM_EFI_X64);
        assert_int_equal(rom->images[1].efi_subsystem, ROM_EFI_BOOT_SERVICE_DRIVER);
        assert_true(rom->images[1].last);
        /* the chain ends at the file's end (Debian 12's ROMs), or 0xff
         * follows it up to a power of two (Debian 13's are 256 KiB): the
         * walk stops at the last image, padding is no image and no warning */
        end = rom->images[1].offset + rom->images[1].length;
        assert_true(end <= rom->size);
        read_whole(path, &data, &size);
        assert_int_equal(size, rom->size);
        for (size_t i = end; i < size; i++)
                if (data[i] != 0xff)
                        fail_msg("%s: byte 0x%zx after the chain's end 0x%zx is 0x%02x, not padding", path, i, end,
                                 data[i]);
        assert_true(rom_usable(rom));
}

static void test_every_ipxe_efi_rom_is_a_legacy_then_x64_efi_chain(void **state) {
        char pattern[64];

        each(ipxe_path(pattern, "efi-*.rom"), 4, check_ipxe);
}

static void check_vgabios(const char *path) {
        _cleanup_rom_ Rom *rom = NULL;
        const char *base = strrchr(path, '/') + 1;

        assert_int_equal(rom_parse_file(path, NULL, &rom), 0);
        /* the ISA VGA and ramfb BIOSes are not PCI option ROMs: no PCIR */
        if (streq(base, "vgabios-isavga.bin") || streq(base, "vgabios-ramfb.bin")) {
                assert_true(rom_has_problem(rom, ROM_NO_IMAGE));
                return;
        }
        if (rom->n_images != 1)
                fail_msg("%s: %zu images", path, rom->n_images);
        assert_int_equal(rom->images[0].code_type, ROM_CODE_X86);
        assert_true(rom->images[0].last);
        assert_true(rom_has_problem(rom, ROM_NO_X64_EFI));
        assert_int_equal(rom->n_warnings, 1);
        assert_true(rom_usable(rom));
}

static void test_every_seabios_pci_vga_rom_is_legacy_only_and_warns_so(void **state) {
        each("/usr/share/seabios/vgabios-*.bin", 4, check_vgabios);
}

static void test_an_ipxe_rom_is_for_its_own_device_and_not_for_an_nvidia_gpu(void **state) {
        static const RomExpect e1000 = { .set = true, .vendor = 0x8086, .device = 0x100e };
        _cleanup_rom_ Rom *own = NULL, *other = NULL;
        char path[64];

        ipxe_path(path, "efi-e1000.rom");
        assert_int_equal(rom_parse_file(path, &e1000, &own), 0);
        assert_true(rom_usable(own));
        /* its legacy image has a PCIR 3.0 device list */
        assert_int_equal(own->images[0].n_more_devices, 1);
        assert_int_equal(rom_parse_file(path, &rtx_4060, &other), 0);
        assert_true(rom_has_problem(other, ROM_WRONG_DEVICE));
        assert_non_null(strstr(warning_of(other, ROM_WRONG_DEVICE), "another vendor's"));
}

static void test_a_real_rom_cut_short_is_truncated(void **state) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        char path[64];

        read_whole(ipxe_path(path, "efi-e1000.rom"), &data, &size);
        _cleanup_rom_ Rom *rom = parse(data, size / 2, NULL);

        assert_true(rom_has_problem(rom, ROM_TRUNCATED));
        assert_false(rom_usable(rom));
}

static void test_a_real_rom_behind_an_nvgi_header_is_found(void **state) {
        _cleanup_free_ uint8_t *data = NULL, *with = NULL;
        size_t size;
        char path[64];

        read_whole(ipxe_path(path, "efi-e1000.rom"), &data, &size);
        with = calloc(1, size + 0x9400);
        assert_non_null(with);
        memcpy(with, "NVGI", 4);
        memcpy(with + 0x9400, data, size);
        _cleanup_rom_ Rom *rom = parse(with, size + 0x9400, NULL);

        assert_int_equal(rom->header_size, 0x9400);
        assert_int_equal(rom->n_images, 2);
        assert_int_equal(rom->images[1].efi_machine, ROM_EFI_X64);
        assert_int_equal(rom->n_warnings, 1);
        assert_true(rom_has_problem(rom, ROM_NVGI_HEADER));
}

static void test_parse_file_returns_the_error_for_a_missing_file(void **state) {
        Rom *rom = NULL;

        assert_int_equal(rom_parse_file("/nonexistent/vbios.rom", NULL, &rom), -ENOENT);
        assert_null(rom);
}

static void test_the_printout_names_each_image_and_its_flags(void **state) {
        _cleanup_free_ uint8_t *buf = new_buf();
        _cleanup_rom_ Rom *rom = NULL;
        char *out = NULL;
        size_t len = 0;
        FILE *f;

        memcpy(buf, "NVGI", 4);
        rom = parse(buf, put_image(buf, put_image(buf, 0x400, &legacy), &efi_x64) - 512, NULL);
        f = open_memstream(&out, &len);
        assert_non_null(f);
        rom_print(rom, f);
        fclose(f);
        assert_non_null(strstr(out, "0x000000     1024 bytes  NVIDIA \"NVGI\" header\n"));
        assert_non_null(strstr(out, "0x000400    65536 bytes  x86 legacy, 10de:28e0\n"));
        assert_non_null(strstr(out, "0x010400    32768 bytes  EFI x64 boot service driver, 10de:28e0, last, "
                                    "TRUNCATED (32256 bytes in the file)\n"));
        free(out);
}

/* ---- the expected device ---- */

#define GPU "0000:01:00.0"
#define GPU_DIR "/sys/bus/pci/devices/" GPU

static void test_the_expected_device_is_given_by_its_ids_or_read_from_sysfs(void **state) {
        FakeRoot *f = *state;
        HostContext ctx = { .root = f->dir };
        RomExpect e;

        fake_file(f, GPU_DIR "/class", "0x030000\n");
        fake_file(f, GPU_DIR "/vendor", "0x10de\n");
        fake_file(f, GPU_DIR "/device", "0x28e0\n");
        assert_int_equal(rom_expect_parse(&ctx, "10DE:28e0", &e), 0);
        assert_true(e.set);
        assert_int_equal(e.vendor, 0x10de);
        assert_int_equal(e.device, 0x28e0);
        e = (RomExpect) { 0 };
        assert_int_equal(rom_expect_parse(&ctx, GPU, &e), 0);
        assert_true(e.set);
        assert_int_equal(e.vendor, 0x10de);
        assert_int_equal(e.device, 0x28e0);
        assert_int_equal(rom_expect_parse(&ctx, "0000:02:00.0", &e), -ENOENT);
        assert_int_equal(rom_expect_parse(&ctx, "01:00.0", &e), 0);
        assert_int_equal(e.device, 0x28e0);
        assert_int_equal(rom_expect_parse(&ctx, "10de:28e0x", &e), -EINVAL);
        assert_int_equal(rom_expect_parse(&ctx, "10de:28e", &e), -EINVAL);
        assert_int_equal(rom_expect_parse(&ctx, "../../etc", &e), -EINVAL);
        assert_int_equal(rom_expect_parse(&ctx, "", &e), -EINVAL);
}

#define TEST(name) cmocka_unit_test(name)
#define TEST_ROOT(name) cmocka_unit_test_setup_teardown(name, fake_root_setup, fake_root_teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_a_legacy_and_an_x64_efi_image_make_a_rom_without_warnings),
                TEST(test_each_image_reports_offset_length_code_type_vendor_device_and_last_bit),
                TEST(test_an_efi_image_reports_its_machine_type_and_subsystem),
                TEST(test_a_legacy_only_rom_is_usable_but_warns_that_ovmf_shows_nothing),
                TEST(test_an_ia32_efi_image_is_no_x64_efi_image),
                TEST(test_an_x64_efi_application_is_not_a_driver_firmware_would_load),
                TEST(test_an_x64_efi_runtime_driver_counts_as_an_x64_efi_image),
                TEST(test_an_efi_image_without_the_efi_signature_is_shown_as_such_and_not_counted),
                TEST(test_the_chain_follows_each_image_length_to_the_next_512_byte_boundary),
                TEST(test_code_types_without_a_name_are_shown_by_number),
                TEST(test_images_after_the_last_one_are_listed_but_firmware_does_not_see_them),
                TEST(test_padding_after_the_last_image_is_no_problem),
                TEST(test_a_chain_that_runs_to_the_end_of_the_file_without_a_last_image_warns),
                TEST(test_an_image_without_the_last_bit_followed_by_no_image_warns),
                TEST(test_a_second_image_without_a_pcir_breaks_the_chain),
                TEST(test_an_image_running_past_the_end_of_the_file_is_truncated),
                TEST(test_a_file_cut_inside_the_first_header_has_no_image),
                TEST(test_a_file_of_zeros_has_no_image),
                TEST(test_a_file_that_ends_inside_the_pcir_has_no_image),
                TEST(test_a_pcir_pointer_beyond_the_file_is_no_image),
                TEST(test_an_image_length_of_zero_ends_the_walk_instead_of_looping),
                TEST(test_images_for_another_model_are_not_usable),
                TEST(test_an_image_for_another_vendor_is_not_usable),
                TEST(test_a_device_in_the_pcir_3_device_list_matches),
                TEST(test_a_pcir_3_device_list_ends_with_its_image),
                TEST(test_without_an_expected_device_vendor_and_device_are_not_checked),
                TEST(test_an_nvgi_header_is_skipped_to_the_first_0x55aa_at_a_512_byte_boundary),
                TEST(test_a_rom_behind_an_nvgi_header_must_be_stripped_first),
                TEST(test_an_nvgi_header_with_no_image_after_it_has_no_image),
                TEST(test_every_ipxe_efi_rom_is_a_legacy_then_x64_efi_chain),
                TEST(test_every_seabios_pci_vga_rom_is_legacy_only_and_warns_so),
                TEST(test_an_ipxe_rom_is_for_its_own_device_and_not_for_an_nvidia_gpu),
                TEST(test_a_real_rom_cut_short_is_truncated),
                TEST(test_a_real_rom_behind_an_nvgi_header_is_found),
                TEST(test_parse_file_returns_the_error_for_a_missing_file),
                TEST(test_the_printout_names_each_image_and_its_flags),
                TEST_ROOT(test_the_expected_device_is_given_by_its_ids_or_read_from_sysfs),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
