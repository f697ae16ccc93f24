/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>

#include "handover/step.h"

void host_steps_done(HostSteps *s) {
        for (size_t i = 0; i < s->n; i++) {
                json_decref(s->steps[i].params);
                free(s->steps[i].summary);
        }
        free(s->steps);
        *s = (HostSteps) { 0 };
}

int host_steps_add(HostSteps *s, const HostStepType *type, json_t *params, char *summary) {
        HostStep *n;

        if (!params || !summary) {
                json_decref(params);
                free(summary);
                return -ENOMEM;
        }
        n = reallocarray(s->steps, s->n + 1, sizeof(HostStep));
        if (!n) {
                json_decref(params);
                free(summary);
                return -ENOMEM;
        }
        s->steps = n;
        s->steps[s->n++] = (HostStep) { .type = type, .params = params, .summary = summary };
        return 0;
}

const char *str_param(const json_t *j, const char *key) {
        return json_string_value(json_object_get(j, key));
}

usec_t param_seconds(const json_t *j, const char *key, unsigned fallback) {
        json_int_t t = json_integer_value(json_object_get(j, key));
        return (usec_t) (t > 0 ? (unsigned long long) t : fallback) * USEC_PER_SEC;
}

int record_new(json_t **ret, const char *format, ...) {
        va_list ap;
        json_t *j;

        va_start(ap, format);
        j = json_vpack_ex(NULL, 0, format, ap);
        va_end(ap);
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}
