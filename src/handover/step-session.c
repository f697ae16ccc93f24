/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "basic/log.h"
#include "host/logind.h"
#include "handover/step-types.h"

/* end-session: a login session on the GPU's seat whose compositor holds
 * the card is ended through logind, which also closes the devices it
 * holds for it. Nothing brings that session back; the display manager,
 * started again by its own step's undo, logs the user in anew (autologin)
 * or shows its greeter.
 *
 * Its deadline is the profile's [host] timeout-release: logind stops the
 * session's scope with SIGTERM, and only after the scope's own stop
 * timeout (90 s) with SIGKILL; a compositor that has not gone by the
 * deadline is not waited for longer. A session logind is closing already
 * (the display manager's stop took its leader, sddm's helper, and logind
 * only abandoned its scope: Plasma's startplasma-wayland stays in it)
 * gets SIGTERM through KillSession, SIGKILL halfway to the deadline
 * (login_session_terminate). */

/* "PID 1234 (sleep), PID 1240 (weston)": what is left in the session's
 * scope, for the error when it would not end (systemd's layout of
 * cgroups: user.slice/user-UID.slice/session-ID.scope). */
static char *session_processes(HostContext *ctx, const LoginSession *s) {
        _cleanup_free_ char *rel = NULL, *procs = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char *list = NULL;
        size_t size = 0, len = 0;

        if (asprintf(&rel, "/sys/fs/cgroup/user.slice/user-%u.slice/session-%s.scope/cgroup.procs",
                     (unsigned) s->uid, s->id) < 0 || host_path(ctx, rel, &procs) < 0)
                return NULL;
        f = fopen(procs, "re");
        while (f && getline(&line, &size, f) >= 0 && len < 400) {
                _cleanup_free_ char *comm_path = NULL, *comm = NULL;
                char *grown;
                int pid = atoi(line);

                if (pid <= 0 || asprintf(&comm_path, "/proc/%d/comm", pid) < 0)
                        continue;
                if (host_read(ctx, comm_path, &comm) < 0)
                        continue;
                if (asprintf(&grown, "%s%sPID %d (%s)", list ? list : "", list ? ", " : "", pid, comm) < 0)
                        break;
                free(list);
                list = grown;
                len = strlen(list);
        }
        return list;
}

static int end_session_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *id = str_param(params, "session"), *user = str_param(params, "user");
        _cleanup_(login_session_done) LoginSession s = { 0 };
        _cleanup_json_ json_t *record = NULL;
        int r;

        r = login_session_read(ctx, id, &s);
        if (r == -ENOENT) {
                log_info("session %s of %s: gone already, nothing to end", id, strempty(user));
                return record_new(ret_record, "{s:s, s:s?, s:b}", "session", id, "user", user, "ended", 0);
        }
        if (r < 0)
                return log_error_errno(r, "read session %s: %s; see `loginctl session-status %s`", id, STRERROR(r), id);
        r = record_intent(intent, &record, "{s:s, s:s, s:b}", "session", id, "user", s.user, "ended", 1);
        if (r < 0)
                return r;
        r = login_session_terminate(id, deadline_after(param_seconds(params, "timeout", 30)));
        if (r == -ETIMEDOUT) {
                _cleanup_free_ char *left = session_processes(ctx, &s);
                return log_error_errno(r, "session %s of %s was still there %llus after logind was asked to end it "
                                       "([host] timeout-release); left in it: %s (ignoring SIGTERM?); see `loginctl "
                                       "session-status %s`", id, s.user,
                                       (unsigned long long) (param_seconds(params, "timeout", 30) / USEC_PER_SEC),
                                       left ? left : "no process vmrun could read", id);
        }
        if (r < 0)
                return log_error_errno(r, "end session %s of %s through logind: %s", id, s.user, STRERROR(r));
        *ret_record = TAKE_PTR(record);
        return 0;
}

static int end_session_undo(_unused_ HostContext *ctx, const json_t *record) {
        if (json_is_true(json_object_get(record, "ended")))
                log_info("session %s of %s was ended: the display manager logs in anew", str_param(record, "session"),
                         strempty(str_param(record, "user")));
        return 0;
}

const HostStepType step_end_session = {
        .name = "end-session",
        .apply = end_session_apply,
        .undo = end_session_undo,
};
