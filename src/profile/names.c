/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/util.h"
#include "profile/names.h"

/* NULL-terminated: config_parse_enum() walks them to the end */
const char *const accel_table[_ACCEL_MAX + 1] = {
        [ACCEL_KVM] = "kvm",
        [ACCEL_TCG] = "tcg",
};

const char *const disk_interface_table[_DISK_INTERFACE_MAX + 1] = {
        [DISK_VIRTIO] = "virtio",
        [DISK_NVME] = "nvme",
        [DISK_SATA] = "sata",
};

const char *const network_mode_table[_NETWORK_MODE_MAX + 1] = {
        [NETWORK_USER] = "user",
        [NETWORK_NONE] = "none",
        [NETWORK_BRIDGE] = "bridge",
};

const char *const firmware_table[_FIRMWARE_KIND_MAX + 1] = {
        [FIRMWARE_BIOS] = "bios",
        [FIRMWARE_UEFI] = "uefi",
        [FIRMWARE_UEFI_SECURE] = "uefi-secure",
};

const char *firmware_kind_to_string(FirmwareKind k) {
        return (unsigned) k < _FIRMWARE_KIND_MAX ? firmware_table[k] : NULL;
}

int firmware_kind_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (int k = 0; k < _FIRMWARE_KIND_MAX; k++)
                if (streq(s, firmware_table[k]))
                        return k;
        return -EINVAL;
}

const char *const guest_os_table[_GUEST_OS_MAX + 1] = {
        [GUEST_OS_OTHER] = "other",
        [GUEST_OS_WINDOWS] = "windows",
        [GUEST_OS_LINUX] = "linux",
};

const char *const end_sessions_table[_END_SESSIONS_MAX + 1] = {
        [END_SESSIONS_SEAT] = "seat",
        [END_SESSIONS_NONE] = "none",
};

const char *const gpu_backlight_table[_GPU_BACKLIGHT_MAX + 1] = {
        [GPU_BACKLIGHT_KEEP] = "keep",
        [GPU_BACKLIGHT_MAX] = "max",
};

const char *const power_button_table[_POWER_BUTTON_MAX + 1] = {
        [POWER_BUTTON_GUEST] = "guest",
        [POWER_BUTTON_HOST] = "host",
};

const char *const lid_table[_LID_MAX + 1] = {
        [LID_KEEP_RUNNING] = "keep-running",
        [LID_HOST] = "host",
};

const char *const gpu_rom_acpi_table[_GPU_ROM_ACPI_MAX + 1] = {
        [GPU_ROM_ACPI_AUTO] = "auto",
        [GPU_ROM_ACPI_YES] = "yes",
        [GPU_ROM_ACPI_NO] = "no",
};

const char *const grab_toggle_table[_GRAB_TOGGLE_MAX + 1] = {
        [GRAB_TOGGLE_CTRL_CTRL] = "ctrl-ctrl",
        [GRAB_TOGGLE_ALT_ALT] = "alt-alt",
        [GRAB_TOGGLE_SHIFT_SHIFT] = "shift-shift",
        [GRAB_TOGGLE_META_META] = "meta-meta",
        [GRAB_TOGGLE_SCROLLLOCK] = "scrolllock",
        [GRAB_TOGGLE_CTRL_SCROLLLOCK] = "ctrl-scrolllock",
};

const char *const disk_format_table[] = { "qcow2", "raw", NULL };

const char *accel_to_string(Accel a) {
        return a >= 0 && a < _ACCEL_MAX ? accel_table[a] : NULL;
}

const char *disk_interface_to_string(DiskInterface d) {
        return d >= 0 && d < _DISK_INTERFACE_MAX ? disk_interface_table[d] : NULL;
}

const char *network_mode_to_string(NetworkMode m) {
        return m >= 0 && m < _NETWORK_MODE_MAX ? network_mode_table[m] : NULL;
}

const char *guest_os_to_string(GuestOs o) {
        return o >= 0 && o < _GUEST_OS_MAX ? guest_os_table[o] : NULL;
}

const char *grab_toggle_to_string(GrabToggle g) {
        return g >= 0 && g < _GRAB_TOGGLE_MAX ? grab_toggle_table[g] : NULL;
}

const char *grab_toggle_keys(GrabToggle g) {
        static const char *const keys[_GRAB_TOGGLE_MAX] = {
                [GRAB_TOGGLE_CTRL_CTRL] = "both Ctrl keys together",
                [GRAB_TOGGLE_ALT_ALT] = "both Alt keys together",
                [GRAB_TOGGLE_SHIFT_SHIFT] = "both Shift keys together",
                [GRAB_TOGGLE_META_META] = "both Windows (Super) keys together",
                [GRAB_TOGGLE_SCROLLLOCK] = "Scroll Lock",
                [GRAB_TOGGLE_CTRL_SCROLLLOCK] = "Ctrl and Scroll Lock together",
        };
        return g >= 0 && g < _GRAB_TOGGLE_MAX ? keys[g] : NULL;
}

const char *end_sessions_to_string(EndSessions e) {
        return e >= 0 && e < _END_SESSIONS_MAX ? end_sessions_table[e] : NULL;
}

const char *gpu_backlight_to_string(GpuBacklight b) {
        return b >= 0 && b < _GPU_BACKLIGHT_MAX ? gpu_backlight_table[b] : NULL;
}

const char *power_button_mode_to_string(PowerButtonMode m) {
        return m >= 0 && m < _POWER_BUTTON_MAX ? power_button_table[m] : NULL;
}

const char *lid_mode_to_string(LidMode m) {
        return m >= 0 && m < _LID_MAX ? lid_table[m] : NULL;
}

const char *gpu_rom_acpi_to_string(GpuRomAcpi r) {
        return r >= 0 && r < _GPU_ROM_ACPI_MAX ? gpu_rom_acpi_table[r] : NULL;
}
