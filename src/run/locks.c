/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/paths.h"
#include "basic/process.h"
#include "run/locks.h"

/* Who may learn whether a VM's supervisor lives, without its lock. */
#define VMRUN_ALIVE_DIR "/run/vmrun/alive"

static int lock_path(const char *kind, const char *name, char **ret) {
        return asprintf(ret, VMRUN_LOCK_DIR "/%s-%s.lock", kind, name) < 0 ? -ENOMEM : 0;
}

/* Root's alone: a file anyone may open is a lock anyone may hold, and a
 * read lock of theirs keeps root's write lock out. An older vmrun left
 * the directory 0755. */
static int lock_dir(void) {
        struct stat st;
        int r;

        r = mkdir_parents(VMRUN_LOCK_DIR, 0700);
        if (r < 0)
                return r;
        if (lstat(VMRUN_LOCK_DIR, &st) < 0)
                return negative_errno();
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0)
                return log_debug_errno(-EPERM, "%s is not root's directory", VMRUN_LOCK_DIR);
        if ((st.st_mode & 07777) != 0700 && chmod(VMRUN_LOCK_DIR, 0700) < 0)
                return negative_errno();
        return 0;
}

/* VMRUN_LOCK_DIR/KIND-NAME.lock, write-locked (an open file description
 * lock) while the holder lives: a crashed holder releases it with its
 * last descriptor. The file says who holds it, for the message of the one
 * refused; only root opens it (`vmrun status` as a user reads
 * VMRUN_ALIVE_DIR instead). */
static int run_lock(const char *kind, const char *name, const char *holder, int *ret_fd, char **ret_holder) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = lock_path(kind, name, &path);
        if (r < 0)
                return r;
        r = lock_dir();
        if (r < 0)
                return r;
        /* never unlinked: removing a lock file races with the next taker */
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        /* one an older vmrun made 0644 */
        if (fchmod(fd, 0600) < 0)
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

/* For a user, who may not open the lock: the supervisor's PID and its
 * start time, which a dead supervisor's reused PID does not match. */
static int vm_alive_read(const char *name, bool *ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_json_ json_t *j = NULL;
        json_int_t pid = 0, start = 0;
        uint64_t now_start;

        if (asprintf(&path, VMRUN_ALIVE_DIR "/%s.json", name) < 0)
                return -ENOMEM;
        j = json_load_file(path, 0, NULL);
        if (!j) {
                *ret = false;
                return 0;
        }
        if (json_unpack(j, "{s:I, s:I}", "supervisor_pid", &pid, "supervisor_start_time", &start) < 0 || pid <= 0)
                return -EBADMSG;
        *ret = pid_start_time((pid_t) pid, &now_start) >= 0 && now_start == (uint64_t) start;
        return 0;
}

int vm_alive_publish(const char *name) {
        _cleanup_free_ char *path = NULL;
        _cleanup_json_ json_t *j = NULL;
        uint64_t start;
        int r;

        r = pid_start_time(getpid(), &start);
        if (r < 0)
                return r;
        r = mkdir_parents(VMRUN_ALIVE_DIR, 0755);
        if (r < 0)
                return r;
        if (asprintf(&path, VMRUN_ALIVE_DIR "/%s.json", name) < 0)
                return -ENOMEM;
        j = json_pack("{s:I, s:I}", "supervisor_pid", (json_int_t) getpid(), "supervisor_start_time", (json_int_t) start);
        if (!j)
                return -ENOMEM;
        return json_write_atomic(path, j, 0644);
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
        if (fd < 0 && errno == EACCES)
                return vm_alive_read(name, ret);
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
int device_locks_take_all(const char *const *devices, size_t n, const char *vm, DeviceLocks *locks,
                          const char **ret_busy, char **ret_holder) {
        for (size_t i = 0; i < n && locks->n < ELEMENTSOF(locks->fds); i++) {
                _cleanup_free_ char *holder = NULL;
                int r = device_lock(devices[i], vm, &locks->fds[locks->n], &holder);

                if (r == -EBUSY) {
                        *ret_busy = devices[i];
                        *ret_holder = holder && *holder ? TAKE_PTR(holder) : NULL;
                        return r;
                }
                if (r < 0)
                        return log_error_errno(r, "lock %s under %s: %s", devices[i], VMRUN_LOCK_DIR, STRERROR(r));
                locks->n++;
        }
        return 0;
}

int device_locks_take(const Plan *plan, DeviceLocks *locks) {
        const Profile *p = plan->profile;
        const char *devices[ELEMENTSOF(locks->fds)], *busy = NULL;
        _cleanup_free_ char *holder = NULL;
        size_t n = 0;
        int r;

        if (!p->has_gpu)
                return 0;
        devices[n++] = p->gpu_address;
        for (size_t i = 0; plan->gpu_functions && plan->gpu_functions[i] && n < ELEMENTSOF(devices); i++)
                devices[n++] = plan->gpu_functions[i];
        r = device_locks_take_all(devices, n, p->name, locks, &busy, &holder);
        if (r == -EBUSY)
                return log_error_errno(r, "%s is in use by VM %s; stop that one first (`vmrun shutdown %s`)", busy,
                                       holder ? holder : "(unknown)", holder ? holder : "NAME");
        return r;
}
