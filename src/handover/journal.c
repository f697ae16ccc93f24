/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/strv.h"
#include "handover/journal.h"

int journal_write(const Journal *jr, json_t *done) {
        _cleanup_json_ json_t *j = json_pack("{s:i, s:s, s:i, s:O, s:O*, s:O*}", "version", 1, "vm", jr->vm,
                                             "allow_classes", (int) jr->allow_classes, "steps", done, "expect",
                                             jr->expect, "verify", jr->verify);

        if (!j)
                return -ENOMEM;
        return json_write_atomic(jr->path, j, 0600);
}

int journal_read(const char *path, json_t **ret_json, Journal *ret, json_t **ret_done) {
        _cleanup_json_ json_t *j = NULL;
        json_error_t err;
        json_t *done = NULL, *expect = NULL, *verify = NULL;
        const char *vm = NULL;
        int version, allow = 0;

        j = json_load_file(path, 0, &err);
        if (!j) {
                if (access(path, F_OK) < 0 && errno == ENOENT)
                        return -ENOENT;
                return log_error_errno(-EBADMSG, "journal %s: %s (line %d); the host steps it listed cannot be undone automatically",
                                       path, err.text, err.line);
        }
        if (json_unpack(j, "{s:i, s:s, s?i, s:o, s?o, s?o}", "version", &version, "vm", &vm, "allow_classes", &allow,
                        "steps", &done, "expect", &expect, "verify", &verify) < 0 ||
            version != 1 || !json_is_array(done) || (verify && !json_is_array(verify)))
                return log_error_errno(-EBADMSG, "journal %s: not a vmrun journal of version 1", path);
        *ret = (Journal) { .path = path, .vm = vm, .allow_classes = (unsigned) allow, .expect = expect, .verify = verify };
        *ret_done = done;
        *ret_json = TAKE_PTR(j);
        return 0;
}

static json_t *journal_entry(const HostStep *s, const json_t *record, bool intent) {
        return json_pack("{s:s, s:s, s:O, s:b}", "type", s->type->name, "summary", s->summary, "record",
                         record ? record : json_null(), "intent", intent);
}

int journal_step(StepIntent *it, const json_t *record, bool intent) {
        json_t *entry = journal_entry(it->step, record, intent);
        int r;

        if (!entry)
                return -ENOMEM;
        r = it->journaled ? json_array_set_new(it->done, json_array_size(it->done) - 1, entry)
                          : json_array_append_new(it->done, entry);
        if (r < 0)
                return -ENOMEM;
        it->journaled = true;
        return journal_write(it->jr, it->done);
}

int step_intent(StepIntent *it, const json_t *record) {
        int r;

        if (!it)
                return 0;
        r = journal_step(it, record, true);
        if (r < 0)
                return log_error_errno(r, "write journal %s: %s", it->jr->path, STRERROR(r));
        return 0;
}

int step_intent_withdraw(StepIntent *it) {
        int r;

        if (!it || !it->journaled)
                return 0;
        if (json_array_remove(it->done, json_array_size(it->done) - 1) < 0)
                return log_oom();
        it->journaled = false;
        r = journal_write(it->jr, it->done);
        if (r < 0)
                return log_error_errno(r, "write journal %s: %s", it->jr->path, STRERROR(r));
        return 0;
}

int record_intent(StepIntent *intent, json_t **ret, const char *format, ...) {
        json_t *j;
        va_list ap;
        int r;

        va_start(ap, format);
        j = json_vpack_ex(NULL, 0, format, ap);
        va_end(ap);
        if (!j)
                return -ENOMEM;
        r = step_intent(intent, j);
        if (r < 0) {
                json_decref(j);
                return r;
        }
        *ret = j;
        return 0;
}

bool handover_journal_lists_steps(const char *journal_path) {
        _cleanup_json_ json_t *j = json_load_file(journal_path, 0, NULL);

        /* one that cannot be read may list some: restore says which */
        if (!j)
                return access(journal_path, F_OK) >= 0;
        return !json_is_array(json_object_get(j, "steps")) || json_array_size(json_object_get(j, "steps")) > 0;
}

int handover_journal_devices(const char *journal_path, char ***ret) {
        _cleanup_json_ json_t *j = json_load_file(journal_path, 0, NULL);
        _cleanup_strv_ Strv devices = { 0 };
        const json_t *entry;
        size_t i;

        if (!j)
                return access(journal_path, F_OK) < 0 ? negative_errno() : -EBADMSG;
        json_array_foreach(json_object_get(j, "steps"), i, entry) {
                const char *dev = json_string_value(json_object_get(json_object_get(entry, "record"), "device"));
                if (dev && !strv_contains(devices.v, dev) && strv_push(&devices, dev) < 0)
                        return -ENOMEM;
        }
        if (!devices.v && !(devices.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(devices.v);
        devices = (Strv) { 0 };
        return 0;
}
