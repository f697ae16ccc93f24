/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-root.h"

#include "host.h"
#include "host_steps.h"
#include "log.h"
#include "profile.h"
#include "strv.h"

/* The host steps against a fake sysfs shaped like an RTX 4060 laptop:
 *
 *   0000:00:01.0  PCIe root port (0x060400, pcieport, built in)   group 12
 *   0000:01:00.0  the GPU (0x030000, nvidia, module nvidia)       group 12
 *   0000:01:00.1  its HDMI audio (0x040300, snd_hda_intel)        group 12
 *   0000:00:1f.3  the laptop's own audio (0x040380, snd_hda_intel) group 14
 *   0000:02:00.0  the NVMe disk (0x010802, nvme)                   group 13
 *   0000:03:00.0  the Wi-Fi (0x028000, iwlwifi)                    group 15
 *
 * with efi-framebuffer.0 bound to efi-framebuffer, vtcon0 the dummy
 * console and vtcon1 "frame buffer device" bound, and /dev/vfio/12.
 *
 * Modules and units need a real kernel and systemd: what is checked here
 * is what a tree can show (the lab VM does the rest). The planning asks
 * libkmod for the holders of nvidia; on a host without nvidia loaded (any
 * test machine) there are none and the plan unloads nvidia alone. */

#define ROOT_PORT "0000:00:01.0"
#define GPU "0000:01:00.0"
#define GPU_AUDIO "0000:01:00.1"
#define LAPTOP_AUDIO "0000:00:1f.3"
#define NVME "0000:02:00.0"
#define WIFI "0000:03:00.0"

typedef struct Fixture {
        FakeRoot root;
        HostContext ctx;
        Profile *profile;
        HostSteps steps;
        Strv notes;
        json_t *expect;
} Fixture;

static void attr(const FakeRoot *f, const char *address, const char *name, const char *value) {
        char path[160];

        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/%s", address, name);
        fake_file(f, path, value);
}

/* the device's driver link, and the driver's link back to the device */
static void bind(const FakeRoot *f, const char *address, const char *driver) {
        char path[160], target[160];

        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver", address);
        snprintf(target, sizeof target, "../../../bus/pci/drivers/%s", driver);
        fake_link(f, path, target);
        snprintf(path, sizeof path, "/sys/bus/pci/drivers/%s/%s", driver, address);
        snprintf(target, sizeof target, "../../../../devices/pci0000:00/%s", address);
        fake_link(f, path, target);
}

static void pci_driver(const FakeRoot *f, const char *driver, const char *module) {
        char path[160], target[160];

        snprintf(path, sizeof path, "/sys/bus/pci/drivers/%s/bind", driver);
        fake_file(f, path, "");
        snprintf(path, sizeof path, "/sys/bus/pci/drivers/%s/unbind", driver);
        fake_file(f, path, "");
        snprintf(path, sizeof path, "/sys/bus/pci/drivers/%s/new_id", driver);
        fake_file(f, path, "");
        if (module) {
                snprintf(path, sizeof path, "/sys/bus/pci/drivers/%s/module", driver);
                snprintf(target, sizeof target, "../../../../module/%s", module);
                fake_link(f, path, target);
        }
}

static void pci_device(const FakeRoot *f, const char *address, const char *class, const char *vendor,
                       const char *driver, int group) {
        char path[160], target[160];

        attr(f, address, "class", class);
        attr(f, address, "vendor", vendor);
        attr(f, address, "device", "0x0001\n");
        attr(f, address, "driver_override", "(null)\n");
        if (driver)
                bind(f, address, driver);
        if (group >= 0) {
                snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/iommu_group", address);
                snprintf(target, sizeof target, "../../../kernel/iommu_groups/%d", group);
                fake_link(f, path, target);
                snprintf(path, sizeof path, "/sys/kernel/iommu_groups/%d/devices/%s", group, address);
                snprintf(target, sizeof target, "../../../../bus/pci/devices/%s", address);
                fake_link(f, path, target);
        }
}

static void laptop(FakeRoot *f) {
        fake_root_new(f, "host-steps");

        pci_driver(f, "pcieport", NULL);
        pci_driver(f, "nvidia", "nvidia");
        pci_driver(f, "snd_hda_intel", "snd_hda_intel");
        pci_driver(f, "nvme", "nvme");
        pci_driver(f, "iwlwifi", "iwlwifi");
        pci_driver(f, "vfio-pci", "vfio_pci");
        fake_file(f, "/sys/bus/pci/drivers_probe", "");

        pci_device(f, ROOT_PORT, "0x060400\n", "0x8086\n", "pcieport", 12);
        pci_device(f, GPU, "0x030000\n", "0x10de\n", "nvidia", 12);
        attr(f, GPU, "boot_vga", "1\n");
        pci_device(f, GPU_AUDIO, "0x040300\n", "0x10de\n", "snd_hda_intel", 12);
        pci_device(f, LAPTOP_AUDIO, "0x040380\n", "0x8086\n", "snd_hda_intel", 14);
        pci_device(f, NVME, "0x010802\n", "0x144d\n", "nvme", 13);
        pci_device(f, WIFI, "0x028000\n", "0x8086\n", "iwlwifi", 15);

        fake_link(f, "/sys/bus/platform/devices/efi-framebuffer.0/driver", "../../../bus/platform/drivers/efi-framebuffer");
        fake_file(f, "/sys/bus/platform/drivers/efi-framebuffer/bind", "");
        fake_file(f, "/sys/bus/platform/drivers/efi-framebuffer/unbind", "");
        fake_link(f, "/sys/bus/platform/devices/serial8250/driver", "../../../bus/platform/drivers/serial8250");

        fake_file(f, "/sys/class/vtconsole/vtcon0/name", "(S) dummy device\n");
        fake_file(f, "/sys/class/vtconsole/vtcon0/bind", "1\n");
        fake_file(f, "/sys/class/vtconsole/vtcon1/name", "(M) frame buffer device\n");
        fake_file(f, "/sys/class/vtconsole/vtcon1/bind", "1\n");

        fake_link(f, "/sys/class/drm/card0/device", "../../../bus/pci/devices/" GPU);
        fake_link(f, "/dev/dri/card0", "/dev/null");
        fake_link(f, "/dev/vfio/12", "/dev/null");
        fake_dir(f, "/proc");
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        laptop(&f->root);
        f->ctx = (HostContext) { .root = f->root.dir };
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        fake_root_remove(&f->root);
        host_context_done(&f->ctx);
        profile_free(f->profile);
        host_steps_done(&f->steps);
        strv_done(&f->notes);
        json_decref(f->expect);
        free(f);
        return 0;
}

static void load_profile(Fixture *f, const char *text) {
        assert_int_equal(profile_load_string("/etc/vmrun/win10.profile", text, &f->profile), 0);
        f->ctx.allow_classes = f->profile->allow_classes;
}

static int plan(Fixture *f, const char *profile, char *const *functions) {
        load_profile(f, profile);
        return host_steps_plan(&f->ctx, f->profile, functions, &f->steps, &f->notes, &f->expect);
}

/* "type param" per step, e.g. "unload-module nvidia" */
static void assert_steps(const Fixture *f, const char *const *expected) {
        size_t i;
        bool ok = true;

        for (i = 0; i < f->steps.n && expected[i]; i++) {
                const HostStep *s = &f->steps.steps[i];
                const char *key = json_object_iter_key(json_object_iter(s->params));
                json_t *v = json_object_get(s->params, key);
                char line[160];

                if (json_is_integer(v))
                        snprintf(line, sizeof line, "%s %" JSON_INTEGER_FORMAT, s->type->name, json_integer_value(v));
                else
                        snprintf(line, sizeof line, "%s %s", s->type->name, json_string_value(v));
                if (!streq(line, expected[i])) {
                        print_message("step %zu: got '%s', expected '%s'\n", i + 1, line, expected[i]);
                        ok = false;
                }
        }
        if (f->steps.n != i || expected[i]) {
                print_message("%zu steps planned\n", f->steps.n);
                ok = false;
        }
        if (!ok)
                fail_msg("the plan is not as expected");
}

/* sysfs attributes are written at offset 0 without truncation, as the
 * kernel takes them: what was written last is the first line. */
static char *first_line(const Fixture *f, const char *path) {
        char *s = fake_read(&f->root, path);

        s[strcspn(s, "\n")] = '\0';
        return s;
}

static const char *step_param(const Fixture *f, size_t i, const char *key) {
        assert_true(i < f->steps.n);
        return json_string_value(json_object_get(f->steps.steps[i].params, key));
}

static char *const with_audio[] = { (char *) GPU_AUDIO, NULL };

#define LAPTOP_PROFILE "[gpu]\naddress = 01:00.0\nfunctions = 01:00.1\n"

/* ---- planning ---- */

static void test_the_laptop_plan_hands_over_display_console_framebuffer_driver_and_audio(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_steps(f, (const char *const[]) {
                "stop-unit display-manager.service",
                "unbind-vtconsole vtcon1",
                "unbind-framebuffer efi-framebuffer.0",
                "unload-module nvidia",
                /* snd_hda_intel also drives the laptop's speakers: it stays */
                "unbind-device " GPU_AUDIO,
                "load-module vfio",
                "load-module vfio_pci",
                "load-module vfio_iommu_type1",
                "bind-vfio " GPU,
                "bind-vfio " GPU_AUDIO,
                "check-vfio-group 12",
                NULL,
        });
        assert_string_equal(step_param(f, 2, "driver"), "efi-framebuffer");
        assert_int_equal(f->notes.n, 0);
}

static void test_the_summaries_say_what_each_step_does_and_why(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_string_equal(f->steps.steps[3].summary, "unload module nvidia (driver nvidia of " GPU ")");
        assert_string_equal(f->steps.steps[4].summary,
                            "unbind " GPU_AUDIO " from snd_hda_intel (its module also drives other devices)");
        assert_string_equal(f->steps.steps[1].summary, "unbind console vtcon1: (M) frame buffer device");
}

static void test_the_expectation_for_the_restore_is_what_was_bound_before(void **state) {
        Fixture *f = *state;
        json_t *drivers;

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        drivers = json_object_get(f->expect, "drivers");
        assert_int_equal(json_object_size(drivers), 2);
        assert_string_equal(json_string_value(json_object_get(drivers, GPU)), "nvidia");
        assert_string_equal(json_string_value(json_object_get(drivers, GPU_AUDIO)), "snd_hda_intel");
        assert_true(json_is_true(json_object_get(f->expect, "fbcon")));
        assert_string_equal(json_string_value(json_object_get(f->expect, "gpu")), GPU);
}

static void test_when_the_driver_drives_only_passed_devices_it_is_unloaded_not_unbound(void **state) {
        Fixture *f = *state;

        /* the laptop's speakers on another driver: snd_hda_intel is ours alone */
        fake_unlink(&f->root, "/sys/bus/pci/drivers/snd_hda_intel/" LAPTOP_AUDIO);
        bind(&f->root, LAPTOP_AUDIO, "snd_sof_pci");
        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        for (size_t i = 0; i < f->steps.n; i++)
                assert_false(streq(f->steps.steps[i].type->name, "unbind-device"));
        assert_string_equal(f->steps.steps[3].type->name, "unload-module");
        assert_string_equal(step_param(f, 3, "module"), "nvidia");
}

static void test_a_built_in_driver_is_unbound(void **state) {
        Fixture *f = *state;

        fake_unlink(&f->root, "/sys/bus/pci/drivers/nvidia/module");
        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_string_equal(f->steps.steps[3].type->name, "unbind-device");
        assert_string_equal(step_param(f, 3, "device"), GPU);
        assert_string_equal(f->steps.steps[3].summary, "unbind " GPU " from nvidia (built into the kernel)");
}

static void test_a_device_already_on_vfio_pci_needs_no_driver_step(void **state) {
        Fixture *f = *state;

        fake_unlink(&f->root, "/sys/bus/pci/drivers/nvidia/" GPU);
        bind(&f->root, GPU, "vfio-pci");
        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        for (size_t i = 0; i < f->steps.n; i++)
                assert_false(streq(f->steps.steps[i].type->name, "unload-module"));
        assert_string_equal(json_string_value(json_object_get(json_object_get(f->expect, "drivers"), GPU)),
                            "vfio-pci");
}

static void test_display_manager_none_stops_only_the_listed_units_in_order(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, "[gpu]\naddress = 01:00.0\n[host]\ndisplay-manager = none\n"
                                 "stop-units = nvidia-persistenced.service, gdm.service\n", NULL), 0);
        assert_string_equal(f->steps.steps[0].type->name, "stop-unit");
        assert_string_equal(step_param(f, 0, "unit"), "nvidia-persistenced.service");
        assert_string_equal(f->steps.steps[1].type->name, "stop-unit");
        assert_string_equal(step_param(f, 1, "unit"), "gdm.service");
        assert_string_equal(f->steps.steps[2].type->name, "unbind-vtconsole");
}

static void test_without_fbcon_or_firmware_framebuffer_there_is_nothing_to_unbind(void **state) {
        Fixture *f = *state;

        fake_file(&f->root, "/sys/class/vtconsole/vtcon1/bind", "0\n");
        fake_unlink(&f->root, "/sys/bus/platform/devices/efi-framebuffer.0/driver");
        assert_int_equal(plan(f, "[gpu]\naddress = 01:00.0\n[host]\ndisplay-manager = none\n", NULL), 0);
        assert_steps(f, (const char *const[]) {
                "unload-module nvidia",
                "load-module vfio",
                "load-module vfio_pci",
                "load-module vfio_iommu_type1",
                "bind-vfio " GPU,
                "check-vfio-group 12",
                NULL,
        });
        assert_false(json_is_true(json_object_get(f->expect, "fbcon")));
}

static void test_a_gpu_not_on_this_host_plans_what_does_not_depend_on_it_and_says_so(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, "[gpu]\naddress = 0a:00.0\n", NULL), 0);
        assert_steps(f, (const char *const[]) {
                "stop-unit display-manager.service",
                "load-module vfio",
                "load-module vfio_pci",
                "load-module vfio_iommu_type1",
                NULL,
        });
        assert_int_equal(f->notes.n, 1);
        assert_non_null(strstr(f->notes.v[0], "0000:0a:00.0"));
}

static void test_a_profile_without_gpu_has_no_host_steps(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, "[vm]\nmemory = 1G\n", NULL), 0);
        assert_int_equal(f->steps.n, 0);
        assert_non_null(f->expect);
}

static void test_every_planned_step_type_can_be_found_by_its_journal_name(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        for (size_t i = 0; i < f->steps.n; i++)
                assert_ptr_equal(host_step_type_find(f->steps.steps[i].type->name), f->steps.steps[i].type);
        assert_null(host_step_type_find("format-disk"));
}

/* ---- what vmrun may touch ---- */

static void test_storage_and_network_devices_are_refused_unless_allowed(void **state) {
        Fixture *f = *state;

        assert_int_equal(host_check_device_allowed(&f->ctx, GPU), 0);
        assert_int_equal(host_check_device_allowed(&f->ctx, GPU_AUDIO), 0);
        assert_int_equal(host_check_device_allowed(&f->ctx, NVME), -EPERM);
        assert_int_equal(host_check_device_allowed(&f->ctx, WIFI), -EPERM);

        f->ctx.allow_classes = HOST_ALLOW_STORAGE;
        assert_int_equal(host_check_device_allowed(&f->ctx, NVME), 0);
        assert_int_equal(host_check_device_allowed(&f->ctx, WIFI), -EPERM);

        f->ctx.allow_classes = HOST_ALLOW_NETWORK;
        assert_int_equal(host_check_device_allowed(&f->ctx, NVME), -EPERM);
        assert_int_equal(host_check_device_allowed(&f->ctx, WIFI), 0);
}

static void test_a_device_name_that_is_a_path_is_refused(void **state) {
        Fixture *f = *state;

        assert_int_equal(host_check_device_allowed(&f->ctx, "../../../../etc"), -EPERM);
        assert_int_equal(host_check_device_allowed(&f->ctx, ".."), -EPERM);
}

static void test_a_write_outside_the_allow_list_is_refused(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *content = NULL;

        fake_file(&f->root, "/sys/bus/pci/devices/" GPU "/remove", "");
        assert_int_equal(host_write(&f->ctx, "/sys/bus/pci/devices/" GPU "/remove", "1", 0), -EPERM);
        assert_int_equal(host_write(&f->ctx, "/sys/module/nvidia/parameters/NVreg_x", "1", 0), -EPERM);
        assert_int_equal(host_write(&f->ctx, "/etc/passwd", "x", 0), -EPERM);
        /* a pattern's '*' matched by ".." */
        assert_int_equal(host_write(&f->ctx, "/sys/bus/pci/devices/../driver_override", "x", 0), -EPERM);
        assert_int_equal(host_write(&f->ctx, "/sys/class/vtconsole/vtcon1/../../../../etc/bind", "1", 0), -EPERM);
        content = fake_read(&f->root, "/sys/bus/pci/devices/" GPU "/remove");
        assert_string_equal(content, "");
}

static void test_a_write_that_would_take_the_disk_or_the_network_is_refused(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *content = NULL;

        assert_int_equal(host_write(&f->ctx, "/sys/bus/pci/drivers/nvme/unbind", NVME, 0), -EPERM);
        assert_int_equal(host_write(&f->ctx, "/sys/bus/pci/devices/" NVME "/driver_override", "vfio-pci", 0), -EPERM);
        assert_int_equal(host_write(&f->ctx, "/sys/bus/pci/drivers_probe", WIFI, 0), -EPERM);
        content = fake_read(&f->root, "/sys/bus/pci/drivers/nvme/unbind");
        assert_string_equal(content, "");
}

static void test_an_allowed_write_reaches_the_attribute(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *content = NULL;

        assert_int_equal(host_write(&f->ctx, "/sys/bus/pci/drivers/nvidia/unbind", GPU, 0), 0);
        content = fake_read(&f->root, "/sys/bus/pci/drivers/nvidia/unbind");
        assert_string_equal(content, GPU);
}

/* ---- steps applied to the tree ---- */

static void test_unbind_vtconsole_writes_0_and_its_undo_writes_1(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("unbind-vtconsole");
        _cleanup_json_ json_t *params = json_pack("{s:s}", "vtcon", "vtcon1"), *record = NULL;
        _cleanup_free_ char *after_apply = NULL, *after_undo = NULL;

        assert_non_null(t);
        assert_int_equal(t->apply(&f->ctx, params, &record), 0);
        assert_true(json_is_true(json_object_get(record, "was_bound")));
        after_apply = first_line(f, "/sys/class/vtconsole/vtcon1/bind");
        assert_string_equal(after_apply, "0");

        assert_int_equal(t->undo(&f->ctx, record), 0);
        after_undo = first_line(f, "/sys/class/vtconsole/vtcon1/bind");
        assert_string_equal(after_undo, "1");
}

static void test_an_unbound_console_is_recorded_as_such_and_not_rebound(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("unbind-vtconsole");
        _cleanup_json_ json_t *params = json_pack("{s:s}", "vtcon", "vtcon1"), *record = NULL;
        _cleanup_free_ char *content = NULL;

        fake_file(&f->root, "/sys/class/vtconsole/vtcon1/bind", "0\n");
        assert_int_equal(t->apply(&f->ctx, params, &record), 0);
        assert_false(json_is_true(json_object_get(record, "was_bound")));
        assert_int_equal(t->undo(&f->ctx, record), 0);
        content = fake_read(&f->root, "/sys/class/vtconsole/vtcon1/bind");
        assert_string_equal(content, "0\n");
}

static void test_unbind_framebuffer_names_the_device_to_its_driver(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("unbind-framebuffer");
        _cleanup_json_ json_t *params = json_pack("{s:s, s:s}", "device", "efi-framebuffer.0", "driver",
                                                  "efi-framebuffer"),
                              *record = NULL;
        _cleanup_free_ char *content = NULL;

        assert_int_equal(t->apply(&f->ctx, params, &record), 0);
        content = fake_read(&f->root, "/sys/bus/platform/drivers/efi-framebuffer/unbind");
        assert_string_equal(content, "efi-framebuffer.0");
        assert_true(json_is_true(json_object_get(record, "was_bound")));
}

static void test_unbind_device_records_the_driver_for_the_undo(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("unbind-device");
        _cleanup_json_ json_t *params = json_pack("{s:s}", "device", GPU_AUDIO), *record = NULL;
        _cleanup_free_ char *content = NULL;

        assert_int_equal(t->apply(&f->ctx, params, &record), 0);
        content = fake_read(&f->root, "/sys/bus/pci/drivers/snd_hda_intel/unbind");
        assert_string_equal(content, GPU_AUDIO);
        assert_string_equal(json_string_value(json_object_get(record, "driver")), "snd_hda_intel");
}

static void test_bind_vfio_that_does_not_bind_fails_and_puts_the_override_back(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("bind-vfio");
        _cleanup_json_ json_t *params = json_pack("{s:s}", "device", GPU), *record = NULL;
        _cleanup_free_ char *override = NULL, *probe = NULL;

        /* no kernel behind the tree: drivers_probe binds nothing */
        fake_unlink(&f->root, "/sys/bus/pci/drivers/nvidia/" GPU);
        fake_unlink(&f->root, "/sys/bus/pci/devices/" GPU "/driver");
        assert_int_equal(t->apply(&f->ctx, params, &record), -EIO);
        assert_null(record);
        probe = fake_read(&f->root, "/sys/bus/pci/drivers_probe");
        assert_string_equal(probe, GPU);
        /* a lone newline is what clears an override */
        override = first_line(f, "/sys/bus/pci/devices/" GPU "/driver_override");
        assert_string_equal(override, "");
}

static void test_check_vfio_group_fails_without_the_group_node(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("check-vfio-group");
        _cleanup_json_ json_t *ok = json_pack("{s:i}", "group", 12), *missing = json_pack("{s:i}", "group", 13);
        _cleanup_json_ json_t *record = NULL, *none = NULL;

        assert_int_equal(t->apply(&f->ctx, ok, &record), 0);
        assert_int_equal(t->apply(&f->ctx, missing, &none), -ENOENT);
}

/* ---- before the first step ---- */

static void test_the_precheck_passes_for_the_laptop_with_the_audio_function_named(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_int_equal(host_precheck(&f->ctx, f->profile, with_audio, &f->steps), 0);
}

static void test_a_group_member_bound_to_a_host_driver_and_not_named_is_an_error(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, "[gpu]\naddress = 01:00.0\nfunctions = none\n", NULL), 0);
        assert_int_equal(host_precheck(&f->ctx, f->profile, NULL, &f->steps), -EBUSY);
}

static void test_an_unbound_group_member_does_not_stop_the_handover(void **state) {
        Fixture *f = *state;

        fake_unlink(&f->root, "/sys/bus/pci/devices/" GPU_AUDIO "/driver");
        assert_int_equal(plan(f, "[gpu]\naddress = 01:00.0\nfunctions = none\n", NULL), 0);
        assert_int_equal(host_precheck(&f->ctx, f->profile, NULL, &f->steps), 0);
}

static void test_a_storage_device_among_the_functions_is_refused(void **state) {
        Fixture *f = *state;
        char *const functions[] = { (char *) GPU_AUDIO, (char *) NVME, NULL };

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_int_equal(host_precheck(&f->ctx, f->profile, functions, &f->steps), -EPERM);
}

static void test_without_iommu_groups_the_iommu_is_off(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *groups = fake_path(&f->root, "/sys/kernel/iommu_groups"),
                            *elsewhere = fake_path(&f->root, "/sys/kernel/no_iommu_groups");

        assert_int_equal(rename(groups, elsewhere), 0);
        fake_unlink(&f->root, "/sys/bus/pci/devices/" GPU "/iommu_group");
        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_int_equal(host_precheck(&f->ctx, f->profile, with_audio, &f->steps), -ENODEV);
}

static void test_a_process_outside_the_stopped_units_holding_the_gpu_is_an_error(void **state) {
        Fixture *f = *state;

        fake_file(&f->root, "/proc/4321/comm", "steam\n");
        fake_file(&f->root, "/proc/4321/cgroup", "0::/user.slice/user-1000.slice/session-2.scope\n");
        fake_file(&f->root, "/proc/4321/maps", "");
        fake_link(&f->root, "/proc/4321/fd/9", "/dev/null");
        assert_int_equal(plan(f, "[gpu]\naddress = 01:00.0\nfunctions = 01:00.1\n[host]\ndisplay-manager = none\n",
                              with_audio), 0);
        assert_int_equal(host_precheck(&f->ctx, f->profile, with_audio, &f->steps), -EBUSY);
}

static void test_a_holder_in_a_unit_the_plan_stops_is_fine(void **state) {
        Fixture *f = *state;

        fake_file(&f->root, "/proc/1500/comm", "gnome-shell\n");
        fake_file(&f->root, "/proc/1500/cgroup", "0::/system.slice/gdm.service\n");
        fake_file(&f->root, "/proc/1500/maps", "");
        fake_link(&f->root, "/proc/1500/fd/14", "/dev/null");
        assert_int_equal(plan(f, "[gpu]\naddress = 01:00.0\nfunctions = 01:00.1\n"
                                 "[host]\ndisplay-manager = gdm.service\n", with_audio), 0);
        assert_int_equal(host_precheck(&f->ctx, f->profile, with_audio, &f->steps), 0);
}

/* ---- after the restore ---- */

static void test_verify_finds_the_host_back_as_planned(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_int_equal(host_verify(&f->ctx, f->expect), 0);
}

static void test_verify_reports_a_device_left_on_vfio_pci(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        bind(&f->root, GPU_AUDIO, "vfio-pci");
        assert_int_equal(host_verify(&f->ctx, f->expect), -EIO);
}

static void test_verify_reports_a_missing_drm_card_and_an_unbound_console(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        fake_unlink(&f->root, "/sys/class/drm/card0/device");
        assert_int_equal(host_verify(&f->ctx, f->expect), -EIO);
        fake_link(&f->root, "/sys/class/drm/card0/device", "../../../bus/pci/devices/" GPU);
        fake_file(&f->root, "/sys/class/vtconsole/vtcon1/bind", "0\n");
        assert_int_equal(host_verify(&f->ctx, f->expect), -EIO);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_the_laptop_plan_hands_over_display_console_framebuffer_driver_and_audio),
                TEST(test_the_summaries_say_what_each_step_does_and_why),
                TEST(test_the_expectation_for_the_restore_is_what_was_bound_before),
                TEST(test_when_the_driver_drives_only_passed_devices_it_is_unloaded_not_unbound),
                TEST(test_a_built_in_driver_is_unbound),
                TEST(test_a_device_already_on_vfio_pci_needs_no_driver_step),
                TEST(test_display_manager_none_stops_only_the_listed_units_in_order),
                TEST(test_without_fbcon_or_firmware_framebuffer_there_is_nothing_to_unbind),
                TEST(test_a_gpu_not_on_this_host_plans_what_does_not_depend_on_it_and_says_so),
                TEST(test_a_profile_without_gpu_has_no_host_steps),
                TEST(test_every_planned_step_type_can_be_found_by_its_journal_name),

                TEST(test_storage_and_network_devices_are_refused_unless_allowed),
                TEST(test_a_device_name_that_is_a_path_is_refused),
                TEST(test_a_write_outside_the_allow_list_is_refused),
                TEST(test_a_write_that_would_take_the_disk_or_the_network_is_refused),
                TEST(test_an_allowed_write_reaches_the_attribute),

                TEST(test_unbind_vtconsole_writes_0_and_its_undo_writes_1),
                TEST(test_an_unbound_console_is_recorded_as_such_and_not_rebound),
                TEST(test_unbind_framebuffer_names_the_device_to_its_driver),
                TEST(test_unbind_device_records_the_driver_for_the_undo),
                TEST(test_bind_vfio_that_does_not_bind_fails_and_puts_the_override_back),
                TEST(test_check_vfio_group_fails_without_the_group_node),

                TEST(test_the_precheck_passes_for_the_laptop_with_the_audio_function_named),
                TEST(test_a_group_member_bound_to_a_host_driver_and_not_named_is_an_error),
                TEST(test_an_unbound_group_member_does_not_stop_the_handover),
                TEST(test_a_storage_device_among_the_functions_is_refused),
                TEST(test_without_iommu_groups_the_iommu_is_off),
                TEST(test_a_process_outside_the_stopped_units_holding_the_gpu_is_an_error),
                TEST(test_a_holder_in_a_unit_the_plan_stops_is_fine),

                TEST(test_verify_finds_the_host_back_as_planned),
                TEST(test_verify_reports_a_device_left_on_vfio_pci),
                TEST(test_verify_reports_a_missing_drm_card_and_an_unbound_console),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
