/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "host/holders.h"
#include "host/host.h"
#include "host/logind.h"
#include "host/pci.h"
#include "host/units.h"
#include "host/vtcon.h"
#include "handover/step.h"
#include "handover/verify.h"

/* After the restore: is the host as the plan expected to find it again? */

/* The device numbers of the GPU's DRM cards (not its render nodes: a
 * compositor takes the card). */
static int card_rdevs(HostContext *ctx, const char *gpu, dev_t *ret, size_t max, size_t *ret_n) {
        _cleanup_strv_free_ char **nodes = NULL;
        size_t n = 0;
        int r;

        r = device_nodes(ctx->root, gpu, &nodes);
        if (r < 0)
                return r;
        for (size_t i = 0; nodes[i] && n < max; i++) {
                _cleanup_free_ char *full = NULL;
                struct stat st;

                if (!startswith(nodes[i], "/dev/dri/card"))
                        continue;
                if (host_path(ctx, nodes[i], &full) < 0)
                        return -ENOMEM;
                if (stat(full, &st) >= 0 && S_ISCHR(st.st_mode))
                        ret[n++] = st.st_rdev;
        }
        *ret_n = n;
        return 0;
}

/* A session on `seat` whose compositor took one of the GPU's cards from
 * logind: 1 and the session in *ret, 0 when there is none. */
static int desktop_session(HostContext *ctx, const char *seat, const char *gpu, LoginSession *ret) {
        _cleanup_strv_free_ char **ids = NULL;
        dev_t cards[8];
        size_t n;
        int r;

        r = card_rdevs(ctx, gpu, cards, ELEMENTSOF(cards), &n);
        if (r < 0)
                return r;
        r = login_sessions_on_seat(ctx, seat, &ids);
        if (r < 0)
                return r;
        for (size_t i = 0; ids[i]; i++) {
                _cleanup_(login_session_done) LoginSession s = { 0 };

                /* a closing session is the one that went, not the desktop
                 * back: logind keeps its file, with the card, until what
                 * was left in it has gone */
                if (login_session_read(ctx, ids[i], &s) < 0 || streq_ptr(s.state, "closing"))
                        continue;
                for (size_t k = 0; k < n; k++)
                        if (login_session_has_device(&s, cards[k])) {
                                *ret = s;
                                s = (LoginSession) { 0 };
                                return 1;
                        }
        }
        return 0;
}

/* A process of `unit` (lightdm's or sddm's root Xorg, which opens the
 * card itself, not through logind) holds one of the GPU's cards: 1 and
 * it in *ret_who. */
static int unit_holds_card(HostContext *ctx, const char *gpu, const char *unit, char **ret_who) {
        _cleanup_(holders_done) Holders h = { 0 };
        char *const devices[] = { (char *) gpu, NULL };
        int r;

        r = holders_of_devices(ctx, devices, &h);
        if (r < 0)
                return r;
        for (size_t i = 0; i < h.n; i++)
                if (startswith(h.holders[i].node, "/dev/dri/card") && streq_ptr(h.holders[i].unit, unit)) {
                        if (asprintf(ret_who, "PID %d (%s) of %s holds %s", (int) h.holders[i].pid,
                                     strempty(h.holders[i].comm), unit, h.holders[i].node) < 0)
                                return -ENOMEM;
                        return 1;
                }
        return 0;
}

/* Nothing brings a desktop back without a display manager that runs:
 * startx's was started by hand, from a tty. An older journal says
 * nothing of it, and a host whose manager cannot be asked is taken to
 * have one: those wait for the desktop as before. */
static bool display_manager_runs(HostContext *ctx, const json_t *desktop) {
        json_t *dm = json_object_get(desktop, "display_manager");
        _cleanup_free_ char *state = NULL;
        Units *u;

        if (!dm)
                return true;
        if (!json_is_string(dm))
                return false;
        if (host_units(ctx, &u) < 0 || unit_active_state(u, json_string_value(dm), &state) < 0)
                return true;
        return streq(state, "active") || streq(state, "activating") || streq(state, "reloading");
}

/* Is the screen lit: a connector of the GPU's card enabled, its DPMS on?
 * Said, not failed: a compositor sets its mode a moment after it took
 * the card, and nothing tells when. */
static void say_screen(HostContext *ctx, const char *gpu) {
        _cleanup_strv_free_ char **entries = NULL;
        bool any = false;

        if (host_list_dir(ctx, "/sys/class/drm", &entries) < 0)
                return;
        strv_sort(entries);
        for (size_t i = 0; entries[i]; i++) {
                _cleanup_free_ char *link = NULL, *dev = NULL, *ep = NULL, *dp = NULL, *enabled = NULL, *dpms = NULL;
                const char *dash = strchr(entries[i], '-');

                if (!startswith(entries[i], "card") || !dash)
                        continue;
                if (asprintf(&link, "/sys/class/drm/%.*s/device", (int) (dash - entries[i]), entries[i]) < 0 ||
                    asprintf(&ep, "/sys/class/drm/%s/enabled", entries[i]) < 0 ||
                    asprintf(&dp, "/sys/class/drm/%s/dpms", entries[i]) < 0)
                        return;
                if (host_link_name(ctx, link, &dev) < 0 || !streq(dev, gpu) || host_read(ctx, ep, &enabled) < 0 ||
                    !streq(enabled, "enabled"))
                        continue;
                (void) host_read(ctx, dp, &dpms);
                log_info("the screen: %s enabled, DPMS %s", entries[i], dpms ? dpms : "unknown");
                any = true;
        }
        if (!any)
                log_warning("the screen: no connector of %s's card is enabled yet; if it stays dark, see "
                            "`cat /sys/class/drm/card*-*/enabled` and the compositor's log", gpu);
}

#define UNIT_LOOK_MS 250

/* The desktop is back when a session on the GPU's seat has its card
 * again: the display manager started, logged its user in (or showed its
 * greeter) and the compositor took the card. logind rewrites a session's
 * file when it does, so the wait is on that directory (inotify). */
static int verify_desktop(HostContext *ctx, const json_t *desktop, const char *gpu) {
        const char *seat = str_param(desktop, "seat"), *unit = str_param(desktop, "unit");
        usec_t deadline = deadline_after(param_seconds(desktop, "timeout", 120)), start = now_usec();
        _cleanup_(login_session_done) LoginSession s = { 0 };
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -1;
        int r, ms;

        if (!display_manager_runs(ctx, desktop)) {
                /* a rollback before the session's end left it as it was:
                 * nothing to start again */
                r = desktop_session(ctx, seat, gpu, &s);
                if (r > 0) {
                        log_info("back: the desktop: session %s of %s on %s still has the GPU's card (it was not "
                                 "ended)", s.id, s.user, seat);
                        ctx->desktop_back = true;
                        return 0;
                }
                log_info("back: the console; no display manager runs, so the desktop started by hand (startx) does "
                         "not come back by itself: start it again");
                return 0;
        }
        if (host_path(ctx, "/run/systemd/sessions", &dir) < 0)
                return -ENOMEM;
        fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd < 0 || inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0)
                log_debug("inotify on %s: %s; looking once", dir, strerror(errno));
        for (;;) {
                char buf[4096];

                _cleanup_free_ char *who = NULL;

                r = desktop_session(ctx, seat, gpu, &s);
                if (r < 0)
                        return log_error_errno(r, "look for the desktop's session on %s: %s", seat, STRERROR(r));
                if (r > 0) {
                        log_info("back: the desktop: session %s of %s on %s has the GPU's card (waited %.1fs)", s.id,
                                 s.user, seat, (double) (now_usec() - start) / USEC_PER_SEC);
                        ctx->desktop_back = true;
                        say_screen(ctx, gpu);
                        return 0;
                }
                /* lightdm logs in once its Xorg runs: the session's file wakes this */
                r = unit ? unit_holds_card(ctx, gpu, unit, &who) : 0;
                if (r < 0)
                        return log_error_errno(r, "look for %s on the GPU's card: %s", unit, STRERROR(r));
                if (r > 0) {
                        log_info("back: the desktop: %s (waited %.1fs)", who,
                                 (double) (now_usec() - start) / USEC_PER_SEC);
                        ctx->desktop_back = true;
                        say_screen(ctx, gpu);
                        return 0;
                }
                /* no event says a process opened a device: for a unit's
                 * own server (a display manager without autologin makes
                 * no session), a look every UNIT_LOOK_MS as well */
                if (now_usec() >= deadline)
                        break;
                ms = deadline_to_poll_ms(deadline);
                if (unit && (ms < 0 || ms > UNIT_LOOK_MS))
                        ms = UNIT_LOOK_MS;
                if (fd < 0 && !unit)
                        break;
                if (poll(&(struct pollfd) { .fd = fd, .events = POLLIN }, 1, ms) < 0 && errno != EINTR)
                        break;
                while (read(fd, buf, sizeof buf) > 0)
                        ;
        }
        log_error("not back: no session on %s%s%s has the GPU's card after %.0fs; see "
                  "`loginctl seat-status %s` and `journalctl -u display-manager`",
                  seat, unit ? ", nor " : "", unit ? unit : "", (double) (now_usec() - start) / USEC_PER_SEC, seat);
        return -EIO;
}

int host_verify(HostContext *ctx, const json_t *expect) {
        const char *dev, *gpu = str_param(expect, "gpu");
        json_t *drv;
        int ret = 0;

        json_object_foreach((json_t *) json_object_get(expect, "drivers"), dev, drv) {
                _cleanup_free_ char *now = NULL;
                const char *want = json_string_value(drv);

                if (!want)
                        continue;
                if (pci_device_driver(ctx, dev, &now) < 0 || !streq(now, want)) {
                        log_error("not back: %s is bound to %s, it was bound to %s", dev, now ? now : "no driver", want);
                        ret = -EIO;
                } else
                        log_info("back: %s bound to %s", dev, want);
        }

        if (gpu && json_object_get(json_object_get(expect, "drivers"), gpu) &&
            json_string_value(json_object_get(json_object_get(expect, "drivers"), gpu))) {
                _cleanup_strv_free_ char **cards = NULL;
                bool found = false;

                if (host_list_dir(ctx, "/sys/class/drm", &cards) >= 0)
                        for (size_t k = 0; cards[k] && !found; k++) {
                                _cleanup_free_ char *link = NULL, *target = NULL;
                                if (strncmp(cards[k], "card", 4) != 0 || strchr(cards[k], '-'))
                                        continue;
                                if (asprintf(&link, "/sys/class/drm/%s/device", cards[k]) < 0)
                                        return -ENOMEM;
                                found = host_link_name(ctx, link, &target) >= 0 && streq(target, gpu);
                        }
                if (!found) {
                        log_error("not back: no DRM card for %s in /sys/class/drm", gpu);
                        ret = -EIO;
                } else
                        log_info("back: DRM card for %s", gpu);
        }

        if (gpu && json_object_get(expect, "desktop"))
                RET_GATHER(ret, verify_desktop(ctx, json_object_get(expect, "desktop"), gpu));

        if (json_is_true(json_object_get(expect, "fbcon"))) {
                _cleanup_strv_free_ char **vtcons = NULL;
                bool bound = false;

                if (host_list_dir(ctx, "/sys/class/vtconsole", &vtcons) >= 0)
                        for (size_t k = 0; vtcons[k] && !bound; k++) {
                                _cleanup_free_ char *np = NULL, *bp = NULL, *n = NULL, *b = NULL;
                                if (vtcon_path(vtcons[k], "name", &np) < 0 || vtcon_path(vtcons[k], "bind", &bp) < 0)
                                        return -ENOMEM;
                                bound = host_read(ctx, np, &n) >= 0 && host_read(ctx, bp, &b) >= 0 &&
                                        strstr(n, "frame buffer") && streq(b, "1");
                        }
                if (!bound) {
                        log_error("not back: no frame buffer console is bound (/sys/class/vtconsole/*/bind)");
                        ret = -EIO;
                } else
                        log_info("back: frame buffer console bound");
        }
        return ret;
}
