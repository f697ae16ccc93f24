/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Inside src/handover only: what the step types that act through a
 * service manager (stop-unit, stop-user-unit, stop-graphical-session)
 * share. Below the step types, so that none of them uses another. */

#include "handover/journal.h"

/* The service manager of the user a step's "uid" and "user" name; -ENOENT
 * (not logged) when it is not running, other errors logged. */
int user_manager(HostContext *ctx, const json_t *j, Units **ret);

/* unit_stop() for a step that has journaled its intent: a stop the
 * manager refuses outright takes that intent back (step_intent_withdraw()).
 * The caller logs the failure, with UNITS_ERROR(u, r). */
int stop_for_step(Units *u, const char *unit, usec_t deadline, StepIntent *intent);
