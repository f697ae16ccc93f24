/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "skip.h"

#include <ftw.h>
#include <sys/stat.h>

#include "qemu/firmware.h"
#include "basic/log.h"

/* Features as QEMU's descriptors spell them; Debian's ovmf lists "amd-sev"
 * on every build, so the fixtures do too. */
#define F_PLAIN "\"acpi-s3\", \"amd-sev\", \"verbose-dynamic\""
#define F_SB F_PLAIN ", \"requires-smm\", \"secure-boot\""
#define F_SB_KEYS F_SB ", \"enrolled-keys\""

/* ---- helpers ---- */

/* One descriptor; NULL fields take the defaults below. */
typedef struct Desc {
        const char *interface;  /* "uefi" */
        const char *arch;       /* "x86_64" */
        const char *machines;   /* "\"pc-q35-*\"" */
        const char *features;   /* F_PLAIN */
        const char *code;       /* "/fw/CODE.fd" */
        const char *vars;       /* "/fw/VARS.fd" */
        const char *mode;       /* absent */
        const char *mapping;    /* the whole "mapping" object, instead of the above */
} Desc;

#define DESC(...) (&(const Desc) { __VA_ARGS__ })

static char *desc_json(const Desc *d) {
        _cleanup_free_ char *mapping = NULL, *mode = NULL;
        char *s;

        if (d->mode)
                assert_true(asprintf(&mode, "\"mode\": \"%s\", ", d->mode) >= 0);
        if (d->mapping)
                mapping = strdup(d->mapping);
        else
                assert_true(asprintf(&mapping,
                                     "{ \"device\": \"flash\", %s"
                                     "\"executable\": { \"filename\": \"%s\", \"format\": \"raw\" }, "
                                     "\"nvram-template\": { \"filename\": \"%s\", \"format\": \"raw\" } }",
                                     strempty(mode), d->code ? d->code : "/fw/CODE.fd",
                                     d->vars ? d->vars : "/fw/VARS.fd") >= 0);
        assert_non_null(mapping);
        assert_true(asprintf(&s,
                             "{\n"
                             "  \"description\": \"test firmware\",\n"
                             "  \"interface-types\": [ \"%s\" ],\n"
                             "  \"mapping\": %s,\n"
                             "  \"targets\": [ { \"architecture\": \"%s\", \"machines\": [ %s ] } ],\n"
                             "  \"features\": [ %s ],\n"
                             "  \"tags\": [ ]\n"
                             "}\n",
                             d->interface ? d->interface : "uefi", mapping, d->arch ? d->arch : "x86_64",
                             d->machines ? d->machines : "\"pc-q35-*\"", d->features ? d->features : F_PLAIN) >= 0);
        return s;
}

static void write_file(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        assert_true(asprintf(&path, "%s/%s", dir, name) >= 0);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, true);
        assert_int_equal(fflush(f), 0);
}

static void write_desc(const char *dir, const char *name, const Desc *d) {
        _cleanup_free_ char *text = desc_json(d);
        write_file(dir, name, text);
}

/* ---- fixture: two search directories, like /usr/share and /etc ---- */

typedef struct Fixture {
        char root[64];
        char usr[96];           /* lower priority */
        char etc[96];
        const char *dirs[3];
        Firmware *fw;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        strcpy(f->root, "/tmp/test-firmware.XXXXXX");
        if (!mkdtemp(f->root)) {
                free(f);
                return -1;
        }
        snprintf(f->usr, sizeof(f->usr), "%s/usr", f->root);
        snprintf(f->etc, sizeof(f->etc), "%s/etc", f->root);
        if (mkdir(f->usr, 0755) < 0 || mkdir(f->etc, 0755) < 0)
                return -1;
        f->dirs[0] = f->usr;
        f->dirs[1] = f->etc;
        f->dirs[2] = NULL;
        *state = f;
        return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        /* whatever a failed test left behind */
        (void) nftw(f->root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        firmware_free(f->fw);
        free(f);
        return 0;
}

static int find(Fixture *f, FirmwareKind kind, const char *machine) {
        f->fw = firmware_free(f->fw);
        return firmware_find(f->dirs, kind, machine, &f->fw);
}

/* The code image of the firmware found, which the fixtures use as its name. */
static const char *found(Fixture *f, FirmwareKind kind, const char *machine) {
        int r = find(f, kind, machine);

        if (r < 0)
                fail_msg("firmware_find(%s, %s): %s", firmware_kind_to_string(kind), machine, STRERROR(r));
        assert_non_null(f->fw);
        return f->fw->code;
}

static void assert_none(Fixture *f, FirmwareKind kind, const char *machine) {
        int r = find(f, kind, machine);

        if (r != -ENOENT)
                fail_msg("firmware_find(%s, %s): expected -ENOENT, got %d%s%s", firmware_kind_to_string(kind),
                         machine, r, f->fw ? ", code " : "", f->fw ? f->fw->code : "");
        assert_null(f->fw);
}

/* Debian bookworm's three descriptors, with the features they list. */
static void write_debian_like(const char *dir) {
        write_desc(dir, "40-edk2-x86_64-secure-enrolled.json",
                   DESC(.code = "/fw/CODE.ms.fd", .vars = "/fw/VARS.ms.fd", .features = F_SB_KEYS));
        write_desc(dir, "50-edk2-x86_64-secure.json",
                   DESC(.code = "/fw/CODE.secboot.fd", .features = F_SB));
        write_desc(dir, "60-edk2-x86_64.json",
                   DESC(.code = "/fw/CODE.fd", .machines = "\"pc-i440fx-*\", \"pc-q35-*\""));
}

/* ---- kinds ---- */

static void test_kinds_are_named_bios_uefi_and_uefi_secure(void **state) {
        assert_string_equal(firmware_kind_to_string(FIRMWARE_BIOS), "bios");
        assert_string_equal(firmware_kind_to_string(FIRMWARE_UEFI), "uefi");
        assert_string_equal(firmware_kind_to_string(FIRMWARE_UEFI_SECURE), "uefi-secure");
        assert_null(firmware_kind_to_string(_FIRMWARE_KIND_MAX));
        assert_null(firmware_kind_to_string((FirmwareKind) -1));

        assert_int_equal(firmware_kind_from_string("bios"), FIRMWARE_BIOS);
        assert_int_equal(firmware_kind_from_string("uefi"), FIRMWARE_UEFI);
        assert_int_equal(firmware_kind_from_string("uefi-secure"), FIRMWARE_UEFI_SECURE);
        assert_int_equal(firmware_kind_from_string("UEFI"), -EINVAL);
        assert_int_equal(firmware_kind_from_string("efi"), -EINVAL);
        assert_int_equal(firmware_kind_from_string(""), -EINVAL);
        assert_int_equal(firmware_kind_from_string(NULL), -EINVAL);
}

static void test_the_default_dirs_are_usr_share_then_etc(void **state) {
        assert_string_equal(firmware_default_dirs[0], "/usr/share/qemu/firmware");
        assert_string_equal(firmware_default_dirs[1], "/etc/qemu/firmware");
        assert_null(firmware_default_dirs[2]);
}

/* ---- selection by kind ---- */

static void test_uefi_picks_the_build_without_secure_boot_and_fills_every_field(void **state) {
        Fixture *f = *state;

        write_debian_like(f->usr);
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/CODE.fd");

        assert_true(startswith(f->fw->descriptor, f->usr));
        assert_string_equal(f->fw->descriptor + strlen(f->usr), "/60-edk2-x86_64.json");
        assert_string_equal(f->fw->description, "test firmware");
        assert_string_equal(f->fw->code_format, "raw");
        assert_string_equal(f->fw->vars_template, "/fw/VARS.fd");
        assert_string_equal(f->fw->vars_format, "raw");
        assert_false(f->fw->requires_smm);
        assert_false(f->fw->secure_boot);
        assert_false(f->fw->enrolled_keys);
}

static void test_uefi_secure_picks_secure_boot_with_enrolled_keys_and_smm(void **state) {
        Fixture *f = *state;

        write_debian_like(f->usr);
        assert_string_equal(found(f, FIRMWARE_UEFI_SECURE, "q35"), "/fw/CODE.ms.fd");
        assert_string_equal(f->fw->vars_template, "/fw/VARS.ms.fd");
        assert_true(f->fw->requires_smm);
        assert_true(f->fw->secure_boot);
        assert_true(f->fw->enrolled_keys);
}

static void test_uefi_never_picks_enrolled_keys_which_would_refuse_unsigned_guests(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "40-enrolled.json", DESC(.code = "/fw/CODE.ms.fd", .features = F_SB_KEYS));
        assert_none(f, FIRMWARE_UEFI, "q35");
}

static void test_uefi_takes_secure_boot_without_keys_when_nothing_plainer_is_there(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "40-enrolled.json", DESC(.code = "/fw/CODE.ms.fd", .features = F_SB_KEYS));
        write_desc(f->usr, "50-secure.json", DESC(.code = "/fw/CODE.secboot.fd", .features = F_SB));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/CODE.secboot.fd");
        assert_true(f->fw->requires_smm);
        assert_true(f->fw->secure_boot);
        assert_false(f->fw->enrolled_keys);
}

static void test_uefi_prefers_no_smm_over_smm_whatever_the_file_order(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "10-secure-smm.json", DESC(.code = "/fw/SMM.fd", .features = F_SB));
        write_desc(f->usr, "20-secure-nosmm.json",
                   DESC(.code = "/fw/NOSMM.fd", .features = F_PLAIN ", \"secure-boot\""));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/NOSMM.fd");
        assert_false(f->fw->requires_smm);
        assert_true(f->fw->secure_boot);

        /* and no Secure Boot at all over Secure Boot without keys */
        write_desc(f->usr, "30-plain.json", DESC(.code = "/fw/PLAIN.fd"));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/PLAIN.fd");
}

static void test_uefi_secure_needs_both_secure_boot_and_enrolled_keys(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "50-secure.json", DESC(.code = "/fw/CODE.secboot.fd", .features = F_SB));
        write_desc(f->usr, "55-keys-only.json",
                   DESC(.code = "/fw/KEYS.fd", .features = F_PLAIN ", \"enrolled-keys\""));
        write_desc(f->usr, "60-plain.json", DESC(.code = "/fw/CODE.fd"));
        assert_none(f, FIRMWARE_UEFI_SECURE, "q35");
}

static void test_uefi_secure_prefers_smm_which_guards_the_variable_store(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "10-keys-nosmm.json",
                   DESC(.code = "/fw/NOSMM.fd", .features = F_PLAIN ", \"secure-boot\", \"enrolled-keys\""));
        assert_string_equal(found(f, FIRMWARE_UEFI_SECURE, "q35"), "/fw/NOSMM.fd");
        assert_false(f->fw->requires_smm);

        write_desc(f->usr, "20-keys-smm.json", DESC(.code = "/fw/SMM.fd", .features = F_SB_KEYS));
        assert_string_equal(found(f, FIRMWARE_UEFI_SECURE, "q35"), "/fw/SMM.fd");
        assert_true(f->fw->requires_smm);
}

static void test_bios_is_einval_as_it_has_no_descriptor(void **state) {
        Fixture *f = *state;

        write_debian_like(f->usr);
        assert_int_equal(find(f, FIRMWARE_BIOS, "q35"), -EINVAL);
        assert_null(f->fw);
        assert_int_equal(find(f, _FIRMWARE_KIND_MAX, "q35"), -EINVAL);
        assert_null(f->fw);
}

static void test_nothing_fits_is_enoent_also_for_empty_or_missing_dirs(void **state) {
        Fixture *f = *state;
        const char *none[] = { NULL };
        const char *missing[] = { "/nonexistent/qemu/firmware", NULL };
        Firmware *fw = NULL;

        assert_none(f, FIRMWARE_UEFI, "q35");
        assert_none(f, FIRMWARE_UEFI_SECURE, "q35");
        assert_int_equal(firmware_find(none, FIRMWARE_UEFI, "q35", &fw), -ENOENT);
        assert_int_equal(firmware_find(missing, FIRMWARE_UEFI, "q35", &fw), -ENOENT);
        assert_null(fw);
}

/* ---- machines and architectures ---- */

static void test_q35_matches_pc_q35_globs_and_pc_matches_pc_i440fx_globs(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "50-q35.json", DESC(.code = "/fw/Q35.fd", .machines = "\"pc-q35-*\""));
        write_desc(f->usr, "60-i440fx.json", DESC(.code = "/fw/I440FX.fd", .machines = "\"pc-i440fx-*\""));

        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/Q35.fd");
        assert_string_equal(found(f, FIRMWARE_UEFI, "pc-q35-7.2"), "/fw/Q35.fd");
        assert_string_equal(found(f, FIRMWARE_UEFI, "pc"), "/fw/I440FX.fd");
        assert_string_equal(found(f, FIRMWARE_UEFI, "pc-i440fx-2.12"), "/fw/I440FX.fd");
        assert_none(f, FIRMWARE_UEFI, "microvm");
        assert_none(f, FIRMWARE_UEFI, "q35-extra");
}

static void test_a_glob_naming_old_versions_only_does_not_match_the_q35_alias(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "50-old.json", DESC(.machines = "\"pc-q35-2.*\""));
        assert_none(f, FIRMWARE_UEFI, "q35");
        assert_string_equal(found(f, FIRMWARE_UEFI, "pc-q35-2.12"), "/fw/CODE.fd");
}

static void test_a_machine_listed_by_its_plain_name_matches(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "50-plain-name.json", DESC(.machines = "\"q35\""));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/CODE.fd");
}

static void test_any_of_several_targets_may_be_the_x86_64_one(void **state) {
        Fixture *f = *state;
        const char *text =
                "{ \"description\": \"two targets\", \"interface-types\": [ \"uefi\" ],\n"
                "  \"mapping\": { \"device\": \"flash\",\n"
                "               \"executable\": { \"filename\": \"/fw/TWO.fd\", \"format\": \"raw\" },\n"
                "               \"nvram-template\": { \"filename\": \"/fw/VARS.fd\", \"format\": \"raw\" } },\n"
                "  \"targets\": [ { \"architecture\": \"i386\", \"machines\": [ \"pc-q35-*\" ] },\n"
                "               { \"architecture\": \"x86_64\", \"machines\": [ \"pc-i440fx-*\", \"pc-q35-*\" ] } ],\n"
                "  \"features\": [ ] }\n";

        write_file(f->usr, "50-two.json", text);
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/TWO.fd");
}

static void test_descriptors_for_other_architectures_are_skipped(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "10-aarch64.json", DESC(.code = "/fw/AAVMF.fd", .arch = "aarch64", .machines = "\"virt-*\""));
        write_desc(f->usr, "20-i386.json", DESC(.code = "/fw/IA32.fd", .arch = "i386"));
        assert_none(f, FIRMWARE_UEFI, "q35");

        write_desc(f->usr, "60-x86_64.json", DESC(.code = "/fw/X64.fd"));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/X64.fd");
}

static void test_descriptors_for_other_interfaces_are_skipped(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "50-bios.json", DESC(.interface = "bios"));
        assert_none(f, FIRMWARE_UEFI, "q35");
}

/* ---- the search path ---- */

static void test_a_file_in_a_later_dir_overrides_the_one_of_the_same_name(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "60-ovmf.json", DESC(.code = "/fw/USR.fd"));
        write_desc(f->etc, "60-ovmf.json", DESC(.code = "/fw/ETC.fd"));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/ETC.fd");
        assert_true(startswith(f->fw->descriptor, f->etc));
}

static void test_an_override_that_does_not_fit_hides_the_original_all_the_same(void **state) {
        Fixture *f = *state;

        write_desc(f->usr, "60-ovmf.json", DESC(.code = "/fw/USR.fd"));
        write_desc(f->etc, "60-ovmf.json", DESC(.code = "/fw/ETC.fd", .arch = "aarch64"));
        assert_none(f, FIRMWARE_UEFI, "q35");
}

static void test_an_empty_file_in_a_later_dir_masks_the_one_of_the_same_name(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *null = NULL;

        write_desc(f->usr, "60-ovmf.json", DESC(.code = "/fw/MASKED.fd"));
        write_file(f->etc, "60-ovmf.json", "");
        assert_none(f, FIRMWARE_UEFI, "q35");

        write_desc(f->usr, "70-other.json", DESC(.code = "/fw/OTHER.fd"));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/OTHER.fd");

        /* as in systemd, a symlink to /dev/null masks too */
        write_desc(f->usr, "50-nulled.json", DESC(.code = "/fw/NULLED.fd"));
        assert_true(asprintf(&null, "%s/50-nulled.json", f->etc) >= 0);
        assert_int_equal(symlink("/dev/null", null), 0);
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/OTHER.fd");
}

static void test_candidates_are_taken_in_file_name_order_across_dirs(void **state) {
        Fixture *f = *state;

        /* written in reverse order, so directory order cannot pass for it */
        write_desc(f->usr, "40-b.json", DESC(.code = "/fw/B.fd"));
        write_desc(f->etc, "30-a.json", DESC(.code = "/fw/A.fd"));
        write_desc(f->usr, "30-z.json", DESC(.code = "/fw/Z.fd"));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/A.fd");
}

static void test_only_json_files_are_read(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *sub = NULL;

        write_desc(f->usr, "10-ovmf.json.bak", DESC(.code = "/fw/BAK.fd"));
        write_desc(f->usr, "10-ovmf.JSON", DESC(.code = "/fw/UPPER.fd"));
        write_desc(f->usr, "10-ovmf", DESC(.code = "/fw/BARE.fd"));
        write_desc(f->usr, ".10-hidden.json", DESC(.code = "/fw/HIDDEN.fd"));
        assert_true(asprintf(&sub, "%s/10-dir.json", f->usr) >= 0);
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_none(f, FIRMWARE_UEFI, "q35");

        write_desc(f->usr, "90-ovmf.json", DESC(.code = "/fw/JSON.fd"));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/JSON.fd");
}

/* ---- unusable descriptors ---- */

static void test_bad_json_and_missing_mandatory_keys_are_skipped_not_fatal(void **state) {
        Fixture *f = *state;
        static const char *const bad[] = {
                "{",
                "[ ]",
                "\"uefi\"",
                "{ \"description\": \"x\", \"description\": \"duplicate key\" }",
                /* no "mapping" */
                "{ \"description\": \"x\", \"interface-types\": [ \"uefi\" ], \"features\": [ ],"
                "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-q35-*\" ] } ] }",
                /* no "features" */
                "{ \"description\": \"x\", \"interface-types\": [ \"uefi\" ],"
                "  \"mapping\": { \"device\": \"flash\","
                "    \"executable\": { \"filename\": \"/fw/BAD.fd\", \"format\": \"raw\" },"
                "    \"nvram-template\": { \"filename\": \"/fw/VARS.fd\", \"format\": \"raw\" } },"
                "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-q35-*\" ] } ] }",
                /* no "executable" */
                "{ \"description\": \"x\", \"interface-types\": [ \"uefi\" ], \"features\": [ ],"
                "  \"mapping\": { \"device\": \"flash\","
                "    \"nvram-template\": { \"filename\": \"/fw/VARS.fd\", \"format\": \"raw\" } },"
                "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-q35-*\" ] } ] }",
                /* features a string, not an array */
                "{ \"description\": \"x\", \"interface-types\": [ \"uefi\" ], \"features\": \"secure-boot\","
                "  \"mapping\": { \"device\": \"flash\","
                "    \"executable\": { \"filename\": \"/fw/BAD.fd\", \"format\": \"raw\" },"
                "    \"nvram-template\": { \"filename\": \"/fw/VARS.fd\", \"format\": \"raw\" } },"
                "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-q35-*\" ] } ] }",
                /* a machine that is no string */
                "{ \"description\": \"x\", \"interface-types\": [ \"uefi\" ], \"features\": [ ],"
                "  \"mapping\": { \"device\": \"flash\","
                "    \"executable\": { \"filename\": \"/fw/BAD.fd\", \"format\": \"raw\" },"
                "    \"nvram-template\": { \"filename\": \"/fw/VARS.fd\", \"format\": \"raw\" } },"
                "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ 35 ] } ] }",
                /* an executable without format */
                "{ \"description\": \"x\", \"interface-types\": [ \"uefi\" ], \"features\": [ ],"
                "  \"mapping\": { \"device\": \"flash\","
                "    \"executable\": { \"filename\": \"/fw/BAD.fd\" },"
                "    \"nvram-template\": { \"filename\": \"/fw/VARS.fd\", \"format\": \"raw\" } },"
                "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-q35-*\" ] } ] }",
        };
        char name[32];

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *path = NULL;
                Firmware *fw = NULL;

                snprintf(name, sizeof(name), "%02zu-bad.json", i);
                write_file(f->usr, name, bad[i]);
                assert_true(asprintf(&path, "%s/%s", f->usr, name) >= 0);
                if (firmware_load(path, &fw) != -EBADMSG)
                        fail_msg("firmware_load() of a bad descriptor did not fail with -EBADMSG:\n%s", bad[i]);
                assert_null(fw);
        }
        write_desc(f->usr, "10-relative.json", DESC(.code = "OVMF_CODE.fd"));
        write_desc(f->usr, "10-wrong-format.json",
                   DESC(.mapping = "{ \"device\": \"flash\","
                                   "  \"executable\": { \"filename\": \"/fw/VMDK.fd\", \"format\": \"vmdk\" },"
                                   "  \"nvram-template\": { \"filename\": \"/fw/VARS.fd\", \"format\": \"raw\" } }"));
        assert_none(f, FIRMWARE_UEFI, "q35");

        write_desc(f->usr, "99-good.json", DESC(.code = "/fw/GOOD.fd"));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/GOOD.fd");
}

static void test_unknown_keys_are_ignored_for_newer_schemas(void **state) {
        Fixture *f = *state;
        const char *text =
                "{ \"description\": \"newer\", \"interface-types\": [ \"uefi\" ], \"features\": [ ],\n"
                "  \"mapping\": { \"device\": \"flash\", \"mode\": \"split\", \"future\": true,\n"
                "               \"executable\": { \"filename\": \"/fw/NEW.fd\", \"format\": \"qcow2\", \"x\": 1 },\n"
                "               \"nvram-template\": { \"filename\": \"/fw/VARS.qcow2\", \"format\": \"qcow2\" } },\n"
                "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-q35-*\" ], \"y\": [ ] } ],\n"
                "  \"something-new\": { } }\n";

        write_file(f->usr, "50-new.json", text);
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/NEW.fd");
        assert_string_equal(f->fw->code_format, "qcow2");
        assert_string_equal(f->fw->vars_template, "/fw/VARS.qcow2");
        assert_string_equal(f->fw->vars_format, "qcow2");
}

static void test_stateless_combined_and_memory_mappings_are_skipped(void **state) {
        Fixture *f = *state;
        static const struct {
                const char *name;
                const char *mapping;
        } mappings[] = {
                { "10-stateless.json",
                  "{ \"device\": \"flash\", \"mode\": \"stateless\","
                  "  \"executable\": { \"filename\": \"/fw/STATELESS.fd\", \"format\": \"raw\" } }" },
                { "11-combined.json",
                  "{ \"device\": \"flash\", \"mode\": \"combined\","
                  "  \"executable\": { \"filename\": \"/fw/COMBINED.fd\", \"format\": \"raw\" } }" },
                { "12-memory.json", "{ \"device\": \"memory\", \"filename\": \"/fw/MEMORY.fd\" }" },
                { "13-kernel.json", "{ \"device\": \"kernel\", \"filename\": \"/fw/KERNEL\" }" },
        };

        for (size_t i = 0; i < ELEMENTSOF(mappings); i++) {
                _cleanup_free_ char *path = NULL;
                Firmware *fw = NULL;

                write_desc(f->usr, mappings[i].name, DESC(.mapping = mappings[i].mapping));
                assert_true(asprintf(&path, "%s/%s", f->usr, mappings[i].name) >= 0);
                assert_int_equal(firmware_load(path, &fw), -EOPNOTSUPP);
                assert_null(fw);
        }
        assert_none(f, FIRMWARE_UEFI, "q35");

        write_desc(f->usr, "20-split.json", DESC(.code = "/fw/SPLIT.fd", .mode = "split"));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/SPLIT.fd");
}

static void test_builds_for_sev_snp_or_tdx_are_skipped_but_listing_amd_sev_is_not(void **state) {
        Fixture *f = *state;

        /* Fedora's amdsev build: stateless, no variable store */
        write_desc(f->usr, "10-amdsev.json",
                   DESC(.features = "\"amd-sev\", \"amd-sev-es\", \"amd-sev-snp\", \"verbose-dynamic\"",
                        .mapping = "{ \"device\": \"flash\", \"mode\": \"stateless\","
                                   "  \"executable\": { \"filename\": \"/fw/AMDSEV.fd\", \"format\": \"raw\" } }"));
        /* and if one came as flash/split all the same */
        write_desc(f->usr, "11-snp.json", DESC(.code = "/fw/SNP.fd", .features = "\"amd-sev-snp\""));
        write_desc(f->usr, "12-tdx.json", DESC(.code = "/fw/TDX.fd", .features = "\"intel-tdx\""));
        write_desc(f->usr, "13-tdx.json",
                   DESC(.features = "\"intel-tdx\"",
                        .mapping = "{ \"device\": \"memory\", \"filename\": \"/fw/OVMF.inteltdx.fd\" }"));
        assert_none(f, FIRMWARE_UEFI, "q35");
        write_desc(f->usr, "14-snp-keys.json", DESC(.code = "/fw/SNPSB.fd", .features = F_SB_KEYS ", \"amd-sev-snp\""));
        assert_none(f, FIRMWARE_UEFI_SECURE, "q35");

        /* what Debian and QEMU's own descriptors list for ordinary builds */
        write_desc(f->usr, "60-ovmf.json",
                   DESC(.code = "/fw/OVMF.fd", .features = "\"acpi-s3\", \"amd-sev\", \"amd-sev-es\", \"verbose-dynamic\""));
        assert_string_equal(found(f, FIRMWARE_UEFI, "q35"), "/fw/OVMF.fd");
}

static void test_a_descriptor_without_nvram_template_loads_but_is_not_chosen(void **state) {
        Fixture *f = *state;
        _cleanup_firmware_ Firmware *fw = NULL;
        _cleanup_free_ char *path = NULL;

        write_desc(f->usr, "50-novars.json",
                   DESC(.mapping = "{ \"device\": \"flash\","
                                   "  \"executable\": { \"filename\": \"/fw/NOVARS.fd\", \"format\": \"raw\" } }"));
        assert_true(asprintf(&path, "%s/50-novars.json", f->usr) >= 0);
        assert_int_equal(firmware_load(path, &fw), 0);
        assert_string_equal(fw->code, "/fw/NOVARS.fd");
        assert_null(fw->vars_template);
        assert_null(fw->vars_format);

        assert_none(f, FIRMWARE_UEFI, "q35");
}

/* ---- firmware_load ---- */

static void test_firmware_load_reads_one_descriptor_whatever_it_is_for(void **state) {
        Fixture *f = *state;
        _cleanup_firmware_ Firmware *fw = NULL;
        _cleanup_free_ char *path = NULL;

        write_desc(f->usr, "40-enrolled.json",
                   DESC(.code = "/fw/CODE.ms.fd", .vars = "/fw/VARS.ms.fd", .features = F_SB_KEYS,
                        .arch = "aarch64"));
        assert_true(asprintf(&path, "%s/40-enrolled.json", f->usr) >= 0);
        assert_int_equal(firmware_load(path, &fw), 0);
        assert_string_equal(fw->descriptor, path);
        assert_string_equal(fw->description, "test firmware");
        assert_string_equal(fw->code, "/fw/CODE.ms.fd");
        assert_string_equal(fw->code_format, "raw");
        assert_string_equal(fw->vars_template, "/fw/VARS.ms.fd");
        assert_string_equal(fw->vars_format, "raw");
        assert_true(fw->requires_smm);
        assert_true(fw->secure_boot);
        assert_true(fw->enrolled_keys);
}

static void test_firmware_load_of_a_missing_file_is_enoent(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *path = NULL;
        Firmware *fw = NULL;

        assert_true(asprintf(&path, "%s/nonexistent.json", f->usr) >= 0);
        assert_int_equal(firmware_load(path, &fw), -ENOENT);
        assert_null(fw);
}

/* ---- this machine ---- */

static void test_the_installed_descriptors_give_ovmf_with_and_without_secure_boot(void **state) {
        _cleanup_firmware_ Firmware *uefi = NULL, *secure = NULL;
        int r;

        if (access("/usr/share/qemu/firmware", F_OK) < 0)
                skip_because("there are no QEMU firmware descriptors (/usr/share/qemu/firmware)");

        r = firmware_find(firmware_default_dirs, FIRMWARE_UEFI, "q35", &uefi);
        if (r == -ENOENT)
                skip_because("QEMU's firmware descriptors name no OVMF (install ovmf)");         /* descriptors, but not OVMF's */
        assert_int_equal(r, 0);
        print_message("uefi: %s: %s + %s\n", uefi->descriptor, uefi->code, strempty(uefi->vars_template));
        assert_false(uefi->enrolled_keys);
        assert_int_equal(access(uefi->code, R_OK), 0);
        assert_non_null(uefi->vars_template);
        assert_int_equal(access(uefi->vars_template, R_OK), 0);

        /* Debian's ovmf package */
        if (streq(uefi->descriptor, "/usr/share/qemu/firmware/60-edk2-x86_64.json")) {
                assert_string_equal(uefi->code, "/usr/share/OVMF/OVMF_CODE_4M.fd");
                assert_string_equal(uefi->vars_template, "/usr/share/OVMF/OVMF_VARS_4M.fd");
                assert_false(uefi->requires_smm);
                assert_false(uefi->secure_boot);
        }

        r = firmware_find(firmware_default_dirs, FIRMWARE_UEFI_SECURE, "q35", &secure);
        if (r == -ENOENT)
                return;
        assert_int_equal(r, 0);
        print_message("uefi-secure: %s: %s + %s\n", secure->descriptor, secure->code,
                      strempty(secure->vars_template));
        assert_true(secure->secure_boot);
        assert_true(secure->enrolled_keys);
        assert_int_equal(access(secure->code, R_OK), 0);
        assert_non_null(secure->vars_template);
        assert_int_equal(access(secure->vars_template, R_OK), 0);

        if (streq(secure->descriptor, "/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json")) {
                _cleanup_free_ char *code = realpath(secure->code, NULL);

                /* OVMF_CODE_4M.ms.fd is a symlink to the secboot build */
                assert_non_null(code);
                assert_string_equal(code, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd");
                assert_string_equal(secure->vars_template, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd");
                assert_true(secure->requires_smm);
        }
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kinds_are_named_bios_uefi_and_uefi_secure),
                cmocka_unit_test(test_the_default_dirs_are_usr_share_then_etc),

                TEST(test_uefi_picks_the_build_without_secure_boot_and_fills_every_field),
                TEST(test_uefi_secure_picks_secure_boot_with_enrolled_keys_and_smm),
                TEST(test_uefi_never_picks_enrolled_keys_which_would_refuse_unsigned_guests),
                TEST(test_uefi_takes_secure_boot_without_keys_when_nothing_plainer_is_there),
                TEST(test_uefi_prefers_no_smm_over_smm_whatever_the_file_order),
                TEST(test_uefi_secure_needs_both_secure_boot_and_enrolled_keys),
                TEST(test_uefi_secure_prefers_smm_which_guards_the_variable_store),
                TEST(test_bios_is_einval_as_it_has_no_descriptor),
                TEST(test_nothing_fits_is_enoent_also_for_empty_or_missing_dirs),

                TEST(test_q35_matches_pc_q35_globs_and_pc_matches_pc_i440fx_globs),
                TEST(test_a_glob_naming_old_versions_only_does_not_match_the_q35_alias),
                TEST(test_a_machine_listed_by_its_plain_name_matches),
                TEST(test_any_of_several_targets_may_be_the_x86_64_one),
                TEST(test_descriptors_for_other_architectures_are_skipped),
                TEST(test_descriptors_for_other_interfaces_are_skipped),

                TEST(test_a_file_in_a_later_dir_overrides_the_one_of_the_same_name),
                TEST(test_an_override_that_does_not_fit_hides_the_original_all_the_same),
                TEST(test_an_empty_file_in_a_later_dir_masks_the_one_of_the_same_name),
                TEST(test_candidates_are_taken_in_file_name_order_across_dirs),
                TEST(test_only_json_files_are_read),

                TEST(test_bad_json_and_missing_mandatory_keys_are_skipped_not_fatal),
                TEST(test_unknown_keys_are_ignored_for_newer_schemas),
                TEST(test_stateless_combined_and_memory_mappings_are_skipped),
                TEST(test_builds_for_sev_snp_or_tdx_are_skipped_but_listing_amd_sev_is_not),
                TEST(test_a_descriptor_without_nvram_template_loads_but_is_not_chosen),

                TEST(test_firmware_load_reads_one_descriptor_whatever_it_is_for),
                TEST(test_firmware_load_of_a_missing_file_is_enoent),

                cmocka_unit_test(test_the_installed_descriptors_give_ovmf_with_and_without_secure_boot),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
