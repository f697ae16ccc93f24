/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "capture.h"

#include "run/preflight.h"

/* Under systemd, vmrun@NAME.service's ExecStopPost= runs `vmrun restore
 * NAME`: the profile it runs must be the VM NAME, or a crash would leave
 * the host handed over with nothing to give it back. */

static void test_outside_a_unit_or_in_another_unit_any_vm_name_runs(void **state) {
        assert_int_equal(preflight_unit_instance(NULL, "win10"), 0);
        assert_int_equal(preflight_unit_instance("session-2.scope", "win10"), 0);
        assert_int_equal(preflight_unit_instance("sshd.service", "win10"), 0);
        assert_int_equal(preflight_unit_instance("vmrun@win10.timer", "other"), 0);
}

static void test_vmrun_at_name_runs_the_vm_name(void **state) {
        assert_int_equal(preflight_unit_instance("vmrun@win10.service", "win10"), 0);
        assert_int_equal(preflight_unit_instance("vmrun@win-10.2.service", "win-10.2"), 0);
}

static void test_vmrun_at_name_with_a_profile_of_another_vm_is_refused_with_both_fixes(void **state) {
        _cleanup_free_ char *log = NULL;
        Capture c;

        capture_start(&c);
        assert_int_equal(preflight_unit_instance("vmrun@win10.service", "gaming"), -EINVAL);
        log = capture_end(&c);
        assert_logged(log, "this is vmrun@win10.service, but its profile names the VM gaming");
        assert_logged(log, "vmrun restore win10");
        assert_logged(log, "set [vm] name = win10");
        assert_logged(log, "start vmrun@gaming");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_outside_a_unit_or_in_another_unit_any_vm_name_runs),
                cmocka_unit_test(test_vmrun_at_name_runs_the_vm_name),
                cmocka_unit_test(test_vmrun_at_name_with_a_profile_of_another_vm_is_refused_with_both_fixes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
