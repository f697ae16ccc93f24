/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "qemu/pci-tree.h"

/* A bridge behind a bridge behind a bridge is as deep as a guest's tree
 * goes; deeper is a loop in what QEMU said. */
#define PCI_TREE_MAX_DEPTH 16

static int print_devices(const json_t *devices, const json_t *hosts, const char *indent, unsigned depth, FILE *f);

static int print_device(const json_t *d, const json_t *hosts, const char *indent, bool last, unsigned depth,
                        FILE *f) {
        json_int_t bus, slot, fn, vendor, device, class, secondary;
        const char *desc = NULL, *id = NULL, *host;
        json_t *bridge = NULL;
        char child[256];

        if (json_unpack((json_t *) d, "{s:I, s:I, s:I, s:{s:I, s:I}, s:{s?s, s:I}, s?s, s?o}", "bus", &bus, "slot",
                        &slot, "function", &fn, "id", "vendor", &vendor, "device", &device, "class_info", "desc",
                        &desc, "class", &class, "qdev_id", &id, "pci_bridge", &bridge) < 0)
                return log_debug_errno(-EBADMSG, "query-pci: a device without bus, slot, function, id or class");
        fprintf(f, "%s%s %02x:%02x.%x  %04x:%04x  %s", indent, last ? "└─" : "├─", (unsigned) bus, (unsigned) slot,
                (unsigned) fn, (unsigned) vendor, (unsigned) device, desc ? desc : "class");
        if (!desc)
                fprintf(f, " %04x", (unsigned) class);
        if (id && *id)
                fprintf(f, "  [%s]", id);
        host = id && hosts ? json_string_value(json_object_get(hosts, id)) : NULL;
        if (host)
                fprintf(f, "  ← host %s (vfio-pci)", host);
        if (!bridge) {
                fputc('\n', f);
                return 0;
        }
        if (json_unpack(bridge, "{s:{s:I}}", "bus", "secondary", &secondary) < 0)
                return log_debug_errno(-EBADMSG, "query-pci: a bridge without its secondary bus");
        if (secondary == 0) {
                /* QEMU lists a bridge's devices by the bus number the
                 * guest gave it: none before the firmware ran */
                fputs("  → no bus number yet (the guest's firmware gives it one)\n", f);
                return 0;
        }
        fprintf(f, "  → bus %02x\n", (unsigned) secondary);
        snprintf(child, sizeof child, "%s%s", indent, last ? "   " : "│  ");
        return print_devices(json_object_get(bridge, "devices"), hosts, child, depth + 1, f);
}

static int print_devices(const json_t *devices, const json_t *hosts, const char *indent, unsigned depth, FILE *f) {
        size_t n = json_array_size(devices);

        if (depth > PCI_TREE_MAX_DEPTH)
                return log_debug_errno(-EBADMSG, "query-pci: bridges nested deeper than %d", PCI_TREE_MAX_DEPTH);
        if (devices && !json_is_array(devices))
                return log_debug_errno(-EBADMSG, "query-pci: \"devices\" is not an array");
        for (size_t i = 0; i < n; i++) {
                int r = print_device(json_array_get(devices, i), hosts, indent, i + 1 == n, depth, f);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pci_tree_print(const json_t *buses, const json_t *hosts, FILE *f) {
        size_t i;
        json_t *b;

        assert(f);

        if (!json_is_array(buses))
                return log_debug_errno(-EBADMSG, "query-pci: the reply is not an array of buses");
        json_array_foreach(buses, i, b) {
                json_int_t bus;
                int r;

                if (json_unpack(b, "{s:I}", "bus", &bus) < 0)
                        return log_debug_errno(-EBADMSG, "query-pci: a bus without its number");
                fprintf(f, "bus %02x\n", (unsigned) bus);
                r = print_devices(json_object_get(b, "devices"), hosts, "", 0, f);
                if (r < 0)
                        return r;
        }
        return 0;
}
