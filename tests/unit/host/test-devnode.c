/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devnode: a device node is back for its users once it is there and udev
 * is done with it; the wait for that is woken by the node's and udev's
 * directories, with a deadline. The nodes here are symlinks to /dev/null
 * (character device 1:3), as in the other fake roots. */
#include "fake-root.h"

#include <sys/wait.h>
#include <unistd.h>

#include "host/devnode.h"

#define NODE "/dev/snd/controlC1"
#define DB "/run/udev/data/c1:3"

typedef struct Fixture {
        FakeRoot f;
        HostContext ctx;
} Fixture;

/* a root with neither udev nor the node's directory */
static int bare(void **state) {
        Fixture *x = calloc(1, sizeof *x);

        assert_non_null(x);
        fake_root_new(&x->f, "devnode");
        x->ctx = (HostContext) { .root = x->f.dir };
        *state = x;
        return 0;
}

/* udev runs, /dev/snd is there, and so is the device behind NODE */
static int with_udev(void **state) {
        Fixture *x;

        bare(state);
        x = *state;
        fake_dir(&x->f, "/run/udev/data");
        fake_dir(&x->f, "/dev/snd");
        fake_dir(&x->f, "/sys/dev/char/1:3");
        return 0;
}

static int teardown(void **state) {
        Fixture *x = *state;

        fake_root_remove(&x->f);
        free(x);
        return 0;
}

static void test_a_node_that_is_not_there_is_not_ready_and_the_wait_ends_at_its_deadline(void **state) {
        Fixture *x = *state;

        assert_int_equal(devnode_ready(&x->ctx, NODE), 0);
        assert_int_equal(devnode_wait_ready(&x->ctx, NODE, deadline_after(50 * USEC_PER_MSEC)), -ETIMEDOUT);
}

static void test_a_node_udev_has_not_done_with_is_not_ready(void **state) {
        Fixture *x = *state;

        fake_link(&x->f, NODE, "/dev/null");
        assert_int_equal(devnode_ready(&x->ctx, NODE), 0);
        fake_file(&x->f, DB, "");
        assert_int_equal(devnode_ready(&x->ctx, NODE), 1);
        assert_int_equal(devnode_wait_ready(&x->ctx, NODE, deadline_after(0)), 0);
}

/* udev's RUN builtins (uaccess: the ACL for the seat's user) run after
 * the database entry is written, while the event is still queued */
static void test_a_node_is_not_ready_while_udev_has_events_queued(void **state) {
        Fixture *x = *state;

        fake_link(&x->f, NODE, "/dev/null");
        fake_file(&x->f, DB, "");
        fake_file(&x->f, "/run/udev/queue", "");
        assert_int_equal(devnode_ready(&x->ctx, NODE), 0);
        fake_unlink(&x->f, "/run/udev/queue");
        assert_int_equal(devnode_ready(&x->ctx, NODE), 1);
}

static void test_without_udev_a_node_is_ready_once_it_is_there(void **state) {
        Fixture *x = *state;

        assert_int_equal(devnode_ready(&x->ctx, NODE), 0);
        fake_link(&x->f, NODE, "/dev/null");
        assert_int_equal(devnode_ready(&x->ctx, NODE), 1);
}

/* nvidia-modprobe makes /dev/nvidia0 with mknod: no device in sysfs, no
 * uevent, nothing udev would ever write down */
static void test_a_node_made_by_hand_is_ready_once_it_is_there(void **state) {
        Fixture *x = *state;

        fake_link(&x->f, "/dev/nvidia0", "/dev/zero");     /* 1:5, which this root's sysfs lacks */
        assert_int_equal(devnode_ready(&x->ctx, "/dev/nvidia0"), 1);
}

static void test_a_file_that_is_no_device_node_is_enotty(void **state) {
        Fixture *x = *state;

        fake_file(&x->f, NODE, "");
        assert_int_equal(devnode_ready(&x->ctx, NODE), -ENOTTY);
        assert_int_equal(devnode_wait_ready(&x->ctx, NODE, deadline_after(0)), -ENOTTY);
}

/* The node, then udev's entry, come while the wait is on: it ends on
 * them (a wait that only looked at its start and at its deadline would
 * end in -ETIMEDOUT here). */
static void test_the_wait_ends_when_the_node_and_udevs_entry_come(void **state) {
        Fixture *x = *state;
        pid_t pid;
        int status;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* after the parent is in its wait, most likely; if not,
                 * its first look finds them */
                usleep(100 * 1000);
                fake_link(&x->f, NODE, "/dev/null");
                usleep(100 * 1000);
                fake_file(&x->f, DB, "");
                _exit(0);
        }
        assert_int_equal(devnode_wait_ready(&x->ctx, NODE, deadline_after(60 * USEC_PER_SEC)), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(status, 0);
}

/* Without udev, and with the node's directory gone with the last card:
 * the wait sees the directory come, then the node in it. */
static void test_the_wait_ends_when_the_nodes_directory_and_then_the_node_come(void **state) {
        Fixture *x = *state;
        pid_t pid;
        int status;

        fake_dir(&x->f, "/dev");
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                usleep(100 * 1000);
                fake_dir(&x->f, "/dev/snd");
                usleep(100 * 1000);
                fake_link(&x->f, NODE, "/dev/null");
                _exit(0);
        }
        assert_int_equal(devnode_wait_ready(&x->ctx, NODE, deadline_after(60 * USEC_PER_SEC)), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(status, 0);
}

#define WITH_UDEV(t) cmocka_unit_test_setup_teardown(t, with_udev, teardown)
#define BARE(t) cmocka_unit_test_setup_teardown(t, bare, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                WITH_UDEV(test_a_node_that_is_not_there_is_not_ready_and_the_wait_ends_at_its_deadline),
                WITH_UDEV(test_a_node_udev_has_not_done_with_is_not_ready),
                WITH_UDEV(test_a_node_is_not_ready_while_udev_has_events_queued),
                BARE(test_without_udev_a_node_is_ready_once_it_is_there),
                WITH_UDEV(test_a_node_made_by_hand_is_ready_once_it_is_there),
                WITH_UDEV(test_a_file_that_is_no_device_node_is_enotty),
                WITH_UDEV(test_the_wait_ends_when_the_node_and_udevs_entry_come),
                BARE(test_the_wait_ends_when_the_nodes_directory_and_then_the_node_come),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
