/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Inside src/handover only: the step types, one file each (step-*.c),
 * and what their apply, undo and verify share with the planning
 * (steps-plan.c), the prechecks and the verification. Elsewhere a step
 * type is reached through host_step_types[] or the journal's name. */

#include "handover/handover.h"

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

/* The service manager of the user a step's "uid" and "user" name; -ENOENT
 * (not logged) when it is not running, other errors logged. */
int user_manager(HostContext *ctx, const json_t *j, Units **ret);

/* unit_stop() for a step that has journaled its intent: a stop the
 * manager refuses outright takes that intent back (step_intent_withdraw()).
 * The caller logs the failure, with UNITS_ERROR(u, r). */
int stop_for_step(Units *u, const char *unit, usec_t deadline, StepIntent *intent);

/* A string parameter of a step or a record; NULL when it has none. */
const char *str_param(const json_t *j, const char *key);
/* A parameter in seconds, as usec; `fallback` seconds when it has none. */
usec_t param_seconds(const json_t *j, const char *key, unsigned fallback);

/* A record from json_pack()'s `format`; -ENOMEM when it cannot be made. */
int record_new(json_t **ret, const char *format, ...);

/* The record made from `format` journaled as the step's intent, before it
 * acts (step_intent()); *ret is the record, to return once it has. */
int record_intent(StepIntent *intent, json_t **ret, const char *format, ...);

/* NVIDIA's WMI interface to the embedded controller's brightness
 * (drivers/platform/x86/nvidia-wmi-ec-backlight.c) */
#define NVIDIA_WMI_EC_GUID "603E9613-EF25-4338-A3D0-C46177516DB7"
#define NVIDIA_WMI_EC_BACKLIGHT "nvidia_wmi_ec_backlight"

/* A backlight's type, brightness and maximum (each output optional). */
int backlight_read(const HostContext *ctx, const char *device, char **ret_type, unsigned long *ret_brightness,
                   unsigned long *ret_max);

/* Who sets this backlight: the GPU, the firmware, the embedded controller. */
const char *backlight_source(const char *device, const char *type);
