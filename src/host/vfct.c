/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/parse.h"
#include "host/host.h"
#include "host/vfct.h"

/* Offsets in the table and in an image header. */
#define TABLE_LENGTH 0x04
#define TABLE_IMAGE_OFFSET 0x34
#define IMAGE_BUS 0x00
#define IMAGE_SLOT 0x04
#define IMAGE_FUNCTION 0x08
#define IMAGE_VENDOR 0x0C
#define IMAGE_DEVICE 0x0E
#define IMAGE_SUBSYSTEM_VENDOR 0x10
#define IMAGE_SUBSYSTEM_DEVICE 0x12
#define IMAGE_LENGTH 0x18

Vfct *vfct_free(Vfct *v) {
        if (!v)
                return NULL;
        free(v->images);
        free(v->data);
        free(v);
        return NULL;
}

static int add_image(Vfct *v, const VfctImage *im) {
        VfctImage *a = reallocarray(v->images, v->n_images + 1, sizeof(VfctImage));

        if (!a)
                return -ENOMEM;
        v->images = a;
        a[v->n_images++] = *im;
        return 0;
}

int vfct_parse(const void *data, size_t size, Vfct **ret) {
        _cleanup_vfct_ Vfct *v = NULL;
        const uint8_t *d = data;
        size_t length, offset;
        int r;

        if (size < VFCT_HEADER_SIZE || memcmp(d, "VFCT", 4) != 0)
                return log_debug_errno(-EBADMSG, "%zu bytes without a VFCT table's header", size);
        length = read_le32(d + TABLE_LENGTH);
        if (length < VFCT_HEADER_SIZE || length > size)
                return log_debug_errno(-EBADMSG, "VFCT table of %zu bytes says its length is %zu",
                                       size, length);

        v = calloc(1, sizeof(Vfct));
        if (!v)
                return -ENOMEM;
        v->data = malloc(length);
        if (!v->data)
                return -ENOMEM;
        memcpy(v->data, d, length);
        v->size = length;

        /* Each step is checked against what is left, never by adding to
         * an offset a u32 from the table. */
        for (offset = read_le32(d + TABLE_IMAGE_OFFSET); offset < length;) {
                const uint8_t *h = d + offset;
                VfctImage im;

                if (length - offset < VFCT_IMAGE_HEADER_SIZE ||
                    read_le32(h + IMAGE_LENGTH) > length - offset - VFCT_IMAGE_HEADER_SIZE) {
                        log_debug("VFCT image at 0x%zx runs past the table's end (%zu bytes)", offset, length);
                        v->truncated = true;
                        v->truncated_at = offset;
                        break;
                }
                im = (VfctImage) {
                        .header_offset = offset,
                        .offset = offset + VFCT_IMAGE_HEADER_SIZE,
                        .length = read_le32(h + IMAGE_LENGTH),
                        .bus = read_le32(h + IMAGE_BUS),
                        .slot = read_le32(h + IMAGE_SLOT),
                        .function = read_le32(h + IMAGE_FUNCTION),
                        .vendor = read_le16(h + IMAGE_VENDOR),
                        .device = read_le16(h + IMAGE_DEVICE),
                        .subsystem_vendor = read_le16(h + IMAGE_SUBSYSTEM_VENDOR),
                        .subsystem_device = read_le16(h + IMAGE_SUBSYSTEM_DEVICE),
                };
                r = add_image(v, &im);
                if (r < 0)
                        return r;
                offset = im.offset + im.length;
        }

        *ret = TAKE_PTR(v);
        return 0;
}

int vfct_find(const Vfct *v, const char *address, uint16_t vendor, uint16_t device, const VfctImage **ret) {
        unsigned domain, bus, slot, function;

        if (!pci_address_is_canonical(address) ||
            sscanf(address, "%4x:%2x:%2x.%1x", &domain, &bus, &slot, &function) != 4)
                return -EINVAL;
        /* as amdgpu: the first image for the device is the one; the walk
         * never got past a truncated one */
        for (size_t i = 0; i < v->n_images; i++) {
                const VfctImage *im = v->images + i;

                if (im->length > 0 && im->bus == bus && im->slot == slot && im->function == function &&
                    im->vendor == vendor && im->device == device) {
                        *ret = im;
                        return 0;
                }
        }
        return v->truncated ? -EBADMSG : -ENXIO;
}

int vfct_read(const HostContext *ctx, Vfct **ret) {
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        size_t size;
        int r;

        r = host_path(ctx, VFCT_PATH, &path);
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = read_full_fd(fd, VFCT_SIZE_MAX, &data, &size);
        if (r < 0)
                return r;
        return vfct_parse(data, size, ret);
}

int vfct_image_describe(const VfctImage *im, char **ret) {
        char *s;

        if (asprintf(&s, "%02x:%02x.%x %04x:%04x", im->bus, im->slot, im->function, im->vendor, im->device) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}
