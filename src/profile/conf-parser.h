/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The profile's value parsers (config_parse_*), and what they share with
 * the reader (reader.c): the parse state, the sections' kinds, an item's
 * shape. The tables that name the sections and keys are apart, in
 * items.c, as systemd keeps conf-parser.c apart from the tables that use
 * it. A parser says what is wrong with parse_error() and goes on, so that
 * one run names every mistake; it returns negative only when memory ran
 * out (parse_oom()). */

#include <stdio.h>

#include "profile/profile.h"

typedef struct ParseState ParseState;
typedef int (*ConfigParser)(ParseState *st, const char *value, void *field, const void *arg);

typedef enum SectionKind {
        SECTION_VM,
        SECTION_GPU,
        SECTION_DISK,
        SECTION_BOOT,
        SECTION_DISPLAY,
        SECTION_INPUT,
        SECTION_USB,
        SECTION_CPU,
        SECTION_MEMORY,
        SECTION_NETWORK,
        SECTION_HOST,
        SECTION_QEMU,
        _SECTION_MAX,
} SectionKind;

typedef struct SectionInfo {
        const char *name;
        bool repeatable;        /* [disk], [disk data], ... */
} SectionInfo;

typedef struct ConfigItem {
        SectionKind section;
        const char *key;
        ConfigParser parse;
        size_t offset;          /* into Profile, or into ProfileDisk for [disk] */
        const void *arg;        /* parser-specific: enum table, range */
        const char *allowed;    /* said in the error message */
} ConfigItem;

typedef struct Range {
        unsigned min, max;
} Range;

/* [disk NAME]: QEMU cuts an NVMe serial number after 20 characters */
#define DISK_NAME_MAX 20u

struct ParseState {
        const char *path;
        Profile *profile;
        FILE *f;

        unsigned line;          /* of the line inih is looking at */
        bool at_line_start;

        /* each "[section]" header starts a new instance, even if the name
         * repeats: that is how two [disk] sections become two disks */
        unsigned section_serial;
        unsigned section_line;
        SectionKind section_kind;
        char *section_label;    /* "system" of [disk system] */
        bool section_valid;

        unsigned handled_serial;        /* the instance keys were last added to */
        ProfileDisk *disk;              /* current [disk] */
        unsigned section_lines[_SECTION_MAX];   /* where each section last started */
        bool seen[_SECTION_MAX];

        struct {
                unsigned serial;
                char *key;
                unsigned line;
        } *keys;
        size_t n_keys;

        unsigned errors;
        bool oom;
        bool nul_reported;              /* on this line */

        const ConfigItem *item;         /* for messages */
};

/* Enough of a value to recognize it; a longer one would push the reason
 * out of a log line. */
#define QUOTE_MAX 200
/* A profile line's length, where libinih lets vmrun choose (Debian's) */
#define PROFILE_LINE_MAX (64 * 1024)

/* What every parser says when memory runs out: the load stops there. */
int parse_oom(ParseState *st);
/* PATH:LINE: [section] key: what is wrong (escaped: a profile is
 * anyone's text until it is trusted) */
void parse_error(ParseState *st, const char *format, ...) _printf_(2, 3);
/* the value quoted, why it is refused, and what the item allows */
int item_error(ParseState *st, const char *value, const char *why);

/* ConfigParsers: `field` is where the item's offset points, `arg` its
 * table or range */
int config_parse_name(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_path(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_user(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_text(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_size(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_unsigned(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_enum(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_choice(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_bool(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_pci_address(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_pci_list(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_spice(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_subsystem(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_evdev_list(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_cpu_list(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_hugepages(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_usb_list(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_ifname(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_display_manager(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_units(ParseState *st, const char *value, void *field, const void *arg);
int config_parse_allow_classes(ParseState *st, const char *value, void *field, const void *arg);
