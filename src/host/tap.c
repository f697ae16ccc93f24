/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "host/host.h"
#include "basic/log.h"
#include "host/tap.h"

int tap_check_bridge(const HostContext *ctx, const char *bridge) {
        _cleanup_free_ char *dir = NULL, *br = NULL;

        if (asprintf(&dir, "/sys/class/net/%s", bridge) < 0 || asprintf(&br, "/sys/class/net/%s/bridge", bridge) < 0)
                return -ENOMEM;
        if (!host_exists(ctx, dir))
                return -ENODEV;
        if (!host_exists(ctx, br))
                return -ENOTTY;
        return 0;
}

int tap_open(const char *bridge, Tap *ret, const char **ret_step) {
        _cleanup_close_ int fd = -1, sock = -1;
        struct ifreq ifr = { 0 }, br = { 0 };
        Tap t = { .fd = -1 };

        assert(bridge);
        assert(ret);
        assert(ret_step);

        *ret_step = "open /dev/net/tun";
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return log_debug_errno(negative_errno(), "open /dev/net/tun: %s", strerror(errno));

        /* the kernel picks the number: vmrun0, vmrun1, ... one per VM */
        *ret_step = "create a tap device";
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "vmrun%%d");
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return log_debug_errno(negative_errno(), "TUNSETIFF: %s", strerror(errno));
        snprintf(t.name, sizeof t.name, "%s", ifr.ifr_name);

        /* interface ioctls go through a socket, any socket */
        *ret_step = "find the tap's index";
        sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0 || ioctl(sock, SIOCGIFINDEX, &ifr) < 0)
                return log_debug_errno(negative_errno(), "SIOCGIFINDEX %s: %s", t.name, strerror(errno));

        *ret_step = "add the tap to the bridge";
        /* the profile allows 15 characters: it fits */
        snprintf(br.ifr_name, sizeof br.ifr_name, "%s", bridge);
        br.ifr_ifindex = ifr.ifr_ifindex;
        if (ioctl(sock, SIOCBRADDIF, &br) < 0)
                return log_debug_errno(negative_errno(), "SIOCBRADDIF %s to %s: %s", t.name, bridge, strerror(errno));

        *ret_step = "bring the tap up";
        if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
                return log_debug_errno(negative_errno(), "SIOCGIFFLAGS %s: %s", t.name, strerror(errno));
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
                return log_debug_errno(negative_errno(), "set %s up: %s", t.name, strerror(errno));

        *ret_step = NULL;
        t.fd = TAKE_FD(fd);
        *ret = t;
        return 0;
}

void tap_close(Tap *t) {
        closep(&t->fd);
}
