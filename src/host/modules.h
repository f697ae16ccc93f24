/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Kernel modules through libkmod, in the manner of modprobe -r / modprobe:
 * never forced. Removal checks the init state (built-in: cannot be
 * removed; not loaded: nothing to do), removes holders first, newest
 * dependency chain first, checks the refcount, then removes. Loading
 * resolves aliases and applies the blacklist only to aliases, like
 * modprobe does. */

#include "basic/util.h"

typedef enum ModuleState {
        MODULE_ABSENT,          /* not loaded (possibly not even installed) */
        MODULE_LIVE,
        MODULE_BUILTIN,
        MODULE_COMING,
        MODULE_GOING,
} ModuleState;

typedef struct Modules Modules;

int modules_new(Modules **ret);
Modules *modules_free(Modules *m);
static inline void modules_freep(Modules **m) {
        modules_free(*m);
}
#define _cleanup_modules_ _cleanup_(modules_freep)

/* The state of a module by name ("nvidia_drm" and "nvidia-drm" are one). */
int module_state(Modules *m, const char *name, ModuleState *ret);

/* The modules that hold `name` (its holders), recursively, in the order
 * they must be removed: holders of holders first. `name` itself is last.
 * A module that is not loaded gives an empty list. */
int module_removal_order(Modules *m, const char *name, char ***ret);

/* Remove one module (not its holders). 0 if it was removed or was not
 * loaded; -EPERM for a built-in module; -EBUSY when it is in use, after
 * logging its refcount and holders at error level with the module named. */
/* How long a reference no process shows may take to go before a module
 * is said to be in use (refcount_settle()). */
#define MODULE_REFCOUNT_SETTLE (3 * USEC_PER_SEC)
int module_remove(Modules *m, const char *name);

/* How a loaded module is used: its refcount, and its holders (modules
 * using it) by name. Each holder counts once in the refcount; the rest are
 * open files and other references. -ENOENT when it is not loaded. */
typedef struct ModuleUsage {
        int refcnt;
        char **holders;         /* never NULL on success; empty when none */
} ModuleUsage;

void module_usage_done(ModuleUsage *u);
int module_usage(Modules *m, const char *name, ModuleUsage *ret);

/* Load a module (or alias) and its dependencies. 0 if loaded or built in
 * or already loaded; -ENOENT if no such module exists for this kernel. */
int module_load(Modules *m, const char *name);

/* 0 if `name` (a module or alias) can be had on this kernel: loaded, built
 * in, or a module file modprobe would find; -ENOENT if not. */
int module_available(Modules *m, const char *name);

/* The module that provides the PCI driver `driver` (the driver's sysfs
 * "module" link), NULL in *ret when the driver is built in. Reads under
 * `root` (normally "/"). */
int driver_module(const char *root, const char *driver, char **ret);
