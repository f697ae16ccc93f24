/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Where the guest runs on the host: each vCPU thread pinned to a host CPU
 * of its own, in order ([cpu] pin), and QEMU's other threads (the main
 * loop, I/O) kept to another set ([cpu] emulator-pin), so that a game's
 * vCPUs do not share a core with QEMU's own work. */

#include <jansson.h>
#include <sys/types.h>

#include "util.h"

/* "2-7,10-15" → {2,3,4,5,6,7,10,11,...}, in the order written. Each CPU
 * below 1024, none twice. -EINVAL otherwise. */
int cpu_list_parse(const char *s, unsigned **ret, size_t *ret_n);

/* Pin after QMP's query-cpus-fast (its "return" array, borrowed): vCPU
 * with cpu-index i to pin[i]; every other thread of `qemu_pid` to
 * `emulator` (NULL: left as they are). -EINVAL when QEMU has another
 * number of vCPUs than `n_pin`; the sched_setaffinity() error otherwise. */
int placement_pin(pid_t qemu_pid, const json_t *cpus_fast, const unsigned *pin, size_t n_pin,
                  const unsigned *emulator, size_t n_emulator);
