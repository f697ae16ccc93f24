/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "basic/process.h"

int pid_start_time(pid_t pid, uint64_t *ret) {
        char path[64], buf[2048];
        _cleanup_close_ int fd = -1;
        ssize_t n;
        char *p;
        unsigned long long v;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return n < 0 ? negative_errno() : -EIO;
        buf[n] = '\0';
        /* the command name is in parentheses and may contain anything,
         * spaces and parentheses too: fields are counted after the last ')' */
        p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        p++;
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EIO;
        }
        if (sscanf(p, " %llu", &v) != 1)
                return -EIO;
        *ret = v;
        return 0;
}

int pidfd_open_verified(pid_t pid, uint64_t start_time, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        uint64_t t;
        int r;

        if (pid <= 0)
                return -ESRCH;
        fd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                return negative_errno();
        /* checked after opening: from here on the pidfd pins the process,
         * so a match now cannot be a recycled PID later */
        r = pid_start_time(pid, &t);
        if (r < 0)
                return r;
        if (t != start_time)
                return -ESRCH;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int pidfd_wait_draining(int pidfd, int fd, void (*drain)(void *userdata), void *userdata, usec_t deadline) {
        for (;;) {
                struct pollfd p[2] = {
                        { .fd = pidfd, .events = POLLIN },
                        { .fd = fd, .events = POLLIN },
                };
                int n = poll(p, fd >= 0 ? 2 : 1, deadline_to_poll_ms(deadline));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -ETIMEDOUT;
                if (fd >= 0 && p[1].revents)
                        drain(userdata);
                if (p[0].revents)
                        return 0;
        }
}

int pidfd_wait(int pidfd, usec_t deadline) {
        return pidfd_wait_draining(pidfd, -1, NULL, NULL, deadline);
}

int pidfd_reap(int pidfd, siginfo_t *ret) {
        siginfo_t si = { 0 };

        while (waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (ret)
                *ret = si;
        return 0;
}

int pidfd_kill_and_reap(int pidfd) {
        /* fails only for a child that has exited already: the reap says */
        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        return pidfd_reap(pidfd, NULL);
}
