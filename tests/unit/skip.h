/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* cmocka's skip(), with its reason on the test's output: scripts/test
 * counts skips apart from passes and prints why each one was skipped. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define skip_because(why)                                               \
        do {                                                            \
                print_message("SKIPPED, because %s\n", (why));          \
                skip();                                                 \
        } while (0)
