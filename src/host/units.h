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
