/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ACPI VFCT table is the system firmware's, and firmware tables are
 * often wrong: any bytes must give a walk that stays inside them, and the
 * image found must lie within the table. */
#include <stdlib.h>

#include "fuzz.h"
#include "host/vfct.h"

/* kept, so that the reads of the image are not optimized away */
static volatile uint8_t image_sum;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const VfctImage *im = NULL;
        Vfct *v = NULL;
        uint8_t sum = 0;

        fuzz_quiet();
        if (vfct_parse(data, size, &v) < 0)
                return 0;
        for (size_t i = 0; i < v->n_images; i++) {
                char *s = NULL;

                if (vfct_image_describe(v->images + i, &s) >= 0)
                        free(s);
        }
        /* every byte of the image, as `rom dump` copies it: ASan sees a
         * read beyond the table */
        if (vfct_find(v, "0000:03:00.0", 0x1002, 0x1681, &im) >= 0)
                for (size_t k = 0; k < im->length; k++)
                        sum += v->data[im->offset + k];
        image_sum = sum;
        vfct_free(v);
        return 0;
}
