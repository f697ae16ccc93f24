/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-root.h"

#include <sys/sysmacros.h>

#include "host/holders.h"
#include "basic/log.h"
#include "basic/strv.h"

/* ---- fixture: an RTX 4060 laptop's /sys, /dev and /proc ----
 *
 * 0000:01:00.0  the NVIDIA GPU: card0, renderD128
 * 0000:01:00.1  its HDMI audio: sound card1 (controlC1, hwC1D0, pcmC1D3p)
 * 0000:00:02.0  an Intel iGPU: card1 (renderD129 has no node in /dev)
 * 0000:00:1f.3  the laptop's own audio: sound card0 (controlC0)
 * 0000:02:00.0  the NVMe disk: no nodes of this kind
 *
 * Each node is a symlink to a distinct real character device, so holders
 * are told apart by st_rdev as on a real host. */

#define GPU "0000:01:00.0"
#define GPU_AUDIO "0000:01:00.1"
#define IGPU "0000:00:02.0"
#define LAPTOP_AUDIO "0000:00:1f.3"
#define NVME "0000:02:00.0"

static void pci_device(const FakeRoot *f, const char *address, const char *vendor) {
        char path[128];

        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/vendor", address);
        fake_file(f, path, vendor);
}

/* /sys/class/CLASS/NAME/device -> the PCI device, as the kernel links it */
static void class_device(const FakeRoot *f, const char *class, const char *name, const char *address) {
        char path[128], target[128];

        snprintf(path, sizeof path, "/sys/class/%s/%s/device", class, name);
        snprintf(target, sizeof target, "../../../bus/pci/devices/%s", address);
        fake_link(f, path, target);
}

/* a sound node hangs off its card: NODE/device -> ../cardN */
static void sound_node(const FakeRoot *f, const char *name, const char *card) {
        char path[128], target[64];

        snprintf(path, sizeof path, "/sys/class/sound/%s/device", name);
        snprintf(target, sizeof target, "../%s", card);
        fake_link(f, path, target);
}

static void laptop(FakeRoot *f) {
        fake_root_new(f, "holders");

        pci_device(f, GPU, "0x10de\n");
        pci_device(f, GPU_AUDIO, "0x10de\n");
        pci_device(f, IGPU, "0x8086\n");
        pci_device(f, LAPTOP_AUDIO, "0x8086\n");
        pci_device(f, NVME, "0x144d\n");

        class_device(f, "drm", "card0", GPU);
        class_device(f, "drm", "renderD128", GPU);
        class_device(f, "drm", "card1", IGPU);
        class_device(f, "drm", "renderD129", IGPU);
        fake_dir(f, "/sys/class/drm/card0-eDP-1");      /* a connector: no device link */
        fake_file(f, "/sys/class/drm/version", "drm 1.1.0 20060810\n");

        class_device(f, "sound", "card1", GPU_AUDIO);
        sound_node(f, "controlC1", "card1");
        sound_node(f, "hwC1D0", "card1");
        sound_node(f, "pcmC1D3p", "card1");
        class_device(f, "sound", "card0", LAPTOP_AUDIO);
        sound_node(f, "controlC0", "card0");
        fake_dir(f, "/sys/class/sound/timer");          /* global: no device */

        fake_link(f, "/dev/dri/card0", "/dev/null");
        fake_link(f, "/dev/dri/renderD128", "/dev/zero");
        fake_link(f, "/dev/dri/card1", "/dev/full");
        fake_link(f, "/dev/snd/controlC1", "/dev/random");
        fake_link(f, "/dev/snd/hwC1D0", "/dev/random");
        fake_link(f, "/dev/snd/pcmC1D3p", "/dev/random");
        fake_link(f, "/dev/snd/controlC0", "/dev/urandom");
        fake_link(f, "/dev/snd/timer", "/dev/urandom");
        fake_link(f, "/dev/nvidiactl", "/dev/urandom");
        fake_link(f, "/dev/nvidia0", "/dev/urandom");
        fake_link(f, "/dev/nvidia-modeset", "/dev/urandom");
        fake_link(f, "/dev/nvidia-caps/nvidia-cap1", "/dev/urandom");
        fake_file(f, "/dev/nvidia-not-a-node", "");     /* a regular file is no node */

        fake_dir(f, "/proc");
        fake_link(f, "/proc/self", "1");
        fake_file(f, "/proc/cpuinfo", "");
}

static int setup(void **state) {
        FakeRoot *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        laptop(f);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        FakeRoot *f = *state;

        fake_root_remove(f);
        free(f);
        return 0;
}

/* A process: comm, cgroup and open files (fd number -> target). */
static void process(const FakeRoot *f, int pid, const char *comm, const char *cgroup) {
        char path[128], line[128];

        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        snprintf(line, sizeof line, "%s\n", comm);
        fake_file(f, path, line);
        snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
        fake_file(f, path, cgroup);
        snprintf(path, sizeof path, "/proc/%d/fd", pid);
        fake_dir(f, path);
        snprintf(path, sizeof path, "/proc/%d/maps", pid);
        fake_file(f, path, "55d0c0a00000-55d0c0a21000 r--p 00000000 fd:01 1234 /usr/bin/true\n");
}

static void open_fd(const FakeRoot *f, int pid, int fd, const char *target) {
        char path[128];

        snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
        fake_link(f, path, target);
}

static void maps(const FakeRoot *f, int pid, const char *content) {
        char path[128];

        snprintf(path, sizeof path, "/proc/%d/maps", pid);
        fake_file(f, path, content);
}

static bool strv_equal(char **a, const char *const *b) {
        size_t i;

        for (i = 0; a[i] && b[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return !a[i] && !b[i];
}

static void assert_nodes(const FakeRoot *f, const char *address, const char *const *expected) {
        _cleanup_strv_free_ char **nodes = NULL;

        assert_int_equal(device_nodes(f->dir, address, &nodes), 0);
        assert_non_null(nodes);
        if (!strv_equal(nodes, expected)) {
                for (size_t i = 0; nodes[i]; i++)
                        print_message("got: %s\n", nodes[i]);
                fail_msg("device nodes of %s are not as expected", address);
        }
}

/* ---- device_nodes() ---- */

static void test_drm_nodes_are_those_whose_device_link_names_the_pci_device(void **state) {
        /* renderD129 is in sysfs but has no node in /dev: nothing to hold */
        assert_nodes(*state, IGPU, (const char *const[]) { "/dev/dri/card1", NULL });
}

static void test_an_nvidia_gpu_also_has_every_dev_nvidia_node(void **state) {
        assert_nodes(*state, GPU,
                     (const char *const[]) { "/dev/dri/card0", "/dev/dri/renderD128", "/dev/nvidia-caps/nvidia-cap1",
                                             "/dev/nvidia-modeset", "/dev/nvidia0", "/dev/nvidiactl", NULL });
}

/* The nodes are the driver's: a GPU of another vendor bound to nvidia (the
 * lab's stand-in on an emulated GPU) has them too. */
static void test_a_gpu_bound_to_nvidia_has_every_dev_nvidia_node_whatever_its_vendor(void **state) {
        fake_link(*state, "/sys/bus/pci/devices/" IGPU "/driver", "../../../bus/pci/drivers/nvidia");
        assert_nodes(*state, IGPU,
                     (const char *const[]) { "/dev/dri/card1", "/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia-modeset",
                                             "/dev/nvidia0", "/dev/nvidiactl", NULL });
}

static void test_sound_nodes_are_found_through_their_card(void **state) {
        /* card0 itself has no node; the timer belongs to no card */
        assert_nodes(*state, LAPTOP_AUDIO, (const char *const[]) { "/dev/snd/controlC0", NULL });
}

static void test_the_gpus_audio_function_has_its_sound_nodes_and_the_nvidia_nodes(void **state) {
        assert_nodes(*state, GPU_AUDIO,
                     (const char *const[]) { "/dev/snd/controlC1", "/dev/snd/hwC1D0", "/dev/snd/pcmC1D3p",
                                             "/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia-modeset", "/dev/nvidia0",
                                             "/dev/nvidiactl", NULL });
}

static void test_a_device_without_such_nodes_has_an_empty_list(void **state) {
        assert_nodes(*state, NVME, (const char *const[]) { NULL });
}

static void test_a_device_that_does_not_exist_has_an_empty_list(void **state) {
        assert_nodes(*state, "0000:0a:00.0", (const char *const[]) { NULL });
}

static void test_a_tree_without_drm_or_sound_classes_has_no_nodes(void **state) {
        FakeRoot empty;

        fake_root_new(&empty, "holders-empty");
        assert_nodes(&empty, GPU, (const char *const[]) { NULL });
        fake_root_remove(&empty);
}

static void test_an_address_with_a_slash_is_refused(void **state) {
        char **nodes = NULL;

        assert_int_equal(device_nodes(((FakeRoot *) *state)->dir, "../../0000:01:00.0", &nodes), -EINVAL);
        assert_null(nodes);
}

/* ---- holders_find() ---- */

static char *const gpu_nodes[] = { (char *) "/dev/dri/card0", (char *) "/dev/dri/renderD128", NULL };

static void test_a_process_with_a_node_open_is_a_holder_named_with_its_unit(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 1234, "gnome-shell", "0::/system.slice/gdm.service\n");
        open_fd(f, 1234, 0, "/dev/null");       /* stdin: /dev/null is card0 here */
        open_fd(f, 1234, 3, "socket:[4321]");
        open_fd(f, 1234, 4, "/etc/hostname");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_int_equal(h.holders[0].pid, 1234);
        assert_string_equal(h.holders[0].comm, "gnome-shell");
        assert_string_equal(h.holders[0].unit, "gdm.service");
        assert_string_equal(h.holders[0].node, "/dev/dri/card0");
        assert_false(h.holders[0].mapped);
}

/* as systemd reads it: the first component that is no slice, which PID 1
 * made; what a user makes below its delegated unit is never the unit */
static void test_the_unit_is_the_first_of_the_cgroup_path_that_is_no_slice(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 200, "firefox",
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-1234.scope\n");
        open_fd(f, 200, 7, "/dev/zero");
        process(f, 300, "Xwayland", "0::/user.slice/user-1000.slice/session-3.scope\n");
        open_fd(f, 300, 12, "/dev/zero");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 2);
        assert_int_equal(h.holders[0].pid, 200);
        assert_string_equal(h.holders[0].unit, "user@1000.service");
        assert_string_equal(h.holders[0].user_unit, "app-firefox-1234.scope");
        assert_string_equal(h.holders[0].node, "/dev/dri/renderD128");
        assert_int_equal(h.holders[1].pid, 300);
        assert_string_equal(h.holders[1].unit, "session-3.scope");
}

static void test_a_process_in_no_unit_has_a_null_unit(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 42, "a.out", "0::/\n");
        open_fd(f, 42, 5, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_null(h.holders[0].unit);
}

static void test_on_cgroup_v1_the_unit_comes_from_systemds_hierarchy(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 77, "nvidia-persiste", "12:cpu,cpuacct:/\n1:name=systemd:/system.slice/nvidia-persistenced.service\n");
        open_fd(f, 77, 3, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_string_equal(h.holders[0].unit, "nvidia-persistenced.service");
}

static void test_a_mapping_of_a_node_is_found_by_device_and_inode(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };
        char line[256];
        struct stat st;

        /* maps shows where the node file lives (devtmpfs) and its inode,
         * and a name that may not match: another mount namespace */
        assert_int_equal(stat("/dev/zero", &st), 0);
        snprintf(line, sizeof line, "7f3a00000000-7f3a00100000 rw-s 00000000 %02x:%02x %llu /run/ns/whatever\n",
                 major(st.st_dev), minor(st.st_dev), (unsigned long long) st.st_ino);
        process(f, 555, "vkcube", "0::/user.slice/user-1000.slice/session-3.scope\n");
        maps(f, 555, line);

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_int_equal(h.holders[0].pid, 555);
        assert_string_equal(h.holders[0].node, "/dev/dri/renderD128");
        assert_true(h.holders[0].mapped);
}

/* An inode number is only unique on its own filesystem: a library on / may
 * have the number devtmpfs gave card0. Taking it for the node would refuse
 * the handover for a process that no stop-units = can help. */
static void test_a_mapped_file_with_the_nodes_inode_number_on_another_device_is_no_holder(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };
        char line[256];
        struct stat st;

        /* card0 is /dev/null here: its inode, one device number off */
        assert_int_equal(stat("/dev/null", &st), 0);
        snprintf(line, sizeof line, "7f3a00000000-7f3a00021000 r--p 00000000 %02x:%02x %llu /usr/lib/libfoo.so.1\n",
                 major(st.st_dev), minor(st.st_dev) + 1, (unsigned long long) st.st_ino);
        process(f, 557, "foo", "0::/user.slice/user-1000.slice/session-3.scope\n");
        maps(f, 557, line);

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 0);
}

static void test_a_mapping_of_a_node_is_also_found_by_its_path(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 556, "glxgears", "0::/user.slice/user-1000.slice/session-3.scope\n");
        maps(f, 556, "55d0c0a00000-55d0c0a21000 r--p 00000000 fd:01 1234 /usr/bin/glxgears\n"
                     "7f3a00000000-7f3a00100000 rw-s 00000000 00:00 0 /dev/dri/card0\n");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_string_equal(h.holders[0].node, "/dev/dri/card0");
        assert_true(h.holders[0].mapped);
}

static void test_a_process_is_listed_once_per_node_however_often_it_holds_it(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 900, "gnome-shell", "0::/system.slice/gdm.service\n");
        open_fd(f, 900, 10, "/dev/null");
        open_fd(f, 900, 11, "/dev/null");
        open_fd(f, 900, 12, "/dev/zero");
        maps(f, 900, "7f3a00000000-7f3a00100000 rw-s 00000000 00:00 0 /dev/dri/card0\n");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 2);
        assert_string_equal(h.holders[0].node, "/dev/dri/card0");
        assert_false(h.holders[0].mapped);      /* the open fd was seen first */
        assert_string_equal(h.holders[1].node, "/dev/dri/renderD128");
}

static void test_holders_of_other_devices_are_not_listed(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 600, "Xorg", "0::/system.slice/other.service\n");
        open_fd(f, 600, 3, "/dev/full");        /* the iGPU's card1 */
        open_fd(f, 600, 4, "/dev/tty");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 0);
}

static void test_a_process_that_vanished_during_the_scan_is_skipped(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        /* fds still listed, comm already gone: it exited in between */
        fake_link(f, "/proc/700/fd/3", "/dev/null");
        /* and one that is gone altogether but for its directory */
        fake_dir(f, "/proc/701");
        process(f, 702, "still-here", "0::/system.slice/x.service\n");
        open_fd(f, 702, 3, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_int_equal(h.holders[0].pid, 702);
}

static void test_nodes_that_do_not_exist_are_held_by_no_one(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };
        char *const nodes[] = { (char *) "/dev/dri/card7", NULL };

        process(f, 1, "init", "0::/init.scope\n");
        open_fd(f, 1, 0, "/dev/null");

        assert_int_equal(holders_find(f->dir, nodes, &h), 0);
        assert_int_equal(h.n, 0);
}

static void test_the_nodes_device_nodes_returns_are_what_holders_find_matches(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };
        _cleanup_strv_free_ char **nodes = NULL;

        process(f, 4242, "nvidia-smi", "0::/user.slice/user-0.slice/session-1.scope\n");
        open_fd(f, 4242, 3, "/dev/urandom");    /* nvidiactl here */

        assert_int_equal(device_nodes(f->dir, GPU, &nodes), 0);
        assert_int_equal(holders_find(f->dir, nodes, &h), 0);
        /* one device, four names: each node it matches is reported */
        assert_int_equal(h.n, 4);
        for (size_t i = 0; i < h.n; i++) {
                assert_int_equal(h.holders[i].pid, 4242);
                assert_non_null(startswith(h.holders[i].node, "/dev/nvidia"));
        }
}

/* ---- held_nodes_stat(), then holders_of_held_nodes() ---- */

/* An unbind of the GPU's audio removes its card's nodes from /dev and then
 * waits for every file still open on them: only the numbers taken before
 * say who it waits for. */
static void test_the_numbers_taken_before_the_nodes_go_still_find_who_keeps_them_open(void **state) {
        FakeRoot *f = *state;
        char *const audio[] = { (char *) "/dev/snd/controlC1", NULL };
        _cleanup_(held_nodes_done) HeldNodes before = { 0 };
        _cleanup_(holders_done) Holders h = { 0 }, by_name = { 0 };
        _cleanup_free_ char *control = fake_path(f, "/dev/snd/controlC1");

        process(f, 1245, "wireplumber", "0::/user.slice/user-1001.slice/user@1001.service/session.slice/wireplumber.service\n");
        open_fd(f, 1245, 30, "/dev/random");
        assert_int_equal(held_nodes_stat(f->dir, audio, &before), 0);
        assert_int_equal(unlink(control), 0);

        assert_int_equal(holders_of_held_nodes(f->dir, &before, &h), 0);
        assert_int_equal(h.n, 1);
        assert_int_equal(h.holders[0].pid, 1245);
        assert_string_equal(h.holders[0].user_unit, "wireplumber.service");
        assert_string_equal(h.holders[0].node, "/dev/snd/controlC1");
        /* by name, after: no node, no holder */
        assert_int_equal(holders_find(f->dir, audio, &by_name), 0);
        assert_int_equal(by_name.n, 0);
}

/* ---- what the cgroup says: the unit, and a user manager's unit ---- */

static void test_a_process_of_a_user_manager_has_that_managers_uid_and_its_unit_there(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 1650, "pipewire",
                "0::/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service\n");
        open_fd(f, 1650, 30, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_string_equal(h.holders[0].unit, "user@1000.service");
        assert_int_equal(h.holders[0].manager_uid, 1000);
        assert_string_equal(h.holders[0].user_unit, "pipewire.service");
}

static void test_the_user_unit_is_the_first_below_the_manager_that_is_no_slice(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 1700, "firefox",
                "0::/user.slice/user-1001.slice/user@1001.service/app.slice/app-firefox-1234.scope\n");
        open_fd(f, 1700, 7, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_int_equal(h.holders[0].manager_uid, 1001);
        assert_string_equal(h.holders[0].user_unit, "app-firefox-1234.scope");
}

static void test_a_process_of_a_login_session_has_no_user_manager(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 812, "weston", "0::/user.slice/user-1000.slice/session-2.scope\n");
        open_fd(f, 812, 12, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_string_equal(h.holders[0].unit, "session-2.scope");
        assert_int_equal(h.holders[0].manager_uid, UID_INVALID);
        assert_null(h.holders[0].user_unit);
}

static void test_a_name_that_only_begins_like_a_user_manager_is_none(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };
        static const char *const units[] = { NULL, "user@.service", "user@1000x.service" };

        process(f, 1800, "imposter", "0::/system.slice/user@1000.serviceX/foo.service\n");
        open_fd(f, 1800, 3, "/dev/null");
        process(f, 1801, "imposter2", "0::/system.slice/user@.service/foo.service\n");
        open_fd(f, 1801, 3, "/dev/null");
        process(f, 1802, "imposter3", "0::/system.slice/user@1000x.service/foo.service\n");
        open_fd(f, 1802, 3, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 3);
        for (size_t i = 0; i < h.n; i++) {
                if (units[i])
                        assert_string_equal(h.holders[i].unit, units[i]);
                else
                        assert_null(h.holders[i].unit);
                assert_int_equal(h.holders[i].manager_uid, UID_INVALID);
                assert_null(h.holders[i].user_unit);
        }
}

/* issue 24: a user names its cgroups as it likes below its manager's
 * unit: "gdm.service" there is a unit of the user's, not the display
 * manager; a "user@0.service" there is no manager of root's */
static void test_a_users_cgroup_named_after_a_system_unit_is_the_users(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 2100, "Xorg", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/gdm.service\n");
        open_fd(f, 2100, 3, "/dev/null");
        process(f, 2101, "x", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/user@0.service/a.scope\n");
        open_fd(f, 2101, 3, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 2);
        assert_string_equal(h.holders[0].unit, "user@1000.service");
        assert_int_equal(h.holders[0].manager_uid, 1000);
        assert_string_equal(h.holders[0].user_unit, "gdm.service");
        assert_string_equal(h.holders[1].unit, "user@1000.service");
        assert_int_equal(h.holders[1].manager_uid, 1000);
        assert_string_equal(h.holders[1].user_unit, "user@0.service");
}

/* systemd --user: its init.scope is no unit it could stop */
static void test_the_user_manager_itself_is_in_no_user_unit(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 1600, "systemd", "0::/user.slice/user-1000.slice/user@1000.service/init.scope\n");
        open_fd(f, 1600, 40, "/dev/null");

        /* on cgroup v1, the manager is in user@1000.service itself */
        process(f, 1601, "systemd", "1:name=systemd:/user.slice/user-1000.slice/user@1000.service\n");
        open_fd(f, 1601, 40, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 2);
        assert_string_equal(h.holders[0].unit, "user@1000.service");
        assert_int_equal(h.holders[0].manager_uid, 1000);
        assert_null(h.holders[0].user_unit);
        assert_string_equal(h.holders[1].unit, "user@1000.service");
        assert_int_equal(h.holders[1].manager_uid, 1000);
        assert_null(h.holders[1].user_unit);
}

static void test_on_cgroup_v1_a_user_managers_unit_comes_from_systemds_hierarchy(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 1900, "pipewire", "12:cpu,cpuacct:/\n"
                "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/pipewire.service\n");
        open_fd(f, 1900, 3, "/dev/null");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 1);
        assert_int_equal(h.holders[0].manager_uid, 1000);
        assert_string_equal(h.holders[0].user_unit, "pipewire.service");
}

/* ---- the device number, and forgetting a process ---- */

static void test_a_holder_carries_the_device_number_of_the_node_it_holds(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };
        struct stat card0, render;

        assert_int_equal(stat("/dev/null", &card0), 0);
        assert_int_equal(stat("/dev/zero", &render), 0);
        process(f, 2000, "weston", "0::/user.slice/user-1000.slice/session-1.scope\n");
        open_fd(f, 2000, 12, "/dev/null");
        /* a mapping found by path has the node's number too */
        maps(f, 2000, "7f3a00000000-7f3a00100000 rw-s 00000000 00:00 0 /dev/dri/renderD128\n");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 2);
        assert_string_equal(h.holders[0].node, "/dev/dri/card0");
        assert_true(h.holders[0].rdev == card0.st_rdev);
        assert_string_equal(h.holders[1].node, "/dev/dri/renderD128");
        assert_true(h.holders[1].mapped);
        assert_true(h.holders[1].rdev == render.st_rdev);
}

static void test_dropping_a_pid_forgets_every_node_it_holds_and_nothing_else(void **state) {
        FakeRoot *f = *state;
        _cleanup_(holders_done) Holders h = { 0 };

        process(f, 10, "first", "0::/system.slice/a.service\n");
        open_fd(f, 10, 3, "/dev/null");
        process(f, 20, "vmrun", "0::/system.slice/vmrun-w.service\n");
        open_fd(f, 20, 3, "/dev/null");
        open_fd(f, 20, 4, "/dev/zero");
        process(f, 30, "last", "0::/system.slice/c.service\n");
        open_fd(f, 30, 3, "/dev/zero");

        assert_int_equal(holders_find(f->dir, gpu_nodes, &h), 0);
        assert_int_equal(h.n, 4);
        holders_drop_pid(&h, 20);
        assert_int_equal(h.n, 2);
        assert_int_equal(h.holders[0].pid, 10);
        assert_string_equal(h.holders[0].comm, "first");
        assert_int_equal(h.holders[1].pid, 30);
        assert_string_equal(h.holders[1].comm, "last");
        assert_string_equal(h.holders[1].node, "/dev/dri/renderD128");

        /* a PID that holds nothing: nothing changes */
        holders_drop_pid(&h, 4711);
        assert_int_equal(h.n, 2);
        holders_drop_pid(&h, 10);
        holders_drop_pid(&h, 30);
        assert_int_equal(h.n, 0);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_drm_nodes_are_those_whose_device_link_names_the_pci_device),
                TEST(test_an_nvidia_gpu_also_has_every_dev_nvidia_node),
                TEST(test_a_gpu_bound_to_nvidia_has_every_dev_nvidia_node_whatever_its_vendor),
                TEST(test_sound_nodes_are_found_through_their_card),
                TEST(test_the_gpus_audio_function_has_its_sound_nodes_and_the_nvidia_nodes),
                TEST(test_a_device_without_such_nodes_has_an_empty_list),
                TEST(test_a_device_that_does_not_exist_has_an_empty_list),
                TEST(test_a_tree_without_drm_or_sound_classes_has_no_nodes),
                TEST(test_an_address_with_a_slash_is_refused),

                TEST(test_a_process_with_a_node_open_is_a_holder_named_with_its_unit),
                TEST(test_the_unit_is_the_first_of_the_cgroup_path_that_is_no_slice),
                TEST(test_a_process_in_no_unit_has_a_null_unit),
                TEST(test_on_cgroup_v1_the_unit_comes_from_systemds_hierarchy),
                TEST(test_a_mapping_of_a_node_is_found_by_device_and_inode),
                TEST(test_a_mapped_file_with_the_nodes_inode_number_on_another_device_is_no_holder),
                TEST(test_a_mapping_of_a_node_is_also_found_by_its_path),
                TEST(test_a_process_is_listed_once_per_node_however_often_it_holds_it),
                TEST(test_holders_of_other_devices_are_not_listed),
                TEST(test_a_process_that_vanished_during_the_scan_is_skipped),
                TEST(test_nodes_that_do_not_exist_are_held_by_no_one),
                TEST(test_the_nodes_device_nodes_returns_are_what_holders_find_matches),

                TEST(test_the_numbers_taken_before_the_nodes_go_still_find_who_keeps_them_open),

                TEST(test_a_process_of_a_user_manager_has_that_managers_uid_and_its_unit_there),
                TEST(test_the_user_unit_is_the_first_below_the_manager_that_is_no_slice),
                TEST(test_a_process_of_a_login_session_has_no_user_manager),
                TEST(test_a_name_that_only_begins_like_a_user_manager_is_none),
                TEST(test_a_users_cgroup_named_after_a_system_unit_is_the_users),
                TEST(test_the_user_manager_itself_is_in_no_user_unit),
                TEST(test_on_cgroup_v1_a_user_managers_unit_comes_from_systemds_hierarchy),
                TEST(test_a_holder_carries_the_device_number_of_the_node_it_holds),
                TEST(test_dropping_a_pid_forgets_every_node_it_holds_and_nothing_else),
        };

        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
