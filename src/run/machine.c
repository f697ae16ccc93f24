/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <systemd/sd-login.h>

#include "basic/log.h"
#include "host/machined.h"
#include "host/units.h"
#include "run/machine.h"

/* Stopping the scope sends SIGTERM to the supervisor and QEMU at once;
 * the supervisor then gives the host back, which may take this long
 * before systemd kills it (as vmrun@.service's TimeoutStopSec=). */
#define SCOPE_TIMEOUT_STOP (10 * 60 * USEC_PER_SEC)
#define SCOPE_START_TIMEOUT (30 * USEC_PER_SEC)

/* Is this process the main process of `unit`, a service? */
static int main_of_service(Units *u, const char *unit) {
        pid_t main_pid;
        int r;

        if (!endswith(unit, ".service"))
                return 0;
        r = unit_main_pid(u, unit, &main_pid);
        if (r < 0)
                return r;
        return main_pid == getpid();
}

static int move_to_scope(Units *u, const char *vm, const char *from, char **ret_unit) {
        /* a VM name has 64 characters at most (vm_name_is_valid) */
        char scope[128], description[128];
        double t0;
        char *ret;
        int r;

        snprintf(scope, sizeof scope, "vmrun-%s.scope", vm);
        snprintf(description, sizeof description, "vmrun VM %s", vm);
        t0 = log_elapsed();
        r = unit_start_scope(u, scope, "machine.slice", description, getpid(), SCOPE_TIMEOUT_STOP,
                             deadline_after(SCOPE_START_TIMEOUT));
        if (r < 0) {
                log_warning("could not move into a scope of its own (%s): %s; vmrun stays in %s, which "
                            "`machinectl terminate %s` would stop, so systemd-machined is not told of VM %s",
                            scope, *units_last_error(u) ? units_last_error(u) : STRERROR(r), from, vm, vm);
                return 0;
        }
        /* the time is systemd's: a benchmark tells it from vmrun's own */
        log_info("in a scope of its own, %s (was in %s): the VM outlives %s; `systemctl stop %s` stops the VM (%.0f ms)",
                 scope, from, from, scope, (log_elapsed() - t0) * 1000);
        ret = strdup(scope);
        if (!ret)
                return log_oom();
        *ret_unit = ret;
        return 1;
}

int machine_own_unit(const char *vm, char **ret_unit) {
        _cleanup_units_ Units *u = NULL;
        _cleanup_free_ char *unit = NULL;
        int r;

        assert(ret_unit);

        r = sd_pid_get_unit(0, &unit);
        if (r >= 0)
                r = units_new(&u);
        if (r < 0) {
                log_info("no systemd here (%s): vmrun runs where it was started, and systemd-machined is not told "
                         "of VM %s", unit ? "no system bus" : "this process is in no systemd unit", vm);
                return 0;
        }
        r = main_of_service(u, unit);
        if (r < 0)
                /* a service vmrun is in is most likely its own (vmrun@NAME,
                 * preflight checked the name); leaving it would take QEMU
                 * out of the reach of its stop */
                log_debug_errno(r, "main process of %s: %s; taken for the VM's unit", unit, STRERROR(r));
        if (r != 0) {
                log_debug("runs as %s, the VM's unit", unit);
                *ret_unit = TAKE_PTR(unit);
                return 1;
        }
        return move_to_scope(u, vm, unit, ret_unit);
}

bool machine_register(const char *vm, const char *unit) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = machined_register(vm, "vmrun", getpid(), &message);
        if (r == -ENOTCONN || r == -EHOSTDOWN) {
                log_info("systemd-machined is not %s: `machinectl` will not list VM %s (package systemd-container "
                         "brings it)", r == -ENOTCONN ? "reachable (no system bus)" : "running", vm);
                return false;
        }
        if (r == -ETIMEDOUT) {
                log_warning("systemd-machined did not answer within 5s: `machinectl` will not list VM %s; see "
                            "`systemctl status systemd-machined`", vm);
                return false;
        }
        if (r < 0) {
                log_warning("systemd-machined refused VM %s: %s; the VM runs, but `machinectl` will not list it%s",
                            vm, message ? message : STRERROR(r),
                            r == -EINVAL ? " (machined takes names of letters, digits, '-' and '.')" : "");
                return false;
        }
        log_info("registered with systemd-machined as a VM of unit %s: `machinectl poweroff %s` powers the guest "
                 "off, `machinectl terminate %s` stops it", unit, vm, vm);
        return true;
}

void machine_unregister(const char *vm) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = machined_unregister(vm, &message);
        if (r < 0)
                log_warning("systemd-machined: could not unregister VM %s: %s; it goes when %s's unit ends",
                            vm, message ? message : STRERROR(r), vm);
        else
                log_debug("unregistered from systemd-machined");
}
