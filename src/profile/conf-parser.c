/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>

#include "basic/log.h"
#include "basic/parse.h"
#include "basic/strv.h"
#include "basic/text.h"
#include "host/host.h"
#include "host/placement.h"
#include "profile/conf-parser.h"
#include "profile/items.h"

/* What every parser says when memory runs out: the load stops there. */
int parse_oom(ParseState *st) {
        st->oom = true;
        return -ENOMEM;
}

void parse_error(ParseState *st, const char *format, ...) {
        _cleanup_free_ char *raw = NULL, *msg = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&raw, format, ap) < 0)
                raw = NULL;
        va_end(ap);
        if (raw)
                msg = text_escape(raw);
        if (!msg) {
                st->oom = true;
                return;
        }
        st->errors++;
        if (st->item)
                log_error("%s:%u: [%s] %s: %s", st->path, st->line, sections[st->item->section].name,
                          st->item->key, msg);
        else
                log_error("%s:%u: %s", st->path, st->line, msg);
}

int item_error(ParseState *st, const char *value, const char *why) {
        size_t n = strlen(value);

        parse_error(st, "'%.*s'%s %s; allowed: %s", (int) (n > QUOTE_MAX ? QUOTE_MAX : n), value,
                    n > QUOTE_MAX ? "..." : "", why, st->item->allowed);
        return 0;
}

static int set_string(ParseState *st, char **field, const char *value) {
        char *s = strdup(value);
        if (!s)
                return parse_oom(st);
        free(*field);
        *field = s;
        return 0;
}

int config_parse_name(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        if (!vm_name_is_valid(value))
                return item_error(st, value, "is not a valid VM name");
        return set_string(st, field, value);
}

int config_parse_path(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        size_t proto = strspn(value, "abcdefghijklmnopqrstuvwxyz+-");

        /* QEMU reads "json:{...}", "nbd:..." and the like in a file name as
         * a block driver and its options; vmrun never hands it one, but says
         * why rather than only "not absolute" */
        if (proto > 0 && islower((unsigned char) value[0]) && value[proto] == ':')
                return item_error(st, value, "names a QEMU protocol, not a file");
        if (value[0] != '/')
                return item_error(st, value, "is not an absolute path");
        if (text_has_control_chars(value))
                return item_error(st, value, "contains control characters");
        if (strlen(value) >= PATH_MAX)
                return item_error(st, value, "is longer than a path can be");
        return set_string(st, field, value);
}

/* POSIX's portable user names, as useradd takes them by default */
static bool user_name_is_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > 32 || !(islower((unsigned char) name[0]) || name[0] == '_'))
                return false;
        for (const char *c = name; *c; c++)
                if (!islower((unsigned char) *c) && !isdigit((unsigned char) *c) && *c != '_' && *c != '-')
                        return false;
        return true;
}

int config_parse_user(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        if (!user_name_is_valid(value))
                return item_error(st, value, "is not a user name");
        return set_string(st, field, value);
}

int config_parse_text(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        if (text_has_control_chars(value))
                return item_error(st, value, "contains control characters");
        return set_string(st, field, value);
}

int config_parse_size(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        uint64_t v;

        if (parse_size(value, &v) < 0)
                return item_error(st, value, "is not a size");
        if (v < 64ULL << 20)
                return item_error(st, value, "is less than 64M");
        /* far beyond what an x86 host has (QEMU's own limit is its CPU's
         * physical address bits); what the plan adds to it stays in range */
        if (v > 16ULL << 40)
                return item_error(st, value, "is more than 16T");
        /* QEMU's -m is given in MiB: anything finer would be cut off */
        if (v % (1ULL << 20) != 0)
                return item_error(st, value, "is not a whole number of MiB");
        *(uint64_t *) field = v;
        return 0;
}

int config_parse_unsigned(ParseState *st, const char *value, void *field, const void *arg) {
        const Range *range = arg;
        unsigned long v;
        char *end;

        errno = 0;
        v = strtoul(value, &end, 10);
        if (!isdigit((unsigned char) value[0]) || *end || errno != 0 || v < range->min || v > range->max)
                return item_error(st, value, "is out of range");
        *(unsigned *) field = (unsigned) v;
        return 0;
}

int config_parse_enum(ParseState *st, const char *value, void *field, const void *arg) {
        const char *const *table = arg;

        for (int i = 0; table[i]; i++)
                if (streq(table[i], value)) {
                        *(int *) field = i;
                        return 0;
                }
        return item_error(st, value, "is not known");
}

int config_parse_choice(ParseState *st, const char *value, void *field, const void *arg) {
        const char *const *table = arg;

        for (int i = 0; table[i]; i++)
                if (streq(table[i], value))
                        return set_string(st, field, value);
        return item_error(st, value, "is not known");
}

int config_parse_bool(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        static const char *const yes[] = { "yes", "true", "on", "1", NULL };
        static const char *const no[] = { "no", "false", "off", "0", NULL };

        for (size_t i = 0; yes[i]; i++) {
                if (strcasecmp(value, yes[i]) == 0) {
                        *(bool *) field = true;
                        return 0;
                }
                if (strcasecmp(value, no[i]) == 0) {
                        *(bool *) field = false;
                        return 0;
                }
        }
        return item_error(st, value, "is not a boolean");
}

int config_parse_pci_address(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        char *a;
        int r;

        r = pci_address_canonicalize(value, &a);
        if (r == -ENOMEM)
                return parse_oom(st);
        if (r < 0)
                return item_error(st, value, "is not a PCI address");
        free(*(char **) field);
        *(char **) field = a;
        return 0;
}

/* The words of a list value (separated by commas and blanks), in order;
 * an empty array for none. */
static int split_words(ParseState *st, const char *value, char ***ret) {
        _cleanup_strv_ Strv words = { 0 };
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;

        if (!copy)
                return parse_oom(st);
        for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
                if (strv_push(&words, t) < 0)
                        return parse_oom(st);
        if (!words.v && !(words.v = calloc(1, sizeof(char *))))
                return parse_oom(st);
        *ret = TAKE_PTR(words.v);
        words = (Strv) { 0 };
        return 0;
}

/* A list field gets `list` (taken). */
static void set_strv(void *field, char **list) {
        strv_free(*(char ***) field);
        *(char ***) field = list;
}

int config_parse_pci_list(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_strv_ Strv list = { 0 };
        int r;

        /* "none" passes the GPU alone, overriding the default of taking
         * every function of its slot along */
        r = split_words(st, streq(value, "none") ? "" : value, &words);
        if (r < 0)
                return r;
        for (size_t i = 0; words[i]; i++) {
                char *a;

                r = pci_address_canonicalize(words[i], &a);
                if (r == -ENOMEM)
                        return parse_oom(st);
                if (r < 0)
                        return item_error(st, words[i], "is not a PCI address");
                if (strv_contains(list.v, a)) {
                        free(a);
                        return item_error(st, words[i], "is listed twice");
                }
                if (strv_consume(&list, a) < 0)
                        return parse_oom(st);
                /* the guest sees them as functions 1 to 7 of the GPU's slot */
                if (list.n > 7)
                        return item_error(st, value, "lists more than 7 functions");
        }
        if (!list.v && !(list.v = calloc(1, sizeof(char *))))
                return parse_oom(st);
        set_strv(field, TAKE_PTR(list.v));
        list = (Strv) { 0 };
        return 0;
}

int config_parse_spice(ParseState *st, const char *value, _unused_ void *field, _unused_ const void *arg) {
        Profile *p = st->profile;
        _cleanup_free_ char *host = NULL;
        const char *port;
        unsigned long v;
        char *end;

        /* 127.0.0.1:5900, [::1]:5900, or a bare port on loopback: SPICE is
         * meant to be reached through an ssh tunnel, not the open network */
        if (value[0] == '[') {
                const char *close = strchr(value, ']');
                if (!close || close[1] != ':')
                        return item_error(st, value, "is not ADDRESS:PORT");
                host = strndup(value + 1, (size_t) (close - value - 1));
                port = close + 2;
        } else if ((port = strrchr(value, ':'))) {
                host = strndup(value, (size_t) (port - value));
                port++;
        } else {
                host = strdup("127.0.0.1");
                port = value;
        }
        if (!host)
                return parse_oom(st);
        /* ::1:5900 could be an address alone */
        if (value[0] != '[' && strchr(host, ':'))
                return item_error(st, value, "has an IPv6 address without [brackets]");
        errno = 0;
        v = strtoul(port, &end, 10);
        if (!isdigit((unsigned char) port[0]) || *end || errno || v == 0 || v > 65535)
                return item_error(st, value, "has no valid port");
        /* QEMU would take a host name too, and resolve it where nobody looks */
        if (inet_pton(strchr(host, ':') ? AF_INET6 : AF_INET, host, &(struct in6_addr) { 0 }) != 1)
                return item_error(st, value, "has no valid IP address");
        free(p->spice_address);
        p->spice_address = TAKE_PTR(host);
        p->spice_port = (unsigned) v;
        return 0;
}

static int parse_hex16(const char *s, size_t n, unsigned *ret) {
        char digits[5];

        /* four digits, as lspci -nn prints them: no 0x, no sign, no space */
        if (n != 4 || strspn(s, "0123456789abcdefABCDEF") < 4)
                return -EINVAL;
        memcpy(digits, s, 4);
        digits[4] = '\0';
        *ret = (unsigned) strtoul(digits, NULL, 16);
        return 0;
}

int config_parse_subsystem(ParseState *st, const char *value, _unused_ void *field, _unused_ const void *arg) {
        Profile *p = st->profile;
        const char *colon = strchr(value, ':');
        unsigned vendor, device;

        if (streq(value, "host")) {
                p->gpu_subsystem = GPU_SUBSYSTEM_HOST;
                return 0;
        }
        if (streq(value, "none")) {
                p->gpu_subsystem = GPU_SUBSYSTEM_NONE;
                return 0;
        }
        if (!colon || parse_hex16(value, (size_t) (colon - value), &vendor) < 0 ||
            parse_hex16(colon + 1, strlen(colon + 1), &device) < 0)
                return item_error(st, value, "is not VENDOR:DEVICE");
        /* 0xffff is what a read of an absent device returns, 0 no vendor
         * at all: neither is the notebook maker's */
        if (vendor == 0 || vendor == 0xffff)
                return item_error(st, value, "has no valid vendor ID");
        p->gpu_subsystem = GPU_SUBSYSTEM_SET;
        p->gpu_subsystem_vendor = vendor;
        p->gpu_subsystem_device = device;
        return 0;
}

/* The event devices QEMU reads (input-linux): nodes under /dev/input,
 * best by their stable by-id or by-path names; the grant step gives QEMU's
 * user the event node such a name leads to, and nothing else. */
int config_parse_evdev_list(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        r = split_words(st, value, &words);
        if (r < 0)
                return r;
        for (size_t i = 0; words[i]; i++) {
                const char *t = words[i], *rest = startswith(t, "/dev/input/");

                if (!rest || !*rest || strstr(t, "/.") || strstr(t, "//") || t[strlen(t) - 1] == '/')
                        return item_error(st, t, "is not a device under /dev/input/");
                if (text_has_control_chars(t))
                        return item_error(st, t, "contains control characters");
                for (size_t k = 0; k < i; k++)
                        if (streq(words[k], t))
                                return item_error(st, t, "is listed twice");
        }
        if (!words[0])
                return item_error(st, value, "names no device");
        set_strv(field, TAKE_PTR(words));
        return 0;
}

int config_parse_cpu_list(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        CpuList *l = field;
        unsigned *v;
        size_t n;
        int r;

        r = cpu_list_parse(value, &v, &n);
        if (r == -ENOMEM)
                return parse_oom(st);
        if (r < 0)
                return item_error(st, value, "is not a list of host CPUs, each once");
        free(l->v);
        *l = (CpuList) { v, n };
        return 0;
}

/* [memory] hugepages: x86's two sizes, or the kernel's default one */
int config_parse_hugepages(ParseState *st, const char *value, _unused_ void *field, _unused_ const void *arg) {
        Profile *p = st->profile;
        uint64_t size = 0;

        if (parse_size(value, &size) >= 0) {
                if (size != 2ULL << 20 && size != 1ULL << 30)
                        return item_error(st, value, "is not a hugepage size x86 has");
                p->hugepages = true;
                p->hugepage_size = size;
                return 0;
        }
        p->hugepage_size = 0;
        if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "no") == 0) {
                p->hugepages = strcasecmp(value, "yes") == 0;
                return 0;
        }
        return item_error(st, value, "is not yes, no or a hugepage size");
}

int config_parse_usb_list(ParseState *st, const char *value, _unused_ void *field, _unused_ const void *arg) {
        Profile *p = st->profile;
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ UsbId *ids = NULL;
        size_t n;
        int r;

        r = split_words(st, value, &words);
        if (r < 0)
                return r;
        n = strv_length(words);
        if (n == 0)
                return item_error(st, value, "names no device");
        ids = calloc(n, sizeof(UsbId));
        if (!ids)
                return parse_oom(st);
        for (size_t i = 0; i < n; i++) {
                const char *t = words[i], *colon = strchr(t, ':');
                UsbId *id = &ids[i];

                if (!colon || parse_hex16(t, (size_t) (colon - t), &id->vendor) < 0 ||
                    parse_hex16(colon + 1, strlen(colon + 1), &id->product) < 0)
                        return item_error(st, t, "is not VENDOR:PRODUCT");
                if (id->vendor == 0 || id->vendor == 0xffff)
                        return item_error(st, t, "has no valid vendor ID");
                for (size_t k = 0; k < i; k++)
                        if (ids[k].vendor == id->vendor && ids[k].product == id->product)
                                return item_error(st, t, "is listed twice");
        }
        free(p->usb_devices);
        p->usb_devices = TAKE_PTR(ids);
        p->n_usb_devices = n;
        return 0;
}

int config_parse_ifname(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        size_t l = strlen(value);

        if (l == 0 || l > 15 || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != l)
                return item_error(st, value, "is not a network interface name");
        return set_string(st, field, value);
}

bool unit_name_is_valid(const char *name) {
        size_t l = strlen(name);
        const char *dot = strrchr(name, '.');

        return l > 0 && l < 256 && dot && dot != name && dot[1] &&
               strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.@-\\") == l;
}

int config_parse_display_manager(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        if (!streq(value, "auto") && !streq(value, "none") && !unit_name_is_valid(value))
                return item_error(st, value, "is not a unit name");
        return set_string(st, field, value);
}

int config_parse_units(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        r = split_words(st, value, &words);
        if (r < 0)
                return r;
        for (size_t i = 0; words[i]; i++)
                if (!unit_name_is_valid(words[i]))
                        return item_error(st, words[i], "is not a unit name");
        set_strv(field, TAKE_PTR(words));
        return 0;
}

int config_parse_allow_classes(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        _cleanup_strv_free_ char **words = NULL;
        unsigned v = 0;
        int r;

        r = split_words(st, value, &words);
        if (r < 0)
                return r;
        for (size_t i = 0; words[i]; i++) {
                if (streq(words[i], "storage"))
                        v |= HOST_ALLOW_STORAGE;
                else if (streq(words[i], "network"))
                        v |= HOST_ALLOW_NETWORK;
                else if (!streq(words[i], "none"))
                        return item_error(st, words[i], "is not a device class vmrun protects");
        }
        *(unsigned *) field = v;
        return 0;
}
