/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A user's service manager for the tests that ask one about its units: a
 * child process that serves systemd's D-Bus API (the part vmrun uses:
 * LoadUnit, GetUnitByPID, StopUnit, StartUnit with their JobRemoved, the
 * units' properties) on ROOT/run/user/UID/systemd/private, as
 * `systemd --user` does. What a kernel and a real manager cannot be made
 * to show on demand: a unit that refuses a manual stop, one PartOf
 * the graphical session, a transient one. Each stop and start is written, a line
 * each ("stop UNIT"), to ROOT/manager-UID.log, which fake_manager_calls()
 * reads. */

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "fake-root.h"

typedef struct FakeUnit {
        const char *id;
        const char *active_state;       /* NULL: "active" */
        const char *part_of[4];
        const char *binds_to[4];
        pid_t pids[4];                  /* GetUnitByPID finds it by these */
        bool refuse_stop, refuse_start, transient;
} FakeUnit;

typedef struct FakeManager {
        pid_t pid;
        char log[128];
} FakeManager;

typedef struct FakeManagerState {
        FakeUnit *units;
        size_t n;
        char paths[16][160];
        const char *log;
        unsigned jobs;
} FakeManagerState;

static inline FakeUnit *fake_manager_unit_by_path(FakeManagerState *s, const char *path) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->paths[i], path) == 0)
                        return &s->units[i];
        return NULL;
}

static inline int fake_manager_reply_path(FakeManagerState *s, sd_bus_message *m, const FakeUnit *u,
                                          sd_bus_error *e, const char *name) {
        if (!u)
                return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.", name);
        return sd_bus_reply_method_return(m, "o", s->paths[u - s->units]);
}

static inline FakeUnit *fake_manager_unit(FakeManagerState *s, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->units[i].id, name) == 0)
                        return &s->units[i];
        return NULL;
}

static inline int fake_manager_load(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *name;
        int r = sd_bus_message_read(m, "s", &name);
        return r < 0 ? r : fake_manager_reply_path(userdata, m, fake_manager_unit(userdata, name), e, name);
}

static inline int fake_manager_by_pid(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        FakeManagerState *s = userdata;
        uint32_t pid;
        int r = sd_bus_message_read(m, "u", &pid);

        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n; i++)
                for (size_t k = 0; k < 4 && s->units[i].pids[k]; k++)
                        if (s->units[i].pids[k] == (pid_t) pid)
                                return sd_bus_reply_method_return(m, "o", s->paths[i]);
        return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoUnitForPID", "PID %u does not belong to any loaded unit.",
                                 pid);
}

/* StopUnit and StartUnit: systemd's refusal of a unit with
 * RefuseManual*=yes, word for word, or a job that is done at once. */
static inline int fake_manager_job(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        FakeManagerState *s = userdata;
        bool stop = strcmp(sd_bus_message_get_member(m), "StopUnit") == 0;
        const char *name, *mode;
        char job[64];
        FakeUnit *u;
        FILE *log;
        int r = sd_bus_message_read(m, "ss", &name, &mode);

        if (r < 0)
                return r;
        u = fake_manager_unit(s, name);
        if (!u)
                return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.", name);
        if (stop ? u->refuse_stop : u->refuse_start)
                return sd_bus_error_setf(e, "org.freedesktop.systemd1.OnlyByDependency",
                                         "Operation refused, unit %s may be requested by dependency only (it is "
                                         "configured to refuse manual start/stop).", name);
        log = fopen(s->log, "ae");
        if (log) {
                fprintf(log, "%s %s\n", stop ? "stop" : "start", name);
                fclose(log);
        }
        u->active_state = stop ? "inactive" : "active";
        snprintf(job, sizeof job, "/org/freedesktop/systemd1/job/%u", ++s->jobs);
        r = sd_bus_reply_method_return(m, "o", job);
        if (r >= 0)
                r = sd_bus_emit_signal(sd_bus_message_get_bus(m), "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss", s->jobs, job, name,
                                       "done");
        return r;
}

static inline int fake_manager_strv(sd_bus_message *reply, const char *const *l) {
        int r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && l[i]; i++)
                r = sd_bus_message_append(reply, "s", l[i]);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static inline int fake_manager_property(sd_bus *bus, const char *path, const char *interface, const char *property,
                                        sd_bus_message *reply, void *userdata, sd_bus_error *e) {
        FakeUnit *u = fake_manager_unit_by_path(userdata, path);

        (void) bus;
        (void) interface;
        (void) e;
        if (!u)
                return -ENOENT;
        if (strcmp(property, "Id") == 0)
                return sd_bus_message_append(reply, "s", u->id);
        if (strcmp(property, "LoadState") == 0)
                return sd_bus_message_append(reply, "s", "loaded");
        if (strcmp(property, "ActiveState") == 0)
                return sd_bus_message_append(reply, "s", u->active_state ? u->active_state : "active");
        if (strcmp(property, "CanStop") == 0)
                return sd_bus_message_append(reply, "b", !u->refuse_stop);
        if (strcmp(property, "CanStart") == 0)
                return sd_bus_message_append(reply, "b", !u->refuse_start);
        if (strcmp(property, "Transient") == 0)
                return sd_bus_message_append(reply, "b", u->transient);
        if (strcmp(property, "PartOf") == 0)
                return fake_manager_strv(reply, u->part_of);
        if (strcmp(property, "BindsTo") == 0)
                return fake_manager_strv(reply, u->binds_to);
        return -EINVAL;
}

static const sd_bus_vtable fake_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("LoadUnit", "s", "o", fake_manager_load, 0),
        SD_BUS_METHOD("GetUnitByPID", "u", "o", fake_manager_by_pid, 0),
        SD_BUS_METHOD("StopUnit", "ss", "o", fake_manager_job, 0),
        SD_BUS_METHOD("StartUnit", "ss", "o", fake_manager_job, 0),
        SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
        SD_BUS_VTABLE_END,
};

#define FAKE_UNIT_PROPERTY(name, sig) SD_BUS_PROPERTY(name, sig, fake_manager_property, 0, 0)
static const sd_bus_vtable fake_unit_vtable[] = {
        SD_BUS_VTABLE_START(0),
        FAKE_UNIT_PROPERTY("Id", "s"),
        FAKE_UNIT_PROPERTY("LoadState", "s"),
        FAKE_UNIT_PROPERTY("ActiveState", "s"),
        FAKE_UNIT_PROPERTY("CanStop", "b"),
        FAKE_UNIT_PROPERTY("CanStart", "b"),
        FAKE_UNIT_PROPERTY("Transient", "b"),
        FAKE_UNIT_PROPERTY("PartOf", "as"),
        FAKE_UNIT_PROPERTY("BindsTo", "as"),
        SD_BUS_VTABLE_END,
};

static inline sd_bus *fake_manager_accept(FakeManagerState *s, int listener) {
        sd_id128_t id = { { 1 } };
        sd_bus *bus = NULL;
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (fd < 0 || sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fd, fd) < 0 || sd_bus_set_server(bus, 1, id) < 0 ||
            sd_bus_set_anonymous(bus, 1) < 0 ||
            sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                     fake_manager_vtable, s) < 0)
                _exit(2);
        for (size_t i = 0; i < s->n; i++)
                if (sd_bus_add_object_vtable(bus, NULL, s->paths[i], "org.freedesktop.systemd1.Unit",
                                             fake_unit_vtable, s) < 0)
                        _exit(2);
        if (sd_bus_start(bus) < 0)
                _exit(2);
        return bus;
}

/* The child: serves every connection until it is killed. */
static inline void fake_manager_serve(FakeManagerState *s, int listener) {
        sd_bus *buses[8] = { 0 };

        for (;;) {
                struct pollfd p[9] = { { .fd = listener, .events = POLLIN } };

                for (size_t i = 0; i < 8; i++) {
                        p[i + 1].fd = -1;
                        if (!buses[i])
                                continue;
                        while (sd_bus_process(buses[i], NULL) > 0)
                                ;
                        if (!sd_bus_is_open(buses[i])) {
                                buses[i] = sd_bus_flush_close_unref(buses[i]);
                                continue;
                        }
                        p[i + 1] = (struct pollfd) { .fd = sd_bus_get_fd(buses[i]),
                                                     .events = (short) sd_bus_get_events(buses[i]) };
                }
                if (poll(p, 9, -1) < 0 && errno != EINTR)
                        _exit(3);
                if (p[0].revents & POLLIN)
                        for (size_t i = 0; i < 8; i++)
                                if (!buses[i]) {
                                        buses[i] = fake_manager_accept(s, listener);
                                        break;
                                }
        }
}

/* The fake root traversable by anyone (mkdtemp made it 0700), as / is;
 * ROOT/run/user/UID and what is in it owned by uid, its log writable by
 * the manager that runs as uid. */
static inline void fake_manager_own(const FakeRoot *f, uid_t uid, const char *log) {
        char path[PATH_MAX];
        int fd;

        assert_int_equal(chmod(f->dir, 0755), 0);
        snprintf(path, sizeof path, "%s/run/user/%u", f->dir, (unsigned) uid);
        assert_int_equal(chown(path, uid, uid), 0);
        assert_int_equal(chmod(path, 0700), 0);
        snprintf(path, sizeof path, "%s/run/user/%u/systemd", f->dir, (unsigned) uid);
        assert_int_equal(chown(path, uid, uid), 0);
        fd = open(log, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(fchown(fd, uid, uid), 0);
        close(fd);
}

/* Starts the manager of `uid` under the fake root with `units`, which
 * the caller keeps (the child has its own copy). */
static inline void fake_manager_start(FakeManager *m, const FakeRoot *f, uid_t uid, FakeUnit *units, size_t n) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        FakeManagerState s = { .units = units, .n = n, .log = m->log };
        char dir[96], c;
        int fd, ready[2];

        assert_true(n <= 16);
        if (geteuid() != 0) {
                fprintf(stderr, "skipped: the fake manager runs as uid %u, which only root can make it\n", (unsigned) uid);
                skip();
        }
        snprintf(dir, sizeof dir, "/run/user/%u/systemd", (unsigned) uid);
        fake_dir(f, dir);
        snprintf(m->log, sizeof m->log, "%s/manager-%u.log", f->dir, (unsigned) uid);
        assert_true((size_t) snprintf(sa.sun_path, sizeof sa.sun_path, "%s%s/private", f->dir, dir) <
                    sizeof sa.sun_path);
        for (size_t i = 0; i < n; i++) {
                char *p = NULL;
                assert_true(sd_bus_path_encode("/org/freedesktop/systemd1/unit", units[i].id, &p) >= 0);
                snprintf(s.paths[i], sizeof s.paths[i], "%s", p);
                free(p);
        }
        /* as logind and systemd --user leave them: the runtime directory
         * and the socket are the user's, and the manager runs as the user
         * (vmrun connects as the user and checks who serves the socket) */
        fake_manager_own(f, uid, m->log);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        assert_int_equal(lchown(sa.sun_path, uid, uid), 0);
        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        m->pid = fork();
        assert_true(m->pid >= 0);
        if (m->pid == 0) {
                /* a listener's credentials are its peers' SO_PEERCRED:
                 * the user's, as the user's own manager listens */
                if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0 || listen(fd, 8) < 0 ||
                    write(ready[1], "", 1) != 1)
                        _exit(1);
                fake_manager_serve(&s, fd);
                _exit(0);
        }
        close(ready[1]);
        assert_int_equal(read(ready[0], &c, 1), 1);     /* listening */
        close(ready[0]);
        close(fd);
}

static inline void fake_manager_stop(FakeManager *m) {
        if (m->pid > 0) {
                kill(m->pid, SIGKILL);
                (void) waitpid(m->pid, NULL, 0);
        }
        m->pid = 0;
}

/* Every stop and start it was asked for, "stop UNIT\nstart UNIT\n"; "" for none. */
static inline char *fake_manager_calls(const FakeManager *m) {
        FILE *f = fopen(m->log, "re");
        char *buf = calloc(1, 4096);

        assert_non_null(buf);
        if (f) {
                size_t n = fread(buf, 1, 4095, f);
                buf[n] = '\0';
                fclose(f);
        }
        return buf;
}
