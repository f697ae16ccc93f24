/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "host/host.h"
#include "host/pci.h"
#include "qemu/rom.h"
#include "qemu/rom-read.h"

void rom_read_done(RomRead *r) {
        free(r->data);
        *r = (RomRead) { 0 };
}

/* The vBIOS of a laptop GPU is usually not behind its ROM BAR at all: the
 * system firmware carries it and hands it to the driver through ACPI. */
#define LAPTOP_HINT                                                                                            \
        "This is common on laptops, where the GPU's vBIOS lives in the system firmware rather than behind the " \
        "GPU's ROM BAR. Get it from the laptop maker's BIOS update or driver package (extracted with a UEFI "   \
        "image tool), or under Windows with GPU-Z (\"Save to file\"), then `vmrun rom check FILE --device %s`"

int rom_read_error_message(int error, const char *address, char **ret) {
        char *s;
        int k;

        switch (error) {
        case -ENODEV:
                k = asprintf(&s, "there is no PCI device %s on this host (`lspci -D` lists them)", address);
                break;
        case -ENOENT:
                k = asprintf(&s, "PCI device %s has no expansion ROM (sysfs shows no 'rom' attribute for it). " LAPTOP_HINT,
                             address, address);
                break;
        case -EIO:
                k = asprintf(&s, "the kernel found no valid ROM behind the ROM BAR of %s (`dmesg` then says "
                             "\"Invalid PCI ROM header signature\"): the ROM BAR is empty. " LAPTOP_HINT,
                             address, address);
                break;
        case -ENODATA:
                k = asprintf(&s, "reading the ROM of %s returned nothing: the ROM BAR is empty. " LAPTOP_HINT, address,
                             address);
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

static int log_read_error(int error, const char *address) {
        _cleanup_free_ char *m = NULL;

        if (rom_read_error_message(error, address, &m) < 0)
                return log_oom();
        return log_error_errno(error, "%s", m);
}

int rom_read(const HostContext *ctx, const char *address, RomRead *ret) {
        _cleanup_(pci_device_done) PciDevice dev = { .iommu_group = -1 };
        _cleanup_free_ char *rom_path = NULL, *status_path = NULL, *status = NULL, *full = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        size_t size = 0;
        bool logged = false;
        int r, q;

        r = pci_device_read(ctx, address, &dev);
        if (r == -ENOENT)
                return log_read_error(-ENODEV, address);
        if (r < 0)
                return log_error_errno(r, "read PCI device %s from sysfs: %s", address, STRERROR(r));

        if (asprintf(&rom_path, "/sys/bus/pci/devices/%s/rom", address) < 0 ||
            asprintf(&status_path, "/sys/bus/pci/devices/%s/power/runtime_status", address) < 0)
                return log_oom();
        if (!host_exists(ctx, rom_path))
                return log_read_error(-ENOENT, address);
        /* checked before anything is written, so a refusal changes nothing */
        if (host_read(ctx, status_path, &status) >= 0 && streq(status, "suspended"))
                return log_read_error(-EAGAIN, address);

        r = host_write(ctx, rom_path, "1", 0);
        /* -EPERM: refused by the allow-list (and logged there) before anything
         * was written, so there is nothing to switch off */
        if (r == -EPERM)
                return r;
        if (r == -ETIMEDOUT)
                logged = true;
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

        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return logged ? r : log_read_error(r, address);

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
        log_info("%s: %zu bytes, the ROM of %s (%04x:%04x)", path, rr.size, address, rr.vendor, rr.device);
        if (ret) {
                *ret = rr;
                rr = (RomRead) { 0 };
        }
        return 0;
}
