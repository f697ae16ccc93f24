/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* logind's inhibitor locks (org.freedesktop.login1.Manager.Inhibit):
 * while vmrun keeps the descriptor logind gave it, logind neither
 * suspends the host nor acts on the switches and keys the lock names,
 * and a suspend that honours inhibitors is refused. Closing it releases
 * the lock; the kernel closes it when vmrun ends, however it ends. */

#include <systemd/sd-bus.h>

#include "basic/util.h"

/* What a lock holds off, as bits; logind's words in inhibit.c. */
typedef enum InhibitWhat {
        INHIBIT_SLEEP = 1u << 0,                /* suspend and hibernate, by anyone */
        INHIBIT_IDLE = 1u << 1,                 /* logind's IdleAction= */
        INHIBIT_LID_SWITCH = 1u << 2,           /* HandleLidSwitch= */
        INHIBIT_SUSPEND_KEY = 1u << 3,          /* HandleSuspendKey= */
        INHIBIT_HIBERNATE_KEY = 1u << 4,        /* HandleHibernateKey= */
        INHIBIT_POWER_KEY = 1u << 5,            /* HandlePowerKey= */
} InhibitWhat;

/* logind's words joined by ':', as Inhibit() takes them
 * ("sleep:idle:handle-lid-switch"); NULL only when out of memory. */
char *inhibit_what_to_string(unsigned what);

/* The same for people: "sleep, idle, lid, suspend and hibernate keys,
 * power key"; NULL only when out of memory. */
char *inhibit_what_describe(unsigned what);

/* Inhibit(what, who, why, "block") on `bus` (NULL: the system bus), the
 * lock's descriptor (close-on-exec) in *ret_fd. logind is not started
 * for it: a host where it does not run has nothing that suspends it on
 * a key or the lid. -ENOTCONN: no system bus; -EHOSTDOWN: no logind on
 * it; -ETIMEDOUT: no answer within 5s; any other error with logind's
 * own text in *ret_message (may be NULL). Logs at debug level only. */
int logind_inhibit(sd_bus *bus, unsigned what, const char *who, const char *why, int *ret_fd, char **ret_message);
