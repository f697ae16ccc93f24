/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What a plan holds, as the tests of the plan look at it: its grant
 * steps, and the plan as `vmrun plan` prints it. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plan/plan.h"

/* Is `path` given to QEMU's user by a grant step? */
static inline bool granted(const Plan *plan, const char *path) {
        for (size_t i = 0; i < plan->steps.n; i++)
                if (streq(plan->steps.steps[i].type->name, "grant") &&
                    streq_ptr(json_string_value(json_object_get(plan->steps.steps[i].params, "path")), path))
                        return true;
        return false;
}

/* plan_print()'s text (free() it) */
static inline char *printed(const Plan *plan) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        plan_print(plan, f);
        assert_int_equal(fclose(f), 0);
        return text;
}
