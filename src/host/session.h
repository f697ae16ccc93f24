/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Where the supervisor itself lives. Started from a terminal inside the
 * graphical session whose display manager the handover stops, it would be
 * killed half-way through its own handover, and nothing would give the
 * host back. */

#include "basic/util.h"

/* -EDEADLK (logged, with the command that works instead) when this
 * process belongs to a graphical login session, directly (its scope) or
 * through its user's service manager (a terminal started as an app of a
 * desktop session); 0 otherwise, including when logind cannot tell. */
int session_check_survives(const char *profile_path, const char *vm);
