/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "basic/log.h"
#include "basic/text.h"

/* What reaches the timeline from QEMU, swtpm or a profile: text as it is,
 * anything a terminal would act on as \xNN. */

static void assert_escaped(const char *in, size_t n, const char *want) {
        _cleanup_free_ char *out = text_escape_n(in, n);

        assert_non_null(out);
        assert_string_equal(out, want);
}

static void test_printable_text_and_well_formed_utf8_pass_unchanged(void **state) {
        /* the seed's language, an em dash, and a four-byte emoji */
        static const char text[] = "qemu-system-x86_64: 그래픽 카드 — ok \xf0\x9f\x98\x80";

        assert_escaped(text, sizeof text - 1, text);
        assert_true(text_is_utf8(text));
        assert_false(text_has_control_chars(text));
}

static void test_escape_sequences_and_c1_controls_are_written_as_hex(void **state) {
        /* ESC [ 2 J clears a terminal; U+009B is the one-character CSI */
        assert_escaped("a\x1b[2Jb", 6, "a\\x1b[2Jb");
        assert_escaped("a\xc2\x9b" "31mb", 7, "a\\xc2\\x9b31mb");
        assert_escaped("bell\a del\x7f", 10, "bell\\x07 del\\x7f");
        assert_true(text_has_control_chars("a\x1b"));
        assert_true(text_has_control_chars("a\xc2\x85"));
}

static void test_broken_utf8_is_escaped_byte_by_byte(void **state) {
        /* an overlong '/', a surrogate, a lone continuation byte */
        assert_escaped("\xc0\xaf", 2, "\\xc0\\xaf");
        assert_escaped("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
        assert_escaped("x\x80y", 3, "x\\x80y");
        assert_false(text_is_utf8("\xc0\xaf"));
}

static void test_a_sequence_cut_at_the_end_is_not_read_past(void **state) {
        /* the first two bytes of a three-byte character, then the end of
         * the buffer: a line QEMU wrote in two reads */
        static const char buf[] = { 'k', '\xea', '\xb7', '\xb8' };

        assert_escaped(buf, 3, "k\\xea\\xb7");
        assert_escaped(buf, 4, "k\xea\xb7\xb8");
}

static void test_a_nul_inside_the_line_does_not_end_it(void **state) {
        assert_escaped("before\0after", 12, "before\\x00after");
        assert_escaped("", 0, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_printable_text_and_well_formed_utf8_pass_unchanged),
                cmocka_unit_test(test_escape_sequences_and_c1_controls_are_written_as_hex),
                cmocka_unit_test(test_broken_utf8_is_escaped_byte_by_byte),
                cmocka_unit_test(test_a_sequence_cut_at_the_end_is_not_read_past),
                cmocka_unit_test(test_a_nul_inside_the_line_does_not_end_it),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
