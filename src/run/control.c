/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "basic/process.h"
#include "run/locks.h"
#include "basic/parse.h"
#include "basic/strv.h"
#include "run/control.h"
#include "handover/handover.h"
#include "basic/log.h"
#include "host/host.h"
#include "basic/paths.h"
#include "plan/plan.h"
#include "qemu/pci-tree.h"
#include "qemu/qmp.h"
#include "run/runstate.h"
#include "qemu/tpm.h"
#include "run/supervisor.h"

#define CONNECT_TIMEOUT (10 * USEC_PER_SEC)
#define COMMAND_TIMEOUT (10 * USEC_PER_SEC)
/* quit, then SIGKILL: each gets this long to end QEMU */
#define STOP_STEP (10 * USEC_PER_SEC)
/* giving the host back can mean reloading a GPU driver and starting a
 * display manager: minutes on a bad day */
#define RESTORE_TIMEOUT (300 * USEC_PER_SEC)

typedef struct Vm {
        VmPaths *paths;
        RunState state;
        bool have_state;
        bool supervisor_alive;
        int qemu_pidfd;         /* -1: QEMU is not running */
        int supervisor_pidfd;
        int swtpm_pidfd;        /* -1: no swtpm, or it is gone */
} Vm;

#define VM_NULL { .qemu_pidfd = -1, .supervisor_pidfd = -1, .swtpm_pidfd = -1 }

static void vm_done(Vm *vm) {
        vm_paths_free(vm->paths);
        runstate_done(&vm->state);
        closep(&vm->qemu_pidfd);
        closep(&vm->supervisor_pidfd);
        closep(&vm->swtpm_pidfd);
}

static int vm_open(const char *name, Vm *ret) {
        Vm vm = VM_NULL;
        int r;

        if (!vm_name_is_valid(name))
                return log_error_errno(-EINVAL, "'%s' is not a VM name", name);
        r = vm_paths_new(name, &vm.paths);
        if (r < 0)
                return log_oom();

        /* The lock, not the PID in the state file, says whether the
         * supervisor lives: a PID can be reused, a lock cannot be held by
         * the dead. Asked, not taken: a start in the same moment must not
         * find it taken. */
        r = vm_lock_held(name, &vm.supervisor_alive);
        if (r < 0) {
                vm_done(&vm);
                return log_error_errno(r, "the lock of VM %s in %s: %s%s", name, VMRUN_LOCK_DIR, STRERROR(r),
                                       r == -EACCES ? "; vmrun status needs to read it (run it as root)" : "");
        }

        r = runstate_read(vm.paths->state_file, &vm.state);
        if (r >= 0) {
                vm.have_state = true;
                /* gone or not theirs any more: the fd stays -1 */
                (void) pidfd_open_verified(vm.state.qemu_pid, vm.state.qemu_start_time, &vm.qemu_pidfd);
                (void) pidfd_open_verified(vm.state.swtpm_pid, vm.state.swtpm_start_time, &vm.swtpm_pidfd);
                /* its start time too: a reused PID is not the supervisor
                 * (an older state file without it: the lock vouches) */
                if (vm.supervisor_alive && vm.state.supervisor_start_time > 0)
                        (void) pidfd_open_verified(vm.state.supervisor_pid, vm.state.supervisor_start_time,
                                                   &vm.supervisor_pidfd);
                else if (vm.supervisor_alive)
                        vm.supervisor_pidfd = (int) syscall(SYS_pidfd_open, vm.state.supervisor_pid, 0);
        } else if (r == -EACCES)
                log_info("%s: only root may read it; `sudo vmrun status %s` shows the PIDs and the phase",
                         vm.paths->state_file, name);
        else if (r != -ENOENT)
                log_warning("%s: %s", vm.paths->state_file, r == -EBADMSG ? "not a vmrun state file" : STRERROR(r));

        *ret = vm;
        return 0;
}

static int qmp_connect_path(const char *path, Qmp **ret) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_qmp_ Qmp *q = NULL;
        int r;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return negative_errno();
        r = qmp_new(TAKE_FD(fd), &q);
        if (r < 0)
                return r;
        r = qmp_handshake(q, deadline_after(CONNECT_TIMEOUT));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(q);
        return 0;
}

static int vm_connect(const char *name, Vm *vm, Qmp **ret) {
        int r;

        if (vm->qemu_pidfd < 0)
                return log_error_errno(-ESRCH, "VM %s is not running%s", name,
                                       access(vm->paths->journal, F_OK) >= 0
                                               ? "; its host handover was not undone: run `vmrun restore` with its name"
                                               : "");
        r = qmp_connect_path(vm->paths->qmp_public, ret);
        if (r == -ETIMEDOUT)
                return log_error_errno(r, "%s: no QMP greeting within %llus; is another client connected? (QEMU serves one at a time)",
                                       vm->paths->qmp_public, (unsigned long long) (CONNECT_TIMEOUT / USEC_PER_SEC));
        if (r < 0)
                return log_error_errno(r, "QMP %s: %s", vm->paths->qmp_public, STRERROR(r));
        return 0;
}

/* Wait until QEMU is gone: it announces SHUTDOWN when it decides to exit
 * (or just closes the socket), and the pidfd says when it has. */
static int wait_qemu_gone(Vm *vm, Qmp *q, usec_t deadline) {
        int r = q ? qmp_wait_event(q, "SHUTDOWN", deadline, NULL) : 0;

        if (r < 0 && r != -ECONNRESET)
                return r;
        return vm->qemu_pidfd >= 0 ? pidfd_wait(vm->qemu_pidfd, deadline) : 0;
}

/* quit, then SIGKILL: for a guest that would not power off, or `stop`. */
static int force_stop(Vm *vm, Qmp **q) {
        int r = -ENOTCONN;

        if (*q) {
                r = qmp_execute(*q, "quit", NULL, deadline_after(COMMAND_TIMEOUT), NULL);
                if (r >= 0 || r == -ECONNRESET)
                        r = wait_qemu_gone(vm, *q, deadline_after(STOP_STEP));
                *q = qmp_free(*q);
        }
        if (r >= 0)
                return 0;
        if (vm->qemu_pidfd < 0)
                return 0;
        log_warning("QEMU (pid %d) did not quit; killing it", (int) vm->state.qemu_pid);
        if (syscall(SYS_pidfd_send_signal, vm->qemu_pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
                return log_error_errno(negative_errno(), "kill QEMU pid %d: %s", (int) vm->state.qemu_pid, strerror(errno));
        r = pidfd_wait(vm->qemu_pidfd, deadline_after(STOP_STEP));
        if (r < 0)
                return log_error_errno(r, "QEMU pid %d is still there after SIGKILL (stuck in the kernel?); see /proc/%d/stack",
                                       (int) vm->state.qemu_pid, (int) vm->state.qemu_pid);
        return 0;
}

static int powerdown(Vm *vm, Qmp **q, unsigned timeout) {
        int r;

        r = qmp_execute(*q, "system_powerdown", NULL, deadline_after(COMMAND_TIMEOUT), NULL);
        if (r < 0 && r != -ECONNRESET)
                log_warning("system_powerdown: %s", r == -EREMOTEIO ? qmp_last_error(*q) : STRERROR(r));
        else {
                log_info("asked the guest to power off; waiting up to %us", timeout);
                r = wait_qemu_gone(vm, *q, deadline_after((usec_t) timeout * USEC_PER_SEC));
                if (r >= 0) {
                        log_info("guest powered off");
                        *q = qmp_free(*q);
                        return 0;
                }
                log_warning("guest did not power off within %us; sending quit", timeout);
        }
        return force_stop(vm, q);
}

/* After QEMU: the supervisor gives the host back; wait for it to finish. */
static int wait_supervisor(const char *name, Vm *vm) {
        int r;

        if (!vm->supervisor_alive) {
                if (access(vm->paths->journal, F_OK) >= 0) {
                        log_error("the supervisor of %s is gone; run `vmrun restore %s` to give the host back", name, name);
                        return VMRUN_EXIT_RESTORE;
                }
                return 0;
        }
        if (vm->supervisor_pidfd >= 0) {
                r = pidfd_wait(vm->supervisor_pidfd, deadline_after(RESTORE_TIMEOUT));
                if (r < 0) {
                        log_error("the supervisor (pid %d) has not finished giving the host back after %llus; see its log",
                                  (int) vm->state.supervisor_pid, (unsigned long long) (RESTORE_TIMEOUT / USEC_PER_SEC));
                        return VMRUN_EXIT_RESTORE;
                }
        }
        if (access(vm->paths->journal, F_OK) >= 0) {
                log_error("the host was not fully given back (%s remains): see the supervisor's log, then run `vmrun restore %s`",
                          vm->paths->journal, name);
                return VMRUN_EXIT_RESTORE;
        }
        log_info("%s is down and the host is back", name);
        return 0;
}

/* No QEMU yet, but a supervisor handing the host over: a stop request to
 * it (SIGTERM, as ^C would be) undoes the steps done, then it exits. */
static int stop_handover(const char *name, Vm *vm) {
        if (syscall(SYS_pidfd_send_signal, vm->supervisor_pidfd, SIGTERM, NULL, 0) < 0)
                return log_error_errno(negative_errno(), "send SIGTERM to the supervisor of %s (pid %d): %s", name,
                                       (int) vm->state.supervisor_pid, strerror(errno));
        log_info("%s is %s: asked its supervisor (pid %d) to stop and give the host back", name,
                 strempty(vm->state.phase), (int) vm->state.supervisor_pid);
        return 0;
}

int control_shutdown(const char *name, const Options *o) {
        _cleanup_(vm_done) Vm vm = VM_NULL;
        _cleanup_qmp_ Qmp *q = NULL;
        int r;

        if (vm_open(name, &vm) < 0)
                return VMRUN_EXIT_FAILURE;
        if (vm.qemu_pidfd < 0 && vm.supervisor_pidfd >= 0 && vm.have_state && startswith(vm.state.phase, "handing over")) {
                if (stop_handover(name, &vm) < 0)
                        return VMRUN_EXIT_FAILURE;
                return wait_supervisor(name, &vm);
        }
        if (vm_connect(name, &vm, &q) < 0)
                return VMRUN_EXIT_FAILURE;
        r = powerdown(&vm, &q, o->timeout_set ? o->timeout : vm.state.timeout_shutdown);
        if (r < 0)
                return VMRUN_EXIT_FAILURE;
        return wait_supervisor(name, &vm);
}

int control_stop(const char *name, _unused_ const Options *o) {
        _cleanup_(vm_done) Vm vm = VM_NULL;
        _cleanup_qmp_ Qmp *q = NULL;

        if (vm_open(name, &vm) < 0)
                return VMRUN_EXIT_FAILURE;
        if (vm_connect(name, &vm, &q) < 0)
                return VMRUN_EXIT_FAILURE;
        if (force_stop(&vm, &q) < 0)
                return VMRUN_EXIT_FAILURE;
        log_info("QEMU stopped");
        return wait_supervisor(name, &vm);
}

static int status_json(const char *name, Vm *vm, json_t **ret) {
        _cleanup_qmp_ Qmp *q = NULL;
        _cleanup_json_ json_t *st = NULL;
        const char *qstatus = NULL;
        /* what only a running supervisor's state file says truly */
        bool live = vm->have_state && vm->supervisor_alive;
        json_t *j;

        if (vm->qemu_pidfd >= 0 && qmp_connect_path(vm->paths->qmp_public, &q) >= 0 &&
            qmp_execute(q, "query-status", NULL, deadline_after(COMMAND_TIMEOUT), &st) >= 0)
                qstatus = json_string_value(json_object_get(st, "status"));

        bool journal = access(vm->paths->journal, F_OK) >= 0, handed = handover_journal_lists_steps(vm->paths->journal);

        j = json_pack("{s:s, s:s*, s:b, s:o*, s:o*, s:s*, s:o*, s:s*, s:s*, s:o*, s:b, s:b, s:s*, s:s}", "name", name,
                      "profile",
                      vm->have_state ? vm->state.profile : NULL, "supervisor", vm->supervisor_alive, "supervisor_pid",
                      live ? json_integer(vm->state.supervisor_pid) : NULL,
                      "qemu_pid", vm->qemu_pidfd >= 0 ? json_integer(vm->state.qemu_pid) : NULL, "qemu_status", qstatus,
                      "swtpm_pid", vm->swtpm_pidfd >= 0 ? json_integer(vm->state.swtpm_pid) : NULL, "tap",
                      vm->qemu_pidfd >= 0 ? vm->state.tap : NULL, "unit", live ? vm->state.unit : NULL, "machine",
                      live && vm->state.unit ? json_boolean(vm->state.machine) : NULL, "handed_over", handed,
                      /* undone, but a check after it failed: not over */
                      "host_unverified", journal && !handed, "phase", live ? vm->state.phase : NULL, "qmp",
                      vm->paths->qmp_public);
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}

static const char *status_word(json_t *j) {
        bool sup = json_is_true(json_object_get(j, "supervisor"));
        bool qemu = json_object_get(j, "qemu_pid") != NULL;
        bool handed = json_is_true(json_object_get(j, "handed_over"));
        const char *qs = json_string_value(json_object_get(j, "qemu_status"));

        const char *phase = json_string_value(json_object_get(j, "phase"));

        if (qemu && sup && (!phase || streq(phase, "running")))
                return qs ? qs : "running";
        if (qemu && !sup)
                return "running without supervisor";
        /* handing over, starting QEMU, stopping, giving the host back */
        if (sup && phase)
                return phase;
        if (sup)
                return "supervised (starting, running or stopping; root sees which)";
        if (handed)
                return "stopped, host NOT restored";
        if (json_is_true(json_object_get(j, "host_unverified")))
                return "stopped, host not seen back";
        return "stopped";
}

static void status_print(json_t *j) {
        json_t *v;

        printf("%s: %s\n", json_string_value(json_object_get(j, "name")), status_word(j));
        if ((v = json_object_get(j, "profile")))
                printf("  profile     %s\n", json_string_value(v));
        if ((v = json_object_get(j, "supervisor_pid")))
                printf("  supervisor  pid %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
        if ((v = json_object_get(j, "qemu_pid")))
                printf("  qemu        pid %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
        if ((v = json_object_get(j, "unit")))
                printf("  unit        %s%s\n", json_string_value(v),
                       json_is_true(json_object_get(j, "machine")) ? " (`machinectl status` knows it)" : "");
        if ((v = json_object_get(j, "tap")))
                printf("  network     tap %s (goes with QEMU)\n", json_string_value(v));
        if ((v = json_object_get(j, "swtpm_pid")))
                printf("  swtpm       pid %" JSON_INTEGER_FORMAT " (the guest's TPM)\n", json_integer_value(v));
        if (json_object_get(j, "qemu_pid"))
                printf("  qmp         %s\n", json_string_value(json_object_get(j, "qmp")));
        if (json_is_true(json_object_get(j, "handed_over")))
                printf("  host        handed over to the VM%s\n",
                       json_is_true(json_object_get(j, "supervisor")) ? ""
                       : json_object_get(j, "qemu_pid")
                               ? "; no supervisor gives it back: `vmrun restore` with this name shuts QEMU down first"
                               : "; run `vmrun restore` with this name");
        if (json_is_true(json_object_get(j, "host_unverified")) && !json_is_true(json_object_get(j, "supervisor")))
                printf("  host        its steps were undone, but the check after them failed; run `vmrun restore` "
                       "with this name once what it named is fixed\n");
}

static bool vm_known(Vm *vm) {
        return vm->supervisor_alive || vm->qemu_pidfd >= 0 || access(vm->paths->journal, F_OK) >= 0;
}

int control_status(const char *name, const Options *o) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_json_ json_t *all = json_array();
        bool any_running = false;
        int r;

        if (!all)
                return log_oom(), VMRUN_EXIT_FAILURE;
        if (name) {
                names = calloc(2, sizeof(char *));
                if (!names || !(names[0] = strdup(name)))
                        return log_oom(), VMRUN_EXIT_FAILURE;
        } else if ((r = vm_names(&names)) < 0)
                return log_error_errno(r, "list %s: %s", vm_run_root(), STRERROR(r)), VMRUN_EXIT_FAILURE;

        for (size_t i = 0; names[i]; i++) {
                _cleanup_(vm_done) Vm vm = VM_NULL;
                json_t *j;

                if (vm_open(names[i], &vm) < 0)
                        return VMRUN_EXIT_FAILURE;
                if (!name && !vm_known(&vm))
                        continue;
                if (status_json(names[i], &vm, &j) < 0 || json_array_append_new(all, j) < 0)
                        return log_oom(), VMRUN_EXIT_FAILURE;
                any_running = any_running || vm.qemu_pidfd >= 0;
        }

        if (o->json) {
                json_t *out = name ? json_array_get(all, 0) : all;
                json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                putchar('\n');
        } else {
                size_t i;
                json_t *j;
                json_array_foreach(all, i, j)
                        status_print(j);
                if (!name && json_array_size(all) == 0)
                        printf("no VMs\n");
        }
        /* like systemctl is-active: scripts can test it */
        return name && !any_running ? VMRUN_EXIT_QUIT : 0;
}

int control_list(const Options *o) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = vm_names(&names);
        if (r < 0)
                return log_error_errno(r, "list %s: %s", vm_run_root(), STRERROR(r)), VMRUN_EXIT_FAILURE;
        if (o->json)
                return control_status(NULL, o);

        printf("%-20s %-12s %-12s %s\n", "NAME", "SUPERVISOR", "QEMU", "STATE");
        for (size_t i = 0; names[i]; i++) {
                _cleanup_(vm_done) Vm vm = VM_NULL;
                _cleanup_json_ json_t *j = NULL;
                char sup[16] = "-", qemu[16] = "-";

                if (vm_open(names[i], &vm) < 0)
                        return VMRUN_EXIT_FAILURE;
                if (!vm_known(&vm))
                        continue;
                if (status_json(names[i], &vm, &j) < 0)
                        return log_oom(), VMRUN_EXIT_FAILURE;
                if (vm.supervisor_alive && vm.have_state)
                        snprintf(sup, sizeof sup, "%d", (int) vm.state.supervisor_pid);
                if (vm.qemu_pidfd >= 0)
                        snprintf(qemu, sizeof qemu, "%d", (int) vm.state.qemu_pid);
                printf("%-20s %-12s %-12s %s\n", names[i], sup, qemu, status_word(j));
        }
        return 0;
}

int control_qmp(const char *name, const char *command, const Options *o) {
        _cleanup_(vm_done) Vm vm = VM_NULL;
        _cleanup_qmp_ Qmp *q = NULL;
        _cleanup_json_ json_t *cmd = NULL, *reply = NULL;
        json_error_t err;
        int r;

        /* a bare word is a command without arguments: `vmrun qmp win10 query-status` */
        if (command[0] == '{') {
                cmd = json_loads(command, 0, &err);
                if (!cmd)
                        return log_error("not valid JSON: %s (column %d)", err.text, err.column), VMRUN_EXIT_USAGE;
                if (!json_is_string(json_object_get(cmd, "execute")))
                        return log_error("a QMP command is an object with \"execute\": {\"execute\":\"query-status\"}"),
                               VMRUN_EXIT_USAGE;
        } else
                cmd = json_pack("{s:s}", "execute", command);
        if (!cmd)
                return log_oom(), VMRUN_EXIT_FAILURE;

        if (vm_open(name, &vm) < 0 || vm_connect(name, &vm, &q) < 0)
                return VMRUN_EXIT_FAILURE;
        r = qmp_transact(q, cmd, deadline_after(o->timeout_set ? (usec_t) o->timeout * USEC_PER_SEC : COMMAND_TIMEOUT),
                         &reply);
        if (r < 0)
                return log_error_errno(r, "QMP: %s", STRERROR(r)), VMRUN_EXIT_FAILURE;
        json_dumpf(reply, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        return json_object_get(reply, "error") ? VMRUN_EXIT_FAILURE : 0;
}

/* The host device behind each of the guest's vfio-pci devices, by id:
 * vmrun names them "gpu" and "gpu-fnN" (qemu/argv.c); QEMU knows the
 * host address as their "host" property. `devices`: a bus's devices (NULL
 * for a bridge the firmware has not numbered). */
static int vfio_hosts(Qmp *q, const json_t *devices, usec_t deadline, json_t *hosts) {
        size_t i;
        json_t *d;

        json_array_foreach(devices, i, d) {
                json_t *bridge = json_object_get(d, "pci_bridge");
                const char *id = json_string_value(json_object_get(d, "qdev_id"));
                _cleanup_json_ json_t *args = NULL, *host = NULL;
                int r;

                if (bridge) {
                        r = vfio_hosts(q, json_object_get(bridge, "devices"), deadline, hosts);
                        if (r < 0)
                                return r;
                }
                if (!id || !startswith(id, "gpu"))
                        continue;
                args = json_pack("{s:s+, s:s}", "path", "/machine/peripheral/", id, "property", "host");
                if (!args)
                        return -ENOMEM;
                r = qmp_execute(q, "qom-get", args, deadline, &host);
                if (r == -EREMOTEIO)
                        continue;       /* not a vfio-pci device after all */
                if (r < 0)
                        return r;
                if (json_is_string(host) && json_object_set(hosts, id, host) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int control_devices(const char *name, const Options *o) {
        _cleanup_(vm_done) Vm vm = VM_NULL;
        _cleanup_qmp_ Qmp *q = NULL;
        _cleanup_json_ json_t *buses = NULL, *hosts = json_object();
        usec_t deadline = deadline_after(o->timeout_set ? (usec_t) o->timeout * USEC_PER_SEC : COMMAND_TIMEOUT);
        size_t i;
        json_t *b;
        int r = 0;

        if (!hosts)
                return log_oom(), VMRUN_EXIT_FAILURE;
        if (vm_open(name, &vm) < 0 || vm_connect(name, &vm, &q) < 0)
                return VMRUN_EXIT_FAILURE;
        r = qmp_execute(q, "query-pci", NULL, deadline, &buses);
        if (r < 0)
                return log_error_errno(r, "QMP query-pci on VM %s: %s", name,
                                       r == -EREMOTEIO ? qmp_last_error(q) : STRERROR(r)), VMRUN_EXIT_FAILURE;
        if (o->json) {
                json_dumpf(buses, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                putchar('\n');
                return 0;
        }
        json_array_foreach(buses, i, b) {
                r = vfio_hosts(q, json_object_get(b, "devices"), deadline, hosts);
                if (r < 0)
                        break;
        }
        if (r < 0)
                return log_error_errno(r, "QMP qom-get on VM %s's GPU: %s", name, STRERROR(r)), VMRUN_EXIT_FAILURE;
        r = pci_tree_print(buses, hosts, stdout);
        if (r < 0)
                return log_error_errno(r, "VM %s's query-pci reply: %s", name, STRERROR(r)), VMRUN_EXIT_FAILURE;
        return 0;
}

int control_display(const char *name, const Options *o) {
        _cleanup_(vm_done) Vm vm = VM_NULL;
        _cleanup_qmp_ Qmp *q = NULL;
        _cleanup_json_ json_t *spice = NULL;
        const char *host = NULL, *target, *user;
        char hostname[256] = "";
        json_int_t port = 0;
        int enabled = 0, r;
        bool v6;

        if (vm_open(name, &vm) < 0 || vm_connect(name, &vm, &q) < 0)
                return VMRUN_EXIT_FAILURE;
        r = qmp_execute(q, "query-spice", NULL, deadline_after(COMMAND_TIMEOUT), &spice);
        if (r == -EREMOTEIO)
                return log_error("QEMU has no SPICE support: %s", qmp_last_error(q)), VMRUN_EXIT_FAILURE;
        if (r < 0)
                return log_error_errno(r, "query-spice: %s", STRERROR(r)), VMRUN_EXIT_FAILURE;
        if (json_unpack(spice, "{s:b, s?s, s?I}", "enabled", &enabled, "host", &host, "port", &port) < 0 || !enabled ||
            !host || port <= 0)
                return log_error("VM %s has no SPICE display; add [display] spice = 127.0.0.1:5900 to its profile", name),
                       VMRUN_EXIT_FAILURE;

        if (o->json) {
                json_dumpf(spice, stdout, JSON_INDENT(2));
                putchar('\n');
                return 0;
        }
        v6 = strchr(host, ':') != NULL;
        /* a SPICE server on every address is on loopback too, and the
         * tunnel's end is on this host */
        if (streq(host, "0.0.0.0") || streq(host, "::"))
                target = v6 ? "::1" : "127.0.0.1";
        else
                target = host;
        /* whoever ran sudo is who logs in over ssh, not root */
        user = getenv("SUDO_USER");
        if (!user || !*user) {
                const struct passwd *pw = getpwuid(getuid());
                user = pw ? pw->pw_name : "USER";
        }
        if (gethostname(hostname, sizeof hostname - 1) < 0 || !hostname[0])
                strcpy(hostname, "THIS-HOST");

        printf("spice://%s%s%s:%" JSON_INTEGER_FORMAT "\n", v6 ? "[" : "", host, v6 ? "]" : "", port);
        printf("From another computer, forward the port over ssh and open it there:\n"
               "  ssh -N -L %" JSON_INTEGER_FORMAT ":%s%s%s:%" JSON_INTEGER_FORMAT " %s@%s\n"
               "  remote-viewer spice://127.0.0.1:%" JSON_INTEGER_FORMAT "\n",
               port, v6 ? "[" : "", target, v6 ? "]" : "", port, user, hostname, port);
        return 0;
}

/* The devices the journal still lists, locked as a supervisor locks them:
 * a VM started meanwhile on one of them (it should have been refused)
 * must not lose it to this restore. */
static int lock_journal_devices(const char *name, const Vm *vm, DeviceLocks *locks) {
        _cleanup_strv_free_ char **devices = NULL;
        _cleanup_free_ char *holder = NULL;
        const char *busy = NULL;
        int r;

        if (handover_journal_devices(vm->paths->journal, &devices) < 0)
                return 0;       /* none, or a journal the restore itself judges */
        r = device_locks_take_all((const char *const *) devices, strv_length(devices), name, locks, &busy, &holder);
        if (r == -EBUSY)
                return log_error_errno(r, "%s is in use by VM %s, which started after %s's supervisor died; "
                                       "restoring %s now would take it from under that guest: stop %s first "
                                       "(`vmrun shutdown %s`)", busy, holder ? holder : "?", name, name,
                                       holder ? holder : "it", holder ? holder : "NAME");
        return r;
}

int control_restore(const char *name, const Options *o) {
        _cleanup_(vm_done) Vm vm = VM_NULL;
        _cleanup_close_ int lock_fd = -1;
        _cleanup_(device_locks_done) DeviceLocks device_locks = { 0 };
        _cleanup_(host_context_done) HostContext host = { .root = host_root() };
        bool had_journal;
        int r;

        if (vm_open(name, &vm) < 0)
                return VMRUN_EXIT_FAILURE;
        r = vm_lock(name, &lock_fd);
        if (r == -EBUSY) {
                log_error("the supervisor of %s is running (pid %d) and gives the host back itself when QEMU exits; "
                          "use `vmrun shutdown %s`",
                          name, vm.have_state ? (int) vm.state.supervisor_pid : 0, name);
                return VMRUN_EXIT_FAILURE;
        }
        if (r < 0)
                return log_error_errno(r, "lock VM %s: %s", name, STRERROR(r)), VMRUN_EXIT_FAILURE;
        if (lock_journal_devices(name, &vm, &device_locks) < 0)
                return VMRUN_EXIT_RESTORE;

        /* Its supervisor died but QEMU lives on and still holds the
         * devices: it has to go first, as gently as it allows. */
        if (vm.qemu_pidfd >= 0) {
                _cleanup_qmp_ Qmp *q = NULL;

                log_warning("QEMU (pid %d) of %s runs without its supervisor; shutting it down first", (int) vm.state.qemu_pid,
                            name);
                if (qmp_connect_path(vm.paths->qmp_public, &q) >= 0)
                        r = powerdown(&vm, &q, o->timeout_set ? o->timeout : vm.state.timeout_shutdown);
                else
                        r = force_stop(&vm, &q);
                if (r < 0)
                        return VMRUN_EXIT_RESTORE;
        }

        /* it ends by itself once QEMU has closed its end; one left behind
         * would hold the TPM's state for the next run */
        if (vm.swtpm_pidfd >= 0 && tpm_stop_orphan(vm.swtpm_pidfd, vm.state.swtpm_pid) < 0)
                return VMRUN_EXIT_RESTORE;

        had_journal = access(vm.paths->journal, F_OK) >= 0;
        r = handover_restore(&host, NULL, vm.paths->journal);
        (void) unlink(vm.paths->qmp_public);
        (void) unlink(vm.paths->state_file);
        if (r < 0) {
                log_error("restore of %s incomplete: fix what the errors above name and run `vmrun restore %s` again", name,
                          name);
                return VMRUN_EXIT_RESTORE;
        }
        /* the same last line as the supervisor's */
        if (had_journal)
                log_info("host restored and verified");
        return 0;
}
