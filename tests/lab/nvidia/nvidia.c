// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lab's stand-in for NVIDIA's nvidia.ko: its name, its character
 * devices (major 195: /dev/nvidia0 per GPU, /dev/nvidiactl at minor 255),
 * its PCI binding, a few of its NVreg_ parameters and the symbol
 * nvidia-modeset and nvidia-uvm link against. It drives nothing: the GPU
 * it binds is the lab's emulated one (1234:1111) or any NVIDIA display
 * controller. Like NVIDIA's driver without nvidia-drm's fbdev, it leaves
 * the firmware framebuffer where it is.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/version.h>

#include "nvidia-standin.h"

#define NV_MAJOR_DEVICE_NUMBER 195
#define NV_MINOR_DEVICE_NUMBER_CONTROL_DEVICE 255
/* minor 254 is nvidia-modeset's (nvidia-modeset.c registers it) */
#define NV_MINOR_DEVICES 254

static int NVreg_ModifyDeviceFiles = 1;
module_param(NVreg_ModifyDeviceFiles, int, 0400);
static int NVreg_PreserveVideoMemoryAllocations;
module_param(NVreg_PreserveVideoMemoryAllocations, int, 0400);
static int NVreg_DynamicPowerManagement = 3;
module_param(NVreg_DynamicPowerManagement, int, 0400);
static int NVreg_EnableGpuFirmware = 18;
module_param(NVreg_EnableGpuFirmware, int, 0400);

static struct class *nv_class;
static struct cdev nv_cdev, nv_ctl_cdev;
static struct pci_dev *nv_gpu;
static DEFINE_MUTEX(nv_lock);

static int nv_open(struct inode *inode, struct file *file)
{
        return 0;
}

static int nv_release(struct inode *inode, struct file *file)
{
        return 0;
}

/* The owner makes an open node count in the module's refcount, as with
 * NVIDIA's: "module nvidia is in use" while anything holds one. */
static const struct file_operations nv_fops = {
        .owner = THIS_MODULE,
        .open = nv_open,
        .release = nv_release,
        .llseek = noop_llseek,
};

/* nvidia-modeset asks nvidia for the GPU through this (in NVIDIA's driver,
 * a table of resource manager calls); here: the GPU this driver bound. */
struct pci_dev *nvidia_get_rm_ops(void)
{
        struct pci_dev *gpu;

        mutex_lock(&nv_lock);
        gpu = nv_gpu ? pci_dev_get(nv_gpu) : NULL;
        mutex_unlock(&nv_lock);
        return gpu;
}
EXPORT_SYMBOL_GPL(nvidia_get_rm_ops);

/* nvidia-uvm links against this (one of NVIDIA's nvUvmInterface calls). */
int nvUvmInterfaceRegisterUvmCallbacks(void *ops)
{
        return 0;
}
EXPORT_SYMBOL_GPL(nvUvmInterfaceRegisterUvmCallbacks);

static int nv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
        struct device *dev;

        mutex_lock(&nv_lock);
        if (nv_gpu) {
                mutex_unlock(&nv_lock);
                return -EBUSY;  /* one GPU is all the lab has */
        }
        dev = device_create(nv_class, &pdev->dev, MKDEV(NV_MAJOR_DEVICE_NUMBER, 0), NULL, "nvidia0");
        if (IS_ERR(dev)) {
                mutex_unlock(&nv_lock);
                return PTR_ERR(dev);
        }
        nv_gpu = pdev;
        mutex_unlock(&nv_lock);
        dev_info(&pdev->dev, "nvidia (lab stand-in): /dev/nvidia0\n");
        return 0;
}

static void nv_remove(struct pci_dev *pdev)
{
        mutex_lock(&nv_lock);
        device_destroy(nv_class, MKDEV(NV_MAJOR_DEVICE_NUMBER, 0));
        nv_gpu = NULL;
        mutex_unlock(&nv_lock);
}

#define NV_PCI_IDS \
        { PCI_DEVICE(PCI_VENDOR_ID_NVIDIA, PCI_ANY_ID), .class = PCI_CLASS_DISPLAY_VGA << 8, .class_mask = ~0 }, \
        { PCI_DEVICE(PCI_VENDOR_ID_NVIDIA, PCI_ANY_ID), .class = PCI_CLASS_DISPLAY_3D << 8, .class_mask = ~0 }

/* The lab's emulated GPU (QEMU's "VGA") is matched once the module is
 * loaded, but is not in the module's aliases: udev, where the lab runs it,
 * loads bochs for that GPU, never this. */
static const struct pci_device_id nv_pci_table[] = { NV_PCI_IDS, { PCI_DEVICE(0x1234, 0x1111) }, { } };
static const struct pci_device_id nv_pci_aliases[] = { NV_PCI_IDS, { } };
MODULE_DEVICE_TABLE(pci, nv_pci_aliases);

static struct pci_driver nv_pci_driver = {
        .name = "nvidia",
        .id_table = nv_pci_table,
        .probe = nv_probe,
        .remove = nv_remove,
};

static int nv_cdev_add(struct cdev *c, unsigned int minor, unsigned int count)
{
        /* no cdev owner: the fops' owner makes one reference per open
         * file, as lsmod shows for NVIDIA's */
        cdev_init(c, &nv_fops);
        return cdev_add(c, MKDEV(NV_MAJOR_DEVICE_NUMBER, minor), count);
}

static int __init nvidia_init(void)
{
        dev_t ctl = MKDEV(NV_MAJOR_DEVICE_NUMBER, NV_MINOR_DEVICE_NUMBER_CONTROL_DEVICE);
        struct device *dev;
        int r;

        r = register_chrdev_region(MKDEV(NV_MAJOR_DEVICE_NUMBER, 0), NV_MINOR_DEVICES, "nvidia");
        if (r)
                return r;
        r = register_chrdev_region(ctl, 1, "nvidiactl");
        if (r)
                goto out_region;
        nv_class = nv_class_create("nvidia");
        if (IS_ERR(nv_class)) {
                r = PTR_ERR(nv_class);
                goto out_ctl_region;
        }
        r = nv_cdev_add(&nv_cdev, 0, NV_MINOR_DEVICES);
        if (r)
                goto out_class;
        r = nv_cdev_add(&nv_ctl_cdev, NV_MINOR_DEVICE_NUMBER_CONTROL_DEVICE, 1);
        if (r)
                goto out_cdev;
        dev = device_create(nv_class, NULL, ctl, NULL, "nvidiactl");
        if (IS_ERR(dev)) {
                r = PTR_ERR(dev);
                goto out_ctl_cdev;
        }
        r = pci_register_driver(&nv_pci_driver);
        if (r)
                goto out_ctl_dev;
        return 0;

out_ctl_dev:
        device_destroy(nv_class, ctl);
out_ctl_cdev:
        cdev_del(&nv_ctl_cdev);
out_cdev:
        cdev_del(&nv_cdev);
out_class:
        class_destroy(nv_class);
out_ctl_region:
        unregister_chrdev_region(ctl, 1);
out_region:
        unregister_chrdev_region(MKDEV(NV_MAJOR_DEVICE_NUMBER, 0), NV_MINOR_DEVICES);
        return r;
}

static void __exit nvidia_exit(void)
{
        dev_t ctl = MKDEV(NV_MAJOR_DEVICE_NUMBER, NV_MINOR_DEVICE_NUMBER_CONTROL_DEVICE);

        pci_unregister_driver(&nv_pci_driver);
        device_destroy(nv_class, ctl);
        cdev_del(&nv_ctl_cdev);
        cdev_del(&nv_cdev);
        class_destroy(nv_class);
        unregister_chrdev_region(ctl, 1);
        unregister_chrdev_region(MKDEV(NV_MAJOR_DEVICE_NUMBER, 0), NV_MINOR_DEVICES);
}

module_init(nvidia_init);
module_exit(nvidia_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmrun lab: a stand-in with the shape of NVIDIA's nvidia.ko");
MODULE_ALIAS_CHARDEV_MAJOR(NV_MAJOR_DEVICE_NUMBER);
