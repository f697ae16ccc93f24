/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "basic/util.h"

/* mkdir -p as vmrun makes /run/vmrun/locks (0700) and /run/vmrun/alive
 * (0755): whichever comes first on a fresh host, /run/vmrun is 0755. */

static mode_t mode_of(const char *path) {
        struct stat st;

        assert_int_equal(stat(path, &st), 0);
        return st.st_mode & 07777;
}

static void test_the_missing_parents_are_0755_and_the_directory_has_its_mode(void **state) {
        char top[] = "/tmp/test-fileio.XXXXXX", path[128];
        mode_t old = umask(0);

        assert_non_null(mkdtemp(top));
        snprintf(path, sizeof path, "%s/run/vmrun/locks", top);
        assert_int_equal(mkdir_parents(path, 0700), 0);
        assert_int_equal(mode_of(path), 0700);
        snprintf(path, sizeof path, "%s/run/vmrun", top);
        assert_int_equal(mode_of(path), 0755);
        snprintf(path, sizeof path, "%s/run", top);
        assert_int_equal(mode_of(path), 0755);

        /* an existing one keeps its mode */
        snprintf(path, sizeof path, "%s/run/vmrun/alive", top);
        assert_int_equal(mkdir(path, 0711), 0);
        assert_int_equal(mkdir_parents(path, 0755), 0);
        assert_int_equal(mode_of(path), 0711);
        umask(old);

        static const char *const made[] = { "run/vmrun/alive", "run/vmrun/locks", "run/vmrun", "run", "" };
        for (size_t i = 0; i < ELEMENTSOF(made); i++) {
                snprintf(path, sizeof path, "%s/%s", top, made[i]);
                assert_int_equal(rmdir(path), 0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_missing_parents_are_0755_and_the_directory_has_its_mode),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
