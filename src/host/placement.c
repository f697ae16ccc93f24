/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <sched.h>
#include <stdlib.h>

#include "basic/parse.h"
#include "host/host.h"
#include "basic/log.h"
#include "host/placement.h"

#define CPU_MAX 1024

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
                  const unsigned *emulator, size_t n_emulator, char **ret_failed) {
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
                if (r < 0) {
                        if (ret_failed && asprintf(ret_failed, "vCPU %zu (thread %d) on host CPU %u", i, (int) vcpu[i],
                                                   pin[i]) < 0)
                                *ret_failed = NULL;
                        return log_debug_errno(r, "pin vCPU %zu (thread %d) to CPU %u: %s", i, (int) vcpu[i], pin[i],
                                               STRERROR(r));
                }
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
                if (k < 0 && k != -ESRCH && r == 0) {
                        r = k;
                        if (ret_failed && asprintf(ret_failed, "QEMU's thread %d on [cpu] emulator-pin", (int) tid) < 0)
                                *ret_failed = NULL;
                }
        }
        closedir(d);
        return r;
}

/* "2-7,10,12": runs of consecutive ascending CPUs as ranges */
static int cpu_list_format(const unsigned *v, size_t n, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n;) {
                size_t j = i;

                while (j + 1 < n && v[j + 1] == v[j] + 1)
                        j++;
                fprintf(f, "%s%u", i > 0 ? "," : "", v[i]);
                if (j > i)
                        fprintf(f, "%s%u", j == i + 1 ? "," : "-", v[j]);
                i = j + 1;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* A host core, named by the lowest CPU among its threads. */
static int cpu_core(const HostContext *ctx, unsigned cpu, unsigned *ret) {
        _cleanup_free_ char *s = NULL;
        _cleanup_free_ unsigned *sib = NULL;
        char path[96];
        size_t n;
        int r;

        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", cpu);
        r = host_read(ctx, path, &s);
        if (r < 0)
                return log_debug_errno(r, "%s: %s", path, STRERROR(r));
        r = cpu_list_parse(s, &sib, &n);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return log_debug_errno(-EBADMSG, "%s: '%s' is not a CPU list", path, s);
        *ret = sib[0];
        for (size_t i = 1; i < n; i++)
                if (sib[i] < *ret)
                        *ret = sib[i];
        return 0;
}

/* The length of the runs of one core in core[] when all runs are that
 * long (each core given that many threads, one after the other); 0 when
 * they are not. */
static size_t equal_runs(const unsigned *core, size_t n) {
        size_t len = 0;

        for (size_t i = 0, j; i < n; i = j) {
                for (j = i; j < n && core[j] == core[i]; j++)
                        ;
                if (len != 0 && len != j - i)
                        return 0;
                len = j - i;
        }
        return len;
}

int placement_topology(const HostContext *ctx, const unsigned *pin, size_t n, CpuTopology *ret, char **ret_flat,
                       unsigned *ret_missing) {
        _cleanup_free_ unsigned *core = NULL, *grouped = NULL, *grouped_core = NULL;
        _cleanup_free_ char *list = NULL;
        size_t threads, m = 0;
        bool split;
        int r;

        assert(pin);
        assert(n > 0);
        assert(ret);
        assert(ret_flat);

        core = calloc(n, sizeof(unsigned));
        grouped = calloc(n, sizeof(unsigned));
        grouped_core = calloc(n, sizeof(unsigned));
        if (!core || !grouped || !grouped_core)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = cpu_core(ctx, pin[i], &core[i]);
                if (r == -ENOENT && ret_missing)
                        *ret_missing = pin[i];
                if (r < 0)
                        return r;
        }

        /* the same CPUs, each core's together in the order first named */
        for (size_t i = 0; i < n; i++) {
                bool seen = false;

                for (size_t k = 0; k < i; k++)
                        seen = seen || core[k] == core[i];
                if (seen)
                        continue;
                for (size_t k = i; k < n; k++)
                        if (core[k] == core[i]) {
                                grouped_core[m] = core[k];
                                grouped[m++] = pin[k];
                        }
        }
        /* a core's threads named apart from each other */
        split = memcmp(grouped, pin, n * sizeof(unsigned)) != 0;
        threads = equal_runs(grouped_core, n);
        if (!split && threads > 0) {
                *ret = (CpuTopology) { .sockets = 1, .cores = (unsigned) (n / threads), .threads = (unsigned) threads };
                *ret_flat = NULL;
                return 0;
        }
        *ret = (CpuTopology) { .sockets = 1, .cores = (unsigned) n, .threads = 1 };
        if (threads > 0) {
                r = cpu_list_format(grouped, n, &list);
                if (r < 0)
                        return r;
                r = asprintf(ret_flat,
                             "[cpu] pin does not name the threads of each host core one after the other "
                             "(thread_siblings_list): the guest sees %zu cores of one thread each; "
                             "pin = %s gives it %zu cores of %zu threads",
                             n, list, n / threads, threads);
        } else
                r = asprintf(ret_flat,
                             "[cpu] pin gives some host cores more threads than others (thread_siblings_list): the "
                             "guest sees %zu cores of one thread each",
                             n);
        if (r < 0) {
                *ret_flat = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* The value after "KEY:" on a line of a /proc file such as cpuinfo. */
static int read_proc_key(const HostContext *ctx, const char *path, const char *key, char **ret) {
        _cleanup_free_ char *p = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        int r;

        r = host_path(ctx, path, &p);
        if (r < 0)
                return r;
        f = fopen(p, "re");
        if (!f)
                return log_debug_errno(negative_errno(), "%s: %s", p, strerror(errno));
        while (getline(&line, &size, f) > 0) {
                const char *v = startswith(line, key);

                if (!v)
                        continue;
                v += strspn(v, " \t");
                if (*v != ':')
                        continue;
                v += 1 + strspn(v + 1, " \t");
                *ret = strndup(v, strcspn(v, "\n"));
                return *ret ? 0 : -ENOMEM;
        }
        return -ENOENT;
}

int placement_cpu_vendor(const HostContext *ctx, char **ret) {
        return read_proc_key(ctx, "/proc/cpuinfo", "vendor_id", ret);
}

static int read_count(const HostContext *ctx, const char *dir, const char *name, uint64_t *ret) {
        _cleanup_free_ char *path = NULL;
        unsigned long v;
        int r;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = host_read_unsigned(ctx, path, 10, &v);
        if (r < 0)
                return log_debug_errno(r, "%s: %s", path, r == -EBADMSG ? "not a number" : STRERROR(r));
        *ret = v;
        return 0;
}

int placement_hugepages(const HostContext *ctx, uint64_t size, uint64_t memory, Hugepages *ret) {
        _cleanup_free_ char *dir = NULL;
        uint64_t free_pages, reserved;
        int r;

        assert(ret);

        *ret = (Hugepages) { .size = size };
        if (!host_exists(ctx, "/sys/kernel/mm/hugepages"))
                return log_debug_errno(-EOPNOTSUPP, "no /sys/kernel/mm/hugepages: a kernel without hugetlbfs");
        if (size == 0) {
                _cleanup_free_ char *s = NULL;
                unsigned long long kib;
                char *end;

                r = read_proc_key(ctx, "/proc/meminfo", "Hugepagesize", &s);
                if (r == -ENOENT)
                        return log_debug_errno(-EOPNOTSUPP, "/proc/meminfo has no Hugepagesize");
                if (r < 0)
                        return r;
                errno = 0;
                kib = strtoull(s, &end, 10);
                if (errno || end == s || !streq(end, " kB") || kib == 0)
                        return log_debug_errno(-EBADMSG, "/proc/meminfo: Hugepagesize '%s'", s);
                ret->size = size = (uint64_t) kib << 10;
        }
        if (asprintf(&dir, "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB", size >> 10) < 0)
                return -ENOMEM;
        r = read_count(ctx, dir, "nr_hugepages", &ret->total);
        if (r < 0)
                return r;
        r = read_count(ctx, dir, "free_hugepages", &free_pages);
        if (r < 0)
                return r;
        r = read_count(ctx, dir, "resv_hugepages", &reserved);
        if (r < 0)
                return r;
        ret->available = free_pages > reserved ? free_pages - reserved : 0;
        if (memory % size != 0)
                return -ERANGE;
        ret->needed = memory / size;
        return 0;
}

const char *hugepage_size_to_string(uint64_t size, char buf[static 32]) {
        if (size >= (1ULL << 30) && size % (1ULL << 30) == 0)
                snprintf(buf, 32, "%" PRIu64 " GiB", size >> 30);
        else if (size >= (1ULL << 20) && size % (1ULL << 20) == 0)
                snprintf(buf, 32, "%" PRIu64 " MiB", size >> 20);
        else
                snprintf(buf, 32, "%" PRIu64 " KiB", size >> 10);
        return buf;
}
