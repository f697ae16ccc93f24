/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The verbs that talk to a running VM (from ssh, or any shell on the
 * host): through its public QMP socket and the supervisor's state file.
 * Each returns a process exit status. */

#include "basic/util.h"

typedef struct Options {
        bool json;
        bool timeout_set;
        unsigned timeout;       /* seconds */
        const char *device;     /* --device: `rom check` only */
} Options;

int control_shutdown(const char *name, const Options *o);
int control_stop(const char *name, const Options *o);
int control_status(const char *name, const Options *o);    /* name NULL: every VM */
int control_list(const Options *o);
int control_qmp(const char *name, const char *command, const Options *o);
int control_devices(const char *name, const Options *o);     /* the guest's PCI tree */
int control_display(const char *name, const Options *o);
int control_restore(const char *name, const Options *o);
