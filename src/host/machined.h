/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* systemd-machined over D-Bus: a running VM registered as a machine of
 * class "vm", so that `machinectl list` shows it and `machinectl poweroff`
 * and `terminate` reach it. machined takes the leader's unit as the
 * machine's: `terminate` stops that unit. */

#include <sys/types.h>

#include "basic/util.h"

/* -ENOTCONN: no system bus; -EHOSTDOWN: no machined on it (not installed,
 * masked, or it failed to start); -ETIMEDOUT: it did not answer within 5s
 * (an activation that hangs). Each logs at debug level only; a D-Bus
 * error's own text, when there is one, in *ret_message (may be NULL). */
int machined_register(const char *name, const char *service, pid_t leader, char **ret_message);
/* 0 also when machined knows no machine `name` (any more). */
int machined_unregister(const char *name, char **ret_message);
