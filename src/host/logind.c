/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdio.h>
#include <sys/sysmacros.h>
#include <systemd/sd-bus.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "host/logind.h"

#define LOGIND_SERVICE "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"

void login_session_done(LoginSession *s) {
        free(s->id);
        free(s->user);
        free(s->seat);
        free(s->type);
        free(s->class);
        free(s->devices);
        free(s->state);
        *s = (LoginSession) { 0 };
}

/* KEY=VALUE lines; the keys of interest are copied, the rest skipped. */
static int session_parse(FILE *f, LoginSession *s) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        unsigned long uid = (unsigned long) -1;

        while (getline(&line, &size, f) >= 0) {
                char *eq, **field = NULL;

                line[strcspn(line, "\n")] = '\0';
                eq = strchr(line, '=');
                if (line[0] == '#' || !eq)
                        continue;
                *eq = '\0';
                if (streq(line, "UID")) {
                        char *end;
                        errno = 0;
                        uid = strtoul(eq + 1, &end, 10);
                        if (errno != 0 || *end || end == eq + 1)
                                return -EBADMSG;
                        continue;
                }
                field = streq(line, "USER")      ? &s->user
                        : streq(line, "SEAT")    ? &s->seat
                        : streq(line, "TYPE")    ? &s->type
                        : streq(line, "CLASS")   ? &s->class
                        : streq(line, "DEVICES") ? &s->devices
                        : streq(line, "STATE")   ? &s->state
                                                 : NULL;
                if (!field || eq[1] == '\0')
                        continue;
                free(*field);
                *field = strdup(eq + 1);
                if (!*field)
                        return -ENOMEM;
        }
        if (uid == (unsigned long) -1 || !s->user)
                return -EBADMSG;
        s->uid = (uid_t) uid;
        return 0;
}

int login_session_read(const HostContext *ctx, const char *id, LoginSession *ret) {
        _cleanup_(login_session_done) LoginSession s = { 0 };
        _cleanup_free_ char *rel = NULL, *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        int r;

        assert(ret);
        /* a session id is a file name of logind's, letters and digits as
         * logind makes them: nothing else (ID.ref beside it is a FIFO) */
        if (!id[0] || id[strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")] != '\0')
                return -EINVAL;
        if (asprintf(&rel, "/run/systemd/sessions/%s", id) < 0)
                return -ENOMEM;
        r = host_path(ctx, rel, &path);
        if (r < 0)
                return r;
        f = fopen(path, "re");
        if (!f)
                return log_debug_errno(negative_errno(), "read %s: %s", path, strerror(errno));
        s.id = strdup(id);
        if (!s.id)
                return -ENOMEM;
        r = session_parse(f, &s);
        if (r < 0)
                return log_debug_errno(r, "read %s: %s", path, STRERROR(r));
        *ret = s;
        s = (LoginSession) { 0 };
        return 0;
}

const char *login_session_of_scope(const char *unit, char *buf, size_t size) {
        const char *p;
        size_t n;

        if (!unit || !(p = startswith(unit, "session-")) || !endswith(p, ".scope"))
                return NULL;
        n = strlen(p) - strlen(".scope");
        if (n == 0 || n >= size)
                return NULL;
        memcpy(buf, p, n);
        buf[n] = '\0';
        return buf;
}

bool login_session_has_device(const LoginSession *s, dev_t rdev) {
        char want[32];
        size_t l;

        if (!s->devices)
                return false;
        l = (size_t) snprintf(want, sizeof want, "%u:%u", major(rdev), minor(rdev));
        for (const char *p = s->devices; (p = strstr(p, want)); p += l)
                if ((p == s->devices || p[-1] == ' ') && (p[l] == '\0' || p[l] == ' '))
                        return true;
        return false;
}

int login_sessions_on_seat(const HostContext *ctx, const char *seat, char ***ret) {
        _cleanup_strv_free_ char **ids = NULL;
        _cleanup_strv_ Strv on = { 0 };
        int r;

        r = host_list_dir(ctx, "/run/systemd/sessions", &ids);
        if (r < 0)
                return r;
        for (size_t i = 0; ids[i]; i++) {
                _cleanup_(login_session_done) LoginSession s = { 0 };

                /* 3.ref is the FIFO that ties a session to its leader */
                if (endswith(ids[i], ".ref") || login_session_read(ctx, ids[i], &s) < 0)
                        continue;
                if (s.seat && streq(s.seat, seat) && strv_push(&on, ids[i]) < 0)
                        return -ENOMEM;
        }
        if (!on.v && !(on.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        strv_sort(on.v);
        *ret = TAKE_PTR(on.v);
        on = (Strv) { 0 };
        return 0;
}

int device_seat(const HostContext *ctx, const char *pci_address, char **ret) {
        _cleanup_free_ char *rel = NULL, *path = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        int r;

        if (asprintf(&rel, "/run/udev/data/+pci:%s", pci_address) < 0)
                return -ENOMEM;
        r = host_path(ctx, rel, &path);
        if (r < 0)
                return r;
        f = fopen(path, "re");
        while (f && getline(&line, &size, f) >= 0) {
                const char *v = startswith(line, "E:ID_SEAT=");
                if (!v)
                        continue;
                line[strcspn(line, "\n")] = '\0';
                *ret = strdup(v);
                return *ret ? 0 : -ENOMEM;
        }
        *ret = strdup("seat0");
        return *ret ? 0 : -ENOMEM;
}

typedef struct RemovedWait {
        const char *id;
        bool removed;
} RemovedWait;

static int on_session_removed(sd_bus_message *m, void *userdata, _unused_ sd_bus_error *ret_error) {
        RemovedWait *w = userdata;
        const char *id, *path;

        if (sd_bus_message_read(m, "so", &id, &path) >= 0 && streq(id, w->id))
                w->removed = true;
        return 0;
}

static int wait_removed(sd_bus *bus, RemovedWait *w, usec_t deadline) {
        int r;

        while (!w->removed) {
                usec_t n;

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return log_debug_errno(r, "system bus: %s", STRERROR(r));
                if (r > 0)
                        continue;
                n = now_usec();
                if (n >= deadline)
                        return log_debug_errno(-ETIMEDOUT, "session %s: still there at the deadline", w->id);
                r = sd_bus_wait(bus, deadline - n);
                if (r < 0 && r != -EINTR)
                        return log_debug_errno(r, "system bus: %s", STRERROR(r));
        }
        return 0;
}

/* The State property of session `id` ("closing", ...), NULL if logind
 * cannot say. */
static char *session_state(sd_bus *bus, const char *id) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *state = NULL;

        if (sd_bus_call_method(bus, LOGIND_SERVICE, LOGIND_PATH, LOGIND_MANAGER, "GetSession", &error, &reply, "s",
                               id) < 0 ||
            sd_bus_message_read(reply, "o", &path) < 0)
                return NULL;
        if (sd_bus_get_property_string(bus, LOGIND_SERVICE, path, "org.freedesktop.login1.Session", "State", &error,
                                       &state) < 0)
                return NULL;
        return state;
}

static int kill_session(sd_bus *bus, const char *id, int sig) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, LOGIND_SERVICE, LOGIND_PATH, LOGIND_MANAGER, "KillSession", &error, NULL, "ssi", id,
                               "all", sig);
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.login1.NoSuchSession"))
                return log_debug_errno(r, "KillSession(%s, %s): %s", id, sig == SIGKILL ? "SIGKILL" : "SIGTERM",
                                       error.message ? error.message : STRERROR(r));
        return 0;
}

int login_session_terminate(const char *id, usec_t deadline) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *state = NULL;
        RemovedWait w = { .id = id };
        usec_t start = now_usec();
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_debug_errno(r, "open the system bus: %s", STRERROR(r));
        /* before the call: a session with nothing left to stop is removed
         * right after the reply */
        r = sd_bus_match_signal(bus, &slot, LOGIND_SERVICE, LOGIND_PATH, LOGIND_MANAGER, "SessionRemoved",
                                on_session_removed, &w);
        if (r < 0)
                return log_debug_errno(r, "subscribe to SessionRemoved: %s", STRERROR(r));
        /* closing: logind stopped it when its leader went (sddm's helper,
         * with sddm), without killing what was left (KillUserProcesses=no),
         * and TerminateSession leaves a stopping session be: Plasma's
         * startplasma-wayland would stay in it for good */
        state = session_state(bus, id);
        r = sd_bus_call_method(bus, LOGIND_SERVICE, LOGIND_PATH, LOGIND_MANAGER, "TerminateSession", &error, NULL,
                               "s", id);
        if (sd_bus_error_has_name(&error, "org.freedesktop.login1.NoSuchSession"))
                return log_debug_errno(0, "session %s: gone already", id);
        if (r < 0)
                return log_debug_errno(r, "TerminateSession(%s): %s", id, error.message ? error.message : STRERROR(r));
        if (!streq_ptr(state, "closing"))
                return wait_removed(bus, &w, deadline);
        /* vmrun signals a user's processes: said on the timeline */
        log_info("session %s was closing already (its leader gone): SIGTERM to what is left in it", id);
        r = kill_session(bus, id, SIGTERM);
        if (r < 0)
                return r;
        r = wait_removed(bus, &w, deadline > start ? start + (deadline - start) / 2 : deadline);
        if (r != -ETIMEDOUT)
                return r;
        log_info("session %s: still there halfway to the deadline: SIGKILL to what is left in it", id);
        r = kill_session(bus, id, SIGKILL);
        if (r < 0)
                return r;
        return wait_removed(bus, &w, deadline);
}
