/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/stat.h>

#include "basic/log.h"
#include "profile/profile.h"

/* Who is meant to own the profile and the directories above it, as
 * chown(1) and messages say it. */
typedef struct Owner {
        uid_t uid;
        char chown[32];         /* "root:root" */
        char name[32];          /* "root" */
} Owner;

static void owner_init(Owner *o, uid_t uid) {
        o->uid = uid;
        if (uid == 0) {
                strcpy(o->chown, "root:root");
                strcpy(o->name, "root");
        } else {
                snprintf(o->chown, sizeof o->chown, "%u", (unsigned) uid);
                snprintf(o->name, sizeof o->name, "uid %u", (unsigned) uid);
        }
}

static int path_parent(const char *path, char **ret) {
        const char *slash = strrchr(path, '/');
        char *d;

        if (!slash)
                d = strdup(".");
        else
                d = strndup(path, slash == path ? 1 : (size_t) (slash - path));
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

/* Each directory from `dir` (absolute, free of symlinks) up to /: whoever
 * may write to one can rename what is in it, and so put a profile of
 * theirs, or a directory holding one, where vmrun looks. */
static int check_directories(const char *path, const char *dir, const Owner *o) {
        _cleanup_free_ char *d = strdup(dir);

        if (!d)
                return log_oom();
        for (;;) {
                struct stat st;
                char *slash;
                int r;

                if (lstat(d, &st) < 0) {
                        r = negative_errno();
                        return log_error_errno(r, "refusing profile %s: cannot check the directory %s: %s", path, d,
                                               STRERROR(r));
                }
                if (st.st_uid != 0 && st.st_uid != o->uid)
                        return log_error_errno(-EPERM, "refusing profile %s: the directory %s belongs to uid %u, who can "
                                               "replace what is in it. Fix: chown %s %s, or keep the profile in /etc/vmrun",
                                               path, d, (unsigned) st.st_uid, o->chown, d);
                if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
                        return log_error_errno(-EPERM, "refusing profile %s: the directory %s is writable by %s (mode %04o) "
                                               "without the sticky bit, so anyone there can replace the profile. "
                                               "Fix: chmod go-w %s",
                                               path, d, st.st_mode & S_IWOTH ? "everyone" : "its group",
                                               (unsigned) (st.st_mode & 07777), d);
                if (streq(d, "/"))
                        return 0;
                slash = strrchr(d, '/');
                slash[slash == d ? 1 : 0] = '\0';
        }
}

int profile_check_trusted(int fd, const char *path, uid_t owner) {
        _cleanup_free_ char *real = NULL, *real_dir = NULL, *dir = NULL, *link_dir = NULL;
        struct stat st, rst;
        Owner o;
        int r;

        owner_init(&o, owner);
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return log_error_errno(r, "stat profile %s: %s", path, STRERROR(r));
        }
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EPERM, "refusing profile %s: it is not a regular file", path);
        if (st.st_uid != owner)
                return log_error_errno(-EPERM, "refusing profile %s: it is owned by uid %u, not by %s; whoever can edit "
                                       "it can make vmrun, running as root, unbind devices, load modules and run "
                                       "any program. Fix: chown %s %s; chmod go-w %s",
                                       path, (unsigned) st.st_uid, o.name, o.chown, path, path);
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return log_error_errno(-EPERM, "refusing profile %s: it is writable by %s (mode %04o); whoever can edit "
                                       "it can make vmrun, running as root, do what it says. Fix: chmod go-w %s",
                                       path, st.st_mode & S_IWOTH ? "everyone" : "its group",
                                       (unsigned) (st.st_mode & 07777), path);

        /* where the file really is: a symlink is judged by where it leads */
        real = realpath(path, NULL);
        if (!real) {
                r = negative_errno();
                return log_error_errno(r, "refusing profile %s: cannot resolve its path: %s", path, STRERROR(r));
        }
        if (stat(real, &rst) < 0 || rst.st_dev != st.st_dev || rst.st_ino != st.st_ino)
                return log_error_errno(-EPERM, "refusing profile %s: it was replaced while vmrun read it", path);
        if (path_parent(real, &real_dir) < 0)
                return log_oom();
        r = check_directories(path, real_dir, &o);
        if (r < 0)
                return r;

        /* ...and by the directory it was named in, which holds the symlink */
        if (path_parent(path, &dir) < 0)
                return log_oom();
        link_dir = realpath(dir, NULL);
        if (!link_dir) {
                r = negative_errno();
                return log_error_errno(r, "refusing profile %s: cannot resolve %s: %s", path, dir, STRERROR(r));
        }
        if (!streq(link_dir, real_dir))
                return check_directories(path, link_dir, &o);
        return 0;
}
