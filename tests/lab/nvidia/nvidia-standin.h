/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the lab's NVIDIA stand-ins share: the calls between them, and the
 * kernel interfaces that changed between the lab's two kernels. */
#include <linux/device.h>
#include <linux/version.h>

struct pci_dev;

struct pci_dev *nvidia_get_rm_ops(void);
int nvUvmInterfaceRegisterUvmCallbacks(void *ops);
struct pci_dev *nvKmsKapiGetFunctionsTable(void);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define nv_class_create(name) class_create(name)
#else
#define nv_class_create(name) class_create(THIS_MODULE, name)
#endif
