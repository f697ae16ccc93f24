/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* systemd units over D-Bus (sd-bus, the system bus): stopping and starting
 * waits for the job to finish (its JobRemoved signal), not a sleep, and
 * fails with the job's result when it is not "done". */

#include "basic/util.h"

typedef struct Units Units;

int units_new(Units **ret);
/* The service manager of user `uid` (systemd --user), through its private
 * socket /run/user/UID/systemd/private under `root`: root may talk to it,
 * and it needs no user bus. -ENOENT when that manager is not running. */
int units_new_user(const char *root, uid_t uid, Units **ret);
Units *units_free(Units *u);
static inline void units_freep(Units **u) {
        units_free(*u);
}
#define _cleanup_units_ _cleanup_(units_freep)

/* The unit's real name behind an alias: "display-manager.service" →
 * "gdm.service". -ENOENT if no such unit is known (LoadState not-found). */
int unit_resolve(Units *u, const char *name, char **ret_id);

/* ActiveState: "active", "inactive", "failed", "activating", ... */
int unit_active_state(Units *u, const char *name, char **ret);

/* Stop (or start) a unit and wait for the job before `deadline`. Logs the
 * job's result at error level when it is not "done" and returns -EIO;
 * -ETIMEDOUT when the deadline passes (the job goes on in systemd). */
int unit_stop(Units *u, const char *name, usec_t deadline);
int unit_start(Units *u, const char *name, usec_t deadline);

/* Moves process `pid` into a new scope unit `name` (in `slice`) and waits
 * for the job: the process then lives apart from the session or service it
 * was started in, and stopping the scope (after `timeout_stop`, SIGKILL)
 * ends it alone. The scope is gone once its last process has exited. */
int unit_start_scope(Units *u, const char *name, const char *slice, const char *description, pid_t pid,
                     usec_t timeout_stop, usec_t deadline);

/* The main process of service `name` (MainPID; 0 when it has none). Fails
 * for a unit that is no service. */
int unit_main_pid(Units *u, const char *name, pid_t *ret);
