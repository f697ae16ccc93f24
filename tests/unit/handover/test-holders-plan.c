/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "skip.h"
#include "capture.h"
#include "fake-root.h"
#include "fake-manager.h"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "host/host.h"
#include "host/holders.h"
#include "host/logind.h"
#include "handover/holders-plan.h"
#include "handover/step-types.h"
#include "basic/log.h"
#include "basic/strv.h"
#include "profile/profile.h"

/* Why each process holds the GPU's nodes and what the handover does about
 * it, against a fake root: the GPU 0000:01:00.0 with its /dev/dri/card0
 * (a symlink to /dev/null, so that it has a real device number), the
 * processes in /proc, logind's sessions in /run/systemd/sessions, the
 * seat udev gave the GPU in /run/udev/data.
 *
 *   weston      PID 812, session-1.scope of desk, the compositor greetd started
 *   logind      PID 700, systemd-logind.service: its descriptor of card0 (TakeDevice)
 *   systemd     PID 1, init.scope: the copy of it in the fd store
 *   pipewire    PID 1650, pipewire.service of uid 1000's service manager
 *
 * Each test sets up the ones it needs. */

#define GPU "0000:01:00.0"

typedef struct Fixture {
        FakeRoot root;
        HostContext ctx;
        Profile *profile;
        HostSteps steps;        /* the steps planned before the holders: stop-unit */
        HolderVerdict v;
        FakeManager manager;    /* uid 1000's (or 1001's), when a test starts it */
        char devices[64];       /* DEVICES= of a session that took card0: "226:0 MAJ:MIN" */
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        struct stat st;

        if (!f)
                return -1;
        fake_root_new(&f->root, "holders-plan");
        fake_file(&f->root, "/sys/bus/pci/devices/" GPU "/vendor", "0x1002\n");
        fake_link(&f->root, "/sys/class/drm/card0/device", "../../../bus/pci/devices/" GPU);
        fake_link(&f->root, "/dev/dri/card0", "/dev/null");
        fake_dir(&f->root, "/proc");
        f->ctx = (HostContext) { .root = f->root.dir };
        /* what logind writes for card0: here that is /dev/null's number */
        if (stat("/dev/null", &st) < 0)
                return -1;
        snprintf(f->devices, sizeof f->devices, "13:64 %u:%u", major(st.st_rdev), minor(st.st_rdev));
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        fake_manager_stop(&f->manager);
        fake_root_remove(&f->root);
        host_context_done(&f->ctx);
        profile_free(f->profile);
        host_steps_done(&f->steps);
        holder_verdict_done(&f->v);
        free(f);
        return 0;
}

/* A process with card0 open: comm, cgroup, fd 12. */
static void holder(const Fixture *f, int pid, const char *comm, const char *cgroup) {
        char path[128], line[160];

        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        snprintf(line, sizeof line, "%s\n", comm);
        fake_file(&f->root, path, line);
        snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
        snprintf(line, sizeof line, "0::%s\n", cgroup);
        fake_file(&f->root, path, line);
        snprintf(path, sizeof path, "/proc/%d/maps", pid);
        fake_file(&f->root, path, "");
        snprintf(path, sizeof path, "/proc/%d/fd/12", pid);
        fake_link(&f->root, path, "/dev/null");
}

/* /run/systemd/sessions/ID as systemd 252's logind writes it; seat NULL:
 * on no seat; devices NULL: it took none. */
static void session_typed(const Fixture *f, const char *id, const char *seat, const char *devices, const char *type) {
        char path[128], content[640];

        snprintf(path, sizeof path, "/run/systemd/sessions/%s", id);
        snprintf(content, sizeof content,
                 "# This is private data. Do not parse.\n"
                 "UID=1000\n"
                 "USER=desk\n"
                 "ACTIVE=1\n"
                 "STATE=active\n"
                 "TYPE=%s\n"
                 "CLASS=user\n"
                 "SCOPE=session-%s.scope\n"
                 "%s%s%s"
                 "LEADER=812\n"
                 "%s%s%s",
                 type, id, seat ? "SEAT=" : "", seat ? seat : "", seat ? "\nVTNR=2\n" : "",
                 devices ? "DEVICES=" : "", devices ? devices : "", devices ? "\n" : "");
        fake_file(&f->root, path, content);
}

/* greetd's sessions say tty */
static void session(const Fixture *f, const char *id, const char *seat, const char *devices) {
        session_typed(f, id, seat, devices, "tty");
}

static void load_profile(Fixture *f, const char *host_section) {
        char text[256];

        snprintf(text, sizeof text, "[gpu]\naddress = 01:00.0\n%s", host_section);
        assert_int_equal(profile_load_string("/etc/vmrun/win10.profile", text, &f->profile), 0);
}

/* a stop-unit step for `unit`, as plan_units() adds it */
static void stops(Fixture *f, const char *unit) {
        char *summary;

        assert_true(asprintf(&summary, "stop %s", unit) >= 0);
        assert_int_equal(host_steps_add(&f->steps, &step_stop_unit, json_pack("{s:s}", "unit", unit), summary), 0);
}

/* The class of `pid`'s hold on card0, under the profile loaded (the
 * default one if none), as the plan and the precheck find it. */
static HolderClass classify(Fixture *f, pid_t pid) {
        _cleanup_(holders_done) Holders h = { 0 };
        _cleanup_free_ char *seat = NULL;
        char *const devices[] = { (char *) GPU, NULL };

        if (!f->profile)
                load_profile(f, "");
        assert_int_equal(device_seat(&f->ctx, GPU, &seat), 0);
        assert_int_equal(holders_of_devices(&f->ctx, devices, &h), 0);
        for (size_t i = 0; i < h.n; i++) {
                if (h.holders[i].pid != pid)
                        continue;
                assert_string_equal(h.holders[i].node, "/dev/dri/card0");
                holder_verdict_done(&f->v);
                assert_int_equal(holder_classify(&f->ctx, f->profile, &f->steps, seat, &h.holders[i], &f->v), 0);
                assert_non_null(f->v.action);
                return f->v.class;
        }
        fail_msg("PID %d holds no node of " GPU, (int) pid);
        return _HOLDER_CLASS_MAX;
}

#define assert_action(f, needle)                                                                 \
        do {                                                                                     \
                if (!strstr((f)->v.action, (needle)))                                            \
                        fail_msg("expected \"%s\" in the action:\n%s", (needle), (f)->v.action); \
        } while (0)

/* ---- a login session's processes ---- */

static void test_a_compositor_in_a_session_on_the_gpus_seat_is_ended_with_its_session(void **state) {
        Fixture *f = *state;

        holder(f, 812, "weston", "/user.slice/user-1000.slice/session-1.scope");
        session(f, "1", "seat0", "226:0 13:64");
        assert_int_equal(classify(f, 812), HOLDER_SESSION);
        assert_string_equal(f->v.session, "1");
        assert_string_equal(f->v.user, "desk");
        assert_action(f, "in session 1 of desk on seat0 (tty): the session is ended through logind");
}

static void test_end_sessions_none_refuses_a_session_on_the_gpus_seat_and_says_how_to_end_it(void **state) {
        Fixture *f = *state;

        holder(f, 812, "weston", "/user.slice/user-1000.slice/session-1.scope");
        session(f, "1", "seat0", NULL);
        load_profile(f, "[host]\nend-sessions = none\n");
        assert_int_equal(classify(f, 812), HOLDER_REFUSED);
        assert_action(f, "session 1 of desk");
        assert_action(f, "end-sessions = none");
        assert_action(f, "`loginctl terminate-session 1`");
}

static void test_end_sessions_seat_is_what_a_profile_without_it_means(void **state) {
        Fixture *f = *state;

        holder(f, 812, "weston", "/user.slice/user-1000.slice/session-1.scope");
        session(f, "1", "seat0", NULL);
        load_profile(f, "[host]\nend-sessions = seat\n");
        assert_int_equal(classify(f, 812), HOLDER_SESSION);
}

static void test_a_session_on_another_seat_is_refused_and_named(void **state) {
        Fixture *f = *state;

        holder(f, 900, "sway", "/user.slice/user-1000.slice/session-2.scope");
        session(f, "2", "seat1", NULL);
        assert_int_equal(classify(f, 900), HOLDER_REFUSED);
        assert_string_equal(f->v.session, "2");
        assert_action(f, "in session 2 of desk on seat1, not on the GPU's seat0");
}

static void test_a_session_on_no_seat_is_refused_and_named(void **state) {
        Fixture *f = *state;

        /* an ssh login running a GPU program */
        holder(f, 901, "vkcube", "/user.slice/user-1000.slice/session-c3.scope");
        session(f, "c3", NULL, NULL);
        assert_int_equal(classify(f, 901), HOLDER_REFUSED);
        assert_action(f, "in session c3 of desk on no seat, not on the GPU's seat0");
}

static void test_a_session_on_the_seat_udev_gave_the_gpu_is_that_seats(void **state) {
        Fixture *f = *state;

        fake_file(&f->root, "/run/udev/data/+pci:" GPU, "I:5012345\nE:ID_SEAT=seat1\nG:seat\n");
        holder(f, 900, "sway", "/user.slice/user-1000.slice/session-2.scope");
        session(f, "2", "seat1", NULL);
        holder(f, 812, "weston", "/user.slice/user-1000.slice/session-1.scope");
        session(f, "1", "seat0", NULL);
        assert_int_equal(classify(f, 900), HOLDER_SESSION);
        assert_int_equal(classify(f, 812), HOLDER_REFUSED);
        assert_action(f, "on seat0, not on the GPU's seat1");
}

static void test_a_session_logind_does_not_list_is_refused(void **state) {
        Fixture *f = *state;

        holder(f, 4321, "steam", "/user.slice/user-1000.slice/session-4.scope");
        assert_int_equal(classify(f, 4321), HOLDER_REFUSED);
        assert_null(f->v.session);
        assert_action(f, "in session 4, which logind does not list");
}

/* ---- logind's descriptors and PID 1's copies of them ---- */

static void test_pid_1_holding_a_device_a_session_on_the_seat_took_goes_with_that_session(void **state) {
        Fixture *f = *state;

        holder(f, 1, "systemd", "/init.scope");
        session(f, "1", "seat0", f->devices);
        assert_int_equal(classify(f, 1), HOLDER_SESSION_DEVICE);
        assert_string_equal(f->v.session, "1");
        assert_string_equal(f->v.user, "desk");
        assert_action(f, "PID 1's fd store");
        assert_action(f, "session 1 of desk took: released when the session ends");
}

static void test_logind_holding_a_device_a_session_on_the_seat_took_goes_with_that_session(void **state) {
        Fixture *f = *state;

        holder(f, 700, "systemd-logind", "/system.slice/systemd-logind.service");
        session(f, "2", "seat0", NULL);         /* took nothing */
        session(f, "1", "seat0", f->devices);
        assert_int_equal(classify(f, 700), HOLDER_SESSION_DEVICE);
        assert_string_equal(f->v.session, "1");
        assert_action(f, "logind's descriptor");
}

static void test_pid_1_holding_a_device_no_session_took_is_refused(void **state) {
        Fixture *f = *state;

        holder(f, 1, "systemd", "/init.scope");
        session(f, "1", "seat0", "226:0 13:64");
        assert_int_equal(classify(f, 1), HOLDER_REFUSED);
        assert_null(f->v.session);
        assert_action(f, "PID 1's fd store");
        assert_action(f, "a device no session on seat0 took");
}

static void test_a_device_taken_by_a_session_on_another_seat_is_refused(void **state) {
        Fixture *f = *state;

        holder(f, 700, "systemd-logind", "/system.slice/systemd-logind.service");
        session(f, "2", "seat1", f->devices);
        session(f, "3", NULL, f->devices);
        assert_int_equal(classify(f, 700), HOLDER_REFUSED);
        assert_action(f, "logind's descriptor of a device no session on seat0 took");
}

static void test_end_sessions_none_refuses_loginds_copy_of_a_sessions_device(void **state) {
        Fixture *f = *state;

        holder(f, 1, "systemd", "/init.scope");
        session(f, "1", "seat0", f->devices);
        load_profile(f, "[host]\nend-sessions = none\n");
        assert_int_equal(classify(f, 1), HOLDER_REFUSED);
        assert_action(f, "session 1 of desk took: [host] end-sessions = none keeps the session");
}

/* ---- units ---- */

static void test_a_unit_of_a_users_service_manager_is_stopped_there(void **state) {
        Fixture *f = *state;
        struct passwd *pw = getpwuid(1000);
        const char *user = pw ? pw->pw_name : "1000";
        FakeUnit units[] = { { .id = "mixer.service", .pids = { 1650 } } };
        char expected[160];

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        holder(f, 1650, "mixer", "/user.slice/user-1000.slice/user@1000.service/app.slice/mixer.service");
        assert_int_equal(classify(f, 1650), HOLDER_USER_UNIT);
        assert_string_equal(f->v.user, user);
        assert_string_equal(f->v.unit, "mixer.service");
        assert_null(f->v.session);
        snprintf(expected, sizeof expected, "unit mixer.service of %s's service manager: stopped there, started "
                 "again after", user);
        assert_action(f, expected);
}

/* Which unit a process is in, its manager says: the name of its cgroup
 * is the user's to choose. */
static void test_the_unit_of_a_user_process_is_the_one_its_manager_names(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = { { .id = "mixer.service", .pids = { 1650 } } };

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        holder(f, 1650, "mixer", "/user.slice/user-1000.slice/user@1000.service/app.slice/firewalld.service");
        assert_int_equal(classify(f, 1650), HOLDER_USER_UNIT);
        assert_string_equal(f->v.unit, "mixer.service");
}

/* A desktop's holders are often a dozen processes of one user's manager:
 * vmrun reaches that manager once (each connection is a child that takes
 * the user's credentials), and asks it about each. */
static void test_the_holders_in_one_users_manager_are_asked_about_over_one_connection(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = { { .id = "mixer.service", .pids = { 1650 } }, { .id = "tuner.service", .pids = { 1651 } } };
        _cleanup_free_ char *socket = fake_path(&f->root, "/run/user/1000/systemd/private");
        _cleanup_free_ char *aside = fake_path(&f->root, "/run/user/1000/systemd/private.aside");

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        holder(f, 1650, "mixer", "/user.slice/user-1000.slice/user@1000.service/app.slice/mixer.service");
        holder(f, 1651, "tuner", "/user.slice/user-1000.slice/user@1000.service/app.slice/tuner.service");
        assert_int_equal(classify(f, 1650), HOLDER_USER_UNIT);
        /* a second connection would find no socket now */
        assert_int_equal(rename(socket, aside), 0);
        assert_int_equal(classify(f, 1651), HOLDER_USER_UNIT);
        assert_string_equal(f->v.unit, "tuner.service");
}

/* GNOME 43's units as Debian ships them: gnome-shell is PartOf
 * gnome-session-initialized.target, PartOf gnome-session.target, which
 * BindsTo graphical-session.target; it refuses a stop or start by hand. */
static FakeUnit gnome_units[] = {
        { .id = "org.gnome.Shell@wayland.service", .pids = { 1700 }, .refuse_stop = true, .refuse_start = true,
          .part_of = { "gnome-session-initialized.target" } },
        { .id = "gnome-session-initialized.target", .refuse_stop = true, .refuse_start = true,
          .part_of = { "gnome-session.target" } },
        { .id = "gnome-session.target", .refuse_stop = true, .refuse_start = true,
          .binds_to = { "graphical-session.target", "gnome-session-monitor.service" } },
        { .id = "gnome-session-monitor.service" },
        { .id = "graphical-session.target", .refuse_start = true },
        { .id = "app-gnome-firefox-2301.scope", .pids = { 2301 }, .transient = true,
          .part_of = { "graphical-session.target" } },
        { .id = "vte-spawn-1234.scope", .pids = { 2302 }, .transient = true },
        { .id = "dbus.service", .pids = { 1620 } },
        { .id = "gsd-thing.service", .pids = { 1720 }, .refuse_stop = true },
};

static void gnome(Fixture *f) {
        fake_manager_start(&f->manager, &f->root, 1000, gnome_units, ELEMENTSOF(gnome_units));
        session_typed(f, "2", "seat0", f->devices, "wayland");
}

static void test_gnome_shell_in_its_user_unit_ends_with_the_graphical_session_never_by_name(void **state) {
        Fixture *f = *state;

        gnome(f);
        holder(f, 1700, "gnome-shell",
               "/user.slice/user-1000.slice/user@1000.service/session.slice/org.gnome.Shell@wayland.service");
        assert_int_equal(classify(f, 1700), HOLDER_GRAPHICAL_SESSION);
        assert_string_equal(f->v.session, "2");
        assert_null(f->v.unit);
        assert_action(f, "unit org.gnome.Shell@wayland.service of ");
        assert_action(f, "graphical session 2: ends with it (the session ended through logind, "
                         "graphical-session.target stopped there); never stopped or started by name");
}

/* a text login of the same user on the seat (tty3) is not the desktop's */
static void test_a_text_login_of_the_desktops_user_is_not_taken_for_its_graphical_session(void **state) {
        Fixture *f = *state;

        fake_manager_start(&f->manager, &f->root, 1000, gnome_units, ELEMENTSOF(gnome_units));
        session(f, "3", "seat0", NULL);
        holder(f, 1700, "gnome-shell",
               "/user.slice/user-1000.slice/user@1000.service/session.slice/org.gnome.Shell@wayland.service");
        assert_int_equal(classify(f, 1700), HOLDER_GRAPHICAL_SESSION);
        assert_null(f->v.session);
}

/* Plasma's kwin is PartOf graphical-session.target itself; with its
 * session gone already, the target is all there is to stop. */
static void test_a_unit_partof_graphical_session_target_with_no_session_left_ends_with_the_target(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = { { .id = "plasma-kwin_wayland.service", .pids = { 1710 },
                               .part_of = { "graphical-session.target" } } };

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        holder(f, 1710, "kwin_wayland",
               "/user.slice/user-1000.slice/user@1000.service/session.slice/plasma-kwin_wayland.service");
        assert_int_equal(classify(f, 1710), HOLDER_GRAPHICAL_SESSION);
        assert_null(f->v.session);
        assert_action(f, "ends with it (graphical-session.target stopped there)");
}

static void test_an_app_launched_by_the_desktop_ends_with_the_graphical_session(void **state) {
        Fixture *f = *state;

        gnome(f);
        holder(f, 2301, "firefox", "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-2301.scope");
        assert_int_equal(classify(f, 2301), HOLDER_GRAPHICAL_SESSION);
}

static void test_a_transient_unit_outside_the_graphical_session_is_refused(void **state) {
        Fixture *f = *state;

        gnome(f);
        holder(f, 2302, "glxgears", "/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1234.scope");
        assert_int_equal(classify(f, 2302), HOLDER_REFUSED);
        assert_action(f, "unit vte-spawn-1234.scope of ");
        assert_action(f, "is transient");
        assert_action(f, "stop vte-spawn-1234.scope");
}

static void test_the_users_dbus_is_never_stopped(void **state) {
        Fixture *f = *state;

        gnome(f);
        holder(f, 1620, "dbus-daemon", "/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service");
        assert_int_equal(classify(f, 1620), HOLDER_REFUSED);
        assert_action(f, "D-Bus (dbus.service)");
        assert_action(f, "vmrun never stops it");
}

static void test_a_unit_that_refuses_a_manual_stop_outside_the_session_is_refused(void **state) {
        Fixture *f = *state;

        gnome(f);
        holder(f, 1720, "gsd-thing", "/user.slice/user-1000.slice/user@1000.service/app.slice/gsd-thing.service");
        assert_int_equal(classify(f, 1720), HOLDER_REFUSED);
        assert_action(f, "refuses a manual stop (RefuseManualStop=yes)");
}

static void test_end_sessions_none_keeps_the_graphical_session_and_refuses_its_units(void **state) {
        Fixture *f = *state;

        gnome(f);
        load_profile(f, "[host]\nend-sessions = none\n");
        holder(f, 1700, "gnome-shell",
               "/user.slice/user-1000.slice/user@1000.service/session.slice/org.gnome.Shell@wayland.service");
        assert_int_equal(classify(f, 1700), HOLDER_REFUSED);
        assert_action(f, "[host] end-sessions = none keeps it");
}

static void test_a_user_process_whose_manager_cannot_be_reached_is_refused(void **state) {
        Fixture *f = *state;

        holder(f, 1650, "mixer", "/user.slice/user-1000.slice/user@1000.service/app.slice/mixer.service");
        assert_int_equal(classify(f, 1650), HOLDER_REFUSED);
        assert_action(f, "(user@1000.service), which vmrun cannot reach");
}

/* ---- audio servers ---- */

static Holder audio_holder(const char *exe, const char *node) {
        return (Holder) {
                .pid = 1650, .comm = (char *) "pipewire", .exe = (char *) exe, .node = (char *) node,
                .unit = (char *) "user@1000.service", .manager_uid = 1000, .user_unit = (char *) "pipewire.service",
        };
}

/* PipeWire closes the card's nodes when it goes (measured in the lab under
 * a playing stream): the audio function's unbind does not wait on it. */
static void test_an_audio_server_on_an_alsa_node_lets_go_when_the_card_goes(void **state) {
        Holder h;

        h = audio_holder("/usr/bin/pipewire", "/dev/snd/pcmC1D3p");
        assert_true(holder_closes_on_removal(&h));
        h = audio_holder("/usr/bin/wireplumber", "/dev/snd/controlC1");
        assert_true(holder_closes_on_removal(&h));
        h = audio_holder("/usr/bin/pipewire-pulse", "/dev/snd/controlC1");
        assert_true(holder_closes_on_removal(&h));
        h = audio_holder("/usr/bin/pulseaudio", "/dev/snd/controlC1");
        assert_true(holder_closes_on_removal(&h));
}

static void test_an_audio_server_on_a_drm_node_or_another_program_on_an_alsa_node_does_not(void **state) {
        Holder h;

        h = audio_holder("/usr/bin/pipewire", "/dev/dri/card0");
        assert_false(holder_closes_on_removal(&h));
        h = audio_holder("/usr/bin/alsa-holder", "/dev/snd/controlC1");
        assert_false(holder_closes_on_removal(&h));
        h = audio_holder("/usr/bin/pipewire2", "/dev/snd/controlC1");
        assert_false(holder_closes_on_removal(&h));
        h = audio_holder(NULL, "/dev/snd/controlC1");
        assert_false(holder_closes_on_removal(&h));
}

/* issue 24: any program may call itself pipewire (comm, which audio_holder
 * sets): what runs is what counts, and one of the user's own, or a copy
 * replaced under it, holds the unbind as any other program would */
static void test_a_program_that_only_calls_itself_an_audio_server_is_none(void **state) {
        Holder h;

        h = audio_holder("/home/desk/bin/pipewire", "/dev/snd/pcmC1D3p");
        assert_false(holder_closes_on_removal(&h));
        h = audio_holder("/usr/bin/pipewire (deleted)", "/dev/snd/pcmC1D3p");
        assert_false(holder_closes_on_removal(&h));
}

static void test_an_audio_server_is_left_running_not_stopped_with_its_user_unit(void **state) {
        Fixture *f = *state;
        Holder h = audio_holder("/usr/bin/wireplumber", "/dev/snd/controlC1");

        load_profile(f, "");
        assert_int_equal(holder_classify(&f->ctx, f->profile, &f->steps, "seat0", &h, &f->v), 0);
        assert_int_equal(f->v.class, HOLDER_CLOSES_ON_REMOVAL);
        assert_action(f, "left running");
}

/* Any user may name a scope of their own manager session-1.scope: it is
 * their unit, not logind's session 1 (which vmrun would end). */
static void test_a_user_units_scope_named_like_a_session_is_a_user_unit_not_that_session(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *fifo = fake_path(&f->root, "/run/systemd/sessions/1.ref");
        FakeUnit units[] = { { .id = "session-1.scope", .pids = { 2100 }, .transient = true },
                             { .id = "session-1.ref.scope", .pids = { 2101 }, .transient = true } };

        fake_manager_start(&f->manager, &f->root, 1001, units, ELEMENTSOF(units));
        session(f, "1", "seat0", f->devices);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        holder(f, 2100, "glxgears", "/user.slice/user-1001.slice/user@1001.service/app.slice/session-1.scope");
        holder(f, 2101, "glxgears", "/user.slice/user-1001.slice/user@1001.service/app.slice/session-1.ref.scope");
        alarm(10);      /* reading the FIFO would block: a failure, not a stuck test run */
        assert_int_equal(classify(f, 2100), HOLDER_REFUSED);
        assert_null(f->v.session);
        assert_action(f, "unit session-1.scope of ");
        assert_int_equal(classify(f, 2101), HOLDER_REFUSED);
        assert_null(f->v.session);
        alarm(0);
}

static void test_a_process_in_a_system_unit_the_plan_does_not_stop_is_refused(void **state) {
        Fixture *f = *state;

        _cleanup_free_ char *log = NULL;
        Capture c;

        holder(f, 4321, "foo", "/system.slice/foo.service");
        stops(f, "gdm.service");
        load_profile(f, "[host]\ndisplay-manager = gdm.service\n");
        /* systemd is asked whether gdm.service is foo.service, if it can be */
        capture_start(&c);
        assert_int_equal(classify(f, 4321), HOLDER_REFUSED);
        log = capture_end(&c);
        assert_action(f, "a unit vmrun does not stop");
        assert_action(f, "[host] stop-units");
}

static void test_a_process_in_no_unit_is_refused(void **state) {
        Fixture *f = *state;

        holder(f, 42, "a.out", "/");
        assert_int_equal(classify(f, 42), HOLDER_REFUSED);
        assert_action(f, "in no unit");
        assert_action(f, "[host] stop-units");
}

/* systemd --user itself lives in init.scope below its user@.service (on
 * cgroup v1 in user@.service itself): no unit it could stop. */
static void test_the_user_manager_itself_is_no_user_unit_of_its_own(void **state) {
        Fixture *f = *state;

        holder(f, 1600, "systemd", "/user.slice/user-1000.slice/user@1000.service/init.scope");
        assert_int_equal(classify(f, 1600), HOLDER_REFUSED);
        holder(f, 1601, "systemd", "/user.slice/user-1000.slice/user@1000.service");
        assert_int_equal(classify(f, 1601), HOLDER_REFUSED);
}

static void test_a_process_in_the_display_manager_the_plan_stops_stops_with_it(void **state) {
        Fixture *f = *state;

        holder(f, 1500, "gnome-shell", "/system.slice/gdm.service");
        stops(f, "gdm.service");
        load_profile(f, "[host]\ndisplay-manager = gdm.service\n");
        assert_int_equal(classify(f, 1500), HOLDER_UNIT);
        assert_null(f->v.session);
        assert_action(f, "stops with gdm.service");
}

static void test_a_process_in_one_of_the_stop_units_stops_with_it(void **state) {
        Fixture *f = *state;

        _cleanup_free_ char *log = NULL;
        Capture c;

        holder(f, 1200, "nvidia-persiste", "/system.slice/nvidia-persistenced.service");
        stops(f, "gdm.service");
        stops(f, "nvidia-persistenced.service");
        capture_start(&c);
        assert_int_equal(classify(f, 1200), HOLDER_UNIT);
        log = capture_end(&c);
}

/* NVIDIA's persistence daemon holds /dev/nvidia0 by design: stopped for
 * the handover without being named in stop-units, started after. */
static void test_nvidia_persistenced_is_a_known_holder_stopped_and_started_again(void **state) {
        Fixture *f = *state;

        holder(f, 1210, "nvidia-persiste", "/system.slice/nvidia-persistenced.service");
        stops(f, "gdm.service");
        assert_int_equal(classify(f, 1210), HOLDER_KNOWN_UNIT);
        assert_action(f, "NVIDIA's persistence daemon");
        assert_action(f, "stopped, and started again after");
}

/* The known units are system units: one of the same name under a user's
 * service manager is that user's, and goes as user units do. */
static void test_a_user_unit_named_like_a_known_holder_is_a_user_unit(void **state) {
        Fixture *f = *state;

        FakeUnit units[] = { { .id = "nvidia-persistenced.service", .pids = { 1211 } } };

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        holder(f, 1211, "nvidia-persiste",
               "/user.slice/user-1000.slice/user@1000.service/app.slice/nvidia-persistenced.service");
        assert_int_equal(classify(f, 1211), HOLDER_USER_UNIT);
}

/* A unit the plan stops takes its processes along, whatever else they
 * are: the session's scope stopped by name is not ended through logind. */
static void test_a_unit_the_plan_stops_comes_before_the_session(void **state) {
        Fixture *f = *state;

        holder(f, 812, "weston", "/user.slice/user-1000.slice/session-1.scope");
        session(f, "1", "seat0", NULL);
        stops(f, "session-1.scope");
        assert_int_equal(classify(f, 812), HOLDER_UNIT);
}

/* The plan names the display manager by its alias; whether gdm.service is
 * it only systemd can say. Without a system bus (a container) it cannot,
 * and the holder is refused rather than taken for stopped. */
static void test_without_systemd_an_alias_is_not_taken_for_the_unit_of_a_holder(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        sd_bus *bus = NULL;
        Capture c;

        if (sd_bus_open_system(&bus) >= 0) {
                sd_bus_flush_close_unref(bus);
                skip_because("it needs a host without a system bus");
        }
        holder(f, 1500, "gnome-shell", "/system.slice/gdm.service");
        stops(f, "display-manager.service");
        capture_start(&c);
        assert_int_equal(classify(f, 1500), HOLDER_REFUSED);
        log = capture_end(&c);
        assert_action(f, "a unit vmrun does not stop");
}

/* ---- vmrun itself ---- */

static void test_vmruns_own_process_is_vmrun_whatever_its_unit(void **state) {
        Fixture *f = *state;

        holder(f, (int) getpid(), "vmrun", "/system.slice/vmrun-win10.service");
        assert_int_equal(classify(f, getpid()), HOLDER_SELF);
        assert_string_equal(f->v.action, "vmrun itself");
}

/* ---- naming ---- */

static void test_each_class_has_the_name_the_plan_lists_it_by(void **state) {
        assert_string_equal(holder_class_to_string(HOLDER_SELF), "vmrun");
        assert_string_equal(holder_class_to_string(HOLDER_UNIT), "unit");
        assert_string_equal(holder_class_to_string(HOLDER_KNOWN_UNIT), "known holder");
        assert_string_equal(holder_class_to_string(HOLDER_SESSION), "session");
        assert_string_equal(holder_class_to_string(HOLDER_SESSION_DEVICE), "session device");
        assert_string_equal(holder_class_to_string(HOLDER_USER_UNIT), "user unit");
        assert_string_equal(holder_class_to_string(HOLDER_GRAPHICAL_SESSION), "graphical session");
        assert_string_equal(holder_class_to_string(HOLDER_CLOSES_ON_REMOVAL), "closes on removal");
        assert_string_equal(holder_class_to_string(HOLDER_REFUSED), "refused");
        assert_null(holder_class_to_string(_HOLDER_CLASS_MAX));
        assert_null(holder_class_to_string((HolderClass) -1));
}

static void test_a_holder_is_described_by_pid_comm_unit_and_node(void **state) {
        Holder weston = { .pid = 812, .comm = (char *) "weston", .unit = (char *) "session-1.scope",
                          .node = (char *) "/dev/dri/card0" };
        Holder loose = { .pid = 42, .comm = (char *) "a.out", .node = (char *) "/dev/dri/renderD128", .mapped = true };
        char buf[256];

        holder_describe(&weston, buf, sizeof buf);
        assert_string_equal(buf, "PID 812 (weston, session-1.scope) holds /dev/dri/card0");
        holder_describe(&loose, buf, sizeof buf);
        assert_string_equal(buf, "PID 42 (a.out, in no unit) holds /dev/dri/renderD128 (mapped)");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_a_compositor_in_a_session_on_the_gpus_seat_is_ended_with_its_session),
                TEST(test_end_sessions_none_refuses_a_session_on_the_gpus_seat_and_says_how_to_end_it),
                TEST(test_end_sessions_seat_is_what_a_profile_without_it_means),
                TEST(test_a_session_on_another_seat_is_refused_and_named),
                TEST(test_a_session_on_no_seat_is_refused_and_named),
                TEST(test_a_session_on_the_seat_udev_gave_the_gpu_is_that_seats),
                TEST(test_a_session_logind_does_not_list_is_refused),

                TEST(test_pid_1_holding_a_device_a_session_on_the_seat_took_goes_with_that_session),
                TEST(test_logind_holding_a_device_a_session_on_the_seat_took_goes_with_that_session),
                TEST(test_pid_1_holding_a_device_no_session_took_is_refused),
                TEST(test_a_device_taken_by_a_session_on_another_seat_is_refused),
                TEST(test_end_sessions_none_refuses_loginds_copy_of_a_sessions_device),

                TEST(test_an_audio_server_on_an_alsa_node_lets_go_when_the_card_goes),
                TEST(test_an_audio_server_on_a_drm_node_or_another_program_on_an_alsa_node_does_not),
                TEST(test_a_program_that_only_calls_itself_an_audio_server_is_none),
                TEST(test_an_audio_server_is_left_running_not_stopped_with_its_user_unit),
                TEST(test_a_unit_of_a_users_service_manager_is_stopped_there),
                TEST(test_the_unit_of_a_user_process_is_the_one_its_manager_names),
                TEST(test_the_holders_in_one_users_manager_are_asked_about_over_one_connection),
                TEST(test_gnome_shell_in_its_user_unit_ends_with_the_graphical_session_never_by_name),
                TEST(test_a_text_login_of_the_desktops_user_is_not_taken_for_its_graphical_session),
                TEST(test_a_unit_partof_graphical_session_target_with_no_session_left_ends_with_the_target),
                TEST(test_an_app_launched_by_the_desktop_ends_with_the_graphical_session),
                TEST(test_a_transient_unit_outside_the_graphical_session_is_refused),
                TEST(test_the_users_dbus_is_never_stopped),
                TEST(test_a_unit_that_refuses_a_manual_stop_outside_the_session_is_refused),
                TEST(test_end_sessions_none_keeps_the_graphical_session_and_refuses_its_units),
                TEST(test_a_user_process_whose_manager_cannot_be_reached_is_refused),
                TEST(test_a_user_units_scope_named_like_a_session_is_a_user_unit_not_that_session),
                TEST(test_a_process_in_a_system_unit_the_plan_does_not_stop_is_refused),
                TEST(test_a_process_in_no_unit_is_refused),
                TEST(test_the_user_manager_itself_is_no_user_unit_of_its_own),
                TEST(test_a_process_in_the_display_manager_the_plan_stops_stops_with_it),
                TEST(test_a_process_in_one_of_the_stop_units_stops_with_it),
                TEST(test_nvidia_persistenced_is_a_known_holder_stopped_and_started_again),
                TEST(test_a_user_unit_named_like_a_known_holder_is_a_user_unit),
                TEST(test_a_unit_the_plan_stops_comes_before_the_session),
                TEST(test_without_systemd_an_alias_is_not_taken_for_the_unit_of_a_holder),

                TEST(test_vmruns_own_process_is_vmrun_whatever_its_unit),

                cmocka_unit_test(test_each_class_has_the_name_the_plan_lists_it_by),
                cmocka_unit_test(test_a_holder_is_described_by_pid_comm_unit_and_node),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
