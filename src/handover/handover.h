/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The handover: the host steps that give the GPU to the guest, as data.
 * A step is an instance of a step type (a name, a do, an undo) with its
 * parameters, decided by the plan. Doing a step yields a record: what the
 * undo needs to put back exactly what was there (which driver was bound,
 * which unit was active). Each record reaches the journal, written
 * atomically and fsync'ed, before the next step starts, so that a
 * supervisor that dies at any point leaves enough behind for
 * `vmrun restore` to undo what was done, and nothing else. */

#include "host/host.h"

typedef struct HostStepType HostStepType;
typedef struct StepIntent StepIntent;

/* Finds the step type a journal record names; NULL if there is none. */
typedef const HostStepType *(*HostStepLookup)(const char *name);

struct HostStepType {
        const char *name;
        /* Do the step; on success *ret_record describes what to undo.
         * Before it changes anything it hands step_intent() the record
         * it will return, so that a step that fails or dies half-way is
         * undone too. */
        int (*apply)(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record);
        /* Undo from a record; must be idempotent: restore may run it again
         * after a crash in the middle of an undo. */
        int (*undo)(HostContext *ctx, const json_t *record);
        /* After every undo: is what the record says was there really back?
         * Logs "back: ..." or "not back: ..." and returns -EIO when not.
         * NULL for steps whose undo leaves nothing to look at. */
        int (*verify)(HostContext *ctx, const json_t *record);
};

typedef struct HostStep {
        const HostStepType *type;
        json_t *params;         /* owned */
        char *summary;          /* one line for `vmrun plan` and the timeline */
} HostStep;

typedef struct HostSteps {
        HostStep *steps;
        size_t n;
} HostSteps;

void host_steps_done(HostSteps *s);
/* Takes ownership of params and summary, also on failure. */
int host_steps_add(HostSteps *s, const HostStepType *type, json_t *params, char *summary);

/* Journals `record` (what the undo needs: what was there) for the step
 * being applied, before it acts: from then on a failure of the step, or
 * of vmrun, undoes it with the others. An undo must therefore be right
 * whether the step's change happened or not (each looks first). NULL
 * `intent` (a step applied outside a handover, as in unit tests): 0. */
int step_intent(StepIntent *intent, const json_t *record);

/* Takes the intent back: the step was refused before it changed anything
 * (systemd made no job), so there is nothing of it to undo. */
int step_intent_withdraw(StepIntent *intent);

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

/* Does the journal at `path` list a step that may have changed the host?
 * A handover writes an empty one before its first step. */
bool handover_journal_lists_steps(const char *journal_path);

/* The PCI devices the steps still in a journal changed (their records'
 * "device"): what a dead supervisor's handover still holds. An empty list
 * for a journal with none; -ENOENT without a journal. */
int handover_journal_devices(const char *journal_path, char ***ret);

/* Undo everything the journal at `path` lists, newest first, rewriting
 * the journal after each undo, then remove it, then verify that what each
 * step took is back, and the host as a whole as the journal's `expect`
 * (host_verify()) says. `lookup` finds the step types the journal names
 * (NULL: host_step_type_find(), as everywhere but in the unit tests). No journal: nothing to do, 0. Every step is attempted even
 * after one fails; returns the first error (-EIO when all undos ran but
 * something is not back). */
int handover_restore(HostContext *ctx, HostStepLookup lookup, const char *journal_path);
