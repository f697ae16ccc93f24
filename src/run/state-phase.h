/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Where the run is, for those who ask while it runs: the phase in the
 * state file (`vmrun status`, `shutdown`, and `restore` if the supervisor
 * dies), and the supervisor's status line for systemd. */

#include "run/supervisor-internal.h"

/* The state file, in `phase`; not logged. */
int write_state(const Supervisor *s, const char *phase);
/* write_state(), with a warning when it fails. */
void set_phase(const Supervisor *s, const char *phase);
/* STATUS= for the service manager (`systemctl status`). */
void notify_status(const char *format, ...) _printf_(1, 2);
