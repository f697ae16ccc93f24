/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* logind's Inhibit(), for the tests that take its locks: a child process
 * that serves org.freedesktop.login1.Manager.Inhibit on one end of a
 * socket pair, a private D-Bus connection without a bus daemon. It grants
 * a lock (one end of a pipe, as logind's FIFO) or answers with the error
 * it was given, and says what it saw, a line each, on a pipe the test
 * reads: "Inhibit what=W who=W why=W mode=M", "disconnected" when the
 * connection closes, and "released" once the lock's descriptor is closed
 * everywhere. */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "fake-root.h"

typedef struct FakeLogind {
        pid_t pid;
        int client;             /* this side's end of the connection, until fake_logind_bus() */
        int report;             /* the child's lines */
        char seen[2048];        /* what was read of them */
} FakeLogind;

typedef struct FakeLogindState {
        const char *error_name;         /* NULL: grant the lock */
        const char *error_message;
        int report;
        int lock;                       /* the read end of the granted lock's pipe */
} FakeLogindState;

static inline int fake_logind_inhibit(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        FakeLogindState *s = userdata;
        const char *what, *who, *why, *mode;
        int p[2], r;

        r = sd_bus_message_read(m, "ssss", &what, &who, &why, &mode);
        if (r < 0)
                return r;
        dprintf(s->report, "Inhibit what=%s who=%s why=%s mode=%s\n", what, who, why, mode);
        if (s->error_name)
                return sd_bus_error_set(e, s->error_name, s->error_message);
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        r = sd_bus_reply_method_return(m, "h", p[1]);
        close(p[1]);
        s->lock = p[0];
        return r;
}

static const sd_bus_vtable fake_logind_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Inhibit", "ssss", "h", fake_logind_inhibit, 0),
        SD_BUS_VTABLE_END,
};

/* The child: serves until the connection closes and no lock is left. */
static inline void fake_logind_serve(FakeLogindState *s, int fd) {
        sd_id128_t id = { { 2 } };
        sd_bus *bus = NULL;
        bool connected = true;

        if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fd, fd) < 0 || sd_bus_set_server(bus, 1, id) < 0 ||
            sd_bus_set_anonymous(bus, 1) < 0 ||
            sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                                     fake_logind_vtable, s) < 0 ||
            sd_bus_start(bus) < 0)
                _exit(2);
        for (;;) {
                struct pollfd p[2] = { { .fd = -1 }, { .fd = -1 } };

                while (sd_bus_process(bus, NULL) > 0)
                        ;
                /* after: the call just served may have made the lock */
                p[1] = (struct pollfd) { .fd = s->lock, .events = POLLIN };
                if (sd_bus_is_open(bus))
                        p[0] = (struct pollfd) { .fd = sd_bus_get_fd(bus), .events = (short) sd_bus_get_events(bus) };
                else if (connected) {
                        dprintf(s->report, "disconnected\n");
                        connected = false;
                }
                if (!connected && s->lock < 0)
                        _exit(0);
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        _exit(3);
                if (s->lock >= 0 && (p[1].revents & (POLLHUP | POLLERR))) {
                        dprintf(s->report, "released\n");
                        close(s->lock);
                        s->lock = -1;
                }
        }
}

/* error_name NULL: logind grants every lock; else it answers Inhibit with
 * that error and `error_message`. */
static inline void fake_logind_start(FakeLogind *f, const char *error_name, const char *error_message) {
        FakeLogindState s = { .error_name = error_name, .error_message = error_message, .lock = -1 };
        int sv[2], rp[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(pipe2(rp, O_CLOEXEC), 0);
        f->seen[0] = '\0';
        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                close(sv[0]);
                close(rp[0]);
                s.report = rp[1];
                fake_logind_serve(&s, sv[1]);
                _exit(0);
        }
        close(sv[1]);
        close(rp[1]);
        f->client = sv[0];
        f->report = rp[0];
}

/* This side's connection to it, as vmrun's would be to the system bus */
static inline sd_bus *fake_logind_bus(FakeLogind *f) {
        sd_bus *bus = NULL;

        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, f->client, f->client), 0);
        f->client = -1;         /* the bus's now */
        assert_int_equal(sd_bus_start(bus), 0);
        return bus;
}

/* Everything it said until a line with `until` (NULL: until it ends), 10s
 * at most. */
static inline const char *fake_logind_said(FakeLogind *f, const char *until) {
        size_t n = strlen(f->seen);

        while (!until || !strstr(f->seen, until)) {
                struct pollfd p = { .fd = f->report, .events = POLLIN };
                ssize_t k;

                if (poll(&p, 1, 10 * 1000) <= 0)
                        break;
                k = read(f->report, f->seen + n, sizeof f->seen - 1 - n);
                if (k <= 0)
                        break;
                n += (size_t) k;
                f->seen[n] = '\0';
        }
        return f->seen;
}

static inline void fake_logind_stop(FakeLogind *f) {
        if (f->client >= 0)
                close(f->client);
        f->client = -1;
        if (f->report >= 0)
                close(f->report);
        f->report = -1;
        if (f->pid > 0) {
                kill(f->pid, SIGKILL);
                (void) waitpid(f->pid, NULL, 0);
        }
        f->pid = 0;
}
