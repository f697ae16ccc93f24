/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A fake root directory for the tests that read /sys, /proc and /dev: a
 * temporary directory with the same layout, built file by file. Device
 * nodes are symlinks to real character devices (/dev/null, /dev/zero...)
 * so that stat() through them sees a real st_rdev without mknod. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <sys/stat.h>

#include "basic/util.h"
#include "host/host.h"

typedef struct FakeRoot {
        char dir[64];
} FakeRoot;

static inline void fake_root_new(FakeRoot *f, const char *name) {
        snprintf(f->dir, sizeof(f->dir), "/tmp/test-%s.XXXXXX", name);
        assert_non_null(mkdtemp(f->dir));
}

static inline int fake_root_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

static inline void fake_root_remove(FakeRoot *f) {
        if (f->dir[0])
                (void) nftw(f->dir, fake_root_rm_one, 16, FTW_DEPTH | FTW_PHYS);
        f->dir[0] = '\0';
}

/* An empty FakeRoot as a test's state, removed after it:
 * cmocka_unit_test_setup_teardown(test, fake_root_setup, fake_root_teardown). */
static inline int fake_root_setup(void **state) {
        FakeRoot *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        fake_root_new(f, program_invocation_short_name);
        *state = f;
        return 0;
}

static inline int fake_root_teardown(void **state) {
        FakeRoot *f = *state;

        fake_root_remove(f);
        free(f);
        return 0;
}

/* A FakeRoot and a host context over it, as a test's state: for the
 * tests that only read the host. */
typedef struct FakeHost {
        FakeRoot root;
        HostContext ctx;
} FakeHost;

static inline int fake_host_setup(void **state) {
        FakeHost *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        fake_root_new(&f->root, program_invocation_short_name);
        f->ctx = (HostContext) { .root = f->root.dir };
        *state = f;
        return 0;
}

static inline int fake_host_teardown(void **state) {
        FakeHost *f = *state;

        fake_root_remove(&f->root);
        host_context_done(&f->ctx);
        free(f);
        return 0;
}

/* ROOT + path */
static inline char *fake_path(const FakeRoot *f, const char *path) {
        char *p;

        assert_true(asprintf(&p, "%s%s", f->dir, path) >= 0);
        return p;
}

static inline void fake_mkdir_p(const char *full) {
        char *copy = strdup(full);

        assert_non_null(copy);
        for (char *s = strchr(copy + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                if (mkdir(copy, 0755) < 0)
                        assert_int_equal(errno, EEXIST);
                *s = '/';
        }
        if (mkdir(copy, 0755) < 0)
                assert_int_equal(errno, EEXIST);
        free(copy);
}

static inline void fake_parent(const char *full) {
        char *copy = strdup(full);

        assert_non_null(copy);
        fake_mkdir_p(dirname(copy));
        free(copy);
}

static inline void fake_dir(const FakeRoot *f, const char *path) {
        char *full = fake_path(f, path);

        fake_mkdir_p(full);
        free(full);
}

/* A file with `content` as is (sysfs attributes end in a newline). */
static inline void fake_file(const FakeRoot *f, const char *path, const char *content) {
        char *full = fake_path(f, path);
        FILE *file;

        fake_parent(full);
        file = fopen(full, "we");
        assert_non_null(file);
        assert_int_equal(fputs(content, file) >= 0, 1);
        assert_int_equal(fclose(file), 0);
        free(full);
}

/* A file with `size` bytes of `data` (a ROM, an ACPI table). */
static inline void fake_file_bytes(const FakeRoot *f, const char *path, const void *data, size_t size) {
        char *full = fake_path(f, path);
        FILE *file;

        fake_parent(full);
        file = fopen(full, "we");
        assert_non_null(file);
        assert_int_equal(fwrite(data, 1, size, file), size);
        assert_int_equal(fclose(file), 0);
        free(full);
}

/* ROOT/path -> target (a relative target stays relative, as in sysfs). */
static inline void fake_link(const FakeRoot *f, const char *path, const char *target) {
        char *full = fake_path(f, path);

        fake_parent(full);
        (void) unlink(full);
        assert_int_equal(symlink(target, full), 0);
        free(full);
}

static inline void fake_unlink(const FakeRoot *f, const char *path) {
        char *full = fake_path(f, path);

        assert_int_equal(unlink(full), 0);
        free(full);
}

/* The content of ROOT/path, whole. */
static inline char *fake_read(const FakeRoot *f, const char *path) {
        char *full = fake_path(f, path), *buf;
        FILE *file = fopen(full, "re");
        size_t n;

        assert_non_null(file);
        buf = calloc(1, 4096);
        assert_non_null(buf);
        n = fread(buf, 1, 4095, file);
        buf[n] = '\0';
        fclose(file);
        free(full);
        return buf;
}
