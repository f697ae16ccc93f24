/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The journal (journal.json): each step's record reaches it, written
 * atomically and fsync'ed, before the step acts and again once it has,
 * so that a supervisor that dies at any point leaves enough behind for
 * `vmrun restore` to undo what was done, and nothing else. Below the
 * step types, which journal their intents here, and the handover, which
 * writes and shrinks it. */

#include "handover/step.h"

/* What a journal says besides its steps. The allowed classes go along: a
 * restore without the profile must be allowed to give back exactly the
 * devices the run was allowed to take; and what the host must look like
 * after it, so that `vmrun restore` verifies as much as the supervisor. */
typedef struct Journal {
        const char *path;
        const char *vm;
        unsigned allow_classes;
        json_t *expect;         /* host_verify()'s; NULL: none */
        /* while undoing: the records to check once undone. The journal
         * stays, with them, until the check passes: a restore whose check
         * failed is not over, and the next one checks again. */
        json_t *verify;
} Journal;

/* The journal with `done`, its list of step entries, written atomically. */
int journal_write(const Journal *jr, json_t *done);

/* The journal at `path`, as journal_write() wrote it: *ret_json owns what
 * *ret and *ret_done (its list of step entries) point into. -ENOENT, not
 * logged, when there is none; -EBADMSG, logged (the restore's error), for
 * one that is damaged or of another version. */
int journal_read(const char *path, json_t **ret_json, Journal *ret, json_t **ret_done);

/* The step being applied, and where its entry goes. */
struct StepIntent {
        const Journal *jr;
        json_t *done;           /* the journal's list: this step's entry last, once it has one */
        const HostStep *step;
        bool journaled;
};

/* The step's entry in the journal, written: its intent, then in its place
 * the final record. */
int journal_step(StepIntent *it, const json_t *record, bool intent);

/* Journals `record` (what the undo needs: what was there) for the step
 * being applied, before it acts: from then on a failure of the step, or
 * of vmrun, undoes it with the others. An undo must therefore be right
 * whether the step's change happened or not (each looks first). NULL
 * `intent` (a step applied outside a handover, as in unit tests): 0. */
int step_intent(StepIntent *intent, const json_t *record);

/* Takes the intent back: the step was refused before it changed anything
 * (systemd made no job), so there is nothing of it to undo. */
int step_intent_withdraw(StepIntent *intent);

/* The record made from `format` journaled as the step's intent, before it
 * acts (step_intent()); *ret is the record, to return once it has. */
int record_intent(StepIntent *intent, json_t **ret, const char *format, ...);

/* Does the journal at `path` list a step that may have changed the host?
 * A handover writes an empty one before its first step. */
bool handover_journal_lists_steps(const char *journal_path);

/* The PCI devices the steps still in a journal changed (their records'
 * "device"): what a dead supervisor's handover still holds. An empty list
 * for a journal with none; -ENOENT without a journal. */
int handover_journal_devices(const char *journal_path, char ***ret);
