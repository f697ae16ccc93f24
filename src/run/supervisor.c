/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <systemd/sd-daemon.h>

#include "basic/log.h"
#include "basic/paths.h"
#include "basic/process.h"
#include "handover/steps.h"
#include "host/host.h"
#include "qemu/qmp.h"
#include "qemu/tpm.h"
#include "run/handover-hook.h"
#include "run/locks.h"
#include "run/machine.h"
#include "run/preflight.h"
#include "run/qemu-start.h"
#include "run/state-phase.h"
#include "run/supervisor-internal.h"
#include "run/supervisor.h"

/* After quit, and after SIGKILL, how long before saying so again. */
#define ESCALATION_STEP (10 * USEC_PER_SEC)
/* QEMU closes swtpm's channel while it shuts down, and may take this long
 * more to exit (VFIO resets, disk flushes) */
#define TPM_VERDICT_GRACE (10 * USEC_PER_SEC)

static void supervisor_done(Supervisor *s) {
        qmp_free(s->qmp);
        tpm_free(s->tpm);
        tap_close(&s->tap);
        closep(&s->pidfd);
        closep(&s->sigfd);
        closep(&s->timerfd);
        closep(&s->epfd);
        closep(&s->qemu_out.fd);
        /* said by host_power_release() on the way: here only what an
         * early return left */
        closep(&s->power.inhibit_fd);
        power_buttons_done(&s->power.buttons);
        free(s->shutdown_reason);
        free(s->unit);
}

static void handle_event(Supervisor *s, json_t *event) {
        const char *name = json_string_value(json_object_get(event, "event"));
        json_t *data = json_object_get(event, "data");

        if (!name)
                return;
        if (streq(name, "SHUTDOWN")) {
                const char *reason = json_string_value(json_object_get(data, "reason"));
                free(s->shutdown_reason);
                s->shutdown_reason = reason ? strdup(reason) : NULL;
                log_info("qemu: shutdown (%s)", strempty(reason));
        } else if (streq(name, "POWERDOWN")) {
                /* by vmrun's own escalation or by `vmrun shutdown`; the
                 * state file first, so that whoever reads the line can
                 * ask `vmrun status` and get the same answer */
                set_phase(s, "stopping");
                log_info("qemu: ACPI power button pressed");
        }
        else if (streq(name, "RESET"))
                log_info("guest reset (%s)", strempty(json_string_value(json_object_get(data, "reason"))));
        else if (streq(name, "GUEST_PANICKED")) {
                s->guest_panicked = true;
                log_error("guest panicked");
        } else if (streq(name, "STOP") || streq(name, "RESUME"))
                log_debug("qemu: %s", name);
        else
                log_debug("qemu event %s", name);
}

static void drain_events(Supervisor *s) {
        unsigned dropped;
        json_t *e;

        while ((e = qmp_next_event(s->qmp))) {
                handle_event(s, e);
                json_decref(e);
        }
        dropped = qmp_events_dropped(s->qmp);
        if (dropped > 0)
                log_warning("QEMU (pid %d) sent %u QMP events more than vmrun keeps while it waits; they were dropped "
                            "(a QEMU that floods its monitor is not well)", (int) s->qemu_pid, dropped);
}

static int arm_timer(Supervisor *s, usec_t usec) {
        struct itimerspec its = {
                .it_value.tv_sec = (time_t) (usec / USEC_PER_SEC),
                .it_value.tv_nsec = (long) (usec % USEC_PER_SEC) * 1000,
        };

        if (timerfd_settime(s->timerfd, 0, &its, NULL) < 0)
                return negative_errno();
        return 0;
}

static int qmp_simple(Supervisor *s, const char *command) {
        int r;

        if (!s->qmp)
                return -ENOTCONN;
        r = qmp_execute(s->qmp, command, NULL, deadline_after(QMP_COMMAND_TIMEOUT), NULL);
        drain_events(s);
        if (r == -EREMOTEIO)
                log_warning("qmp %s: %s", command, strempty(qmp_last_error(s->qmp)));
        return r;
}

/* QEMU takes SIGTERM as quit; before its handlers are set up, it dies of
 * it. Callers are in PHASE_QUIT: judge_exit() knows the end as vmrun's. */
static void term_qemu(Supervisor *s) {
        if (syscall(SYS_pidfd_send_signal, s->pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH)
                log_warning("send SIGTERM to QEMU (pid %d): %s; killing it if it has not exited in %llus", (int) s->qemu_pid,
                            strerror(errno), (unsigned long long) (ESCALATION_STEP / USEC_PER_SEC));
}

static void escalate(Supervisor *s);

/* The deadline of an escalation step; without a timer there is no waiting
 * for the guest, only the next step now. */
static void arm_next(Supervisor *s, usec_t usec) {
        int r = arm_timer(s, usec);

        if (r >= 0)
                return;
        log_error_errno(r, "arm the timer (timerfd): %s; not waiting %llus for QEMU (pid %d), taking the next step now",
                        STRERROR(r), (unsigned long long) (usec / USEC_PER_SEC), (int) s->qemu_pid);
        if (s->phase != PHASE_KILL)
                escalate(s);
}

/* One step further towards a stopped QEMU: power button, then quit, then
 * SIGKILL, each with a deadline that takes the next step by itself. */
static void escalate(Supervisor *s) {
        switch (s->phase) {
        case PHASE_RUNNING:
                s->phase = PHASE_POWERDOWN;
                set_phase(s, "stopping");
                (void) sd_notify(false, "STOPPING=1");
                notify_status("asking the guest to power off");
                log_info("asking the guest to power off (ACPI); up to %us, then quit", s->profile->timeout_shutdown);
                if (qmp_simple(s, "system_powerdown") >= 0) {
                        arm_next(s, (usec_t) s->profile->timeout_shutdown * USEC_PER_SEC);
                        break;
                }
                if (s->shutdown_reason) {
                        /* the same stop reached QEMU too (systemd signals
                         * a whole scope): no guest left to ask, and QEMU
                         * quits as if vmrun had sent quit */
                        s->phase = PHASE_QUIT;
                        s->stopped_from_outside = true;
                        log_info("QEMU is shutting down already (%s); up to %llus for it to exit, then SIGKILL",
                                 s->shutdown_reason, (unsigned long long) (ESCALATION_STEP / USEC_PER_SEC));
                        arm_next(s, ESCALATION_STEP);
                        break;
                }
                _fallthrough_;
        case PHASE_POWERDOWN:
                s->phase = PHASE_QUIT;
                notify_status("stopping QEMU");
                if (qmp_simple(s, "quit") >= 0)
                        log_warning("guest did not power off; sent quit to QEMU (pid %d)", (int) s->qemu_pid);
                else {
                        /* no monitor: QEMU treats SIGTERM like quit */
                        log_warning("guest did not power off and QMP is gone; sending SIGTERM to QEMU (pid %d)",
                                    (int) s->qemu_pid);
                        term_qemu(s);
                }
                arm_next(s, ESCALATION_STEP);
                break;
        case PHASE_QUIT:
                s->phase = PHASE_KILL;
                log_error("QEMU (pid %d) did not exit; killing it", (int) s->qemu_pid);
                (void) syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
                arm_next(s, ESCALATION_STEP);
                break;
        case PHASE_KILL:
                /* stuck in the kernel (a device reset that never ends): the
                 * devices are still in use, so the host cannot be restored */
                log_error("QEMU (pid %d) still exists after SIGKILL: stuck in the kernel? Waiting; see its state in /proc/%d/stack",
                          (int) s->qemu_pid, (int) s->qemu_pid);
                arm_next(s, ESCALATION_STEP);
                break;
        }
}

/* machined's KillMachine for `machinectl poweroff`: to the leader, as to
 * a container's init, which powers off on it */
#define SIGNAL_MACHINE_POWEROFF (SIGRTMIN + 4)

/* The signals that ask the VM to stop: ^C, SIGTERM (`vmrun shutdown`,
 * systemd stopping the unit), `machinectl poweroff`. NULL for others. */
const char *stop_signal_name(int sig) {
        if (sig == SIGTERM)
                return "SIGTERM";
        if (sig == SIGINT)
                return "SIGINT";
        if (sig == SIGNAL_MACHINE_POWEROFF)
                return "SIGRTMIN+4 (machinectl poweroff)";
        return NULL;
}

static void handle_signal(Supervisor *s) {
        struct signalfd_siginfo si;

        while (read(s->sigfd, &si, sizeof si) == (ssize_t) sizeof si) {
                const char *stop = stop_signal_name((int) si.ssi_signo);

                if (si.ssi_signo == SIGHUP)
                        /* The ssh connection dropped, most likely. The VM is
                         * not the terminal's to end. */
                        log_info("SIGHUP: terminal gone; the VM keeps running (`vmrun shutdown %s` ends it)",
                                 s->profile->name);
                if (!stop)
                        continue;
                if (s->phase != PHASE_RUNNING)
                        log_info("%s again: not waiting any longer", stop);
                else
                        log_info("%s: stopping VM %s", stop, s->profile->name);
                escalate(s);
        }
}

/* The host's power button, vmrun's while the guest has the GPU: as
 * `vmrun shutdown`, the guest asked to power off, then quit, then
 * killed. */
static void handle_power_button(Supervisor *s, int fd) {
        if (host_power_pressed(&s->power, fd, s->epfd) <= 0)
                return;
        if (s->phase != PHASE_RUNNING) {
                log_info("power button pressed: VM %s is stopping already", s->profile->name);
                return;
        }
        log_info("power button pressed: asking the guest to power off");
        escalate(s);
}

static int epoll_add(int epfd, int fd) {
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? negative_errno() : 0;
}

/* QEMU is shutting down or gone: which ends swtpm too. */
static bool qemu_ending(const Supervisor *s) {
        struct pollfd p = { .fd = s->pidfd, .events = POLLIN };

        return s->qemu_exited || s->shutdown_reason || poll(&p, 1, 0) > 0;
}

static void handle_tpm_exit(Supervisor *s) {
        (void) epoll_ctl(s->epfd, EPOLL_CTL_DEL, tpm_pidfd(s->tpm), NULL);
        if (tpm_reap(s->tpm) < 0)
                return;
        /* a clean exit is what QEMU closing the channel looks like: QEMU's
         * exit (or SHUTDOWN event) tells, if it comes in time */
        if (tpm_ended_cleanly(s->tpm) && !qemu_ending(s))
                s->tpm_verdict = deadline_after(TPM_VERDICT_GRACE);
        else
                tpm_report(s->tpm, !qemu_ending(s));
}

static int watch_fds(Supervisor *s) {
        int r;

        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (s->epfd < 0)
                return log_error_errno(negative_errno(), "epoll_create1: %s", strerror(errno));
        r = epoll_add(s->epfd, s->sigfd);
        if (r >= 0)
                r = epoll_add(s->epfd, s->pidfd);
        if (r >= 0)
                r = epoll_add(s->epfd, s->timerfd);
        if (r >= 0)
                r = epoll_add(s->epfd, s->qemu_out.fd);
        if (r >= 0 && s->qmp)
                r = epoll_add(s->epfd, qmp_fd(s->qmp));
        if (r >= 0 && s->tpm)
                r = epoll_add(s->epfd, tpm_pidfd(s->tpm));
        if (r >= 0 && s->tpm)
                r = epoll_add(s->epfd, tpm_output_fd(s->tpm));
        for (size_t i = 0; r >= 0 && i < s->power.buttons.n; i++)
                r = epoll_add(s->epfd, s->power.buttons.v[i].fd);
        if (r < 0)
                return log_error_errno(r, "epoll_ctl: %s", STRERROR(r));
        return 0;
}

static void check_tpm_verdict(Supervisor *s) {
        if (s->tpm_verdict && now_usec() >= s->tpm_verdict) {
                s->tpm_verdict = 0;
                tpm_report(s->tpm, !qemu_ending(s));
        }
}

static void handle_timer(Supervisor *s) {
        uint64_t ticks;

        if (read(s->timerfd, &ticks, sizeof ticks) == (ssize_t) sizeof ticks)
                escalate(s);
}

static void handle_qmp_readable(Supervisor *s, int fd) {
        int r;

        r = qmp_process(s->qmp);
        drain_events(s);
        if (r < 0) {
                if (r != -ECONNRESET)
                        log_warning("QMP: %s; watching QEMU through its pidfd only", qmp_strerror(s->qmp, r));
                else
                        log_debug("QMP connection closed");
                (void) epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
                s->qmp = qmp_free(s->qmp);
        }
}

static int handle_qemu_exit(Supervisor *s) {
        int r;

        r = pidfd_reap(s->pidfd, &s->exit_info);
        if (r < 0)
                return log_error_errno(r, "waitid(QEMU pid %d): %s", (int) s->qemu_pid, STRERROR(r));
        s->qemu_exited = true;
        s->qemu_exit_usec = now_usec();
        return 0;
}

static void handle_tpm_output(Supervisor *s, int fd) {
        if (!tpm_read_output(s->tpm))
                (void) epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static int handle_fd(Supervisor *s, int fd) {
        if (fd == s->sigfd)
                handle_signal(s);
        else if (fd == s->timerfd)
                handle_timer(s);
        else if (fd == s->qemu_out.fd)
                (void) foreign_output_read(&s->qemu_out);
        else if (s->qmp && fd == qmp_fd(s->qmp))
                handle_qmp_readable(s, fd);
        else if (fd == s->pidfd)
                return handle_qemu_exit(s);
        else if (s->tpm && fd == tpm_pidfd(s->tpm))
                handle_tpm_exit(s);
        else if (s->tpm && fd == tpm_output_fd(s->tpm))
                handle_tpm_output(s, fd);
        else if (host_power_is_button(&s->power, fd))
                handle_power_button(s, fd);
        return 0;
}

/* whatever QEMU said last, and the events that came with it */
static void read_last_words(Supervisor *s) {
        (void) foreign_output_read(&s->qemu_out);
        if (s->qmp) {
                (void) qmp_process(s->qmp);
                drain_events(s);
        }
}

static int event_loop(Supervisor *s) {
        int r;

        r = watch_fds(s);
        if (r < 0)
                return r;

        while (!s->qemu_exited) {
                struct epoll_event evs[8];
                int n = epoll_wait(s->epfd, evs, ELEMENTSOF(evs),
                                   s->tpm_verdict ? deadline_to_poll_ms(s->tpm_verdict) : -1);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(negative_errno(), "epoll_wait: %s", strerror(errno));
                }
                check_tpm_verdict(s);
                for (int i = 0; i < n; i++) {
                        r = handle_fd(s, evs[i].data.fd);
                        if (r < 0)
                                return r;
                }
        }

        read_last_words(s);
        return 0;
}

static VmrunExit judge_exit(const Supervisor *s) {
        const siginfo_t *si = &s->exit_info;
        const char *reason = s->shutdown_reason;
        /* systemd signals every process of a scope it stops, QEMU too;
         * a service's (KillMode=mixed) only the supervisor */
        const char *scope = s->unit && endswith(s->unit, ".scope") ? s->unit : NULL;
        /* vmrun sent quit or SIGTERM, or SIGKILL after them */
        bool stopped_by_vmrun = s->phase >= PHASE_QUIT && !s->stopped_from_outside;

        if (si->si_code == CLD_EXITED && si->si_status == 0 && reason) {
                if (streq(reason, "guest-shutdown")) {
                        log_info("guest powered off");
                        return VMRUN_EXIT_POWEROFF;
                }
                if (streq(reason, "host-signal") && stopped_by_vmrun) {
                        log_info("QEMU stopped by vmrun's SIGTERM");
                        return VMRUN_EXIT_QUIT;
                }
                if (streq(reason, "host-signal")) {
                        log_info("QEMU stopped by a signal from outside vmrun%s%s%s", scope ? " (stopping unit " : "",
                                 strempty(scope), scope ? ": `machinectl terminate`, `systemctl stop`; or kill)" : "");
                        return s->guest_panicked ? VMRUN_EXIT_CRASH : VMRUN_EXIT_QUIT;
                }
                if (streq(reason, "host-qmp-quit")) {
                        log_info(stopped_by_vmrun ? "QEMU stopped by vmrun's quit (the guest did not power off)"
                                                        : "QEMU stopped by quit from a QMP client");
                        return VMRUN_EXIT_QUIT;
                }
                log_info("QEMU stopped (%s)", reason);
                return s->guest_panicked ? VMRUN_EXIT_CRASH : VMRUN_EXIT_QUIT;
        }
        /* QMP was gone by then, and with it the SHUTDOWN event; or it died
         * of the SIGTERM before its handlers were set up */
        if (stopped_by_vmrun && ((si->si_code == CLD_EXITED && si->si_status == 0) ||
                                 (si->si_code != CLD_EXITED && si->si_status == SIGTERM))) {
                log_info("QEMU stopped by vmrun's SIGTERM");
                return VMRUN_EXIT_QUIT;
        }
        if (si->si_code == CLD_EXITED) {
                log_error("QEMU (pid %d) exited with status %d%s", (int) s->qemu_pid, si->si_status,
                          si->si_status == 0 ? " without a shutdown event" : "; its last words are above");
                return VMRUN_EXIT_CRASH;
        }
        if (si->si_status == SIGKILL && s->phase == PHASE_KILL) {
                log_warning("QEMU (pid %d) was killed by vmrun", (int) s->qemu_pid);
                return VMRUN_EXIT_KILLED;
        }
        log_error("QEMU (pid %d) was killed by signal %s%s, not by vmrun", (int) s->qemu_pid, strsignal(si->si_status),
                  si->si_code == CLD_DUMPED ? " (core dumped)" : "");
        return VMRUN_EXIT_CRASH;
}

/* Start QEMU, get it running, and watch it until it exits. */
static VmrunExit run_qemu(Supervisor *s) {
        _cleanup_close_ int qmp_parent = -1;
        int r;

        log_info("starting %s", s->profile->qemu_binary);
        notify_status("starting QEMU");
        r = spawn_qemu(s, &qmp_parent);
        if (r < 0)
                return VMRUN_EXIT_FAILURE;
        /* unlike later phases, this one must be written: a `vmrun restore`
         * after this process dies finds QEMU by it, and would otherwise
         * take the devices from under a QEMU it does not know runs */
        r = write_state(s, "starting QEMU");
        if (r < 0) {
                log_error("write %s: %s; QEMU (pid %d) could outlive this supervisor unknown to `vmrun restore`: "
                          "ending it. Free /run (`df /run`) and start again",
                          s->plan->paths->state_file, STRERROR(r), (int) s->qemu_pid);
                goto quit;
        }
        log_info("qemu started (pid %d)", (int) s->qemu_pid);

        r = qmp_new(TAKE_FD(qmp_parent), &s->qmp);
        if (r >= 0)
                r = qmp_handshake(s->qmp, deadline_after(QMP_START_TIMEOUT));
        if (r >= 0) {
                json_t *v = json_object_get(qmp_greeting(s->qmp), "version");
                log_info("QMP connected (QEMU %" JSON_INTEGER_FORMAT ".%" JSON_INTEGER_FORMAT ".%" JSON_INTEGER_FORMAT ")",
                         json_integer_value(json_object_get(json_object_get(v, "qemu"), "major")),
                         json_integer_value(json_object_get(json_object_get(v, "qemu"), "minor")),
                         json_integer_value(json_object_get(json_object_get(v, "qemu"), "micro")));
                r = pin_cpus(s);
                if (r < 0)
                        /* said why; QEMU itself is fine */
                        log_info("ending QEMU (pid %d) before the guest's first instruction", (int) s->qemu_pid);
                else if ((r = qmp_simple(s, "cont")) < 0)
                        log_error("QEMU (pid %d) would not start the guest (cont): %s", (int) s->qemu_pid,
                                  r == -ECONNRESET ? "it closed QMP" : qmp_strerror(s->qmp, r));
        } else {
                /* Most often QEMU refused its command line and exited: its
                 * own message (logged from its stderr) says why. */
                if (r == -ETIMEDOUT)
                        log_error("QEMU (pid %d) did not answer on QMP within %llus", (int) s->qemu_pid,
                                  (unsigned long long) (QMP_START_TIMEOUT / USEC_PER_SEC));
                else
                        log_error("QEMU (pid %d) failed to start: %s", (int) s->qemu_pid,
                                  r == -ECONNRESET ? "it closed QMP" : qmp_strerror(s->qmp, r));
        }
quit:
        if (r < 0) {
                s->qmp = qmp_free(s->qmp);
                s->phase = PHASE_QUIT;
                term_qemu(s);
                arm_next(s, ESCALATION_STEP);
                if (event_loop(s) < 0)
                        return VMRUN_EXIT_FAILURE;
                (void) judge_exit(s);
                return VMRUN_EXIT_FAILURE;
        }

        /* before the line: a reader of the line may ask machinectl */
        if (s->unit)
                s->registered = machine_register(s->profile->name, s->unit);
        /* the state file before the line: a reader of the line may ask */
        set_phase(s, "running");
        log_info("guest running");
        (void) sd_notifyf(false, "READY=1\nSTATUS=guest running (QEMU pid %d)", (int) s->qemu_pid);

        r = event_loop(s);
        if (r < 0) {
                /* the loop itself broke: do not leave QEMU unsupervised */
                (void) pidfd_kill_and_reap(s->pidfd);
                return VMRUN_EXIT_CRASH;
        }
        return judge_exit(s);
}

static void cleanup_run_dir(const Plan *plan) {
        const char *files[] = { plan->paths->qmp_public, plan->paths->state_file };

        /* console.log stays, for a post-mortem of the guest */
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if (unlink(files[i]) < 0 && errno != ENOENT)
                        log_warning("remove %s: %s", files[i], strerror(errno));
}

static int take_locks(const Plan *plan, int *lock_fd, DeviceLocks *device_locks) {
        const Profile *p = plan->profile;
        int r;

        r = vm_lock(p->name, lock_fd);
        if (r == -EBUSY) {
                log_error("VM %s is already running (its supervisor holds the lock); see `vmrun status %s`", p->name,
                          p->name);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "lock VM %s under %s: %s", p->name, VMRUN_LOCK_DIR, STRERROR(r));
        r = vm_alive_publish(p->name);
        if (r < 0)
                log_warning("/run/vmrun/alive/%s.json: %s; `vmrun status %s` as a user will say it is not running",
                            p->name, STRERROR(r), p->name);
        return device_locks_take(plan, device_locks);
}

/* Signals become events before anything changes on the host, so a
 * ^C during the handover is seen after the step at hand, not in
 * the middle of it. */
static int watch_signals(Supervisor *s) {
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGNAL_MACHINE_POWEROFF);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return negative_errno();
        signal(SIGPIPE, SIG_IGN);
        s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (s->sigfd < 0 || s->timerfd < 0)
                return log_error_errno(negative_errno(), "signalfd/timerfd: %s", strerror(errno));
        return 0;
}

static int give_host_back(Supervisor *s, const Plan *plan, HostContext *host) {
        int r;

        notify_status("giving the host back");
        set_phase(s, "giving the host back");
        r = handover_restore(host, NULL, plan->paths->journal);
        /* said whether the restore went well or not: the files are not
         * followed either way */
        if (plan->tpm_argv.n > 0)
                preflight_report_foreign(host, plan->paths->tpm_dir);
        if (r < 0) {
                log_error("the host was not fully given back; fix what the errors above name, then run `vmrun restore %s`",
                          plan->profile->name);
                return r;
        }
        if (plan->steps.n > 0)
                log_info("host restored and verified");
        /* no compositor comes back where nothing starts one (startx):
         * then the screen is dark until the console is back */
        if (json_object_get(plan->expect, "desktop") && s->qemu_exit_usec > 0 && host->desktop_back)
                log_info("black screen on the way back: %.1fs, from QEMU's exit to the desktop's compositor on the "
                         "GPU's card", (double) (now_usec() - s->qemu_exit_usec) / USEC_PER_SEC);
        else if (json_object_get(plan->expect, "desktop") && s->qemu_exit_usec > 0)
                log_info("black screen on the way back: %.1fs, from QEMU's exit to the console on the GPU's card (the "
                         "desktop does not come back by itself)", (double) (now_usec() - s->qemu_exit_usec) / USEC_PER_SEC);
        return 0;
}

int supervisor_run(const Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_(supervisor_done) Supervisor s = {
                .plan = plan,
                .profile = p,
                .pidfd = -1,
                .sigfd = -1,
                .timerfd = -1,
                .epfd = -1,
                .qemu_out = { .who = "qemu", .fd = -1 },
                .tap = { .fd = -1 },
                .power = HOST_POWER_INIT,
        };
        _cleanup_close_ int lock_fd = -1;
        _cleanup_(device_locks_done) DeviceLocks device_locks = { 0 };
        _cleanup_(host_context_done) HostContext host = { .root = host_root(), .allow_classes = p->allow_classes };
        VmrunExit ret;

        log_info("vmrun %s: VM %s from %s", VMRUN_VERSION, p->name, p->path);
        /* for the state file; without it a client still has the lock */
        if (pid_start_time(getpid(), &s.start_time) < 0)
                log_debug("no start time of its own in /proc: clients trust the lock alone");

        if (take_locks(plan, &lock_fd, &device_locks) < 0)
                return VMRUN_EXIT_FAILURE;
        notify_status("checking the host");
        if (preflight_run(plan, &host) < 0)
                return VMRUN_EXIT_FAILURE;
        /* before the handover, so that a tap the host will not make costs
         * no black screen; it is gone with its last descriptor */
        if (p->network == NETWORK_BRIDGE && open_tap(&s) < 0) {
                log_error("the host was not changed");
                return VMRUN_EXIT_FAILURE;
        }
        if (watch_signals(&s) < 0)
                return VMRUN_EXIT_FAILURE;
        /* before the handover: a unit that is the VM's alone holds
         * everything vmrun starts, and stopping it stops nothing else */
        (void) machine_own_unit(p->name, &s.unit);
        /* after that move: logind honours a lock on the lid or a key only
         * from the active session or from outside any */
        if (host_power_take(&s.power, &host, plan, NULL) < 0)
                return log_oom(), VMRUN_EXIT_FAILURE;

        notify_status("handing the host over");
        if (handover_apply(&host, &plan->steps, p->name, plan->paths->journal, plan->expect, before_step, &s) < 0) {
                host_power_release(&s.power);
                cleanup_run_dir(plan);
                log_info("vmrun: %s (exit status %d)",
                         s.stopped_in_handover ? "stopped during the handover; the host is as it was" : "done",
                         (int) VMRUN_EXIT_FAILURE);
                return VMRUN_EXIT_FAILURE;
        }

        ret = run_qemu(&s);
        /* the guest is gone; the host is not back yet, which the state
         * file and `vmrun status` tell */
        if (s.registered) {
                machine_unregister(p->name);
                s.registered = false;   /* for the state file's readers */
        }
        /* before the host is given back: its state directory goes too */
        (void) tpm_stop(s.tpm);

        if (give_host_back(&s, plan, &host) < 0)
                ret = VMRUN_EXIT_RESTORE;
        /* the host is back (or as far as it comes): its power is its own */
        host_power_release(&s.power);

        cleanup_run_dir(plan);
        log_info("vmrun: done (exit status %d)", (int) ret);
        return ret;
}
