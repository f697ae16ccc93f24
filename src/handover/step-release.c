/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "host/holders.h"
#include "handover/step-types.h"

/* wait-released: after the units, sessions and user units that held the
 * GPU were told to go, the next step starts only once no process holds
 * any of its nodes, and the handover is rolled back, naming who still
 * holds, when that has not happened by the deadline ([host]
 * timeout-release). A holder's exit wakes the wait (its pidfd); a
 * descriptor that logind or PID 1 closes raises no event a process can
 * wait on, so between exits the holders are looked at again, more
 * rarely the longer it takes. */

#define RESCAN_MIN (20 * USEC_PER_MSEC)
#define RESCAN_MAX (500 * USEC_PER_MSEC)

static int devices_param(const json_t *params, char ***ret) {
        json_t *devs = json_object_get(params, "devices"), *d;
        _cleanup_strv_ Strv s = { 0 };
        size_t i;

        json_array_foreach(devs, i, d)
                if (!json_is_string(d) || strv_push(&s, json_string_value(d)) < 0)
                        return json_is_string(d) ? -ENOMEM : -EINVAL;
        if (!s.v && !(s.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(s.v);
        s = (Strv) { 0 };
        return 0;
}

/* Those that let go when the card goes, later (the audio function's unbind). */
static bool closes_later(const Holder *h, _unused_ const void *data) {
        return holder_closes_on_removal(h);
}

static void log_holders(const Holders *h, int level, const char *prefix) {
        for (size_t i = 0; i < h->n; i++) {
                char line[512];

                holder_describe(&h->holders[i], line, sizeof line);
                log_full_errno(level, 0, "%s%s", prefix, line);
        }
}

/* Until one of the holders exits, or `timeout` passes. */
static void wait_for_an_exit(const Holders *h, usec_t timeout) {
        struct pollfd p[16];
        nfds_t n = 0;

        for (size_t i = 0; i < h->n && n < ELEMENTSOF(p); i++) {
                int fd = (int) syscall(SYS_pidfd_open, h->holders[i].pid, 0);
                if (fd >= 0)
                        p[n++] = (struct pollfd) { .fd = fd, .events = POLLIN };
        }
        /* EINTR is as good as a wake-up: the caller looks again */
        if (poll(p, n, (int) ((timeout + USEC_PER_MSEC - 1) / USEC_PER_MSEC)) < 0)
                log_debug("poll: %s", strerror(errno));
        for (nfds_t i = 0; i < n; i++)
                close(p[i].fd);
}

/* Until no process holds `devices`, or `timeout` has passed: then
 * -EBUSY, with those still holding in *ret_left. *ret_waited is 0 when
 * none held them at the first look. */
static int wait_free(HostContext *ctx, char **devices, usec_t timeout, Holders *ret_left, usec_t *ret_waited) {
        usec_t start = now_usec(), pace = RESCAN_MIN;

        for (bool first = true;; first = false) {
                _cleanup_(holders_done) Holders h = { 0 };
                usec_t now;
                int r;

                r = holders_of_devices(ctx, devices, &h);
                if (r < 0)
                        return log_debug_errno(r, "look for holders of %s: %s", devices[0], STRERROR(r));
                holders_drop_pid(&h, getpid());
                holders_drop_if(&h, closes_later, NULL);
                now = now_usec();
                *ret_waited = first ? 0 : now - start;
                if (h.n == 0)
                        return 0;
                if (now >= start + timeout) {
                        *ret_left = h;
                        h = (Holders) { 0 };
                        return -EBUSY;
                }
                log_holders(&h, LOG_DEBUG, "waiting: ");
                wait_for_an_exit(&h, pace < start + timeout - now ? pace : start + timeout - now);
                pace = pace * 2 < RESCAN_MAX ? pace * 2 : RESCAN_MAX;
        }
}

static int wait_released_apply(HostContext *ctx, const json_t *params, _unused_ StepIntent *intent,
                               json_t **ret_record) {
        _cleanup_strv_free_ char **devices = NULL;
        _cleanup_(holders_done) Holders left = { 0 };
        usec_t timeout = param_seconds(params, "timeout", 30), waited = 0;
        int r;

        r = devices_param(params, &devices);
        if (r < 0)
                return log_error_errno(r, "wait-released: bad parameters: %s", STRERROR(r));
        r = wait_free(ctx, devices, timeout, &left, &waited);
        if (r == -EBUSY) {
                log_holders(&left, LOG_ERR, "still held: ");
                return log_error_errno(r, "the GPU's nodes are still held %llus after their holders were told to go "
                                       "([host] timeout-release): giving up",
                                       (unsigned long long) (timeout / USEC_PER_SEC));
        }
        if (r < 0)
                return log_error_errno(r, "look for holders of %s: %s", devices[0], STRERROR(r));
        log_info("no process holds the GPU's nodes any more (after %.1fs)", (double) waited / USEC_PER_SEC);
        return record_new(ret_record, "{}");
}

/* A rollback before the nodes were free: a compositor the steps before
 * told to go may still be exiting (gnome-shell under TCG, seconds after
 * its session ended), and a display manager started again meanwhile
 * logs its user into a desktop that finds the card taken. */
static void wait_released_settle(HostContext *ctx, const json_t *params) {
        _cleanup_strv_free_ char **devices = NULL;
        _cleanup_(holders_done) Holders left = { 0 };
        usec_t timeout = param_seconds(params, "timeout", 30), waited = 0;
        int r;

        if (devices_param(params, &devices) < 0)
                return;
        r = wait_free(ctx, devices, timeout, &left, &waited);
        if (r == -EBUSY) {
                log_holders(&left, LOG_WARNING, "still held: ");
                log_warning("before the undo: the GPU's nodes are still held after %llus ([host] timeout-release); "
                            "undoing anyway", (unsigned long long) (timeout / USEC_PER_SEC));
        } else if (r < 0)
                log_warning("before the undo: cannot look for holders of %s (%s); undoing without waiting",
                            devices[0], STRERROR(r));
        else if (waited > 0)
                log_info("before the undo: what the steps before ended let go of the GPU's nodes (after %.1fs)",
                         (double) waited / USEC_PER_SEC);
}

/* nothing was changed: the steps before it put back what they took */
static int wait_released_undo(_unused_ HostContext *ctx, _unused_ const json_t *record) {
        return 0;
}

const HostStepType step_wait_released = {
        .name = "wait-released",
        .apply = wait_released_apply,
        .undo = wait_released_undo,
        .settle = wait_released_settle,
};
