/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "basic/process.h"
#include "basic/spawn.h"

/* spawn(): what a child of vmrun has when its program starts, and the one
 * wait on a pidfd. The children here are /bin/sh one-liners whose output
 * tells what they found. */

#define DEADLINE (30 * USEC_PER_SEC)

/* Runs `script` under /bin/sh with `fds` (its fd 1 the pipe when -1 there),
 * returns what it printed and its exit status. */
static char *run_sh(const char *script, int *fds, int n_fds, int *ret_status) {
        _cleanup_close_pair_ int out[2] = { -1, -1 };
        _cleanup_close_ int pidfd = -1;
        char *const argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) script, NULL };
        static char buf[4096];
        siginfo_t si;
        size_t len = 0;
        ssize_t n;
        pid_t pid;

        assert_int_equal(pipe2(out, O_CLOEXEC), 0);
        if (fds[1] < 0)
                fds[1] = out[1];
        assert_int_equal(spawn(&(const Spawn) { .argv = argv, .fds = fds, .n_fds = n_fds }, &pid, &pidfd), 0);
        closep(&out[1]);
        while ((n = read(out[0], buf + len, sizeof buf - 1 - len)) > 0)
                len += (size_t) n;
        buf[len] = '\0';
        assert_int_equal(pidfd_wait(pidfd, deadline_after(DEADLINE)), 0);
        assert_int_equal(pidfd_reap(pidfd, &si), 0);
        assert_int_equal(si.si_code, CLD_EXITED);
        *ret_status = si.si_status;
        return buf;
}

static void test_the_child_has_the_descriptors_of_its_table_and_no_other(void **state) {
        _cleanup_close_ int lock = open("/dev/null", O_RDONLY), stray = open("/dev/null", O_RDONLY);
        int fds[5] = { -1, -1, -1, -1, lock };
        int status;

        /* `stray` is not CLOEXEC, like a lock a careless caller keeps */
        assert_true(lock >= 0 && stray >= 0);
        assert_int_equal(fcntl(stray, F_SETFD, 0), 0);
        const char *out = run_sh("ls /proc/self/fd | sort -n | tr '\\n' ' '", fds, 5, &status);

        assert_int_equal(status, 0);
        /* 0-2, the table's 4, and the fd ls itself opens to list them: 3 */
        assert_string_equal(out, "0 1 2 3 4 ");
}

static void test_a_missing_stdin_is_dev_null(void **state) {
        int fds[3] = { -1, -1, -1 };
        int status;
        const char *out = run_sh("readlink /proc/self/fd/0", fds, 3, &status);

        assert_int_equal(status, 0);
        assert_string_equal(out, "/dev/null\n");
}

static void test_signals_ignored_or_blocked_by_vmrun_are_not_in_the_child(void **state) {
        sigset_t block, old;
        int fds[3] = { -1, -1, -1 };
        int status;
        const char *out;

        /* the supervisor ignores SIGHUP and blocks what its signalfd reads */
        signal(SIGHUP, SIG_IGN);
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigprocmask(SIG_BLOCK, &block, &old);
        out = run_sh("grep -E '^Sig(Blk|Ign)' /proc/self/status", fds, 3, &status);
        sigprocmask(SIG_SETMASK, &old, NULL);
        signal(SIGHUP, SIG_DFL);

        assert_int_equal(status, 0);
        assert_string_equal(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

static int fail_setup(void *userdata) {
        return -EPERM;
}

static void test_a_failed_setup_exits_126_before_the_program(void **state) {
        char *const argv[] = { (char *) "/bin/true", NULL };
        _cleanup_close_ int pidfd = -1;
        siginfo_t si;
        pid_t pid;

        assert_int_equal(spawn(&(const Spawn) { .argv = argv, .setup = fail_setup, .fds = (const int[]) { -1, -1, -1 },
                                                .n_fds = 3 },
                               &pid, &pidfd),
                         0);
        assert_int_equal(pidfd_wait(pidfd, deadline_after(DEADLINE)), 0);
        assert_int_equal(pidfd_reap(pidfd, &si), 0);
        assert_int_equal(si.si_status, SPAWN_EXIT_SETUP);
}

static void test_a_program_that_cannot_be_executed_exits_127_and_says_so(void **state) {
        char *const argv[] = { (char *) "/nonexistent/vmrun-test", NULL };
        _cleanup_close_pair_ int err[2] = { -1, -1 };
        _cleanup_close_ int pidfd = -1;
        char buf[256] = { 0 };
        siginfo_t si;
        pid_t pid;

        assert_int_equal(pipe2(err, O_CLOEXEC), 0);
        assert_int_equal(spawn(&(const Spawn) { .argv = argv, .fds = (const int[]) { -1, -1, err[1] }, .n_fds = 3 },
                               &pid, &pidfd),
                         0);
        closep(&err[1]);
        assert_true(read(err[0], buf, sizeof buf - 1) > 0);
        assert_int_equal(pidfd_wait(pidfd, deadline_after(DEADLINE)), 0);
        assert_int_equal(pidfd_reap(pidfd, &si), 0);
        assert_int_equal(si.si_status, SPAWN_EXIT_EXEC);
        assert_non_null(strstr(buf, "cannot execute /nonexistent/vmrun-test"));
}

static int exit_with_42(void *userdata) {
        return *(int *) userdata;
}

static void test_a_function_runs_in_place_of_exec_and_its_return_is_the_status(void **state) {
        int value = 42;
        _cleanup_close_ int pidfd = -1;
        siginfo_t si;
        pid_t pid;

        assert_int_equal(spawn(&(const Spawn) { .run = exit_with_42, .userdata = &value,
                                                .fds = (const int[]) { -1, -1, -1 }, .n_fds = 3 },
                               &pid, &pidfd),
                         0);
        assert_int_equal(pidfd_wait(pidfd, deadline_after(DEADLINE)), 0);
        assert_int_equal(pidfd_reap(pidfd, &si), 0);
        assert_int_equal(si.si_code, CLD_EXITED);
        assert_int_equal(si.si_status, 42);
}

static int wait_for_a_signal(void *userdata) {
        pause();
        return 0;
}

/* A child that never ends (a write stuck in a driver) holds nothing of
 * its parent's from the moment spawn() returns: not the lock taken just
 * before, however late the child is scheduled. */
static void test_once_spawn_returns_the_child_holds_none_of_the_callers_descriptors(void **state) {
        _cleanup_close_ int lock = open("/dev/null", O_RDONLY), pidfd = -1;
        _cleanup_closedir_ DIR *d = NULL;
        char path[64];
        struct dirent *de;
        int n = 0;
        pid_t pid;

        assert_true(lock >= 0);
        assert_int_equal(fcntl(lock, F_SETFD, 0), 0);
        assert_int_equal(spawn(&(const Spawn) { .run = wait_for_a_signal, .fds = (const int[]) { -1, -1, -1 },
                                                .n_fds = 3 },
                               &pid, &pidfd),
                         0);
        snprintf(path, sizeof path, "/proc/%d/fd", (int) pid);
        d = opendir(path);
        assert_non_null(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.') {
                        assert_true(atoi(de->d_name) <= 2);
                        n++;
                }
        assert_int_equal(n, 3);
        assert_int_equal(pidfd_kill_and_reap(pidfd), 0);
}

static void test_the_wait_ends_at_its_deadline_and_the_child_can_still_be_killed(void **state) {
        char *const argv[] = { (char *) "/bin/sleep", (char *) "600", NULL };
        _cleanup_close_ int pidfd = -1;
        pid_t pid;

        assert_int_equal(spawn(&(const Spawn) { .argv = argv, .fds = (const int[]) { -1, -1, -1 }, .n_fds = 3 },
                               &pid, &pidfd),
                         0);
        /* a deadline already passed: the answer is at once, not in 600 s */
        assert_int_equal(pidfd_wait(pidfd, now_usec()), -ETIMEDOUT);
        assert_int_equal(pidfd_kill_and_reap(pidfd), 0);
        assert_int_equal(kill(pid, 0), -1);
        assert_int_equal(errno, ESRCH);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_child_has_the_descriptors_of_its_table_and_no_other),
                cmocka_unit_test(test_a_missing_stdin_is_dev_null),
                cmocka_unit_test(test_signals_ignored_or_blocked_by_vmrun_are_not_in_the_child),
                cmocka_unit_test(test_a_failed_setup_exits_126_before_the_program),
                cmocka_unit_test(test_a_program_that_cannot_be_executed_exits_127_and_says_so),
                cmocka_unit_test(test_a_function_runs_in_place_of_exec_and_its_return_is_the_status),
                cmocka_unit_test(test_once_spawn_returns_the_child_holds_none_of_the_callers_descriptors),
                cmocka_unit_test(test_the_wait_ends_at_its_deadline_and_the_child_can_still_be_killed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
