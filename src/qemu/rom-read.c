/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "host/host.h"
#include "host/pci.h"
#include "host/vfct.h"
#include "qemu/rom.h"
#include "qemu/rom-read.h"

void rom_read_done(RomRead *r) {
        free(r->data);
        *r = (RomRead) { 0 };
}

const char *rom_source_to_string(RomSource source) {
        switch (source) {
        case ROM_SOURCE_ROM_BAR:
                return "the PCI ROM BAR (sysfs rom)";
        case ROM_SOURCE_VFCT:
                return "the ACPI VFCT table (" VFCT_PATH ")";
        default:
                return NULL;
        }
}

/* The vBIOS of a laptop GPU is usually not behind its ROM BAR at all: the
 * system firmware carries it and hands it to the driver through ACPI. */
#define LAPTOP_HINT                                                                                            \
        "This is common on laptops, where the GPU's vBIOS lives in the system firmware rather than behind the " \
        "GPU's ROM BAR. Get it from the laptop maker's BIOS update or driver package (extracted with a UEFI "   \
        "image tool), or under Windows with GPU-Z (\"Save to file\"), then `vmrun rom check FILE --device %s`"

int rom_read_error_message(int error, const char *address, const char *vfct, char **ret) {
        _cleanup_free_ char *also = NULL;
        char *s;
        int k;

        /* said between an empty ROM BAR and the hint: where else vmrun looked */
        if (vfct && asprintf(&also, "%s. ", vfct) < 0)
                return -ENOMEM;

        switch (error) {
        case -ENODEV:
                k = asprintf(&s, "there is no PCI device %s on this host (`lspci -D` lists them)", address);
                break;
        case -ENOENT:
                k = asprintf(&s, "PCI device %s has no expansion ROM (sysfs shows no 'rom' attribute for it). %s"
                             LAPTOP_HINT, address, strempty(also), address);
                break;
        case -EIO:
                k = asprintf(&s, "the kernel found no valid ROM behind the ROM BAR of %s (`dmesg` then says "
                             "\"Invalid PCI ROM header signature\"): the ROM BAR is empty. %s" LAPTOP_HINT,
                             address, strempty(also), address);
                break;
        case -ENODATA:
                k = asprintf(&s, "reading the ROM of %s returned nothing: the ROM BAR is empty. %s" LAPTOP_HINT,
                             address, strempty(also), address);
                break;
        case -EAGAIN:
                k = asprintf(&s, "%s is runtime-suspended (power/runtime_status is 'suspended'): a sleeping device "
                             "answers ROM reads with nothing or garbage. Keep it awake for the read: "
                             "`echo on > /sys/bus/pci/devices/%s/power/control`, run this again, then put back "
                             "`echo auto > /sys/bus/pci/devices/%s/power/control`",
                             address, address, address);
                break;
        case -EACCES:
        case -EPERM:
                k = asprintf(&s, "reading a device's ROM needs root: run it with sudo");
                break;
        case -EFBIG:
                k = asprintf(&s, "the ROM of %s is larger than %u MiB, more than any vBIOS: this is not a ROM", address,
                             ROM_SIZE_MAX / (1024 * 1024));
                break;
        default:
                k = asprintf(&s, "reading the ROM of %s failed: %s", address, STRERROR(error));
                break;
        }
        if (k < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* The images the table has, for a message: "03:00.0 1002:1681, 01:00.0 1002:73ef". */
static int vfct_images_list(const Vfct *v, char **ret) {
        _cleanup_free_ char *list = NULL;

        for (size_t i = 0; i < v->n_images; i++) {
                _cleanup_free_ char *one = NULL;
                char *l;

                if (vfct_image_describe(v->images + i, &one) < 0 ||
                    asprintf(&l, "%s%s%s", strempty(list), list ? ", " : "", one) < 0)
                        return -ENOMEM;
                free(list);
                list = l;
        }
        *ret = TAKE_PTR(list);
        return 0;
}

/* Why the ACPI VFCT table had no vBIOS for the device: a sentence for the
 * ROM BAR's error message. `v` is the table when it was read. */
static int vfct_error_message(int error, const Vfct *v, uint16_t vendor, uint16_t device, char **ret) {
        _cleanup_free_ char *list = NULL;
        char *s;
        int k;

        switch (error) {
        case -ENOENT:
                k = asprintf(&s, "Nor is there an ACPI VFCT table (" VFCT_PATH "), where the system firmware of AMD "
                             "laptops and APUs keeps the GPU's vBIOS");
                break;
        case -EBADMSG:
                if (v && v->truncated) {
                        k = asprintf(&s, "The ACPI VFCT table (" VFCT_PATH ") has no image for %04x:%04x before one "
                                     "that runs past the table's end (%zu bytes; its image header is at 0x%zx): the "
                                     "table is truncated, and amdgpu refuses it too",
                                     vendor, device, v->size, v->truncated_at);
                        break;
                }
                k = asprintf(&s, VFCT_PATH " is no VFCT table as AMD lays it out (its signature, or its length "
                             "against the file's): the system firmware's ACPI table is broken");
                break;
        case -ENXIO:
                assert(v);
                if (vfct_images_list(v, &list) < 0)
                        return -ENOMEM;
                if (list)
                        k = asprintf(&s, "The ACPI VFCT table (" VFCT_PATH ") has no image for this device "
                                     "(%04x:%04x), only for %s (bus:device.function vendor:device)",
                                     vendor, device, list);
                else
                        k = asprintf(&s, "The ACPI VFCT table (" VFCT_PATH ") holds no image at all");
                break;
        case -EACCES:
        case -EPERM:
                k = asprintf(&s, "The ACPI VFCT table (" VFCT_PATH ") is readable by root only: run it with sudo");
                break;
        case -ELOOP:
                k = asprintf(&s, VFCT_PATH " is a symlink, which vmrun does not follow");
                break;
        case -EFBIG:
                k = asprintf(&s, "The ACPI VFCT table (" VFCT_PATH ") is larger than %u MiB, or its image for this "
                             "device larger than %u MiB: no firmware's is",
                             VFCT_SIZE_MAX / (1024 * 1024), ROM_SIZE_MAX / (1024 * 1024));
                break;
        default:
                k = asprintf(&s, "Reading the ACPI VFCT table (" VFCT_PATH ") failed: %s", STRERROR(error));
                break;
        }
        if (k < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int log_read_error(int error, const char *address, const char *vfct) {
        _cleanup_free_ char *m = NULL;

        if (rom_read_error_message(error, address, vfct, &m) < 0)
                return log_oom();
        return log_error_errno(error, "%s", m);
}

/* What sysfs says when the BAR holds no ROM: no attribute, the kernel's
 * "Invalid PCI ROM header signature", or nothing read. */
static bool rom_bar_empty(int error) {
        return error == -ENOENT || error == -EIO || error == -ENODATA;
}

/* ROOT/sys/bus/pci/devices/ADDRESS/rom: "1", the read, "0". Logs only
 * host_write()'s refusal (-EPERM) and timeout (-ETIMEDOUT). */
static int read_rom_bar(const HostContext *ctx, const char *address, uint8_t **ret, size_t *ret_size) {
        _cleanup_free_ char *rom_path = NULL, *status_path = NULL, *status = NULL, *full = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        size_t size = 0;
        int r, q;

        if (asprintf(&rom_path, "/sys/bus/pci/devices/%s/rom", address) < 0 ||
            asprintf(&status_path, "/sys/bus/pci/devices/%s/power/runtime_status", address) < 0)
                return -ENOMEM;
        if (!host_exists(ctx, rom_path))
                return -ENOENT;
        /* checked before anything is written, so a refusal changes nothing */
        if (host_read(ctx, status_path, &status) >= 0 && streq(status, "suspended"))
                return -EAGAIN;

        r = host_write(ctx, rom_path, "1", 0);
        /* -EPERM: refused by the allow-list before anything was written, so
         * there is nothing to switch off */
        if (r == -EPERM)
                return r;
        if (r >= 0)
                r = host_path(ctx, rom_path, &full);
        if (r >= 0) {
                _cleanup_close_ int fd = open(full, O_RDONLY | O_CLOEXEC);
                r = fd < 0 ? negative_errno() : read_full_fd(fd, ROM_SIZE_MAX, &data, &size);
        }
        if (r >= 0 && size == 0)
                r = -ENODATA;

        /* also after a failed "1", whose timed-out writer may still get
         * through: the attribute is left as the kernel keeps it, so that no
         * later reader maps the ROM by accident */
        q = host_write(ctx, rom_path, "0", 0);
        if (q < 0 && r >= 0)
                log_warning_errno(q, "could not switch the ROM of %s off again (write 0 to %s): %s; it stays "
                                  "readable by root until the next boot, which does no harm",
                                  address, rom_path, STRERROR(q));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(data);
        *ret_size = size;
        return 0;
}

/* The device's image in the table, copied. */
static int rom_from_vfct(const Vfct *v, const char *address, const PciDevice *dev, RomRead *ret) {
        const VfctImage *im = NULL;
        uint8_t *data;
        int r;

        r = vfct_find(v, address, (uint16_t) dev->vendor, (uint16_t) dev->device, &im);
        if (r < 0)
                return r;
        if (im->length > ROM_SIZE_MAX)
                return -EFBIG;
        data = malloc(im->length);
        if (!data)
                return -ENOMEM;
        memcpy(data, v->data + im->offset, im->length);
        log_debug("%s: the ACPI VFCT table's image at 0x%zx, %zu bytes", address, im->offset, im->length);
        *ret = (RomRead) {
                .data = data,
                .size = im->length,
                .vendor = (uint16_t) dev->vendor,
                .device = (uint16_t) dev->device,
                .source = ROM_SOURCE_VFCT,
        };
        return 0;
}

int rom_read(const HostContext *ctx, const char *address, RomRead *ret) {
        _cleanup_(pci_device_done) PciDevice dev = { .iommu_group = -1 };
        _cleanup_vfct_ Vfct *vfct = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ char *why = NULL;
        size_t size = 0;
        int r, q;

        r = pci_device_read(ctx, address, &dev);
        if (r == -ENOENT)
                return log_read_error(-ENODEV, address, NULL);
        if (r < 0)
                return log_error_errno(r, "read PCI device %s from sysfs: %s", address, STRERROR(r));

        r = read_rom_bar(ctx, address, &data, &size);
        if (r == -ENOMEM)
                return log_oom();
        /* host_write() said why */
        if (r == -EPERM || r == -ETIMEDOUT)
                return r;
        if (r < 0 && !rom_bar_empty(r))
                return log_read_error(r, address, NULL);
        if (r < 0) {
                /* where amdgpu finds the vBIOS of AMD laptops and APUs */
                log_debug_errno(r, "%s: its ROM BAR holds no ROM (%s); looking in the ACPI VFCT table", address,
                                STRERROR(r));
                q = vfct_read(ctx, &vfct);
                if (q >= 0)
                        q = rom_from_vfct(vfct, address, &dev, ret);
                if (q == -ENOMEM)
                        return log_oom();
                if (q >= 0)
                        return 0;
                if (vfct_error_message(q, vfct, (uint16_t) dev.vendor, (uint16_t) dev.device, &why) < 0)
                        return log_oom();
                return log_read_error(r, address, why);
        }

        if (dev.boot_vga)
                log_warning("%s is the boot VGA device (boot_vga = 1): the kernel returns the copy of its legacy image "
                            "that the system firmware left in memory (the shadow at 0xC0000), not the ROM itself. It "
                            "may lack the UEFI image OVMF needs; the check runs on what was read. On a laptop whose "
                            "only GPU this is, get the full vBIOS as docs/rom.md says",
                            address);

        *ret = (RomRead) {
                .data = TAKE_PTR(data),
                .size = size,
                .vendor = (uint16_t) dev.vendor,
                .device = (uint16_t) dev.device,
                .source = ROM_SOURCE_ROM_BAR,
                .boot_vga = dev.boot_vga,
        };
        return 0;
}

static int write_file(const char *path, const uint8_t *data, size_t size) {
        _cleanup_close_ int fd = -1;

        /* a new file, never through a link: root writes it, often in
         * /tmp, where anyone may have put a link to /etc/shadow first */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return negative_errno();
        while (size > 0) {
                ssize_t n = write(fd, data, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                data += n;
                size -= (size_t) n;
        }
        /* a full disk may only say so on close */
        if (close(TAKE_FD(fd)) < 0)
                return negative_errno();
        return 0;
}

int rom_dump(const HostContext *ctx, const char *address, const char *path, RomRead *ret) {
        _cleanup_(rom_read_done) RomRead rr = { 0 };
        int r;

        r = rom_read(ctx, address, &rr);
        if (r < 0)
                return r;
        r = write_file(path, rr.data, rr.size);
        if (r == -EEXIST || r == -ELOOP)
                return log_error_errno(r, "write the ROM of %s to %s: it exists%s; vmrun writes a new file only: "
                                       "name another, or remove that one", address, path,
                                       r == -ELOOP ? " (a symlink, not followed)" : "");
        if (r < 0)
                return log_error_errno(r, "write the ROM of %s to %s: %s", address, path, STRERROR(r));
        log_info("%s: %zu bytes, the ROM of %s (%04x:%04x), from %s", path, rr.size, address, rr.vendor, rr.device,
                 rom_source_to_string(rr.source));
        if (ret) {
                *ret = rr;
                rr = (RomRead) { 0 };
        }
        return 0;
}
