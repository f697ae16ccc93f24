/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "qemu/firmware.h"
#include "basic/log.h"

const char *const firmware_default_dirs[] = {
        "/usr/share/qemu/firmware",
        "/etc/qemu/firmware",
        NULL,
};

Firmware *firmware_free(Firmware *f) {
        if (!f)
                return NULL;
        free(f->descriptor);
        free(f->description);
        free(f->code);
        free(f->code_format);
        free(f->vars_template);
        free(f->vars_format);
        free(f);
        return NULL;
}

/* ---- the descriptor, read table-driven ---- */

typedef struct FlashFile {
        const char *filename;
        const char *format;
} FlashFile;

/* Every pointer borrows from the JSON document, which outlives it. */
typedef struct Descriptor {
        const char *description;
        json_t *interface_types;        /* array of strings */
        const char *device;
        const char *mode;               /* NULL means "split" */
        FlashFile executable;
        FlashFile nvram_template;       /* .filename NULL if absent */
        json_t *targets;                /* array of { architecture, machines } */
        json_t *features;               /* array of strings */
} Descriptor;

/* p points at the field the table entry names (base + offset). */
typedef int (*DispatchFunc)(const char *path, const char *name, json_t *v, void *p);

typedef struct DispatchField {
        const char *name;
        json_type type;
        DispatchFunc func;
        size_t offset;
        bool mandatory;
} DispatchField;

static const char *json_type_to_string(json_type t) {
        switch (t) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "unknown";
}

/* Keys the table does not name are ignored: the schema grows, and a
 * descriptor written for a newer QEMU should still be usable. */
static int json_dispatch(const char *path, const char *where, json_t *o, const DispatchField table[], void *base) {
        int r;

        if (!json_is_object(o))
                return log_debug_errno(-EBADMSG, "%s: %s is %s, not an object", path, where,
                                       json_type_to_string(json_typeof(o)));

        for (const DispatchField *f = table; f->name; f++) {
                json_t *v = json_object_get(o, f->name);

                if (!v) {
                        if (f->mandatory)
                                return log_debug_errno(-EBADMSG, "%s: %s lacks the mandatory key \"%s\"",
                                                       path, where, f->name);
                        continue;
                }
                if (json_typeof(v) != f->type)
                        return log_debug_errno(-EBADMSG, "%s: \"%s\" is %s, not %s", path, f->name,
                                               json_type_to_string(json_typeof(v)), json_type_to_string(f->type));
                r = f->func(path, f->name, v, (uint8_t *) base + f->offset);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dispatch_string(_unused_ const char *path, _unused_ const char *name, json_t *v, void *p) {
        *(const char **) p = json_string_value(v);
        return 0;
}

static int check_strings(const char *path, const char *name, json_t *array) {
        size_t i;
        json_t *e;

        json_array_foreach(array, i, e)
                if (!json_is_string(e))
                        return log_debug_errno(-EBADMSG, "%s: \"%s\" item %zu is %s, not a string", path, name,
                                               i, json_type_to_string(json_typeof(e)));
        return 0;
}

/* for keys we check but have no use for */
static int dispatch_check_strings(const char *path, const char *name, json_t *v, _unused_ void *p) {
        return check_strings(path, name, v);
}

static int dispatch_strings(const char *path, const char *name, json_t *v, void *p) {
        int r = check_strings(path, name, v);
        if (r < 0)
                return r;
        *(json_t **) p = v;
        return 0;
}

/* The format becomes the driver of QEMU's -blockdev for the image
 * (qemu_argv.c), so only the two formats firmware ships in are taken. */
static int dispatch_flash_file(const char *path, const char *name, json_t *v, void *p) {
        FlashFile *f = p, t = { 0 };
        json_error_t e;

        if (json_unpack_ex(v, &e, 0, "{s:s, s:s}", "filename", &t.filename, "format", &t.format) < 0)
                return log_debug_errno(-EBADMSG, "%s: \"%s\": %s", path, name, e.text);
        if (t.filename[0] != '/')
                return log_debug_errno(-EBADMSG, "%s: \"%s\": file name %s is not absolute", path, name,
                                       t.filename);
        if (!streq(t.format, "raw") && !streq(t.format, "qcow2"))
                return log_debug_errno(-EOPNOTSUPP, "%s: \"%s\": format %s is neither raw nor qcow2", path,
                                       name, t.format);
        *f = t;
        return 0;
}

static int dispatch_targets(const char *path, const char *name, json_t *v, void *p) {
        size_t i;
        json_t *t;
        int r;

        json_array_foreach(v, i, t) {
                const char *arch;
                json_t *machines;
                json_error_t e;

                if (json_unpack_ex(t, &e, 0, "{s:s, s:o}", "architecture", &arch, "machines", &machines) < 0)
                        return log_debug_errno(-EBADMSG, "%s: \"%s\" item %zu: %s", path, name, i, e.text);
                if (!json_is_array(machines))
                        return log_debug_errno(-EBADMSG, "%s: \"%s\" item %zu: \"machines\" is %s, not an array",
                                               path, name, i, json_type_to_string(json_typeof(machines)));
                r = check_strings(path, "machines", machines);
                if (r < 0)
                        return r;
        }
        *(json_t **) p = v;
        return 0;
}

static int dispatch_mapping(const char *path, _unused_ const char *name, json_t *v, void *p) {
        static const DispatchField device_table[] = {
                { "device", JSON_STRING, dispatch_string, offsetof(Descriptor, device), true },
                { 0 },
        };
        /* "executable" is mandatory only for flash, so flash gets its
         * own table once the device is known. */
        static const DispatchField flash_table[] = {
                { "mode",           JSON_STRING, dispatch_string,     offsetof(Descriptor, mode),           false },
                { "executable",     JSON_OBJECT, dispatch_flash_file, offsetof(Descriptor, executable),     true  },
                { "nvram-template", JSON_OBJECT, dispatch_flash_file, offsetof(Descriptor, nvram_template), false },
                { 0 },
        };
        Descriptor *d = p;
        int r;

        r = json_dispatch(path, "\"mapping\"", v, device_table, d);
        if (r < 0)
                return r;
        if (!streq(d->device, "flash"))
                return log_debug_errno(-EOPNOTSUPP, "%s: mapping device is \"%s\", not \"flash\"", path, d->device);

        r = json_dispatch(path, "\"mapping\"", v, flash_table, d);
        if (r < 0)
                return r;
        /* combined: code and variables in one writable image; stateless:
         * no variable store at all (the SEV and TDX builds). QEMU is given
         * a read-only code image and a per-VM copy of the template. */
        if (d->mode && !streq(d->mode, "split"))
                return log_debug_errno(-EOPNOTSUPP, "%s: flash mode is \"%s\", not \"split\"", path, d->mode);
        return 0;
}

static const DispatchField descriptor_table[] = {
        { "description",     JSON_STRING, dispatch_string,        offsetof(Descriptor, description),     true  },
        { "interface-types", JSON_ARRAY,  dispatch_strings,       offsetof(Descriptor, interface_types), true  },
        { "mapping",         JSON_OBJECT, dispatch_mapping,       0,                                     true  },
        { "targets",         JSON_ARRAY,  dispatch_targets,       offsetof(Descriptor, targets),         true  },
        { "features",        JSON_ARRAY,  dispatch_strings,       offsetof(Descriptor, features),        true  },
        { "tags",            JSON_ARRAY,  dispatch_check_strings, 0,                                     false },
        { 0 },
};

static bool strings_contain(json_t *array, const char *s) {
        size_t i;
        json_t *e;

        json_array_foreach(array, i, e)
                if (streq(json_string_value(e), s))
                        return true;
        return false;
}

static int descriptor_load_fd(int fd, const char *path, json_t **ret_root, Descriptor *ret) {
        _cleanup_json_ json_t *root = NULL;
        Descriptor d = { 0 };
        json_error_t e;
        int r;

        root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &e);
        if (!root) {
                if (json_error_code(&e) == json_error_out_of_memory)
                        return -ENOMEM;
                return log_debug_errno(-EBADMSG, "%s:%d:%d: %s", path, e.line, e.column, e.text);
        }

        r = json_dispatch(path, "the descriptor", root, descriptor_table, &d);
        if (r < 0)
                return r;

        *ret_root = TAKE_PTR(root);
        *ret = d;
        return 0;
}

static int firmware_new(const char *path, const Descriptor *d, Firmware **ret) {
        _cleanup_firmware_ Firmware *f = NULL;

        f = calloc(1, sizeof(Firmware));
        if (!f)
                return -ENOMEM;

        f->descriptor = strdup(path);
        f->description = strdup(d->description);
        f->code = strdup(d->executable.filename);
        f->code_format = strdup(d->executable.format);
        if (!f->descriptor || !f->description || !f->code || !f->code_format)
                return -ENOMEM;
        if (d->nvram_template.filename) {
                f->vars_template = strdup(d->nvram_template.filename);
                f->vars_format = strdup(d->nvram_template.format);
                if (!f->vars_template || !f->vars_format)
                        return -ENOMEM;
        }
        f->requires_smm = strings_contain(d->features, "requires-smm");
        f->secure_boot = strings_contain(d->features, "secure-boot");
        f->enrolled_keys = strings_contain(d->features, "enrolled-keys");

        *ret = TAKE_PTR(f);
        return 0;
}

int firmware_load(const char *path, Firmware **ret) {
        _cleanup_json_ json_t *root = NULL;
        _cleanup_close_ int fd = -1;
        Descriptor d = { 0 };
        int r;

        assert(path);
        assert(ret);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_debug_errno(negative_errno(), "open %s: %s", path, STRERROR(errno));

        r = descriptor_load_fd(fd, path, &root, &d);
        if (r < 0)
                return r;
        return firmware_new(path, &d, ret);
}

/* ---- the search ---- */

/* An unversioned machine is QEMU's alias for its newest versioned one,
 * which descriptors name by glob ("pc-q35-*"); a far-future version
 * stands in for whichever QEMU is installed. */
static const struct {
        const char *alias;
        const char *versioned;
} machine_aliases[] = {
        { "q35", "pc-q35-99.0"    },
        { "pc",  "pc-i440fx-99.0" },
};

static bool machine_matches(const char *glob, const char *machine) {
        if (fnmatch(glob, machine, 0) == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(machine_aliases); i++)
                if (streq(machine, machine_aliases[i].alias))
                        return fnmatch(glob, machine_aliases[i].versioned, 0) == 0;
        return false;
}

static bool descriptor_has_target(const Descriptor *d, const char *arch, const char *machine) {
        size_t i, j;
        json_t *t, *m;

        json_array_foreach(d->targets, i, t) {
                if (!streq(json_string_value(json_object_get(t, "architecture")), arch))
                        continue;
                json_array_foreach(json_object_get(t, "machines"), j, m)
                        if (machine_matches(json_string_value(m), machine))
                                return true;
        }
        return false;
}

/* How well a usable descriptor fits: 0 is best, higher is worse; or
 * -EOPNOTSUPP when it does not fit at all. */
static int descriptor_rank(const char *path, const Descriptor *d, FirmwareKind kind, const char *machine) {
        static const char *const confidential[] = { "amd-sev-snp", "intel-tdx" };
        bool smm, sb, keys;

        if (!strings_contain(d->interface_types, "uefi"))
                return log_debug_errno(-EOPNOTSUPP, "%s: not UEFI", path);
        if (!descriptor_has_target(d, "x86_64", machine))
                return log_debug_errno(-EOPNOTSUPP, "%s: no x86_64 target for machine %s", path, machine);
        /* Every OVMF build lists "amd-sev" (and often "amd-sev-es") as
         * something it can do; only the builds made for SEV-SNP or TDX
         * guests list these, and they do not boot an ordinary VM. */
        for (size_t i = 0; i < ELEMENTSOF(confidential); i++)
                if (strings_contain(d->features, confidential[i]))
                        return log_debug_errno(-EOPNOTSUPP, "%s: built for confidential guests (%s)", path,
                                               confidential[i]);
        /* QEMU always gets a variable store, copied once from the template. */
        if (!d->nvram_template.filename)
                return log_debug_errno(-EOPNOTSUPP, "%s: no nvram-template", path);

        smm = strings_contain(d->features, "requires-smm");
        sb = strings_contain(d->features, "secure-boot");
        keys = strings_contain(d->features, "enrolled-keys");

        switch (kind) {
        case FIRMWARE_UEFI:
                /* Enrolled keys turn Secure Boot on, and unsigned guests
                 * would no longer boot. Secure Boot without keys is in
                 * setup mode and boots anything, so it will do; SMM costs
                 * some speed and needs -machine smm=on. */
                if (keys)
                        return log_debug_errno(-EOPNOTSUPP, "%s: Secure Boot keys enrolled", path);
                return (smm ? 2 : 0) + (sb ? 1 : 0);

        case FIRMWARE_UEFI_SECURE:
                if (!sb || !keys)
                        return log_debug_errno(-EOPNOTSUPP, "%s: no Secure Boot with enrolled keys", path);
                /* Without SMM the guest OS can write the variable store
                 * directly, keys included. */
                return smm ? 0 : 1;

        default:
                assert_not_reached();
        }
}

typedef struct Candidate {
        char *path;
        const char *name;       /* in path */
} Candidate;

typedef struct Candidates {
        Candidate *v;
        size_t n;
} Candidates;

static void candidates_done(Candidates *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->v[i].path);
        free(c->v);
        *c = (Candidates) { 0 };
}

static int candidates_add(Candidates *c, const char *dir, const char *name) {
        _cleanup_free_ char *path = NULL;
        Candidate *v;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;

        /* The same name in a later (higher priority) directory replaces
         * the earlier one, whatever is in it. */
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->v[i].name, name)) {
                        free(c->v[i].path);
                        c->v[i].path = TAKE_PTR(path);
                        c->v[i].name = c->v[i].path + strlen(dir) + 1;
                        return 0;
                }

        v = reallocarray(c->v, c->n + 1, sizeof(Candidate));
        if (!v)
                return -ENOMEM;
        c->v = v;
        c->v[c->n].name = path + strlen(dir) + 1;
        c->v[c->n].path = TAKE_PTR(path);
        c->n++;
        return 0;
}

static int candidate_compare(const void *a, const void *b) {
        return strcmp(((const Candidate *) a)->name, ((const Candidate *) b)->name);
}

static int candidates_add_dir(Candidates *c, const char *dir) {
        _cleanup_(closedirp) DIR *d = NULL;
        int r;

        d = opendir(dir);
        if (!d) {
                /* most of the default directories do not exist */
                log_debug("%s: %s, skipped", dir, STRERROR(errno));
                return 0;
        }

        for (;;) {
                struct dirent *de;
                const char *e;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                log_debug("%s: %s, the rest of it skipped", dir, STRERROR(errno));
                        return 0;
                }
                if (de->d_name[0] == '.' || de->d_type == DT_DIR)
                        continue;
                e = strrchr(de->d_name, '.');
                if (!e || !streq(e, ".json"))
                        continue;

                r = candidates_add(c, dir, de->d_name);
                if (r < 0)
                        return r;
        }
}

/* Opens a candidate: -ENOENT if masked (empty, or /dev/null), other
 * errors if unreadable. Logs why at debug level. */
static int candidate_open(const char *path) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        /* O_NONBLOCK: a FIFO dropped into the directory must not hang us */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return log_debug_errno(negative_errno(), "%s: %s, skipped", path, STRERROR(errno));
        if (fstat(fd, &st) < 0)
                return log_debug_errno(negative_errno(), "%s: %s, skipped", path, STRERROR(errno));
        if ((S_ISREG(st.st_mode) && st.st_size == 0) ||
            (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)))
                return log_debug_errno(-ENOENT, "%s: empty, masks descriptors of this name", path);
        if (!S_ISREG(st.st_mode))
                return log_debug_errno(-EBADFD, "%s: not a regular file, skipped", path);
        return TAKE_FD(fd);
}

int firmware_find(const char *const *dirs, FirmwareKind kind, const char *machine, Firmware **ret) {
        _cleanup_(candidates_done) Candidates c = { 0 };
        _cleanup_json_ json_t *best_root = NULL;
        Descriptor best = { 0 };
        const char *best_path = NULL;
        int r, best_rank = -1;

        assert(dirs);
        assert(machine);
        assert(ret);

        if (kind != FIRMWARE_UEFI && kind != FIRMWARE_UEFI_SECURE)
                return -EINVAL;

        for (const char *const *d = dirs; *d; d++) {
                r = candidates_add_dir(&c, *d);
                if (r < 0)
                        return r;
        }
        if (c.n > 0)
                qsort(c.v, c.n, sizeof(Candidate), candidate_compare);

        for (size_t i = 0; i < c.n && best_rank != 0; i++) {
                _cleanup_json_ json_t *root = NULL;
                _cleanup_close_ int fd = -1;
                Descriptor d;
                int rank;

                fd = candidate_open(c.v[i].path);
                if (fd < 0)
                        continue;

                r = descriptor_load_fd(fd, c.v[i].path, &root, &d);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_debug("%s: not a usable descriptor, skipped", c.v[i].path);
                        continue;
                }

                rank = descriptor_rank(c.v[i].path, &d, kind, machine);
                if (rank < 0)
                        continue;
                /* ties go to the earlier file name */
                if (best_rank < 0 || rank < best_rank) {
                        json_decref(best_root);
                        best_root = TAKE_PTR(root);
                        best = d;
                        best_path = c.v[i].path;
                        best_rank = rank;
                }
        }

        if (best_rank < 0) {
                log_debug("no %s firmware for x86_64 %s among %zu descriptor%s", firmware_kind_to_string(kind),
                          machine, c.n, c.n == 1 ? "" : "s");
                return -ENOENT;
        }

        log_debug("%s firmware for %s: %s", firmware_kind_to_string(kind), machine, best_path);
        return firmware_new(best_path, &best, ret);
}
