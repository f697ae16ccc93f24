/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <sys/stat.h>

#include "basic/parse.h"
#include "basic/paths.h"
#include "basic/strv.h"
#include "basic/test-switch.h"

const char *vm_run_root(void) {
        const char *e = test_switch("VMRUN_RUN_DIR");
        return e && e[0] == '/' ? e : "/run/vmrun";
}

const char *vm_state_root(void) {
        const char *e = test_switch("VMRUN_STATE_DIR");
        return e && e[0] == '/' ? e : "/var/lib/vmrun";
}

const char *vm_data_dir(void) {
        const char *e = test_switch("VMRUN_DATA_DIR");
        return e && e[0] == '/' ? e : VMRUN_DATADIR;
}

int vm_data_file(const char *name, char **ret) {
        return asprintf(ret, "%s/%s", vm_data_dir(), name) < 0 ? -ENOMEM : 0;
}

VmPaths *vm_paths_free(VmPaths *p) {
        if (!p)
                return NULL;
        free(p->run_dir);
        free(p->state_dir);
        free(p->qmp_public);
        free(p->state_file);
        free(p->journal);
        free(p->console_log);
        free(p->vars);
        free(p->vars_secure);
        free(p->tpm_dir);
        free(p);
        return NULL;
}

int vm_paths_new(const char *name, VmPaths **ret) {
        _cleanup_(vm_paths_freep) VmPaths *p = calloc(1, sizeof(VmPaths));

        if (!p)
                return -ENOMEM;
        if (asprintf(&p->run_dir, "%s/%s", vm_run_root(), name) < 0 ||
            asprintf(&p->state_dir, "%s/%s", vm_state_root(), name) < 0 ||
            asprintf(&p->qmp_public, "%s/qmp.sock", p->run_dir) < 0 ||
            asprintf(&p->state_file, "%s/supervisor.json", p->run_dir) < 0 ||
            asprintf(&p->journal, "%s/journal.json", p->run_dir) < 0 ||
            asprintf(&p->console_log, "%s/console.log", p->run_dir) < 0 ||
            asprintf(&p->vars, "%s/efivars.fd", p->state_dir) < 0 ||
            asprintf(&p->vars_secure, "%s/efivars-secure.fd", p->state_dir) < 0 ||
            asprintf(&p->tpm_dir, "%s/tpm", p->state_dir) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

int vm_names(char ***ret) {
        _cleanup_strv_ Strv names = { 0 };
        _cleanup_closedir_ DIR *d = opendir(vm_run_root());
        struct dirent *de;

        if (!d && errno != ENOENT)
                return negative_errno();
        while (d && (de = readdir(d)))
                if (de->d_type == DT_DIR && vm_name_is_valid(de->d_name) && strv_push(&names, de->d_name) < 0)
                        return -ENOMEM;
        if (!names.v && !(names.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(names.v);
        names = (Strv) { 0 };
        return 0;
}
