/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/host.h"
#include "handover/step-types.h"

/* backlight: the panel's brightness.
 *
 * On a laptop whose only GPU drives the panel, the panel's brightness is
 * set through the GPU (its PWM, or the panel's DisplayPort AUX registers),
 * the system firmware (ACPI), or the embedded controller. In the guest
 * nothing may set it (QEMU has none of the EC's ACPI methods), so it stays
 * where it was when the host driver let go: `backlight = max` makes that
 * the maximum. Both modes record the value and put it back after. */

static int backlight_path(const char *device, const char *attr, char **ret) {
        return asprintf(ret, "/sys/class/backlight/%s/%s", device, attr) < 0 ? -ENOMEM : 0;
}

static int backlight_read_value(const HostContext *ctx, const char *device, const char *attr, unsigned long *ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = backlight_path(device, attr, &path);
        if (r < 0)
                return r;
        return host_read_unsigned(ctx, path, 10, ret);
}

/* type (raw, platform, firmware), brightness, max_brightness; -ENOENT when
 * there is no such backlight (any more) */
/* ret_type may be NULL: the type is read all the same, as the mark of a
 * backlight device that is there. */
int backlight_read(const HostContext *ctx, const char *device, char **ret_type, unsigned long *ret_brightness,
                   unsigned long *ret_max) {
        _cleanup_free_ char *path = NULL, *type = NULL;
        int r;

        r = backlight_path(device, "type", &path);
        if (r < 0)
                return r;
        r = host_read(ctx, path, &type);
        if (r < 0)
                return r;
        r = backlight_read_value(ctx, device, "brightness", ret_brightness);
        if (r >= 0)
                r = backlight_read_value(ctx, device, "max_brightness", ret_max);
        if (r < 0)
                return r;
        if (ret_type)
                *ret_type = TAKE_PTR(type);
        return 0;
}

/* Who sets the panel's brightness through this device, which decides
 * whether the value outlives the host driver. */
const char *backlight_source(const char *device, const char *type) {
        if (streq(device, NVIDIA_WMI_EC_BACKLIGHT))
                return "the embedded controller, through NVIDIA's WMI interface: it stays while the GPU is away";
        if (streq(type, "raw"))
                return "a GPU driver's own control: it goes with that driver";
        if (streq(type, "firmware"))
                return "the system firmware (ACPI)";
        if (streq(type, "platform"))
                return "a platform driver";
        return "unknown";
}

static int backlight_write(HostContext *ctx, const char *device, unsigned long value) {
        _cleanup_free_ char *path = NULL;
        char v[24];
        int r;

        r = backlight_path(device, "brightness", &path);
        if (r < 0)
                return r;
        snprintf(v, sizeof v, "%lu", value);
        return host_write(ctx, path, v, 0);
}

static int backlight_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *dev = str_param(params, "device");
        bool max_mode = streq_ptr(str_param(params, "mode"), "max"), change;
        _cleanup_free_ char *type = NULL;
        _cleanup_json_ json_t *record = NULL;
        unsigned long brightness, max;
        int r;

        r = backlight_read(ctx, dev, &type, &brightness, &max);
        if (r == -ENOENT) {
                log_info("backlight %s is gone since the plan, nothing to record", dev);
                return record_new(ret_record, "{s:s, s:n}", "device", dev, "brightness");
        }
        if (r < 0)
                return log_error_errno(r, "read backlight %s (/sys/class/backlight/%s): %s", dev, dev, STRERROR(r));
        change = max_mode && brightness != max;
        r = record_new(&record, "{s:s, s:s, s:I, s:I, s:b}", "device", dev, "type", type, "brightness",
                       (json_int_t) brightness, "max_brightness", (json_int_t) max, "changed", change);
        /* journaled before the write: the undo puts what it says back */
        if (r >= 0 && change)
                r = step_intent(intent, record);
        if (r < 0)
                return r;
        if (!change)
                log_info("backlight %s (%s): %lu of %lu, %s", dev, type, brightness, max,
                         max_mode ? "already at its maximum" : "left as it is ([gpu] backlight = keep)");
        else {
                r = backlight_write(ctx, dev, max);
                if (r < 0)
                        return log_error_errno(r, "set backlight %s to its maximum %lu (/sys/class/backlight/%s/brightness): "
                                               "%s; set [gpu] backlight = keep to leave it alone",
                                               dev, max, dev, STRERROR(r));
                log_info("backlight %s (%s): %lu of %lu, set to %lu for the guest", dev, type, brightness, max, max);
        }
        *ret_record = TAKE_PTR(record);
        return 0;
}

/* What the record says the panel had, and what it has now: 0 when nothing
 * was recorded (the device was gone at apply), 1 with the values, or
 * backlight_read()'s error. */
static int backlight_recorded(HostContext *ctx, const json_t *record, unsigned long *ret_was, unsigned long *ret_now,
                              unsigned long *ret_max) {
        json_t *was = json_object_get(record, "brightness");
        int r;

        if (!json_is_integer(was))
                return 0;
        *ret_was = (unsigned long) json_integer_value(was);
        r = backlight_read(ctx, str_param(record, "device"), NULL, ret_now, ret_max);
        return r < 0 ? r : 1;
}

/* The value goes back whichever the mode: a GPU driver that comes back
 * registers its backlight anew, at a level of its own choosing. */
static int backlight_undo(HostContext *ctx, const json_t *record) {
        const char *dev = str_param(record, "device");
        unsigned long was = 0, now = 0, max = 0;
        int r;

        r = backlight_recorded(ctx, record, &was, &now, &max);
        if (r == -ENOENT) {
                /* the driver that provides it did not come back, which the
                 * verify reports; kept in the journal, the step would
                 * block every later start */
                log_warning("backlight %s is not there: its brightness (%lu) cannot be put back", dev, was);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "read backlight %s: %s", dev, STRERROR(r));
        if (r == 0 || now == was)
                return 0;
        r = backlight_write(ctx, dev, was);
        if (r < 0)
                return log_error_errno(r, "put backlight %s back to %lu: %s", dev, was, STRERROR(r));
        return 0;
}

static int backlight_verify(HostContext *ctx, const json_t *record) {
        const char *dev = str_param(record, "device");
        unsigned long was = 0, now = 0, max = 0;
        int r;

        r = backlight_recorded(ctx, record, &was, &now, &max);
        if (r < 0) {
                log_error("not back: backlight %s is %s (it was at %lu): the driver that provides it did not come back; "
                          "see `ls /sys/class/backlight` and `dmesg`",
                          dev, r == -ENOENT ? "gone" : "unreadable", was);
                return -EIO;
        }
        if (r == 0)
                return 0;
        /* the undo wrote the value and said so if it could not; what set
         * it since is the desktop's business (a greeter may at login) */
        if (now != was)
                log_notice("back: backlight %s, at %lu of %lu (it was at %lu before the guest; set again since)", dev, now,
                           max, was);
        else
                log_info("back: backlight %s at %lu of %lu", dev, now, max);
        return 0;
}

const HostStepType step_backlight = {
        .name = "backlight",
        .apply = backlight_apply,
        .undo = backlight_undo,
        .verify = backlight_verify,
};
