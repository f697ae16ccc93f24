/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the code under test writes to stderr (the timeline), for the tests
 * that check what a user would read. Between capture_start() and
 * capture_end() stderr goes to an unlinked temporary file; assert only
 * after capture_end(), so that cmocka's own messages reach the terminal. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct Capture {
        int fd;
        int saved;
} Capture;

static inline void capture_start(Capture *c) {
        char tmp[] = "/tmp/vmrun-test-stderr.XXXXXX";

        c->fd = mkostemp(tmp, O_CLOEXEC);
        assert_true(c->fd >= 0);
        assert_int_equal(unlink(tmp), 0);
        c->saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        assert_true(c->saved >= 0);
        fflush(stderr);
        assert_int_equal(dup2(c->fd, STDERR_FILENO), STDERR_FILENO);
}

/* stderr back; what was written meanwhile, NUL-terminated (free() it) */
static inline char *capture_end(Capture *c) {
        struct stat st;
        char *text;

        fflush(stderr);
        assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
        close(c->saved);
        assert_int_equal(fstat(c->fd, &st), 0);
        text = calloc(1, (size_t) st.st_size + 1);
        assert_non_null(text);
        assert_int_equal(pread(c->fd, text, (size_t) st.st_size, 0), st.st_size);
        close(c->fd);
        return text;
}

#define assert_logged(log, needle)                                                        \
        do {                                                                              \
                if (!strstr((log), (needle)))                                             \
                        fail_msg("expected \"%s\" in the log:\n%s", (needle), (log));     \
        } while (0)

#define assert_not_logged(log, needle)                                                    \
        do {                                                                              \
                if (strstr((log), (needle)))                                              \
                        fail_msg("did not expect \"%s\" in the log:\n%s", (needle), (log)); \
        } while (0)
