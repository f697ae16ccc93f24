/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>

#include "basic/log.h"
#include "host/units.h"
#include "handover/step-types.h"
#include "handover/steps.h"

/* The order a handover does them in; undo goes the other way. */
const HostStepType *const host_step_types[] = {
        &step_stop_unit,
        &step_end_session,
        &step_stop_graphical_session,
        &step_stop_user_unit,
        &step_wait_released,
        &step_unbind_vtconsole,
        &step_unbind_framebuffer,
        &step_backlight,
        &step_unload_module,
        &step_unbind_device,
        &step_load_module,
        &step_bind_vfio,
        &step_check_vfio_group,
        &step_grant,
        NULL,
};

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

const char *str_param(const json_t *j, const char *key) {
        return json_string_value(json_object_get(j, key));
}

usec_t param_seconds(const json_t *j, const char *key, unsigned fallback) {
        json_int_t t = json_integer_value(json_object_get(j, key));
        return (usec_t) (t > 0 ? (unsigned long long) t : fallback) * USEC_PER_SEC;
}

int record_intent(StepIntent *intent, json_t **ret, const char *format, ...) {
        json_t *j;
        va_list ap;
        int r;

        va_start(ap, format);
        j = json_vpack_ex(NULL, 0, format, ap);
        va_end(ap);
        if (!j)
                return -ENOMEM;
        r = step_intent(intent, j);
        if (r < 0) {
                json_decref(j);
                return r;
        }
        *ret = j;
        return 0;
}

int record_new(json_t **ret, const char *format, ...) {
        va_list ap;
        json_t *j;

        va_start(ap, format);
        j = json_vpack_ex(NULL, 0, format, ap);
        va_end(ap);
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}
