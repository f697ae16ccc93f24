/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Inside src/handover only: why each holder of the GPU's nodes holds them,
 * and what the handover does about it (steps-plan.c adds the steps,
 * precheck.c refuses the rest; step-release.c waits, through
 * host/holders.h, for them to go). */

#include "handover/step.h"
#include "host/holders.h"
#include "profile/profile.h"

typedef enum HolderClass {
        HOLDER_SELF,            /* vmrun's own process */
        HOLDER_UNIT,            /* in a system unit the plan stops (the display manager, stop-units) */
        HOLDER_KNOWN_UNIT,      /* in a unit known to hold GPUs (nvidia-persistenced): stopped, started after */
        HOLDER_SESSION,         /* a process of a login session on the GPU's seat: the session is ended */
        HOLDER_SESSION_DEVICE,  /* logind's descriptor of a session's device, or PID 1's fd-store copy */
        HOLDER_USER_UNIT,       /* a unit of a user's service manager: stopped there, started after */
        HOLDER_GRAPHICAL_SESSION, /* a unit of the user's graphical session: ends with it, back with the next login */
        HOLDER_CLOSES_ON_REMOVAL, /* an audio server on the HDA function's nodes: lets go when the card goes */
        HOLDER_REFUSED,         /* anything else: refused before any change */
        _HOLDER_CLASS_MAX,
} HolderClass;

typedef struct HolderVerdict {
        HolderClass class;
        char *session;          /* HOLDER_SESSION, HOLDER_SESSION_DEVICE: the session that goes */
        char *user;             /* its user, or the user unit's */
        char *unit;             /* HOLDER_USER_UNIT: the unit, as its manager names it */
        char *action;           /* what it is and what vmrun does, for the plan and the errors */
} HolderVerdict;

void holder_verdict_done(HolderVerdict *v);
const char *holder_class_to_string(HolderClass c);

bool holders_unit_is_stopped(HostContext *ctx, const HostSteps *steps, const char *unit);

/* The class of holder `h` under profile `p`, with the steps planned so
 * far and the GPU's `seat`. */
int holder_classify(HostContext *ctx, const Profile *p, const HostSteps *steps, const char *seat, const Holder *h,
                    HolderVerdict *ret);

/* Every holder of the nodes of `devices`, each with its verdict, as the
 * plan and the precheck both need them. */
typedef struct ClassifiedHolders {
        char *seat;                     /* the GPU's */
        Holders holders;
        HolderVerdict *verdicts;        /* verdicts[i] is holders.holders[i]'s */
} ClassifiedHolders;

void classified_holders_done(ClassifiedHolders *c);

/* Logs its errors, naming the device or the holder. */
int holders_classify_all(HostContext *ctx, const Profile *p, const HostSteps *steps, char *const *devices,
                         ClassifiedHolders *ret);
