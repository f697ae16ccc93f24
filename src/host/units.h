/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* systemd units over D-Bus (sd-bus, the system bus): stopping and starting
 * waits for the job to finish (its JobRemoved signal), not a sleep, and
 * fails with the job's result when it is not "done". */

#include "basic/util.h"

typedef struct Units Units;

int units_new(Units **ret);
/* The service manager of user `uid` (systemd --user), through its private
 * socket /run/user/UID/systemd/private under `root`, connected as the user
 * and served by a process of the user's (host/user-connect.h): it needs
 * no user bus. -ENOENT when that manager is not running; -EPERM when the
 * socket or its directory is not the user's own. */
int units_new_user(const char *root, uid_t uid, Units **ret);
Units *units_free(Units *u);
static inline void units_freep(Units **u) {
        units_free(*u);
}
#define _cleanup_units_ _cleanup_(units_freep)

/* Why the last call on `u` failed, in systemd's own words (its D-Bus
 * error's text, "the stop job's result was 'failed'"); "" when none did.
 * A caller's error gives this, not the errno: systemd's refusal of a unit
 * that may be stopped by dependency only is EINVAL to sd-bus. Manual
 * stops and starts that a unit refuses (RefuseManualStop=yes, masked)
 * return -EPERM. */
const char *units_last_error(const Units *u);

/* The error to give the user for a failed call on `u` that returned `r`. */
#define UNITS_ERROR(u, r) (*units_last_error(u) ? units_last_error(u) : STRERROR(r))

/* A start or stop the manager refused outright (no job was made) and will
 * refuse again: the unit refuses manual starts or stops, is masked, or is
 * no longer there. */
static inline bool unit_refused(int r) {
        return r == -EPERM || r == -ENOENT;
}

/* What the plan must know of a unit before it stops one or leaves it. */
typedef struct UnitInfo {
        char *id;               /* "org.gnome.Shell@wayland.service" */
        char *active_state;
        char **part_of;         /* PartOf=, BindsTo=: what takes it down */
        char **binds_to;
        bool can_stop;          /* false: RefuseManualStop=yes */
        bool can_start;         /* false: RefuseManualStart=yes */
        bool transient;         /* made over D-Bus (app-*.scope, run-*.service): nothing starts it again */
} UnitInfo;

void unit_info_done(UnitInfo *i);

/* The unit `name`, or the unit of process `pid` as the manager itself
 * says (GetUnitByPID), never as the name of its cgroup, which a user
 * can choose. -ENOENT when there is none. */
int unit_info(Units *u, const char *name, UnitInfo *ret);
int unit_info_of_pid(Units *u, pid_t pid, UnitInfo *ret);

/* Does stopping `target` take `unit` down: is `target` reached from it
 * through PartOf= and BindsTo=, within a few steps? */
int unit_stops_with(Units *u, const UnitInfo *unit, const char *target, bool *ret);

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
