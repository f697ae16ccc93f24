/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "host/host.h"
#include "host/kvm.h"
#include "basic/log.h"

int kvm_caps_open(const HostContext *ctx, KvmCaps *ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = host_path(ctx, "/dev/kvm", &path);
        if (r < 0)
                return r;
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return log_debug_errno(negative_errno(), "open %s: %s", path, strerror(errno));
        /* the API version has been 12 since Linux 2.6.22 */
        if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
                return log_debug_errno(-ENOTTY, "%s is not KVM's device", path);
        *ret = (KvmCaps) { .fd = TAKE_FD(fd) };
        return 0;
}

void kvm_caps_close(KvmCaps *k) {
        closep(&k->fd);
}

bool kvm_caps_has(const KvmCaps *k, int cap) {
        assert(k->fd >= 0);
        return ioctl(k->fd, KVM_CHECK_EXTENSION, cap) > 0;
}
