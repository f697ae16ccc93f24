/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>

#include "basic/parse.h"

#define CPU_MAX 1024

bool vm_name_is_valid(const char *name) {
        size_t l = strlen(name);

        /* It becomes a directory name under /run/vmrun and /var/lib/vmrun and
         * a systemd instance name: keep it to a safe alphabet. */
        if (l == 0 || l > 64 || name[0] == '.' || name[0] == '-')
                return false;
        /* /run/vmrun/locks holds the device locks */
        if (streq(name, "locks"))
                return false;
        for (const char *c = name; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr("_.-", *c))
                        return false;
        return true;
}

int pci_address_canonicalize(const char *s, char **ret) {
        unsigned domain = 0, bus, slot, function;
        int n = -1;

        /* Accept the short form lspci prints (01:00.0) as well as the full
         * one; everything downstream sees 0000:01:00.0. */
        if (sscanf(s, "%4x:%2x:%2x.%1x%n", &domain, &bus, &slot, &function, &n) == 4 && (size_t) n == strlen(s))
                ;
        else if (domain = 0, n = -1,
                 sscanf(s, "%2x:%2x.%1x%n", &bus, &slot, &function, &n) == 3 && (size_t) n == strlen(s))
                ;
        else
                return -EINVAL;
        for (const char *c = s; *c; c++)
                if (!isxdigit((unsigned char) *c) && *c != ':' && *c != '.')
                        return -EINVAL;
        if (slot > 0x1f || function > 7)
                return -EINVAL;
        if (asprintf(ret, "%04x:%02x:%02x.%x", domain, bus, slot, function) < 0)
                return -ENOMEM;
        return 0;
}

bool pci_address_is_canonical(const char *s) {
        _cleanup_free_ char *c = NULL;

        return pci_address_canonicalize(s, &c) >= 0 && streq(c, s);
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                char suffix;
                unsigned shift;
        } units[] = {
                { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 },
        };
        char *end;
        unsigned long long v;
        unsigned shift = 0;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0)
                return -ERANGE;
        if (*end) {
                char c = (char) toupper((unsigned char) *end);
                size_t i;

                for (i = 0; i < ELEMENTSOF(units); i++)
                        if (units[i].suffix == c)
                                break;
                if (i == ELEMENTSOF(units))
                        return -EINVAL;
                end++;
                /* "16G", "16GiB" and "16GB" all mean 16 GiB, as in QEMU's -m */
                if (*end == 'i' || *end == 'I')
                        end++;
                if (*end == 'B' || *end == 'b')
                        end++;
                if (*end)
                        return -EINVAL;
                shift = units[i].shift;
        }
        if (shift > 0 && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = (uint64_t) v << shift;
        return 0;
}

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
