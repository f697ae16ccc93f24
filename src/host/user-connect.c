/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "basic/fd-pass.h"
#include "basic/log.h"
#include "basic/process.h"
#include "basic/spawn.h"
#include "host/user-connect.h"

typedef struct Child {
        uid_t uid;
        gid_t gid;
        struct sockaddr_un sa;
} Child;

/* In the child, descriptor 3 the way back: 0 and the connected socket,
 * or an errno. Only system calls: it runs after fork. */
static int connect_child(void *userdata) {
        const Child *c = userdata;
        int err = 0, fd = -1;

        /* groups first: they go only while still root */
        if (setgroups(0, NULL) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 || setresuid(c->uid, c->uid, c->uid) < 0)
                err = errno;
        /* non-blocking: a listener that never accepts makes it fail, not hang */
        if (!err && (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
                err = errno;
        if (!err && connect(fd, (const struct sockaddr *) &c->sa, sizeof c->sa) < 0)
                err = errno;
        return fd_pass_send(3, err, fd) < 0 ? 1 : 0;
}

/* The runtime directory's owner and group, looked at without following
 * a link: the ids the child takes. */
static int runtime_dir_ids(const char *root, uid_t uid, gid_t *ret_gid) {
        _cleanup_free_ char *user_dir = NULL;
        _cleanup_close_ int dfd = -1;
        char name[16];
        struct stat st;

        if (asprintf(&user_dir, "%s/run/user", root) < 0)
                return -ENOMEM;
        dfd = open(user_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        snprintf(name, sizeof name, "%u", (unsigned) uid);
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (!S_ISDIR(st.st_mode) || st.st_uid != uid)
                return log_debug_errno(-EPERM, "%s/%s is owned by uid %u, not %u, or is no directory", user_dir, name,
                                       (unsigned) st.st_uid, (unsigned) uid);
        *ret_gid = st.st_gid;
        return 0;
}

int connect_as_user(const char *root, uid_t uid, const char *rel, usec_t deadline, int *ret_fd) {
        Child c = { .uid = uid, .sa = { .sun_family = AF_UNIX } };
        _cleanup_close_pair_ int pair[2] = { -1, -1 };
        _cleanup_close_ int pidfd = -1, fd = -1;
        struct ucred peer;
        socklen_t len = sizeof peer;
        pid_t pid;
        int k, r;

        assert(rel);
        assert(ret_fd);

        if (!root || streq(root, "/"))
                root = "";
        if (uid == 0)
                return -EINVAL; /* root's own manager is never reached this way */
        r = runtime_dir_ids(root, uid, &c.gid);
        if (r < 0)
                return r;
        if ((size_t) snprintf(c.sa.sun_path, sizeof c.sa.sun_path, "%s/run/user/%u/%s", root, (unsigned) uid, rel) >=
            sizeof c.sa.sun_path)
                return -ENAMETOOLONG;
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) < 0)
                return negative_errno();
        const int fds[] = { -1, -1, STDERR_FILENO, pair[1] };
        const Spawn s = { .run = connect_child, .userdata = &c, .fds = fds, .n_fds = ELEMENTSOF(fds) };
        r = spawn(&s, &pid, &pidfd);
        if (r < 0)
                return log_debug_errno(r, "fork a child to connect as uid %u: %s", (unsigned) uid, STRERROR(r));
        closep(&pair[1]);
        r = fd_pass_receive(pair[0], deadline, &fd);
        /* done, or given up on: what it was is the connection's result */
        k = pidfd_kill_and_reap(pidfd);
        if (k < 0)
                log_debug_errno(k, "reap the child (PID %d) that connected as uid %u: %s", (int) pid, (unsigned) uid,
                                STRERROR(k));
        /* the user may not even reach it: not the user's own (a link to
         * PID 1's socket, which only root may use) */
        if (r == -EACCES)
                r = -EPERM;
        if (r < 0)
                return log_debug_errno(r == -ECONNREFUSED ? -ENOENT : r, "connect to %s as uid %u: %s", c.sa.sun_path,
                                       (unsigned) uid, STRERROR(r));
        /* the child's socket may lead anywhere the user can reach: only a
         * process of the user's own is that user's manager */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
                return negative_errno();
        if (peer.uid != uid)
                return log_debug_errno(-EPERM, "%s is served by PID %d of uid %u, not by uid %u", c.sa.sun_path,
                                       (int) peer.pid, (unsigned) peer.uid, (unsigned) uid);
        *ret_fd = TAKE_FD(fd);
        return 0;
}
