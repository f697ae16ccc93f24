/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "capture.h"
#include "skip.h"

#include <sched.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "basic/strv.h"
#include "host/modules.h"

/* The order in which vmrun unloads a GPU driver's modules, as modprobe -r
 * does: every module after all that hold it, the driver itself last. The
 * real libkmod reads /sys/module; the test gives it NVIDIA's chain in a
 * tmpfs mounted there, in a mount namespace of a child of its own (the
 * machine's modules are never touched):
 *
 *   nvidia        held by nvidia_modeset, nvidia_uvm
 *   nvidia_modeset  held by nvidia_drm
 *   nvidia_drm, nvidia_uvm  held by nothing */

static const struct {
        const char *module;
        const char *holders[3];
} chain[] = {
        { "nvidia", { "nvidia_modeset", "nvidia_uvm", NULL } },
        { "nvidia_modeset", { "nvidia_drm", NULL } },
        { "nvidia_drm", { NULL } },
        { "nvidia_uvm", { NULL } },
};

static int write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -errno;
}

static int fake_sys_module(void) {
        char path[256];

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/sys/module", "tmpfs", 0, "mode=0755") < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(chain); i++) {
                snprintf(path, sizeof path, "/sys/module/%s", chain[i].module);
                if (mkdir(path, 0755) < 0)
                        return -errno;
                snprintf(path, sizeof path, "/sys/module/%s/initstate", chain[i].module);
                if (write_file(path, "live\n") < 0)
                        return -errno;
                snprintf(path, sizeof path, "/sys/module/%s/refcnt", chain[i].module);
                if (write_file(path, "0\n") < 0)
                        return -errno;
                snprintf(path, sizeof path, "/sys/module/%s/holders", chain[i].module);
                if (mkdir(path, 0755) < 0)
                        return -errno;
                for (size_t k = 0; chain[i].holders[k]; k++) {
                        char target[256];
                        snprintf(path, sizeof path, "/sys/module/%s/holders/%s", chain[i].module, chain[i].holders[k]);
                        snprintf(target, sizeof target, "../../%s", chain[i].holders[k]);
                        if (symlink(target, path) < 0)
                                return -errno;
                }
        }
        return 0;
}

/* In a child: the order for `name`, one module a line, on `fd`; exit 2
 * when no mount namespace can be had here, 1 on any other failure. */
static int child_order(int fd, const char *name) {
        _cleanup_strv_free_ char **order = NULL;
        _cleanup_modules_ Modules *m = NULL;

        if (fake_sys_module() < 0)
                return 2;
        if (modules_new(&m) < 0 || module_removal_order(m, name, &order) < 0)
                return 1;
        for (size_t i = 0; order[i]; i++)
                dprintf(fd, "%s\n", order[i]);
        return 0;
}

/* The removal order as one string "a b c", or skips the test. */
static char *removal_order(const char *name) {
        static char buf[512];
        int pipefd[2], status;
        ssize_t n, len = 0;
        pid_t pid;

        assert_int_equal(pipe(pipefd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(pipefd[0]);
                _exit(child_order(pipefd[1], name));
        }
        close(pipefd[1]);
        while ((n = read(pipefd[0], buf + len, sizeof buf - 1 - (size_t) len)) > 0)
                len += n;
        buf[len] = '\0';
        close(pipefd[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 2)
                skip_because("no mount namespace can be made here (it needs root and CAP_SYS_ADMIN)");
        assert_int_equal(WEXITSTATUS(status), 0);
        for (char *c = buf; *c; c++)
                if (*c == '\n')
                        *c = c[1] ? ' ' : '\0';
        return buf;
}

static size_t position(const char *order, const char *module) {
        char word[64];
        const char *p = order;

        snprintf(word, sizeof word, "%s", module);
        for (size_t i = 0;; i++) {
                size_t l = strcspn(p, " ");
                if (l == strlen(word) && strncmp(p, word, l) == 0)
                        return i;
                if (!p[l])
                        fail_msg("%s is not in the order \"%s\"", module, order);
                p += l + 1;
        }
}

static void test_every_module_goes_after_all_that_hold_it_and_the_driver_last(void **state) {
        const char *order = removal_order("nvidia");

        /* each of the four once */
        assert_int_equal(strlen(order), strlen("nvidia_drm nvidia_modeset nvidia_uvm nvidia"));
        assert_int_equal(position(order, "nvidia"), 3);
        assert_true(position(order, "nvidia_drm") < position(order, "nvidia_modeset"));
        assert_true(position(order, "nvidia_modeset") < position(order, "nvidia"));
        assert_true(position(order, "nvidia_uvm") < position(order, "nvidia"));
}

static void test_a_module_no_one_holds_is_removed_alone(void **state) {
        assert_string_equal(removal_order("nvidia_uvm"), "nvidia_uvm");
}

static void test_a_module_that_is_not_loaded_has_nothing_to_remove(void **state) {
        assert_string_equal(removal_order("nouveau"), "");
}

/* In a child with the fake /sys/module: a GPU module's refcount is 1, held
 * by no module. With `let_go`, a grandchild drops it to 0 once the count
 * has been read (its file closed), then closes a file in /dev, as the
 * last close of an in-flight descriptor would. Exit 0 when module_remove()
 * said "in use", 3 when it went on to remove, 2 without a namespace. */
static int child_remove_referenced(bool let_go) {
        _cleanup_modules_ Modules *m = NULL;
        /* a name no kernel has: delete_module() finds nothing to remove */
        const char *refcnt = "/sys/module/vmrun_test_gpu/refcnt";
        pid_t pid = -1;
        int r;

        if (fake_sys_module() < 0)
                return 2;
        if (mkdir("/sys/module/vmrun_test_gpu", 0755) < 0 || mkdir("/sys/module/vmrun_test_gpu/holders", 0755) < 0 ||
            write_file("/sys/module/vmrun_test_gpu/initstate", "live\n") < 0 || write_file(refcnt, "1\n") < 0 ||
            modules_new(&m) < 0)
                return 1;
        if (let_go) {
                int in = inotify_init1(IN_CLOEXEC);
                if (in < 0 || inotify_add_watch(in, refcnt, IN_CLOSE_NOWRITE) < 0)
                        return 1;
                pid = fork();
                if (pid < 0)
                        return 1;
                if (pid == 0) {
                        char buf[4096];
                        if (read(in, buf, sizeof buf) <= 0 || write_file(refcnt, "0\n") < 0)
                                _exit(1);
                        close(open("/dev/null", O_RDONLY | O_CLOEXEC));
                        _exit(0);
                }
                close(in);
        }
        r = module_remove(m, "vmrun_test_gpu");
        if (pid > 0)
                (void) waitpid(pid, NULL, 0);
        return r == -EBUSY ? 0 : 3;
}

static int remove_referenced(bool let_go) {
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0)
                _exit(child_remove_referenced(let_go));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 2)
                skip_because("no mount namespace can be made here (it needs root and CAP_SYS_ADMIN)");
        return WEXITSTATUS(status);
}

/* A reference that no process shows and that goes at once (a descriptor
 * in flight as a session ends) is waited out: seen in the lab, GNOME's
 * bochs was "in use (refcount 1, holders: none)" 50 ms after nothing
 * held its nodes. */
static void test_a_reference_that_goes_on_a_close_is_waited_out(void **state) {
        assert_int_equal(remove_referenced(true), 3);
}

/* One that stays is "in use" after MODULE_REFCOUNT_SETTLE, never forced. */
static void test_a_reference_that_stays_is_in_use(void **state) {
        assert_int_equal(remove_referenced(false), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_module_goes_after_all_that_hold_it_and_the_driver_last),
                cmocka_unit_test(test_a_module_no_one_holds_is_removed_alone),
                cmocka_unit_test(test_a_module_that_is_not_loaded_has_nothing_to_remove),
                cmocka_unit_test(test_a_reference_that_goes_on_a_close_is_waited_out),
                cmocka_unit_test(test_a_reference_that_stays_is_in_use),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
