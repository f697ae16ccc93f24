/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>

#include "host/host.h"
#include "basic/log.h"
#include "host/pci.h"
#include "basic/strv.h"

void pci_device_done(PciDevice *d) {
        free(d->address);
        free(d->driver);
        *d = (PciDevice) { .iommu_group = -1 };
}

static int read_attr(const HostContext *ctx, const char *address, const char *attr, unsigned *ret) {
        _cleanup_free_ char *path = NULL;
        unsigned long v;
        int r;

        if (asprintf(&path, "/sys/bus/pci/devices/%s/%s", address, attr) < 0)
                return -ENOMEM;
        r = host_read_hex(ctx, path, &v);
        if (r < 0)
                return r;
        *ret = (unsigned) v;
        return 0;
}

int pci_device_driver(const HostContext *ctx, const char *address, char **ret) {
        _cleanup_free_ char *link = NULL;

        if (asprintf(&link, "/sys/bus/pci/devices/%s/driver", address) < 0)
                return -ENOMEM;
        return host_link_name(ctx, link, ret);
}

int pci_device_read(const HostContext *ctx, const char *address, PciDevice *ret) {
        _cleanup_free_ char *dir = NULL, *link = NULL, *group = NULL;
        PciDevice d = { .iommu_group = -1 };
        unsigned boot_vga = 0;
        int r;

        if (asprintf(&dir, "/sys/bus/pci/devices/%s", address) < 0)
                return -ENOMEM;
        if (!host_exists(ctx, dir))
                return -ENOENT;

        d.address = strdup(address);
        if (!d.address)
                return -ENOMEM;
        r = read_attr(ctx, address, "class", &d.class);
        if (r >= 0)
                r = read_attr(ctx, address, "vendor", &d.vendor);
        if (r >= 0)
                r = read_attr(ctx, address, "device", &d.device);
        /* optional: a fake tree or an odd device may lack them */
        if (r >= 0) {
                (void) read_attr(ctx, address, "subsystem_vendor", &d.subsystem_vendor);
                (void) read_attr(ctx, address, "subsystem_device", &d.subsystem_device);
                if (read_attr(ctx, address, "boot_vga", &boot_vga) >= 0)
                        d.boot_vga = boot_vga != 0;
        }
        if (r >= 0 && asprintf(&link, "%s/driver", dir) < 0)
                r = -ENOMEM;
        if (r >= 0) {
                r = host_link_name(ctx, link, &d.driver);
                if (r == -ENOENT)
                        r = 0;
        }
        free(link);
        link = NULL;
        if (r >= 0 && asprintf(&link, "%s/iommu_group", dir) < 0)
                r = -ENOMEM;
        if (r >= 0) {
                r = host_link_name(ctx, link, &group);
                if (r >= 0)
                        d.iommu_group = atoi(group);
                else if (r == -ENOENT)
                        r = 0;
        }
        if (r < 0) {
                pci_device_done(&d);
                return r;
        }
        *ret = d;
        return 0;
}

int iommu_group_devices(const HostContext *ctx, int group, char ***ret) {
        _cleanup_free_ char *rel = NULL, *path = NULL;
        _cleanup_strv_ Strv devs = { 0 };
        struct dirent *de;
        DIR *d;
        int r;

        if (asprintf(&rel, "/sys/kernel/iommu_groups/%d/devices", group) < 0)
                return -ENOMEM;
        r = host_path(ctx, rel, &path);
        if (r < 0)
                return r;
        d = opendir(path);
        if (!d)
                return negative_errno();
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && strv_push(&devs, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        closedir(d);
        if (!devs.v && !(devs.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        strv_sort(devs.v);
        *ret = TAKE_PTR(devs.v);
        devs = (Strv) { 0 };
        return 0;
}
