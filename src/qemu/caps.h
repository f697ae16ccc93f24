/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the installed QEMU offers, asked of QEMU itself: a QEMU that lacks
 * a property refuses the whole command line, so the plan leaves out what
 * is not there instead. QEMU runs directly (fork, exec), never through a
 * shell, with a deadline. */

#include "basic/util.h"

/* How long one question to QEMU may take. */
#define QEMU_CAPS_TIMEOUT (15 * USEC_PER_SEC)

/* The properties CPU model MODEL ("host", "max") takes, from
 * `QEMU -device MODEL-x86_64-cpu,help`. That list is a superset of the
 * "Recognized CPUID flags" of `-cpu help`: it also has the Hyper-V
 * enlightenments (hv-relaxed, ...), which `-cpu help` does not show.
 * -ENOENT/-EACCES when BINARY cannot be executed, -ETIMEDOUT, -EIO when
 * QEMU exits with an error, -E2BIG when it writes more than any help text
 * is long, -EBADMSG when the output lists no property (QEMU 7.2 exits 0
 * after "Device '...' not found"). */
int qemu_cpu_properties(const char *binary, const char *model, usec_t timeout, char ***ret);

/* The parser behind it: property names, in the order listed. Takes both
 * QEMU's current format ("  hv-relaxed=<bool>  - on/off ...") and the one
 * before 5.0 ("max-x86_64-cpu.hv-relaxed=bool"). */
int qemu_parse_device_help(const char *text, char ***ret);

/* Whether QEMU has SPICE (-spice, [display] spice), from what `QEMU -spice
 * help` says (it exits 1 either way): 1 when it lists SPICE's options
 * (port among them); 0 when it does not, with what it said in *ret_said,
 * each line without its "PROGRAM: -spice help: " and the lines joined with
 * "; " (a QEMU built without SPICE, or one whose SPICE is a module not
 * installed: QEMU 10 on Debian 13 names the package,
 * qemu-system-modules-spice). -ENOENT/-EACCES, -ETIMEDOUT, -E2BIG as
 * qemu_cpu_properties(). */
int qemu_has_spice(const char *binary, usec_t timeout, char **ret_said);
