// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lab's stand-in for NVIDIA's nvidia-drm.ko: with modeset=1 a DRM
 * device on the GPU (card and renderD nodes, one eDP connector, as a
 * laptop's panel), and with fbdev=1 a DRM fbdev console that first removes
 * the firmware framebuffer from the GPU's memory, as NVIDIA's does. Its use
 * of nvidia-modeset's symbol makes it nvidia-modeset's holder. Scanout
 * goes nowhere: the buffers are shmem, and the emulated GPU shows the
 * firmware's picture throughout. It takes the GPU once, at load: unlike
 * NVIDIA's, it does not follow the GPU being unbound from nvidia while it
 * is loaded (vmrun unloads nvidia-drm first; the lab never unbinds).
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/version.h>

#include <drm/drm_atomic_helper.h>
#include <drm/drm_drv.h>
#include <drm/drm_edid.h>
#include <drm/drm_fb_helper.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_managed.h>
#include <drm/drm_probe_helper.h>
#include <drm/drm_simple_kms_helper.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#include <drm/drm_fbdev_shmem.h>
#include <linux/aperture.h>
#else
#include <drm/drm_aperture.h>
#endif

#include "nvidia-standin.h"

/* NVIDIA's defaults since 570: both on unless modprobe.d says otherwise */
static bool modeset = true;
module_param(modeset, bool, 0400);
MODULE_PARM_DESC(modeset, "Enable atomic kernel modesetting (1 = enable, 0 = disable)");
static bool fbdev = true;
module_param(fbdev, bool, 0400);
MODULE_PARM_DESC(fbdev, "Create a framebuffer device (1 = enable, 0 = disable)");

static struct drm_device *nv_drm;
static struct drm_simple_display_pipe nv_pipe;
static struct drm_connector nv_connector;

static const uint32_t nv_formats[] = { DRM_FORMAT_XRGB8888 };

static int nv_connector_get_modes(struct drm_connector *connector)
{
        int n = drm_add_modes_noedid(connector, 1920, 1080);

        drm_set_preferred_mode(connector, 1024, 768);
        return n;
}

static const struct drm_connector_helper_funcs nv_connector_helper_funcs = {
        .get_modes = nv_connector_get_modes,
};

static const struct drm_connector_funcs nv_connector_funcs = {
        .fill_modes = drm_helper_probe_single_connector_modes,
        .destroy = drm_connector_cleanup,
        .reset = drm_atomic_helper_connector_reset,
        .atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
        .atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
};

static void nv_pipe_enable(struct drm_simple_display_pipe *pipe, struct drm_crtc_state *crtc_state,
                           struct drm_plane_state *plane_state)
{
}

static void nv_pipe_update(struct drm_simple_display_pipe *pipe, struct drm_plane_state *old_state)
{
}

static const struct drm_simple_display_pipe_funcs nv_pipe_funcs = {
        .enable = nv_pipe_enable,
        .update = nv_pipe_update,
};

static const struct drm_mode_config_funcs nv_mode_config_funcs = {
        .fb_create = drm_gem_fb_create_with_dirty,
        .atomic_check = drm_atomic_helper_check,
        .atomic_commit = drm_atomic_helper_commit,
};

DEFINE_DRM_GEM_FOPS(nv_drm_fops);

static const struct drm_driver nv_drm_driver = {
        .driver_features = DRIVER_MODESET | DRIVER_GEM | DRIVER_ATOMIC | DRIVER_RENDER,
        .fops = &nv_drm_fops,
        DRM_GEM_SHMEM_DRIVER_OPS,
        .name = "nvidia-drm",
        .desc = "NVIDIA DRM driver (vmrun lab stand-in)",
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 14, 0)
        .date = "20160202",
#endif
        .major = 0,
        .minor = 0,
};

static int nv_drm_modeset_init(struct drm_device *dev)
{
        int r;

        r = drmm_mode_config_init(dev);
        if (r)
                return r;
        dev->mode_config.min_width = 64;
        dev->mode_config.min_height = 64;
        dev->mode_config.max_width = 4096;
        dev->mode_config.max_height = 4096;
        dev->mode_config.preferred_depth = 24;
        dev->mode_config.funcs = &nv_mode_config_funcs;

        drm_connector_helper_add(&nv_connector, &nv_connector_helper_funcs);
        r = drm_connector_init(dev, &nv_connector, &nv_connector_funcs, DRM_MODE_CONNECTOR_eDP);
        if (r)
                return r;
        r = drm_simple_display_pipe_init(dev, &nv_pipe, &nv_pipe_funcs, nv_formats, ARRAY_SIZE(nv_formats), NULL,
                                         &nv_connector);
        if (r)
                return r;
        drm_mode_config_reset(dev);
        return 0;
}

/* The firmware framebuffer sits in the GPU's memory: the fbdev console
 * replaces it, as nvidia-drm does when fbdev=1. */
static int nv_remove_firmware_framebuffer(struct pci_dev *pdev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
        return aperture_remove_conflicting_pci_devices(pdev, nv_drm_driver.name);
#else
        return drm_aperture_remove_conflicting_pci_framebuffers(pdev, &nv_drm_driver);
#endif
}

static void nv_fbdev_setup(struct drm_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
        drm_fbdev_shmem_setup(dev, 32);
#else
        drm_fbdev_generic_setup(dev, 32);
#endif
}

static int __init nv_drm_init(void)
{
        struct pci_dev *gpu;
        struct drm_device *dev;
        int r;

        gpu = nvKmsKapiGetFunctionsTable();
        if (!modeset) {
                /* NVIDIA's nvidia-drm loads and registers nothing */
                pci_dev_put(gpu);
                return 0;
        }
        if (!gpu) {
                pr_info("nvidia-drm (lab stand-in): no GPU bound to nvidia, no DRM device\n");
                return 0;
        }
        if (fbdev) {
                r = nv_remove_firmware_framebuffer(gpu);
                if (r)
                        goto out_gpu;
        }
        dev = drm_dev_alloc(&nv_drm_driver, &gpu->dev);
        if (IS_ERR(dev)) {
                r = PTR_ERR(dev);
                goto out_gpu;
        }
        r = nv_drm_modeset_init(dev);
        if (r)
                goto out_dev;
        r = drm_dev_register(dev, 0);
        if (r)
                goto out_dev;
        nv_drm = dev;
        if (fbdev)
                nv_fbdev_setup(dev);
        pci_dev_put(gpu);
        return 0;

out_dev:
        drm_dev_put(dev);
out_gpu:
        pci_dev_put(gpu);
        return r;
}

static void __exit nv_drm_exit(void)
{
        if (!nv_drm)
                return;
        drm_dev_unregister(nv_drm);
        drm_atomic_helper_shutdown(nv_drm);
        drm_dev_put(nv_drm);
}

module_init(nv_drm_init);
module_exit(nv_drm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmrun lab: a stand-in with the shape of NVIDIA's nvidia-drm.ko");
