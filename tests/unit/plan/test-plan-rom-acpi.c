/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-root.h"
#include "plan-view.h"

#include "basic/log.h"
#include "plan/plan.h"
#include "profile/profile.h"

/* [gpu] rom-acpi: when the plan gives the guest's ACPI a _ROM serving
 * [gpu] rom, why it says it does or not, and the tables it then hands
 * QEMU. The host is a fake sysfs (VMRUN_ROOT): the GPU's IDs, and the
 * DMI chassis type that tells a laptop. */

#define PATH "/etc/vmrun/test.profile"
#define GPU "0000:01:00.0"
#define LAPTOP "10\n"           /* Notebook */
#define DESKTOP "3\n"

typedef struct Host {
        FakeRoot root;
        HostContext ctx;
        char *rom;              /* ROOT/vbios.rom */
} Host;

static int host_setup(void **state) {
        Host *h = calloc(1, sizeof(*h));

        if (!h)
                return -1;
        fake_root_new(&h->root, "plan-rom-acpi");
        h->ctx = (HostContext) { .root = h->root.dir };
        h->rom = fake_path(&h->root, "/vbios.rom");
        *state = h;
        return 0;
}

static int host_teardown(void **state) {
        Host *h = *state;

        fake_root_remove(&h->root);
        free(h->rom);
        free(h);
        return 0;
}

/* The GPU (VENDOR, 0x28e0) in a host of DMI chassis type CHASSIS (NULL:
 * none said), and a ROM of `rom_size` bytes (0: none) */
static void host(Host *h, const char *vendor, const char *chassis, size_t rom_size) {
        _cleanup_fclose_ FILE *f = NULL;

        fake_file(&h->root, "/sys/bus/pci/devices/" GPU "/class", "0x030000\n");
        fake_file(&h->root, "/sys/bus/pci/devices/" GPU "/vendor", vendor);
        fake_file(&h->root, "/sys/bus/pci/devices/" GPU "/device", "0x28e0\n");
        if (chassis)
                fake_file(&h->root, "/sys/class/dmi/id/chassis_type", chassis);
        if (rom_size == 0)
                return;
        f = fopen(h->rom, "we");
        assert_non_null(f);
        for (size_t i = 0; i < rom_size; i++)
                assert_int_equal(fputc((int) (i & 0xff), f), (int) (i & 0xff));
}

/* A VM with the GPU, [gpu] rom the fake root's vbios.rom (when
 * `with_rom`) and `more` lines in [gpu] */
static Profile *profile(const Host *h, bool with_rom, const char *more) {
        _cleanup_free_ char *text = NULL;
        Profile *p = NULL;

        assert_true(asprintf(&text,
                             "[vm]\nname = nv\naccel = tcg\nfirmware = bios\n"
                             "[gpu]\naddress = " GPU "\nfunctions = none\n%s%s%s%s"
                             "[network]\nmode = none\n[qemu]\nuser = nobody\n",
                             with_rom ? "rom = " : "", with_rom ? h->rom : "", with_rom ? "\n" : "", more) > 0);
        assert_int_equal(profile_load_string(PATH, text, &p), 0);
        return p;
}

/* plan_rom_acpi_decide(): on or off, and the reason containing `why` */
static void assert_decided(Host *h, const Profile *p, bool on, const char *why) {
        _cleanup_free_ char *said = NULL;
        bool got;

        assert_int_equal(plan_rom_acpi_decide(&h->ctx, p, &got, &said), 0);
        assert_non_null(said);
        if (got != on || !strstr(said, why))
                fail_msg("decided %s: \"%s\"; want %s: \"%s\"", got ? "on" : "off", said, on ? "on" : "off", why);
}

static void test_auto_gives_an_nvidia_gpu_in_a_laptop_a_rom_and_says_why(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL, *q = NULL;

        host(h, "0x10de\n", LAPTOP, 1024);
        p = profile(h, true, "");
        assert_int_equal(p->gpu_rom_acpi, GPU_ROM_ACPI_AUTO);
        assert_decided(h, p, true,
                       "[gpu] rom-acpi = auto: an NVIDIA GPU (10de:28e0) in a laptop (DMI chassis type 10, Notebook)");
        /* a convertible is a laptop too */
        fake_file(&h->root, "/sys/class/dmi/id/chassis_type", "31\n");
        q = profile(h, true, "rom-acpi = auto\n");
        assert_decided(h, q, true, "(DMI chassis type 31, Convertible)");
}

static void test_auto_gives_none_to_a_desktop_another_vendor_or_without_a_rom_and_says_why(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL, *no_rom = NULL;

        host(h, "0x10de\n", DESKTOP, 1024);
        p = profile(h, true, "");
        assert_decided(h, p, false, "this host is no laptop (DMI chassis type 3)");

        fake_file(&h->root, "/sys/class/dmi/id/chassis_type", LAPTOP);
        fake_file(&h->root, "/sys/bus/pci/devices/" GPU "/vendor", "0x1002\n");
        assert_decided(h, p, false, "the GPU (1002:28e0) is not NVIDIA's");

        fake_file(&h->root, "/sys/bus/pci/devices/" GPU "/vendor", "0x10de\n");
        no_rom = profile(h, false, "");
        assert_decided(h, no_rom, false, "there is no [gpu] rom to serve");

        fake_unlink(&h->root, "/sys/class/dmi/id/chassis_type");
        assert_decided(h, p, false, "does not say whether it is a laptop (no /sys/class/dmi/id/chassis_type)");

        fake_root_remove(&h->root);
        fake_root_new(&h->root, "plan-rom-acpi");
        h->ctx.root = h->root.dir;
        assert_decided(h, p, false, "GPU 0000:01:00.0 is not on this host");
}

static void test_yes_and_no_win_over_what_the_host_is(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *yes = NULL, *no = NULL, *none = NULL;
        _cleanup_free_ char *why = NULL;
        bool on = true;

        host(h, "0x1002\n", DESKTOP, 1024);
        yes = profile(h, true, "rom-acpi = yes\n");
        assert_decided(h, yes, true, "[gpu] rom-acpi = yes");
        fake_file(&h->root, "/sys/bus/pci/devices/" GPU "/vendor", "0x10de\n");
        fake_file(&h->root, "/sys/class/dmi/id/chassis_type", LAPTOP);
        no = profile(h, true, "rom-acpi = no\n");
        assert_decided(h, no, false, "[gpu] rom-acpi = no");

        /* without a GPU there is nothing to say */
        assert_int_equal(profile_load_string(PATH, "[vm]\nname = nogpu\n", &none), 0);
        assert_int_equal(plan_rom_acpi_decide(&h->ctx, none, &on, &why), 0);
        assert_false(on);
        assert_null(why);
}

/* ---- the whole plan ---- */

static Plan *plan_for(Host *h, const Profile *p) {
        Plan *plan = NULL;

        assert_int_equal(setenv("VMRUN_ROOT", h->root.dir, 1), 0);
        assert_int_equal(setenv("VMRUN_STATE_DIR", "/srv/state", 1), 0);
        assert_int_equal(plan_new(p, &plan), 0);
        assert_int_equal(unsetenv("VMRUN_STATE_DIR"), 0);
        return plan;
}

/* The -acpitable arguments, in order */
static size_t acpitables(const Plan *plan, const char **ret, size_t max) {
        size_t n = 0;

        for (size_t i = 0; i + 1 < plan->argv.n; i++)
                if (streq(plan->argv.v[i], "-acpitable") && n < max)
                        ret[n++] = plan->argv.v[i + 1];
        return n;
}

static void test_the_plan_passes_each_table_with_acpitable_and_gives_it_to_qemus_user(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_free_ char *text = NULL, *want = NULL;
        _cleanup_json_ json_t *j = NULL;
        json_t *rom_acpi;
        const char *tables[4];

        /* over 64 KiB: two tables */
        host(h, "0x10de\n", LAPTOP, 70000);
        p = profile(h, true, "");
        plan = plan_for(h, p);

        assert_int_equal(plan->rom_acpi.n_tables, 2);
        assert_int_equal(acpitables(plan, tables, ELEMENTSOF(tables)), 2);
        assert_string_equal(tables[0], "file=/srv/state/nv/rom-ssdt-0.aml");
        assert_string_equal(tables[1], "file=/srv/state/nv/rom-ssdt-1.aml");
        /* root's 0600 when written: QEMU's user is given them */
        assert_true(granted(plan, "/srv/state/nv/rom-ssdt-0.aml"));
        assert_true(granted(plan, "/srv/state/nv/rom-ssdt-1.aml"));

        /* the root port is where the tables say the GPU is */
        for (size_t i = 0; i + 1 < plan->argv.n; i++)
                if (strstr(plan->argv.v[i + 1], "\"pcie-root-port\""))
                        assert_non_null(strstr(plan->argv.v[i + 1], "\"addr\":\"01.0\""));

        text = printed(plan);
        assert_true(asprintf(&want, "vBIOS via ACPI: _ROM on \\_SB.PCI0.S08.S00 serves %s, 2 SSDTs "
                                    "(/srv/state/nv/rom-ssdt-0.aml ..., written at start) for -acpitable; [gpu] "
                                    "rom-acpi = auto: an NVIDIA GPU", h->rom) > 0);
        if (!strstr(text, want))
                fail_msg("no \"%s\" in:\n%s", want, text);

        assert_int_equal(plan_to_json(plan, &j), 0);
        rom_acpi = json_object_get(json_object_get(j, "gpu"), "rom_acpi");
        assert_true(json_is_true(json_object_get(rom_acpi, "on")));
        assert_string_equal(json_string_value(json_object_get(rom_acpi, "device")), "\\_SB.PCI0.S08.S00");
        assert_int_equal(json_array_size(json_object_get(rom_acpi, "tables")), 2);
}

static void test_without_a_table_there_is_no_acpitable_and_the_plan_says_why(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_free_ char *text = NULL;
        const char *tables[4];

        host(h, "0x10de\n", DESKTOP, 1024);
        p = profile(h, true, "");
        plan = plan_for(h, p);
        assert_int_equal(acpitables(plan, tables, ELEMENTSOF(tables)), 0);
        assert_null(plan->rom_tables);
        assert_false(granted(plan, "/srv/state/nv/rom-ssdt-0.aml"));
        text = printed(plan);
        assert_non_null(strstr(text, "vBIOS via ACPI: no _ROM: [gpu] rom-acpi = auto, and this host is no laptop"));
}

static bool has_note(const Plan *plan, const char *text) {
        for (size_t i = 0; i < plan->notes.n; i++)
                if (strstr(plan->notes.v[i], text))
                        return true;
        return false;
}

static void test_a_rom_missing_or_too_big_passes_no_table_and_is_a_note(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *missing = NULL, *big = NULL;
        _cleanup_free_ char *text = NULL;
        const char *tables[4];

        host(h, "0x10de\n", LAPTOP, 0);
        p = profile(h, true, "rom-acpi = yes\n");
        missing = plan_for(h, p);
        assert_int_equal(acpitables(missing, tables, ELEMENTSOF(tables)), 0);
        assert_true(missing->notes.n > 0);
        text = printed(missing);
        assert_non_null(strstr(text, "vBIOS via ACPI: no _ROM, though [gpu] rom-acpi = yes"));

        /* more than any vBIOS: a sparse file */
        {
                _cleanup_close_ int fd = open(h->rom, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                assert_true(fd >= 0);
                assert_int_equal(ftruncate(fd, ROM_ACPI_SIZE_MAX + 1), 0);
        }
        big = plan_for(h, p);
        assert_int_equal(acpitables(big, tables, ELEMENTSOF(tables)), 0);
        assert_true(has_note(big, "is more than the 4 MiB _ROM serves ([gpu] rom-acpi)"));
}

/* QEMU puts an initrd for SeaBIOS where SeaBIOS puts tables past 128 KiB */
static void test_seabios_with_an_initrd_and_tables_past_its_room_is_a_note(void **state) {
        Host *h = *state;
        _cleanup_free_ char *text = NULL;
        _cleanup_profile_ Profile *p = NULL, *small = NULL;
        _cleanup_plan_ Plan *plan = NULL, *small_plan = NULL;

        host(h, "0x10de\n", LAPTOP, 150000);
        assert_true(asprintf(&text, "[vm]\nname = nv\naccel = tcg\nfirmware = bios\n"
                                    "[gpu]\naddress = " GPU "\nfunctions = none\nrom = %s\n"
                                    "[boot]\nkernel = /boot/vmlinuz\ninitrd = /boot/initrd.img\n"
                                    "[network]\nmode = none\n[qemu]\nuser = nobody\n", h->rom) > 0);
        assert_int_equal(profile_load_string(PATH, text, &p), 0);
        plan = plan_for(h, p);
        assert_int_equal(plan->rom_acpi.n_tables, 3);
        assert_true(has_note(plan, "[gpu] rom-acpi: the _ROM tables are 146 KiB, and with [vm] firmware = bios QEMU "
                                   "loads [boot] initrd where SeaBIOS puts ACPI tables past 128 KiB"));

        /* a ROM in one table fits */
        fake_unlink(&h->root, "/vbios.rom");
        host(h, "0x10de\n", LAPTOP, 60000);
        assert_int_equal(profile_load_string(PATH, text, &small), 0);
        small_plan = plan_for(h, small);
        assert_false(has_note(small_plan, "[gpu] rom-acpi"));
}

static void test_a_state_directory_with_a_colon_fails_the_plan(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        Plan *plan = NULL;

        host(h, "0x10de\n", LAPTOP, 1024);
        p = profile(h, true, "rom-acpi = yes\n");
        assert_int_equal(setenv("VMRUN_ROOT", h->root.dir, 1), 0);
        assert_int_equal(setenv("VMRUN_STATE_DIR", "/srv/a:b", 1), 0);
        assert_int_equal(plan_new(p, &plan), -EINVAL);
        assert_int_equal(unsetenv("VMRUN_STATE_DIR"), 0);
        assert_null(plan);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_auto_gives_an_nvidia_gpu_in_a_laptop_a_rom_and_says_why,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(
                        test_auto_gives_none_to_a_desktop_another_vendor_or_without_a_rom_and_says_why, host_setup,
                        host_teardown),
                cmocka_unit_test_setup_teardown(test_yes_and_no_win_over_what_the_host_is, host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(
                        test_the_plan_passes_each_table_with_acpitable_and_gives_it_to_qemus_user, host_setup,
                        host_teardown),
                cmocka_unit_test_setup_teardown(test_without_a_table_there_is_no_acpitable_and_the_plan_says_why,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_a_rom_missing_or_too_big_passes_no_table_and_is_a_note,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_seabios_with_an_initrd_and_tables_past_its_room_is_a_note,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_a_state_directory_with_a_colon_fails_the_plan, host_setup,
                                                host_teardown),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
