/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/text.h"

size_t utf8_sequence_length(const char *s) {
        const unsigned char *u = (const unsigned char *) s;
        unsigned char lo = 0x80, hi = 0xbf;
        size_t n;

        if (u[0] < 0x80)
                return 1;
        if (u[0] >= 0xc2 && u[0] <= 0xdf)
                n = 2;
        else if (u[0] >= 0xe0 && u[0] <= 0xef) {
                n = 3;
                if (u[0] == 0xe0)
                        lo = 0xa0;
                else if (u[0] == 0xed)
                        hi = 0x9f;
        } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
                n = 4;
                if (u[0] == 0xf0)
                        lo = 0x90;
                else if (u[0] == 0xf4)
                        hi = 0x8f;
        } else
                return 0;
        if (u[1] < lo || u[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (u[i] < 0x80 || u[i] > 0xbf)
                        return 0;
        return n;
}

bool text_is_utf8(const char *s) {
        for (size_t n; *s; s += n)
                if ((n = utf8_sequence_length(s)) == 0)
                        return false;
        return true;
}

static size_t control_char_length(const char *s) {
        const unsigned char *u = (const unsigned char *) s;

        if (u[0] < 0x20 || u[0] == 0x7f)
                return 1;
        if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
                return 2;
        return 0;
}

bool text_has_control_chars(const char *s) {
        for (; *s; s++)
                if (control_char_length(s) > 0)
                        return true;
        return false;
}

char *text_escape_n(const char *s, size_t n) {
        /* NUL-padded: a sequence cut at the end reads a NUL, not past it */
        char *in = calloc(n + 4, 1), *out = malloc(n * 4 + 1), *o = out;
        size_t i = 0;

        if (!in || !out) {
                free(in);
                free(out);
                return NULL;
        }
        memcpy(in, s, n);
        while (i < n) {
                size_t c = control_char_length(in + i), len = c > 0 ? c : utf8_sequence_length(in + i);

                if (c == 0 && len > 0 && i + len <= n) {
                        memcpy(o, in + i, len);
                        o += len;
                        i += len;
                        continue;
                }
                /* a control character whole, a byte of broken UTF-8 alone */
                for (size_t k = 0; k < (c > 0 ? c : 1); k++)
                        o += sprintf(o, "\\x%02x", (unsigned char) in[i++]);
        }
        *o = '\0';
        free(in);
        return out;
}

char *text_escape(const char *s) {
        return text_escape_n(s, strlen(s));
}
