/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What a profile may say: its sections, and each section's keys with
 * their parser, where the value goes, and what the error message says
 * is allowed. Data only; the parsers are in conf-parser.c. */

#include "profile/conf-parser.h"

extern const SectionInfo sections[_SECTION_MAX];
extern const ConfigItem config_items[];
extern const size_t n_config_items;

/* "[vm], [gpu], [disk] or [disk NAME], ...", for the messages */
const char *sections_to_string(char buf[static 256]);
