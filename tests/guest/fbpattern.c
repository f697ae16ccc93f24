/* The test guest's known picture: eight vertical bars across the lower half
 * of a frame buffer, in the colours tests/lab/frames checks for (white,
 * yellow, cyan, green, magenta, red, blue, dark grey). The upper half is
 * left to the console, so the picture shows both.
 *
 *   fbpattern [DEVICE]      default /dev/fb0
 *
 * Built static into the test guest's initramfs (tests/guest/build-guest). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static const uint8_t bars[8][3] = {
        { 0xff, 0xff, 0xff }, { 0xff, 0xff, 0x00 }, { 0x00, 0xff, 0xff }, { 0x00, 0xff, 0x00 },
        { 0xff, 0x00, 0xff }, { 0xff, 0x00, 0x00 }, { 0x00, 0x00, 0xff }, { 0x20, 0x20, 0x20 },
};

static uint32_t pixel_of(const struct fb_var_screeninfo *v, const uint8_t rgb[3]) {
        /* each channel is 8 bits wide in the 32-bit modes this draws on */
        return (uint32_t) rgb[0] << v->red.offset | (uint32_t) rgb[1] << v->green.offset |
               (uint32_t) rgb[2] << v->blue.offset;
}

int main(int argc, char **argv) {
        const char *dev = argc > 1 ? argv[1] : "/dev/fb0";
        struct fb_var_screeninfo v;
        struct fb_fix_screeninfo f;
        int fd = open(dev, O_RDWR | O_CLOEXEC);

        if (fd < 0 || ioctl(fd, FBIOGET_VSCREENINFO, &v) < 0 || ioctl(fd, FBIOGET_FSCREENINFO, &f) < 0) {
                fprintf(stderr, "fbpattern: %s: %s\n", dev, strerror(errno));
                return 1;
        }
        if (v.bits_per_pixel != 32 || v.red.length != 8 || v.green.length != 8 || v.blue.length != 8) {
                fprintf(stderr, "fbpattern: %s is %u bits per pixel; only 32-bit RGB is drawn\n", dev,
                        v.bits_per_pixel);
                return 1;
        }
        if ((size_t) (v.yoffset + v.yres) * f.line_length > f.smem_len) {
                fprintf(stderr, "fbpattern: %s: %u lines of %u bytes do not fit its %u bytes\n", dev,
                        v.yoffset + v.yres, f.line_length, f.smem_len);
                return 1;
        }
        uint8_t *fb = mmap(NULL, f.smem_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (fb == MAP_FAILED) {
                fprintf(stderr, "fbpattern: mmap %s: %s\n", dev, strerror(errno));
                return 1;
        }
        for (uint32_t y = v.yres / 2; y < v.yres; y++) {
                uint32_t *row = (uint32_t *) (fb + (size_t) (y + v.yoffset) * f.line_length) + v.xoffset;
                for (uint32_t x = 0; x < v.xres; x++)
                        row[x] = pixel_of(&v, bars[x * 8 / v.xres]);
        }
        munmap(fb, f.smem_len);
        printf("fbpattern: eight bars on %s (%.16s, %ux%u)\n", dev, f.id, v.xres, v.yres);
        return 0;
}
