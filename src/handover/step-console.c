/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/host.h"
#include "host/vtcon.h"
#include "handover/step-types.h"

/* unbind-vtconsole: fbcon lets go of the GPU's framebuffer. */

static int vtconsole_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *vtcon = str_param(params, "vtcon");
        _cleanup_free_ char *bind = NULL, *v = NULL;
        _cleanup_json_ json_t *record = NULL;
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
        /* the plan found whether the console is drawn on the firmware's
         * framebuffer: the undo needs it once that is gone */
        r = record_intent(intent, &record, "{s:s, s:b, s:s*}", "vtcon", vtcon, "was_bound", 1, "firmware_fb",
                          str_param(params, "firmware_fb"));
        if (r < 0)
                return r;
        r = host_write(ctx, bind, "0", 0);
        if (r < 0)
                return log_error_errno(r, "unbind console %s (write 0 to %s): %s", vtcon, bind, STRERROR(r));
        *ret_record = TAKE_PTR(record);
        return 0;
}

static int vtconsole_undo(HostContext *ctx, const json_t *record) {
        const char *vtcon = str_param(record, "vtcon"), *fw = str_param(record, "firmware_fb");
        _cleanup_free_ char *bind = NULL, *v = NULL;
        int r;

        if (!json_is_true(json_object_get(record, "was_bound")))
                return 0;
        r = vtcon_path(vtcon, "bind", &bind);
        if (r < 0)
                return r;
        r = host_read(ctx, bind, &v);
        if (r == -ENOENT && fw) {
                log_warning("console %s does not come back: it was drawn on the firmware framebuffer %s, which the "
                            "kernel removed when a driver took the GPU's memory (vfio-pci does, for a VGA device), "
                            "and the GPU's driver brings no framebuffer of its own. The text consoles stay dark "
                            "until the next boot; the desktop is not affected. With NVIDIA's driver, `options "
                            "nvidia_drm modeset=1 fbdev=1` in /etc/modprobe.d gives them a framebuffer that comes "
                            "back", vtcon, fw);
                return 0;
        }
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

const HostStepType step_unbind_vtconsole = {
        .name = "unbind-vtconsole",
        .apply = vtconsole_apply,
        .undo = vtconsole_undo,
};

/* unbind-framebuffer: a firmware framebuffer (EFI, simple, simpledrm, VESA)
 * still sitting on the GPU's memory lets go of it. */

static int fb_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *dev = str_param(params, "device"), *drv = str_param(params, "driver");
        _cleanup_free_ char *unbind = NULL, *devpath = NULL, *bound = NULL;
        _cleanup_json_ json_t *record = NULL;
        int r;

        if (asprintf(&unbind, "/sys/bus/platform/drivers/%s/unbind", drv) < 0 ||
            asprintf(&devpath, "/sys/bus/platform/devices/%s/driver", dev) < 0)
                return -ENOMEM;
        r = host_link_name(ctx, devpath, &bound);
        if (r == -ENOENT) {
                log_info("%s is not bound to a driver (any more), nothing to unbind", dev);
                return record_new(ret_record, "{s:s, s:s, s:b}", "device", dev, "driver", drv, "was_bound", 0);
        }
        r = record_intent(intent, &record, "{s:s, s:s, s:b}", "device", dev, "driver", drv, "was_bound", 1);
        if (r < 0)
                return r;
        r = host_write(ctx, unbind, dev, 0);
        if (r < 0)
                return log_error_errno(r, "unbind framebuffer %s from %s: %s", dev, drv, STRERROR(r));
        *ret_record = TAKE_PTR(record);
        return 0;
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
                /* the kernel removes a firmware framebuffer for good when a
                 * driver claims its memory: a GPU driver with its own
                 * framebuffer, or vfio-pci taking a VGA device */
                log_info("%s no longer exists: the kernel removed it when a driver took the GPU's memory; it does "
                         "not come back before the next boot", dev);
                return 0;
        }
        if (host_link_name(ctx, devdrv, &bound) >= 0)
                return 0;
        r = host_write(ctx, bind, dev, 0);
        if (r < 0)
                return log_error_errno(r, "rebind framebuffer %s to %s: %s", dev, drv, STRERROR(r));
        return 0;
}

const HostStepType step_unbind_framebuffer = {
        .name = "unbind-framebuffer",
        .apply = fb_apply,
        .undo = fb_undo,
};
