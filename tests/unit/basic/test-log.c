/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "skip.h"
#include "capture.h"

#include "basic/log.h"

/* The timeline: one line per message, whatever the message quotes. Text
 * from outside (QEMU's SHUTDOWN reason, a process's comm, a unit's name)
 * reaches root's terminal over ssh and the journal through it. */

static size_t lines(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                n += *s == '\n';
        return n;
}

/* seen: a SHUTDOWN reason that forged the timeline's last line */
static void test_a_newline_in_quoted_text_forges_no_line(void **state) {
        _cleanup_free_ char *log = NULL;
        Capture c;

        capture_start(&c);
        log_info("guest powered off (%s)", "guest-shutdown\n[   0.000s] host restored and verified");
        log = capture_end(&c);
        assert_int_equal(lines(log), 1);
        assert_non_null(strstr(log, "guest-shutdown\\x0a[   0.000s] host restored and verified)"));
}

/* seen: a title change and colours from the same reason */
static void test_terminal_escapes_in_quoted_text_are_written_out(void **state) {
        _cleanup_free_ char *log = NULL;
        Capture c;

        capture_start(&c);
        log_warning("holder: PID 7 (%s) holds /dev/dri/card0", "\033]0;owned\007\033[31mpipewire\302\233");
        log = capture_end(&c);
        assert_null(strchr(log, '\033'));
        assert_null(strchr(log, '\007'));
        assert_null(strstr(log, "\302\233"));  /* C1 CSI */
        assert_non_null(strstr(log, "(\\x1b]0;owned\\x07\\x1b[31mpipewire\\xc2\\x9b)"));
}

static void test_broken_utf8_is_written_out(void **state) {
        _cleanup_free_ char *log = NULL;
        Capture c;

        capture_start(&c);
        log_error_errno(-EIO, "unit %s", "a\377b");
        log = capture_end(&c);
        assert_non_null(strstr(log, "unit a\\xffb"));
}

static void test_plain_text_is_left_as_it_is(void **state) {
        _cleanup_free_ char *log = NULL;
        Capture c;

        capture_start(&c);
        log_info("step 1/3: stop display-manager.service — «gdm»");
        log = capture_end(&c);
        assert_non_null(strstr(log, "step 1/3: stop display-manager.service — «gdm»\n"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_newline_in_quoted_text_forges_no_line),
                cmocka_unit_test(test_terminal_escapes_in_quoted_text_are_written_out),
                cmocka_unit_test(test_broken_utf8_is_written_out),
                cmocka_unit_test(test_plain_text_is_left_as_it_is),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
