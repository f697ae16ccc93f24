/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/paths.h"
#include "run/locks.h"

static int lock_path(const char *kind, const char *name, char **ret) {
        return asprintf(ret, VMRUN_LOCK_DIR "/%s-%s.lock", kind, name) < 0 ? -ENOMEM : 0;
}

/* VMRUN_LOCK_DIR/KIND-NAME.lock, write-locked (an open file description
 * lock) while the holder lives: a crashed holder releases it with its
 * last descriptor. The file says who holds it, for the message of the one
 * refused, and may be read by anyone: `vmrun status` as a user. */
static int run_lock(const char *kind, const char *name, const char *holder, int *ret_fd, char **ret_holder) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = lock_path(kind, name, &path);
        if (r < 0)
                return r;
        r = mkdir_parents(VMRUN_LOCK_DIR, 0755);
        if (r < 0)
                return r;
        /* never unlinked: removing a lock file races with the next taker */
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
                char buf[256];
                ssize_t n;

                if (errno != EAGAIN && errno != EACCES)
                        return negative_errno();
                if (ret_holder) {
                        n = pread(fd, buf, sizeof buf - 1, 0);
                        buf[n > 0 ? n : 0] = '\0';
                        buf[strcspn(buf, "\n")] = '\0';
                        *ret_holder = strdup(buf);
                }
                return -EBUSY;
        }
        if (holder && (ftruncate(fd, 0) < 0 || pwrite(fd, holder, strlen(holder), 0) < 0))
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int vm_lock_held(const char *name, bool *ret) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = lock_path("vm", name, &path);
        if (r < 0)
                return r;
        /* no O_CREAT: a probe leaves nothing behind */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno == ENOENT) {
                *ret = false;
                return 0;
        }
        if (fd < 0 || fcntl(fd, F_OFD_GETLK, &fl) < 0)
                return negative_errno();
        *ret = fl.l_type != F_UNLCK;
        return 0;
}

int vm_lock(const char *name, int *ret_fd) {
        return run_lock("vm", name, NULL, ret_fd, NULL);
}

int device_lock(const char *pci_address, const char *vm, int *ret_fd, char **ret_holder) {
        return run_lock("pci", pci_address, vm, ret_fd, ret_holder);
}

void device_locks_done(DeviceLocks *l) {
        for (size_t i = 0; i < l->n; i++)
                closep(&l->fds[i]);
        l->n = 0;
}

/* One VM per device, across VMs: the handover of a second one would take
 * a GPU from under a running guest. */
int device_locks_take(const Plan *plan, DeviceLocks *locks) {
        const Profile *p = plan->profile;
        int r;

        if (!p->has_gpu)
                return 0;
        for (size_t i = 0; i <= strv_length(plan->gpu_functions) && locks->n < ELEMENTSOF(locks->fds); i++) {
                const char *dev = i == 0 ? p->gpu_address : plan->gpu_functions[i - 1];
                _cleanup_free_ char *holder = NULL;

                r = device_lock(dev, p->name, &locks->fds[locks->n], &holder);
                if (r == -EBUSY)
                        return log_error_errno(r, "%s is in use by VM %s; stop that one first (`vmrun shutdown %s`)", dev,
                                               holder && *holder ? holder : "(unknown)", holder && *holder ? holder : "NAME");
                if (r < 0)
                        return log_error_errno(r, "lock %s under %s: %s", dev, VMRUN_LOCK_DIR, STRERROR(r));
                locks->n++;
        }
        return 0;
}
