/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The narrow interface through which vmrun changes the host's sysfs.
 *
 * Every path is taken relative to HostContext.root ("/" normally, a fake
 * tree in unit tests). Writes go only to an allow-list of attributes
 * (driver binding, driver_override, vtconsole binding, the ROM switch,
 * the panel's backlight brightness), and a write that names a PCI device
 * is refused when that device is storage or network, unless the profile
 * allows that class: those are the devices the host lives on. A write happens in a child process under a
 * deadline, because a driver's remove() can block forever and vmrun must
 * then still be able to say so and undo what it did. */

#include <sys/stat.h>

#include "basic/util.h"

typedef struct Modules Modules;
typedef struct Units Units;

/* What every host read and write goes through. */
typedef struct HostContext {
        const char *root;       /* prefix for /sys, /proc, /dev, /run: "/" normally */
        unsigned allow_classes; /* HOST_ALLOW_*: PCI classes the profile lets go */
        /* Opened on first use by the steps that need them (host_modules(),
         * host_units()), closed by host_context_done(). */
        Modules *modules;
        Units *units;
        int units_error;        /* why the system bus could not be reached, once said */
        /* users' service managers reached by host_user_units(), one
         * connection per user for the whole run */
        struct UserUnits *user_units;
        size_t n_user_units;
        /* host_verify() saw the desktop take the GPU's card again; false
         * where nothing brings it back (startx: the console is back) */
        bool desktop_back;
        /* how long a sysfs write may take: HOST_WRITE_TIMEOUT when 0 */
        usec_t write_timeout;
} HostContext;

void host_context_done(HostContext *ctx);

/* How long one sysfs write may take before vmrun gives up on it. */
#define HOST_WRITE_TIMEOUT (30 * USEC_PER_SEC)

/* The root under which /sys, /dev, /proc and /run are found: "/" unless
 * VMRUN_ROOT says otherwise (unit tests against a fake tree). */
const char *host_root(void);

/* ROOT + path ("/sys/..."). */
int host_path(const HostContext *ctx, const char *path, char **ret);

/* Read a small attribute (first line, trailing newline stripped). */
int host_read(const HostContext *ctx, const char *path, char **ret);
int host_read_hex(const HostContext *ctx, const char *path, unsigned long *ret);
/* A number in `base` with nothing around it; -EBADMSG otherwise (a sign
 * too: strtoul() would take "-1" as a huge number). */
int host_read_unsigned(const HostContext *ctx, const char *path, int base, unsigned long *ret);

/* The names in a directory but "." and "..", in no order; empty when there
 * is no such directory. */
int host_list_dir(const HostContext *ctx, const char *dir, char ***ret);

/* The entries of `dir`, which must not be a symlink (-ELOOP, -ENOTDIR),
 * sorted: regular files with one link in *ret_files, everything else
 * (links, directories, hard-linked files) in *ret_others. Both empty when
 * there is no such directory. For directories another user can write:
 * nothing in them is followed. */
int host_list_files(const HostContext *ctx, const char *dir, char ***ret_files, char ***ret_others);

/* The last component of a symlink's target: a device's "driver" or
 * "iommu_group". -ENOENT when there is no such link. */
int host_link_name(const HostContext *ctx, const char *path, char **ret);

bool host_exists(const HostContext *ctx, const char *path);

/* Where `path` leads, its symlinks followed one by one inside the root
 * (udev's /dev/input/by-id/NAME -> ../event5): the host path of the file
 * at the end, `path` itself when it is no symlink. -ENOENT when a link
 * or the path is missing; -ELOOP after 32 links. */
int host_follow(const HostContext *ctx, const char *path, char **ret);

/* Write `value` to an allow-listed attribute within `timeout`. -EPERM for
 * a path outside the allow-list or a protected device (logged at error
 * level: it is a bug or a hostile profile, never a normal failure);
 * -ETIMEDOUT when the write did not return in time (the writer is left
 * behind, stuck in the kernel, and named in the log). Other errors are
 * the kernel's answer to the write. */
int host_write(const HostContext *ctx, const char *path, const char *value, usec_t timeout);

/* Give `path` to uid:gid (the QEMU user) and say whose it was, for the
 * undo. Only what QEMU needs can be given: the VFIO nodes (/dev/vfio/N,
 * /dev/vfio/vfio), event devices (/dev/input/eventN, major 13), USB
 * devices (/dev/bus/usb/BBB/DDD, major 189), and the VM's own files:
 * regular files with one link and directories, never through a symlink.
 * -EPERM (logged) for anything else. */
int host_chown(const HostContext *ctx, const char *path, uid_t uid, gid_t gid, uid_t *ret_uid, gid_t *ret_gid);

/* `path` under the context's root opened O_PATH without following a
 * link (a link is the inode then), and its stat: what is checked and what
 * is changed are the same inode. */
int host_open_inode(const HostContext *ctx, const char *path, int *ret_fd, struct stat *ret_st);

/* Whose `path` is, the path itself (a symlink's own owner). */
int host_owner(const HostContext *ctx, const char *path, uid_t *ret_uid, gid_t *ret_gid);

/* PCI class groups the host keeps unless a profile allows them. */
#define HOST_ALLOW_STORAGE (1u << 0)
#define HOST_ALLOW_NETWORK (1u << 1)

/* 0 if vmrun may act on the PCI device; -EPERM (logged) if it is storage
 * or network and not allowed. */
int host_check_device_allowed(const HostContext *ctx, const char *pci_address);

/* libkmod and the system bus, opened on first use and kept in ctx. */
int host_modules(HostContext *ctx, Modules **ret);
int host_units(HostContext *ctx, Units **ret);
/* User `uid`'s service manager (units_new_user()), reached once and kept
 * in ctx; what reaching it failed with is kept too. The holders of a
 * desktop are often a dozen processes of one user's manager, and each
 * connection is a child that takes the user's credentials. */
int host_user_units(HostContext *ctx, uid_t uid, Units **ret);
