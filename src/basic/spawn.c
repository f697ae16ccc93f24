/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "basic/process.h"
#include "basic/spawn.h"

/* In the child: async-signal-safe calls only. */
static void reset_signals(void) {
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigset_t none;

        /* a handler goes with exec, but an ignored signal (vmrun's SIGHUP,
         * SIGPIPE) would stay ignored in QEMU; SIGKILL and SIGSTOP, the
         * only ones refused, have nothing to reset */
        for (int sig = 1; sig < NSIG; sig++)
                (void) sigaction(sig, &dfl, NULL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

/* fds[i] at i, /dev/null for a missing 0, 1 or 2, nothing else open. */
static int place_fds(const int *fds, int n) {
        int lifted[SPAWN_FDS_MAX + 1];

        /* every source above the targets first, so no dup2() overwrites
         * one still to be moved */
        for (int i = 0; i < n; i++) {
                int from = fds[i];
                if (from < 0 && i <= STDERR_FILENO) {
                        from = open("/dev/null", i == STDIN_FILENO ? O_RDONLY : O_WRONLY);
                        if (from < 0)
                                return -errno;
                }
                lifted[i] = from >= 0 ? fcntl(from, F_DUPFD, n) : -1;
                if (from >= 0 && lifted[i] < 0)
                        return -errno;
        }
        for (int i = 0; i < n; i++) {
                if (lifted[i] >= 0 ? dup2(lifted[i], i) < 0 : close(i) < 0 && errno != EBADF)
                        return -errno;
        }
        if (syscall(SYS_close_range, (unsigned) n, ~0U, 0) < 0)
                return -errno;
        return 0;
}

static _Noreturn void child(const Spawn *s, int placed) {
        int fds[SPAWN_FDS_MAX + 1];
        int r;

        reset_signals();
        if (s->new_session)
                setsid();
        /* the pipe that tells the parent goes along as one more, last:
         * closing it, after every other, is the news */
        memcpy(fds, s->fds, sizeof(int) * s->n_fds);
        fds[s->n_fds] = placed;
        r = place_fds(fds, s->n_fds + 1);
        if (r < 0) {
                /* fd 2 may be anything now: nothing can be said */
                _exit(SPAWN_EXIT_SETUP);
        }
        /* Linux frees the descriptor even when close() reports an error:
         * the parent's end of file comes either way */
        (void) close(s->n_fds);
        if (s->setup && s->setup(s->userdata) < 0)
                _exit(SPAWN_EXIT_SETUP);
        if (!s->argv)
                _exit(s->run(s->userdata) & 0xff);
        execv(s->argv[0], s->argv);
        dprintf(STDERR_FILENO, "cannot execute %s: %s\n", s->argv[0], strerror(errno));
        _exit(SPAWN_EXIT_EXEC);
}

int spawn(const Spawn *s, pid_t *ret_pid, int *ret_pidfd) {
        _cleanup_close_pair_ int placed[2] = { -1, -1 };
        int pidfd, r;
        pid_t pid;

        assert(s);
        assert(!!s->argv != !!s->run);
        assert(s->n_fds >= 3 && s->n_fds <= SPAWN_FDS_MAX);
        assert(ret_pid);
        assert(ret_pidfd);

        /* spawn() returns once the child holds only the descriptors it
         * was given: a child left stuck (a sysfs write that never
         * returns) must not keep a lock of vmrun's, nor anything else,
         * however late it was scheduled */
        if (pipe2(placed, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0)
                child(s, placed[1]);
        closep(&placed[1]);
        /* end of file once it has (or has died) */
        while (read(placed[0], &(char) { 0 }, 1) < 0 && errno == EINTR)
                ;
        closep(&placed[0]);

        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                r = negative_errno();
                /* our own child, not reaped: the PID is still its own */
                (void) kill(pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return r;
        }
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}
