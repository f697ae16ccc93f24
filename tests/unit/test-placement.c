/* SPDX-License-Identifier: GPL-2.0-or-later */
/* placement: [cpu] pin lists, and vCPU threads put one each on a host CPU
 * with QEMU's other threads kept to their own set. The threads here are
 * this test's own, standing in for QEMU's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>

#include "placement.h"

static void assert_list(const char *s, const unsigned *want, size_t n_want) {
        _cleanup_free_ unsigned *v = NULL;
        size_t n = 0;

        assert_int_equal(cpu_list_parse(s, &v, &n), 0);
        assert_int_equal(n, n_want);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(v[i], want[i]);
}

static void test_a_cpu_list_takes_ranges_and_single_cpus_in_the_order_written(void **state) {
        assert_list("2-7,10-15", (const unsigned[]) { 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15 }, 12);
        assert_list("3,1,2", (const unsigned[]) { 3, 1, 2 }, 3);
        assert_list("0", (const unsigned[]) { 0 }, 1);
}

static void test_a_cpu_list_refuses_what_is_not_one(void **state) {
        static const char *const bad[] = { "", "a", "1-", "-1", "3-1", "1,,2", "1,1", "1-3,2", "1024", "0-2000", "1 2", "1," };
        unsigned *v = NULL;
        size_t n = 0;

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                if (cpu_list_parse(bad[i], &v, &n) != -EINVAL)
                        fail_msg("'%s' was taken as a CPU list", bad[i]);
                assert_null(v);
        }
}

typedef struct Stand {
        pthread_t thread;
        pthread_barrier_t ready;
        pid_t tid;
        int stop[2];
} Stand;

static void *stand_in(void *arg) {
        Stand *s = arg;
        char c;

        s->tid = (pid_t) syscall(SYS_gettid);
        pthread_barrier_wait(&s->ready);
        /* until the test is done with us */
        (void) !read(s->stop[0], &c, 1);
        return NULL;
}

static void start(Stand *s) {
        assert_int_equal(pipe(s->stop), 0);
        assert_int_equal(pthread_barrier_init(&s->ready, NULL, 2), 0);
        assert_int_equal(pthread_create(&s->thread, NULL, stand_in, s), 0);
        pthread_barrier_wait(&s->ready);
}

static void stop(Stand *s) {
        assert_int_equal(write(s->stop[1], "y", 1), 1);
        assert_int_equal(pthread_join(s->thread, NULL), 0);
        pthread_barrier_destroy(&s->ready);
        close(s->stop[0]);
        close(s->stop[1]);
}

static bool only_on(pid_t tid, unsigned cpu) {
        cpu_set_t set;

        assert_int_equal(sched_getaffinity(tid, sizeof set, &set), 0);
        return CPU_COUNT(&set) == 1 && CPU_ISSET(cpu, &set);
}

static void test_each_vcpu_thread_goes_to_its_own_cpu_and_the_rest_to_the_emulator_set(void **state) {
        Stand a = { 0 }, b = { 0 };
        _cleanup_json_ json_t *cpus = NULL;
        cpu_set_t old;

        if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
                skip();
        assert_int_equal(sched_getaffinity(0, sizeof old, &old), 0);
        start(&a);
        start(&b);
        /* QEMU lists vCPUs by cpu-index; the order in the array does not count */
        cpus = json_pack("[{s:i, s:i}, {s:i, s:i}]", "cpu-index", 1, "thread-id", (int) b.tid, "cpu-index", 0,
                         "thread-id", (int) a.tid);
        assert_non_null(cpus);

        assert_int_equal(placement_pin(getpid(), cpus, (const unsigned[]) { 1, 0 }, 2, (const unsigned[]) { 1 }, 1), 0);
        assert_true(only_on(a.tid, 1));
        assert_true(only_on(b.tid, 0));
        /* the main thread is "the emulator" here */
        assert_true(only_on((pid_t) syscall(SYS_gettid), 1));

        stop(&a);
        stop(&b);
        assert_int_equal(sched_setaffinity(0, sizeof old, &old), 0);
}

static void test_a_pin_list_that_does_not_match_the_vcpus_is_refused(void **state) {
        _cleanup_json_ json_t *cpus = json_pack("[{s:i, s:i}]", "cpu-index", 0, "thread-id", (int) getpid());

        assert_int_equal(placement_pin(getpid(), cpus, (const unsigned[]) { 0, 1 }, 2, NULL, 0), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_cpu_list_takes_ranges_and_single_cpus_in_the_order_written),
                cmocka_unit_test(test_a_cpu_list_refuses_what_is_not_one),
                cmocka_unit_test(test_each_vcpu_thread_goes_to_its_own_cpu_and_the_rest_to_the_emulator_set),
                cmocka_unit_test(test_a_pin_list_that_does_not_match_the_vcpus_is_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
