/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "basic/log.h"
#include "host/file-attrs.h"

static const char *const acl_names[] = { "system.posix_acl_access", "system.posix_acl_default" };

/* The inode without following a link, reached again through
 * /proc/self/fd, which names exactly that inode: xattr calls take no
 * descriptor of O_PATH's */
static int open_inode(const HostContext *ctx, const char *path, int *ret_fd, struct stat *ret_st,
                      char ret_proc[static 32]) {
        int fd, r;

        r = host_open_inode(ctx, path, &fd, ret_st);
        if (r < 0)
                return r;
        if (S_ISLNK(ret_st->st_mode)) {
                close(fd);
                return -ELOOP;
        }
        snprintf(ret_proc, 32, "/proc/self/fd/%d", fd);
        *ret_fd = fd;
        return 0;
}

static char *hex(const unsigned char *b, size_t n) {
        char *s = malloc(n * 2 + 1);

        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++)
                sprintf(s + 2 * i, "%02x", b[i]);
        s[n * 2] = '\0';
        return s;
}

static int unhex(const char *s, unsigned char **ret, size_t *ret_n) {
        size_t n = strlen(s) / 2;
        unsigned char *b;

        if (strlen(s) % 2 != 0)
                return -EINVAL;
        b = malloc(n ? n : 1);
        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                if (sscanf(s + 2 * i, "%2x", &v) != 1) {
                        free(b);
                        return -EINVAL;
                }
                b[i] = (unsigned char) v;
        }
        *ret = b;
        *ret_n = n;
        return 0;
}

int host_file_attrs(const HostContext *ctx, const char *path, json_t **ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_json_ json_t *acls = json_object(), *j = NULL;
        char proc[32];
        struct stat st;
        int r;

        if (!acls)
                return -ENOMEM;
        r = open_inode(ctx, path, &fd, &st, proc);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(acl_names); i++) {
                unsigned char buf[4096];
                _cleanup_free_ char *s = NULL;
                ssize_t n = getxattr(proc, acl_names[i], buf, sizeof buf);

                if (n < 0 && (errno == ENODATA || errno == EOPNOTSUPP))
                        continue;
                if (n < 0)
                        return negative_errno();
                s = hex(buf, (size_t) n);
                if (!s || json_object_set_new(acls, acl_names[i], json_string(s)) < 0)
                        return -ENOMEM;
        }
        j = json_pack("{s:I, s:O}", "mode", (json_int_t) (st.st_mode & 07777), "acls", acls);
        if (!j)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

int host_file_attrs_restore(const HostContext *ctx, const char *path, const json_t *attrs) {
        const json_t *mode = json_object_get(attrs, "mode"), *acls = json_object_get(attrs, "acls");
        _cleanup_close_ int fd = -1;
        char proc[32];
        struct stat st;
        int r;

        if (!json_is_integer(mode))
                return 0;
        r = open_inode(ctx, path, &fd, &st, proc);
        if (r < 0)
                return r;
        /* the ACLs first: setting one recomputes the mode's group bits */
        for (size_t i = 0; i < ELEMENTSOF(acl_names); i++) {
                const char *v = json_string_value(json_object_get(acls, acl_names[i]));
                _cleanup_free_ unsigned char *b = NULL;
                size_t n;

                if (!v) {
                        if (removexattr(proc, acl_names[i]) < 0 && errno != ENODATA && errno != EOPNOTSUPP) {
                                r = negative_errno();
                                return log_debug_errno(r, "remove %s of %s: %s", acl_names[i], path, STRERROR(r));
                        }
                        continue;
                }
                r = unhex(v, &b, &n);
                if (r < 0)
                        return r;
                if (setxattr(proc, acl_names[i], b, n, 0) < 0) {
                        r = negative_errno();
                        return log_debug_errno(r, "set %s of %s: %s", acl_names[i], path, STRERROR(r));
                }
        }
        if (chmod(proc, (mode_t) json_integer_value(mode)) < 0)
                return negative_errno();
        return 0;
}
