/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* ACPI VFCT tables built byte by byte to the layout AMD publishes (the
 * UEFI_ACPI_VFCT and VFCT_IMAGE_HEADER structures amdgpu reads), so that
 * each test says exactly what the system firmware handed over. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "basic/util.h"

typedef struct VfctSpec {
        uint32_t bus, slot, function;
        uint16_t vendor, device;
        size_t length;          /* bytes of the image in the table */
        /* what its header claims instead of `length`, when not 0: an image
         * that runs past the table's end */
        uint32_t claimed_length;
} VfctSpec;

/* A Radeon 680M, the GPU of a Ryzen 6000 laptop, where it usually is. */
#define RADEON_680M .bus = 0x03, .slot = 0x00, .function = 0, .vendor = 0x1002, .device = 0x1681

#define VFCT_TABLE_IMAGES 0x4C  /* where the first image header starts */

static inline void vfct_put16(uint8_t *p, uint16_t v) {
        p[0] = v & 0xff;
        p[1] = v >> 8;
}

static inline void vfct_put32(uint8_t *p, uint32_t v) {
        vfct_put16(p, v & 0xffff);
        vfct_put16(p + 2, v >> 16);
}

/* Byte `k` of image `i`: a ROM's signature, then bytes that tell the
 * images apart. */
static inline uint8_t vfct_image_byte(size_t i, size_t k) {
        if (k < 2)
                return k == 0 ? 0x55 : 0xAA;
        return (uint8_t) (0x10 * (i + 1) + k * 3);
}

/* A table with the `n` images of `specs`, in that order; *ret_size is its
 * length, as its header says. */
static inline uint8_t *vfct_table(const VfctSpec *specs, size_t n, size_t *ret_size) {
        size_t size = VFCT_TABLE_IMAGES, offset;
        uint8_t *t, sum = 0;

        for (size_t i = 0; i < n; i++)
                size += 28 + specs[i].length;
        t = calloc(1, size);
        assert_non_null(t);
        memcpy(t, "VFCT", 4);
        vfct_put32(t + 0x04, (uint32_t) size);
        t[0x08] = 1;                            /* revision */
        memcpy(t + 0x0A, "ALASKA", 6);          /* OEM ID */
        memcpy(t + 0x10, "A M I   ", 8);        /* OEM table ID */
        vfct_put32(t + 0x34, VFCT_TABLE_IMAGES);
        offset = VFCT_TABLE_IMAGES;
        for (size_t i = 0; i < n; i++) {
                const VfctSpec *s = specs + i;
                uint8_t *h = t + offset;

                vfct_put32(h + 0x00, s->bus);
                vfct_put32(h + 0x04, s->slot);
                vfct_put32(h + 0x08, s->function);
                vfct_put16(h + 0x0C, s->vendor);
                vfct_put16(h + 0x0E, s->device);
                vfct_put16(h + 0x10, 0x17aa);   /* subsystem: Lenovo */
                vfct_put16(h + 0x12, 0x3c33);
                vfct_put32(h + 0x18, s->claimed_length ? s->claimed_length : (uint32_t) s->length);
                for (size_t k = 0; k < s->length; k++)
                        h[28 + k] = vfct_image_byte(i, k);
                offset += 28 + s->length;
        }
        /* ACPI's checksum: all bytes add up to 0 */
        for (size_t k = 0; k < size; k++)
                sum += t[k];
        t[0x09] = (uint8_t) -sum;
        *ret_size = size;
        return t;
}

/* Whether `data` is image `i` of `length` bytes as vfct_table() wrote it. */
static inline bool vfct_image_is(const uint8_t *data, size_t i, size_t length) {
        for (size_t k = 0; k < length; k++)
                if (data[k] != vfct_image_byte(i, k))
                        return false;
        return true;
}
