/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What sysfs says about a PCI device, read through the host interface. */

#include "host/host.h"
#include "basic/util.h"

typedef struct PciDevice {
        char *address;          /* 0000:01:00.0 */
        unsigned class;         /* 0x030000 */
        unsigned vendor, device;
        unsigned subsystem_vendor, subsystem_device;
        char *driver;           /* bound driver, NULL if none */
        int iommu_group;        /* -1 without an IOMMU */
        bool boot_vga;
} PciDevice;

void pci_device_done(PciDevice *d);
/* -ENOENT when there is no such device. */
int pci_device_read(const HostContext *ctx, const char *address, PciDevice *ret);

/* The driver bound to PCI device `address`; -ENOENT when none is. */
int pci_device_driver(const HostContext *ctx, const char *address, char **ret);

/* Endpoints and bridges of an IOMMU group, sorted. */
int iommu_group_devices(const HostContext *ctx, int group, char ***ret);

/* Display controller (0x03), bridge (0x06) ... */
static inline unsigned pci_class_base(unsigned class) {
        return (class >> 16) & 0xff;
}
#define PCI_BASE_BRIDGE 0x06
#define PCI_BASE_DISPLAY 0x03
#define PCI_BASE_MULTIMEDIA 0x04
