/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/epoll.h>

#include "basic/log.h"
#include "host/inhibit.h"
#include "run/host-power.h"

/* The buttons the plan found, opened; those that cannot be are said and
 * dropped. */
static int open_buttons(HostPower *hp, const HostContext *host, const char *vm) {
        PowerButtons *b = &hp->buttons;
        int r;

        r = power_buttons_find(host, b);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                log_debug("list the input devices in /sys/class/input: %s", STRERROR(r));
        for (size_t i = 0; i < b->n;) {
                r = power_button_open(host, &b->v[i]);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_warning("power button %s (%s): cannot open it: %s; vmrun does not read it", b->v[i].node,
                                    b->v[i].acpi, STRERROR(r));
                        power_buttons_remove(b, i);
                        continue;
                }
                log_info("power button: %s (%s, %s) read by vmrun: a press asks the guest to power off, as "
                         "`vmrun shutdown %s` does",
                         b->v[i].node, b->v[i].name, b->v[i].acpi, vm);
                i++;
        }
        if (b->n == 0)
                log_warning("no ACPI power button to read (no input device of ACPI's LNXPWRBN or PNP0C0C with "
                            "KEY_POWER in /sys/class/input): the power key stays logind's, whose HandlePowerKey= "
                            "powers the host off by default; end the guest with `vmrun shutdown %s` instead",
                            vm);
        return 0;
}

/* logind's lock, or why there is none: never a reason to stop. */
static int inhibit(HostPower *hp, sd_bus *bus, unsigned what, const char *vm) {
        _cleanup_free_ char *names = NULL, *why = NULL, *message = NULL;
        double t0 = log_elapsed();
        int r;

        names = inhibit_what_describe(what);
        if (!names || asprintf(&why, "the GPU belongs to VM %s", vm) < 0)
                return -ENOMEM;
        r = logind_inhibit(bus, what, "vmrun", why, &hp->inhibit_fd, &message);
        switch (r) {
        case 0:
                hp->held = what;
                /* the time is logind's (and the bus's): see machine.c */
                log_info("inhibitors: %s held for VM %s (%.0f ms)", names, vm, (log_elapsed() - t0) * 1000);
                return 0;
        case -ENOMEM:
                return r;
        case -ENOTCONN:
                log_warning("no system bus here: logind's inhibitors (%s) not taken; VM %s runs, and nothing keeps "
                            "a suspend away from it", names, vm);
                return 0;
        case -EHOSTDOWN:
                log_warning("systemd-logind is not running: its inhibitors (%s) not taken; VM %s runs, and no "
                            "logind acts on the lid or the keys meanwhile", names, vm);
                return 0;
        case -ETIMEDOUT:
                log_warning("systemd-logind did not answer Inhibit within 5s: inhibitors (%s) not taken; the host "
                            "may suspend under VM %s; see `systemctl status systemd-logind`", names, vm);
                return 0;
        default:
                log_warning("systemd-logind refused the inhibitors (%s): %s; the host may suspend%s under VM %s; "
                            "see `journalctl -u systemd-logind`",
                            names, message ? message : STRERROR(r),
                            what & INHIBIT_POWER_KEY ? " or power off on the power button" : "", vm);
                return 0;
        }
}

int host_power_take(HostPower *hp, const HostContext *host, const Plan *plan, sd_bus *bus) {
        const char *vm = plan->profile->name;
        unsigned what = plan->inhibit;
        int r;

        if (what == 0)
                return 0;
        if (what & INHIBIT_POWER_KEY) {
                r = open_buttons(hp, host, vm);
                if (r < 0)
                        return r;
                /* a key nobody reads stays logind's */
                if (hp->buttons.n == 0)
                        what &= ~INHIBIT_POWER_KEY;
        }
        return inhibit(hp, bus, what, vm);
}

bool host_power_is_button(const HostPower *hp, int fd) {
        for (size_t i = 0; i < hp->buttons.n; i++)
                if (hp->buttons.v[i].fd == fd)
                        return true;
        return false;
}

/* Button i: a press (1), or not (0); one that is gone or fails is said,
 * taken out of `epfd` (-1: not watched yet) and closed. */
static int read_button(HostPower *hp, size_t i, int epfd) {
        const PowerButton *b = &hp->buttons.v[i];
        int r = power_button_read(b->fd);

        if (r >= 0)
                return r;
        /* a failure here leaves nothing behind: the close below ends the
         * watch with the file's last descriptor (spawn() returns only once
         * its child has closed its copies), said for a look all the same */
        if (epfd >= 0 && epoll_ctl(epfd, EPOLL_CTL_DEL, b->fd, NULL) < 0)
                log_debug("power button %s: take it out of the event loop: %s", b->node, strerror(errno));
        log_warning("power button %s: %s; vmrun reads it no more, and a press of it does nothing until the host is "
                    "back (`vmrun shutdown` ends the guest)",
                    b->node, r == -ENODEV ? "gone" : STRERROR(r));
        power_buttons_remove(&hp->buttons, i);
        return 0;
}

int host_power_pressed(HostPower *hp, int fd, int epfd) {
        for (size_t i = 0; i < hp->buttons.n; i++)
                if (hp->buttons.v[i].fd == fd)
                        return read_button(hp, i, epfd);
        return 0;
}

int host_power_pressed_any(HostPower *hp) {
        bool pressed = false;

        /* from the last: one taken out moves none still to be read */
        for (size_t i = hp->buttons.n; i-- > 0;)
                if (read_button(hp, i, -1) > 0)
                        pressed = true;
        return pressed;
}

void host_power_release(HostPower *hp) {
        bool held = hp->inhibit_fd >= 0;

        closep(&hp->inhibit_fd);
        hp->held = 0;
        power_buttons_done(&hp->buttons);
        if (held)
                log_info("inhibitors released");
}
