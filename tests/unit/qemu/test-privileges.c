/* SPDX-License-Identifier: GPL-2.0-or-later */
/* privileges: QEMU's user looked up before fork; in the child, a drop to
 * it that leaves no capability and no way back to root. These tests run as
 * root (as CI does) and drop in forked children; "nobody" stands in for
 * vmrun's user, which a fresh machine may not have yet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "skip.h"
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "qemu/privileges.h"

static bool running_as_root(void) {
        return geteuid() == 0;
}

static void test_root_is_found_and_is_privileged(void **state) {
        _cleanup_(qemu_credentials_done) QemuCredentials c = { 0 };

        assert_int_equal(qemu_credentials_lookup("root", &c), 0);
        assert_string_equal(c.user, "root");
        assert_int_equal(c.uid, 0);
        assert_true(qemu_credentials_privileged(&c));
}

static void test_a_user_that_does_not_exist_is_enoent(void **state) {
        QemuCredentials c = { 0 };

        assert_int_equal(qemu_credentials_lookup("no-such-user-vmrun-test", &c), -ENOENT);
        assert_null(c.user);
}

static void test_a_user_comes_with_its_supplementary_groups(void **state) {
        _cleanup_(qemu_credentials_done) QemuCredentials c = { 0 };

        assert_int_equal(qemu_credentials_lookup("nobody", &c), 0);
        assert_int_not_equal(c.uid, 0);
        assert_false(qemu_credentials_privileged(&c));
        /* getgrouplist() always lists the primary group */
        assert_true(c.n_groups >= 1);
        assert_non_null(c.groups);
}

/* A process's five capability sets, as /proc/self/status shows them. */
typedef struct Caps {
        uint64_t inheritable, permitted, effective, bounding, ambient;
} Caps;

/* This process's capability sets. Each starts with every bit set, so that
 * a line the kernel did not show cannot pass for an empty set. Plain
 * stdio: it is also called in a forked child, which must not assert. */
static Caps read_caps(void) {
        Caps c = { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
        char line[256];
        FILE *f = fopen("/proc/self/status", "re");

        if (!f)
                return c;
        while (fgets(line, sizeof line, f)) {
                unsigned long long v;

                if (sscanf(line, "CapInh: %llx", &v) == 1)
                        c.inheritable = v;
                else if (sscanf(line, "CapPrm: %llx", &v) == 1)
                        c.permitted = v;
                else if (sscanf(line, "CapEff: %llx", &v) == 1)
                        c.effective = v;
                else if (sscanf(line, "CapBnd: %llx", &v) == 1)
                        c.bounding = v;
                else if (sscanf(line, "CapAmb: %llx", &v) == 1)
                        c.ambient = v;
        }
        fclose(f);
        return c;
}

/* What the child sees of itself after the drop, as the parent reads it. */
typedef struct Dropped {
        int r;
        uid_t ruid, euid, suid;
        gid_t rgid, egid;
        int n_groups;
        int regained_root;
        int no_new_privs;
        Caps caps;
        rlim_t memlock;
} Dropped;

static Dropped drop_in_child(const QemuCredentials *c, uint64_t memlock) {
        int p[2];
        pid_t pid;
        Dropped d = { 0 };
        int wstatus;

        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit rl;
                close(p[0]);
                d.r = memlock ? privileges_raise_memlock(memlock) : 0;
                if (d.r == 0)
                        d.r = privileges_drop(c);
                (void) getresuid(&d.ruid, &d.euid, &d.suid);
                d.rgid = getgid();
                d.egid = getegid();
                d.n_groups = getgroups(0, NULL);
                d.regained_root = setuid(0) == 0;
                d.no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
                d.caps = read_caps();
                (void) getrlimit(RLIMIT_MEMLOCK, &rl);
                d.memlock = rl.rlim_cur;
                _exit(write(p[1], &d, sizeof d) == sizeof d ? 0 : 1);
        }
        close(p[1]);
        assert_int_equal(read(p[0], &d, sizeof d), (ssize_t) sizeof d);
        close(p[0]);
        assert_int_equal(waitpid(pid, &wstatus, 0), pid);
        assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
        return d;
}

static void test_the_drop_changes_every_uid_and_gid_and_root_cannot_be_had_back(void **state) {
        _cleanup_(qemu_credentials_done) QemuCredentials c = { 0 };
        Dropped d;

        if (!running_as_root())
                skip_because("it needs root");
        assert_int_equal(qemu_credentials_lookup("nobody", &c), 0);
        d = drop_in_child(&c, 0);
        assert_int_equal(d.r, 0);
        assert_int_equal(d.ruid, c.uid);
        assert_int_equal(d.euid, c.uid);
        assert_int_equal(d.suid, c.uid);
        assert_int_equal(d.rgid, c.gid);
        assert_int_equal(d.egid, c.gid);
        assert_int_equal(d.n_groups, c.n_groups);
        assert_false(d.regained_root);
        /* nor through a set-uid program or file capabilities */
        assert_int_equal(d.no_new_privs, 1);
}

/* Changing the uids from 0 empties the permitted and effective sets; the
 * bounding set stays unless dropped, and what is in it is what a program
 * with file capabilities could still be given. Every bit, not a sample:
 * a capability the loop missed is one QEMU's user could get back. */
static void test_after_the_drop_no_capability_is_left_even_in_the_bounding_set(void **state) {
        _cleanup_(qemu_credentials_done) QemuCredentials c = { 0 };
        Caps before = read_caps();
        Dropped d;

        if (!running_as_root())
                skip_because("it needs root");
        /* there must be something to drop for the test to mean anything */
        if (before.bounding == 0 || before.bounding == UINT64_MAX)
                skip_because("the capability bounding set has nothing to drop here");
        assert_int_equal(qemu_credentials_lookup("nobody", &c), 0);
        d = drop_in_child(&c, 0);
        assert_int_equal(d.r, 0);
        assert_int_equal(d.caps.bounding, 0);
        assert_int_equal(d.caps.permitted, 0);
        assert_int_equal(d.caps.effective, 0);
        assert_int_equal(d.caps.inheritable, 0);
        assert_int_equal(d.caps.ambient, 0);
}

static void test_memlock_is_raised_for_vfio_before_the_drop(void **state) {
        _cleanup_(qemu_credentials_done) QemuCredentials c = { 0 };
        struct rlimit old;
        Dropped d;

        if (!running_as_root())
                skip_because("it needs root");
        assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &old), 0);
        /* raising the hard limit takes CAP_SYS_RESOURCE, which a container
         * may not have even for root */
        if (old.rlim_cur == RLIM_INFINITY || prctl(PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) != 1)
                skip_because("without CAP_SYS_RESOURCE (a container) the hard locked-memory limit cannot be raised");
        assert_int_equal(qemu_credentials_lookup("nobody", &c), 0);
        d = drop_in_child(&c, (uint64_t) old.rlim_cur + (1ULL << 30));
        assert_int_equal(d.r, 0);
        assert_true(d.memlock == old.rlim_cur + (1ULL << 30));
}

/* [qemu] user = root: no drop at all. The child is compared with this
 * process: the same uids, gids, groups and capabilities, no no_new_privs;
 * the locked-memory limit is the one thing raised. The soft limit is
 * lowered here first so that raising it back needs no privilege (a
 * container's root may lack CAP_SYS_RESOURCE). */
static void test_root_keeps_root_and_only_memlock_changes(void **state) {
        _cleanup_(qemu_credentials_done) QemuCredentials c = { 0 };
        struct rlimit old, lowered;
        Caps caps = read_caps();
        uint64_t memlock;
        Dropped d;

        if (!running_as_root())
                skip_because("it needs root");
        assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &old), 0);
        memlock = old.rlim_max == RLIM_INFINITY ? 1ULL << 30 : (uint64_t) old.rlim_max;
        if (memlock < 2)
                skip_because("the locked-memory hard limit is too low to lower and raise");
        lowered = (struct rlimit) { .rlim_cur = memlock / 2, .rlim_max = old.rlim_max };
        assert_int_equal(qemu_credentials_lookup("root", &c), 0);

        assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &lowered), 0);
        d = drop_in_child(&c, memlock);
        assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &old), 0);

        assert_int_equal(d.r, 0);
        assert_int_equal(d.ruid, 0);
        assert_int_equal(d.euid, 0);
        assert_int_equal(d.suid, 0);
        assert_int_equal(d.rgid, getgid());
        assert_int_equal(d.egid, getegid());
        assert_int_equal(d.n_groups, getgroups(0, NULL));
        assert_int_equal(d.no_new_privs, 0);
        assert_int_equal(d.caps.bounding, caps.bounding);
        assert_int_equal(d.caps.permitted, caps.permitted);
        assert_int_equal(d.caps.effective, caps.effective);
        assert_int_equal(d.caps.inheritable, caps.inheritable);
        assert_int_equal(d.caps.ambient, caps.ambient);
        assert_true(d.memlock == memlock);
}

/* In a new directory `dir` (0755, root's): "readable" (0644, "vbios")
 * and "private" (0600, "secret"), their paths in *ret_open, *ret_closed. */
static void make_two_files(char *dir, char **ret_open, char **ret_closed) {
        int fd;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0);
        assert_true(asprintf(ret_open, "%s/readable", dir) > 0);
        assert_true(asprintf(ret_closed, "%s/private", dir) > 0);
        fd = open(*ret_open, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0 && write(fd, "vbios", 5) == 5);
        close(fd);
        fd = open(*ret_closed, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0 && write(fd, "secret", 6) == 6);
        close(fd);
}

static void test_access_is_checked_as_the_user_not_as_root(void **state) {
        _cleanup_(qemu_credentials_done) QemuCredentials c = { 0 };
        char dir[] = "/tmp/test-privileges.XXXXXX";
        _cleanup_free_ char *open_file = NULL, *closed_file = NULL, *missing = NULL;
        _cleanup_free_ int *errors = NULL;

        if (!running_as_root())
                skip_because("it needs root");
        assert_int_equal(qemu_credentials_lookup("nobody", &c), 0);
        make_two_files(dir, &open_file, &closed_file);
        assert_true(asprintf(&missing, "%s/missing", dir) > 0);

        char *paths[] = { open_file, closed_file, missing, dir };
        int modes[] = { R_OK, R_OK, R_OK, W_OK };
        assert_int_equal(privileges_check_access(&c, paths, modes, 4, &errors), 0);
        assert_int_equal(errors[0], 0);
        assert_int_equal(errors[1], EACCES);
        assert_int_equal(errors[2], ENOENT);
        assert_int_equal(errors[3], EACCES);

        unlink(open_file);
        unlink(closed_file);
        rmdir(dir);
}

/* What root reads for QEMU (the ROM behind [gpu] rom-acpi) it reads as
 * QEMU's user: a file that user may read opens; one only root may read,
 * or a link to one put where the file was, does not. */
static void test_a_file_is_opened_as_the_user_not_as_root(void **state) {
        _cleanup_(qemu_credentials_done) QemuCredentials c = { 0 };
        char dir[] = "/tmp/test-privileges.XXXXXX";
        _cleanup_free_ char *open_file = NULL, *closed_file = NULL, *link = NULL;
        char buf[8] = { 0 };
        int fd;

        if (!running_as_root())
                skip_because("it needs root");
        assert_int_equal(qemu_credentials_lookup("nobody", &c), 0);
        make_two_files(dir, &open_file, &closed_file);
        assert_true(asprintf(&link, "%s/swapped", dir) > 0);
        assert_int_equal(symlink(closed_file, link), 0);

        assert_int_equal(privileges_open(&c, open_file, O_RDONLY, &fd), 0);
        assert_int_equal(read(fd, buf, sizeof buf - 1), 5);
        assert_string_equal(buf, "vbios");
        close(fd);
        fd = -1;
        assert_int_equal(privileges_open(&c, closed_file, O_RDONLY, &fd), -EACCES);
        assert_int_equal(fd, -1);
        assert_int_equal(privileges_open(&c, link, O_RDONLY, &fd), -EACCES);
        assert_int_equal(fd, -1);

        unlink(link);
        unlink(open_file);
        unlink(closed_file);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root_is_found_and_is_privileged),
                cmocka_unit_test(test_a_user_that_does_not_exist_is_enoent),
                cmocka_unit_test(test_a_user_comes_with_its_supplementary_groups),
                cmocka_unit_test(test_the_drop_changes_every_uid_and_gid_and_root_cannot_be_had_back),
                cmocka_unit_test(test_after_the_drop_no_capability_is_left_even_in_the_bounding_set),
                cmocka_unit_test(test_memlock_is_raised_for_vfio_before_the_drop),
                cmocka_unit_test(test_root_keeps_root_and_only_memlock_changes),
                cmocka_unit_test(test_access_is_checked_as_the_user_not_as_root),
                cmocka_unit_test(test_a_file_is_opened_as_the_user_not_as_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
