/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <sys/stat.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>

#include "basic/parse.h"
#include "host/host.h"
#include "basic/log.h"
#include "basic/test-switch.h"
#include "host/placement.h"
#include "profile/profile.h"
#include "basic/strv.h"
#include "basic/text.h"

/* NULL-terminated: config_parse_enum() walks them to the end */
static const char *const accel_table[_ACCEL_MAX + 1] = {
        [ACCEL_KVM] = "kvm",
        [ACCEL_TCG] = "tcg",
};

static const char *const disk_interface_table[_DISK_INTERFACE_MAX + 1] = {
        [DISK_VIRTIO] = "virtio",
        [DISK_NVME] = "nvme",
        [DISK_SATA] = "sata",
};

static const char *const network_mode_table[_NETWORK_MODE_MAX + 1] = {
        [NETWORK_USER] = "user",
        [NETWORK_NONE] = "none",
        [NETWORK_BRIDGE] = "bridge",
};

static const char *const firmware_table[_FIRMWARE_KIND_MAX + 1] = {
        [FIRMWARE_BIOS] = "bios",
        [FIRMWARE_UEFI] = "uefi",
        [FIRMWARE_UEFI_SECURE] = "uefi-secure",
};

const char *firmware_kind_to_string(FirmwareKind k) {
        return (unsigned) k < _FIRMWARE_KIND_MAX ? firmware_table[k] : NULL;
}

int firmware_kind_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (int k = 0; k < _FIRMWARE_KIND_MAX; k++)
                if (streq(s, firmware_table[k]))
                        return k;
        return -EINVAL;
}

static const char *const guest_os_table[_GUEST_OS_MAX + 1] = {
        [GUEST_OS_OTHER] = "other",
        [GUEST_OS_WINDOWS] = "windows",
        [GUEST_OS_LINUX] = "linux",
};

static const char *const end_sessions_table[_END_SESSIONS_MAX + 1] = {
        [END_SESSIONS_SEAT] = "seat",
        [END_SESSIONS_NONE] = "none",
};

static const char *const gpu_backlight_table[_GPU_BACKLIGHT_MAX + 1] = {
        [GPU_BACKLIGHT_KEEP] = "keep",
        [GPU_BACKLIGHT_MAX] = "max",
};

static const char *const grab_toggle_table[_GRAB_TOGGLE_MAX + 1] = {
        [GRAB_TOGGLE_CTRL_CTRL] = "ctrl-ctrl",
        [GRAB_TOGGLE_ALT_ALT] = "alt-alt",
        [GRAB_TOGGLE_SHIFT_SHIFT] = "shift-shift",
        [GRAB_TOGGLE_META_META] = "meta-meta",
        [GRAB_TOGGLE_SCROLLLOCK] = "scrolllock",
        [GRAB_TOGGLE_CTRL_SCROLLLOCK] = "ctrl-scrolllock",
};

static const char *const disk_format_table[] = { "qcow2", "raw", NULL };

const char *accel_to_string(Accel a) {
        return a >= 0 && a < _ACCEL_MAX ? accel_table[a] : NULL;
}

const char *disk_interface_to_string(DiskInterface d) {
        return d >= 0 && d < _DISK_INTERFACE_MAX ? disk_interface_table[d] : NULL;
}

const char *network_mode_to_string(NetworkMode m) {
        return m >= 0 && m < _NETWORK_MODE_MAX ? network_mode_table[m] : NULL;
}

const char *guest_os_to_string(GuestOs o) {
        return o >= 0 && o < _GUEST_OS_MAX ? guest_os_table[o] : NULL;
}

const char *grab_toggle_to_string(GrabToggle g) {
        return g >= 0 && g < _GRAB_TOGGLE_MAX ? grab_toggle_table[g] : NULL;
}

const char *grab_toggle_keys(GrabToggle g) {
        static const char *const keys[_GRAB_TOGGLE_MAX] = {
                [GRAB_TOGGLE_CTRL_CTRL] = "both Ctrl keys together",
                [GRAB_TOGGLE_ALT_ALT] = "both Alt keys together",
                [GRAB_TOGGLE_SHIFT_SHIFT] = "both Shift keys together",
                [GRAB_TOGGLE_META_META] = "both Windows (Super) keys together",
                [GRAB_TOGGLE_SCROLLLOCK] = "Scroll Lock",
                [GRAB_TOGGLE_CTRL_SCROLLLOCK] = "Ctrl and Scroll Lock together",
        };
        return g >= 0 && g < _GRAB_TOGGLE_MAX ? keys[g] : NULL;
}

const char *end_sessions_to_string(EndSessions e) {
        return e >= 0 && e < _END_SESSIONS_MAX ? end_sessions_table[e] : NULL;
}

const char *gpu_backlight_to_string(GpuBacklight b) {
        return b >= 0 && b < _GPU_BACKLIGHT_MAX ? gpu_backlight_table[b] : NULL;
}

/* The enum fields are written through int pointers by the table below. */
_Static_assert(sizeof(Accel) == sizeof(int), "enum size");
_Static_assert(sizeof(EndSessions) == sizeof(int), "enum size");
_Static_assert(sizeof(FirmwareKind) == sizeof(int), "enum size");
_Static_assert(sizeof(DiskInterface) == sizeof(int), "enum size");
_Static_assert(sizeof(NetworkMode) == sizeof(int), "enum size");
_Static_assert(sizeof(GuestOs) == sizeof(int), "enum size");
_Static_assert(sizeof(GpuBacklight) == sizeof(int), "enum size");
_Static_assert(sizeof(GrabToggle) == sizeof(int), "enum size");

Profile *profile_free(Profile *p) {
        if (!p)
                return NULL;
        free(p->path);
        free(p->name);
        free(p->gpu_address);
        strv_free(p->gpu_functions);
        free(p->gpu_rom);
        for (size_t i = 0; i < p->n_disks; i++) {
                free(p->disks[i].id);
                free(p->disks[i].file);
                free(p->disks[i].format);
        }
        free(p->disks);
        free(p->kernel);
        free(p->initrd);
        free(p->append);
        free(p->spice_address);
        strv_free(p->input_evdev);
        free(p->usb_devices);
        free(p->cpu_pin.v);
        free(p->emulator_pin.v);
        free(p->bridge);
        free(p->display_manager);
        strv_free(p->stop_units);
        free(p->qemu_binary);
        free(p->qemu_user);
        free(p);
        return NULL;
}

int profile_resolve(const char *name_or_path, char **ret_path) {
        const char *dir;
        char *p;

        /* Anything that looks like a file is one; a bare name is looked up
         * where the systemd unit expects it. */
        if (strchr(name_or_path, '/') || (strlen(name_or_path) > 8 && streq(name_or_path + strlen(name_or_path) - 8, ".profile")))
                p = strdup(name_or_path);
        else {
                if (!vm_name_is_valid(name_or_path))
                        return -EINVAL;
                dir = test_switch("VMRUN_PROFILE_DIR");
                if (!dir)
                        dir = "/etc/vmrun";
                if (asprintf(&p, "%s/%s.profile", dir, name_or_path) < 0)
                        p = NULL;
        }
        if (!p)
                return -ENOMEM;
        *ret_path = p;
        return 0;
}

/* ---- the parser ---- */

typedef struct ParseState ParseState;
typedef int (*ConfigParser)(ParseState *st, const char *value, void *field, const void *arg);

typedef enum SectionKind {
        SECTION_VM,
        SECTION_GPU,
        SECTION_DISK,
        SECTION_BOOT,
        SECTION_DISPLAY,
        SECTION_INPUT,
        SECTION_USB,
        SECTION_CPU,
        SECTION_MEMORY,
        SECTION_NETWORK,
        SECTION_HOST,
        SECTION_QEMU,
        _SECTION_MAX,
} SectionKind;

static const struct {
        const char *name;
        bool repeatable;        /* [disk], [disk data], ... */
} sections[_SECTION_MAX] = {
        [SECTION_VM] = { "vm", false },
        [SECTION_GPU] = { "gpu", false },
        [SECTION_DISK] = { "disk", true },
        [SECTION_BOOT] = { "boot", false },
        [SECTION_DISPLAY] = { "display", false },
        [SECTION_INPUT] = { "input", false },
        [SECTION_USB] = { "usb", false },
        [SECTION_CPU] = { "cpu", false },
        [SECTION_MEMORY] = { "memory", false },
        [SECTION_NETWORK] = { "network", false },
        [SECTION_HOST] = { "host", false },
        [SECTION_QEMU] = { "qemu", false },
};

/* "[vm], [gpu], [disk] or [disk NAME], ...", for the messages: from the
 * table, so that no list of sections can miss one. */
static const char *sections_to_string(char buf[static 256]) {
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < _SECTION_MAX; i++)
                n += (size_t) snprintf(buf + n, n < 256 ? 256 - n : 0, "%s[%s]%s%s%s", i > 0 ? ", " : "",
                                       sections[i].name, sections[i].repeatable ? " or [" : "",
                                       sections[i].repeatable ? sections[i].name : "",
                                       sections[i].repeatable ? " NAME]" : "");
        assert(n < 256);
        return buf;
}

typedef struct ConfigItem {
        SectionKind section;
        const char *key;
        ConfigParser parse;
        size_t offset;          /* into Profile, or into ProfileDisk for [disk] */
        const void *arg;        /* parser-specific: enum table, range */
        const char *allowed;    /* said in the error message */
} ConfigItem;

typedef struct Range {
        unsigned min, max;
} Range;

/* [disk NAME]: QEMU cuts an NVMe serial number after 20 characters */
#define DISK_NAME_MAX 20u

struct ParseState {
        const char *path;
        Profile *profile;
        FILE *f;

        unsigned line;          /* of the line inih is looking at */
        bool at_line_start;

        /* each "[section]" header starts a new instance, even if the name
         * repeats: that is how two [disk] sections become two disks */
        unsigned section_serial;
        unsigned section_line;
        SectionKind section_kind;
        char *section_label;    /* "system" of [disk system] */
        bool section_valid;

        unsigned handled_serial;        /* the instance keys were last added to */
        ProfileDisk *disk;              /* current [disk] */
        unsigned section_lines[_SECTION_MAX];   /* where each section last started */
        bool seen[_SECTION_MAX];

        struct {
                unsigned serial;
                char *key;
                unsigned line;
        } *keys;
        size_t n_keys;

        unsigned errors;
        bool oom;
        bool nul_reported;              /* on this line */

        const ConfigItem *item;         /* for messages */
};

/* What every parser says when memory runs out: the load stops there. */
static int parse_oom(ParseState *st) {
        st->oom = true;
        return -ENOMEM;
}

static void parse_error(ParseState *st, const char *format, ...) _printf_(2, 3);
static void parse_error(ParseState *st, const char *format, ...) {
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

/* Enough of a value to recognize it; a longer one would push the reason
 * out of a log line. */
#define QUOTE_MAX 200
/* A profile line's length, where libinih lets vmrun choose (Debian's) */
#define PROFILE_LINE_MAX (64 * 1024)

static int item_error(ParseState *st, const char *value, const char *why) {
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

static int config_parse_name(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        if (!vm_name_is_valid(value))
                return item_error(st, value, "is not a valid VM name");
        return set_string(st, field, value);
}

static int config_parse_path(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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

static int config_parse_user(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        if (!user_name_is_valid(value))
                return item_error(st, value, "is not a user name");
        return set_string(st, field, value);
}

static int config_parse_text(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        if (text_has_control_chars(value))
                return item_error(st, value, "contains control characters");
        return set_string(st, field, value);
}

static int config_parse_size(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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

static int config_parse_unsigned(ParseState *st, const char *value, void *field, const void *arg) {
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

static int config_parse_enum(ParseState *st, const char *value, void *field, const void *arg) {
        const char *const *table = arg;

        for (int i = 0; table[i]; i++)
                if (streq(table[i], value)) {
                        *(int *) field = i;
                        return 0;
                }
        return item_error(st, value, "is not known");
}

static int config_parse_choice(ParseState *st, const char *value, void *field, const void *arg) {
        const char *const *table = arg;

        for (int i = 0; table[i]; i++)
                if (streq(table[i], value))
                        return set_string(st, field, value);
        return item_error(st, value, "is not known");
}

static int config_parse_bool(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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

static int config_parse_pci_address(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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

static int config_parse_pci_list(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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

static int config_parse_spice(ParseState *st, const char *value, _unused_ void *field, _unused_ const void *arg) {
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

static int config_parse_subsystem(ParseState *st, const char *value, _unused_ void *field, _unused_ const void *arg) {
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
static int config_parse_evdev_list(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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

static int config_parse_cpu_list(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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
static int config_parse_hugepages(ParseState *st, const char *value, _unused_ void *field, _unused_ const void *arg) {
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

static int config_parse_usb_list(ParseState *st, const char *value, _unused_ void *field, _unused_ const void *arg) {
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

static int config_parse_ifname(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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

static int config_parse_display_manager(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
        if (!streq(value, "auto") && !streq(value, "none") && !unit_name_is_valid(value))
                return item_error(st, value, "is not a unit name");
        return set_string(st, field, value);
}

static int config_parse_units(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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

static int config_parse_allow_classes(ParseState *st, const char *value, void *field, _unused_ const void *arg) {
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

static const Range range_cpus = { 1, 1024 };
static const Range range_timeout = { 1, 3600 };
static const Range range_release = { 1, 600 };

#define P(f) offsetof(Profile, f)
#define D(f) offsetof(ProfileDisk, f)

static const ConfigItem config_items[] = {
        { SECTION_VM, "name", config_parse_name, P(name), NULL, "letters, digits, '_', '.', '-' (up to 64)" },
        { SECTION_VM, "memory", config_parse_size, P(memory), NULL, "a size with K, M, G or T suffix, whole MiB from 64M to 16T (e.g. 16G)" },
        { SECTION_VM, "cpus", config_parse_unsigned, P(cpus), &range_cpus, "1 to 1024" },
        { SECTION_VM, "accel", config_parse_enum, P(accel), accel_table, "kvm, tcg" },
        { SECTION_VM, "firmware", config_parse_enum, P(firmware), firmware_table, "uefi, uefi-secure, bios" },
        { SECTION_VM, "os", config_parse_enum, P(os), guest_os_table, "windows, linux, other" },
        { SECTION_VM, "tpm", config_parse_bool, P(tpm), NULL, "yes, no" },
        { SECTION_GPU, "address", config_parse_pci_address, P(gpu_address), NULL, "a PCI address such as 0000:01:00.0" },
        { SECTION_GPU, "functions", config_parse_pci_list, P(gpu_functions), NULL, "up to 7 PCI addresses separated by commas, or none" },
        { SECTION_GPU, "rom", config_parse_path, P(gpu_rom), NULL, "an absolute path to the vBIOS image" },
        { SECTION_GPU, "fake-battery", config_parse_bool, P(gpu_fake_battery), NULL, "yes, no" },
        { SECTION_GPU, "subsystem", config_parse_subsystem, 0, NULL,
          "host, none, or VENDOR:DEVICE as four hex digits each, e.g. 17aa:3c3e (lspci -nnv: Subsystem)" },
        { SECTION_GPU, "backlight", config_parse_enum, P(gpu_backlight), gpu_backlight_table, "keep, max" },
        { SECTION_DISK, "file", config_parse_path, D(file), NULL, "an absolute path" },
        { SECTION_DISK, "format", config_parse_choice, D(format), disk_format_table, "qcow2, raw" },
        { SECTION_DISK, "interface", config_parse_enum, D(interface), disk_interface_table, "virtio, nvme, sata" },
        { SECTION_DISK, "read-only", config_parse_bool, D(read_only), NULL, "yes, no" },
        { SECTION_BOOT, "kernel", config_parse_path, P(kernel), NULL, "an absolute path" },
        { SECTION_BOOT, "initrd", config_parse_path, P(initrd), NULL, "an absolute path" },
        { SECTION_BOOT, "append", config_parse_text, P(append), NULL, "a kernel command line" },
        { SECTION_DISPLAY, "spice", config_parse_spice, 0, NULL, "ADDRESS:PORT, e.g. 127.0.0.1:5900" },
        { SECTION_INPUT, "evdev", config_parse_evdev_list, P(input_evdev), NULL,
          "paths under /dev/input/ separated by commas, e.g. /dev/input/by-id/usb-Logitech_USB_Receiver-event-kbd" },
        { SECTION_INPUT, "grab-toggle", config_parse_enum, P(grab_toggle), grab_toggle_table,
          "ctrl-ctrl, alt-alt, shift-shift, meta-meta, scrolllock, ctrl-scrolllock" },
        { SECTION_USB, "devices", config_parse_usb_list, 0, NULL,
          "VENDOR:PRODUCT as four hex digits each, separated by commas, e.g. 046d:c52b (lsusb)" },
        { SECTION_CPU, "pin", config_parse_cpu_list, P(cpu_pin), NULL,
          "host CPUs, one per vCPU in order, as ranges and numbers: 2-7,10-15" },
        { SECTION_CPU, "emulator-pin", config_parse_cpu_list, P(emulator_pin), NULL,
          "host CPUs for QEMU's other threads, e.g. 0-1" },
        { SECTION_MEMORY, "hugepages", config_parse_hugepages, 0, NULL,
          "yes (the host's default size), 2M, 1G, no" },
        { SECTION_NETWORK, "mode", config_parse_enum, P(network), network_mode_table, "user, none, bridge" },
        { SECTION_NETWORK, "bridge", config_parse_ifname, P(bridge), NULL, "a bridge interface name such as br0" },
        { SECTION_HOST, "display-manager", config_parse_display_manager, P(display_manager), NULL, "auto, none, or a unit name such as gdm.service" },
        { SECTION_HOST, "stop-units", config_parse_units, P(stop_units), NULL, "unit names separated by spaces, e.g. nvidia-persistenced.service" },
        { SECTION_HOST, "end-sessions", config_parse_enum, P(end_sessions), end_sessions_table, "seat, none" },
        { SECTION_HOST, "timeout-release", config_parse_unsigned, P(timeout_release), &range_release, "seconds, 1 to 600" },
        { SECTION_HOST, "allow-classes", config_parse_allow_classes, P(allow_classes), NULL, "storage, network (devices the host lives on; only if really meant)" },
        { SECTION_QEMU, "binary", config_parse_path, P(qemu_binary), NULL, "an absolute path" },
        { SECTION_QEMU, "user", config_parse_user, P(qemu_user), NULL, "a user name (default vmrun; root only to opt out of the sandbox)" },
        { SECTION_QEMU, "timeout-shutdown", config_parse_unsigned, P(timeout_shutdown), &range_timeout, "seconds, 1 to 3600" },
};

static int section_parse(const char *text, SectionKind *ret_kind, char **ret_label) {
        for (SectionKind k = 0; k < _SECTION_MAX; k++) {
                const char *rest = startswith(text, sections[k].name);

                if (!rest)
                        continue;
                if (*rest == '\0') {
                        *ret_kind = k;
                        *ret_label = NULL;
                        return 0;
                }
                if (sections[k].repeatable && *rest == ' ') {
                        rest += strspn(rest, " ");
                        if (!vm_name_is_valid(rest))
                                return -EINVAL;
                        if (strlen(rest) > DISK_NAME_MAX)
                                return -ENAMETOOLONG;
                        *ret_label = strdup(rest);
                        if (!*ret_label)
                                return -ENOMEM;
                        *ret_kind = k;
                        return 0;
                }
        }
        return -ENOENT;
}

static const char *skip_space(const char *s) {
        return s + strspn(s, " \t\r\n");
}

/* A line that is neither blank, a comment nor a header must at least look
 * like a key. */
static void reader_check_key_line(ParseState *st, const char *s) {
        const char *eq = strpbrk(s, "=:");

        if (!eq || eq == s)
                parse_error(st, "expected 'key = value' or '[section]', got '%.*s'",
                            (int) (strcspn(s, "\r\n") > QUOTE_MAX ? QUOTE_MAX : strcspn(s, "\r\n")), s);
}

/* Every header starts a new instance, even one that is refused: its keys
 * must not go to the section before it. */
static void section_start(ParseState *st) {
        st->section_serial++;
        st->section_line = st->line;
        st->section_valid = false;
        free(st->section_label);
        st->section_label = NULL;
}

/* Reads "[name]" at `s` into the section's kind and label: negative when
 * it is refused (said) or memory ran out (st->oom). */
static int section_header_read(ParseState *st, const char *s) {
        size_t n;
        int r;

        n = strcspn(s + 1, "]");
        if (s[1 + n] != ']') {
                parse_error(st, "section header without closing ']'");
                return -EINVAL;
        }
        _cleanup_free_ char *name = strndup(s + 1, n);
        if (!name)
                return parse_oom(st);
        r = section_parse(name, &st->section_kind, &st->section_label);
        if (r == -ENOMEM)
                return parse_oom(st);
        if (r == -ENAMETOOLONG) {
                parse_error(st, "[%s]: a disk's name has at most %u characters (it is its NVMe serial number)", name,
                            DISK_NAME_MAX);
                return r;
        }
        if (r < 0) {
                char known[256];
                parse_error(st, "unknown section [%s]; known: %s", name, sections_to_string(known));
                return r;
        }
        if (st->seen[st->section_kind] && !sections[st->section_kind].repeatable) {
                parse_error(st, "section [%s] given twice", name);
                return -EEXIST;
        }
        st->seen[st->section_kind] = true;
        return 0;
}

/* [disk] and [disk NAME]: a new disk, named by its label or its place. */
static int disk_add(ParseState *st) {
        Profile *p = st->profile;
        ProfileDisk *d = reallocarray(p->disks, p->n_disks + 1, sizeof(ProfileDisk));

        if (!d)
                return parse_oom(st);
        p->disks = d;
        d = &p->disks[p->n_disks];
        *d = (ProfileDisk) { .interface = DISK_VIRTIO, .line = st->line };
        if (st->section_label)
                d->id = strdup(st->section_label);
        else if (asprintf(&d->id, "disk%zu", p->n_disks) < 0)
                d->id = NULL;
        if (!d->id)
                return parse_oom(st);
        for (size_t i = 0; i < p->n_disks; i++)
                if (streq(p->disks[i].id, d->id)) {
                        parse_error(st, "[disk %s] given twice (first at line %u)", d->id, p->disks[i].line);
                        free(d->id);
                        st->section_valid = false;
                        return -EEXIST;
                }
        p->n_disks++;
        st->disk = d;
        return 0;
}

/* inih hands us lines through this reader, which lets us count lines (the
 * Debian build of inih does not pass line numbers to the handler) and see
 * section headers, which inih only reports once a key follows. */
static void reader_see_line(ParseState *st, const char *line) {
        const char *s = skip_space(line);

        if (*s == '\0' || *s == ';' || *s == '#')
                return;
        if (*s != '[') {
                /* upstream's libinih reads it as more of the key above */
                if (!VMRUN_INIH_RUNTIME_OPTIONS && s != line && st->section_serial > 0)
                        parse_error(st, "an indented line: this build's libinih would take it as more of the value "
                                    "above (upstream's INI_ALLOW_MULTILINE); remove the indentation");
                else
                        reader_check_key_line(st, s);
                return;
        }

        section_start(st);
        if (section_header_read(st, s) < 0)
                return;
        if (st->section_kind == SECTION_GPU)
                st->profile->has_gpu = true;
        if (st->section_kind == SECTION_DISK && disk_add(st) < 0)
                return;
        /* only now: keys of a section whose set-up failed go nowhere */
        st->section_valid = true;
}

static void skip_rest_of_line(ParseState *st) {
        int c;

        while ((c = getc(st->f)) != EOF && c != '\n')
                ;
}

static char *reader(char *str, int num, void *stream) {
        ParseState *st = stream;
        bool nul = false, newline = false;
        int n = 0;

        /* not fgets(): a NUL byte would end the line for inih and for us
         * with no word said, and what follows it would vanish */
        while (n < num - 1 && !newline) {
                int c = getc(st->f);

                if (c == EOF)
                        break;
                if (c == '\0') {
                        nul = true;
                        c = ' ';
                }
                str[n++] = (char) c;
                newline = c == '\n';
        }
        if (n == 0)
                return NULL;
        str[n] = '\0';

        if (st->at_line_start) {
                st->line++;
                st->item = NULL;
                st->nul_reported = false;
                reader_see_line(st, str);
        }
        if (nul && !st->nul_reported) {
                parse_error(st, "a NUL byte: a profile is text");
                st->nul_reported = true;
        }
        /* a long line comes in several pieces; only a newline ends it */
        st->at_line_start = newline;
        if (!VMRUN_INIH_RUNTIME_OPTIONS && !newline && n == num - 1) {
                /* the rest would come to inih as a line of its own (before
                 * r58), or be discarded with the next line (since) */
                parse_error(st, "a line longer than %d characters, the most this build's libinih reads (upstream's "
                            "INI_MAX_LINE); shorten it, or build vmrun with a libinih that takes longer lines",
                            num - 2);
                skip_rest_of_line(st);
                st->at_line_start = true;
                /* handed on as an empty line: inih since r58 would
                 * otherwise discard up to the next newline itself, and
                 * that is the line after this one */
                str[0] = '\n';
                str[1] = '\0';
        }
        return str;
}

static int handler(void *user, const char *section, const char *key, const char *value) {
        ParseState *st = user;
        const ConfigItem *item = NULL;
        void *base;

        /* inih hands keys before the first header over with section "" */
        if (st->section_serial == 0) {
                char known[256];
                parse_error(st, "'%s' is outside of any section; it belongs under one of %s", key,
                            sections_to_string(known));
                return 1;
        }
        if (!st->section_valid)
                return 1;       /* the header was already reported */

        for (size_t i = 0; i < ELEMENTSOF(config_items); i++)
                if (config_items[i].section == st->section_kind && streq(config_items[i].key, key)) {
                        item = &config_items[i];
                        break;
                }
        if (!item) {
                _cleanup_free_ char *list = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&list, &len);

                if (!m) {
                        st->oom = true;
                        return 0;
                }
                for (size_t i = 0; i < ELEMENTSOF(config_items); i++)
                        if (config_items[i].section == st->section_kind)
                                fprintf(m, "%s%s", ftell(m) > 0 ? ", " : "", config_items[i].key);
                fclose(m);
                parse_error(st, "unknown key '%s' in [%s]; known keys: %s", key, section, strempty(list));
                return 1;
        }

        for (size_t i = 0; i < st->n_keys; i++)
                if (st->keys[i].serial == st->section_serial && streq(st->keys[i].key, key)) {
                        parse_error(st, "[%s] %s given twice (first at line %u)", section, key, st->keys[i].line);
                        return 1;
                }
        void *k = reallocarray(st->keys, st->n_keys + 1, sizeof(*st->keys));
        if (!k) {
                st->oom = true;
                return 0;
        }
        st->keys = k;
        st->keys[st->n_keys].serial = st->section_serial;
        st->keys[st->n_keys].line = st->line;
        st->keys[st->n_keys].key = strdup(key);
        if (!st->keys[st->n_keys].key) {
                st->oom = true;
                return 0;
        }
        st->n_keys++;

        base = item->section == SECTION_DISK ? (void *) st->disk : (void *) st->profile;
        st->item = item;
        /* every text value may end up in a JSON string, which must be UTF-8 */
        if (!text_is_utf8(value))
                (void) item_error(st, value, "is not valid UTF-8");
        else
                (void) item->parse(st, value, (uint8_t *) base + item->offset, item->arg);
        st->item = NULL;
        return 1;
}

static void check_profile(ParseState *st) {
        Profile *p = st->profile;
        unsigned sata = 0;

        /* Errors about a section as a whole point at its header line. */
        st->item = NULL;

        if (p->has_gpu && !p->gpu_address) {
                st->line = st->section_lines[SECTION_GPU];
                parse_error(st, "[gpu] needs address = (the GPU's PCI address, see lspci -D)");
        }
        if (p->gpu_address && p->gpu_functions && strv_contains(p->gpu_functions, p->gpu_address)) {
                st->line = st->section_lines[SECTION_GPU];
                parse_error(st, "[gpu] functions lists the GPU itself (%s)", p->gpu_address);
        }
        for (size_t i = 0; i < p->n_disks; i++) {
                ProfileDisk *d = &p->disks[i];

                if (!d->file) {
                        st->line = d->line;
                        parse_error(st, "this [disk] section needs file = (the image's absolute path)");
                        continue;
                }
                /* QEMU would refuse the second: the first holds its lock */
                for (size_t j = 0; j < i; j++)
                        if (streq_ptr(p->disks[j].file, d->file)) {
                                st->line = d->line;
                                parse_error(st, "[disk %s] has the file of [disk %s] (line %u): %s", d->id,
                                            p->disks[j].id, p->disks[j].line, d->file);
                                break;
                        }
                if (d->interface == DISK_SATA && ++sata > 6) {
                        st->line = d->line;
                        parse_error(st, "[disk %s] is a seventh sata disk; q35's AHCI controller has six ports (use virtio or nvme)",
                                    d->id);
                }
                if (!d->format) {
                        size_t l = strlen(d->file);
                        /* only the name decides, never the content: QEMU is
                         * always told the format, so a raw image cannot pose
                         * as qcow2 */
                        d->format = strdup(l > 6 && streq(d->file + l - 6, ".qcow2") ? "qcow2" : "raw");
                        if (!d->format)
                                st->oom = true;
                }
        }
        if (p->cpu_pin.n > 0 && p->cpu_pin.n != p->cpus) {
                st->line = st->section_lines[SECTION_CPU];
                parse_error(st, "[cpu] pin lists %zu host CPUs for %u vCPUs ([vm] cpus); give one per vCPU",
                            p->cpu_pin.n, p->cpus);
        }
        if (p->hugepages && p->hugepage_size > 0 && p->memory % p->hugepage_size != 0) {
                st->line = st->section_lines[SECTION_MEMORY];
                parse_error(st, "[memory] hugepages = %s: [vm] memory = %" PRIu64 "M is not a whole number of such pages",
                            p->hugepage_size == 1ULL << 30 ? "1G" : "2M", p->memory >> 20);
        }
        if ((p->initrd || p->append) && !p->kernel) {
                st->line = st->section_lines[SECTION_BOOT];
                parse_error(st, "[boot] initrd and append need kernel =");
        }
        if (p->network == NETWORK_BRIDGE && !p->bridge && !(p->bridge = strdup("br0")))
                st->oom = true;
        if (p->bridge && p->network != NETWORK_BRIDGE) {
                st->line = st->section_lines[SECTION_NETWORK];
                parse_error(st, "[network] bridge = is only used with mode = bridge");
        }
}

/* Remember where the single-instance sections start, for check_profile(). */
static void note_section_lines(ParseState *st) {
        if (st->section_valid)
                st->section_lines[st->section_kind] = st->section_line;
}

static char *reader_tracking(char *str, int num, void *stream) {
        ParseState *st = stream;
        unsigned serial = st->section_serial;
        char *s = reader(str, num, stream);

        if (s && serial != st->section_serial)
                note_section_lines(st);
        return s;
}

static int default_name(const char *path, char **ret) {
        _cleanup_free_ char *copy = strdup(path);
        char *b;
        size_t l;

        if (!copy)
                return -ENOMEM;
        b = basename(copy);
        l = strlen(b);
        if (l > 8 && streq(b + l - 8, ".profile"))
                b[l - 8] = '\0';
        if (!vm_name_is_valid(b))
                return -EINVAL;
        *ret = strdup(b);
        return *ret ? 0 : -ENOMEM;
}

static int profile_parse(const char *path, FILE *f, Profile **ret) {
        _cleanup_profile_ Profile *p = NULL;
        ParseState st = { .path = path, .f = f, .at_line_start = true };
        int r;

        p = calloc(1, sizeof(Profile));
        if (!p)
                return log_oom();
        *p = (Profile) {
                .memory = 2ULL << 30,
                .cpus = 2,
                .accel = ACCEL_KVM,
                .firmware = FIRMWARE_UEFI,
                .os = GUEST_OS_OTHER,
                .gpu_subsystem = GPU_SUBSYSTEM_HOST,
                .network = NETWORK_USER,
                .timeout_shutdown = 120,
                .timeout_release = 30,
        };
        p->path = strdup(path);
        p->qemu_binary = strdup("/usr/bin/qemu-system-x86_64");
        p->display_manager = strdup("auto");
        p->qemu_user = strdup("vmrun");
        if (!p->path || !p->qemu_binary || !p->display_manager || !p->qemu_user)
                return log_oom();
        st.profile = p;

#if VMRUN_INIH_RUNTIME_OPTIONS
        /* Lines of any length (a kernel command line can be long), and no
         * multi-line values: an indented line is a mistake, not a value.
         * Upstream's libinih fixes both when it is built: reader() says
         * what that build cannot read. */
        ini_use_stack = false;
        ini_allow_realloc = true;
        ini_max_line = PROFILE_LINE_MAX;
        ini_allow_multiline = false;
#endif

        r = ini_parse_stream(reader_tracking, &st, handler, &st);
        if (r == -2)
                st.oom = true;

        if (!st.oom)
                check_profile(&st);

        for (size_t i = 0; i < st.n_keys; i++)
                free(st.keys[i].key);
        free(st.keys);
        free(st.section_label);

        if (st.oom)
                return log_oom();
        if (st.errors > 0)
                return log_error_errno(-EINVAL, "%s: %u error%s, nothing was started", path, st.errors,
                                       st.errors == 1 ? "" : "s");

        if (!p->name) {
                r = default_name(path, &p->name);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return log_error_errno(r, "%s: cannot make a VM name from the file name; set [vm] name =", path);
        }

        *ret = TAKE_PTR(p);
        return 0;
}

/* Who is meant to own the profile and the directories above it, as
 * chown(1) and messages say it. */
typedef struct Owner {
        uid_t uid;
        char chown[32];         /* "root:root" */
        char name[32];          /* "root" */
} Owner;

static void owner_init(Owner *o, uid_t uid) {
        o->uid = uid;
        if (uid == 0) {
                strcpy(o->chown, "root:root");
                strcpy(o->name, "root");
        } else {
                snprintf(o->chown, sizeof o->chown, "%u", (unsigned) uid);
                snprintf(o->name, sizeof o->name, "uid %u", (unsigned) uid);
        }
}

static int path_parent(const char *path, char **ret) {
        const char *slash = strrchr(path, '/');
        char *d;

        if (!slash)
                d = strdup(".");
        else
                d = strndup(path, slash == path ? 1 : (size_t) (slash - path));
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

/* Each directory from `dir` (absolute, free of symlinks) up to /: whoever
 * may write to one can rename what is in it, and so put a profile of
 * theirs, or a directory holding one, where vmrun looks. */
static int check_directories(const char *path, const char *dir, const Owner *o) {
        _cleanup_free_ char *d = strdup(dir);

        if (!d)
                return log_oom();
        for (;;) {
                struct stat st;
                char *slash;
                int r;

                if (lstat(d, &st) < 0) {
                        r = negative_errno();
                        return log_error_errno(r, "refusing profile %s: cannot check the directory %s: %s", path, d,
                                               STRERROR(r));
                }
                if (st.st_uid != 0 && st.st_uid != o->uid)
                        return log_error_errno(-EPERM, "refusing profile %s: the directory %s belongs to uid %u, who can "
                                               "replace what is in it. Fix: chown %s %s, or keep the profile in /etc/vmrun",
                                               path, d, (unsigned) st.st_uid, o->chown, d);
                if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
                        return log_error_errno(-EPERM, "refusing profile %s: the directory %s is writable by %s (mode %04o) "
                                               "without the sticky bit, so anyone there can replace the profile. "
                                               "Fix: chmod go-w %s",
                                               path, d, st.st_mode & S_IWOTH ? "everyone" : "its group",
                                               (unsigned) (st.st_mode & 07777), d);
                if (streq(d, "/"))
                        return 0;
                slash = strrchr(d, '/');
                slash[slash == d ? 1 : 0] = '\0';
        }
}

int profile_check_trusted(int fd, const char *path, uid_t owner) {
        _cleanup_free_ char *real = NULL, *real_dir = NULL, *dir = NULL, *link_dir = NULL;
        struct stat st, rst;
        Owner o;
        int r;

        owner_init(&o, owner);
        if (fstat(fd, &st) < 0) {
                r = negative_errno();
                return log_error_errno(r, "stat profile %s: %s", path, STRERROR(r));
        }
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EPERM, "refusing profile %s: it is not a regular file", path);
        if (st.st_uid != owner)
                return log_error_errno(-EPERM, "refusing profile %s: it is owned by uid %u, not by %s; whoever can edit "
                                       "it can make vmrun, running as root, unbind devices, load modules and run "
                                       "any program. Fix: chown %s %s; chmod go-w %s",
                                       path, (unsigned) st.st_uid, o.name, o.chown, path, path);
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return log_error_errno(-EPERM, "refusing profile %s: it is writable by %s (mode %04o); whoever can edit "
                                       "it can make vmrun, running as root, do what it says. Fix: chmod go-w %s",
                                       path, st.st_mode & S_IWOTH ? "everyone" : "its group",
                                       (unsigned) (st.st_mode & 07777), path);

        /* where the file really is: a symlink is judged by where it leads */
        real = realpath(path, NULL);
        if (!real) {
                r = negative_errno();
                return log_error_errno(r, "refusing profile %s: cannot resolve its path: %s", path, STRERROR(r));
        }
        if (stat(real, &rst) < 0 || rst.st_dev != st.st_dev || rst.st_ino != st.st_ino)
                return log_error_errno(-EPERM, "refusing profile %s: it was replaced while vmrun read it", path);
        if (path_parent(real, &real_dir) < 0)
                return log_oom();
        r = check_directories(path, real_dir, &o);
        if (r < 0)
                return r;

        /* ...and by the directory it was named in, which holds the symlink */
        if (path_parent(path, &dir) < 0)
                return log_oom();
        link_dir = realpath(dir, NULL);
        if (!link_dir) {
                r = negative_errno();
                return log_error_errno(r, "refusing profile %s: cannot resolve %s: %s", path, dir, STRERROR(r));
        }
        if (!streq(link_dir, real_dir))
                return check_directories(path, link_dir, &o);
        return 0;
}

int profile_load_full(const char *path, ProfileLoadFlags flags, Profile **ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        int r;

        if (!f) {
                r = negative_errno();
                return log_error_errno(r, "cannot open profile %s: %s", path, STRERROR(r));
        }
        /* checked on what was opened, so what is read is what was checked */
        if (flags & PROFILE_LOAD_STRICT_MODES) {
                r = profile_check_trusted(fileno(f), path, 0);
                if (r < 0)
                        return r;
        }
        return profile_parse(path, f, ret);
}

int profile_load(const char *path, Profile **ret) {
        return profile_load_full(path, geteuid() == 0 ? PROFILE_LOAD_STRICT_MODES : 0, ret);
}

int profile_load_buffer(const char *path, const void *data, size_t size, Profile **ret) {
        /* fmemopen(NULL, ...) would allocate a buffer of its own */
        _cleanup_fclose_ FILE *f = fmemopen((void *) (data ? data : ""), size, "r");

        if (!f)
                return log_oom();
        return profile_parse(path, f, ret);
}

int profile_load_string(const char *path, const char *text, Profile **ret) {
        return profile_load_buffer(path, text, strlen(text), ret);
}
