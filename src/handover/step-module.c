/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/host.h"
#include "host/modules.h"
#include "handover/step-types.h"

/* unload-module: the GPU driver's modules, holders first, never forced.
 * load-module: vfio and vfio-pci, left loaded after. */

static int unload_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *name = str_param(params, "module");
        ModuleState state;
        Modules *m;
        _cleanup_json_ json_t *record = NULL;
        int r;

        r = host_modules(ctx, &m);
        if (r < 0)
                return r;
        r = module_state(m, name, &state);
        if (r < 0)
                return log_error_errno(r, "state of module %s: %s", name, STRERROR(r));
        if (state == MODULE_ABSENT) {
                log_info("module %s is not loaded, nothing to unload", name);
                return record_new(ret_record, "{s:s, s:b}", "module", name, "was_loaded", 0);
        }
        /* module_remove() takes its holders first: any of them may be gone
         * when it fails, and the undo loads the module, which loads them */
        r = record_intent(intent, &record, "{s:s, s:b}", "module", name, "was_loaded", 1);
        if (r < 0)
                return r;
        r = module_remove(m, name);
        if (r < 0)
                /* module_remove() named the refcount and holders */
                return log_error_errno(r, "unload module %s: %s", name, STRERROR(r));
        *ret_record = TAKE_PTR(record);
        return 0;
}

static int unload_undo(HostContext *ctx, const json_t *record) {
        const char *name = str_param(record, "module");
        Modules *m;
        int r;

        if (!json_is_true(json_object_get(record, "was_loaded")))
                return 0;
        r = host_modules(ctx, &m);
        if (r < 0)
                return r;
        r = module_load(m, name);
        if (r < 0)
                return log_error_errno(r, "load module %s again: %s; try `modprobe %s` and see `dmesg`", name,
                                       STRERROR(r), name);
        return 0;
}

const HostStepType step_unload_module = {
        .name = "unload-module",
        .apply = unload_apply,
        .undo = unload_undo,
};

/* No intent to journal: vfio stays loaded, whatever happens (load_undo). */
static int load_apply(HostContext *ctx, const json_t *params, _unused_ StepIntent *intent, json_t **ret_record) {
        const char *name = str_param(params, "module");
        ModuleState state;
        Modules *m;
        int r;

        r = host_modules(ctx, &m);
        if (r < 0)
                return r;
        r = module_state(m, name, &state);
        if (r < 0)
                return log_error_errno(r, "state of module %s: %s", name, STRERROR(r));
        r = module_load(m, name);
        if (r < 0)
                return log_error_errno(r, "load module %s: %s", name, STRERROR(r));
        return record_new(ret_record, "{s:s, s:b}", "module", name, "was_loaded", state != MODULE_ABSENT);
}

static int load_undo(_unused_ HostContext *ctx, const json_t *record) {
        /* vfio stays: unloading it would gain nothing and could pull it
         * from under another VM */
        log_debug("module %s stays loaded", strempty(str_param(record, "module")));
        return 0;
}

const HostStepType step_load_module = {
        .name = "load-module",
        .apply = load_apply,
        .undo = load_undo,
};
