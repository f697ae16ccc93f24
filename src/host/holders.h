/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Who holds a device: processes with one of its nodes open, or mapped.
 * The GPU cannot leave its driver while anyone does, and "module in use"
 * is a poor way to find out. */

#include <sys/types.h>

#include "basic/util.h"

typedef struct Holder {
        pid_t pid;
        char *comm;             /* /proc/PID/comm */
        char *unit;             /* its systemd unit from /proc/PID/cgroup ("gdm.service",
                                 * "session-3.scope"), NULL if none */
        char *node;             /* the device node held, e.g. /dev/dri/card0 */
        bool mapped;            /* found in maps rather than fds */
} Holder;

typedef struct Holders {
        Holder *holders;
        size_t n;
} Holders;

void holders_done(Holders *h);

/* The device nodes of a PCI device: /dev/dri/card* and renderD* whose
 * /sys/class/drm/NODE/device is the device, the /dev/snd nodes of its sound cards,
 * and for NVIDIA devices every /dev/nvidia*. Paths under `root`, but
 * returned as seen by processes ("/dev/dri/card0"). */
int device_nodes(const char *root, const char *pci_address, char ***ret);

/* Every process under `root`/proc that has one of `nodes` open or mapped,
 * matched by device number (st_rdev), not by name. Processes that vanish
 * during the scan are skipped. */
int holders_find(const char *root, char *const *nodes, Holders *ret);
