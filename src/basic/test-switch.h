/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Switches only tests need, read from the environment: a fake root for
 * /sys and /proc (VMRUN_ROOT), another runtime directory (VMRUN_RUN_DIR),
 * state directory (VMRUN_STATE_DIR), data directory (VMRUN_DATA_DIR) or
 * profile directory (VMRUN_PROFILE_DIR),
 * other firmware descriptors (VMRUN_FIRMWARE_DIRS), a host step failed on
 * purpose (VMRUN_TEST_FAIL_STEP), a SIGTERM before one
 * (VMRUN_TEST_STOP_STEP), a wait for a signal before one
 * (VMRUN_TEST_HOLD_STEP). Only a test build (meson
 * -Dtest-switches=true) honours them: in the binary root runs, an
 * environment must not be able to move what vmrun acts on. */

#include "basic/util.h"

/* The switch's value in a test build; NULL in a release build, or when it
 * is not set. */
const char *test_switch(const char *name);

/* A switch naming a host step, 1 for the first: VMRUN_TEST_FAIL_STEP,
 * VMRUN_TEST_STOP_STEP, VMRUN_TEST_HOLD_STEP. 0 when unset, not a whole
 * number, or in a release build. */
size_t test_switch_step(const char *name);

/* In a release build, says which switches are set and ignored (once, from
 * main()); nothing in a test build. */
void test_switches_warn_ignored(void);
