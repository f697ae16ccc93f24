/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include <unistd.h>

#include "host/holders.h"
#include "host/logind.h"
#include "handover/holders-plan.h"
#include "host/host.h"
#include "host/modules.h"
#include "host/pci.h"
#include "host/units.h"
#include "handover/step-types.h"
#include "handover/steps.h"

/* Before the first step: everything that must hold, checked without
 * changing anything, so that a refusal costs no black screen. */

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

/* The module behind one of NVIDIA's nodes: what a holder of it keeps
 * loaded. Longest prefix first. */
static const struct {
        const char *prefix;
        const char *module;
} nvidia_node_modules[] = {
        { "/dev/nvidia-uvm", "nvidia_uvm" },
        { "/dev/nvidia-modeset", "nvidia_modeset" },
        { "/dev/nvidia", "nvidia" },
};

static const char *node_module(const char *node) {
        for (size_t i = 0; i < ELEMENTSOF(nvidia_node_modules); i++)
                if (startswith(node, nvidia_node_modules[i].prefix))
                        return nvidia_node_modules[i].module;
        return NULL;
}

/* After a refused holder: the modules the plan unloads that it keeps
 * loaded, with their refcounts (the numbers `lsmod` shows). Those behind
 * the refused nodes when they are NVIDIA's, else every one in use. */
static void log_modules_held(HostContext *ctx, const HostSteps *steps, char *const *held) {
        Modules *m;

        if (host_modules(ctx, &m) < 0)
                return;
        for (size_t i = 0; i < steps->n; i++) {
                _cleanup_(module_usage_done) ModuleUsage u = { 0 };
                _cleanup_free_ char *list = NULL;
                const char *name;
                int from_files;

                if (steps->steps[i].type != &step_unload_module)
                        continue;
                name = str_param(steps->steps[i].params, "module");
                if ((held && !strv_contains(held, name)) || module_usage(m, name, &u) < 0)
                        continue;
                from_files = u.refcnt - (int) strv_length(u.holders);
                if (from_files <= 0)
                        continue;
                list = strv_join(u.holders, ", ");
                log_error("module %s is in use: refcount %d, holders: %s; %d from open files or other references%s",
                          name, u.refcnt, !list ? "unknown" : *list ? list : "none", from_files,
                          held ? ", the refused holders' among them" : " (those the plan's steps close go with "
                                                                      "them, the refused holders' stay)");
        }
}

/* Every holder the plan has no answer for, named with why. */
static int check_holders(HostContext *ctx, const Profile *p, char *const *devices, const HostSteps *steps) {
        _cleanup_(classified_holders_done) ClassifiedHolders c = { 0 };
        _cleanup_strv_ Strv held = { 0 };
        bool all = false;
        int r, ret = 0;

        r = holders_classify_all(ctx, p, steps, devices, &c);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c.holders.n; i++) {
                const char *module = node_module(c.holders.holders[i].node);
                char who[512];

                if (c.verdicts[i].class != HOLDER_REFUSED)
                        continue;
                holder_describe(&c.holders.holders[i], who, sizeof who);
                RET_GATHER(ret, log_error_errno(-EBUSY, "%s: %s", who, c.verdicts[i].action));
                /* a node that is not NVIDIA's (/dev/dri, /dev/snd): which
                 * module it keeps is not known, so every one is listed */
                all = all || !module;
                if (module && !strv_contains(held.v, module) && strv_push(&held, module) < 0)
                        return log_oom();
        }
        if (ret < 0)
                log_modules_held(ctx, steps, all ? NULL : held.v);
        return ret;
}

/* Would the handover end what vmrun runs in? A shell in a session it
 * ends (the desktop's terminal, startx's tty) or in the manager of a user
 * whose graphical session it stops (GNOME's terminal runs there) dies
 * with it, and the user loses the timeline and the prompt half-way. */
static bool step_ends(const HostSteps *steps, const HostStepType *type, const char *key, const json_t *value) {
        for (size_t i = 0; i < steps->n; i++)
                if (steps->steps[i].type == type && json_equal(json_object_get(steps->steps[i].params, key), value))
                        return true;
        return false;
}

static int check_not_inside(HostContext *ctx, const HostSteps *steps) {
        pid_t pid = getpid();

        for (unsigned depth = 0; pid > 1 && depth < 64; depth++) {
                _cleanup_free_ char *unit = NULL, *user_unit = NULL, *comm = NULL, *comm_path = NULL;
                _cleanup_json_ json_t *session = NULL, *uid = NULL;
                char idbuf[64];
                const char *id;
                uid_t manager_uid;
                pid_t parent;

                if (process_units(ctx->root, pid, &unit, &manager_uid, &user_unit) < 0)
                        break;
                if (asprintf(&comm_path, "/proc/%d/comm", (int) pid) >= 0)
                        (void) host_read(ctx, comm_path, &comm);
                id = manager_uid == UID_INVALID ? login_session_of_scope(unit, idbuf, sizeof idbuf) : NULL;
                session = id ? json_string(id) : NULL;
                uid = manager_uid != UID_INVALID ? json_integer(manager_uid) : NULL;
                if (session && step_ends(steps, &step_end_session, "session", session))
                        return log_error_errno(-EBUSY, "vmrun runs in session %s (PID %d, %s, is in it), which the "
                                               "handover ends, and vmrun's terminal with it: run it from ssh, or as "
                                               "`systemctl start vmrun@NAME`", id, (int) pid, strempty(comm));
                if (uid && step_ends(steps, &step_stop_graphical_session, "uid", uid))
                        return log_error_errno(-EBUSY, "vmrun runs in the service manager of uid %u (PID %d, %s, is "
                                               "in its %s), whose graphical session the handover ends, and vmrun's "
                                               "terminal with it: run it from ssh, or as `systemctl start "
                                               "vmrun@NAME`", (unsigned) manager_uid, (int) pid, strempty(comm),
                                               user_unit ? user_unit : "manager");
                if (process_parent(ctx->root, pid, &parent) < 0)
                        break;
                pid = parent;
        }
        return 0;
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
        RET_GATHER(ret, check_holders(ctx, p, devices.v, steps));
        RET_GATHER(ret, check_not_inside(ctx, steps));
        return ret;
}
