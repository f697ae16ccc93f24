/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A vBIOS file comes from anywhere (a dump, a download, a firmware
 * update): any bytes must give a Rom with its problems named. */
#include <stdio.h>

#include "fuzz.h"
#include "qemu/rom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const RomExpect nvidia = { .set = true, .vendor = 0x10de, .device = 0x28e0 };
        Rom *rom = NULL;
        FILE *null;

        fuzz_quiet();
        if (rom_parse(data, size, &nvidia, &rom) < 0)
                return 0;
        /* what `vmrun rom check` prints from it must hold up too */
        null = fopen("/dev/null", "we");
        if (null) {
                rom_print(rom, null);
                fclose(null);
        }
        rom_free(rom);
        return 0;
}
