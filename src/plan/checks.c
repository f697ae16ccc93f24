/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/resource.h>

#include "basic/log.h"
#include "plan/plan-internal.h"

/* What `vmrun run` and `vmrun check` refuse on before any change, from
 * what the plan read of the host. */

int plan_check_memlock(const Plan *plan) {
        uint64_t hard;
        int r;

        r = privileges_memlock_check(plan->memlock, &hard);
        if (r == -EPERM)
                return log_error_errno(r, "VFIO pins guest RAM: QEMU needs a locked-memory limit of %llu MiB, but the "
                                          "hard limit is %llu MiB and vmrun lacks CAP_SYS_RESOURCE to raise it; run "
                                          "vmrun as root outside a container, or raise LimitMEMLOCK= / "
                                          "/etc/security/limits.conf",
                                       (unsigned long long) (plan->memlock >> 20), (unsigned long long) (hard >> 20));
        if (r < 0)
                return log_error_errno(r, "read the locked-memory limit: %s", STRERROR(r));
        return 0;
}

int plan_check_placement(const Plan *plan) {
        const Profile *p = plan->profile;
        const Hugepages *h = &plan->hugepages;
        char size[32];
        int r = 0;

        if (plan->cpu_error == -ENOENT)
                RET_GATHER(r, log_error_errno(plan->cpu_error,
                                              "[cpu] pin names host CPU %u, which this host does not have or is offline "
                                              "(no /sys/devices/system/cpu/cpu%u/topology); `lscpu -e` lists them",
                                              plan->cpu_missing, plan->cpu_missing));
        else if (plan->cpu_error < 0)
                RET_GATHER(r, log_error_errno(plan->cpu_error, "[cpu] pin: cannot read the host CPUs' topology: %s",
                                              STRERROR(plan->cpu_error)));
        if (!p->hugepages)
                return r;

        hugepage_size_to_string(h->size, size);
        switch (plan->hugepages_error) {
        case 0:
                break;
        case -EOPNOTSUPP:
                return log_error_errno(plan->hugepages_error,
                                       "[memory] hugepages: this kernel has no hugepages (no /sys/kernel/mm/hugepages, "
                                       "CONFIG_HUGETLBFS); set hugepages = no");
        case -ENOENT:
                return log_error_errno(plan->hugepages_error,
                                       "[memory] hugepages: this host has no %s pages (no "
                                       "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB)%s",
                                       size, h->size >> 10,
                                       h->size == 1ULL << 30 ? "; 1 GiB pages need a CPU with pdpe1gb (grep pdpe1gb "
                                                               "/proc/cpuinfo), else use 2M"
                                                             : "");
        case -ERANGE:
                return log_error_errno(plan->hugepages_error,
                                       "[memory] hugepages: [vm] memory = %" PRIu64 "M is not a whole number of this "
                                       "host's %s pages",
                                       p->memory >> 20, size);
        default:
                return log_error_errno(plan->hugepages_error, "[memory] hugepages: cannot read the pool of %s pages: %s",
                                       size, STRERROR(plan->hugepages_error));
        }
        if (h->available < h->needed) {
                if (h->size >= 1ULL << 30)
                        return log_error_errno(-ENOMEM,
                                               "[memory] hugepages: guest RAM needs %" PRIu64 " pages of %s, %" PRIu64
                                               " are free (of %" PRIu64 "); 1 GiB pages are best reserved at boot: "
                                               "hugepagesz=1G hugepages=%" PRIu64 " on the kernel command line",
                                               h->needed, size, h->available, h->total,
                                               h->total + h->needed - h->available);
                return log_error_errno(-ENOMEM,
                                       "[memory] hugepages: guest RAM needs %" PRIu64 " pages of %s, %" PRIu64
                                       " are free (of %" PRIu64 "); reserve more: echo %" PRIu64
                                       " > /sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages (or "
                                       "vm.nr_hugepages in /etc/sysctl.d)",
                                       h->needed, size, h->available, h->total, h->total + h->needed - h->available,
                                       h->size >> 10);
        }
        log_info("hugepages: guest RAM needs %" PRIu64 " pages of %s, %" PRIu64 " are free (of %" PRIu64 ")", h->needed,
                 size, h->available, h->total);
        return r;
}
