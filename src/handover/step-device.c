/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "basic/strv.h"
#include "host/holders.h"
#include "host/host.h"
#include "host/pci.h"
#include "handover/step-types.h"

/* unbind-device: a built-in driver, or one other devices still use, lets
 * go of one function. */

static int pci_driver_path(const char *driver, const char *attr, char **ret) {
        return asprintf(ret, "/sys/bus/pci/drivers/%s/%s", driver, attr) < 0 ? -ENOMEM : 0;
}

/* After an unbind that did not return: who still has a file open on the
 * device's nodes, the files the kernel waits for (ALSA's card removal waits
 * for each); by the numbers taken before the unbind removed the nodes. */
static void say_who_keeps(HostContext *ctx, const char *dev, const HeldNodes *nodes) {
        _cleanup_(holders_done) Holders h = { 0 };
        char buf[512];
        int r;

        r = holders_of_held_nodes(ctx->root, nodes, &h);
        if (r < 0) {
                log_warning("cannot tell who keeps %s's nodes open: %s", dev, STRERROR(r));
                return;
        }
        if (h.n == 0) {
                log_error("no process has a node of %s open any more: the driver's remove() itself is stuck", dev);
                return;
        }
        for (size_t i = 0; i < h.n; i++) {
                holder_describe(&h.holders[i], buf, sizeof buf);
                log_error("the unbind waits for this to close: %s; end it, and the unbind ends", buf);
        }
}

/* DEV from DRV, naming what it waits for if the kernel does not return */
static int unbind_from(HostContext *ctx, const char *dev, const char *drv) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_(held_nodes_done) HeldNodes nodes = { 0 };
        _cleanup_free_ char *unbind = NULL;
        int r;

        r = pci_driver_path(drv, "unbind", &unbind);
        if (r < 0)
                return r;
        /* a device numbers' snapshot: a few stat()s, no scan */
        if (device_nodes(ctx->root, dev, &names) < 0 || held_nodes_stat(ctx->root, names, &nodes) < 0)
                log_debug("the nodes of %s are not known: an unbind that hangs will not say who it waits for", dev);
        r = host_write(ctx, unbind, dev, 0);
        if (r == -ETIMEDOUT)
                say_who_keeps(ctx, dev, &nodes);
        if (r < 0)
                return log_error_errno(r, "unbind %s from %s: %s", dev, drv, STRERROR(r));
        return 0;
}

static int unbind_device_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *dev = str_param(params, "device");
        _cleanup_free_ char *drv = NULL;
        _cleanup_json_ json_t *record = NULL;
        int r;

        r = pci_device_driver(ctx, dev, &drv);
        if (r == -ENOENT) {
                log_info("%s is bound to no driver, nothing to unbind", dev);
                return record_new(ret_record, "{s:s, s:n}", "device", dev, "driver");
        }
        if (r < 0)
                return r;
        r = record_intent(intent, &record, "{s:s, s:s}", "device", dev, "driver", drv);
        if (r < 0)
                return r;
        r = unbind_from(ctx, dev, drv);
        if (r < 0)
                return r;
        *ret_record = TAKE_PTR(record);
        return 0;
}

static int unbind_device_undo(HostContext *ctx, const json_t *record) {
        const char *dev = str_param(record, "device"), *drv = str_param(record, "driver");
        _cleanup_free_ char *now = NULL, *bind = NULL;
        int r;

        if (!drv)
                return 0;
        if (pci_device_driver(ctx, dev, &now) >= 0 && streq(now, drv))
                return 0;
        r = pci_driver_path(drv, "bind", &bind);
        if (r < 0)
                return r;
        r = host_write(ctx, bind, dev, 0);
        if (r < 0)
                return log_error_errno(r, "bind %s to %s again: %s", dev, drv, STRERROR(r));
        return 0;
}

const HostStepType step_unbind_device = {
        .name = "unbind-device",
        .apply = unbind_device_apply,
        .undo = unbind_device_undo,
};

/* bind-vfio: driver_override + drivers_probe, per function. */

static int override_path(const char *dev, char **ret) {
        return asprintf(ret, "/sys/bus/pci/devices/%s/driver_override", dev) < 0 ? -ENOMEM : 0;
}

/* At once, not only by the undo: no later probe of the device may find
 * vfio-pci as its override. */
static void put_override_back(const HostContext *ctx, const char *ovr, const char *old) {
        int r = host_write(ctx, ovr, old ? old : "\n", 0);
        if (r < 0)
                log_error_errno(r, "put %s back to %s: %s; the undo tries again", ovr, old ? old : "(none)", STRERROR(r));
}

static int bind_vfio_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *dev = str_param(params, "device");
        _cleanup_free_ char *ovr = NULL, *old = NULL, *drv = NULL, *now = NULL;
        _cleanup_json_ json_t *record = NULL;
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

        if (pci_device_driver(ctx, dev, &drv) >= 0 && streq(drv, "vfio-pci")) {
                log_info("%s is already bound to vfio-pci", dev);
                return record_new(ret_record, "{s:s, s:b}", "device", dev, "changed", 0);
        }
        /* from here the device may end up anywhere between its driver and
         * vfio-pci: the undo looks and puts back what this says */
        r = record_intent(intent, &record, "{s:s, s:b, s:s*, s:s*}", "device", dev, "changed", 1, "driver_was", drv,
                          "override_was", old);
        if (r < 0)
                return r;
        if (drv) {
                /* the plan unloads or unbinds the driver before this
                 * step; one still bound here came back on its own */
                r = unbind_from(ctx, dev, drv);
                if (r < 0)
                        return r;
        }

        /* driver_override binds this one device, not every device of the
         * same model as new_id would */
        r = host_write(ctx, ovr, "vfio-pci", 0);
        if (r < 0)
                return log_error_errno(r, "set %s to vfio-pci: %s", ovr, STRERROR(r));
        r = host_write(ctx, "/sys/bus/pci/drivers_probe", dev, 0);
        if (r < 0) {
                put_override_back(ctx, ovr, old);
                return log_error_errno(r, "probe %s with vfio-pci: %s; see `dmesg`", dev, STRERROR(r));
        }
        r = pci_device_driver(ctx, dev, &now);
        if (r < 0 || !streq(now, "vfio-pci")) {
                put_override_back(ctx, ovr, old);
                return log_error_errno(-EIO, "%s did not bind to vfio-pci (bound to: %s); see `dmesg`", dev,
                                       r < 0 ? "nothing" : now);
        }
        *ret_record = TAKE_PTR(record);
        return 0;
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
        if (pci_device_driver(ctx, dev, &now) >= 0 && streq(now, "vfio-pci")) {
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

const HostStepType step_bind_vfio = {
        .name = "bind-vfio",
        .apply = bind_vfio_apply,
        .undo = bind_vfio_undo,
};

/* check-vfio-group: /dev/vfio/GROUP is there. */

static int vfio_group_apply(HostContext *ctx, const json_t *params, _unused_ StepIntent *intent, json_t **ret_record) {
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

static int vfio_group_undo(_unused_ HostContext *ctx, _unused_ const json_t *record) {
        return 0;
}

const HostStepType step_check_vfio_group = {
        .name = "check-vfio-group",
        .apply = vfio_group_apply,
        .undo = vfio_group_undo,
};
