/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-logind.h"

#include "host/inhibit.h"

/* logind's inhibitor locks as vmrun takes them: Inhibit() with logind's
 * words for what, who and why, in block mode, against a fake logind on a
 * private connection (tests/unit/fake-logind.h); the descriptor it gives
 * is the lock, kept until vmrun closes it. A real logind: the lab's
 * desktop shape (tests/lab/scenarios/power-handover). */

#define EVERYTHING                                                                                      \
        (INHIBIT_SLEEP | INHIBIT_IDLE | INHIBIT_LID_SWITCH | INHIBIT_SUSPEND_KEY | INHIBIT_HIBERNATE_KEY | \
         INHIBIT_POWER_KEY)

static void test_what_is_loginds_words_joined_by_colons(void **state) {
        _cleanup_free_ char *all = inhibit_what_to_string(EVERYTHING);
        _cleanup_free_ char *some = inhibit_what_to_string(INHIBIT_SLEEP | INHIBIT_POWER_KEY);
        _cleanup_free_ char *none = inhibit_what_to_string(0);

        assert_string_equal(all, "sleep:idle:handle-lid-switch:handle-suspend-key:handle-hibernate-key:handle-power-key");
        assert_string_equal(some, "sleep:handle-power-key");
        assert_string_equal(none, "");
}

static void test_what_is_said_to_people_with_the_two_sleep_keys_together(void **state) {
        _cleanup_free_ char *all = inhibit_what_describe(EVERYTHING);
        _cleanup_free_ char *no_lid = inhibit_what_describe(EVERYTHING & ~(INHIBIT_LID_SWITCH | INHIBIT_POWER_KEY));
        _cleanup_free_ char *one_key = inhibit_what_describe(INHIBIT_SLEEP | INHIBIT_SUSPEND_KEY);

        assert_string_equal(all, "sleep, idle, lid, suspend and hibernate keys, power key");
        assert_string_equal(no_lid, "sleep, idle, suspend and hibernate keys");
        assert_string_equal(one_key, "sleep, suspend key");
}

static void test_inhibit_asks_for_a_block_lock_with_who_and_why_and_keeps_its_descriptor(void **state) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *message = NULL;
        FakeLogind f;
        int fd = -1;

        fake_logind_start(&f, NULL, NULL);
        bus = fake_logind_bus(&f);
        assert_int_equal(logind_inhibit(bus, EVERYTHING, "vmrun", "the GPU belongs to VM win10", &fd, &message), 0);
        assert_null(message);
        assert_true(fd >= 0);
        /* QEMU, swtpm and the steps' children must not keep the lock */
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_non_null(strstr(fake_logind_said(&f, "mode="),
                               "Inhibit what=sleep:idle:handle-lid-switch:handle-suspend-key:handle-hibernate-key:"
                               "handle-power-key who=vmrun why=the GPU belongs to VM win10 mode=block\n"));
        /* the lock lasts while the descriptor is open: the bus may go */
        bus = sd_bus_flush_close_unref(bus);
        assert_null(strstr(fake_logind_said(&f, "disconnected"), "released"));
        close(fd);
        assert_non_null(strstr(fake_logind_said(&f, "released"), "released\n"));
        fake_logind_stop(&f);
}

static void test_a_refusal_comes_back_with_loginds_own_text_and_no_descriptor(void **state) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *message = NULL;
        FakeLogind f;
        int fd = -1;

        fake_logind_start(&f, SD_BUS_ERROR_ACCESS_DENIED, "Maximum number of inhibitors (8192) reached, refusing "
                                                          "further inhibitors.");
        bus = fake_logind_bus(&f);
        assert_int_equal(logind_inhibit(bus, INHIBIT_SLEEP, "vmrun", "the GPU belongs to VM win10", &fd, &message),
                         -EACCES);
        assert_int_equal(fd, -1);
        assert_string_equal(message, "Maximum number of inhibitors (8192) reached, refusing further inhibitors.");
        fake_logind_stop(&f);
}

static void test_no_logind_on_the_bus_is_ehostdown(void **state) {
        const char *names[] = { SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_SERVICE_UNKNOWN };

        /* what the bus daemon says for a name nobody has, when the call
         * may not start it */
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
                _cleanup_free_ char *message = NULL;
                FakeLogind f;
                int fd = -1;

                fake_logind_start(&f, names[i], "Name \"org.freedesktop.login1\" does not exist");
                bus = fake_logind_bus(&f);
                assert_int_equal(logind_inhibit(bus, INHIBIT_SLEEP, "vmrun", "why", &fd, &message), -EHOSTDOWN);
                assert_int_equal(fd, -1);
                fake_logind_stop(&f);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_what_is_loginds_words_joined_by_colons),
                cmocka_unit_test(test_what_is_said_to_people_with_the_two_sleep_keys_together),
                cmocka_unit_test(test_inhibit_asks_for_a_block_lock_with_who_and_why_and_keeps_its_descriptor),
                cmocka_unit_test(test_a_refusal_comes_back_with_loginds_own_text_and_no_descriptor),
                cmocka_unit_test(test_no_logind_on_the_bus_is_ehostdown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
