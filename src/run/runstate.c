/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/syscall.h>

#include "basic/fileio.h"
#include "handover/handover.h"
#include "basic/paths.h"
#include "run/runstate.h"

void runstate_done(RunState *s) {
        free(s->name);
        free(s->profile);
        free(s->phase);
        free(s->tap);
        free(s->unit);
        *s = (RunState) { 0 };
}

int runstate_write(const char *path, const RunState *s) {
        _cleanup_json_ json_t *j = json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s}", "version", 1, "name",
                                             s->name, "profile", s->profile, "supervisor_pid",
                                             (json_int_t) s->supervisor_pid, "supervisor_start_time",
                                             (json_int_t) s->supervisor_start_time, "qemu_pid", (json_int_t) s->qemu_pid, "qemu_start_time",
                                             (json_int_t) s->qemu_start_time, "timeout_shutdown",
                                             (json_int_t) s->timeout_shutdown, "phase", s->phase);
        if (!j)
                return -ENOMEM;
        /* optional keys: a state file without them is still version 1 */
        if (s->swtpm_pid > 0 &&
            (json_object_set_new(j, "swtpm_pid", json_integer(s->swtpm_pid)) < 0 ||
             json_object_set_new(j, "swtpm_start_time", json_integer((json_int_t) s->swtpm_start_time)) < 0))
                return -ENOMEM;
        if (s->tap && json_object_set_new(j, "tap", json_string(s->tap)) < 0)
                return -ENOMEM;
        if (s->unit && (json_object_set_new(j, "unit", json_string(s->unit)) < 0 ||
                        json_object_set_new(j, "machine", json_boolean(s->machine)) < 0))
                return -ENOMEM;
        return json_write_atomic(path, j, 0644);
}

int runstate_read(const char *path, RunState *ret) {
        _cleanup_json_ json_t *j = NULL;
        const char *name, *profile, *phase, *tap = NULL, *unit = NULL;
        int machine = 0;
        json_int_t spid, sstart = 0, qpid, start, timeout, tpid = 0, tstart = 0;
        json_error_t err;
        int version;

        j = json_load_file(path, 0, &err);
        if (!j)
                return access(path, F_OK) < 0 ? negative_errno() : -EBADMSG;
        if (json_unpack(j, "{s:i, s:s, s:s, s:I, s?I, s:I, s:I, s:I, s:s, s?I, s?I, s?s, s?s, s?b}", "version", &version,
                        "name", &name, "profile", &profile, "supervisor_pid", &spid, "supervisor_start_time", &sstart,
                        "qemu_pid", &qpid, "qemu_start_time", &start,
                        "timeout_shutdown", &timeout, "phase", &phase, "swtpm_pid", &tpid, "swtpm_start_time",
                        &tstart, "tap", &tap, "unit", &unit, "machine", &machine) < 0 ||
            version != 1)
                return -EBADMSG;

        RunState s = {
                .name = strdup(name),
                .profile = strdup(profile),
                .phase = strdup(phase),
                .supervisor_pid = (pid_t) spid,
                .supervisor_start_time = (uint64_t) sstart,
                .qemu_pid = (pid_t) qpid,
                .qemu_start_time = (uint64_t) start,
                .swtpm_pid = (pid_t) tpid,
                .swtpm_start_time = (uint64_t) tstart,
                .timeout_shutdown = (unsigned) timeout,
                .tap = tap ? strdup(tap) : NULL,
                .unit = unit ? strdup(unit) : NULL,
                .machine = machine,
        };
        if (!s.name || !s.profile || !s.phase || (tap && !s.tap) || (unit && !s.unit)) {
                runstate_done(&s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}
