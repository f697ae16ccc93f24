/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <systemd/sd-daemon.h>

#include "basic/process.h"
#include "run/runstate.h"
#include "run/state-phase.h"
#include "run/supervisor-internal.h"

int write_state(const Supervisor *s, const char *phase) {
        RunState st = {
                .name = s->profile->name,
                .profile = s->profile->path,
                .supervisor_pid = getpid(),
                .supervisor_start_time = s->start_time,
                /* a QEMU that has been reaped is nobody's to reach */
                .qemu_pid = s->qemu_exited ? 0 : s->qemu_pid,
                .qemu_start_time = s->qemu_start_time,
                .timeout_shutdown = s->profile->timeout_shutdown,
                .phase = (char *) phase,
                .tap = s->tap.name[0] ? (char *) s->tap.name : NULL,
                .unit = s->unit,
                .machine = s->registered,
        };

        /* for `vmrun status`, and for `vmrun restore` if this process dies */
        if (s->tpm && pid_start_time(tpm_pid(s->tpm), &st.swtpm_start_time) >= 0)
                st.swtpm_pid = tpm_pid(s->tpm);
        return runstate_write(s->plan->paths->state_file, &st);
}

/* The state file on every change of phase: `vmrun status` and `vmrun
 * shutdown` read it. A failure costs them their view, not the VM. */
void set_phase(const Supervisor *s, const char *phase) {
        int r = write_state(s, phase);
        if (r < 0)
                log_warning("write %s (%s): %s; `vmrun status` will be out of date", s->plan->paths->state_file, phase,
                            STRERROR(r));
}

void notify_status(const char *format, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        if (s)
                (void) sd_notifyf(false, "STATUS=%s", s);
}
