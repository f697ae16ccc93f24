/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-root.h"

#include <sys/sysmacros.h>
#include <unistd.h>

#include "host/logind.h"
#include "basic/log.h"
#include "basic/strv.h"

/* logind's sessions as vmrun reads them: the files logind keeps in
 * /run/systemd/sessions (what sd-login reads), and the seat udev gave the
 * GPU, in a fake root. Ending a session needs logind on the system bus:
 * the lab VM does that. */

#define GPU "0000:01:00.0"

typedef FakeHost Fixture;

/* /run/systemd/sessions/ID with `content` */
static void session_file(const Fixture *f, const char *id, const char *content) {
        char path[128];

        snprintf(path, sizeof path, "/run/systemd/sessions/%s", id);
        fake_file(&f->root, path, content);
}

/* A session as systemd 252's logind writes it, on `seat` (NULL: none). */
static void session(const Fixture *f, const char *id, const char *seat) {
        char content[512];

        snprintf(content, sizeof content,
                 "# This is private data. Do not parse.\n"
                 "UID=1000\n"
                 "USER=desk\n"
                 "ACTIVE=1\n"
                 "IS_DISPLAY=1\n"
                 "STATE=active\n"
                 "REMOTE=0\n"
                 "TYPE=tty\n"
                 "ORIGINAL_TYPE=tty\n"
                 "CLASS=user\n"
                 "SCOPE=session-%s.scope\n"
                 "FIFO=/run/systemd/sessions/%s.ref\n"
                 "%s%s%s"
                 "SERVICE=greetd\n"
                 "DESKTOP=weston\n"
                 "POSITION=0\n"
                 "LEADER=812\n"
                 "REALTIME=1733237649123456\n"
                 "MONOTONIC=12345678\n"
                 "CONTROLLER=:1.12\n"
                 "DEVICES=226:0 13:64\n",
                 id, id, seat ? "SEAT=" : "", seat ? seat : "", seat ? "\nVTNR=2\n" : "");
        session_file(f, id, content);
}

/* ---- login_session_read() ---- */

static void test_a_session_file_gives_its_user_seat_type_class_and_devices(void **state) {
        Fixture *f = *state;
        _cleanup_(login_session_done) LoginSession s = { 0 };

        session(f, "1", "seat0");
        assert_int_equal(login_session_read(&f->ctx, "1", &s), 0);
        assert_string_equal(s.id, "1");
        assert_int_equal(s.uid, 1000);
        assert_string_equal(s.user, "desk");
        assert_string_equal(s.seat, "seat0");
        assert_string_equal(s.type, "tty");
        assert_string_equal(s.class, "user");
        assert_string_equal(s.devices, "226:0 13:64");
}

static void test_a_session_logind_does_not_list_is_enoent(void **state) {
        Fixture *f = *state;
        LoginSession s = { 0 };

        assert_int_equal(login_session_read(&f->ctx, "7", &s), -ENOENT);
        assert_null(s.id);
        session(f, "1", "seat0");
        assert_int_equal(login_session_read(&f->ctx, "7", &s), -ENOENT);
}

static void test_a_session_file_without_uid_or_user_is_ebadmsg(void **state) {
        Fixture *f = *state;
        LoginSession s = { 0 };

        session_file(f, "2", "# This is private data. Do not parse.\nUSER=desk\nSEAT=seat0\nTYPE=tty\n");
        assert_int_equal(login_session_read(&f->ctx, "2", &s), -EBADMSG);
        session_file(f, "3", "# This is private data. Do not parse.\nUID=1000\nSEAT=seat0\nTYPE=tty\n");
        assert_int_equal(login_session_read(&f->ctx, "3", &s), -EBADMSG);
        /* an empty value is no value */
        session_file(f, "4", "UID=1000\nUSER=\n");
        assert_int_equal(login_session_read(&f->ctx, "4", &s), -EBADMSG);
        session_file(f, "5", "UID=desk\nUSER=desk\n");
        assert_int_equal(login_session_read(&f->ctx, "5", &s), -EBADMSG);
        assert_null(s.id);
        assert_null(s.user);
}

static void test_a_session_on_no_seat_has_a_null_seat(void **state) {
        Fixture *f = *state;
        _cleanup_(login_session_done) LoginSession s = { 0 };

        /* an ssh login: no SEAT=, no VTNR= */
        session(f, "c2", NULL);
        assert_int_equal(login_session_read(&f->ctx, "c2", &s), 0);
        assert_null(s.seat);
        assert_string_equal(s.user, "desk");
}

static void test_a_session_id_with_a_slash_or_a_leading_dot_is_refused(void **state) {
        Fixture *f = *state;
        LoginSession s = { 0 };

        /* files that exist, reached through a crafted id */
        fake_file(&f->root, "/run/systemd/users/1000", "UID=1000\nUSER=desk\n");
        session_file(f, ".hidden", "UID=1000\nUSER=desk\n");
        assert_int_equal(login_session_read(&f->ctx, "../users/1000", &s), -EINVAL);
        assert_int_equal(login_session_read(&f->ctx, "1/../../users/1000", &s), -EINVAL);
        assert_int_equal(login_session_read(&f->ctx, ".hidden", &s), -EINVAL);
        assert_int_equal(login_session_read(&f->ctx, "..", &s), -EINVAL);
        assert_int_equal(login_session_read(&f->ctx, "", &s), -EINVAL);
        assert_null(s.id);
}

/* 1.ref is the FIFO logind reads the session's end from: opened, it would
 * block until a writer comes, read, until it writes. logind's ids are
 * letters and digits; nothing else is looked up. */
static void test_a_session_id_logind_would_not_make_is_refused_before_any_open(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *fifo = fake_path(&f->root, "/run/systemd/sessions/1.ref");
        LoginSession s = { 0 };

        session(f, "1", "seat0");
        assert_int_equal(mkfifo(fifo, 0600), 0);
        alarm(10);      /* a hang is a failure, not a stuck test run */
        assert_int_equal(login_session_read(&f->ctx, "1.ref", &s), -EINVAL);
        alarm(0);
        session_file(f, "1-x", "UID=1000\nUSER=desk\n");
        assert_int_equal(login_session_read(&f->ctx, "1-x", &s), -EINVAL);
        assert_null(s.id);
}

/* ---- login_session_of_scope() ---- */

static void test_the_session_of_a_session_scope_is_the_id_in_its_name(void **state) {
        char buf[64];

        assert_string_equal(login_session_of_scope("session-3.scope", buf, sizeof buf), "3");
        assert_string_equal(login_session_of_scope("session-c12.scope", buf, sizeof buf), "c12");
}

static void test_any_other_unit_is_in_no_session(void **state) {
        char buf[64];

        assert_null(login_session_of_scope("gdm.service", buf, sizeof buf));
        assert_null(login_session_of_scope("session-.scope", buf, sizeof buf));
        assert_null(login_session_of_scope("user@1000.service", buf, sizeof buf));
        assert_null(login_session_of_scope("session-3.service", buf, sizeof buf));
        assert_null(login_session_of_scope("app-session-3.scope", buf, sizeof buf));
        assert_null(login_session_of_scope(NULL, buf, sizeof buf));
}

static void test_a_session_id_longer_than_the_buffer_is_in_no_session(void **state) {
        char buf[4];

        assert_null(login_session_of_scope("session-1234.scope", buf, sizeof buf));
        assert_string_equal(login_session_of_scope("session-123.scope", buf, sizeof buf), "123");
}

/* ---- login_session_has_device() ---- */

static void test_a_session_has_a_device_its_devices_name_exactly(void **state) {
        LoginSession s = { .devices = (char *) "226:0 13:64" };

        assert_true(login_session_has_device(&s, makedev(226, 0)));
        assert_true(login_session_has_device(&s, makedev(13, 64)));
        assert_false(login_session_has_device(&s, makedev(13, 6)));
        assert_false(login_session_has_device(&s, makedev(226, 1)));
}

static void test_a_device_whose_number_is_part_of_another_is_not_the_sessions(void **state) {
        LoginSession s1 = { .devices = (char *) "226:01" };
        LoginSession s2 = { .devices = (char *) "1226:0" };
        LoginSession s3 = { .devices = (char *) "1226:0 226:01 226:0" };
        LoginSession s4 = { .devices = (char *) "226:00 1226:0" };

        assert_false(login_session_has_device(&s1, makedev(226, 0)));
        assert_false(login_session_has_device(&s2, makedev(226, 0)));
        assert_true(login_session_has_device(&s3, makedev(226, 0)));
        assert_false(login_session_has_device(&s4, makedev(226, 0)));
}

static void test_a_session_that_took_no_device_has_none(void **state) {
        LoginSession s = { 0 };

        assert_false(login_session_has_device(&s, makedev(226, 0)));
}

/* ---- login_sessions_on_seat() ---- */

static void test_the_sessions_on_a_seat_are_listed_sorted_without_fifos_and_other_seats(void **state) {
        Fixture *f = *state;
        _cleanup_strv_free_ char **ids = NULL;

        session(f, "3", "seat0");
        session(f, "1", "seat0");
        session(f, "12", "seat0");
        session(f, "2", "seat1");
        session(f, "c4", NULL);
        /* the FIFO that ties a session to its leader */
        fake_file(&f->root, "/run/systemd/sessions/1.ref", "");
        fake_file(&f->root, "/run/systemd/sessions/3.ref", "UID=1000\nUSER=desk\nSEAT=seat0\n");
        /* a file logind is writing (or left broken) */
        session_file(f, "9", "UID=1000\nSEAT=seat0\n");

        assert_int_equal(login_sessions_on_seat(&f->ctx, "seat0", &ids), 0);
        assert_non_null(ids);
        assert_int_equal(strv_length(ids), 3);
        assert_string_equal(ids[0], "1");
        assert_string_equal(ids[1], "12");
        assert_string_equal(ids[2], "3");
}

static void test_a_seat_without_sessions_has_an_empty_list(void **state) {
        Fixture *f = *state;
        _cleanup_strv_free_ char **none = NULL, **other = NULL;

        /* no /run/systemd/sessions at all */
        assert_int_equal(login_sessions_on_seat(&f->ctx, "seat0", &none), 0);
        assert_non_null(none);
        assert_null(none[0]);

        session(f, "2", "seat1");
        assert_int_equal(login_sessions_on_seat(&f->ctx, "seat0", &other), 0);
        assert_non_null(other);
        assert_null(other[0]);
}

/* ---- device_seat() ---- */

static void test_a_device_udev_gave_no_seat_is_on_seat0(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *seat = NULL, *seat2 = NULL;

        assert_int_equal(device_seat(&f->ctx, GPU, &seat), 0);
        assert_string_equal(seat, "seat0");

        /* a udev record without ID_SEAT */
        fake_file(&f->root, "/run/udev/data/+pci:" GPU, "I:5012345\nE:ID_PCI_CLASS_FROM_DATABASE=Display controller\n"
                                                        "G:seat\nG:master-of-seat\nQ:seat\n");
        assert_int_equal(device_seat(&f->ctx, GPU, &seat2), 0);
        assert_string_equal(seat2, "seat0");
}

static void test_the_seat_of_a_device_is_its_udev_records_id_seat(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *seat = NULL, *other = NULL;

        fake_file(&f->root, "/run/udev/data/+pci:" GPU, "I:5012345\nE:ID_PCI_CLASS_FROM_DATABASE=Display controller\n"
                                                        "E:ID_SEAT=seat1\nG:seat\nQ:seat\n");
        assert_int_equal(device_seat(&f->ctx, GPU, &seat), 0);
        assert_string_equal(seat, "seat1");
        /* another device's record is not this one's */
        assert_int_equal(device_seat(&f->ctx, "0000:00:02.0", &other), 0);
        assert_string_equal(other, "seat0");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, fake_host_setup, fake_host_teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_a_session_file_gives_its_user_seat_type_class_and_devices),
                TEST(test_a_session_logind_does_not_list_is_enoent),
                TEST(test_a_session_file_without_uid_or_user_is_ebadmsg),
                TEST(test_a_session_on_no_seat_has_a_null_seat),
                TEST(test_a_session_id_with_a_slash_or_a_leading_dot_is_refused),
                TEST(test_a_session_id_logind_would_not_make_is_refused_before_any_open),

                cmocka_unit_test(test_the_session_of_a_session_scope_is_the_id_in_its_name),
                cmocka_unit_test(test_any_other_unit_is_in_no_session),
                cmocka_unit_test(test_a_session_id_longer_than_the_buffer_is_in_no_session),

                cmocka_unit_test(test_a_session_has_a_device_its_devices_name_exactly),
                cmocka_unit_test(test_a_device_whose_number_is_part_of_another_is_not_the_sessions),
                cmocka_unit_test(test_a_session_that_took_no_device_has_none),

                TEST(test_the_sessions_on_a_seat_are_listed_sorted_without_fifos_and_other_seats),
                TEST(test_a_seat_without_sessions_has_an_empty_list),

                TEST(test_a_device_udev_gave_no_seat_is_on_seat0),
                TEST(test_the_seat_of_a_device_is_its_udev_records_id_seat),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
