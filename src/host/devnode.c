/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "basic/log.h"
#include "host/devnode.h"

#define UDEV_DATA "/run/udev/data"
/* there while udev has events to handle: the ACLs its RUN builtins set
 * (uaccess, a seat's user) come after the database entry */
#define UDEV_QUEUE "/run/udev/queue"

int devnode_ready(const HostContext *ctx, const char *node) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        char name[64];

        if (host_path(ctx, node, &path) < 0)
                return -ENOMEM;
        if (stat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return -ENOTTY;
        /* a node made by hand (nvidia-modprobe's /dev/nvidia0) has no
         * device in sysfs: udev never hears of it */
        snprintf(name, sizeof name, "/sys/dev/%s/%u:%u", S_ISCHR(st.st_mode) ? "char" : "block", major(st.st_rdev),
                 minor(st.st_rdev));
        if (!host_exists(ctx, UDEV_DATA) || !host_exists(ctx, name))
                return 1;
        snprintf(name, sizeof name, UDEV_DATA "/%c%u:%u", S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev),
                 minor(st.st_rdev));
        return host_exists(ctx, name) && !host_exists(ctx, UDEV_QUEUE);
}

/* Again on every look: a directory that was not there (/dev/snd, gone
 * with the only sound card) may be now. Watching a directory twice is
 * one watch. */
static void watch(int fd, const HostContext *ctx, const char *dir, uint32_t mask) {
        _cleanup_free_ char *path = NULL;

        if (host_path(ctx, dir, &path) >= 0 && inotify_add_watch(fd, path, mask) < 0 && errno != ENOENT)
                log_debug("inotify on %s: %s", path, strerror(errno));
}

static void watch_all(int fd, const HostContext *ctx, const char *dir) {
        watch(fd, ctx, "/dev", IN_CREATE | IN_MOVED_TO);        /* the node's directory, made */
        watch(fd, ctx, dir, IN_CREATE | IN_MOVED_TO | IN_ATTRIB);
        watch(fd, ctx, UDEV_DATA, IN_CREATE | IN_MOVED_TO);
        watch(fd, ctx, "/run/udev", IN_DELETE | IN_MOVED_FROM); /* the queue, gone */
}

int devnode_wait_ready(const HostContext *ctx, const char *node, usec_t deadline) {
        _cleanup_free_ char *dir = strdup(node);
        _cleanup_close_ int fd = -1;
        char *slash;
        int r;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir)
                *slash = '\0';
        fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd < 0)
                return -errno;
        for (;;) {
                char buf[4096];

                /* before each look: what changes after it wakes the poll */
                watch_all(fd, ctx, dir);
                r = devnode_ready(ctx, node);
                if (r != 0)
                        return r < 0 ? r : 0;
                r = poll(&(struct pollfd) { .fd = fd, .events = POLLIN }, 1, deadline_to_poll_ms(deadline));
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                while (read(fd, buf, sizeof buf) > 0)
                        ;
        }
}
