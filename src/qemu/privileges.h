/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* QEMU parses whatever the guest does; it must not run as root. vmrun
 * prepares as root (sysfs, modules, the files QEMU needs), then the child
 * that becomes QEMU drops to [qemu] user: supplementary groups (kvm, for
 * /dev/kvm), gid, uid, every capability, and no way back (no_new_privs).
 * QEMU's own -runas cannot be used with -sandbox elevateprivileges=deny,
 * so vmrun drops them itself before exec. */

#include <sys/types.h>

#include "basic/util.h"

typedef struct QemuCredentials {
        char *user;
        uid_t uid;
        gid_t gid;
        gid_t *groups;          /* supplementary, from the group database */
        int n_groups;
} QemuCredentials;

/* -ENOENT: no such user. Looked up before fork: the child must not touch
 * NSS. */
int qemu_credentials_lookup(const char *user, QemuCredentials *ret);
void qemu_credentials_done(QemuCredentials *c);

static inline bool qemu_credentials_privileged(const QemuCredentials *c) {
        return c->uid == 0;
}

/* In the child between fork and exec (async-signal-safe calls only).
 * First: VFIO pins guest RAM, so the locked-memory limit must cover it
 * (raising the hard limit needs CAP_SYS_RESOURCE, hence before the drop).
 * Then, unless the credentials are root's, become that user with no
 * capabilities left. Both return 0 or a negative errno; the caller
 * _exit()s on failure. */
int privileges_raise_memlock(uint64_t memlock);

/* Before anything changes: can privileges_raise_memlock(memlock) work
 * here? -EPERM when the hard limit (*ret_hard) is lower and vmrun lacks
 * CAP_SYS_RESOURCE to lift it (a container, a unit's LimitMEMLOCK=). */
int privileges_memlock_check(uint64_t memlock, uint64_t *ret_hard);
int privileges_drop(const QemuCredentials *c);

/* Start argv as `user` (through spawn()): a session of its own (a ^C or
 * hangup meant for vmrun does not reach it), /dev/null in, `out_fd` as
 * stdout and stderr, fds[i] at descriptor i for 3 <= i < n_fds (-1: none)
 * and no other descriptor, the locked-memory limit raised (memlock > 0),
 * `user`'s privileges, then exec. The child exits 126 if the set-up fails
 * and 127 if the exec does, saying why on `out_fd`. */
int privileges_spawn(char *const *argv, const QemuCredentials *user, const int *fds, int n_fds, int out_fd,
                     uint64_t memlock, pid_t *ret_pid, int *ret_pidfd);

/* Which of `paths` the QEMU user cannot reach with `modes` (access(2)
 * modes, one per path), tried in a child that dropped to that user.
 * *ret_errors gets one errno per path (0: fine). */
int privileges_check_access(const QemuCredentials *c, char *const *paths, const int *modes, size_t n,
                            int **ret_errors);

/* `path` opened with `flags` as the QEMU user would open it: in a child
 * that dropped to that user, the descriptor handed back. Root reads what
 * QEMU may read and nothing more, whatever the path leads to by the time
 * it is opened. Where no drop is needed (vmrun not root, QEMU as root) it
 * is opened here. */
int privileges_open(const QemuCredentials *c, const char *path, int flags, int *ret_fd);
