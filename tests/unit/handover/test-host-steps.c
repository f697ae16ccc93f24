/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "skip.h"
#include "capture.h"
#include "fake-root.h"
#include "fake-manager.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "host/host.h"
#include "handover/steps.h"
#include "basic/log.h"
#include "profile/profile.h"
#include "basic/strv.h"

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
        Strv holders;           /* the plan's line per holder */
        json_t *expect;
        FakeManager manager;    /* uid 1000's, when a test starts it */
} Fixture;

static void attr(const FakeRoot *f, const char *address, const char *name, const char *value) {
        char path[160];

        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/%s", address, name);
        fake_file(f, path, value);
}

/* the device's driver link, and the driver's link back to the device */
static void bind_driver(const FakeRoot *f, const char *address, const char *driver) {
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
                bind_driver(f, address, driver);
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

        fake_manager_stop(&f->manager);
        fake_root_remove(&f->root);
        host_context_done(&f->ctx);
        profile_free(f->profile);
        host_steps_done(&f->steps);
        strv_done(&f->notes);
        strv_done(&f->holders);
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
        return host_steps_plan(&f->ctx, f->profile, functions, &f->steps, &f->notes, &f->holders, &f->expect);
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
                else if (json_is_array(v))      /* wait-released: the devices, the first one named */
                        snprintf(line, sizeof line, "%s %s", s->type->name, json_string_value(json_array_get(v, 0)));
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

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_string_equal(f->steps.steps[3].type->name, "unload-module");
        assert_string_equal(step_param(f, 3, "module"), "nvidia");
        for (size_t i = 0; i < f->steps.n; i++)
                assert_false(streq(f->steps.steps[i].type->name, "unbind-device") &&
                             streq(step_param(f, i, "device"), GPU));
}

/* A laptop whose speakers are on SOF: snd_hda_intel drives the GPU's
 * HDMI audio alone, and PipeWire's open nodes would keep it loaded; the
 * unbind takes the card away, and PipeWire lets go of it. */
static void test_a_sound_driver_of_the_gpus_audio_alone_is_unbound_not_unloaded(void **state) {
        Fixture *f = *state;

        fake_unlink(&f->root, "/sys/bus/pci/drivers/snd_hda_intel/" LAPTOP_AUDIO);
        bind_driver(&f->root, LAPTOP_AUDIO, "snd_sof_pci");
        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        for (size_t i = 0; i < f->steps.n; i++)
                assert_false(streq(f->steps.steps[i].type->name, "unload-module") &&
                             streq(step_param(f, i, "module"), "snd_hda_intel"));
        assert_string_equal(f->steps.steps[4].type->name, "unbind-device");
        assert_string_equal(f->steps.steps[4].summary, "unbind " GPU_AUDIO " from snd_hda_intel (a sound card: its "
                                                       "open nodes would keep the module loaded)");
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
        bind_driver(&f->root, GPU, "vfio-pci");
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

/* `vmrun restore` after a dead supervisor verifies what the supervisor
 * would have: the journal carries what the host must look like after, and
 * a driver not back is an error, named. */
static void test_restore_from_the_journal_verifies_the_host_as_the_supervisor_does(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *journal = fake_path(&f->root, "/run/journal.json");
        _cleanup_free_ char *log = NULL;
        Capture c;
        FILE *j;

        fake_file(&f->root, "/run/journal.json", "");
        j = fopen(journal, "we");
        assert_non_null(j);
        fputs("{\"version\": 1, \"vm\": \"w\", \"steps\": [], \"expect\": "
              "{\"drivers\": {\"" GPU_AUDIO "\": \"snd_hda_intel\"}}}", j);
        assert_int_equal(fclose(j), 0);

        fake_unlink(&f->root, "/sys/bus/pci/devices/" GPU_AUDIO "/driver");
        capture_start(&c);
        assert_int_equal(handover_restore(&f->ctx, NULL, journal), -EIO);
        log = capture_end(&c);
        assert_logged(log, "not back: " GPU_AUDIO " is bound to no driver, it was bound to snd_hda_intel");
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

/* The writer that is left stuck in the kernel holds nothing of vmrun's:
 * when the supervisor has given up and exited, its VM and device locks
 * are free (a FIFO no one reads stands in for a driver that never
 * returns from remove()). */
static void test_a_stuck_write_is_given_up_and_its_writer_holds_no_lock_of_vmruns(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *fifo = fake_path(&f->root, "/sys/class/vtconsole/vtcon1/bind");
        _cleanup_free_ char *lock_path = fake_path(&f->root, "/run/vm.lock");
        _cleanup_free_ char *log = NULL;
        Capture c;
        int lock, again, reader, taken;

        assert_int_equal(unlink(fifo), 0);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        fake_file(&f->root, "/run/vm.lock", "");
        lock = open(lock_path, O_RDWR | O_CLOEXEC);
        assert_true(lock >= 0);
        assert_int_equal(flock(lock, LOCK_EX | LOCK_NB), 0);

        capture_start(&c);
        assert_int_equal(host_write(&f->ctx, "/sys/class/vtconsole/vtcon1/bind", "0", 100 * USEC_PER_MSEC), -ETIMEDOUT);
        log = capture_end(&c);
        assert_logged(log, "the writer (pid ");

        /* the supervisor exits: its descriptors go, the stuck writer stays */
        assert_int_equal(close(lock), 0);
        again = open(lock_path, O_RDWR | O_CLOEXEC);
        assert_true(again >= 0);
        taken = flock(again, LOCK_EX | LOCK_NB);
        close(again);

        /* let the writer go before judging, so a failure leaves none behind */
        reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(reader >= 0);
        while (waitpid(-1, NULL, 0) < 0 && errno == EINTR)
                ;
        close(reader);
        assert_int_equal(taken, 0);
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
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        assert_true(json_is_true(json_object_get(record, "was_bound")));
        after_apply = first_line(f, "/sys/class/vtconsole/vtcon1/bind");
        assert_string_equal(after_apply, "0");

        assert_int_equal(t->undo(&f->ctx, record), 0);
        after_undo = first_line(f, "/sys/class/vtconsole/vtcon1/bind");
        assert_string_equal(after_undo, "1");
}

/* fbcon on the firmware's framebuffer (efifb: fb0 hangs off
 * efi-framebuffer.0), which the kernel removes for good once vfio-pci takes
 * the VGA GPU: the console cannot come back, so the restore does not
 * expect it, the plan says why, and its undo says it instead of failing. */
static void test_a_console_on_the_firmware_framebuffer_is_not_expected_back(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;

        fake_link(&f->root, "/sys/class/graphics/fb0/device", "../../../efi-framebuffer.0");
        fake_file(&f->root, "/sys/class/graphics/fbcon/uevent", "");
        capture_start(&c);
        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        log = capture_end(&c);
        assert_true(json_is_false(json_object_get(f->expect, "fbcon")));
        assert_logged(log, "the consoles are drawn on the firmware framebuffer efi-framebuffer.0");
}

/* The firmware drew on another GPU (an iGPU): its framebuffer is not in
 * this GPU's memory, vfio-pci leaves it, and the console stays. */
static void test_a_firmware_framebuffer_of_another_gpu_stays_and_its_console_is_expected_back(void **state) {
        Fixture *f = *state;

        fake_link(&f->root, "/sys/class/graphics/fb0/device", "../../../efi-framebuffer.0");
        fake_file(&f->root, "/sys/bus/pci/devices/" GPU "/boot_vga", "0\n");
        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_true(json_is_true(json_object_get(f->expect, "fbcon")));
}

static void test_a_console_on_the_gpu_drivers_framebuffer_is_expected_back(void **state) {
        Fixture *f = *state;

        fake_link(&f->root, "/sys/class/graphics/fb0/device", "../../../0000:01:00.0");
        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_true(json_is_true(json_object_get(f->expect, "fbcon")));
}

static void test_a_console_gone_with_the_firmware_framebuffer_is_said_not_failed(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("unbind-vtconsole");
        /* as the plan makes it when fb0 is efi-framebuffer.0's */
        _cleanup_json_ json_t *params = json_pack("{s:s, s:s}", "vtcon", "vtcon1", "firmware_fb", "efi-framebuffer.0"),
                              *record = NULL;
        _cleanup_free_ char *log = NULL;
        Capture c;

        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        assert_string_equal(json_string_value(json_object_get(record, "firmware_fb")), "efi-framebuffer.0");
        fake_unlink(&f->root, "/sys/class/vtconsole/vtcon1/bind");
        capture_start(&c);
        assert_int_equal(t->undo(&f->ctx, record), 0);
        log = capture_end(&c);
        assert_logged(log, "console vtcon1 does not come back: it was drawn on the firmware framebuffer "
                           "efi-framebuffer.0");
}

/* On the GPU driver's own framebuffer, a console that does not come back
 * means that driver did not: an error for `vmrun restore`. */
static void test_a_console_gone_with_the_gpu_drivers_framebuffer_is_an_error(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("unbind-vtconsole");
        _cleanup_json_ json_t *params = json_pack("{s:s}", "vtcon", "vtcon1"), *record = NULL;
        _cleanup_free_ char *log = NULL;
        Capture c;

        fake_link(&f->root, "/sys/class/graphics/fb0/device", "../../../0000:01:00.0");
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        assert_null(json_object_get(record, "firmware_fb"));
        fake_unlink(&f->root, "/sys/class/vtconsole/vtcon1/bind");
        capture_start(&c);
        assert_int_equal(t->undo(&f->ctx, record), -ENOENT);
        log = capture_end(&c);
        assert_logged(log, "console vtcon1 is gone: no framebuffer came back for it");
}

static void test_an_unbound_console_is_recorded_as_such_and_not_rebound(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("unbind-vtconsole");
        _cleanup_json_ json_t *params = json_pack("{s:s}", "vtcon", "vtcon1"), *record = NULL;
        _cleanup_free_ char *content = NULL;

        fake_file(&f->root, "/sys/class/vtconsole/vtcon1/bind", "0\n");
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
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

        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        content = fake_read(&f->root, "/sys/bus/platform/drivers/efi-framebuffer/unbind");
        assert_string_equal(content, "efi-framebuffer.0");
        assert_true(json_is_true(json_object_get(record, "was_bound")));
}

static void test_unbind_device_records_the_driver_for_the_undo(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("unbind-device");
        _cleanup_json_ json_t *params = json_pack("{s:s}", "device", GPU_AUDIO), *record = NULL;
        _cleanup_free_ char *content = NULL;

        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        content = fake_read(&f->root, "/sys/bus/pci/drivers/snd_hda_intel/unbind");
        assert_string_equal(content, GPU_AUDIO);
        assert_string_equal(json_string_value(json_object_get(record, "driver")), "snd_hda_intel");
}

/* ALSA's removal of a card waits for every file still open on it: an
 * unbind that does not return says who keeps the function's nodes open,
 * by the numbers taken before the unbind removed them (a FIFO no one reads
 * stands in for the unbind the kernel does not return from). */
static void test_an_unbind_that_does_not_return_names_who_keeps_the_nodes_open(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("unbind-device");
        _cleanup_json_ json_t *params = json_pack("{s:s}", "device", GPU_AUDIO), *record = NULL;
        _cleanup_free_ char *fifo = fake_path(&f->root, "/sys/bus/pci/drivers/snd_hda_intel/unbind");
        _cleanup_free_ char *log = NULL;
        Capture c;
        int reader, r;

        fake_link(&f->root, "/sys/class/sound/card1/device", "../../../bus/pci/devices/" GPU_AUDIO);
        fake_link(&f->root, "/sys/class/sound/controlC1/device", "../card1");
        fake_link(&f->root, "/dev/snd/controlC1", "/dev/random");
        fake_file(&f->root, "/proc/1245/comm", "wireplumber\n");
        fake_file(&f->root, "/proc/1245/cgroup",
                  "0::/user.slice/user-1001.slice/user@1001.service/session.slice/wireplumber.service\n");
        fake_file(&f->root, "/proc/1245/maps", "");
        fake_link(&f->root, "/proc/1245/fd/30", "/dev/random");
        assert_int_equal(unlink(fifo), 0);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        f->ctx.write_timeout = 100 * USEC_PER_MSEC;

        capture_start(&c);
        r = t->apply(&f->ctx, params, NULL, &record);
        log = capture_end(&c);
        /* let the writer go before judging */
        reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(reader >= 0);
        while (waitpid(-1, NULL, 0) < 0 && errno == EINTR)
                ;
        close(reader);

        assert_int_equal(r, -ETIMEDOUT);
        assert_logged(log, "the unbind waits for this to close: PID 1245 (wireplumber, wireplumber.service) holds "
                           "/dev/snd/controlC1");
        assert_logged(log, "unbind " GPU_AUDIO " from snd_hda_intel");
}

static void test_bind_vfio_that_does_not_bind_fails_and_puts_the_override_back(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("bind-vfio");
        _cleanup_json_ json_t *params = json_pack("{s:s}", "device", GPU), *record = NULL;
        _cleanup_free_ char *override = NULL, *probe = NULL;

        /* no kernel behind the tree: drivers_probe binds nothing */
        fake_unlink(&f->root, "/sys/bus/pci/drivers/nvidia/" GPU);
        fake_unlink(&f->root, "/sys/bus/pci/devices/" GPU "/driver");
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), -EIO);
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

        assert_int_equal(t->apply(&f->ctx, ok, NULL, &record), 0);
        assert_int_equal(t->apply(&f->ctx, missing, NULL, &none), -ENOENT);
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

/* A function left on vfio-pci (by vfio-pci.ids= at boot, or by the user)
 * is no host driver's: the group can go to the guest with it as it is. */
static void test_a_group_member_already_on_vfio_pci_and_not_named_is_fine(void **state) {
        Fixture *f = *state;

        fake_unlink(&f->root, "/sys/bus/pci/drivers/snd_hda_intel/" GPU_AUDIO);
        bind_driver(&f->root, GPU_AUDIO, "vfio-pci");
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

/* ---- the processes holding the GPU's card0 (/dev/null here) ---- */

/* A process with card0 open: comm, cgroup ("0::" + `cgroup`), fd 12. */
static void holder(const Fixture *f, int pid, const char *comm, const char *cgroup) {
        char path[128], line[160];

        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        snprintf(line, sizeof line, "%s\n", comm);
        fake_file(&f->root, path, line);
        snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
        snprintf(line, sizeof line, "0::%s\n", cgroup);
        fake_file(&f->root, path, line);
        snprintf(path, sizeof path, "/proc/%d/maps", pid);
        fake_file(&f->root, path, "");
        snprintf(path, sizeof path, "/proc/%d/fd/12", pid);
        fake_link(&f->root, path, "/dev/null");
        /* the program, as the distribution installs it */
        snprintf(path, sizeof path, "/proc/%d/exe", pid);
        snprintf(line, sizeof line, "/usr/bin/%s", comm);
        fake_link(&f->root, path, line);
}

/* Session `id` of desk on seat0, as systemd 252's logind records it, with
 * card0 among the devices its compositor took when `took_card0`. */
static void session_on_seat0(const Fixture *f, const char *id, bool took_card0) {
        char path[128], content[512];
        struct stat st;

        assert_int_equal(stat("/dev/null", &st), 0);
        snprintf(path, sizeof path, "/run/systemd/sessions/%s", id);
        snprintf(content, sizeof content,
                 "# This is private data. Do not parse.\n"
                 "UID=1000\nUSER=desk\nACTIVE=1\nSTATE=active\nTYPE=tty\nCLASS=user\n"
                 "SCOPE=session-%s.scope\nSEAT=seat0\nVTNR=2\nLEADER=812\n"
                 "DEVICES=13:64 %u:%u\n",
                 id, took_card0 ? major(st.st_rdev) : 226, took_card0 ? minor(st.st_rdev) : 0);
        fake_file(&f->root, path, content);
}

/* uid 1000's manager, which runs PipeWire (PIDs 1650 and 1651) in a unit
 * of its own, part of no graphical session */
static FakeUnit desktop_units[] = {
        { .id = "pipewire.service", .pids = { 1650, 1651 } },
};

/* greetd's weston on seat0, logind's descriptor of its card0 and PID 1's
 * copy, and PipeWire of uid 1000 (the user's audio server on the card). */
static void desktop_holders(Fixture *f) {
        fake_manager_start(&f->manager, &f->root, 1000, desktop_units, ELEMENTSOF(desktop_units));
        holder(f, 1, "systemd", "/init.scope");
        holder(f, 700, "systemd-logind", "/system.slice/systemd-logind.service");
        holder(f, 812, "weston", "/user.slice/user-1000.slice/session-1.scope");
        holder(f, 1650, "pipewire", "/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service");
        session_on_seat0(f, "1", true);
}

static size_t count_steps(const Fixture *f, const char *type) {
        size_t n = 0;

        for (size_t i = 0; i < f->steps.n; i++)
                n += streq(f->steps.steps[i].type->name, type);
        return n;
}

/* the plan's line for `pid` */
static const char *holder_line(const Fixture *f, int pid) {
        char prefix[32];

        snprintf(prefix, sizeof prefix, "PID %d (", pid);
        for (size_t i = 0; i < f->holders.n; i++)
                if (startswith(f->holders.v[i], prefix))
                        return f->holders.v[i];
        fail_msg("the plan lists no holder PID %d", pid);
        return NULL;
}

#define assert_contains(text, needle)                                                  \
        do {                                                                           \
                if (!strstr((text), (needle)))                                         \
                        fail_msg("expected \"%s\" in:\n%s", (needle), (text));          \
        } while (0)

#define DESKTOP_PROFILE "[gpu]\naddress = 01:00.0\nfunctions = 01:00.1\n[host]\ndisplay-manager = gdm.service\n"

/* The user units first: their managers end with the users' last
 * sessions, and their undo, last, finds the desktop back. */
static void test_the_holders_are_made_to_let_go_around_the_units_and_before_the_console_goes(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;

        desktop_holders(f);
        holder(f, 1500, "gdm-session-wor", "/system.slice/gdm.service");
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        log = capture_end(&c);
        assert_steps(f, (const char *const[]) {
                "stop-user-unit pipewire.service",
                "stop-unit gdm.service",
                "end-session 1",
                "wait-released " GPU,
                "unbind-vtconsole vtcon1",
                "unbind-framebuffer efi-framebuffer.0",
                "unload-module nvidia",
                "unbind-device " GPU_AUDIO,
                "load-module vfio",
                "load-module vfio_pci",
                "load-module vfio_iommu_type1",
                "bind-vfio " GPU,
                "bind-vfio " GPU_AUDIO,
                "check-vfio-group 12",
                NULL,
        });
        assert_string_equal(f->steps.steps[2].summary, "end session 1 of desk on seat0 (logind)");
        assert_int_equal(f->holders.n, 5);
}

static void test_a_session_held_by_its_compositor_logind_and_pid_1_is_ended_once(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;

        desktop_holders(f);
        /* Xwayland of the same session, and a second PipeWire process */
        holder(f, 830, "Xwayland", "/user.slice/user-1000.slice/session-1.scope");
        holder(f, 1651, "pipewire", "/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service");
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        log = capture_end(&c);
        assert_int_equal(count_steps(f, "end-session"), 1);
        assert_int_equal(count_steps(f, "stop-user-unit"), 1);
        assert_int_equal(count_steps(f, "wait-released"), 1);
        assert_int_equal(f->holders.n, 6);
}

/* The compositor is gone (or holds only the render node): logind's
 * descriptor of card0 and PID 1's copy go only with the session. */
static void test_a_session_whose_device_only_logind_and_pid_1_still_hold_is_ended(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;

        holder(f, 1, "systemd", "/init.scope");
        holder(f, 700, "systemd-logind", "/system.slice/systemd-logind.service");
        session_on_seat0(f, "1", true);
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        log = capture_end(&c);
        assert_int_equal(count_steps(f, "end-session"), 1);
        assert_string_equal(f->steps.steps[1].type->name, "end-session");
        assert_string_equal(step_param(f, 1, "session"), "1");
        assert_string_equal(f->steps.steps[2].type->name, "wait-released");
}

static void test_the_steps_for_the_holders_carry_who_and_the_release_timeout(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        struct passwd *pw = getpwuid(1000);
        const char *user = pw ? pw->pw_name : "1000";
        size_t i;
        Capture c;

        desktop_holders(f);
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE "timeout-release = 45\n", with_audio), 0);
        log = capture_end(&c);
        i = 2;
        assert_string_equal(f->steps.steps[i].type->name, "end-session");
        assert_string_equal(step_param(f, i, "session"), "1");
        assert_string_equal(step_param(f, i, "user"), "desk");
        assert_string_equal(step_param(f, i, "seat"), "seat0");
        assert_int_equal(json_integer_value(json_object_get(f->steps.steps[i].params, "timeout")), 45);
        i = 0;
        assert_string_equal(f->steps.steps[i].type->name, "stop-user-unit");
        assert_string_equal(step_param(f, i, "unit"), "pipewire.service");
        assert_string_equal(step_param(f, i, "user"), user);
        assert_int_equal(json_integer_value(json_object_get(f->steps.steps[i].params, "uid")), 1000);
        assert_int_equal(json_integer_value(json_object_get(f->steps.steps[i].params, "timeout")), 45);
        i = 3;
        assert_string_equal(f->steps.steps[i].type->name, "wait-released");
        assert_int_equal(json_integer_value(json_object_get(f->steps.steps[i].params, "timeout")), 45);
        assert_string_equal(f->steps.steps[i].summary, "wait until no process holds the GPU's nodes (up to 45s)");
}

static void test_the_plan_lists_each_holder_with_its_class_and_what_is_done(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;

        desktop_holders(f);
        holder(f, 4321, "steam", "/system.slice/steam.service");
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        log = capture_end(&c);
        assert_string_equal(holder_line(f, 812),
                            "PID 812 (weston, session-1.scope) holds /dev/dri/card0: session: in session 1 of desk on "
                            "seat0 (tty): the session is ended through logind");
        assert_contains(holder_line(f, 1), "PID 1 (systemd, init.scope) holds /dev/dri/card0: session device: "
                                           "PID 1's fd store");
        assert_contains(holder_line(f, 700), ": session device: logind's descriptor");
        assert_contains(holder_line(f, 1650), ": user unit: unit pipewire.service of ");
        assert_contains(holder_line(f, 4321), "PID 4321 (steam, steam.service) holds /dev/dri/card0: refused: ");
        assert_contains(holder_line(f, 4321), "[host] stop-units");
}

static void test_without_holders_there_is_nothing_to_wait_for(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;

        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        log = capture_end(&c);
        assert_int_equal(count_steps(f, "wait-released"), 0);
        assert_int_equal(count_steps(f, "end-session"), 0);
        assert_int_equal(f->holders.n, 0);
        assert_logged(log, "no process holds the GPU's nodes");
}

/* The precheck refuses them before anything is changed; waiting for them
 * would only take the deadline to fail. */
static void test_only_refused_holders_give_nothing_to_wait_for(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;

        holder(f, 4321, "steam", "/system.slice/steam.service");
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        log = capture_end(&c);
        assert_int_equal(count_steps(f, "wait-released"), 0);
        assert_int_equal(f->holders.n, 1);
        assert_logged(log, "no process holds the GPU's nodes that vmrun would make let go");
}

static void test_vmruns_own_hold_is_listed_but_not_waited_for(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        holder(f, (int) getpid(), "vmrun", "/system.slice/vmrun-win10.service");
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        r = host_precheck(&f->ctx, f->profile, with_audio, &f->steps);
        log = capture_end(&c);
        assert_int_equal(r, 0);
        assert_int_equal(count_steps(f, "wait-released"), 0);
        assert_int_equal(f->holders.n, 1);
        assert_contains(f->holders.v[0], ": vmrun: vmrun itself");
}

static void test_a_holder_refused_by_its_class_fails_the_precheck_named_with_why(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        desktop_holders(f);
        holder(f, 4321, "steam", "/system.slice/steam.service");
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        r = host_precheck(&f->ctx, f->profile, with_audio, &f->steps);
        log = capture_end(&c);
        assert_int_equal(r, -EBUSY);
        assert_logged(log, "PID 4321 (steam, steam.service) holds /dev/dri/card0: a unit vmrun does not stop");
        /* the others have their steps: not named */
        assert_not_logged(log, "PID 812 ");
        assert_not_logged(log, "PID 1 ");
        assert_not_logged(log, "PID 1650 ");
}

static void test_holders_of_the_classes_the_plan_handles_pass_the_precheck(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        desktop_holders(f);
        holder(f, 1500, "gdm-session-wor", "/system.slice/gdm.service");
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        r = host_precheck(&f->ctx, f->profile, with_audio, &f->steps);
        log = capture_end(&c);
        assert_int_equal(r, 0);
}

static void test_with_end_sessions_none_the_precheck_says_how_to_end_the_session(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        desktop_holders(f);
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE "end-sessions = none\n", with_audio), 0);
        r = host_precheck(&f->ctx, f->profile, with_audio, &f->steps);
        log = capture_end(&c);
        assert_int_equal(r, -EBUSY);
        assert_logged(log, "PID 812 (weston, session-1.scope) holds /dev/dri/card0: in session 1 of desk on seat0: "
                           "[host] end-sessions = none keeps it; log out (`loginctl terminate-session 1`)");
        assert_logged(log, "PID 1 (systemd, init.scope) holds /dev/dri/card0: PID 1's fd store");
        assert_logged(log, "PID 700 (systemd-logind, systemd-logind.service) holds /dev/dri/card0: logind's descriptor");
        /* and nothing is planned for the session */
        assert_int_equal(count_steps(f, "end-session"), 0);
}

/* vmrun itself (PID getpid() here) and its parent, PID 5000, as
 * ROOT/proc shows them: the parent in `cgroup` */
static void vmrun_started_from(const Fixture *f, const char *comm, const char *cgroup) {
        char path[64], line[160];

        snprintf(path, sizeof path, "/proc/%d/stat", (int) getpid());
        fake_file(&f->root, path, "4242 (vmrun) S 5000 4242 4242 0 -1\n");
        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) getpid());
        fake_file(&f->root, path, "0::/system.slice/vmrun-win10.scope\n");
        snprintf(line, sizeof line, "5000 (%s) S 1 5000 5000 0 -1\n", comm);
        fake_file(&f->root, "/proc/5000/stat", line);
        snprintf(line, sizeof line, "%s\n", comm);
        fake_file(&f->root, "/proc/5000/comm", line);
        snprintf(line, sizeof line, "0::%s\n", cgroup);
        fake_file(&f->root, "/proc/5000/cgroup", line);
}

/* The desktop profile's plan and precheck, with what they logged. */
static int desktop_precheck(Fixture *f, char **ret_log) {
        Capture c;
        int r;

        capture_start(&c);
        r = plan(f, DESKTOP_PROFILE, with_audio);
        if (r >= 0)
                r = host_precheck(&f->ctx, f->profile, with_audio, &f->steps);
        *ret_log = capture_end(&c);
        return r;
}

/* startx's tty, or a terminal of the desktop's session: the session goes,
 * and vmrun's terminal with it */
static void test_vmrun_started_inside_the_session_it_ends_refuses_before_any_step(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        int r;

        desktop_holders(f);
        vmrun_started_from(f, "bash", "/user.slice/user-1000.slice/session-1.scope");
        r = desktop_precheck(f, &log);
        assert_int_equal(r, -EDEADLK);
        assert_logged(log, "vmrun runs in session 1, which the handover ends: PID 5000 (bash) is in it");
        assert_logged(log, "Run it from ssh, or as a unit of its own: `systemctl start vmrun@win10`");
}

/* GNOME's terminal runs its shells in the user's manager, and dies with
 * the compositor */
static void test_vmrun_started_from_a_terminal_of_the_graphical_session_refuses_before_any_step(void **state) {
        Fixture *f = *state;
        FakeUnit units[] = {
                { .id = "org.gnome.Shell@wayland.service", .pids = { 1700 }, .refuse_stop = true,
                  .part_of = { "graphical-session.target" } },
        };
        _cleanup_free_ char *log = NULL;
        int r;

        fake_manager_start(&f->manager, &f->root, 1000, units, ELEMENTSOF(units));
        holder(f, 1700, "gnome-shell",
               "/user.slice/user-1000.slice/user@1000.service/session.slice/org.gnome.Shell@wayland.service");
        session_on_seat0(f, "2", true);
        vmrun_started_from(f, "bash", "/user.slice/user-1000.slice/user@1000.service/app.slice/"
                                      "app-org.gnome.Terminal.slice/vte-spawn-1.scope");
        r = desktop_precheck(f, &log);
        assert_int_equal(r, -EDEADLK);
        assert_logged(log, "vmrun runs in vte-spawn-1.scope of the service manager of uid 1000, whose desktop on "
                           "seat0 the handover ends: PID 5000 (bash) is in it");
}

/* Xfce under lightdm: a terminal in the session's scope; nothing of the
 * session holds the GPU, but it ends when lightdm's Xorg goes */
static void test_vmrun_started_in_a_graphical_session_on_the_gpus_seat_refuses_before_any_step(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        int r;

        holder(f, 1500, "Xorg", "/system.slice/gdm.service");
        fake_file(&f->root, "/run/systemd/sessions/5",
                  "UID=1000\nUSER=desk\nACTIVE=1\nSTATE=active\nTYPE=x11\nCLASS=user\nSCOPE=session-5.scope\n"
                  "SEAT=seat0\nVTNR=7\nLEADER=900\n");
        vmrun_started_from(f, "xfce4-terminal", "/user.slice/user-1000.slice/session-5.scope");
        r = desktop_precheck(f, &log);
        assert_int_equal(r, -EDEADLK);
        assert_logged(log, "vmrun runs in session 5, which the handover ends: PID 5000 (xfce4-terminal) is in it");
}

/* over ssh, as its users drive it: a session of the same user, on no seat */
static void test_vmrun_started_over_ssh_passes_the_precheck(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        int r;

        desktop_holders(f);
        vmrun_started_from(f, "bash", "/user.slice/user-1000.slice/session-7.scope");
        r = desktop_precheck(f, &log);
        assert_int_equal(r, 0);
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
        bind_driver(&f->root, GPU_AUDIO, "vfio-pci");
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

/* A compositor held the card: after the guest, a session on the seat has
 * it again, and the restore waits for that (logind's session files). */
static void test_a_compositor_on_the_card_makes_the_restore_wait_for_the_desktop(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        json_t *desktop;
        Capture c;

        desktop_holders(f);
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        log = capture_end(&c);
        desktop = json_object_get(f->expect, "desktop");
        assert_non_null(desktop);
        assert_string_equal(json_string_value(json_object_get(desktop, "seat")), "seat0");
}

static void test_without_a_compositor_on_the_card_the_restore_waits_for_no_desktop(void **state) {
        Fixture *f = *state;

        assert_int_equal(plan(f, LAPTOP_PROFILE, with_audio), 0);
        assert_null(json_object_get(f->expect, "desktop"));
}

static void test_verify_finds_the_desktop_back_when_a_session_on_the_seat_has_the_card(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        desktop_holders(f);
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        /* the old session is gone; the display manager's new one took card0 */
        fake_unlink(&f->root, "/run/systemd/sessions/1");
        session_on_seat0(f, "4", true);
        fake_link(&f->root, "/sys/class/drm/card0-Virtual-1/device", "../../../bus/pci/devices/" GPU);
        fake_file(&f->root, "/sys/class/drm/card0-Virtual-1/enabled", "enabled\n");
        fake_file(&f->root, "/sys/class/drm/card0-Virtual-1/dpms", "On\n");
        r = host_verify(&f->ctx, f->expect);
        log = capture_end(&c);
        assert_int_equal(r, 0);
        assert_logged(log, "back: the desktop: session 4 of desk on seat0 has the GPU's card");
        assert_logged(log, "the screen: card0-Virtual-1 enabled, DPMS On");
}

/* Xfce under lightdm: Xorg runs as root in lightdm.service and opens the
 * card itself; no session takes it from logind */
static void test_a_root_xorg_of_the_display_manager_is_the_desktop_the_restore_waits_for(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        holder(f, 1500, "Xorg", "/system.slice/lightdm.service");
        capture_start(&c);
        assert_int_equal(plan(f, "[gpu]\naddress = 01:00.0\nfunctions = 01:00.1\n[host]\n"
                                 "display-manager = lightdm.service\n", with_audio), 0);
        /* the restore: lightdm's new Xorg holds card0 again */
        r = host_verify(&f->ctx, f->expect);
        log = capture_end(&c);
        assert_string_equal(json_string_value(json_object_get(json_object_get(f->expect, "desktop"), "unit")),
                            "lightdm.service");
        assert_int_equal(r, 0);
        assert_logged(log, "back: the desktop: PID 1500 (Xorg) of lightdm.service holds /dev/dri/card0");
        assert_logged(log, "the screen: no connector of " GPU "'s card is enabled yet");
}

/* startx from a tty: no display manager brings the desktop back, and
 * that is no failure of the restore */
static void test_without_a_display_manager_the_console_is_back_and_the_desktop_is_to_be_started_again(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        desktop_holders(f);
        capture_start(&c);
        assert_int_equal(plan(f, "[gpu]\naddress = 01:00.0\nfunctions = 01:00.1\n[host]\ndisplay-manager = none\n",
                              with_audio), 0);
        fake_unlink(&f->root, "/run/systemd/sessions/1");
        r = host_verify(&f->ctx, f->expect);
        log = capture_end(&c);
        assert_int_equal(r, 0);
        assert_logged(log, "back: the console; no display manager runs, so the desktop started by hand (startx) does "
                           "not come back by itself: start it again");
        assert_false(f->ctx.desktop_back);
}

/* startx, and a rollback before its session ended: the desktop never
 * went, and the user is not told to start it again */
static void test_without_a_display_manager_a_session_not_ended_is_the_desktop(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        desktop_holders(f);
        capture_start(&c);
        assert_int_equal(plan(f, "[gpu]\naddress = 01:00.0\nfunctions = 01:00.1\n[host]\ndisplay-manager = none\n",
                              with_audio), 0);
        r = host_verify(&f->ctx, f->expect);
        log = capture_end(&c);
        assert_int_equal(r, 0);
        assert_true(f->ctx.desktop_back);
        assert_logged(log, "back: the desktop: session 1 of");
        assert_logged(log, "still has the GPU's card (it was not ended)");
        assert_null(strstr(log, "back: the console"));
}

static void test_verify_reports_a_desktop_that_did_not_come_back_by_its_deadline(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;
        Capture c;
        int r;

        desktop_holders(f);
        capture_start(&c);
        assert_int_equal(plan(f, DESKTOP_PROFILE, with_audio), 0);
        /* a greeter's session, which has not taken the card */
        fake_unlink(&f->root, "/run/systemd/sessions/1");
        session_on_seat0(f, "4", false);
        json_object_set_new(json_object_get(f->expect, "desktop"), "timeout", json_integer(1));
        r = host_verify(&f->ctx, f->expect);
        log = capture_end(&c);
        assert_int_equal(r, -EIO);
        assert_logged(log, "not back: no session on seat0 has the GPU's card after 1s");
}

/* ---- the panel's backlight ---- */

#define NVIDIA_WMI_EC_GUID "603E9613-EF25-4338-A3D0-C46177516DB7"

static void backlight(const FakeRoot *f, const char *name, const char *type, const char *brightness,
                      const char *max) {
        char path[160];

        snprintf(path, sizeof path, "/sys/class/backlight/%s/type", name);
        fake_file(f, path, type);
        snprintf(path, sizeof path, "/sys/class/backlight/%s/brightness", name);
        fake_file(f, path, brightness);
        snprintf(path, sizeof path, "/sys/class/backlight/%s/max_brightness", name);
        fake_file(f, path, max);
        snprintf(path, sizeof path, "/sys/class/backlight/%s/actual_brightness", name);
        fake_file(f, path, brightness);
}

/* The plan, with what it logged (stderr) in *ret_log. Asserts only after
 * stderr is back. */
static int plan_logged(Fixture *f, const char *profile, char *const *functions, char **ret_log) {
        Capture c;
        int r;

        load_profile(f, profile);
        capture_start(&c);
        r = host_steps_plan(&f->ctx, f->profile, functions, &f->steps, &f->notes, &f->holders, &f->expect);
        *ret_log = capture_end(&c);
        return r;
}


static void test_without_a_backlight_device_no_step_is_planned_and_the_log_says_not_needed(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;

        assert_int_equal(plan_logged(f, LAPTOP_PROFILE "backlight = max\n", with_audio, &log), 0);
        for (size_t i = 0; i < f->steps.n; i++)
                assert_string_not_equal(f->steps.steps[i].type->name, "backlight");
        assert_logged(log, "no backlight device in /sys/class/backlight: no backlight step needed ([gpu] backlight = "
                           "max has nothing to set)");
}

static void test_each_backlight_is_recorded_after_the_framebuffer_and_before_the_driver_goes(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;

        backlight(&f->root, "nvidia_0", "raw\n", "120\n", "255\n");
        assert_int_equal(plan_logged(f, LAPTOP_PROFILE, with_audio, &log), 0);
        assert_steps(f, (const char *const[]) {
                "stop-unit display-manager.service",
                "unbind-vtconsole vtcon1",
                "unbind-framebuffer efi-framebuffer.0",
                "backlight nvidia_0",
                "unload-module nvidia",
                "unbind-device " GPU_AUDIO,
                "load-module vfio",
                "load-module vfio_pci",
                "load-module vfio_iommu_type1",
                "bind-vfio " GPU,
                "bind-vfio " GPU_AUDIO,
                "check-vfio-group 12",
                NULL,
        });
        /* keep is the default */
        assert_string_equal(step_param(f, 3, "mode"), "keep");
        assert_string_equal(f->steps.steps[3].summary, "record backlight nvidia_0 (raw) at 120 of 255; put back after");
        assert_logged(log, "backlight nvidia_0: type raw, brightness 120 of 255; set by a GPU driver's own control: it "
                           "goes with that driver");
}

static void test_backlight_max_is_planned_with_the_maximum_in_its_summary(void **state) {
        Fixture *f = *state;

        backlight(&f->root, "nvidia_0", "raw\n", "120\n", "255\n");
        backlight(&f->root, "acpi_video0", "firmware\n", "7\n", "9\n");
        assert_int_equal(plan(f, LAPTOP_PROFILE "backlight = max\n", with_audio), 0);
        assert_string_equal(f->steps.steps[3].type->name, "backlight");
        assert_string_equal(f->steps.steps[4].type->name, "backlight");
        assert_string_equal(f->steps.steps[5].type->name, "unload-module");
        for (size_t i = 3; i <= 4; i++) {
                assert_string_equal(step_param(f, i, "mode"), "max");
                if (streq(step_param(f, i, "device"), "nvidia_0"))
                        assert_string_equal(f->steps.steps[i].summary,
                                            "set backlight nvidia_0 (raw) to its maximum 255 (now 120); put back after");
                else
                        assert_string_equal(step_param(f, i, "device"), "acpi_video0");
        }
}

static void test_the_nvidia_wmi_ec_backlight_is_named_as_the_embedded_controllers(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;

        fake_dir(&f->root, "/sys/bus/wmi/devices/" NVIDIA_WMI_EC_GUID);
        backlight(&f->root, "nvidia_wmi_ec_backlight", "firmware\n", "60\n", "100\n");
        assert_int_equal(plan_logged(f, LAPTOP_PROFILE "backlight = max\n", with_audio, &log), 0);
        assert_logged(log, "backlight nvidia_wmi_ec_backlight: type firmware, brightness 60 of 100; set by the embedded "
                           "controller, through NVIDIA's WMI interface: it stays while the GPU is away");
        assert_null(strstr(log, "not in use as a backlight"));
}

static void test_an_nvidia_wmi_ec_interface_the_kernel_does_not_use_is_said(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *log = NULL;

        fake_dir(&f->root, "/sys/bus/wmi/devices/" NVIDIA_WMI_EC_GUID);
        backlight(&f->root, "nvidia_0", "raw\n", "120\n", "255\n");
        assert_int_equal(plan_logged(f, LAPTOP_PROFILE, with_audio, &log), 0);
        assert_logged(log, "NVIDIA's WMI interface to the embedded controller's brightness (WMI " NVIDIA_WMI_EC_GUID
                           ") is there, but not in use as a backlight");
}

static void test_backlight_max_sets_the_maximum_and_its_undo_puts_the_value_back(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("backlight");
        _cleanup_json_ json_t *params = json_pack("{s:s, s:s}", "device", "nvidia_0", "mode", "max"), *record = NULL;
        _cleanup_free_ char *applied = NULL, *undone = NULL;

        backlight(&f->root, "nvidia_0", "raw\n", "120\n", "255\n");
        assert_non_null(t);
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        applied = first_line(f, "/sys/class/backlight/nvidia_0/brightness");
        assert_string_equal(applied, "255");
        assert_int_equal(json_integer_value(json_object_get(record, "brightness")), 120);
        assert_int_equal(json_integer_value(json_object_get(record, "max_brightness")), 255);
        assert_string_equal(json_string_value(json_object_get(record, "type")), "raw");
        assert_true(json_is_true(json_object_get(record, "changed")));

        assert_int_equal(t->undo(&f->ctx, record), 0);
        undone = first_line(f, "/sys/class/backlight/nvidia_0/brightness");
        assert_string_equal(undone, "120");
        assert_int_equal(t->verify(&f->ctx, record), 0);
        /* restore may run an undo twice */
        assert_int_equal(t->undo(&f->ctx, record), 0);
}

static void test_backlight_keep_changes_nothing_and_puts_back_what_a_reloaded_driver_changed(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("backlight");
        _cleanup_json_ json_t *params = json_pack("{s:s, s:s}", "device", "nvidia_0", "mode", "keep"), *record = NULL;
        _cleanup_free_ char *applied = NULL, *undone = NULL;

        backlight(&f->root, "nvidia_0", "raw\n", "120\n", "255\n");
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        applied = fake_read(&f->root, "/sys/class/backlight/nvidia_0/brightness");
        assert_string_equal(applied, "120\n");
        assert_false(json_is_true(json_object_get(record, "changed")));

        /* the driver came back at a level of its own */
        fake_file(&f->root, "/sys/class/backlight/nvidia_0/brightness", "255\n");
        assert_int_equal(t->undo(&f->ctx, record), 0);
        undone = first_line(f, "/sys/class/backlight/nvidia_0/brightness");
        assert_string_equal(undone, "120");
        assert_int_equal(t->verify(&f->ctx, record), 0);
}

static void test_a_backlight_that_does_not_come_back_is_not_back_but_does_not_block_the_restore(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("backlight");
        _cleanup_json_ json_t *params = json_pack("{s:s, s:s}", "device", "nvidia_0", "mode", "max"), *record = NULL;
        _cleanup_free_ char *dir = NULL;

        backlight(&f->root, "nvidia_0", "raw\n", "120\n", "255\n");
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        /* the GPU driver that registered it stays away */
        dir = fake_path(&f->root, "/sys/class/backlight/nvidia_0");
        fake_unlink(&f->root, "/sys/class/backlight/nvidia_0/type");
        fake_unlink(&f->root, "/sys/class/backlight/nvidia_0/brightness");
        fake_unlink(&f->root, "/sys/class/backlight/nvidia_0/max_brightness");
        fake_unlink(&f->root, "/sys/class/backlight/nvidia_0/actual_brightness");
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(t->undo(&f->ctx, record), 0);
        assert_int_equal(t->verify(&f->ctx, record), -EIO);
}

static void test_a_brightness_set_again_after_the_restore_is_still_back(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("backlight");
        _cleanup_json_ json_t *params = json_pack("{s:s, s:s}", "device", "nvidia_0", "mode", "max"), *record = NULL;

        backlight(&f->root, "nvidia_0", "raw\n", "120\n", "255\n");
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        assert_int_equal(t->undo(&f->ctx, record), 0);
        /* a greeter sets its own level once the display manager is back */
        fake_file(&f->root, "/sys/class/backlight/nvidia_0/brightness", "200\n");
        assert_int_equal(t->verify(&f->ctx, record), 0);
}

static void test_a_backlight_gone_before_its_step_is_recorded_as_nothing_to_put_back(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("backlight");
        _cleanup_json_ json_t *params = json_pack("{s:s, s:s}", "device", "nvidia_0", "mode", "max"), *record = NULL;

        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        assert_true(json_is_null(json_object_get(record, "brightness")));
        assert_int_equal(t->undo(&f->ctx, record), 0);
        assert_int_equal(t->verify(&f->ctx, record), 0);
}

static void test_of_a_backlight_only_its_brightness_may_be_written(void **state) {
        Fixture *f = *state;

        backlight(&f->root, "nvidia_0", "raw\n", "120\n", "255\n");
        fake_file(&f->root, "/sys/class/backlight/nvidia_0/bl_power", "0\n");
        assert_int_equal(host_write(&f->ctx, "/sys/class/backlight/nvidia_0/max_brightness", "999", 0), -EPERM);
        assert_int_equal(host_write(&f->ctx, "/sys/class/backlight/nvidia_0/bl_power", "4", 0), -EPERM);
        assert_int_equal(host_write(&f->ctx, "/sys/class/backlight/../../../etc/brightness", "1", 0), -EPERM);
        assert_int_equal(host_write(&f->ctx, "/sys/class/backlight/nvidia_0/brightness", "200", 0), 0);
}

/* ---- device nodes for QEMU's user: [input] evdev, [usb] devices ---- */

/* A real device node in the fake tree (mknod needs root, as vmrun does);
 * O_PATH never opens it, so which device it names does not matter. */
static bool fake_node(const FakeRoot *f, const char *path, unsigned maj, unsigned min) {
        _cleanup_free_ char *full = fake_path(f, path);

        fake_parent(full);
        if (mknod(full, S_IFCHR | 0660, makedev(maj, min)) < 0) {
                assert_true(errno == EPERM);
                return false;
        }
        return true;
}

static void assert_owner(const FakeRoot *f, const char *path, uid_t uid) {
        _cleanup_free_ char *full = fake_path(f, path);
        struct stat st;

        assert_int_equal(lstat(full, &st), 0);
        assert_int_equal(st.st_uid, uid);
}

static void test_an_event_device_is_given_to_qemus_user_and_back(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("grant");
        _cleanup_json_ json_t *params = json_pack("{s:s, s:i, s:i}", "path", "/dev/input/event3", "uid", 65534, "gid",
                                                  65534),
                              *record = NULL;

        if (geteuid() != 0 || !fake_node(&f->root, "/dev/input/event3", 13, 67))
                skip_because("it needs root to make device nodes in the fake root");
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        assert_owner(&f->root, "/dev/input/event3", 65534);
        assert_int_equal(json_integer_value(json_object_get(record, "uid_was")), 0);
        assert_int_equal(t->undo(&f->ctx, record), 0);
        assert_owner(&f->root, "/dev/input/event3", 0);
}

static void test_a_usb_device_node_is_given_to_qemus_user_and_back(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("grant");
        _cleanup_json_ json_t *params = json_pack("{s:s, s:i, s:i}", "path", "/dev/bus/usb/001/004", "uid", 65534,
                                                  "gid", 65534),
                              *record = NULL;

        if (geteuid() != 0 || !fake_node(&f->root, "/dev/bus/usb/001/004", 189, 3))
                skip_because("it needs root to make device nodes in the fake root");
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        assert_owner(&f->root, "/dev/bus/usb/001/004", 65534);
        assert_int_equal(t->undo(&f->ctx, record), 0);
        assert_owner(&f->root, "/dev/bus/usb/001/004", 0);
}

/* QEMU's user owns the VM's files for the run and may chmod them or add
 * ACLs; given back, they are root's with the mode they had and no ACL of
 * its: seen, a variable store left root's but 0666 (issue 24). */
static void test_a_file_given_back_has_its_mode_and_acls_as_before(void **state) {
        Fixture *f = *state;
        const HostStepType *t = host_step_type_find("grant");
        _cleanup_json_ json_t *params = json_pack("{s:s, s:i, s:i}", "path", "/var/lib/vmrun/w/efivars.fd", "uid",
                                                  65534, "gid", 65534),
                              *record = NULL;
        _cleanup_free_ char *full = fake_path(&f->root, "/var/lib/vmrun/w/efivars.fd");
        /* user::rw- user:65534:rw- group::--- mask::rw- other::--- */
        static const unsigned char acl[] = {
                2, 0, 0, 0,
                0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
                0x02, 0, 6, 0, 0xfe, 0xff, 0, 0,
                0x04, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
                0x10, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
                0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
        };
        bool acls = true;
        struct stat st;

        if (geteuid() != 0)
                skip_because("it needs root to give a file to another user");
        fake_file(&f->root, "/var/lib/vmrun/w/efivars.fd", "vars");
        assert_int_equal(chmod(full, 0600), 0);
        assert_int_equal(t->apply(&f->ctx, params, NULL, &record), 0);
        assert_owner(&f->root, "/var/lib/vmrun/w/efivars.fd", 65534);
        /* what QEMU's user may do to a file of its own */
        assert_int_equal(chmod(full, 0666), 0);
        if (setxattr(full, "system.posix_acl_access", acl, sizeof acl, 0) < 0) {
                assert_int_equal(errno, EOPNOTSUPP);
                acls = false;   /* this file system has none: the mode alone */
        }
        assert_int_equal(t->undo(&f->ctx, record), 0);
        assert_int_equal(lstat(full, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        if (acls)
                assert_true(getxattr(full, "system.posix_acl_access", NULL, 0) < 0 && errno == ENODATA);
}

static void test_no_other_device_node_is_ever_given_to_qemus_user(void **state) {
        Fixture *f = *state;
        static const struct {
                const char *path;
                unsigned maj, min;
        } refused[] = {
                { "/dev/mem", 1, 1 },                   /* nowhere near the allowed names */
                { "/dev/input/mice", 13, 63 },          /* input, but not an event device */
                { "/dev/input/event9", 1, 1 },          /* the name of one, made for /dev/mem */
                { "/dev/input/event", 13, 64 },
                { "/dev/bus/usb/001/005", 8, 0 },       /* usbfs's name, another major */
                { "/dev/bus/usb/001/0060", 189, 4 },
                { "/dev/vfio/devices", 1, 3 },
        };

        if (geteuid() != 0 || !fake_node(&f->root, refused[0].path, refused[0].maj, refused[0].min))
                skip_because("it needs root to make device nodes in the fake root");
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                if (i > 0)
                        assert_true(fake_node(&f->root, refused[i].path, refused[i].maj, refused[i].min));
                if (host_chown(&f->ctx, refused[i].path, 65534, 65534, NULL, NULL) != -EPERM)
                        fail_msg("%s (%u:%u) was given away", refused[i].path, refused[i].maj, refused[i].min);
                assert_owner(&f->root, refused[i].path, 0);
        }
}

static void test_an_evdev_link_is_never_given_itself(void **state) {
        Fixture *f = *state;

        fake_file(&f->root, "/dev/input/event3", "");
        fake_link(&f->root, "/dev/input/by-id/usb-kbd-event-kbd", "../event3");
        assert_int_equal(host_chown(&f->ctx, "/dev/input/by-id/usb-kbd-event-kbd", 65534, 65534, NULL, NULL), -EPERM);
}

static void test_links_are_followed_to_their_end_inside_the_root(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        fake_file(&f->root, "/dev/input/event3", "");
        fake_link(&f->root, "/dev/input/by-id/usb-kbd-event-kbd", "../event3");
        fake_link(&f->root, "/dev/input/by-path/pci-0000:00:14.0-usb-0:2:1.0-event-kbd", "../by-id/./usb-kbd-event-kbd");
        fake_link(&f->root, "/dev/input/by-id/absolute", "/dev/input/event3");
        fake_link(&f->root, "/dev/input/by-id/loop", "loop");
        fake_link(&f->root, "/dev/input/by-id/dangling", "../event4");

        assert_int_equal(host_follow(&f->ctx, "/dev/input/by-id/usb-kbd-event-kbd", &a), 0);
        assert_string_equal(a, "/dev/input/event3");
        assert_int_equal(host_follow(&f->ctx, "/dev/input/by-path/pci-0000:00:14.0-usb-0:2:1.0-event-kbd", &b), 0);
        assert_string_equal(b, "/dev/input/event3");
        /* an absolute target is inside the root too */
        assert_int_equal(host_follow(&f->ctx, "/dev/input/by-id/absolute", &c), 0);
        assert_string_equal(c, "/dev/input/event3");
        assert_int_equal(host_follow(&f->ctx, "/dev/input/event3", &d), 0);
        assert_string_equal(d, "/dev/input/event3");
        assert_int_equal(host_follow(&f->ctx, "/dev/input/by-id/loop", &a), -ELOOP);
        assert_int_equal(host_follow(&f->ctx, "/dev/input/by-id/dangling", &a), -ENOENT);
        assert_int_equal(host_follow(&f->ctx, "/dev/input/by-id/nothing", &a), -ENOENT);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_the_laptop_plan_hands_over_display_console_framebuffer_driver_and_audio),
                TEST(test_the_summaries_say_what_each_step_does_and_why),
                TEST(test_the_expectation_for_the_restore_is_what_was_bound_before),
                TEST(test_when_the_driver_drives_only_passed_devices_it_is_unloaded_not_unbound),
                TEST(test_a_sound_driver_of_the_gpus_audio_alone_is_unbound_not_unloaded),
                TEST(test_a_built_in_driver_is_unbound),
                TEST(test_a_device_already_on_vfio_pci_needs_no_driver_step),
                TEST(test_display_manager_none_stops_only_the_listed_units_in_order),
                TEST(test_without_fbcon_or_firmware_framebuffer_there_is_nothing_to_unbind),
                TEST(test_a_gpu_not_on_this_host_plans_what_does_not_depend_on_it_and_says_so),
                TEST(test_a_profile_without_gpu_has_no_host_steps),
                TEST(test_every_planned_step_type_can_be_found_by_its_journal_name),
                TEST(test_restore_from_the_journal_verifies_the_host_as_the_supervisor_does),

                TEST(test_storage_and_network_devices_are_refused_unless_allowed),
                TEST(test_a_device_name_that_is_a_path_is_refused),
                TEST(test_a_write_outside_the_allow_list_is_refused),
                TEST(test_a_write_that_would_take_the_disk_or_the_network_is_refused),
                TEST(test_a_stuck_write_is_given_up_and_its_writer_holds_no_lock_of_vmruns),
                TEST(test_an_allowed_write_reaches_the_attribute),

                TEST(test_unbind_vtconsole_writes_0_and_its_undo_writes_1),
                TEST(test_a_console_on_the_firmware_framebuffer_is_not_expected_back),
                TEST(test_a_firmware_framebuffer_of_another_gpu_stays_and_its_console_is_expected_back),
                TEST(test_a_console_on_the_gpu_drivers_framebuffer_is_expected_back),
                TEST(test_a_console_gone_with_the_firmware_framebuffer_is_said_not_failed),
                TEST(test_a_console_gone_with_the_gpu_drivers_framebuffer_is_an_error),
                TEST(test_an_unbound_console_is_recorded_as_such_and_not_rebound),
                TEST(test_unbind_framebuffer_names_the_device_to_its_driver),
                TEST(test_unbind_device_records_the_driver_for_the_undo),
                TEST(test_an_unbind_that_does_not_return_names_who_keeps_the_nodes_open),
                TEST(test_bind_vfio_that_does_not_bind_fails_and_puts_the_override_back),
                TEST(test_check_vfio_group_fails_without_the_group_node),

                TEST(test_the_precheck_passes_for_the_laptop_with_the_audio_function_named),
                TEST(test_a_group_member_bound_to_a_host_driver_and_not_named_is_an_error),
                TEST(test_an_unbound_group_member_does_not_stop_the_handover),
                TEST(test_a_group_member_already_on_vfio_pci_and_not_named_is_fine),
                TEST(test_a_storage_device_among_the_functions_is_refused),
                TEST(test_without_iommu_groups_the_iommu_is_off),
                TEST(test_a_process_outside_the_stopped_units_holding_the_gpu_is_an_error),
                TEST(test_a_holder_in_a_unit_the_plan_stops_is_fine),

                TEST(test_the_holders_are_made_to_let_go_around_the_units_and_before_the_console_goes),
                TEST(test_a_session_held_by_its_compositor_logind_and_pid_1_is_ended_once),
                TEST(test_a_session_whose_device_only_logind_and_pid_1_still_hold_is_ended),
                TEST(test_the_steps_for_the_holders_carry_who_and_the_release_timeout),
                TEST(test_the_plan_lists_each_holder_with_its_class_and_what_is_done),
                TEST(test_without_holders_there_is_nothing_to_wait_for),
                TEST(test_only_refused_holders_give_nothing_to_wait_for),
                TEST(test_vmruns_own_hold_is_listed_but_not_waited_for),
                TEST(test_a_holder_refused_by_its_class_fails_the_precheck_named_with_why),
                TEST(test_holders_of_the_classes_the_plan_handles_pass_the_precheck),
                TEST(test_with_end_sessions_none_the_precheck_says_how_to_end_the_session),
                TEST(test_vmrun_started_inside_the_session_it_ends_refuses_before_any_step),
                TEST(test_vmrun_started_from_a_terminal_of_the_graphical_session_refuses_before_any_step),
                TEST(test_vmrun_started_in_a_graphical_session_on_the_gpus_seat_refuses_before_any_step),
                TEST(test_vmrun_started_over_ssh_passes_the_precheck),

                TEST(test_verify_finds_the_host_back_as_planned),
                TEST(test_verify_reports_a_device_left_on_vfio_pci),
                TEST(test_a_compositor_on_the_card_makes_the_restore_wait_for_the_desktop),
                TEST(test_without_a_compositor_on_the_card_the_restore_waits_for_no_desktop),
                TEST(test_verify_finds_the_desktop_back_when_a_session_on_the_seat_has_the_card),
                TEST(test_verify_reports_a_desktop_that_did_not_come_back_by_its_deadline),
                TEST(test_a_root_xorg_of_the_display_manager_is_the_desktop_the_restore_waits_for),
                TEST(test_without_a_display_manager_the_console_is_back_and_the_desktop_is_to_be_started_again),
                TEST(test_without_a_display_manager_a_session_not_ended_is_the_desktop),
                TEST(test_verify_reports_a_missing_drm_card_and_an_unbound_console),

                TEST(test_without_a_backlight_device_no_step_is_planned_and_the_log_says_not_needed),
                TEST(test_each_backlight_is_recorded_after_the_framebuffer_and_before_the_driver_goes),
                TEST(test_backlight_max_is_planned_with_the_maximum_in_its_summary),
                TEST(test_the_nvidia_wmi_ec_backlight_is_named_as_the_embedded_controllers),
                TEST(test_an_nvidia_wmi_ec_interface_the_kernel_does_not_use_is_said),
                TEST(test_backlight_max_sets_the_maximum_and_its_undo_puts_the_value_back),
                TEST(test_backlight_keep_changes_nothing_and_puts_back_what_a_reloaded_driver_changed),
                TEST(test_a_backlight_that_does_not_come_back_is_not_back_but_does_not_block_the_restore),
                TEST(test_a_brightness_set_again_after_the_restore_is_still_back),
                TEST(test_a_backlight_gone_before_its_step_is_recorded_as_nothing_to_put_back),
                TEST(test_of_a_backlight_only_its_brightness_may_be_written),

                TEST(test_an_event_device_is_given_to_qemus_user_and_back),
                TEST(test_a_usb_device_node_is_given_to_qemus_user_and_back),
                TEST(test_a_file_given_back_has_its_mode_and_acls_as_before),
                TEST(test_no_other_device_node_is_ever_given_to_qemus_user),
                TEST(test_an_evdev_link_is_never_given_itself),
                TEST(test_links_are_followed_to_their_end_inside_the_root),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
