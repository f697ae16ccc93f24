/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* [network] mode = bridge: the guest's network card is a tap device on a
 * host bridge, made by vmrun (root) before QEMU starts and handed to QEMU
 * as a descriptor (-netdev tap,fd=). QEMU, unprivileged and under
 * -sandbox, needs neither CAP_NET_ADMIN nor the setuid qemu-bridge-helper
 * and its /etc/qemu/bridge.conf.
 *
 * The tap is not persistent: the kernel removes it (and its bridge port)
 * when the last descriptor closes, which is when QEMU exits, whatever ends
 * it. So there is nothing to journal and nothing for `vmrun restore` to
 * undo. */

#include "host/host.h"

typedef struct Tap {
        int fd;
        char name[16];          /* IFNAMSIZ: the kernel's choice, "vmrun0"... */
} Tap;

/* Is `bridge` a bridge in this network namespace? 0, or -ENODEV (no such
 * interface) or -ENOTTY (an interface, not a bridge). Reads
 * ROOT/sys/class/net, as the plan sees the host. */
int tap_check_bridge(const HostContext *ctx, const char *bridge);

/* A new tap (IFF_TAP, IFF_NO_PI, IFF_VNET_HDR), up and a port of `bridge`.
 * Its descriptor is close-on-exec: the caller moves it to QEMU_FD_TAP
 * (qemu_argv.h) in QEMU's child. Errors at debug level; *ret_step names the step that
 * failed ("open /dev/net/tun", "add the tap to the bridge", ...). */
int tap_open(const char *bridge, Tap *ret, const char **ret_step);

void tap_close(Tap *t);
