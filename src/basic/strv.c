/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>

#include "basic/strv.h"

void strv_done(Strv *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (Strv) { 0 };
}

int strv_consume(Strv *s, char *value) {
        if (!value)
                return -ENOMEM;
        if (s->n + 2 > s->allocated) {
                size_t a = s->allocated ? s->allocated * 2 : 16;
                char **v = reallocarray(s->v, a, sizeof(char *));
                if (!v) {
                        free(value);
                        return -ENOMEM;
                }
                s->v = v;
                s->allocated = a;
        }
        s->v[s->n++] = value;
        s->v[s->n] = NULL;
        return 0;
}

int strv_push(Strv *s, const char *value) {
        return strv_consume(s, strdup(value));
}

int strv_pushf(Strv *s, const char *format, ...) {
        va_list ap;
        char *p;
        int r;

        va_start(ap, format);
        r = vasprintf(&p, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(s, p);
}

int strv_push_json(Strv *s, json_t *object) {
        /* JSON_COMPACT keeps it one token; key order is the insertion order,
         * so plans and tests see stable output. */
        return strv_consume(s, json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER));
}

void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

char *strv_join(char *const *l, const char *sep) {
        size_t len = 1;
        char *s, *p;

        for (size_t i = 0; l && l[i]; i++)
                len += strlen(l[i]) + (i > 0 ? strlen(sep) : 0);
        s = p = malloc(len);
        if (!s)
                return NULL;
        *p = '\0';
        for (size_t i = 0; l && l[i]; i++)
                p = stpcpy(i > 0 ? stpcpy(p, sep) : p, l[i]);
        return s;
}

bool strv_contains(char *const *l, const char *s) {
        if (l)
                for (; *l; l++)
                        if (streq(*l, s))
                                return true;
        return false;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort(char **l) {
        size_t n = strv_length(l);

        if (n > 1)
                qsort(l, n, sizeof(char *), cmp_str);
}
