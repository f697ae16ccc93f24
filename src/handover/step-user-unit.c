/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/devnode.h"
#include "host/host.h"
#include "host/units.h"
#include "handover/step-types.h"

/* stop-user-unit: a unit of a user's service manager that holds one of
 * the GPU's nodes (a mixer applet on its HDA function, a compute job on
 * its render node) and is not part of the graphical session is stopped
 * through that manager, and started again after, if it ran. Only through
 * a manager that runs: vmrun never starts user@UID.service itself, which
 * outside a session would start the user's units without one. */

#define USER_UNIT_TIMEOUT (90 * USEC_PER_SEC)
#define NODE_TIMEOUT (30 * USEC_PER_SEC)

/* What the undo needs: the unit, its manager, the nodes it waits for, and
 * whether there is anything to start again. */
#define RECORD(was_active)                                                                                       \
        "{s:s, s:s, s:I, s:O?, s:b}", "unit", unit, "user", user, "uid", uid, "nodes", nodes, "was_active", \
                (int) (was_active)

static int stop_user_unit_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *unit = str_param(params, "unit"), *user = str_param(params, "user");
        json_int_t uid = json_integer_value(json_object_get(params, "uid"));
        json_t *nodes = json_object_get(params, "nodes");
        _cleanup_(units_freep) Units *u = NULL;
        _cleanup_free_ char *state = NULL;
        _cleanup_json_ json_t *record = NULL;
        int r;

        r = user_manager(ctx, params, &u);
        if (r == -ENOENT) {
                /* it went with its manager (the user's last session
                 * ended): the manager starts it again, if it is enabled,
                 * at the user's next login; vmrun has nothing to start */
                log_info("the service manager of %s has ended, and %s with it: it comes back with %s's next login, "
                         "if it is enabled", user, unit, user);
                return record_new(ret_record, RECORD(false));
        }
        if (r < 0)
                return r;
        r = unit_active_state(u, unit, &state);
        if (r < 0)
                return log_error_errno(r, "state of %s of %s: %s", unit, user, STRERROR(r));
        if (!streq(state, "active") && !streq(state, "activating") && !streq(state, "reloading")) {
                log_info("%s of %s is %s, nothing to stop", unit, user, state);
                return record_new(ret_record, RECORD(false));
        }
        r = record_intent(intent, &record, RECORD(true));
        if (r < 0)
                return r;
        r = stop_for_step(u, unit, deadline_after(USER_UNIT_TIMEOUT), intent);
        if (r < 0)
                return log_error_errno(r, "stop %s of %s: %s; see `systemctl --user -M %s@ status %s`", unit, user,
                                       UNITS_ERROR(u, r), user, unit);
        *ret_record = TAKE_PTR(record);
        return 0;
}

/* The nodes it held, before it opens them again: bound again, a driver
 * registers them after the bind returned. One not back in time is said,
 * and the unit started all the same: its own failure then names it. */
static void wait_for_nodes(HostContext *ctx, const json_t *record) {
        usec_t deadline = deadline_after(NODE_TIMEOUT), start = now_usec();
        json_t *node;
        size_t i;

        json_array_foreach(json_object_get(record, "nodes"), i, node) {
                const char *path = json_string_value(node);
                int r;

                if (!path || path[0] != '/')
                        continue;       /* not from a plan: a damaged journal */
                r = devnode_wait_ready(ctx, path, deadline);
                if (r < 0)
                        log_warning("%s is not back (%s after %.0fs): starting %s of %s all the same; "
                                    "`ls -l %s` and `udevadm info %s` show what is there", path,
                                    r == -ETIMEDOUT ? "not made, or udev not done with it" : STRERROR(r),
                                    (double) (now_usec() - start) / USEC_PER_SEC, str_param(record, "unit"),
                                    str_param(record, "user"), path, path);
                else
                        log_info("back: %s, for %s (waited %.1fs)", path, str_param(record, "unit"),
                                 (double) (now_usec() - start) / USEC_PER_SEC);
        }
}

static int stop_user_unit_undo(HostContext *ctx, const json_t *record) {
        const char *unit = str_param(record, "unit"), *user = str_param(record, "user");
        _cleanup_(units_freep) Units *u = NULL;
        int r;

        if (!json_is_true(json_object_get(record, "was_active")))
                return 0;
        /* its manager's socket units (PipeWire's) may open them first */
        wait_for_nodes(ctx, record);
        r = user_manager(ctx, record, &u);
        if (r == -ENOENT) {
                log_info("the service manager of %s is not running: %s starts with it at %s's next login, if it is "
                         "enabled", user, unit, user);
                return 0;
        }
        if (r < 0)
                return r;
        r = unit_start(u, unit, deadline_after(USER_UNIT_TIMEOUT));
        if (r < 0 && unit_refused(r)) {
                /* every restore would be refused the same: said, not kept */
                log_error("start %s of %s again: its service manager refuses: %s; vmrun will not try again: start it "
                          "yourself if it should run", unit, user, UNITS_ERROR(u, r));
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "start %s of %s again: %s; try `systemctl --user -M %s@ start %s`", unit,
                                       user, UNITS_ERROR(u, r), user, unit);
        return 0;
}

static int stop_user_unit_verify(HostContext *ctx, const json_t *record) {
        const char *unit = str_param(record, "unit"), *user = str_param(record, "user");
        _cleanup_(units_freep) Units *u = NULL;
        _cleanup_free_ char *state = NULL;
        int r;

        if (!json_is_true(json_object_get(record, "was_active")))
                return 0;
        r = user_manager(ctx, record, &u);
        if (r == -ENOENT) {
                log_info("%s of %s: its service manager is not running, nor is the unit", unit, user);
                return 0;
        }
        if (r >= 0)
                r = unit_active_state(u, unit, &state);
        if (r < 0 || !streq(state, "active")) {
                log_error("not back: %s of %s is %s; see `systemctl --user -M %s@ status %s`", unit, user,
                          state ? state : "unknown", user, unit);
                return -EIO;
        }
        log_info("back: %s of %s active", unit, user);
        return 0;
}

const HostStepType step_stop_user_unit = {
        .name = "stop-user-unit",
        .apply = stop_user_unit_apply,
        .undo = stop_user_unit_undo,
        .verify = stop_user_unit_verify,
};
