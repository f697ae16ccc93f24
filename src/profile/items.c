/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>
#include <stdio.h>

#include "profile/items.h"
#include "profile/names.h"

const SectionInfo sections[_SECTION_MAX] = {
        [SECTION_VM] = { "vm", false },
        [SECTION_GPU] = { "gpu", false },
        [SECTION_DISK] = { "disk", true },
        [SECTION_BOOT] = { "boot", false },
        [SECTION_DISPLAY] = { "display", false },
        [SECTION_INPUT] = { "input", false },
        [SECTION_USB] = { "usb", false },
        [SECTION_CPU] = { "cpu", false },
        [SECTION_MEMORY] = { "memory", false },
        [SECTION_NETWORK] = { "network", false },
        [SECTION_HOST] = { "host", false },
        [SECTION_QEMU] = { "qemu", false },
};

/* "[vm], [gpu], [disk] or [disk NAME], ...", for the messages: from the
 * table, so that no list of sections can miss one. */
const char *sections_to_string(char buf[static 256]) {
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < _SECTION_MAX; i++)
                n += (size_t) snprintf(buf + n, n < 256 ? 256 - n : 0, "%s[%s]%s%s%s", i > 0 ? ", " : "",
                                       sections[i].name, sections[i].repeatable ? " or [" : "",
                                       sections[i].repeatable ? sections[i].name : "",
                                       sections[i].repeatable ? " NAME]" : "");
        assert(n < 256);
        return buf;
}

static const Range range_cpus = { 1, 1024 };
static const Range range_timeout = { 1, 3600 };
static const Range range_release = { 1, 600 };

#define P(f) offsetof(Profile, f)
#define D(f) offsetof(ProfileDisk, f)

const ConfigItem config_items[] = {
        { SECTION_VM, "name", config_parse_name, P(name), NULL, "letters, digits, '_', '.', '-' (up to 64)" },
        { SECTION_VM, "memory", config_parse_size, P(memory), NULL, "a size with K, M, G or T suffix, whole MiB from 64M to 16T (e.g. 16G)" },
        { SECTION_VM, "cpus", config_parse_unsigned, P(cpus), &range_cpus, "1 to 1024" },
        { SECTION_VM, "accel", config_parse_enum, P(accel), accel_table, "kvm, tcg" },
        { SECTION_VM, "firmware", config_parse_enum, P(firmware), firmware_table, "uefi, uefi-secure, bios" },
        { SECTION_VM, "os", config_parse_enum, P(os), guest_os_table, "windows, linux, other" },
        { SECTION_VM, "tpm", config_parse_bool, P(tpm), NULL, "yes, no" },
        { SECTION_GPU, "address", config_parse_pci_address, P(gpu_address), NULL, "a PCI address such as 0000:01:00.0" },
        { SECTION_GPU, "functions", config_parse_pci_list, P(gpu_functions), NULL, "up to 7 PCI addresses separated by commas, or none" },
        { SECTION_GPU, "rom", config_parse_path, P(gpu_rom), NULL, "an absolute path to the vBIOS image" },
        { SECTION_GPU, "rom-acpi", config_parse_enum, P(gpu_rom_acpi), gpu_rom_acpi_table, "auto, yes, no" },
        { SECTION_GPU, "fake-battery", config_parse_bool, P(gpu_fake_battery), NULL, "yes, no" },
        { SECTION_GPU, "subsystem", config_parse_subsystem, 0, NULL,
          "host, none, or VENDOR:DEVICE as four hex digits each, e.g. 17aa:3c3e (lspci -nnv: Subsystem)" },
        { SECTION_GPU, "backlight", config_parse_enum, P(gpu_backlight), gpu_backlight_table, "keep, max" },
        { SECTION_DISK, "file", config_parse_path, D(file), NULL, "an absolute path" },
        { SECTION_DISK, "format", config_parse_choice, D(format), disk_format_table, "qcow2, raw" },
        { SECTION_DISK, "interface", config_parse_enum, D(interface), disk_interface_table, "virtio, nvme, sata" },
        { SECTION_DISK, "read-only", config_parse_bool, D(read_only), NULL, "yes, no" },
        { SECTION_BOOT, "kernel", config_parse_path, P(kernel), NULL, "an absolute path" },
        { SECTION_BOOT, "initrd", config_parse_path, P(initrd), NULL, "an absolute path" },
        { SECTION_BOOT, "append", config_parse_text, P(append), NULL, "a kernel command line" },
        { SECTION_DISPLAY, "spice", config_parse_spice, 0, NULL, "ADDRESS:PORT, e.g. 127.0.0.1:5900" },
        { SECTION_INPUT, "evdev", config_parse_evdev_list, P(input_evdev), NULL,
          "paths under /dev/input/ separated by commas, e.g. /dev/input/by-id/usb-Logitech_USB_Receiver-event-kbd" },
        { SECTION_INPUT, "grab-toggle", config_parse_enum, P(grab_toggle), grab_toggle_table,
          "ctrl-ctrl, alt-alt, shift-shift, meta-meta, scrolllock, ctrl-scrolllock" },
        { SECTION_USB, "devices", config_parse_usb_list, 0, NULL,
          "VENDOR:PRODUCT as four hex digits each, separated by commas, e.g. 046d:c52b (lsusb)" },
        { SECTION_CPU, "pin", config_parse_cpu_list, P(cpu_pin), NULL,
          "host CPUs, one per vCPU in order, as ranges and numbers: 2-7,10-15" },
        { SECTION_CPU, "emulator-pin", config_parse_cpu_list, P(emulator_pin), NULL,
          "host CPUs for QEMU's other threads, e.g. 0-1" },
        { SECTION_MEMORY, "hugepages", config_parse_hugepages, 0, NULL,
          "yes (the host's default size), 2M, 1G, no" },
        { SECTION_NETWORK, "mode", config_parse_enum, P(network), network_mode_table, "user, none, bridge" },
        { SECTION_NETWORK, "bridge", config_parse_ifname, P(bridge), NULL, "a bridge interface name such as br0" },
        { SECTION_HOST, "display-manager", config_parse_display_manager, P(display_manager), NULL, "auto, none, or a unit name such as gdm.service" },
        { SECTION_HOST, "stop-units", config_parse_units, P(stop_units), NULL, "unit names separated by spaces, e.g. nvidia-persistenced.service" },
        { SECTION_HOST, "end-sessions", config_parse_enum, P(end_sessions), end_sessions_table, "seat, none" },
        { SECTION_HOST, "timeout-release", config_parse_unsigned, P(timeout_release), &range_release, "seconds, 1 to 600" },
        { SECTION_HOST, "power-button", config_parse_enum, P(power_button), power_button_table, "guest, host" },
        { SECTION_HOST, "lid", config_parse_enum, P(lid), lid_table, "keep-running, host" },
        { SECTION_HOST, "allow-classes", config_parse_allow_classes, P(allow_classes), NULL, "storage, network (devices the host lives on; only if really meant)" },
        { SECTION_QEMU, "binary", config_parse_path, P(qemu_binary), NULL, "an absolute path" },
        { SECTION_QEMU, "user", config_parse_user, P(qemu_user), NULL, "a user name (default vmrun; root only to opt out of the sandbox)" },
        { SECTION_QEMU, "timeout-shutdown", config_parse_unsigned, P(timeout_shutdown), &range_timeout, "seconds, 1 to 3600" },
};

const size_t n_config_items = ELEMENTSOF(config_items);
