/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <sys/stat.h>

#include "host.h"
#include "host_steps.h"
#include "log.h"
#include "plan.h"
#include "qemu_argv.h"

const char *host_root(void) {
        const char *e = getenv("VMRUN_ROOT");
        return e && e[0] == '/' ? e : "/";
}

Plan *plan_free(Plan *plan) {
        if (!plan)
                return NULL;
        vm_paths_free(plan->paths);
        firmware_free(plan->firmware);
        strv_free(plan->gpu_functions);
        host_steps_done(&plan->steps);
        json_decref(plan->expect);
        strv_done(&plan->argv);
        strv_done(&plan->notes);
        free(plan);
        return NULL;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The default companions: every other function of the GPU's slot, which
 * on a laptop is the HDMI/DP audio function at .1 (and on some cards USB-C
 * and UCSI controllers at .2/.3). They share the slot's reset and almost
 * always its IOMMU group, so they have to go along anyway. */
static int resolve_gpu_functions(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_free_ char *devices = NULL, *gpu = NULL;
        _cleanup_strv_ Strv found = { 0 };
        DIR *d;
        struct dirent *de;
        size_t slot_len = strlen(p->gpu_address) - 1; /* "0000:01:00." */
        int r;

        if (p->gpu_functions) {
                char **copy = calloc(strv_length(p->gpu_functions) + 1, sizeof(char *));
                if (!copy)
                        return -ENOMEM;
                for (size_t i = 0; p->gpu_functions[i]; i++)
                        if (!(copy[i] = strdup(p->gpu_functions[i]))) {
                                strv_free(copy);
                                return -ENOMEM;
                        }
                plan->gpu_functions = copy;
                return 0;
        }

        r = host_path(ctx, "/sys/bus/pci/devices", &devices);
        if (r < 0)
                return r;
        if (asprintf(&gpu, "%s/%s", devices, p->gpu_address) < 0)
                return -ENOMEM;
        if (access(gpu, F_OK) < 0) {
                r = strv_pushf(&plan->notes,
                               "GPU %s is not present on this host, so its companion functions cannot be listed: "
                               "only the GPU itself would be passed; set [gpu] functions = to name them",
                               p->gpu_address);
                if (r < 0)
                        return r;
                plan->gpu_functions = calloc(1, sizeof(char *));
                return plan->gpu_functions ? 0 : -ENOMEM;
        }

        d = opendir(devices);
        if (!d)
                return negative_errno();
        while ((de = readdir(d)))
                if (strncmp(de->d_name, p->gpu_address, slot_len) == 0 && strlen(de->d_name) == slot_len + 1 &&
                    !streq(de->d_name, p->gpu_address)) {
                        r = strv_push(&found, de->d_name);
                        if (r < 0) {
                                closedir(d);
                                return r;
                        }
                }
        closedir(d);

        if (found.n > 0)
                qsort(found.v, found.n, sizeof(char *), cmp_str);
        else if (!(found.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        plan->gpu_functions = TAKE_PTR(found.v);
        found = (Strv) { 0 };
        return 0;
}

static int note_missing(Plan *plan, const char *what, const char *path, int mode) {
        _cleanup_free_ char *p = NULL;

        if (access(path, mode) >= 0)
                return 0;
        return strv_pushf(&plan->notes, "%s %s: %s", what, path, strerror(errno));
}

static int collect_notes(const HostContext *ctx, Plan *plan) {
        const Profile *p = plan->profile;
        _cleanup_free_ char *kvm = NULL;
        int r = 0;

        RET_GATHER(r, note_missing(plan, "QEMU binary", p->qemu_binary, X_OK));
        if (p->has_gpu) {
                _cleanup_free_ char *rel = NULL, *dev = NULL;
                if (asprintf(&rel, "/sys/bus/pci/devices/%s", p->gpu_address) < 0 || host_path(ctx, rel, &dev) < 0)
                        return -ENOMEM;
                if (access(dev, F_OK) < 0)
                        RET_GATHER(r, strv_pushf(&plan->notes, "GPU %s is not present on this host (no %s)",
                                                 p->gpu_address, dev));
        }
        if (p->accel == ACCEL_KVM) {
                if (host_path(ctx, "/dev/kvm", &kvm) < 0)
                        return -ENOMEM;
                RET_GATHER(r, note_missing(plan, "accel = kvm needs", kvm, R_OK | W_OK));
        }
        if (p->gpu_rom)
                RET_GATHER(r, note_missing(plan, "vBIOS ROM", p->gpu_rom, R_OK));
        for (size_t i = 0; i < p->n_disks; i++)
                RET_GATHER(r, note_missing(plan, "disk image", p->disks[i].file, R_OK));
        if (p->kernel)
                RET_GATHER(r, note_missing(plan, "kernel", p->kernel, R_OK));
        if (p->initrd)
                RET_GATHER(r, note_missing(plan, "initrd", p->initrd, R_OK));
        return r;
}

static const char *const *firmware_dirs(char ***ret_owned) {
        const char *e = getenv("VMRUN_FIRMWARE_DIRS");
        _cleanup_strv_ Strv dirs = { 0 };
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        *ret_owned = NULL;
        if (!e)
                return firmware_default_dirs;
        copy = strdup(e);
        if (!copy)
                return NULL;
        for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save))
                if (strv_push(&dirs, t) < 0)
                        return NULL;
        if (!dirs.v && !(dirs.v = calloc(1, sizeof(char *))))
                return NULL;
        *ret_owned = TAKE_PTR(dirs.v);
        dirs = (Strv) { 0 };
        return (const char *const *) *ret_owned;
}

int plan_new(const Profile *p, Plan **ret) {
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_strv_free_ char **owned_dirs = NULL;
        _cleanup_(host_context_done) HostContext ctx = { .root = host_root(), .allow_classes = p->allow_classes };
        int r;

        plan = calloc(1, sizeof(Plan));
        if (!plan)
                return log_oom();
        plan->profile = p;

        r = vm_paths_new(p->name, &plan->paths);
        if (r < 0)
                return log_oom();

        if (p->firmware != FIRMWARE_BIOS) {
                const char *const *dirs = firmware_dirs(&owned_dirs);
                if (!dirs)
                        return log_oom();
                r = firmware_find(dirs, p->firmware, "q35", &plan->firmware);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return log_error_errno(r, "%s: no %s firmware for q35 among QEMU's firmware descriptors "
                                               "(%s%s): install the ovmf package, or set [vm] firmware = bios",
                                               p->path, firmware_kind_to_string(p->firmware), dirs[0],
                                               dirs[0] && dirs[1] ? ", ..." : "");
        }

        if (p->has_gpu) {
                r = resolve_gpu_functions(&ctx, plan);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return log_error_errno(r, "list the functions of %s in sysfs: %s", p->gpu_address, STRERROR(r));
        }

        /* looks at the host (read-only) and logs what it cannot read */
        r = host_steps_plan(&ctx, p, plan->gpu_functions, &plan->steps, &plan->notes, &plan->expect);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return r;

        r = collect_notes(&ctx, plan);
        if (r < 0)
                return log_oom();

        QemuConfig c = {
                .profile = p,
                .firmware = plan->firmware,
                .vars = plan->paths->vars,
                .console_log = plan->paths->console_log,
                .gpu_functions = plan->gpu_functions,
        };
        r = qemu_argv_build(&c, &plan->argv);
        if (r == -E2BIG)
                return log_error_errno(r, "%s: too many devices for one slot or controller (a slot has 8 functions, "
                                       "q35's SATA controller 6 ports)", p->path);
        if (r < 0)
                return log_oom();

        *ret = TAKE_PTR(plan);
        return 0;
}

/* For display only: quote what a shell would split, so the printed line
 * can be pasted. vmrun itself never goes through a shell. */
static void print_quoted(FILE *f, const char *s) {
        if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%") == strlen(s)) {
                fputs(s, f);
                return;
        }
        fputc('\'', f);
        for (; *s; s++)
                if (*s == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*s, f);
        fputc('\'', f);
}

void plan_print(const Plan *plan, FILE *f) {
        const Profile *p = plan->profile;

        fprintf(f, "VM %s, from %s\n", p->name, p->path);
        fprintf(f, "  runtime   %s (QMP for clients: %s)\n", plan->paths->run_dir, plan->paths->qmp_public);
        fprintf(f, "  state     %s\n", plan->paths->state_dir);
        if (plan->firmware)
                fprintf(f, "  firmware  %s\n            code %s, variables %s (copied once from %s)%s\n",
                        plan->firmware->descriptor, plan->firmware->code, plan->paths->vars,
                        strempty(plan->firmware->vars_template), plan->firmware->requires_smm ? ", SMM on" : "");
        else
                fprintf(f, "  firmware  SeaBIOS (QEMU's default BIOS)\n");
        if (p->has_gpu) {
                fprintf(f, "  gpu       %s", p->gpu_address);
                for (size_t i = 0; plan->gpu_functions[i]; i++)
                        fprintf(f, " + %s", plan->gpu_functions[i]);
                fprintf(f, "%s%s\n", p->gpu_rom ? ", vBIOS " : ", no vBIOS ROM", strempty(p->gpu_rom));
        }

        fprintf(f, "\nHost steps (%zu):\n", plan->steps.n);
        if (plan->steps.n == 0)
                fprintf(f, "  none: nothing on the host changes\n");
        for (size_t i = 0; i < plan->steps.n; i++)
                fprintf(f, "  %2zu. %s\n", i + 1, plan->steps.steps[i].summary);

        fprintf(f, "\nQEMU command line (exec'd directly, no shell):\n  ");
        for (size_t i = 0; i < plan->argv.n; i++) {
                const char *a = plan->argv.v[i];
                if (i > 0)
                        fputs(a[0] == '-' ? " \\\n    " : " ", f);
                print_quoted(f, a);
        }
        fprintf(f, "\n  with fd %d: the supervisor's QMP connection (one end of a socket pair)\n"
                   "       fd %d: QMP for clients, listening on %s (mode 0600)\n",
                QEMU_FD_QMP_SUPERVISOR, QEMU_FD_QMP_PUBLIC, plan->paths->qmp_public);

        if (plan->notes.n > 0) {
                fprintf(f, "\nCould not check on this host:\n");
                for (size_t i = 0; i < plan->notes.n; i++)
                        fprintf(f, "  - %s\n", plan->notes.v[i]);
        }
}

static json_t *strv_to_json(char *const *l) {
        json_t *a = json_array();

        for (size_t i = 0; a && l && l[i]; i++)
                if (json_array_append_new(a, json_string(l[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

int plan_to_json(const Plan *plan, json_t **ret) {
        const Profile *p = plan->profile;
        _cleanup_json_ json_t *j = NULL, *steps = json_array();

        if (!steps)
                return -ENOMEM;
        for (size_t i = 0; i < plan->steps.n; i++)
                if (json_array_append_new(steps, json_pack("{s:s, s:s, s:O}", "type", plan->steps.steps[i].type->name,
                                                           "summary", plan->steps.steps[i].summary, "params",
                                                           plan->steps.steps[i].params)) < 0)
                        return -ENOMEM;

        j = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:O, s:o, s:o}",
                      "name", p->name, "profile", p->path,
                      "paths", "run", plan->paths->run_dir, "state", plan->paths->state_dir, "qmp", plan->paths->qmp_public,
                      "journal", plan->paths->journal,
                      "host_steps", steps,
                      "argv", strv_to_json(plan->argv.v),
                      "notes", strv_to_json(plan->notes.v));
        if (!j)
                return -ENOMEM;
        if (plan->firmware &&
            json_object_set_new(j, "firmware", json_pack("{s:s, s:s, s:s?, s:s, s:b}", "descriptor",
                                                         plan->firmware->descriptor, "code", plan->firmware->code,
                                                         "vars_template", plan->firmware->vars_template, "vars",
                                                         plan->paths->vars, "smm", plan->firmware->requires_smm)) < 0)
                return -ENOMEM;
        if (p->has_gpu && json_object_set_new(j, "gpu", json_pack("{s:s, s:o, s:s?}", "address", p->gpu_address,
                                                                   "functions", strv_to_json(plan->gpu_functions),
                                                                   "rom", p->gpu_rom)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}
