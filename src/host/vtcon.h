/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The kernel's virtual terminal consoles (/sys/class/vtconsole): fbcon,
 * drawn on a GPU's framebuffer, keeps the GPU until it is unbound. The
 * plan, the unbind-vtconsole step and the verification all read them. */

/* /sys/class/vtconsole/VTCON/ATTR */
int vtcon_path(const char *vtcon, const char *attr, char **ret);
