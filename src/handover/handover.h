/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The handover, the top of src/handover: the host steps that give the
 * GPU to the guest (step.h), done in order, each record journaled
 * (journal.h) before the next step starts, and undone from the journal:
 * by a rollback, or by `vmrun restore` after a supervisor that died at
 * any point. Then verified: each step type's own check of its record,
 * and the host as a whole (verify.h). */

#include "handover/journal.h"
#include "handover/step.h"

/* Finds the step type a journal record names; NULL if there is none. */
typedef const HostStepType *(*HostStepLookup)(const char *name);

/* Every step type, in the order a handover does them; NULL-terminated. */
extern const HostStepType *const host_step_types[];

/* The step types restore can look up by the name in the journal. */
const HostStepType *host_step_type_find(const char *name);

/* Called before step `i` (from 0) of `n`; a negative return stops the
 * handover there, as a failure of that step would (a stop request). */
typedef int (*HandoverProgress)(void *userdata, size_t i, size_t n);

/* Do every step in order, journaling each. If step k fails, or `progress`
 * (NULL: none) says stop before it, steps k-1..1 are undone (and the
 * journal removed) before returning that error. Logs each step on the
 * timeline. */
int handover_apply(HostContext *ctx, const HostSteps *steps, const char *vm, const char *journal_path,
                   json_t *expect, HandoverProgress progress, void *userdata);

/* Undo everything the journal at `path` lists, newest first, rewriting
 * the journal after each undo, then remove it, then verify that what each
 * step took is back, and the host as a whole as the journal's `expect`
 * (host_verify()) says. `lookup` finds the step types the journal names
 * (NULL: host_step_type_find(), as everywhere but in the unit tests). No journal: nothing to do, 0. Every step is attempted even
 * after one fails; returns the first error (-EIO when all undos ran but
 * something is not back). */
int handover_restore(HostContext *ctx, HostStepLookup lookup, const char *journal_path);
