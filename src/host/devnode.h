/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "basic/util.h"
#include "host/host.h"

/* Whether device node `node` ("/dev/snd/controlC1") is back for its users:
 * it is there, and udev is done with it (its database has the device, so
 * the group and mode udev's rules give are set, and udev's queue is empty,
 * so the ACLs of its RUN builtins are set too). Without udev (no
 * /run/udev/data), or for a node with no device in sysfs (made by hand,
 * as nvidia-modprobe makes /dev/nvidia0), being there is enough. 1
 * ready, 0 not yet. */
int devnode_ready(const HostContext *ctx, const char *node);

/* Until devnode_ready(), woken by inotify on the node's directory, /dev,
 * udev's database and its queue; -ETIMEDOUT at `deadline`. A driver bound again
 * registers its nodes after the bind returned (snd_hda_intel probes its
 * codecs from a work queue): what opens them must wait for them. */
int devnode_wait_ready(const HostContext *ctx, const char *node, usec_t deadline);
