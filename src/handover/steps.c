/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fnmatch.h>
#include <stdarg.h>
#include <strings.h>

#include "host/holders.h"
#include "host/host.h"
#include "handover/steps.h"
#include "basic/log.h"
#include "host/modules.h"
#include "host/pci.h"
#include "host/units.h"

/* systemd may take a while to stop a display manager (it waits for the
 * session to end) or to start it again */
#define UNIT_TIMEOUT (90 * USEC_PER_SEC)

static const char *const vfio_modules[] = { "vfio", "vfio_pci", "vfio_iommu_type1", NULL };

static const char *const framebuffer_globs[] = {
        "efi-framebuffer.*",
        "simple-framebuffer.*",
        "simpledrm.*",
        "vesa-framebuffer.*",
        NULL,
};

static const char *str_param(const json_t *j, const char *key) {
        return json_string_value(json_object_get(j, key));
}

static int record_new(json_t **ret, const char *format, ...) {
        va_list ap;
        json_t *j;

        va_start(ap, format);
        j = json_vpack_ex(NULL, 0, format, ap);
        va_end(ap);
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}

/* ---- stop-unit ---- */

static int stop_unit_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        const char *name = str_param(params, "unit");
        _cleanup_free_ char *id = NULL, *state = NULL;
        Units *u;
        int r;

        r = host_units(ctx, &u);
        if (r < 0)
                return r;
        r = unit_resolve(u, name, &id);
        if (r == -ENOENT) {
                log_info("%s: no such unit on this host, nothing to stop", name);
                return record_new(ret_record, "{s:s, s:b}", "unit", name, "was_active", 0);
        }
        if (r < 0)
                return log_error_errno(r, "look up unit %s: %s", name, STRERROR(r));
        r = unit_active_state(u, id, &state);
        if (r < 0)
                return log_error_errno(r, "state of %s: %s", id, STRERROR(r));
        if (!streq(state, "active") && !streq(state, "activating") && !streq(state, "reloading")) {
                log_info("%s (%s) is %s, nothing to stop", name, id, state);
                return record_new(ret_record, "{s:s, s:b}", "unit", id, "was_active", 0);
        }
        r = unit_stop(u, id, deadline_after(UNIT_TIMEOUT));
        if (r < 0)
                return log_error_errno(r, "stop %s: %s", id, STRERROR(r));
        return record_new(ret_record, "{s:s, s:b}", "unit", id, "was_active", 1);
}

static int stop_unit_undo(HostContext *ctx, const json_t *record) {
        const char *id = str_param(record, "unit");
        Units *u;
        int r;

        if (!json_is_true(json_object_get(record, "was_active")))
                return 0;
        r = host_units(ctx, &u);
        if (r < 0)
                return r;
        r = unit_start(u, id, deadline_after(UNIT_TIMEOUT));
        if (r < 0)
                return log_error_errno(r, "start %s again: %s; try `systemctl start %s` and see `journalctl -u %s`", id,
                                       STRERROR(r), id, id);
        return 0;
}

/* Only the record knows whether the unit ran before: the plan cannot
 * tell an inactive display manager from one that failed to come back. */
static int stop_unit_verify(HostContext *ctx, const json_t *record) {
        const char *id = str_param(record, "unit");
        _cleanup_free_ char *state = NULL;
        Units *u;
        int r;

        if (!json_is_true(json_object_get(record, "was_active")))
                return 0;
        r = host_units(ctx, &u);
        if (r >= 0)
                r = unit_active_state(u, id, &state);
        if (r < 0 || !streq(state, "active")) {
                log_error("not back: %s is %s; see `systemctl status %s`", id, state ? state : "unknown", id);
                return -EIO;
        }
        log_info("back: %s active", id);
        return 0;
}

static const HostStepType step_stop_unit = {
        .name = "stop-unit",
        .apply = stop_unit_apply,
        .undo = stop_unit_undo,
        .verify = stop_unit_verify,
};

/* ---- unbind-vtconsole ---- */

static int vtcon_path(const char *vtcon, const char *attr, char **ret) {
        return asprintf(ret, "/sys/class/vtconsole/%s/%s", vtcon, attr) < 0 ? -ENOMEM : 0;
}

static int vtconsole_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        const char *vtcon = str_param(params, "vtcon");
        _cleanup_free_ char *bind = NULL, *v = NULL;
        int r;

        r = vtcon_path(vtcon, "bind", &bind);
        if (r < 0)
                return r;
        r = host_read(ctx, bind, &v);
        if (r < 0)
                return log_error_errno(r, "read %s: %s", bind, STRERROR(r));
        if (!streq(v, "1")) {
                log_info("%s is not bound, nothing to unbind", vtcon);
                return record_new(ret_record, "{s:s, s:b}", "vtcon", vtcon, "was_bound", 0);
        }
        r = host_write(ctx, bind, "0", 0);
        if (r < 0)
                return log_error_errno(r, "unbind console %s (write 0 to %s): %s", vtcon, bind, STRERROR(r));
        return record_new(ret_record, "{s:s, s:b}", "vtcon", vtcon, "was_bound", 1);
}

static int vtconsole_undo(HostContext *ctx, const json_t *record) {
        const char *vtcon = str_param(record, "vtcon");
        _cleanup_free_ char *bind = NULL, *v = NULL;
        int r;

        if (!json_is_true(json_object_get(record, "was_bound")))
                return 0;
        r = vtcon_path(vtcon, "bind", &bind);
        if (r < 0)
                return r;
        r = host_read(ctx, bind, &v);
        if (r == -ENOENT)
                /* fbcon's vtcon only exists while a framebuffer does: the
                 * driver that should provide one did not come back */
                return log_error_errno(r, "console %s is gone: no framebuffer came back for it (is the GPU's driver "
                                       "loaded? see `dmesg`)", vtcon);
        if (r < 0)
                return log_error_errno(r, "read %s: %s", bind, STRERROR(r));
        if (streq(v, "1"))
                return 0;
        r = host_write(ctx, bind, "1", 0);
        if (r < 0)
                return log_error_errno(r, "rebind console %s (write 1 to %s): %s", vtcon, bind, STRERROR(r));
        return 0;
}

static const HostStepType step_unbind_vtconsole = {
        .name = "unbind-vtconsole",
        .apply = vtconsole_apply,
        .undo = vtconsole_undo,
};

/* ---- unbind-framebuffer ---- */

static int fb_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        const char *dev = str_param(params, "device"), *drv = str_param(params, "driver");
        _cleanup_free_ char *unbind = NULL, *devpath = NULL, *bound = NULL;
        int r;

        if (asprintf(&unbind, "/sys/bus/platform/drivers/%s/unbind", drv) < 0 ||
            asprintf(&devpath, "/sys/bus/platform/devices/%s/driver", dev) < 0)
                return -ENOMEM;
        r = host_link_name(ctx, devpath, &bound);
        if (r == -ENOENT) {
                log_info("%s is not bound to a driver (any more), nothing to unbind", dev);
                return record_new(ret_record, "{s:s, s:s, s:b}", "device", dev, "driver", drv, "was_bound", 0);
        }
        r = host_write(ctx, unbind, dev, 0);
        if (r < 0)
                return log_error_errno(r, "unbind framebuffer %s from %s: %s", dev, drv, STRERROR(r));
        return record_new(ret_record, "{s:s, s:s, s:b}", "device", dev, "driver", drv, "was_bound", 1);
}

static int fb_undo(HostContext *ctx, const json_t *record) {
        const char *dev = str_param(record, "device"), *drv = str_param(record, "driver");
        _cleanup_free_ char *bind = NULL, *devdir = NULL, *devdrv = NULL, *bound = NULL;
        int r;

        if (!json_is_true(json_object_get(record, "was_bound")))
                return 0;
        if (asprintf(&bind, "/sys/bus/platform/drivers/%s/bind", drv) < 0 ||
            asprintf(&devdir, "/sys/bus/platform/devices/%s", dev) < 0 ||
            asprintf(&devdrv, "%s/driver", devdir) < 0)
                return -ENOMEM;
        if (!host_exists(ctx, devdir)) {
                /* a GPU driver that loads removes the firmware framebuffer
                 * it replaces, as at boot: its own console takes over */
                log_info("%s no longer exists: the GPU's driver took over the framebuffer", dev);
                return 0;
        }
        if (host_link_name(ctx, devdrv, &bound) >= 0)
                return 0;
        r = host_write(ctx, bind, dev, 0);
        if (r < 0)
                return log_error_errno(r, "rebind framebuffer %s to %s: %s", dev, drv, STRERROR(r));
        return 0;
}

static const HostStepType step_unbind_framebuffer = {
        .name = "unbind-framebuffer",
        .apply = fb_apply,
        .undo = fb_undo,
};

/* ---- backlight ----
 *
 * On a laptop whose only GPU drives the panel, the panel's brightness is
 * set through the GPU (its PWM, or the panel's DisplayPort AUX registers),
 * the system firmware (ACPI), or the embedded controller. In the guest
 * nothing may set it (QEMU has none of the EC's ACPI methods), so it stays
 * where it was when the host driver let go: `backlight = max` makes that
 * the maximum. Both modes record the value and put it back after. */

/* NVIDIA's WMI interface to the embedded controller's brightness
 * (drivers/platform/x86/nvidia-wmi-ec-backlight.c) */
#define NVIDIA_WMI_EC_GUID "603E9613-EF25-4338-A3D0-C46177516DB7"
#define NVIDIA_WMI_EC_BACKLIGHT "nvidia_wmi_ec_backlight"

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
static int backlight_read(const HostContext *ctx, const char *device, char **ret_type, unsigned long *ret_brightness,
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
static const char *backlight_source(const char *device, const char *type) {
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

static int backlight_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        const char *dev = str_param(params, "device");
        bool max_mode = streq_ptr(str_param(params, "mode"), "max"), change;
        _cleanup_free_ char *type = NULL;
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
        return record_new(ret_record, "{s:s, s:s, s:I, s:I, s:b}", "device", dev, "type", type, "brightness",
                          (json_int_t) brightness, "max_brightness", (json_int_t) max, "changed", change);
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

static const HostStepType step_backlight = {
        .name = "backlight",
        .apply = backlight_apply,
        .undo = backlight_undo,
        .verify = backlight_verify,
};

/* ---- unload-module / load-module ---- */

static int unload_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        const char *name = str_param(params, "module");
        ModuleState state;
        Modules *m;
        int r;

        r = host_modules(ctx, &m);
        if (r < 0)
                return r;
        r = module_state(m, name, &state);
        if (r < 0)
                return log_error_errno(r, "state of module %s: %s", name, STRERROR(r));
        if (state == MODULE_ABSENT) {
                log_info("module %s is not loaded, nothing to unload", name);
                return record_new(ret_record, "{s:s, s:b}", "module", name, "was_loaded", 0);
        }
        r = module_remove(m, name);
        if (r < 0)
                /* module_remove() named the refcount and holders */
                return log_error_errno(r, "unload module %s: %s", name, STRERROR(r));
        return record_new(ret_record, "{s:s, s:b}", "module", name, "was_loaded", 1);
}

static int unload_undo(HostContext *ctx, const json_t *record) {
        const char *name = str_param(record, "module");
        Modules *m;
        int r;

        if (!json_is_true(json_object_get(record, "was_loaded")))
                return 0;
        r = host_modules(ctx, &m);
        if (r < 0)
                return r;
        r = module_load(m, name);
        if (r < 0)
                return log_error_errno(r, "load module %s again: %s; try `modprobe %s` and see `dmesg`", name,
                                       STRERROR(r), name);
        return 0;
}

static const HostStepType step_unload_module = {
        .name = "unload-module",
        .apply = unload_apply,
        .undo = unload_undo,
};

static int load_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        const char *name = str_param(params, "module");
        ModuleState state;
        Modules *m;
        int r;

        r = host_modules(ctx, &m);
        if (r < 0)
                return r;
        r = module_state(m, name, &state);
        if (r < 0)
                return log_error_errno(r, "state of module %s: %s", name, STRERROR(r));
        r = module_load(m, name);
        if (r < 0)
                return log_error_errno(r, "load module %s: %s", name, STRERROR(r));
        return record_new(ret_record, "{s:s, s:b}", "module", name, "was_loaded", state != MODULE_ABSENT);
}

static int load_undo(HostContext *ctx, const json_t *record) {
        /* vfio stays: unloading it would gain nothing and could pull it
         * from under another VM */
        log_debug("module %s stays loaded", strempty(str_param(record, "module")));
        return 0;
}

static const HostStepType step_load_module = {
        .name = "load-module",
        .apply = load_apply,
        .undo = load_undo,
};

/* ---- unbind-device ---- */

static int pci_driver_path(const char *driver, const char *attr, char **ret) {
        return asprintf(ret, "/sys/bus/pci/drivers/%s/%s", driver, attr) < 0 ? -ENOMEM : 0;
}

static int device_driver(const HostContext *ctx, const char *dev, char **ret) {
        _cleanup_free_ char *link = NULL;

        if (asprintf(&link, "/sys/bus/pci/devices/%s/driver", dev) < 0)
                return -ENOMEM;
        return host_link_name(ctx, link, ret);
}

static int unbind_device_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        const char *dev = str_param(params, "device");
        _cleanup_free_ char *drv = NULL, *unbind = NULL;
        int r;

        r = device_driver(ctx, dev, &drv);
        if (r == -ENOENT) {
                log_info("%s is bound to no driver, nothing to unbind", dev);
                return record_new(ret_record, "{s:s, s:n}", "device", dev, "driver");
        }
        if (r < 0)
                return r;
        r = pci_driver_path(drv, "unbind", &unbind);
        if (r < 0)
                return r;
        r = host_write(ctx, unbind, dev, 0);
        if (r < 0)
                return log_error_errno(r, "unbind %s from %s: %s", dev, drv, STRERROR(r));
        return record_new(ret_record, "{s:s, s:s}", "device", dev, "driver", drv);
}

static int unbind_device_undo(HostContext *ctx, const json_t *record) {
        const char *dev = str_param(record, "device"), *drv = str_param(record, "driver");
        _cleanup_free_ char *now = NULL, *bind = NULL;
        int r;

        if (!drv)
                return 0;
        if (device_driver(ctx, dev, &now) >= 0 && streq(now, drv))
                return 0;
        r = pci_driver_path(drv, "bind", &bind);
        if (r < 0)
                return r;
        r = host_write(ctx, bind, dev, 0);
        if (r < 0)
                return log_error_errno(r, "bind %s to %s again: %s", dev, drv, STRERROR(r));
        return 0;
}

static const HostStepType step_unbind_device = {
        .name = "unbind-device",
        .apply = unbind_device_apply,
        .undo = unbind_device_undo,
};

/* ---- bind-vfio ---- */

static int override_path(const char *dev, char **ret) {
        return asprintf(ret, "/sys/bus/pci/devices/%s/driver_override", dev) < 0 ? -ENOMEM : 0;
}

static int bind_vfio_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        const char *dev = str_param(params, "device");
        _cleanup_free_ char *ovr = NULL, *old = NULL, *drv = NULL, *unbind = NULL, *now = NULL;
        int r;

        r = override_path(dev, &ovr);
        if (r < 0)
                return r;
        r = host_read(ctx, ovr, &old);
        if (r < 0)
                return log_error_errno(r, "read %s: %s", ovr, STRERROR(r));
        /* "(null)" is how sysfs shows no override */
        if (streq(old, "(null)") || streq(old, "")) {
                free(old);
                old = NULL;
        }

        if (device_driver(ctx, dev, &drv) >= 0) {
                if (streq(drv, "vfio-pci")) {
                        log_info("%s is already bound to vfio-pci", dev);
                        return record_new(ret_record, "{s:s, s:b}", "device", dev, "changed", 0);
                }
                /* the plan unloads or unbinds the driver before this
                 * step; one still bound here came back on its own */
                r = pci_driver_path(drv, "unbind", &unbind);
                if (r < 0)
                        return r;
                r = host_write(ctx, unbind, dev, 0);
                if (r < 0)
                        return log_error_errno(r, "unbind %s from %s: %s", dev, drv, STRERROR(r));
        }

        /* driver_override binds this one device, not every device of the
         * same model as new_id would */
        r = host_write(ctx, ovr, "vfio-pci", 0);
        if (r < 0)
                return log_error_errno(r, "set %s to vfio-pci: %s", ovr, STRERROR(r));
        r = host_write(ctx, "/sys/bus/pci/drivers_probe", dev, 0);
        if (r < 0) {
                (void) host_write(ctx, ovr, old ? old : "\n", 0);
                return log_error_errno(r, "probe %s with vfio-pci: %s; see `dmesg`", dev, STRERROR(r));
        }
        r = device_driver(ctx, dev, &now);
        if (r < 0 || !streq(now, "vfio-pci")) {
                (void) host_write(ctx, ovr, old ? old : "\n", 0);
                return log_error_errno(-EIO, "%s did not bind to vfio-pci (bound to: %s); see `dmesg`", dev,
                                       r < 0 ? "nothing" : now);
        }
        return record_new(ret_record, "{s:s, s:b, s:s*, s:s*}", "device", dev, "changed", 1, "driver_was", drv,
                          "override_was", old);
}

static int bind_vfio_undo(HostContext *ctx, const json_t *record) {
        const char *dev = str_param(record, "device"), *old = str_param(record, "override_was");
        _cleanup_free_ char *ovr = NULL, *now = NULL;
        int r;

        if (!json_is_true(json_object_get(record, "changed")))
                return 0;
        r = override_path(dev, &ovr);
        if (r < 0)
                return r;
        if (device_driver(ctx, dev, &now) >= 0 && streq(now, "vfio-pci")) {
                r = host_write(ctx, "/sys/bus/pci/drivers/vfio-pci/unbind", dev, 0);
                if (r < 0)
                        return log_error_errno(r, "unbind %s from vfio-pci: %s (is QEMU still running?)", dev,
                                               STRERROR(r));
        }
        /* back to the override there was before; a lone newline clears it */
        r = host_write(ctx, ovr, old ? old : "\n", 0);
        if (r < 0)
                return log_error_errno(r, "clear %s: %s", ovr, STRERROR(r));
        /* the host driver binds again if it is loaded now; if it is not,
         * the module reload that comes next in the undo binds it */
        r = host_write(ctx, "/sys/bus/pci/drivers_probe", dev, 0);
        if (r < 0 && r != -ENODEV && r != -EINVAL)
                return log_error_errno(r, "re-probe %s: %s", dev, STRERROR(r));
        return 0;
}

static const HostStepType step_bind_vfio = {
        .name = "bind-vfio",
        .apply = bind_vfio_apply,
        .undo = bind_vfio_undo,
};

/* ---- check-vfio-group ---- */

static int vfio_group_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        json_int_t group = json_integer_value(json_object_get(params, "group"));
        _cleanup_free_ char *node = NULL;

        if (asprintf(&node, "/dev/vfio/%" JSON_INTEGER_FORMAT, group) < 0)
                return -ENOMEM;
        if (!host_exists(ctx, node))
                return log_error_errno(-ENOENT, "%s did not appear after binding the group to vfio-pci: is "
                                       "vfio_iommu_type1 loaded and the IOMMU on? see `dmesg | grep -i vfio`",
                                       node);
        log_info("VFIO group %" JSON_INTEGER_FORMAT " ready: %s", group, node);
        return record_new(ret_record, "{s:I}", "group", group);
}

static int vfio_group_undo(HostContext *ctx, const json_t *record) {
        return 0;
}

static const HostStepType step_check_vfio_group = {
        .name = "check-vfio-group",
        .apply = vfio_group_apply,
        .undo = vfio_group_undo,
};

/* ---- grant: a file or VFIO group for the unprivileged QEMU ---- */

static int grant_apply(HostContext *ctx, const json_t *params, json_t **ret_record) {
        const char *path = str_param(params, "path");
        uid_t uid = (uid_t) json_integer_value(json_object_get(params, "uid"));
        gid_t gid = (gid_t) json_integer_value(json_object_get(params, "gid"));
        uid_t was_uid;
        gid_t was_gid;
        int r;

        r = host_chown(ctx, path, uid, gid, &was_uid, &was_gid);
        if (r < 0)
                return log_error_errno(r, "give %s to uid %u gid %u (the QEMU user): %s", path, (unsigned) uid,
                                       (unsigned) gid, STRERROR(r));
        return record_new(ret_record, "{s:s, s:I, s:I}", "path", path, "uid_was", (json_int_t) was_uid, "gid_was",
                          (json_int_t) was_gid);
}

static int grant_undo(HostContext *ctx, const json_t *record) {
        const char *path = str_param(record, "path");
        uid_t uid = (uid_t) json_integer_value(json_object_get(record, "uid_was"));
        gid_t gid = (gid_t) json_integer_value(json_object_get(record, "gid_was"));
        int r;

        r = host_chown(ctx, path, uid, gid, NULL, NULL);
        if (r == -ENOENT) {
                /* a VFIO group node goes with the unbind, a disk may have
                 * been removed: nothing left to give back */
                log_debug("%s is gone, nothing to give back", path);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "give %s back to uid %u gid %u: %s; fix with `chown %u:%u %s`", path,
                                       (unsigned) uid, (unsigned) gid, STRERROR(r), (unsigned) uid, (unsigned) gid,
                                       path);
        return 0;
}

static const HostStepType step_grant = {
        .name = "grant",
        .apply = grant_apply,
        .undo = grant_undo,
};

int host_steps_add_grant(HostSteps *steps, const char *path, uid_t uid, gid_t gid, const char *user) {
        json_t *params = json_pack("{s:s, s:I, s:I}", "path", path, "uid", (json_int_t) uid, "gid", (json_int_t) gid);
        char *summary = NULL;

        if (!params || asprintf(&summary, "give %s to %s (QEMU's user)", path, user) < 0) {
                json_decref(params);
                return -ENOMEM;
        }
        return host_steps_add(steps, &step_grant, params, summary);
}

const HostStepType *const host_step_types[] = {
        &step_stop_unit,
        &step_unbind_vtconsole,
        &step_unbind_framebuffer,
        &step_backlight,
        &step_unload_module,
        &step_unbind_device,
        &step_load_module,
        &step_bind_vfio,
        &step_check_vfio_group,
        &step_grant,
        NULL,
};

/* ---- the plan ---- */

static int add_step(HostSteps *steps, const HostStepType *type, json_t *params, const char *format, ...)
        _printf_(4, 5);
static int add_step(HostSteps *steps, const HostStepType *type, json_t *params, const char *format, ...) {
        char *summary = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&summary, format, ap) < 0)
                summary = NULL;
        va_end(ap);
        return host_steps_add(steps, type, params, summary);
}

static int plan_units(const Profile *p, HostSteps *steps, json_t *expect_units) {
        int r;

        if (!streq(p->display_manager, "none")) {
                const char *dm = streq(p->display_manager, "auto") ? "display-manager.service" : p->display_manager;
                r = add_step(steps, &step_stop_unit, json_pack("{s:s}", "unit", dm), "stop %s", dm);
                if (r < 0 || json_array_append_new(expect_units, json_string(dm)) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; p->stop_units && p->stop_units[i]; i++) {
                r = add_step(steps, &step_stop_unit, json_pack("{s:s}", "unit", p->stop_units[i]), "stop %s",
                             p->stop_units[i]);
                if (r < 0 || json_array_append_new(expect_units, json_string(p->stop_units[i])) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int plan_consoles(HostContext *ctx, HostSteps *steps, Strv *notes, bool *ret_fbcon) {
        _cleanup_strv_free_ char **vtcons = NULL;
        bool any = false;
        int r;

        r = host_list_dir(ctx, "/sys/class/vtconsole", &vtcons);
        if (r < 0)
                return r;
        for (size_t i = 0; vtcons[i]; i++) {
                _cleanup_free_ char *namep = NULL, *bindp = NULL, *name = NULL, *bind = NULL;

                if (vtcon_path(vtcons[i], "name", &namep) < 0 || vtcon_path(vtcons[i], "bind", &bindp) < 0)
                        return -ENOMEM;
                if (host_read(ctx, namep, &name) < 0 || host_read(ctx, bindp, &bind) < 0)
                        continue;
                /* the text console (VGA/dummy) holds no GPU memory; only
                 * fbcon, drawn into the GPU's framebuffer, has to go */
                if (!strstr(name, "frame buffer") || !streq(bind, "1"))
                        continue;
                r = add_step(steps, &step_unbind_vtconsole, json_pack("{s:s}", "vtcon", vtcons[i]),
                             "unbind console %s: %s", vtcons[i], name);
                if (r < 0)
                        return r;
                any = true;
        }
        if (!any)
                log_info("no frame buffer console is bound: no console to unbind");
        *ret_fbcon = any;
        return 0;
}

static int plan_framebuffers(HostContext *ctx, HostSteps *steps) {
        _cleanup_strv_free_ char **devs = NULL;
        bool any = false;
        int r;

        r = host_list_dir(ctx, "/sys/bus/platform/devices", &devs);
        if (r < 0)
                return r;
        for (size_t i = 0; devs[i]; i++) {
                _cleanup_free_ char *link = NULL, *drv = NULL;
                bool match = false;

                for (size_t g = 0; framebuffer_globs[g]; g++)
                        match = match || fnmatch(framebuffer_globs[g], devs[i], 0) == 0;
                if (!match)
                        continue;
                if (asprintf(&link, "/sys/bus/platform/devices/%s/driver", devs[i]) < 0)
                        return -ENOMEM;
                if (host_link_name(ctx, link, &drv) < 0)
                        continue;
                r = add_step(steps, &step_unbind_framebuffer, json_pack("{s:s, s:s}", "device", devs[i], "driver", drv),
                             "unbind firmware framebuffer %s from %s", devs[i], drv);
                if (r < 0)
                        return r;
                any = true;
        }
        if (!any)
                log_info("no firmware framebuffer (efi-framebuffer, simple-framebuffer, simpledrm, vesa-framebuffer) "
                         "is bound on this kernel: none to unbind");
        return 0;
}

/* What sets the panel's brightness, said before anything changes, and a
 * step per backlight device: with `backlight = max` it goes to its maximum
 * before the host driver goes; in both modes it is recorded, and put back
 * after. */
static int plan_backlight(HostContext *ctx, const Profile *p, HostSteps *steps) {
        _cleanup_strv_free_ char **devs = NULL, **wmi = NULL;
        bool max = p->gpu_backlight == GPU_BACKLIGHT_MAX, wmi_ec = false, wmi_ec_used = false;
        int r;

        r = host_list_dir(ctx, "/sys/bus/wmi/devices", &wmi);
        if (r < 0)
                return r;
        for (size_t i = 0; wmi[i]; i++)
                /* a second instance of a GUID gets a "-N" suffix */
                wmi_ec = wmi_ec || strncasecmp(wmi[i], NVIDIA_WMI_EC_GUID, strlen(NVIDIA_WMI_EC_GUID)) == 0;

        r = host_list_dir(ctx, "/sys/class/backlight", &devs);
        if (r < 0)
                return r;
        for (size_t i = 0; devs[i]; i++) {
                _cleanup_free_ char *type = NULL;
                unsigned long brightness, max_brightness;

                r = backlight_read(ctx, devs[i], &type, &brightness, &max_brightness);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_info("backlight %s: cannot read it (%s), left alone", devs[i], STRERROR(r));
                        continue;
                }
                wmi_ec_used = wmi_ec_used || streq(devs[i], NVIDIA_WMI_EC_BACKLIGHT);
                log_info("backlight %s: type %s, brightness %lu of %lu; set by %s", devs[i], type, brightness,
                         max_brightness, backlight_source(devs[i], type));
                if (max)
                        r = add_step(steps, &step_backlight, json_pack("{s:s, s:s}", "device", devs[i], "mode", "max"),
                                     "set backlight %s (%s) to its maximum %lu (now %lu); put back after", devs[i],
                                     type, max_brightness, brightness);
                else
                        r = add_step(steps, &step_backlight, json_pack("{s:s, s:s}", "device", devs[i], "mode", "keep"),
                                     "record backlight %s (%s) at %lu of %lu; put back after", devs[i], type,
                                     brightness, max_brightness);
                if (r < 0)
                        return r;
        }
        if (wmi_ec && !wmi_ec_used)
                log_info("NVIDIA's WMI interface to the embedded controller's brightness (WMI %s) is there, but not in "
                         "use as a backlight: the kernel chose another source (acpi_backlight=nvidia_wmi_ec makes it "
                         "this one)", NVIDIA_WMI_EC_GUID);
        if (!devs[0])
                log_info("no backlight device in /sys/class/backlight: no backlight step needed%s",
                         max ? " ([gpu] backlight = max has nothing to set)" : "");
        return 0;
}

/* Is `driver` bound to a device outside `ours`? Then its module stays and
 * only our device leaves it (snd_hda_intel also drives the laptop's own
 * speakers). */
static int driver_has_other_devices(HostContext *ctx, const char *driver, char *const *ours, bool *ret) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **entries = NULL;
        int r;

        if (asprintf(&dir, "/sys/bus/pci/drivers/%s", driver) < 0)
                return -ENOMEM;
        r = host_list_dir(ctx, dir, &entries);
        if (r < 0)
                return r;
        *ret = false;
        for (size_t i = 0; entries[i]; i++) {
                _cleanup_free_ char *canon = NULL;
                /* device links are named by address; skip bind, new_id... */
                if (pci_address_canonicalize(entries[i], &canon) < 0)
                        continue;
                if (!strv_contains(ours, entries[i]))
                        *ret = true;
        }
        return 0;
}

static int plan_drivers(HostContext *ctx, char *const *devices, HostSteps *steps, Strv *notes, json_t *expect_drivers) {
        _cleanup_strv_ Strv unloaded = { 0 };
        int r;

        for (size_t i = 0; devices[i]; i++) {
                _cleanup_(pci_device_done) PciDevice d = { .iommu_group = -1 };
                _cleanup_free_ char *module = NULL;
                _cleanup_strv_free_ char **order = NULL;
                bool others = false;
                Modules *m;

                r = pci_device_read(ctx, devices[i], &d);
                if (r < 0)
                        return r;
                if (json_object_set_new(expect_drivers, devices[i], d.driver ? json_string(d.driver) : json_null()) < 0)
                        return -ENOMEM;
                if (!d.driver || streq(d.driver, "vfio-pci"))
                        continue;

                r = driver_module(ctx->root, d.driver, &module);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0 && module) {
                        r = driver_has_other_devices(ctx, d.driver, devices, &others);
                        if (r < 0)
                                return r;
                }
                if (!module || others) {
                        r = add_step(steps, &step_unbind_device, json_pack("{s:s}", "device", devices[i]),
                                     "unbind %s from %s (%s)", devices[i], d.driver,
                                     module ? "its module also drives other devices" : "built into the kernel");
                        if (r < 0)
                                return r;
                        continue;
                }
                if (strv_contains(unloaded.v, module))
                        continue;

                /* holders first: nvidia_drm, nvidia_modeset, ..., nvidia */
                r = host_modules(ctx, &m);
                if (r < 0)
                        return r;
                r = module_removal_order(m, module, &order);
                if (r < 0)
                        return log_error_errno(r, "holders of module %s: %s", module, STRERROR(r));
                if (!order[0]) {
                        /* the driver's module is not loaded per libkmod (a
                         * fake tree in tests): unload just that */
                        strv_free(order);
                        order = calloc(2, sizeof(char *));
                        if (!order || !(order[0] = strdup(module)))
                                return -ENOMEM;
                }
                for (size_t k = 0; order[k]; k++) {
                        if (strv_contains(unloaded.v, order[k]))
                                continue;
                        if (streq(order[k], module))
                                r = add_step(steps, &step_unload_module, json_pack("{s:s}", "module", order[k]),
                                             "unload module %s (driver %s of %s)", order[k], d.driver, devices[i]);
                        else
                                r = add_step(steps, &step_unload_module, json_pack("{s:s}", "module", order[k]),
                                             "unload module %s (uses %s)", order[k], module);
                        if (r < 0)
                                return r;
                        r = strv_push(&unloaded, order[k]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int host_steps_plan(HostContext *ctx, const Profile *p, char *const *functions, HostSteps *steps, Strv *notes,
                    json_t **ret_expect) {
        _cleanup_json_ json_t *expect = NULL;
        _cleanup_strv_ Strv devices = { 0 };
        _cleanup_(pci_device_done) PciDevice gpu = { .iommu_group = -1 };
        bool fbcon = false;
        int r;

        expect = json_pack("{s:[], s:{}, s:b, s:s*}", "units", "drivers", "fbcon", 0, "gpu", p->gpu_address);
        if (!expect)
                return -ENOMEM;
        if (!p->has_gpu) {
                *ret_expect = TAKE_PTR(expect);
                return 0;
        }

        r = pci_device_read(ctx, p->gpu_address, &gpu);
        if (r == -ENOENT) {
                /* plan anywhere: list the steps that do not depend on what
                 * this host has, and say what is missing */
                r = strv_pushf(notes, "the host steps for %s cannot be planned on this host; those shown are the "
                                      "ones that do not depend on the device", p->gpu_address);
                if (r < 0)
                        return r;
                r = plan_units(p, steps, json_object_get(expect, "units"));
                if (r >= 0)
                        for (size_t i = 0; vfio_modules[i] && r >= 0; i++)
                                r = add_step(steps, &step_load_module, json_pack("{s:s}", "module", vfio_modules[i]),
                                             "load module %s", vfio_modules[i]);
                if (r < 0)
                        return r;
                *ret_expect = TAKE_PTR(expect);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "read PCI device %s: %s", p->gpu_address, STRERROR(r));

        r = strv_push(&devices, p->gpu_address);
        for (size_t i = 0; r >= 0 && functions && functions[i]; i++)
                r = strv_push(&devices, functions[i]);
        if (r < 0)
                return r;

        r = plan_units(p, steps, json_object_get(expect, "units"));
        if (r >= 0)
                r = plan_consoles(ctx, steps, notes, &fbcon);
        if (r >= 0)
                r = plan_framebuffers(ctx, steps);
        if (r >= 0)
                r = plan_backlight(ctx, p, steps);
        if (r >= 0)
                r = plan_drivers(ctx, devices.v, steps, notes, json_object_get(expect, "drivers"));
        for (size_t i = 0; r >= 0 && vfio_modules[i]; i++)
                r = add_step(steps, &step_load_module, json_pack("{s:s}", "module", vfio_modules[i]), "load module %s",
                             vfio_modules[i]);
        for (size_t i = 0; r >= 0 && devices.v[i]; i++)
                r = add_step(steps, &step_bind_vfio, json_pack("{s:s}", "device", devices.v[i]),
                             "bind %s to vfio-pci (driver_override, drivers_probe)", devices.v[i]);
        if (r >= 0 && gpu.iommu_group >= 0)
                r = add_step(steps, &step_check_vfio_group, json_pack("{s:i}", "group", gpu.iommu_group),
                             "check /dev/vfio/%d", gpu.iommu_group);
        if (r < 0)
                return r;
        if (json_object_set_new(expect, "fbcon", json_boolean(fbcon)) < 0)
                return -ENOMEM;
        *ret_expect = TAKE_PTR(expect);
        return 0;
}

/* ---- before the first step ---- */

static int check_iommu_group(HostContext *ctx, const PciDevice *gpu, char *const *devices) {
        _cleanup_strv_free_ char **members = NULL;
        int r, ret = 0;

        if (gpu->iommu_group < 0) {
                _cleanup_strv_free_ char **groups = NULL;
                r = host_list_dir(ctx, "/sys/kernel/iommu_groups", &groups);
                if (r >= 0 && !groups[0])
                        return log_error_errno(-ENODEV, "the IOMMU is off: no IOMMU groups. Add intel_iommu=on (Intel) "
                                               "or amd_iommu=on (AMD) and iommu=pt to the kernel command line, "
                                               "and enable VT-d/AMD-Vi in the firmware setup");
                return log_error_errno(-ENODEV, "%s is in no IOMMU group; see `dmesg | grep -i -e DMAR -e IOMMU`",
                                       gpu->address);
        }
        r = iommu_group_devices(ctx, gpu->iommu_group, &members);
        if (r < 0)
                return log_error_errno(r, "list IOMMU group %d: %s", gpu->iommu_group, STRERROR(r));

        for (size_t i = 0; members[i]; i++) {
                _cleanup_(pci_device_done) PciDevice d = { .iommu_group = -1 };

                if (strv_contains(devices, members[i]))
                        continue;
                r = pci_device_read(ctx, members[i], &d);
                if (r < 0) {
                        RET_GATHER(ret, log_error_errno(r, "read %s (IOMMU group %d): %s", members[i],
                                                        gpu->iommu_group, STRERROR(r)));
                        continue;
                }
                /* bridges stay with the host; unbound or vfio devices do
                 * not stop the group from being used */
                if (pci_class_base(d.class) == PCI_BASE_BRIDGE || !d.driver || streq(d.driver, "vfio-pci") ||
                    streq(d.driver, "pci-stub") || streq(d.driver, "pcieport"))
                        continue;
                RET_GATHER(ret, log_error_errno(-EBUSY, "%s (class 0x%06x, driver %s) shares IOMMU group %d with the "
                                                "GPU and would have to go too: add it to [gpu] functions = if it "
                                                "may, or put the GPU in another slot",
                                                members[i], d.class, d.driver, gpu->iommu_group));
        }
        return ret;
}

/* Is `unit` one the plan stops? The plan names aliases
 * (display-manager.service), the cgroup the real unit (gdm.service). */
static bool unit_is_stopped(HostContext *ctx, const HostSteps *steps, const char *unit) {
        for (size_t i = 0; i < steps->n; i++) {
                _cleanup_free_ char *id = NULL;
                const char *name;
                Units *u;

                if (steps->steps[i].type != &step_stop_unit)
                        continue;
                name = str_param(steps->steps[i].params, "unit");
                if (streq(name, unit))
                        return true;
                if (host_units(ctx, &u) >= 0 && unit_resolve(u, name, &id) >= 0 && streq(id, unit))
                        return true;
        }
        return false;
}

static int check_holders(HostContext *ctx, char *const *devices, const HostSteps *steps) {
        _cleanup_strv_ Strv nodes = { 0 };
        _cleanup_(holders_done) Holders h = { 0 };
        int r, ret = 0;

        for (size_t i = 0; devices[i]; i++) {
                _cleanup_strv_free_ char **n = NULL;
                r = device_nodes(ctx->root, devices[i], &n);
                if (r < 0)
                        return log_error_errno(r, "device nodes of %s: %s", devices[i], STRERROR(r));
                for (size_t k = 0; n[k]; k++)
                        if (!strv_contains(nodes.v, n[k]) && strv_push(&nodes, n[k]) < 0)
                                return -ENOMEM;
        }
        if (nodes.n == 0)
                return 0;

        r = holders_find(ctx->root, nodes.v, &h);
        if (r < 0)
                return log_error_errno(r, "find processes holding %s: %s", nodes.v[0], STRERROR(r));
        for (size_t i = 0; i < h.n; i++) {
                /* the units the plan stops may hold the GPU: that is why
                 * they stop */
                if (h.holders[i].unit && unit_is_stopped(ctx, steps, h.holders[i].unit))
                        continue;
                if (h.holders[i].pid == getpid())
                        continue;
                RET_GATHER(ret, log_error_errno(-EBUSY, "PID %d (%s%s%s) holds %s%s: it would keep the GPU's driver "
                                                "from unloading. Stop it, or add its unit to [host] stop-units =",
                                                (int) h.holders[i].pid, strempty(h.holders[i].comm),
                                                h.holders[i].unit ? ", unit " : ", in no unit",
                                                strempty(h.holders[i].unit), h.holders[i].node,
                                                h.holders[i].mapped ? " (mapped)" : ""));
        }
        return ret;
}

/* vfio-pci registered, or a module for it that loading can find. */
static int check_vfio(HostContext *ctx) {
        Modules *m;
        int r;

        if (host_exists(ctx, "/sys/bus/pci/drivers/vfio-pci"))
                return 0;
        r = host_modules(ctx, &m);
        if (r < 0)
                return r;
        r = module_available(m, "vfio_pci");
        if (r == -ENOENT)
                return log_error_errno(r, "vfio-pci is not available: no vfio_pci module for this kernel and not "
                                       "built in; install the kernel's modules package");
        if (r < 0)
                return log_error_errno(r, "look up module vfio_pci: %s", STRERROR(r));
        return 0;
}

int host_precheck(HostContext *ctx, const Profile *p, char *const *functions, const HostSteps *steps) {
        _cleanup_(pci_device_done) PciDevice gpu = { .iommu_group = -1 };
        _cleanup_strv_ Strv devices = { 0 };
        int r, ret = 0;

        if (!p->has_gpu)
                return 0;

        r = pci_device_read(ctx, p->gpu_address, &gpu);
        if (r == -ENOENT)
                return log_error_errno(r, "GPU %s is not on this host (no /sys/bus/pci/devices/%s); see `lspci -D`",
                                       p->gpu_address, p->gpu_address);
        if (r < 0)
                return log_error_errno(r, "read PCI device %s: %s", p->gpu_address, STRERROR(r));

        r = strv_push(&devices, p->gpu_address);
        for (size_t i = 0; r >= 0 && functions && functions[i]; i++)
                r = strv_push(&devices, functions[i]);
        if (r < 0)
                return log_oom();

        for (size_t i = 0; devices.v[i]; i++)
                RET_GATHER(ret, host_check_device_allowed(ctx, devices.v[i]));
        RET_GATHER(ret, check_iommu_group(ctx, &gpu, devices.v));
        RET_GATHER(ret, check_vfio(ctx));
        RET_GATHER(ret, check_holders(ctx, devices.v, steps));
        return ret;
}

/* ---- after the restore ---- */

int host_verify(HostContext *ctx, const json_t *expect) {
        const char *dev, *gpu = str_param(expect, "gpu");
        json_t *drv;
        int ret = 0;

        json_object_foreach((json_t *) json_object_get(expect, "drivers"), dev, drv) {
                _cleanup_free_ char *now = NULL;
                const char *want = json_string_value(drv);

                if (!want)
                        continue;
                if (device_driver(ctx, dev, &now) < 0 || !streq(now, want)) {
                        log_error("not back: %s is bound to %s, it was bound to %s", dev, now ? now : "no driver", want);
                        ret = -EIO;
                } else
                        log_info("back: %s bound to %s", dev, want);
        }

        if (gpu && json_object_get(json_object_get(expect, "drivers"), gpu) &&
            json_string_value(json_object_get(json_object_get(expect, "drivers"), gpu))) {
                _cleanup_strv_free_ char **cards = NULL;
                bool found = false;

                if (host_list_dir(ctx, "/sys/class/drm", &cards) >= 0)
                        for (size_t k = 0; cards[k] && !found; k++) {
                                _cleanup_free_ char *link = NULL, *target = NULL;
                                if (strncmp(cards[k], "card", 4) != 0 || strchr(cards[k], '-'))
                                        continue;
                                if (asprintf(&link, "/sys/class/drm/%s/device", cards[k]) < 0)
                                        return -ENOMEM;
                                found = host_link_name(ctx, link, &target) >= 0 && streq(target, gpu);
                        }
                if (!found) {
                        log_error("not back: no DRM card for %s in /sys/class/drm", gpu);
                        ret = -EIO;
                } else
                        log_info("back: DRM card for %s", gpu);
        }

        if (json_is_true(json_object_get(expect, "fbcon"))) {
                _cleanup_strv_free_ char **vtcons = NULL;
                bool bound = false;

                if (host_list_dir(ctx, "/sys/class/vtconsole", &vtcons) >= 0)
                        for (size_t k = 0; vtcons[k] && !bound; k++) {
                                _cleanup_free_ char *np = NULL, *bp = NULL, *n = NULL, *b = NULL;
                                if (vtcon_path(vtcons[k], "name", &np) < 0 || vtcon_path(vtcons[k], "bind", &bp) < 0)
                                        return -ENOMEM;
                                bound = host_read(ctx, np, &n) >= 0 && host_read(ctx, bp, &b) >= 0 &&
                                        strstr(n, "frame buffer") && streq(b, "1");
                        }
                if (!bound) {
                        log_error("not back: no frame buffer console is bound (/sys/class/vtconsole/*/bind)");
                        ret = -EIO;
                } else
                        log_info("back: frame buffer console bound");
        }
        return ret;
}
