/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Choosing UEFI firmware through QEMU's firmware descriptors
 * (docs/interop/firmware.json): JSON files in /usr/share/qemu/firmware,
 * /etc/qemu/firmware (a file of the same name there overrides or, when
 * empty, masks the one in /usr/share), taken in the order of their file
 * names. Among those that fit the interface, architecture, machine and
 * kind, the one with the fewest unwanted features (see FirmwareKind) wins,
 * the earlier file name on a tie. */

#include "basic/util.h"
#include "profile/profile.h"


typedef struct Firmware {
        char *descriptor;        /* the JSON file that was chosen */
        char *description;
        char *code;              /* mapping.executable.filename */
        char *code_format;       /* "raw" or "qcow2" */
        char *vars_template;     /* mapping.nvram-template.filename */
        char *vars_format;
        bool requires_smm;       /* feature "requires-smm" */
        bool secure_boot;        /* feature "secure-boot" */
        bool enrolled_keys;      /* feature "enrolled-keys" */
} Firmware;

Firmware *firmware_free(Firmware *f);
static inline void firmware_freep(Firmware **f) {
        firmware_free(*f);
}
#define _cleanup_firmware_ _cleanup_(firmware_freep)

/* The default search path, lowest priority first. */
extern const char *const firmware_default_dirs[];

/* Parse one descriptor file. A file that is not a usable descriptor
 * (bad JSON, a missing mandatory key, a mapping other than "flash" in
 * "split" mode) returns -EBADMSG or -EOPNOTSUPP and logs why at debug
 * level; a file that cannot be opened returns open()'s error; -ENOMEM is
 * returned as such. */
int firmware_load(const char *path, Firmware **ret);

/* Search `dirs` (NULL-terminated, lowest priority first) for firmware of
 * `kind` for x86_64 and `machine` ("q35", "pc", or a versioned name such
 * as "pc-q35-7.2"). Unusable files are skipped with a note at debug level.
 * Returns -ENOENT when nothing fits, -EINVAL for FIRMWARE_BIOS. */
int firmware_find(const char *const *dirs, FirmwareKind kind, const char *machine, Firmware **ret);
