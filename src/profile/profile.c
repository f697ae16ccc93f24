/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "basic/parse.h"
#include "basic/strv.h"
#include "basic/test-switch.h"
#include "profile/profile.h"
#include "profile/reader.h"

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
