/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What a file's owner may change about it besides its content: its mode
 * and its POSIX ACLs. Given to QEMU's user for a run, a file comes back
 * with both as they were: an owner who ran `chmod 666` or `setfacl` on it
 * meanwhile keeps no way in once it is root's again. Never through a
 * symlink. */

#include <jansson.h>
#include <sys/types.h>

#include "host/host.h"

/* {"mode": M, "acls": {"system.posix_acl_access": HEX, ...}} of `path`
 * under the context's root; "acls" lists only those present (a file
 * system without ACLs has none). */
int host_file_attrs(const HostContext *ctx, const char *path, json_t **ret);

/* Put back what host_file_attrs() said: ACLs not listed are removed, then
 * the mode is set. A NULL or empty `attrs` (a journal of an older vmrun)
 * changes nothing. */
int host_file_attrs_restore(const HostContext *ctx, const char *path, const json_t *attrs);
