/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "basic/test-switch.h"

static const char *const switches[] = {
        "VMRUN_ROOT",
        "VMRUN_RUN_DIR",
        "VMRUN_STATE_DIR",
        "VMRUN_DATA_DIR",
        "VMRUN_PROFILE_DIR",
        "VMRUN_FIRMWARE_DIRS",
        "VMRUN_TEST_FAIL_STEP",
        "VMRUN_TEST_STOP_STEP",
        "VMRUN_TEST_HOLD_STEP",
};

static bool is_switch(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(switches); i++)
                if (streq(switches[i], name))
                        return true;
        return false;
}

const char *test_switch(const char *name) {
        assert(is_switch(name));
        return VMRUN_TEST_SWITCHES ? getenv(name) : NULL;
}

size_t test_switch_step(const char *name) {
        const char *e = test_switch(name);
        unsigned long v;
        char *end;

        if (!e)
                return 0;
        errno = 0;
        v = strtoul(e, &end, 10);
        return errno || end == e || *end ? 0 : (size_t) v;
}

void test_switches_warn_ignored(void) {
        if (VMRUN_TEST_SWITCHES)
                return;
        for (size_t i = 0; i < ELEMENTSOF(switches); i++)
                if (getenv(switches[i]))
                        log_warning("%s is set and ignored: only a test build of vmrun (meson -Dtest-switches=true) "
                                    "honours it", switches[i]);
}
