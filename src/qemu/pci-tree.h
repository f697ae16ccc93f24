/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The guest's PCI devices as the guest sees them, a tree: QMP query-pci's
 * buses, each bridge's devices below it, so that a GPU behind a root port
 * shows where it sits. */

#include <stdio.h>

#include "basic/util.h"

/* Prints `buses` (query-pci's "return": an array of buses) to `f`, a line
 * per device: address, vendor:device, class, and the device's id with,
 * when `hosts` (an object: id → host PCI address, may be NULL) has it, the
 * host device behind it. -EBADMSG when `buses` is not query-pci's shape. */
int pci_tree_print(const json_t *buses, const json_t *hosts, FILE *f);
