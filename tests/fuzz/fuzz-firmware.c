/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Firmware descriptors are files in /usr/share/qemu/firmware and
 * /etc/qemu/firmware that other packages install: a bad one must be
 * skipped with a note, never crash the search. */
#include <sys/mman.h>
#include <unistd.h>

#include "qemu/firmware.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char path[64];
        Firmware *f = NULL;
        size_t off = 0;
        int fd;

        fuzz_quiet();
        fd = memfd_create("descriptor.json", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        while (off < size) {
                ssize_t n = write(fd, data + off, size - off);
                if (n <= 0)
                        break;
                off += (size_t) n;
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        (void) firmware_load(path, &f);
        firmware_free(f);
        close(fd);
        return 0;
}
