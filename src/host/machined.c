/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <systemd/sd-bus.h>

#include "basic/log.h"
#include "host/machined.h"

#define MACHINED_SERVICE "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_INTERFACE "org.freedesktop.machine1.Manager"
/* machined answers at once; a call that waits longer is waiting for an
 * activation that will not come, and holds up the guest's READY=1 */
#define MACHINED_CALL_TIMEOUT (5 * USEC_PER_SEC)

/* The bus daemon answers for a machined that is not there: no such name
 * to activate, or its activation failed. That error's name is whatever
 * systemd said (an errno's: a masked unit is FileExists), so the sure
 * test is whether anyone owns the name after the call. */
static bool machined_missing(sd_bus *bus, const sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        int owned = 0;

        if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return true;
        if (sd_bus_message_new_method_call(bus, &call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "NameHasOwner") < 0 ||
            sd_bus_message_append(call, "s", MACHINED_SERVICE) < 0 ||
            sd_bus_call(bus, call, MACHINED_CALL_TIMEOUT, NULL, &reply) < 0 ||
            sd_bus_message_read(reply, "b", &owned) < 0)
                return false;   /* the error as it came */
        return !owned;
}

static int machined_call(const char *method, char **ret_message, const char *types, ...) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_debug_errno(-ENOTCONN, "open the system bus: %s", STRERROR(r));
        r = sd_bus_message_new_method_call(bus, &call, MACHINED_SERVICE, MACHINED_PATH, MACHINED_INTERFACE, method);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(call, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return log_debug_errno(r, "%s: %s", method, STRERROR(r));
        r = sd_bus_call(bus, call, MACHINED_CALL_TIMEOUT, &error, &reply);
        if (r >= 0)
                return 0;
        /* first: an activation that hangs leaves the name unowned too */
        if (r == -ETIMEDOUT || sd_bus_error_has_names(&error, SD_BUS_ERROR_TIMEOUT, SD_BUS_ERROR_NO_REPLY))
                r = -ETIMEDOUT;
        else if (machined_missing(bus, &error))
                r = -EHOSTDOWN;
        else if (sd_bus_error_has_name(&error, "org.freedesktop.machine1.NoSuchMachine"))
                r = -ENOENT;
        if (ret_message && error.message) {
                *ret_message = strdup(error.message);
                if (!*ret_message)
                        return -ENOMEM;
        }
        return log_debug_errno(r, "%s: %s", method, error.message ? error.message : STRERROR(r));
}

int machined_register(const char *name, const char *service, pid_t leader, char **ret_message) {
        assert(name);
        assert(leader > 0);

        /* no machine id: the VM has no SMBIOS UUID of vmrun's choosing;
         * no root directory: a VM's files are not a host directory tree */
        return machined_call("RegisterMachine", ret_message, "sayssus", name, 0u, service, "vm",
                             (uint32_t) leader, "");
}

int machined_unregister(const char *name, char **ret_message) {
        int r;

        assert(name);
        r = machined_call("UnregisterMachine", ret_message, "s", name);
        return r == -ENOENT ? 0 : r;
}
