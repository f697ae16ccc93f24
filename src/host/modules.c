/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <libkmod.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <limits.h>
#include <stdarg.h>

#include "basic/log.h"
#include "host/modules.h"
#include "basic/strv.h"

/* Holder chains are a few modules deep (nvidia_drm → nvidia_modeset →
 * nvidia); anything deeper is a loop in what sysfs says, not a real chain. */
#define MODULE_HOLDERS_MAX_DEPTH 32

struct Modules {
        struct kmod_ctx *kmod;
};

static inline void kmod_module_unrefp(struct kmod_module **m) {
        if (*m)
                kmod_module_unref(*m);
}
#define _cleanup_kmod_module_ _cleanup_(kmod_module_unrefp)

static inline void kmod_module_unref_listp(struct kmod_list **l) {
        if (*l)
                kmod_module_unref_list(*l);
}
#define _cleanup_kmod_module_list_ _cleanup_(kmod_module_unref_listp)

/* libkmod's own messages ("could not open moddep file") go to our log at
 * debug level: the caller reports what failed, with the module named. */
_printf_(6, 0)
static void kmod_log(_unused_ void *data, _unused_ int priority, _unused_ const char *file, _unused_ int line, _unused_ const char *fn, const char *format,
                     va_list args) {
        _cleanup_free_ char *s = NULL;

        if (vasprintf(&s, format, args) < 0)
                return;
        s[strcspn(s, "\n")] = '\0';
        log_debug("libkmod: %s", s);
}

int modules_new(Modules **ret) {
        Modules *m;

        assert(ret);

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        /* NULL, NULL: the running kernel's modules and the system's
         * modprobe.d, as modprobe itself would see them */
        m->kmod = kmod_new(NULL, NULL);
        if (!m->kmod) {
                free(m);
                return -ENOMEM;
        }
        kmod_set_log_fn(m->kmod, kmod_log, NULL);
        kmod_set_log_priority(m->kmod, LOG_DEBUG);
        *ret = m;
        return 0;
}

Modules *modules_free(Modules *m) {
        if (!m)
                return NULL;
        kmod_unref(m->kmod);
        free(m);
        return NULL;
}

static int module_get(Modules *m, const char *name, struct kmod_module **ret) {
        int r;

        assert(m);
        assert(name);

        /* libkmod normalizes the name: "nvidia-drm" is "nvidia_drm" */
        r = kmod_module_new_from_name(m->kmod, name, ret);
        if (r < 0)
                return log_debug_errno(r, "libkmod: module %s: %s", name, STRERROR(r));
        return 0;
}

static int module_initstate(struct kmod_module *mod, ModuleState *ret) {
        int s = kmod_module_get_initstate(mod);

        switch (s) {
        case -ENOENT:
                *ret = MODULE_ABSENT;
                return 0;
        case KMOD_MODULE_LIVE:
                *ret = MODULE_LIVE;
                return 0;
        case KMOD_MODULE_BUILTIN:
                *ret = MODULE_BUILTIN;
                return 0;
        case KMOD_MODULE_COMING: {
                _cleanup_free_ char *path = NULL;

                /* libkmod says "coming" for a /sys/module/NAME without
                 * initstate when it cannot tell built-ins by modules.builtin;
                 * but only built-in modules lack initstate for longer than
                 * the moment a module is being loaded */
                if (asprintf(&path, "/sys/module/%s/initstate", kmod_module_get_name(mod)) < 0)
                        return -ENOMEM;
                if (access(path, F_OK) < 0 && errno == ENOENT) {
                        log_debug("module %s has no %s: built in", kmod_module_get_name(mod), path);
                        *ret = MODULE_BUILTIN;
                } else
                        *ret = MODULE_COMING;
                return 0;
        }
        case KMOD_MODULE_GOING:
                *ret = MODULE_GOING;
                return 0;
        default:
                return s < 0 ? s : -EBADMSG;
        }
}

/* The module by name, with its init state. */
static int module_get_state(Modules *m, const char *name, struct kmod_module **ret_mod, ModuleState *ret_state) {
        _cleanup_kmod_module_ struct kmod_module *mod = NULL;
        int r;

        r = module_get(m, name, &mod);
        if (r < 0)
                return r;
        r = module_initstate(mod, ret_state);
        if (r < 0)
                return log_debug_errno(r, "init state of module %s: %s", name, STRERROR(r));
        *ret_mod = TAKE_PTR(mod);
        return 0;
}

int module_state(Modules *m, const char *name, ModuleState *ret) {
        _cleanup_kmod_module_ struct kmod_module *mod = NULL;
        ModuleState s;
        int r;

        assert(ret);

        r = module_get_state(m, name, &mod, &s);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

/* Depth first: a module goes into `order` only after everything holding
 * it, so removing in list order never meets a holder still loaded. */
static int add_with_holders(struct kmod_module *mod, Strv *order, unsigned depth) {
        _cleanup_kmod_module_list_ struct kmod_list *holders = NULL;
        struct kmod_list *l;
        const char *name = kmod_module_get_name(mod);
        int r;

        if (strv_contains(order->v, name))
                return 0;
        if (depth > MODULE_HOLDERS_MAX_DEPTH)
                return log_debug_errno(-ELOOP, "holders of module %s go deeper than %d modules", name,
                                       MODULE_HOLDERS_MAX_DEPTH);

        holders = kmod_module_get_holders(mod);
        kmod_list_foreach(l, holders) {
                _cleanup_kmod_module_ struct kmod_module *h = kmod_module_get_module(l);

                r = add_with_holders(h, order, depth + 1);
                if (r < 0)
                        return r;
        }
        /* a holder of two of our modules was added on the first path */
        if (strv_contains(order->v, name))
                return 0;
        return strv_push(order, name);
}

int module_removal_order(Modules *m, const char *name, char ***ret) {
        _cleanup_kmod_module_ struct kmod_module *mod = NULL;
        _cleanup_strv_ Strv order = { 0 };
        ModuleState s;
        int r;

        assert(ret);

        r = module_get_state(m, name, &mod, &s);
        if (r < 0)
                return r;

        /* built-in modules have no holders that could be removed either */
        if (s != MODULE_ABSENT && s != MODULE_BUILTIN) {
                r = add_with_holders(mod, &order, 0);
                if (r < 0)
                        return r;
        }
        if (!order.v && !(order.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(order.v);
        order = (Strv) { 0 };
        return 0;
}

static int holder_list(struct kmod_module *mod, char ***ret) {
        _cleanup_kmod_module_list_ struct kmod_list *holders = NULL;
        _cleanup_strv_ Strv names = { 0 };
        struct kmod_list *l;

        holders = kmod_module_get_holders(mod);
        kmod_list_foreach(l, holders) {
                _cleanup_kmod_module_ struct kmod_module *h = kmod_module_get_module(l);

                if (strv_push(&names, kmod_module_get_name(h)) < 0)
                        return -ENOMEM;
        }
        if (!names.v && !(names.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(names.v);
        names = (Strv) { 0 };
        return 0;
}

static bool module_has_holders(struct kmod_module *mod) {
        _cleanup_kmod_module_list_ struct kmod_list *holders = kmod_module_get_holders(mod);

        return holders != NULL;
}

static int log_in_use(struct kmod_module *mod, int refcnt) {
        _cleanup_strv_free_ char **holders = NULL;
        _cleanup_free_ char *list = NULL;
        const char *name = kmod_module_get_name(mod);

        /* out of memory here still leaves "in use" to say */
        if (holder_list(mod, &holders) >= 0)
                list = strv_join(holders, ", ");
        return log_error_errno(-EBUSY, "module %s is in use (refcount %d, holders: %s): %s",
                               name, refcnt, !list ? "unknown" : *list ? list : "none",
                               list && *list ? "those modules must be unloaded first"
                                             : "a process has one of its devices open (see `lsof /dev/dri/* /dev/nvidia*`)");
}

void module_usage_done(ModuleUsage *u) {
        strv_free(u->holders);
        *u = (ModuleUsage) { 0 };
}

int module_usage(Modules *m, const char *name, ModuleUsage *ret) {
        _cleanup_kmod_module_ struct kmod_module *mod = NULL;
        ModuleUsage u = { 0 };
        ModuleState s;
        int r;

        assert(ret);

        r = module_get_state(m, name, &mod, &s);
        if (r < 0)
                return r;
        if (s == MODULE_ABSENT || s == MODULE_BUILTIN)
                return log_debug_errno(-ENOENT, "module %s is not a loaded module", name);
        u.refcnt = kmod_module_get_refcnt(mod);
        if (u.refcnt < 0)
                return log_debug_errno(u.refcnt, "refcount of module %s: %s", name, STRERROR(u.refcnt));
        r = holder_list(mod, &u.holders);
        if (r < 0)
                return r;
        *ret = u;
        return 0;
}

/* A reference no process shows lasts a moment: a descriptor in flight
 * over a socket (logind's copy of a session's card on its way to PID 1's
 * fd store, or dropped with the session) or one being closed. Its end is
 * the file's last close, which inotify reports on the node's directory:
 * before "in use" is said, the count is looked at again on each close in
 * /dev and /dev/dri, until the deadline. Returns the count then. */
static int refcount_settle(struct kmod_module *mod, int refcnt, usec_t deadline) {
        _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        int watched = 0;

        if (fd >= 0) {
                watched += inotify_add_watch(fd, "/dev", IN_CLOSE) >= 0;
                watched += inotify_add_watch(fd, "/dev/dri", IN_CLOSE) >= 0;
        }
        /* without a watch there is no close to wake on: said at once */
        if (watched == 0) {
                log_debug("module %s: closes in /dev cannot be watched (%s): its count is not looked at again",
                          kmod_module_get_name(mod), strerror(errno));
                return refcnt;
        }
        while (refcnt > 0) {
                char buf[4096];
                usec_t now = now_usec();
                struct pollfd p = { .fd = fd, .events = POLLIN };

                if (now >= deadline || poll(&p, 1, (int) ((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC)) <= 0)
                        break;
                while (read(fd, buf, sizeof buf) > 0)
                        ;
                refcnt = kmod_module_get_refcnt(mod);
        }
        return refcnt;
}

int module_remove(Modules *m, const char *name) {
        _cleanup_kmod_module_ struct kmod_module *mod = NULL;
        ModuleState s;
        int refcnt, r;

        r = module_get_state(m, name, &mod, &s);
        if (r < 0)
                return r;
        if (s == MODULE_ABSENT) {
                log_debug("module %s is not loaded, nothing to remove", name);
                return 0;
        }
        if (s == MODULE_BUILTIN)
                return log_debug_errno(-EPERM, "module %s is built into the kernel and cannot be removed; "
                                       "unbind its devices instead", name);

        if (s == MODULE_COMING)
                return log_error_errno(-EBUSY, "module %s is still being loaded; try again once it is", name);

        refcnt = kmod_module_get_refcnt(mod);
        if (refcnt < 0 && refcnt != -ENOENT)
                return log_debug_errno(refcnt, "refcount of module %s: %s", name, STRERROR(refcnt));
        if (refcnt > 0 && !module_has_holders(mod))
                refcnt = refcount_settle(mod, refcnt, deadline_after(MODULE_REFCOUNT_SETTLE));
        if (refcnt > 0)
                return log_in_use(mod, refcnt);

        /* never KMOD_REMOVE_FORCE: a module pulled from under its users
         * takes the kernel down with it */
        r = kmod_module_remove_module(mod, 0);
        if (r == -ENOENT) {
                log_debug("module %s went away on its own", name);
                return 0;
        }
        if (r == -EBUSY || r == -EAGAIN) {
                /* got a user between the check and the removal */
                refcnt = kmod_module_get_refcnt(mod);
                return log_in_use(mod, refcnt < 0 ? 0 : refcnt);
        }
        if (r < 0)
                return log_debug_errno(r, "remove module %s: %s", name, STRERROR(r));
        log_debug("module %s removed", name);
        return 0;
}

int module_load(Modules *m, const char *name) {
        _cleanup_kmod_module_list_ struct kmod_list *list = NULL;
        struct kmod_list *l;
        int r;

        assert(m);
        assert(name);

        r = kmod_module_new_from_lookup(m->kmod, name, &list);
        if (r < 0)
                return log_debug_errno(r, "look up module %s: %s", name, STRERROR(r));
        if (!list)
                return log_debug_errno(-ENOENT, "no module %s for this kernel", name);

        kmod_list_foreach(l, list) {
                _cleanup_kmod_module_ struct kmod_module *mod = kmod_module_get_module(l);

                /* like modprobe: the blacklist only hides modules that an
                 * alias resolves to, never a module asked for by its name;
                 * already loaded and built in are success */
                r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY, NULL, NULL, NULL,
                                                    NULL);
                if (r == -EEXIST)
                        r = 0;
                if (r > 0)
                        return log_debug_errno(-EPERM, "module %s (for %s) is blacklisted in modprobe.d",
                                               kmod_module_get_name(mod), name);
                if (r < 0)
                        return log_debug_errno(r, "load module %s: %s", kmod_module_get_name(mod), STRERROR(r));
                log_debug("module %s loaded (for %s)", kmod_module_get_name(mod), name);
        }
        return 0;
}

int module_available(Modules *m, const char *name) {
        _cleanup_kmod_module_list_ struct kmod_list *list = NULL;
        struct kmod_list *l;
        int r;

        assert(m);
        assert(name);

        r = kmod_module_new_from_lookup(m->kmod, name, &list);
        if (r < 0)
                return log_debug_errno(r, "look up module %s: %s", name, STRERROR(r));
        kmod_list_foreach(l, list) {
                _cleanup_kmod_module_ struct kmod_module *mod = kmod_module_get_module(l);
                ModuleState s;

                if (module_initstate(mod, &s) >= 0 && s != MODULE_ABSENT)
                        return 0;
                if (kmod_module_get_path(mod))
                        return 0;
        }
        return log_debug_errno(-ENOENT, "no module %s for this kernel", name);
}

int driver_module(const char *root, const char *driver, char **ret) {
        _cleanup_free_ char *link = NULL, *dir = NULL;
        char target[PATH_MAX];
        const char *base;
        ssize_t n;
        char *s;
        int r;

        assert(driver);
        assert(ret);

        if (!*driver || strchr(driver, '/') || streq(driver, ".") || streq(driver, ".."))
                return -EINVAL;
        if (!root || streq(root, "/"))
                root = "";
        if (asprintf(&link, "%s/sys/bus/pci/drivers/%s/module", root, driver) < 0)
                return -ENOMEM;
        n = readlink(link, target, sizeof target - 1);
        if (n < 0) {
                r = negative_errno();
                if (r != -ENOENT)
                        return log_debug_errno(r, "read link %s: %s", link, STRERROR(r));
                /* no such driver at all is not the same as a built-in one */
                if (asprintf(&dir, "%s/sys/bus/pci/drivers/%s", root, driver) < 0)
                        return -ENOMEM;
                if (access(dir, F_OK) < 0)
                        return log_debug_errno(negative_errno(), "no PCI driver %s (%s)", driver, dir);
                /* built-in drivers have no module link */
                *ret = NULL;
                return 0;
        }
        target[n] = '\0';
        base = strrchr(target, '/');
        s = strdup(base ? base + 1 : target);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
