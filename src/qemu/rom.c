/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>

#include "basic/fileio.h"
#include "basic/parse.h"
#include "host/host.h"
#include "basic/log.h"
#include "host/pci.h"
#include "profile/profile.h"
#include "qemu/rom.h"

/* Offsets within an image and its PCIR. */
#define IMAGE_PCIR_POINTER 0x18
#define IMAGE_EFI_SIGNATURE 0x04
#define IMAGE_EFI_SUBSYSTEM 0x08
#define IMAGE_EFI_MACHINE 0x0A
#define IMAGE_EFI_COMPRESSION 0x0C
#define IMAGE_EFI_HEADER_END 0x0E
#define PCIR_VENDOR 0x04
#define PCIR_DEVICE 0x06
#define PCIR_DEVICE_LIST 0x08   /* revision 3 and later */
#define PCIR_REVISION 0x0C
#define PCIR_IMAGE_LENGTH 0x10
#define PCIR_CODE_TYPE 0x14
#define PCIR_INDICATOR 0x15
#define PCIR_MIN_LENGTH 0x18
#define PCIR_LAST_IMAGE 0x80
#define EFI_ROM_SIGNATURE 0x0EF1
#define ROM_ALIGN 512

/* ---- the walker ---- */

static bool has_signature(const uint8_t *d, size_t size, size_t offset) {
        return offset + 2 <= size && d[offset] == 0x55 && d[offset + 1] == 0xAA;
}

Rom *rom_free(Rom *rom) {
        if (!rom)
                return NULL;
        for (size_t i = 0; i < rom->n_warnings; i++)
                free(rom->warnings[i].message);
        free(rom->warnings);
        free(rom->images);
        free(rom);
        return NULL;
}

static bool problem_is_fatal(RomProblem p) {
        switch (p) {
        case ROM_NO_IMAGE:
        case ROM_NVGI_HEADER:
        case ROM_TRUNCATED:
        case ROM_WRONG_DEVICE:
                return true;
        default:
                return false;
        }
}

static int add_warning(Rom *rom, RomProblem problem, const char *format, ...) _printf_(3, 4);
static int add_warning(Rom *rom, RomProblem problem, const char *format, ...) {
        RomWarning *w;
        va_list ap;
        char *m;
        int k;

        va_start(ap, format);
        k = vasprintf(&m, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        w = reallocarray(rom->warnings, rom->n_warnings + 1, sizeof(RomWarning));
        if (!w) {
                free(m);
                return -ENOMEM;
        }
        rom->warnings = w;
        w[rom->n_warnings++] = (RomWarning) { .problem = problem, .fatal = problem_is_fatal(problem), .message = m };
        return 0;
}

bool rom_has_problem(const Rom *rom, RomProblem problem) {
        for (size_t i = 0; i < rom->n_warnings; i++)
                if (rom->warnings[i].problem == problem)
                        return true;
        return false;
}

bool rom_usable(const Rom *rom) {
        for (size_t i = 0; i < rom->n_warnings; i++)
                if (rom->warnings[i].fatal)
                        return false;
        return true;
}

/* Firmware loads an EFI image only when it is a driver for its own CPU. */
static bool image_is_x64_efi_driver(const RomImage *im) {
        return im->code_type == ROM_CODE_EFI && im->efi_signature && im->efi_machine == ROM_EFI_X64 &&
                (im->efi_subsystem == ROM_EFI_BOOT_SERVICE_DRIVER || im->efi_subsystem == ROM_EFI_RUNTIME_DRIVER);
}

/* PCIR 3.0 lets one image serve several devices: a zero-terminated list of
 * further device IDs. Counts them, and says whether `device` is one. */
static size_t device_list_scan(const uint8_t *d, size_t size, size_t pcir, size_t image_end, uint16_t device,
                               bool *ret_found) {
        size_t pointer = read_le16(d + pcir + PCIR_DEVICE_LIST), n = 0;
        bool found = false;

        *ret_found = false;
        if (d[pcir + PCIR_REVISION] < 3 || pointer == 0)
                return 0;
        for (size_t o = pcir + pointer; o + 2 <= size && o + 2 <= image_end; o += 2) {
                uint16_t id = read_le16(d + o);
                if (id == 0)
                        break;
                found = found || id == device;
                n++;
        }
        *ret_found = found;
        return n;
}

/* Reads the image at `offset`: false when there is no 0x55AA with a PCIR
 * (how, in `why`). */
static bool image_read(const uint8_t *d, size_t size, size_t offset, const RomExpect *expect, RomImage *ret,
                       char *why, size_t why_size) {
        RomImage im = { .offset = offset };
        size_t pcir;
        bool listed;

        if (!has_signature(d, size, offset)) {
                snprintf(why, why_size, "no 0x55AA signature at 0x%zx", offset);
                return false;
        }
        if (offset + IMAGE_PCIR_POINTER + 2 > size) {
                snprintf(why, why_size, "the file ends inside the image header at 0x%zx", offset);
                return false;
        }
        pcir = offset + read_le16(d + offset + IMAGE_PCIR_POINTER);
        if (pcir + PCIR_MIN_LENGTH > size || memcmp(d + pcir, "PCIR", 4) != 0) {
                snprintf(why, why_size, "the image at 0x%zx has no PCI data structure (\"PCIR\") where its pointer says (0x%zx)",
                         offset, pcir);
                return false;
        }
        im.length = (size_t) read_le16(d + pcir + PCIR_IMAGE_LENGTH) * ROM_ALIGN;
        if (im.length == 0) {
                snprintf(why, why_size, "the image at 0x%zx has length 0 in its PCIR", offset);
                return false;
        }
        im.vendor = read_le16(d + pcir + PCIR_VENDOR);
        im.device = read_le16(d + pcir + PCIR_DEVICE);
        im.code_type = d[pcir + PCIR_CODE_TYPE];
        im.last = d[pcir + PCIR_INDICATOR] & PCIR_LAST_IMAGE;
        im.truncated = offset + im.length > size;
        im.n_more_devices = device_list_scan(d, size, pcir, offset + im.length, expect ? expect->device : 0, &listed);
        if (expect && expect->set)
                im.wrong_device = im.vendor != expect->vendor || (im.device != expect->device && !listed);
        if (im.code_type == ROM_CODE_EFI && offset + IMAGE_EFI_HEADER_END <= size) {
                im.efi_signature = read_le32(d + offset + IMAGE_EFI_SIGNATURE) == EFI_ROM_SIGNATURE;
                im.efi_subsystem = read_le16(d + offset + IMAGE_EFI_SUBSYSTEM);
                im.efi_machine = read_le16(d + offset + IMAGE_EFI_MACHINE);
                im.efi_compressed = read_le16(d + offset + IMAGE_EFI_COMPRESSION) != 0;
        }
        *ret = im;
        return true;
}

static int add_image(Rom *rom, const RomImage *im) {
        RomImage *v = reallocarray(rom->images, rom->n_images + 1, sizeof(RomImage));

        if (!v)
                return -ENOMEM;
        rom->images = v;
        v[rom->n_images++] = *im;
        return 0;
}

/* After the walk: the warnings that are about the chain as a whole. */
static int check_chain(Rom *rom, const RomExpect *expect) {
        const RomImage *wrong = NULL;
        bool x64 = false, any_efi = false;
        int r;

        for (size_t i = 0; i < rom->n_images; i++) {
                const RomImage *im = rom->images + i;
                if (im->after_last)
                        continue;
                x64 = x64 || image_is_x64_efi_driver(im);
                any_efi = any_efi || im->code_type == ROM_CODE_EFI;
                /* the images firmware or the OS would run; NVIDIA's own
                 * images are read by its driver, which knows its GPU */
                if (!wrong && im->wrong_device && (im->code_type == ROM_CODE_X86 || im->code_type == ROM_CODE_EFI))
                        wrong = im;
        }

        if (wrong) {
                r = add_warning(rom, ROM_WRONG_DEVICE,
                                "the image at 0x%zx (%s) is for %04x:%04x, but the device is %04x:%04x: this is %s ROM. "
                                "Use the vBIOS of this very GPU (`vmrun rom dump`, or see docs/rom.md)",
                                wrong->offset, rom_code_type_to_string(wrong->code_type), wrong->vendor, wrong->device,
                                expect->vendor, expect->device,
                                wrong->vendor == expect->vendor ? "another model's" : "another vendor's");
                if (r < 0)
                        return r;
        }

        if (!x64) {
                r = add_warning(rom, ROM_NO_X64_EFI,
                                "no x64 EFI driver image%s: OVMF will show nothing on this GPU's outputs until the guest's "
                                "own driver loads (no boot logo, no boot menu, a dark panel during Windows setup); "
                                "the guest itself can work. A full vBIOS from the GPU maker or the laptop's firmware "
                                "has one (see docs/rom.md)",
                                any_efi ? " (its EFI images are for another CPU, or not drivers)" : ", only legacy code");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* nvflash saves Turing and later GPUs' ROMs behind an "NVGI" header;
 * the chain itself starts at a later 512-byte boundary. Returns 1 and where
 * the chain starts, or 0 for an NVGI header with no chain after it (warned). */
static int find_chain_start(Rom *rom, const uint8_t *d, size_t size, size_t *ret_offset) {
        size_t offset;
        int r;

        if (size < 4 || memcmp(d, "NVGI", 4) != 0) {
                *ret_offset = 0;
                return 1;
        }
        for (offset = ROM_ALIGN; offset < size && !has_signature(d, size, offset); offset += ROM_ALIGN)
                ;
        if (offset >= size) {
                r = add_warning(rom, ROM_NO_IMAGE,
                                "an NVIDIA \"NVGI\" header with no ROM image (0x55AA at a 512-byte boundary) "
                                "after it: not a vBIOS, or a damaged one");
                if (r < 0)
                        return r;
                return 0;
        }
        rom->header_size = offset;
        *ret_offset = offset;
        return 1;
}

/* The walk reached the end of the file. */
static int warn_chain_end(Rom *rom, bool seen_last) {
        if (rom->n_images == 0)
                return add_warning(rom, ROM_NO_IMAGE, "the file is empty");
        if (!seen_last)
                return add_warning(rom, ROM_NO_LAST_IMAGE,
                                   "no image has the last-image bit: the chain runs to the end of the file; "
                                   "firmware stops there too, but the file may have been cut short");
        return 0;
}

/* The walk found no image at `offset` (how, in `why`). */
static int warn_chain_break(Rom *rom, const uint8_t *d, size_t size, size_t offset, bool seen_last,
                            const char *why) {
        if (rom->n_images == 0 && has_signature(d, size, offset))
                return add_warning(rom, ROM_NO_IMAGE,
                                   "no valid ROM image: %s; an ISA-era BIOS, or not a PCI option ROM at all",
                                   why);
        if (rom->n_images == 0)
                return add_warning(rom, ROM_NO_IMAGE,
                                   "no valid ROM image: %s. A vBIOS starts with 0x55 0xAA; check that the "
                                   "file is one (`vmrun rom dump` writes one)", why);
        if (seen_last)
                /* trailing data after the chain: padding, or something
                 * only the GPU's own driver reads */
                return 0;
        if (has_signature(d, size, offset))
                return add_warning(rom, ROM_BROKEN_CHAIN,
                                   "the chain is broken: %s; firmware stops before it", why);
        return add_warning(rom, ROM_NO_LAST_IMAGE,
                           "the image at 0x%zx does not have the last-image bit, but no image "
                           "follows it (%s); firmware stops there too",
                           rom->images[rom->n_images - 1].offset, why);
}

/* Adds the images from `offset` on, up to the end of the file, the first
 * place without an image, or a truncated image. */
static int walk_chain(Rom *rom, const uint8_t *d, size_t size, size_t offset, const RomExpect *expect) {
        bool seen_last = false;
        char why[160];
        int r;

        for (;;) {
                RomImage im;

                if (offset >= size)
                        return warn_chain_end(rom, seen_last);
                if (!image_read(d, size, offset, expect, &im, why, sizeof why))
                        return warn_chain_break(rom, d, size, offset, seen_last, why);
                im.after_last = seen_last;
                r = add_image(rom, &im);
                if (r < 0)
                        return r;
                if (im.truncated) {
                        if (im.after_last)
                                return 0;
                        return add_warning(rom, ROM_TRUNCATED,
                                           "truncated: the image at 0x%zx is %zu bytes long, but the file ends "
                                           "%zu bytes into it. Read or download the ROM again",
                                           offset, im.length, size - offset);
                }
                seen_last = seen_last || im.last;
                offset += im.length;
        }
}

int rom_parse(const void *data, size_t size, const RomExpect *expect, Rom **ret) {
        _cleanup_rom_ Rom *rom = NULL;
        const uint8_t *d = data;
        size_t offset;
        int r;

        rom = calloc(1, sizeof(Rom));
        if (!rom)
                return -ENOMEM;
        rom->size = size;

        r = find_chain_start(rom, d, size, &offset);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = TAKE_PTR(rom);
                return 0;
        }

        r = walk_chain(rom, d, size, offset, expect);
        if (r < 0)
                return r;
        if (rom->n_images > 0) {
                r = check_chain(rom, expect);
                if (r < 0)
                        return r;
        }
        /* last: the one thing to fix first, whatever else is found */
        if (rom->header_size > 0) {
                r = add_warning(rom, ROM_NVGI_HEADER,
                                "the ROM images start after an NVIDIA \"NVGI\" header of %zu bytes, but the guest's "
                                "firmware looks for them at the start: strip the header first: "
                                "`tail -c +%zu FILE > FILE.rom`",
                                rom->header_size, rom->header_size + 1);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(rom);
        return 0;
}

int rom_parse_file(const char *path, const RomExpect *expect, Rom **ret) {
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_close_ int fd = -1;
        size_t size;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = read_full_fd(fd, ROM_SIZE_MAX, &data, &size);
        if (r < 0)
                return r;
        return rom_parse(data, size, expect, ret);
}

/* ---- names ---- */

const char *rom_code_type_to_string(uint8_t code_type) {
        switch (code_type) {
        case ROM_CODE_X86:
                return "x86 legacy";
        case ROM_CODE_OPEN_FIRMWARE:
                return "Open Firmware";
        case ROM_CODE_HPPA:
                return "PA-RISC";
        case ROM_CODE_EFI:
                return "EFI";
        case ROM_CODE_NVIDIA:
                return "NVIDIA-specific";
        default:
                return NULL;
        }
}

const char *rom_efi_machine_to_string(uint16_t machine) {
        switch (machine) {
        case ROM_EFI_IA32:
                return "IA32";
        case 0x0200:
                return "Itanium";
        case ROM_EFI_EBC:
                return "EBC";
        case ROM_EFI_X64:
                return "x64";
        case 0x01C2:
                return "ARM";
        case ROM_EFI_AARCH64:
                return "AArch64";
        case 0x5064:
                return "RISC-V 64";
        case 0x6264:
                return "LoongArch64";
        default:
                return NULL;
        }
}

const char *rom_efi_subsystem_to_string(uint16_t subsystem) {
        switch (subsystem) {
        case ROM_EFI_APPLICATION:
                return "application";
        case ROM_EFI_BOOT_SERVICE_DRIVER:
                return "boot service driver";
        case ROM_EFI_RUNTIME_DRIVER:
                return "runtime driver";
        default:
                return NULL;
        }
}

int rom_image_describe(const RomImage *im, char **ret) {
        const char *code = rom_code_type_to_string(im->code_type);
        char type[64], efi[96] = "";
        char *s;

        if (code)
                snprintf(type, sizeof type, "%s", code);
        else
                snprintf(type, sizeof type, "code type 0x%02x", im->code_type);

        if (im->code_type == ROM_CODE_EFI) {
                const char *machine = rom_efi_machine_to_string(im->efi_machine),
                           *subsystem = rom_efi_subsystem_to_string(im->efi_subsystem);
                char m[24], sub[24];

                if (machine)
                        snprintf(m, sizeof m, "%s", machine);
                else
                        snprintf(m, sizeof m, "machine 0x%04x", im->efi_machine);
                if (subsystem)
                        snprintf(sub, sizeof sub, "%s", subsystem);
                else
                        snprintf(sub, sizeof sub, "subsystem 0x%x", im->efi_subsystem);
                if (im->efi_signature)
                        snprintf(efi, sizeof efi, " %s %s%s", m, sub, im->efi_compressed ? ", compressed" : "");
                else
                        snprintf(efi, sizeof efi, " without the EFI signature 0x0EF1 (firmware skips it)");
        }

        if (asprintf(&s, "%s%s, %04x:%04x", type, efi, im->vendor, im->device) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

void rom_print(const Rom *rom, FILE *f) {
        if (rom->header_size > 0)
                fprintf(f, "  0x%06x  %7zu bytes  NVIDIA \"NVGI\" header\n", 0, rom->header_size);
        for (size_t i = 0; i < rom->n_images; i++) {
                const RomImage *im = rom->images + i;
                _cleanup_free_ char *what = NULL;

                if (rom_image_describe(im, &what) < 0) {
                        fprintf(f, "  (out of memory)\n");
                        return;
                }
                fprintf(f, "  0x%06zx  %7zu bytes  %s", im->offset, im->length, what);
                if (im->n_more_devices > 0)
                        fprintf(f, " (+%zu device ID%s in its list)", im->n_more_devices, im->n_more_devices == 1 ? "" : "s");
                if (im->last)
                        fputs(", last", f);
                if (im->after_last)
                        fputs(", after the last image (firmware does not see it)", f);
                if (im->truncated)
                        fprintf(f, ", TRUNCATED (%zu bytes in the file)", rom->size - im->offset);
                if (im->wrong_device)
                        fputs(", NOT FOR THIS DEVICE", f);
                fputc('\n', f);
        }
}

int rom_log_warnings(const Rom *rom, const char *what) {
        for (size_t i = 0; i < rom->n_warnings; i++)
                if (rom->warnings[i].fatal)
                        log_error("%s: %s", what, rom->warnings[i].message);
                else
                        log_warning("%s: %s", what, rom->warnings[i].message);
        return rom_usable(rom) ? 0 : -EBADMSG;
}

int rom_expect_parse(const HostContext *ctx, const char *s, RomExpect *ret) {
        _cleanup_(pci_device_done) PciDevice dev = { .iommu_group = -1 };
        _cleanup_free_ char *address = NULL;
        unsigned vendor, device;
        int n = -1, r;

        /* "10de:28e0": four hex digits each side, which no PCI address
         * ("0000:01:00.0", "01:00.0") is */
        if (strlen(s) == 9 && s[4] == ':' && strspn(s, "0123456789abcdefABCDEF") == 4 &&
            strspn(s + 5, "0123456789abcdefABCDEF") == 4 && sscanf(s, "%4x:%4x%n", &vendor, &device, &n) == 2 && n == 9) {
                *ret = (RomExpect) { .set = true, .vendor = (uint16_t) vendor, .device = (uint16_t) device };
                return 0;
        }
        r = pci_address_canonicalize(s, &address);
        if (r < 0)
                return r;
        r = pci_device_read(ctx, address, &dev);
        if (r < 0)
                return r;
        *ret = (RomExpect) { .set = true, .vendor = (uint16_t) dev.vendor, .device = (uint16_t) dev.device };
        return 0;
}
