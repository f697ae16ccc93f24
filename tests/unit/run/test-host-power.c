/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "capture.h"
#include "fake-input.h"
#include "fake-logind.h"

#include "basic/log.h"
#include "host/inhibit.h"
#include "run/host-power.h"

/* What the supervisor holds of the host's power while the guest has the
 * GPU, and what its timeline says of it: logind's locks (a fake logind on
 * a private connection, tests/unit/fake-logind.h), the power buttons (a
 * fake sysfs), and a run that goes on, with a warning, where logind is
 * missing or refuses. */

#define ALL_BUT_POWER (INHIBIT_SLEEP | INHIBIT_IDLE | INHIBIT_LID_SWITCH | INHIBIT_SUSPEND_KEY | INHIBIT_HIBERNATE_KEY)
#define WHY "why=the GPU belongs to VM win10"

typedef struct Fixture {
        FakeRoot root;
        HostContext ctx;
        Profile profile;
        Plan plan;
        HostPower power;
        FakeLogind logind;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        fake_root_new(&f->root, "host-power");
        f->ctx = (HostContext) { .root = f->root.dir };
        f->profile = (Profile) { .name = (char *) "win10", .timeout_shutdown = 120 };
        /* as the plan has it for a GPU with every default */
        f->plan = (Plan) { .profile = &f->profile, .inhibit = ALL_BUT_POWER | INHIBIT_POWER_KEY };
        f->power = (HostPower) HOST_POWER_INIT;
        f->logind = (FakeLogind) { .client = -1, .report = -1 };
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        closep(&f->power.inhibit_fd);
        power_buttons_done(&f->power.buttons);
        fake_logind_stop(&f->logind);
        fake_root_remove(&f->root);
        host_context_done(&f->ctx);
        free(f);
        return 0;
}

/* host_power_take() against a fake logind started with `error_name`
 * (NULL: it grants), its timeline returned */
static char *take(Fixture *f, const char *error_name, const char *error_message) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        char *log;
        Capture c;
        int r;

        fake_logind_start(&f->logind, error_name, error_message);
        bus = fake_logind_bus(&f->logind);
        capture_start(&c);
        r = host_power_take(&f->power, &f->ctx, &f->plan, bus);
        log = capture_end(&c);
        if (r != 0)
                fail_msg("host_power_take() returned %d; its timeline:\n%s", r, log);
        return log;
}

static char *release(Fixture *f) {
        Capture c;

        capture_start(&c);
        host_power_release(&f->power);
        return capture_end(&c);
}

static void test_the_locks_and_the_power_button_are_taken_for_the_vm_and_said(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL, *back = NULL;

        fake_input_power_button(&f->root);
        log = take(f, NULL, NULL);
        assert_logged(log, "power button: /dev/input/event0 (Power Button, LNXPWRBN:00) read by vmrun: a press asks "
                           "the guest to power off, as `vmrun shutdown win10` does");
        assert_logged(log, "inhibitors: sleep, idle, lid, suspend and hibernate keys, power key held for VM win10");
        assert_not_logged(log, "warning");
        assert_non_null(strstr(fake_logind_said(&f->logind, "mode="),
                               "what=sleep:idle:handle-lid-switch:handle-suspend-key:handle-hibernate-key:"
                               "handle-power-key who=vmrun " WHY " mode=block\n"));
        assert_true(f->power.inhibit_fd >= 0);
        assert_int_equal(f->power.buttons.n, 1);
        assert_true(f->power.buttons.v[0].fd >= 0);

        back = release(f);
        assert_logged(back, "inhibitors released");
        assert_int_equal(f->power.inhibit_fd, -1);
        assert_int_equal(f->power.buttons.n, 0);
        assert_non_null(strstr(fake_logind_said(&f->logind, "released"), "released\n"));
}

static void test_without_a_power_button_to_read_the_power_key_stays_loginds(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        const char *said;

        log = take(f, NULL, NULL);
        assert_logged(log, "warning: no ACPI power button to read");
        assert_logged(log, "the power key stays logind's");
        assert_logged(log, "inhibitors: sleep, idle, lid, suspend and hibernate keys held for VM win10");
        said = fake_logind_said(&f->logind, "mode=");
        assert_non_null(strstr(said, "what=sleep:idle:handle-lid-switch:handle-suspend-key:handle-hibernate-key who="));
        assert_null(strstr(said, "handle-power-key"));
}

static void test_power_button_host_neither_reads_it_nor_holds_its_key(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;

        fake_input_power_button(&f->root);
        f->plan.inhibit = ALL_BUT_POWER & ~INHIBIT_LID_SWITCH;         /* power-button = host, lid = host */
        log = take(f, NULL, NULL);
        assert_not_logged(log, "power button");
        assert_logged(log, "inhibitors: sleep, idle, suspend and hibernate keys held for VM win10");
        assert_int_equal(f->power.buttons.n, 0);
        assert_non_null(strstr(fake_logind_said(&f->logind, "mode="),
                               "what=sleep:idle:handle-suspend-key:handle-hibernate-key who=vmrun"));
}

static void test_loginds_refusal_is_a_warning_with_its_own_text_and_the_guest_runs(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL, *back = NULL;

        fake_input_power_button(&f->root);
        log = take(f, SD_BUS_ERROR_ACCESS_DENIED, "Access denied");
        assert_logged(log, "warning: systemd-logind refused the inhibitors (sleep, idle, lid, suspend and hibernate "
                           "keys, power key): Access denied; the host may suspend or power off on the power button "
                           "under VM win10; see `journalctl -u systemd-logind`");
        assert_int_equal(f->power.inhibit_fd, -1);
        /* the button is read all the same: a press still asks the guest */
        assert_int_equal(f->power.buttons.n, 1);
        back = release(f);
        assert_not_logged(back, "inhibitors released");
}

static void test_no_logind_running_is_a_warning_and_the_guest_runs(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;

        log = take(f, SD_BUS_ERROR_NAME_HAS_NO_OWNER, "Name \"org.freedesktop.login1\" does not exist");
        assert_logged(log, "warning: systemd-logind is not running: its inhibitors (sleep, idle, lid, suspend and "
                           "hibernate keys) not taken; VM win10 runs");
        assert_int_equal(f->power.inhibit_fd, -1);
}

static void test_no_system_bus_is_a_warning_and_the_guest_runs(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL, *path = fake_path(&f->root, "/run/dbus/system_bus_socket");
        _cleanup_free_ char *address = NULL;
        Capture c;

        /* where sd-bus looks for the system bus, with nothing there */
        assert_true(asprintf(&address, "unix:path=%s", path) > 0);
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
        capture_start(&c);
        assert_int_equal(host_power_take(&f->power, &f->ctx, &f->plan, NULL), 0);
        log = capture_end(&c);
        assert_int_equal(unsetenv("DBUS_SYSTEM_BUS_ADDRESS"), 0);
        assert_logged(log, "warning: no system bus here: logind's inhibitors (sleep, idle, lid, suspend and "
                           "hibernate keys) not taken; VM win10 runs");
        assert_int_equal(f->power.inhibit_fd, -1);
}

static void test_a_plain_vm_takes_nothing_and_says_nothing(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL, *back = NULL;
        Capture c;

        fake_input_power_button(&f->root);
        f->plan.inhibit = 0;
        capture_start(&c);
        /* no bus is asked: NULL would be the system bus */
        assert_int_equal(host_power_take(&f->power, &f->ctx, &f->plan, NULL), 0);
        log = capture_end(&c);
        assert_string_equal(log, "");
        assert_int_equal(f->power.buttons.n, 0);
        back = release(f);
        assert_string_equal(back, "");
}

/* The buttons' descriptors are the test's pipes from here on: a press is
 * written to them, as the kernel would to the event device. */
static void test_a_press_is_seen_on_its_button_and_a_button_that_goes_is_said_and_dropped(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL, *gone = NULL;
        _cleanup_close_pair_ int p[2] = { -1, -1 };
        Capture c;
        int fd;

        fake_input_power_button(&f->root);
        log = take(f, NULL, NULL);
        assert_int_equal(f->power.buttons.n, 1);
        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        assert_int_equal(dup2(p[0], f->power.buttons.v[0].fd), f->power.buttons.v[0].fd);
        closep(&p[0]);
        fd = f->power.buttons.v[0].fd;

        assert_true(host_power_is_button(&f->power, fd));
        assert_false(host_power_is_button(&f->power, p[1]));
        assert_int_equal(host_power_pressed_any(&f->power), 0);
        fake_input_press_power(p[1]);
        assert_int_equal(host_power_pressed(&f->power, fd, -1), 1);
        assert_int_equal(host_power_pressed(&f->power, fd, -1), 0);
        fake_input_press_power(p[1]);
        assert_int_equal(host_power_pressed_any(&f->power), 1);

        closep(&p[1]);
        capture_start(&c);
        assert_int_equal(host_power_pressed(&f->power, fd, -1), 0);
        gone = capture_end(&c);
        assert_logged(gone, "warning: power button /dev/input/event0: gone; vmrun reads it no more");
        assert_int_equal(f->power.buttons.n, 0);
        assert_false(host_power_is_button(&f->power, fd));
}

int main(void) {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_the_locks_and_the_power_button_are_taken_for_the_vm_and_said),
                T(test_without_a_power_button_to_read_the_power_key_stays_loginds),
                T(test_power_button_host_neither_reads_it_nor_holds_its_key),
                T(test_loginds_refusal_is_a_warning_with_its_own_text_and_the_guest_runs),
                T(test_no_logind_running_is_a_warning_and_the_guest_runs),
                T(test_no_system_bus_is_a_warning_and_the_guest_runs),
                T(test_a_plain_vm_takes_nothing_and_says_nothing),
                T(test_a_press_is_seen_on_its_button_and_a_button_that_goes_is_said_and_dropped),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
