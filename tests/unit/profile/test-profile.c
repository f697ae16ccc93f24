/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "skip.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "basic/parse.h"
#include "capture.h"
#include "basic/log.h"
#include "profile/profile.h"
#include "basic/strv.h"

/* The profile's path decides the default name ("test") and starts every
 * error message. */
#define PATH "/etc/vmrun/test.profile"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

/* ---- helpers ---- */

/* profile_load_string() with stderr going to a temporary file: returns
 * what the user would have seen in *ret_log. Asserts only after stderr is
 * back, so a failure is printed where it can be read. */
static int load_logged(const char *path, const char *text, Profile **ret, char **ret_log) {
        Capture c;
        int r;

        capture_start(&c);
        r = profile_load_string(path, text, ret);
        *ret_log = capture_end(&c);
        return r;
}

/* A profile that must be refused: returns the log that explains why. */
static char *load_error(const char *text) {
        Profile *p = NULL;
        char *log = NULL;
        int r;

        r = load_logged(PATH, text, &p, &log);
        if (r != -EINVAL || p) {
                profile_free(p);
                fail_msg("expected -EINVAL, got %d; the log:\n%s", r, log);
        }
        return log;
}

static Profile *load_ok(const char *text) {
        Profile *p = NULL;
        char *log = NULL;
        int r;

        r = load_logged(PATH, text, &p, &log);
        if (r != 0 || !p)
                fail_msg("expected success, got %d; the log:\n%s", r, log);
        free(log);
        return p;
}



static void assert_refused(const char *text) {
        _cleanup_free_ char *log = load_error(text);
        assert_logged(log, "error: " PATH ":");
}

/* ---- defaults ---- */

static void test_an_empty_profile_gives_the_defaults(void **state) {
        _cleanup_profile_ Profile *p = load_ok("");

        assert_string_equal(p->path, PATH);
        assert_string_equal(p->name, "test");
        assert_int_equal(p->memory, 2 * GiB);
        assert_int_equal(p->cpus, 2);
        assert_int_equal(p->accel, ACCEL_KVM);
        assert_int_equal(p->firmware, FIRMWARE_UEFI);
        assert_false(p->has_gpu);
        assert_null(p->gpu_address);
        assert_null(p->gpu_functions);
        assert_null(p->gpu_rom);
        assert_int_equal(p->n_disks, 0);
        assert_null(p->kernel);
        assert_null(p->initrd);
        assert_null(p->append);
        assert_null(p->spice_address);
        assert_int_equal(p->network, NETWORK_USER);
        assert_null(p->bridge);
        assert_string_equal(p->qemu_binary, "/usr/bin/qemu-system-x86_64");
        assert_int_equal(p->timeout_shutdown, 120);
        assert_int_equal(p->os, GUEST_OS_OTHER);
        assert_false(p->gpu_fake_battery);
        assert_int_equal(p->gpu_subsystem, GPU_SUBSYSTEM_HOST);
        assert_int_equal(p->gpu_rom_acpi, GPU_ROM_ACPI_AUTO);
}

static void test_comments_and_blank_lines_alone_give_the_defaults(void **state) {
        _cleanup_profile_ Profile *p = load_ok("; a comment\n"
                                               "# another\n"
                                               "\n"
                                               "   \n"
                                               "[vm]\n"
                                               "; nothing set\n");

        assert_int_equal(p->memory, 2 * GiB);
        assert_int_equal(p->cpus, 2);
}

static void test_the_name_defaults_to_the_file_name_without_dot_profile(void **state) {
        Profile *p = NULL;

        assert_int_equal(profile_load_string("/somewhere/else/win10.profile", "", &p), 0);
        assert_string_equal(p->name, "win10");
        p = profile_free(p);

        /* only the ".profile" suffix goes */
        assert_int_equal(profile_load_string("/somewhere/gaming.vm", "", &p), 0);
        assert_string_equal(p->name, "gaming.vm");
        p = profile_free(p);
}

static void test_a_file_name_that_is_no_vm_name_needs_a_name_key(void **state) {
        _cleanup_free_ char *log = NULL;
        Profile *p = NULL;

        assert_int_equal(load_logged("/tmp/my vm.profile", "", &p, &log), -EINVAL);
        assert_null(p);
        assert_logged(log, "set [vm] name =");

        assert_int_equal(profile_load_string("/tmp/my vm.profile", "[vm]\nname = myvm\n", &p), 0);
        assert_string_equal(p->name, "myvm");
        p = profile_free(p);
}

/* ---- a whole profile ---- */

#define LAPTOP_PROFILE                                          \
        "; the laptop: an RTX 4060 Mobile and its audio function\n" \
        "[vm]\n"                                                \
        "name = win10\n"                                        \
        "memory = 16G\n"                                        \
        "cpus = 8\n"                                            \
        "accel = kvm\n"                                         \
        "firmware = uefi-secure\n"                              \
        "os = windows\n"                                        \
        "\n"                                                    \
        "[gpu]\n"                                               \
        "address = 0000:01:00.0\n"                              \
        "functions = 01:00.1\n"                                 \
        "rom = /var/lib/vmrun/win10/vbios.rom\n"                \
        "fake-battery = yes\n"                                  \
        "subsystem = 17aa:3c3e\n"                               \
        "\n"                                                    \
        "[disk system]\n"                                       \
        "file = /var/lib/vmrun/win10/disk.qcow2\n"              \
        "interface = nvme\n"                                    \
        "\n"                                                    \
        "[display]\n"                                           \
        "spice = 127.0.0.1:5900\n"                              \
        "\n"                                                    \
        "[network]\n"                                           \
        "mode = user\n"                                         \
        "\n"                                                    \
        "[qemu]\n"                                              \
        "binary = /usr/bin/qemu-system-x86_64\n"                \
        "timeout-shutdown = 90\n"

static void test_the_laptop_profile_is_read_whole(void **state) {
        _cleanup_profile_ Profile *p = load_ok(LAPTOP_PROFILE);

        assert_string_equal(p->name, "win10");
        assert_int_equal(p->memory, 16 * GiB);
        assert_int_equal(p->cpus, 8);
        assert_int_equal(p->accel, ACCEL_KVM);
        assert_int_equal(p->firmware, FIRMWARE_UEFI_SECURE);

        assert_true(p->has_gpu);
        assert_string_equal(p->gpu_address, "0000:01:00.0");
        assert_non_null(p->gpu_functions);
        assert_string_equal(p->gpu_functions[0], "0000:01:00.1");
        assert_null(p->gpu_functions[1]);
        assert_string_equal(p->gpu_rom, "/var/lib/vmrun/win10/vbios.rom");
        assert_int_equal(p->os, GUEST_OS_WINDOWS);
        assert_true(p->gpu_fake_battery);
        assert_int_equal(p->gpu_subsystem, GPU_SUBSYSTEM_SET);
        assert_int_equal(p->gpu_subsystem_vendor, 0x17aa);
        assert_int_equal(p->gpu_subsystem_device, 0x3c3e);

        assert_int_equal(p->n_disks, 1);
        assert_string_equal(p->disks[0].id, "system");
        assert_string_equal(p->disks[0].file, "/var/lib/vmrun/win10/disk.qcow2");
        assert_string_equal(p->disks[0].format, "qcow2");
        assert_int_equal(p->disks[0].interface, DISK_NVME);
        assert_false(p->disks[0].read_only);

        assert_string_equal(p->spice_address, "127.0.0.1");
        assert_int_equal(p->spice_port, 5900);
        assert_int_equal(p->network, NETWORK_USER);
        assert_null(p->bridge);
        assert_string_equal(p->qemu_binary, "/usr/bin/qemu-system-x86_64");
        assert_int_equal(p->timeout_shutdown, 90);
}

static void test_profile_load_reads_a_file_and_names_the_vm_after_it(void **state) {
        char dir[] = "/tmp/test-profile.XXXXXX";
        _cleanup_free_ char *path = NULL;
        _cleanup_profile_ Profile *p = NULL;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&path, "%s/gaming.profile", dir) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_true(fputs("[vm]\nmemory = 8G\n[gpu]\naddress = 01:00.0\n", f) >= 0);
        assert_int_equal(fclose(f), 0);

        assert_int_equal(profile_load(path, &p), 0);
        assert_string_equal(p->path, path);
        assert_string_equal(p->name, "gaming");
        assert_int_equal(p->memory, 8 * GiB);
        assert_string_equal(p->gpu_address, "0000:01:00.0");

        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_profile_load_of_a_missing_file_is_enoent(void **state) {
        Profile *p = NULL;

        assert_int_equal(profile_load("/nonexistent/vmrun/none.profile", &p), -ENOENT);
        assert_null(p);
}

/* ---- who may have written it (as root: sshd's StrictModes) ---- */

/* profile_check_trusted() of `path` as root would call it. */
static int trusted(const char *path, char **ret_log) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        Capture c;
        int r;

        assert_true(fd >= 0);
        capture_start(&c);
        r = profile_check_trusted(fd, path, 0);
        *ret_log = capture_end(&c);
        return r;
}

/* A fresh directory under /tmp with `mode` and `owner`. */
static char *make_dir(mode_t mode, uid_t owner) {
        char *dir = strdup("/tmp/test-profile-trust.XXXXXX");

        assert_non_null(dir);
        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, mode), 0);
        assert_int_equal(chown(dir, owner, (gid_t) -1), 0);
        return dir;
}

/* DIR/NAME: a profile with `mode` and `owner`. */
static char *make_profile(const char *dir, const char *name, mode_t mode, uid_t owner) {
        char *path = NULL;
        int fd;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_true(write(fd, "[vm]\nmemory = 1G\n", 17) == 17);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(fchown(fd, owner, (gid_t) -1), 0);
        assert_int_equal(close(fd), 0);
        return path;
}

static void remove_tree(const char *dir) {
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                execl("/bin/rm", "rm", "-rf", "--", dir, (char *) NULL);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A profile file with `file_mode` and `owner` in a fresh directory with
 * `dir_mode`, checked as root would check it; returns the check's result
 * and, in *ret_log, what it said. */
static int check_trusted(mode_t dir_mode, mode_t file_mode, uid_t owner, char **ret_log) {
        _cleanup_free_ char *dir = make_dir(dir_mode, 0), *path = make_profile(dir, "win10.profile", file_mode, owner);
        int r = trusted(path, ret_log);

        remove_tree(dir);
        return r;
}

static void test_a_profile_of_root_writable_only_by_root_is_trusted(void **state) {
        _cleanup_free_ char *log = NULL;

        if (geteuid() != 0)
                skip_because("it needs root");
        assert_int_equal(check_trusted(0755, 0644, 0, &log), 0);
        assert_string_equal(log, "");
}

static void test_a_profile_owned_by_another_user_is_refused_with_the_chown_to_fix_it(void **state) {
        _cleanup_free_ char *log = NULL;

        if (geteuid() != 0)
                skip_because("it needs root");
        assert_int_equal(check_trusted(0755, 0644, 65534, &log), -EPERM);
        assert_logged(log, "it is owned by uid 65534, not by root; whoever can edit it can make vmrun, running as root,");
        assert_logged(log, "Fix: chown root:root /tmp/test-profile-trust.");
        assert_logged(log, "/win10.profile; chmod go-w /tmp/test-profile-trust.");
}

static void test_a_profile_its_group_or_everyone_may_write_is_refused(void **state) {
        _cleanup_free_ char *log = NULL, *log2 = NULL;

        if (geteuid() != 0)
                skip_because("it needs root");
        assert_int_equal(check_trusted(0755, 0664, 0, &log), -EPERM);
        assert_logged(log, "writable by its group (mode 0664)");
        assert_logged(log, "Fix: chmod go-w /tmp/test-profile-trust.");
        assert_int_equal(check_trusted(0755, 0646, 0, &log2), -EPERM);
        assert_logged(log2, "writable by everyone (mode 0646)");
}

static void test_a_profile_in_a_directory_anyone_may_write_is_refused_unless_sticky(void **state) {
        _cleanup_free_ char *log = NULL, *sticky = NULL;

        if (geteuid() != 0)
                skip_because("it needs root");
        assert_int_equal(check_trusted(0777, 0644, 0, &log), -EPERM);
        assert_logged(log, "is writable by everyone (mode 0777) without the sticky bit");
        assert_logged(log, "Fix: chmod go-w /tmp/test-profile-trust.");
        /* /tmp's shape: others cannot replace a file that is not theirs */
        assert_int_equal(check_trusted(01777, 0644, 0, &sticky), 0);
}

/* Its owner may rename what is in it, even with nobody else allowed to write. */
static void test_a_profile_in_a_directory_of_another_user_is_refused(void **state) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *log = NULL;

        if (geteuid() != 0)
                skip_because("it needs root");
        dir = make_dir(0755, 65534);
        path = make_profile(dir, "win10.profile", 0644, 0);
        assert_int_equal(trusted(path, &log), -EPERM);
        remove_tree(dir);
        assert_logged(log, "belongs to uid 65534, who can replace what is in it. Fix: chown root:root /tmp/test-profile-trust.");
}

/* Whoever may rename a directory above it can put another in its place. */
static void test_a_directory_anyone_may_write_higher_up_is_refused(void **state) {
        _cleanup_free_ char *top = NULL, *sub = NULL, *path = NULL, *log = NULL, *want = NULL;

        if (geteuid() != 0)
                skip_because("it needs root");
        top = make_dir(0777, 0);
        assert_true(asprintf(&sub, "%s/vms", top) > 0);
        assert_int_equal(mkdir(sub, 0755), 0);
        path = make_profile(sub, "win10.profile", 0644, 0);
        assert_int_equal(trusted(path, &log), -EPERM);
        remove_tree(top);
        assert_true(asprintf(&want, "the directory %s is writable by everyone (mode 0777)", top) > 0);
        assert_logged(log, want);
}

/* A symlink is as safe as the directory it is in and the file it leads to,
 * with every directory above both. */
static void test_a_symlink_is_judged_by_where_it_leads_and_where_it_is(void **state) {
        _cleanup_free_ char *safe = NULL, *open_dir = NULL, *target_ok = NULL, *target_bad = NULL, *link_ok = NULL,
                           *link_to_bad = NULL, *link_in_bad = NULL, *log = NULL, *log2 = NULL, *log3 = NULL,
                           *want = NULL;

        if (geteuid() != 0)
                skip_because("it needs root");
        safe = make_dir(0755, 0);
        open_dir = make_dir(0777, 0);
        target_ok = make_profile(safe, "real.profile", 0644, 0);
        target_bad = make_profile(open_dir, "real.profile", 0644, 0);
        assert_true(asprintf(&link_ok, "%s/ok.profile", safe) > 0);
        assert_true(asprintf(&link_to_bad, "%s/win10.profile", safe) > 0);
        assert_true(asprintf(&link_in_bad, "%s/win10.profile", open_dir) > 0);
        assert_int_equal(symlink(target_ok, link_ok), 0);
        assert_int_equal(symlink(target_bad, link_to_bad), 0);
        assert_int_equal(symlink(target_ok, link_in_bad), 0);

        assert_int_equal(trusted(link_ok, &log), 0);
        assert_int_equal(trusted(link_to_bad, &log2), -EPERM);
        assert_int_equal(trusted(link_in_bad, &log3), -EPERM);
        remove_tree(safe);
        remove_tree(open_dir);

        assert_string_equal(log, "");
        assert_true(asprintf(&want, "the directory %s is writable by everyone", open_dir) > 0);
        assert_logged(log2, want);
        assert_logged(log3, want);
}

/* The check is the caller's choice, so that it can be tested both ways;
 * profile_load() makes it for root. */
static void test_profile_load_full_refuses_an_untrusted_profile_only_when_strict(void **state) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *log = NULL;
        _cleanup_profile_ Profile *p = NULL;
        Profile *refused = NULL;
        Capture c;
        int r;

        if (geteuid() != 0)
                skip_because("it needs root");
        dir = make_dir(0700, 0);
        path = make_profile(dir, "open.profile", 0666, 0);

        assert_int_equal(profile_load_full(path, 0, &p), 0);
        assert_int_equal(p->memory, 1 * GiB);

        capture_start(&c);
        r = profile_load_full(path, PROFILE_LOAD_STRICT_MODES, &refused);
        log = capture_end(&c);
        remove_tree(dir);
        assert_int_equal(r, -EPERM);
        assert_null(refused);
        assert_logged(log, "refusing profile /tmp/test-profile-trust.");
        assert_logged(log, "it is writable by everyone (mode 0666)");
        assert_logged(log, "Fix: chmod go-w");
}

/* The entry point main() calls: run as root (as these tests are), it makes
 * the check itself, so no caller can forget to ask for it. */
static void test_profile_load_as_root_refuses_a_profile_of_another_user_or_writable_by_others(void **state) {
        _cleanup_free_ char *dir = NULL, *foreign = NULL, *open_to_all = NULL, *log = NULL, *log2 = NULL;
        Profile *p = NULL, *p2 = NULL;
        Capture c;
        int r, r2;

        if (geteuid() != 0)
                skip_because("it needs root");
        dir = make_dir(0755, 0);
        foreign = make_profile(dir, "foreign.profile", 0644, 65534);
        open_to_all = make_profile(dir, "open.profile", 0646, 0);

        capture_start(&c);
        r = profile_load(foreign, &p);
        log = capture_end(&c);
        capture_start(&c);
        r2 = profile_load(open_to_all, &p2);
        log2 = capture_end(&c);
        remove_tree(dir);

        assert_int_equal(r, -EPERM);
        assert_null(p);
        assert_logged(log, "refusing profile /tmp/test-profile-trust.");
        assert_logged(log, "it is owned by uid 65534, not by root");
        assert_int_equal(r2, -EPERM);
        assert_null(p2);
        assert_logged(log2, "it is writable by everyone (mode 0646)");
}

/* ---- [vm] ---- */

static void test_sizes_take_k_m_g_t_suffixes_in_either_case(void **state) {
        static const struct {
                const char *text;
                uint64_t bytes;
        } cases[] = {
                { "1024", 1024 },
                { "0", 0 },
                { "64K", 64ULL << 10 },
                { "512M", 512 * MiB },
                { "512m", 512 * MiB },
                { "16G", 16 * GiB },
                { "16g", 16 * GiB },
                { "1T", 1ULL << 40 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t v = 1;

                assert_int_equal(parse_size(cases[i].text, &v), 0);
                assert_int_equal(v, cases[i].bytes);
        }
}

static void test_16g_16gib_and_16gb_all_mean_16_gibibytes_as_in_qemu(void **state) {
        static const char *const spellings[] = { "16G", "16GiB", "16GB", "16gib", "16gb", "16Gi" };

        for (size_t i = 0; i < ELEMENTSOF(spellings); i++) {
                uint64_t v = 0;

                assert_int_equal(parse_size(spellings[i], &v), 0);
                assert_int_equal(v, 16 * GiB);
        }
}

static void test_parse_size_rejects_what_is_not_a_size(void **state) {
        static const char *const bad[] = {
                "", "G", "-1", "+1G", " 16G", "16 G", "16G ", "1.5G", "16X", "16GiBs", "16iB", "16GG", "0x10", "sixteen",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                uint64_t v = 42;

                if (parse_size(bad[i], &v) != -EINVAL)
                        fail_msg("parse_size(\"%s\") should be -EINVAL", bad[i]);
                assert_int_equal(v, 42);
        }
}

static void test_parse_size_rejects_sizes_that_do_not_fit_64_bits(void **state) {
        uint64_t v = 42;

        assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_size("17179869184G", &v), -ERANGE);     /* 2^64 */
        assert_int_equal(v, 42);
        assert_int_equal(parse_size("17179869183G", &v), 0);
        assert_int_equal(v, 17179869183ULL << 30);
}

static void test_memory_in_the_profile_is_a_size(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[vm]\nmemory = 16GiB\n");

        assert_int_equal(p->memory, 16 * GiB);
}

static void test_memory_that_is_no_size_or_below_64m_is_an_error(void **state) {
        _cleanup_free_ char *log = NULL, *log2 = NULL;

        log = load_error("[vm]\nmemory = lots\n");
        assert_logged(log, PATH ":2: [vm] memory: 'lots' is not a size; allowed: ");
        assert_logged(log, "K, M, G or T");

        log2 = load_error("[vm]\nmemory = 63M\n");
        assert_logged(log2, PATH ":2: [vm] memory: '63M' is less than 64M");
}

static void test_memory_is_whole_mib_up_to_16t(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[vm]\nmemory = 16T\n");
        _cleanup_free_ char *log = NULL, *log2 = NULL;

        assert_int_equal(p->memory, 16ULL << 40);
        log = load_error("[vm]\nmemory = 17T\n");
        assert_logged(log, PATH ":2: [vm] memory: '17T' is more than 16T; allowed: ");
        /* -m takes MiB: 65537K would silently become 64M */
        log2 = load_error("[vm]\nmemory = 65537K\n");
        assert_logged(log2, PATH ":2: [vm] memory: '65537K' is not a whole number of MiB");
}

static void test_cpus_must_be_1_to_1024(void **state) {
        static const char *const bad[] = { "0", "1025", "-1", "two", "4x", "" };
        _cleanup_profile_ Profile *p = load_ok("[vm]\ncpus = 1024\n");
        _cleanup_free_ char *log = NULL;

        assert_int_equal(p->cpus, 1024);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL;

                assert_true(asprintf(&text, "[vm]\ncpus = %s\n", bad[i]) > 0);
                assert_refused(text);
        }
        log = load_error("[vm]\ncpus = 0\n");
        assert_logged(log, PATH ":2: [vm] cpus: '0' is out of range; allowed: 1 to 1024");
}

static void test_accel_and_firmware_take_their_listed_values(void **state) {
        _cleanup_profile_ Profile *tcg = load_ok("[vm]\naccel = tcg\nfirmware = bios\n");
        _cleanup_profile_ Profile *uefi = load_ok("[vm]\nfirmware = uefi\n");
        _cleanup_free_ char *log = NULL;

        assert_int_equal(tcg->accel, ACCEL_TCG);
        assert_int_equal(tcg->firmware, FIRMWARE_BIOS);
        assert_int_equal(uefi->firmware, FIRMWARE_UEFI);

        log = load_error("[vm]\naccel = hvf\nfirmware = coreboot\n");
        assert_logged(log, PATH ":2: [vm] accel: 'hvf' is not known; allowed: kvm, tcg");
        assert_logged(log, PATH ":3: [vm] firmware: 'coreboot' is not known; allowed: uefi, uefi-secure, bios");
}

static void test_os_is_windows_linux_or_other(void **state) {
        _cleanup_profile_ Profile *w = load_ok("[vm]\nos = windows\n");
        _cleanup_profile_ Profile *l = load_ok("[vm]\nos = linux\n");
        _cleanup_profile_ Profile *o = load_ok("[vm]\nos = other\n");
        _cleanup_free_ char *log = NULL;

        assert_int_equal(w->os, GUEST_OS_WINDOWS);
        assert_int_equal(l->os, GUEST_OS_LINUX);
        assert_int_equal(o->os, GUEST_OS_OTHER);
        assert_string_equal(guest_os_to_string(GUEST_OS_WINDOWS), "windows");
        assert_null(guest_os_to_string(_GUEST_OS_MAX));

        log = load_error("[vm]\nname = x\nos = win11\n");
        assert_logged(log, PATH ":3: [vm] os: 'win11' is not known; allowed: windows, linux, other");
}

static void test_tpm_is_a_boolean_and_off_unless_asked_for(void **state) {
        _cleanup_profile_ Profile *none = load_ok("[vm]\nname = x\n");
        _cleanup_profile_ Profile *yes = load_ok("[vm]\nname = x\ntpm = yes\n");
        _cleanup_profile_ Profile *no = load_ok("[vm]\nname = x\ntpm = no\n");
        _cleanup_free_ char *log = NULL;

        assert_false(none->tpm);
        assert_true(yes->tpm);
        assert_false(no->tpm);

        log = load_error("[vm]\nname = x\ntpm = 2.0\n");
        assert_logged(log, PATH ":3: [vm] tpm: '2.0' is not a boolean; allowed: yes, no");
}

/* ---- [gpu]: the laptop's quirks ---- */

static void test_fake_battery_is_a_boolean(void **state) {
        _cleanup_profile_ Profile *yes = load_ok("[gpu]\naddress = 01:00.0\nfake-battery = yes\n");
        _cleanup_profile_ Profile *no = load_ok("[gpu]\naddress = 01:00.0\nfake-battery = off\n");
        _cleanup_free_ char *log = NULL;

        assert_true(yes->gpu_fake_battery);
        assert_false(no->gpu_fake_battery);

        log = load_error("[gpu]\naddress = 01:00.0\nfake-battery = full\n");
        assert_logged(log, PATH ":3: [gpu] fake-battery: 'full' is not a boolean; allowed: yes, no");
}

static void test_rom_acpi_is_auto_yes_or_no_and_yes_needs_a_rom(void **state) {
        _cleanup_profile_ Profile *dflt = load_ok("[gpu]\naddress = 01:00.0\n");
        _cleanup_profile_ Profile *yes = load_ok("[gpu]\naddress = 01:00.0\nrom = /var/lib/vmrun/nv/vbios.rom\n"
                                                 "rom-acpi = yes\n");
        _cleanup_profile_ Profile *no = load_ok("[gpu]\naddress = 01:00.0\nrom-acpi = no\n");
        _cleanup_profile_ Profile *aut = load_ok("[gpu]\naddress = 01:00.0\nrom-acpi = auto\n");
        _cleanup_free_ char *log = NULL, *norom = NULL;

        assert_int_equal(dflt->gpu_rom_acpi, GPU_ROM_ACPI_AUTO);
        assert_int_equal(yes->gpu_rom_acpi, GPU_ROM_ACPI_YES);
        assert_int_equal(no->gpu_rom_acpi, GPU_ROM_ACPI_NO);
        assert_int_equal(aut->gpu_rom_acpi, GPU_ROM_ACPI_AUTO);
        assert_string_equal(gpu_rom_acpi_to_string(GPU_ROM_ACPI_YES), "yes");

        log = load_error("[gpu]\naddress = 01:00.0\nrom-acpi = on\n");
        assert_logged(log, PATH ":3: [gpu] rom-acpi: 'on' is not known; allowed: auto, yes, no");
        /* what would _ROM serve? said at the section's header */
        norom = load_error("[vm]\nname = nv\n[gpu]\naddress = 01:00.0\nrom-acpi = yes\n");
        assert_logged(norom, PATH ":3: [gpu] rom-acpi = yes needs rom = (the vBIOS file that _ROM serves");
}

static void test_subsystem_is_host_none_or_vendor_colon_device(void **state) {
        _cleanup_profile_ Profile *host = load_ok("[gpu]\naddress = 01:00.0\nsubsystem = host\n");
        _cleanup_profile_ Profile *none = load_ok("[gpu]\naddress = 01:00.0\nsubsystem = none\n");
        _cleanup_profile_ Profile *set = load_ok("[gpu]\naddress = 01:00.0\nsubsystem = 17AA:3c3e\n");

        assert_int_equal(host->gpu_subsystem, GPU_SUBSYSTEM_HOST);
        assert_int_equal(none->gpu_subsystem, GPU_SUBSYSTEM_NONE);
        assert_int_equal(set->gpu_subsystem, GPU_SUBSYSTEM_SET);
        assert_int_equal(set->gpu_subsystem_vendor, 0x17aa);
        assert_int_equal(set->gpu_subsystem_device, 0x3c3e);
}

static void test_a_subsystem_that_is_no_vendor_colon_device_is_an_error(void **state) {
        static const char *const bad[] = {
                "17aa", "17aa:", ":3c3e", "17aa:3c3e:0", "0x17aa:0x3c3e", "17a:3c3e", "17aaa:3c3e",
                "17aa:3c3", "17aa:3c3g", "17aa 3c3e", "auto", "",
        };
        _cleanup_free_ char *log = NULL, *zero = NULL, *ffff = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL;

                assert_true(asprintf(&text, "[gpu]\naddress = 01:00.0\nsubsystem = %s\n", bad[i]) > 0);
                assert_refused(text);
        }
        log = load_error("[gpu]\naddress = 01:00.0\nsubsystem = 17aa-3c3e\n");
        assert_logged(log, PATH ":3: [gpu] subsystem: '17aa-3c3e' is not VENDOR:DEVICE; allowed: host, none, or "
                           "VENDOR:DEVICE as four hex digits each, e.g. 17aa:3c3e");

        /* no vendor, and what an absent device reads as */
        zero = load_error("[gpu]\naddress = 01:00.0\nsubsystem = 0000:1234\n");
        assert_logged(zero, "'0000:1234' has no valid vendor ID");
        ffff = load_error("[gpu]\naddress = 01:00.0\nsubsystem = ffff:ffff\n");
        assert_logged(ffff, "'ffff:ffff' has no valid vendor ID");
}

static void test_gpu_quirks_without_an_address_are_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\nos = windows\n[gpu]\nfake-battery = yes\nsubsystem = none\n");

        assert_logged(log, PATH ":3: [gpu] needs address =");
}

/* ---- names ---- */

static void test_vm_name_is_valid_allows_a_safe_alphabet_only(void **state) {
        static const char *const good[] = { "win10", "a", "Gaming_VM-2.0", "a.", "0" };
        static const char *const bad[] = {
                "", ".hidden", "-x", "locks", "a/b", "../x", "a b", "a,b", "a:b", "ä", "a\nb",
        };
        char longest[66];

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!vm_name_is_valid(good[i]))
                        fail_msg("\"%s\" should be a valid name", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (vm_name_is_valid(bad[i]))
                        fail_msg("\"%s\" should not be a valid name", bad[i]);

        memset(longest, 'x', 64);
        longest[64] = '\0';
        assert_true(vm_name_is_valid(longest));
        longest[64] = 'x';
        longest[65] = '\0';
        assert_false(vm_name_is_valid(longest));
}

static void test_a_vm_name_locks_or_with_a_slash_is_an_error(void **state) {
        _cleanup_free_ char *log = NULL;
        _cleanup_free_ char *log_file = NULL;
        Profile *p = NULL;

        /* /run/vmrun/locks holds the device locks */
        log = load_error("[vm]\nname = locks\n");
        assert_logged(log, PATH ":2: [vm] name: 'locks' is not a valid VM name; allowed: ");
        assert_refused("[vm]\nname = ../etc\n");
        assert_refused("[vm]\nname = a/b\n");

        /* nor does the file name make one */
        assert_int_equal(load_logged("/etc/vmrun/locks.profile", "", &p, &log_file), -EINVAL);
        assert_null(p);
}

/* ---- [disk] ---- */

static void test_two_plain_disk_sections_give_disk0_and_disk1(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[disk]\n"
                                               "file = /vm/a.img\n"
                                               "[disk]\n"
                                               "file = /vm/b.img\n");

        assert_int_equal(p->n_disks, 2);
        assert_string_equal(p->disks[0].id, "disk0");
        assert_string_equal(p->disks[0].file, "/vm/a.img");
        assert_int_equal(p->disks[0].line, 1);
        assert_string_equal(p->disks[1].id, "disk1");
        assert_string_equal(p->disks[1].file, "/vm/b.img");
        assert_int_equal(p->disks[1].line, 3);
}

static void test_named_disk_sections_take_their_name_as_id(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[disk system]\n"
                                               "file = /vm/system.qcow2\n"
                                               "[disk data]\n"
                                               "file = /vm/data.img\n"
                                               "read-only = yes\n");

        assert_int_equal(p->n_disks, 2);
        assert_string_equal(p->disks[0].id, "system");
        assert_false(p->disks[0].read_only);
        assert_string_equal(p->disks[1].id, "data");
        assert_true(p->disks[1].read_only);
}

static void test_a_disk_name_given_twice_is_an_error_naming_the_first(void **state) {
        _cleanup_free_ char *log = load_error("[disk data]\n"
                                              "file = /vm/a.img\n"
                                              "[disk data]\n"
                                              "file = /vm/b.img\n");

        assert_logged(log, PATH ":3: [disk data] given twice (first at line 1)");
}

static void test_a_disk_name_must_be_a_valid_name(void **state) {
        _cleanup_free_ char *log = load_error("[disk ../x]\nfile = /vm/a.img\n");

        assert_logged(log, PATH ":1: unknown section [disk ../x]");
}

static void test_a_disk_name_has_at_most_20_characters_its_nvme_serial(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[disk abcdefghij0123456789]\nfile = /vm/a.img\ninterface = nvme\n");
        _cleanup_free_ char *log = load_error("[disk abcdefghij0123456789x]\nfile = /vm/a.img\n");

        assert_string_equal(p->disks[0].id, "abcdefghij0123456789");
        assert_logged(log, PATH ":1: [disk abcdefghij0123456789x]: a disk's name has at most 20 characters");
}

static void test_a_file_given_to_two_disks_is_an_error_naming_both(void **state) {
        _cleanup_free_ char *log = load_error("[disk system]\nfile = /vm/a.img\n"
                                              "[disk data]\nfile = /vm/a.img\n");

        assert_logged(log, PATH ":3: [disk data] has the file of [disk system] (line 1): /vm/a.img");
}

static void test_a_seventh_sata_disk_is_an_error_at_its_section(void **state) {
        _cleanup_free_ char *text = NULL, *log = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&text, &size);

        assert_non_null(m);
        for (int i = 0; i < 7; i++)
                fprintf(m, "[disk d%d]\nfile = /vm/%d.img\ninterface = sata\n", i, i);
        assert_int_equal(fclose(m), 0);
        log = load_error(text);
        assert_logged(log, PATH ":19: [disk d6] is a seventh sata disk; q35's AHCI controller has six ports");
        assert_logged(log, "1 error");
}

static void test_the_format_is_qcow2_for_a_qcow2_file_else_raw(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[disk]\nfile = /vm/a.qcow2\n"
                                               "[disk]\nfile = /vm/b.img\n"
                                               "[disk]\nfile = /dev/nvme0n1\n"
                                               "[disk]\nfile = /vm/qcow2\n");

        assert_int_equal(p->n_disks, 4);
        assert_string_equal(p->disks[0].format, "qcow2");
        assert_string_equal(p->disks[1].format, "raw");
        assert_string_equal(p->disks[2].format, "raw");
        assert_string_equal(p->disks[3].format, "raw");
}

static void test_an_explicit_format_wins_over_the_file_name(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[disk]\nfile = /vm/a.qcow2\nformat = raw\n"
                                               "[disk]\nfile = /vm/b.img\nformat = qcow2\n");

        assert_string_equal(p->disks[0].format, "raw");
        assert_string_equal(p->disks[1].format, "qcow2");
}

static void test_an_unknown_format_is_an_error_listing_qcow2_and_raw(void **state) {
        _cleanup_free_ char *log = load_error("[disk]\nfile = /vm/a.vmdk\nformat = vmdk\n");

        assert_logged(log, PATH ":3: [disk] format: 'vmdk' is not known; allowed: qcow2, raw");
}

static void test_the_interface_is_virtio_nvme_or_sata_virtio_by_default(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[disk]\nfile = /vm/a.img\n"
                                               "[disk]\nfile = /vm/b.img\ninterface = virtio\n"
                                               "[disk]\nfile = /vm/c.img\ninterface = nvme\n"
                                               "[disk]\nfile = /vm/d.img\ninterface = sata\n");
        _cleanup_free_ char *log = NULL;

        assert_int_equal(p->disks[0].interface, DISK_VIRTIO);
        assert_int_equal(p->disks[1].interface, DISK_VIRTIO);
        assert_int_equal(p->disks[2].interface, DISK_NVME);
        assert_int_equal(p->disks[3].interface, DISK_SATA);

        log = load_error("[disk]\nfile = /vm/a.img\ninterface = scsi\n");
        assert_logged(log, PATH ":3: [disk] interface: 'scsi' is not known; allowed: virtio, nvme, sata");
}

static void test_read_only_is_a_boolean(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[disk]\nfile = /a\nread-only = true\n"
                                               "[disk]\nfile = /b\nread-only = off\n"
                                               "[disk]\nfile = /c\nread-only = 1\n");
        _cleanup_free_ char *log = NULL;

        assert_true(p->disks[0].read_only);
        assert_false(p->disks[1].read_only);
        assert_true(p->disks[2].read_only);

        log = load_error("[disk]\nfile = /a\nread-only = maybe\n");
        assert_logged(log, PATH ":3: [disk] read-only: 'maybe' is not a boolean; allowed: yes, no");
}

static void test_a_disk_without_file_is_an_error_at_its_section_line(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"
                                              "cpus = 2\n"
                                              "[disk data]\n"
                                              "interface = sata\n");

        assert_logged(log, PATH ":3: this [disk] section needs file =");
}

static void test_a_relative_path_is_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[disk]\nfile = vm/disk.img\n"
                                              "[boot]\nkernel = vmlinuz\n"
                                              "[gpu]\naddress = 01:00.0\nrom = ./vbios.rom\n"
                                              "[qemu]\nbinary = qemu-system-x86_64\n");

        assert_logged(log, PATH ":2: [disk] file: 'vm/disk.img' is not an absolute path; allowed: an absolute path");
        assert_logged(log, PATH ":4: [boot] kernel: 'vmlinuz' is not an absolute path");
        assert_logged(log, PATH ":7: [gpu] rom: './vbios.rom' is not an absolute path");
        assert_logged(log, PATH ":9: [qemu] binary: 'qemu-system-x86_64' is not an absolute path");
}

static void test_control_characters_in_a_value_are_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[disk]\nfile = /vm/a\x1b[2Jb.img\n"
                                              "[boot]\nkernel = /k\nappend = quiet\x01splash\n"
                                              "[qemu]\nbinary = /usr/bin/qemu\x7f\n");

        assert_logged(log, PATH ":2: [disk] file: ");
        assert_logged(log, PATH ":5: [boot] append: ");
        assert_logged(log, PATH ":7: [qemu] binary: ");
        assert_logged(log, "contains control characters");
        /* the refused file leaves its disk without one, which is said too */
        assert_logged(log, PATH ":1: this [disk] section needs file =");
        assert_logged(log, "4 errors");
}

/* ---- [gpu] ---- */

static void test_pci_addresses_are_canonicalized_to_the_full_lowercase_form(void **state) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "01:00.0", "0000:01:00.0" },
                { "0000:01:00.0", "0000:01:00.0" },
                { "0000:0A:1F.7", "0000:0a:1f.7" },
                { "c1:00.1", "0000:c1:00.1" },
                { "ABCD:EF:01.2", "abcd:ef:01.2" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *a = NULL;

                assert_int_equal(pci_address_canonicalize(cases[i].in, &a), 0);
                assert_string_equal(a, cases[i].out);
        }
}

static void test_pci_address_canonicalize_rejects_malformed_addresses(void **state) {
        static const char *const bad[] = {
                "", "01:00", "01.00.0", "01:00.8", "01:20.0", "g1:00.0", "0000:01:00.0x", "00000:01:00.0",
                "0000:01:00.0 ", " 01:00.0", "+1:00.0", "0x1:00.0", "001:00.0", "01:00.00", "01:00.-1", "1:2:3:4.5",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *a = NULL;

                if (pci_address_canonicalize(bad[i], &a) != -EINVAL)
                        fail_msg("pci_address_canonicalize(\"%s\") should be -EINVAL, gave %s", bad[i], strempty(a));
                assert_null(a);
        }
}

static void test_the_gpu_address_is_canonicalized(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[gpu]\naddress = 0A:00.0\n");

        assert_true(p->has_gpu);
        assert_string_equal(p->gpu_address, "0000:0a:00.0");
}

static void test_a_bad_gpu_address_is_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[gpu]\naddress = 01:00\n");

        assert_logged(log, PATH ":2: [gpu] address: '01:00' is not a PCI address; allowed: a PCI address such as 0000:01:00.0");
}

static void test_gpu_without_address_is_an_error_at_the_section_line(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"
                                              "cpus = 4\n"
                                              "\n"
                                              "[gpu]\n"
                                              "rom = /vm/vbios.rom\n"
                                              "[network]\n"
                                              "mode = none\n");

        assert_logged(log, PATH ":4: [gpu] needs address =");
}

static void test_functions_are_canonicalized_in_the_order_given(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[gpu]\n"
                                               "address = 01:00.0\n"
                                               "functions = 01:00.2, 0000:01:00.1,01:00.3\n");

        assert_non_null(p->gpu_functions);
        assert_int_equal(strv_length(p->gpu_functions), 3);
        assert_string_equal(p->gpu_functions[0], "0000:01:00.2");
        assert_string_equal(p->gpu_functions[1], "0000:01:00.1");
        assert_string_equal(p->gpu_functions[2], "0000:01:00.3");
}

static void test_functions_none_gives_an_empty_list(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[gpu]\naddress = 01:00.0\nfunctions = none\n");

        assert_non_null(p->gpu_functions);
        assert_null(p->gpu_functions[0]);
}

static void test_no_functions_key_leaves_the_companions_to_the_plan(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[gpu]\naddress = 01:00.0\n");

        assert_null(p->gpu_functions);
}

static void test_functions_listing_the_gpu_itself_is_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"
                                              "[gpu]\n"
                                              "address = 0000:01:00.0\n"
                                              "functions = 01:00.1, 01:00.0\n");

        assert_logged(log, PATH ":2: [gpu] functions lists the GPU itself (0000:01:00.0)");
}

static void test_functions_with_a_bad_or_repeated_address_is_an_error(void **state) {
        _cleanup_free_ char *log = NULL, *log2 = NULL;

        log = load_error("[gpu]\naddress = 01:00.0\nfunctions = 01:00.1, 01:00.9\n");
        assert_logged(log, PATH ":3: [gpu] functions: '01:00.9' is not a PCI address; allowed: ");
        assert_logged(log, "or none");

        log2 = load_error("[gpu]\naddress = 01:00.0\nfunctions = 01:00.1, 0000:01:00.1\n");
        assert_logged(log2, PATH ":3: [gpu] functions: '0000:01:00.1' is listed twice");
}

static void test_more_than_seven_functions_is_an_error(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[gpu]\naddress = 01:00.0\n"
                                               "functions = 01:00.1 01:00.2 01:00.3 01:00.4 01:00.5 01:00.6 01:00.7\n");
        _cleanup_free_ char *log = load_error("[gpu]\naddress = 01:00.0\n"
                                              "functions = 01:00.1 01:00.2 01:00.3 01:00.4 01:00.5 01:00.6 01:00.7 02:00.0\n");

        assert_int_equal(strv_length(p->gpu_functions), 7);
        assert_logged(log, PATH ":3: [gpu] functions: '01:00.1 01:00.2 01:00.3 01:00.4 01:00.5 01:00.6 01:00.7 02:00.0' "
                           "lists more than 7 functions");
}

/* ---- syntax ---- */

static void test_unknown_section_is_an_error_listing_the_known_sections(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"
                                              "cpus = 2\n"
                                              "[gpus]\n"
                                              "address = 01:00.0\n");

        assert_logged(log, PATH ":3: unknown section [gpus]; known: [vm], [gpu], [disk] or [disk NAME], [boot], "
                           "[display], [input], [usb], [cpu], [memory], [network], [host], [qemu]");
        /* its keys are not reported again as unknown */
        assert_not_logged(log, ":4:");
        assert_logged(log, "1 error,");
}

static void test_unknown_key_is_an_error_naming_file_line_and_the_known_keys(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"
                                              "name = win10\n"
                                              "memroy = 16G\n");

        assert_logged(log, PATH ":3: unknown key 'memroy' in [vm]; known keys: name, memory, cpus, accel, firmware, os, tpm\n");
}

static void test_a_key_given_twice_is_an_error_naming_the_first_line(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"
                                              "memory = 8G\n"
                                              "cpus = 2\n"
                                              "memory = 16G\n");

        assert_logged(log, PATH ":4: [vm] memory given twice (first at line 2)");
}

static void test_the_same_key_in_two_disk_sections_is_fine(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[disk]\nfile = /a\ninterface = sata\n"
                                               "[disk]\nfile = /b\ninterface = sata\n");

        assert_int_equal(p->n_disks, 2);
}

static void test_a_section_given_twice_is_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"
                                              "cpus = 2\n"
                                              "[network]\n"
                                              "mode = none\n"
                                              "[vm]\n"
                                              "memory = 4G\n");

        assert_logged(log, PATH ":5: section [vm] given twice");
}

static void test_a_line_without_equals_is_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"
                                              "memory 16G\n");

        assert_logged(log, PATH ":2: expected 'key = value' or '[section]', got 'memory 16G'");
}

static void test_a_section_header_without_closing_bracket_is_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[vm\nmemory = 4G\n");

        assert_logged(log, PATH ":1: section header without closing ']'");
}

static void test_a_key_before_any_section_is_an_error(void **state) {
        _cleanup_free_ char *log = load_error("memory = 16G\n"
                                              "[vm]\n"
                                              "cpus = 4\n");

        assert_logged(log, PATH ":1: 'memory' is outside of any section");
}

static void test_every_error_is_reported_not_only_the_first(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"                  /* 1 */
                                              "memory = lots\n"         /* 2 */
                                              "cpus = 0\n"              /* 3 */
                                              "accel = hvf\n"           /* 4 */
                                              "[disk]\n"                /* 5 */
                                              "file = disk.img\n"       /* 6 */
                                              "interface = scsi\n"      /* 7 */
                                              "[network]\n"             /* 8 */
                                              "mode = bridged\n"        /* 9 */
                                              "[displya]\n"             /* 10 */
                                              "spice = 5900\n");        /* 11 */

        assert_logged(log, PATH ":2: [vm] memory: 'lots'");
        assert_logged(log, PATH ":3: [vm] cpus: '0'");
        assert_logged(log, PATH ":4: [vm] accel: 'hvf' is not known; allowed: kvm, tcg");
        /* the bad file, then the disk left without one */
        assert_logged(log, PATH ":6: [disk] file: 'disk.img'");
        assert_logged(log, PATH ":5: this [disk] section needs file =");
        assert_logged(log, PATH ":7: [disk] interface: 'scsi' is not known; allowed: virtio, nvme, sata");
        assert_logged(log, PATH ":9: [network] mode: 'bridged' is not known; allowed: user, none, bridge");
        assert_logged(log, PATH ":10: unknown section [displya]");
        assert_logged(log, PATH ": 8 errors, nothing was started");
}

static void test_a_very_long_append_line_is_read_whole(void **state) {
        _cleanup_free_ char *append = NULL, *text = NULL;
        _cleanup_profile_ Profile *p = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&append, &size);

        assert_non_null(m);
        fputs("console=ttyS0", m);
        for (int i = 0; ftell(m) < 5000; i++)
                fprintf(m, " option%d=value%d", i, i);
        assert_int_equal(fclose(m), 0);
        assert_true(strlen(append) > 1000);

        assert_true(asprintf(&text, "[boot]\nkernel = /vm/vmlinuz\nappend = %s\n[vm]\ncpus = 3\n", append) > 0);
#if VMRUN_INIH_RUNTIME_OPTIONS
        p = load_ok(text);
        assert_string_equal(p->append, append);
        /* and the lines after it are still counted and read */
        assert_int_equal(p->cpus, 3);
#else
        /* upstream's libinih reads INI_MAX_LINE at most: never a cut value */
        _cleanup_free_ char *log = load_error(text);
        assert_logged(log, PATH ":3: a line longer than 198 characters, the most this build's libinih reads");
        assert_logged(log, "1 error,");
#endif
}

static void test_line_numbers_stay_right_after_a_very_long_line(void **state) {
        _cleanup_free_ char *text = NULL, *log = NULL;
        char long_value[3000];

        memset(long_value, 'x', sizeof(long_value) - 1);
        long_value[sizeof(long_value) - 1] = '\0';
        assert_true(asprintf(&text, "[boot]\nkernel = /k\nappend = %s\n[vm]\ncpus = zero\n", long_value) > 0);
        log = load_error(text);
        assert_logged(log, PATH ":5: [vm] cpus: 'zero'");
}

static void test_inline_comments_are_stripped(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[vm] ; the machine\n"
                                               "memory = 4G ; half of what the laptop has\n"
                                               "cpus = 4 ; comment\n"
                                               "[boot]\n"
                                               "kernel = /vm/vmlinuz\n"
                                               "append = console=ttyS0;quiet\n");

        assert_int_equal(p->memory, 4 * GiB);
        assert_int_equal(p->cpus, 4);
        /* only "space ;" starts a comment */
        assert_string_equal(p->append, "console=ttyS0;quiet");
}

/* ---- [boot] ---- */

static void test_kernel_initrd_and_append_are_taken_as_given(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[boot]\n"
                                               "kernel = /vm/vmlinuz\n"
                                               "initrd = /vm/initrd.img\n"
                                               "append = console=ttyS0,115200 root=/dev/vda1  quiet\n");

        assert_string_equal(p->kernel, "/vm/vmlinuz");
        assert_string_equal(p->initrd, "/vm/initrd.img");
        assert_string_equal(p->append, "console=ttyS0,115200 root=/dev/vda1  quiet");
}

static void test_initrd_or_append_without_kernel_is_an_error(void **state) {
        _cleanup_free_ char *log = NULL, *log2 = NULL;

        log = load_error("[vm]\n"
                         "[boot]\n"
                         "initrd = /vm/initrd.img\n");
        assert_logged(log, PATH ":2: [boot] initrd and append need kernel =");

        log2 = load_error("[boot]\nappend = quiet\n");
        assert_logged(log2, PATH ":1: [boot] initrd and append need kernel =");
}

/* ---- [network] ---- */

static void test_network_mode_none_and_user(void **state) {
        _cleanup_profile_ Profile *none = load_ok("[network]\nmode = none\n");
        _cleanup_profile_ Profile *user = load_ok("[network]\nmode = user\n");

        assert_int_equal(none->network, NETWORK_NONE);
        assert_int_equal(user->network, NETWORK_USER);
        assert_null(user->bridge);
}

static void test_mode_bridge_defaults_the_bridge_to_br0(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[network]\nmode = bridge\n");
        _cleanup_profile_ Profile *q = load_ok("[network]\nmode = bridge\nbridge = virbr1\n");

        assert_int_equal(p->network, NETWORK_BRIDGE);
        assert_string_equal(p->bridge, "br0");
        assert_string_equal(q->bridge, "virbr1");
}

static void test_bridge_without_mode_bridge_is_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[vm]\n"
                                              "[network]\n"
                                              "bridge = br0\n");

        assert_logged(log, PATH ":2: [network] bridge = is only used with mode = bridge");
}

static void test_a_bridge_that_is_no_interface_name_is_an_error(void **state) {
        _cleanup_free_ char *log = load_error("[network]\nmode = bridge\nbridge = br0,script=/x\n");

        assert_logged(log, PATH ":3: [network] bridge: 'br0,script=/x' is not a network interface name");
        assert_refused("[network]\nmode = bridge\nbridge = a-name-longer-than-15\n");
}

/* ---- [display] ---- */

static void test_spice_address_and_port(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[display]\nspice = 127.0.0.1:5900\n");

        assert_string_equal(p->spice_address, "127.0.0.1");
        assert_int_equal(p->spice_port, 5900);
}

static void test_spice_port_alone_means_loopback(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[display]\nspice = 5900\n");

        assert_string_equal(p->spice_address, "127.0.0.1");
        assert_int_equal(p->spice_port, 5900);
}

static void test_spice_takes_a_bracketed_ipv6_address(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[display]\nspice = [::1]:5901\n");

        assert_string_equal(p->spice_address, "::1");
        assert_int_equal(p->spice_port, 5901);
}

static void test_spice_rejects_a_bad_port_or_address(void **state) {
        static const char *const bad[] = {
                "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:59x", "0", "-5900", "[::1]5901",
                "[::1", "localhost:5900", ":5900", "127.0.0.1,a:5900",
                "1.2.3:5900", "999.0.0.1:5900", "1.2.3.4.5:5900", "[1::2::3]:5900", "[:::]:5900", "[::1,a]:5900",
                "::1:5900", "0x7f.0.0.1:5900",
        };
        _cleanup_free_ char *log = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL;

                assert_true(asprintf(&text, "[display]\nspice = %s\n", bad[i]) > 0);
                assert_refused(text);
        }
        log = load_error("[display]\nspice = 127.0.0.1:70000\n");
        assert_logged(log, PATH ":2: [display] spice: '127.0.0.1:70000' has no valid port; allowed: ADDRESS:PORT");
}

/* ---- [gpu] backlight ---- */

static void test_backlight_is_kept_by_default_and_max_is_taken(void **state) {
        _cleanup_profile_ Profile *dflt = load_ok("[gpu]\naddress = 01:00.0\n");
        _cleanup_profile_ Profile *max = load_ok("[gpu]\naddress = 01:00.0\nbacklight = max\n");
        _cleanup_profile_ Profile *keep = load_ok("[gpu]\naddress = 01:00.0\nbacklight = keep\n");

        assert_int_equal(dflt->gpu_backlight, GPU_BACKLIGHT_KEEP);
        assert_int_equal(max->gpu_backlight, GPU_BACKLIGHT_MAX);
        assert_int_equal(keep->gpu_backlight, GPU_BACKLIGHT_KEEP);
        assert_string_equal(gpu_backlight_to_string(GPU_BACKLIGHT_MAX), "max");
}

static void test_a_backlight_other_than_keep_or_max_is_an_error_naming_both(void **state) {
        _cleanup_free_ char *log = load_error("[gpu]\naddress = 01:00.0\nbacklight = 100\n");

        assert_logged(log, PATH ":3: [gpu] backlight: '100' is not known; allowed: keep, max");
}

/* ---- [host] power-button and lid ---- */

static void test_the_power_button_is_the_guests_and_the_lid_keeps_the_host_running_by_default(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[gpu]\naddress = 01:00.0\n");

        assert_int_equal(p->power_button, POWER_BUTTON_GUEST);
        assert_int_equal(p->lid, LID_KEEP_RUNNING);
        assert_string_equal(power_button_mode_to_string(POWER_BUTTON_GUEST), "guest");
        assert_string_equal(lid_mode_to_string(LID_KEEP_RUNNING), "keep-running");
}

static void test_power_button_and_lid_host_leave_them_to_logind(void **state) {
        _cleanup_profile_ Profile *host = load_ok("[host]\npower-button = host\nlid = host\n");
        _cleanup_profile_ Profile *guest = load_ok("[host]\npower-button = guest\nlid = keep-running\n");

        assert_int_equal(host->power_button, POWER_BUTTON_HOST);
        assert_int_equal(host->lid, LID_HOST);
        assert_int_equal(guest->power_button, POWER_BUTTON_GUEST);
        assert_int_equal(guest->lid, LID_KEEP_RUNNING);
        assert_string_equal(power_button_mode_to_string(POWER_BUTTON_HOST), "host");
        assert_string_equal(lid_mode_to_string(LID_HOST), "host");
}

static void test_a_power_button_or_lid_of_another_word_is_an_error_naming_the_allowed_ones(void **state) {
        _cleanup_free_ char *log = load_error("[host]\npower-button = poweroff\nlid = suspend\n");

        assert_logged(log, PATH ":2: [host] power-button: 'poweroff' is not known; allowed: guest, host");
        assert_logged(log, PATH ":3: [host] lid: 'suspend' is not known; allowed: keep-running, host");
}

/* ---- [input] and [usb] ---- */

static void test_evdev_takes_devices_under_dev_input_in_order(void **state) {
        _cleanup_profile_ Profile *p = load_ok(
                "[input]\nevdev = /dev/input/by-id/usb-Logitech_USB_Receiver-if02-event-kbd,"
                " /dev/input/by-id/usb-Logitech_USB_Receiver-if02-event-mouse /dev/input/event7\n");

        assert_non_null(p->input_evdev);
        assert_string_equal(p->input_evdev[0], "/dev/input/by-id/usb-Logitech_USB_Receiver-if02-event-kbd");
        assert_string_equal(p->input_evdev[1], "/dev/input/by-id/usb-Logitech_USB_Receiver-if02-event-mouse");
        assert_string_equal(p->input_evdev[2], "/dev/input/event7");
        assert_null(p->input_evdev[3]);
}

static void test_without_input_or_usb_nothing_is_passed(void **state) {
        _cleanup_profile_ Profile *p = load_ok("");

        assert_null(p->input_evdev);
        assert_null(p->usb_devices);
        assert_int_equal(p->n_usb_devices, 0);
}

static void test_an_evdev_outside_dev_input_or_given_twice_is_an_error(void **state) {
        static const char *const bad[] = {
                "/dev/sda", "/dev/input/", "/dev/input", "input/event3", "/dev/input/../mem",
                "/dev/input/./event3", "/dev/input//event3", "/dev/input/by-id/",
        };
        _cleanup_free_ char *log = NULL, *twice = NULL, *empty = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL;

                assert_true(asprintf(&text, "[input]\nevdev = %s\n", bad[i]) > 0);
                assert_refused(text);
        }
        log = load_error("[input]\nevdev = /dev/mem\n");
        assert_logged(log, PATH ":2: [input] evdev: '/dev/mem' is not a device under /dev/input/; allowed: paths under "
                           "/dev/input/");
        twice = load_error("[input]\nevdev = /dev/input/event3, /dev/input/event3\n");
        assert_logged(twice, "'/dev/input/event3' is listed twice");
        empty = load_error("[input]\nevdev = ,\n");
        assert_logged(empty, "names no device");
}

static void test_grab_toggle_is_one_of_qemus_toggles_and_both_ctrl_keys_by_default(void **state) {
        _cleanup_profile_ Profile *def = load_ok("[input]\nevdev = /dev/input/event3\n");
        _cleanup_profile_ Profile *alt = load_ok("[input]\ngrab-toggle = alt-alt\n");
        _cleanup_free_ char *log = NULL;

        assert_int_equal(def->grab_toggle, GRAB_TOGGLE_CTRL_CTRL);
        assert_int_equal(alt->grab_toggle, GRAB_TOGGLE_ALT_ALT);
        assert_string_equal(grab_toggle_to_string(GRAB_TOGGLE_CTRL_SCROLLLOCK), "ctrl-scrolllock");
        log = load_error("[input]\ngrab-toggle = f12\n");
        assert_logged(log, PATH ":2: [input] grab-toggle: ");
        assert_logged(log, "allowed: ctrl-ctrl, alt-alt, shift-shift, meta-meta, scrolllock, ctrl-scrolllock");
}

static void test_usb_devices_are_vendor_product_pairs_in_order(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[usb]\ndevices = 046d:c52b, 1050:0407\n");

        assert_int_equal(p->n_usb_devices, 2);
        assert_int_equal(p->usb_devices[0].vendor, 0x046d);
        assert_int_equal(p->usb_devices[0].product, 0xc52b);
        assert_int_equal(p->usb_devices[1].vendor, 0x1050);
        assert_int_equal(p->usb_devices[1].product, 0x0407);
}

static void test_a_usb_device_that_is_no_vendor_product_pair_is_an_error(void **state) {
        static const char *const bad[] = {
                "046d", "046d:", "46d:c52b", "046d:c52bb", "0x46d:c52b", "046d-c52b", "0000:c52b", "ffff:0001",
                "bus1:dev2",
        };
        _cleanup_free_ char *log = NULL, *twice = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL;

                assert_true(asprintf(&text, "[usb]\ndevices = %s\n", bad[i]) > 0);
                assert_refused(text);
        }
        log = load_error("[usb]\ndevices = 046d:c52b, logitech\n");
        assert_logged(log, PATH ":2: [usb] devices: 'logitech' is not VENDOR:PRODUCT; allowed: VENDOR:PRODUCT as four hex "
                           "digits each");
        twice = load_error("[usb]\ndevices = 046d:c52b 046D:C52B\n");
        assert_logged(twice, "'046D:C52B' is listed twice");
}

/* ---- [qemu] ---- */

static void test_the_qemu_binary_is_taken_as_given(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[qemu]\nbinary = /opt/qemu/bin/qemu-system-x86_64\n");

        assert_string_equal(p->qemu_binary, "/opt/qemu/bin/qemu-system-x86_64");
}

/* An hour is the most a guest is given to shut down; one second more is
 * refused like zero, at its line, with the range the user may pick from. */
static void test_the_shutdown_timeout_is_1_to_3600_seconds(void **state) {
        _cleanup_profile_ Profile *least = load_ok("[qemu]\ntimeout-shutdown = 1\n");
        _cleanup_profile_ Profile *most = load_ok("[qemu]\ntimeout-shutdown = 3600\n");
        _cleanup_free_ char *zero = NULL, *over = NULL;

        assert_int_equal(least->timeout_shutdown, 1);
        assert_int_equal(most->timeout_shutdown, 3600);

        zero = load_error("[vm]\ncpus = 2\n[qemu]\ntimeout-shutdown = 0\n");
        assert_logged(zero, PATH ":4: [qemu] timeout-shutdown: '0' is out of range; allowed: seconds, 1 to 3600");
        over = load_error("[vm]\ncpus = 2\n[qemu]\ntimeout-shutdown = 3601\n");
        assert_logged(over, PATH ":4: [qemu] timeout-shutdown: '3601' is out of range; allowed: seconds, 1 to 3600");
}

/* ---- profile_resolve() ---- */

typedef struct SavedEnv {
        char *value;
        bool was_set;
} SavedEnv;

static SavedEnv env_save(const char *name) {
        const char *v = getenv(name);
        SavedEnv s = { .was_set = v != NULL, .value = v ? strdup(v) : NULL };

        assert_true(!v || s.value);
        return s;
}

static void env_restore(const char *name, SavedEnv *s) {
        if (s->was_set)
                assert_int_equal(setenv(name, s->value, 1), 0);
        else
                assert_int_equal(unsetenv(name), 0);
        free(s->value);
}

static void test_resolve_looks_a_name_up_in_the_profile_dir(void **state) {
        SavedEnv saved = env_save("VMRUN_PROFILE_DIR");
        _cleanup_free_ char *path = NULL;

        assert_int_equal(setenv("VMRUN_PROFILE_DIR", "/srv/profiles", 1), 0);
        assert_int_equal(profile_resolve("win10", &path), 0);
        assert_string_equal(path, "/srv/profiles/win10.profile");
        env_restore("VMRUN_PROFILE_DIR", &saved);
}

static void test_resolve_defaults_to_etc_vmrun(void **state) {
        SavedEnv saved = env_save("VMRUN_PROFILE_DIR");
        _cleanup_free_ char *path = NULL;

        assert_int_equal(unsetenv("VMRUN_PROFILE_DIR"), 0);
        assert_int_equal(profile_resolve("win10", &path), 0);
        assert_string_equal(path, "/etc/vmrun/win10.profile");
        env_restore("VMRUN_PROFILE_DIR", &saved);
}

static void test_resolve_keeps_a_path(void **state) {
        static const char *const paths[] = {
                "./win10.profile", "/etc/vmrun/win10.profile", "profiles/win10", "win10.profile",
        };

        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *path = NULL;

                assert_int_equal(profile_resolve(paths[i], &path), 0);
                assert_string_equal(path, paths[i]);
        }
}

static void test_resolve_rejects_a_name_that_is_no_vm_name(void **state) {
        static const char *const bad[] = { "", "locks", ".x", "my vm" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *path = NULL;

                assert_int_equal(profile_resolve(bad[i], &path), -EINVAL);
                assert_null(path);
        }
}

/* ---- hostile text: refused with file:line, and never echoed raw ---- */

static char *load_buffer_error(const void *data, size_t size) {
        Profile *p = NULL;
        Capture c;
        char *log;
        int r;

        capture_start(&c);
        r = profile_load_buffer(PATH, data, size, &p);
        log = capture_end(&c);
        if (r != -EINVAL || p) {
                profile_free(p);
                fail_msg("expected -EINVAL, got %d; the log:\n%s", r, log);
        }
        return log;
}

static void test_a_nul_byte_is_an_error_at_its_line_and_the_lines_after_keep_their_numbers(void **state) {
        static const char text[] = "[vm]\ncpus = 2\0,evil\nmemory = 1G\ncpus = many\n";
        _cleanup_free_ char *log = load_buffer_error(text, sizeof(text) - 1);

        assert_logged(log, PATH ":2: a NUL byte: a profile is text");
        assert_logged(log, PATH ":4: [vm] cpus given twice (first at line 2)");
}

static void test_a_value_that_is_not_utf8_is_an_error_shown_escaped(void **state) {
        static const char *const bad[] = {
                "/vm/\xff\xfe.img",     /* no UTF-8 at all */
                "/vm/\xc0\xaf.img",     /* an overlong '/' */
                "/vm/\xed\xa0\x80.img", /* a surrogate */
                "/vm/\xf4\x90\x80\x80", /* past U+10FFFF */
                "/vm/\xe2\x82.img",     /* cut short */
        };
        _cleanup_free_ char *log = NULL;
        _cleanup_profile_ Profile *ok = load_ok("[disk]\nfile = /vm/\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe.img\n");

        assert_string_equal(ok->disks[0].file, "/vm/\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe.img");
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL, *l = NULL;

                assert_true(asprintf(&text, "[disk]\nfile = %s\n", bad[i]) > 0);
                l = load_error(text);
                assert_logged(l, PATH ":2: [disk] file: '/vm/\\x");
                assert_logged(l, "is not valid UTF-8");
        }
        log = load_error("[disk]\nfile = /vm/\xff\xfe.img\n");
        assert_logged(log, "'/vm/\\xff\\xfe.img' is not valid UTF-8");
}

static void test_control_characters_reach_the_log_escaped_never_raw(void **state) {
        _cleanup_free_ char *log = load_error("[disk]\nfile = /vm/\x1b]0;owned\x07.img\n"
                                              "[vm]\n\x1b[2Jcpus = 2\n"
                                              "[boot]\nappend = quiet \xc2\x9b" "31m\n");

        assert_logged(log, "'/vm/\\x1b]0;owned\\x07.img' contains control characters");
        assert_logged(log, "unknown key '\\x1b[2Jcpus' in [vm]");
        /* C1 controls are escape sequences to a terminal, too */
        assert_logged(log, PATH ":6: [boot] append: 'quiet \\xc2\\x9b" "31m' contains control characters");
        assert_null(strchr(log, '\x1b'));
        assert_null(strchr(log, '\x07'));
        assert_null(strstr(log, "\xc2\x9b"));
}

static void test_a_qemu_protocol_for_a_file_is_refused_naming_it(void **state) {
        _cleanup_free_ char *log = load_error("[disk]\nfile = json:{\"driver\":\"file\",\"filename\":\"/etc/shadow\"}\n"
                                              "[boot]\nkernel = nbd:localhost:10809\n"
                                              "[gpu]\naddress = 01:00.0\nrom = file:/vm/vbios.rom\n");

        assert_logged(log, PATH ":2: [disk] file: 'json:{\"driver\":\"file\",\"filename\":\"/etc/shadow\"}' names a QEMU protocol, not a file");
        assert_logged(log, PATH ":4: [boot] kernel: 'nbd:localhost:10809' names a QEMU protocol, not a file");
        assert_logged(log, PATH ":7: [gpu] rom: 'file:/vm/vbios.rom' names a QEMU protocol, not a file");
}

static void test_a_path_longer_than_path_max_is_an_error(void **state) {
        _cleanup_free_ char *text = NULL, *log = NULL;
        char *long_path = malloc(PATH_MAX + 1);

        assert_non_null(long_path);
        memset(long_path, 'a', PATH_MAX);
        long_path[0] = '/';
        long_path[PATH_MAX] = '\0';
        assert_true(asprintf(&text, "[boot]\nkernel = %s\n", long_path) > 0);
        free(long_path);
        log = load_error(text);
#if VMRUN_INIH_RUNTIME_OPTIONS
        assert_logged(log, "is longer than a path can be");
#else
        assert_logged(log, PATH ":2: a line longer than 198 characters");
#endif
}

/* Upstream's libinih (INI_ALLOW_MULTILINE) would add an indented line to
 * the value above it; Debian's, as vmrun sets it, reads it as a key. */
static void test_an_indented_line_is_a_key_or_an_error_never_more_of_a_value(void **state) {
#if VMRUN_INIH_RUNTIME_OPTIONS
        _cleanup_profile_ Profile *p = load_ok("[vm]\ncpus = 3\n  memory = 4G\n");
        assert_int_equal(p->cpus, 3);
        assert_int_equal(p->memory, 4ULL << 30);
#else
        _cleanup_free_ char *log = load_error("[vm]\ncpus = 3\n  memory = 4G\n");
        assert_logged(log, PATH ":3: an indented line: this build's libinih would take it as more of the value above");
#endif
}

static void test_cpu_pin_is_kept_whatever_section_follows(void **state) {
        _cleanup_profile_ Profile *p = load_ok("[vm]\ncpus = 2\n[cpu]\npin = 3,1\nemulator-pin = 0\n"
                                               "[usb]\ndevices = 046d:c52b\n");

        assert_int_equal(p->cpu_pin.n, 2);
        assert_int_equal(p->cpu_pin.v[0], 3);
        assert_int_equal(p->cpu_pin.v[1], 1);
        assert_int_equal(p->emulator_pin.n, 1);
        assert_int_equal(p->emulator_pin.v[0], 0);
}

static void test_memory_hugepages_takes_yes_no_2m_and_1g(void **state) {
        _cleanup_profile_ Profile *yes = load_ok("[memory]\nhugepages = yes\n");
        _cleanup_profile_ Profile *no = load_ok("[memory]\nhugepages = no\n");
        _cleanup_profile_ Profile *two = load_ok("[memory]\nhugepages = 2M\n");
        _cleanup_profile_ Profile *one = load_ok("[vm]\nmemory = 4G\n[memory]\nhugepages = 1G\n");
        _cleanup_profile_ Profile *none = load_ok("");

        assert_true(yes->hugepages);
        assert_int_equal(yes->hugepage_size, 0);
        assert_false(no->hugepages);
        assert_true(two->hugepages);
        assert_int_equal(two->hugepage_size, 2 * MiB);
        assert_true(one->hugepages);
        assert_int_equal(one->hugepage_size, GiB);
        assert_false(none->hugepages);
}

static void test_hugepages_of_another_size_or_not_dividing_memory_are_an_error_at_file_and_line(void **state) {
        _cleanup_free_ char *log = NULL, *log2 = NULL, *log3 = NULL;

        log = load_error("[memory]\nhugepages = 4M\n");
        assert_logged(log, PATH ":2: [memory] hugepages: '4M' is not a hugepage size x86 has; allowed: yes (the host's "
                           "default size), 2M, 1G, no");
        log2 = load_error("[memory]\nhugepages = maybe\n");
        assert_logged(log2, PATH ":2: [memory] hugepages: 'maybe' is not yes, no or a hugepage size");
        log3 = load_error("[vm]\nmemory = 1536M\n\n[memory]\nhugepages = 1G\n");
        assert_logged(log3, PATH ":4: [memory] hugepages = 1G: [vm] memory = 1536M is not a whole number of such pages");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_nul_byte_is_an_error_at_its_line_and_the_lines_after_keep_their_numbers),
                cmocka_unit_test(test_a_value_that_is_not_utf8_is_an_error_shown_escaped),
                cmocka_unit_test(test_control_characters_reach_the_log_escaped_never_raw),
                cmocka_unit_test(test_a_qemu_protocol_for_a_file_is_refused_naming_it),
                cmocka_unit_test(test_a_path_longer_than_path_max_is_an_error),
                cmocka_unit_test(test_an_indented_line_is_a_key_or_an_error_never_more_of_a_value),
                cmocka_unit_test(test_an_empty_profile_gives_the_defaults),
                cmocka_unit_test(test_comments_and_blank_lines_alone_give_the_defaults),
                cmocka_unit_test(test_the_name_defaults_to_the_file_name_without_dot_profile),
                cmocka_unit_test(test_a_file_name_that_is_no_vm_name_needs_a_name_key),
                cmocka_unit_test(test_the_laptop_profile_is_read_whole),
                cmocka_unit_test(test_profile_load_reads_a_file_and_names_the_vm_after_it),
                cmocka_unit_test(test_profile_load_of_a_missing_file_is_enoent),
                cmocka_unit_test(test_a_profile_of_root_writable_only_by_root_is_trusted),
                cmocka_unit_test(test_a_profile_owned_by_another_user_is_refused_with_the_chown_to_fix_it),
                cmocka_unit_test(test_a_profile_its_group_or_everyone_may_write_is_refused),
                cmocka_unit_test(test_a_profile_in_a_directory_anyone_may_write_is_refused_unless_sticky),
                cmocka_unit_test(test_a_profile_in_a_directory_of_another_user_is_refused),
                cmocka_unit_test(test_a_directory_anyone_may_write_higher_up_is_refused),
                cmocka_unit_test(test_a_symlink_is_judged_by_where_it_leads_and_where_it_is),
                cmocka_unit_test(test_profile_load_full_refuses_an_untrusted_profile_only_when_strict),
                cmocka_unit_test(test_profile_load_as_root_refuses_a_profile_of_another_user_or_writable_by_others),

                cmocka_unit_test(test_sizes_take_k_m_g_t_suffixes_in_either_case),
                cmocka_unit_test(test_16g_16gib_and_16gb_all_mean_16_gibibytes_as_in_qemu),
                cmocka_unit_test(test_parse_size_rejects_what_is_not_a_size),
                cmocka_unit_test(test_parse_size_rejects_sizes_that_do_not_fit_64_bits),
                cmocka_unit_test(test_memory_in_the_profile_is_a_size),
                cmocka_unit_test(test_memory_that_is_no_size_or_below_64m_is_an_error),
                cmocka_unit_test(test_memory_is_whole_mib_up_to_16t),
                cmocka_unit_test(test_cpus_must_be_1_to_1024),
                cmocka_unit_test(test_cpu_pin_is_kept_whatever_section_follows),
                cmocka_unit_test(test_memory_hugepages_takes_yes_no_2m_and_1g),
                cmocka_unit_test(test_hugepages_of_another_size_or_not_dividing_memory_are_an_error_at_file_and_line),
                cmocka_unit_test(test_accel_and_firmware_take_their_listed_values),

                cmocka_unit_test(test_os_is_windows_linux_or_other),
                cmocka_unit_test(test_tpm_is_a_boolean_and_off_unless_asked_for),
                cmocka_unit_test(test_fake_battery_is_a_boolean),
                cmocka_unit_test(test_rom_acpi_is_auto_yes_or_no_and_yes_needs_a_rom),
                cmocka_unit_test(test_subsystem_is_host_none_or_vendor_colon_device),
                cmocka_unit_test(test_a_subsystem_that_is_no_vendor_colon_device_is_an_error),
                cmocka_unit_test(test_gpu_quirks_without_an_address_are_an_error),
                cmocka_unit_test(test_vm_name_is_valid_allows_a_safe_alphabet_only),
                cmocka_unit_test(test_a_vm_name_locks_or_with_a_slash_is_an_error),

                cmocka_unit_test(test_two_plain_disk_sections_give_disk0_and_disk1),
                cmocka_unit_test(test_named_disk_sections_take_their_name_as_id),
                cmocka_unit_test(test_a_disk_name_given_twice_is_an_error_naming_the_first),
                cmocka_unit_test(test_a_disk_name_must_be_a_valid_name),
                cmocka_unit_test(test_a_disk_name_has_at_most_20_characters_its_nvme_serial),
                cmocka_unit_test(test_a_file_given_to_two_disks_is_an_error_naming_both),
                cmocka_unit_test(test_a_seventh_sata_disk_is_an_error_at_its_section),
                cmocka_unit_test(test_the_format_is_qcow2_for_a_qcow2_file_else_raw),
                cmocka_unit_test(test_an_explicit_format_wins_over_the_file_name),
                cmocka_unit_test(test_an_unknown_format_is_an_error_listing_qcow2_and_raw),
                cmocka_unit_test(test_the_interface_is_virtio_nvme_or_sata_virtio_by_default),
                cmocka_unit_test(test_read_only_is_a_boolean),
                cmocka_unit_test(test_a_disk_without_file_is_an_error_at_its_section_line),
                cmocka_unit_test(test_a_relative_path_is_an_error),
                cmocka_unit_test(test_control_characters_in_a_value_are_an_error),

                cmocka_unit_test(test_pci_addresses_are_canonicalized_to_the_full_lowercase_form),
                cmocka_unit_test(test_pci_address_canonicalize_rejects_malformed_addresses),
                cmocka_unit_test(test_the_gpu_address_is_canonicalized),
                cmocka_unit_test(test_a_bad_gpu_address_is_an_error),
                cmocka_unit_test(test_gpu_without_address_is_an_error_at_the_section_line),
                cmocka_unit_test(test_functions_are_canonicalized_in_the_order_given),
                cmocka_unit_test(test_functions_none_gives_an_empty_list),
                cmocka_unit_test(test_no_functions_key_leaves_the_companions_to_the_plan),
                cmocka_unit_test(test_functions_listing_the_gpu_itself_is_an_error),
                cmocka_unit_test(test_functions_with_a_bad_or_repeated_address_is_an_error),
                cmocka_unit_test(test_more_than_seven_functions_is_an_error),

                cmocka_unit_test(test_unknown_section_is_an_error_listing_the_known_sections),
                cmocka_unit_test(test_unknown_key_is_an_error_naming_file_line_and_the_known_keys),
                cmocka_unit_test(test_a_key_given_twice_is_an_error_naming_the_first_line),
                cmocka_unit_test(test_the_same_key_in_two_disk_sections_is_fine),
                cmocka_unit_test(test_a_section_given_twice_is_an_error),
                cmocka_unit_test(test_a_line_without_equals_is_an_error),
                cmocka_unit_test(test_a_section_header_without_closing_bracket_is_an_error),
                cmocka_unit_test(test_a_key_before_any_section_is_an_error),
                cmocka_unit_test(test_every_error_is_reported_not_only_the_first),
                cmocka_unit_test(test_a_very_long_append_line_is_read_whole),
                cmocka_unit_test(test_line_numbers_stay_right_after_a_very_long_line),
                cmocka_unit_test(test_inline_comments_are_stripped),

                cmocka_unit_test(test_kernel_initrd_and_append_are_taken_as_given),
                cmocka_unit_test(test_initrd_or_append_without_kernel_is_an_error),

                cmocka_unit_test(test_network_mode_none_and_user),
                cmocka_unit_test(test_mode_bridge_defaults_the_bridge_to_br0),
                cmocka_unit_test(test_bridge_without_mode_bridge_is_an_error),
                cmocka_unit_test(test_a_bridge_that_is_no_interface_name_is_an_error),

                cmocka_unit_test(test_spice_address_and_port),
                cmocka_unit_test(test_spice_port_alone_means_loopback),
                cmocka_unit_test(test_spice_takes_a_bracketed_ipv6_address),
                cmocka_unit_test(test_spice_rejects_a_bad_port_or_address),

                cmocka_unit_test(test_backlight_is_kept_by_default_and_max_is_taken),
                cmocka_unit_test(test_a_backlight_other_than_keep_or_max_is_an_error_naming_both),

                cmocka_unit_test(test_the_power_button_is_the_guests_and_the_lid_keeps_the_host_running_by_default),
                cmocka_unit_test(test_power_button_and_lid_host_leave_them_to_logind),
                cmocka_unit_test(test_a_power_button_or_lid_of_another_word_is_an_error_naming_the_allowed_ones),

                cmocka_unit_test(test_evdev_takes_devices_under_dev_input_in_order),
                cmocka_unit_test(test_without_input_or_usb_nothing_is_passed),
                cmocka_unit_test(test_an_evdev_outside_dev_input_or_given_twice_is_an_error),
                cmocka_unit_test(test_grab_toggle_is_one_of_qemus_toggles_and_both_ctrl_keys_by_default),
                cmocka_unit_test(test_usb_devices_are_vendor_product_pairs_in_order),
                cmocka_unit_test(test_a_usb_device_that_is_no_vendor_product_pair_is_an_error),

                cmocka_unit_test(test_the_qemu_binary_is_taken_as_given),
                cmocka_unit_test(test_the_shutdown_timeout_is_1_to_3600_seconds),

                cmocka_unit_test(test_resolve_looks_a_name_up_in_the_profile_dir),
                cmocka_unit_test(test_resolve_defaults_to_etc_vmrun),
                cmocka_unit_test(test_resolve_keeps_a_path),
                cmocka_unit_test(test_resolve_rejects_a_name_that_is_no_vm_name),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
