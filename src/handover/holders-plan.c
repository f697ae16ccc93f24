/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pwd.h>

#include <stdarg.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "host/holders.h"
#include "host/logind.h"
#include "host/units.h"
#include "handover/holders-plan.h"
#include "handover/step-types.h"

/* Who holds the GPU's nodes on a desktop, and why: the display manager
 * (a unit the plan stops), the compositor of the login session on the
 * GPU's seat (greetd's weston, gdm's gnome-shell, sddm's kwin), logind and
 * PID 1 (logind's descriptors of the devices that compositor took, and
 * their copies in the service manager's fd store), the user's own units
 * (PipeWire with the GPU's HDA function). Each class has its action; only
 * what fits none is refused. */

static const char *const class_names[_HOLDER_CLASS_MAX] = {
        [HOLDER_SELF] = "vmrun",
        [HOLDER_UNIT] = "unit",
        [HOLDER_KNOWN_UNIT] = "known holder",
        [HOLDER_SESSION] = "session",
        [HOLDER_SESSION_DEVICE] = "session device",
        [HOLDER_USER_UNIT] = "user unit",
        [HOLDER_GRAPHICAL_SESSION] = "graphical session",
        [HOLDER_CLOSES_ON_REMOVAL] = "closes on removal",
        [HOLDER_REFUSED] = "refused",
};

const char *holder_class_to_string(HolderClass c) {
        return c >= 0 && c < _HOLDER_CLASS_MAX ? class_names[c] : NULL;
}

void holder_verdict_done(HolderVerdict *v) {
        free(v->session);
        free(v->user);
        free(v->unit);
        free(v->action);
        *v = (HolderVerdict) { 0 };
}

/* Is `unit` one the plan stops? The plan names aliases
 * (display-manager.service), the cgroup the real unit (gdm.service). */
bool holders_unit_is_stopped(HostContext *ctx, const HostSteps *steps, const char *unit) {
        for (size_t i = 0; i < steps->n; i++) {
                _cleanup_free_ char *id = NULL;
                const char *name;
                Units *u;

                if (steps->steps[i].type != &step_stop_unit)
                        continue;
                name = str_param(steps->steps[i].params, "unit");
                if (streq(name, unit))
                        return true;
                if (host_units(ctx, &u) >= 0 && unit_resolve(u, name, &id) >= 0 && streq(id, unit))
                        return true;
        }
        return false;
}

/* Units whose whole job is to keep a GPU's nodes open: stopping them is
 * what their vendor says to do before the driver goes, and they start
 * again with it. */
static const struct {
        const char *unit;
        const char *why;
} known_holder_units[] = {
        { "nvidia-persistenced.service",
          "NVIDIA's persistence daemon, which keeps the GPU initialized while no program uses it" },
};

static const char *known_holder_why(const char *unit) {
        for (size_t i = 0; i < ELEMENTSOF(known_holder_units); i++)
                if (streq(unit, known_holder_units[i].unit))
                        return known_holder_units[i].why;
        return NULL;
}

static int verdict(HolderVerdict *v, HolderClass c, const LoginSession *s, char *action) {
        if (!action)
                return -ENOMEM;
        v->class = c;
        v->action = action;
        if (s && !(v->session = strdup(s->id)))
                return -ENOMEM;
        if (s && !v->user && !(v->user = strdup(s->user)))
                return -ENOMEM;
        return 0;
}

static char *printf_alloc(const char *format, ...) _printf_(1, 2);
static char *printf_alloc(const char *format, ...) {
        char *s = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

/* A process of a login session: ended with it, when the session is on the
 * GPU's seat and the profile lets vmrun end sessions. */
static int classify_session(HostContext *ctx, const Profile *p, const char *seat, const char *id,
                            HolderVerdict *v) {
        _cleanup_(login_session_done) LoginSession s = { 0 };
        int r;

        r = login_session_read(ctx, id, &s);
        if (r < 0)
                return verdict(v, HOLDER_REFUSED, NULL,
                               printf_alloc("in session %s, which logind does not list (%s): end it yourself", id,
                                            STRERROR(r)));
        if (!s.seat || !streq(s.seat, seat))
                return verdict(v, HOLDER_REFUSED, &s,
                               printf_alloc("in session %s of %s on %s, not on the GPU's %s: vmrun ends only the "
                                            "GPU's seat's sessions; end this program yourself",
                                            id, s.user, s.seat ? s.seat : "no seat", seat));
        if (p->end_sessions == END_SESSIONS_NONE)
                return verdict(v, HOLDER_REFUSED, &s,
                               printf_alloc("in session %s of %s on %s: [host] end-sessions = none keeps it; log out "
                                            "(`loginctl terminate-session %s`) or set end-sessions = seat",
                                            id, s.user, seat, id));
        return verdict(v, HOLDER_SESSION, &s,
                       printf_alloc("in session %s of %s on %s (%s): the session is ended through logind", id,
                                    s.user, seat, strempty(s.type)));
}

/* The first session on `seat` that `match` says yes to: 1 and it in
 * *ret, 0 when there is none. */
static int session_on_seat(HostContext *ctx, const char *seat, bool (*match)(const LoginSession *s, const void *data),
                           const void *data, LoginSession *ret) {
        _cleanup_strv_free_ char **ids = NULL;
        int r;

        r = login_sessions_on_seat(ctx, seat, &ids);
        if (r < 0)
                return r;
        for (size_t i = 0; ids[i]; i++) {
                _cleanup_(login_session_done) LoginSession s = { 0 };

                if (login_session_read(ctx, ids[i], &s) < 0 || !match(&s, data))
                        continue;
                *ret = s;
                s = (LoginSession) { 0 };
                return 1;
        }
        return 0;
}

static bool took_device(const LoginSession *s, const void *rdev) {
        return login_session_has_device(s, *(const dev_t *) rdev);
}

/* gnome-shell takes the card from logind through its user's graphical
 * session; a text login of the same user on the seat is not that one */
static bool graphical_of_user(const LoginSession *s, const void *uid) {
        return s->uid == *(const uid_t *) uid && (streq_ptr(s->type, "wayland") || streq_ptr(s->type, "x11"));
}

/* logind keeps a descriptor of each device a session's compositor took
 * (TakeDevice), and a copy in PID 1's fd store to survive its own
 * restart: both go when that session does. */
static int classify_session_device(HostContext *ctx, const Profile *p, const char *seat, const Holder *h,
                                   HolderVerdict *v) {
        _cleanup_(login_session_done) LoginSession s = { 0 };
        const char *who = h->pid == 1 ? "PID 1's fd store keeps logind's copy" : "logind's descriptor";
        int r;

        r = session_on_seat(ctx, seat, took_device, &h->rdev, &s);
        if (r < 0)
                return r;
        if (r == 0)
                return verdict(v, HOLDER_REFUSED, NULL,
                               printf_alloc("%s of a device no session on %s took: restart systemd-logind, or see "
                                            "`loginctl seat-status %s`", who, seat, seat));
        if (p->end_sessions == END_SESSIONS_NONE)
                return verdict(v, HOLDER_REFUSED, &s,
                               printf_alloc("%s of the device session %s of %s took: [host] end-sessions = none keeps "
                                            "the session; log out or set end-sessions = seat", who, s.id, s.user));
        return verdict(v, HOLDER_SESSION_DEVICE, &s,
                       printf_alloc("%s of the device session %s of %s took: released when the session ends", who,
                                    s.id, s.user));
}

/* A unit of the graphical session is stopped by no one but the session:
 * gnome-shell's refuses a manual stop and start, and a kwin started
 * outside a session finds no seat. */
static int classify_graphical(HostContext *ctx, const Profile *p, const char *seat, const Holder *h,
                              const UnitInfo *i, HolderVerdict *v) {
        _cleanup_(login_session_done) LoginSession s = { 0 };
        const char *user = v->user;
        int r;

        if (p->end_sessions == END_SESSIONS_NONE)
                return verdict(v, HOLDER_REFUSED, NULL,
                               printf_alloc("unit %s of %s's service manager, part of %s's graphical session: [host] "
                                            "end-sessions = none keeps it; log out or set end-sessions = seat",
                                            i->id, user, user));
        r = session_on_seat(ctx, seat, graphical_of_user, &h->manager_uid, &s);
        if (r < 0)
                return r;
        return verdict(v, HOLDER_GRAPHICAL_SESSION, r > 0 ? &s : NULL,
                       printf_alloc("unit %s of %s's service manager, part of %s's graphical session%s%s: ends with "
                                    "it (%sgraphical-session.target stopped there); never stopped or started by name, "
                                    "the display manager's login brings it back",
                                    i->id, user, user, r > 0 ? " " : "", r > 0 ? s.id : "",
                                    r > 0 ? "the session ended through logind, " : ""));
}

/* Why vmrun leaves a user's unit alone: it could not put it back, or
 * would take more than the GPU with it. NULL when it may be stopped. */
static char *user_unit_refusal(const UnitInfo *i, const char *user) {
        if (streq(i->id, "dbus.service"))
                return printf_alloc("%s's D-Bus (dbus.service): every program of %s talks through it, vmrun never "
                                    "stops it; end the program that uses the GPU through it", user, user);
        if (i->transient)
                return printf_alloc("unit %s of %s's service manager is transient (a program made it, as it makes "
                                    "app-*.scope and run-*.service), and nothing could start it again: stop it yourself "
                                    "(`systemctl --user -M %s@ stop %s`) if it may go", i->id, user, user, i->id);
        if (!i->can_stop || !i->can_start)
                return printf_alloc("unit %s of %s's service manager refuses a manual %s (RefuseManual%s=yes): stop "
                                    "what pulls it in, or log %s out", i->id, user,
                                    !i->can_stop ? "stop" : "start", !i->can_stop ? "Stop" : "Start", user);
        return NULL;
}

/* What a unit of a user's manager is, as that manager says, not as its
 * cgroup's name would have it. */
static int classify_user_unit(HostContext *ctx, const Profile *p, const char *seat, const Holder *h,
                              HolderVerdict *v) {
        struct passwd *pw = getpwuid(h->manager_uid);
        Units *u = NULL;
        _cleanup_(unit_info_done) UnitInfo i = { 0 };
        _cleanup_free_ char *why = NULL;
        char uidbuf[16];
        bool graphical = false;
        int r;

        snprintf(uidbuf, sizeof uidbuf, "%u", (unsigned) h->manager_uid);
        v->user = strdup(pw ? pw->pw_name : uidbuf);
        if (!v->user)
                return -ENOMEM;
        r = host_user_units(ctx, h->manager_uid, &u);
        if (r == -EPERM)
                return verdict(v, HOLDER_REFUSED, NULL,
                               printf_alloc("in the service manager of %s (user@%u.service), which vmrun cannot reach: "
                                            "/run/user/%u/systemd/private, or its directory, is not that user's own; "
                                            "vmrun acts through no socket another user may have put there", v->user,
                                            (unsigned) h->manager_uid, (unsigned) h->manager_uid));
        if (r < 0)
                return verdict(v, HOLDER_REFUSED, NULL,
                               printf_alloc("in the service manager of %s (user@%u.service), which vmrun cannot reach "
                                            "(%s): see `systemctl status user@%u.service`", v->user,
                                            (unsigned) h->manager_uid, STRERROR(r), (unsigned) h->manager_uid));
        r = unit_info_of_pid(u, h->pid, &i);
        if (r >= 0)
                r = unit_stops_with(u, &i, "graphical-session.target", &graphical);
        if (r < 0)
                return verdict(v, HOLDER_REFUSED, NULL,
                               printf_alloc("in the service manager of %s, which does not say which unit it is in "
                                            "(%s): see `systemctl --user -M %s@ status %d`", v->user,
                                            UNITS_ERROR(u, r), v->user, (int) h->pid));
        /* not by its slice: PipeWire's units are in session.slice too, and
         * outlive the graphical session */
        if (graphical)
                return classify_graphical(ctx, p, seat, h, &i, v);
        why = user_unit_refusal(&i, v->user);
        if (why)
                return verdict(v, HOLDER_REFUSED, NULL, TAKE_PTR(why));
        v->unit = strdup(i.id);
        if (!v->unit)
                return -ENOMEM;
        return verdict(v, HOLDER_USER_UNIT, NULL,
                       printf_alloc("unit %s of %s's service manager: stopped there, started again after", i.id,
                                    v->user));
}

int holder_classify(HostContext *ctx, const Profile *p, const HostSteps *steps, const char *seat, const Holder *h,
                    HolderVerdict *ret) {
        _cleanup_(holder_verdict_done) HolderVerdict v = { 0 };
        char idbuf[64];
        const char *id, *why;
        int r;

        if (h->pid == getpid())
                r = verdict(&v, HOLDER_SELF, NULL, strdup("vmrun itself"));
        else if (h->unit && holders_unit_is_stopped(ctx, steps, h->unit))
                r = verdict(&v, HOLDER_UNIT, NULL, printf_alloc("stops with %s", h->unit));
        else if (h->unit && h->manager_uid == UID_INVALID && (why = known_holder_why(h->unit)))
                r = verdict(&v, HOLDER_KNOWN_UNIT, NULL,
                            printf_alloc("%s is %s: stopped, and started again after", h->unit, why));
        else if (holder_closes_on_removal(h))
                r = verdict(&v, HOLDER_CLOSES_ON_REMOVAL, NULL,
                            printf_alloc("an audio server: closes the card's nodes when the card goes, and moves its "
                                         "streams to another card; left running"));
        else if (h->manager_uid == UID_INVALID && (id = login_session_of_scope(h->unit, idbuf, sizeof idbuf)))
                r = classify_session(ctx, p, seat, id, &v);
        else if (h->pid == 1 || streq_ptr(h->unit, "systemd-logind.service"))
                r = classify_session_device(ctx, p, seat, h, &v);
        else if (h->manager_uid != UID_INVALID && h->user_unit)
                r = classify_user_unit(ctx, p, seat, h, &v);
        else
                r = verdict(&v, HOLDER_REFUSED, NULL,
                            printf_alloc("%s: it would keep the GPU's driver from unloading. Stop it, or add its unit "
                                         "to [host] stop-units =", h->unit ? "a unit vmrun does not stop" : "in no unit"));
        if (r < 0)
                return r;
        *ret = v;
        v = (HolderVerdict) { 0 };
        return 0;
}

void classified_holders_done(ClassifiedHolders *c) {
        for (size_t i = 0; c->verdicts && i < c->holders.n; i++)
                holder_verdict_done(&c->verdicts[i]);
        free(c->verdicts);
        holders_done(&c->holders);
        free(c->seat);
        *c = (ClassifiedHolders) { 0 };
}

int holders_classify_all(HostContext *ctx, const Profile *p, const HostSteps *steps, char *const *devices,
                         ClassifiedHolders *ret) {
        _cleanup_(classified_holders_done) ClassifiedHolders c = { 0 };
        double t0 = log_elapsed();
        int r;

        r = device_seat(ctx, devices[0], &c.seat);
        if (r < 0)
                return log_error_errno(r, "the seat of %s: %s", devices[0], STRERROR(r));
        r = holders_of_devices(ctx, devices, &c.holders);
        if (r < 0)
                return log_error_errno(r, "look for holders of %s's nodes: %s", devices[0], STRERROR(r));
        c.verdicts = calloc(c.holders.n + 1, sizeof(HolderVerdict));
        if (!c.verdicts)
                return log_oom();
        for (size_t i = 0; i < c.holders.n; i++) {
                const Holder *h = &c.holders.holders[i];

                r = holder_classify(ctx, p, steps, c.seat, h, &c.verdicts[i]);
                if (r < 0)
                        return log_error_errno(r, "why PID %d holds %s: %s", (int) h->pid, h->node, STRERROR(r));
        }
        /* every process's files and mappings are read: the most of
         * vmrun's own time before its first step, said with -v */
        log_debug("holders of %s's nodes: %zu found and classified (%.0f ms)", devices[0], c.holders.n,
                  (log_elapsed() - t0) * 1000);
        *ret = c;
        c = (ClassifiedHolders) { 0 };
        return 0;
}
