/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "basic/log.h"
#include "basic/test-switch.h"
#include "handover/handover.h"
#include "handover/step-types.h"
#include "handover/verify.h"

/* The order a handover does them in; undo goes the other way. */
const HostStepType *const host_step_types[] = {
        &step_stop_unit,
        &step_end_session,
        &step_stop_graphical_session,
        &step_stop_user_unit,
        &step_wait_released,
        &step_unbind_vtconsole,
        &step_unbind_framebuffer,
        &step_backlight,
        &step_unload_module,
        &step_unbind_device,
        &step_load_module,
        &step_bind_vfio,
        &step_check_vfio_group,
        &step_grant,
        NULL,
};

const HostStepType *host_step_type_find(const char *name) {
        for (size_t i = 0; host_step_types[i]; i++)
                if (streq(host_step_types[i]->name, name))
                        return host_step_types[i];
        return NULL;
}

/* Where the step types named in a journal are found: among the steps
 * being applied (a rollback undoes only what it did), else through the
 * lookup restore was given. */
typedef struct StepTypes {
        const HostSteps *applied;
        HostStepLookup lookup;
} StepTypes;

static const HostStepType *step_types_find(const StepTypes *t, const char *name) {
        if (t->applied)
                for (size_t i = 0; i < t->applied->n; i++)
                        if (streq(t->applied->steps[i].type->name, name))
                                return t->applied->steps[i].type;
        return (t->lookup ? t->lookup : host_step_type_find)(name);
}

/* Undo the records in `done` from the last to the first, shrinking the
 * journal as it goes so a crash in between repeats no undo that finished.
 * An undo that fails stays in the journal: once its cause is fixed, the
 * next `vmrun restore` tries it again. The journal itself stays (its
 * records to verify): journal_verified() removes it. */
static int undo_records(HostContext *ctx, const StepTypes *types, json_t *done, const Journal *jr) {
        const char *vm = jr->vm, *journal_path = jr->path;
        size_t kept = 0;        /* failed entries, kept at the front of `done` */
        int ret = 0, r;

        while (json_array_size(done) > kept) {
                size_t i = json_array_size(done) - 1;
                json_t *entry = json_array_get(done, i);
                const char *type_name = NULL, *summary = NULL;
                json_t *record = NULL;
                const HostStepType *type;
                double t0 = log_elapsed();
                bool failed = false;

                if (json_unpack(entry, "{s:s, s?s, s:o}", "type", &type_name, "summary", &summary, "record", &record) < 0) {
                        log_error("journal %s: entry %zu is damaged; its step cannot be undone automatically", journal_path, i);
                        failed = true;
                        RET_GATHER(ret, -EBADMSG);
                } else if (!(type = step_types_find(types, type_name))) {
                        log_error("journal %s: unknown step type '%s'; was it written by another vmrun version?",
                                  journal_path, type_name);
                        failed = true;
                        RET_GATHER(ret, -EBADMSG);
                } else {
                        r = type->undo(ctx, record);
                        if (r < 0) {
                                /* the undo logged what went wrong with which
                                 * device; the rest is still worth trying */
                                log_error("undo '%s' failed; it stays in %s for the next `vmrun restore %s`",
                                          strempty(summary), journal_path, vm);
                                failed = true;
                                RET_GATHER(ret, r);
                        } else
                                log_info("undone: %s (%.0f ms)", strempty(summary), (log_elapsed() - t0) * 1000);
                }

                if (failed) {
                        /* to the front: going newest first, that keeps the
                         * kept ones in their original order */
                        if (json_array_insert(done, 0, entry) < 0 || json_array_remove(done, i + 1) < 0)
                                return -ENOMEM;
                        kept++;
                } else if (json_array_remove(done, i) < 0)
                        return -ENOMEM;

                r = journal_write(jr, done);
                if (r < 0) {
                        log_error_errno(r, "rewrite journal %s: %s", journal_path, STRERROR(r));
                        RET_GATHER(ret, r);
                }
        }

        return ret;
}

/* Everything undone and seen back: nothing is left to restore. */
static int journal_verified(const char *journal_path) {
        if (unlink(journal_path) < 0 && errno != ENOENT) {
                int r = negative_errno();
                return log_error_errno(r, "remove journal %s: %s", journal_path, STRERROR(r));
        }
        return 0;
}

/* Each step type looks at what its record says was there. Runs over the
 * records as they were journaled, oldest first, like the host came up. */
static int verify_records(HostContext *ctx, const StepTypes *types, const json_t *records) {
        const json_t *entry;
        size_t i;
        int ret = 0;

        json_array_foreach(records, i, entry) {
                const char *type_name = json_string_value(json_object_get(entry, "type"));
                const HostStepType *type = type_name ? step_types_find(types, type_name) : NULL;

                if (type && type->verify)
                        RET_GATHER(ret, type->verify(ctx, json_object_get(entry, "record")));
        }
        return ret;
}

/* Before a rollback's undos: the steps from `at` on were not done (the
 * one at `at` began only if `began`), and the ones before may have set
 * going what those would have waited for. */
static void settle_not_done(HostContext *ctx, const HostSteps *steps, size_t at, bool began) {
        if (at == 0)
                return;
        for (size_t k = at + began; k < steps->n; k++)
                if (steps->steps[k].type->settle)
                        steps->steps[k].type->settle(ctx, steps->steps[k].params);
}

int handover_apply(HostContext *ctx, const HostSteps *steps, const char *vm, const char *journal_path,
                   json_t *expect, HandoverProgress progress, void *userdata) {
        const Journal jr = { .path = journal_path, .vm = vm, .allow_classes = ctx->allow_classes, .expect = expect };
        _cleanup_json_ json_t *done = json_array();
        /* the lab's failure injection: every rollback path must be
         * exercised on a real kernel, and none fails each step on cue */
        size_t fail_at = test_switch_step("VMRUN_TEST_FAIL_STEP"), at = 0;
        bool began = false;
        int r;

        if (!done)
                return log_oom();
        if (steps->n == 0) {
                log_info("host: no handover steps in this plan");
                return 0;
        }

        r = journal_write(&jr, done);
        if (r < 0)
                return log_error_errno(r, "create journal %s: %s", journal_path, STRERROR(r));

        for (size_t i = 0; i < steps->n; i++) {
                const HostStep *s = &steps->steps[i];
                _cleanup_json_ json_t *record = NULL;
                double t0 = log_elapsed();

                at = i;
                if (progress) {
                        r = progress(userdata, i, steps->n);
                        if (r < 0) {
                                log_info("undoing the %zu step%s done", i, i == 1 ? "" : "s");
                                goto rollback;
                        }
                }
                log_info("step %zu/%zu: %s", i + 1, steps->n, s->summary);
                if (fail_at == i + 1) {
                        r = log_error_errno(-ECANCELED,
                                            "step %zu/%zu failed: %s: VMRUN_TEST_FAIL_STEP=%zu: failing this step on "
                                            "purpose; undoing the %zu step%s before it",
                                            i + 1, steps->n, s->summary, fail_at, i, i == 1 ? "" : "s");
                        goto rollback;
                }
                StepIntent it = { .jr = &jr, .done = done, .step = s };
                began = true;
                r = s->type->apply(ctx, s->params, &it, &record);
                if (r < 0) {
                        /* begun: its change may have happened, or half */
                        log_error("step %zu/%zu failed: %s; undoing %s%zu step%s before it", i + 1, steps->n, s->summary,
                                  it.journaled ? "what it began and the " : "the ", i, i == 1 ? "" : "s");
                        goto rollback;
                }
                r = journal_step(&it, record, false);
                if (r == -ENOMEM) {
                        r = log_oom();
                        /* the step happened but is not journaled: undo it now */
                        if (!it.journaled && s->type->undo(ctx, record) < 0)
                                log_error("undo '%s' failed and it is in no journal: put it back by hand", s->summary);
                        goto rollback;
                }
                if (r < 0) {
                        log_error_errno(r, "write journal %s: %s", journal_path, STRERROR(r));
                        goto rollback;
                }
                log_info("done: %s (%.0f ms)", s->summary, (log_elapsed() - t0) * 1000);
                began = false;
        }
        return 0;

rollback: {
        _cleanup_json_ json_t *records = json_deep_copy(done);

        const StepTypes types = { .applied = steps };
        const Journal undo_jr = { .path = journal_path, .vm = vm, .allow_classes = ctx->allow_classes,
                                  .expect = expect, .verify = records };

        settle_not_done(ctx, steps, at, began);
        /* verified as a restore is: the desktop a step ended is back too */
        if (!records || undo_records(ctx, &types, done, &undo_jr) < 0 || verify_records(ctx, &types, records) < 0 ||
            (expect && host_verify(ctx, expect) < 0) || journal_verified(journal_path) < 0)
                log_error("rollback incomplete: the host is not fully restored; see the errors above, then run "
                          "`vmrun restore %s`", vm);
        return r;
}
}

int handover_restore(HostContext *ctx, HostStepLookup lookup, const char *journal_path) {
        const StepTypes types = { .lookup = lookup };
        _cleanup_json_ json_t *j = NULL, *records = NULL;
        json_t *done = NULL;
        Journal jr;
        int r;

        r = journal_read(journal_path, &j, &jr, &done);
        if (r == -ENOENT) {
                log_info("host: no journal at %s, nothing to restore", journal_path);
                return 0;
        }
        if (r < 0)
                return r;
        ctx->allow_classes = jr.allow_classes;

        /* undo_records() empties the journal's list as it goes; what an
         * earlier restore undid but did not see back is checked again */
        records = json_deep_copy(jr.verify ? jr.verify : done);
        if (!records)
                return log_oom();

        if (json_array_size(done) > 0)
                log_info("host: restoring %zu step%s from %s", json_array_size(done),
                         json_array_size(done) == 1 ? "" : "s", journal_path);
        else
                log_info("host: the steps in %s were undone before; checking that the host is back", journal_path);
        jr.verify = records;
        r = undo_records(ctx, &types, done, &jr);
        if (r < 0)
                return r;
        /* the steps' own checks, then the host as a whole: the same
         * verification for the supervisor and for `vmrun restore` */
        r = verify_records(ctx, &types, records);
        if (r >= 0 && jr.expect)
                r = host_verify(ctx, jr.expect);
        if (r < 0)
                return log_error_errno(r, "the host steps were undone, but not everything is back (see `not back:` "
                                       "above); %s stays for the next `vmrun restore %s`, which checks again",
                                       journal_path, jr.vm);
        return journal_verified(journal_path);
}
