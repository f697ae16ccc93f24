/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the supervisor holds of the host's power while the guest has the
 * GPU: logind's inhibitor locks (no suspend, no idle action, nothing done
 * on the lid or the keys the plan names) and the host's power buttons,
 * which it reads itself. Taken before the first host step, let go once
 * the host is given back; a supervisor that dies lets go of both with
 * its descriptors. */

#include <systemd/sd-bus.h>

#include "host/power-button.h"
#include "plan/plan.h"

typedef struct HostPower {
        int inhibit_fd;         /* logind's lock; -1: none held */
        unsigned held;          /* INHIBIT_*: what it holds */
        PowerButtons buttons;   /* open while the power key is vmrun's */
} HostPower;

#define HOST_POWER_INIT { .inhibit_fd = -1 }

/* Opens the power buttons when the plan gives vmrun the power key, and
 * takes logind's lock for what the plan says on `bus` (NULL: the system
 * bus), as VM `plan->profile->name`'s. Says on the timeline what it
 * holds, or why it holds less (no logind, logind's refusal, no button):
 * the guest runs all the same. 0, or -ENOMEM. */
int host_power_take(HostPower *hp, const HostContext *host, const Plan *plan, sd_bus *bus);

/* Did a press of the power button come on `fd` (one of hp's buttons)?
 * 1 if so, 0 if not; a button that is gone (or fails) is closed, said,
 * and taken out of `epfd` (-1: none). */
int host_power_pressed(HostPower *hp, int fd, int epfd);

/* Is `fd` one of hp's power buttons? */
bool host_power_is_button(const HostPower *hp, int fd);

/* A press waiting on any of the buttons (before the event loop watches
 * them): 1 if so. */
int host_power_pressed_any(HostPower *hp);

/* Lets go of the lock and the buttons; says "inhibitors released" when
 * it held a lock. */
void host_power_release(HostPower *hp);
