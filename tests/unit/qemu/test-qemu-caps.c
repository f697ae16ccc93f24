/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "skip.h"

#include <limits.h>
#include <signal.h>

#include "basic/log.h"
#include "qemu/caps.h"
#include "basic/strv.h"

#define QEMU "/usr/bin/qemu-system-x86_64"

/* The flags a Windows guest asks for (plan.c's list). */
static const char *const hyperv[] = {
        "hv-relaxed", "hv-vapic", "hv-spinlocks", "hv-vpindex", "hv-runtime", "hv-time",
        "hv-synic", "hv-stimer", "hv-frequencies", "hv-tlbflush", "hv-ipi",
};

/* This very program stands in for a QEMU that misbehaves: see main(). */
static char self[PATH_MAX];

/* ---- the parser ---- */

/* What QEMU 7.2 prints, shortened; its warnings go to the same pipe. */
static const char help_7_2[] =
        "qemu: module ui-ui-gtk not found, do you want to install qemu-system-gui package?\n"
        "max-x86_64-cpu options:\n"
        "  3dnow=<bool>\n"
        "  avx2=<bool>\n"
        "  hv-relaxed=<bool>      - on/off (default: false)\n"
        "  hv-spinlocks=<uint32>  -  (default: 4294967295)\n"
        "  hv-vendor-id=<str>\n"
        "  x-hv-max-vps=<int32>   -  (default: -1)\n"
        "  pmu=<bool>             - on/off (default: false)\n"
        "\n";

static void test_the_current_help_format_gives_the_property_names_in_order(void **state) {
        static const char *const want[] = { "3dnow", "avx2", "hv-relaxed", "hv-spinlocks", "hv-vendor-id", "x-hv-max-vps", "pmu" };
        _cleanup_strv_free_ char **props = NULL;

        assert_int_equal(qemu_parse_device_help(help_7_2, &props), 0);
        assert_int_equal(strv_length(props), ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_string_equal(props[i], want[i]);
}

static void test_the_help_format_before_qemu_5_gives_the_same_names(void **state) {
        _cleanup_strv_free_ char **props = NULL;

        assert_int_equal(qemu_parse_device_help("max-x86_64-cpu.hv-relaxed=bool (on/off)\n"
                                                "max-x86_64-cpu.hv-spinlocks=uint32\n"
                                                "max-x86_64-cpu.hv-vendor-id=str",
                                                &props),
                         0);
        assert_int_equal(strv_length(props), 3);
        assert_string_equal(props[0], "hv-relaxed");
        assert_string_equal(props[1], "hv-spinlocks");
        assert_string_equal(props[2], "hv-vendor-id");
}

static void test_a_property_listed_twice_is_listed_once(void **state) {
        _cleanup_strv_free_ char **props = NULL;

        assert_int_equal(qemu_parse_device_help("  hv-ipi=<bool>\n  hv-ipi=<bool>\n", &props), 0);
        assert_int_equal(strv_length(props), 1);
}

static void test_output_without_any_property_is_ebadmsg(void **state) {
        char **props = NULL;

        assert_int_equal(qemu_parse_device_help("", &props), -EBADMSG);
        assert_int_equal(qemu_parse_device_help("qemu-system-x86_64: -device nope-x86_64-cpu,help: "
                                                "'nope-x86_64-cpu' is not a valid device model name\n",
                                                &props),
                         -EBADMSG);
        assert_null(props);
}

/* ---- asking QEMU ---- */

static void test_the_installed_qemu_offers_every_flag_windows_gets(void **state) {
        _cleanup_strv_free_ char **max = NULL, **host = NULL;

        if (access(QEMU, X_OK) < 0)
                skip_because("QEMU (qemu-system-x86_64) is not installed");
        /* the property list needs neither KVM nor a machine */
        assert_int_equal(qemu_cpu_properties(QEMU, "max", QEMU_CAPS_TIMEOUT, &max), 0);
        assert_int_equal(qemu_cpu_properties(QEMU, "host", QEMU_CAPS_TIMEOUT, &host), 0);
        for (size_t i = 0; i < ELEMENTSOF(hyperv); i++) {
                if (!strv_contains(max, hyperv[i]))
                        fail_msg("%s -device max-x86_64-cpu,help does not list %s", QEMU, hyperv[i]);
                if (!strv_contains(host, hyperv[i]))
                        fail_msg("%s -device host-x86_64-cpu,help does not list %s", QEMU, hyperv[i]);
        }
        /* CPUID flags are properties too */
        assert_true(strv_contains(max, "avx2"));
        assert_false(strv_contains(max, "max-x86_64-cpu"));
}

static void test_an_unknown_cpu_model_is_ebadmsg(void **state) {
        char **props = NULL;

        if (access(QEMU, X_OK) < 0)
                skip_because("QEMU (qemu-system-x86_64) is not installed");
        /* QEMU 7.2 says "Device 'no-such-model-x86_64-cpu' not found" and exits 0 */
        assert_int_equal(qemu_cpu_properties(QEMU, "no-such-model", QEMU_CAPS_TIMEOUT, &props), -EBADMSG);
        assert_null(props);
}

static void test_a_missing_binary_is_enoent(void **state) {
        char **props = NULL;

        assert_int_equal(qemu_cpu_properties("/nonexistent/qemu-system-x86_64", "max", QEMU_CAPS_TIMEOUT, &props),
                         -ENOENT);
        assert_null(props);
}

static void test_a_binary_that_fails_is_eio(void **state) {
        char **props = NULL;

        assert_int_equal(setenv("TEST_FAKE_QEMU", "fail", 1), 0);
        assert_int_equal(qemu_cpu_properties(self, "max", QEMU_CAPS_TIMEOUT, &props), -EIO);
        assert_null(props);
}

static void test_a_binary_that_never_answers_is_killed_at_the_deadline(void **state) {
        char **props = NULL;
        usec_t t0 = now_usec();

        assert_int_equal(setenv("TEST_FAKE_QEMU", "hang", 1), 0);
        assert_int_equal(qemu_cpu_properties(self, "max", 300 * USEC_PER_MSEC, &props), -ETIMEDOUT);
        assert_null(props);
        assert_true(now_usec() - t0 < 10 * USEC_PER_SEC);
}

static void test_a_binary_that_never_stops_talking_is_e2big(void **state) {
        char **props = NULL;

        assert_int_equal(setenv("TEST_FAKE_QEMU", "flood", 1), 0);
        assert_int_equal(qemu_cpu_properties(self, "max", QEMU_CAPS_TIMEOUT, &props), -E2BIG);
        assert_null(props);
}

static void test_a_binary_that_answers_is_parsed(void **state) {
        _cleanup_strv_free_ char **props = NULL;

        assert_int_equal(setenv("TEST_FAKE_QEMU", "help", 1), 0);
        assert_int_equal(qemu_cpu_properties(self, "max", QEMU_CAPS_TIMEOUT, &props), 0);
        assert_true(strv_contains(props, "hv-relaxed"));
        assert_true(strv_contains(props, "pmu"));
}

/* ---- SPICE ---- */

/* What QEMU 7.2 (Debian 12's, SPICE built in) prints, shortened, before
 * it exits 1 (QEMU 10 with its SPICE module the same) */
static const char spice_help_7_2[] =
        "spice options:\n"
        "  addr=<str>\n"
        "  disable-ticketing=<bool (on/off)>\n"
        "  port=<number>\n";

/* What QEMU 10 on Debian 13 says without qemu-system-modules-spice */
static const char no_spice_10[] =
        "qemu-system-x86_64: -spice help: There is no option group 'spice'\n"
        "qemu-system-x86_64: -spice help: Perhaps you want to install qemu-system-modules-spice package?\n";

static void test_a_qemu_that_lists_spices_options_has_spice(void **state) {
        char *said = NULL;

        assert_int_equal(setenv("TEST_FAKE_QEMU", "spice", 1), 0);
        assert_int_equal(qemu_has_spice(self, QEMU_CAPS_TIMEOUT, &said), 1);
        assert_null(said);
}

static void test_a_qemu_without_spice_says_so_and_names_the_package(void **state) {
        _cleanup_free_ char *said = NULL;

        assert_int_equal(setenv("TEST_FAKE_QEMU", "no-spice", 1), 0);
        assert_int_equal(qemu_has_spice(self, QEMU_CAPS_TIMEOUT, &said), 0);
        assert_string_equal(said, "There is no option group 'spice'; Perhaps you want to install "
                                  "qemu-system-modules-spice package?");
}

static void test_a_qemu_that_answers_spice_help_without_its_options_has_no_spice(void **state) {
        _cleanup_free_ char *said = NULL;

        assert_int_equal(setenv("TEST_FAKE_QEMU", "help", 1), 0);
        assert_int_equal(qemu_has_spice(self, QEMU_CAPS_TIMEOUT, &said), 0);
        assert_string_equal(said, "qemu-system-x86_64: some other answer");
}

static void test_the_installed_qemu_answers_whether_it_has_spice(void **state) {
        _cleanup_free_ char *said = NULL;
        int r;

        if (access(QEMU, X_OK) < 0)
                skip_because("QEMU (qemu-system-x86_64) is not installed");
        /* either answer is this machine's; neither is an error */
        r = qemu_has_spice(QEMU, QEMU_CAPS_TIMEOUT, &said);
        if (r < 0)
                fail_msg("%s -spice help: %s", QEMU, strerror(-r));
        /* a "no" is QEMU's error, never its list of SPICE's options */
        if (r == 0 && (strstr(said, "port=") || !strstr(said, "spice")))
                fail_msg("%s -spice help: no SPICE, it says: %s", QEMU, said);
}

/* Run as a QEMU by the tests above: they pass the arguments qemu_caps.c
 * gives QEMU, which start with -nodefaults, and say in TEST_FAKE_QEMU how
 * to behave. */
static int fake_qemu(int argc, char **argv) {
        const char *mode = getenv("TEST_FAKE_QEMU");

        if (argc == 5 && streq(argv[3], "-spice") && streq(argv[4], "help")) {
                if (streq_ptr(mode, "spice")) {
                        fputs(spice_help_7_2, stdout);
                        return 1;
                }
                if (streq_ptr(mode, "no-spice")) {
                        fputs(no_spice_10, stderr);
                        return 1;
                }
                if (!streq_ptr(mode, "help"))
                        return 2;
                /* a help text that is not SPICE's */
                fputs("qemu-system-x86_64: some other answer\n", stdout);
                return 0;
        }
        if (argc != 5 || !streq(argv[3], "-device") || !streq(argv[4], "max-x86_64-cpu,help"))
                return 2;
        if (streq_ptr(mode, "help")) {
                fputs(help_7_2, stdout);
                return 0;
        }
        if (streq_ptr(mode, "hang")) {
                for (;;)
                        pause();
        }
        if (streq_ptr(mode, "flood")) {
                for (;;)
                        if (fputs("  x=<bool>\n", stdout) < 0)
                                return 1;
        }
        fputs("qemu-system-x86_64: something went wrong\n", stderr);
        return 1;
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_current_help_format_gives_the_property_names_in_order),
                cmocka_unit_test(test_the_help_format_before_qemu_5_gives_the_same_names),
                cmocka_unit_test(test_a_property_listed_twice_is_listed_once),
                cmocka_unit_test(test_output_without_any_property_is_ebadmsg),

                cmocka_unit_test(test_the_installed_qemu_offers_every_flag_windows_gets),
                cmocka_unit_test(test_an_unknown_cpu_model_is_ebadmsg),
                cmocka_unit_test(test_a_missing_binary_is_enoent),
                cmocka_unit_test(test_a_binary_that_fails_is_eio),
                cmocka_unit_test(test_a_binary_that_never_answers_is_killed_at_the_deadline),
                cmocka_unit_test(test_a_binary_that_never_stops_talking_is_e2big),
                cmocka_unit_test(test_a_binary_that_answers_is_parsed),

                cmocka_unit_test(test_a_qemu_that_lists_spices_options_has_spice),
                cmocka_unit_test(test_a_qemu_without_spice_says_so_and_names_the_package),
                cmocka_unit_test(test_a_qemu_that_answers_spice_help_without_its_options_has_no_spice),
                cmocka_unit_test(test_the_installed_qemu_answers_whether_it_has_spice),
        };
        ssize_t n;

        if (argc > 1 && streq(argv[1], "-nodefaults"))
                return fake_qemu(argc, argv);

        n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0)
                return 1;
        self[n] = '\0';
        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
