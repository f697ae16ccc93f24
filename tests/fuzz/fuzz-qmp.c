/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP comes from QEMU, which runs what the guest does: whatever it sends,
 * the reader must end with a result or an error, never a crash or a hang.
 * The bytes arrive on a socket as QEMU's would; the peer then hangs up. */
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int sv[2];
        Qmp *q = NULL;
        json_t *ret = NULL;
        size_t off = 0;

        fuzz_quiet();
        /* more than the socket buffer would block the writer: the reader's
         * framing is what is under test, not the kernel's buffer */
        if (size > 65536)
                return 0;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return 0;
        while (off < size) {
                ssize_t n = write(sv[1], data + off, size - off);
                if (n <= 0)
                        break;
                off += (size_t) n;
        }
        /* EOF after the data; sv[1] stays open for what the reader sends */
        (void) shutdown(sv[1], SHUT_WR);

        if (qmp_new(sv[0], &q) >= 0) {
                if (qmp_handshake(q, deadline_after(USEC_PER_SEC)) >= 0 &&
                    qmp_execute(q, "query-status", NULL, deadline_after(USEC_PER_SEC), &ret) >= 0)
                        json_decref(ret);
                while (qmp_process(q) == 0) {
                        json_t *e = qmp_next_event(q);
                        if (!e)
                                break;
                        json_decref(e);
                }
                for (json_t *e; (e = qmp_next_event(q));)
                        json_decref(e);
                qmp_free(q);
        }
        close(sv[1]);
        return 0;
}
