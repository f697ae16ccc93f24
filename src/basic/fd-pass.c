/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <poll.h>
#include <sys/socket.h>

#include "basic/fd-pass.h"

typedef union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
} FdControl;

int fd_pass_send(int sock, int error, int fd) {
        FdControl control = { 0 };
        struct iovec iov = { .iov_base = &error, .iov_len = sizeof error };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (error == 0) {
                mh.msg_control = control.buf;
                mh.msg_controllen = sizeof control.buf;
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof fd);
        }
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int fd_pass_receive(int sock, usec_t deadline, int *ret_fd) {
        int err = 0, fd = -1, r;
        FdControl control = { 0 };
        struct iovec iov = { .iov_base = &err, .iov_len = sizeof err };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof control.buf };
        struct pollfd p = { .fd = sock, .events = POLLIN };

        do
                r = poll(&p, 1, deadline_to_poll_ms(deadline));
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return negative_errno();
        if (r == 0)
                return -ETIMEDOUT;
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0)
                return negative_errno();
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
                        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        if (n != (ssize_t) sizeof err)
                err = EPROTO;
        if (err != 0 || fd < 0) {
                closep(&fd);
                return -(err ? err : EPROTO);
        }
        *ret_fd = fd;
        return 0;
}
