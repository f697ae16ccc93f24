/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <systemd/sd-login.h>

#include "basic/log.h"
#include "host/session.h"
#include "basic/strv.h"

static bool session_is_graphical(const char *session) {
        _cleanup_free_ char *type = NULL;

        if (sd_session_get_type(session, &type) < 0)
                return false;
        return streq(type, "x11") || streq(type, "wayland") || streq(type, "mir");
}

/* The graphical session this process would go down with, if any. */
static int find_graphical_session(char **ret) {
        _cleanup_free_ char *session = NULL, *user_unit = NULL;
        _cleanup_strv_free_ char **sessions = NULL;
        uid_t uid;

        if (sd_pid_get_session(0, &session) >= 0) {
                if (!session_is_graphical(session))
                        return 0;
                *ret = TAKE_PTR(session);
                return 1;
        }
        /* Desktop terminals run as apps of the user's service manager,
         * which is not in the session, but whose apps go when it ends. */
        if (sd_pid_get_user_unit(0, &user_unit) < 0 || sd_pid_get_owner_uid(0, &uid) < 0)
                return 0;
        if (sd_uid_get_sessions(uid, 1, &sessions) < 0)
                return 0;
        for (size_t i = 0; sessions && sessions[i]; i++)
                if (session_is_graphical(sessions[i])) {
                        *ret = strdup(sessions[i]);
                        return *ret ? 1 : -ENOMEM;
                }
        return 0;
}

int session_check_survives(const char *profile_path, const char *vm) {
        _cleanup_free_ char *session = NULL;
        int r;

        r = find_graphical_session(&session);
        if (r <= 0)
                return r;
        return log_error_errno(-EDEADLK, "vmrun runs in graphical session %s, which ends when the display manager "
                               "stops: it would die half-way through the handover. Run it from ssh, or as its own "
                               "unit: `systemctl start vmrun@%s` (with the profile in /etc/vmrun/%s.profile) or "
                               "`systemd-run --unit=vmrun-%s --collect --same-dir vmrun run %s`",
                               session, vm, vm, vm, profile_path);
}
