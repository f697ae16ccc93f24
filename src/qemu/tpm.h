/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* [vm] tpm = yes: the guest's TPM 2.0 is swtpm, a process of its own
 * beside QEMU, which Windows 11 asks for.
 *
 * Its control channel is a socket pair made before either starts: swtpm
 * gets one end (--ctrl type=unixio,clientfd=), QEMU the other (-chardev
 * socket,fd=), and QEMU passes swtpm its data channel over it. So there is
 * no socket file to wait for, nobody else can connect, and QEMU's user
 * needs no way into the VM's runtime directory (root's, 0700).
 *
 * swtpm runs as QEMU's user, dropped the same way (privileges_drop()), and
 * keeps its state in /var/lib/vmrun/NAME/tpm, which that user is given for
 * the run. The supervisor watches it through a pidfd, as it watches QEMU:
 * a swtpm that ends while the guest runs is reported, and after QEMU it is
 * stopped. */

#include <sys/types.h>

#include "qemu/privileges.h"
#include "basic/strv.h"

#define SWTPM_BINARY "/usr/bin/swtpm"

/* Where swtpm finds its end of the control channel after exec. */
#define SWTPM_FD_CTRL 3

typedef struct Tpm Tpm;

/* swtpm's argv, for a state in `state_dir`. -EINVAL when `state_dir` has
 * a ',': swtpm's options have no way to escape one. */
int tpm_swtpm_argv(const char *state_dir, Strv *ret);

/* Fork and exec `argv` (tpm_swtpm_argv()) as `user`. *ret_qemu_fd is
 * QEMU's end of the control channel (close-on-exec), for QEMU_FD_TPM.
 * Logs its errors. */
int tpm_start(char *const *argv, const QemuCredentials *user, Tpm **ret, int *ret_qemu_fd);

pid_t tpm_pid(const Tpm *t);
/* Readable once swtpm has exited: then call tpm_reap(). */
int tpm_pidfd(const Tpm *t);
/* swtpm's stdout and stderr: when readable, call tpm_read_output(). */
int tpm_output_fd(const Tpm *t);

/* Once tpm_pidfd() is readable: reap swtpm. */
int tpm_reap(Tpm *t);

/* It exited with status 0 by itself: what it does when QEMU closes the data
 * channel, which QEMU does while it shuts down, before it has exited (and
 * also what it does on a SIGTERM from someone else). */
bool tpm_ended_cleanly(const Tpm *t);

/* Say how the reaped swtpm ended, once: while the guest runs that is an
 * error (the guest's TPM no longer answers); after QEMU it is expected. */
void tpm_report(Tpm *t, bool guest_running);

/* Log what swtpm wrote, line by line. false at its end (stop polling). */
bool tpm_read_output(Tpm *t);

/* After QEMU has exited: swtpm ends by itself when QEMU's end of the data
 * channel closes; if it has not within a few seconds, SIGTERM, and then
 * SIGKILL, each step with a deadline. Logs how it ended. -ETIMEDOUT when it
 * is still there after SIGKILL. NULL: nothing to do. */
int tpm_stop(Tpm *t);

/* tpm_stop()'s steps for a swtpm that is not this process's child (its
 * supervisor died; `vmrun restore`): `pidfd` is a pidfd_open() of it. */
int tpm_stop_orphan(int pidfd, pid_t pid);

/* A swtpm still running is killed and reaped. */
Tpm *tpm_free(Tpm *t);
static inline void tpm_freep(Tpm **t) {
        tpm_free(*t);
}
#define _cleanup_tpm_ _cleanup_(tpm_freep)
