/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "host/inhibit.h"

#define LOGIND_SERVICE "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
/* logind answers at once; longer is a logind that is stuck */
#define INHIBIT_CALL_TIMEOUT (5 * USEC_PER_SEC)

static const struct {
        InhibitWhat bit;
        const char *word;       /* logind's */
        const char *name;       /* for people */
} inhibit_words[] = {
        { INHIBIT_SLEEP, "sleep", "sleep" },
        { INHIBIT_IDLE, "idle", "idle" },
        { INHIBIT_LID_SWITCH, "handle-lid-switch", "lid" },
        { INHIBIT_SUSPEND_KEY, "handle-suspend-key", "suspend key" },
        { INHIBIT_HIBERNATE_KEY, "handle-hibernate-key", "hibernate key" },
        { INHIBIT_POWER_KEY, "handle-power-key", "power key" },
};

char *inhibit_what_to_string(unsigned what) {
        _cleanup_strv_ Strv words = { 0 };

        for (size_t i = 0; i < ELEMENTSOF(inhibit_words); i++)
                if ((what & inhibit_words[i].bit) && strv_push(&words, inhibit_words[i].word) < 0)
                        return NULL;
        return strv_join(words.v, ":");
}

char *inhibit_what_describe(unsigned what) {
        const unsigned both = INHIBIT_SUSPEND_KEY | INHIBIT_HIBERNATE_KEY;
        _cleanup_strv_ Strv names = { 0 };

        for (size_t i = 0; i < ELEMENTSOF(inhibit_words); i++) {
                const char *name = inhibit_words[i].name;

                if (!(what & inhibit_words[i].bit))
                        continue;
                /* the two sleep keys go together in a profile's locks */
                if ((what & both) == both && inhibit_words[i].bit == INHIBIT_HIBERNATE_KEY)
                        continue;
                if ((what & both) == both && inhibit_words[i].bit == INHIBIT_SUSPEND_KEY)
                        name = "suspend and hibernate keys";
                if (strv_push(&names, name) < 0)
                        return NULL;
        }
        return strv_join(names.v, ", ");
}

/* The error as logind, or the bus for a logind that is not there, gave
 * it: an errno the caller can tell apart. */
static int inhibit_error(int r, const sd_bus_error *error) {
        if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return -EHOSTDOWN;
        if (r == -ETIMEDOUT || sd_bus_error_has_names(error, SD_BUS_ERROR_TIMEOUT, SD_BUS_ERROR_NO_REPLY))
                return -ETIMEDOUT;
        return r;
}

int logind_inhibit(sd_bus *bus, unsigned what, const char *who, const char *why, int *ret_fd, char **ret_message) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *system = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *words = NULL;
        int fd, r;

        assert(what != 0);
        assert(ret_fd);

        words = inhibit_what_to_string(what);
        if (!words)
                return -ENOMEM;
        if (!bus) {
                r = sd_bus_open_system(&system);
                if (r < 0)
                        return log_debug_errno(-ENOTCONN, "open the system bus: %s", STRERROR(r));
                bus = system;
        }
        r = sd_bus_message_new_method_call(bus, &call, LOGIND_SERVICE, LOGIND_PATH, LOGIND_MANAGER, "Inhibit");
        if (r >= 0)
                r = sd_bus_message_append(call, "ssss", words, who, why, "block");
        /* not activated for this: see the header */
        if (r >= 0)
                r = sd_bus_message_set_auto_start(call, false);
        if (r < 0)
                return log_debug_errno(r, "Inhibit(%s): %s", words, STRERROR(r));
        r = sd_bus_call(bus, call, INHIBIT_CALL_TIMEOUT, &error, &reply);
        if (r < 0) {
                r = inhibit_error(r, &error);
                if (ret_message && error.message && !(*ret_message = strdup(error.message)))
                        return -ENOMEM;
                return log_debug_errno(r, "Inhibit(%s): %s", words, error.message ? error.message : STRERROR(r));
        }
        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0)
                return log_debug_errno(r, "Inhibit(%s): its reply: %s", words, STRERROR(r));
        /* the reply's own is closed with it */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return log_debug_errno(negative_errno(), "Inhibit(%s): keep its descriptor: %s", words, strerror(errno));
        *ret_fd = fd;
        return 0;
}
