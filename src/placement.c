/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <sched.h>
#include <stdlib.h>

#include "log.h"
#include "placement.h"

#define CPU_MAX 1024

int cpu_list_parse(const char *s, unsigned **ret, size_t *ret_n) {
        _cleanup_free_ unsigned *v = NULL;
        bool seen[CPU_MAX] = { false };
        size_t n = 0;
        const char *p = s;

        assert(s);
        assert(ret);
        assert(ret_n);

        v = calloc(CPU_MAX, sizeof(unsigned));
        if (!v)
                return -ENOMEM;
        while (*p) {
                unsigned long a, b;
                char *end;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                a = strtoul(p, &end, 10);
                b = a;
                if (*end == '-') {
                        p = end + 1;
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        b = strtoul(p, &end, 10);
                }
                if (a >= CPU_MAX || b >= CPU_MAX || b < a)
                        return -EINVAL;
                for (unsigned long c = a; c <= b; c++) {
                        if (seen[c])
                                return -EINVAL;
                        seen[c] = true;
                        v[n++] = (unsigned) c;
                }
                p = end;
                if (*p == ',') {
                        p++;
                        /* "1," names nothing after the comma */
                        if (!*p)
                                return -EINVAL;
                } else if (*p)
                        return -EINVAL;
        }
        if (n == 0)
                return -EINVAL;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

static int set_affinity(pid_t tid, const unsigned *cpus, size_t n) {
        cpu_set_t set;

        CPU_ZERO(&set);
        for (size_t i = 0; i < n; i++)
                CPU_SET(cpus[i], &set);
        if (sched_setaffinity(tid, sizeof set, &set) < 0)
                return negative_errno();
        return 0;
}

int placement_pin(pid_t qemu_pid, const json_t *cpus_fast, const unsigned *pin, size_t n_pin,
                  const unsigned *emulator, size_t n_emulator) {
        _cleanup_free_ pid_t *vcpu = NULL;
        char path[64];
        DIR *d;
        struct dirent *e;
        int r;

        if (!json_is_array(cpus_fast) || json_array_size(cpus_fast) != n_pin)
                return log_debug_errno(-EINVAL, "QEMU has %zu vCPUs, [cpu] pin lists %zu CPUs",
                                       json_array_size(cpus_fast), n_pin);
        vcpu = calloc(n_pin ? n_pin : 1, sizeof(pid_t));
        if (!vcpu)
                return -ENOMEM;
        for (size_t i = 0; i < n_pin; i++) {
                const json_t *c = json_array_get(cpus_fast, i);
                json_int_t idx = json_integer_value(json_object_get(c, "cpu-index"));
                json_int_t tid = json_integer_value(json_object_get(c, "thread-id"));

                if (idx < 0 || (size_t) idx >= n_pin || tid <= 0)
                        return log_debug_errno(-EBADMSG, "query-cpus-fast: vCPU %zu has cpu-index %" JSON_INTEGER_FORMAT
                                               " and thread-id %" JSON_INTEGER_FORMAT, i, idx, tid);
                vcpu[idx] = (pid_t) tid;
        }
        for (size_t i = 0; i < n_pin; i++) {
                r = set_affinity(vcpu[i], &pin[i], 1);
                if (r < 0)
                        return log_debug_errno(r, "pin vCPU %zu (thread %d) to CPU %u: %s", i, (int) vcpu[i], pin[i],
                                               STRERROR(r));
                log_debug("vCPU %zu (thread %d) on CPU %u", i, (int) vcpu[i], pin[i]);
        }
        if (!emulator)
                return 0;

        snprintf(path, sizeof path, "/proc/%d/task", (int) qemu_pid);
        d = opendir(path);
        if (!d)
                return log_debug_errno(negative_errno(), "%s: %s", path, strerror(errno));
        r = 0;
        while ((e = readdir(d))) {
                pid_t tid = (pid_t) strtol(e->d_name, NULL, 10);
                bool is_vcpu = false;

                if (tid <= 0)
                        continue;
                for (size_t i = 0; i < n_pin; i++)
                        is_vcpu = is_vcpu || vcpu[i] == tid;
                if (is_vcpu)
                        continue;
                int k = set_affinity(tid, emulator, n_emulator);
                /* a thread that ended meanwhile needs no place */
                if (k != -ESRCH)
                        RET_GATHER(r, k);
        }
        closedir(d);
        return r;
}
