/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/input.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "host/power-button.h"

/* The ACPI IDs of a power button: the fixed feature button, and the
 * control method one (drivers/acpi/button.c) */
static const char *const power_button_hids[] = { "LNXPWRBN", "PNP0C0C" };

static void power_button_done(PowerButton *b) {
        closep(&b->fd);
        free(b->node);
        free(b->acpi);
        free(b->name);
        *b = (PowerButton) { .fd = -1 };
}

void power_buttons_done(PowerButtons *b) {
        for (size_t i = 0; i < b->n; i++)
                power_button_done(&b->v[i]);
        free(b->v);
        *b = (PowerButtons) { 0 };
}

void power_buttons_remove(PowerButtons *b, size_t i) {
        assert(i < b->n);
        power_button_done(&b->v[i]);
        memmove(b->v + i, b->v + i + 1, (b->n - i - 1) * sizeof(PowerButton));
        b->n--;
}

/* Does a capabilities/key bitmap have bit `bit`? The kernel prints it as
 * hex words of an unsigned long each, the highest first, spaces between
 * (input_print_bitmap()): the word of a bit is counted from the end. */
static bool bitmap_has(const char *bitmap, unsigned bit) {
        const unsigned word_bits = sizeof(unsigned long) * 8;
        _cleanup_free_ char *copy = strdup(bitmap);
        _cleanup_strv_ Strv words = { 0 };
        char *save = NULL;
        unsigned long w;
        size_t idx;
        char *end;

        if (!copy)
                return false;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
                if (strv_push(&words, t) < 0)
                        return false;
        idx = bit / word_bits;
        if (idx >= words.n)
                return false;
        errno = 0;
        w = strtoul(words.v[words.n - 1 - idx], &end, 16);
        if (errno != 0 || *end)
                return false;
        return (w >> (bit % word_bits)) & 1;
}

static bool is_power_button_hid(const char *hid) {
        for (size_t i = 0; i < ELEMENTSOF(power_button_hids); i++)
                if (streq(hid, power_button_hids[i]))
                        return true;
        return false;
}

/* /sys/class/input/EVENT/REL: an attribute's value, or a link's last
 * component; -ENOENT when it is not there. */
static int event_attr(const HostContext *ctx, const char *event, const char *rel, bool link, char **ret) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "/sys/class/input/%s/%s", event, rel) < 0)
                return -ENOMEM;
        return link ? host_link_name(ctx, path, ret) : host_read(ctx, path, ret);
}

/* Is /sys/class/input/EVENT an ACPI power button, by what the kernel
 * says? Its parent (device/device) is an ACPI device with a power
 * button's ID: a device made through uinput has no parent there, it
 * lives under /sys/devices/virtual. */
static int is_acpi_power_button(const HostContext *ctx, const char *event) {
        _cleanup_free_ char *subsystem = NULL, *hid = NULL, *keys = NULL;
        int r;

        r = event_attr(ctx, event, "device/device/subsystem", true, &subsystem);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !streq(subsystem, "acpi"))
                return 0;
        r = event_attr(ctx, event, "device/device/hid", false, &hid);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !is_power_button_hid(hid))
                return 0;
        r = event_attr(ctx, event, "device/capabilities/key", false, &keys);
        if (r == -ENOMEM)
                return r;
        return r >= 0 && bitmap_has(keys, KEY_POWER);
}

/* /sys/class/input/EVENT: 1 and *ret filled when it is an ACPI power
 * button, 0 when it is anything else. */
static int read_button(const HostContext *ctx, const char *event, PowerButton *ret) {
        _cleanup_(power_button_done) PowerButton b = { .fd = -1 };
        _cleanup_free_ char *dev = NULL;
        unsigned maj, min;
        int r;

        r = is_acpi_power_button(ctx, event);
        if (r <= 0)
                return r;
        r = event_attr(ctx, event, "dev", false, &dev);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || sscanf(dev, "%u:%u", &maj, &min) != 2)
                return log_debug_errno(0, "/sys/class/input/%s: a power button without a device number, left alone",
                                       event);
        b.rdev = makedev(maj, min);
        r = event_attr(ctx, event, "device/device", true, &b.acpi);
        if (r < 0)
                return r;
        r = event_attr(ctx, event, "device/name", false, &b.name);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && !(b.name = strdup("(no name)")))
                return -ENOMEM;
        if (asprintf(&b.node, "/dev/input/%s", event) < 0)
                return -ENOMEM;
        *ret = b;
        b = (PowerButton) { .fd = -1 };
        return 1;
}

/* "event10" after "event9" */
static int event_number_cmp(const void *a, const void *b) {
        const char *x = *(char *const *) a, *y = *(char *const *) b;
        unsigned long nx = strtoul(x + strlen("event"), NULL, 10), ny = strtoul(y + strlen("event"), NULL, 10);

        return nx < ny ? -1 : nx > ny;
}

int power_buttons_find(const HostContext *ctx, PowerButtons *ret) {
        _cleanup_(power_buttons_done) PowerButtons found = { 0 };
        _cleanup_strv_free_ char **entries = NULL;
        _cleanup_strv_ Strv events = { 0 };
        int r;

        r = host_list_dir(ctx, "/sys/class/input", &entries);
        if (r < 0)
                return r;
        /* inputN, mouseN, jsN are the same devices' other faces */
        for (size_t i = 0; entries[i]; i++) {
                const char *num = startswith(entries[i], "event");

                if (num && *num && num[strspn(num, "0123456789")] == '\0' && strv_push(&events, entries[i]) < 0)
                        return -ENOMEM;
        }
        if (events.n > 0)
                qsort(events.v, events.n, sizeof(char *), event_number_cmp);
        for (size_t i = 0; i < events.n; i++) {
                PowerButton b;
                PowerButton *v;

                r = read_button(ctx, events.v[i], &b);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                v = reallocarray(found.v, found.n + 1, sizeof(PowerButton));
                if (!v) {
                        power_button_done(&b);
                        return -ENOMEM;
                }
                found.v = v;
                found.v[found.n++] = b;
        }
        *ret = found;
        found = (PowerButtons) { 0 };
        return 0;
}

int power_button_open(const HostContext *ctx, PowerButton *b) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        r = host_path(ctx, b->node, &path);
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_debug_errno(negative_errno(), "open %s: %s", path, strerror(errno));
        if (fstat(fd, &st) < 0)
                return log_debug_errno(negative_errno(), "stat %s: %s", path, strerror(errno));
        /* /dev/input is root's: only the kernel or root put it there, and
         * a node that is not the button's is no button */
        if (!S_ISCHR(st.st_mode) || st.st_rdev != b->rdev)
                return log_debug_errno(-ENODEV, "%s is not character device %u:%u", path, major(b->rdev),
                                       minor(b->rdev));
        closep(&b->fd);
        b->fd = TAKE_FD(fd);
        return 0;
}

int power_button_read(int fd) {
        struct input_event ev[16];
        bool pressed = false;

        for (;;) {
                ssize_t n = read(fd, ev, sizeof ev);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -ENODEV;
                /* evdev hands out whole events only */
                for (size_t i = 0; i < (size_t) n / sizeof ev[0]; i++)
                        /* 1 is a press; 0 a release, 2 the key held */
                        if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1)
                                pressed = true;
                if ((size_t) n < sizeof ev)
                        break;
        }
        return pressed;
}
