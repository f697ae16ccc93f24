/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP comes from QEMU, which runs what the guest does: whatever it sends,
 * the reader must end with a result or an error, never a crash or a hang.
 * The bytes arrive on a socket as QEMU's would; the peer then hangs up.
 *
 * And how they arrive must not matter: read at once or in pieces (of a
 * size that follows from the input's), the same messages come out, in the
 * same order. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "qemu/qmp.h"

static void write_all(int fd, const uint8_t *data, size_t size) {
        while (size > 0) {
                ssize_t n = write(fd, data, size);
                if (n <= 0)
                        abort();
                data += n;
                size -= (size_t) n;
        }
}

/* A command and its reply, as the supervisor would see them. */
static void converse(const uint8_t *data, size_t size) {
        Qmp *q = NULL;
        json_t *ret = NULL;
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return;
        write_all(sv[1], data, size);
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
}

/* What a reader made of `data` fed in pieces of `piece` bytes (0: all at
 * once), each followed by qmp_process(), then the hang-up: the greeting
 * and the events, one per line. */
static char *messages(const uint8_t *data, size_t size, size_t piece) {
        char *out = NULL;
        size_t out_size = 0;
        FILE *m;
        Qmp *q = NULL;
        int sv[2], r = 0;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        if (qmp_new(sv[0], &q) < 0)
                abort();
        for (size_t off = 0; off < size && r == 0;) {
                size_t n = piece == 0 || piece > size - off ? size - off : piece;

                write_all(sv[1], data + off, n);
                off += n;
                r = qmp_process(q);
        }
        close(sv[1]);
        if (r == 0)
                r = qmp_process(q);
        /* after the hang-up, nothing is left to wait for */
        if (r == 0)
                abort();

        m = open_memstream(&out, &out_size);
        if (!m)
                abort();
        if (qmp_greeting(q)) {
                char *g = json_dumps(qmp_greeting(q), JSON_COMPACT | JSON_SORT_KEYS);
                fprintf(m, "greeting %s\n", g ? g : "?");
                free(g);
        }
        for (json_t *e; (e = qmp_next_event(q));) {
                char *s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
                fprintf(m, "%s\n", s ? s : "?");
                free(s);
                json_decref(e);
        }
        fclose(m);
        qmp_free(q);
        return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t piece;
        char *whole, *pieces;

        fuzz_quiet();
        /* more than the socket buffer would block the writer: the reader's
         * framing is what is under test, not the kernel's buffer */
        if (size > 65536)
                return 0;
        piece = 1 + size % 64;

        converse(data, size);

        whole = messages(data, size, 0);
        pieces = messages(data, size, piece);
        if (strcmp(whole, pieces) != 0) {
                fprintf(stderr, "read at once:\n%s\nread in pieces of %zu bytes:\n%s\n", whole, piece, pieces);
                abort();
        }
        free(whole);
        free(pieces);
        return 0;
}
