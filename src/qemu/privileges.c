/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "basic/fd-pass.h"
#include "basic/log.h"
#include "basic/process.h"
#include "basic/spawn.h"
#include "qemu/privileges.h"

/* A few access(2) calls, or an open(2): a child still at it after this
 * is stuck (a hung network file system). */
#define ACCESS_CHECK_TIMEOUT (30 * USEC_PER_SEC)

int qemu_credentials_lookup(const char *user, QemuCredentials *ret) {
        _cleanup_free_ char *buf = NULL, *name = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        struct passwd pw, *found = NULL;
        long size = sysconf(_SC_GETPW_R_SIZE_MAX);
        int n = 16, r;

        assert(user);
        assert(ret);

        if (size <= 0)
                size = 16384;
        buf = malloc((size_t) size);
        if (!buf)
                return -ENOMEM;
        r = getpwnam_r(user, &pw, buf, (size_t) size, &found);
        if (r != 0)
                return log_debug_errno(-r, "look up user %s: %s", user, strerror(r));
        if (!found)
                return -ENOENT;

        /* getgrouplist() says how many there are when the array is short */
        for (;;) {
                int want = n;
                free(groups);
                groups = calloc((size_t) n, sizeof(gid_t));
                if (!groups)
                        return -ENOMEM;
                if (getgrouplist(user, pw.pw_gid, groups, &want) >= 0) {
                        n = want;
                        break;
                }
                if (want <= n || want > 65536)
                        return -EINVAL;
                n = want;
        }
        name = strdup(user);
        if (!name)
                return -ENOMEM;

        *ret = (QemuCredentials) {
                .user = TAKE_PTR(name),
                .uid = pw.pw_uid,
                .gid = pw.pw_gid,
                .groups = TAKE_PTR(groups),
                .n_groups = n,
        };
        return 0;
}

void qemu_credentials_done(QemuCredentials *c) {
        free(c->user);
        free(c->groups);
        *c = (QemuCredentials) { 0 };
}

int privileges_raise_memlock(uint64_t memlock) {
        struct rlimit rl = { .rlim_cur = memlock, .rlim_max = memlock };
        struct rlimit old;

        /* never lower a limit someone raised further on purpose */
        if (getrlimit(RLIMIT_MEMLOCK, &old) < 0)
                return negative_errno();
        if (old.rlim_cur == RLIM_INFINITY || old.rlim_cur >= memlock)
                return 0;
        if (old.rlim_max == RLIM_INFINITY || old.rlim_max > memlock)
                rl.rlim_max = old.rlim_max;
        if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
                return negative_errno();
        return 0;
}

static bool has_cap_sys_resource(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = { 0 };

        if (syscall(SYS_capget, &h, d) < 0)
                return false;
        return d[CAP_SYS_RESOURCE / 32].effective & (1u << (CAP_SYS_RESOURCE % 32));
}

int privileges_memlock_check(uint64_t memlock, uint64_t *ret_hard) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
                return negative_errno();
        *ret_hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t) rl.rlim_max;
        if (memlock == 0 || rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= memlock || has_cap_sys_resource())
                return 0;
        return -EPERM;
}

int privileges_drop(const QemuCredentials *c) {
        if (qemu_credentials_privileged(c))
                return 0;

        /* The bounding set needs CAP_SETPCAP, which goes with the uid:
         * first. The highest number the kernel knows is not asked for (no
         * file access here); EINVAL past it ends the loop. */
        for (int cap = 0; cap < 64; cap++)
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                        if (errno == EINVAL)
                                break;
                        return negative_errno();
                }
        (void) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

        if (setgroups((size_t) c->n_groups, c->groups) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
            setresuid(c->uid, c->uid, c->uid) < 0)
                return negative_errno();
        /* Changing every uid from 0 clears the capability sets; check it
         * did rather than trust it, and that root cannot be had back. */
        if (setresuid(0, 0, 0) == 0 || getuid() != c->uid || geteuid() != c->uid)
                return -EPERM;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return negative_errno();
        return 0;
}

typedef struct AccessCheck {
        const QemuCredentials *user;
        char *const *paths;
        const int *modes;
        size_t n;
} AccessCheck;

/* In the child: one errno per path (0: fine) on descriptor 3. */
static int check_access_as_user(void *userdata) {
        const AccessCheck *a = userdata;
        int r = privileges_drop(a->user);

        for (size_t i = 0; i < a->n; i++) {
                int e = r < 0 ? -r : access(a->paths[i], a->modes[i]) < 0 ? errno : 0;
                if (write(3, &e, sizeof e) != sizeof e)
                        return 1;
        }
        return 0;
}

static int read_errors(int fd, int *errors, size_t n) {
        size_t got = 0;

        while (got < n * sizeof(int)) {
                ssize_t k = read(fd, (char *) errors + got, n * sizeof(int) - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                got += (size_t) k;
        }
        return got == n * sizeof(int) ? 0 : -EIO;
}

int privileges_check_access(const QemuCredentials *c, char *const *paths, const int *modes, size_t n,
                            int **ret_errors) {
        _cleanup_close_pair_ int pipefd[2] = { -1, -1 };
        _cleanup_close_ int pidfd = -1;
        _cleanup_free_ int *errors = NULL;
        siginfo_t si;
        pid_t pid;
        int r;

        assert(ret_errors);

        errors = calloc(n ? n : 1, sizeof(int));
        if (!errors)
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return negative_errno();
        r = spawn(&(const Spawn) {
                        .run = check_access_as_user,
                        .userdata = &(AccessCheck) { .user = c, .paths = paths, .modes = modes, .n = n },
                        .fds = (const int[]) { -1, -1, -1, pipefd[1] },
                        .n_fds = 4,
                  },
                  &pid, &pidfd);
        if (r < 0)
                return log_debug_errno(r, "fork for the access check as user %s: %s", c->user, STRERROR(r));
        /* the child's end: EOF when it exits, whatever it wrote */
        closep(&pipefd[1]);
        /* a few ints: the pipe holds them all until the child has exited */
        r = pidfd_wait(pidfd, deadline_after(ACCESS_CHECK_TIMEOUT));
        if (r < 0)
                /* the timeout is the error; this only cleans up */
                (void) pidfd_kill_and_reap(pidfd);
        else if (pidfd_reap(pidfd, &si) < 0 || si.si_code != CLD_EXITED || si.si_status != 0)
                r = -EIO;
        else
                r = read_errors(pipefd[0], errors, n);
        if (r < 0)
                return log_debug_errno(r, "the access check as user %s (pid %d) did not finish", c->user, (int) pid);
        *ret_errors = TAKE_PTR(errors);
        return 0;
}

typedef struct OpenAs {
        const QemuCredentials *user;
        const char *path;
        int flags;
} OpenAs;

/* In the child: descriptor 3 gets the file, or why not. */
static int open_as_user(void *userdata) {
        const OpenAs *o = userdata;
        int r = privileges_drop(o->user), fd = -1;

        if (r >= 0 && (fd = open(o->path, o->flags | O_CLOEXEC | O_NOCTTY)) < 0)
                r = -errno;
        return fd_pass_send(3, r < 0 ? -r : 0, fd) < 0 ? 1 : 0;
}

int privileges_open(const QemuCredentials *c, const char *path, int flags, int *ret_fd) {
        _cleanup_close_pair_ int pair[2] = { -1, -1 };
        _cleanup_close_ int pidfd = -1;
        pid_t pid;
        int fd = -1, k, r;

        assert(ret_fd);

        if (geteuid() != 0 || qemu_credentials_privileged(c)) {
                fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return negative_errno();
                *ret_fd = fd;
                return 0;
        }
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) < 0)
                return negative_errno();
        r = spawn(&(const Spawn) {
                        .run = open_as_user,
                        .userdata = &(OpenAs) { .user = c, .path = path, .flags = flags },
                        .fds = (const int[]) { -1, -1, STDERR_FILENO, pair[1] },
                        .n_fds = 4,
                  },
                  &pid, &pidfd);
        if (r < 0)
                return log_debug_errno(r, "fork to open %s as user %s: %s", path, c->user, STRERROR(r));
        closep(&pair[1]);
        r = fd_pass_receive(pair[0], deadline_after(ACCESS_CHECK_TIMEOUT), &fd);
        k = pidfd_kill_and_reap(pidfd);
        if (k < 0)
                log_debug_errno(k, "reap the child (PID %d) that opened %s as %s: %s", (int) pid, path, c->user,
                                STRERROR(k));
        if (r < 0)
                return log_debug_errno(r, "open %s as user %s: %s", path, c->user, STRERROR(r));
        *ret_fd = fd;
        return 0;
}

typedef struct Exec {
        const QemuCredentials *user;
        uint64_t memlock;
} Exec;

/* In the child, descriptors in place: what needs root first, then no root. */
static int become_user(void *userdata) {
        const Exec *e = userdata;
        int r;

        r = e->memlock > 0 ? privileges_raise_memlock(e->memlock) : 0;
        if (r < 0) {
                dprintf(STDERR_FILENO, "cannot raise the locked-memory limit to %llu MiB for VFIO: %s\n",
                        (unsigned long long) (e->memlock >> 20), strerror(-r));
                return r;
        }
        r = privileges_drop(e->user);
        if (r < 0) {
                dprintf(STDERR_FILENO, "cannot become user %s (uid %u): %s\n", e->user->user, (unsigned) e->user->uid,
                        strerror(-r));
                return r;
        }
        return 0;
}

int privileges_spawn(char *const *argv, const QemuCredentials *user, const int *fds, int n_fds, int out_fd,
                     uint64_t memlock, pid_t *ret_pid, int *ret_pidfd) {
        int all[SPAWN_FDS_MAX] = { -1, out_fd, out_fd };

        assert(n_fds >= 3 && n_fds <= SPAWN_FDS_MAX);
        for (int i = 3; i < n_fds; i++)
                all[i] = fds[i];
        return spawn(&(const Spawn) {
                             .argv = argv,
                             .setup = become_user,
                             .userdata = &(Exec) { .user = user, .memlock = memlock },
                             .fds = all,
                             .n_fds = n_fds,
                             .new_session = true,
                     },
                     ret_pid, ret_pidfd);
}
