// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lab's stand-in for NVIDIA's nvidia-modeset.ko: /dev/nvidia-modeset
 * (major 195, minor 254), a few of its parameters, its use of nvidia's
 * symbols (which makes it a holder of nvidia) and the symbol nvidia-drm
 * links against.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "nvidia-standin.h"

#define NV_MAJOR_DEVICE_NUMBER 195
#define NV_MINOR_DEVICE_NUMBER_MODESET_DEVICE 254

static bool output_rounding_fix = true;
module_param(output_rounding_fix, bool, 0400);
static bool disable_hdmi_frl;
module_param(disable_hdmi_frl, bool, 0400);
static bool hdmi_deepcolor = true;
module_param(hdmi_deepcolor, bool, 0400);

static struct class *nvkms_class;
static struct cdev nvkms_cdev;

static int nvkms_open(struct inode *inode, struct file *file)
{
        return 0;
}

static const struct file_operations nvkms_fops = {
        .owner = THIS_MODULE,
        .open = nvkms_open,
        .llseek = noop_llseek,
};

/* In NVIDIA's driver, nvidia-drm's table of modesetting calls; here the
 * GPU nvidia bound, with a reference the caller puts. */
struct pci_dev *nvKmsKapiGetFunctionsTable(void)
{
        return nvidia_get_rm_ops();
}
EXPORT_SYMBOL_GPL(nvKmsKapiGetFunctionsTable);

static int __init nvkms_init(void)
{
        dev_t devt = MKDEV(NV_MAJOR_DEVICE_NUMBER, NV_MINOR_DEVICE_NUMBER_MODESET_DEVICE);
        struct device *dev;
        int r;

        r = register_chrdev_region(devt, 1, "nvidia-modeset");
        if (r)
                return r;
        cdev_init(&nvkms_cdev, &nvkms_fops);
        r = cdev_add(&nvkms_cdev, devt, 1);
        if (r)
                goto out_region;
        nvkms_class = nv_class_create("nvidia-modeset");
        if (IS_ERR(nvkms_class)) {
                r = PTR_ERR(nvkms_class);
                goto out_cdev;
        }
        dev = device_create(nvkms_class, NULL, devt, NULL, "nvidia-modeset");
        if (IS_ERR(dev)) {
                r = PTR_ERR(dev);
                goto out_class;
        }
        return 0;

out_class:
        class_destroy(nvkms_class);
out_cdev:
        cdev_del(&nvkms_cdev);
out_region:
        unregister_chrdev_region(devt, 1);
        return r;
}

static void __exit nvkms_exit(void)
{
        dev_t devt = MKDEV(NV_MAJOR_DEVICE_NUMBER, NV_MINOR_DEVICE_NUMBER_MODESET_DEVICE);

        device_destroy(nvkms_class, devt);
        class_destroy(nvkms_class);
        cdev_del(&nvkms_cdev);
        unregister_chrdev_region(devt, 1);
}

module_init(nvkms_init);
module_exit(nvkms_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmrun lab: a stand-in with the shape of NVIDIA's nvidia-modeset.ko");
