/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The host steps of a GPU handover, as a table of step types over the
 * narrow host interface (host.h), and the read-only inspection that turns
 * a profile into a list of them:
 *
 *   stop-unit            the display manager and the profile's stop-units
 *   end-session          the login sessions on the GPU's seat whose processes hold it
 *   stop-graphical-session  graphical-session.target of the user's manager, whose units held it
 *   stop-user-unit       units of a user's service manager that hold it (stopped there)
 *   wait-released        until no process holds the GPU's nodes, with a deadline
 *   unbind-vtconsole     frame buffer consoles (fbcon)
 *   unbind-framebuffer   efi-framebuffer, simple-framebuffer, vesa-framebuffer
 *   backlight            the panel's brightness: recorded, set to max if asked, put back
 *   unload-module        the GPU driver's modules, holders first
 *   unbind-device        a built-in driver, or one other devices still use
 *   load-module          vfio, vfio-pci, vfio_iommu_type1
 *   bind-vfio            driver_override + drivers_probe, per function
 *   check-vfio-group     /dev/vfio/GROUP is there
 *   grant                a file or VFIO group given to QEMU's user
 *
 * Undo runs in reverse; the restore then asks stop-unit whether each unit
 * that was running runs again, and backlight whether each brightness is
 * back (their verify), and host_verify() checks the rest: drivers
 * rebound, a DRM card, fbcon. */

#include "handover/handover.h"
#include "handover/verify.h"
#include "profile/profile.h"
#include "basic/strv.h"

/* Decide the steps for passing `p`'s GPU and `functions`. Reads the host,
 * changes nothing. What could not be seen goes to `notes`, a line per
 * holder of the GPU's nodes (its class, what is done) to `holders`; *ret_expect
 * gets what host_verify() should find after the restore. */
int host_steps_plan(HostContext *ctx, const Profile *p, char *const *functions, HostSteps *steps, Strv *notes,
                    Strv *holders, json_t **ret_expect);

/* A grant step: `path` goes to uid:gid for the run and back after. */
int host_steps_add_grant(HostSteps *steps, const char *path, uid_t uid, gid_t gid, const char *user);

/* Everything that must hold before the first step, checked without
 * changing anything: IOMMU on, the group holds nothing else bound to a
 * host driver, no storage/network device, vfio available, and nobody
 * outside the units to be stopped holding the GPU's device nodes. Logs
 * each problem (naming device, PID, unit) and returns the first error. */
int host_precheck(HostContext *ctx, const Profile *p, char *const *functions, const HostSteps *steps);
