/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The host's ACPI power button, read by vmrun while the guest has the GPU
 * (logind leaves it alone then: vmrun holds handle-power-key). A button is
 * chosen by what the kernel alone says of it in sysfs: an input device
 * whose parent is the ACPI power button device (LNXPWRBN, the fixed
 * feature button; PNP0C0C, the control method one) and that reports
 * KEY_POWER. Never by its name or phys, which anyone who may use uinput
 * can give a device of their own ("Power Button",
 * "LNXPWRBN/button/input0"). Its node is opened read-only and not
 * grabbed: nothing of it reaches the guest. */

#include <sys/types.h>

#include "host/host.h"

typedef struct PowerButton {
        char *node;             /* /dev/input/eventN */
        char *acpi;             /* the ACPI device: LNXPWRBN:00, PNP0C0C:00 */
        char *name;             /* the input device's, for people: "Power Button" */
        dev_t rdev;             /* the event device's number in sysfs: what the node must be */
        int fd;                 /* -1 until power_button_open() */
} PowerButton;

typedef struct PowerButtons {
        PowerButton *v;
        size_t n;
} PowerButtons;

/* Closes what is open, frees, and leaves it empty. */
void power_buttons_done(PowerButtons *b);
/* Closes and forgets button `i`; the later ones move up. */
void power_buttons_remove(PowerButtons *b, size_t i);

/* The host's ACPI power buttons in /sys/class/input, in the order of
 * their event devices; none is no error. */
int power_buttons_find(const HostContext *ctx, PowerButtons *ret);

/* Opens b->node (non-blocking, close-on-exec) into b->fd: -ENODEV when
 * it is not the character device sysfs gives the button. */
int power_button_open(const HostContext *ctx, PowerButton *b);

/* Reads the events waiting on an event device (or anything carrying
 * struct input_event): 1 when a press of KEY_POWER was among them, 0
 * when not (a release, autorepeat, nothing waiting); -ENODEV when the
 * device is gone (or the other end of a pipe closed), another -errno on
 * a failed read. */
int power_button_read(int fd);
