/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "skip.h"
#include "capture.h"
#include "fake-root.h"
#include "fake-manager.h"

#include <limits.h>
#include <unistd.h>

#include "basic/log.h"
#include "handover/handover.h"
#include "handover/step-types.h"
#include "host/host.h"

/* The steps that act through a user's service manager (uid 1000's, a
 * fake one under a fake root, fake-manager.h): stop-graphical-session,
 * which ends a desktop whose compositor runs in that manager, and
 * stop-user-unit, which stops a unit that is no part of it. What systemd
 * refuses is said in its own words, and what it refused leaves nothing
 * to undo. */

typedef struct Fixture {
        FakeRoot root;
        HostContext ctx;
        FakeManager manager;
        char journal[128];
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        fake_root_new(&f->root, "user-units");
        f->ctx = (HostContext) { .root = f->root.dir };
        snprintf(f->journal, sizeof f->journal, "%s/journal.json", f->root.dir);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        fake_manager_stop(&f->manager);
        fake_root_remove(&f->root);
        host_context_done(&f->ctx);
        free(f);
        return 0;
}

#define assert_contains(text, needle)                                          \
        do {                                                                   \
                if (!strstr((text), (needle)))                                 \
                        fail_msg("expected \"%s\" in:\n%s", (needle), (text)); \
        } while (0)

static json_t *params(const char *unit) {
        return unit ? json_pack("{s:s, s:s, s:i, s:i, s:[]}", "unit", unit, "user", "desk", "uid", 1000, "timeout", 5,
                                "nodes")
                    : json_pack("{s:s, s:i, s:i}", "user", "desk", "uid", 1000, "timeout", 5);
}

/* ---- stop-graphical-session ---- */

static void test_the_graphical_session_is_stopped_through_its_target_and_started_by_no_one(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = { { .id = "graphical-session.target", .refuse_start = true } };
        _cleanup_json_ json_t *p = params(NULL), *record = NULL;
        _cleanup_free_ char *calls = NULL, *log = NULL;
        Capture c;

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        capture_start(&c);
        assert_int_equal(step_stop_graphical_session.apply(&f->ctx, p, NULL, &record), 0);
        assert_true(json_is_true(json_object_get(record, "stopped")));
        assert_int_equal(step_stop_graphical_session.undo(&f->ctx, record), 0);
        log = capture_end(&c);
        calls = fake_manager_calls(&f->manager);
        assert_string_equal(calls, "stop graphical-session.target\n");
        assert_contains(log, "the graphical session of desk comes back with the display manager's login, not by "
                             "vmrun's hand");
}

/* GNOME's session leader stopped it when logind ended the session */
static void test_a_graphical_session_that_went_with_its_session_is_not_stopped_again(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = { { .id = "graphical-session.target", .active_state = "inactive" } };
        _cleanup_json_ json_t *p = params(NULL), *record = NULL;
        _cleanup_free_ char *calls = NULL, *log = NULL;
        Capture c;

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        capture_start(&c);
        assert_int_equal(step_stop_graphical_session.apply(&f->ctx, p, NULL, &record), 0);
        log = capture_end(&c);
        assert_false(json_is_true(json_object_get(record, "stopped")));
        calls = fake_manager_calls(&f->manager);
        assert_string_equal(calls, "");
        assert_contains(log, "graphical-session.target of desk is inactive");
}

/* the user's last session ended, and the manager with it */
static void test_without_its_manager_the_graphical_session_is_gone_already(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *p = params(NULL), *record = NULL;
        _cleanup_free_ char *log = NULL;
        Capture c;

        capture_start(&c);
        assert_int_equal(step_stop_graphical_session.apply(&f->ctx, p, NULL, &record), 0);
        log = capture_end(&c);
        assert_false(json_is_true(json_object_get(record, "stopped")));
        assert_contains(log, "the service manager of desk has ended with its last session");
}

/* ---- stop-user-unit ---- */

static void test_a_user_unit_is_stopped_and_started_again_through_its_manager(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = { { .id = "mixer.service" } };
        _cleanup_json_ json_t *p = params("mixer.service"), *record = NULL;
        _cleanup_free_ char *calls = NULL, *log = NULL;
        Capture c;

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        capture_start(&c);
        assert_int_equal(step_stop_user_unit.apply(&f->ctx, p, NULL, &record), 0);
        assert_int_equal(step_stop_user_unit.undo(&f->ctx, record), 0);
        assert_int_equal(step_stop_user_unit.verify(&f->ctx, record), 0);
        log = capture_end(&c);
        calls = fake_manager_calls(&f->manager);
        assert_string_equal(calls, "stop mixer.service\nstart mixer.service\n");
}

/* The attack issue 24 saw: the user named its holder after a system unit
 * and swapped its private socket for a link to a socket of root's (here a
 * manager of uid 0's, reachable by anyone): root must not reach it, and
 * nothing is stopped there. */
static void test_a_link_to_roots_manager_in_the_users_directory_stops_nothing(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = { { .id = "firewall.service" } };
        _cleanup_json_ json_t *p = params("firewall.service"), *record = NULL;
        _cleanup_free_ char *calls = NULL, *log = NULL;
        char path[PATH_MAX], target[PATH_MAX];
        Capture c;

        fake_manager_start(&f->manager, &f->root, 0, units, ELEMENTSOF(units));
        snprintf(target, sizeof target, "%s/run/user/0", f->root.dir);
        assert_int_equal(chmod(target, 0755), 0);
        strcat(target, "/systemd/private");
        assert_int_equal(chmod(target, 0666), 0);
        fake_dir(&f->root, "/run/user/1000/systemd");
        snprintf(path, sizeof path, "%s/run/user/1000", f->root.dir);
        assert_int_equal(chown(path, 1000, 1000), 0);
        strcat(path, "/systemd");
        assert_int_equal(chown(path, 1000, 1000), 0);
        strcat(path, "/private");
        assert_int_equal(symlink(target, path), 0);
        capture_start(&c);
        assert_int_equal(step_stop_user_unit.apply(&f->ctx, p, NULL, &record), -EPERM);
        log = capture_end(&c);
        assert_contains(log, "/run/user/1000/systemd/private or its directory is not served or owned by uid 1000");
        calls = fake_manager_calls(&f->manager);
        assert_string_equal(calls, "");
}

/* systemd's own reason, not sd-bus's EINVAL ("Invalid argument"); and a
 * handover whose first step was refused leaves no journal behind: it
 * changed nothing, and nothing says "handed over". */
static void test_a_stop_the_manager_refuses_is_said_in_its_words_and_leaves_nothing_to_undo(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = { { .id = "org.gnome.Shell@wayland.service", .refuse_stop = true, .refuse_start = true } };
        _cleanup_(host_steps_done) HostSteps steps = { 0 };
        _cleanup_free_ char *calls = NULL, *log = NULL;
        Capture c;
        int r;

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        assert_int_equal(host_steps_add(&steps, &step_stop_user_unit, params("org.gnome.Shell@wayland.service"),
                                        strdup("stop org.gnome.Shell@wayland.service of desk")),
                         0);
        capture_start(&c);
        r = handover_apply(&f->ctx, &steps, "test", f->journal, NULL, NULL, NULL);
        log = capture_end(&c);
        assert_int_equal(r, -EPERM);
        assert_contains(log, "stop org.gnome.Shell@wayland.service of desk: Operation refused, unit "
                             "org.gnome.Shell@wayland.service may be requested by dependency only");
        assert_null(strstr(log, "Invalid argument"));
        assert_contains(log, "undoing the 0 steps before it");
        assert_null(strstr(log, "undo '"));
        assert_int_equal(access(f->journal, F_OK), -1);
        calls = fake_manager_calls(&f->manager);
        assert_string_equal(calls, "");
}

/* a journal of an older vmrun may hold such a stop: its undo would be
 * refused by every restore, so it is said once and not kept */
static void test_a_start_the_manager_refuses_is_said_and_not_tried_again(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = { { .id = "org.gnome.Shell@wayland.service", .active_state = "inactive",
                               .refuse_stop = true, .refuse_start = true } };
        _cleanup_json_ json_t *record = json_pack("{s:s, s:s, s:i, s:[], s:b}", "unit", "org.gnome.Shell@wayland.service",
                                                  "user", "desk", "uid", 1000, "nodes", "was_active", 1);
        _cleanup_free_ char *log = NULL;
        Capture c;

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        capture_start(&c);
        assert_int_equal(step_stop_user_unit.undo(&f->ctx, record), 0);
        log = capture_end(&c);
        assert_contains(log, "start org.gnome.Shell@wayland.service of desk again: its service manager refuses: "
                             "Operation refused");
        assert_contains(log, "vmrun will not try again");
}

/* vmrun never starts user@1000.service: outside a session, that would
 * start the user's units without one */
static void test_a_user_unit_whose_manager_is_gone_is_left_to_the_next_login(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *record = json_pack("{s:s, s:s, s:i, s:[], s:b}", "unit", "mixer.service", "user", "desk",
                                                  "uid", 1000, "nodes", "was_active", 1);
        _cleanup_free_ char *log = NULL;
        Capture c;

        capture_start(&c);
        assert_int_equal(step_stop_user_unit.undo(&f->ctx, record), 0);
        assert_int_equal(step_stop_user_unit.verify(&f->ctx, record), 0);
        log = capture_end(&c);
        assert_contains(log, "the service manager of desk is not running: mixer.service starts with it at desk's "
                             "next login");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_the_graphical_session_is_stopped_through_its_target_and_started_by_no_one),
                TEST(test_a_graphical_session_that_went_with_its_session_is_not_stopped_again),
                TEST(test_without_its_manager_the_graphical_session_is_gone_already),
                TEST(test_a_user_unit_is_stopped_and_started_again_through_its_manager),
                TEST(test_a_link_to_roots_manager_in_the_users_directory_stops_nothing),
                TEST(test_a_stop_the_manager_refuses_is_said_in_its_words_and_leaves_nothing_to_undo),
                TEST(test_a_start_the_manager_refuses_is_said_and_not_tried_again),
                TEST(test_a_user_unit_whose_manager_is_gone_is_left_to_the_next_login),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
