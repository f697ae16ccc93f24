/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* logind's sessions, as the GPU's holders need them: who a session's
 * processes are (user, seat), which seat the GPU is on, and ending a
 * session through logind's D-Bus API, waiting for it to be gone. */

#include <sys/types.h>

#include "basic/util.h"
#include "host/host.h"

typedef struct LoginSession {
        char *id;
        char *user;
        uid_t uid;
        char *seat;             /* NULL: a session on no seat (ssh, a console login without one) */
        char *type;             /* tty, x11, wayland: greetd's weston session says tty */
        char *class;            /* user, greeter */
        char *devices;          /* "226:0 116:2": the devices its controller took (TakeDevice) */
        char *state;            /* online, active, closing (its leader gone, or ended: on its way out) */
} LoginSession;

void login_session_done(LoginSession *s);

/* Session `id` as logind records it in /run/systemd/sessions/ID under the
 * host's root (what sd-login reads; a fake tree in the tests). -ENOENT
 * when there is no such session. */
int login_session_read(const HostContext *ctx, const char *id, LoginSession *ret);

/* "session-3.scope" → "3"; NULL for any other unit. */
const char *login_session_of_scope(const char *unit, char *buf, size_t size);

/* Does session `s` hold device `rdev` through logind (TakeDevice)? */
bool login_session_has_device(const LoginSession *s, dev_t rdev);

/* The ids of the sessions on `seat`, sorted; empty when there are none. */
int login_sessions_on_seat(const HostContext *ctx, const char *seat, char ***ret);

/* The seat udev gave the PCI device (ID_SEAT in its udev record), "seat0"
 * when it names none, as logind decides. */
int device_seat(const HostContext *ctx, const char *pci_address, char **ret);

/* Ask logind to end session `id` (TerminateSession) and wait for its
 * SessionRemoved signal before `deadline`. A session logind is closing
 * already (its leader went: a display manager stopped before its
 * session was ended) is not stopped again by TerminateSession, its scope
 * only abandoned: what is left in it is sent SIGTERM (KillSession), and
 * SIGKILL when it is still there halfway to the deadline. 0 also when
 * the session was gone already; -ETIMEDOUT when it is still there at the
 * deadline. Logs at debug level only. */
int login_session_terminate(const char *id, usec_t deadline);
