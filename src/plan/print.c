/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/inhibit.h"
#include "plan/plan-internal.h"
#include "qemu/tpm.h"

/* The plan for people (`vmrun plan`) and for programs (`vmrun plan --json`). */

/* For display only: quote what a shell would split, so the printed line
 * can be pasted. vmrun itself never goes through a shell. */
static void print_quoted(FILE *f, const char *s) {
        if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%") == strlen(s)) {
                fputs(s, f);
                return;
        }
        fputc('\'', f);
        for (; *s; s++)
                if (*s == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*s, f);
        fputc('\'', f);
}

/* What the VM is and where it lives: its directories, firmware, TPM and
 * network. */
static void print_vm(const Plan *plan, FILE *f) {
        const Profile *p = plan->profile;

        fprintf(f, "VM %s, from %s\n", p->name, p->path);
        fprintf(f, "  runtime   %s (QMP for clients: %s)\n", plan->paths->run_dir, plan->paths->qmp_public);
        fprintf(f, "  state     %s\n", plan->paths->state_dir);
        if (plan->firmware)
                fprintf(f, "  firmware  %s\n            code %s, variables %s (copied once from %s)%s\n",
                        plan->firmware->descriptor, plan->firmware->code, plan->vars,
                        strempty(plan->firmware->vars_template), plan->firmware->requires_smm ? ", SMM on" : "");
        else
                fprintf(f, "  firmware  SeaBIOS (QEMU's default BIOS)\n");
        if (p->tpm)
                fprintf(f, "  tpm       TPM 2.0 (tpm-crb) from swtpm, started before QEMU as %s, stopped after it; "
                           "state in %s\n",
                        plan->qemu_user.user ? plan->qemu_user.user : p->qemu_user, plan->paths->tpm_dir);
        if (p->network == NETWORK_BRIDGE)
                fprintf(f, "  network   a tap on bridge %s, made by vmrun at start and handed to QEMU (-netdev tap,fd=); "
                           "it goes with QEMU\n",
                        p->bridge);
}

static void print_gpu(const Plan *plan, FILE *f) {
        const Profile *p = plan->profile;
        _cleanup_free_ char *rom_acpi = NULL;

        if (!p->has_gpu)
                return;
        fprintf(f, "  gpu       %s", p->gpu_address);
        for (size_t i = 0; plan->gpu_functions[i]; i++)
                fprintf(f, " + %s", plan->gpu_functions[i]);
        fprintf(f, "%s%s\n", p->gpu_rom ? ", vBIOS " : ", no vBIOS ROM", strempty(p->gpu_rom));
        if (plan->has_gpu_subsystem)
                fprintf(f, "            subsystem %04x:%04x (%s)\n", plan->gpu_subsystem.vendor,
                        plan->gpu_subsystem.device,
                        p->gpu_subsystem == GPU_SUBSYSTEM_SET ? "[gpu] subsystem" : "the host's, from sysfs");
        else
                fprintf(f, "            subsystem: what the device shows (%s)\n",
                        p->gpu_subsystem == GPU_SUBSYSTEM_NONE ? "[gpu] subsystem = none" : "none read from the host");
        if (plan->battery_table)
                fprintf(f, "            fake battery: ACPI table %s\n", plan->battery_table);
        if (plan_rom_acpi_summary(plan, &rom_acpi) >= 0 && rom_acpi)
                fprintf(f, "            vBIOS via ACPI: %s\n", rom_acpi);
        fprintf(f, "            backlight: %s\n",
                p->gpu_backlight == GPU_BACKLIGHT_MAX
                        ? "max, before the host driver goes; put back after ([gpu] backlight = max)"
                        : "left as it is; put back after if it changed ([gpu] backlight = keep)");
}

/* [input] evdev and [usb] devices, then the nodes found for them. */
static void print_input(const Plan *plan, FILE *f) {
        const Profile *p = plan->profile;

        if (p->input_evdev) {
                fprintf(f, "  input     ");
                for (size_t i = 0; p->input_evdev[i]; i++)
                        fprintf(f, "%s%s", i > 0 ? ", " : "", p->input_evdev[i]);
                fprintf(f, "\n            grabbed by QEMU (input-linux); %s switch them between guest and host "
                           "([input] grab-toggle = %s)\n",
                        grab_toggle_keys(p->grab_toggle), grab_toggle_to_string(p->grab_toggle));
        }
        if (p->n_usb_devices > 0) {
                fprintf(f, "  usb       ");
                for (size_t i = 0; i < p->n_usb_devices; i++)
                        fprintf(f, "%s%04x:%04x", i > 0 ? ", " : "", p->usb_devices[i].vendor,
                                p->usb_devices[i].product);
                fprintf(f, " (usb-host on a qemu-xhci controller; QEMU takes the first device with those IDs)\n");
        }
        for (size_t i = 0; i < plan->input_found.n; i++)
                fprintf(f, "            found: %s\n", plan->input_found.v[i]);
}

/* What the host is kept from while the guest has the GPU, and who has
 * its power button. */
static void print_power(const Plan *plan, FILE *f) {
        const Profile *p = plan->profile;
        _cleanup_free_ char *what = NULL;

        if (plan->inhibit == 0)
                return;
        what = inhibit_what_describe(plan->inhibit);
        fprintf(f, "  power     logind's inhibitors from the first host step until the host is back: %s\n"
                   "            (`systemd-inhibit --list`; %s)\n",
                strempty(what),
                p->lid == LID_KEEP_RUNNING ? "closing the lid suspends nothing, [host] lid = keep-running"
                                           : "the lid does what logind says, [host] lid = host");
        if (p->power_button == POWER_BUTTON_HOST) {
                fprintf(f, "            power button: logind's, as without vmrun ([host] power-button = host)\n");
                return;
        }
        if (plan->power_buttons.n == 0) {
                fprintf(f, "            power button: no ACPI power button found here, so it stays logind's "
                           "([host] power-button = guest)\n");
                return;
        }
        fprintf(f, "            power button: read by vmrun, a press asks the guest to power off (ACPI), quit after "
                   "%us ([host] power-button = guest)\n",
                p->timeout_shutdown);
        for (size_t i = 0; i < plan->power_buttons.n; i++)
                fprintf(f, "            found: %s\n", plan->power_buttons.v[i]);
}

static void print_guest_os(const Plan *plan, FILE *f) {
        fprintf(f, "  guest os  %s", guest_os_to_string(plan->profile->os));
        if (plan->cpu_flags) {
                fprintf(f, ", Hyper-V enlightenments:");
                for (size_t i = 0; plan->cpu_flags[i]; i++)
                        fprintf(f, " %s", plan->cpu_flags[i]);
        }
        fputc('\n', f);
}

static void print_cpus(const Plan *plan, FILE *f) {
        const Profile *p = plan->profile;

        if (p->cpu_pin.n == 0)
                return;
        fprintf(f, "  cpus      vCPU → host CPU:");
        for (size_t i = 0; i < p->cpu_pin.n; i++)
                fprintf(f, " %zu→%u", i, p->cpu_pin.v[i]);
        if (p->emulator_pin.n > 0) {
                fprintf(f, "; QEMU's other threads on");
                for (size_t i = 0; i < p->emulator_pin.n; i++)
                        fprintf(f, "%s%u", i ? "," : " ", p->emulator_pin.v[i]);
        }
        fprintf(f, " (pinned before the guest starts)\n");
        if (plan->has_topology)
                fprintf(f, "            topology: %u socket, %u core%s of %u thread%s, as the pinned CPUs are\n",
                        plan->topology.sockets, plan->topology.cores, plan->topology.cores == 1 ? "" : "s",
                        plan->topology.threads, plan->topology.threads == 1 ? "" : "s");
        else if (plan->cpu_error == -ENOENT)
                fprintf(f, "            host CPU %u is not on this host\n", plan->cpu_missing);
}

static void print_memory(const Plan *plan, FILE *f) {
        const Profile *p = plan->profile;
        char size[32];

        fprintf(f, "  memory    %" PRIu64 " MiB", p->memory >> 20);
        if (!p->hugepages) {
                fprintf(f, ", ordinary pages ([memory] hugepages = no)\n");
                return;
        }
        hugepage_size_to_string(plan_hugepage_size(plan), size);
        if (plan->hugepages_error == 0)
                fprintf(f, " on %" PRIu64 " hugepages of %s, preallocated; %" PRIu64 " free here (of %" PRIu64 ")%s\n",
                        plan->hugepages.needed, size, plan->hugepages.available, plan->hugepages.total,
                        plan->hugepages.available < plan->hugepages.needed ? ": too few (`vmrun check`)" : "");
        else
                fprintf(f, " on hugepages of %s, preallocated; this host's pool: %s (`vmrun check`)\n", size,
                        plan->hugepages_error == -ERANGE ? "not a whole number of its pages"
                        : plan->hugepages_error == -EOPNOTSUPP || plan->hugepages_error == -ENOENT
                                ? "none of that size"
                                : STRERROR(plan->hugepages_error));
}

static void print_host_steps(const Plan *plan, FILE *f) {
        fprintf(f, "\nHost steps (%zu):\n", plan->steps.n);
        if (plan->steps.n == 0)
                fprintf(f, "  none: nothing on the host changes\n");
        for (size_t i = 0; i < plan->steps.n; i++)
                fprintf(f, "  %2zu. %s\n", i + 1, plan->steps.steps[i].summary);
}

/* QEMU's argv, one option a line, and the fds it is started with. */
static void print_qemu_command(const Plan *plan, FILE *f) {
        fprintf(f, "\nQEMU command line (exec'd directly, no shell):\n  ");
        for (size_t i = 0; i < plan->argv.n; i++) {
                const char *a = plan->argv.v[i];
                if (i > 0)
                        fputs(a[0] == '-' ? " \\\n    " : " ", f);
                print_quoted(f, a);
        }
        fprintf(f, "\n  with fd %d: the supervisor's QMP connection (one end of a socket pair)\n"
                   "       fd %d: QMP for clients, listening on %s (mode 0600)\n",
                QEMU_FD_QMP_SUPERVISOR, QEMU_FD_QMP_PUBLIC, plan->paths->qmp_public);
        if (plan->tpm_argv.n > 0)
                fprintf(f, "       fd %d: swtpm's control channel (one end of a socket pair)\n", QEMU_FD_TPM);
}

static void print_swtpm_command(const Plan *plan, FILE *f) {
        if (plan->tpm_argv.n == 0)
                return;
        fprintf(f, "\nswtpm command line (the other end as fd %d):\n  ", SWTPM_FD_CTRL);
        for (size_t i = 0; i < plan->tpm_argv.n; i++) {
                if (i > 0)
                        fputc(' ', f);
                print_quoted(f, plan->tpm_argv.v[i]);
        }
        fputc('\n', f);
}

/* Who holds the GPU now, and what the handover does about each. */
static void print_holders(const Plan *plan, FILE *f) {
        if (plan->holders.n == 0)
                return;
        fprintf(f, "\nHolding the GPU's nodes now:\n");
        for (size_t i = 0; i < plan->holders.n; i++)
                fprintf(f, "  - %s\n", plan->holders.v[i]);
}

/* What the plan changed to fit this host, and what it could not check. */
static void print_remarks(const Plan *plan, FILE *f) {
        if (plan->adjustments.n > 0) {
                fprintf(f, "\nAdjusted to this host:\n");
                for (size_t i = 0; i < plan->adjustments.n; i++)
                        fprintf(f, "  - %s\n", plan->adjustments.v[i]);
        }
        if (plan->notes.n > 0) {
                fprintf(f, "\nCould not check on this host:\n");
                for (size_t i = 0; i < plan->notes.n; i++)
                        fprintf(f, "  - %s\n", plan->notes.v[i]);
        }
}

void plan_print(const Plan *plan, FILE *f) {
        print_vm(plan, f);
        print_gpu(plan, f);
        print_input(plan, f);
        print_power(plan, f);
        print_guest_os(plan, f);
        print_cpus(plan, f);
        print_memory(plan, f);
        print_holders(plan, f);
        print_host_steps(plan, f);
        print_qemu_command(plan, f);
        print_swtpm_command(plan, f);
        print_remarks(plan, f);
}

static json_t *strv_to_json(char *const *l) {
        json_t *a = json_array();

        for (size_t i = 0; a && l && l[i]; i++)
                if (json_array_append_new(a, json_string(l[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *cpus_to_json(const CpuList *l) {
        json_t *a = json_array();

        for (size_t i = 0; a && i < l->n; i++)
                if (json_array_append_new(a, json_integer(l->v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static int placement_to_json(const Plan *plan, json_t **ret) {
        const Profile *p = plan->profile;
        _cleanup_json_ json_t *pl = NULL;

        pl = json_pack("{s:o, s:o}", "pin", cpus_to_json(&p->cpu_pin), "emulator_pin", cpus_to_json(&p->emulator_pin));
        if (!pl)
                return -ENOMEM;
        if (plan->has_topology &&
            json_object_set_new(pl, "topology", json_pack("{s:i, s:i, s:i}", "sockets", plan->topology.sockets, "cores",
                                                          plan->topology.cores, "threads", plan->topology.threads)) < 0)
                return -ENOMEM;
        if (p->hugepages && plan->hugepages_error == 0 &&
            json_object_set_new(pl, "hugepages",
                                json_pack("{s:I, s:I, s:I, s:I}", "size", (json_int_t) plan->hugepages.size, "needed",
                                          (json_int_t) plan->hugepages.needed, "available",
                                          (json_int_t) plan->hugepages.available, "total",
                                          (json_int_t) plan->hugepages.total)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(pl);
        return 0;
}

int plan_to_json(const Plan *plan, json_t **ret) {
        const Profile *p = plan->profile;
        _cleanup_json_ json_t *j = NULL, *steps = json_array();

        if (!steps)
                return -ENOMEM;
        for (size_t i = 0; i < plan->steps.n; i++)
                if (json_array_append_new(steps, json_pack("{s:s, s:s, s:O}", "type", plan->steps.steps[i].type->name,
                                                           "summary", plan->steps.steps[i].summary, "params",
                                                           plan->steps.steps[i].params)) < 0)
                        return -ENOMEM;

        j = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:o, s:O, s:o, s:o, s:o, s:o}",
                      "name", p->name, "profile", p->path,
                      "paths", "run", plan->paths->run_dir, "state", plan->paths->state_dir, "qmp", plan->paths->qmp_public,
                      "journal", plan->paths->journal,
                      "os", guest_os_to_string(p->os),
                      "cpu_flags", strv_to_json(plan->cpu_flags),
                      "host_steps", steps,
                      "argv", strv_to_json(plan->argv.v),
                      "notes", strv_to_json(plan->notes.v),
                      "holders", strv_to_json(plan->holders.v),
                      "adjustments", strv_to_json(plan->adjustments.v));
        if (!j)
                return -ENOMEM;
        if (plan->firmware &&
            json_object_set_new(j, "firmware", json_pack("{s:s, s:s, s:s?, s:s, s:b}", "descriptor",
                                                         plan->firmware->descriptor, "code", plan->firmware->code,
                                                         "vars_template", plan->firmware->vars_template, "vars",
                                                         plan->vars, "smm", plan->firmware->requires_smm)) < 0)
                return -ENOMEM;
        if (p->tpm && json_object_set_new(j, "tpm", json_pack("{s:s, s:o}", "state", plan->paths->tpm_dir, "argv",
                                                              strv_to_json(plan->tpm_argv.v))) < 0)
                return -ENOMEM;
        if (p->has_gpu) {
                char subsystem[16];

                snprintf(subsystem, sizeof subsystem, "%04x:%04x", plan->gpu_subsystem.vendor, plan->gpu_subsystem.device);
                if (json_object_set_new(j, "gpu", json_pack("{s:s, s:o, s:s?, s:s?, s:s?, s:s}", "address", p->gpu_address,
                                                            "functions", strv_to_json(plan->gpu_functions), "rom",
                                                            p->gpu_rom, "subsystem",
                                                            plan->has_gpu_subsystem ? subsystem : NULL,
                                                            "fake_battery", plan->battery_table, "backlight",
                                                            gpu_backlight_to_string(p->gpu_backlight))) < 0)
                        return -ENOMEM;
                if (json_object_set_new(json_object_get(j, "gpu"), "rom_acpi",
                                        json_pack("{s:b, s:s?, s:s, s:o}", "on", plan->rom_tables != NULL, "why",
                                                  plan->rom_acpi_why, "device", QEMU_GPU_ACPI_PATH, "tables",
                                                  strv_to_json(plan->rom_tables))) < 0)
                        return -ENOMEM;
        }
        if (plan->inhibit != 0) {
                _cleanup_free_ char *what = inhibit_what_to_string(plan->inhibit);

                if (!what || json_object_set_new(j, "power", json_pack("{s:s, s:s, s:s, s:o}", "inhibit", what, "lid",
                                                                       lid_mode_to_string(p->lid), "power_button",
                                                                       power_button_mode_to_string(p->power_button),
                                                                       "buttons",
                                                                       strv_to_json(plan->power_buttons.v))) < 0)
                        return -ENOMEM;
        }
        if (p->cpu_pin.n > 0 || p->hugepages) {
                json_t *pl = NULL;

                if (placement_to_json(plan, &pl) < 0 || json_object_set_new(j, "placement", pl) < 0)
                        return -ENOMEM;
        }
        if (p->input_evdev || p->n_usb_devices > 0) {
                json_t *usb = json_array();

                for (size_t i = 0; usb && i < p->n_usb_devices; i++) {
                        char id[16];

                        snprintf(id, sizeof id, "%04x:%04x", p->usb_devices[i].vendor, p->usb_devices[i].product);
                        if (json_array_append_new(usb, json_string(id)) < 0)
                                return json_decref(usb), -ENOMEM;
                }
                if (!usb || json_object_set_new(j, "input", json_pack("{s:o, s:s, s:o, s:o}", "evdev",
                                                                      strv_to_json(p->input_evdev), "grab_toggle",
                                                                      grab_toggle_to_string(p->grab_toggle), "usb", usb,
                                                                      "nodes", strv_to_json(plan->input_nodes.v))) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(j);
        return 0;
}
