/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>

#include "basic/test-switch.h"
#include "basic/parse.h"
#include "run/preflight.h"
#include "run/control.h"
#include "host/host.h"
#include "handover/steps.h"
#include "basic/log.h"
#include "plan/plan.h"
#include "profile/profile.h"
#include "qemu/rom.h"
#include "qemu/rom-acpi.h"
#include "qemu/rom-read.h"
#include "run/supervisor.h"

typedef struct Verb {
        const char *name;
        const char *args;       /* for usage lines */
        unsigned min_args, max_args;
        int (*run)(char **args, const Options *o);
        const char *summary;
        const char *help;       /* the verb's own --help, after its usage line */
        bool takes_json, takes_timeout, takes_device;
} Verb;


static int load_plan(const char *arg, Profile **ret_profile, Plan **ret_plan) {
        _cleanup_free_ char *path = NULL;
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        int r;

        r = profile_resolve(arg, &path);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "'%s' is neither a profile file nor a VM name", arg);
        r = profile_load(path, &p);
        if (r < 0)
                return r;
        r = plan_new(p, &plan);
        if (r < 0)
                return r;
        *ret_profile = TAKE_PTR(p);
        *ret_plan = TAKE_PTR(plan);
        return 0;
}

static int verb_run(char **args, _unused_ const Options *o) {
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        if (load_plan(args[0], &p, &plan) < 0)
                return VMRUN_EXIT_USAGE;
        return supervisor_run(plan);
}

static int verb_plan(char **args, const Options *o) {
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;

        if (load_plan(args[0], &p, &plan) < 0)
                return VMRUN_EXIT_USAGE;
        if (o->json) {
                _cleanup_json_ json_t *j = NULL;
                if (plan_to_json(plan, &j) < 0)
                        return log_oom(), VMRUN_EXIT_FAILURE;
                json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                putchar('\n');
        } else
                plan_print(plan, stdout);
        return 0;
}

/* The images and warnings; exit status 0 when the guest can be given the
 * ROM, 1 (with the reason) when not. */
static int report_rom(const Rom *rom, const char *path) {
        printf("%s: %zu bytes, %zu image%s\n", path, rom->size, rom->n_images, rom->n_images == 1 ? "" : "s");
        rom_print(rom, stdout);
        fflush(stdout);
        if (rom_log_warnings(rom, path) < 0) {
                log_error("%s: not usable as the GPU's ROM (see above)", path);
                return VMRUN_EXIT_FAILURE;
        }
        return 0;
}

/* The profile's [gpu] rom, against the GPU's IDs when it is in this host.
 * A missing file is already one of the plan's notes. */
static int check_profile_rom(const HostContext *host, const Profile *p) {
        _cleanup_rom_ Rom *rom = NULL;
        RomExpect expect = { 0 };
        int r;

        if (p->has_gpu && rom_expect_parse(host, p->gpu_address, &expect) < 0)
                expect = (RomExpect) { 0 };
        r = rom_parse_file(p->gpu_rom, &expect, &rom);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "[gpu] rom %s: %s", p->gpu_rom, STRERROR(r));
        r = rom_log_warnings(rom, p->gpu_rom);
        if (r < 0)
                return log_error_errno(r, "[gpu] rom %s: not usable as the GPU's ROM (`vmrun rom check %s%s%s`)",
                                       p->gpu_rom, p->gpu_rom, expect.set ? " --device " : "",
                                       expect.set ? p->gpu_address : "");
        return 0;
}

static int verb_check(char **args, _unused_ const Options *o) {
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_free_ char *rom_acpi = NULL;
        _cleanup_(host_context_done) HostContext host = { .root = host_root() };
        int r = 0;

        if (load_plan(args[0], &p, &plan) < 0)
                return VMRUN_EXIT_USAGE;
        host.allow_classes = p->allow_classes;
        for (size_t i = 0; i < plan->notes.n; i++)
                log_error("%s", plan->notes.v[i]);
        if (plan->notes.n > 0)
                r = -EINVAL;
        /* each holder with its class and what would be done about it; the
         * refused ones come again as errors below */
        for (size_t i = 0; i < plan->holders.n; i++)
                log_info("holder: %s", plan->holders.v[i]);
        plan_log_power(plan);
        /* whether the guest gets a _ROM, and why: not a problem either way */
        if (plan_rom_acpi_summary(plan, &rom_acpi) < 0)
                return log_oom(), VMRUN_EXIT_FAILURE;
        if (rom_acpi)
                log_info("vBIOS via ACPI: %s", rom_acpi);
        /* logs each problem itself, naming the device, process or unit */
        RET_GATHER(r, host_precheck(&host, p, plan->gpu_functions, &plan->steps));
        if (p->gpu_rom)
                RET_GATHER(r, check_profile_rom(&host, p));
        /* a missing user is among the notes */
        if (plan->qemu_user.user)
                RET_GATHER(r, preflight_qemu_access(plan));
        RET_GATHER(r, plan_check_memlock(plan));
        RET_GATHER(r, plan_check_placement(plan));
        if (r < 0) {
                log_error("%s: a start would fail on the above", p->name);
                return VMRUN_EXIT_FAILURE;
        }
        log_info("%s: profile, firmware, files and host are in order; %zu host step%s would run (`vmrun plan %s`)",
                 p->name, plan->steps.n, plan->steps.n == 1 ? "" : "s", args[0]);
        return 0;
}

static int verb_shutdown(char **args, const Options *o) {
        return control_shutdown(args[0], o);
}

static int verb_stop(char **args, const Options *o) {
        return control_stop(args[0], o);
}

static int verb_status(char **args, const Options *o) {
        return control_status(args[0], o);
}

static int verb_list(_unused_ char **args, const Options *o) {
        return control_list(o);
}

static int verb_devices(char **args, const Options *o) {
        return control_devices(args[0], o);
}

static int verb_qmp(char **args, const Options *o) {
        return control_qmp(args[0], args[1], o);
}

static int verb_display(char **args, const Options *o) {
        return control_display(args[0], o);
}

static int verb_restore(char **args, const Options *o) {
        return control_restore(args[0], o);
}

static int verb_rom_dump(char **args, _unused_ const Options *o) {
        _cleanup_(host_context_done) HostContext host = { .root = host_root() };
        _cleanup_(rom_read_done) RomRead rr = { 0 };
        _cleanup_free_ char *address = NULL;
        _cleanup_rom_ Rom *rom = NULL;
        RomExpect expect;
        int r;

        r = pci_address_canonicalize(args[0], &address);
        if (r == -ENOMEM)
                return log_oom(), VMRUN_EXIT_FAILURE;
        if (r < 0) {
                log_error("'%s' is not a PCI address such as 0000:01:00.0 (`lspci -D`)", args[0]);
                return VMRUN_EXIT_USAGE;
        }
        /* logs what went wrong and what to try */
        if (rom_dump(&host, address, args[1], &rr) < 0)
                return VMRUN_EXIT_FAILURE;
        expect = (RomExpect) { .set = true, .vendor = rr.vendor, .device = rr.device };
        if (rom_parse(rr.data, rr.size, &expect, &rom) < 0)
                return log_oom(), VMRUN_EXIT_FAILURE;
        return report_rom(rom, args[1]);
}

static int verb_rom_check(char **args, const Options *o) {
        _cleanup_(host_context_done) HostContext host = { .root = host_root() };
        _cleanup_rom_ Rom *rom = NULL;
        RomExpect expect = { 0 };
        int r;

        if (o->device) {
                r = rom_expect_parse(&host, o->device, &expect);
                if (r == -EINVAL) {
                        log_error("--device %s: give a PCI address (0000:01:00.0) or the IDs as VENDOR:DEVICE "
                                  "(10de:28e0, as `lspci -nn` shows them)", o->device);
                        return VMRUN_EXIT_USAGE;
                }
                if (r == -ENOENT) {
                        log_error("--device %s: no such PCI device on this host; on another machine give its IDs "
                                  "as VENDOR:DEVICE (`lspci -nn` there)", o->device);
                        return VMRUN_EXIT_FAILURE;
                }
                if (r < 0) {
                        log_error_errno(r, "--device %s: cannot read its vendor and device IDs: %s", o->device,
                                        STRERROR(r));
                        return VMRUN_EXIT_FAILURE;
                }
        }
        r = rom_parse_file(args[0], &expect, &rom);
        if (r == -EFBIG) {
                log_error("%s: larger than %u MiB, more than any vBIOS: not a ROM", args[0], ROM_SIZE_MAX / (1024 * 1024));
                return VMRUN_EXIT_FAILURE;
        }
        if (r < 0) {
                log_error_errno(r, "read %s: %s", args[0], STRERROR(r));
                return VMRUN_EXIT_FAILURE;
        }
        return report_rom(rom, args[0]);
}

static int verb_rom_ssdt(char **args, _unused_ const Options *o) {
        _cleanup_(rom_acpi_done) RomAcpi t = { 0 };
        _cleanup_close_ int dir_fd = -1;
        int r;

        r = rom_acpi_build_file(args[0], &t);
        if (r == -EFBIG)
                log_error("%s: more than the %u MiB _ROM serves; is it the vBIOS? (`vmrun rom check %s`)", args[0],
                          ROM_ACPI_SIZE_MAX >> 20, args[0]);
        else if (r == -EINVAL || r == -EBADFD)
                log_error("%s: %s, no vBIOS", args[0], r == -EINVAL ? "empty" : "not a regular file");
        else if (r < 0)
                log_error_errno(r, "read %s: %s", args[0], STRERROR(r));
        if (r < 0)
                return VMRUN_EXIT_FAILURE;
        /* as `rom dump` writes its file: never through a link there */
        dir_fd = open(args[1], O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0) {
                struct stat st;

                if ((errno == ENOTDIR || errno == ELOOP) && lstat(args[1], &st) >= 0 && S_ISLNK(st.st_mode))
                        log_error("%s is a link: vmrun writes through none; name the directory itself", args[1]);
                else
                        log_error_errno(negative_errno(), "open the directory %s: %s", args[1], strerror(errno));
                return VMRUN_EXIT_FAILURE;
        }
        /* logs what it could not write */
        if (rom_acpi_write_at(&t, dir_fd, args[1], false, 0644) < 0)
                return VMRUN_EXIT_FAILURE;
        for (size_t i = 0; i < t.n_tables; i++) {
                _cleanup_free_ char *name = NULL;

                if (rom_acpi_file_name(i, &name) < 0)
                        return log_oom(), VMRUN_EXIT_FAILURE;
                printf("%s/%s: %zu bytes\n", args[1], name, t.tables[i].size);
        }
        printf("_ROM on %s (the GPU behind vmrun's root port, slot %s of q35's pcie.0) serves %s; QEMU takes "
               "each table with -acpitable file=\n", QEMU_GPU_ACPI_PATH, QEMU_GPU_ROOT_PORT_ADDR, args[0]);
        return 0;
}

static const Verb verbs[] = {
        { .name = "run",
          .args = "PROFILE",
          .min_args = 1,
          .max_args = 1,
          .run = verb_run,
          .summary = "hand the host over, run the VM, give the host back",
          .help = "Runs the VM in the foreground: checks the host, hands the GPU over step by step\n"
                  "(journaled), starts QEMU and supervises it over QMP. SIGTERM, ^C or `machinectl\n"
                  "poweroff` asks the guest to power off (ACPI), then quits QEMU after [qemu]\n"
                  "timeout-shutdown seconds, then kills it. SIGHUP (a dropped ssh connection) is\n"
                  "ignored. When QEMU exits for any reason the host is given back. While the guest\n"
                  "runs, `machinectl list` shows the VM; started from a shell, vmrun first moves\n"
                  "into a scope of its own, vmrun-NAME.scope. PROFILE is a file, or a NAME for\n"
                  "/etc/vmrun/NAME.profile. `vmrun PROFILE` is the same.\n"
                  "\nExit status: 0 guest powered off, 1 could not start (host left as it was),\n"
                  "2 bad usage or profile, 3 QEMU stopped by quit or a signal, 4 QEMU crashed or\n"
                  "was killed by someone else, 5 vmrun had to kill QEMU, 6 the host was not fully\n"
                  "given back (run `vmrun restore NAME`).\n" },
        { .name = "plan",
          .args = "PROFILE",
          .min_args = 1,
          .max_args = 1,
          .run = verb_plan,
          .summary = "print the host steps and QEMU command line, change nothing",
          .help = "Prints every host step and the complete QEMU argv that `run` would use, and\n"
                  "what could not be checked on this host (a GPU that is not here, missing files).\n"
                  "Changes nothing; works on any machine.\n",
          .takes_json = true },
        { .name = "check",
          .args = "PROFILE",
          .min_args = 1,
          .max_args = 1,
          .run = verb_check,
          .summary = "check that a start would pass, change nothing",
          .help = "Reads the profile and plan and fails (exit 1) on everything a start would fail\n"
                  "on that can be seen without changing the host: missing files, /dev/kvm, the GPU.\n" },
        { .name = "rom dump",
          .args = "ADDRESS FILE",
          .min_args = 2,
          .max_args = 2,
          .run = verb_rom_dump,
          .summary = "save a GPU's vBIOS from sysfs or ACPI to FILE, and check it",
          .help = "Reads /sys/bus/pci/devices/ADDRESS/rom (switched on for the read, off again\n"
                  "after); when that holds no ROM, takes the device's image from the ACPI VFCT\n"
                  "table (/sys/firmware/acpi/tables/VFCT), where AMD laptops and APUs keep it,\n"
                  "matched as amdgpu matches it. Writes it to FILE, says which of the two it came\n"
                  "from, and checks it as `rom check` does. Says why when there is nothing to\n"
                  "read (on laptops the vBIOS is often in the system firmware), when the device\n"
                  "is asleep, and when it is the boot VGA (the read then returns the legacy copy\n"
                  "the firmware left in memory). Needs root.\n"
                  "\nExit status: 0 saved and usable, 1 not read or not usable, 2 bad usage.\n" },
        { .name = "rom check",
          .args = "FILE",
          .min_args = 1,
          .max_args = 1,
          .run = verb_rom_check,
          .summary = "list a vBIOS file's images, say if it will work",
          .help = "Walks the image chain as firmware does and prints each image: code type (x86\n"
                  "legacy, EFI with its machine and subsystem, NVIDIA-specific), vendor:device.\n"
                  "Warns when there is no x64 EFI image (OVMF then shows nothing before the\n"
                  "guest's driver loads) and when no image is marked last; fails on a truncated\n"
                  "file, an NVIDIA NVGI header in front, and, with --device (a PCI address, or\n"
                  "VENDOR:DEVICE), images for another device. Reads nothing but FILE.\n"
                  "\nExit status: 0 usable (warnings allowed), 1 not usable, 2 bad usage.\n",
          .takes_device = true },
        { .name = "rom ssdt",
          .args = "FILE DIR",
          .min_args = 2,
          .max_args = 2,
          .run = verb_rom_ssdt,
          .summary = "write the ACPI tables that serve a vBIOS with _ROM",
          .help = "Writes the SSDTs that [gpu] rom-acpi gives the guest for the vBIOS FILE into\n"
                  "DIR, as new files rom-ssdt-0.aml, rom-ssdt-1.aml, ... (one per 60 KiB of it:\n"
                  "QEMU takes at most 64 KiB in a table): a _ROM method on \\_SB.PCI0.S08.S00,\n"
                  "the GPU behind the root port vmrun puts in slot 1 of q35's pcie.0, serving\n"
                  "FILE in the chunks the guest's driver asks for. For a look with `iasl -d`, or\n"
                  "for QEMU run by hand (-acpitable file=, each in order). Reads nothing but FILE.\n"
                  "\nExit status: 0 written, 1 not written, 2 bad usage.\n" },
        { .name = "shutdown",
          .args = "NAME",
          .min_args = 1,
          .max_args = 1,
          .run = verb_shutdown,
          .summary = "power the guest off (ACPI), then quit, then kill",
          .help = "Presses the guest's ACPI power button over QMP and waits --timeout seconds\n"
                  "(default: the profile's timeout-shutdown) for it to power off; then quits QEMU,\n"
                  "then kills it. Returns when the supervisor has given the host back.\n",
          .takes_timeout = true },
        { .name = "stop",
          .args = "NAME",
          .min_args = 1,
          .max_args = 1,
          .run = verb_stop,
          .summary = "stop QEMU at once (QMP quit)",
          .help = "Ends QEMU with QMP quit, like pulling the plug on the guest. Returns when the\n"
                  "supervisor has given the host back.\n" },
        { .name = "status",
          .args = "[NAME]",
          .min_args = 0,
          .max_args = 1,
          .run = verb_status,
          .summary = "show a VM's state (all VMs without NAME)",
          .help = "Shows supervisor, QEMU and handover state. With NAME, exits 3 if the VM is\n"
                  "not running.\n",
          .takes_json = true },
        { .name = "list",
          .args = "",
          .min_args = 0,
          .max_args = 0,
          .run = verb_list,
          .summary = "list the VMs vmrun knows on this host",
          .help = "",
          .takes_json = true },
        { .name = "devices",
          .args = "NAME",
          .min_args = 1,
          .max_args = 1,
          .run = verb_devices,
          .summary = "show the guest's PCI devices as a tree",
          .help = "Asks the running guest's QEMU (QMP query-pci) for its PCI devices and prints\n"
                  "them as the guest sees them: each bridge with the devices behind it, so the GPU\n"
                  "and its audio function show on their root port, each with the host device\n"
                  "passed through to it. --json prints query-pci's reply.\n",
          .takes_json = true,
          .takes_timeout = true },
        { .name = "qmp",
          .args = "NAME COMMAND",
          .min_args = 2,
          .max_args = 2,
          .run = verb_qmp,
          .summary = "send one QMP command, print the reply",
          .help = "COMMAND is a QMP command object, '{\"execute\":\"query-status\"}', or just a\n"
                  "command name without arguments: query-status. Exits 1 on an error reply.\n",
          .takes_timeout = true },
        { .name = "display",
          .args = "NAME",
          .min_args = 1,
          .max_args = 1,
          .run = verb_display,
          .summary = "print the SPICE URI and the ssh tunnel to reach it",
          .help = "",
          .takes_json = true },
        { .name = "restore",
          .args = "NAME",
          .min_args = 1,
          .max_args = 1,
          .run = verb_restore,
          .summary = "give the host back after a supervisor died",
          .help = "Undoes the host steps listed in /run/vmrun/NAME/journal.json, newest first.\n"
                  "If QEMU still runs without its supervisor, it is shut down first. Safe to run\n"
                  "again, and when there is nothing to do; the systemd unit runs it on stop.\n",
          .takes_timeout = true },
};

/* `name` and, for two-word verbs ("rom dump"), `next`, which may be NULL.
 * *ret_words: how many of the two the verb's name took. */
static const Verb *verb_find(const char *name, const char *next, int *ret_words) {
        size_t l = strlen(name);

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (streq(verbs[i].name, name)) {
                        *ret_words = 1;
                        return &verbs[i];
                }
                if (next && strncmp(verbs[i].name, name, l) == 0 && verbs[i].name[l] == ' ' &&
                    streq(verbs[i].name + l + 1, next)) {
                        *ret_words = 2;
                        return &verbs[i];
                }
        }
        return NULL;
}

/* "rom" alone, or with a word no verb has: the first word of a two-word verb */
static bool verb_group(const char *name) {
        size_t l = strlen(name);

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strncmp(verbs[i].name, name, l) == 0 && verbs[i].name[l] == ' ')
                        return true;
        return false;
}

static void usage(FILE *f) {
        fprintf(f, "Usage: vmrun [OPTIONS] VERB [ARGS...]\n"
                   "       vmrun [OPTIONS] PROFILE          (same as: vmrun run PROFILE)\n\n"
                   "Run a VM that owns the host's only GPU: hand the GPU over, run QEMU, give it back.\n\n"
                   "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                char left[40];
                snprintf(left, sizeof left, "%s %s", verbs[i].name, verbs[i].args);
                fprintf(f, "  %-22s %s\n", left, verbs[i].summary);
        }
        fprintf(f, "\nOptions:\n"
                   "  -h, --help         this text; `vmrun VERB --help` for a verb\n"
                   "  -v, --verbose      log debug messages too\n"
                   "  -q, --quiet        log only warnings and errors\n"
                   "      --version      print the version\n"
                   "\nSee vmrun(1).\n");
}

static void verb_usage(const Verb *v, FILE *f) {
        fprintf(f, "Usage: vmrun %s%s%s%s%s%s\n\n%s — %s\n", v->name, v->takes_json ? " [--json]" : "",
                v->takes_timeout ? " [--timeout SECONDS]" : "", v->takes_device ? " [--device ADDRESS]" : "",
                *v->args ? " " : "", v->args, v->name, v->summary);
        if (*v->help)
                fprintf(f, "\n%s", v->help);
}

/* Anything that names an existing file or ends in .profile runs it. */
static bool looks_like_profile(const char *arg) {
        size_t l = strlen(arg);
        struct stat st;
        return strchr(arg, '/') || (l > 8 && streq(arg + l - 8, ".profile")) || (stat(arg, &st) >= 0 && S_ISREG(st.st_mode));
}

static int parse_timeout(const char *arg, unsigned *ret) {
        char *end;
        unsigned long t;

        errno = 0;
        t = strtoul(arg, &end, 10);
        if (!*arg || *end || errno || t == 0 || t > 86400) {
                log_error("--timeout %s: give whole seconds, 1 to 86400", arg);
                return -EINVAL;
        }
        *ret = (unsigned) t;
        return 0;
}

/* 1 to go on, 0 when done (--version), negative on bad usage. */
static int parse_options(int argc, char **argv, Options *o, bool *help) {
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_TIMEOUT, ARG_DEVICE };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "device", required_argument, NULL, ARG_DEVICE },
                { 0 },
        };
        int c, r;

        /* options may come before or after the verb */
        while ((c = getopt_long(argc, argv, "hvq", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        *help = true;
                        break;
                case 'v':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'q':
                        log_set_max_level(LOG_WARNING);
                        break;
                case ARG_VERSION:
                        printf("vmrun %s\n", VMRUN_VERSION);
                        return 0;
                case ARG_JSON:
                        o->json = true;
                        break;
                case ARG_TIMEOUT:
                        r = parse_timeout(optarg, &o->timeout);
                        if (r < 0)
                                return r;
                        o->timeout_set = true;
                        break;
                case ARG_DEVICE:
                        o->device = optarg;
                        break;
                default:
                        fprintf(stderr, "Try 'vmrun --help'.\n");
                        return -EINVAL;
                }
        return 1;
}

/* The verb the words after the options name, and its arguments. 1 to go
 * on, 0 when done (the usage was asked for), negative on bad usage. */
static int resolve_verb(int argc, char **argv, bool help, const Verb **ret_verb, char ***ret_args) {
        const Verb *v;
        char **args;
        int words;

        if (optind >= argc) {
                usage(help ? stdout : stderr);
                return help ? 0 : -EINVAL;
        }

        v = verb_find(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, &words);
        if (v)
                args = argv + optind + words;
        else if (verb_group(argv[optind])) {
                if (help) {
                        usage(stdout);
                        return 0;
                }
                if (optind + 1 < argc)
                        log_error("unknown verb '%s %s'; `vmrun --help` lists the %s verbs", argv[optind],
                                  argv[optind + 1], argv[optind]);
                else
                        log_error("vmrun %s: say which; `vmrun --help` lists the %s verbs", argv[optind], argv[optind]);
                return -EINVAL;
        } else if (looks_like_profile(argv[optind])) {
                v = verb_find("run", NULL, &words);
                args = argv + optind;
        } else {
                log_error("unknown verb '%s' (and no profile file of that name); see `vmrun --help`", argv[optind]);
                return -EINVAL;
        }
        *ret_verb = v;
        *ret_args = args;
        return 1;
}

static int check_verb_usage(const Verb *v, int nargs, const Options *o) {
        if (nargs < (int) v->min_args || nargs > (int) v->max_args) {
                verb_usage(v, stderr);
                return -EINVAL;
        }
        if ((o->json && !v->takes_json) || (o->timeout_set && !v->takes_timeout) || (o->device && !v->takes_device)) {
                log_error("vmrun %s does not take %s", v->name,
                          o->json && !v->takes_json             ? "--json"
                          : o->timeout_set && !v->takes_timeout ? "--timeout"
                                                                : "--device");
                return -EINVAL;
        }
        return 0;
}

int main(int argc, char **argv) {
        Options o = { 0 };
        bool help = false;
        const Verb *v;
        char **args;
        int r, nargs;

        log_setup();
        test_switches_warn_ignored();

        r = parse_options(argc, argv, &o, &help);
        if (r <= 0)
                return r < 0 ? VMRUN_EXIT_USAGE : 0;
        r = resolve_verb(argc, argv, help, &v, &args);
        if (r <= 0)
                return r < 0 ? VMRUN_EXIT_USAGE : 0;
        if (help) {
                verb_usage(v, stdout);
                return 0;
        }

        nargs = (int) (argv + argc - args);
        if (check_verb_usage(v, nargs, &o) < 0)
                return VMRUN_EXIT_USAGE;

        /* verbs with an optional argument see NULL when it is missing */
        char *padded[3] = { NULL, NULL, NULL };
        for (int i = 0; i < nargs && i < 2; i++)
                padded[i] = args[i];
        return v->run(padded, &o);
}
