/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ini.h>
#include <libgen.h>

#include "basic/log.h"
#include "basic/parse.h"
#include "basic/strv.h"
#include "basic/text.h"
#include "profile/conf-parser.h"
#include "profile/items.h"
#include "profile/reader.h"

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

        for (size_t i = 0; i < n_config_items; i++)
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
                for (size_t i = 0; i < n_config_items; i++)
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
        if (p->gpu_rom_acpi == GPU_ROM_ACPI_YES && !p->gpu_rom) {
                st->line = st->section_lines[SECTION_GPU];
                parse_error(st, "[gpu] rom-acpi = yes needs rom = (the vBIOS file that _ROM serves; `vmrun rom dump` "
                                "saves it)");
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

int profile_parse(const char *path, FILE *f, Profile **ret) {
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
