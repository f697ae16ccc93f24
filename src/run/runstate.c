/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/syscall.h>

#include "handover/handover.h"
#include "basic/paths.h"
#include "run/runstate.h"

void runstate_done(RunState *s) {
        free(s->name);
        free(s->profile);
        free(s->phase);
        free(s->tap);
        *s = (RunState) { 0 };
}

int runstate_write(const char *path, const RunState *s) {
        _cleanup_json_ json_t *j = json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "version", 1, "name", s->name,
                                             "profile", s->profile, "supervisor_pid", (json_int_t) s->supervisor_pid,
                                             "qemu_pid", (json_int_t) s->qemu_pid, "qemu_start_time",
                                             (json_int_t) s->qemu_start_time, "timeout_shutdown",
                                             (json_int_t) s->timeout_shutdown, "phase", s->phase);
        if (!j)
                return -ENOMEM;
        /* optional keys: a state file without them is still version 1 */
        if (s->swtpm_pid > 0 &&
            (json_object_set_new(j, "swtpm_pid", json_integer(s->swtpm_pid)) < 0 ||
             json_object_set_new(j, "swtpm_start_time", json_integer((json_int_t) s->swtpm_start_time)) < 0))
                return -ENOMEM;
        if (s->tap && json_object_set_new(j, "tap", json_string(s->tap)) < 0)
                return -ENOMEM;
        return json_write_atomic(path, j, 0644);
}

int runstate_read(const char *path, RunState *ret) {
        _cleanup_json_ json_t *j = NULL;
        const char *name, *profile, *phase, *tap = NULL;
        json_int_t spid, qpid, start, timeout, tpid = 0, tstart = 0;
        json_error_t err;
        int version;

        j = json_load_file(path, 0, &err);
        if (!j)
                return access(path, F_OK) < 0 ? negative_errno() : -EBADMSG;
        if (json_unpack(j, "{s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s?I, s?I, s?s}", "version", &version, "name", &name,
                        "profile", &profile, "supervisor_pid", &spid, "qemu_pid", &qpid, "qemu_start_time", &start,
                        "timeout_shutdown", &timeout, "phase", &phase, "swtpm_pid", &tpid, "swtpm_start_time",
                        &tstart, "tap", &tap) < 0 ||
            version != 1)
                return -EBADMSG;

        RunState s = {
                .name = strdup(name),
                .profile = strdup(profile),
                .phase = strdup(phase),
                .supervisor_pid = (pid_t) spid,
                .qemu_pid = (pid_t) qpid,
                .qemu_start_time = (uint64_t) start,
                .swtpm_pid = (pid_t) tpid,
                .swtpm_start_time = (uint64_t) tstart,
                .timeout_shutdown = (unsigned) timeout,
                .tap = tap ? strdup(tap) : NULL,
        };
        if (!s.name || !s.profile || !s.phase || (tap && !s.tap)) {
                runstate_done(&s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

/* locks/KIND-NAME.lock, held with flock() while the holder lives: a
 * crashed holder releases it with its last descriptor. The file says who
 * holds it, for the message of the one refused. */
static int run_lock(const char *kind, const char *name, const char *holder, int *ret_fd, char **ret_holder) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (asprintf(&dir, "%s/locks", vm_run_root()) < 0 || asprintf(&path, "%s/%s-%s.lock", dir, kind, name) < 0)
                return -ENOMEM;
        r = mkdir_parents(dir, 0755);
        if (r < 0)
                return r;
        /* never unlinked: removing a lock file races with the next taker */
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                char buf[256];
                ssize_t n;

                if (errno != EWOULDBLOCK)
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

int vm_lock(const char *name, int *ret_fd) {
        return run_lock("vm", name, NULL, ret_fd, NULL);
}

int device_lock(const char *pci_address, const char *vm, int *ret_fd, char **ret_holder) {
        return run_lock("pci", pci_address, vm, ret_fd, ret_holder);
}

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

int pidfd_wait_exit(int pidfd, usec_t deadline) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        for (;;) {
                int r = poll(&p, 1, deadline_to_poll_ms(deadline));
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (r == 0)
                        return -ETIMEDOUT;
                return 0;
        }
}
