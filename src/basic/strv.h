/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* NULL-terminated arrays of strings, as execv() wants them. */

#include "basic/util.h"

typedef struct Strv {
        char **v;
        size_t n;
        size_t allocated;
} Strv;

void strv_done(Strv *s);
int strv_push(Strv *s, const char *value);
int strv_pushf(Strv *s, const char *format, ...) _printf_(2, 3);
/* Take ownership of an allocated string (freed on failure too). */
int strv_consume(Strv *s, char *value);

/* Pass a JSON object as one argument (QEMU's -device/-blockdev/-object
 * JSON syntax): values never go through QEMU's comma-separated parser. */
int strv_push_json(Strv *s, json_t *object);

static inline void strv_donep(Strv *s) {
        strv_done(s);
}
#define _cleanup_strv_ _cleanup_(strv_donep)

void strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char *const *l);
/* The strings joined with `sep` between them ("" for none); NULL only when out of memory. */
char *strv_join(char *const *l, const char *sep);
/* In strcmp() order: listings read the same on every host. */
void strv_sort(char **l);
bool strv_contains(char *const *l, const char *s);
