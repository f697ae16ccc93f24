/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-input.h"
#include "fake-root.h"
#include "plan-view.h"

#include <limits.h>
#include <linux/kvm.h>

#include "basic/log.h"
#include "host/inhibit.h"
#include "plan/plan.h"
#include "profile/profile.h"
#include "qemu/argv.h"
#include "basic/strv.h"
#include "qemu/tpm.h"

/* What the plan decides about the guest's view of itself: the Hyper-V
 * flags for Windows, the GPU's subsystem IDs, the fake battery. The host
 * is a fake sysfs (VMRUN_ROOT), QEMU is this very program (see main()),
 * and VMRUN_DATA_DIR is BUILD_DIR/firmware, where meson built the table. */

#define PATH "/etc/vmrun/test.profile"
#define GPU "0000:01:00.0"

static const char *const all_hyperv[] = {
        "hv-relaxed=on", "hv-vapic=on", "hv-spinlocks=0x1fff", "hv-vpindex=on", "hv-runtime=on", "hv-time=on",
        "hv-synic=on", "hv-stimer=on", "hv-frequencies=on", "hv-tlbflush=on", "hv-ipi=on",
};

/* the CPU properties of a QEMU that has every one of them */
static char *const offered_all[] = {
        "3dnow", "avx2", "hv-relaxed", "hv-vapic", "hv-spinlocks", "hv-vpindex", "hv-runtime", "hv-time",
        "hv-synic", "hv-stimer", "hv-frequencies", "hv-tlbflush", "hv-ipi", "hv-passthrough", NULL,
};

static char self[PATH_MAX];

/* ---- helpers ---- */

static Profile *profile(const char *text) {
        Profile *p = NULL;

        assert_int_equal(profile_load_string(PATH, text, &p), 0);
        return p;
}

static bool strv_has_with(const Strv *s, const char *a, const char *b) {
        for (size_t i = 0; i < s->n; i++)
                if (strstr(s->v[i], a) && (!b || strstr(s->v[i], b)))
                        return true;
        return false;
}

static const char *value_of(const Strv *a, const char *option) {
        for (size_t i = 0; i + 1 < a->n; i++)
                if (streq(a->v[i], option))
                        return a->v[i + 1];
        fail_msg("no %s", option);
        return NULL;
}

static json_t *gpu_device(const Strv *a) {
        for (size_t i = 0; i + 1 < a->n; i++) {
                json_t *j;

                if (!streq(a->v[i], "-device"))
                        continue;
                j = json_loads(a->v[i + 1], 0, NULL);
                assert_non_null(j);
                if (streq_ptr(json_string_value(json_object_get(j, "id")), "gpu"))
                        return j;
                json_decref(j);
        }
        fail_msg("no -device with id gpu");
        return NULL;
}

/* A GPU at 0000:01:00.0 in the fake sysfs. */
static void gpu(const FakeRoot *f, const char *class, const char *sub_vendor, const char *sub_device) {
        fake_file(f, "/sys/bus/pci/devices/" GPU "/class", class);
        fake_file(f, "/sys/bus/pci/devices/" GPU "/vendor", "0x10de\n");
        fake_file(f, "/sys/bus/pci/devices/" GPU "/device", "0x28e0\n");
        if (sub_vendor)
                fake_file(f, "/sys/bus/pci/devices/" GPU "/subsystem_vendor", sub_vendor);
        if (sub_device)
                fake_file(f, "/sys/bus/pci/devices/" GPU "/subsystem_device", sub_device);
}

/* ---- Hyper-V ---- */

static void assert_flags(char **flags, const char *const *want, size_t n) {
        assert_non_null(flags);
        for (size_t i = 0; i < n; i++) {
                if (!flags[i])
                        fail_msg("only %zu flags, want %s next", i, want[i]);
                assert_string_equal(flags[i], want[i]);
        }
        assert_null(flags[n]);
}

static void test_windows_under_kvm_gets_every_enlightenment_in_order(void **state) {
        _cleanup_profile_ Profile *p = profile("[vm]\nos = windows\n");
        _cleanup_strv_free_ char **flags = NULL;
        _cleanup_strv_ Strv adjusted = { 0 };

        assert_int_equal(plan_cpu_flags(p, offered_all, NULL, NULL, &flags, &adjusted), 0);
        assert_flags(flags, all_hyperv, ELEMENTSOF(all_hyperv));
        assert_int_equal(adjusted.n, 0);
}

static void test_other_and_linux_guests_get_no_cpu_flags(void **state) {
        _cleanup_profile_ Profile *other = profile("");
        _cleanup_profile_ Profile *linux_ = profile("[vm]\nos = linux\n");
        _cleanup_strv_ Strv adjusted = { 0 };
        char **flags = (char **) offered_all;

        assert_int_equal(other->os, GUEST_OS_OTHER);
        assert_int_equal(plan_cpu_flags(other, offered_all, NULL, NULL, &flags, &adjusted), 0);
        assert_null(flags);
        flags = (char **) offered_all;
        assert_int_equal(plan_cpu_flags(linux_, offered_all, NULL, NULL, &flags, &adjusted), 0);
        assert_null(flags);
        assert_int_equal(adjusted.n, 0);
}

static void test_a_flag_qemu_lacks_is_left_out_and_named(void **state) {
        static char *const old_qemu[] = {
                "hv-relaxed", "hv-vapic", "hv-spinlocks", "hv-vpindex", "hv-runtime", "hv-time",
                "hv-synic", "hv-stimer", "hv-frequencies", NULL,
        };
        _cleanup_profile_ Profile *p = profile("[vm]\nos = windows\n[qemu]\nbinary = /opt/qemu-3.1/bin/qemu-system-x86_64\n");
        _cleanup_strv_free_ char **flags = NULL;
        _cleanup_strv_ Strv adjusted = { 0 };

        assert_int_equal(plan_cpu_flags(p, old_qemu, NULL, NULL, &flags, &adjusted), 0);
        assert_flags(flags, all_hyperv, 9);
        assert_int_equal(adjusted.n, 2);
        assert_true(strv_has_with(&adjusted, "hv-tlbflush left out", "/opt/qemu-3.1/bin/qemu-system-x86_64 does not offer it"));
        assert_true(strv_has_with(&adjusted, "hv-ipi left out", "its host CPU"));
}

static void test_without_knowing_what_qemu_offers_every_flag_is_passed(void **state) {
        _cleanup_profile_ Profile *p = profile("[vm]\nos = windows\n");
        _cleanup_strv_free_ char **flags = NULL;
        _cleanup_strv_ Strv adjusted = { 0 };

        assert_int_equal(plan_cpu_flags(p, NULL, NULL, NULL, &flags, &adjusted), 0);
        assert_flags(flags, all_hyperv, ELEMENTSOF(all_hyperv));
        assert_int_equal(adjusted.n, 0);
}

static void test_under_tcg_hv_vpindex_is_left_out_and_said_why(void **state) {
        static const char *const tcg[] = {
                "hv-relaxed=on", "hv-vapic=on", "hv-spinlocks=0x1fff", "hv-runtime=on", "hv-time=on",
                "hv-synic=on", "hv-stimer=on", "hv-frequencies=on", "hv-tlbflush=on", "hv-ipi=on",
        };
        _cleanup_profile_ Profile *p = profile("[vm]\nos = windows\naccel = tcg\n");
        _cleanup_strv_free_ char **flags = NULL;
        _cleanup_strv_ Strv adjusted = { 0 };

        /* QEMU 7.2 refuses to start with it under TCG */
        assert_int_equal(plan_cpu_flags(p, offered_all, NULL, NULL, &flags, &adjusted), 0);
        assert_flags(flags, tcg, ELEMENTSOF(tcg));
        assert_int_equal(adjusted.n, 1);
        assert_true(strv_has_with(&adjusted, "hv-vpindex left out", "without KVM"));
}

/* A kernel's KVM, as the plan would ask it: every capability but those
 * listed (0-terminated) */
static bool kvm_without(const void *data, int cap) {
        for (const int *c = data; *c; c++)
                if (*c == cap)
                        return false;
        return true;
}

static void test_under_kvm_without_hyperv_emulation_no_enlightenment_is_passed(void **state) {
        static const int no_hyperv[] = { KVM_CAP_HYPERV, KVM_CAP_HYPERV_VAPIC, KVM_CAP_HYPERV_TIME, 0 };
        _cleanup_profile_ Profile *p = profile("[vm]\nos = windows\n");
        _cleanup_strv_free_ char **flags = NULL;
        _cleanup_strv_ Strv adjusted = { 0 };

        /* QEMU would abort on the first Hyper-V register KVM does not know */
        assert_int_equal(plan_cpu_flags(p, offered_all, kvm_without, no_hyperv, &flags, &adjusted), 0);
        assert_null(flags);
        assert_int_equal(adjusted.n, 1);
        assert_true(strv_has_with(&adjusted, "every Hyper-V enlightenment left out", "CONFIG_KVM_HYPERV"));
}

static void test_under_kvm_an_enlightenment_the_kernel_lacks_takes_those_built_on_it(void **state) {
        static const int no_vp_index[] = { KVM_CAP_HYPERV_VP_INDEX, 0 };
        static const char *const left[] = {
                "hv-relaxed=on", "hv-vapic=on", "hv-spinlocks=0x1fff", "hv-runtime=on", "hv-time=on", "hv-frequencies=on",
        };
        _cleanup_profile_ Profile *p = profile("[vm]\nos = windows\n");
        _cleanup_strv_free_ char **flags = NULL;
        _cleanup_strv_ Strv adjusted = { 0 };

        assert_int_equal(plan_cpu_flags(p, offered_all, kvm_without, no_vp_index, &flags, &adjusted), 0);
        assert_flags(flags, left, ELEMENTSOF(left));
        assert_int_equal(adjusted.n, 5);
        assert_true(strv_has_with(&adjusted, "hv-vpindex left out", "this kernel's KVM does not emulate it"));
        assert_true(strv_has_with(&adjusted, "hv-synic left out", "builds on hv-vpindex"));
        assert_true(strv_has_with(&adjusted, "hv-stimer left out", "builds on hv-synic"));
        assert_true(strv_has_with(&adjusted, "hv-tlbflush left out", "builds on hv-vpindex"));
        assert_true(strv_has_with(&adjusted, "hv-ipi left out", "builds on hv-vpindex"));
}

static void test_under_kvm_with_full_hyperv_emulation_every_enlightenment_is_passed(void **state) {
        static const int none[] = { 0 };
        _cleanup_profile_ Profile *p = profile("[vm]\nos = windows\n");
        _cleanup_strv_free_ char **flags = NULL;
        _cleanup_strv_ Strv adjusted = { 0 };

        assert_int_equal(plan_cpu_flags(p, offered_all, kvm_without, none, &flags, &adjusted), 0);
        assert_flags(flags, all_hyperv, ELEMENTSOF(all_hyperv));
        assert_int_equal(adjusted.n, 0);
}

/* ---- the GPU's subsystem IDs ---- */

typedef struct Host {
        FakeRoot root;
        HostContext ctx;
        Strv notes, adjusted;
} Host;

static int host_setup(void **state) {
        Host *h = calloc(1, sizeof(*h));

        if (!h)
                return -1;
        fake_root_new(&h->root, "plan");
        h->ctx = (HostContext) { .root = h->root.dir };
        *state = h;
        return 0;
}

static int host_teardown(void **state) {
        Host *h = *state;

        fake_root_remove(&h->root);
        strv_done(&h->notes);
        strv_done(&h->adjusted);
        free(h);
        return 0;
}

static void subsystem(Host *h, const char *text, bool *ret_set, QemuPciIds *ret_ids) {
        _cleanup_profile_ Profile *p = profile(text);

        strv_done(&h->notes);
        strv_done(&h->adjusted);
        assert_int_equal(plan_gpu_subsystem(&h->ctx, p, ret_set, ret_ids, &h->notes, &h->adjusted), 0);
}

static void test_a_display_gpu_gets_the_hosts_subsystem_ids_by_default(void **state) {
        Host *h = *state;
        QemuPciIds ids;
        bool set;

        gpu(&h->root, "0x030000\n", "0x17aa\n", "0x3c3e\n");
        subsystem(h, "[gpu]\naddress = " GPU "\n", &set, &ids);
        assert_true(set);
        assert_int_equal(ids.vendor, 0x17aa);
        assert_int_equal(ids.device, 0x3c3e);
        assert_int_equal(h->notes.n, 0);
        assert_int_equal(h->adjusted.n, 0);

        /* a "3D controller" (0x0302), as many laptops' NVIDIA GPUs are */
        gpu(&h->root, "0x030200\n", "0x1043\n", "0x1e2f\n");
        subsystem(h, "[gpu]\naddress = " GPU "\nsubsystem = host\n", &set, &ids);
        assert_true(set);
        assert_int_equal(ids.vendor, 0x1043);
        assert_int_equal(ids.device, 0x1e2f);
}

static void test_a_device_that_is_no_display_keeps_its_own_by_default(void **state) {
        Host *h = *state;
        QemuPciIds ids;
        bool set = true;

        gpu(&h->root, "0x040300\n", "0x17aa\n", "0x3c3e\n");
        subsystem(h, "[gpu]\naddress = " GPU "\n", &set, &ids);
        assert_false(set);
        assert_int_equal(h->notes.n, 0);
        assert_int_equal(h->adjusted.n, 0);
}

static void test_the_profiles_subsystem_wins_and_none_passes_nothing(void **state) {
        Host *h = *state;
        QemuPciIds ids;
        bool set;

        gpu(&h->root, "0x030000\n", "0x17aa\n", "0x3c3e\n");
        subsystem(h, "[gpu]\naddress = " GPU "\nsubsystem = 1043:1E2F\n", &set, &ids);
        assert_true(set);
        assert_int_equal(ids.vendor, 0x1043);
        assert_int_equal(ids.device, 0x1e2f);

        subsystem(h, "[gpu]\naddress = " GPU "\nsubsystem = none\n", &set, &ids);
        assert_false(set);
        assert_int_equal(h->notes.n, 0);
}

static void test_the_profiles_subsystem_needs_no_gpu_on_this_host(void **state) {
        Host *h = *state;
        QemuPciIds ids;
        bool set;

        subsystem(h, "[gpu]\naddress = " GPU "\nsubsystem = 1043:1e2f\n", &set, &ids);
        assert_true(set);
        assert_int_equal(ids.vendor, 0x1043);
        assert_int_equal(h->notes.n, 0);
}

static void test_a_gpu_not_on_this_host_is_a_note_naming_the_key(void **state) {
        Host *h = *state;
        QemuPciIds ids;
        bool set = true;

        subsystem(h, "[gpu]\naddress = " GPU "\n", &set, &ids);
        assert_false(set);
        assert_int_equal(h->notes.n, 1);
        assert_true(strv_has_with(&h->notes, GPU " is not present on this host", "[gpu] subsystem = VENDOR:DEVICE"));
}

static void test_a_gpu_without_subsystem_ids_passes_none_and_says_so(void **state) {
        Host *h = *state;
        QemuPciIds ids;
        bool set = true;

        gpu(&h->root, "0x030000\n", "0x0000\n", "0x0000\n");
        subsystem(h, "[gpu]\naddress = " GPU "\n", &set, &ids);
        assert_false(set);
        assert_int_equal(h->notes.n, 0);
        assert_true(strv_has_with(&h->adjusted, GPU " has no subsystem IDs in sysfs (0000:0000)", NULL));
}

static void test_without_a_gpu_there_are_no_subsystem_ids(void **state) {
        Host *h = *state;
        QemuPciIds ids;
        bool set = true;

        subsystem(h, "", &set, &ids);
        assert_false(set);
        assert_int_equal(h->notes.n, 0);
}

/* ---- the whole plan ---- */

static Plan *plan_for(const char *root, const char *text, Profile **ret_profile) {
        Plan *plan = NULL;

        assert_int_equal(setenv("VMRUN_ROOT", root, 1), 0);
        *ret_profile = profile(text);
        assert_int_equal(plan_new(*ret_profile, &plan), 0);
        return plan;
}

static char *laptop_profile(void) {
        char *text;

        /* QEMU is this program, offering every flag but hv-ipi */
        assert_true(asprintf(&text,
                             "[vm]\nname = nv\naccel = tcg\nfirmware = bios\nos = windows\n"
                             "[gpu]\naddress = " GPU "\nfunctions = none\nfake-battery = yes\n"
                             "[network]\nmode = none\n"
                             "[qemu]\nbinary = %s\n",
                             self) > 0);
        return text;
}

static void test_the_plan_carries_all_three_into_the_argv(void **state) {
        Host *h = *state;
        _cleanup_free_ char *text = laptop_profile(), *table = NULL, *printed = NULL;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_json_ json_t *dev = NULL, *j = NULL;
        size_t size = 0;
        FILE *f;

        gpu(&h->root, "0x030000\n", "0x17aa\n", "0x3c3e\n");
        plan = plan_for(h->root.dir, text, &p);

        /* the flags this QEMU offers, less hv-vpindex under TCG */
        assert_string_equal(value_of(&plan->argv, "-cpu"),
                            "max,hv-relaxed=on,hv-vapic=on,hv-spinlocks=0x1fff,hv-runtime=on,hv-time=on,"
                            "hv-synic=on,hv-stimer=on,hv-frequencies=on,hv-tlbflush=on");
        assert_true(strv_has_with(&plan->adjustments, "hv-vpindex left out", NULL));
        assert_true(strv_has_with(&plan->adjustments, "hv-ipi left out", self));

        /* the host's subsystem IDs, on the GPU */
        dev = gpu_device(&plan->argv);
        assert_int_equal(json_integer_value(json_object_get(dev, "x-pci-sub-vendor-id")), 0x17aa);
        assert_int_equal(json_integer_value(json_object_get(dev, "x-pci-sub-device-id")), 0x3c3e);

        /* the battery's table from VMRUN_DATA_DIR, which has it: no note */
        assert_true(asprintf(&table, "file=%s/fake-battery.aml", getenv("VMRUN_DATA_DIR")) > 0);
        assert_string_equal(value_of(&plan->argv, "-acpitable"), table);
        assert_false(strv_has_with(&plan->notes, "fake battery", NULL));

        /* `vmrun plan` shows them */
        f = open_memstream(&printed, &size);
        assert_non_null(f);
        plan_print(plan, f);
        assert_int_equal(fclose(f), 0);
        assert_non_null(strstr(printed, "subsystem 17aa:3c3e (the host's, from sysfs)"));
        assert_non_null(strstr(printed, "fake battery: ACPI table "));
        assert_non_null(strstr(printed, "guest os  windows, Hyper-V enlightenments: hv-relaxed=on"));
        assert_non_null(strstr(printed, "Adjusted to this host:\n  - hv-vpindex left out"));

        assert_int_equal(plan_to_json(plan, &j), 0);
        assert_string_equal(json_string_value(json_object_get(j, "os")), "windows");
        assert_int_equal(json_array_size(json_object_get(j, "cpu_flags")), 9);
        assert_int_equal(json_array_size(json_object_get(j, "adjustments")), 2);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "gpu"), "subsystem")), "17aa:3c3e");
        assert_non_null(strstr(json_string_value(json_object_get(json_object_get(j, "gpu"), "fake_battery")),
                               "/fake-battery.aml"));
}

static void test_a_missing_battery_table_is_a_note(void **state) {
        Host *h = *state;
        _cleanup_free_ char *text = laptop_profile(), *data = strdup(getenv("VMRUN_DATA_DIR"));
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        assert_int_equal(setenv("VMRUN_DATA_DIR", h->root.dir, 1), 0);
        plan = plan_for(h->root.dir, text, &p);
        assert_int_equal(setenv("VMRUN_DATA_DIR", data, 1), 0);
        assert_true(strv_has_with(&plan->notes, "the fake battery's ACPI table", "VMRUN_DATA_DIR"));
}

static void test_a_colon_in_the_data_dir_fails_the_plan(void **state) {
        Host *h = *state;
        _cleanup_free_ char *text = laptop_profile(), *data = strdup(getenv("VMRUN_DATA_DIR"));
        _cleanup_profile_ Profile *p = profile(text);
        Plan *plan = NULL;

        assert_int_equal(setenv("VMRUN_ROOT", h->root.dir, 1), 0);
        assert_int_equal(setenv("VMRUN_DATA_DIR", "/opt/a:b", 1), 0);
        assert_int_equal(plan_new(p, &plan), -EINVAL);
        assert_int_equal(setenv("VMRUN_DATA_DIR", data, 1), 0);
        assert_null(plan);
}

static void test_no_battery_no_flags_and_no_ids_unless_asked(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        gpu(&h->root, "0x030000\n", "0x17aa\n", "0x3c3e\n");
        plan = plan_for(h->root.dir,
                        "[vm]\naccel = tcg\nfirmware = bios\n[gpu]\naddress = " GPU "\nfunctions = none\nsubsystem = none\n",
                        &p);
        assert_string_equal(value_of(&plan->argv, "-cpu"), "max");
        for (size_t i = 0; i < plan->argv.n; i++) {
                assert_string_not_equal(plan->argv.v[i], "-acpitable");
                assert_null(strstr(plan->argv.v[i], "x-pci-sub-"));
        }
        assert_null(plan->battery_table);
        assert_null(plan->cpu_flags);
        assert_int_equal(plan->adjustments.n, 0);
}

/* ---- [input] evdev and [usb] devices ---- */

#define KBD "/dev/input/by-id/usb-Logitech_USB_Receiver-event-kbd"
#define MOUSE "/dev/input/by-path/pci-0000:00:14.0-usb-0:2:1.1-event-mouse"

/* A keyboard and a mouse as udev names them, and a Logitech receiver
 * (046d:c52b) on bus 1 beside the root hub, in the fake tree. */
/* A USB device as sysfs and usbfs show it: NAME (1-2) on BUS at DEV, with
 * its interfaces' classes ("1.0=03", a keyboard) */
static void usb_device(const FakeRoot *f, const char *name, const char *vendor, const char *product, unsigned bus,
                       unsigned dev, const char *const *interfaces) {
        char path[128], value[16];

        snprintf(path, sizeof path, "/sys/bus/usb/devices/%s/idVendor", name);
        snprintf(value, sizeof value, "%s\n", vendor);
        fake_file(f, path, value);
        snprintf(path, sizeof path, "/sys/bus/usb/devices/%s/idProduct", name);
        snprintf(value, sizeof value, "%s\n", product);
        fake_file(f, path, value);
        snprintf(path, sizeof path, "/sys/bus/usb/devices/%s/busnum", name);
        snprintf(value, sizeof value, "%u\n", bus);
        fake_file(f, path, value);
        snprintf(path, sizeof path, "/sys/bus/usb/devices/%s/devnum", name);
        snprintf(value, sizeof value, "%u\n", dev);
        fake_file(f, path, value);
        for (size_t i = 0; interfaces && interfaces[i]; i++) {
                const char *eq = strchr(interfaces[i], '=');

                snprintf(path, sizeof path, "/sys/bus/usb/devices/%s:%.*s/bInterfaceClass", name,
                         (int) (eq - interfaces[i]), interfaces[i]);
                snprintf(value, sizeof value, "%s\n", eq + 1);
                fake_file(f, path, value);
        }
        snprintf(path, sizeof path, "/dev/bus/usb/%03u/%03u", bus, dev);
        fake_file(f, path, "");
}

static void input_devices(const FakeRoot *f) {
        fake_file(f, "/dev/input/event3", "");
        fake_file(f, "/dev/input/event4", "");
        fake_file(f, "/dev/input/mouse0", "");
        fake_link(f, KBD, "../event3");
        fake_link(f, MOUSE, "../event4");
        fake_link(f, "/dev/input/by-id/usb-Logitech_USB_Receiver-mouse", "../mouse0");

        usb_device(f, "usb1", "1d6b", "0002", 1, 1, NULL);
        usb_device(f, "1-2", "046d", "c52b", 1, 4, (const char *const[]) { "1.0=03", NULL });
}

#define INPUT_PROFILE                                                   \
        "[vm]\nname = kb\naccel = tcg\nfirmware = bios\n"                 \
        "[network]\nmode = none\n"                                       \
        "[qemu]\nuser = nobody\n"

/* -object/-device arguments whose JSON has "key": "value" */
static json_t *json_arg(const Strv *a, const char *option, const char *key, const char *value) {
        for (size_t i = 0; i + 1 < a->n; i++) {
                json_t *j;

                if (!streq(a->v[i], option))
                        continue;
                j = json_loads(a->v[i + 1], 0, NULL);
                assert_non_null(j);
                if (streq_ptr(json_string_value(json_object_get(j, key)), value))
                        return j;
                json_decref(j);
        }
        fail_msg("no %s with \"%s\": \"%s\"", option, key, value);
        return NULL;
}

static void test_evdev_devices_reach_qemu_as_grabbing_input_linux_objects_and_their_nodes_are_granted(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_json_ json_t *kbd = NULL, *mouse = NULL, *j = NULL;
        _cleanup_free_ char *text = NULL;

        input_devices(&h->root);
        plan = plan_for(h->root.dir, INPUT_PROFILE "[input]\nevdev = " KBD ", " MOUSE "\n", &p);

        /* QEMU opens the stable name itself */
        kbd = json_arg(&plan->argv, "-object", "evdev", KBD);
        assert_string_equal(json_string_value(json_object_get(kbd, "qom-type")), "input-linux");
        assert_string_equal(json_string_value(json_object_get(kbd, "id")), "input0");
        assert_true(json_is_true(json_object_get(kbd, "grab_all")));
        assert_true(json_is_true(json_object_get(kbd, "repeat")));
        /* QEMU's default toggle (both Ctrl keys), said out loud */
        assert_string_equal(json_string_value(json_object_get(kbd, "grab-toggle")), "ctrl-ctrl");
        mouse = json_arg(&plan->argv, "-object", "evdev", MOUSE);
        assert_string_equal(json_string_value(json_object_get(mouse, "id")), "input1");

        /* its user gets the event nodes the names lead to, not the links */
        assert_true(granted(plan, "/dev/input/event3"));
        assert_true(granted(plan, "/dev/input/event4"));
        assert_false(granted(plan, KBD));
        assert_int_equal(plan->host_missing.n, 0);
        assert_false(strv_has_with(&plan->notes, "[input]", NULL));

        text = printed(plan);
        assert_non_null(strstr(text, "  input     " KBD ", " MOUSE "\n"));
        assert_non_null(strstr(text, "both Ctrl keys together switch them between guest and host"));
        assert_non_null(strstr(text, "found: " KBD " -> /dev/input/event3\n"));
        assert_non_null(strstr(text, "give /dev/input/event3 to nobody (QEMU's user)"));

        assert_int_equal(plan_to_json(plan, &j), 0);
        assert_int_equal(json_array_size(json_object_get(json_object_get(j, "input"), "evdev")), 2);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "input"), "grab_toggle")), "ctrl-ctrl");
        assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(j, "input"), "nodes"), 0)),
                            "/dev/input/event3");
}

/* A laptop keyboard may lack a right Ctrl, and a game may want both: the
 * toggle is the profile's to choose, and the plan names the keys */
static void test_grab_toggle_reaches_every_input_linux_object_and_the_plan_names_its_keys(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_json_ json_t *kbd = NULL, *mouse = NULL;
        _cleanup_free_ char *text = NULL;

        input_devices(&h->root);
        plan = plan_for(h->root.dir, INPUT_PROFILE "[input]\nevdev = " KBD ", " MOUSE "\ngrab-toggle = scrolllock\n", &p);

        kbd = json_arg(&plan->argv, "-object", "evdev", KBD);
        mouse = json_arg(&plan->argv, "-object", "evdev", MOUSE);
        assert_string_equal(json_string_value(json_object_get(kbd, "grab-toggle")), "scrolllock");
        assert_string_equal(json_string_value(json_object_get(mouse, "grab-toggle")), "scrolllock");
        text = printed(plan);
        assert_non_null(strstr(text, "Scroll Lock switch them between guest and host ([input] grab-toggle = scrolllock)"));
}

static void test_usb_ids_reach_qemu_as_usb_host_on_xhci_and_their_nodes_are_granted(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_json_ json_t *xhci = NULL, *dev = NULL;
        _cleanup_free_ char *text = NULL;

        input_devices(&h->root);
        plan = plan_for(h->root.dir, INPUT_PROFILE "[usb]\ndevices = 046d:c52b\n", &p);

        xhci = json_arg(&plan->argv, "-device", "driver", "qemu-xhci");
        assert_string_equal(json_string_value(json_object_get(xhci, "id")), "xhci");
        dev = json_arg(&plan->argv, "-device", "driver", "usb-host");
        assert_string_equal(json_string_value(json_object_get(dev, "bus")), "xhci.0");
        assert_int_equal(json_integer_value(json_object_get(dev, "vendorid")), 0x046d);
        assert_int_equal(json_integer_value(json_object_get(dev, "productid")), 0xc52b);
        assert_string_equal(json_string_value(json_object_get(dev, "id")), "usb-046d-c52b");

        assert_true(granted(plan, "/dev/bus/usb/001/004"));
        /* not the root hub beside it */
        assert_false(granted(plan, "/dev/bus/usb/001/001"));
        assert_int_equal(plan->host_missing.n, 0);

        text = printed(plan);
        assert_non_null(strstr(text, "  usb       046d:c52b (usb-host on a qemu-xhci controller"));
        assert_non_null(strstr(text, "found: 046d:c52b -> USB device 1-2, /dev/bus/usb/001/004\n"));
}

static void test_a_missing_evdev_or_usb_device_is_a_note_and_given_to_nobody(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        input_devices(&h->root);
        plan = plan_for(h->root.dir,
                        INPUT_PROFILE "[input]\nevdev = /dev/input/by-id/usb-Unplugged-event-kbd\n"
                                      "[usb]\ndevices = 1050:0407\n",
                        &p);
        assert_int_equal(plan->host_missing.n, 2);
        assert_true(strv_has_with(&plan->notes, "[input] evdev /dev/input/by-id/usb-Unplugged-event-kbd is not there",
                                  "ls -l /dev/input/by-id"));
        assert_true(strv_has_with(&plan->notes, "[usb] device 1050:0407 is not plugged in", "lsusb"));
        for (size_t i = 0; i < plan->steps.n; i++)
                assert_null(strstr(plan->steps.steps[i].summary, "/dev/input"));
        /* QEMU is still told: the plan shows what a start would run */
        (void) json_decref(json_arg(&plan->argv, "-object", "evdev", "/dev/input/by-id/usb-Unplugged-event-kbd"));
}

/* A composite device is judged by all its interfaces: this stick has a
 * keyboard-like interface too, and is still a disk */
static void test_a_usb_disk_or_network_adapter_is_refused_unless_its_class_is_allowed(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL, *q = NULL, *r = NULL;
        _cleanup_plan_ Plan *disk = NULL, *allowed = NULL, *nic = NULL;

        input_devices(&h->root);
        usb_device(&h->root, "1-3", "0781", "5567", 1, 5, (const char *const[]) { "1.0=03", "1.1=08", NULL });
        usb_device(&h->root, "1-4", "0bda", "8153", 1, 6, (const char *const[]) { "2.0=02", NULL });

        disk = plan_for(h->root.dir, INPUT_PROFILE "[usb]\ndevices = 0781:5567\n", &p);
        assert_int_equal(disk->host_missing.n, 1);
        assert_true(strv_has_with(&disk->notes, "[usb] device 0781:5567 (1-3) is a USB disk (mass storage), interface 1-3:1.1",
                                  "[host] allow-classes = storage"));

        allowed = plan_for(h->root.dir, INPUT_PROFILE "[usb]\ndevices = 0781:5567\n[host]\nallow-classes = storage\n", &q);
        assert_int_equal(allowed->host_missing.n, 0);

        nic = plan_for(h->root.dir, INPUT_PROFILE "[usb]\ndevices = 0bda:8153, 046d:c52b\n[host]\nallow-classes = storage\n", &r);
        assert_int_equal(nic->host_missing.n, 1);
        assert_true(strv_has_with(&nic->notes, "[usb] device 0bda:8153 (1-4) is a USB network adapter", "allow-classes = network"));
}

#define BRIDGE_PROFILE                                                  \
        "[vm]\nname = br\naccel = tcg\nfirmware = bios\n"                 \
        "[network]\nmode = bridge\nbridge = br0\n"                         \
        "[qemu]\nuser = nobody\n"

/* The bridge is the host's: vmrun adds a tap to it and makes nothing
 * else, so one that is not there, or is no bridge, is said up front */
static void test_a_bridge_that_is_missing_or_no_bridge_is_a_note_and_a_real_one_is_taken(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL, *q = NULL, *r = NULL;
        _cleanup_plan_ Plan *missing = NULL, *plain = NULL, *bridge = NULL;
        _cleanup_free_ char *text = NULL;

        missing = plan_for(h->root.dir, BRIDGE_PROFILE, &p);
        assert_int_equal(missing->host_missing.n, 1);
        assert_true(strv_has_with(&missing->notes, "[network] bridge br0 is not there", "ip -br link"));

        fake_file(&h->root, "/sys/class/net/br0/address", "52:54:00:12:34:56\n");
        plain = plan_for(h->root.dir, BRIDGE_PROFILE, &q);
        assert_true(strv_has_with(&plain->notes, "[network] bridge br0 is a network interface but not a bridge",
                                  "mode = user"));

        fake_dir(&h->root, "/sys/class/net/br0/bridge");
        bridge = plan_for(h->root.dir, BRIDGE_PROFILE, &r);
        assert_int_equal(bridge->host_missing.n, 0);
        assert_false(strv_has_with(&bridge->notes, "[network]", NULL));
        text = printed(bridge);
        assert_non_null(strstr(text, "  network   a tap on bridge br0, made by vmrun at start"));
}

static void test_an_evdev_name_that_leads_to_no_event_device_is_refused_naming_both(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        input_devices(&h->root);
        plan = plan_for(h->root.dir, INPUT_PROFILE "[input]\nevdev = /dev/input/by-id/usb-Logitech_USB_Receiver-mouse\n",
                        &p);
        assert_int_equal(plan->host_missing.n, 1);
        assert_true(strv_has_with(&plan->notes, "/dev/input/by-id/usb-Logitech_USB_Receiver-mouse leads to "
                                                "/dev/input/mouse0, not an event device", "-event-mouse"));
        assert_false(granted(plan, "/dev/input/mouse0"));
}

static void test_two_usb_devices_with_the_same_ids_are_both_given_to_qemus_user(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        input_devices(&h->root);
        usb_device(&h->root, "3-1", "046d", "c52b", 3, 12, NULL);
        plan = plan_for(h->root.dir, INPUT_PROFILE "[usb]\ndevices = 046d:c52b\n", &p);
        assert_true(granted(plan, "/dev/bus/usb/001/004"));
        assert_true(granted(plan, "/dev/bus/usb/003/012"));
        assert_int_equal(plan->host_missing.n, 0);
}

static void test_qemu_run_as_root_is_given_no_device_nodes(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        input_devices(&h->root);
        plan = plan_for(h->root.dir,
                        "[vm]\naccel = tcg\nfirmware = bios\n[qemu]\nuser = root\n[input]\nevdev = " KBD
                        "\n[usb]\ndevices = 046d:c52b\n",
                        &p);
        assert_false(granted(plan, "/dev/input/event3"));
        assert_false(granted(plan, "/dev/bus/usb/001/004"));
        (void) json_decref(json_arg(&plan->argv, "-object", "evdev", KBD));
}

static void test_the_plan_shows_the_backlight_mode_of_the_gpu(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL, *q = NULL;
        _cleanup_plan_ Plan *keep = NULL, *max = NULL;
        _cleanup_free_ char *tkeep = NULL, *tmax = NULL;
        _cleanup_json_ json_t *j = NULL;

        keep = plan_for(h->root.dir, "[vm]\naccel = tcg\nfirmware = bios\n[gpu]\naddress = " GPU "\n", &p);
        max = plan_for(h->root.dir, "[vm]\naccel = tcg\nfirmware = bios\n[gpu]\naddress = " GPU "\nbacklight = max\n",
                       &q);
        tkeep = printed(keep);
        tmax = printed(max);
        assert_non_null(strstr(tkeep, "backlight: left as it is; put back after if it changed ([gpu] backlight = keep)"));
        assert_non_null(strstr(tmax, "backlight: max, before the host driver goes; put back after"));
        assert_int_equal(plan_to_json(max, &j), 0);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "gpu"), "backlight")), "max");
}

/* ---- the host's power while the guest has the GPU ---- */

#define POWER_PROFILE "[vm]\naccel = tcg\nfirmware = bios\n[network]\nmode = none\n[gpu]\naddress = " GPU "\n"
#define ALL_LOCKS                                                                                       \
        (INHIBIT_SLEEP | INHIBIT_IDLE | INHIBIT_LID_SWITCH | INHIBIT_SUSPEND_KEY | INHIBIT_HIBERNATE_KEY | \
         INHIBIT_POWER_KEY)

static void test_a_gpu_holds_off_sleep_idle_the_lid_and_the_keys_and_its_power_button_is_vmruns(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_t *j = NULL;
        json_t *power;

        fake_input_power_button(&h->root);
        plan = plan_for(h->root.dir, POWER_PROFILE, &p);
        assert_int_equal(plan->inhibit, ALL_LOCKS);
        assert_int_equal(plan->power_buttons.n, 1);
        assert_string_equal(plan->power_buttons.v[0], "/dev/input/event0: Power Button (LNXPWRBN:00)");
        text = printed(plan);
        assert_non_null(strstr(text, "  power     logind's inhibitors from the first host step until the host is "
                                     "back: sleep, idle, lid, suspend and hibernate keys, power key\n"));
        assert_non_null(strstr(text, "closing the lid suspends nothing, [host] lid = keep-running"));
        assert_non_null(strstr(text, "power button: read by vmrun, a press asks the guest to power off (ACPI), quit "
                                     "after 120s ([host] power-button = guest)\n"
                                     "            found: /dev/input/event0: Power Button (LNXPWRBN:00)\n"));
        assert_int_equal(plan_to_json(plan, &j), 0);
        power = json_object_get(j, "power");
        assert_string_equal(json_string_value(json_object_get(power, "inhibit")),
                            "sleep:idle:handle-lid-switch:handle-suspend-key:handle-hibernate-key:handle-power-key");
        assert_string_equal(json_string_value(json_object_get(power, "power_button")), "guest");
        assert_string_equal(json_string_value(json_object_get(power, "lid")), "keep-running");
        assert_int_equal(json_array_size(json_object_get(power, "buttons")), 1);
}

static void test_lid_and_power_button_host_leave_them_to_logind(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_free_ char *text = NULL;

        fake_input_power_button(&h->root);
        plan = plan_for(h->root.dir, POWER_PROFILE "[host]\npower-button = host\nlid = host\n", &p);
        assert_int_equal(plan->inhibit, ALL_LOCKS & ~(INHIBIT_LID_SWITCH | INHIBIT_POWER_KEY));
        assert_int_equal(plan->power_buttons.n, 0);
        text = printed(plan);
        assert_non_null(strstr(text, "back: sleep, idle, suspend and hibernate keys\n"));
        assert_non_null(strstr(text, "the lid does what logind says, [host] lid = host"));
        assert_non_null(strstr(text, "power button: logind's, as without vmrun ([host] power-button = host)"));
}

static void test_without_a_power_button_here_the_power_key_stays_loginds(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_free_ char *text = NULL;

        plan = plan_for(h->root.dir, POWER_PROFILE, &p);
        assert_int_equal(plan->inhibit, ALL_LOCKS & ~INHIBIT_POWER_KEY);
        text = printed(plan);
        assert_non_null(strstr(text, "power button: no ACPI power button found here, so it stays logind's"));
}

static void test_a_plain_vm_holds_nothing_of_the_hosts_power(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_t *j = NULL;

        fake_input_power_button(&h->root);
        plan = plan_for(h->root.dir, "[vm]\naccel = tcg\nfirmware = bios\n[network]\nmode = none\n", &p);
        assert_int_equal(plan->inhibit, 0);
        text = printed(plan);
        assert_null(strstr(text, "  power "));
        assert_int_equal(plan_to_json(plan, &j), 0);
        assert_null(json_object_get(j, "power"));
}

/* ---- Windows 11: the TPM and Secure Boot ---- */

/* OVMF without and with Secure Boot, as Debian describes them, and the
 * VM's state under /srv/state. */
static void windows11_host(const FakeRoot *f) {
        _cleanup_free_ char *fw = fake_path(f, "/fw");
        const char *plain = "{ \"description\": \"OVMF\", \"interface-types\": [ \"uefi\" ],"
                            "  \"mapping\": { \"device\": \"flash\","
                            "    \"executable\": { \"filename\": \"/fw/CODE.fd\", \"format\": \"raw\" },"
                            "    \"nvram-template\": { \"filename\": \"/fw/VARS.fd\", \"format\": \"raw\" } },"
                            "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-q35-*\" ] } ],"
                            "  \"features\": [ \"acpi-s3\" ], \"tags\": [ ] }";
        const char *secure = "{ \"description\": \"OVMF, MS keys\", \"interface-types\": [ \"uefi\" ],"
                             "  \"mapping\": { \"device\": \"flash\","
                             "    \"executable\": { \"filename\": \"/fw/CODE.ms.fd\", \"format\": \"raw\" },"
                             "    \"nvram-template\": { \"filename\": \"/fw/VARS.ms.fd\", \"format\": \"raw\" } },"
                             "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ \"pc-q35-*\" ] } ],"
                             "  \"features\": [ \"enrolled-keys\", \"requires-smm\", \"secure-boot\" ], \"tags\": [ ] }";

        fake_file(f, "/fw/40-secure-enrolled.json", secure);
        fake_file(f, "/fw/60-plain.json", plain);
        assert_int_equal(setenv("VMRUN_FIRMWARE_DIRS", fw, 1), 0);
        assert_int_equal(setenv("VMRUN_STATE_DIR", "/srv/state", 1), 0);
}

static void windows11_done(void) {
        assert_int_equal(unsetenv("VMRUN_FIRMWARE_DIRS"), 0);
        assert_int_equal(unsetenv("VMRUN_STATE_DIR"), 0);
}

static void test_uefi_secure_keeps_a_variable_store_of_its_own_copied_from_the_template_with_the_keys(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL, *q = NULL;
        _cleanup_plan_ Plan *plain = NULL, *secure = NULL;
        _cleanup_json_ json_t *vars = NULL, *j = NULL;
        _cleanup_free_ char *text = NULL;

        windows11_host(&h->root);
        plain = plan_for(h->root.dir, "[vm]\nname = w\naccel = tcg\nfirmware = uefi\n[qemu]\nuser = nobody\n", &p);
        secure = plan_for(h->root.dir, "[vm]\nname = w\naccel = tcg\nfirmware = uefi-secure\n[qemu]\nuser = nobody\n", &q);
        windows11_done();

        assert_string_equal(plain->firmware->vars_template, "/fw/VARS.fd");
        assert_string_equal(plain->vars, "/srv/state/w/efivars.fd");
        assert_null(strstr(value_of(&plain->argv, "-machine"), "smm"));

        /* a VM switched to uefi-secure does not boot the old store, whose
         * keys are not enrolled */
        assert_string_equal(secure->firmware->vars_template, "/fw/VARS.ms.fd");
        assert_string_equal(secure->vars, "/srv/state/w/efivars-secure.fd");
        assert_true(secure->firmware->requires_smm && secure->firmware->secure_boot && secure->firmware->enrolled_keys);
        assert_string_equal(value_of(&secure->argv, "-machine"), "q35,accel=tcg,pflash0=fw-code,pflash1=fw-vars,smm=on");
        vars = json_arg(&secure->argv, "-blockdev", "node-name", "fw-vars");
        assert_string_equal(json_string_value(json_object_get(json_object_get(vars, "file"), "filename")),
                            "/srv/state/w/efivars-secure.fd");
        assert_true(granted(secure, "/srv/state/w/efivars-secure.fd"));
        assert_false(granted(secure, "/srv/state/w/efivars.fd"));

        text = printed(secure);
        assert_non_null(strstr(text, "variables /srv/state/w/efivars-secure.fd (copied once from /fw/VARS.ms.fd), SMM on"));
        assert_int_equal(plan_to_json(secure, &j), 0);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "firmware"), "vars")),
                            "/srv/state/w/efivars-secure.fd");
}

static void test_a_tpm_is_swtpm_as_qemus_user_with_its_tpm_directory_given_to_that_user(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL, *q = NULL;
        _cleanup_plan_ Plan *tpm = NULL, *none = NULL;
        _cleanup_json_ json_t *dev = NULL, *j = NULL;
        _cleanup_free_ char *text = NULL;

        windows11_host(&h->root);
        tpm = plan_for(h->root.dir, "[vm]\nname = w\naccel = tcg\nfirmware = uefi-secure\ntpm = yes\n"
                                    "[qemu]\nuser = nobody\n", &p);
        none = plan_for(h->root.dir, "[vm]\nname = w\naccel = tcg\nfirmware = uefi-secure\n[qemu]\nuser = nobody\n", &q);
        windows11_done();

        assert_int_equal(tpm->tpm_argv.n, 7);
        assert_string_equal(tpm->tpm_argv.v[0], SWTPM_BINARY);
        assert_string_equal(tpm->tpm_argv.v[4], "dir=/srv/state/w/tpm,mode=0600");
        assert_string_equal(tpm->paths->tpm_dir, "/srv/state/w/tpm");
        /* swtpm runs as QEMU's user, in the TPM's directory given to it;
         * the state directory around it stays root's */
        assert_true(granted(tpm, "/srv/state/w/tpm"));
        assert_false(granted(tpm, "/srv/state/w"));
        assert_string_equal(value_of(&tpm->argv, "-tpmdev"), "emulator,id=tpm0,chardev=tpm-ctrl");
        dev = json_arg(&tpm->argv, "-device", "driver", "tpm-crb");

        text = printed(tpm);
        assert_non_null(strstr(text, "  tpm       TPM 2.0 (tpm-crb) from swtpm, started before QEMU as nobody, stopped "
                                     "after it; state in /srv/state/w/tpm\n"));
        assert_non_null(strstr(text, "fd 6: swtpm's control channel"));
        assert_non_null(strstr(text, "swtpm command line (the other end as fd 3):\n  " SWTPM_BINARY
                                     " socket --tpm2 --tpmstate dir=/srv/state/w/tpm,mode=0600 --ctrl "
                                     "type=unixio,clientfd=3\n"));
        assert_int_equal(plan_to_json(tpm, &j), 0);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "tpm"), "state")), "/srv/state/w/tpm");

        assert_int_equal(none->tpm_argv.n, 0);
        assert_false(granted(none, "/srv/state/w/tpm"));
        for (size_t i = 0; i < none->argv.n; i++)
                assert_string_not_equal(none->argv.v[i], "-tpmdev");
}

/* QEMU's user can write the TPM's directory: what it put there besides
 * swtpm's files is named and neither given nor followed, and a TPM
 * directory that is a link stops the run. */
static void test_links_in_the_tpm_directory_are_named_and_not_followed(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL, *q = NULL;
        _cleanup_plan_ Plan *tpm = NULL, *linked = NULL;

        windows11_host(&h->root);
        fake_file(&h->root, "/srv/state/w/tpm/tpm2-00.permall", "state");
        fake_link(&h->root, "/srv/state/w/tpm/planted", "/etc/shadow");
        fake_dir(&h->root, "/srv/state/w/tpm/sub");
        tpm = plan_for(h->root.dir, "[vm]\nname = w\naccel = tcg\nfirmware = bios\ntpm = yes\n[qemu]\nuser = nobody\n", &p);
        fake_dir(&h->root, "/elsewhere");
        fake_file(&h->root, "/elsewhere/secret", "x");
        fake_link(&h->root, "/srv/state/v/tpm", "/elsewhere");
        linked = plan_for(h->root.dir, "[vm]\nname = v\naccel = tcg\nfirmware = bios\ntpm = yes\n[qemu]\nuser = nobody\n", &q);
        windows11_done();

        assert_true(granted(tpm, "/srv/state/w/tpm/tpm2-00.permall"));
        assert_false(granted(tpm, "/srv/state/w/tpm/planted"));
        assert_false(granted(tpm, "/srv/state/w/tpm/sub"));
        assert_true(strv_contains(tpm->notes.v, "/srv/state/w/tpm/planted is not a file of swtpm's (a link, a directory "
                                                "or a second name of a file, made by QEMU's user?): not given to nobody, "
                                                "not followed; remove it"));
        assert_int_equal(tpm->host_missing.n, 0);

        assert_false(granted(linked, "/srv/state/v/tpm/secret"));
        assert_int_equal(linked->host_missing.n, 1);
        assert_non_null(strstr(linked->host_missing.v[0], "/srv/state/v/tpm is not a directory (a link?)"));
}

static void test_a_tpm_under_a_state_directory_with_a_comma_fails_the_plan(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = profile("[vm]\nname = w\naccel = tcg\nfirmware = bios\ntpm = yes\n");
        Plan *plan = NULL;

        assert_int_equal(setenv("VMRUN_ROOT", h->root.dir, 1), 0);
        assert_int_equal(setenv("VMRUN_STATE_DIR", "/srv/a,b", 1), 0);
        assert_int_equal(plan_new(p, &plan), -EINVAL);
        assert_int_equal(unsetenv("VMRUN_STATE_DIR"), 0);
        assert_null(plan);
}

/* ---- the table itself ---- */

static void test_the_built_battery_table_is_an_ssdt_with_a_pnp0c0a_device(void **state) {
        /* EisaId ("PNP0C0A") compressed, as iasl writes it after _HID */
        static const uint8_t pnp0c0a[] = { 0x0c, 0x41, 0xd0, 0x0c, 0x0a };
        /* Method (_STA) { Return (0x1F) }: present, enabled, shown, working, battery present */
        static const uint8_t sta[] = { '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x1f };
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        uint8_t buf[4096], sum = 0;
        uint32_t length;
        size_t n;

        assert_non_null(getenv("VMRUN_DATA_DIR"));
        assert_true(asprintf(&path, "%s/fake-battery.aml", getenv("VMRUN_DATA_DIR")) > 0);
        f = fopen(path, "re");
        if (!f)
                fail_msg("%s: %s (built by meson from firmware/fake-battery.asl)", path, strerror(errno));
        n = fread(buf, 1, sizeof buf, f);
        assert_true(n >= 36 && n < sizeof buf);

        /* the ACPI table header QEMU checks: signature, length, checksum */
        assert_memory_equal(buf, "SSDT", 4);
        memcpy(&length, buf + 4, 4);
        assert_int_equal(length, n);
        for (size_t i = 0; i < n; i++)
                sum = (uint8_t) (sum + buf[i]);
        assert_int_equal(sum, 0);
        assert_memory_equal(buf + 10, "VMRUN\0", 6);

        assert_non_null(memmem(buf, n, "BAT0", 4));
        assert_non_null(memmem(buf, n, "_HID", 4));
        assert_non_null(memmem(buf, n, pnp0c0a, sizeof pnp0c0a));
        assert_non_null(memmem(buf, n, "_UID", 4));
        assert_non_null(memmem(buf, n, sta, sizeof sta));
        assert_non_null(memmem(buf, n, "_BIF", 4));
        assert_non_null(memmem(buf, n, "_BST", 4));
}

/* Run as the profile's QEMU by plan_new(): a QEMU whose CPU has every
 * Hyper-V property but hv-ipi. */
static int fake_qemu(void) {
        for (size_t i = 0; offered_all[i]; i++)
                if (!streq(offered_all[i], "hv-ipi"))
                        printf("  %s=<bool>\n", offered_all[i]);
        return 0;
}

/* ---- placement: topology, hugepages, the CPU model's flags ---- */

/* 8 cores of two threads, core c = CPUs c and c + 8; a 2 MiB pool of
 * `free_pages` pages; the CPU vendor as /proc/cpuinfo says */
static void placement_host(const FakeRoot *f, const char *vendor, const char *free_pages) {
        char path[96], sib[32], cpuinfo[64];

        for (unsigned cpu = 0; cpu < 16; cpu++) {
                snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", cpu);
                snprintf(sib, sizeof sib, "%u,%u\n", cpu % 8, cpu % 8 + 8);
                fake_file(f, path, sib);
        }
        snprintf(cpuinfo, sizeof cpuinfo, "processor\t: 0\nvendor_id\t: %s\n", vendor);
        fake_file(f, "/proc/cpuinfo", cpuinfo);
        fake_file(f, "/proc/meminfo", "Hugepagesize:       2048 kB\n");
        fake_file(f, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", free_pages);
        fake_file(f, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", free_pages);
        fake_file(f, "/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages", "0\n");
}

#define PLACED_PROFILE                                                                   \
        "[vm]\nname = placed\naccel = kvm\nfirmware = bios\nmemory = 2G\ncpus = 4\n"   \
        "[cpu]\npin = 2,10,3,11\nemulator-pin = 0\n"                                     \
        "[memory]\nhugepages = yes\n"                                                     \
        "[disk]\nfile = /var/lib/vmrun/placed.qcow2\n"                                    \
        "[network]\nmode = none\n"

static void test_pinned_guest_on_hugepages_gets_the_pinned_topology_a_preallocated_memfd_and_a_disk_iothread(
        void **state) {
        Host *h = *state;
        _cleanup_free_ char *printed = NULL;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_json_ json_t *ram = NULL, *io = NULL, *disk = NULL, *j = NULL;
        size_t size = 0;
        FILE *f;

        placement_host(&h->root, "GenuineIntel", "2048\n");
        plan = plan_for(h->root.dir, PLACED_PROFILE, &p);

        /* vCPUs 0,1 on CPUs 2,10 (one core), 2,3 on 3,11 */
        assert_string_equal(value_of(&plan->argv, "-smp"), "4,sockets=1,cores=2,threads=2");
        /* Intel needs no topoext */
        assert_string_equal(value_of(&plan->argv, "-cpu"), "host");
        assert_non_null(strstr(value_of(&plan->argv, "-machine"), ",memory-backend=ram"));
        assert_string_equal(value_of(&plan->argv, "-m"), "2048M");
        ram = json_arg(&plan->argv, "-object", "qom-type", "memory-backend-memfd");
        assert_string_equal(json_string_value(json_object_get(ram, "id")), "ram");
        assert_int_equal(json_integer_value(json_object_get(ram, "size")), 2LL << 30);
        assert_true(json_is_true(json_object_get(ram, "hugetlb")));
        assert_int_equal(json_integer_value(json_object_get(ram, "hugetlbsize")), 2 << 20);
        assert_true(json_is_true(json_object_get(ram, "prealloc")));
        io = json_arg(&plan->argv, "-object", "qom-type", "iothread");
        disk = json_arg(&plan->argv, "-device", "driver", "virtio-blk-pci");
        assert_string_equal(json_string_value(json_object_get(disk, "iothread")),
                            json_string_value(json_object_get(io, "id")));
        assert_false(strv_has_with(&plan->adjustments, "[cpu] pin", NULL));

        /* `vmrun plan` and `vmrun check` say how many pages it takes and has */
        f = open_memstream(&printed, &size);
        assert_non_null(f);
        plan_print(plan, f);
        assert_int_equal(fclose(f), 0);
        if (!strstr(printed, "topology: 1 socket, 2 cores of 2 threads, as the pinned CPUs are") ||
            !strstr(printed, "memory    2048 MiB on 1024 hugepages of 2 MiB, preallocated; 2048 free here (of 2048)\n"))
                fail_msg("%s", printed);
        assert_int_equal(plan_check_placement(plan), 0);

        assert_int_equal(plan_to_json(plan, &j), 0);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(j, "placement"), "topology"),
                                                            "threads")),
                         2);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(j, "placement"), "hugepages"),
                                                            "needed")),
                         1024);
}

static void test_on_an_amd_host_under_kvm_the_cpu_gets_topoext(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL, *tcg = NULL;
        _cleanup_plan_ Plan *plan = NULL, *tcg_plan = NULL;

        placement_host(&h->root, "AuthenticAMD", "2048\n");
        plan = plan_for(h->root.dir, PLACED_PROFILE, &p);
        assert_string_equal(value_of(&plan->argv, "-cpu"), "host,topoext=on");

        /* TCG's "max" has nothing of the host's to show */
        tcg_plan = plan_for(h->root.dir, "[vm]\naccel = tcg\nfirmware = bios\n[network]\nmode = none\n", &tcg);
        assert_string_equal(value_of(&tcg_plan->argv, "-cpu"), "max");
}

static void test_too_few_free_hugepages_fail_check_with_how_many_and_the_fix(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        placement_host(&h->root, "GenuineIntel", "100\n");
        plan = plan_for(h->root.dir, PLACED_PROFILE, &p);
        assert_int_equal(plan->hugepages.needed, 1024);
        assert_int_equal(plan->hugepages.available, 100);
        assert_int_equal(plan_check_placement(plan), -ENOMEM);
}

static void test_a_pinned_cpu_this_host_lacks_fails_check(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        placement_host(&h->root, "GenuineIntel", "2048\n");
        fake_unlink(&h->root, "/sys/devices/system/cpu/cpu11/topology/thread_siblings_list");
        plan = plan_for(h->root.dir, PLACED_PROFILE, &p);
        assert_int_equal(plan->cpu_missing, 11);
        assert_int_equal(plan_check_placement(plan), -ENOENT);
        /* QEMU's own default topology, since the host's cannot be read */
        assert_string_equal(value_of(&plan->argv, "-smp"), "4");
}

static void test_siblings_apart_in_the_pin_list_are_an_adjustment_with_the_order_that_gives_smt(void **state) {
        Host *h = *state;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        placement_host(&h->root, "GenuineIntel", "2048\n");
        plan = plan_for(h->root.dir,
                        "[vm]\naccel = tcg\nfirmware = bios\ncpus = 4\n[cpu]\npin = 2-3,10-11\n[network]\nmode = none\n",
                        &p);
        assert_string_equal(value_of(&plan->argv, "-smp"), "4,sockets=1,cores=4,threads=1");
        assert_true(strv_has_with(&plan->adjustments, "pin = 2,10,3,11 gives it 2 cores of 2 threads", NULL));
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_windows_under_kvm_gets_every_enlightenment_in_order),
                cmocka_unit_test(test_other_and_linux_guests_get_no_cpu_flags),
                cmocka_unit_test(test_a_flag_qemu_lacks_is_left_out_and_named),
                cmocka_unit_test(test_without_knowing_what_qemu_offers_every_flag_is_passed),
                cmocka_unit_test(test_under_tcg_hv_vpindex_is_left_out_and_said_why),
                cmocka_unit_test(test_under_kvm_without_hyperv_emulation_no_enlightenment_is_passed),
                cmocka_unit_test(test_under_kvm_an_enlightenment_the_kernel_lacks_takes_those_built_on_it),
                cmocka_unit_test(test_under_kvm_with_full_hyperv_emulation_every_enlightenment_is_passed),

                cmocka_unit_test_setup_teardown(test_a_display_gpu_gets_the_hosts_subsystem_ids_by_default, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_a_device_that_is_no_display_keeps_its_own_by_default, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_the_profiles_subsystem_wins_and_none_passes_nothing, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_the_profiles_subsystem_needs_no_gpu_on_this_host, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_a_gpu_not_on_this_host_is_a_note_naming_the_key, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_a_gpu_without_subsystem_ids_passes_none_and_says_so, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_without_a_gpu_there_are_no_subsystem_ids, host_setup,
                                                host_teardown),

                cmocka_unit_test_setup_teardown(test_the_plan_carries_all_three_into_the_argv, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(
                        test_pinned_guest_on_hugepages_gets_the_pinned_topology_a_preallocated_memfd_and_a_disk_iothread,
                        host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_on_an_amd_host_under_kvm_the_cpu_gets_topoext, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_too_few_free_hugepages_fail_check_with_how_many_and_the_fix,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_a_pinned_cpu_this_host_lacks_fails_check, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(
                        test_siblings_apart_in_the_pin_list_are_an_adjustment_with_the_order_that_gives_smt,
                        host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_a_missing_battery_table_is_a_note, host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_a_colon_in_the_data_dir_fails_the_plan, host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_no_battery_no_flags_and_no_ids_unless_asked, host_setup,
                                                host_teardown),

                cmocka_unit_test_setup_teardown(
                        test_evdev_devices_reach_qemu_as_grabbing_input_linux_objects_and_their_nodes_are_granted,
                        host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_grab_toggle_reaches_every_input_linux_object_and_the_plan_names_its_keys,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_usb_ids_reach_qemu_as_usb_host_on_xhci_and_their_nodes_are_granted,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_a_missing_evdev_or_usb_device_is_a_note_and_given_to_nobody,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_a_usb_disk_or_network_adapter_is_refused_unless_its_class_is_allowed,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_a_bridge_that_is_missing_or_no_bridge_is_a_note_and_a_real_one_is_taken,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_an_evdev_name_that_leads_to_no_event_device_is_refused_naming_both,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_two_usb_devices_with_the_same_ids_are_both_given_to_qemus_user,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_qemu_run_as_root_is_given_no_device_nodes, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_the_plan_shows_the_backlight_mode_of_the_gpu, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(
                        test_a_gpu_holds_off_sleep_idle_the_lid_and_the_keys_and_its_power_button_is_vmruns,
                        host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_lid_and_power_button_host_leave_them_to_logind, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_without_a_power_button_here_the_power_key_stays_loginds,
                                                host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(test_a_plain_vm_holds_nothing_of_the_hosts_power, host_setup,
                                                host_teardown),

                cmocka_unit_test_setup_teardown(
                        test_uefi_secure_keeps_a_variable_store_of_its_own_copied_from_the_template_with_the_keys,
                        host_setup, host_teardown),
                cmocka_unit_test_setup_teardown(
                        test_a_tpm_is_swtpm_as_qemus_user_with_its_tpm_directory_given_to_that_user, host_setup,
                        host_teardown),
                cmocka_unit_test_setup_teardown(test_links_in_the_tpm_directory_are_named_and_not_followed, host_setup,
                                                host_teardown),
                cmocka_unit_test_setup_teardown(test_a_tpm_under_a_state_directory_with_a_comma_fails_the_plan,
                                                host_setup, host_teardown),

                cmocka_unit_test(test_the_built_battery_table_is_an_ssdt_with_a_pnp0c0a_device),
        };
        ssize_t n;

        if (argc > 1 && streq(argv[1], "-nodefaults"))
                return fake_qemu();

        n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0)
                return 1;
        self[n] = '\0';
        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
