/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Text that comes from outside (a profile, QEMU's and swtpm's output, QMP
 * events) on its way into the timeline: it must not get to write escape
 * sequences to the terminal of whoever reads the log over ssh. */

#include <stdbool.h>
#include <stddef.h>

/* The length of the well-formed UTF-8 sequence at s (as strict as jansson,
 * which must take every value as a JSON string: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0. Reads no further than the
 * first byte that ends it, so a NUL stops it. */
size_t utf8_sequence_length(const char *s);

bool text_is_utf8(const char *s);

/* C0 (with NUL and ESC), DEL, or C1 (U+0080 to U+009F, which terminals take
 * as escapes too) anywhere in s. */
bool text_has_control_chars(const char *s);

/* A copy of the n bytes at s with control characters and broken UTF-8
 * written as \xNN; NULL when out of memory. */
char *text_escape_n(const char *s, size_t n);
char *text_escape(const char *s);
