/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A QMP client (QEMU's docs/interop/qmp-spec). Messages are JSON objects;
 * the reader does not rely on line breaks: it parses whole JSON values out
 * of a byte buffer, so a message split over several reads, or several
 * messages in one read, come out the same. Commands carry an "id" and
 * their reply is matched by it; events that arrive meanwhile (before the
 * reply, or between two replies) are queued and handed out in order by
 * qmp_next_event(). */

#include "basic/util.h"

typedef struct Qmp Qmp;

/* Takes ownership of `fd` (a connected stream socket), also on failure. */
int qmp_new(int fd, Qmp **ret);
Qmp *qmp_free(Qmp *q);
static inline void qmp_freep(Qmp **q) {
        qmp_free(*q);
}
#define _cleanup_qmp_ _cleanup_(qmp_freep)

int qmp_fd(const Qmp *q);

/* Read the greeting, send qmp_capabilities, wait for its reply; all before
 * `deadline` (absolute, CLOCK_MONOTONIC usec; USEC_INFINITY for none).
 * -ETIMEDOUT when the deadline passes, -ECONNRESET when QEMU hangs up,
 * -EBADMSG or -EMSGSIZE when it breaks the protocol (see qmp_process()). */
int qmp_handshake(Qmp *q, usec_t deadline);

/* The greeting's "QMP" object (borrowed), after qmp_handshake(). */
json_t *qmp_greeting(const Qmp *q);

/* Send `command` with `arguments` (borrowed, may be NULL) and wait for its
 * reply before `deadline`. On success *ret_return (if not NULL) gets a new
 * reference to the reply's "return" value. An error reply returns
 * -EREMOTEIO; its class and desc are then in qmp_last_error(). */
int qmp_execute(Qmp *q, const char *command, json_t *arguments, usec_t deadline, json_t **ret_return);

/* Send a complete command object as given (e.g. from the command line:
 * `vmrun qmp NAME '{"execute":"query-status"}'`), wait for the reply and
 * return the whole reply object (either "return" or "error"). An "id" of
 * the caller's is replaced by our own for matching and put back. */
int qmp_transact(Qmp *q, json_t *command, usec_t deadline, json_t **ret_reply);

/* What went wrong last, or NULL: "GenericError: ..." of an error reply
 * (-EREMOTEIO), or how QEMU broke the protocol (-EBADMSG, -EMSGSIZE):
 * "QEMU sent garbage on QMP: byte 0x68 where a message should start". */
const char *qmp_last_error(const Qmp *q);

/* For the caller's message about `error` from a call on q (which may be
 * NULL): how QEMU broke the protocol if it did, else strerror(). */
const char *qmp_strerror(const Qmp *q, int error);

/* For an event loop: call when qmp_fd() is readable. Reads what is there
 * without blocking and parses whole messages; events go to the queue.
 * Returns 0, or -ECONNRESET once QEMU has closed the socket (all complete
 * messages before that are still queued; a message it cut short is
 * dropped), -EBADMSG on garbage, -EMSGSIZE on a message longer than
 * QMP_MESSAGE_MAX; qmp_last_error() says which. After an error other than
 * -ETIMEDOUT the connection is done for. */
int qmp_process(Qmp *q);

/* Pop the oldest queued event (caller owns the reference), NULL if none. */
json_t *qmp_next_event(Qmp *q);

/* How many events were dropped since the last call: the queue holds at
 * most QMP_EVENTS_QUEUED_MAX events of QMP_EVENTS_BYTES_MAX bytes in all,
 * none over QMP_EVENT_MAX; the event a qmp_wait_event() waits for is
 * queued all the same. */
unsigned qmp_events_dropped(Qmp *q);
#define QMP_EVENT_MAX (64u * 1024u)
#define QMP_EVENTS_QUEUED_MAX 256u
#define QMP_EVENTS_BYTES_MAX (1024u * 1024u)

/* Wait until an event named `name` arrives (queued events count; others are
 * left in the queue), before `deadline`. *ret_event gets it if not NULL.
 * -ETIMEDOUT, -ECONNRESET as above. */
int qmp_wait_event(Qmp *q, const char *name, usec_t deadline, json_t **ret_event);

/* Largest message accepted (QEMU 7.2's reply to query-qmp-schema is about
 * 200 KiB); a longer one is a protocol error, -EMSGSIZE. */
#define QMP_MESSAGE_MAX (16u * 1024u * 1024u)
