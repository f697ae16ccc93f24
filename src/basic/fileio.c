/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "basic/log.h"

int json_write_atomic(const char *path, json_t *j, mode_t mode) {
        _cleanup_free_ char *tmp = NULL, *dircopy = NULL;
        _cleanup_close_ int fd = -1, dfd = -1;
        int r;

        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return negative_errno();
        if (json_dumpfd(j, fd, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || write(fd, "\n", 1) != 1) {
                r = errno > 0 ? -errno : -EIO;
                unlink(tmp);
                return r;
        }
        if (fsync(fd) < 0) {
                r = negative_errno();
                unlink(tmp);
                return r;
        }
        if (rename(tmp, path) < 0) {
                r = negative_errno();
                unlink(tmp);
                return r;
        }
        /* the rename itself is only durable once the directory is synced */
        dircopy = strdup(path);
        if (!dircopy)
                return -ENOMEM;
        dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                return negative_errno();
        return 0;
}

/* What a new file is filled with: a file's content (fd >= 0), or bytes */
typedef struct Content {
        int fd;
        const uint8_t *data;
        size_t size;
} Content;

static int write_all(int out, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t w = write(out, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return negative_errno();
                p += w;
                n -= (size_t) w;
        }
        return 0;
}

static int fill(const Content *c, int out) {
        char buf[65536];
        ssize_t n;
        int r;

        if (c->fd < 0)
                r = write_all(out, c->data, c->size);
        else
                while ((n = read(c->fd, buf, sizeof buf)) != 0) {
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                return negative_errno();
                        r = write_all(out, (const uint8_t *) buf, (size_t) n);
                        if (r < 0)
                                return r;
                }
        return fsync(out) < 0 ? negative_errno() : 0;
}

static int new_file_excl(const Content *c, int dir_fd, const char *name, mode_t mode) {
        _cleanup_close_ int out = -1;
        int r;

        out = openat(dir_fd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode);
        if (out < 0)
                return negative_errno();
        r = fill(c, out);
        if (r >= 0 && fchmod(out, mode) < 0)
                r = negative_errno();
        /* a part left under the name would make the next copy fail
         * with EEXIST, naming the file: said, not hidden */
        if (r < 0 && unlinkat(dir_fd, name, 0) < 0)
                log_debug_errno(negative_errno(), "remove the partial copy %s: %s", name, STRERROR(errno));
        return r;
}

static int new_file_at(const Content *c, int dir_fd, const char *name, mode_t mode) {
        _cleanup_close_ int out = -1;
        int r;

        assert(dir_fd >= 0);
        assert(!strchr(name, '/'));

        /* a file with no name until it is whole: nothing of it can be
         * seen, or swapped, before linkat() gives it one, and that fails
         * on any entry already there, a symlink's too */
        out = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
        if (out < 0 && (errno == EOPNOTSUPP || errno == EISDIR))
                /* overlayfs before Linux 6.6 has no O_TMPFILE (a live
                 * system's root, the lab's): a new name of its own instead,
                 * made here and never followed, removed if the copy fails */
                return new_file_excl(c, dir_fd, name, mode);
        if (out < 0)
                return negative_errno();
        r = fill(c, out);
        if (r < 0)
                return r;
        if (fchmod(out, mode) < 0 || linkat(out, "", dir_fd, name, AT_EMPTY_PATH) < 0)
                return negative_errno();
        return 0;
}

int copy_file_new_at(const char *from, int dir_fd, const char *name, mode_t mode) {
        _cleanup_close_ int in = -1;

        in = open(from, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return negative_errno();
        return new_file_at(&(const Content) { .fd = in }, dir_fd, name, mode);
}

int write_file_new_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode) {
        return new_file_at(&(const Content) { .fd = -1, .data = data, .size = size }, dir_fd, name, mode);
}

int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *copy = strdup(path);

        if (!copy)
                return -ENOMEM;
        for (char *s = copy + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(copy, c == '\0' ? mode : 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                if (c == '\0')
                        return 0;
                *s = c;
        }
}

int read_full_fd(int fd, size_t max, uint8_t **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size = 0, allocated = 0;

        for (;;) {
                ssize_t n;

                if (size == allocated) {
                        /* one byte beyond `max` tells a file of exactly `max` from a bigger one */
                        size_t a = allocated ? allocated * 2 : 64 * 1024;
                        uint8_t *b;
                        if (a > max + 1)
                                a = max + 1;
                        b = realloc(buf, a);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        allocated = a;
                }
                n = read(fd, buf + size, allocated - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > max)
                        return -EFBIG;
        }
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}
