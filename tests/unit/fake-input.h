/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The host's input devices as sysfs shows them, in a fake root: the
 * device under /sys/devices (an ACPI button's input device below its ACPI
 * device, a uinput one under /sys/devices/virtual), its event device with
 * /sys/class/input/eventN leading to it, and /dev/input/eventN as a link
 * to a real character device (fake-root.h): /dev/null, 1:3. And events
 * as the kernel hands them out, struct input_event. */

#include <linux/input.h>
#include <libgen.h>

#include "fake-root.h"

/* What the kernel prints in capabilities/key (input_print_bitmap()) */
#define KEYS_POWER_BUTTON "10000000000000 0"                    /* KEY_POWER alone */
#define KEYS_SLEEP_BUTTON "4000 0 0"                            /* KEY_SLEEP alone */
#define KEYS_AT_KEYBOARD "402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe"   /* KEY_POWER among them */
#define DEV_NULL_RDEV "1:3"

typedef struct FakeInput {
        const char *event;      /* "event0" */
        const char *input;      /* "input0" */
        const char *parent;     /* its device: "/sys/devices/LNXSYSTM:00/LNXPWRBN:00"; NULL: a uinput device */
        const char *subsystem;  /* the parent's: "acpi", "usb" */
        const char *hid;        /* the parent's ACPI ID: "LNXPWRBN"; NULL: none */
        const char *name;       /* "Power Button" */
        const char *keys;       /* capabilities/key */
        const char *dev;        /* "13:64"; the node leads to /dev/null, 1:3 */
} FakeInput;

static inline void fake_input_add(const FakeRoot *f, const FakeInput *in) {
        char dir[256], path[320], target[320], value[64];
        char *parent_copy = in->parent ? strdup(in->parent) : NULL;

        if (in->parent)
                snprintf(dir, sizeof dir, "%s/input/%s", in->parent, in->input);
        else
                snprintf(dir, sizeof dir, "/sys/devices/virtual/input/%s", in->input);
        snprintf(path, sizeof path, "%s/name", dir);
        snprintf(value, sizeof value, "%s\n", in->name);
        fake_file(f, path, value);
        snprintf(path, sizeof path, "%s/capabilities/key", dir);
        snprintf(value, sizeof value, "%s\n", in->keys);
        fake_file(f, path, value);
        snprintf(path, sizeof path, "%s/%s/dev", dir, in->event);
        snprintf(value, sizeof value, "%s\n", in->dev);
        fake_file(f, path, value);
        snprintf(path, sizeof path, "%s/%s/device", dir, in->event);
        snprintf(target, sizeof target, "../../%s", in->input);
        fake_link(f, path, target);
        if (in->parent) {
                snprintf(path, sizeof path, "%s/device", dir);
                snprintf(target, sizeof target, "../../../%s", basename(parent_copy));
                fake_link(f, path, target);
                snprintf(path, sizeof path, "%s/subsystem", in->parent);
                snprintf(target, sizeof target, "../../../bus/%s", in->subsystem);
                fake_link(f, path, target);
        }
        if (in->parent && in->hid) {
                snprintf(path, sizeof path, "%s/hid", in->parent);
                snprintf(value, sizeof value, "%s\n", in->hid);
                fake_file(f, path, value);
        }
        snprintf(path, sizeof path, "/sys/class/input/%s", in->event);
        snprintf(target, sizeof target, "../..%s/%s", dir + strlen("/sys"), in->event);
        fake_link(f, path, target);
        snprintf(path, sizeof path, "/dev/input/%s", in->event);
        fake_link(f, path, "/dev/null");
        free(parent_copy);
}

/* The fixed feature power button as a laptop's kernel shows it */
static inline void fake_input_power_button(const FakeRoot *f) {
        fake_input_add(f, &(FakeInput) { .event = "event0", .input = "input0",
                                         .parent = "/sys/devices/LNXSYSTM:00/LNXPWRBN:00", .subsystem = "acpi",
                                         .hid = "LNXPWRBN", .name = "Power Button", .keys = KEYS_POWER_BUTTON,
                                         .dev = DEV_NULL_RDEV });
}

/* One event on `fd`, as evdev hands it out */
static inline void fake_input_event(int fd, unsigned short type, unsigned short code, int value) {
        struct input_event ev = { .type = type, .code = code, .value = value };

        assert_int_equal(write(fd, &ev, sizeof ev), (ssize_t) sizeof ev);
}

/* A press and release of KEY_POWER with their SYN_REPORTs */
static inline void fake_input_press_power(int fd) {
        fake_input_event(fd, EV_KEY, KEY_POWER, 1);
        fake_input_event(fd, EV_SYN, SYN_REPORT, 0);
        fake_input_event(fd, EV_KEY, KEY_POWER, 0);
        fake_input_event(fd, EV_SYN, SYN_REPORT, 0);
}
