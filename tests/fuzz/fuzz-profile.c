/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A profile is written by a person, or by whoever could write it: any
 * bytes, NULs and broken UTF-8 included, must end in a Profile or a list
 * of errors. And what the parser takes, the argv takes: every profile it
 * accepts becomes a QEMU command line whose JSON arguments are JSON. */
#include <stdlib.h>

#include "fuzz.h"
#include "profile/profile.h"
#include "qemu/argv.h"

static const Firmware ovmf = {
        .code = "/usr/share/OVMF/OVMF_CODE_4M.fd",
        .code_format = "raw",
        .vars_template = "/usr/share/OVMF/OVMF_VARS_4M.fd",
        .vars_format = "raw",
};

static void check_argv(const Profile *p) {
        static char *const cpu_flags[] = { "hv-relaxed=on", NULL };
        QemuConfig c = {
                .profile = p,
                .firmware = p->firmware == FIRMWARE_BIOS ? NULL : &ovmf,
                .vars = "/var/lib/vmrun/fuzz/OVMF_VARS.fd",
                .sandbox = true,
                .gpu_functions = p->gpu_functions,
                .cpu_flags = cpu_flags,
        };
        Strv argv = { 0 };

        if (qemu_argv_build(&c, &argv) < 0)
                abort();
        for (size_t i = 1; i < argv.n; i++)
                if (argv.v[i][0] == '{') {
                        json_t *j = json_loads(argv.v[i], 0, NULL);
                        if (!j)
                                abort();
                        json_decref(j);
                }
        strv_done(&argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Profile *p = NULL;

        fuzz_quiet();
        if (profile_load_buffer("/etc/vmrun/fuzz.profile", data, size, &p) >= 0)
                check_argv(p);
        profile_free(p);
        return 0;
}
