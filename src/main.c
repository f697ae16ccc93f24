/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <sys/stat.h>

#include "control.h"
#include "host.h"
#include "host_steps.h"
#include "log.h"
#include "plan.h"
#include "profile.h"
#include "supervisor.h"

typedef struct Verb {
        const char *name;
        const char *args;       /* for usage lines */
        unsigned min_args, max_args;
        int (*run)(char **args, const Options *o);
        const char *summary;
        const char *help;       /* the verb's own --help, after its usage line */
        bool takes_json, takes_timeout;
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

static int verb_run(char **args, const Options *o) {
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

static int verb_check(char **args, const Options *o) {
        _cleanup_profile_ Profile *p = NULL;
        _cleanup_plan_ Plan *plan = NULL;
        _cleanup_(host_context_done) HostContext host = { .root = host_root() };
        int r = 0;

        if (load_plan(args[0], &p, &plan) < 0)
                return VMRUN_EXIT_USAGE;
        host.allow_classes = p->allow_classes;
        for (size_t i = 0; i < plan->notes.n; i++)
                log_error("%s", plan->notes.v[i]);
        if (plan->notes.n > 0)
                r = -EINVAL;
        /* logs each problem itself, naming the device, process or unit */
        RET_GATHER(r, host_precheck(&host, p, plan->gpu_functions, &plan->steps));
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

static int verb_list(char **args, const Options *o) {
        return control_list(o);
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

static const Verb verbs[] = {
        { .name = "run",
          .args = "PROFILE",
          .min_args = 1,
          .max_args = 1,
          .run = verb_run,
          .summary = "hand the host over, run the VM, give the host back",
          .help = "Runs the VM in the foreground: checks the host, hands the GPU over step by step\n"
                  "(journaled), starts QEMU and supervises it over QMP. SIGTERM or ^C asks the guest\n"
                  "to power off (ACPI), then quits QEMU after [qemu] timeout-shutdown seconds, then\n"
                  "kills it. SIGHUP (a dropped ssh connection) is ignored. When QEMU exits for any\n"
                  "reason the host is given back. PROFILE is a file, or a NAME for\n"
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

static const Verb *verb_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
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
        fprintf(f, "Usage: vmrun %s%s%s%s%s\n\n%s — %s\n", v->name, v->takes_json ? " [--json]" : "",
                v->takes_timeout ? " [--timeout SECONDS]" : "", *v->args ? " " : "", v->args, v->name, v->summary);
        if (*v->help)
                fprintf(f, "\n%s", v->help);
}

/* Anything that names an existing file or ends in .profile runs it. */
static bool looks_like_profile(const char *arg) {
        size_t l = strlen(arg);
        struct stat st;
        return strchr(arg, '/') || (l > 8 && streq(arg + l - 8, ".profile")) || (stat(arg, &st) >= 0 && S_ISREG(st.st_mode));
}

int main(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_TIMEOUT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { 0 },
        };
        Options o = { 0 };
        bool help = false;
        const Verb *v;
        char **args;
        int c, nargs;

        log_setup();

        /* options may come before or after the verb */
        while ((c = getopt_long(argc, argv, "hvq", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help = true;
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
                        o.json = true;
                        break;
                case ARG_TIMEOUT: {
                        char *end;
                        unsigned long t;
                        errno = 0;
                        t = strtoul(optarg, &end, 10);
                        if (!*optarg || *end || errno || t == 0 || t > 86400) {
                                log_error("--timeout %s: give whole seconds, 1 to 86400", optarg);
                                return VMRUN_EXIT_USAGE;
                        }
                        o.timeout = (unsigned) t;
                        o.timeout_set = true;
                        break;
                }
                default:
                        fprintf(stderr, "Try 'vmrun --help'.\n");
                        return VMRUN_EXIT_USAGE;
                }

        if (optind >= argc) {
                usage(help ? stdout : stderr);
                return help ? 0 : VMRUN_EXIT_USAGE;
        }

        v = verb_find(argv[optind]);
        if (v)
                args = argv + optind + 1;
        else if (looks_like_profile(argv[optind])) {
                v = verb_find("run");
                args = argv + optind;
        } else {
                log_error("unknown verb '%s' (and no profile file of that name); see `vmrun --help`", argv[optind]);
                return VMRUN_EXIT_USAGE;
        }
        if (help) {
                verb_usage(v, stdout);
                return 0;
        }

        nargs = (int) (argv + argc - args);
        if (nargs < (int) v->min_args || nargs > (int) v->max_args) {
                verb_usage(v, stderr);
                return VMRUN_EXIT_USAGE;
        }
        if ((o.json && !v->takes_json) || (o.timeout_set && !v->takes_timeout)) {
                log_error("vmrun %s does not take %s", v->name, o.json ? "--json" : "--timeout");
                return VMRUN_EXIT_USAGE;
        }

        /* verbs with an optional argument see NULL when it is missing */
        char *padded[3] = { NULL, NULL, NULL };
        for (int i = 0; i < nargs && i < 2; i++)
                padded[i] = args[i];
        return v->run(padded, &o);
}
