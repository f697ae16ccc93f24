/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "skip.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "basic/parse.h"
#include "basic/log.h"
#include "profile/profile.h"
#include "qemu/argv.h"
#include "qemu/rom-acpi.h"
#include "qemu/qmp.h"
#include "basic/strv.h"

#define PATH "/etc/vmrun/test.profile"
#define VARS "/var/lib/vmrun/test/OVMF_VARS.fd"

/* The firmware as firmware_find() would have chosen it: OVMF without and
 * with Secure Boot (which needs SMM). */
static const Firmware ovmf = {
        .code = "/usr/share/OVMF/OVMF_CODE_4M.fd",
        .code_format = "raw",
        .vars_template = "/usr/share/OVMF/OVMF_VARS_4M.fd",
        .vars_format = "raw",
        .requires_smm = false,
};

static const Firmware ovmf_secure = {
        .code = "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
        .code_format = "raw",
        .vars_template = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd",
        .vars_format = "raw",
        .requires_smm = true,
        .secure_boot = true,
        .enrolled_keys = true,
};

#define LAPTOP_PROFILE                                          \
        "[vm]\n"                                                \
        "name = win10\n"                                        \
        "memory = 16G\n"                                        \
        "cpus = 8\n"                                            \
        "[gpu]\n"                                               \
        "address = 01:00.0\n"                                   \
        "functions = 01:00.1\n"                                 \
        "rom = /var/lib/vmrun/win10/vbios.rom\n"                \
        "[disk system]\n"                                       \
        "file = /var/lib/vmrun/win10/disk.qcow2\n"              \
        "interface = nvme\n"                                    \
        "[display]\n"                                           \
        "spice = 127.0.0.1:5900\n"

/* ---- helpers ---- */

static Profile *profile(const char *text) {
        Profile *p = NULL;

        assert_int_equal(profile_load_string(PATH, text, &p), 0);
        return p;
}

/* The argv for a profile as the plan would ask for it: the GPU's companions
 * are the profile's own list here (the plan may add the slot's others). */
static void build_full(const Profile *p, const Firmware *fw, Strv *ret) {
        QemuConfig c = {
                .profile = p,
                .firmware = fw,
                .vars = fw ? VARS : NULL,
                .gpu_functions = p->gpu_functions,
        };

        assert_int_equal(qemu_argv_build(&c, ret), 0);
        assert_non_null(ret->v);
        assert_null(ret->v[ret->n]);
}

static void build(const Profile *p, const Firmware *fw, Strv *ret) {
        build_full(p, fw, ret);
}

/* Index of the first element equal to `s` at or after `from`, or -1. */
static ssize_t find_from(const Strv *a, size_t from, const char *s) {
        for (size_t i = from; i < a->n; i++)
                if (streq(a->v[i], s))
                        return (ssize_t) i;
        return -1;
}

static bool has(const Strv *a, const char *s) {
        return find_from(a, 0, s) >= 0;
}

static size_t count(const Strv *a, const char *s) {
        size_t n = 0;

        for (size_t i = 0; i < a->n; i++)
                if (streq(a->v[i], s))
                        n++;
        return n;
}

/* Whether `option` is followed by exactly `value` somewhere. */
static bool has_pair(const Strv *a, const char *option, const char *value) {
        for (size_t i = 0; i + 1 < a->n; i++)
                if (streq(a->v[i], option) && streq(a->v[i + 1], value))
                        return true;
        return false;
}

/* The value after the only `option` (asserts there is exactly one). */
static const char *value_of(const Strv *a, const char *option) {
        ssize_t i = find_from(a, 0, option);

        if (i < 0)
                fail_msg("no %s", option);
        if (find_from(a, (size_t) i + 1, option) >= 0)
                fail_msg("%s given more than once", option);
        assert_true((size_t) i + 1 < a->n);
        return a->v[i + 1];
}

/* The JSON argument of the `option` (-device, -blockdev) whose `key` is
 * `value`, parsed; NULL if there is none. Every JSON argument on the way
 * must parse: a -device that is not JSON is a bug in itself. */
static json_t *find_json(const Strv *a, const char *option, const char *key, const char *value) {
        for (size_t i = 0; i + 1 < a->n; i++) {
                json_t *j;
                json_error_t err;

                if (!streq(a->v[i], option))
                        continue;
                j = json_loads(a->v[i + 1], 0, &err);
                if (!j || !json_is_object(j))
                        fail_msg("%s argument is not a JSON object: %s (%s)", option, a->v[i + 1], err.text);
                if (streq_ptr(json_string_value(json_object_get(j, key)), value))
                        return j;
                json_decref(j);
        }
        return NULL;
}

static json_t *device(const Strv *a, const char *id) {
        json_t *j = find_json(a, "-device", "id", id);

        if (!j)
                fail_msg("no -device with id %s", id);
        return j;
}

static json_t *blockdev(const Strv *a, const char *node) {
        json_t *j = find_json(a, "-blockdev", "node-name", node);

        if (!j)
                fail_msg("no -blockdev with node-name %s", node);
        return j;
}

static const char *str(const json_t *o, const char *key) {
        const char *s = json_string_value(json_object_get(o, key));

        if (!s)
                fail_msg("no string \"%s\" in the object", key);
        return s;
}

static bool boolean(const json_t *o, const char *key) {
        json_t *b = json_object_get(o, key);

        if (!json_is_boolean(b))
                fail_msg("no boolean \"%s\" in the object", key);
        return json_is_true(b);
}

/* ---- the command line's frame ---- */

static void test_argv0_is_the_profiles_qemu_binary(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_profile_ Profile *q = profile("[qemu]\nbinary = /opt/qemu/bin/qemu-system-x86_64\n");
        _cleanup_strv_ Strv a = { 0 }, b = { 0 };

        build(p, &ovmf, &a);
        build(q, &ovmf, &b);
        assert_string_equal(a.v[0], "/usr/bin/qemu-system-x86_64");
        assert_string_equal(b.v[0], "/opt/qemu/bin/qemu-system-x86_64");
        assert_int_equal(count(&b, "/opt/qemu/bin/qemu-system-x86_64"), 1);
}

static void test_nodefaults_and_no_user_config_are_always_given(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_strv_ Strv a = { 0 };

        build(p, NULL, &a);
        assert_int_equal(count(&a, "-nodefaults"), 1);
        assert_int_equal(count(&a, "-no-user-config"), 1);
}

static void test_the_guest_starts_stopped_until_the_supervisor_says_cont(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };

        build(p, &ovmf, &a);
        assert_int_equal(count(&a, "-S"), 1);
}

static void test_the_name_is_the_guest_name_with_debug_threads(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };

        build(p, &ovmf, &a);
        assert_string_equal(value_of(&a, "-name"), "guest=win10,debug-threads=on");
}

static void test_memory_cpus_and_cpu_model_follow_the_profile(void **state) {
        _cleanup_profile_ Profile *kvm = profile("[vm]\nmemory = 16G\ncpus = 8\n");
        _cleanup_profile_ Profile *tcg = profile("[vm]\nmemory = 1536M\ncpus = 1\naccel = tcg\n");
        _cleanup_strv_ Strv a = { 0 }, b = { 0 };

        build(kvm, &ovmf, &a);
        assert_string_equal(value_of(&a, "-m"), "16384M");
        assert_string_equal(value_of(&a, "-smp"), "8");
        assert_string_equal(value_of(&a, "-cpu"), "host");

        build(tcg, &ovmf, &b);
        assert_string_equal(value_of(&b, "-m"), "1536M");
        assert_string_equal(value_of(&b, "-smp"), "1");
        assert_string_equal(value_of(&b, "-cpu"), "max");
        assert_string_equal(value_of(&b, "-machine"), "q35,accel=tcg,pflash0=fw-code,pflash1=fw-vars");
}

/* ---- guest RAM on hugepages ---- */

/* The memory backend the guest's RAM is on, parsed; fails if there is none. */
static json_t *memory_backend(const Strv *a) {
        json_t *j = find_json(a, "-object", "qom-type", "memory-backend-memfd");

        if (!j)
                fail_msg("no -object memory-backend-memfd");
        return j;
}

static void test_hugepages_put_all_guest_ram_on_a_preallocated_memfd_of_that_page_size(void **state) {
        _cleanup_profile_ Profile *p = profile("[vm]\nmemory = 4G\ncpus = 4\n");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *ram = NULL;
        QemuConfig c = { .profile = p, .hugepage_size = 2 << 20 };

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        assert_string_equal(value_of(&a, "-machine"), "q35,accel=kvm,memory-backend=ram");
        ram = memory_backend(&a);
        assert_string_equal(str(ram, "id"), "ram");
        assert_int_equal(json_integer_value(json_object_get(ram, "size")), 4LL << 30);
        assert_true(boolean(ram, "hugetlb"));
        assert_int_equal(json_integer_value(json_object_get(ram, "hugetlbsize")), 2 << 20);
        /* a pool too small fails QEMU's start, not the guest later with SIGBUS */
        assert_true(boolean(ram, "prealloc"));
}

/* Faulting in gigabytes is most of a large guest's start, so it is done by
 * one thread per vCPU; but never by more than 16, however many vCPUs. */
static void test_hugepages_are_preallocated_by_one_thread_per_vcpu_up_to_16(void **state) {
        _cleanup_profile_ Profile *four = profile("[vm]\nmemory = 4G\ncpus = 4\n");
        _cleanup_profile_ Profile *sixteen = profile("[vm]\nmemory = 4G\ncpus = 16\n");
        _cleanup_profile_ Profile *many = profile("[vm]\nmemory = 4G\ncpus = 32\n");
        _cleanup_strv_ Strv a = { 0 }, b = { 0 }, d = { 0 };
        _cleanup_json_ json_t *ram4 = NULL, *ram16 = NULL, *ram32 = NULL;
        QemuConfig c4 = { .profile = four, .hugepage_size = 2 << 20 };
        QemuConfig c16 = { .profile = sixteen, .hugepage_size = 2 << 20 };
        QemuConfig c32 = { .profile = many, .hugepage_size = 1 << 30 };

        assert_int_equal(qemu_argv_build(&c4, &a), 0);
        assert_int_equal(qemu_argv_build(&c16, &b), 0);
        assert_int_equal(qemu_argv_build(&c32, &d), 0);
        ram4 = memory_backend(&a);
        ram16 = memory_backend(&b);
        ram32 = memory_backend(&d);
        assert_int_equal(json_integer_value(json_object_get(ram4, "prealloc-threads")), 4);
        assert_int_equal(json_integer_value(json_object_get(ram16, "prealloc-threads")), 16);
        assert_int_equal(json_integer_value(json_object_get(ram32, "prealloc-threads")), 16);
}

static void test_without_hugepages_guest_ram_is_plain_m_and_no_memory_backend(void **state) {
        _cleanup_profile_ Profile *p = profile("[vm]\nmemory = 4G\ncpus = 4\n");
        _cleanup_strv_ Strv a = { 0 };

        build(p, NULL, &a);
        assert_string_equal(value_of(&a, "-m"), "4096M");
        assert_string_equal(value_of(&a, "-machine"), "q35,accel=kvm");
        assert_false(has(&a, "-object"));
}

/* ---- the sandbox ---- */

/* Once running as its own user, QEMU is kept from regaining privileges,
 * starting programs, playing with scheduling or resources and making
 * obsolete system calls: each "deny" is one of those, and a missing one
 * leaves that door open, so the whole value is compared. */
static void test_an_unprivileged_qemu_is_sandboxed_with_every_deny(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };
        QemuConfig c = { .profile = p, .firmware = &ovmf, .vars = VARS, .sandbox = true,
                         .gpu_functions = p->gpu_functions };

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        assert_string_equal(value_of(&a, "-sandbox"),
                            "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
}

/* A QEMU left running as root ([qemu] user = root) is not sandboxed: the
 * plan decides, the command line only says what it was told. */
static void test_without_sandbox_there_is_no_sandbox_option(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };

        build(p, &ovmf, &a);
        assert_false(has(&a, "-sandbox"));
}

/* ---- commas ---- */

static void test_qemu_opt_escape_doubles_every_comma(void **state) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "a,b,,c", "a,,b,,,,c" },
                { "", "" },
                { ",", ",," },
                { "plain", "plain" },
                { "/vm/a,format=raw,file=/etc/shadow", "/vm/a,,format=raw,,file=/etc/shadow" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *e = qemu_opt_escape(cases[i].in);

                assert_non_null(e);
                assert_string_equal(e, cases[i].out);
        }
}

static void test_a_comma_in_the_vm_name_is_doubled_in_the_guest_name(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_strv_ Strv a = { 0 };

        /* A profile cannot name a VM so (vm_name_is_valid() refuses ','),
         * but this file only formats: it must not rely on that. */
        assert_false(vm_name_is_valid("a,debug-threads=off"));
        free(p->name);
        p->name = strdup("a,debug-threads=off");
        assert_non_null(p->name);

        build(p, NULL, &a);
        assert_string_equal(value_of(&a, "-name"), "guest=a,,debug-threads=off,debug-threads=on");
}

static void test_a_disk_path_with_commas_is_one_json_value_and_no_options(void **state) {
        static const char *const file = "/vm/a,format=raw,file=/etc/shadow";
        _cleanup_profile_ Profile *p = profile("[disk]\nfile = /vm/a,format=raw,file=/etc/shadow\nformat = qcow2\n");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *node = NULL, *dev = NULL;
        size_t containing = 0;

        assert_string_equal(p->disks[0].file, file);
        build(p, NULL, &a);

        /* exactly one -blockdev for the disk, whose file is the whole path */
        node = blockdev(&a, "disk-disk0");
        assert_string_equal(str(node, "driver"), "qcow2");
        assert_string_equal(str(json_object_get(node, "file"), "driver"), "file");
        assert_string_equal(str(json_object_get(node, "file"), "filename"), file);
        assert_int_equal(count(&a, "-blockdev"), 1);

        /* the device refers to the node by name, never by path */
        dev = device(&a, "disk-disk0");
        assert_string_equal(str(dev, "drive"), "disk-disk0");

        /* and nowhere else, in particular in no "key=value,..." option, does
         * the tail of the path show up */
        for (size_t i = 0; i < a.n; i++) {
                if (!strstr(a.v[i], ",format=raw,file=/etc/shadow"))
                        continue;
                containing++;
                assert_true(i > 0);
                assert_string_equal(a.v[i - 1], "-blockdev");
                assert_int_equal(a.v[i][0], '{');
        }
        assert_int_equal(containing, 1);
}

/* ---- hostile values: nothing in a profile can add an option ---- */

/* A profile with one value put in every field that reaches the argv as
 * text: the disk's file, the kernel, the initrd, the ROM and the kernel
 * command line. */
static Profile *profile_with(const char *v) {
        _cleanup_free_ char *text = NULL;
        Profile *p = NULL;

        assert_true(asprintf(&text,
                             "[vm]\nname = hostile\nmemory = 1G\naccel = tcg\nfirmware = bios\n"
                             "[gpu]\naddress = 01:00.0\nfunctions = 01:00.1\nrom = %s.rom\n"
                             "[disk]\nfile = %s.img\nformat = raw\n"
                             "[boot]\nkernel = %s.kernel\ninitrd = %s.initrd\nappend = quiet %s\n",
                             v, v, v, v, v) > 0);
        assert_int_equal(profile_load_string(PATH, text, &p), 0);
        return p;
}

static char *replace_all(const char *s, const char *from, const char *to) {
        size_t n = 0, lf = strlen(from), lt = strlen(to);
        const char *q;
        char *out, *o;

        for (q = s; (q = strstr(q, from)); q += lf)
                n++;
        out = malloc(strlen(s) + n * lt + 1);
        assert_non_null(out);
        for (o = out, q = s; *q;) {
                if (strncmp(q, from, lf) == 0) {
                        memcpy(o, to, lt);
                        o += lt;
                        q += lf;
                } else
                        *o++ = *q++;
        }
        *o = '\0';
        return out;
}

/* The JSON form of a string's contents, without the quotes. */
static char *json_inner(const char *v) {
        _cleanup_json_ json_t *j = json_string(v);
        char *d = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        size_t l;

        assert_non_null(d);
        l = strlen(d);
        memmove(d, d + 1, l - 2);
        d[l - 2] = '\0';
        return d;
}

#define STR_IN_SET(s, ...) strv_contains_str((const char *const[]) { __VA_ARGS__, NULL }, (s))

static bool strv_contains_str(const char *const *set, const char *s) {
        for (; *set; set++)
                if (streq(*set, s))
                        return true;
        return false;
}

static void test_hostile_values_change_no_option_only_the_value_itself(void **state) {
        static const char *const hostile[] = {
                "/vm/a,format=raw,file=/etc/shadow",
                "/vm/x,id=evil -device e1000",
                "/vm/json:{\"driver\":\"nbd\",\"host\":\"evil\"}",
                "/vm/=-object memory-backend-file",
                "/vm/a,,b,,,c",
                "/vm/\"quoted\"\\back\\slash",
                "/vm/-S -no-shutdown",
                "/vm/\xc3\xa9t\xc3\xa9 utf-8",
                "/-device/e1000,id=x",
                "/vm/,",
                "/vm/id=x,,driver=nbd,host=evil",
                "/vm/file:x nbd:host:1 json:{}",
                "/vm/{\"driver\":\"raw\"}",
                "/vm/a;b'c`d$(e)",
                "/vm/\xe2\x80\xa8line separator", /* U+2028: a line break to some readers, no control character */
        };
        static const char benign[] = "/vm/benign";
        _cleanup_profile_ Profile *base = profile_with(benign);
        _cleanup_strv_ Strv b = { 0 };

        build_full(base, NULL, &b);
        for (size_t k = 0; k < ELEMENTSOF(hostile); k++) {
                _cleanup_profile_ Profile *p = profile_with(hostile[k]);
                _cleanup_free_ char *esc = qemu_opt_escape(hostile[k]), *inner = json_inner(hostile[k]);
                _cleanup_strv_ Strv a = { 0 };

                size_t differ = 0;

                build_full(p, NULL, &a);
                /* the same options in the same places */
                assert_int_equal(a.n, b.n);
                for (size_t i = 0; i < a.n; i++) {
                        _cleanup_free_ char *raw = NULL, *opt = NULL, *js = NULL;

                        if (streq(a.v[i], b.v[i]))
                                continue;
                        differ++;
                        /* a differing element is the baseline's with the
                         * value put in whole, escaped, or as a JSON string:
                         * nothing else about it may change */
                        raw = replace_all(b.v[i], benign, hostile[k]);
                        opt = replace_all(b.v[i], benign, esc);
                        js = replace_all(b.v[i], benign, inner);
                        if (b.v[i][0] == '{') {
                                if (!streq(a.v[i], js))
                                        fail_msg("value %s: JSON element %zu is\n  %s\nwant\n  %s", hostile[k], i,
                                                 a.v[i], js);
                        } else if (!streq(a.v[i], opt) &&
                                   /* QEMU stores these three whole, unparsed */
                                   !(i > 0 && STR_IN_SET(b.v[i - 1], "-kernel", "-initrd", "-append") &&
                                     streq(a.v[i], raw)))
                                fail_msg("value %s: element %zu is\n  %s\nwant the baseline's\n  %s\nwith the "
                                         "value escaped",
                                         hostile[k], i, a.v[i], b.v[i]);
                }
                /* the ROM, the disk, the kernel, the initrd, the command
                 * line: each reached QEMU, in its own element */
                assert_true(differ >= 5);
        }
}

/* A newline or another control character cannot be written into an
 * option: the profile refuses it, naming the key. */
static void test_control_characters_in_a_path_are_refused_by_the_profile(void **state) {
        Profile *p = NULL;

        assert_int_equal(profile_load_string(PATH, "[boot]\nkernel = /vm/a\x01b\n", &p), -EINVAL);
        assert_null(p);
        assert_int_equal(profile_load_string(PATH, "[disk]\nfile = /vm/a\tb\n", &p), -EINVAL);
        assert_null(p);
}

/* What QEMU would parse, or what no argument can hold: the profile refuses
 * it in every field that names a file, before any argv exists. */
static void test_values_qemu_would_parse_are_refused_in_every_file_field(void **state) {
        static const char *const fields[] = {
                "[disk]\nfile = ", "[boot]\nkernel = ", "[boot]\nkernel = /k\ninitrd = ",
                "[gpu]\naddress = 01:00.0\nrom = ", "[qemu]\nbinary = ",
        };
        static const char *const refused[] = {
                "json:{\"driver\":\"file\",\"filename\":\"/etc/shadow\"}", /* a block driver's description */
                "nbd:localhost:10809",                                     /* a protocol */
                "file:/etc/shadow",
                "-drive file=/etc/shadow",                                 /* an option */
                "a,file=/etc/shadow",                                      /* relative */
                "/vm/a\nfile = /etc/shadow",                               /* a newline: a second line */
                "/vm/a\rb",                                                /* control characters */
                "/vm/a\x1b[2Jb",
                "/vm/a\x7f",
                "/vm/a\302\205b",                                         /* NEL, a C1 control */
                "/vm/\xff\xfe",                                            /* not UTF-8, so no JSON string */
        };

        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                for (size_t k = 0; k < ELEMENTSOF(refused); k++) {
                        _cleanup_free_ char *text = NULL;
                        Profile *p = NULL;

                        assert_true(asprintf(&text, "%s%s\n", fields[i], refused[k]) > 0);
                        if (profile_load_string(PATH, text, &p) != -EINVAL || p)
                                fail_msg("the profile took %s in\n%s", refused[k], text);
                }
}

/* -append takes the next argument whole, whatever it starts with. */
static void test_a_kernel_command_line_starting_with_a_dash_is_the_argument_of_append(void **state) {
        _cleanup_profile_ Profile *p = profile("[boot]\nkernel = /k\nappend = -S -device e1000,id=x\n");
        _cleanup_strv_ Strv a = { 0 };
        size_t i;

        build_full(p, NULL, &a);
        for (i = 0; i < a.n && !streq(a.v[i], "-append"); i++)
                ;
        assert_true(i + 1 < a.n);
        assert_string_equal(a.v[i + 1], "-S -device e1000,id=x");
        /* and nothing else of it is an element of its own */
        for (size_t j = 0; j < a.n; j++)
                assert_false(streq(a.v[j], "-device e1000,id=x") || streq(a.v[j], "e1000,id=x"));
}

/* QEMU does not run as root: it could not open a file in the VM's 0700
 * runtime directory, and needs no path to it either. */
static void test_the_console_log_is_a_descriptor_vmrun_opened_not_a_path(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *serial = NULL;

        build_full(p, NULL, &a);
        assert_int_equal(QEMU_FD_CONSOLE, 5);
        assert_true(has_pair(&a, "-add-fd", "fd=5,set=1,opaque=guest-console"));
        assert_true(has_pair(&a, "-chardev", "file,id=serial0,path=/dev/fdset/1"));
        serial = device(&a, "serial0");
        assert_string_equal(str(serial, "driver"), "isa-serial");
        assert_string_equal(str(serial, "chardev"), "serial0");
}

/* ---- firmware ---- */

static void test_uefi_maps_code_and_vars_as_pflash_block_nodes(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *code = NULL, *vars = NULL;

        build(p, &ovmf, &a);
        assert_string_equal(value_of(&a, "-machine"), "q35,accel=kvm,pflash0=fw-code,pflash1=fw-vars");

        code = blockdev(&a, "fw-code");
        assert_string_equal(str(code, "driver"), "raw");
        assert_true(boolean(code, "read-only"));
        assert_string_equal(str(json_object_get(code, "file"), "filename"), ovmf.code);
        assert_true(boolean(json_object_get(code, "file"), "read-only"));

        /* the VM's own copy of the variables, never the template */
        vars = blockdev(&a, "fw-vars");
        assert_string_equal(str(vars, "driver"), "raw");
        assert_false(boolean(vars, "read-only"));
        assert_string_equal(str(json_object_get(vars, "file"), "filename"), VARS);

        assert_false(has(&a, "-global"));
        assert_false(has(&a, "-bios"));
}

static void test_firmware_requiring_smm_gets_smm_and_a_secure_pflash(void **state) {
        _cleanup_profile_ Profile *p = profile("[vm]\nfirmware = uefi-secure\n");
        _cleanup_strv_ Strv a = { 0 };

        build(p, &ovmf_secure, &a);
        assert_string_equal(value_of(&a, "-machine"), "q35,accel=kvm,pflash0=fw-code,pflash1=fw-vars,smm=on");
        assert_string_equal(value_of(&a, "-global"), "driver=cfi.pflash01,property=secure,value=on");
}

static void test_bios_has_no_pflash_and_no_firmware_block_nodes(void **state) {
        _cleanup_profile_ Profile *p = profile("[vm]\nfirmware = bios\n");
        _cleanup_strv_ Strv a = { 0 };

        build(p, NULL, &a);
        assert_string_equal(value_of(&a, "-machine"), "q35,accel=kvm");
        assert_false(has(&a, "-blockdev"));
        assert_false(has(&a, "-global"));
        for (size_t i = 0; i < a.n; i++)
                assert_null(strstr(a.v[i], "fw-"));
}

/* ---- the GPU ---- */

static void test_vga_none_only_with_a_gpu(void **state) {
        _cleanup_profile_ Profile *gpu = profile(LAPTOP_PROFILE);
        _cleanup_profile_ Profile *none = profile("");
        _cleanup_strv_ Strv a = { 0 }, b = { 0 };

        build(gpu, &ovmf, &a);
        assert_string_equal(value_of(&a, "-vga"), "none");
        build(none, &ovmf, &b);
        assert_false(has(&b, "-vga"));
        assert_null(find_json(&b, "-device", "driver", "vfio-pci"));
        assert_null(find_json(&b, "-device", "driver", "pcie-root-port"));
}

static void test_the_gpu_and_its_audio_are_one_multifunction_slot_behind_a_root_port(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *port = NULL, *gpu = NULL, *audio = NULL;

        build(p, &ovmf, &a);

        port = device(&a, "rp-gpu");
        assert_string_equal(str(port, "driver"), "pcie-root-port");
        assert_string_equal(str(port, "bus"), "pcie.0");

        gpu = device(&a, "gpu");
        assert_string_equal(str(gpu, "driver"), "vfio-pci");
        assert_string_equal(str(gpu, "host"), "0000:01:00.0");
        assert_string_equal(str(gpu, "bus"), "rp-gpu");
        assert_string_equal(str(gpu, "addr"), "00.0");
        assert_true(boolean(gpu, "multifunction"));
        assert_string_equal(str(gpu, "romfile"), "/var/lib/vmrun/win10/vbios.rom");

        audio = device(&a, "gpu-fn1");
        assert_string_equal(str(audio, "driver"), "vfio-pci");
        assert_string_equal(str(audio, "host"), "0000:01:00.1");
        assert_string_equal(str(audio, "bus"), "rp-gpu");
        assert_string_equal(str(audio, "addr"), "00.1");

        /* the port comes before the devices plugged into it */
        assert_true(strstr(a.v[find_from(&a, 0, "-device") + 1], "pcie-root-port") != NULL);
}

static void test_a_gpu_alone_is_no_multifunction_device_and_has_no_romfile_unless_given(void **state) {
        _cleanup_profile_ Profile *p = profile("[gpu]\naddress = 0000:c1:00.0\nfunctions = none\n");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *gpu = NULL;

        build(p, &ovmf, &a);
        gpu = device(&a, "gpu");
        assert_string_equal(str(gpu, "host"), "0000:c1:00.0");
        assert_false(boolean(gpu, "multifunction"));
        assert_null(json_object_get(gpu, "romfile"));
        assert_null(find_json(&a, "-device", "id", "gpu-fn1"));
}

static void test_seven_companions_take_functions_1_to_7(void **state) {
        _cleanup_profile_ Profile *p = profile("[gpu]\naddress = 01:00.0\n"
                                               "functions = 01:00.1, 01:00.2, 01:00.3, 01:00.4, 01:00.5, 01:00.6, 01:00.7\n");
        _cleanup_strv_ Strv a = { 0 };

        build(p, &ovmf, &a);
        for (unsigned i = 1; i <= 7; i++) {
                _cleanup_json_ json_t *fn = NULL;
                char id[16], addr[8], host[16];

                snprintf(id, sizeof id, "gpu-fn%u", i);
                snprintf(addr, sizeof addr, "00.%u", i);
                snprintf(host, sizeof host, "0000:01:00.%u", i);
                fn = device(&a, id);
                assert_string_equal(str(fn, "addr"), addr);
                assert_string_equal(str(fn, "host"), host);
        }
}

static void test_more_than_seven_companions_is_e2big(void **state) {
        static char *const functions[] = {
                "0000:01:00.1", "0000:01:00.2", "0000:01:00.3", "0000:01:00.4",
                "0000:01:00.5", "0000:01:00.6", "0000:01:00.7", "0000:02:00.0", NULL,
        };
        _cleanup_profile_ Profile *p = profile("[gpu]\naddress = 01:00.0\n");
        Strv a = { 0 };
        QemuConfig c = {
                .profile = p,
                .firmware = &ovmf,
                .vars = VARS,
                .gpu_functions = functions,
        };

        /* a slot has eight functions and the GPU is function 0; nothing
         * is left behind (ASan would see it) */
        assert_int_equal(qemu_argv_build(&c, &a), -E2BIG);
        assert_null(a.v);
        assert_int_equal(a.n, 0);
}

static void test_the_gpus_root_port_has_hotplug_off(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *port = NULL;
        json_t *hotplug;

        build(p, &ovmf, &a);
        port = device(&a, "rp-gpu");
        hotplug = json_object_get(port, "hotplug");
        assert_true(json_is_false(hotplug));
}

static void test_subsystem_ids_go_on_the_gpu_as_integers_and_on_no_companion(void **state) {
        static const QemuPciIds lenovo = { 0x17aa, 0x3c3e };
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *gpu = NULL, *audio = NULL;
        QemuConfig c = {
                .profile = p,
                .firmware = &ovmf,
                .vars = VARS,
                .gpu_functions = p->gpu_functions,
                .gpu_subsystem = &lenovo,
        };

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        gpu = device(&a, "gpu");
        /* vfio-pci's properties are uint32: a JSON string would be refused */
        assert_true(json_is_integer(json_object_get(gpu, "x-pci-sub-vendor-id")));
        assert_int_equal(json_integer_value(json_object_get(gpu, "x-pci-sub-vendor-id")), 0x17aa);
        assert_int_equal(json_integer_value(json_object_get(gpu, "x-pci-sub-device-id")), 0x3c3e);
        audio = device(&a, "gpu-fn1");
        assert_null(json_object_get(audio, "x-pci-sub-vendor-id"));
        assert_null(json_object_get(audio, "x-pci-sub-device-id"));
}

static void test_without_subsystem_ids_the_gpu_shows_its_own(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *gpu = NULL;

        build(p, &ovmf, &a);
        gpu = device(&a, "gpu");
        assert_null(json_object_get(gpu, "x-pci-sub-vendor-id"));
        assert_null(json_object_get(gpu, "x-pci-sub-device-id"));
}

/* ---- what the guest sees of itself: the battery, the CPU ---- */

static void test_a_battery_table_is_one_acpitable_file(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 }, b = { 0 };
        QemuConfig c = {
                .profile = p,
                .firmware = &ovmf,
                .vars = VARS,
                .gpu_functions = p->gpu_functions,
                .battery_table = "/usr/share/vmrun/fake-battery.aml",
        };

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        assert_string_equal(value_of(&a, "-acpitable"), "file=/usr/share/vmrun/fake-battery.aml");

        /* none unless asked for */
        build(p, &ovmf, &b);
        assert_false(has(&b, "-acpitable"));
}

static void test_a_comma_in_the_battery_tables_path_is_doubled(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_strv_ Strv a = { 0 };
        QemuConfig c = {
                .profile = p,
                .battery_table = "/opt/a,sig=DSDT/fake-battery.aml",
        };

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        assert_string_equal(value_of(&a, "-acpitable"), "file=/opt/a,,sig=DSDT/fake-battery.aml");
}

static void test_a_colon_in_the_battery_tables_path_is_einval(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        Strv a = { 0 };
        QemuConfig c = {
                .profile = p,
                .battery_table = "/opt/a:/etc/shadow",
        };

        /* QEMU would read both files as one table: no escape exists for ':' */
        assert_int_equal(qemu_argv_build(&c, &a), -EINVAL);
        assert_null(a.v);
        assert_int_equal(a.n, 0);
}

static void test_the_gpus_rom_tables_are_acpitable_files_in_order_after_the_battery(void **state) {
        static char *const tables[] = { "/var/lib/vmrun/a,b/rom-ssdt-0.aml", "/var/lib/vmrun/a,b/rom-ssdt-1.aml", NULL };
        static char *const colon[] = { "/var/lib/vmrun/nv/rom-ssdt-0.aml", "/var/lib/vmrun/a:b/rom-ssdt-1.aml", NULL };
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };
        Strv b = { 0 };
        QemuConfig c = {
                .profile = p,
                .gpu_functions = p->gpu_functions,
                .battery_table = "/usr/share/vmrun/fake-battery.aml",
                .rom_tables = tables,
        };
        size_t at;

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        at = find_from(&a, 0, "-acpitable");
        assert_string_equal(a.v[at + 1], "file=/usr/share/vmrun/fake-battery.aml");
        at = find_from(&a, at + 1, "-acpitable");
        assert_string_equal(a.v[at + 1], "file=/var/lib/vmrun/a,,b/rom-ssdt-0.aml");
        at = find_from(&a, at + 1, "-acpitable");
        assert_string_equal(a.v[at + 1], "file=/var/lib/vmrun/a,,b/rom-ssdt-1.aml");

        /* a ':' in any of them: nothing */
        c.rom_tables = colon;
        assert_int_equal(qemu_argv_build(&c, &b), -EINVAL);
        assert_null(b.v);
}

static void test_the_gpus_root_port_is_in_the_slot_its_acpi_name_says(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *port = NULL;

        /* slot 1, function 0: devfn 8, which QEMU's DSDT names S08 */
        assert_string_equal(QEMU_GPU_ROOT_PORT_ADDR, "01.0");
        assert_string_equal(QEMU_GPU_ACPI_PATH, "\\_SB.PCI0.S08.S00");
        build(p, &ovmf, &a);
        port = device(&a, "rp-gpu");
        assert_string_equal(str(port, "addr"), QEMU_GPU_ROOT_PORT_ADDR);
}

static void test_cpu_flags_follow_the_model_in_order(void **state) {
        static char *const hv[] = { "hv-relaxed=on", "hv-spinlocks=0x1fff", "hv-time=on", NULL };
        _cleanup_profile_ Profile *kvm = profile("[vm]\nos = windows\n");
        _cleanup_profile_ Profile *tcg = profile("[vm]\nos = windows\naccel = tcg\n");
        _cleanup_strv_ Strv a = { 0 }, b = { 0 };
        QemuConfig c = { .profile = kvm, .cpu_flags = hv };

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        assert_string_equal(value_of(&a, "-cpu"), "host,hv-relaxed=on,hv-spinlocks=0x1fff,hv-time=on");

        c.profile = tcg;
        assert_int_equal(qemu_argv_build(&c, &b), 0);
        assert_string_equal(value_of(&b, "-cpu"), "max,hv-relaxed=on,hv-spinlocks=0x1fff,hv-time=on");
}

static void test_without_cpu_flags_the_model_stands_alone(void **state) {
        static char *const none[] = { NULL };
        _cleanup_profile_ Profile *p = profile("[vm]\nos = windows\n");
        _cleanup_strv_ Strv a = { 0 };
        QemuConfig c = { .profile = p, .cpu_flags = none };

        /* the flags are the plan's to choose: os = windows alone adds none here */
        assert_int_equal(qemu_argv_build(&c, &a), 0);
        assert_string_equal(value_of(&a, "-cpu"), "host");
        assert_string_equal(qemu_cpu_model(ACCEL_KVM), "host");
        assert_string_equal(qemu_cpu_model(ACCEL_TCG), "max");
}

static void test_a_comma_in_a_cpu_flag_cannot_add_another(void **state) {
        static char *const flags[] = { "hv-relaxed=on,hv-passthrough=on", NULL };
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_strv_ Strv a = { 0 };
        QemuConfig c = { .profile = p, .cpu_flags = flags };

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        assert_string_equal(value_of(&a, "-cpu"), "host,hv-relaxed=on,,hv-passthrough=on");
}

/* ---- disks ---- */

static void test_each_disk_is_a_block_node_and_a_device_named_after_its_id(void **state) {
        _cleanup_profile_ Profile *p = profile("[disk system]\nfile = /vm/system.qcow2\n"
                                               "[disk data]\nfile = /vm/data.img\nread-only = yes\n");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *sys = NULL, *data = NULL, *sysdev = NULL, *datadev = NULL;

        build(p, NULL, &a);

        sys = blockdev(&a, "disk-system");
        assert_string_equal(str(sys, "driver"), "qcow2");
        assert_false(boolean(sys, "read-only"));
        assert_string_equal(str(json_object_get(sys, "file"), "filename"), "/vm/system.qcow2");

        data = blockdev(&a, "disk-data");
        assert_string_equal(str(data, "driver"), "raw");
        assert_true(boolean(data, "read-only"));
        assert_true(boolean(json_object_get(data, "file"), "read-only"));

        sysdev = device(&a, "disk-system");
        assert_string_equal(str(sysdev, "driver"), "virtio-blk-pci");
        assert_string_equal(str(sysdev, "drive"), "disk-system");
        datadev = device(&a, "disk-data");
        assert_string_equal(str(datadev, "drive"), "disk-data");
}

static void test_nvme_disks_carry_their_id_as_serial(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *dev = NULL;

        build(p, &ovmf, &a);
        dev = device(&a, "disk-system");
        assert_string_equal(str(dev, "driver"), "nvme");
        assert_string_equal(str(dev, "drive"), "disk-system");
        assert_string_equal(str(dev, "serial"), "system");
}

static void test_sata_disks_go_on_ide0_ide1_in_order(void **state) {
        _cleanup_profile_ Profile *p = profile("[disk]\nfile = /vm/a.img\ninterface = sata\n"
                                               "[disk]\nfile = /vm/b.img\ninterface = virtio\n"
                                               "[disk]\nfile = /vm/c.img\ninterface = sata\n");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *d0 = NULL, *d1 = NULL, *d2 = NULL;

        build(p, NULL, &a);
        d0 = device(&a, "disk-disk0");
        assert_string_equal(str(d0, "driver"), "ide-hd");
        assert_string_equal(str(d0, "bus"), "ide.0");
        d1 = device(&a, "disk-disk1");
        assert_null(json_object_get(d1, "bus"));
        d2 = device(&a, "disk-disk2");
        assert_string_equal(str(d2, "driver"), "ide-hd");
        assert_string_equal(str(d2, "bus"), "ide.1");
}

static void test_a_seventh_sata_disk_is_e2big(void **state) {
        _cleanup_free_ char *text = NULL;
        _cleanup_profile_ Profile *p = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&text, &size);
        Strv a = { 0 };
        QemuConfig c = { 0 };

        assert_non_null(m);
        for (int i = 0; i < 7; i++)
                fprintf(m, "[disk]\nfile = /vm/%d.img\ninterface = %s\n", i, i < 6 ? "sata" : "virtio");
        assert_int_equal(fclose(m), 0);
        p = profile(text);
        /* the profile refuses a seventh itself; the argv does not rely on it */
        p->disks[6].interface = DISK_SATA;
        c.profile = p;

        /* q35's AHCI controller has six ports */
        assert_int_equal(qemu_argv_build(&c, &a), -E2BIG);
        assert_null(a.v);

        /* six fit */
        p->n_disks = 6;
        assert_int_equal(qemu_argv_build(&c, &a), 0);
        strv_done(&a);
        p->n_disks = 7;
}

/* ---- direct kernel boot ---- */

static void test_kernel_initrd_and_append_are_separate_whole_arguments(void **state) {
        static const char *const append = "console=ttyS0,115200 root=/dev/vda1,x=y  quiet";
        _cleanup_profile_ Profile *p = profile("[boot]\n"
                                               "kernel = /vm/boot,x/vmlinuz\n"
                                               "initrd = /vm/boot,x/initrd.img\n"
                                               "append = console=ttyS0,115200 root=/dev/vda1,x=y  quiet\n");
        _cleanup_strv_ Strv a = { 0 };

        build(p, NULL, &a);
        /* these options take their argument whole: nothing is escaped */
        assert_string_equal(value_of(&a, "-kernel"), "/vm/boot,x/vmlinuz");
        assert_string_equal(value_of(&a, "-initrd"), "/vm/boot,x/initrd.img");
        assert_string_equal(value_of(&a, "-append"), append);
        assert_int_equal(count(&a, "console=ttyS0,115200"), 0);
}

static void test_without_kernel_there_is_no_direct_boot(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_strv_ Strv a = { 0 };

        build(p, &ovmf, &a);
        assert_false(has(&a, "-kernel"));
        assert_false(has(&a, "-initrd"));
        assert_false(has(&a, "-append"));
}

/* ---- QMP ---- */

static void test_qmp_monitors_are_on_the_descriptors_the_supervisor_passes(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };

        build(p, &ovmf, &a);
        assert_true(has_pair(&a, "-chardev", "socket,id=qmp-supervisor,fd=3"));
        assert_true(has_pair(&a, "-mon", "chardev=qmp-supervisor,mode=control"));
        assert_true(has_pair(&a, "-chardev", "socket,id=qmp-public,fd=4,server=on,wait=off"));
        assert_true(has_pair(&a, "-mon", "chardev=qmp-public,mode=control"));
        assert_int_equal(count(&a, "-mon"), 2);
        assert_int_equal(QEMU_FD_QMP_SUPERVISOR, 3);
        assert_int_equal(QEMU_FD_QMP_PUBLIC, 4);
}

/* ---- network ---- */

static void test_network_user_gives_a_user_netdev_and_a_virtio_nic(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *nic = NULL;

        build(p, NULL, &a);
        assert_string_equal(value_of(&a, "-netdev"), "user,id=net0");
        nic = device(&a, "net0");
        assert_string_equal(str(nic, "driver"), "virtio-net-pci");
        assert_string_equal(str(nic, "netdev"), "net0");
}

static void test_network_none_gives_no_netdev_and_no_nic(void **state) {
        _cleanup_profile_ Profile *p = profile("[network]\nmode = none\n");
        _cleanup_strv_ Strv a = { 0 };

        build(p, NULL, &a);
        assert_false(has(&a, "-netdev"));
        assert_false(has(&a, "-nic"));
        assert_null(find_json(&a, "-device", "id", "net0"));
}

/* vmrun makes the tap on the bridge and QEMU gets its descriptor: the
 * bridge's name is vmrun's business, not QEMU's (no qemu-bridge-helper) */
static void test_network_bridge_is_a_tap_descriptor_vmrun_passes(void **state) {
        _cleanup_profile_ Profile *p = profile("[network]\nmode = bridge\nbridge = virbr1\n");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *nic = NULL;

        build(p, NULL, &a);
        assert_string_equal(value_of(&a, "-netdev"), "tap,id=net0,fd=7");
        nic = device(&a, "net0");
        assert_string_equal(str(nic, "driver"), "virtio-net-pci");
        assert_string_equal(str(nic, "netdev"), "net0");
        for (size_t i = 0; i < a.n; i++)
                assert_null(strstr(a.v[i], "virbr1"));
}

/* ---- display ---- */

static void test_without_spice_there_is_no_display_at_all(void **state) {
        _cleanup_profile_ Profile *p = profile("");
        _cleanup_strv_ Strv a = { 0 };

        build(p, NULL, &a);
        assert_string_equal(value_of(&a, "-display"), "none");
        assert_false(has(&a, "-spice"));
        assert_null(find_json(&a, "-device", "id", "spice-display"));
}

static void test_spice_beside_a_gpu_is_a_qxl_second_screen(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE);
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *display = NULL;

        build(p, &ovmf, &a);
        assert_string_equal(value_of(&a, "-display"), "none");
        assert_string_equal(value_of(&a, "-spice"), "port=5900,addr=127.0.0.1,disable-ticketing=on");
        display = device(&a, "spice-display");
        assert_string_equal(str(display, "driver"), "qxl");
}

static void test_spice_without_a_gpu_is_the_virtio_vga_screen(void **state) {
        _cleanup_profile_ Profile *p = profile("[display]\nspice = [::1]:5901\n");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *display = NULL;

        build(p, &ovmf, &a);
        assert_string_equal(value_of(&a, "-spice"), "port=5901,addr=::1,disable-ticketing=on");
        display = device(&a, "spice-display");
        assert_string_equal(str(display, "driver"), "virtio-vga");
}

static void test_every_device_and_blockdev_argument_is_json(void **state) {
        _cleanup_profile_ Profile *p = profile(LAPTOP_PROFILE "[disk]\nfile = /vm/x.img\ninterface = sata\n");
        _cleanup_strv_ Strv a = { 0 };

        build(p, &ovmf_secure, &a);
        for (size_t i = 0; i + 1 < a.n; i++)
                if (streq(a.v[i], "-device") || streq(a.v[i], "-blockdev")) {
                        _cleanup_json_ json_t *j = json_loads(a.v[i + 1], 0, NULL);

                        if (!json_is_object(j))
                                fail_msg("%s %s is not a JSON object", a.v[i], a.v[i + 1]);
                        assert_non_null(json_object_get(j, "driver"));
                }
}

/* ---- Windows 11: the TPM and Secure Boot ---- */

static void test_a_tpm_is_tpm_crb_on_swtpm_through_the_descriptor_the_supervisor_passes(void **state) {
        _cleanup_profile_ Profile *p = profile("[vm]\nfirmware = uefi-secure\ntpm = yes\n");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *tpm = NULL;
        QemuConfig c = { .profile = p, .firmware = &ovmf_secure, .vars = VARS };

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        /* swtpm's control channel: a socket QEMU was handed, no path */
        assert_true(has_pair(&a, "-chardev", "socket,id=tpm-ctrl,fd=6"));
        assert_int_equal(QEMU_FD_TPM, 6);
        assert_string_equal(value_of(&a, "-tpmdev"), "emulator,id=tpm0,chardev=tpm-ctrl");
        tpm = device(&a, "tpm");
        assert_string_equal(str(tpm, "driver"), "tpm-crb");
        assert_string_equal(str(tpm, "tpmdev"), "tpm0");
        assert_int_equal(count(&a, "-tpmdev"), 1);
        for (size_t i = 0; i < a.n; i++)
                assert_null(strstr(a.v[i], "tpm-ctrl,path="));
}

static void test_without_a_tpm_there_is_no_tpmdev_and_no_tpm_device(void **state) {
        _cleanup_profile_ Profile *p = profile("[vm]\nfirmware = uefi-secure\n");
        _cleanup_strv_ Strv a = { 0 };

        build(p, &ovmf_secure, &a);
        assert_false(has(&a, "-tpmdev"));
        assert_null(find_json(&a, "-device", "driver", "tpm-crb"));
        for (size_t i = 0; i < a.n; i++)
                assert_null(strstr(a.v[i], "tpm"));
}

static void test_uefi_secure_has_smm_its_code_read_only_and_the_vms_own_variable_store_writable(void **state) {
        _cleanup_profile_ Profile *p = profile("[vm]\nfirmware = uefi-secure\naccel = tcg\n");
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_json_ json_t *code = NULL, *vars = NULL;
        QemuConfig c = { .profile = p, .firmware = &ovmf_secure, .vars = "/var/lib/vmrun/test/efivars-secure.fd" };

        assert_int_equal(qemu_argv_build(&c, &a), 0);
        /* the descriptor says requires-smm: SMM on, and the variable
         * store writable from SMM alone */
        assert_string_equal(value_of(&a, "-machine"), "q35,accel=tcg,pflash0=fw-code,pflash1=fw-vars,smm=on");
        assert_string_equal(value_of(&a, "-global"), "driver=cfi.pflash01,property=secure,value=on");
        code = blockdev(&a, "fw-code");
        assert_string_equal(str(json_object_get(code, "file"), "filename"), ovmf_secure.code);
        assert_true(boolean(code, "read-only"));
        /* the copy, never the template with the enrolled keys itself */
        vars = blockdev(&a, "fw-vars");
        assert_string_equal(str(json_object_get(vars, "file"), "filename"), "/var/lib/vmrun/test/efivars-secure.fd");
        assert_false(boolean(vars, "read-only"));
        for (size_t i = 0; i < a.n; i++)
                assert_null(strstr(a.v[i], ovmf_secure.vars_template));
}

/* ---- the real QEMU takes the escaping as meant ---- */

typedef struct RealQemu {
        char dir[64];
        char *comma_dir, *image, *console, *socket;
        pid_t pid;
} RealQemu;

static int real_setup(void **state) {
        RealQemu *q = calloc(1, sizeof(*q));

        if (!q)
                return -1;
        q->pid = -1;
        strcpy(q->dir, "/tmp/test-qemu-argv.XXXXXX");
        *state = q;
        if (!mkdtemp(q->dir))
                return -1;
        if (asprintf(&q->comma_dir, "%s/a,format=raw,file=", q->dir) < 0 ||
            asprintf(&q->image, "%s/x.img", q->comma_dir) < 0 ||
            asprintf(&q->console, "%s/console,log", q->comma_dir) < 0 ||
            asprintf(&q->socket, "%s/qmp.sock", q->dir) < 0)
                return -1;
        return 0;
}

static int real_teardown(void **state) {
        RealQemu *q = *state;

        if (q->pid > 0) {
                kill(q->pid, SIGKILL);
                (void) waitpid(q->pid, NULL, 0);
        }
        if (q->image)
                (void) unlink(q->image);
        if (q->console)
                (void) unlink(q->console);
        if (q->comma_dir) {
                _cleanup_free_ char *table = NULL;

                /* left behind by a failed battery test */
                if (asprintf(&table, "%s/fake-battery.aml", q->comma_dir) > 0)
                        (void) unlink(table);
                (void) rmdir(q->comma_dir);
        }
        /* left behind by a failed test of the GPU's _ROM tables */
        for (size_t i = 0;; i++) {
                _cleanup_free_ char *table = NULL;

                if (asprintf(&table, "%s/rom-ssdt-%zu.aml", q->dir, i) < 0 || unlink(table) < 0)
                        break;
        }
        if (q->socket)
                (void) unlink(q->socket);
        (void) rmdir(q->dir);
        free(q->comma_dir);
        free(q->image);
        free(q->console);
        free(q->socket);
        free(q);
        return 0;
}

/* Put `fd` at `target` in a child about to exec, without CLOEXEC. */
static int move_fd(int fd, int target) {
        if (fd == target)
                return fcntl(fd, F_SETFD, 0);
        return dup2(fd, target) < 0 ? -1 : 0;
}

static int connect_unix(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        assert_true(strlen(path) < sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

/* Start QEMU with argv `a` and the two QMP descriptors the supervisor
 * would pass (a socket pair for itself, a listening socket for the public
 * monitor); returns the supervisor's monitor, past the handshake. */
static Qmp *real_start(RealQemu *q, const Strv *a, usec_t deadline) {
        _cleanup_close_pair_ int pair[2] = { -1, -1 };
        _cleanup_close_ int listener = -1, hi_pair = -1, hi_listener = -1, hi_console = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        Qmp *qmp = NULL;
        int fd;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
        listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(listener >= 0);
        assert_true(strlen(q->socket) < sizeof(sa.sun_path));
        strcpy(sa.sun_path, q->socket);
        assert_int_equal(bind(listener, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(listener, 4), 0);
        /* out of the way of 3 and 4, so placing one cannot clobber the other */
        hi_pair = fcntl(pair[1], F_DUPFD_CLOEXEC, 10);
        hi_listener = fcntl(listener, F_DUPFD_CLOEXEC, 10);
        /* the console log, opened as the supervisor does */
        fd = open(q->console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        hi_console = fcntl(fd, F_DUPFD_CLOEXEC, 10);
        assert_int_equal(close(fd), 0);
        assert_true(hi_pair >= 10 && hi_listener >= 10 && hi_console >= 10);

        q->pid = fork();
        assert_true(q->pid >= 0);
        if (q->pid == 0) {
                int null = open("/dev/null", O_RDONLY);

                if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
                    move_fd(hi_pair, QEMU_FD_QMP_SUPERVISOR) < 0 || move_fd(hi_listener, QEMU_FD_QMP_PUBLIC) < 0 ||
                    move_fd(hi_console, QEMU_FD_CONSOLE) < 0)
                        _exit(126);
                execv(a->v[0], a->v);
                _exit(127);
        }
        /* QEMU's end and the listener now live in the child only, so
         * QEMU exiting is seen as a hang-up */
        assert_int_equal(close(TAKE_FD(pair[1])), 0);
        assert_int_equal(close(TAKE_FD(hi_pair)), 0);
        assert_int_equal(close(TAKE_FD(hi_listener)), 0);
        assert_int_equal(close(TAKE_FD(listener)), 0);

        assert_int_equal(qmp_new(TAKE_FD(pair[0]), &qmp), 0);
        assert_int_equal(qmp_handshake(qmp, deadline), 0);
        return qmp;
}

static void real_quit(RealQemu *q, Qmp *qmp, usec_t deadline) {
        int wstatus;

        assert_int_equal(qmp_execute(qmp, "quit", NULL, deadline, NULL), 0);
        assert_int_equal(waitpid(q->pid, &wstatus, 0), q->pid);
        q->pid = -1;
        assert_true(WIFEXITED(wstatus));
        assert_int_equal(WEXITSTATUS(wstatus), EXIT_SUCCESS);
}

/* What a guest does to print on its first serial port: each byte to
 * COM1's transmit register, I/O port 0x3f8; here through the monitor, so
 * that no guest has to boot. */
static void guest_prints_on_com1(Qmp *qmp, const char *text, usec_t deadline) {
        for (const char *ch = text; *ch; ch++) {
                _cleanup_free_ char *line = NULL;
                _cleanup_json_ json_t *args = NULL, *reply = NULL;

                assert_true(asprintf(&line, "o /b 0x3f8 0x%02x", (unsigned char) *ch) > 0);
                args = json_pack("{s:s}", "command-line", line);
                assert_non_null(args);
                assert_int_equal(qmp_execute(qmp, "human-monitor-command", args, deadline, &reply), 0);
                /* the human monitor answers an error as text, not as a QMP error */
                assert_string_equal(json_string_value(reply), "");
        }
}

static void test_real_qemu_sees_a_comma_path_as_one_file(void **state) {
        RealQemu *q = *state;
        _cleanup_free_ char *text = NULL;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_qmp_ Qmp *qmp = NULL, *pub = NULL;
        _cleanup_json_ json_t *nodes = NULL, *blocks = NULL, *status = NULL;
        usec_t deadline;
        bool found = false;
        char printed[64];
        ssize_t len;
        int fd;

        if (access("/usr/bin/qemu-system-x86_64", X_OK) < 0)
                skip_because("QEMU (qemu-system-x86_64) is not installed");

        /* the image: <tmp>/a,format=raw,file=/x.img */
        assert_int_equal(mkdir(q->comma_dir, 0700), 0);
        fd = open(q->image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 1 << 20), 0);
        assert_int_equal(close(fd), 0);

        assert_true(asprintf(&text,
                             "[vm]\nname = commatest\nmemory = 128M\ncpus = 1\naccel = tcg\nfirmware = bios\n"
                             "[disk]\nfile = %s\n"
                             "[network]\nmode = none\n",
                             q->image) > 0);
        p = profile(text);
        assert_string_equal(p->disks[0].format, "raw");
        build_full(p, NULL, &a);

        deadline = deadline_after(30 * USEC_PER_SEC);
        qmp = real_start(q, &a, deadline);
        /* the block node's file is the whole path, commas and all */
        assert_int_equal(qmp_execute(qmp, "query-named-block-nodes", NULL, deadline, &nodes), 0);
        assert_true(json_is_array(nodes));
        for (size_t i = 0; i < json_array_size(nodes); i++) {
                json_t *n = json_array_get(nodes, i);
                const char *file = json_string_value(json_object_get(n, "file"));

                assert_non_null(file);
                assert_string_not_equal(file, "/x.img");
                assert_null(strstr(file, "/etc"));
                if (streq_ptr(json_string_value(json_object_get(n, "node-name")), "disk-disk0")) {
                        assert_string_equal(file, q->image);
                        assert_string_equal(json_string_value(json_object_get(n, "drv")), "raw");
                        found = true;
                }
        }
        assert_true(found);

        found = false;
        assert_int_equal(qmp_execute(qmp, "query-block", NULL, deadline, &blocks), 0);
        for (size_t i = 0; i < json_array_size(blocks); i++) {
                json_t *inserted = json_object_get(json_array_get(blocks, i), "inserted");

                if (streq_ptr(json_string_value(json_object_get(inserted, "node-name")), "disk-disk0")) {
                        assert_string_equal(json_string_value(json_object_get(inserted, "file")), q->image);
                        found = true;
                }
        }
        assert_true(found);

        /* what the guest prints on its serial port reaches the file the
         * supervisor opened and passed, read back here by its path */
        guest_prints_on_com1(qmp, "vmrun console\n", deadline);
        fd = open(q->console, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        len = read(fd, printed, sizeof(printed) - 1);
        assert_int_equal(close(fd), 0);
        assert_true(len >= 0);
        printed[len] = '\0';
        assert_string_equal(printed, "vmrun console\n");

        /* the public monitor answers on the socket it was handed */
        assert_int_equal(qmp_new(connect_unix(q->socket), &pub), 0);
        assert_int_equal(qmp_handshake(pub, deadline), 0);
        assert_int_equal(qmp_execute(pub, "query-status", NULL, deadline, &status), 0);
        assert_string_equal(json_string_value(json_object_get(status, "status")), "prelaunch");

        real_quit(q, qmp, deadline);
}

/* The fake battery's table and the Hyper-V flags a TCG guest gets, as the
 * plan would pass them; the table from a directory whose name would be
 * options if the commas were not doubled. */
static void test_real_qemu_takes_the_battery_table_and_the_hyperv_flags(void **state) {
        static char *const tcg_hv[] = {
                "hv-relaxed=on", "hv-vapic=on", "hv-spinlocks=0x1fff", "hv-runtime=on", "hv-time=on",
                "hv-synic=on", "hv-stimer=on", "hv-frequencies=on", "hv-tlbflush=on", "hv-ipi=on", NULL,
        };
        RealQemu *q = *state;
        const char *data = getenv("VMRUN_DATA_DIR");
        _cleanup_free_ char *built = NULL, *table = NULL, *text = NULL;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_strv_ Strv a = { 0 };
        _cleanup_qmp_ Qmp *qmp = NULL;
        _cleanup_json_ json_t *status = NULL, *cpus = NULL, *spinlocks = NULL, *args = NULL;
        const char *cpu;
        usec_t deadline;
        char buf[4096];
        ssize_t n;
        int in, out;

        if (access("/usr/bin/qemu-system-x86_64", X_OK) < 0 || !data)
                skip_because("QEMU (qemu-system-x86_64) is not installed");
        assert_true(asprintf(&built, "%s/fake-battery.aml", data) > 0);
        assert_true(asprintf(&table, "%s/fake-battery.aml", q->comma_dir) > 0);

        assert_int_equal(mkdir(q->comma_dir, 0700), 0);
        in = open(built, O_RDONLY | O_CLOEXEC);
        assert_true(in >= 0);
        out = open(table, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(out >= 0);
        while ((n = read(in, buf, sizeof buf)) > 0)
                assert_int_equal(write(out, buf, (size_t) n), n);
        assert_int_equal(n, 0);
        assert_int_equal(close(in), 0);
        assert_int_equal(close(out), 0);

        assert_true(asprintf(&text, "[vm]\nname = battery\nmemory = 128M\ncpus = 1\naccel = tcg\nfirmware = bios\nos = windows\n"
                                    "[network]\nmode = none\n") > 0);
        p = profile(text);
        QemuConfig c = { .profile = p, .cpu_flags = tcg_hv, .battery_table = table };
        assert_int_equal(qemu_argv_build(&c, &a), 0);

        /* QEMU reads the table while it builds the machine: a file it
         * cannot open, or one that is no ACPI table, ends it before QMP */
        deadline = deadline_after(30 * USEC_PER_SEC);
        qmp = real_start(q, &a, deadline);
        assert_int_equal(qmp_execute(qmp, "query-status", NULL, deadline, &status), 0);
        assert_string_equal(json_string_value(json_object_get(status, "status")), "prelaunch");

        /* and the CPU has the flags */
        assert_int_equal(qmp_execute(qmp, "query-cpus-fast", NULL, deadline, &cpus), 0);
        cpu = json_string_value(json_object_get(json_array_get(cpus, 0), "qom-path"));
        assert_non_null(cpu);
        args = json_pack("{s:s, s:s}", "path", cpu, "property", "hv-spinlocks");
        assert_non_null(args);
        assert_int_equal(qmp_execute(qmp, "qom-get", args, deadline, &spinlocks), 0);
        assert_int_equal(json_integer_value(spinlocks), 0x1fff);
        for (size_t i = 0; tcg_hv[i]; i++) {
                _cleanup_json_ json_t *v = NULL, *get = NULL;
                _cleanup_free_ char *name = strndup(tcg_hv[i], strcspn(tcg_hv[i], "="));

                if (streq(name, "hv-spinlocks"))
                        continue;
                get = json_pack("{s:s, s:s}", "path", cpu, "property", name);
                assert_non_null(get);
                assert_int_equal(qmp_execute(qmp, "qom-get", get, deadline, &v), 0);
                if (!json_is_true(v))
                        fail_msg("%s is not on in the running QEMU", name);
        }

        real_quit(q, qmp, deadline);
}

/* The GPU's _ROM tables for a ROM of more than 64 KiB, each under the
 * most QEMU takes in one -acpitable (it refuses a bigger one before QMP) */
static void test_real_qemu_takes_the_rom_tables_of_a_rom_over_64_kib(void **state) {
        RealQemu *q = *state;
        _cleanup_free_ uint8_t *rom = NULL;
        _cleanup_(rom_acpi_done) RomAcpi t = { 0 };
        _cleanup_strv_ Strv a = { 0 }, files = { 0 };
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_qmp_ Qmp *qmp = NULL;
        _cleanup_json_ json_t *status = NULL;
        _cleanup_close_ int dir_fd = -1;
        usec_t deadline;
        size_t size = 3 * ROM_ACPI_PART_SIZE - 1;

        if (access("/usr/bin/qemu-system-x86_64", X_OK) < 0)
                skip_because("QEMU (qemu-system-x86_64) is not installed");
        rom = malloc(size);
        assert_non_null(rom);
        for (size_t i = 0; i < size; i++)
                rom[i] = (uint8_t) i;
        assert_int_equal(rom_acpi_build(rom, size, &t), 0);
        assert_int_equal(t.n_tables, 3);
        /* where real_start() puts the console log */
        assert_int_equal(mkdir(q->comma_dir, 0700), 0);
        dir_fd = open(q->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        assert_true(dir_fd >= 0);
        assert_int_equal(rom_acpi_write_at(&t, dir_fd, q->dir, false, 0600), 0);
        for (size_t i = 0; i < t.n_tables; i++)
                assert_int_equal(strv_pushf(&files, "%s/rom-ssdt-%zu.aml", q->dir, i), 0);

        p = profile("[vm]\nname = rom\nmemory = 128M\ncpus = 1\naccel = tcg\nfirmware = bios\n[network]\nmode = none\n");
        QemuConfig c = { .profile = p, .rom_tables = files.v };
        assert_int_equal(qemu_argv_build(&c, &a), 0);

        deadline = deadline_after(30 * USEC_PER_SEC);
        qmp = real_start(q, &a, deadline);
        assert_int_equal(qmp_execute(qmp, "query-status", NULL, deadline, &status), 0);
        assert_string_equal(json_string_value(json_object_get(status, "status")), "prelaunch");
        real_quit(q, qmp, deadline);
        for (size_t i = 0; i < files.n; i++)
                assert_int_equal(unlink(files.v[i]), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_argv0_is_the_profiles_qemu_binary),
                cmocka_unit_test(test_nodefaults_and_no_user_config_are_always_given),
                cmocka_unit_test(test_the_guest_starts_stopped_until_the_supervisor_says_cont),
                cmocka_unit_test(test_the_name_is_the_guest_name_with_debug_threads),
                cmocka_unit_test(test_memory_cpus_and_cpu_model_follow_the_profile),

                cmocka_unit_test(test_hugepages_put_all_guest_ram_on_a_preallocated_memfd_of_that_page_size),
                cmocka_unit_test(test_hugepages_are_preallocated_by_one_thread_per_vcpu_up_to_16),
                cmocka_unit_test(test_without_hugepages_guest_ram_is_plain_m_and_no_memory_backend),

                cmocka_unit_test(test_an_unprivileged_qemu_is_sandboxed_with_every_deny),
                cmocka_unit_test(test_without_sandbox_there_is_no_sandbox_option),

                cmocka_unit_test(test_qemu_opt_escape_doubles_every_comma),
                cmocka_unit_test(test_a_comma_in_the_vm_name_is_doubled_in_the_guest_name),
                cmocka_unit_test(test_a_disk_path_with_commas_is_one_json_value_and_no_options),
                cmocka_unit_test(test_the_console_log_is_a_descriptor_vmrun_opened_not_a_path),
                cmocka_unit_test(test_hostile_values_change_no_option_only_the_value_itself),
                cmocka_unit_test(test_values_qemu_would_parse_are_refused_in_every_file_field),
                cmocka_unit_test(test_a_kernel_command_line_starting_with_a_dash_is_the_argument_of_append),
                cmocka_unit_test(test_control_characters_in_a_path_are_refused_by_the_profile),

                cmocka_unit_test(test_uefi_maps_code_and_vars_as_pflash_block_nodes),
                cmocka_unit_test(test_firmware_requiring_smm_gets_smm_and_a_secure_pflash),
                cmocka_unit_test(test_bios_has_no_pflash_and_no_firmware_block_nodes),

                cmocka_unit_test(test_vga_none_only_with_a_gpu),
                cmocka_unit_test(test_the_gpu_and_its_audio_are_one_multifunction_slot_behind_a_root_port),
                cmocka_unit_test(test_a_gpu_alone_is_no_multifunction_device_and_has_no_romfile_unless_given),
                cmocka_unit_test(test_seven_companions_take_functions_1_to_7),
                cmocka_unit_test(test_more_than_seven_companions_is_e2big),

                cmocka_unit_test(test_the_gpus_root_port_has_hotplug_off),
                cmocka_unit_test(test_subsystem_ids_go_on_the_gpu_as_integers_and_on_no_companion),
                cmocka_unit_test(test_without_subsystem_ids_the_gpu_shows_its_own),

                cmocka_unit_test(test_a_battery_table_is_one_acpitable_file),
                cmocka_unit_test(test_a_comma_in_the_battery_tables_path_is_doubled),
                cmocka_unit_test(test_the_gpus_rom_tables_are_acpitable_files_in_order_after_the_battery),
                cmocka_unit_test(test_the_gpus_root_port_is_in_the_slot_its_acpi_name_says),
                cmocka_unit_test(test_a_colon_in_the_battery_tables_path_is_einval),
                cmocka_unit_test(test_cpu_flags_follow_the_model_in_order),
                cmocka_unit_test(test_without_cpu_flags_the_model_stands_alone),
                cmocka_unit_test(test_a_comma_in_a_cpu_flag_cannot_add_another),

                cmocka_unit_test(test_each_disk_is_a_block_node_and_a_device_named_after_its_id),
                cmocka_unit_test(test_nvme_disks_carry_their_id_as_serial),
                cmocka_unit_test(test_sata_disks_go_on_ide0_ide1_in_order),
                cmocka_unit_test(test_a_seventh_sata_disk_is_e2big),

                cmocka_unit_test(test_kernel_initrd_and_append_are_separate_whole_arguments),
                cmocka_unit_test(test_without_kernel_there_is_no_direct_boot),

                cmocka_unit_test(test_qmp_monitors_are_on_the_descriptors_the_supervisor_passes),

                cmocka_unit_test(test_network_user_gives_a_user_netdev_and_a_virtio_nic),
                cmocka_unit_test(test_network_none_gives_no_netdev_and_no_nic),
                cmocka_unit_test(test_network_bridge_is_a_tap_descriptor_vmrun_passes),

                cmocka_unit_test(test_without_spice_there_is_no_display_at_all),
                cmocka_unit_test(test_spice_beside_a_gpu_is_a_qxl_second_screen),
                cmocka_unit_test(test_spice_without_a_gpu_is_the_virtio_vga_screen),
                cmocka_unit_test(test_every_device_and_blockdev_argument_is_json),

                cmocka_unit_test(test_a_tpm_is_tpm_crb_on_swtpm_through_the_descriptor_the_supervisor_passes),
                cmocka_unit_test(test_without_a_tpm_there_is_no_tpmdev_and_no_tpm_device),
                cmocka_unit_test(test_uefi_secure_has_smm_its_code_read_only_and_the_vms_own_variable_store_writable),

                cmocka_unit_test_setup_teardown(test_real_qemu_sees_a_comma_path_as_one_file, real_setup,
                                                real_teardown),
                cmocka_unit_test_setup_teardown(test_real_qemu_takes_the_rom_tables_of_a_rom_over_64_kib, real_setup,
                                                real_teardown),
                cmocka_unit_test_setup_teardown(test_real_qemu_takes_the_battery_table_and_the_hyperv_flags,
                                                real_setup, real_teardown),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
