/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The vBIOS copies the system firmware keeps in the ACPI VFCT table
 * (/sys/firmware/acpi/tables/VFCT): on AMD laptops and APUs the GPU's ROM
 * BAR is often empty, and amdgpu and radeon take the vBIOS from there.
 *
 * The table, all little-endian: the 36-byte ACPI header ("VFCT", its
 * length at 4); a UUID (16 bytes, at 0x24); the offset of the first image
 * from the table's start (u32 at 0x34), Lib1ImageOffset (0x38) and four
 * reserved u32s, 76 bytes in all. From that offset, images one after the
 * other, each a 28-byte header (PCI bus, device, function: u32 each;
 * vendor, device, subsystem vendor, subsystem device: u16 each; revision,
 * image length: u32 each) and then the image. Read here as amdgpu reads
 * it (amdgpu_acpi_vfct_bios()). */

#include "host/host.h"
#include "basic/util.h"

#define VFCT_PATH "/sys/firmware/acpi/tables/VFCT"
#define VFCT_HEADER_SIZE 76
#define VFCT_IMAGE_HEADER_SIZE 28
/* An ACPI table's length is a u32, but no firmware carries more than a
 * few vBIOSes of a few hundred KiB in one. */
#define VFCT_SIZE_MAX (64u * 1024 * 1024)

typedef struct VfctImage {
        size_t header_offset;   /* of its image header, from the table's start */
        size_t offset;          /* of the image itself */
        size_t length;
        /* The table's words, as wide as they are there: a bus beyond 255
         * matches no device. */
        uint32_t bus, slot, function;
        uint16_t vendor, device;
        uint16_t subsystem_vendor, subsystem_device;
} VfctImage;

typedef struct Vfct {
        uint8_t *data;          /* the table, as long as its length says */
        size_t size;
        VfctImage *images;      /* in the table's order, up to a truncated one */
        size_t n_images;
        /* An image header or image ran past the table's end, at this
         * offset: the walk stopped there, as amdgpu's does. */
        bool truncated;
        size_t truncated_at;
} Vfct;

Vfct *vfct_free(Vfct *v);
static inline void vfct_freep(Vfct **v) {
        vfct_free(*v);
}
#define _cleanup_vfct_ _cleanup_(vfct_freep)

/* Walk a copy of the table in `data`. -EBADMSG when it is no VFCT table:
 * another signature, shorter than its fixed part, or a length field
 * beyond `size` (bytes after that length are not the table's). Logs at
 * debug level only. */
int vfct_parse(const void *data, size_t size, Vfct **ret);

/* The image for the PCI function at `address` (0000:03:00.0) with these
 * IDs, as amdgpu matches it: bus, device and function (the table has no
 * PCI domain), vendor and device ID, and a length above 0. -ENXIO when no
 * image is for it; -EBADMSG when none is and the walk stopped at a
 * truncated image (amdgpu refuses the table then); -EINVAL for an address
 * that is not canonical. */
int vfct_find(const Vfct *v, const char *address, uint16_t vendor, uint16_t device, const VfctImage **ret);

/* ROOT/sys/firmware/acpi/tables/VFCT, walked. -ENOENT when the firmware
 * has none; -EACCES without root (the file is 0400); -ELOOP for a
 * symlink; -EFBIG beyond VFCT_SIZE_MAX; vfct_parse()'s errors. */
int vfct_read(const HostContext *ctx, Vfct **ret);

/* "03:00.0 1002:1638", the way the table names an image's device. */
int vfct_image_describe(const VfctImage *im, char **ret);
