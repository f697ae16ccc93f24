/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include <systemd/sd-login.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/parse.h"
#include "basic/strv.h"
#include "handover/handover.h"
#include "handover/steps.h"
#include "host/host.h"
#include "qemu/rom-acpi.h"
#include "qemu/tpm.h"
#include "run/preflight.h"

/* /var/lib/vmrun/NAME: root's 0711 for good. QEMU's user may pass through
 * it to the files it is given, but may not add, remove or swap an entry:
 * root makes the files in it, and a link put there could send root's
 * writes anywhere (docs/security.md). */
static int open_state_dir(const Plan *plan, int *ret_fd) {
        const char *dir = plan->paths->state_dir;
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        r = mkdir_parents(vm_state_root(), 0755);
        if (r >= 0)
                r = mkdir_parents(dir, 0711);
        if (r < 0)
                return log_error_errno(r, "create %s: %s", dir, STRERROR(r));
        fd = open(dir, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return log_error_errno(negative_errno(), "open %s: %s (a symlink is refused)", dir, strerror(errno));
        if (st.st_uid != 0)
                return log_error_errno(-EPERM, "%s belongs to uid %u, not root: QEMU's user could swap what is in it; "
                                       "after checking its contents, `chown root:root %s`", dir, (unsigned) st.st_uid,
                                       dir);
        if (fchmod(fd, 0711) < 0)
                return log_error_errno(negative_errno(), "chmod %s: %s", dir, strerror(errno));
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Between runs the VM's state is root's alone: one that others may write
 * was changed, or may be, by someone the guest must not trust (a vmrun
 * before issue 24 gave such a mode back with the file). */
static int refuse_writable(const char *path, const struct stat *st) {
        if (!(st->st_mode & S_IWOTH) && !((st->st_mode & S_IWGRP) && st->st_gid != 0))
                return 0;
        return log_error_errno(-EPERM, "%s is writable by %s (mode %04o): the guest's firmware state or TPM may "
                               "have been changed by someone else; look at it, then `chmod go-w %s`",
                               path, st->st_mode & S_IWOTH ? "anyone" : "its group", (unsigned) (st->st_mode & 07777),
                               path);
}

/* The VM's UEFI variable store, from the firmware's template the first time. */
static int prepare_vars(const Plan *plan, int dir_fd) {
        const char *name = strrchr(plan->vars, '/') + 1;
        struct stat st;
        int r;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                return refuse_writable(plan->vars, &st);
        if (!plan->firmware->vars_template)
                return log_error_errno(-ENOENT, "firmware %s has no variable store template", plan->firmware->descriptor);
        r = copy_file_new_at(plan->firmware->vars_template, dir_fd, name, 0600);
        if (r < 0)
                return log_error_errno(r, "copy UEFI variable template %s to %s: %s", plan->firmware->vars_template,
                                       plan->vars, STRERROR(r));
        log_info("UEFI variables: new store %s from %s", plan->vars, plan->firmware->vars_template);
        return 0;
}

/* swtpm's state: 0700, the TPM's secrets; an existing one is kept as it is,
 * but must be a directory, not a link to one. */
static int prepare_tpm_dir(const Plan *plan, int dir_fd) {
        const char *dir = plan->paths->tpm_dir, *name = strrchr(dir, '/') + 1;
        struct stat st;

        if (mkdirat(dir_fd, name, 0700) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "create the TPM's state directory %s: %s", dir, strerror(errno));
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return log_error_errno(negative_errno(), "%s: %s", dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(-ENOTDIR, "the TPM's state %s is not a directory (a link?); it is not followed: "
                                       "look at it, then remove it", dir);
        return refuse_writable(dir, &st);
}

int preflight_prepare_dirs(const Plan *plan) {
        const VmPaths *paths = plan->paths;
        _cleanup_close_ int state_fd = -1;
        int r;

        r = mkdir_parents(paths->run_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "create %s: %s", paths->run_dir, STRERROR(r));
        /* also when it existed: nobody but root talks to QEMU's monitor */
        if (chmod(paths->run_dir, 0700) < 0) {
                r = negative_errno();
                return log_error_errno(r, "chmod %s: %s", paths->run_dir, STRERROR(r));
        }
        r = open_state_dir(plan, &state_fd);
        if (r < 0)
                return r;
        /* the GPU's _ROM tables as the plan built them, in place of an
         * earlier run's (none at all when this one passes none) */
        r = rom_acpi_write_at(&plan->rom_acpi, state_fd, paths->state_dir, true, 0600);
        if (r < 0)
                return r;
        if (plan->firmware) {
                r = prepare_vars(plan, state_fd);
                if (r < 0)
                        return r;
        }
        if (plan->tpm_argv.n > 0)
                return prepare_tpm_dir(plan, state_fd);
        return 0;
}

void preflight_report_foreign(const HostContext *ctx, const char *dir) {
        _cleanup_strv_free_ char **files = NULL, **others = NULL;
        int r;

        r = host_list_files(ctx, dir, &files, &others);
        if (r < 0) {
                log_warning("%s: %s; look at what is there before the next run", dir, STRERROR(r));
                return;
        }
        for (size_t i = 0; others[i]; i++)
                log_warning("%s/%s is not a file of swtpm's (a link, a directory or a second name of a file, made by "
                            "QEMU's user?): left as it is, not followed, not given back; remove it",
                            dir, others[i]);
}

static bool in_state_dir(const Plan *plan, const char *path) {
        const char *rest = startswith(path, plan->paths->state_dir);
        return rest && rest[0] == '/';
}

/* What QEMU opens by name, tried as QEMU's user before anything changes.
 * The VM's files in its state directory and its disks are given to that
 * user for the run (grant steps); the rest must be readable as they are. */
int preflight_qemu_access(const Plan *plan) {
        const Profile *p = plan->profile;
        const QemuCredentials *c = &plan->qemu_user;
        _cleanup_strv_ Strv paths = { 0 }, what = { 0 };
        _cleanup_free_ int *modes = NULL, *errors = NULL;
        int r = 0;

        if (qemu_credentials_privileged(c))
                return 0;

#define WANT(w, path, mode)                                                             \
        do {                                                                            \
                if ((path) && !in_state_dir(plan, path) &&                              \
                    (strv_push(&paths, path) < 0 || strv_push(&what, w) < 0 ||          \
                     !(modes = reallocarray(modes, paths.n, sizeof(int)))))             \
                        return log_oom();                                               \
                if ((path) && !in_state_dir(plan, path))                                \
                        modes[paths.n - 1] = (mode);                                    \
        } while (0)

        /* before the first run (`vmrun check`) there is none yet: the
         * start makes it, searchable */
        if (access(vm_state_root(), F_OK) >= 0)
                WANT("its state directory's parent", vm_state_root(), X_OK);
        WANT("the kernel", p->kernel, R_OK);
        WANT("the initrd", p->initrd, R_OK);
        WANT("the vBIOS ROM", p->gpu_rom, R_OK);
        WANT("the fake battery's ACPI table", plan->battery_table, R_OK);
        if (plan->firmware)
                WANT("the UEFI firmware", plan->firmware->code, R_OK);
        if (p->accel == ACCEL_KVM)
                WANT("/dev/kvm", "/dev/kvm", R_OK | W_OK);
        for (size_t i = 0; i < p->n_disks; i++) {
                _cleanup_free_ char *dir = strdup(p->disks[i].file);
                if (!dir)
                        return log_oom();
                *strrchr(dir, '/') = '\0';
                WANT("the directory of a disk", *dir ? dir : "/", X_OK);
        }
#undef WANT
        if (paths.n == 0)
                return 0;

        r = privileges_check_access(c, paths.v, modes, paths.n, &errors);
        if (r < 0)
                return log_error_errno(r, "check what user %s can open: %s", c->user, STRERROR(r));
        r = 0;
        for (size_t i = 0; i < paths.n; i++)
                if (errors[i] != 0)
                        RET_GATHER(r, log_error_errno(-errors[i], "QEMU runs as %s and cannot %s %s %s: %s; make it %s "
                                                      "for that user (chmod, chgrp; /dev/kvm: add %s to group kvm), "
                                                      "move it into %s, or set [qemu] user = root",
                                                      c->user, modes[i] & X_OK ? "enter" : "open", what.v[i], paths.v[i],
                                                      strerror(errors[i]), modes[i] & X_OK ? "searchable" : "readable",
                                                      c->user, plan->paths->state_dir));
        return r;
}

int preflight(const Plan *plan) {
        const Profile *p = plan->profile;
        int r = 0;

        /* what an earlier run's QEMU user left in the TPM's directory: said
         * again, never followed (the plan gives none of it) */
        if (p->tpm)
                preflight_report_foreign(&(const HostContext) { .root = host_root() }, plan->paths->tpm_dir);

        /* The notes that `plan` only reports are fatal for a real start:
         * better now, with the file named, than as a QEMU error later. */
        if (access(p->qemu_binary, X_OK) < 0)
                RET_GATHER(r, log_error_errno(negative_errno(), "cannot execute %s: %s; install qemu-system-x86 or set [qemu] binary =",
                                              p->qemu_binary, strerror(errno)));
        if (p->accel == ACCEL_KVM && access("/dev/kvm", R_OK | W_OK) < 0)
                RET_GATHER(r, log_error_errno(negative_errno(), "accel = kvm, but /dev/kvm: %s; enable virtualization in the firmware setup and load kvm_intel or kvm_amd, or set [vm] accel = tcg",
                                              strerror(errno)));
        for (size_t i = 0; i < p->n_disks; i++)
                if (access(p->disks[i].file, R_OK) < 0)
                        RET_GATHER(r, log_error_errno(negative_errno(), "disk %s: %s: %s", p->disks[i].id, p->disks[i].file,
                                                      strerror(errno)));
        if (p->kernel && access(p->kernel, R_OK) < 0)
                RET_GATHER(r, log_error_errno(negative_errno(), "kernel %s: %s", p->kernel, strerror(errno)));
        if (p->initrd && access(p->initrd, R_OK) < 0)
                RET_GATHER(r, log_error_errno(negative_errno(), "initrd %s: %s", p->initrd, strerror(errno)));
        if (p->gpu_rom && access(p->gpu_rom, R_OK) < 0)
                RET_GATHER(r, log_error_errno(negative_errno(), "vBIOS ROM %s: %s; dump it with `vmrun rom dump` or fix [gpu] rom =",
                                              p->gpu_rom, strerror(errno)));
        if (p->tpm && access(SWTPM_BINARY, X_OK) < 0)
                RET_GATHER(r, log_error_errno(negative_errno(), "[vm] tpm = yes, but cannot execute %s: %s; install swtpm "
                                              "(Debian: apt install swtpm swtpm-tools), or set [vm] tpm = no",
                                              SWTPM_BINARY, strerror(errno)));
        for (size_t i = 0; i < plan->host_missing.n; i++)
                RET_GATHER(r, log_error_errno(-ENODEV, "%s", plan->host_missing.v[i]));
        if (!plan->qemu_user.user)
                RET_GATHER(r, log_error_errno(-ENOENT, "QEMU's user %s does not exist; `vmrun plan %s` says how to create it",
                                              p->qemu_user, p->name));
        else
                RET_GATHER(r, preflight_qemu_access(plan));
        RET_GATHER(r, plan_check_memlock(plan));
        RET_GATHER(r, plan_check_placement(plan));
        return r;
}

static int refuse_if_listed(const Plan *plan, const char *other, char *const *devices) {
        const Profile *p = plan->profile;

        for (size_t i = 0; i <= strv_length(plan->gpu_functions); i++) {
                const char *dev = i == 0 ? p->gpu_address : plan->gpu_functions[i - 1];
                if (strv_contains((char **) devices, dev))
                        return log_error_errno(-EBUSY, "%s is still handed over to VM %s, whose supervisor is gone "
                                               "(its journal lists it): run `vmrun restore %s` first, or %s's restore "
                                               "would take it from under %s", dev, other, other, other, p->name);
        }
        return 0;
}

int preflight_other_journals(const Plan *plan) {
        _cleanup_strv_free_ char **names = NULL;
        int r = 0;

        if (!plan->profile->has_gpu)
                return 0;
        r = vm_names(&names);
        if (r < 0)
                return log_error_errno(r, "list %s: %s", vm_run_root(), STRERROR(r));
        for (size_t i = 0; names[i]; i++) {
                _cleanup_(vm_paths_freep) VmPaths *paths = NULL;
                _cleanup_strv_free_ char **devices = NULL;

                if (streq(names[i], plan->profile->name))
                        continue;
                if (vm_paths_new(names[i], &paths) < 0)
                        return log_oom();
                if (handover_journal_devices(paths->journal, &devices) < 0)
                        continue;       /* none, or one restore itself must judge */
                RET_GATHER(r, refuse_if_listed(plan, names[i], devices));
        }
        return r;
}

int preflight_unit_instance(const char *unit, const char *vm) {
        _cleanup_free_ char *instance = NULL;
        const char *rest = unit ? startswith(unit, "vmrun@") : NULL;
        size_t l;

        if (!rest)
                return 0;
        l = strlen(rest);
        if (l < strlen(".service") || !streq(rest + l - strlen(".service"), ".service"))
                return 0;
        instance = strndup(rest, l - strlen(".service"));
        if (!instance)
                return log_oom();
        if (streq(instance, vm))
                return 0;
        return log_error_errno(-EINVAL, "this is %s, but its profile names the VM %s: the unit's ExecStopPost= "
                               "(vmrun restore %s) would not find this run's journal and leave the host handed over "
                               "after a crash; set [vm] name = %s, or name the profile /etc/vmrun/%s.profile and "
                               "start vmrun@%s",
                               unit, vm, instance, instance, vm, vm);
}

int preflight_run(const Plan *plan, HostContext *host) {
        const Profile *p = plan->profile;
        int r;

        if (access(plan->paths->journal, F_OK) >= 0) {
                log_error("%s exists: an earlier run of %s did not give the host back. Run `vmrun restore %s` first",
                          plan->paths->journal, p->name, p->name);
                return -EEXIST;
        }
        r = preflight_other_journals(plan);
        if (r < 0)
                return r;
        _cleanup_free_ char *unit = NULL;
        r = sd_pid_get_unit(0, &unit);
        r = preflight_unit_instance(r >= 0 ? unit : NULL, p->name);
        if (r < 0)
                return r;

        r = preflight_prepare_dirs(plan);
        if (r < 0)
                return r;
        r = preflight(plan);
        if (r < 0)
                return r;
        log_debug("preflight of %s: files, firmware and directories in order", p->name);
        /* everything that would stop the handover half-way and can be seen
         * without changing anything: refuse now, with the host untouched */
        r = host_precheck(host, p, plan->gpu_functions, &plan->steps);
        if (r < 0) {
                log_error("the host was not changed; fix the above (`vmrun check %s` shows it again)", p->name);
                return r;
        }
        log_debug("precheck of %s: the host would let every step run", p->name);
        return 0;
}
