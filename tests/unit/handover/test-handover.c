/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture.h"

#include <dirent.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "handover/handover.h"
#include "basic/log.h"

/* ---- fake step types ----
 *
 * Two types that touch nothing but a list of calls, so the order of applies
 * and undos can be checked. A step's params say its name and how it should
 * go: {"name": "b", "apply": EIO} fails to apply, {"undo": EBUSY} makes the
 * undo fail (the apply copies that into the record, which is all the undo
 * gets). fake-a and fake-b have no verify; fake-back and fake-not-back
 * have one that finds, as a real one would after its undo, what the record
 * says was there back or not. */

#define MAX_CALLS 32

static struct {
        char calls[MAX_CALLS][64];
        size_t n_calls;
        /* records in the journal when each apply started */
        size_t journaled[MAX_CALLS];
        const char *journal;
        bool not_back_is_back;  /* what kept fake-not-back away is fixed */
} fake;

static void fake_reset(const char *journal) {
        memset(&fake, 0, sizeof(fake));
        fake.journal = journal;
}

static void fake_call(const char *what, const char *type, const char *name) {
        assert_true(fake.n_calls < MAX_CALLS);
        snprintf(fake.calls[fake.n_calls++], sizeof(fake.calls[0]), "%s %s %s", what, type, name);
}

static size_t journal_records(const char *path) {
        _cleanup_json_ json_t *j = json_load_file(path, 0, NULL);

        return j ? json_array_size(json_object_get(j, "steps")) : 0;
}

/* A fake step fails with params' "apply" errno; with "began" it journals
 * its intent first, as a real step does before it changes anything. */
static int fake_apply(const char *type, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *name = json_string_value(json_object_get(params, "name"));
        json_int_t apply_error = json_integer_value(json_object_get(params, "apply"));
        json_int_t undo_error = json_integer_value(json_object_get(params, "undo"));
        bool began = json_is_true(json_object_get(params, "began"));
        json_t *record;

        assert_non_null(name);
        fake.journaled[fake.n_calls] = journal_records(fake.journal);
        fake_call("apply", type, name);
        record = json_pack("{s:s, s:I}", "name", name, "undo", undo_error);
        assert_non_null(record);
        if (began)
                assert_int_equal(step_intent(intent, record), 0);
        if (apply_error > 0) {
                json_decref(record);
                return -(int) apply_error;
        }
        *ret_record = record;
        return 0;
}

static int fake_undo(const char *type, const json_t *record) {
        const char *name = json_string_value(json_object_get(record, "name"));
        json_int_t undo_error = json_integer_value(json_object_get(record, "undo"));

        assert_non_null(name);
        fake_call("undo", type, name);
        return undo_error > 0 ? -(int) undo_error : 0;
}

static int apply_a(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        return fake_apply("fake-a", params, intent, ret_record);
}

static int undo_a(HostContext *ctx, const json_t *record) {
        return fake_undo("fake-a", record);
}

static int apply_b(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        return fake_apply("fake-b", params, intent, ret_record);
}

static int undo_b(HostContext *ctx, const json_t *record) {
        return fake_undo("fake-b", record);
}

/* Logs "back: ..." or "not back: ..." as the real verifies do. */
static int fake_verify(const char *type, const json_t *record, bool back) {
        const char *name = json_string_value(json_object_get(record, "name"));

        assert_non_null(name);
        fake_call("verify", type, name);
        if (!back) {
                log_error("not back: %s %s", type, name);
                return -EIO;
        }
        log_info("back: %s %s", type, name);
        return 0;
}

static int apply_back(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        return fake_apply("fake-back", params, intent, ret_record);
}

static int undo_back(HostContext *ctx, const json_t *record) {
        return fake_undo("fake-back", record);
}

static int verify_back(HostContext *ctx, const json_t *record) {
        return fake_verify("fake-back", record, true);
}

static int apply_not_back(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        return fake_apply("fake-not-back", params, intent, ret_record);
}

static int undo_not_back(HostContext *ctx, const json_t *record) {
        return fake_undo("fake-not-back", record);
}

static int verify_not_back(HostContext *ctx, const json_t *record) {
        return fake_verify("fake-not-back", record, fake.not_back_is_back);
}

static const HostStepType fake_a = { .name = "fake-a", .apply = apply_a, .undo = undo_a };
static const HostStepType fake_b = { .name = "fake-b", .apply = apply_b, .undo = undo_b };
static const HostStepType fake_back = { .name = "fake-back", .apply = apply_back, .undo = undo_back,
                                        .verify = verify_back };
static const HostStepType fake_not_back = { .name = "fake-not-back", .apply = apply_not_back,
                                            .undo = undo_not_back, .verify = verify_not_back };

/* fake-settle waits, in a rollback that ends before it, for what the
 * steps before it set going */
static int apply_settle(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        return fake_apply("fake-settle", params, intent, ret_record);
}

static int undo_settle(HostContext *ctx, const json_t *record) {
        return fake_undo("fake-settle", record);
}

static void settle_settle(HostContext *ctx, const json_t *params) {
        fake_call("settle", "fake-settle", json_string_value(json_object_get(params, "name")));
}

static const HostStepType fake_settle = { .name = "fake-settle", .apply = apply_settle, .undo = undo_settle,
                                          .settle = settle_settle };

static const HostStepType *fake_lookup(const char *name) {
        if (streq(name, fake_a.name))
                return &fake_a;
        if (streq(name, fake_b.name))
                return &fake_b;
        if (streq(name, fake_back.name))
                return &fake_back;
        if (streq(name, fake_not_back.name))
                return &fake_not_back;
        return NULL;
}

/* ---- fixture: a directory for the journal ---- */

typedef struct Fixture {
        char dir[64];
        char journal[128];
        HostContext ctx;
        HostSteps steps;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        strcpy(f->dir, "/tmp/test-handover.XXXXXX");
        if (!mkdtemp(f->dir)) {
                free(f);
                return -1;
        }
        snprintf(f->journal, sizeof(f->journal), "%s/handover.json", f->dir);
        f->ctx = (HostContext) { .root = "/" };
        fake_reset(f->journal);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        DIR *d = opendir(f->dir);

        /* whatever a failed test left behind */
        if (d) {
                struct dirent *de;

                while ((de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                                (void) unlinkat(dirfd(d), de->d_name, 0);
                closedir(d);
        }
        (void) rmdir(f->dir);
        host_steps_done(&f->steps);
        free(f);
        return 0;
}

/* ---- helpers ---- */

static void add(Fixture *f, const HostStepType *type, const char *name, int apply_error, int undo_error) {
        char *summary = NULL;

        assert_true(asprintf(&summary, "%s step %s", type->name, name) > 0);
        assert_int_equal(host_steps_add(&f->steps, type, json_pack("{s:s, s:i, s:i}", "name", name, "apply",
                                                                   apply_error, "undo", undo_error),
                                        summary),
                         0);
}

/* The calls made, in order, exactly: assert_calls("apply fake-a x", ..., NULL). */
static void assert_calls(const char *first, ...) __attribute__((sentinel));
static void assert_calls(const char *first, ...) {
        va_list ap;
        size_t i = 0;

        va_start(ap, first);
        for (const char *c = first; c; c = va_arg(ap, const char *), i++) {
                if (i >= fake.n_calls)
                        fail_msg("call %zu: expected \"%s\", there were only %zu calls", i, c, fake.n_calls);
                if (!streq(fake.calls[i], c))
                        fail_msg("call %zu: expected \"%s\", got \"%s\"", i, c, fake.calls[i]);
        }
        va_end(ap);
        if (i != fake.n_calls)
                fail_msg("expected %zu calls, got %zu (the next: \"%s\")", i, fake.n_calls, fake.calls[i]);
}

static void assert_no_calls(void) {
        if (fake.n_calls > 0)
                fail_msg("expected no calls, got %zu (the first: \"%s\")", fake.n_calls, fake.calls[0]);
}

static bool exists(const char *path) {
        return access(path, F_OK) == 0;
}

/* Only the expected entries are in the directory: no temporary files. */
static size_t dir_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

/* The journal holds exactly these summaries, in this order. */
static void assert_journal_lists(const char *first, ...) __attribute__((sentinel));
static void assert_journal_lists(const char *first, ...) {
        _cleanup_json_ json_t *j = json_load_file(fake.journal, 0, NULL);
        json_t *steps = json_object_get(j, "steps");
        va_list ap;
        size_t i = 0;

        assert_non_null(j);
        va_start(ap, first);
        for (const char *want = first; want; want = va_arg(ap, const char *), i++) {
                const char *got = json_string_value(json_object_get(json_array_get(steps, i), "summary"));
                if (!got || !streq(got, want))
                        fail_msg("journal entry %zu: expected \"%s\", got \"%s\"", i, want, got ? got : "(none)");
        }
        va_end(ap);
        assert_int_equal(json_array_size(steps), i);
}

/* Pretend the cause of every failing undo was fixed. */
static void fix_journal_undo_errors(const char *path) {
        _cleanup_json_ json_t *j = json_load_file(path, 0, NULL);
        json_t *entry;
        size_t i;

        assert_non_null(j);
        json_array_foreach(json_object_get(j, "steps"), i, entry)
                assert_int_equal(json_object_set_new(json_object_get(entry, "record"), "undo", json_integer(0)), 0);
        assert_int_equal(json_write_atomic(path, j, 0600), 0);
}

static void write_journal(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

/* ---- handover_apply() ---- */

static void test_an_empty_plan_does_nothing_and_writes_no_journal(void **state) {
        Fixture *f = *state;

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);
        assert_no_calls();
        assert_false(exists(f->journal));
        assert_int_equal(dir_entries(f->dir), 0);
}

static void test_steps_apply_in_order_and_the_journal_lists_each_record(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *j = NULL;
        json_error_t err;
        json_t *steps, *e;
        struct stat st;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_b, "two", 0, 0);
        add(f, &fake_a, "three", 0, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);
        assert_calls("apply fake-a one", "apply fake-b two", "apply fake-a three", NULL);

        j = json_load_file(f->journal, 0, &err);
        if (!j)
                fail_msg("journal: %s", err.text);
        assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
        assert_string_equal(json_string_value(json_object_get(j, "vm")), "test");
        steps = json_object_get(j, "steps");
        assert_int_equal(json_array_size(steps), 3);

        e = json_array_get(steps, 0);
        assert_string_equal(json_string_value(json_object_get(e, "type")), "fake-a");
        assert_string_equal(json_string_value(json_object_get(e, "summary")), "fake-a step one");
        assert_string_equal(json_string_value(json_object_get(json_object_get(e, "record"), "name")), "one");
        e = json_array_get(steps, 1);
        assert_string_equal(json_string_value(json_object_get(e, "type")), "fake-b");
        assert_string_equal(json_string_value(json_object_get(e, "summary")), "fake-b step two");
        assert_string_equal(json_string_value(json_object_get(json_object_get(e, "record"), "name")), "two");
        e = json_array_get(steps, 2);
        assert_string_equal(json_string_value(json_object_get(e, "type")), "fake-a");
        assert_string_equal(json_string_value(json_object_get(json_object_get(e, "record"), "name")), "three");

        /* only root may read what was done to the host */
        assert_int_equal(stat(f->journal, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(dir_entries(f->dir), 1);
}

static void test_each_record_is_journaled_before_the_next_step_starts(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_a, "two", 0, 0);
        add(f, &fake_a, "three", 0, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);
        /* the journal exists (empty) before the first step */
        assert_int_equal(fake.journaled[0], 0);
        assert_int_equal(fake.journaled[1], 1);
        assert_int_equal(fake.journaled[2], 2);
}

static void test_a_failing_step_undoes_the_ones_before_it_in_reverse_and_returns_its_error(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_b, "two", 0, 0);
        add(f, &fake_a, "three", 0, 0);
        add(f, &fake_b, "four", EIO, 0);
        add(f, &fake_a, "five", 0, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), -EIO);
        /* step four never happened, so it is not undone; five never starts */
        assert_calls("apply fake-a one", "apply fake-b two", "apply fake-a three", "apply fake-b four",
                     "undo fake-a three", "undo fake-b two", "undo fake-a one", NULL);
        assert_false(exists(f->journal));
        assert_int_equal(dir_entries(f->dir), 0);
}

/* A stop request (^C, SIGTERM, `vmrun shutdown`) is asked for before
 * each step: the steps done are undone at once, the rest never start. */
static int stop_before_third(void *userdata, size_t i, size_t n) {
        size_t *asked = userdata;

        assert_int_equal(n, 4);
        assert_int_equal(i, *asked);
        (*asked)++;
        return i == 2 ? -ECANCELED : 0;
}

static void test_a_stop_asked_between_steps_undoes_the_done_ones_and_starts_no_other(void **state) {
        Fixture *f = *state;
        size_t asked = 0;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_b, "two", 0, 0);
        add(f, &fake_a, "three", 0, 0);
        add(f, &fake_b, "four", 0, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, stop_before_third, &asked), -ECANCELED);
        assert_int_equal(asked, 3);
        assert_calls("apply fake-a one", "apply fake-b two", "undo fake-b two", "undo fake-a one", NULL);
        assert_false(exists(f->journal));
}

/* A step journals what it will change before it changes it: one that
 * fails half-way (a unit stop that timed out but goes on, a module whose
 * holders went first) is undone with the others, and one whose undo
 * fails then stays in the journal for `vmrun restore`, marked as begun. */
static void test_a_step_that_fails_after_it_began_is_undone_too(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *j = NULL;

        add(f, &fake_a, "one", 0, 0);
        assert_int_equal(host_steps_add(&f->steps, &fake_b,
                                        json_pack("{s:s, s:i, s:i, s:b}", "name", "two", "apply", EIO, "undo", EBUSY,
                                                  "began", 1),
                                        strdup("fake-b step two")),
                         0);
        add(f, &fake_a, "three", 0, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), -EIO);
        assert_calls("apply fake-a one", "apply fake-b two", "undo fake-b two", "undo fake-a one", NULL);
        j = json_load_file(f->journal, 0, NULL);
        assert_non_null(j);
        assert_int_equal(json_array_size(json_object_get(j, "steps")), 1);
        assert_true(json_is_true(json_object_get(json_array_get(json_object_get(j, "steps"), 0), "intent")));
}

static void test_a_failing_first_step_undoes_nothing(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", EPERM, 0);
        add(f, &fake_a, "two", 0, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), -EPERM);
        assert_calls("apply fake-a one", NULL);
        assert_false(exists(f->journal));
}

/* A desktop told to go may still be exiting when a rollback comes before
 * the wait for the GPU's nodes: the display manager's start (an undo)
 * waits until it has let go, or a new session finds the card taken. */
static void test_a_rollback_before_a_settling_step_lets_it_settle_before_any_undo(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_b, "two", EIO, 0);
        add(f, &fake_settle, "wait", 0, 0);
        add(f, &fake_a, "four", 0, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), -EIO);
        assert_calls("apply fake-a one", "apply fake-b two", "settle fake-settle wait", "undo fake-a one", NULL);
}

static void test_a_stop_asked_before_a_settling_step_lets_it_settle_too(void **state) {
        Fixture *f = *state;
        size_t asked = 0;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_b, "two", 0, 0);
        add(f, &fake_settle, "wait", 0, 0);
        add(f, &fake_b, "four", 0, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, stop_before_third, &asked),
                         -ECANCELED);
        assert_calls("apply fake-a one", "apply fake-b two", "settle fake-settle wait", "undo fake-b two",
                     "undo fake-a one", NULL);
}

/* Its own apply waited and gave up: no second wait. */
static void test_a_settling_step_that_failed_itself_is_not_waited_on_again(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_settle, "wait", EBUSY, 0);
        add(f, &fake_a, "three", 0, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), -EBUSY);
        assert_calls("apply fake-a one", "apply fake-settle wait", "undo fake-a one", NULL);
}

/* Nothing done: nothing set going. The settling step done: nothing
 * left to wait for. */
static void test_no_settle_when_nothing_was_done_or_the_settling_step_was(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", EPERM, 0);
        add(f, &fake_settle, "wait", 0, 0);
        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), -EPERM);
        assert_calls("apply fake-a one", NULL);

        host_steps_done(&f->steps);
        fake_reset(f->journal);
        add(f, &fake_settle, "wait", 0, 0);
        add(f, &fake_a, "two", EIO, 0);
        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), -EIO);
        assert_calls("apply fake-settle wait", "apply fake-a two", "undo fake-settle wait", NULL);
}

static void test_a_failing_undo_during_rollback_still_returns_the_steps_error(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_a, "two", 0, EBUSY);
        add(f, &fake_a, "three", ENODEV, 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), -ENODEV);
        assert_calls("apply fake-a one", "apply fake-a two", "apply fake-a three", "undo fake-a two",
                     "undo fake-a one", NULL);
        /* the step whose undo failed is still journaled: restore can retry it */
        assert_journal_lists("fake-a step two", NULL);
}

static void test_apply_starts_nothing_when_the_journal_cannot_be_written(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *path = NULL;

        add(f, &fake_a, "one", 0, 0);
        assert_true(asprintf(&path, "%s/no-such-dir/handover.json", f->dir) > 0);

        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", path, NULL, NULL, NULL), -ENOENT);
        assert_no_calls();
}

/* ---- handover_restore() ---- */

static void test_restore_undoes_in_reverse_and_removes_the_journal(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_b, "two", 0, 0);
        add(f, &fake_a, "three", 0, 0);
        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);
        fake_reset(f->journal);

        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), 0);
        assert_calls("undo fake-a three", "undo fake-b two", "undo fake-a one", NULL);
        assert_false(exists(f->journal));
        assert_int_equal(dir_entries(f->dir), 0);
}

static void test_restore_without_a_journal_does_nothing_and_returns_0(void **state) {
        Fixture *f = *state;

        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), 0);
        assert_no_calls();
        assert_false(exists(f->journal));
}

static void test_restore_is_idempotent(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_a, "two", 0, 0);
        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);
        fake_reset(f->journal);

        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), 0);
        assert_calls("undo fake-a two", "undo fake-a one", NULL);
        fake_reset(f->journal);
        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), 0);
        assert_no_calls();
}

static void test_an_undo_failing_in_the_middle_stays_in_the_journal_and_the_others_run(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_b, "two", 0, EBUSY);
        add(f, &fake_a, "three", 0, 0);
        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);
        fake_reset(f->journal);

        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), -EBUSY);
        assert_calls("undo fake-a three", "undo fake-b two", "undo fake-a one", NULL);
        assert_journal_lists("fake-b step two", NULL);

        /* once its cause is fixed, the next restore finishes the job */
        fix_journal_undo_errors(f->journal);
        fake_reset(f->journal);
        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), 0);
        assert_calls("undo fake-b two", NULL);
        assert_false(exists(f->journal));
}

static void test_of_several_failing_undos_the_first_error_is_returned(void **state) {
        Fixture *f = *state;

        add(f, &fake_a, "one", 0, EIO);
        add(f, &fake_a, "two", 0, 0);
        add(f, &fake_a, "three", 0, EBUSY);
        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);
        fake_reset(f->journal);

        /* the first in undo order: the newest step's */
        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), -EBUSY);
        assert_calls("undo fake-a three", "undo fake-a two", "undo fake-a one", NULL);
}

static void test_the_journal_shrinks_as_undos_finish(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *j = NULL;

        add(f, &fake_a, "one", 0, 0);
        add(f, &fake_a, "two", 0, 0);
        add(f, &fake_a, "three", 0, 0);
        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);

        /* a crash after undoing "three" leaves a journal of two */
        j = json_load_file(f->journal, 0, NULL);
        assert_non_null(j);
        assert_int_equal(json_array_remove(json_object_get(j, "steps"), 2), 0);
        assert_int_equal(json_write_atomic(f->journal, j, 0600), 0);
        fake_reset(f->journal);

        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), 0);
        assert_calls("undo fake-a two", "undo fake-a one", NULL);
}

static void test_a_damaged_journal_is_ebadmsg_and_left_for_a_human(void **state) {
        static const char *const damaged[] = {
                "{\"version\": 1, \"vm\": \"test\", \"steps\": [",
                "not json at all",
                "[]",
                "{\"version\": 2, \"vm\": \"test\", \"steps\": []}",
                "{\"version\": 1, \"steps\": []}",
                "{\"version\": 1, \"vm\": \"test\", \"steps\": {}}",
                "",
        };
        Fixture *f = *state;

        for (size_t i = 0; i < ELEMENTSOF(damaged); i++) {
                write_journal(f->journal, damaged[i]);
                if (handover_restore(&f->ctx, fake_lookup, f->journal) != -EBADMSG)
                        fail_msg("journal \"%s\" should give -EBADMSG", damaged[i]);
                assert_true(exists(f->journal));
        }
        assert_no_calls();
}

static void test_a_damaged_or_unknown_entry_stays_and_the_rest_is_undone(void **state) {
        Fixture *f = *state;

        write_journal(f->journal,
                      "{\"version\": 1, \"vm\": \"test\", \"steps\": ["
                      "{\"type\": \"fake-a\", \"summary\": \"s1\", \"record\": {\"name\": \"one\"}},"
                      "{\"type\": \"no-such-type\", \"summary\": \"s2\", \"record\": {}},"
                      "{\"summary\": \"s3 without a type\", \"record\": {}},"
                      "{\"type\": \"fake-b\", \"summary\": \"s4\", \"record\": {\"name\": \"four\"}}"
                      "]}");

        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), -EBADMSG);
        assert_calls("undo fake-b four", "undo fake-a one", NULL);
        /* what could not be undone is left for a human, in its order */
        assert_journal_lists("s2", "s3 without a type", NULL);
}

static void test_without_a_lookup_restore_uses_the_built_in_step_types(void **state) {
        Fixture *f = *state;
        HostContext plain = { .root = "/" };

        /* the built-in table knows nothing of the fakes: nothing is undone,
         * and that is an error, not silence */
        assert_null(host_step_type_find("fake-a"));
        write_journal(f->journal, "{\"version\": 1, \"vm\": \"test\", \"steps\": ["
                                  "{\"type\": \"fake-a\", \"summary\": \"s1\", \"record\": {\"name\": \"one\"}}]}");
        assert_int_equal(handover_restore(&plain, NULL, f->journal), -EBADMSG);
        assert_no_calls();
}

/* An undo that returned 0 says it wrote what it meant to write, not that
 * the host took it: only the verifies, run once every undo is done, look. */
static void test_after_the_undos_each_record_is_verified_oldest_first(void **state) {
        Fixture *f = *state;

        add(f, &fake_back, "one", 0, 0);
        add(f, &fake_a, "two", 0, 0);
        add(f, &fake_back, "three", 0, 0);
        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);
        fake_reset(f->journal);

        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), 0);
        /* in the order the host came up; fake-a has nothing to look at */
        assert_calls("undo fake-back three", "undo fake-a two", "undo fake-back one", "verify fake-back one",
                     "verify fake-back three", NULL);
        assert_false(exists(f->journal));
}

static void test_a_restore_after_which_something_is_not_back_is_an_error_and_the_next_checks_again(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        add(f, &fake_back, "one", 0, 0);
        add(f, &fake_not_back, "two", 0, 0);
        add(f, &fake_back, "three", 0, 0);
        assert_int_equal(handover_apply(&f->ctx, &f->steps, "test", f->journal, NULL, NULL, NULL), 0);
        fake_reset(f->journal);

        capture_start(&c);
        r = handover_restore(&f->ctx, fake_lookup, f->journal);
        log = capture_end(&c);

        /* every undo succeeded, yet the host is not as it was: a restore
         * that said 0 here would leave the user without a display and
         * without a word why */
        assert_int_equal(r, -EIO);
        assert_logged(log, "not back: fake-not-back two");
        assert_logged(log, "not everything is back");
        assert_logged(log, "stays for the next `vmrun restore test`, which checks again");
        /* one step not back does not hide how the others are */
        assert_calls("undo fake-back three", "undo fake-not-back two", "undo fake-back one", "verify fake-back one",
                     "verify fake-not-back two", "verify fake-back three", NULL);
        /* nothing left to undo, but the journal stays until the host is
         * seen back: the advised retry must not say "nothing to restore"
         * (issue 24) */
        assert_true(exists(f->journal));
        assert_int_equal(journal_records(f->journal), 0);
        assert_false(handover_journal_lists_steps(f->journal));

        /* its cause fixed, the next restore undoes nothing and checks all */
        fake_reset(f->journal);
        fake.not_back_is_back = true;
        assert_int_equal(handover_restore(&f->ctx, fake_lookup, f->journal), 0);
        assert_calls("verify fake-back one", "verify fake-not-back two", "verify fake-back three", NULL);
        assert_false(exists(f->journal));
}

/* ---- json_write_atomic() ---- */

static void test_json_write_atomic_replaces_the_file_and_leaves_no_tmp_behind(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *first = json_pack("{s:i}", "n", 1), *second = json_pack("{s:i}", "n", 2);
        _cleanup_json_ json_t *read = NULL;
        _cleanup_free_ char *tmp = NULL;
        struct stat st;

        assert_non_null(first);
        assert_non_null(second);
        assert_true(asprintf(&tmp, "%s.tmp", f->journal) > 0);

        assert_int_equal(json_write_atomic(f->journal, first, 0600), 0);
        assert_int_equal(json_write_atomic(f->journal, second, 0600), 0);
        read = json_load_file(f->journal, 0, NULL);
        assert_non_null(read);
        assert_true(json_equal(read, second));

        assert_false(exists(tmp));
        assert_int_equal(dir_entries(f->dir), 1);
        assert_int_equal(stat(f->journal, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_json_write_atomic_into_a_missing_directory_fails_and_leaves_nothing(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *j = json_pack("{s:i}", "n", 1);
        _cleanup_free_ char *path = NULL;

        assert_true(asprintf(&path, "%s/missing/x.json", f->dir) > 0);
        assert_int_equal(json_write_atomic(path, j, 0600), -ENOENT);
        assert_int_equal(dir_entries(f->dir), 0);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_an_empty_plan_does_nothing_and_writes_no_journal),
                TEST(test_steps_apply_in_order_and_the_journal_lists_each_record),
                TEST(test_each_record_is_journaled_before_the_next_step_starts),
                TEST(test_a_failing_step_undoes_the_ones_before_it_in_reverse_and_returns_its_error),
                TEST(test_a_stop_asked_between_steps_undoes_the_done_ones_and_starts_no_other),
                TEST(test_a_step_that_fails_after_it_began_is_undone_too),
                TEST(test_a_failing_first_step_undoes_nothing),
                TEST(test_a_rollback_before_a_settling_step_lets_it_settle_before_any_undo),
                TEST(test_a_stop_asked_before_a_settling_step_lets_it_settle_too),
                TEST(test_a_settling_step_that_failed_itself_is_not_waited_on_again),
                TEST(test_no_settle_when_nothing_was_done_or_the_settling_step_was),
                TEST(test_a_failing_undo_during_rollback_still_returns_the_steps_error),
                TEST(test_apply_starts_nothing_when_the_journal_cannot_be_written),

                TEST(test_restore_undoes_in_reverse_and_removes_the_journal),
                TEST(test_restore_without_a_journal_does_nothing_and_returns_0),
                TEST(test_restore_is_idempotent),
                TEST(test_an_undo_failing_in_the_middle_stays_in_the_journal_and_the_others_run),
                TEST(test_of_several_failing_undos_the_first_error_is_returned),
                TEST(test_the_journal_shrinks_as_undos_finish),
                TEST(test_a_damaged_journal_is_ebadmsg_and_left_for_a_human),
                TEST(test_a_damaged_or_unknown_entry_stays_and_the_rest_is_undone),
                TEST(test_without_a_lookup_restore_uses_the_built_in_step_types),
                TEST(test_after_the_undos_each_record_is_verified_oldest_first),
                TEST(test_a_restore_after_which_something_is_not_back_is_an_error_and_the_next_checks_again),

                TEST(test_json_write_atomic_replaces_the_file_and_leaves_no_tmp_behind),
                TEST(test_json_write_atomic_into_a_missing_directory_fails_and_leaves_nothing),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
