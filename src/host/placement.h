/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Where the guest runs on the host: each vCPU thread pinned to a host CPU
 * of its own, in order ([cpu] pin), and QEMU's other threads (the main
 * loop, I/O) kept to another set ([cpu] emulator-pin), so that a game's
 * vCPUs do not share a core with QEMU's own work; the guest told the
 * topology of the CPUs it got, so its scheduler's idea of which vCPUs
 * share a core is true; and its RAM on hugepages ([memory] hugepages).
 * The host is read through the host interface (host.h), so the tests can
 * use a fake root. */

#include <jansson.h>
#include <sys/types.h>

#include "host/host.h"
#include "basic/util.h"

/* Pin after QMP's query-cpus-fast (its "return" array, borrowed): vCPU
 * with cpu-index i to pin[i]; every other thread of `qemu_pid` to
 * `emulator` (NULL: left as they are). -EINVAL when QEMU has another
 * number of vCPUs than `n_pin`; the sched_setaffinity() error otherwise,
 * and then *ret_failed (if given) says which thread could not go where
 * ("vCPU 1 (thread 4242) on host CPU 7"), for the caller's message. */
int placement_pin(pid_t qemu_pid, const json_t *cpus_fast, const unsigned *pin, size_t n_pin,
                  const unsigned *emulator, size_t n_emulator, char **ret_failed);

typedef struct CpuTopology {
        unsigned sockets, cores, threads;
} CpuTopology;

/* The guest topology for vCPUs pinned in `pin`'s order. QEMU numbers
 * vCPUs thread first (vCPU 0 and 1 are the two threads of core 0 when
 * threads=2), so the guest sees SMT only when each host core's pinned
 * threads (thread_siblings_list) come one after the other in `pin`, the
 * same number for every core. Otherwise the guest gets one thread per
 * core, and *ret_flat says why and, when reordering helps, the order that
 * would give it SMT (NULL when the topology matches). -ENOENT with
 * *ret_missing when a pinned CPU is not on this host (or offline). */
int placement_topology(const HostContext *ctx, const unsigned *pin, size_t n, CpuTopology *ret, char **ret_flat,
                       unsigned *ret_missing);

/* The host CPU's vendor_id from /proc/cpuinfo ("AuthenticAMD",
 * "GenuineIntel"). -ENOENT when it has none. */
int placement_cpu_vendor(const HostContext *ctx, char **ret);

typedef struct Hugepages {
        uint64_t size;          /* bytes per page */
        uint64_t needed;        /* guest RAM / size */
        uint64_t total;         /* the pool: nr_hugepages */
        uint64_t available;     /* free_hugepages less those reserved for mappings already made */
} Hugepages;

/* The pool of `size`-byte hugepages (0: the kernel's default size,
 * /proc/meminfo's Hugepagesize) and how many of them guest RAM of `memory`
 * bytes takes. -EOPNOTSUPP: a kernel without hugetlbfs; -ENOENT (with
 * ret->size set): no pool of that size (/sys/kernel/mm/hugepages/
 * hugepages-NkB), such as 1G pages on a CPU without pdpe1gb; -ERANGE:
 * `memory` is not a whole number of pages. */
int placement_hugepages(const HostContext *ctx, uint64_t size, uint64_t memory, Hugepages *ret);

/* "2 MiB", "1 GiB" */
const char *hugepage_size_to_string(uint64_t size, char buf[static 32]);
