/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "capture.h"

#include "run/runstate.h"

/* The state file a supervisor leaves for `vmrun status`, `shutdown` and
 * `restore`: what it writes is what they read, the supervisor's start
 * time and its unit included (a reused PID is not the supervisor), and a
 * file of an older vmrun without them is still read. */

static void test_what_the_supervisor_writes_its_clients_read(void **state) {
        char dir[] = "/tmp/test-runstate.XXXXXX", path[64];
        RunState in = {
                .name = (char *) "win10", .profile = (char *) "/etc/vmrun/win10.profile", .supervisor_pid = 4242,
                .supervisor_start_time = 123456, .qemu_pid = 4343, .qemu_start_time = 123460, .swtpm_pid = 4344,
                .swtpm_start_time = 123458, .tap = (char *) "vmrun0", .unit = (char *) "vmrun-win10.scope",
                .machine = true, .timeout_shutdown = 120,
                .phase = (char *) "handing over (step 3/13)",
        };
        RunState out;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/supervisor.json", dir);
        assert_int_equal(runstate_write(path, &in), 0);
        assert_int_equal(runstate_read(path, &out), 0);
        assert_string_equal(out.name, "win10");
        assert_int_equal(out.supervisor_pid, 4242);
        assert_int_equal(out.supervisor_start_time, 123456);
        assert_int_equal(out.qemu_start_time, 123460);
        assert_int_equal(out.swtpm_pid, 4344);
        assert_string_equal(out.tap, "vmrun0");
        assert_string_equal(out.unit, "vmrun-win10.scope");
        assert_true(out.machine);
        assert_string_equal(out.phase, "handing over (step 3/13)");
        runstate_done(&out);
        unlink(path);
        rmdir(dir);
}

static void test_a_state_file_without_the_supervisors_start_time_is_read_with_none(void **state) {
        char dir[] = "/tmp/test-runstate.XXXXXX", path[64];
        RunState out;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/supervisor.json", dir);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs("{\"version\": 1, \"name\": \"old\", \"profile\": \"/p\", \"supervisor_pid\": 7, \"qemu_pid\": 8, "
              "\"qemu_start_time\": 9, \"timeout_shutdown\": 60, \"phase\": \"running\"}\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(runstate_read(path, &out), 0);
        assert_int_equal(out.supervisor_pid, 7);
        assert_int_equal(out.supervisor_start_time, 0);
        assert_null(out.unit);
        assert_false(out.machine);
        runstate_done(&out);
        unlink(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_what_the_supervisor_writes_its_clients_read),
                cmocka_unit_test(test_a_state_file_without_the_supervisors_start_time_is_read_with_none),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
