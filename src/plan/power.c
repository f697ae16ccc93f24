/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/inhibit.h"
#include "host/power-button.h"
#include "plan/plan-internal.h"

/* What the host must not do while the guest has its GPU: suspend (a
 * guest with a GPU passed through does not survive it, nor does the
 * GPU's state), or power off on the power button under a guest that was
 * not asked to. logind is told through its inhibitor locks; the power
 * button is read by vmrun and asks the guest to power off instead. */

int plan_power(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_(power_buttons_done) PowerButtons buttons = { 0 };
        int r;

        /* a plain VM leaves the host's screen and devices to the host:
         * suspending it is the host's affair, as with any program */
        if (!p->has_gpu)
                return 0;
        plan->inhibit = INHIBIT_SLEEP | INHIBIT_IDLE | INHIBIT_SUSPEND_KEY | INHIBIT_HIBERNATE_KEY;
        if (p->lid == LID_KEEP_RUNNING)
                plan->inhibit |= INHIBIT_LID_SWITCH;
        if (p->power_button != POWER_BUTTON_GUEST)
                return 0;

        /* what the run will find again; none is no error (a container has
         * none), but a key nobody reads stays logind's */
        r = power_buttons_find(ctx, &buttons);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                log_debug("list the input devices in /sys/class/input: %s", STRERROR(r));
        for (size_t i = 0; i < buttons.n; i++) {
                r = strv_pushf(&plan->power_buttons, "%s: %s (%s)", buttons.v[i].node, buttons.v[i].name,
                               buttons.v[i].acpi);
                if (r < 0)
                        return r;
        }
        if (buttons.n > 0)
                plan->inhibit |= INHIBIT_POWER_KEY;
        return 0;
}

void plan_log_power(const Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_free_ char *what = NULL;

        if (plan->inhibit == 0)
                return;
        what = inhibit_what_describe(plan->inhibit);
        log_info("power: logind's inhibitors from the first host step until the host is back: %s", strempty(what));
        if (p->power_button == POWER_BUTTON_HOST) {
                log_info("power button: logind's ([host] power-button = host)");
                return;
        }
        for (size_t i = 0; i < plan->power_buttons.n; i++)
                log_info("power button: %s, read by vmrun: a press asks the guest to power off", plan->power_buttons.v[i]);
        if (plan->power_buttons.n == 0)
                log_warning("no ACPI power button found in /sys/class/input: the power key stays logind's, "
                            "whose HandlePowerKey= powers the host off by default; set [host] power-button = host "
                            "to say that is meant");
}
