/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Who holds a device: processes with one of its nodes open, or mapped.
 * The GPU cannot leave its driver while anyone does, and "module in use"
 * is a poor way to find out. */

#include <sys/types.h>

#include "basic/util.h"
#include "host/host.h"

typedef struct Holder {
        pid_t pid;
        char *comm;             /* /proc/PID/comm: for the log only, any user sets it */
        char *exe;              /* /proc/PID/exe: the program it runs, NULL if unknown */
        char *unit;             /* its systemd unit from /proc/PID/cgroup ("gdm.service",
                                 * "session-3.scope"), NULL if none */
        char *node;             /* the device node held, e.g. /dev/dri/card0 */
        dev_t rdev;             /* and its device number */
        bool mapped;            /* found in maps rather than fds */
        /* In a unit of a user's service manager ("user@1000.service/app.slice/pipewire.service"):
         * that manager's user, and the unit; else UID_INVALID and NULL. */
        uid_t manager_uid;
        char *user_unit;
} Holder;

#define UID_INVALID ((uid_t) -1)

typedef struct Holders {
        Holder *holders;
        size_t n;
} Holders;

void holders_done(Holders *h);
/* Forget the holders `drop` says yes to; what process `pid` holds (vmrun's own, say). */
void holders_drop_if(Holders *h, bool (*drop)(const Holder *h, const void *data), const void *data);
void holders_drop_pid(Holders *h, pid_t pid);

/* The device nodes of a PCI device: /dev/dri/card* and renderD* whose
 * /sys/class/drm/NODE/device is the device, the /dev/snd nodes of its sound cards,
 * and for NVIDIA devices, or any device NVIDIA's driver (nvidia) has bound,
 * every /dev/nvidia*. Paths under `root`, but
 * returned as seen by processes ("/dev/dri/card0"). */
int device_nodes(const char *root, const char *pci_address, char ***ret);

/* Every process under `root`/proc that has one of `nodes` open or mapped,
 * matched by device number (st_rdev), not by name. Processes that vanish
 * during the scan are skipped. */
int holders_find(const char *root, char *const *nodes, Holders *ret);

/* The same in two parts: the nodes' device numbers now, who holds them
 * later. An unbind removes a card's nodes from /dev at once, and then
 * waits for every file still open on them: only numbers taken before it
 * can say who it waits for. `nodes` must outlive the HeldNodes. */
typedef struct Target Target;
typedef struct HeldNodes {
        Target *targets;
        size_t n;
} HeldNodes;
int held_nodes_stat(const char *root, char *const *nodes, HeldNodes *ret);
int holders_of_held_nodes(const char *root, const HeldNodes *nodes, Holders *ret);
void held_nodes_done(HeldNodes *nodes);

/* The unit of process `pid` and, in a user's service manager, that
 * manager's uid and its unit, from ROOT/proc/PID/cgroup (as for a
 * Holder); NULL and UID_INVALID where it is in none. */
int process_units(const char *root, pid_t pid, char **ret_unit, uid_t *ret_manager_uid, char **ret_user_unit);

/* The parent of `pid` (ROOT/proc/PID/stat); 0 for PID 1. */
int process_parent(const char *root, pid_t pid, pid_t *ret);

/* Every process holding a node of one of `devices` (PCI addresses): their
 * device_nodes(), then holders_find(). Logs at debug level. */
int holders_of_devices(HostContext *ctx, char *const *devices, Holders *ret);

/* An audio server (PipeWire, WirePlumber, PulseAudio) holding an ALSA node:
 * it closes the card's nodes when the card goes and moves its streams to
 * another card, so the unbind of the audio function does not wait on it. */
bool holder_closes_on_removal(const Holder *h);

/* "PID 812 (weston, session-1.scope) holds /dev/dri/card0" */
void holder_describe(const Holder *h, char *buf, size_t size);
