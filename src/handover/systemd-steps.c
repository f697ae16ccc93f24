/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/units.h"
#include "handover/systemd-steps.h"

int user_manager(HostContext *ctx, const json_t *j, Units **ret) {
        json_int_t uid = json_integer_value(json_object_get(j, "uid"));
        int r;

        r = units_new_user(ctx->root, (uid_t) uid, ret);
        if (r == -EPERM)
                return log_error_errno(r, "reach the service manager of %s: /run/user/%lld/systemd/private or its "
                                       "directory is not served or owned by uid %lld; vmrun acts through no socket "
                                       "another user may have put there. See `ls -l /run/user/%lld/systemd` and "
                                       "`systemctl status user@%lld.service`",
                                       strempty(str_param(j, "user")), (long long) uid, (long long) uid,
                                       (long long) uid, (long long) uid);
        if (r < 0 && r != -ENOENT && r != -ECONNREFUSED)
                return log_error_errno(r, "reach the service manager of %s (uid %lld, /run/user/%lld/systemd/private): %s",
                                       strempty(str_param(j, "user")), (long long) uid, (long long) uid, STRERROR(r));
        return r < 0 ? -ENOENT : 0;
}

int stop_for_step(Units *u, const char *unit, usec_t deadline, StepIntent *intent) {
        int r = unit_stop(u, unit, deadline);

        /* refused before any job: nothing stopped, nothing to undo */
        if (r < 0 && unit_refused(r))
                (void) step_intent_withdraw(intent);    /* logs its own failure; an undo then is refused too */
        return r;
}
