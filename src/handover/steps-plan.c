/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>

/* Planning: which steps this host needs to give the profile's GPU away,
 * read from the host without changing it. */

#include "basic/parse.h"
#include "basic/log.h"
#include "host/host.h"
#include "host/modules.h"
#include "host/pci.h"
#include "host/units.h"
#include "host/vtcon.h"
#include "handover/holders-plan.h"
#include "handover/step-types.h"
#include "handover/steps.h"

static const char *const vfio_modules[] = { "vfio", "vfio_pci", "vfio_iommu_type1", NULL };

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

/* The display manager's unit, NULL for none. */
static const char *display_manager(const Profile *p) {
        if (streq(p->display_manager, "none"))
                return NULL;
        return streq(p->display_manager, "auto") ? "display-manager.service" : p->display_manager;
}

static int plan_units(const Profile *p, HostSteps *steps, json_t *expect_units) {
        const char *dm = display_manager(p);
        int r;

        if (dm) {
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

/* From the display manager's start to its compositor on the card:
 * autologin, a session, a compositor that starts and takes the card. */
#define DESKTOP_TIMEOUT_SEC 120

static int push_unique(json_t *array, json_t *item) {
        size_t i;
        json_t *x;

        json_array_foreach(array, i, x)
                if (json_equal(x, item)) {
                        json_decref(item);
                        return 0;
                }
        return json_array_append_new(array, item) < 0 ? -ENOMEM : 0;
}

/* The steps of `from` appended to `to`, in order. */
static int steps_append(HostSteps *to, const HostSteps *from) {
        for (size_t i = 0; i < from->n; i++) {
                char *summary = strdup(from->steps[i].summary);
                int r;

                if (!summary)
                        return -ENOMEM;
                r = host_steps_add(to, from->steps[i].type, json_incref(from->steps[i].params), summary);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct HolderSteps {
        json_t *sessions;       /* end-session parameters, one per session */
        json_t *user_units;     /* stop-user-unit parameters, one per unit */
        json_t *graphical;      /* stop-graphical-session parameters, one per user */
        json_t *known_units;    /* names of the known holders' system units */
        bool wait;              /* someone has to let go: wait-released */
        bool desktop;           /* a compositor held the card: the restore waits for one again */
        const char *desktop_unit; /* a system unit's process held it (lightdm's root Xorg) */
} HolderSteps;

static void holder_steps_done(HolderSteps *hs) {
        json_decref(hs->sessions);
        json_decref(hs->user_units);
        json_decref(hs->graphical);
        json_decref(hs->known_units);
}

/* A user unit's stop-user-unit parameters, once per unit, with every
 * node it holds: the undo waits for them before it starts the unit. */
static int add_user_unit(const Profile *p, const Holder *h, const HolderVerdict *v, json_t *user_units) {
        json_t *x = NULL, *y;
        size_t i;

        json_array_foreach(user_units, i, y)
                if (streq(str_param(y, "unit"), v->unit) &&
                    json_integer_value(json_object_get(y, "uid")) == (json_int_t) h->manager_uid)
                        x = y;
        if (!x) {
                x = json_pack("{s:s, s:s, s:I, s:i, s:[]}", "unit", v->unit, "user", v->user, "uid",
                              (json_int_t) h->manager_uid, "timeout", p->timeout_release, "nodes");
                if (!x || json_array_append_new(user_units, x) < 0)
                        return -ENOMEM;
        }
        return h->node ? push_unique(json_object_get(x, "nodes"), json_string(h->node)) : 0;
}

/* A line for the plan, and what the holder's class asks of the steps. */
static int plan_holder(const Profile *p, const Holder *h, const HolderVerdict *v, const char *seat, Strv *lines,
                       HolderSteps *hs) {
        char who[512];
        int r = 0;

        holder_describe(h, who, sizeof who);
        if (strv_pushf(lines, "%s: %s: %s", who, holder_class_to_string(v->class), v->action) < 0)
                return -ENOMEM;
        hs->wait = hs->wait || (v->class != HOLDER_SELF && v->class != HOLDER_REFUSED &&
                                v->class != HOLDER_CLOSES_ON_REMOVAL);
        hs->desktop = hs->desktop || ((v->class == HOLDER_SESSION || v->class == HOLDER_GRAPHICAL_SESSION ||
                                       v->class == HOLDER_UNIT) &&
                                      startswith(h->node, "/dev/dri/card"));
        if (v->class == HOLDER_UNIT && startswith(h->node, "/dev/dri/card"))
                hs->desktop_unit = h->unit;
        if (v->session && (v->class == HOLDER_SESSION || v->class == HOLDER_SESSION_DEVICE ||
                           v->class == HOLDER_GRAPHICAL_SESSION))
                r = push_unique(hs->sessions, json_pack("{s:s, s:s, s:s, s:i}", "session", v->session, "user",
                                                        v->user, "seat", seat, "timeout", p->timeout_release));
        if (r < 0)
                return r;
        if (v->class == HOLDER_GRAPHICAL_SESSION)
                r = push_unique(hs->graphical, json_pack("{s:s, s:I, s:i}", "user", v->user, "uid",
                                                         (json_int_t) h->manager_uid, "timeout", p->timeout_release));
        else if (v->class == HOLDER_KNOWN_UNIT)
                r = push_unique(hs->known_units, json_string(h->unit));
        else if (v->class == HOLDER_USER_UNIT)
                r = add_user_unit(p, h, v, hs->user_units);
        return r;
}

/* Who holds the GPU's nodes and what the handover does about each: a line
 * per holder for the plan, and the steps that make them let go, around
 * the units the plan stops (`units`): first the user units (their
 * managers end with the sessions; undone last, once the display manager
 * brought the desktop back), then the known holders' units
 * (nvidia-persistenced), then the units, then the sessions, then the
 * graphical sessions in their users' managers, then the wait for all of
 * them. Holders that fit no class are listed here and
 * refused by the precheck. */
static int plan_holders(HostContext *ctx, const Profile *p, char *const *devices, const HostSteps *units,
                        HostSteps *steps, Strv *lines, json_t *expect) {
        _cleanup_(classified_holders_done) ClassifiedHolders c = { 0 };
        _cleanup_(holder_steps_done) HolderSteps hs = { .sessions = json_array(), .user_units = json_array(),
                                                         .graphical = json_array(), .known_units = json_array() };
        _cleanup_json_ json_t *devs = json_array();
        const char *seat;
        size_t i;
        json_t *x;
        int r;

        if (!hs.sessions || !hs.user_units || !hs.graphical || !hs.known_units || !devs)
                return -ENOMEM;
        r = holders_classify_all(ctx, p, units, devices, &c);
        if (r < 0)
                return r;
        seat = c.seat;
        for (i = 0; i < c.holders.n; i++) {
                r = plan_holder(p, &c.holders.holders[i], &c.verdicts[i], seat, lines, &hs);
                if (r < 0)
                        return r;
        }

        json_array_foreach(hs.user_units, i, x) {
                r = add_step(steps, &step_stop_user_unit, json_incref(x), "stop %s of %s (their service manager)",
                             str_param(x, "unit"), str_param(x, "user"));
                if (r < 0)
                        return r;
        }
        json_array_foreach(hs.known_units, i, x) {
                r = add_step(steps, &step_stop_unit, json_pack("{s:O}", "unit", x), "stop %s (a known holder of the "
                             "GPU's nodes)", json_string_value(x));
                if (r < 0)
                        return r;
                if (json_array_append(json_object_get(expect, "units"), x) < 0)
                        return -ENOMEM;
        }
        r = steps_append(steps, units);
        if (r < 0)
                return r;
        json_array_foreach(hs.sessions, i, x) {
                r = add_step(steps, &step_end_session, json_incref(x), "end session %s of %s on %s (logind)",
                             str_param(x, "session"), str_param(x, "user"), seat);
                if (r < 0)
                        return r;
        }
        /* after the sessions: GNOME's leader stops its own units when
         * logind ends it, and this step finds little left to do */
        json_array_foreach(hs.graphical, i, x) {
                r = add_step(steps, &step_stop_graphical_session, json_incref(x),
                             "stop the graphical session of %s (graphical-session.target of their service manager)",
                             str_param(x, "user"));
                if (r < 0)
                        return r;
        }
        if (hs.desktop &&
            json_object_set_new(expect, "desktop",
                                json_pack("{s:s, s:i, s:s*, s:o}", "seat", seat, "timeout", DESKTOP_TIMEOUT_SEC, "unit",
                                          hs.desktop_unit, "display_manager",
                                          display_manager(p) ? json_string(display_manager(p)) : json_null())) < 0)
                return -ENOMEM;
        if (!hs.wait) {
                log_info("no process holds the GPU's nodes%s", c.holders.n > 0 ? " that vmrun would make let go" : "");
                return 0;
        }
        for (size_t k = 0; devices[k]; k++)
                if (json_array_append_new(devs, json_string(devices[k])) < 0)
                        return -ENOMEM;
        return add_step(steps, &step_wait_released,
                        json_pack("{s:O, s:i}", "devices", devs, "timeout", p->timeout_release),
                        "wait until no process holds the GPU's nodes (up to %us)", p->timeout_release);
}

static const char *const firmware_framebuffer_globs[] = {
        "efi-framebuffer.*",
        "simple-framebuffer.*",
        "simpledrm.*",
        "vesa-framebuffer.*",
        NULL,
};

static bool is_firmware_framebuffer(const char *platform_device) {
        for (size_t g = 0; firmware_framebuffer_globs[g]; g++)
                if (fnmatch(firmware_framebuffer_globs[g], platform_device, 0) == 0)
                        return true;
        return false;
}

/* Is every framebuffer (/sys/class/graphics/fb*) the firmware's (an
 * efi-framebuffer, simple-framebuffer, simpledrm or vesa-framebuffer
 * platform device)? Then the consoles are drawn on it, and it does not
 * come back once a driver has taken the GPU's memory. 1 with that device
 * in *ret_device, 0 if not (or no framebuffer at all). */
static int console_on_firmware_framebuffer(HostContext *ctx, char **ret_device) {
        _cleanup_strv_free_ char **fbs = NULL;
        _cleanup_free_ char *first = NULL;
        int r;

        r = host_list_dir(ctx, "/sys/class/graphics", &fbs);
        if (r < 0)
                return r;
        for (size_t i = 0; fbs[i]; i++) {
                _cleanup_free_ char *link = NULL, *dev = NULL;

                /* fb0, fb1...; not fbcon, the console's own class device */
                if (!startswith(fbs[i], "fb") || !isdigit((unsigned char) fbs[i][2]))
                        continue;
                if (asprintf(&link, "/sys/class/graphics/%s/device", fbs[i]) < 0)
                        return -ENOMEM;
                /* a DRM driver's fbdev hangs off its PCI device */
                if (host_link_name(ctx, link, &dev) < 0 || !is_firmware_framebuffer(dev)) {
                        log_debug("%s is not a firmware framebuffer (%s)", fbs[i], dev ? dev : "no device link");
                        return 0;
                }
                if (!first)
                        first = TAKE_PTR(dev);
        }
        if (!first)
                return 0;
        *ret_device = TAKE_PTR(first);
        return 1;
}

/* Is the GPU the one the firmware drew on? Only then are the firmware
 * framebuffers in its memory, and vfio-pci removes them with it. */
static bool gpu_is_boot_vga(HostContext *ctx, const char *gpu) {
        _cleanup_free_ char *path = NULL, *v = NULL;

        if (asprintf(&path, "/sys/bus/pci/devices/%s/boot_vga", gpu) < 0)
                return false;
        return host_read(ctx, path, &v) >= 0 && streq(v, "1");
}

static int plan_consoles(HostContext *ctx, const char *gpu, HostSteps *steps, bool *ret_fbcon) {
        _cleanup_strv_free_ char **vtcons = NULL;
        _cleanup_free_ char *fw = NULL;
        bool any = false;
        int r;

        /* first: each unbind step carries it, for its undo */
        r = gpu_is_boot_vga(ctx, gpu) ? console_on_firmware_framebuffer(ctx, &fw) : 0;
        if (r < 0)
                return r;
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
                r = add_step(steps, &step_unbind_vtconsole,
                             json_pack("{s:s, s:s*}", "vtcon", vtcons[i], "firmware_fb", fw),
                             "unbind console %s: %s", vtcons[i], name);
                if (r < 0)
                        return r;
                any = true;
        }
        if (!any)
                log_info("no frame buffer console is bound: no console to unbind");
        else if (fw)
                log_info("the consoles are drawn on the firmware framebuffer %s: the kernel removes it when vfio-pci "
                         "takes the GPU, and unless the GPU's driver brings a framebuffer of its own (nvidia_drm "
                         "fbdev=1), the text consoles stay dark after the guest, until the next boot", fw);
        /* the verification expects the console back only when it can be */
        *ret_fbcon = any && !fw;
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

                if (!is_firmware_framebuffer(devs[i]))
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
                /* device links are named by address; skip bind, new_id... */
                if (!pci_address_is_canonical(entries[i]))
                        continue;
                if (!strv_contains(ours, entries[i]))
                        *ret = true;
        }
        return 0;
}

/* The first module after `order[k]` that `order[k]` holds: what it is
 * unloaded for (nvidia_drm holds nvidia_modeset, which holds nvidia). */
static const char *held_by(Modules *m, char *const *order, size_t k) {
        for (size_t j = k + 1; order[j]; j++) {
                _cleanup_(module_usage_done) ModuleUsage u = { 0 };

                if (module_usage(m, order[j], &u) >= 0 && strv_contains(u.holders, order[k]))
                        return order[j];
        }
        return NULL;
}

static int plan_drivers(HostContext *ctx, char *const *devices, HostSteps *steps, json_t *expect_drivers) {
        _cleanup_strv_ Strv unloaded = { 0 };
        int r;

        for (size_t i = 0; devices[i]; i++) {
                _cleanup_(pci_device_done) PciDevice d = { .iommu_group = -1 };
                _cleanup_free_ char *module = NULL;
                _cleanup_strv_free_ char **order = NULL;
                bool others = false, sound;
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
                /* An open ALSA node pins the sound driver's module, and its
                 * audio server lets go only when the card goes: an unbind
                 * takes the card away, an unload would be refused "in use".
                 * The module stays, as small as it is. */
                sound = pci_class_base(d.class) == PCI_BASE_MULTIMEDIA;
                if (!module || others || sound) {
                        r = add_step(steps, &step_unbind_device, json_pack("{s:s}", "device", devices[i]),
                                     "unbind %s from %s (%s)", devices[i], d.driver,
                                     !module ? "built into the kernel"
                                     : others ? "its module also drives other devices"
                                              : "a sound card: its open nodes would keep the module loaded");
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
                        else {
                                const char *holds = held_by(m, order, k);
                                r = add_step(steps, &step_unload_module, json_pack("{s:s}", "module", order[k]),
                                             "unload module %s (holds %s)", order[k], holds ? holds : module);
                        }
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
                    Strv *holders, json_t **ret_expect) {
        _cleanup_json_ json_t *expect = NULL;
        _cleanup_strv_ Strv devices = { 0 };
        _cleanup_(pci_device_done) PciDevice gpu = { .iommu_group = -1 };
        _cleanup_(host_steps_done) HostSteps units = { 0 };
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

        r = plan_units(p, &units, json_object_get(expect, "units"));
        if (r >= 0)
                r = plan_holders(ctx, p, devices.v, &units, steps, holders, expect);
        if (r >= 0)
                r = plan_consoles(ctx, p->gpu_address, steps, &fbcon);
        if (r >= 0)
                r = plan_framebuffers(ctx, steps);
        if (r >= 0)
                r = plan_backlight(ctx, p, steps);
        if (r >= 0)
                r = plan_drivers(ctx, devices.v, steps, json_object_get(expect, "drivers"));
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

int host_steps_add_grant(HostSteps *steps, const char *path, uid_t uid, gid_t gid, const char *user) {
        return add_step(steps, &step_grant,
                        json_pack("{s:s, s:I, s:I}", "path", path, "uid", (json_int_t) uid, "gid", (json_int_t) gid),
                        "give %s to %s (QEMU's user)", path, user);
}
