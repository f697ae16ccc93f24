/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The words a profile may use for each enum, in the enum's order and
 * NULL-terminated: config_parse_enum() walks them to the end, the
 * *_to_string() functions of profile.h index them. */

#include "profile/profile.h"

extern const char *const accel_table[_ACCEL_MAX + 1];
extern const char *const disk_interface_table[_DISK_INTERFACE_MAX + 1];
extern const char *const network_mode_table[_NETWORK_MODE_MAX + 1];
extern const char *const firmware_table[_FIRMWARE_KIND_MAX + 1];
extern const char *const guest_os_table[_GUEST_OS_MAX + 1];
extern const char *const end_sessions_table[_END_SESSIONS_MAX + 1];
extern const char *const gpu_backlight_table[_GPU_BACKLIGHT_MAX + 1];
extern const char *const power_button_table[_POWER_BUTTON_MAX + 1];
extern const char *const lid_table[_LID_MAX + 1];
extern const char *const gpu_rom_acpi_table[_GPU_ROM_ACPI_MAX + 1];
extern const char *const grab_toggle_table[_GRAB_TOGGLE_MAX + 1];
extern const char *const disk_format_table[];
