/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "basic/log.h"
#include "basic/process.h"
#include "basic/paths.h"
#include "qemu/tpm.h"

/* After QEMU: how long swtpm gets to end by itself (it does as soon as
 * QEMU's end of the data channel closes), then after SIGTERM, then after
 * SIGKILL. */
#define TPM_EXIT_GRACE (3 * USEC_PER_SEC)
#define TPM_TERM_TIMEOUT (5 * USEC_PER_SEC)
#define TPM_KILL_TIMEOUT (5 * USEC_PER_SEC)

struct Tpm {
        pid_t pid;
        int pidfd;
        ForeignOutput out;      /* its stdout and stderr */
        bool reaped;
        bool reported;
        siginfo_t exit_info;
        int sent;               /* the last signal vmrun sent, 0 if none */
};

int tpm_swtpm_argv(const char *state_dir, Strv *ret) {
        Strv argv = { 0 };
        int r;

        if (strchr(state_dir, ','))
                return -EINVAL;

        r = strv_push(&argv, SWTPM_BINARY);
        if (r >= 0)
                r = strv_push(&argv, "socket");
        if (r >= 0)
                r = strv_push(&argv, "--tpm2");
        /* 0600: the state holds the TPM's secrets (its seeds, what
         * BitLocker sealed), for swtpm's user alone */
        if (r >= 0)
                r = strv_push(&argv, "--tpmstate");
        if (r >= 0)
                r = strv_pushf(&argv, "dir=%s,mode=0600", state_dir);
        /* a connection already made, not a listening socket: nothing to
         * wait for, and no one else can connect */
        if (r >= 0)
                r = strv_push(&argv, "--ctrl");
        if (r >= 0)
                r = strv_pushf(&argv, "type=unixio,clientfd=%d", SWTPM_FD_CTRL);
        if (r < 0) {
                strv_done(&argv);
                return r;
        }
        *ret = argv;
        return 0;
}

int tpm_start(char *const *argv, const QemuCredentials *user, Tpm **ret, int *ret_qemu_fd) {
        _cleanup_close_pair_ int ctrl[2] = { -1, -1 }, out[2] = { -1, -1 };
        _cleanup_tpm_ Tpm *t = NULL;
        int r;

        assert(argv && argv[0]);
        assert(ret);
        assert(ret_qemu_fd);

        t = calloc(1, sizeof(Tpm));
        if (!t)
                return -ENOMEM;
        t->pidfd = -1;
        t->out = (ForeignOutput) { .who = "swtpm", .fd = -1 };
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctrl) < 0 || pipe2(out, O_CLOEXEC) < 0)
                return log_debug_errno(negative_errno(), "socketpair/pipe for swtpm: %s", strerror(errno));

        r = privileges_spawn(argv, user, (const int[]) { [SWTPM_FD_CTRL] = ctrl[1] }, SWTPM_FD_CTRL + 1, out[1], 0,
                             &t->pid, &t->pidfd);
        if (r < 0)
                return log_debug_errno(r, "start %s: %s", argv[0], STRERROR(r));
        /* swtpm's end and the pipe's write end live in the child only: its
         * exit is the end of its output */
        closep(&ctrl[1]);
        closep(&out[1]);
        t->out.fd = TAKE_FD(out[0]);
        if (fcntl(t->out.fd, F_SETFL, O_NONBLOCK) < 0)
                return log_debug_errno(negative_errno(), "fcntl: %s", strerror(errno));

        *ret_qemu_fd = TAKE_FD(ctrl[0]);
        *ret = TAKE_PTR(t);
        return 0;
}

pid_t tpm_pid(const Tpm *t) {
        return t->pid;
}

int tpm_pidfd(const Tpm *t) {
        return t->pidfd;
}

int tpm_output_fd(const Tpm *t) {
        return t->out.fd;
}

bool tpm_read_output(Tpm *t) {
        return foreign_output_read(&t->out);
}

static const char *signal_name(int sig, char buf[static 16]) {
        const char *abbrev = sigabbrev_np(sig);

        if (abbrev)
                snprintf(buf, 16, "SIG%s", abbrev);
        else
                snprintf(buf, 16, "%d", sig);
        return buf;
}

int tpm_reap(Tpm *t) {
        if (t->reaped)
                return 0;
        int r = pidfd_reap(t->pidfd, &t->exit_info);
        if (r < 0)
                return log_debug_errno(r, "waitid(swtpm pid %d): %s", (int) t->pid, STRERROR(r));
        t->reaped = true;
        return 0;
}

bool tpm_ended_cleanly(const Tpm *t) {
        return t->reaped && t->exit_info.si_code == CLD_EXITED && t->exit_info.si_status == 0;
}

void tpm_report(Tpm *t, bool guest_running) {
        const siginfo_t *si = &t->exit_info;
        char how[64], sig[16];

        if (!t->reaped || t->reported)
                return;
        t->reported = true;
        /* its last words first, then how it ended */
        (void) tpm_read_output(t);

        if (si->si_code == CLD_EXITED)
                snprintf(how, sizeof how, "exited with status %d", si->si_status);
        else
                snprintf(how, sizeof how, "was killed by signal %s%s", signal_name(si->si_status, sig),
                         si->si_code == CLD_DUMPED ? " (core dumped)" : "");

        if (guest_running)
                log_error("swtpm (pid %d), the guest's TPM, %s while the guest runs: the guest's TPM no longer "
                          "answers until the VM is started again", (int) t->pid, how);
        else if (tpm_ended_cleanly(t) || (si->si_code == CLD_KILLED && si->si_status == SIGTERM && t->sent == SIGTERM))
                log_info("swtpm (pid %d) stopped", (int) t->pid);
        else if (si->si_code == CLD_KILLED && si->si_status == SIGKILL && t->sent == SIGKILL)
                log_warning("swtpm (pid %d) was killed by vmrun", (int) t->pid);
        else
                log_warning("swtpm (pid %d) %s after QEMU%s", (int) t->pid, how,
                            si->si_code == CLD_EXITED ? "; its last words are above" : "");
}

static void read_output(void *userdata) {
        (void) foreign_output_read(userdata);
}

/* Until the process behind `pidfd` has exited or `deadline`, logging what
 * it says meanwhile (out: NULL for nothing to read). */
static int wait_exit(int pidfd, ForeignOutput *out, usec_t deadline) {
        return pidfd_wait_draining(pidfd, out ? out->fd : -1, read_output, out, deadline);
}

/* swtpm after QEMU: the time to end by itself, then SIGTERM, then SIGKILL,
 * each with its deadline. The last signal sent (0: none), or an error:
 * -ETIMEDOUT when it is still there after SIGKILL. Logs that. */
static int stop_escalating(int pidfd, pid_t pid, ForeignOutput *out) {
        static const struct {
                int signal;
                usec_t wait;
        } steps[] = { { 0, TPM_EXIT_GRACE }, { SIGTERM, TPM_TERM_TIMEOUT }, { SIGKILL, TPM_KILL_TIMEOUT } };
        int r = 0, sent = 0;

        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                if (steps[i].signal == SIGTERM)
                        log_debug("swtpm (pid %d) still runs after QEMU; sending SIGTERM", (int) pid);
                else if (steps[i].signal == SIGKILL)
                        log_warning("swtpm (pid %d) did not stop on SIGTERM within %llus; killing it", (int) pid,
                                    (unsigned long long) (TPM_TERM_TIMEOUT / USEC_PER_SEC));
                if (steps[i].signal) {
                        sent = steps[i].signal;
                        (void) syscall(SYS_pidfd_send_signal, pidfd, sent, NULL, 0);
                }
                r = wait_exit(pidfd, out, deadline_after(steps[i].wait));
                if (r != -ETIMEDOUT)
                        break;
        }
        if (r == -ETIMEDOUT)
                return log_error_errno(r, "swtpm (pid %d) still exists after SIGKILL: stuck in the kernel? See /proc/%d/stack",
                                       (int) pid, (int) pid);
        if (r < 0)
                return log_error_errno(r, "wait for swtpm (pid %d) to exit: %s", (int) pid, STRERROR(r));
        return sent;
}

int tpm_stop(Tpm *t) {
        int r;

        if (!t)
                return 0;
        if (!t->reaped) {
                r = stop_escalating(t->pidfd, t->pid, &t->out);
                if (r < 0)
                        return r;
                t->sent = r;
                r = tpm_reap(t);
                if (r < 0)
                        return log_error_errno(r, "reap swtpm (pid %d): %s", (int) t->pid, STRERROR(r));
        }
        tpm_report(t, false);
        /* whatever is left in the pipe, which ends with swtpm */
        (void) tpm_read_output(t);
        return 0;
}

int tpm_stop_orphan(int pidfd, pid_t pid) {
        int r = stop_escalating(pidfd, pid, NULL);

        if (r < 0)
                return r;
        log_info("swtpm (pid %d) has ended", (int) pid);
        return 0;
}

Tpm *tpm_free(Tpm *t) {
        if (!t)
                return NULL;
        if (t->pid > 0 && !t->reaped && t->pidfd >= 0)
                (void) pidfd_kill_and_reap(t->pidfd);
        closep(&t->pidfd);
        closep(&t->out.fd);
        free(t);
        return NULL;
}
