/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Inside src/handover only: the step types, one file each (step-*.c),
 * for the planning (steps-plan.c), the prechecks and the table of step
 * types (handover.c). Elsewhere a step type is reached through
 * host_step_types[] or the journal's name. */

#include "handover/journal.h"
#include "handover/systemd-steps.h"

extern const HostStepType step_stop_unit;
extern const HostStepType step_end_session;
extern const HostStepType step_stop_user_unit;
extern const HostStepType step_stop_graphical_session;
extern const HostStepType step_wait_released;
extern const HostStepType step_unbind_vtconsole;
extern const HostStepType step_unbind_framebuffer;
extern const HostStepType step_backlight;
extern const HostStepType step_unload_module;
extern const HostStepType step_load_module;
extern const HostStepType step_unbind_device;
extern const HostStepType step_bind_vfio;
extern const HostStepType step_check_vfio_group;
extern const HostStepType step_grant;

/* NVIDIA's WMI interface to the embedded controller's brightness
 * (drivers/platform/x86/nvidia-wmi-ec-backlight.c) */
#define NVIDIA_WMI_EC_GUID "603E9613-EF25-4338-A3D0-C46177516DB7"
#define NVIDIA_WMI_EC_BACKLIGHT "nvidia_wmi_ec_backlight"

/* A backlight's type, brightness and maximum (each output optional). */
int backlight_read(const HostContext *ctx, const char *device, char **ret_type, unsigned long *ret_brightness,
                   unsigned long *ret_max);

/* Who sets this backlight: the GPU, the firmware, the embedded controller. */
const char *backlight_source(const char *device, const char *type);
