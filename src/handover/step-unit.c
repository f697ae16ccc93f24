/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/host.h"
#include "host/units.h"
#include "handover/step-types.h"

/* systemd may take a while to stop a display manager (it waits for the
 * session to end) or to start it again */
#define UNIT_TIMEOUT (90 * USEC_PER_SEC)

/* stop-unit: a unit holding the GPU (the display manager, the profile's
 * stop-units) is stopped through systemd, and started again if it ran. */

static int stop_unit_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *name = str_param(params, "unit");
        _cleanup_free_ char *id = NULL, *state = NULL;
        _cleanup_json_ json_t *record = NULL;
        Units *u;
        int r;

        r = host_units(ctx, &u);
        if (r < 0)
                return r;
        r = unit_resolve(u, name, &id);
        if (r == -ENOENT) {
                log_info("%s: no such unit on this host, nothing to stop", name);
                return record_new(ret_record, "{s:s, s:b}", "unit", name, "was_active", 0);
        }
        if (r < 0)
                return log_error_errno(r, "look up unit %s: %s", name, STRERROR(r));
        r = unit_active_state(u, id, &state);
        if (r < 0)
                return log_error_errno(r, "state of %s: %s", id, STRERROR(r));
        if (!streq(state, "active") && !streq(state, "activating") && !streq(state, "reloading")) {
                log_info("%s (%s) is %s, nothing to stop", name, id, state);
                return record_new(ret_record, "{s:s, s:b}", "unit", id, "was_active", 0);
        }
        /* a stop that times out may still finish: the undo starts it */
        r = record_intent(intent, &record, "{s:s, s:b}", "unit", id, "was_active", 1);
        if (r < 0)
                return r;
        r = stop_for_step(u, id, deadline_after(UNIT_TIMEOUT), intent);
        if (r < 0)
                return log_error_errno(r, "stop %s: %s; see `systemctl status %s` and `journalctl -u %s`", id,
                                       UNITS_ERROR(u, r), id, id);
        *ret_record = TAKE_PTR(record);
        return 0;
}

static int stop_unit_undo(HostContext *ctx, const json_t *record) {
        const char *id = str_param(record, "unit");
        Units *u;
        int r;

        if (!json_is_true(json_object_get(record, "was_active")))
                return 0;
        r = host_units(ctx, &u);
        if (r < 0)
                return r;
        r = unit_start(u, id, deadline_after(UNIT_TIMEOUT));
        if (r < 0 && unit_refused(r)) {
                /* every restore would be refused the same: said, not kept */
                log_error("start %s again: systemd refuses: %s; vmrun cannot start it, and will not try again: "
                          "start it yourself if it should run", id, UNITS_ERROR(u, r));
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "start %s again: %s; try `systemctl start %s` and see `journalctl -u %s`", id,
                                       UNITS_ERROR(u, r), id, id);
        return 0;
}

/* Only the record knows whether the unit ran before: the plan cannot
 * tell an inactive display manager from one that failed to come back. */
static int stop_unit_verify(HostContext *ctx, const json_t *record) {
        const char *id = str_param(record, "unit");
        _cleanup_free_ char *state = NULL;
        Units *u;
        int r;

        if (!json_is_true(json_object_get(record, "was_active")))
                return 0;
        r = host_units(ctx, &u);
        if (r >= 0)
                r = unit_active_state(u, id, &state);
        if (r < 0 || !streq(state, "active")) {
                log_error("not back: %s is %s; see `systemctl status %s`", id, state ? state : "unknown", id);
                return -EIO;
        }
        log_info("back: %s active", id);
        return 0;
}

const HostStepType step_stop_unit = {
        .name = "stop-unit",
        .apply = stop_unit_apply,
        .undo = stop_unit_undo,
        .verify = stop_unit_verify,
};
