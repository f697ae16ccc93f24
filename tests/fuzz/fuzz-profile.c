/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A profile is written by a person; any text must end in a Profile or a
 * list of errors. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Profile *p = NULL;
        char *text;

        fuzz_quiet();
        /* the reader takes a C string: a NUL inside ends the text there,
         * as it would for a file read by libinih */
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        (void) profile_load_string("/etc/vmrun/fuzz.profile", text, &p);
        profile_free(p);
        free(text);
        return 0;
}
