/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Readers of the small values a profile and the command line share. */

#include "basic/util.h"

/* A name for a VM: a directory name under /run/vmrun and /var/lib/vmrun
 * and a systemd instance name. */
bool vm_name_is_valid(const char *name);

/* 01:00.0 or 0000:01:00.0 → 0000:01:00.0; -EINVAL for anything else. */
int pci_address_canonicalize(const char *s, char **ret);
/* As sysfs names devices: 0000:01:00.0 exactly. */
bool pci_address_is_canonical(const char *s);

/* "16G", "16GiB", "512M", "1048576": bytes. */
int parse_size(const char *s, uint64_t *ret);

/* "2-7,10-15" → {2,3,4,5,6,7,10,11,...}, in the order written. Each CPU
 * below 1024, none twice. -EINVAL otherwise. */
int cpu_list_parse(const char *s, unsigned **ret, size_t *ret_n);
