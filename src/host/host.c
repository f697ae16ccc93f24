/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "basic/process.h"
#include "basic/spawn.h"
#include "basic/test-switch.h"
#include "host/host.h"
#include "basic/log.h"
#include "host/modules.h"
#include "basic/strv.h"
#include "host/units.h"

typedef struct UserUnits {
        uid_t uid;
        Units *units;           /* NULL when reaching it failed: */
        int error;
} UserUnits;

void host_context_done(HostContext *ctx) {
        ctx->modules = modules_free(ctx->modules);
        ctx->units = units_free(ctx->units);
        for (size_t i = 0; i < ctx->n_user_units; i++)
                units_free(ctx->user_units[i].units);
        free(ctx->user_units);
        ctx->user_units = NULL;
        ctx->n_user_units = 0;
}

const char *host_root(void) {
        const char *e = test_switch("VMRUN_ROOT");
        return e && e[0] == '/' ? e : "/";
}

int host_path(const HostContext *ctx, const char *path, char **ret) {
        const char *root = ctx->root ? ctx->root : "/";
        char *p;

        assert(path[0] == '/');
        if (streq(root, "/"))
                p = strdup(path);
        else if (asprintf(&p, "%s%s", root, path) < 0)
                p = NULL;
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* "/a/b/../c/./d" -> "/a/c/d", in place: the links udev makes are
 * relative to real directories, so dropping ".." lexically is what the
 * kernel does with them too. */
static void path_normalize(char *path) {
        char *out = path, *in = path;

        while (*in) {
                size_t n;

                while (*in == '/')
                        in++;
                n = strcspn(in, "/");
                if (n == 0)
                        break;
                if (n == 1 && in[0] == '.') {
                        in += n;
                        continue;
                }
                if (n == 2 && in[0] == '.' && in[1] == '.') {
                        while (out > path && *--out != '/')
                                ;
                        in += n;
                        continue;
                }
                *out++ = '/';
                memmove(out, in, n);
                out += n;
                in += n;
        }
        if (out == path)
                *out++ = '/';
        *out = '\0';
}

int host_follow(const HostContext *ctx, const char *path, char **ret) {
        _cleanup_free_ char *cur = NULL;

        assert(path[0] == '/');
        cur = strdup(path);
        if (!cur)
                return -ENOMEM;
        for (unsigned hops = 0; hops < 32; hops++) {
                _cleanup_free_ char *full = NULL, *next = NULL;
                char target[PATH_MAX];
                ssize_t n;
                int r;

                r = host_path(ctx, cur, &full);
                if (r < 0)
                        return r;
                n = readlink(full, target, sizeof target - 1);
                if (n < 0 && errno == EINVAL) {
                        *ret = TAKE_PTR(cur);
                        return 0;
                }
                if (n < 0)
                        return negative_errno();
                target[n] = '\0';
                if (target[0] == '/')
                        next = strdup(target);
                else if (asprintf(&next, "%.*s/%s", (int) (strrchr(cur, '/') - cur), cur, target) < 0)
                        next = NULL;
                if (!next)
                        return -ENOMEM;
                path_normalize(next);
                free(cur);
                cur = TAKE_PTR(next);
        }
        return -ELOOP;
}

bool host_exists(const HostContext *ctx, const char *path) {
        _cleanup_free_ char *p = NULL;

        return host_path(ctx, path, &p) >= 0 && access(p, F_OK) >= 0;
}

int host_read(const HostContext *ctx, const char *path, char **ret) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int fd = -1;
        char buf[4096];
        ssize_t n;
        int r;

        r = host_path(ctx, path, &p);
        if (r < 0)
                return r;
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int host_read_unsigned(const HostContext *ctx, const char *path, int base, unsigned long *ret) {
        _cleanup_free_ char *s = NULL;
        char *end;
        unsigned long v;
        int r;

        r = host_read(ctx, path, &s);
        if (r < 0)
                return r;
        errno = 0;
        v = strtoul(s, &end, base);
        if (errno || end == s || *end || s[0] == '-')
                return -EBADMSG;
        *ret = v;
        return 0;
}

int host_read_hex(const HostContext *ctx, const char *path, unsigned long *ret) {
        return host_read_unsigned(ctx, path, 16, ret);
}

int host_list_dir(const HostContext *ctx, const char *dir, char ***ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_strv_ Strv l = { 0 };
        struct dirent *de;
        DIR *d;
        int r;

        r = host_path(ctx, dir, &path);
        if (r < 0)
                return r;
        d = opendir(path);
        if (!d && errno != ENOENT)
                return negative_errno();
        while (d && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && strv_push(&l, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        if (d)
                closedir(d);
        if (!l.v && !(l.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(l.v);
        l = (Strv) { 0 };
        return 0;
}

int host_list_files(const HostContext *ctx, const char *dir, char ***ret_files, char ***ret_others) {
        _cleanup_free_ char *path = NULL;
        _cleanup_strv_ Strv files = { 0 }, others = { 0 };
        struct dirent *de;
        DIR *d;
        int fd, r;

        r = host_path(ctx, dir, &path);
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT)
                return negative_errno();
        d = fd >= 0 ? fdopendir(fd) : NULL;
        if (fd >= 0 && !d) {
                r = negative_errno();
                close(fd);
                return r;
        }
        while (d && (de = readdir(d))) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                /* about the entry itself: a link is an "other", never followed */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                r = strv_push(S_ISREG(st.st_mode) && st.st_nlink == 1 ? &files : &others, de->d_name);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        if (d)
                closedir(d);
        strv_sort(files.v);
        strv_sort(others.v);
        if ((!files.v && !(files.v = calloc(1, sizeof(char *)))) || (!others.v && !(others.v = calloc(1, sizeof(char *)))))
                return -ENOMEM;
        *ret_files = TAKE_PTR(files.v);
        *ret_others = TAKE_PTR(others.v);
        files = others = (Strv) { 0 };
        return 0;
}

int host_link_name(const HostContext *ctx, const char *path, char **ret) {
        _cleanup_free_ char *p = NULL;
        char target[PATH_MAX];
        const char *base;
        ssize_t n;
        int r;

        r = host_path(ctx, path, &p);
        if (r < 0)
                return r;
        n = readlink(p, target, sizeof target - 1);
        if (n < 0)
                return negative_errno();
        target[n] = '\0';
        base = strrchr(target, '/');
        *ret = strdup(base ? base + 1 : target);
        return *ret ? 0 : -ENOMEM;
}

/* What vmrun may ever write. Everything it changes on the host is one of
 * these: the rest of sysfs is not its business. */
static const struct {
        const char *pattern;
        /* where the PCI device it acts on is named: in the path (the
         * device's own attribute) or in the value written (bind/unbind) */
        enum { DEVICE_NONE, DEVICE_IN_PATH, DEVICE_IN_VALUE } device;
} allowed_writes[] = {
        { "/sys/bus/pci/devices/*/driver_override", DEVICE_IN_PATH },
        { "/sys/bus/pci/devices/*/rom", DEVICE_IN_PATH },
        { "/sys/bus/pci/drivers/*/bind", DEVICE_IN_VALUE },
        { "/sys/bus/pci/drivers/*/unbind", DEVICE_IN_VALUE },
        { "/sys/bus/pci/drivers_probe", DEVICE_IN_VALUE },
        { "/sys/class/vtconsole/vtcon*/bind", DEVICE_NONE },
        { "/sys/bus/platform/drivers/*/bind", DEVICE_NONE },
        { "/sys/bus/platform/drivers/*/unbind", DEVICE_NONE },
        { "/sys/class/backlight/*/brightness", DEVICE_NONE },
};

int host_check_device_allowed(const HostContext *ctx, const char *pci_address) {
        _cleanup_free_ char *path = NULL;
        unsigned long class;
        unsigned base;
        int r;

        if (strchr(pci_address, '/') || pci_address[0] == '.')
                return log_error_errno(-EPERM, "refusing to act on '%s': not a PCI device name", pci_address);
        if (asprintf(&path, "/sys/bus/pci/devices/%s/class", pci_address) < 0)
                return -ENOMEM;
        r = host_read_hex(ctx, path, &class);
        if (r < 0)
                return log_error_errno(r, "read class of PCI device %s: %s", pci_address, STRERROR(r));

        base = (unsigned) (class >> 16) & 0xff;
        if (base == 0x01 && !(ctx->allow_classes & HOST_ALLOW_STORAGE))
                return log_error_errno(-EPERM, "refusing to take PCI device %s (class 0x%06lx, storage) from the host: "
                                       "the host's disks may be on it. If that is really meant, set "
                                       "[host] allow-classes = storage",
                                       pci_address, class);
        if (base == 0x02 && !(ctx->allow_classes & HOST_ALLOW_NETWORK))
                return log_error_errno(-EPERM, "refusing to take PCI device %s (class 0x%06lx, network) from the host: "
                                       "the ssh connection may run over it. If that is really meant, set "
                                       "[host] allow-classes = network",
                                       pci_address, class);
        return 0;
}

static int check_write_allowed(const HostContext *ctx, const char *path, const char *value) {
        for (size_t i = 0; i < ELEMENTSOF(allowed_writes); i++) {
                _cleanup_free_ char *dev = NULL;

                if (fnmatch(allowed_writes[i].pattern, path, FNM_PATHNAME) != 0)
                        continue;
                /* no ".." or other tricks inside a matched component */
                if (strstr(path, "/.") || strstr(path, "//"))
                        break;
                switch (allowed_writes[i].device) {
                case DEVICE_NONE:
                        return 0;
                case DEVICE_IN_PATH: {
                        const char *s = path + strlen("/sys/bus/pci/devices/");
                        dev = strndup(s, strcspn(s, "/"));
                        break;
                }
                case DEVICE_IN_VALUE:
                        dev = strndup(value, strcspn(value, "\n"));
                        break;
                }
                if (!dev)
                        return -ENOMEM;
                return host_check_device_allowed(ctx, dev);
        }
        return log_error_errno(-EPERM, "refusing to write to %s: not one of the attributes vmrun changes", path);
}

typedef struct SysfsWrite {
        const char *path;
        const char *value;
} SysfsWrite;

/* In the writer child: its exit status is the write's errno, 0 if none. */
static int write_attribute(void *userdata) {
        const SysfsWrite *w = userdata;
        size_t l = strlen(w->value);
        int fd = open(w->path, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return errno;
        if (write(fd, w->value, l) != (ssize_t) l)
                return errno ? errno : EIO;
        if (close(fd) < 0)
                return errno;
        return 0;
}

int host_write(const HostContext *ctx, const char *path, const char *value, usec_t timeout) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int pidfd = -1;
        siginfo_t si;
        usec_t t = timeout ? timeout : ctx->write_timeout ? ctx->write_timeout : HOST_WRITE_TIMEOUT;
        pid_t pid;
        int r;

        r = check_write_allowed(ctx, path, value);
        if (r < 0)
                return r;
        r = host_path(ctx, path, &p);
        if (r < 0)
                return r;

        log_debug("write '%s' to %s", value, p);

        /* The write runs in a child: if the kernel never returns from it
         * (a driver's remove() waiting for a device that is gone), only the
         * child is stuck, and vmrun can report it and undo the rest. */
        r = spawn(&(const Spawn) {
                        .run = write_attribute,
                        .userdata = &(SysfsWrite) { .path = p, .value = value },
                        .fds = (const int[]) { -1, -1, -1 },
                        .n_fds = 3,
                  },
                  &pid, &pidfd);
        if (r < 0)
                return r;
        r = pidfd_wait(pidfd, deadline_after(t));
        if (r == -ETIMEDOUT) {
                log_error("writing '%s' to %s did not return within %llus: the kernel is stuck in the driver; "
                          "the writer (pid %d) is left behind. Check `dmesg` and /proc/%d/stack",
                          value, p, (unsigned long long) (t / USEC_PER_SEC), (int) pid, (int) pid);
                return -ETIMEDOUT;
        }
        if (r < 0 || (r = pidfd_reap(pidfd, &si)) < 0)
                return r;
        if (si.si_code != CLD_EXITED)
                return -EIO;
        return -si.si_status;
}

static bool digits(const char *s, size_t n) {
        return n > 0 && strspn(s, "0123456789") >= n;
}

/* The only device nodes QEMU's user is ever given, by name and by device
 * number: a node elsewhere, or one of these names made for another device,
 * would hand the guest whatever it is (a disk, /dev/mem). */
static bool chown_device_allowed(const char *path, dev_t rdev) {
        const char *g;

        /* a group node, or the container node, which udev makes 0666 but
         * a bare devtmpfs leaves root's 0600 */
        if ((g = startswith(path, "/dev/vfio/")))
                return streq(g, "vfio") || (digits(g, 1) && g[strspn(g, "0123456789")] == '\0');
        /* an event device QEMU reads and grabs ([input] evdev): the input
         * subsystem's major */
        if ((g = startswith(path, "/dev/input/event")))
                return digits(g, 1) && g[strspn(g, "0123456789")] == '\0' && major(rdev) == 13;
        /* a USB device QEMU takes ([usb] devices), as usbfs names it:
         * /dev/bus/usb/BBB/DDD, major 189 */
        if ((g = startswith(path, "/dev/bus/usb/")))
                return strlen(g) == 7 && digits(g, 3) && g[3] == '/' && digits(g + 4, 3) && major(rdev) == 189;
        return false;
}

int host_open_inode(const HostContext *ctx, const char *path, int *ret_fd, struct stat *ret_st) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = host_path(ctx, path, &p);
        if (r < 0)
                return r;
        fd = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, ret_st) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int host_chown(const HostContext *ctx, const char *path, uid_t uid, gid_t gid, uid_t *ret_uid, gid_t *ret_gid) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        /* the check and the chown are about the same inode, and a symlink
         * put in its place is not followed */
        r = host_open_inode(ctx, path, &fd, &st);
        if (r < 0)
                return r;
        if (S_ISCHR(st.st_mode)) {
                if (!chown_device_allowed(path, st.st_rdev))
                        return log_error_errno(-EPERM, "refusing to give %s to the QEMU user: the only devices it gets are "
                                               "VFIO groups, event devices (/dev/input/eventN) and USB devices "
                                               "(/dev/bus/usb/BBB/DDD)",
                                               path);
        } else if (S_ISREG(st.st_mode)) {
                /* a second name could be anywhere, /etc/shadow's included */
                if (st.st_nlink != 1)
                        return log_error_errno(-EPERM, "refusing to give %s to the QEMU user: it has %ju hard links",
                                               path, (uintmax_t) st.st_nlink);
        } else if (!S_ISDIR(st.st_mode))
                return log_error_errno(-EPERM, "refusing to give %s to the QEMU user: not a file, directory or "
                                       "device node it may have", path);
        if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
                return negative_errno();
        if (ret_uid)
                *ret_uid = st.st_uid;
        if (ret_gid)
                *ret_gid = st.st_gid;
        return 0;
}

int host_owner(const HostContext *ctx, const char *path, uid_t *ret_uid, gid_t *ret_gid) {
        _cleanup_free_ char *p = NULL;
        struct stat st;
        int r;

        r = host_path(ctx, path, &p);
        if (r < 0)
                return r;
        if (fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        *ret_uid = st.st_uid;
        *ret_gid = st.st_gid;
        return 0;
}

int host_modules(HostContext *ctx, Modules **ret) {
        if (!ctx->modules) {
                int r = modules_new(&ctx->modules);
                if (r < 0)
                        return log_error_errno(r, "libkmod: %s", STRERROR(r));
        }
        *ret = ctx->modules;
        return 0;
}

int host_user_units(HostContext *ctx, uid_t uid, Units **ret) {
        UserUnits *n;
        Units *u = NULL;
        int r;

        for (size_t i = 0; i < ctx->n_user_units; i++)
                if (ctx->user_units[i].uid == uid) {
                        if (ctx->user_units[i].error < 0)
                                return ctx->user_units[i].error;
                        *ret = ctx->user_units[i].units;
                        return 0;
                }
        n = reallocarray(ctx->user_units, ctx->n_user_units + 1, sizeof(UserUnits));
        if (!n)
                return -ENOMEM;
        ctx->user_units = n;
        r = units_new_user(ctx->root, uid, &u);
        if (r == -ENOMEM)
                return r;
        ctx->user_units[ctx->n_user_units++] = (UserUnits) { .uid = uid, .units = u, .error = r < 0 ? r : 0 };
        if (r < 0)
                return r;
        *ret = u;
        return 0;
}

int host_units(HostContext *ctx, Units **ret) {
        /* said once: every unit name asked about would say it again */
        if (ctx->units_error < 0)
                return ctx->units_error;
        if (!ctx->units) {
                int r = units_new(&ctx->units);
                if (r < 0)
                        return ctx->units_error = log_error_errno(r, "connect to systemd on the system bus: %s",
                                                                  STRERROR(r));
        }
        *ret = ctx->units;
        return 0;
}
