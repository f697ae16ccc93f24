/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "basic/util.h"
#include "host/vtcon.h"

int vtcon_path(const char *vtcon, const char *attr, char **ret) {
        return asprintf(ret, "/sys/class/vtconsole/%s/%s", vtcon, attr) < 0 ? -ENOMEM : 0;
}
