/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-input.h"

#include <sys/sysmacros.h>

#include "host/power-button.h"

/* The host's power buttons as vmrun chooses them in sysfs (a fake root:
 * which devices a kernel shows cannot be chosen on a test machine), by
 * what the kernel alone says of them; and a press read from what carries
 * the events (a pipe here, the event device on the host). */

typedef FakeHost Fixture;

/* ---- power_buttons_find() ---- */

static void test_the_acpi_power_buttons_are_found_with_their_nodes_and_numbers(void **state) {
        Fixture *f = *state;
        _cleanup_(power_buttons_done) PowerButtons b = { 0 };

        fake_input_power_button(&f->root);
        /* the control method one, as on many laptops beside the fixed one */
        fake_input_add(&f->root, &(FakeInput) { .event = "event10", .input = "input12",
                                                .parent = "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C0C:00",
                                                .subsystem = "acpi", .hid = "PNP0C0C", .name = "Power Button",
                                                .keys = KEYS_POWER_BUTTON, .dev = "13:74" });
        fake_input_add(&f->root, &(FakeInput) { .event = "event2", .input = "input2",
                                                .parent = "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C0D:00",
                                                .subsystem = "acpi", .hid = "PNP0C0D", .name = "Lid Switch",
                                                .keys = "0", .dev = "13:66" });
        assert_int_equal(power_buttons_find(&f->ctx, &b), 0);
        assert_int_equal(b.n, 2);
        assert_string_equal(b.v[0].node, "/dev/input/event0");
        assert_string_equal(b.v[0].acpi, "LNXPWRBN:00");
        assert_string_equal(b.v[0].name, "Power Button");
        assert_int_equal(major(b.v[0].rdev), 1);
        assert_int_equal(minor(b.v[0].rdev), 3);
        assert_int_equal(b.v[0].fd, -1);
        /* in the event devices' order, event10 after event0 */
        assert_string_equal(b.v[1].node, "/dev/input/event10");
        assert_string_equal(b.v[1].acpi, "PNP0C0C:00");
        assert_int_equal(minor(b.v[1].rdev), 74);
}

static void test_a_device_named_power_button_through_uinput_is_no_power_button(void **state) {
        Fixture *f = *state;
        _cleanup_(power_buttons_done) PowerButtons b = { 0 };

        /* all a user with /dev/uinput can give a device: its name, phys, keys */
        fake_input_add(&f->root, &(FakeInput) { .event = "event7", .input = "input9", .name = "Power Button",
                                                .keys = KEYS_POWER_BUTTON, .dev = "13:71" });
        assert_int_equal(power_buttons_find(&f->ctx, &b), 0);
        assert_int_equal(b.n, 0);
}

static void test_a_keyboard_with_a_power_key_and_the_sleep_button_are_no_power_buttons(void **state) {
        Fixture *f = *state;
        _cleanup_(power_buttons_done) PowerButtons b = { 0 };

        /* the laptop's own keyboard reports KEY_POWER too: it is not ACPI's */
        fake_input_add(&f->root, &(FakeInput) { .event = "event3", .input = "input3",
                                                .parent = "/sys/devices/platform/i8042/serio0",
                                                .subsystem = "serio", .name = "AT Translated Set 2 keyboard",
                                                .keys = KEYS_AT_KEYBOARD, .dev = "13:67" });
        fake_input_add(&f->root, &(FakeInput) { .event = "event1", .input = "input1",
                                                .parent = "/sys/devices/LNXSYSTM:00/LNXSLPBN:00",
                                                .subsystem = "acpi", .hid = "LNXSLPBN", .name = "Sleep Button",
                                                .keys = KEYS_SLEEP_BUTTON, .dev = "13:65" });
        /* an ACPI power button device that does not report KEY_POWER */
        fake_input_add(&f->root, &(FakeInput) { .event = "event4", .input = "input4",
                                                .parent = "/sys/devices/LNXSYSTM:00/LNXPWRBN:01",
                                                .subsystem = "acpi", .hid = "LNXPWRBN", .name = "Power Button",
                                                .keys = KEYS_SLEEP_BUTTON, .dev = "13:68" });
        assert_int_equal(power_buttons_find(&f->ctx, &b), 0);
        assert_int_equal(b.n, 0);
}

static void test_a_host_without_input_devices_has_no_power_button(void **state) {
        Fixture *f = *state;
        _cleanup_(power_buttons_done) PowerButtons b = { 0 };

        assert_int_equal(power_buttons_find(&f->ctx, &b), 0);
        assert_int_equal(b.n, 0);
}

/* ---- power_button_open() ---- */

static void test_a_button_opens_when_its_node_is_the_device_sysfs_names(void **state) {
        Fixture *f = *state;
        _cleanup_(power_buttons_done) PowerButtons b = { 0 };

        fake_input_power_button(&f->root);
        assert_int_equal(power_buttons_find(&f->ctx, &b), 0);
        assert_int_equal(b.n, 1);
        assert_int_equal(power_button_open(&f->ctx, &b.v[0]), 0);
        assert_true(b.v[0].fd >= 0);
        assert_true(fcntl(b.v[0].fd, F_GETFD) & FD_CLOEXEC);
        assert_true(fcntl(b.v[0].fd, F_GETFL) & O_NONBLOCK);
}

static void test_a_node_that_is_another_device_is_not_opened(void **state) {
        Fixture *f = *state;
        _cleanup_(power_buttons_done) PowerButtons b = { 0 };

        /* sysfs says 13:64, the node is /dev/null */
        fake_input_add(&f->root, &(FakeInput) { .event = "event0", .input = "input0",
                                                .parent = "/sys/devices/LNXSYSTM:00/LNXPWRBN:00",
                                                .subsystem = "acpi", .hid = "LNXPWRBN", .name = "Power Button",
                                                .keys = KEYS_POWER_BUTTON, .dev = "13:64" });
        assert_int_equal(power_buttons_find(&f->ctx, &b), 0);
        assert_int_equal(b.n, 1);
        assert_int_equal(power_button_open(&f->ctx, &b.v[0]), -ENODEV);
        assert_int_equal(b.v[0].fd, -1);
        fake_unlink(&f->root, "/dev/input/event0");
        assert_int_equal(power_button_open(&f->ctx, &b.v[0]), -ENOENT);
}

/* ---- power_button_read() ---- */

static void test_a_press_of_the_power_key_is_read_as_a_press(void **state) {
        _cleanup_close_pair_ int p[2] = { -1, -1 };

        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(power_button_read(p[0]), 0);
        fake_input_press_power(p[1]);
        assert_int_equal(power_button_read(p[0]), 1);
        /* read whole: the same press is not seen twice */
        assert_int_equal(power_button_read(p[0]), 0);
}

static void test_a_release_a_held_key_and_other_keys_are_no_press(void **state) {
        _cleanup_close_pair_ int p[2] = { -1, -1 };

        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        fake_input_event(p[1], EV_KEY, KEY_POWER, 0);
        fake_input_event(p[1], EV_KEY, KEY_POWER, 2);
        fake_input_event(p[1], EV_KEY, KEY_SLEEP, 1);
        fake_input_event(p[1], EV_SW, SW_LID, 1);
        fake_input_event(p[1], EV_SYN, SYN_REPORT, 0);
        assert_int_equal(power_button_read(p[0]), 0);
}

static void test_a_press_among_many_events_is_found(void **state) {
        _cleanup_close_pair_ int p[2] = { -1, -1 };

        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        /* more than one read's worth before it */
        for (int i = 0; i < 40; i++)
                fake_input_event(p[1], EV_SYN, SYN_REPORT, 0);
        fake_input_press_power(p[1]);
        assert_int_equal(power_button_read(p[0]), 1);
}

static void test_a_device_that_is_gone_is_enodev(void **state) {
        _cleanup_close_pair_ int p[2] = { -1, -1 };

        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        closep(&p[1]);
        assert_int_equal(power_button_read(p[0]), -ENODEV);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_the_acpi_power_buttons_are_found_with_their_nodes_and_numbers,
                                                fake_host_setup, fake_host_teardown),
                cmocka_unit_test_setup_teardown(test_a_device_named_power_button_through_uinput_is_no_power_button,
                                                fake_host_setup, fake_host_teardown),
                cmocka_unit_test_setup_teardown(test_a_keyboard_with_a_power_key_and_the_sleep_button_are_no_power_buttons,
                                                fake_host_setup, fake_host_teardown),
                cmocka_unit_test_setup_teardown(test_a_host_without_input_devices_has_no_power_button, fake_host_setup, fake_host_teardown),
                cmocka_unit_test_setup_teardown(test_a_button_opens_when_its_node_is_the_device_sysfs_names, fake_host_setup, fake_host_teardown),
                cmocka_unit_test_setup_teardown(test_a_node_that_is_another_device_is_not_opened, fake_host_setup, fake_host_teardown),
                cmocka_unit_test(test_a_press_of_the_power_key_is_read_as_a_press),
                cmocka_unit_test(test_a_release_a_held_key_and_other_keys_are_no_press),
                cmocka_unit_test(test_a_press_among_many_events_is_found),
                cmocka_unit_test(test_a_device_that_is_gone_is_enodev),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
