/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A profile read through libinih: the reader counts lines and sees the
 * section headers itself (Debian's libinih passes the handler no line
 * numbers, and reports a header only once a key follows), hands each key
 * to its item's parser, then checks what keys say together. */

#include <stdio.h>

#include "profile/profile.h"

/* Every mistake is logged as PATH:LINE; -EINVAL after them all. */
int profile_parse(const char *path, FILE *f, Profile **ret);
