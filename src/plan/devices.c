/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>

#include "basic/log.h"
#include "host/host.h"
#include "host/pci.h"
#include "host/tap.h"
#include "plan/plan-internal.h"

/* The host's devices the plan passes on: the GPU's functions, and the
 * input devices, USB devices and bridge the profile names, found in sysfs
 * and /dev under the host interface's root. */

/* The default companions: every other function of the GPU's slot, which
 * on a laptop is the HDMI/DP audio function at .1 (and on some cards USB-C
 * and UCSI controllers at .2/.3). They share the slot's reset and almost
 * always its IOMMU group, so they have to go along anyway. */
int plan_resolve_gpu_functions(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_free_ char *devices = NULL, *gpu = NULL;
        _cleanup_strv_ Strv found = { 0 };
        DIR *d;
        struct dirent *de;
        size_t slot_len = strlen(p->gpu_address) - 1; /* "0000:01:00." */
        int r;

        if (p->gpu_functions) {
                char **copy = calloc(strv_length(p->gpu_functions) + 1, sizeof(char *));
                if (!copy)
                        return -ENOMEM;
                for (size_t i = 0; p->gpu_functions[i]; i++)
                        if (!(copy[i] = strdup(p->gpu_functions[i]))) {
                                strv_free(copy);
                                return -ENOMEM;
                        }
                plan->gpu_functions = copy;
                return 0;
        }

        r = host_path(ctx, "/sys/bus/pci/devices", &devices);
        if (r < 0)
                return r;
        if (asprintf(&gpu, "%s/%s", devices, p->gpu_address) < 0)
                return -ENOMEM;
        if (access(gpu, F_OK) < 0) {
                r = strv_pushf(&plan->notes,
                               "GPU %s is not present on this host, so its companion functions cannot be listed: "
                               "only the GPU itself would be passed; set [gpu] functions = to name them",
                               p->gpu_address);
                if (r < 0)
                        return r;
                plan->gpu_functions = calloc(1, sizeof(char *));
                return plan->gpu_functions ? 0 : -ENOMEM;
        }

        d = opendir(devices);
        if (!d)
                return negative_errno();
        while ((de = readdir(d)))
                if (strncmp(de->d_name, p->gpu_address, slot_len) == 0 && strlen(de->d_name) == slot_len + 1 &&
                    !streq(de->d_name, p->gpu_address)) {
                        r = strv_push(&found, de->d_name);
                        if (r < 0) {
                                closedir(d);
                                return r;
                        }
                }
        closedir(d);

        if (!found.v && !(found.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        strv_sort(found.v);
        plan->gpu_functions = TAKE_PTR(found.v);
        found = (Strv) { 0 };
        return 0;
}

static bool is_event_node(const char *path) {
        const char *n = startswith(path, "/dev/input/event");
        return n && *n && n[strspn(n, "0123456789")] == '\0';
}

/* An [input] evdev name (udev's by-id or by-path link, or the node) to its
 * /dev/input/eventN, which is what QEMU's user has to be given. */
static int plan_evdev(const HostContext *ctx, Plan *plan, const char *path) {
        _cleanup_free_ char *node = NULL;
        int r;

        r = host_follow(ctx, path, &node);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                return strv_pushf(&plan->host_missing,
                                  "[input] evdev %s is not there: is the device plugged in? `ls -l /dev/input/by-id` "
                                  "lists the keyboards and mice by name", path);
        if (r < 0)
                return strv_pushf(&plan->host_missing, "[input] evdev %s: %s", path, STRERROR(r));
        if (!is_event_node(node))
                return strv_pushf(&plan->host_missing,
                                  "[input] evdev %s leads to %s, not an event device (/dev/input/eventN): use the name "
                                  "ending in -event-kbd or -event-mouse", path, node);
        r = strv_pushf(&plan->input_found, "%s -> %s", path, node);
        if (r >= 0 && !strv_contains(plan->input_nodes.v, node))
                r = strv_push(&plan->input_nodes, node);
        return r;
}

/* /sys/bus/usb/devices/DEV/ATTR as a number in `base` */
static int usb_attr(const HostContext *ctx, const char *dev, const char *attr, int base, unsigned long *ret) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "/sys/bus/usb/devices/%s/%s", dev, attr) < 0)
                return -ENOMEM;
        return host_read_unsigned(ctx, path, base, ret);
}

/* A USB disk or network adapter may be what the host runs on, or the
 * connection the user is on: as for PCI devices, [host] allow-classes must
 * name the class. The class is per interface (bInterfaceClass of each
 * NAME:CONFIG.INTERFACE), so a composite device is looked at whole. */
static int usb_class_check(const HostContext *ctx, Plan *plan, const UsbId *id, const char *name, char *const *all) {
        static const struct {
                unsigned long class;
                unsigned allow;
                const char *what;
        } protected[] = {
                { 0x08, HOST_ALLOW_STORAGE, "a USB disk (mass storage)" },
                { 0x02, HOST_ALLOW_NETWORK, "a USB network adapter (communications)" },
                { 0x0a, HOST_ALLOW_NETWORK, "a USB network adapter (CDC data)" },
                { 0xe0, HOST_ALLOW_NETWORK, "a wireless controller (Bluetooth or RNDIS)" },
        };
        size_t len = strlen(name);

        for (size_t i = 0; all[i]; i++) {
                _cleanup_free_ char *path = NULL;
                unsigned long class;

                if (strncmp(all[i], name, len) != 0 || all[i][len] != ':')
                        continue;
                if (asprintf(&path, "/sys/bus/usb/devices/%s/bInterfaceClass", all[i]) < 0)
                        return -ENOMEM;
                if (host_read_hex(ctx, path, &class) < 0)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(protected); k++)
                        if (class == protected[k].class && !(plan->profile->allow_classes & protected[k].allow))
                                return strv_pushf(&plan->host_missing,
                                                  "[usb] device %04x:%04x (%s) is %s, interface %s: the host may need it; "
                                                  "vmrun gives it to the guest only with [host] allow-classes = %s",
                                                  id->vendor, id->product, name, protected[k].what, all[i],
                                                  protected[k].allow == HOST_ALLOW_STORAGE ? "storage" : "network");
        }
        return 0;
}

/* Every USB device with the IDs: QEMU takes the first it finds, and the
 * node of each (usbfs: /dev/bus/usb/BBB/DDD) goes to QEMU's user. */
static int plan_usb(const HostContext *ctx, Plan *plan, const UsbId *id, char *const *usb) {
        size_t matches = 0;
        int r;

        for (size_t i = 0; usb[i]; i++) {
                _cleanup_free_ char *node = NULL;
                unsigned long vendor, product, bus, dev;

                /* devices, not their interfaces (1-2:1.0) */
                if (strchr(usb[i], ':'))
                        continue;
                if (usb_attr(ctx, usb[i], "idVendor", 16, &vendor) < 0 ||
                    usb_attr(ctx, usb[i], "idProduct", 16, &product) < 0 || vendor != id->vendor ||
                    product != id->product)
                        continue;
                matches++;
                r = usb_class_check(ctx, plan, id, usb[i], usb);
                if (r < 0)
                        return r;
                if (usb_attr(ctx, usb[i], "busnum", 10, &bus) < 0 || usb_attr(ctx, usb[i], "devnum", 10, &dev) < 0 ||
                    bus > 999 || dev > 999) {
                        r = strv_pushf(&plan->host_missing, "USB device %04x:%04x (%s): cannot read its bus and device "
                                       "numbers in /sys/bus/usb/devices/%s", id->vendor, id->product, usb[i], usb[i]);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (asprintf(&node, "/dev/bus/usb/%03lu/%03lu", bus, dev) < 0)
                        return -ENOMEM;
                if (!host_exists(ctx, node))
                        r = strv_pushf(&plan->host_missing, "USB device %04x:%04x (%s) has no node %s", id->vendor,
                                       id->product, usb[i], node);
                else {
                        r = strv_pushf(&plan->input_found, "%04x:%04x -> USB device %s, %s", id->vendor, id->product,
                                       usb[i], node);
                        if (r >= 0)
                                r = strv_push(&plan->input_nodes, node);
                }
                if (r < 0)
                        return r;
        }
        if (matches == 0)
                return strv_pushf(&plan->host_missing,
                                  "[usb] device %04x:%04x is not plugged in (no /sys/bus/usb/devices/*/idVendor, "
                                  "idProduct match it); `lsusb` lists what is", id->vendor, id->product);
        return 0;
}

/* The tap vmrun makes at start needs the bridge to be there already: it is
 * the host's network, not vmrun's to make. */
static int plan_bridge(const HostContext *ctx, Plan *plan) {
        const char *br = plan->profile->bridge;
        int r = tap_check_bridge(ctx, br);

        if (r == -ENODEV)
                return strv_pushf(&plan->host_missing,
                                  "[network] bridge %s is not there (`ip -br link`); make it first (NetworkManager: `nmcli "
                                  "connection add type bridge ifname %s`, or systemd-networkd), or use mode = user",
                                  br, br);
        if (r == -ENOTTY)
                return strv_pushf(&plan->host_missing,
                                  "[network] bridge %s is a network interface but not a bridge (no /sys/class/net/%s/bridge); "
                                  "name the bridge the host's network is on, or use mode = user",
                                  br, br);
        return r;
}

/* A device the profile names and this host lacks is a note for `plan` (it
 * may be made anywhere) and an error for `check` and `run`: QEMU would
 * fail on a missing event device after the handover, and a USB device
 * plugged in later would not be QEMU's user's to open. */
int plan_host_devices(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_strv_free_ char **usb = NULL;
        int r = 0;

        for (size_t i = 0; r >= 0 && p->input_evdev && p->input_evdev[i]; i++)
                r = plan_evdev(ctx, plan, p->input_evdev[i]);
        /* the bus once, for every [usb] id; in order, so that the first
         * match is the one QEMU would take */
        if (r >= 0 && p->n_usb_devices > 0) {
                r = host_list_dir(ctx, "/sys/bus/usb/devices", &usb);
                if (r >= 0)
                        strv_sort(usb);
                /* a host without a readable USB bus has none of them */
                else if (r != -ENOMEM)
                        r = 0;
        }
        for (size_t i = 0; r >= 0 && i < p->n_usb_devices; i++)
                r = plan_usb(ctx, plan, &p->usb_devices[i], usb ? usb : (char *const[]) { NULL });
        if (r >= 0 && p->network == NETWORK_BRIDGE)
                r = plan_bridge(ctx, plan);
        for (size_t i = 0; r >= 0 && i < plan->host_missing.n; i++)
                r = strv_push(&plan->notes, plan->host_missing.v[i]);
        return r;
}
