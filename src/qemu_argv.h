/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The QEMU command line, as an argv array for execv(): never a string for
 * a shell. A value that goes into one of QEMU's "key=value,key=value"
 * options has its commas doubled; devices, block nodes and objects go in
 * as JSON (-device '{"driver":...}'), where no value can be taken for an
 * option. This file only formats: every decision is in its inputs. */

#include "firmware.h"
#include "profile.h"
#include "strv.h"

/* Where QEMU finds the supervisor's two QMP descriptors after exec. */
#define QEMU_FD_QMP_SUPERVISOR 3
#define QEMU_FD_QMP_PUBLIC 4

typedef struct QemuConfig {
        const Profile *profile;
        const Firmware *firmware;       /* NULL: SeaBIOS */
        const char *vars;               /* the VM's own copy of the VARS template */
        const char *console_log;        /* the guest's serial port goes here */
        char *const *gpu_functions;     /* companions of the GPU, in guest function order */
} QemuConfig;

/* "a,b" → "a,,b": for values inside QEMU's comma-separated options. */
char *qemu_opt_escape(const char *s);

int qemu_argv_build(const QemuConfig *c, Strv *ret);
