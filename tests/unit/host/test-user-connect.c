/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-root.h"

#include <limits.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/user-connect.h"

/* Root reaches a socket in a user's runtime directory (the user's service
 * manager's, /run/user/UID/systemd/private) only as that user, and only
 * when a process of that user serves it: the directory is the user's,
 * and what is in it may point anywhere, PID 1's own socket included.
 * Needs root (it plays the user, uid 1000, and others). */

#define USER 1000
#define OTHER 1001

typedef struct Fixture {
        FakeRoot root;
        pid_t server;
        int root_listener;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        if (geteuid() != 0) {
                fprintf(stderr, "skipped: playing other users needs root\n");
                free(f);
                skip();
        }
        fake_root_new(&f->root, "user-connect");
        assert_int_equal(chmod(f->root.dir, 0755), 0);
        f->root_listener = -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        if (f->server > 0) {
                kill(f->server, SIGKILL);
                (void) waitpid(f->server, NULL, 0);
        }
        if (f->root_listener >= 0)
                close(f->root_listener);
        fake_root_remove(&f->root);
        free(f);
        return 0;
}

/* ROOT/run/user/UID as logind makes it: 0700, the user's */
static void runtime_dir(Fixture *f, uid_t owner) {
        char path[PATH_MAX];

        snprintf(path, sizeof path, "/run/user/%u/systemd", (unsigned) USER);
        fake_dir(&f->root, path);
        snprintf(path, sizeof path, "%s/run/user/%u", f->root.dir, (unsigned) USER);
        assert_int_equal(chown(path, owner, owner), 0);
        assert_int_equal(chmod(path, 0700), 0);
        strcat(path, "/systemd");
        assert_int_equal(chown(path, owner, owner), 0);
}

static void socket_path(const Fixture *f, const char *rel, struct sockaddr_un *sa) {
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        assert_true((size_t) snprintf(sa->sun_path, sizeof sa->sun_path, "%s%s", f->root.dir, rel) < sizeof sa->sun_path);
}

/* A listener at REL that a child of uid `as` serves: it listens as
 * that uid (what its peers' SO_PEERCRED says) and accepts forever */
static void serve_as(Fixture *f, const char *rel, uid_t as, mode_t mode) {
        struct sockaddr_un sa;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ready[2];
        char c;

        socket_path(f, rel, &sa);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        assert_int_equal(chown(sa.sun_path, as, as), 0);
        assert_int_equal(chmod(sa.sun_path, mode), 0);
        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        f->server = fork();
        assert_true(f->server >= 0);
        if (f->server == 0) {
                if (setresgid(as, as, as) < 0 || setresuid(as, as, as) < 0 || listen(fd, 8) < 0 ||
                    write(ready[1], "", 1) != 1)
                        _exit(1);
                for (;;) {
                        int c2 = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                        if (c2 >= 0)
                                close(c2);
                }
        }
        close(ready[1]);
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        close(fd);
}

/* PID 1's private socket as systemd makes it: root's, 0600; root's own
 * listener, whose queue shows whether anyone connected */
static void pid1_socket(Fixture *f) {
        struct sockaddr_un sa;

        fake_dir(&f->root, "/run/systemd");
        socket_path(f, "/run/systemd/private", &sa);
        f->root_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(f->root_listener >= 0);
        assert_int_equal(bind(f->root_listener, (struct sockaddr *) &sa, sizeof sa), 0);
        assert_int_equal(chmod(sa.sun_path, 0600), 0);
        assert_int_equal(listen(f->root_listener, 8), 0);
}

static bool root_was_connected(const Fixture *f) {
        int c = accept4(f->root_listener, NULL, NULL, SOCK_CLOEXEC);

        if (c < 0)
                return false;
        close(c);
        return true;
}

static int connect_user(const Fixture *f, int *ret_fd) {
        return connect_as_user(f->root.dir, USER, "systemd/private", deadline_after(10 * USEC_PER_SEC), ret_fd);
}

static void test_the_users_own_manager_is_reached_and_is_the_user(void **state) {
        Fixture *f = *state;
        struct ucred peer;
        socklen_t len = sizeof peer;
        int fd = -1;

        runtime_dir(f, USER);
        serve_as(f, "/run/user/1000/systemd/private", USER, 0666);
        assert_int_equal(connect_user(f, &fd), 0);
        assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len), 0);
        assert_int_equal(peer.uid, USER);
        assert_int_equal(peer.pid, f->server);
        close(fd);
}

/* the seen attack: the user's private socket swapped for a link to PID
 * 1's, so that root would stop and start system units at the user's word */
static void test_a_link_to_pid1s_socket_is_never_followed_by_root(void **state) {
        Fixture *f = *state;
        char link[PATH_MAX], target[PATH_MAX];
        int fd = -1;

        runtime_dir(f, USER);
        pid1_socket(f);
        snprintf(link, sizeof link, "%s/run/user/1000/systemd/private", f->root.dir);
        snprintf(target, sizeof target, "%s/run/systemd/private", f->root.dir);
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(connect_user(f, &fd), -EPERM);
        assert_int_equal(fd, -1);
        assert_false(root_was_connected(f));
}

/* a socket anyone may connect to, but served by someone else */
static void test_a_socket_another_user_serves_is_refused(void **state) {
        Fixture *f = *state;
        int fd = -1;

        runtime_dir(f, USER);
        serve_as(f, "/run/user/1000/systemd/private", OTHER, 0666);
        assert_int_equal(connect_user(f, &fd), -EPERM);
        assert_int_equal(fd, -1);
}

/* what root itself serves is another user's too: reached as the user it
 * is refused by its mode, or by its peer */
static void test_a_socket_root_serves_in_the_users_directory_is_refused(void **state) {
        Fixture *f = *state;
        int fd = -1;

        runtime_dir(f, USER);
        serve_as(f, "/run/user/1000/systemd/private", 0, 0666);
        assert_int_equal(connect_user(f, &fd), -EPERM);
}

static void test_a_runtime_directory_that_is_not_the_users_is_refused(void **state) {
        Fixture *f = *state;
        int fd = -1;

        runtime_dir(f, OTHER);
        serve_as(f, "/run/user/1000/systemd/private", OTHER, 0666);
        assert_int_equal(connect_user(f, &fd), -EPERM);
}

static void test_a_runtime_directory_that_is_a_link_is_refused(void **state) {
        Fixture *f = *state;
        char link[PATH_MAX], target[PATH_MAX];
        int fd = -1;

        fake_dir(&f->root, "/run/user/elsewhere/systemd");
        snprintf(target, sizeof target, "%s/run/user/elsewhere", f->root.dir);
        assert_int_equal(chown(target, USER, USER), 0);
        snprintf(link, sizeof link, "%s/run/user/1000", f->root.dir);
        assert_int_equal(symlink(target, link), 0);
        serve_as(f, "/run/user/elsewhere/systemd/private", USER, 0666);
        assert_int_equal(connect_user(f, &fd), -EPERM);
}

static void test_no_manager_is_no_such_thing(void **state) {
        Fixture *f = *state;
        int fd = -1;

        assert_int_equal(connect_user(f, &fd), -ENOENT);        /* no runtime directory */
        runtime_dir(f, USER);
        assert_int_equal(connect_user(f, &fd), -ENOENT);        /* no socket in it */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_the_users_own_manager_is_reached_and_is_the_user, setup, teardown),
                cmocka_unit_test_setup_teardown(test_a_link_to_pid1s_socket_is_never_followed_by_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_a_socket_another_user_serves_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_a_socket_root_serves_in_the_users_directory_is_refused, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_a_runtime_directory_that_is_not_the_users_is_refused, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_a_runtime_directory_that_is_a_link_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_manager_is_no_such_thing, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
