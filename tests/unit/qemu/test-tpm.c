/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "skip.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "capture.h"
#include "basic/log.h"
#include "basic/paths.h"
#include "qemu/tpm.h"

/* swtpm's control channel: a command is a big-endian 32-bit code and its
 * arguments (swtpm's ptm_* structures) */
#define PTM_GET_CAPABILITY 1
#define PTM_INIT 2

/* ---- swtpm's command line ---- */

static void test_swtpm_gets_a_tpm2_state_directory_and_its_control_channel_as_descriptor_3(void **state) {
        _cleanup_strv_ Strv a = { 0 };

        assert_int_equal(tpm_swtpm_argv("/var/lib/vmrun/win11/tpm", &a), 0);
        assert_int_equal(a.n, 7);
        assert_null(a.v[a.n]);
        assert_string_equal(a.v[0], SWTPM_BINARY);
        assert_string_equal(a.v[1], "socket");
        assert_string_equal(a.v[2], "--tpm2");
        assert_string_equal(a.v[3], "--tpmstate");
        /* the state holds the TPM's secrets: its user's alone */
        assert_string_equal(a.v[4], "dir=/var/lib/vmrun/win11/tpm,mode=0600");
        assert_string_equal(a.v[5], "--ctrl");
        /* a connection already made: no socket file to wait for */
        assert_string_equal(a.v[6], "type=unixio,clientfd=3");
        assert_int_equal(SWTPM_FD_CTRL, 3);
}

static void test_a_state_directory_with_a_comma_is_einval_as_swtpm_cannot_escape_it(void **state) {
        Strv a = { 0 };

        assert_int_equal(tpm_swtpm_argv("/srv/vm,mode=0777/tpm", &a), -EINVAL);
        assert_null(a.v);
}

/* ---- the real swtpm ---- */

typedef struct Real {
        char dir[64];
        char *state;
        QemuCredentials user;
        Tpm *tpm;
        int qemu_fd;
} Real;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

/* swtpm as "nobody", as QEMU's user would run it: needs root to drop to
 * it, and swtpm installed. */
static int real_setup(void **state) {
        Real *r = calloc(1, sizeof(*r));

        if (!r)
                return -1;
        r->qemu_fd = -1;
        *state = r;
        if (geteuid() != 0 || access(SWTPM_BINARY, X_OK) < 0)
                return 0;
        strcpy(r->dir, "/tmp/test-tpm.XXXXXX");
        if (!mkdtemp(r->dir) || chmod(r->dir, 0755) < 0 || asprintf(&r->state, "%s/tpm", r->dir) < 0 ||
            qemu_credentials_lookup("nobody", &r->user) < 0 || mkdir_parents(r->state, 0700) < 0 ||
            chown(r->state, r->user.uid, r->user.gid) < 0)
                return -1;
        return 0;
}

static int real_teardown(void **state) {
        Real *r = *state;

        tpm_free(r->tpm);
        closep(&r->qemu_fd);
        if (r->dir[0])
                (void) nftw(r->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(r->state);
        qemu_credentials_done(&r->user);
        free(r);
        return 0;
}

static void real_start(Real *r) {
        _cleanup_strv_ Strv argv = { 0 };

        if (!r->state)
                skip_because("no state directory could be made for swtpm");
        assert_int_equal(tpm_swtpm_argv(r->state, &argv), 0);
        assert_int_equal(tpm_start(argv.v, &r->user, &r->tpm, &r->qemu_fd), 0);
        assert_true(tpm_pid(r->tpm) > 0);
        assert_true(tpm_pidfd(r->tpm) >= 0);
        assert_true(tpm_output_fd(r->tpm) >= 0);
        assert_true(r->qemu_fd >= 0);
        /* QEMU's end must not leak into anything else vmrun starts */
        assert_true(fcntl(r->qemu_fd, F_GETFD) & FD_CLOEXEC);
}

/* One command on the control channel, as QEMU sends it; the reply's
 * first `want` bytes. */
static void ctrl(int fd, const void *cmd, size_t size, void *reply, size_t want) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        size_t got = 0;

        assert_int_equal(write(fd, cmd, size), (ssize_t) size);
        while (got < want) {
                ssize_t n;

                assert_int_equal(poll(&p, 1, 10000), 1);
                n = read(fd, (char *) reply + got, want - got);
                assert_true(n > 0);
                got += (size_t) n;
        }
}

static char *status_field(pid_t pid, const char *field) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;

        assert_true(asprintf(&path, "/proc/%d/status", (int) pid) > 0);
        f = fopen(path, "re");
        assert_non_null(f);
        while (getline(&line, &size, f) > 0)
                if (startswith(line, field))
                        return strdup(line + strlen(field));
        fail_msg("no %s in %s", field, path);
        return NULL;
}

/* What the user would see on stderr while `fn` runs. */
static char *logged(void (*fn)(Real *r), Real *r) {
        Capture c;

        capture_start(&c);
        fn(r);
        return capture_end(&c);
}

static void stop(Real *r) {
        assert_int_equal(tpm_stop(r->tpm), 0);
}

static void test_swtpm_runs_as_qemus_user_answers_on_qemus_end_and_keeps_its_state_in_its_directory(void **state) {
        Real *r = *state;
        uint32_t init[2] = { htonl(PTM_INIT), 0 }, cap = htonl(PTM_GET_CAPABILITY), result = 1;
        uint64_t caps = 0;
        _cleanup_free_ char *uid = NULL, *caps_eff = NULL, *nnp = NULL, *file = NULL, *log = NULL;
        struct stat st;
        pid_t pid;

        real_start(r);
        pid = tpm_pid(r->tpm);

        ctrl(r->qemu_fd, &cap, sizeof cap, &caps, sizeof caps);
        assert_true(caps != 0);
        ctrl(r->qemu_fd, init, sizeof init, &result, sizeof result);
        assert_int_equal(ntohl(result), 0);

        /* dropped as QEMU is: nobody's uids, no capabilities, no way back */
        uid = status_field(pid, "Uid:");
        assert_int_equal(strtoul(uid, NULL, 10), r->user.uid);
        caps_eff = status_field(pid, "CapEff:");
        assert_int_equal(strtoull(caps_eff, NULL, 16), 0);
        nnp = status_field(pid, "NoNewPrivs:");
        assert_int_equal(strtoul(nnp, NULL, 10), 1);

        /* the TPM's first state, written by swtpm as that user */
        assert_true(asprintf(&file, "%s/tpm2-00.permall", r->state) > 0);
        assert_int_equal(stat(file, &st), 0);
        assert_int_equal(st.st_uid, r->user.uid);
        assert_int_equal(st.st_mode & 07777, 0600);

        /* no QEMU closes a data channel here: it takes a SIGTERM */
        log = logged(stop, r);
        if (!strstr(log, "stopped"))
                fail_msg("tpm_stop() said: %s", log);
        assert_true(kill(pid, 0) < 0 && errno == ESRCH);
}

static void report_running(Real *r) {
        tpm_report(r->tpm, true);
}

static void test_a_swtpm_killed_while_the_guest_runs_is_an_error_naming_its_pid_and_signal(void **state) {
        Real *r = *state;
        struct pollfd p;
        _cleanup_free_ char *log = NULL, *want = NULL;

        real_start(r);
        assert_int_equal(kill(tpm_pid(r->tpm), SIGKILL), 0);
        p = (struct pollfd) { .fd = tpm_pidfd(r->tpm), .events = POLLIN };
        assert_int_equal(poll(&p, 1, 10000), 1);
        assert_int_equal(tpm_reap(r->tpm), 0);
        assert_false(tpm_ended_cleanly(r->tpm));

        log = logged(report_running, r);
        assert_true(asprintf(&want, "swtpm (pid %d), the guest's TPM, was killed by signal SIGKILL while the guest runs",
                             (int) tpm_pid(r->tpm)) > 0);
        if (!strstr(log, want))
                fail_msg("expected \"%s\" in: %s", want, log);
        /* said once; stopping it after QEMU says nothing more */
        free(log);
        log = logged(stop, r);
        assert_string_equal(log, "");
}

static void test_what_swtpm_writes_is_logged_with_its_name(void **state) {
        Real *r = *state;
        uint32_t init[2] = { htonl(PTM_INIT), 0 }, result = 0;
        _cleanup_free_ char *log = NULL;

        real_start(r);
        /* a state directory it may not write: INIT fails, and swtpm says
         * why on stderr */
        assert_int_equal(chown(r->state, 0, 0), 0);
        ctrl(r->qemu_fd, init, sizeof init, &result, sizeof result);
        assert_int_not_equal(ntohl(result), 0);
        log = logged(stop, r);
        if (!strstr(log, "swtpm: ") || !strstr(log, "Permission denied") || strstr(log, "swtpm: swtpm:"))
                fail_msg("swtpm's own words are not in the log once, with its name: %s", log);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_swtpm_gets_a_tpm2_state_directory_and_its_control_channel_as_descriptor_3),
                cmocka_unit_test(test_a_state_directory_with_a_comma_is_einval_as_swtpm_cannot_escape_it),
                cmocka_unit_test_setup_teardown(
                        test_swtpm_runs_as_qemus_user_answers_on_qemus_end_and_keeps_its_state_in_its_directory,
                        real_setup, real_teardown),
                cmocka_unit_test_setup_teardown(
                        test_a_swtpm_killed_while_the_guest_runs_is_an_error_naming_its_pid_and_signal, real_setup,
                        real_teardown),
                cmocka_unit_test_setup_teardown(test_what_swtpm_writes_is_logged_with_its_name, real_setup,
                                                real_teardown),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
