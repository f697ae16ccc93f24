/* SPDX-License-Identifier: GPL-2.0-or-later */
/* placement: [cpu] pin lists, and vCPU threads put one each on a host CPU
 * with QEMU's other threads kept to their own set. The threads here are
 * this test's own, standing in for QEMU's. */
#include "skip.h"
#include "basic/parse.h"
#include "fake-root.h"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>

#include "host/placement.h"

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
                skip_because("this machine has fewer than 2 online CPUs");
        assert_int_equal(sched_getaffinity(0, sizeof old, &old), 0);
        start(&a);
        start(&b);
        /* QEMU lists vCPUs by cpu-index; the order in the array does not count */
        cpus = json_pack("[{s:i, s:i}, {s:i, s:i}]", "cpu-index", 1, "thread-id", (int) b.tid, "cpu-index", 0,
                         "thread-id", (int) a.tid);
        assert_non_null(cpus);

        assert_int_equal(placement_pin(getpid(), cpus, (const unsigned[]) { 1, 0 }, 2, (const unsigned[]) { 1 }, 1, NULL), 0);
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

        assert_int_equal(placement_pin(getpid(), cpus, (const unsigned[]) { 0, 1 }, 2, NULL, 0, NULL), -EINVAL);
}

/* The kernel's EINVAL alone would not say which CPU: the caller is told */
static void test_a_cpu_the_kernel_refuses_is_named_with_the_vcpu_and_its_thread(void **state) {
        Stand a = { 0 };
        _cleanup_json_ json_t *cpus = NULL;
        _cleanup_free_ char *failed = NULL, *want = NULL;

        start(&a);
        cpus = json_pack("[{s:i, s:i}]", "cpu-index", 0, "thread-id", (int) a.tid);
        assert_non_null(cpus);
        /* CPU_SETSIZE - 1: no machine this runs on has it */
        assert_int_equal(placement_pin(getpid(), cpus, (const unsigned[]) { 1023 }, 1, NULL, 0, &failed), -EINVAL);
        assert_true(asprintf(&want, "vCPU 0 (thread %d) on host CPU 1023", (int) a.tid) > 0);
        assert_string_equal(failed, want);
        stop(&a);
}

/* ---- the guest's topology, from the host's thread siblings ---- */

/* A host of `cores` cores with two threads each, numbered as Intel and AMD
 * desktops and laptops do: core c has CPUs c and c + cores. */
static void smt_host(FakeRoot *f, unsigned cores) {
        for (unsigned c = 0; c < cores; c++)
                for (unsigned t = 0; t < 2; t++) {
                        char path[96], sib[32];

                        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list",
                                 c + t * cores);
                        snprintf(sib, sizeof sib, "%u,%u\n", c, c + cores);
                        fake_file(f, path, sib);
                }
}

static void topology(FakeRoot *f, const char *pin, CpuTopology *ret, char **ret_flat) {
        HostContext ctx = { .root = f->dir };
        _cleanup_free_ unsigned *v = NULL;
        size_t n;

        assert_int_equal(cpu_list_parse(pin, &v, &n), 0);
        assert_int_equal(placement_topology(&ctx, v, n, ret, ret_flat, NULL), 0);
}

static void test_both_threads_of_each_core_one_after_the_other_give_the_guest_smt(void **state) {
        FakeRoot f;
        CpuTopology t;
        char *flat = NULL;

        fake_root_new(&f, "placement");
        smt_host(&f, 8);
        topology(&f, "2,10,3,11,4,12", &t, &flat);
        assert_null(flat);
        assert_int_equal(t.sockets, 1);
        assert_int_equal(t.cores, 3);
        assert_int_equal(t.threads, 2);
        fake_root_remove(&f);
}

static void test_one_thread_of_each_core_gives_the_guest_cores_without_smt(void **state) {
        FakeRoot f;
        CpuTopology t;
        char *flat = NULL;

        fake_root_new(&f, "placement");
        smt_host(&f, 8);
        topology(&f, "2-7", &t, &flat);
        assert_null(flat);
        assert_int_equal(t.cores, 6);
        assert_int_equal(t.threads, 1);
        fake_root_remove(&f);
}

static void test_siblings_apart_in_the_list_give_no_smt_and_the_order_that_would(void **state) {
        _cleanup_free_ char *flat = NULL;
        FakeRoot f;
        CpuTopology t;

        fake_root_new(&f, "placement");
        smt_host(&f, 8);
        /* the example: on this host 2 and 10 are one core */
        topology(&f, "2-7,10-15", &t, &flat);
        assert_int_equal(t.cores, 12);
        assert_int_equal(t.threads, 1);
        assert_non_null(flat);
        if (!strstr(flat, "the guest sees 12 cores of one thread each; pin = 2,10,3,11,4,12,5,13,6,14,7,15 gives it "
                          "6 cores of 2 threads"))
                fail_msg("%s", flat);
        fake_root_remove(&f);
}

static void test_cores_given_unequal_threads_give_no_smt_and_say_so(void **state) {
        _cleanup_free_ char *flat = NULL;
        FakeRoot f;
        CpuTopology t;

        fake_root_new(&f, "placement");
        smt_host(&f, 8);
        topology(&f, "2,10,3", &t, &flat);
        assert_int_equal(t.cores, 3);
        assert_int_equal(t.threads, 1);
        assert_non_null(flat);
        assert_non_null(strstr(flat, "gives some host cores more threads than others"));
        fake_root_remove(&f);
}

static void test_a_pinned_cpu_the_host_lacks_is_enoent_naming_it(void **state) {
        HostContext ctx;
        FakeRoot f;
        CpuTopology t;
        char *flat = NULL;
        unsigned missing = 0;

        fake_root_new(&f, "placement");
        smt_host(&f, 2);
        ctx = (HostContext) { .root = f.dir };
        assert_int_equal(placement_topology(&ctx, (const unsigned[]) { 1, 9 }, 2, &t, &flat, &missing), -ENOENT);
        assert_int_equal(missing, 9);
        fake_root_remove(&f);
}

static void test_the_host_cpu_vendor_comes_from_cpuinfo(void **state) {
        _cleanup_free_ char *vendor = NULL;
        HostContext ctx;
        FakeRoot f;

        fake_root_new(&f, "placement");
        ctx = (HostContext) { .root = f.dir };
        assert_int_equal(placement_cpu_vendor(&ctx, &vendor), -ENOENT);
        fake_file(&f, "/proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n");
        assert_int_equal(placement_cpu_vendor(&ctx, &vendor), 0);
        assert_string_equal(vendor, "AuthenticAMD");
        fake_root_remove(&f);
}

/* ---- hugepages ---- */

static void pool(FakeRoot *f, const char *kb, const char *nr, const char *free_pages, const char *resv) {
        char path[96];

        snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%skB/nr_hugepages", kb);
        fake_file(f, path, nr);
        snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%skB/free_hugepages", kb);
        fake_file(f, path, free_pages);
        snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%skB/resv_hugepages", kb);
        fake_file(f, path, resv);
}

static void test_hugepages_of_the_default_size_count_free_less_reserved(void **state) {
        HostContext ctx;
        FakeRoot f;
        Hugepages h;

        fake_root_new(&f, "placement");
        ctx = (HostContext) { .root = f.dir };
        fake_file(&f, "/proc/meminfo", "MemTotal:       24000000 kB\nHugePages_Total:    1100\nHugepagesize:       2048 kB\n");
        pool(&f, "2048", "1100\n", "1050\n", "20\n");
        pool(&f, "1048576", "0\n", "0\n", "0\n");
        assert_int_equal(placement_hugepages(&ctx, 0, 2ULL << 30, &h), 0);
        assert_int_equal(h.size, 2ULL << 20);
        assert_int_equal(h.needed, 1024);
        assert_int_equal(h.total, 1100);
        assert_int_equal(h.available, 1030);

        assert_int_equal(placement_hugepages(&ctx, 1ULL << 30, 2ULL << 30, &h), 0);
        assert_int_equal(h.needed, 2);
        assert_int_equal(h.available, 0);
        fake_root_remove(&f);
}

static void test_hugepages_the_host_cannot_give_are_told_apart(void **state) {
        HostContext ctx;
        FakeRoot f;
        Hugepages h;

        fake_root_new(&f, "placement");
        ctx = (HostContext) { .root = f.dir };
        /* no hugetlbfs at all */
        assert_int_equal(placement_hugepages(&ctx, 0, 1ULL << 30, &h), -EOPNOTSUPP);
        /* no 1 GiB pool (a CPU without pdpe1gb) */
        pool(&f, "2048", "0\n", "0\n", "0\n");
        assert_int_equal(placement_hugepages(&ctx, 1ULL << 30, 1ULL << 30, &h), -ENOENT);
        assert_int_equal(h.size, 1ULL << 30);
        /* 129 MiB is no whole number of 2 MiB pages */
        assert_int_equal(placement_hugepages(&ctx, 2ULL << 20, 129ULL << 20, &h), -ERANGE);
        fake_root_remove(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_cpu_list_takes_ranges_and_single_cpus_in_the_order_written),
                cmocka_unit_test(test_a_cpu_list_refuses_what_is_not_one),
                cmocka_unit_test(test_each_vcpu_thread_goes_to_its_own_cpu_and_the_rest_to_the_emulator_set),
                cmocka_unit_test(test_a_pin_list_that_does_not_match_the_vcpus_is_refused),
                cmocka_unit_test(test_a_cpu_the_kernel_refuses_is_named_with_the_vcpu_and_its_thread),
                cmocka_unit_test(test_both_threads_of_each_core_one_after_the_other_give_the_guest_smt),
                cmocka_unit_test(test_one_thread_of_each_core_gives_the_guest_cores_without_smt),
                cmocka_unit_test(test_siblings_apart_in_the_list_give_no_smt_and_the_order_that_would),
                cmocka_unit_test(test_cores_given_unequal_threads_give_no_smt_and_say_so),
                cmocka_unit_test(test_a_pinned_cpu_the_host_lacks_is_enoent_naming_it),
                cmocka_unit_test(test_the_host_cpu_vendor_comes_from_cpuinfo),
                cmocka_unit_test(test_hugepages_of_the_default_size_count_free_less_reserved),
                cmocka_unit_test(test_hugepages_the_host_cannot_give_are_told_apart),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
