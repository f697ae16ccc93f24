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
 * ends (the desktop's terminal, startx's tty), in a graphical session on
 * the GPU's seat (it ends with its display manager, or its X server), or
 * in the service manager of a user whose desktop is there (GNOME's
 * terminal runs its shells in it) dies with it, and the user loses the
 * timeline and the prompt half-way. */
static bool step_ends(const HostSteps *steps, const HostStepType *type, const char *key, json_t *value) {
        bool found = false;

        for (size_t i = 0; value && i < steps->n && !found; i++)
                found = steps->steps[i].type == type && json_equal(json_object_get(steps->steps[i].params, key), value);
        json_decref(value);
        return found;
}

static bool graphical_on_seat(const LoginSession *s, const char *seat) {
        return streq_ptr(s->seat, seat) &&
               (streq_ptr(s->type, "wayland") || streq_ptr(s->type, "x11") || streq_ptr(s->type, "mir"));
}

/* Does the session this process is in end with the handover? */
static bool session_ends(HostContext *ctx, const HostSteps *steps, const char *seat, const char *id) {
        _cleanup_(login_session_done) LoginSession s = { 0 };

        if (step_ends(steps, &step_end_session, "session", json_string(id)))
                return true;
        return login_session_read(ctx, id, &s) >= 0 && graphical_on_seat(&s, seat);
}

/* Does the desktop of the user whose manager this process is in end? */
static bool user_desktop_ends(HostContext *ctx, const HostSteps *steps, const char *seat, uid_t uid) {
        _cleanup_strv_free_ char **ids = NULL;

        if (step_ends(steps, &step_stop_graphical_session, "uid", json_integer(uid)))
                return true;
        if (login_sessions_on_seat(ctx, seat, &ids) < 0)
                return false;
        for (size_t i = 0; ids[i]; i++) {
                _cleanup_(login_session_done) LoginSession s = { 0 };

                if (login_session_read(ctx, ids[i], &s) >= 0 && s.uid == uid && graphical_on_seat(&s, seat))
                        return true;
        }
        return false;
}

static int refuse_inside(const Profile *p, pid_t pid, const char *comm, const char *what) {
        return log_error_errno(-EDEADLK, "vmrun runs in %s: PID %d (%s) is in it, and vmrun would go with it "
                               "half-way through the handover. Run it from ssh, or as a unit of its own: `systemctl start vmrun@%s` (with the profile in "
                               "/etc/vmrun/%s.profile) or `systemd-run --unit=vmrun-%s --collect --same-dir vmrun run "
                               "%s`", what, (int) pid, strempty(comm), p->name, p->name, p->name, p->path);
}

static int check_not_inside(HostContext *ctx, const Profile *p, const char *seat, const HostSteps *steps) {
        pid_t pid = getpid();

        for (unsigned depth = 0; pid > 1 && depth < 64; depth++) {
                _cleanup_free_ char *unit = NULL, *user_unit = NULL, *comm = NULL, *comm_path = NULL, *what = NULL;
                char idbuf[64];
                const char *id;
                uid_t manager_uid;
                pid_t parent;

                if (process_units(ctx->root, pid, &unit, &manager_uid, &user_unit) < 0)
                        break;
                if (asprintf(&comm_path, "/proc/%d/comm", (int) pid) >= 0)
                        (void) host_read(ctx, comm_path, &comm);
                id = manager_uid == UID_INVALID ? login_session_of_scope(unit, idbuf, sizeof idbuf) : NULL;
                if (id && session_ends(ctx, steps, seat, id)) {
                        if (asprintf(&what, "session %s, which the handover ends", id) < 0)
                                return log_oom();
                        return refuse_inside(p, pid, comm, what);
                }
                if (manager_uid != UID_INVALID && user_desktop_ends(ctx, steps, seat, manager_uid)) {
                        if (asprintf(&what, "%s of the service manager of uid %u, whose desktop on %s the handover "
                                     "ends", user_unit ? user_unit : "a unit", (unsigned) manager_uid, seat) < 0)
                                return log_oom();
                        return refuse_inside(p, pid, comm, what);
                }
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
        _cleanup_free_ char *seat = NULL;
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
        r = device_seat(ctx, p->gpu_address, &seat);
        if (r < 0)
                return log_error_errno(r, "the seat of %s: %s", p->gpu_address, STRERROR(r));
        RET_GATHER(ret, check_not_inside(ctx, p, seat, steps));
        return ret;
}
