/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* libFuzzer targets: each feeds arbitrary bytes to one of vmrun's readers
 * of input it does not control. A crash, a sanitizer report or a leak is a
 * finding; an error return is the reader doing its job. */

#include <stddef.h>
#include <stdint.h>

#include "basic/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The readers log what they refuse; millions of runs need not print it. */
static inline void fuzz_quiet(void) {
        static int done;
        if (!done) {
                log_set_max_level(-1);
                done = 1;
        }
}
