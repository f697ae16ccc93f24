/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The timeline on stderr: "[  0.132s] qemu started (pid 1234)".
 *
 * Under journald (JOURNAL_STREAM names our stderr) each line carries a
 * "<N>" priority prefix instead, so `journalctl -p err` finds failures.
 * The log_*_errno() calls return the error as a negative errno:
 * `return log_error_errno(r, "open %s: %s", path, STRERROR(r));`
 * (no "%m": -Wpedantic rejects it). */

#include <syslog.h>

#include "util.h"

void log_setup(void);
void log_set_max_level(int level);
int log_get_max_level(void);

/* Seconds since log_setup(): the timeline's clock, also used for step
 * durations in reports. */
double log_elapsed(void);

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...) \
        log_internal(level, error, __FILE__, __LINE__, __func__, __VA_ARGS__)

#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, error, __VA_ARGS__)

/* A line another program wrote ("qemu: ...", "swtpm: ..."), with its
 * control characters and broken UTF-8 escaped (text_escape_n()). */
void log_foreign_line(int level, const char *who, const char *line, size_t n);

#define STRERROR(r) strerror(abs(r))

#define log_oom() log_error_errno(-ENOMEM, "out of memory")
