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

#include "basic/util.h"

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

/* Another program's output (QEMU's, swtpm's: the read end of a pipe, non-
 * blocking), logged as warnings line by line: "who: line", without the
 * "who: " the program may put in front itself, control characters and
 * broken UTF-8 escaped (text_escape_n()). */
typedef struct ForeignOutput {
        const char *who;
        int fd;                 /* -1 once it has ended */
        size_t len;
        char buf[4096];
} ForeignOutput;

/* Log what can be read now. false at its end, when fd is closed (and so
 * out of any epoll set) and -1. */
bool foreign_output_read(ForeignOutput *o);

#define STRERROR(r) strerror(abs(r))

#define log_oom() log_error_errno(-ENOMEM, "out of memory")
