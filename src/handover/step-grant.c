/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/file-attrs.h"
#include "host/host.h"
#include "handover/step-types.h"

/* grant: a file or VFIO group for the unprivileged QEMU. */

static int grant_apply(HostContext *ctx, const json_t *params, StepIntent *intent, json_t **ret_record) {
        const char *path = str_param(params, "path");
        uid_t uid = (uid_t) json_integer_value(json_object_get(params, "uid"));
        gid_t gid = (gid_t) json_integer_value(json_object_get(params, "gid"));
        _cleanup_json_ json_t *record = NULL, *attrs = NULL;
        uid_t was_uid;
        gid_t was_gid;
        int r;

        /* whose it is, and its mode and ACLs, which its owner for the run
         * may change: journaled before it changes hands */
        r = host_owner(ctx, path, &was_uid, &was_gid);
        if (r >= 0)
                r = host_file_attrs(ctx, path, &attrs);
        if (r < 0)
                return log_error_errno(r, "give %s to uid %u gid %u (the QEMU user): %s", path, (unsigned) uid,
                                       (unsigned) gid, STRERROR(r));
        r = record_intent(intent, &record, "{s:s, s:I, s:I, s:O}", "path", path, "uid_was", (json_int_t) was_uid,
                          "gid_was", (json_int_t) was_gid, "attrs_was", attrs);
        if (r < 0)
                return r;
        r = host_chown(ctx, path, uid, gid, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "give %s to uid %u gid %u (the QEMU user): %s", path, (unsigned) uid,
                                       (unsigned) gid, STRERROR(r));
        *ret_record = TAKE_PTR(record);
        return 0;
}

static int grant_undo(HostContext *ctx, const json_t *record) {
        const char *path = str_param(record, "path");
        uid_t uid = (uid_t) json_integer_value(json_object_get(record, "uid_was"));
        gid_t gid = (gid_t) json_integer_value(json_object_get(record, "gid_was"));
        int r;

        r = host_chown(ctx, path, uid, gid, NULL, NULL);
        if (r == -ENOENT) {
                /* a VFIO group node goes with the unbind, a disk may have
                 * been removed: nothing left to give back */
                log_debug("%s is gone, nothing to give back", path);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "give %s back to uid %u gid %u: %s; fix with `chown %u:%u %s`", path,
                                       (unsigned) uid, (unsigned) gid, STRERROR(r), (unsigned) uid, (unsigned) gid,
                                       path);
        /* after the chown: QEMU's user cannot change them any more */
        r = host_file_attrs_restore(ctx, path, json_object_get(record, "attrs_was"));
        if (r < 0)
                return log_error_errno(r, "put the mode and ACLs of %s back (%04llo): %s; fix with `chmod %04llo %s` "
                                       "and `setfacl -b %s`", path,
                                       (unsigned long long) json_integer_value(json_object_get(
                                               json_object_get(record, "attrs_was"), "mode")),
                                       STRERROR(r),
                                       (unsigned long long) json_integer_value(json_object_get(
                                               json_object_get(record, "attrs_was"), "mode")),
                                       path, path);
        return 0;
}

const HostStepType step_grant = {
        .name = "grant",
        .apply = grant_apply,
        .undo = grant_undo,
};
