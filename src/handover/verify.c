/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "basic/log.h"
#include "host/host.h"
#include "handover/step-types.h"
#include "handover/steps.h"

/* After the restore: is the host as the plan expected to find it again? */

int host_verify(HostContext *ctx, const json_t *expect) {
        const char *dev, *gpu = str_param(expect, "gpu");
        json_t *drv;
        int ret = 0;

        json_object_foreach((json_t *) json_object_get(expect, "drivers"), dev, drv) {
                _cleanup_free_ char *now = NULL;
                const char *want = json_string_value(drv);

                if (!want)
                        continue;
                if (device_driver(ctx, dev, &now) < 0 || !streq(now, want)) {
                        log_error("not back: %s is bound to %s, it was bound to %s", dev, now ? now : "no driver", want);
                        ret = -EIO;
                } else
                        log_info("back: %s bound to %s", dev, want);
        }

        if (gpu && json_object_get(json_object_get(expect, "drivers"), gpu) &&
            json_string_value(json_object_get(json_object_get(expect, "drivers"), gpu))) {
                _cleanup_strv_free_ char **cards = NULL;
                bool found = false;

                if (host_list_dir(ctx, "/sys/class/drm", &cards) >= 0)
                        for (size_t k = 0; cards[k] && !found; k++) {
                                _cleanup_free_ char *link = NULL, *target = NULL;
                                if (strncmp(cards[k], "card", 4) != 0 || strchr(cards[k], '-'))
                                        continue;
                                if (asprintf(&link, "/sys/class/drm/%s/device", cards[k]) < 0)
                                        return -ENOMEM;
                                found = host_link_name(ctx, link, &target) >= 0 && streq(target, gpu);
                        }
                if (!found) {
                        log_error("not back: no DRM card for %s in /sys/class/drm", gpu);
                        ret = -EIO;
                } else
                        log_info("back: DRM card for %s", gpu);
        }

        if (json_is_true(json_object_get(expect, "fbcon"))) {
                _cleanup_strv_free_ char **vtcons = NULL;
                bool bound = false;

                if (host_list_dir(ctx, "/sys/class/vtconsole", &vtcons) >= 0)
                        for (size_t k = 0; vtcons[k] && !bound; k++) {
                                _cleanup_free_ char *np = NULL, *bp = NULL, *n = NULL, *b = NULL;
                                if (vtcon_path(vtcons[k], "name", &np) < 0 || vtcon_path(vtcons[k], "bind", &bp) < 0)
                                        return -ENOMEM;
                                bound = host_read(ctx, np, &n) >= 0 && host_read(ctx, bp, &b) >= 0 &&
                                        strstr(n, "frame buffer") && streq(b, "1");
                        }
                if (!bound) {
                        log_error("not back: no frame buffer console is bound (/sys/class/vtconsole/*/bind)");
                        ret = -EIO;
                } else
                        log_info("back: frame buffer console bound");
        }
        return ret;
}
