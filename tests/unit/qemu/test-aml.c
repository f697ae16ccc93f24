/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "qemu/aml.h"

/* The AML encoder, byte by byte against ACPI 6.5's chapter 20 and what
 * iasl writes for the same ASL. */

#define assert_aml(a, ...)                                                                      \
        do {                                                                                    \
                static const uint8_t want_[] = { __VA_ARGS__ };                                 \
                assert_int_equal((a)->error, 0);                                                \
                assert_int_equal((a)->size, sizeof want_);                                      \
                assert_memory_equal((a)->data, want_, sizeof want_);                            \
        } while (0)

/* The value a PkgLength holds, read back as an interpreter reads it */
static size_t pkg_length_value(const uint8_t *p, int n) {
        size_t v;

        if (n == 1)
                return p[0] & 0x3f;
        assert_int_equal(p[0] >> 6, n - 1);
        assert_int_equal(p[0] & 0x30, 0);
        v = p[0] & 0x0f;
        for (int i = 1; i < n; i++)
                v |= (size_t) p[i] << (4 + 8 * (i - 1));
        return v;
}

static void assert_pkg_length(size_t contents, int want_bytes) {
        uint8_t pl[4];
        int n = aml_pkg_length(contents, pl);

        assert_int_equal(n, want_bytes);
        /* the value counts the encoding's own bytes */
        assert_int_equal(pkg_length_value(pl, n), contents + (size_t) n);
}

static void test_a_package_length_takes_one_to_four_bytes_and_counts_itself(void **state) {
        uint8_t pl[4];

        assert_pkg_length(0, 1);
        assert_pkg_length(62, 1);               /* 63: the most one byte holds */
        assert_pkg_length(63, 2);               /* 65 in two */
        assert_pkg_length(4093, 2);             /* 4095: the most two hold */
        assert_pkg_length(4094, 3);
        assert_pkg_length(70000, 3);            /* a Buffer of more than 64 KiB */
        assert_pkg_length((1u << 20) - 4, 3);   /* 2^20 - 1 */
        assert_pkg_length((1u << 20) - 3, 4);
        assert_pkg_length(AML_PKG_LENGTH_MAX - 4, 4);
        assert_int_equal(aml_pkg_length(AML_PKG_LENGTH_MAX - 3, pl), -E2BIG);

        /* as iasl writes them: 0x41 0x04 is 65, 0x4f 0xff is 4095 */
        assert_int_equal(aml_pkg_length(63, pl), 2);
        assert_int_equal(pl[0], 0x41);
        assert_int_equal(pl[1], 0x04);
        assert_int_equal(aml_pkg_length(4093, pl), 2);
        assert_int_equal(pl[0], 0x4f);
        assert_int_equal(pl[1], 0xff);
}

static void test_integers_take_the_shortest_encoding(void **state) {
        _cleanup_(aml_done) Aml a = { 0 };

        aml_integer(&a, 0);
        aml_integer(&a, 1);
        aml_integer(&a, 2);
        aml_integer(&a, 0xff);
        aml_integer(&a, 0x1000);
        aml_integer(&a, 0xf000);
        aml_integer(&a, 0x10000);
        aml_integer(&a, 0x100000000ULL);
        assert_aml(&a, 0x00, 0x01, 0x0a, 0x02, 0x0a, 0xff, 0x0b, 0x00, 0x10, 0x0b, 0x00, 0xf0, 0x0c, 0x00, 0x00,
                   0x01, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
}

static void test_names_are_padded_segments_under_the_right_prefix(void **state) {
        _cleanup_(aml_done) Aml one = { 0 }, padded = { 0 }, dual = { 0 }, multi = { 0 };

        aml_name(&one, "VR00");
        assert_aml(&one, 'V', 'R', '0', '0');
        aml_name(&padded, "_SB");
        assert_aml(&padded, '_', 'S', 'B', '_');
        aml_name(&dual, "\\_SB.PCI0");
        assert_aml(&dual, '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
        aml_name(&multi, "\\_SB.PCI0.S08.S00");
        assert_aml(&multi, '\\', 0x2f, 4, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'S', '0', '8', '_', 'S', '0', '0',
                   '_');
}

static void test_a_name_aml_cannot_hold_is_einval_and_the_error_sticks(void **state) {
        static const char *const bad[] = { "TOOLONG", "1ABC", "vr00", "A-B", "", "\\", "\\_SB..S00", "_SB." };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(aml_done) Aml a = { 0 }, outer = { 0 };
                uint8_t *t = NULL;
                size_t size;

                aml_name(&a, bad[i]);
                if (a.error != -EINVAL)
                        fail_msg("'%s' gave %d, want -EINVAL", bad[i], a.error);
                /* what comes after is dropped; a package around it fails */
                aml_integer(&a, 5);
                assert_int_equal(a.size, 0);
                aml_package(&outer, AML_SCOPE_OP, &a);
                assert_int_equal(outer.error, -EINVAL);
                assert_int_equal(aml_table("SSDT", "VMRUN", "T", 1, &a, &t, &size), -EINVAL);
                assert_null(t);
        }
}

static void test_buffers_methods_and_ifs_are_packages_as_iasl_writes_them(void **state) {
        _cleanup_(aml_done) Aml buf = { 0 }, method = { 0 }, body = { 0 }, pred = { 0 }, then = { 0 }, iff = { 0 };

        /* Buffer (4) { 1, 2, 3, 4 } */
        aml_buffer(&buf, (const uint8_t[]) { 1, 2, 3, 4 }, 4);
        assert_aml(&buf, 0x11, 0x07, 0x0a, 0x04, 0x01, 0x02, 0x03, 0x04);

        /* Method (_ROM, 2, NotSerialized) { Return (Arg1) } */
        aml_byte(&body, AML_RETURN_OP);
        aml_arg(&body, 1);
        aml_method(&method, "_ROM", 2, &body);
        assert_aml(&method, 0x14, 0x08, '_', 'R', 'O', 'M', 0x02, 0xa4, 0x69);

        /* If (Local0 > 0x1000) { Local0 = 0x1000 } */
        aml_byte(&pred, AML_LGREATER_OP);
        aml_local(&pred, 0);
        aml_integer(&pred, 0x1000);
        aml_byte(&then, AML_STORE_OP);
        aml_integer(&then, 0x1000);
        aml_local(&then, 0);
        aml_if(&iff, &pred, &then);
        assert_aml(&iff, 0xa0, 0x0b, 0x94, 0x60, 0x0b, 0x00, 0x10, 0x70, 0x0b, 0x00, 0x10, 0x60);
}

static void test_a_buffer_of_more_than_64_kib_has_a_three_byte_length(void **state) {
        _cleanup_(aml_done) Aml a = { 0 };
        _cleanup_free_ uint8_t *bytes = calloc(1, 70000);
        uint8_t pl[4];

        assert_non_null(bytes);
        bytes[69999] = 0x5a;
        aml_buffer(&a, bytes, 70000);
        assert_int_equal(a.error, 0);
        /* BufferOp, PkgLength (3), DWordConst 70000 (5), the bytes */
        assert_int_equal(a.size, 1 + 3 + 5 + 70000);
        assert_int_equal(aml_pkg_length(5 + 70000, pl), 3);
        assert_memory_equal(a.data + 1, pl, 3);
        assert_memory_equal(a.data + 4, ((const uint8_t[]) { 0x0c, 0x70, 0x11, 0x01, 0x00 }), 5);
        assert_int_equal(a.data[a.size - 1], 0x5a);
}

static void test_a_table_has_the_header_qemu_checks_and_sums_to_zero(void **state) {
        _cleanup_(aml_done) Aml body = { 0 };
        _cleanup_free_ uint8_t *t = NULL;
        size_t size;
        uint32_t length;
        uint8_t sum = 0;

        aml_scope(&body, "\\_SB", &(const Aml) { 0 });
        assert_int_equal(aml_table("SSDT", "VMRUN", "GPUROM00", 7, &body, &t, &size), 0);
        assert_int_equal(size, AML_TABLE_HEADER_SIZE + body.size);
        assert_memory_equal(t, "SSDT", 4);
        memcpy(&length, t + 4, 4);
        assert_int_equal(length, size);
        assert_int_equal(t[8], 2);
        assert_memory_equal(t + 10, "VMRUN\0", 6);
        assert_memory_equal(t + 16, "GPUROM00", 8);
        assert_int_equal(t[24], 7);
        assert_memory_equal(t + AML_TABLE_HEADER_SIZE, body.data, body.size);
        for (size_t i = 0; i < size; i++)
                sum = (uint8_t) (sum + t[i]);
        assert_int_equal(sum, 0);
}

static void test_a_table_refuses_ids_longer_than_their_fields(void **state) {
        _cleanup_(aml_done) Aml body = { 0 };
        uint8_t *t = NULL;
        size_t size;

        assert_int_equal(aml_table("SSDT", "VMRUN-X", "GPUROM00", 1, &body, &t, &size), -EINVAL);
        assert_int_equal(aml_table("SSDT", "VMRUN", "GPUROM000", 1, &body, &t, &size), -EINVAL);
        assert_null(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_package_length_takes_one_to_four_bytes_and_counts_itself),
                cmocka_unit_test(test_integers_take_the_shortest_encoding),
                cmocka_unit_test(test_names_are_padded_segments_under_the_right_prefix),
                cmocka_unit_test(test_a_name_aml_cannot_hold_is_einval_and_the_error_sticks),
                cmocka_unit_test(test_buffers_methods_and_ifs_are_packages_as_iasl_writes_them),
                cmocka_unit_test(test_a_buffer_of_more_than_64_kib_has_a_three_byte_length),
                cmocka_unit_test(test_a_table_has_the_header_qemu_checks_and_sums_to_zero),
                cmocka_unit_test(test_a_table_refuses_ids_longer_than_their_fields),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
