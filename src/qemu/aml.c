/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>

#include "qemu/aml.h"

void aml_done(Aml *a) {
        free(a->data);
        *a = (Aml) { 0 };
}

static void fail(Aml *a, int error) {
        if (a->error == 0)
                a->error = error;
}

void aml_bytes(Aml *a, const void *p, size_t n) {
        if (a->error != 0 || n == 0)
                return;
        if (n > SIZE_MAX / 2 - a->size) {
                fail(a, -E2BIG);
                return;
        }
        if (a->size + n > a->allocated) {
                size_t want = a->allocated ? a->allocated : 64;
                uint8_t *d;

                while (want < a->size + n)
                        want *= 2;
                d = realloc(a->data, want);
                if (!d) {
                        fail(a, -ENOMEM);
                        return;
                }
                a->data = d;
                a->allocated = want;
        }
        memcpy(a->data + a->size, p, n);
        a->size += n;
}

void aml_byte(Aml *a, uint8_t b) {
        aml_bytes(a, &b, 1);
}

void aml_append(Aml *a, const Aml *inner) {
        if (inner->error != 0) {
                fail(a, inner->error);
                return;
        }
        aml_bytes(a, inner->data, inner->size);
}

static void put_le(uint8_t *p, uint64_t v, size_t n) {
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

void aml_integer(Aml *a, uint64_t v) {
        static const struct {
                uint64_t max;
                uint8_t prefix;
                size_t n;
        } consts[] = {
                { UINT8_MAX, AML_BYTE_PREFIX, 1 },
                { UINT16_MAX, AML_WORD_PREFIX, 2 },
                { UINT32_MAX, AML_DWORD_PREFIX, 4 },
                { UINT64_MAX, AML_QWORD_PREFIX, 8 },
        };
        uint8_t b[9];

        if (v <= 1) {
                aml_byte(a, v == 0 ? AML_ZERO_OP : AML_ONE_OP);
                return;
        }
        for (size_t i = 0;; i++)
                if (v <= consts[i].max) {
                        b[0] = consts[i].prefix;
                        put_le(b + 1, v, consts[i].n);
                        aml_bytes(a, b, consts[i].n + 1);
                        return;
                }
}

/* One NameSeg: up to four of A-Z, 0-9, '_', no digit first; padded with '_' */
static int name_seg(const char *s, size_t n, uint8_t ret[static 4]) {
        if (n == 0 || n > 4 || isdigit((unsigned char) s[0]))
                return -EINVAL;
        for (size_t i = 0; i < 4; i++) {
                char c = i < n ? s[i] : '_';
                if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '_')
                        return -EINVAL;
                ret[i] = (uint8_t) c;
        }
        return 0;
}

void aml_name(Aml *a, const char *path) {
        _cleanup_free_ uint8_t *segs = NULL;
        size_t n = 0;
        bool root = path[0] == '\\';
        const char *s = path + root;

        /* at most one segment per character */
        segs = malloc(4 * (strlen(s) + 1));
        if (!segs) {
                fail(a, -ENOMEM);
                return;
        }
        for (;;) {
                size_t l = strcspn(s, ".");
                if (name_seg(s, l, segs + 4 * n) < 0) {
                        fail(a, -EINVAL);
                        return;
                }
                n++;
                if (s[l] == '\0')
                        break;
                s += l + 1;
        }
        if (n > UINT8_MAX) {
                fail(a, -EINVAL);
                return;
        }
        if (root)
                aml_byte(a, AML_ROOT_CHAR);
        if (n == 2)
                aml_byte(a, AML_DUAL_NAME_PREFIX);
        else if (n > 2) {
                aml_byte(a, AML_MULTI_NAME_PREFIX);
                aml_byte(a, (uint8_t) n);
        }
        aml_bytes(a, segs, 4 * n);
}

void aml_local(Aml *a, unsigned n) {
        assert(n <= 7);
        aml_byte(a, (uint8_t) (AML_LOCAL0_OP + n));
}

void aml_arg(Aml *a, unsigned n) {
        assert(n <= 6);
        aml_byte(a, (uint8_t) (AML_ARG0_OP + n));
}

int aml_pkg_length(size_t length, uint8_t ret[static 4]) {
        size_t total;

        /* one byte holds 6 bits; with 1 to 3 more, the first holds the
         * low 4 and each further byte 8 more (ACPI 6.5, 20.2.4) */
        if (length + 1 <= 0x3f) {
                ret[0] = (uint8_t) (length + 1);
                return 1;
        }
        for (size_t extra = 1; extra <= 3; extra++) {
                total = length + 1 + extra;
                if (total >= 1u << (4 + 8 * extra))
                        continue;
                ret[0] = (uint8_t) ((extra << 6) | (total & 0x0f));
                for (size_t i = 1; i <= extra; i++)
                        ret[i] = (uint8_t) (total >> (4 + 8 * (i - 1)));
                return (int) (1 + extra);
        }
        return -E2BIG;
}

void aml_package(Aml *a, uint8_t op, const Aml *body) {
        uint8_t pl[4];
        int n;

        if (body->error != 0) {
                fail(a, body->error);
                return;
        }
        n = aml_pkg_length(body->size, pl);
        if (n < 0) {
                fail(a, n);
                return;
        }
        aml_byte(a, op);
        aml_bytes(a, pl, (size_t) n);
        aml_append(a, body);
}

/* OP PkgLength HEAD TERMS, the head being a name or a predicate */
static void package_with(Aml *a, uint8_t op, const Aml *head, const Aml *terms) {
        _cleanup_(aml_done) Aml body = { 0 };

        aml_append(&body, head);
        aml_append(&body, terms);
        aml_package(a, op, &body);
}

void aml_scope(Aml *a, const char *path, const Aml *terms) {
        _cleanup_(aml_done) Aml name = { 0 };

        aml_name(&name, path);
        package_with(a, AML_SCOPE_OP, &name, terms);
}

void aml_method(Aml *a, const char *name, unsigned nargs, const Aml *terms) {
        _cleanup_(aml_done) Aml head = { 0 };

        assert(nargs <= 7);
        aml_name(&head, name);
        /* MethodFlags: ArgCount in bits 0-2; not serialized, SyncLevel 0 */
        aml_byte(&head, (uint8_t) nargs);
        package_with(a, AML_METHOD_OP, &head, terms);
}

void aml_if(Aml *a, const Aml *predicate, const Aml *terms) {
        package_with(a, AML_IF_OP, predicate, terms);
}

void aml_buffer(Aml *a, const void *bytes, size_t size) {
        _cleanup_(aml_done) Aml body = { 0 };

        aml_integer(&body, size);
        aml_bytes(&body, bytes, size);
        aml_package(a, AML_BUFFER_OP, &body);
}

void aml_external(Aml *a, const char *path, uint8_t type, unsigned nargs) {
        assert(nargs <= 7);
        aml_byte(a, AML_EXTERNAL_OP);
        aml_name(a, path);
        aml_byte(a, type);
        aml_byte(a, (uint8_t) nargs);
}

/* `s` in `n` bytes, padded with NULs: -EINVAL when longer */
static int put_padded(uint8_t *p, const char *s, size_t n) {
        size_t l = strlen(s);

        if (l > n)
                return -EINVAL;
        memset(p, 0, n);
        memcpy(p, s, l);
        return 0;
}

int aml_table(const char signature[static 4], const char *oem_id, const char *oem_table_id, uint32_t oem_revision,
              const Aml *body, uint8_t **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *t = NULL;
        size_t size;
        uint8_t sum = 0;

        if (body->error != 0)
                return body->error;
        if (body->size > UINT32_MAX - AML_TABLE_HEADER_SIZE)
                return -E2BIG;
        size = AML_TABLE_HEADER_SIZE + body->size;
        t = malloc(size);
        if (!t)
                return -ENOMEM;
        memcpy(t, signature, 4);
        put_le(t + 4, size, 4);
        t[8] = 2;                                       /* revision: 64-bit integers */
        t[9] = 0;                                       /* checksum, below */
        if (put_padded(t + 10, oem_id, 6) < 0 || put_padded(t + 16, oem_table_id, 8) < 0)
                return -EINVAL;
        put_le(t + 24, oem_revision, 4);
        memcpy(t + 28, "VMRN", 4);                      /* creator ID */
        put_le(t + 32, 1, 4);                           /* creator revision */
        if (body->size > 0)
                memcpy(t + AML_TABLE_HEADER_SIZE, body->data, body->size);
        for (size_t i = 0; i < size; i++)
                sum = (uint8_t) (sum + t[i]);
        t[9] = (uint8_t) -sum;
        *ret = TAKE_PTR(t);
        *ret_size = size;
        return 0;
}
