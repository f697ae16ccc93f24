/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <poll.h>
#include <sys/signalfd.h>

#include "basic/test-switch.h"
#include "run/handover-hook.h"
#include "run/state-phase.h"
#include "run/supervisor-internal.h"

/* A stop asked for while signals wait in the signalfd (before the event
 * loop): ^C, SIGTERM or `machinectl poweroff`. 0 if none. */
static int stop_requested(Supervisor *s) {
        struct signalfd_siginfo si;

        while (read(s->sigfd, &si, sizeof si) == (ssize_t) sizeof si) {
                if (stop_signal_name((int) si.ssi_signo))
                        return (int) si.ssi_signo;
                if (si.ssi_signo == SIGHUP)
                        log_info("SIGHUP: terminal gone; the handover goes on (`vmrun shutdown %s` stops it)",
                                 s->profile->name);
        }
        return 0;
}

/* A test build's VMRUN_TEST_STOP_STEP=k: SIGTERM to itself before step k,
 * as if it had come from outside during step k-1 (the lab's scenario). */
static void test_stop_at(size_t step) {
        /* to itself: it cannot fail */
        if (test_switch_step("VMRUN_TEST_STOP_STEP") == step)
                (void) kill(getpid(), SIGTERM);
}

/* A test build's VMRUN_TEST_HOLD_STEP=k: before step k, wait for a signal
 * (a minute at most), so that a test can ask `vmrun status` and `vmrun
 * shutdown` what they do while the host is half handed over. */
static void test_hold_at(Supervisor *s, size_t step) {
        struct pollfd p = { .fd = s->sigfd, .events = POLLIN };

        if (test_switch_step("VMRUN_TEST_HOLD_STEP") != step)
                return;
        log_info("VMRUN_TEST_HOLD_STEP=%zu: holding before this step until a signal, 60s at most", step);
        if (poll(&p, 1, 60 * 1000) <= 0)
                log_warning("VMRUN_TEST_HOLD_STEP=%zu: no signal came; going on", step);
}

/* Before each host step: the state file says which, and a stop asked for
 * meanwhile rolls the handover back now, not after a guest that never
 * ran has been asked to power off. */
int before_step(void *userdata, size_t i, size_t n) {
        Supervisor *s = userdata;
        char phase[64];
        int sig;

        test_stop_at(i + 1);
        snprintf(phase, sizeof phase, "handing over (step %zu/%zu)", i + 1, n);
        set_phase(s, phase);
        test_hold_at(s, i + 1);
        sig = stop_requested(s);
        if (sig == 0 && host_power_pressed_any(&s->power) > 0) {
                /* the press would have given the desktop back after the
                 * guest: before it, the same is to stop here */
                s->stopped_in_handover = true;
                log_info("power button pressed during the handover: stopping before step %zu/%zu", i + 1, n);
                return -ECANCELED;
        }
        if (sig == 0)
                return 0;
        s->stopped_in_handover = true;
        log_info("%s during the handover: stopping before step %zu/%zu", stop_signal_name(sig), i + 1, n);
        return -ECANCELED;
}
