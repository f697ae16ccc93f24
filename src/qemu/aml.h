/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A small encoder of AML, the byte code in ACPI tables (ACPI 6.5,
 * chapter 20): enough for vmrun to write an SSDT itself, with no ASL
 * compiler at run time.
 *
 * Bytes are appended to an Aml. What has a package length (Scope,
 * Method, If, Buffer) is written around an inner Aml once that is
 * finished and its length known. Errors stick: after the first failed
 * append the others do nothing and `error` says why (-ENOMEM; -EINVAL for
 * a name AML cannot hold; -E2BIG for a package of 256 MiB or more), so a
 * run of appends is checked once, at its end. */

#include "basic/util.h"

/* The opcodes vmrun writes (ACPI 6.5, 20.2) */
enum {
        AML_ZERO_OP = 0x00,             /* also the NullName of a Target: the result is not stored */
        AML_ONE_OP = 0x01,
        AML_NAME_OP = 0x08,
        AML_BYTE_PREFIX = 0x0a,
        AML_WORD_PREFIX = 0x0b,
        AML_DWORD_PREFIX = 0x0c,
        AML_QWORD_PREFIX = 0x0e,
        AML_SCOPE_OP = 0x10,
        AML_BUFFER_OP = 0x11,
        AML_METHOD_OP = 0x14,
        AML_EXTERNAL_OP = 0x15,
        AML_DUAL_NAME_PREFIX = 0x2e,
        AML_MULTI_NAME_PREFIX = 0x2f,
        AML_ROOT_CHAR = 0x5c,
        AML_LOCAL0_OP = 0x60,
        AML_ARG0_OP = 0x68,
        AML_STORE_OP = 0x70,
        AML_ADD_OP = 0x72,
        AML_CONCAT_OP = 0x73,
        AML_SUBTRACT_OP = 0x74,
        AML_DIVIDE_OP = 0x78,
        AML_SIZEOF_OP = 0x87,
        AML_LEQUAL_OP = 0x93,
        AML_LGREATER_OP = 0x94,
        AML_LLESS_OP = 0x95,
        AML_MID_OP = 0x9e,
        AML_IF_OP = 0xa0,
        AML_RETURN_OP = 0xa4,
};

/* ObjectType of an External (ACPI 6.5, 19.6.45) */
enum {
        AML_TYPE_BUFFER = 3,
        AML_TYPE_DEVICE = 6,
};

/* The largest value a PkgLength holds: 28 bits */
#define AML_PKG_LENGTH_MAX ((1u << 28) - 1)

/* An ACPI table header (ACPI 6.5, 5.2.6) */
#define AML_TABLE_HEADER_SIZE 36

typedef struct Aml {
        uint8_t *data;
        size_t size, allocated;
        int error;
} Aml;

void aml_done(Aml *a);

void aml_byte(Aml *a, uint8_t b);
void aml_bytes(Aml *a, const void *p, size_t n);
/* `inner`'s bytes, or its error */
void aml_append(Aml *a, const Aml *inner);

/* The shortest encoding: Zero, One, then Byte-, Word-, DWord-, QWordConst */
void aml_integer(Aml *a, uint64_t v);
/* A NameString: "\\_SB.PCI0.S08.S00" from the root, "VR00" from the
 * current scope. A segment shorter than four characters is padded with
 * '_' (as ASL does: "_SB" is "_SB_"); -EINVAL for a segment of more than
 * four, or not of A-Z, 0-9 and '_' with no digit first. */
void aml_name(Aml *a, const char *path);
void aml_local(Aml *a, unsigned n);     /* Local0 to Local7 */
void aml_arg(Aml *a, unsigned n);       /* Arg0 to Arg6 */

/* The PkgLength of a package whose contents after it are `length` bytes:
 * its own 1 to 4 bytes count in the value it holds. Writes them to `ret`
 * and returns how many, or -E2BIG when the whole would pass
 * AML_PKG_LENGTH_MAX. */
int aml_pkg_length(size_t length, uint8_t ret[static 4]);

/* OP PkgLength BODY: BODY is all the package holds (a Scope's name and
 * terms, an If's predicate and terms, ...). */
void aml_package(Aml *a, uint8_t op, const Aml *body);

/* Scope (PATH) { TERMS } */
void aml_scope(Aml *a, const char *path, const Aml *terms);
/* Method (NAME, NARGS, NotSerialized) { TERMS } */
void aml_method(Aml *a, const char *name, unsigned nargs, const Aml *terms);
/* If (PREDICATE) { TERMS } */
void aml_if(Aml *a, const Aml *predicate, const Aml *terms);
/* Buffer (SIZE) { BYTES } */
void aml_buffer(Aml *a, const void *bytes, size_t size);
/* External (PATH, TYPE, NARGS): a hint for disassemblers, which iasl
 * writes inside an If (Zero) that interpreters skip (ACPI before 6.0 has
 * no such opcode); so does the caller. */
void aml_external(Aml *a, const char *path, uint8_t type, unsigned nargs);

/* A table: the header (revision 2: integers are 64-bit) and `body`, the
 * checksum making its bytes sum to 0. `oem_id` and `oem_table_id` are
 * padded with NULs to 6 and 8 bytes. -EINVAL when one is longer, -E2BIG
 * beyond 4 GiB, or `body`'s error. */
int aml_table(const char signature[static 4], const char *oem_id, const char *oem_table_id, uint32_t oem_revision,
              const Aml *body, uint8_t **ret, size_t *ret_size);
