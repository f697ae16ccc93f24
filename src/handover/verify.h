/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* After the restore, the host as a whole: the drivers, the DRM card, the
 * desktop and fbcon the journal's `expect` lists. Reads that and the
 * host only, no step type: each step type checks its own record. */

#include "host/host.h"

/* After the restore: does the host look as `expect` says? Logs each thing
 * that is not back; returns -EIO if any. */
int host_verify(HostContext *ctx, const json_t *expect);
