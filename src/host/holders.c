/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "host/holders.h"
#include "host/host.h"
#include "basic/log.h"
#include "basic/strv.h"

#define PCI_VENDOR_NVIDIA 0x10de

static void holder_done(Holder *h);

void holders_done(Holders *h) {
        for (size_t i = 0; i < h->n; i++)
                holder_done(&h->holders[i]);
        free(h->holders);
        *h = (Holders) { 0 };
}

static void holder_done(Holder *h) {
        free(h->comm);
        free(h->exe);
        free(h->unit);
        free(h->node);
        free(h->user_unit);
}

void holders_drop_if(Holders *h, bool (*drop)(const Holder *h, const void *data), const void *data) {
        size_t k = 0;

        for (size_t i = 0; i < h->n; i++)
                if (drop(&h->holders[i], data))
                        holder_done(&h->holders[i]);
                else
                        h->holders[k++] = h->holders[i];
        h->n = k;
}

static bool holder_is_pid(const Holder *h, const void *data) {
        return h->pid == *(const pid_t *) data;
}

void holders_drop_pid(Holders *h, pid_t pid) {
        holders_drop_if(h, holder_is_pid, &pid);
}


static int root_path(const char *root, const char *path, char **ret) {
        char *p;

        assert(path[0] == '/');
        if (!root || streq(root, "/"))
                root = "";
        if (asprintf(&p, "%s%s", root, path) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* The last component of where `path` points: "0000:01:00.0" for
 * /sys/class/drm/card0/device. */
static int link_base(const char *path, char **ret) {
        char target[PATH_MAX];
        const char *base;
        ssize_t n;
        char *s;

        n = readlink(path, target, sizeof target - 1);
        if (n < 0)
                return negative_errno();
        target[n] = '\0';
        base = strrchr(target, '/');
        s = strdup(base ? base + 1 : target);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int read_line(const char *path, char **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char *line = NULL;
        size_t size = 0;

        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        errno = 0;
        if (getline(&line, &size, f) < 0) {
                int r = errno > 0 ? -errno : -ENODATA;
                free(line);
                return r;
        }
        line[strcspn(line, "\n")] = '\0';
        *ret = line;
        return 0;
}

static bool is_char_device(const char *path) {
        struct stat st;

        return stat(path, &st) >= 0 && S_ISCHR(st.st_mode);
}

/* Adds "/dev/DIR/NAME" for each entry of ROOT/sys/class/CLASS whose device
 * link (or, for sound, the link of the card it points to) names the PCI
 * device, and whose node exists. */
static int class_nodes(const char *root, const char *class, const char *devdir, bool via_card,
                       const char *pci_address, Strv *nodes) {
        _cleanup_free_ char *classdir = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_strv_ Strv found = { 0 };
        struct dirent *de;
        int r;

        if (asprintf(&classdir, "%s/sys/class/%s", root, class) < 0)
                return -ENOMEM;
        d = opendir(classdir);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                r = negative_errno();
                return log_debug_errno(r, "open %s: %s", classdir, STRERROR(r));
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *link = NULL, *base = NULL, *node = NULL, *full = NULL;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&link, "%s/%s/device", classdir, de->d_name) < 0)
                        return -ENOMEM;
                r = link_base(link, &base);
                if (r < 0)
                        continue;       /* connectors, timers, sequencers: no device */
                if (!streq(base, pci_address)) {
                        /* sound nodes (controlC0, pcmC0D0p) hang off the
                         * card, and the card off the PCI device */
                        if (!via_card || !startswith(base, "card"))
                                continue;
                        free(base);
                        base = NULL;
                        free(link);
                        if (asprintf(&link, "%s/%s/device/device", classdir, de->d_name) < 0)
                                return -ENOMEM;
                        if (link_base(link, &base) < 0 || !streq(base, pci_address))
                                continue;
                }
                if (asprintf(&node, "/dev/%s/%s", devdir, de->d_name) < 0 ||
                    asprintf(&full, "%s%s", root, node) < 0)
                        return -ENOMEM;
                /* cardN in /sys/class/sound has no node; nor has a DRM
                 * minor whose node udev has not made */
                if (!is_char_device(full))
                        continue;
                r = strv_push(&found, node);
                if (r < 0)
                        return r;
        }
        strv_sort(found.v);
        for (size_t i = 0; i < found.n; i++) {
                r = strv_push(nodes, found.v[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The NVIDIA driver's nodes belong to no device in sysfs: nvidiactl,
 * nvidia-uvm and nvidia-modeset serve every NVIDIA GPU at once. */
static int nvidia_nodes(const char *root, Strv *nodes) {
        static const char *const dirs[] = { "/dev", "/dev/nvidia-caps" };
        _cleanup_strv_ Strv found = { 0 };
        int r;

        for (size_t k = 0; k < ELEMENTSOF(dirs); k++) {
                _cleanup_free_ char *dir = NULL;
                _cleanup_closedir_ DIR *d = NULL;
                struct dirent *de;

                if (asprintf(&dir, "%s%s", root, dirs[k]) < 0)
                        return -ENOMEM;
                d = opendir(dir);
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        _cleanup_free_ char *full = NULL;

                        if (!startswith(de->d_name, "nvidia"))
                                continue;
                        if (asprintf(&full, "%s/%s", dir, de->d_name) < 0)
                                return -ENOMEM;
                        if (!is_char_device(full))
                                continue;
                        r = strv_pushf(&found, "%s/%s", dirs[k], de->d_name);
                        if (r < 0)
                                return r;
                }
        }
        strv_sort(found.v);
        for (size_t i = 0; i < found.n; i++) {
                r = strv_push(nodes, found.v[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int pci_vendor(const char *root, const char *pci_address, unsigned long *ret) {
        const HostContext ctx = { .root = root };
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "/sys/bus/pci/devices/%s/vendor", pci_address) < 0)
                return -ENOMEM;
        return host_read_hex(&ctx, path, ret);
}

/* NVIDIA's driver bound to the device: 1, else 0. Its nodes go with the
 * driver, whatever the vendor says (the lab's stand-in binds an emulated
 * GPU). */
static int bound_to_nvidia(const char *root, const char *pci_address) {
        _cleanup_free_ char *link = NULL, *driver = NULL;
        int r;

        if (asprintf(&link, "%s/sys/bus/pci/devices/%s/driver", root, pci_address) < 0)
                return -ENOMEM;
        r = link_base(link, &driver);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_debug_errno(r, "driver of PCI device %s: %s", pci_address, STRERROR(r));
        return streq(driver, "nvidia");
}

int device_nodes(const char *root, const char *pci_address, char ***ret) {
        _cleanup_strv_ Strv nodes = { 0 };
        unsigned long vendor;
        int r;

        assert(pci_address);
        assert(ret);

        if (!*pci_address || strchr(pci_address, '/'))
                return -EINVAL;
        if (!root || streq(root, "/"))
                root = "";

        r = class_nodes(root, "drm", "dri", false, pci_address, &nodes);
        if (r < 0)
                return r;
        r = class_nodes(root, "sound", "snd", true, pci_address, &nodes);
        if (r < 0)
                return r;

        r = pci_vendor(root, pci_address, &vendor);
        if (r < 0 && r != -ENOENT)
                return log_debug_errno(r, "vendor of PCI device %s: %s", pci_address, STRERROR(r));
        r = r >= 0 && vendor == PCI_VENDOR_NVIDIA ? 1 : bound_to_nvidia(root, pci_address);
        if (r < 0)
                return r;
        if (r > 0) {
                r = nvidia_nodes(root, &nodes);
                if (r < 0)
                        return r;
        }

        if (!nodes.v && !(nodes.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(nodes.v);
        nodes = (Strv) { 0 };
        return 0;
}

/* ---- who holds them ---- */

struct Target {
        const char *node;       /* as processes see it */
        dev_t rdev;             /* what an open fd on it stats as */
        dev_t dev;              /* where the node lives, and its inode: */
        ino_t ino;              /* what /proc/PID/maps shows for a mapping */
        char maps_dev[24];      /* `dev` as maps prints it, " 00:05 " */
};

/* Gone between readdir() and open(), or a zombie: not a holder. */
static bool process_gone(int r) {
        return r == -ENOENT || r == -ESRCH;
}

/* The last component of a cgroup path that is a service or a scope. */
/* The unit of a cgroup path, as systemd itself reads it: the first
 * component that is no slice. Whoever made it made the ones above: at the
 * top that is PID 1, and a user can add cgroups only below the unit it was
 * delegated (user@UID.service), whatever it names them ("gdm.service").
 * NULL when that component is no unit's. */
static int unit_of_cgroup_path(char *path, char **ret) {
        char *save = NULL;

        for (char *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                size_t l = strlen(c);
                if (l > 6 && streq(c + l - 6, ".slice"))
                        continue;
                if ((l > 8 && streq(c + l - 8, ".service")) || (l > 6 && streq(c + l - 6, ".scope"))) {
                        *ret = strdup(c);
                        return *ret ? 0 : -ENOMEM;
                }
                break;
        }
        *ret = NULL;
        return 0;
}

/* A system unit "user@UID.service": that manager's user. */
static bool user_manager_of_unit(const char *unit, uid_t *ret_uid) {
        unsigned long uid;
        int n = 0;

        if (!unit || sscanf(unit, "user@%lu.service%n", &uid, &n) != 1 || n <= 0 || unit[n] != '\0' ||
            !isdigit((unsigned char) unit[5]))
                return false;
        *ret_uid = (uid_t) uid;
        return true;
}

/* The cgroup path: "0::/user.slice/user-1000.slice/session-3.scope". On a
 * cgroup v1 host, systemd's own hierarchy says it. NULL when neither is there. */
static int cgroup_path(const char *proc_pid, char **ret) {
        _cleanup_free_ char *path = NULL, *line = NULL, *v1 = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;

        if (asprintf(&path, "%s/cgroup", proc_pid) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        while (getline(&line, &size, f) >= 0) {
                const char *v;

                line[strcspn(line, "\n")] = '\0';
                if ((v = startswith(line, "0::"))) {
                        *ret = strdup(v);
                        return *ret ? 0 : -ENOMEM;
                }
                v = strstr(line, ":name=systemd:");
                if (v && !v1 && !(v1 = strdup(v + strlen(":name=systemd:"))))
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v1);
        return 0;
}

/* The unit, and the user manager's unit, of the process's cgroup. */
static int cgroup_units(const char *proc_pid, char **ret_unit, uid_t *ret_manager_uid, char **ret_user_unit) {
        _cleanup_free_ char *path = NULL, *unit = NULL, *user_unit = NULL;
        uid_t uid = UID_INVALID;
        int r;

        r = cgroup_path(proc_pid, &path);
        if (r < 0 || !path) {
                *ret_unit = *ret_user_unit = NULL;
                *ret_manager_uid = UID_INVALID;
                return r;
        }
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        r = unit_of_cgroup_path(copy, &unit);
        if (r < 0)
                return r;
        if (user_manager_of_unit(unit, &uid)) {
                /* below the manager's own unit: the user's manager made it */
                const char *below = strstr(path, unit) + strlen(unit);
                free(copy);
                copy = strdup(below);
                if (!copy)
                        return -ENOMEM;
                r = unit_of_cgroup_path(copy, &user_unit);
                if (r < 0)
                        return r;
                /* systemd --user itself: a unit no one can stop */
                if (streq_ptr(user_unit, "init.scope")) {
                        free(user_unit);
                        user_unit = NULL;
                }
        }
        *ret_unit = TAKE_PTR(unit);
        *ret_manager_uid = uid;
        *ret_user_unit = TAKE_PTR(user_unit);
        return 0;
}

int process_units(const char *root, pid_t pid, char **ret_unit, uid_t *ret_manager_uid, char **ret_user_unit) {
        _cleanup_free_ char *proc_pid = NULL;

        if (asprintf(&proc_pid, "%s/proc/%d", root && !streq(root, "/") ? root : "", (int) pid) < 0)
                return -ENOMEM;
        return cgroup_units(proc_pid, ret_unit, ret_manager_uid, ret_user_unit);
}

int process_parent(const char *root, pid_t pid, pid_t *ret) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        const char *after;
        int ppid, r;

        if (asprintf(&path, "%s/proc/%d/stat", root && !streq(root, "/") ? root : "", (int) pid) < 0)
                return -ENOMEM;
        r = read_line(path, &line);
        if (r < 0)
                return r;
        /* "PID (comm) S PPID ...": a comm may hold spaces and parentheses */
        after = strrchr(line, ')');
        if (!after || sscanf(after + 1, " %*c %d", &ppid) != 1)
                return -EBADMSG;
        *ret = (pid_t) ppid;
        return 0;
}

/* The link /proc/PID/exe: which program it runs, as the kernel says; NULL
 * when it cannot be read (a kernel thread, a process gone). */
static char *process_exe(const char *proc_pid) {
        _cleanup_free_ char *path = NULL;
        char buf[PATH_MAX];
        ssize_t n;

        if (asprintf(&path, "%s/exe", proc_pid) < 0)
                return NULL;
        n = readlink(path, buf, sizeof buf - 1);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        return strdup(buf);
}

static int holders_add(Holders *h, pid_t pid, const char *proc_pid, const Target *target, bool mapped) {
        _cleanup_free_ char *comm_path = NULL, *comm = NULL, *unit = NULL, *n = NULL, *user_unit = NULL, *exe = NULL;
        uid_t manager_uid;
        Holder *t;
        int r;

        for (size_t i = 0; i < h->n; i++)
                if (h->holders[i].pid == pid && streq(h->holders[i].node, target->node))
                        return 0;

        if (asprintf(&comm_path, "%s/comm", proc_pid) < 0)
                return -ENOMEM;
        r = read_line(comm_path, &comm);
        if (r < 0)
                return r;
        r = cgroup_units(proc_pid, &unit, &manager_uid, &user_unit);
        if (r < 0)
                return r;
        exe = process_exe(proc_pid);
        n = strdup(target->node);
        if (!n)
                return -ENOMEM;

        t = reallocarray(h->holders, h->n + 1, sizeof(Holder));
        if (!t)
                return -ENOMEM;
        h->holders = t;
        h->holders[h->n++] = (Holder) {
                .pid = pid,
                .comm = TAKE_PTR(comm),
                .exe = TAKE_PTR(exe),
                .unit = TAKE_PTR(unit),
                .node = TAKE_PTR(n),
                .rdev = target->rdev,
                .mapped = mapped,
                .manager_uid = manager_uid,
                .user_unit = TAKE_PTR(user_unit),
        };
        return 0;
}

static int scan_fds(const char *proc_pid, const Target *targets, size_t n_targets, pid_t pid, Holders *h) {
        _cleanup_free_ char *fddir = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        if (asprintf(&fddir, "%s/fd", proc_pid) < 0)
                return -ENOMEM;
        d = opendir(fddir);
        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                /* through the link: the open file itself */
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISCHR(st.st_mode))
                        continue;
                for (size_t i = 0; i < n_targets; i++) {
                        if (st.st_rdev != targets[i].rdev)
                                continue;
                        r = holders_add(h, pid, proc_pid, &targets[i], false);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* A desktop's processes map thousands of libraries and anonymous regions,
 * and parsing each line was most of vmrun's own time before its first
 * step in the lab. A target's mapping names the device its node lives on
 * (its maps_dev) or a path in /dev: any other line is passed over after a
 * substring search or two. */
static bool maps_line_may_hold(const char *line, const Target *targets, size_t n_targets) {
        if (strstr(line, " /dev/"))
                return true;
        for (size_t i = 0; i < n_targets; i++)
                if (strstr(line, targets[i].maps_dev))
                        return true;
        return false;
}

static int scan_maps(const char *proc_pid, const Target *targets, size_t n_targets, pid_t pid, Holders *h) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        int r;

        if (asprintf(&path, "%s/maps", proc_pid) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        while (getline(&line, &size, f) >= 0) {
                unsigned major, minor;
                unsigned long long ino;
                int name_at = -1;

                /* 7f..-7f.. rw-s 00000000 00:05 1234   /dev/dri/card0 */
                line[strcspn(line, "\n")] = '\0';
                if (!maps_line_may_hold(line, targets, n_targets))
                        continue;
                if (sscanf(line, "%*s %*s %*s %x:%x %llu %n", &major, &minor, &ino, &name_at) < 3)
                        continue;
                for (size_t i = 0; i < n_targets; i++) {
                        bool by_inode = ino != 0 && makedev(major, minor) == targets[i].dev &&
                                        (ino_t) ino == targets[i].ino;
                        bool by_name = name_at > 0 && streq(line + name_at, targets[i].node);

                        if (!by_inode && !by_name)
                                continue;
                        r = holders_add(h, pid, proc_pid, &targets[i], true);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int cmp_holder(const void *a, const void *b) {
        const Holder *x = a, *y = b;

        if (x->pid != y->pid)
                return x->pid < y->pid ? -1 : 1;
        return strcmp(x->node, y->node);
}

static bool is_pid(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

int held_nodes_stat(const char *root, char *const *nodes, HeldNodes *ret) {
        _cleanup_(held_nodes_done) HeldNodes t = { 0 };
        int r;

        assert(ret);

        t.targets = calloc(strv_length(nodes) + 1, sizeof(Target));
        if (!t.targets)
                return -ENOMEM;
        for (size_t i = 0; nodes && nodes[i]; i++) {
                _cleanup_free_ char *full = NULL;
                struct stat st;

                r = root_path(root, nodes[i], &full);
                if (r < 0)
                        return r;
                if (stat(full, &st) < 0 || !S_ISCHR(st.st_mode)) {
                        log_debug("%s is not a character device (any more), no one can hold it", full);
                        continue;
                }
                t.targets[t.n] = (Target) {
                        .node = nodes[i], .rdev = st.st_rdev, .dev = st.st_dev, .ino = st.st_ino,
                };
                snprintf(t.targets[t.n].maps_dev, sizeof t.targets[t.n].maps_dev, " %02x:%02x ", major(st.st_dev),
                         minor(st.st_dev));
                t.n++;
        }
        *ret = t;
        t = (HeldNodes) { 0 };
        return 0;
}

void held_nodes_done(HeldNodes *t) {
        free(t->targets);
        t->targets = NULL;
        t->n = 0;
}

int holders_of_held_nodes(const char *root, const HeldNodes *t, Holders *ret) {
        _cleanup_(holders_done) Holders h = { 0 };
        _cleanup_free_ char *procdir = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        assert(ret);

        if (t->n > 0) {
                r = root_path(root, "/proc", &procdir);
                if (r < 0)
                        return r;
                d = opendir(procdir);
                if (!d) {
                        r = negative_errno();
                        return log_debug_errno(r, "open %s: %s", procdir, STRERROR(r));
                }
        }
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *proc_pid = NULL;
                pid_t pid;

                if (!is_pid(de->d_name))
                        continue;
                pid = (pid_t) strtol(de->d_name, NULL, 10);
                if (asprintf(&proc_pid, "%s/%s", procdir, de->d_name) < 0)
                        return -ENOMEM;

                r = scan_fds(proc_pid, t->targets, t->n, pid, &h);
                if (r == -EACCES)
                        log_debug("%s/fd: permission denied, its open files are not checked", proc_pid);
                else if (r < 0 && !process_gone(r))
                        return log_debug_errno(r, "%s/fd: %s", proc_pid, STRERROR(r));
                if (process_gone(r))
                        continue;

                r = scan_maps(proc_pid, t->targets, t->n, pid, &h);
                if (r == -EACCES)
                        log_debug("%s/maps: permission denied, its mappings are not checked", proc_pid);
                else if (r < 0 && !process_gone(r))
                        return log_debug_errno(r, "%s/maps: %s", proc_pid, STRERROR(r));
        }

        /* readdir() order is no order: the log lists them by PID */
        if (h.n > 0)
                qsort(h.holders, h.n, sizeof(Holder), cmp_holder);
        *ret = h;
        h = (Holders) { 0 };
        return 0;
}

int holders_find(const char *root, char *const *nodes, Holders *ret) {
        _cleanup_(held_nodes_done) HeldNodes t = { 0 };
        int r;

        r = held_nodes_stat(root, nodes, &t);
        if (r < 0)
                return r;
        return holders_of_held_nodes(root, &t, ret);
}

int holders_of_devices(HostContext *ctx, char *const *devices, Holders *ret) {
        _cleanup_strv_ Strv nodes = { 0 };
        int r;

        for (size_t i = 0; devices[i]; i++) {
                _cleanup_strv_free_ char **n = NULL;
                r = device_nodes(ctx->root, devices[i], &n);
                if (r < 0)
                        return log_debug_errno(r, "device nodes of %s: %s", devices[i], STRERROR(r));
                for (size_t k = 0; n[k]; k++)
                        if (!strv_contains(nodes.v, n[k]) && strv_push(&nodes, n[k]) < 0)
                                return -ENOMEM;
        }
        if (nodes.n == 0) {
                *ret = (Holders) { 0 };
                return 0;
        }
        r = holders_find(ctx->root, nodes.v, ret);
        if (r < 0)
                return log_debug_errno(r, "find processes holding %s: %s", nodes.v[0], STRERROR(r));
        return 0;
}

/* Seen in the lab with PipeWire 0.3.65: the unbind of the GPU's HDA
 * function under a playing stream returned in under 2 s; PipeWire got
 * ENODEV, closed the card's PCM and control nodes, and moved the stream to
 * the host's own card. ALSA's snd_card_free() waits for every open file,
 * so a holder that did not close would hold the unbind (which runs under
 * a deadline, host_write()). */
/* By the program the kernel says it runs, as the distribution installs it:
 * its name (comm) any user sets, and a program that only calls itself
 * pipewire would hold the unbind in the kernel. */
static const char *const audio_servers[] = {
        "/usr/bin/pipewire", "/usr/bin/pipewire-pulse", "/usr/bin/wireplumber", "/usr/bin/pulseaudio",
        "/bin/pipewire", "/bin/pipewire-pulse", "/bin/wireplumber", "/bin/pulseaudio", NULL,
};

bool holder_closes_on_removal(const Holder *h) {
        return startswith(h->node, "/dev/snd/") && h->exe && strv_contains((char **) audio_servers, h->exe);
}

void holder_describe(const Holder *h, char *buf, size_t size) {
        /* a user manager's process by its unit there */
        const char *unit = h->user_unit ? h->user_unit : h->unit;

        snprintf(buf, size, "PID %d (%s%s%s) holds %s%s", (int) h->pid, strempty(h->comm),
                 unit ? ", " : ", in no unit", strempty(unit), h->node, h->mapped ? " (mapped)" : "");
}
