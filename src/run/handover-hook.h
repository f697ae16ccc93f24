/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The supervisor's hook before each host step of the handover: the step
 * in the state file, and a stop asked for meanwhile, which rolls the
 * handover back; a test build's switches stop or hold it at a step. */

#include <stddef.h>

/* A HandoverProgress for handover_apply(), with the Supervisor as userdata. */
int before_step(void *userdata, size_t i, size_t n);
