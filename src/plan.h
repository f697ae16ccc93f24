/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* profile → plan: every decision made before anything changes on the
 * host. The plan holds the host steps (with their parameters) and QEMU's
 * argv; `vmrun plan` prints it, `vmrun run` carries it out. Looking at the
 * host here is read-only; what cannot be checked (the GPU is not in this
 * machine, a file is missing) becomes a note, not an error, so a plan can
 * be made anywhere. */

#include "firmware.h"
#include "handover.h"
#include "paths.h"
#include "profile.h"
#include "strv.h"

typedef struct Plan {
        const Profile *profile;         /* borrowed */
        VmPaths *paths;
        Firmware *firmware;             /* NULL for SeaBIOS */
        char **gpu_functions;           /* companions actually passed */
        HostSteps steps;
        json_t *expect;                 /* what host_verify() finds after the restore */
        Strv argv;
        Strv notes;                     /* what could not be checked, and why */
} Plan;

/* The root under which /sys, /dev, /proc and /run are found: "/" unless
 * VMRUN_ROOT says otherwise (unit tests against a fake tree). */
const char *host_root(void);

/* Logs its errors (no firmware found, ...). */
int plan_new(const Profile *p, Plan **ret);
Plan *plan_free(Plan *plan);
static inline void plan_freep(Plan **p) {
        plan_free(*p);
}
#define _cleanup_plan_ _cleanup_(plan_freep)

void plan_print(const Plan *plan, FILE *f);
int plan_to_json(const Plan *plan, json_t **ret);
