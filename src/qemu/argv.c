/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "qemu/argv.h"

const char *qemu_cpu_model(Accel accel) {
        return accel == ACCEL_KVM ? "host" : "max";
}

char *qemu_opt_escape(const char *s) {
        size_t n = 0;
        char *r, *t;

        for (const char *c = s; *c; c++)
                n += *c == ',' ? 2 : 1;
        r = malloc(n + 1);
        if (!r)
                return NULL;
        t = r;
        for (const char *c = s; *c; c++) {
                *t++ = *c;
                if (*c == ',')
                        *t++ = ',';
        }
        *t = '\0';
        return r;
}

/* json_pack() returns NULL both for OOM and for a bad format string; the
 * formats here are constants, so NULL means OOM. */
static int push_json(Strv *argv, const char *option, json_t *object) {
        _cleanup_json_ json_t *o = object;
        int r;

        if (!o)
                return -ENOMEM;
        r = strv_push(argv, option);
        if (r < 0)
                return r;
        return strv_push_json(argv, o);
}

static int push2(Strv *argv, const char *option, const char *value) {
        int r = strv_push(argv, option);
        return r < 0 ? r : strv_push(argv, value);
}

static int push_machine(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        _cleanup_free_ char *m = NULL;

        if (asprintf(&m, "q35,accel=%s%s%s%s", accel_to_string(p->accel),
                     c->firmware ? ",pflash0=fw-code,pflash1=fw-vars" : "",
                     c->firmware && c->firmware->requires_smm ? ",smm=on" : "",
                     c->hugepage_size ? ",memory-backend=ram" : "") < 0)
                return -ENOMEM;
        return push2(argv, "-machine", m);
}

static int push_firmware(Strv *argv, const QemuConfig *c) {
        const Firmware *fw = c->firmware;
        int r;

        if (!fw)
                return 0;

        r = push_json(argv, "-blockdev",
                      json_pack("{s:s, s:s, s:b, s:{s:s, s:s, s:b}}",
                                "node-name", "fw-code", "driver", fw->code_format, "read-only", 1,
                                "file", "driver", "file", "filename", fw->code, "read-only", 1));
        if (r < 0)
                return r;
        r = push_json(argv, "-blockdev",
                      json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}",
                                "node-name", "fw-vars", "driver", fw->vars_format ? fw->vars_format : "raw",
                                "read-only", 0, "file", "driver", "file", "filename", c->vars));
        if (r < 0)
                return r;
        /* With SMM the variable store is only writable from SMM, which is
         * what makes Secure Boot's variables trustworthy. */
        if (fw->requires_smm) {
                r = push2(argv, "-global", "driver=cfi.pflash01,property=secure,value=on");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int push_cpu(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        _cleanup_free_ char *cpu = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&cpu, &size);
        if (!f)
                return -ENOMEM;
        fputs(qemu_cpu_model(p->accel), f);
        for (size_t i = 0; c->cpu_flags && c->cpu_flags[i]; i++) {
                _cleanup_free_ char *e = qemu_opt_escape(c->cpu_flags[i]);
                if (!e) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, ",%s", e);
        }
        if (c->topoext)
                fputs(",topoext=on", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        return push2(argv, "-cpu", cpu);
}

static int push_memory(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        int r;

        r = strv_push(argv, "-m");
        if (r >= 0)
                r = strv_pushf(argv, "%" PRIu64 "M", p->memory >> 20);
        if (r < 0 || !c->hugepage_size)
                return r;
        /* Preallocated, so that a pool too small fails QEMU's start with
         * its message instead of the guest with SIGBUS later; one thread
         * per vCPU, since faulting in gigabytes is most of the start. */
        return push_json(argv, "-object",
                         json_pack("{s:s, s:s, s:I, s:b, s:I, s:b, s:i}", "qom-type", "memory-backend-memfd", "id", "ram",
                                   "size", (json_int_t) p->memory, "hugetlb", 1, "hugetlbsize",
                                   (json_int_t) c->hugepage_size, "prealloc", 1, "prealloc-threads",
                                   (int) (p->cpus < 16 ? p->cpus : 16)));
}

static int push_smp(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        int r;

        r = strv_push(argv, "-smp");
        if (r < 0)
                return r;
        if (!c->topology)
                return strv_pushf(argv, "%u", p->cpus);
        return strv_pushf(argv, "%u,sockets=%u,cores=%u,threads=%u", p->cpus, c->topology->sockets, c->topology->cores,
                          c->topology->threads);
}

static int push_acpi_table(Strv *argv, const char *path) {
        _cleanup_free_ char *file = NULL;

        /* commas can be doubled, but QEMU splits file= at every ':' (it
         * takes a list of files to concatenate) and has no escape for it */
        if (strchr(path, ':'))
                return -EINVAL;
        file = qemu_opt_escape(path);
        if (!file)
                return -ENOMEM;
        if (strv_push(argv, "-acpitable") < 0)
                return -ENOMEM;
        return strv_pushf(argv, "file=%s", file);
}

static int push_acpi_tables(Strv *argv, const QemuConfig *c) {
        int r = 0;

        if (c->battery_table)
                r = push_acpi_table(argv, c->battery_table);
        for (size_t i = 0; r >= 0 && c->rom_tables && c->rom_tables[i]; i++)
                r = push_acpi_table(argv, c->rom_tables[i]);
        return r;
}

/* The TPM Windows 11 asks for: CRB, the interface of TPM 2.0 chips, with
 * swtpm behind it. The supervisor made the control channel; QEMU gives
 * swtpm the data channel over it. */
static int push_tpm(Strv *argv, const QemuConfig *c) {
        int r;

        /* [vm] tpm: tpm-crb, swtpm's control channel at QEMU_FD_TPM */
        if (!c->profile->tpm)
                return 0;
        r = strv_push(argv, "-chardev");
        if (r >= 0)
                r = strv_pushf(argv, "socket,id=tpm-ctrl,fd=%d", QEMU_FD_TPM);
        if (r >= 0)
                r = push2(argv, "-tpmdev", "emulator,id=tpm0,chardev=tpm-ctrl");
        if (r >= 0)
                r = push_json(argv, "-device", json_pack("{s:s, s:s, s:s}", "driver", "tpm-crb", "id", "tpm",
                                                          "tpmdev", "tpm0"));
        return r;
}

static int push_gpu(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        json_t *gpu;
        int r;

        if (!p->has_gpu)
                return 0;

        r = push2(argv, "-vga", "none");
        if (r < 0)
                return r;

        /* One root port, the GPU and its companions as functions of one
         * multifunction slot behind it: the layout the guest driver knows
         * from real hardware. Without hotplug: a laptop's GPU is soldered
         * on, and Windows would offer to "safely remove" it. In slot 1 by
         * name, not as QEMU's first free slot: the GPU's _ROM tables name
         * its ACPI node by that slot (QEMU_GPU_ACPI_PATH). */
        r = push_json(argv, "-device",
                      json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:b}", "driver", "pcie-root-port", "id", "rp-gpu",
                                "bus", "pcie.0", "addr", QEMU_GPU_ROOT_PORT_ADDR, "chassis", 1, "port", 16,
                                "hotplug", 0));
        if (r < 0)
                return r;

        gpu = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "driver", "vfio-pci", "id", "gpu", "host",
                        p->gpu_address, "bus", "rp-gpu", "addr", "00.0", "multifunction",
                        c->gpu_functions && c->gpu_functions[0]);
        if (gpu && p->gpu_rom && json_object_set_new(gpu, "romfile", json_string(p->gpu_rom)) < 0)
                return json_decref(gpu), -ENOMEM;
        if (gpu && c->gpu_subsystem &&
            (json_object_set_new(gpu, "x-pci-sub-vendor-id", json_integer(c->gpu_subsystem->vendor)) < 0 ||
             json_object_set_new(gpu, "x-pci-sub-device-id", json_integer(c->gpu_subsystem->device)) < 0))
                return json_decref(gpu), -ENOMEM;
        r = push_json(argv, "-device", gpu);
        if (r < 0)
                return r;

        for (size_t i = 0; c->gpu_functions && c->gpu_functions[i]; i++) {
                char id[16], addr[8];

                if (i + 1 > 7)
                        return -E2BIG;
                snprintf(id, sizeof id, "gpu-fn%zu", i + 1);
                snprintf(addr, sizeof addr, "00.%zu", i + 1);
                r = push_json(argv, "-device",
                              json_pack("{s:s, s:s, s:s, s:s, s:s}", "driver", "vfio-pci", "id", id, "host",
                                        c->gpu_functions[i], "bus", "rp-gpu", "addr", addr));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int push_disks(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        unsigned sata = 0;
        int r;

        /* virtio-blk's requests handled on a thread of their own, not on
         * QEMU's main loop, which also serves QMP, timers and the other
         * devices: the one disk interface QEMU 7.2 lets do so */
        for (size_t i = 0; i < p->n_disks; i++)
                if (p->disks[i].interface == DISK_VIRTIO) {
                        r = push_json(argv, "-object", json_pack("{s:s, s:s}", "qom-type", "iothread", "id", "io-disk"));
                        if (r < 0)
                                return r;
                        break;
                }

        for (size_t i = 0; i < p->n_disks; i++) {
                const ProfileDisk *d = &p->disks[i];
                _cleanup_free_ char *node = NULL;
                json_t *dev;

                if (asprintf(&node, "disk-%s", d->id) < 0)
                        return -ENOMEM;
                r = push_json(argv, "-blockdev",
                              json_pack("{s:s, s:s, s:b, s:{s:s, s:s, s:b}}", "node-name", node, "driver",
                                        d->format, "read-only", d->read_only, "file", "driver", "file",
                                        "filename", d->file, "read-only", d->read_only));
                if (r < 0)
                        return r;

                switch (d->interface) {
                case DISK_VIRTIO:
                        dev = json_pack("{s:s, s:s, s:s, s:s}", "driver", "virtio-blk-pci", "id", node, "drive", node,
                                        "iothread", "io-disk");
                        break;
                case DISK_NVME:
                        dev = json_pack("{s:s, s:s, s:s, s:s}", "driver", "nvme", "id", node, "drive", node,
                                        "serial", d->id);
                        break;
                case DISK_SATA: {
                        char bus[8];
                        /* q35's built-in AHCI controller has six ports */
                        if (sata >= 6)
                                return -E2BIG;
                        snprintf(bus, sizeof bus, "ide.%u", sata++);
                        dev = json_pack("{s:s, s:s, s:s, s:s}", "driver", "ide-hd", "id", node, "drive", node,
                                        "bus", bus);
                        break;
                }
                default:
                        assert_not_reached();
                }
                r = push_json(argv, "-device", dev);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int push_network(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        _cleanup_free_ char *netdev = NULL;
        int r;

        switch (p->network) {
        case NETWORK_NONE:
                return 0;
        case NETWORK_USER:
                netdev = strdup("user,id=net0");
                break;
        case NETWORK_BRIDGE:
                /* the tap vmrun made on the bridge (tap.h) */
                if (asprintf(&netdev, "tap,id=net0,fd=%d", QEMU_FD_TAP) < 0)
                        netdev = NULL;
                break;
        default:
                assert_not_reached();
        }
        if (!netdev)
                return -ENOMEM;
        r = push2(argv, "-netdev", netdev);
        if (r < 0)
                return r;
        return push_json(argv, "-device",
                         json_pack("{s:s, s:s, s:s}", "driver", "virtio-net-pci", "id", "net0", "netdev", "net0"));
}

static int push_display(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        _cleanup_free_ char *spice = NULL, *addr = NULL;
        int r;

        r = push2(argv, "-display", "none");
        if (r < 0 || !p->spice_address)
                return r;

        addr = qemu_opt_escape(p->spice_address);
        if (!addr || asprintf(&spice, "port=%u,addr=%s,disable-ticketing=on", p->spice_port, addr) < 0)
                return -ENOMEM;
        r = push2(argv, "-spice", spice);
        if (r < 0)
                return r;
        /* Beside a passed-through GPU the SPICE display is a second screen
         * (qxl without VGA); without one it is the only one. */
        return push_json(argv, "-device",
                         json_pack("{s:s, s:s}", "driver", p->has_gpu ? "qxl" : "virtio-vga", "id", "spice-display"));
}

/* The host's keyboard and mouse, read by QEMU from their event devices
 * and grabbed (EVIOCGRAB: the host sees none of their events while the
 * guest has them; [input] grab-toggle's keys hand them back and forth, and
 * grab_all makes the keyboard's toggle move them all);
 * and host USB devices on an xHCI controller. */
static int push_input(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        int r;

        for (size_t i = 0; p->input_evdev && p->input_evdev[i]; i++) {
                char id[24];

                snprintf(id, sizeof id, "input%zu", i);
                r = push_json(argv, "-object",
                              json_pack("{s:s, s:s, s:s, s:b, s:b, s:s}", "qom-type", "input-linux", "id", id, "evdev",
                                        p->input_evdev[i], "grab_all", 1, "repeat", 1, "grab-toggle",
                                        grab_toggle_to_string(p->grab_toggle)));
                if (r < 0)
                        return r;
        }
        if (p->n_usb_devices == 0)
                return 0;
        r = push_json(argv, "-device", json_pack("{s:s, s:s}", "driver", "qemu-xhci", "id", "xhci"));
        for (size_t i = 0; r >= 0 && i < p->n_usb_devices; i++) {
                char id[24];

                snprintf(id, sizeof id, "usb-%04x-%04x", p->usb_devices[i].vendor, p->usb_devices[i].product);
                r = push_json(argv, "-device",
                              json_pack("{s:s, s:s, s:s, s:i, s:i}", "driver", "usb-host", "id", id, "bus", "xhci.0",
                                        "vendorid", (int) p->usb_devices[i].vendor, "productid",
                                        (int) p->usb_devices[i].product));
        }
        return r;
}

static int push_boot(Strv *argv, const QemuConfig *c) {
        const Profile *p = c->profile;
        int r = 0;

        /* -kernel, -initrd and -append take their argument whole: no
         * option parsing, so no escaping either */
        if (p->kernel)
                r = push2(argv, "-kernel", p->kernel);
        if (r >= 0 && p->initrd)
                r = push2(argv, "-initrd", p->initrd);
        if (r >= 0 && p->append)
                r = push2(argv, "-append", p->append);
        return r;
}

static int push_console_and_qmp(Strv *argv) {
        int r;

        /* the descriptor vmrun opened, as fd set 1: QEMU opens
         * /dev/fdset/1 as it would a file */
        r = strv_push(argv, "-add-fd");
        if (r >= 0)
                r = strv_pushf(argv, "fd=%d,set=1,opaque=guest-console", QEMU_FD_CONSOLE);
        if (r >= 0)
                r = push2(argv, "-chardev", "file,id=serial0,path=/dev/fdset/1");
        if (r >= 0)
                r = push_json(argv, "-device", json_pack("{s:s, s:s, s:s}", "driver", "isa-serial", "id",
                                                          "serial0", "chardev", "serial0"));
        if (r < 0)
                return r;

        /* Both QMP endpoints are descriptors the supervisor made: a socket
         * pair whose other end it already holds (no race to connect, and
         * nobody else can), and the listening public socket it created with
         * mode 0600 before QEMU existed. */
        r = strv_push(argv, "-chardev");
        if (r >= 0)
                r = strv_pushf(argv, "socket,id=qmp-supervisor,fd=%d", QEMU_FD_QMP_SUPERVISOR);
        if (r >= 0)
                r = push2(argv, "-mon", "chardev=qmp-supervisor,mode=control");
        if (r >= 0)
                r = strv_push(argv, "-chardev");
        if (r >= 0)
                r = strv_pushf(argv, "socket,id=qmp-public,fd=%d,server=on,wait=off", QEMU_FD_QMP_PUBLIC);
        if (r >= 0)
                r = push2(argv, "-mon", "chardev=qmp-public,mode=control");
        return r;
}

int qemu_argv_build(const QemuConfig *c, Strv *ret) {
        const Profile *p = c->profile;
        Strv argv = { 0 };
        _cleanup_free_ char *name = NULL;
        int r;

        name = qemu_opt_escape(p->name);
        if (!name)
                return -ENOMEM;

        r = strv_push(&argv, p->qemu_binary);
        if (r >= 0)
                r = strv_push(&argv, "-name");
        if (r >= 0)
                r = strv_pushf(&argv, "guest=%s,debug-threads=on", name);
        if (r >= 0)
                r = push2(&argv, "-nodefaults", "-no-user-config");
        if (r >= 0)
                r = push_machine(&argv, c);
        if (r >= 0)
                r = push_cpu(&argv, c);
        if (r >= 0)
                r = push_memory(&argv, c);
        if (r >= 0)
                r = push_smp(&argv, c);
        /* stopped until the supervisor has QMP and says "cont": nothing of
         * the guest runs before it can be watched */
        if (r >= 0)
                r = strv_push(&argv, "-S");
        if (r >= 0)
                r = push_firmware(&argv, c);
        if (r >= 0)
                r = push_acpi_tables(&argv, c);
        if (r >= 0)
                r = push_tpm(&argv, c);
        if (r >= 0)
                r = push_gpu(&argv, c);
        if (r >= 0)
                r = push_disks(&argv, c);
        if (r >= 0)
                r = push_network(&argv, c);
        if (r >= 0)
                r = push_display(&argv, c);
        if (r >= 0)
                r = push_input(&argv, c);
        if (r >= 0)
                r = push_boot(&argv, c);
        if (r >= 0)
                r = push_console_and_qmp(&argv);
        /* What QEMU may not do once running, though its process could:
         * with no privileges to regain, no new programs, no scheduling or
         * resource games, no obsolete system calls. */
        if (r >= 0 && c->sandbox)
                r = push2(&argv, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
        if (r < 0) {
                strv_done(&argv);
                return r;
        }
        *ret = argv;
        return 0;
}
