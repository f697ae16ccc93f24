/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/units.h"
#include "handover/step-types.h"

/* stop-graphical-session: the compositor of a desktop that runs in its
 * user's service manager (gnome-shell in org.gnome.Shell@wayland.service,
 * kwin in plasma-kwin_wayland.service) is part of that user's graphical
 * session, and ends with it. Its units refuse a stop of their own
 * (RefuseManualStop=yes) and may not be started outside a session, so
 * they are never stopped or started by name: once logind has ended the
 * session (end-session, before this step), graphical-session.target is
 * stopped in that manager, which takes down every unit PartOf or BindsTo
 * it. GNOME's session leader does that itself when logind ends it; Plasma's
 * does not, and its manager outlives it while the user is logged in over
 * ssh. Nothing is started again by vmrun: the display manager's next
 * login starts the session anew. */

#define GRAPHICAL_SESSION_TARGET "graphical-session.target"

static int stop_graphical_session_apply(HostContext *ctx, const json_t *params, StepIntent *intent,
                                        json_t **ret_record) {
        const char *user = str_param(params, "user");
        json_int_t uid = json_integer_value(json_object_get(params, "uid"));
        _cleanup_(units_freep) Units *u = NULL;
        _cleanup_free_ char *state = NULL;
        _cleanup_json_ json_t *record = NULL;
        int r;

        r = user_manager(ctx, params, &u);
        if (r == -ENOENT) {
                log_info("the service manager of %s has ended with its last session, and its graphical session with it",
                         user);
                return record_new(ret_record, "{s:s, s:I, s:b}", "user", user, "uid", uid, "stopped", 0);
        }
        if (r < 0)
                return r;
        r = unit_active_state(u, GRAPHICAL_SESSION_TARGET, &state);
        if (r < 0)
                return log_error_errno(r, "state of %s of %s: %s", GRAPHICAL_SESSION_TARGET, user, UNITS_ERROR(u, r));
        if (!streq(state, "active") && !streq(state, "activating")) {
                log_info("%s of %s is %s: the session's units went with the session", GRAPHICAL_SESSION_TARGET, user,
                         state);
                return record_new(ret_record, "{s:s, s:I, s:b}", "user", user, "uid", uid, "stopped", 0);
        }
        r = record_intent(intent, &record, "{s:s, s:I, s:b}", "user", user, "uid", uid, "stopped", 1);
        if (r < 0)
                return r;
        r = stop_for_step(u, GRAPHICAL_SESSION_TARGET, deadline_after(param_seconds(params, "timeout", 30)), intent);
        if (r < 0)
                return log_error_errno(r, "stop %s of %s: %s; see `systemctl --user -M %s@ list-units --state=active "
                                       "'*.service' '*.target'`", GRAPHICAL_SESSION_TARGET, user, UNITS_ERROR(u, r), user);
        *ret_record = TAKE_PTR(record);
        return 0;
}

static int stop_graphical_session_undo(_unused_ HostContext *ctx, const json_t *record) {
        if (json_is_true(json_object_get(record, "stopped")))
                log_info("the graphical session of %s comes back with the display manager's login, not by vmrun's hand",
                         strempty(str_param(record, "user")));
        return 0;
}

const HostStepType step_stop_graphical_session = {
        .name = "stop-graphical-session",
        .apply = stop_graphical_session_apply,
        .undo = stop_graphical_session_undo,
};
