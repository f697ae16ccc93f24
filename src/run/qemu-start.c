/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "basic/process.h"
#include "host/placement.h"
#include "qemu/argv.h"
#include "run/qemu-start.h"

int open_tap(Supervisor *s) {
        const char *bridge = s->profile->bridge, *step = NULL;
        int r;

        r = tap_open(bridge, &s->tap, &step);
        if (r == -EPERM)
                return log_error_errno(r, "tap for the guest on bridge %s: %s: %s; vmrun needs CAP_NET_ADMIN for it (as "
                                       "root, and under systemd CapabilityBoundingSet= must keep it)",
                                       bridge, step, STRERROR(r));
        if (r < 0)
                return log_error_errno(r, "tap for the guest on bridge %s: %s: %s%s", bridge, step, STRERROR(r),
                                       r == -ENODEV ? " (is the bridge still there? `ip -br link`)" : "");
        log_info("network: tap %s on bridge %s, for QEMU", s->tap.name, bridge);
        return 0;
}

static int listen_public_qmp(const char *path, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        mode_t old;
        int r;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        /* we hold the VM's lock: a socket left here is from a dead run */
        if (unlink(path) < 0 && errno != ENOENT)
                return negative_errno();
        old = umask(0177);
        r = bind(fd, (struct sockaddr *) &sa, sizeof sa);
        umask(old);
        if (r < 0 || listen(fd, 8) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int spawn_qemu(Supervisor *s, int *ret_qmp_fd) {
        _cleanup_close_pair_ int pair[2] = { -1, -1 }, out[2] = { -1, -1 };
        _cleanup_close_ int public_fd = -1, console_fd = -1, tpm_fd = -1;
        uint64_t memlock = s->plan->memlock;
        int r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(negative_errno(), "socketpair for QMP: %s", strerror(errno));
        r = listen_public_qmp(s->plan->paths->qmp_public, &public_fd);
        if (r < 0)
                return log_error_errno(r, "listen on %s: %s", s->plan->paths->qmp_public, STRERROR(r));
        if (pipe2(out, O_CLOEXEC) < 0)
                return log_error_errno(negative_errno(), "pipe for QEMU's output: %s", strerror(errno));
        /* a new log for each start, as QEMU itself would have made it */
        console_fd = open(s->plan->paths->console_log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (console_fd < 0)
                return log_error_errno(negative_errno(), "open the guest's console log %s: %s",
                                       s->plan->paths->console_log, strerror(errno));
        /* before QEMU, which gets its end of swtpm's control channel */
        if (s->plan->tpm_argv.n > 0) {
                r = tpm_start(s->plan->tpm_argv.v, &s->plan->qemu_user, &s->tpm, &tpm_fd);
                if (r < 0)
                        return log_error_errno(r, "start swtpm for the guest's TPM: %s", STRERROR(r));
                log_info("swtpm started (pid %d) as %s, state in %s", (int) tpm_pid(s->tpm), s->plan->qemu_user.user,
                         s->plan->paths->tpm_dir);
        }

        if (!qemu_credentials_privileged(&s->plan->qemu_user))
                log_info("QEMU runs as %s (uid %u), sandboxed%s", s->plan->qemu_user.user,
                         (unsigned) s->plan->qemu_user.uid,
                         memlock ? "; it may lock guest RAM + 1 GiB for VFIO" : "");
        const int fds[QEMU_FD_END] = {
                [QEMU_FD_QMP_SUPERVISOR] = pair[1], [QEMU_FD_QMP_PUBLIC] = public_fd,
                [QEMU_FD_CONSOLE] = console_fd,     [QEMU_FD_TAP] = s->tap.fd,
                [QEMU_FD_TPM] = tpm_fd,
        };
        r = privileges_spawn(s->plan->argv.v, &s->plan->qemu_user, fds, QEMU_FD_END, out[1], memlock, &s->qemu_pid,
                             &s->pidfd);
        if (r < 0)
                return log_error_errno(r, "start %s: %s", s->plan->argv.v[0], STRERROR(r));
        /* unreaped until the supervisor says so: its /proc entry is there */
        r = pid_start_time(s->qemu_pid, &s->qemu_start_time);
        if (r < 0)
                return log_error_errno(r, "read QEMU's (pid %d) start time in /proc: %s", (int) s->qemu_pid, STRERROR(r));
        /* QEMU's now: the tap goes when QEMU does */
        tap_close(&s->tap);
        s->qemu_out.fd = TAKE_FD(out[0]);
        if (fcntl(s->qemu_out.fd, F_SETFL, O_NONBLOCK) < 0)
                return log_error_errno(negative_errno(), "fcntl: %s", strerror(errno));
        *ret_qmp_fd = TAKE_FD(pair[0]);
        return 0;
}

/* Before the guest runs a single instruction ("cont"): its vCPU threads
 * exist from QEMU's start, stopped by -S. */
int pin_cpus(Supervisor *s) {
        const Profile *p = s->profile;
        _cleanup_json_ json_t *cpus = NULL;
        _cleanup_free_ char *failed = NULL;
        int r;

        if (p->cpu_pin.n == 0)
                return 0;
        r = qmp_execute(s->qmp, "query-cpus-fast", NULL, deadline_after(QMP_START_TIMEOUT), &cpus);
        if (r < 0)
                return log_error_errno(r, "query-cpus-fast, to pin the vCPUs: %s", STRERROR(r));
        r = placement_pin(s->qemu_pid, cpus, p->cpu_pin.v, p->cpu_pin.n, p->emulator_pin.n ? p->emulator_pin.v : NULL,
                          p->emulator_pin.n, &failed);
        if (r == -EINVAL && failed)
                /* the CPU exists (the plan checked), so something keeps it from this process */
                return log_error_errno(r, "pin QEMU's (pid %d) %s: the kernel refuses it (EINVAL): the CPU is offline, "
                                       "or outside the CPUs this service may use (cgroup cpuset, AllowedCPUs=, taskset); "
                                       "see `lscpu -e` and /proc/self/status Cpus_allowed_list",
                                       (int) s->qemu_pid, failed);
        if (r < 0)
                return log_error_errno(r, "pin QEMU's (pid %d) %s as [cpu] says: %s; see `lscpu -e` for the host's CPUs",
                                       (int) s->qemu_pid, failed ? failed : "threads", STRERROR(r));
        log_info("vCPUs pinned: %zu, each on its own host CPU%s", p->cpu_pin.n,
                 p->emulator_pin.n ? "; QEMU's other threads on [cpu] emulator-pin" : "");
        return 0;
}
