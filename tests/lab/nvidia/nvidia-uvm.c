// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lab's stand-in for NVIDIA's nvidia-uvm.ko (CUDA's unified memory):
 * /dev/nvidia-uvm and /dev/nvidia-uvm-tools on a major of its own, a
 * parameter of NVIDIA's, and its use of nvidia's symbols (which makes it a
 * holder of nvidia beside nvidia-modeset).
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "nvidia-standin.h"

#define NVIDIA_UVM_DEVICE_NAME "nvidia-uvm"
#define NVIDIA_UVM_NUM_MINOR_DEVICES 2

static int uvm_ats_mode = 1;
module_param(uvm_ats_mode, int, 0444);

static dev_t uvm_base;
static struct cdev uvm_cdev;
static struct class *uvm_class;

static int uvm_open(struct inode *inode, struct file *file)
{
        return 0;
}

static const struct file_operations uvm_fops = {
        .owner = THIS_MODULE,
        .open = uvm_open,
        .llseek = noop_llseek,
};

static int __init uvm_init(void)
{
        struct device *dev;
        int r;

        r = nvUvmInterfaceRegisterUvmCallbacks(NULL);
        if (r)
                return r;
        r = alloc_chrdev_region(&uvm_base, 0, NVIDIA_UVM_NUM_MINOR_DEVICES, NVIDIA_UVM_DEVICE_NAME);
        if (r)
                return r;
        cdev_init(&uvm_cdev, &uvm_fops);
        r = cdev_add(&uvm_cdev, uvm_base, NVIDIA_UVM_NUM_MINOR_DEVICES);
        if (r)
                goto out_region;
        uvm_class = nv_class_create(NVIDIA_UVM_DEVICE_NAME);
        if (IS_ERR(uvm_class)) {
                r = PTR_ERR(uvm_class);
                goto out_cdev;
        }
        dev = device_create(uvm_class, NULL, uvm_base, NULL, "nvidia-uvm");
        if (IS_ERR(dev)) {
                r = PTR_ERR(dev);
                goto out_class;
        }
        dev = device_create(uvm_class, NULL, uvm_base + 1, NULL, "nvidia-uvm-tools");
        if (IS_ERR(dev)) {
                r = PTR_ERR(dev);
                goto out_dev;
        }
        return 0;

out_dev:
        device_destroy(uvm_class, uvm_base);
out_class:
        class_destroy(uvm_class);
out_cdev:
        cdev_del(&uvm_cdev);
out_region:
        unregister_chrdev_region(uvm_base, NVIDIA_UVM_NUM_MINOR_DEVICES);
        return r;
}

static void __exit uvm_exit(void)
{
        device_destroy(uvm_class, uvm_base + 1);
        device_destroy(uvm_class, uvm_base);
        class_destroy(uvm_class);
        cdev_del(&uvm_cdev);
        unregister_chrdev_region(uvm_base, NVIDIA_UVM_NUM_MINOR_DEVICES);
}

module_init(uvm_init);
module_exit(uvm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmrun lab: a stand-in with the shape of NVIDIA's nvidia-uvm.ko");
