/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <systemd/sd-bus.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "host/units.h"
#include "host/user-connect.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_INTERFACE "org.freedesktop.systemd1.Manager"
#define UNIT_INTERFACE "org.freedesktop.systemd1.Unit"
#define SERVICE_INTERFACE "org.freedesktop.systemd1.Service"

struct Units {
        sd_bus *bus;
        /* a manager's private socket is no bus: its signals name no sender */
        bool direct;
        /* the last failure in systemd's own words, for the caller's error */
        char *error;
};

/* sd-bus.h provides the *_unrefp() cleanup helpers */
#define _cleanup_bus_message_ _cleanup_(sd_bus_message_unrefp)
#define _cleanup_bus_slot_ _cleanup_(sd_bus_slot_unrefp)
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)

int units_new(Units **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Units *u;
        int r;

        assert(ret);

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_debug_errno(r, "open the system bus: %s", STRERROR(r));
        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->bus = TAKE_PTR(bus);
        *ret = u;
        return 0;
}

/* The user's manager listens in the user's own runtime directory: it is
 * reached as the user (host/user-connect.c), never by root's hand. */
#define USER_CONNECT_TIMEOUT_USEC (10 * USEC_PER_SEC)

int units_new_user(const char *root, uid_t uid, Units **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_close_ int fd = -1;
        Units *u;
        int r;

        assert(ret);

        r = connect_as_user(root, uid, "systemd/private", deadline_after(USER_CONNECT_TIMEOUT_USEC), &fd);
        if (r < 0)
                return r;
        r = sd_bus_new(&bus);
        if (r < 0)
                return log_debug_errno(r, "sd_bus_new: %s", STRERROR(r));
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0)
                return log_debug_errno(r, "sd_bus_set_fd: %s", STRERROR(r));
        TAKE_FD(fd);    /* the bus's now */
        r = sd_bus_start(bus);
        if (r < 0)
                return log_debug_errno(r, "talk to the service manager of uid %u: %s", (unsigned) uid, STRERROR(r));
        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->bus = TAKE_PTR(bus);
        u->direct = true;
        *ret = u;
        return 0;
}

Units *units_free(Units *u) {
        if (!u)
                return NULL;
        sd_bus_flush_close_unref(u->bus);
        free(u->error);
        free(u);
        return NULL;
}

const char *units_last_error(const Units *u) {
        return u && u->error ? u->error : "";
}

static void set_error(Units *u, const char *format, ...) _printf_(2, 3);
static void set_error(Units *u, const char *format, ...) {
        va_list ap;
        char *s;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        /* systemd's messages end in a full stop; ours go on after them */
        if (s && *s && s[strlen(s) - 1] == '.')
                s[strlen(s) - 1] = '\0';
        free(u->error);
        u->error = s;
}

/* The manager's refusals are no failures of the host: a unit that may be
 * stopped or started by dependency only (RefuseManual*=yes, which sd-bus
 * would call EINVAL), or is masked, will refuse the same call again. */
static int bus_error_to_errno(const sd_bus_error *error, int r) {
        if (sd_bus_error_has_name(error, "org.freedesktop.systemd1.NoSuchUnit"))
                return -ENOENT;
        if (sd_bus_error_has_names(error, "org.freedesktop.systemd1.OnlyByDependency",
                                   "org.freedesktop.systemd1.UnitMasked"))
                return -EPERM;
        return r;
}

/* Logs the failed call at debug level, keeps systemd's text for the
 * caller, and returns its errno. */
static int call_failed(Units *u, const sd_bus_error *error, int r, const char *what, const char *name) {
        r = bus_error_to_errno(error, r);
        set_error(u, "%s", error && error->message ? error->message : STRERROR(r));
        return log_debug_errno(r, "%s %s: %s", what, name, u->error ? u->error : STRERROR(r));
}

/* LoadUnit, not GetUnit: an inactive display manager is often not loaded,
 * and GetUnit would call it unknown. */
static int unit_object(Units *u, const char *name, char **ret_path) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        const char *path;
        char *p;
        int r;

        assert(u);
        assert(name);

        r = sd_bus_call_method(u->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "LoadUnit", &error, &reply,
                               "s", name);
        if (r < 0)
                return call_failed(u, &error, r, "LoadUnit", name);
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_debug_errno(r, "LoadUnit(%s): bad reply: %s", name, STRERROR(r));
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        *ret_path = p;
        return 0;
}

static int unit_property(Units *u, const char *name, const char *path, const char *property, char **ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        char *v = NULL;
        int r;

        r = sd_bus_get_property_string(u->bus, SYSTEMD_SERVICE, path, UNIT_INTERFACE, property, &error, &v);
        if (r < 0)
                return call_failed(u, &error, r, property, name);
        *ret = v;
        return 0;
}

int unit_resolve(Units *u, const char *name, char **ret_id) {
        _cleanup_free_ char *path = NULL, *load_state = NULL, *id = NULL;
        int r;

        assert(ret_id);

        r = unit_object(u, name, &path);
        if (r < 0)
                return r;
        r = unit_property(u, name, path, "LoadState", &load_state);
        if (r < 0)
                return r;
        if (streq(load_state, "not-found"))
                return log_debug_errno(-ENOENT, "unit %s: no such unit (LoadState not-found)", name);
        r = unit_property(u, name, path, "Id", &id);
        if (r < 0)
                return r;
        *ret_id = TAKE_PTR(id);
        return 0;
}

int unit_active_state(Units *u, const char *name, char **ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        assert(ret);

        r = unit_object(u, name, &path);
        if (r < 0)
                return r;
        return unit_property(u, name, path, "ActiveState", ret);
}

void unit_info_done(UnitInfo *i) {
        free(i->id);
        free(i->active_state);
        strv_free(i->part_of);
        strv_free(i->binds_to);
        *i = (UnitInfo) { 0 };
}

static int unit_bool(Units *u, const char *path, const char *property, bool *ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int v = 0, r;

        r = sd_bus_get_property_trivial(u->bus, SYSTEMD_SERVICE, path, UNIT_INTERFACE, property, &error, 'b', &v);
        if (r < 0)
                return call_failed(u, &error, r, property, path);
        *ret = v;
        return 0;
}

static int unit_strv(Units *u, const char *path, const char *property, char ***ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_strv(u->bus, SYSTEMD_SERVICE, path, UNIT_INTERFACE, property, &error, ret);
        return r < 0 ? call_failed(u, &error, r, property, path) : 0;
}

static int unit_info_at(Units *u, const char *path, UnitInfo *ret) {
        _cleanup_(unit_info_done) UnitInfo i = { 0 };
        int r;

        r = unit_property(u, path, path, "Id", &i.id);
        if (r >= 0)
                r = unit_property(u, i.id, path, "ActiveState", &i.active_state);
        if (r >= 0)
                r = unit_bool(u, path, "CanStop", &i.can_stop);
        if (r >= 0)
                r = unit_bool(u, path, "CanStart", &i.can_start);
        if (r >= 0)
                r = unit_bool(u, path, "Transient", &i.transient);
        if (r >= 0)
                r = unit_strv(u, path, "PartOf", &i.part_of);
        if (r >= 0)
                r = unit_strv(u, path, "BindsTo", &i.binds_to);
        if (r < 0)
                return r;
        *ret = i;
        i = (UnitInfo) { 0 };
        return 0;
}

int unit_info(Units *u, const char *name, UnitInfo *ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        assert(ret);
        r = unit_object(u, name, &path);
        return r < 0 ? r : unit_info_at(u, path, ret);
}

int unit_info_of_pid(Units *u, pid_t pid, UnitInfo *ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        char what[32];
        const char *path;
        int r;

        assert(ret);
        snprintf(what, sizeof what, "PID %d", (int) pid);
        r = sd_bus_call_method(u->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, "GetUnitByPID", &error,
                               &reply, "u", (uint32_t) pid);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoUnitForPID"))
                        r = -ENOENT;
                return call_failed(u, &error, r, "GetUnitByPID", what);
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_debug_errno(r, "GetUnitByPID(%s): bad reply: %s", what, STRERROR(r));
        return unit_info_at(u, path, ret);
}

/* PartOf= and BindsTo= chains are short (gnome-shell's unit is PartOf
 * gnome-session-initialized.target, PartOf gnome-session.target, which
 * BindsTo graphical-session.target); a bound keeps a loop finite. */
#define STOPS_WITH_DEPTH 6

static int stops_with(Units *u, char *const *deps, const char *target, unsigned depth, bool *ret) {
        int r;

        for (size_t k = 0; deps && deps[k] && !*ret; k++) {
                _cleanup_(unit_info_done) UnitInfo next = { 0 };

                if (streq(deps[k], target)) {
                        *ret = true;
                        break;
                }
                if (depth == 0 || unit_info(u, deps[k], &next) < 0)
                        continue;
                r = stops_with(u, next.part_of, target, depth - 1, ret);
                if (r >= 0 && !*ret)
                        r = stops_with(u, next.binds_to, target, depth - 1, ret);
                if (r < 0)
                        return r;
        }
        return 0;
}

int unit_stops_with(Units *u, const UnitInfo *unit, const char *target, bool *ret) {
        bool found = false;
        int r;

        r = stops_with(u, unit->part_of, target, STOPS_WITH_DEPTH, &found);
        if (r >= 0 && !found)
                r = stops_with(u, unit->binds_to, target, STOPS_WITH_DEPTH, &found);
        if (r < 0)
                return r;
        *ret = found;
        return 0;
}

typedef struct JobWait {
        const char *job;        /* NULL until StartUnit/StopUnit answered */
        char *result;           /* from JobRemoved */
} JobWait;

static void job_wait_done(JobWait *w) {
        free(w->result);
}

static int on_job_removed(sd_bus_message *m, void *userdata, _unused_ sd_bus_error *ret_error) {
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        r = sd_bus_message_read(m, "uoss", &id, &path, &unit, &result);
        if (r < 0) {
                log_debug_errno(r, "JobRemoved: bad signal: %s", STRERROR(r));
                return 0;
        }
        if (!w->job || !streq(path, w->job) || w->result)
                return 0;
        w->result = strdup(result);
        /* on ENOMEM the wait goes on until the deadline: better than a
         * result that was never seen */
        return 0;
}

/* Sends `call`, which makes a job (StartUnit, StopUnit,
 * StartTransientUnit: each answers with the job's path), and waits for it.
 * `skipped_ok`: a job with nothing to do (stopping a stopped unit) is done. */
static int unit_job(Units *u, sd_bus_message *call, const char *verb, const char *name, bool skipped_ok,
                    usec_t deadline) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_bus_slot_ sd_bus_slot *slot = NULL;
        _cleanup_free_ char *job = NULL;
        _cleanup_(job_wait_done) JobWait w = { 0 };
        const char *path;
        int r;

        assert(u);
        assert(name);

        /* Subscribed before the job exists: a job that finishes at once
         * (a unit already stopped) sends JobRemoved right after the reply,
         * and a match added later would miss it. systemd sends it to us
         * because we created the job, no Subscribe() needed. */
        r = sd_bus_match_signal(u->bus, &slot, u->direct ? NULL : SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE,
                                "JobRemoved", on_job_removed, &w);
        if (r < 0)
                return log_debug_errno(r, "subscribe to JobRemoved: %s", STRERROR(r));

        r = sd_bus_call(u->bus, call, 0, &error, &reply);
        if (r < 0)
                return call_failed(u, &error, r, verb, name);
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_debug_errno(r, "%s %s: bad reply: %s", verb, name, STRERROR(r));
        job = strdup(path);
        if (!job)
                return -ENOMEM;
        w.job = job;
        log_debug("%s %s: job %s", verb, name, job);

        /* sd_bus_call() queued whatever arrived with the reply,
         * JobRemoved included; sd_bus_process() dispatches it */
        while (!w.result) {
                usec_t n;

                r = sd_bus_process(u->bus, NULL);
                if (r < 0)
                        return log_debug_errno(r, "system bus: %s", STRERROR(r));
                if (r > 0)
                        continue;
                n = now_usec();
                if (deadline != USEC_INFINITY && n >= deadline) {
                        set_error(u, "its %s job was still running at the deadline", verb);
                        return log_debug_errno(-ETIMEDOUT, "%s %s: job %s still running at the deadline", verb,
                                               name, job);
                }
                r = sd_bus_wait(u->bus, deadline == USEC_INFINITY ? UINT64_MAX : deadline - n);
                if (r < 0 && r != -EINTR)
                        return log_debug_errno(r, "system bus: %s", STRERROR(r));
        }

        if (streq(w.result, "done") || (skipped_ok && streq(w.result, "skipped"))) {
                log_debug("%s %s: %s", verb, name, w.result);
                return 0;
        }
        /* the caller names the manager: `journalctl -u` would be the
         * system's, `--user-unit` the user's */
        set_error(u, "the %s job's result was '%s'", verb, w.result);
        return log_debug_errno(-EIO, "%s %s: job result %s", verb, name, w.result);
}

static int unit_method(Units *u, const char *method, sd_bus_message **ret) {
        int r = sd_bus_message_new_method_call(u->bus, ret, SYSTEMD_SERVICE, SYSTEMD_PATH, MANAGER_INTERFACE, method);
        return r < 0 ? log_debug_errno(r, "%s: new message: %s", method, STRERROR(r)) : 0;
}

static int unit_start_or_stop(Units *u, const char *method, const char *verb, const char *name, usec_t deadline) {
        _cleanup_bus_message_ sd_bus_message *call = NULL;
        int r;

        assert(u);
        r = unit_method(u, method, &call);
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "ss", name, "replace");
        if (r < 0)
                return log_debug_errno(r, "%s(%s): %s", method, name, STRERROR(r));
        return unit_job(u, call, verb, name, streq(method, "StopUnit"), deadline);
}

int unit_stop(Units *u, const char *name, usec_t deadline) {
        return unit_start_or_stop(u, "StopUnit", "stop", name, deadline);
}

int unit_start(Units *u, const char *name, usec_t deadline) {
        return unit_start_or_stop(u, "StartUnit", "start", name, deadline);
}

int unit_start_scope(Units *u, const char *name, const char *slice, const char *description, pid_t pid,
                     usec_t timeout_stop, usec_t deadline) {
        _cleanup_bus_message_ sd_bus_message *call = NULL;
        int r;

        assert(u);
        assert(name);
        assert(pid > 0);

        r = unit_method(u, "StartTransientUnit", &call);
        if (r < 0)
                return r;
        /* The scope goes when its last process has exited, failed or not:
         * a scope of an earlier run never stands in the way of the next. */
        r = sd_bus_message_append(call, "ss", name, "fail");
        if (r >= 0)
                r = sd_bus_message_append(call, "a(sv)", 5,
                                          "Slice", "s", slice,
                                          "Description", "s", description,
                                          "PIDs", "au", 1, (uint32_t) pid,
                                          "CollectMode", "s", "inactive-or-failed",
                                          "TimeoutStopUSec", "t", (uint64_t) timeout_stop);
        if (r >= 0)
                r = sd_bus_message_append(call, "a(sa(sv))", 0);
        if (r < 0)
                return log_debug_errno(r, "StartTransientUnit(%s): %s", name, STRERROR(r));
        return unit_job(u, call, "start", name, false, deadline);
}

int unit_main_pid(Units *u, const char *name, pid_t *ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        uint32_t pid;
        int r;

        assert(ret);

        r = unit_object(u, name, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_trivial(u->bus, SYSTEMD_SERVICE, path, SERVICE_INTERFACE, "MainPID", &error, 'u',
                                        &pid);
        if (r < 0)
                return call_failed(u, &error, r, "MainPID", name);
        *ret = (pid_t) pid;
        return 0;
}
