/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Small helpers every file uses: cleanup attributes, ownership hand-over,
 * monotonic time. Nothing here logs. */

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _fallthrough_ __attribute__((fallthrough))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define assert_not_reached() \
        do {                                                                    \
                fprintf(stderr, "%s:%d: unreachable code reached\n", __FILE__, __LINE__); \
                abort();                                                        \
        } while (0)

/* Keep the first of several errors: the rest were logged where they happened. */
#define RET_GATHER(ret, r)                                      \
        do {                                                    \
                int _r_ = (r);                                  \
                if ((ret) >= 0 && _r_ < 0)                      \
                        (ret) = _r_;                            \
        } while (0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Closes and forgets: a descriptor closed twice could be another by then */
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
                *fd = -1;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void close_pairp(int (*p)[2]) {
        closep(&(*p)[0]);
        closep(&(*p)[1]);
}
#define _cleanup_close_pair_ _cleanup_(close_pairp)

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* json_decrefp() comes with jansson */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Hand over ownership: returns the value and leaves NULL / -1 behind, so the
 * cleanup attribute of the old owner does nothing. */
#define TAKE_PTR(p)                             \
        __extension__ ({                                      \
                __typeof__(p) _p_ = (p);        \
                (p) = NULL;                     \
                _p_;                            \
        })
#define TAKE_FD(fd)                             \
        __extension__ ({                                      \
                int _fd_ = (fd);                \
                (fd) = -1;                      \
                _fd_;                           \
        })

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

static inline const char *endswith(const char *s, const char *suffix) {
        size_t l = strlen(s), k = strlen(suffix);
        return l >= k && streq(s + l - k, suffix) ? s + l - k : NULL;
}

static inline const char *strempty(const char *s) {
        return s ? s : "";
}

static inline const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

/* Little-endian words at any alignment, as firmware lays them out (option
 * ROMs, ACPI tables). */
static inline uint16_t read_le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static inline uint32_t read_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* A negative errno from the return of a libc call that sets errno. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

typedef uint64_t usec_t;
#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)

static inline usec_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* Milliseconds left until an absolute monotonic deadline, for poll(). */
static inline int deadline_to_poll_ms(usec_t deadline) {
        if (deadline == USEC_INFINITY)
                return -1;
        usec_t n = now_usec();
        if (n >= deadline)
                return 0;
        usec_t ms = (deadline - n + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
        return ms > INT32_MAX ? INT32_MAX : (int) ms;
}

static inline usec_t deadline_after(usec_t usec) {
        return usec == USEC_INFINITY ? USEC_INFINITY : now_usec() + usec;
}
