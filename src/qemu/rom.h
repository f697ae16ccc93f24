/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The GPU's vBIOS: walking its image chain the way the guest's firmware
 * will, to say before a start whether OVMF finds something to run on the
 * GPU (and so whether the panel lights up before the guest's driver
 * loads). Reading it out of the host: rom-read.h.
 *
 * An option ROM is a chain of images, each starting at a multiple of 512
 * bytes with 0x55 0xAA; the 16-bit word at 0x18 points to its PCI Data
 * Structure ("PCIR": vendor, device, code type, length in 512-byte units,
 * the last-image bit). Firmware follows the lengths until the image marked
 * last. Layouts: PCI Firmware Specification 3.0 and UEFI 2.10 §14.4.2. */

#include "host/host.h"
#include "basic/util.h"

/* PCIR code types */
#define ROM_CODE_X86 0x00
#define ROM_CODE_OPEN_FIRMWARE 0x01
#define ROM_CODE_HPPA 0x02
#define ROM_CODE_EFI 0x03
#define ROM_CODE_NVIDIA 0x70

/* An EFI image's subsystem and machine type (PE/COFF values) */
#define ROM_EFI_APPLICATION 0x0A
#define ROM_EFI_BOOT_SERVICE_DRIVER 0x0B
#define ROM_EFI_RUNTIME_DRIVER 0x0C
#define ROM_EFI_IA32 0x014C
#define ROM_EFI_X64 0x8664
#define ROM_EFI_EBC 0x0EBC
#define ROM_EFI_AARCH64 0xAA64

/* More than any real vBIOS (NVIDIA's are under 2 MiB); a bigger file or
 * ROM BAR is not a ROM. */
#define ROM_SIZE_MAX (16u * 1024 * 1024)

typedef struct RomImage {
        size_t offset;          /* from the start of the file */
        size_t length;          /* bytes, as its PCIR says */
        uint8_t code_type;      /* ROM_CODE_* */
        uint16_t vendor, device;
        size_t n_more_devices;  /* further device IDs in its PCIR 3.0 device list */
        bool last;              /* has the last-image bit */
        /* after the image marked last: firmware never sees it (NVIDIA keeps
         * images for its driver there) */
        bool after_last;
        bool truncated;         /* its length runs past the end of the file */
        bool wrong_device;      /* not for the expected device (only with one) */
        /* ROM_CODE_EFI only */
        bool efi_signature;     /* 0x0EF1 at offset 4; without it firmware ignores the image */
        uint16_t efi_subsystem; /* ROM_EFI_*_DRIVER ... */
        uint16_t efi_machine;   /* ROM_EFI_X64 ... */
        bool efi_compressed;
} RomImage;

typedef enum RomProblem {
        /* unusable: */
        ROM_NO_IMAGE,           /* no 0x55AA image with a PCIR at the start */
        ROM_NVGI_HEADER,        /* an NVIDIA header precedes the chain: firmware finds nothing at 0 */
        ROM_TRUNCATED,          /* an image runs past the end of the file */
        ROM_WRONG_DEVICE,       /* an image is for another vendor/device */
        /* usable, but: */
        ROM_NO_X64_EFI,         /* OVMF shows nothing before the guest's driver loads */
        ROM_NO_LAST_IMAGE,      /* the chain ends without an image marked last */
        ROM_BROKEN_CHAIN,       /* a 0x55AA after the first image without a valid PCIR */
        _ROM_PROBLEM_MAX,
} RomProblem;

typedef struct RomWarning {
        RomProblem problem;
        bool fatal;             /* the file cannot serve as the GPU's romfile */
        char *message;          /* what it means and what to do; no file name */
} RomWarning;

typedef struct Rom {
        size_t size;            /* of the whole file */
        size_t header_size;     /* bytes before the chain (an NVGI header); 0 normally */
        RomImage *images;
        size_t n_images;
        RomWarning *warnings;
        size_t n_warnings;
} Rom;

/* The device the ROM should be for. */
typedef struct RomExpect {
        bool set;
        uint16_t vendor, device;
} RomExpect;

Rom *rom_free(Rom *rom);
static inline void rom_freep(Rom **rom) {
        rom_free(*rom);
}
#define _cleanup_rom_ _cleanup_(rom_freep)

/* Walk the image chain in `data`. Whatever the bytes are, the answer is a
 * Rom (with ROM_NO_IMAGE when nothing is there); only -ENOMEM fails.
 * `expect` may be NULL. Logs nothing. */
int rom_parse(const void *data, size_t size, const RomExpect *expect, Rom **ret);

/* The same for a file (-EFBIG beyond ROM_SIZE_MAX). Logs nothing. */
int rom_parse_file(const char *path, const RomExpect *expect, Rom **ret);

bool rom_has_problem(const Rom *rom, RomProblem problem);
/* No fatal warning: QEMU can give it to the guest as the GPU's ROM. */
bool rom_usable(const Rom *rom);

/* Static names ("x86 legacy", "EFI", "NVIDIA-specific"; "x64"; "boot
 * service driver"), NULL for values without one. */
const char *rom_code_type_to_string(uint8_t code_type);
const char *rom_efi_machine_to_string(uint16_t machine);
const char *rom_efi_subsystem_to_string(uint16_t subsystem);
/* One line for an image: "EFI x64 boot service driver, 10de:28e0". */
int rom_image_describe(const RomImage *image, char **ret);

/* The images, one line each, for `vmrun rom check`. */
void rom_print(const Rom *rom, FILE *f);
/* Log the warnings, fatal ones at error level, each prefixed with `what`
 * (the file). -EBADMSG when the ROM is not usable. */
int rom_log_warnings(const Rom *rom, const char *what);

/* "10de:28e0" (the IDs themselves) or a PCI address whose IDs are read
 * from sysfs. -EINVAL for neither, -ENOENT when there is no such device. */
int rom_expect_parse(const HostContext *ctx, const char *s, RomExpect *ret);
