/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A host step as data, the lowest part of src/handover: a step type (a
 * name, a do, an undo, a verify), the list of steps the plan decides,
 * and the parameters and records steps are made of. The journal, the
 * step types, the verification and the handover build on this, and it
 * on none of them. */

#include "host/host.h"

typedef struct HostStepType HostStepType;
typedef struct StepIntent StepIntent;

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
        /* A rollback that ends before this step was done (the step failed
         * before its apply, or was never reached) calls it before any
         * undo: what the steps before it set going (a desktop still
         * exiting) settles first, so that their undos (the display
         * manager started again) do not race it. Never fails the rollback.
         * NULL: nothing to wait for. */
        void (*settle)(HostContext *ctx, const json_t *params);
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

/* A string parameter of a step or a record; NULL when it has none. */
const char *str_param(const json_t *j, const char *key);
/* A parameter in seconds, as usec; `fallback` seconds when it has none. */
usec_t param_seconds(const json_t *j, const char *key, unsigned fallback);

/* A record from json_pack()'s `format`; -ENOMEM when it cannot be made. */
int record_new(json_t **ret, const char *format, ...);
