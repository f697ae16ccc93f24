/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include "basic/log.h"
#include "qemu/qmp.h"
#include "basic/text.h"

/* How much room a read gets at least; QMP messages are mostly far smaller. */
#define QMP_READ_SIZE (64u * 1024u)

struct Qmp {
        int fd;

        /* Bytes read but not parsed yet: between calls, at most the start of
         * one message. */
        char *buf;
        size_t size;
        size_t allocated;
        /* The first `incomplete` bytes of buf were found not to hold a whole
         * message. An object ends with '}': until one arrives after them,
         * parsing again could at most find garbage, which can wait, while a
         * big message trickling in would cost time quadratic in its size. */
        size_t incomplete;
        bool eof;
        /* The protocol error that ended the connection (-EBADMSG,
         * -EMSGSIZE), or 0. It is said again on every call: the bytes that
         * caused it were read already, so the socket may never be readable
         * again to tell an event loop. */
        int broken;

        json_t *greeting;
        /* Events not handed out yet, oldest first, and their bytes as
         * QEMU sent them: bounded, what is beyond is dropped and counted. */
        json_t *events;
        size_t events_bytes;
        /* each queued event's share of events_bytes, by its place in
         * `events`: one more than the bound, for the awaited one */
        size_t event_sizes[QMP_EVENTS_QUEUED_MAX + 1];
        unsigned events_dropped;
        /* what qmp_wait_event() waits for: one of it is queued whatever
         * the bounds say, or the wait could never end */
        const char *awaited;
        bool awaited_queued;

        json_int_t last_id;
        /* The id whose reply we wait for (0: none), and that reply once here. */
        json_int_t reply_id;
        json_t *reply;

        char *last_error;
};

int qmp_new(int fd, Qmp **ret) {
        _cleanup_close_ int fd_close = fd;
        _cleanup_qmp_ Qmp *q = NULL;
        int flags;

        assert(fd >= 0);
        assert(ret);

        /* Every wait is a poll() against a deadline; one blocking read or
         * write would let QEMU hold us past it. */
        flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return log_debug_errno(errno, "Failed to get flags of QMP socket: %s", strerror(errno));
        if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return log_debug_errno(errno, "Failed to make QMP socket non-blocking: %s", strerror(errno));

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->fd = TAKE_FD(fd_close);

        q->events = json_array();
        if (!q->events)
                return -ENOMEM;

        *ret = TAKE_PTR(q);
        return 0;
}

Qmp *qmp_free(Qmp *q) {
        if (!q)
                return NULL;

        closep(&q->fd);
        free(q->buf);
        json_decref(q->greeting);
        json_decref(q->events);
        json_decref(q->reply);
        free(q->last_error);
        free(q);
        return NULL;
}

int qmp_fd(const Qmp *q) {
        assert(q);
        return q->fd;
}

json_t *qmp_greeting(const Qmp *q) {
        assert(q);
        return q->greeting;
}

const char *qmp_last_error(const Qmp *q) {
        assert(q);
        return q->last_error;
}

const char *qmp_strerror(const Qmp *q, int error) {
        if ((error == -EBADMSG || error == -EMSGSIZE) && q && q->last_error)
                return q->last_error;
        return STRERROR(error);
}

static bool is_json_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether p[0..n) is the start of a multi-byte UTF-8 sequence that the end
 * of the data cut short. */
static bool utf8_is_truncated(const char *p, size_t n) {
        const unsigned char *s = (const unsigned char *) p;
        size_t need;

        if (n == 0)
                return false;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                need = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                need = 3;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                need = 4;
        else
                return false;
        if (n >= need)
                return false;
        for (size_t i = 1; i < n; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return false;
        return true;
}

/* Whether the parse error `err` of p[0..n) only means that the message is
 * not all here yet. jansson says "premature end of input" only for some
 * cuts: a literal, number or escape cut short ("tr", "1e", "\u00") is
 * invalid syntax at the very end of the data, and a cut multi-byte
 * character is invalid UTF-8 at its first byte. Either may still become
 * valid with more bytes; if not, the next parse finds the error earlier
 * than the end. */
static bool parse_error_is_truncation(const json_error_t *err, const char *p, size_t n) {
        size_t pos = err->position < 0 ? 0 : (size_t) err->position;

        if (pos > n)
                pos = n;

        switch (json_error_code(err)) {
        case json_error_premature_end_of_input:
                return true;
        case json_error_invalid_utf8:
                return utf8_is_truncated(p + pos, n - pos);
        default:
                return pos == n;
        }
}

/* Takes `s`: what QEMU sends ends up in root's terminal and journal, and
 * must not get to write escape sequences there. */
static int qmp_set_last_error(Qmp *q, char *s) {
        _cleanup_free_ char *raw = s;

        s = text_escape(raw);
        if (!s)
                return -ENOMEM;
        free(q->last_error);
        q->last_error = s;
        return 0;
}

/* How QEMU broke the protocol, kept for the caller's one message: the
 * errno alone cannot say which byte or how big. Returns `error`. */
static int qmp_protocol_error(Qmp *q, int error, const char *format, ...) _printf_(3, 4);
static int qmp_protocol_error(Qmp *q, int error, const char *format, ...) {
        char *s;
        va_list ap;
        int k;

        q->broken = error;
        va_start(ap, format);
        k = vasprintf(&s, format, ap);
        va_end(ap);
        if (k < 0 || qmp_set_last_error(q, s) < 0)
                return -ENOMEM;
        log_debug("%s", q->last_error);
        return error;
}

static int qmp_save_error(Qmp *q, json_t *error) {
        const char *class = json_string_value(json_object_get(error, "class"));
        const char *desc = json_string_value(json_object_get(error, "desc"));
        char *s;

        if (asprintf(&s, "%s: %s", class ? class : "GenericError", desc ? desc : "(no description)") < 0)
                return -ENOMEM;
        return qmp_set_last_error(q, s);
}

/* Whether an event of `size` bytes named `name` fits the queue: nobody
 * reads the queue while a command or a wait lasts, and QEMU (its user is
 * not trusted) could send events for as long as that. */
static bool event_fits(const Qmp *q, const char *name, size_t size) {
        if (q->awaited && !q->awaited_queued && streq(q->awaited, name))
                return true;
        return size <= QMP_EVENT_MAX && json_array_size(q->events) < QMP_EVENTS_QUEUED_MAX &&
               q->events_bytes + size <= QMP_EVENTS_BYTES_MAX;
}

/* An event's share of events_bytes: as jansson writes it compactly (QEMU
 * writes about as much), measured once, when it is queued */
static size_t event_size(const json_t *e) {
        return json_dumpb(e, NULL, 0, JSON_COMPACT);
}

static int event_queue(Qmp *q, json_t *e, size_t size) {
        size_t n = json_array_size(q->events);

        assert(n < ELEMENTSOF(q->event_sizes));
        if (json_array_append_new(q->events, e) < 0)
                return -ENOMEM;
        q->event_sizes[n] = size;
        q->events_bytes += size;
        return 0;
}

/* The event at `i`, out of the queue; the caller's reference. */
static json_t *event_take(Qmp *q, size_t i) {
        size_t n = json_array_size(q->events);
        json_t *e = json_incref(json_array_get(q->events, i));

        (void) json_array_remove(q->events, i);
        q->events_bytes -= q->event_sizes[i];
        memmove(q->event_sizes + i, q->event_sizes + i + 1, (n - i - 1) * sizeof q->event_sizes[0]);
        return e;
}

/* Route one parsed message of `size` bytes (ownership taken): events to
 * the queue, the reply we wait for to q->reply, the greeting to
 * q->greeting. */
static int qmp_dispatch(Qmp *q, json_t *message, size_t size) {
        _cleanup_json_ json_t *m = message;
        json_t *v;

        if (!json_is_object(m))
                return qmp_protocol_error(q, -EBADMSG, "QEMU sent a QMP message that is not a JSON object");

        v = json_object_get(m, "event");
        if (v) {
                if (!json_is_string(v))
                        return qmp_protocol_error(q, -EBADMSG, "QEMU sent a QMP event whose name is not a string");
                /* the size as sent first: a huge one is not written out */
                if (size > QMP_EVENT_MAX && !(q->awaited && !q->awaited_queued && streq(q->awaited, json_string_value(v))))
                        size = SIZE_MAX;
                else
                        size = event_size(m);
                if (size == SIZE_MAX || !event_fits(q, json_string_value(v), size)) {
                        q->events_dropped++;
                        return 0;
                }
                if (q->awaited && streq(q->awaited, json_string_value(v)))
                        q->awaited_queued = true;
                return event_queue(q, TAKE_PTR(m), size);
        }

        if (json_object_get(m, "return") || json_object_get(m, "error")) {
                _cleanup_free_ char *id = NULL;

                v = json_object_get(m, "id");
                if (q->reply_id > 0 && !q->reply && json_is_integer(v) && json_integer_value(v) == q->reply_id) {
                        q->reply = TAKE_PTR(m);
                        return 0;
                }

                /* Typically the reply to a command whose deadline passed;
                 * nobody waits for it any more. */
                if (v)
                        id = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
                log_debug("Ignoring QMP reply with unexpected id %s", id ? id : "(none)");
                return 0;
        }

        v = json_object_get(m, "QMP");
        if (v) {
                if (q->greeting) {
                        log_debug("Ignoring repeated QMP greeting");
                        return 0;
                }
                if (!json_is_object(v))
                        return qmp_protocol_error(q, -EBADMSG, "QEMU sent a QMP greeting that is not an object");
                q->greeting = json_incref(v);
                return 0;
        }

        /* The spec lets the protocol grow; a newer QEMU may say things we
         * do not know yet. */
        log_debug("Ignoring QMP message of unknown kind");
        return 0;
}

/* Parse and dispatch the whole messages at the front of the buffer. */
static int qmp_parse(Qmp *q) {
        bool incomplete = false;
        size_t start = 0;
        int r = 0;

        for (;;) {
                json_error_t err;
                json_t *m;
                size_t n;

                while (start < q->size && is_json_space(q->buf[start]))
                        start++;
                n = q->size - start;
                if (n == 0)
                        break;

                /* QMP only speaks in objects; anything else is garbage, and
                 * saying so now beats waiting for the rest of it. */
                if (q->buf[start] != '{') {
                        r = qmp_protocol_error(q, -EBADMSG, "QEMU sent garbage on QMP: byte 0x%02x where a message should start",
                                               (unsigned char) q->buf[start]);
                        break;
                }

                if (start == 0 && q->incomplete > 0 &&
                    !memchr(q->buf + q->incomplete, '}', q->size - q->incomplete)) {
                        incomplete = true;
                        break;
                }

                /* Without JSON_DECODE_ANY the top level must be an object
                 * here, which ends with '}': unlike a bare number, it cannot
                 * pass for whole when cut off in the middle. */
                m = json_loadb(q->buf + start, n, JSON_DISABLE_EOF_CHECK, &err);
                if (!m) {
                        if (!parse_error_is_truncation(&err, q->buf + start, n)) {
                                r = qmp_protocol_error(q, -EBADMSG, "QEMU sent a malformed QMP message: %s (at byte %i)",
                                                       err.text, err.position);
                                break;
                        }
                        incomplete = true;
                        break;
                }

                log_debug("<- %.*s", err.position > 1024 ? 1024 : err.position, q->buf + start);
                start += (size_t) err.position;

                if ((size_t) err.position > QMP_MESSAGE_MAX) {
                        json_decref(m);
                        r = qmp_protocol_error(q, -EMSGSIZE, "QEMU sent a QMP message of %i bytes, more than the %u MiB allowed",
                                               err.position, QMP_MESSAGE_MAX >> 20);
                        break;
                }

                r = qmp_dispatch(q, m, (size_t) err.position);
                if (r < 0)
                        break;
        }

        if (start > 0) {
                memmove(q->buf, q->buf + start, q->size - start);
                q->size -= start;
        }
        q->incomplete = incomplete ? q->size : 0;

        if (r >= 0 && q->size > QMP_MESSAGE_MAX)
                r = qmp_protocol_error(q, -EMSGSIZE, "QEMU sent a QMP message of more than the %u MiB allowed",
                                       QMP_MESSAGE_MAX >> 20);

        /* Don't hold on to the memory of one big reply (query-qmp-schema,
         * say) for the rest of the VM's life. */
        if (q->size == 0 && q->allocated > 4 * QMP_READ_SIZE) {
                free(q->buf);
                q->buf = NULL;
                q->allocated = 0;
        }

        return r;
}

/* Read what the socket has, until it would block or QEMU hangs up. */
static int qmp_fill(Qmp *q) {
        /* Stop once past the limit even if more is waiting: a peer that never
         * stops talking must not grow the buffer without bound. What is left
         * stays in the socket for the next call. */
        while (!q->eof && q->size <= QMP_MESSAGE_MAX) {
                ssize_t n;

                if (q->allocated - q->size < QMP_READ_SIZE) {
                        size_t a = q->allocated * 2;
                        char *b;

                        if (a < q->size + QMP_READ_SIZE)
                                a = q->size + QMP_READ_SIZE;
                        if (a > QMP_MESSAGE_MAX + 1 + QMP_READ_SIZE)
                                a = QMP_MESSAGE_MAX + 1 + QMP_READ_SIZE;
                        b = realloc(q->buf, a);
                        if (!b)
                                return -ENOMEM;
                        q->buf = b;
                        q->allocated = a;
                }

                n = recv(q->fd, q->buf + q->size, q->allocated - q->size, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        /* A unix socket whose peer closed with our data unread
                         * says ECONNRESET once our side is drained: a
                         * hang-up like any other. */
                        if (errno == ECONNRESET) {
                                q->eof = true;
                                return 0;
                        }
                        return log_debug_errno(errno, "Failed to read from QMP socket: %s", strerror(errno));
                }
                if (n == 0)
                        q->eof = true;
                q->size += (size_t) n;
        }

        return 0;
}

int qmp_process(Qmp *q) {
        int r, k;

        assert(q);

        if (q->broken)
                return q->broken;

        r = qmp_fill(q);
        /* Whatever came before a read error or the hang-up still counts. */
        k = qmp_parse(q);
        if (r < 0)
                return r;
        if (k < 0)
                return k;

        if (q->eof) {
                if (q->size > 0)
                        log_debug("QEMU closed the QMP connection in the middle of a message");
                else
                        log_debug("QEMU closed the QMP connection");
                return -ECONNRESET;
        }

        return 0;
}

/* Wait for `events` on the socket; returns the revents. */
static int qmp_poll(Qmp *q, short events, usec_t deadline) {
        struct pollfd p = { .fd = q->fd, .events = events };

        for (;;) {
                int r = poll(&p, 1, deadline_to_poll_ms(deadline));
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_debug_errno(errno, "Failed to poll QMP socket: %s", strerror(errno));
                }
                if (r > 0)
                        return p.revents;
                if (now_usec() >= deadline)
                        return -ETIMEDOUT;
        }
}

/* Wait for input and process it: one step towards whatever the caller
 * waits for, which it checks before looking at the error returned, since
 * it may have come along with the hang-up. */
static int qmp_wait(Qmp *q, usec_t deadline) {
        int r;

        if (q->broken)
                return q->broken;
        if (q->eof)
                return -ECONNRESET;

        r = qmp_poll(q, POLLIN, deadline);
        if (r < 0)
                return r;

        return qmp_process(q);
}

static int qmp_send(Qmp *q, const char *p, size_t n, usec_t deadline) {
        while (n > 0) {
                ssize_t k;
                int r;

                k = send(q->fd, p, n, MSG_NOSIGNAL);
                if (k >= 0) {
                        p += k;
                        n -= (size_t) k;
                        continue;
                }

                if (errno == EINTR)
                        continue;
                if (errno == EPIPE || errno == ECONNRESET) {
                        /* What QEMU said before hanging up (a SHUTDOWN event,
                         * say) should still reach the queue. */
                        (void) qmp_process(q);
                        log_debug("QEMU closed the QMP connection");
                        return -ECONNRESET;
                }
                if (errno != EAGAIN)
                        return log_debug_errno(errno, "Failed to write to QMP socket: %s", strerror(errno));

                /* Keep reading meanwhile: a peer that stops reading until it
                 * has written out its own events would deadlock with us. */
                r = qmp_poll(q, POLLOUT | POLLIN, deadline);
                if (r < 0)
                        return r;
                if (r & (POLLIN | POLLHUP | POLLERR)) {
                        r = qmp_process(q);
                        if (r < 0)
                                return r;
                }
        }

        return 0;
}

/* Send `command` (modified: it gets our id) and wait for its reply. */
static int qmp_call(Qmp *q, json_t *command, usec_t deadline, json_t **ret_reply) {
        _cleanup_free_ char *text = NULL;
        json_int_t id;
        int r;

        if (q->broken)
                return q->broken;

        /* A reply to an earlier command whose deadline passed may still
         * come; a fresh id keeps it from passing for this one's. */
        id = ++q->last_id;
        if (json_object_set_new(command, "id", json_integer(id)) < 0)
                return -ENOMEM;
        text = json_dumps(command, JSON_COMPACT);
        if (!text)
                return -ENOMEM;

        log_debug("-> %s", text);
        q->reply_id = id;
        r = qmp_send(q, text, strlen(text), deadline);
        while (!q->reply && r >= 0)
                r = qmp_wait(q, deadline);
        q->reply_id = 0;

        /* A reply with garbage right behind it is from a QEMU that broke
         * the protocol all the same; a hang-up behind it is not. */
        if (q->broken) {
                json_decref(q->reply);
                q->reply = NULL;
        }
        if (!q->reply)
                return q->broken ? q->broken : r;

        *ret_reply = TAKE_PTR(q->reply);
        return 0;
}

int qmp_handshake(Qmp *q, usec_t deadline) {
        int r = 0;

        assert(q);

        while (!q->greeting) {
                if (r < 0)
                        return r;
                r = qmp_wait(q, deadline);
        }

        return qmp_execute(q, "qmp_capabilities", NULL, deadline, NULL);
}

int qmp_execute(Qmp *q, const char *command, json_t *arguments, usec_t deadline, json_t **ret_return) {
        _cleanup_json_ json_t *c = NULL, *reply = NULL;
        json_t *error;
        int r;

        assert(q);
        assert(command);

        c = json_object();
        if (!c)
                return -ENOMEM;
        if (json_object_set_new(c, "execute", json_string(command)) < 0)
                return -ENOMEM;
        if (arguments && json_object_set(c, "arguments", arguments) < 0)
                return -ENOMEM;

        r = qmp_call(q, c, deadline, &reply);
        if (r < 0)
                return r;

        error = json_object_get(reply, "error");
        if (error) {
                r = qmp_save_error(q, error);
                if (r < 0)
                        return r;
                log_debug("QMP command %s failed: %s", command, q->last_error);
                return -EREMOTEIO;
        }

        if (ret_return)
                *ret_return = json_incref(json_object_get(reply, "return"));
        return 0;
}

int qmp_transact(Qmp *q, json_t *command, usec_t deadline, json_t **ret_reply) {
        _cleanup_json_ json_t *c = NULL, *reply = NULL;
        json_t *id, *error;
        int r;

        assert(q);
        assert(command);

        /* It comes from the user, so it may be anything. */
        if (!json_is_object(command)) {
                log_debug("QMP command is not a JSON object");
                return -EINVAL;
        }

        /* A shallow copy, so that our id never shows in the caller's object. */
        c = json_copy(command);
        if (!c)
                return -ENOMEM;

        r = qmp_call(q, c, deadline, &reply);
        if (r < 0)
                return r;

        id = json_object_get(command, "id");
        if (id)
                r = json_object_set(reply, "id", id);
        else
                r = json_object_del(reply, "id");
        if (r < 0)
                return -ENOMEM;

        error = json_object_get(reply, "error");
        if (error) {
                r = qmp_save_error(q, error);
                if (r < 0)
                        return r;
        }

        if (ret_reply)
                *ret_reply = TAKE_PTR(reply);
        return 0;
}

json_t *qmp_next_event(Qmp *q) {
        assert(q);

        if (json_array_size(q->events) == 0)
                return NULL;

        return event_take(q, 0);
}

unsigned qmp_events_dropped(Qmp *q) {
        unsigned n = q->events_dropped;

        q->events_dropped = 0;
        return n;
}

int qmp_wait_event(Qmp *q, const char *name, usec_t deadline, json_t **ret_event) {
        size_t i = 0;
        int r = 0;

        assert(q);
        assert(name);

        for (;;) {
                /* The queue only grows while we wait, so only what came
                 * since the last look needs looking at. */
                for (; i < json_array_size(q->events); i++) {
                        json_t *e = json_array_get(q->events, i);

                        if (!streq(json_string_value(json_object_get(e, "event")), name))
                                continue;

                        e = event_take(q, i);
                        q->awaited = NULL;
                        q->awaited_queued = false;
                        if (ret_event)
                                *ret_event = e;
                        else
                                json_decref(e);
                        return 0;
                }

                if (r < 0) {
                        q->awaited = NULL;
                        q->awaited_queued = false;
                        return r;
                }
                q->awaited = name;
                r = qmp_wait(q, deadline);
        }
}
