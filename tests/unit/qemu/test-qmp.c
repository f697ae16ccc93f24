/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "skip.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "basic/log.h"
#include "qemu/qmp.h"

#ifndef QEMU_BINARY
#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"
#endif

#define GREETING                                                                           \
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, " \
        "\"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define EVENT(name) "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"" name "\"}\r\n"

/* Long enough to be noticed, short enough not to slow the suite. */
#define SHORT_TIMEOUT (50 * USEC_PER_MSEC)
/* Only ever reached when the code under test is broken. */
#define LONG_TIMEOUT (10 * USEC_PER_SEC)

typedef struct Fixture {
        Qmp *qmp;
        /* The other end of the socket, where the test plays QEMU. */
        int qemu;
        /* A child playing QEMU, or the real one: killed if a test fails. */
        pid_t pid;
} Fixture;

static int setup(void **state) {
        struct timeval tv = { .tv_sec = LONG_TIMEOUT / USEC_PER_SEC };
        Fixture *f;
        int fds[2];

        f = calloc(1, sizeof(*f));
        if (!f)
                return -1;
        f->pid = -1;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
                free(f);
                return -1;
        }
        f->qemu = fds[1];

        /* When the client fails to send a command, reading it must fail
         * the test rather than hang it. */
        if (setsockopt(f->qemu, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(f->qemu, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
            qmp_new(fds[0], &f->qmp) < 0) {
                close(f->qemu);
                free(f);
                return -1;
        }

        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        if (f->pid > 0) {
                kill(f->pid, SIGKILL);
                (void) waitpid(f->pid, NULL, 0);
        }
        qmp_free(f->qmp);
        if (f->qemu >= 0)
                close(f->qemu);
        free(f);
        return 0;
}

static usec_t soon(void) {
        return deadline_after(LONG_TIMEOUT);
}

static void qemu_says_bytes(Fixture *f, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = send(f->qemu, s, n, MSG_NOSIGNAL);
                assert_true(k > 0);
                s += k;
                n -= (size_t) k;
        }
}

static void qemu_says(Fixture *f, const char *s) {
        qemu_says_bytes(f, s, strlen(s));
}

/* The next command the client sent. jansson reads a file descriptor one
 * byte at a time, so this takes no more than the one object. */
static json_t *qemu_reads_command(Fixture *f) {
        json_error_t err;
        json_t *c = json_loadfd(f->qemu, JSON_DISABLE_EOF_CHECK, &err);

        assert_non_null(c);
        return c;
}

static void qemu_got_nothing(Fixture *f) {
        char c;

        assert_int_equal(recv(f->qemu, &c, 1, MSG_DONTWAIT), -1);
        assert_int_equal(errno, EAGAIN);
}

/* A child plays QEMU for real: it says `hello`, reads one command, checks
 * it is `command` with id `id`, and answers with `says`, one write each. */
static void fork_fake_qemu(Fixture *f, const char *hello, const char *command, json_int_t id,
                           const char *const *says, size_t n_says) {
        json_t *c;

        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid > 0)
                return;

        if (hello && send(f->qemu, hello, strlen(hello), MSG_NOSIGNAL) != (ssize_t) strlen(hello))
                _exit(EXIT_FAILURE);

        c = json_loadfd(f->qemu, JSON_DISABLE_EOF_CHECK, NULL);
        if (!c || !streq_ptr(json_string_value(json_object_get(c, "execute")), command) ||
            json_integer_value(json_object_get(c, "id")) != id)
                _exit(EXIT_FAILURE);

        for (size_t i = 0; i < n_says; i++)
                if (send(f->qemu, says[i], strlen(says[i]), MSG_NOSIGNAL) != (ssize_t) strlen(says[i]))
                        _exit(EXIT_FAILURE);
        _exit(EXIT_SUCCESS);
}

static void assert_fake_qemu_succeeded(Fixture *f) {
        int status;

        assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
        f->pid = -1;
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), EXIT_SUCCESS);
}

static void assert_next_event(Qmp *q, const char *name) {
        _cleanup_json_ json_t *e = qmp_next_event(q);

        assert_non_null(e);
        assert_string_equal(json_string_value(json_object_get(e, "event")), name);
}

static void assert_no_event(Qmp *q) {
        _cleanup_json_ json_t *e = qmp_next_event(q);

        assert_null(e);
}

static void test_new_makes_the_socket_non_blocking(void **state) {
        Fixture *f = *state;
        int flags = fcntl(qmp_fd(f->qmp), F_GETFL);

        assert_true(flags >= 0);
        assert_true(flags & O_NONBLOCK);
}

static void test_handshake_sends_capabilities_after_the_greeting(void **state) {
        static const char *const says[] = { "{\"return\": {}, \"id\": 1}\r\n" };
        Fixture *f = *state;
        json_t *g;

        assert_null(qmp_greeting(f->qmp));

        /* The fake checks that the command is qmp_capabilities. */
        fork_fake_qemu(f, GREETING, "qmp_capabilities", 1, says, ELEMENTSOF(says));
        assert_int_equal(qmp_handshake(f->qmp, soon()), 0);
        assert_fake_qemu_succeeded(f);

        g = qmp_greeting(f->qmp);
        assert_non_null(g);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(g, "version"), "qemu"), "major")), 7);
        qemu_got_nothing(f);
}

static void test_handshake_sends_nothing_and_times_out_without_a_greeting(void **state) {
        Fixture *f = *state;
        usec_t start = now_usec();

        assert_int_equal(qmp_handshake(f->qmp, deadline_after(SHORT_TIMEOUT)), -ETIMEDOUT);
        assert_true(now_usec() - start >= SHORT_TIMEOUT);
        qemu_got_nothing(f);
}

static void test_events_before_the_capabilities_reply_are_queued(void **state) {
        static const char *const says[] = { EVENT("B"), "{\"return\": {}, \"id\": 1}\r\n" };
        Fixture *f = *state;

        fork_fake_qemu(f, GREETING EVENT("A"), "qmp_capabilities", 1, says, ELEMENTSOF(says));
        assert_int_equal(qmp_handshake(f->qmp, soon()), 0);
        assert_fake_qemu_succeeded(f);

        assert_next_event(f->qmp, "A");
        assert_next_event(f->qmp, "B");
        assert_no_event(f->qmp);
}

/* Every kind of token, so that the cut falls inside each: multi-byte UTF-8
 * characters, escapes, a surrogate pair, literals and numbers. */
static const char split_event[] =
        "{\"event\": \"X\", \"data\": {\"s\": \"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
        "\\u00e9 \\ud83d\\ude00 \\n\\\"\", \"n\": -12.5e+3, \"i\": 1234, \"t\": true, "
        "\"f\": false, \"z\": null, \"a\": [1, {}, []]}, "
        "\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}";

static void test_an_event_split_byte_by_byte_arrives_whole(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *expected = NULL, *e = NULL;
        size_t n = strlen(split_event);

        expected = json_loads(split_event, 0, NULL);
        assert_non_null(expected);

        for (size_t i = 0; i < n - 1; i++) {
                qemu_says_bytes(f, split_event + i, 1);
                assert_int_equal(qmp_process(f->qmp), 0);
                assert_no_event(f->qmp);
        }
        qemu_says_bytes(f, split_event + n - 1, 1);
        assert_int_equal(qmp_process(f->qmp), 0);

        e = qmp_next_event(f->qmp);
        assert_non_null(e);
        assert_true(json_equal(e, expected));
        assert_no_event(f->qmp);
}

static void test_a_reply_split_byte_by_byte_arrives_whole(void **state) {
        static const char reply[] = "{\"return\": {\"status\": \"running\", \"n\": 12345}, \"id\": 1}";
        Fixture *f = *state;
        _cleanup_json_ json_t *ret = NULL;
        size_t n = strlen(reply);

        for (size_t i = 0; i < n - 1; i++) {
                qemu_says_bytes(f, reply + i, 1);
                assert_int_equal(qmp_process(f->qmp), 0);
        }
        qemu_says_bytes(f, reply + n - 1, 1);

        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, soon(), &ret), 0);
        assert_string_equal(json_string_value(json_object_get(ret, "status")), "running");
        assert_int_equal(json_integer_value(json_object_get(ret, "n")), 12345);
}

/* A read may end anywhere, also inside a token that is invalid as it
 * stands: jansson calls "tr" an invalid token, not a premature end, so
 * only its place at the very end of what was read tells it from garbage.
 * Each first part is parsed as it stands, since nothing of it was seen
 * before (byte by byte, a parse only ever follows a '}', and never meets
 * such a cut). */
static void test_a_message_cut_inside_a_literal_number_or_escape_arrives_whole_with_the_next_read(void **state) {
        static const struct {
                const char *first, *rest;
        } cuts[] = {
                { "{\"event\": \"A\", \"t\": tr", "ue}\r\n" },
                { "{\"event\": \"A\", \"f\": fal", "se}\r\n" },
                { "{\"event\": \"A\", \"z\": n", "ull}\r\n" },
                { "{\"event\": \"A\", \"n\": 1e", "3}\r\n" },
                { "{\"event\": \"A\", \"s\": \"\\u00", "e9\"}\r\n" },
        };
        Fixture *f = *state;

        for (size_t i = 0; i < ELEMENTSOF(cuts); i++) {
                _cleanup_json_ json_t *e = NULL;

                qemu_says(f, cuts[i].first);
                assert_int_equal(qmp_process(f->qmp), 0);
                assert_no_event(f->qmp);

                qemu_says(f, cuts[i].rest);
                assert_int_equal(qmp_process(f->qmp), 0);
                e = qmp_next_event(f->qmp);
                assert_non_null(e);
                assert_string_equal(json_string_value(json_object_get(e, "event")), "A");
                assert_int_equal(json_object_size(e), 2);
                assert_no_event(f->qmp);
        }
}

static void test_several_messages_in_one_write_all_arrive(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *ret = NULL;

        qemu_says(f, EVENT("A") EVENT("B") "{\"return\": 42, \"id\": 1}\r\n" EVENT("C"));

        assert_int_equal(qmp_execute(f->qmp, "query-x", NULL, soon(), &ret), 0);
        assert_int_equal(json_integer_value(ret), 42);

        assert_next_event(f->qmp, "A");
        assert_next_event(f->qmp, "B");
        assert_next_event(f->qmp, "C");
        assert_no_event(f->qmp);
}

static void test_messages_separated_by_crlf_or_by_nothing_both_arrive(void **state) {
        Fixture *f = *state;

        qemu_says(f, "{\"event\": \"A\"}\r\n{\"event\": \"B\"}\r\n");
        qemu_says(f, "{\"event\": \"C\"}{\"event\": \"D\"}");
        qemu_says(f, " \n\t{\"event\": \"E\"}\n");
        assert_int_equal(qmp_process(f->qmp), 0);

        assert_next_event(f->qmp, "A");
        assert_next_event(f->qmp, "B");
        assert_next_event(f->qmp, "C");
        assert_next_event(f->qmp, "D");
        assert_next_event(f->qmp, "E");
        assert_no_event(f->qmp);
}

static void test_an_event_between_command_and_reply_is_queued(void **state) {
        /* The reply comes in pieces, too. */
        static const char *const says[] = {
                EVENT("STOP"),
                "{\"return\": {\"status\": ",
                "\"paused\"}, \"i",
                "d\": 1}\r\n",
        };
        Fixture *f = *state;
        _cleanup_json_ json_t *ret = NULL;

        fork_fake_qemu(f, NULL, "query-status", 1, says, ELEMENTSOF(says));
        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, soon(), &ret), 0);
        assert_fake_qemu_succeeded(f);

        assert_string_equal(json_string_value(json_object_get(ret, "status")), "paused");
        assert_next_event(f->qmp, "STOP");
        assert_no_event(f->qmp);
}

static void test_an_error_reply_gives_eremoteio_and_last_error(void **state) {
        Fixture *f = *state;
        json_t *untouched = (json_t *) state;
        json_t *ret = untouched;

        assert_null(qmp_last_error(f->qmp));

        qemu_says(f, "{\"error\": {\"class\": \"CommandNotFound\", "
                     "\"desc\": \"The command frobnicate has not been found\"}, \"id\": 1}\r\n");
        assert_int_equal(qmp_execute(f->qmp, "frobnicate", NULL, soon(), &ret), -EREMOTEIO);
        assert_string_equal(qmp_last_error(f->qmp), "CommandNotFound: The command frobnicate has not been found");
        assert_ptr_equal(ret, untouched);
}

/* What QEMU says reaches root's terminal only as printable text. */
static void test_escape_sequences_from_qemu_reach_last_error_escaped(void **state) {
        Fixture *f = *state;

        qemu_says(f, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"\\u001b]0;owned\\u0007\\u009b2J\"}, \"id\": 1}\r\n");
        assert_int_equal(qmp_execute(f->qmp, "frobnicate", NULL, soon(), NULL), -EREMOTEIO);
        assert_string_equal(qmp_last_error(f->qmp), "GenericError: \\x1b]0;owned\\x07\\xc2\\x9b2J");

        qemu_says(f, "{\"a\": \x1b[2J}\n");
        assert_int_equal(qmp_process(f->qmp), -EBADMSG);
        assert_null(strchr(qmp_last_error(f->qmp), '\x1b'));
}

static void test_arguments_are_sent_with_the_command(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *args = NULL, *c = NULL;

        args = json_pack("{s:s,s:b}", "device", "net0", "force", 1);
        assert_non_null(args);

        qemu_says(f, "{\"return\": {}, \"id\": 1}\r\n");
        assert_int_equal(qmp_execute(f->qmp, "eject", args, soon(), NULL), 0);

        c = qemu_reads_command(f);
        assert_string_equal(json_string_value(json_object_get(c, "execute")), "eject");
        assert_true(json_equal(json_object_get(c, "arguments"), args));
        /* Borrowed: the caller's object is as it was. */
        assert_int_equal(json_object_size(args), 2);
}

static void test_replies_with_unknown_or_no_id_are_ignored(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *ret = NULL;

        qemu_says(f, "{\"return\": 99, \"id\": 42}\r\n"
                     "{\"return\": 98, \"id\": \"1\"}\r\n"
                     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\r\n"
                     "{\"return\": 1, \"id\": 1}\r\n");

        assert_int_equal(qmp_execute(f->qmp, "query-x", NULL, soon(), &ret), 0);
        assert_int_equal(json_integer_value(ret), 1);
        assert_null(qmp_last_error(f->qmp));
}

static void test_the_deadline_passing_without_a_reply_gives_etimedout(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *c = NULL;
        json_t *untouched = (json_t *) state;
        json_t *ret = untouched;
        usec_t start = now_usec();

        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, deadline_after(SHORT_TIMEOUT), &ret), -ETIMEDOUT);
        assert_true(now_usec() - start >= SHORT_TIMEOUT);
        assert_ptr_equal(ret, untouched);

        /* It was sent all the same. */
        c = qemu_reads_command(f);
        assert_string_equal(json_string_value(json_object_get(c, "execute")), "query-status");
}

static void test_a_late_reply_is_not_taken_for_the_next_commands(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *ret = NULL;

        assert_int_equal(qmp_execute(f->qmp, "slow", NULL, deadline_after(SHORT_TIMEOUT), NULL), -ETIMEDOUT);

        qemu_says(f, "{\"return\": \"late\", \"id\": 1}\r\n{\"return\": \"fresh\", \"id\": 2}\r\n");
        assert_int_equal(qmp_execute(f->qmp, "fast", NULL, soon(), &ret), 0);
        assert_string_equal(json_string_value(ret), "fresh");
}

static void test_transact_restores_the_callers_id(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *command = NULL, *reply = NULL, *c = NULL;

        command = json_loads("{\"execute\": \"query-status\", \"id\": \"mine\"}", 0, NULL);
        assert_non_null(command);

        qemu_says(f, "{\"return\": {\"status\": \"running\"}, \"id\": 1}\r\n");
        assert_int_equal(qmp_transact(f->qmp, command, soon(), &reply), 0);

        assert_string_equal(json_string_value(json_object_get(reply, "id")), "mine");
        assert_string_equal(json_string_value(json_object_get(json_object_get(reply, "return"), "status")), "running");

        /* On the wire it carried our id; the caller's object kept its own. */
        c = qemu_reads_command(f);
        assert_string_equal(json_string_value(json_object_get(c, "execute")), "query-status");
        assert_int_equal(json_integer_value(json_object_get(c, "id")), 1);
        assert_string_equal(json_string_value(json_object_get(command, "id")), "mine");
}

static void test_transact_without_an_id_returns_a_reply_without_one(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *command = NULL, *reply = NULL;

        command = json_loads("{\"execute\": \"query-status\"}", 0, NULL);
        assert_non_null(command);

        qemu_says(f, "{\"return\": {}, \"id\": 1}\r\n");
        assert_int_equal(qmp_transact(f->qmp, command, soon(), &reply), 0);

        assert_null(json_object_get(reply, "id"));
        assert_non_null(json_object_get(reply, "return"));
        assert_null(json_object_get(command, "id"));
}

static void test_transact_returns_an_error_reply_whole(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *command = NULL, *reply = NULL;

        command = json_loads("{\"execute\": \"frobnicate\", \"id\": 7}", 0, NULL);
        assert_non_null(command);

        qemu_says(f, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"}, \"id\": 1}\r\n");
        assert_int_equal(qmp_transact(f->qmp, command, soon(), &reply), 0);

        assert_int_equal(json_integer_value(json_object_get(reply, "id")), 7);
        assert_string_equal(json_string_value(json_object_get(json_object_get(reply, "error"), "class")), "CommandNotFound");
        assert_string_equal(qmp_last_error(f->qmp), "CommandNotFound: nope");
}

static void test_transact_refuses_a_command_that_is_not_an_object(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *command = json_loads("[\"query-status\"]", 0, NULL);
        json_t *reply = NULL;

        assert_non_null(command);
        assert_int_equal(qmp_transact(f->qmp, command, soon(), &reply), -EINVAL);
        assert_null(reply);
        qemu_got_nothing(f);
}

static void test_qemu_hanging_up_in_the_middle_of_a_reply_gives_econnreset(void **state) {
        Fixture *f = *state;

        qemu_says(f, "{\"return\": {}, \"id\"");
        assert_int_equal(shutdown(f->qemu, SHUT_WR), 0);

        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, soon(), NULL), -ECONNRESET);
}

static void test_qemu_gone_before_the_command_gives_econnreset_not_sigpipe(void **state) {
        Fixture *f = *state;

        close(f->qemu);
        f->qemu = -1;

        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, soon(), NULL), -ECONNRESET);
        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, soon(), NULL), -ECONNRESET);
}

static void test_messages_before_a_hang_up_still_count(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *ret = NULL;

        qemu_says(f, EVENT("SHUTDOWN") "{\"return\": \"bye\", \"id\": 1}\r\n" EVENT("LAST"));
        assert_int_equal(shutdown(f->qemu, SHUT_WR), 0);

        assert_int_equal(qmp_execute(f->qmp, "quit", NULL, soon(), &ret), 0);
        assert_string_equal(json_string_value(ret), "bye");
        assert_int_equal(qmp_wait_event(f->qmp, "SHUTDOWN", soon(), NULL), 0);

        assert_int_equal(qmp_wait_event(f->qmp, "SHUTDOWN", soon(), NULL), -ECONNRESET);
        assert_int_equal(qmp_process(f->qmp), -ECONNRESET);
        assert_next_event(f->qmp, "LAST");
        assert_no_event(f->qmp);
}

static void test_garbage_is_a_protocol_error(void **state) {
        static const char *const garbage[] = {
                "hello\n",
                "42\n",
                "[1, 2]\n",
                "{\"a\": tx}\n",
                "{\"a\" 1}\n",
                "{\"a\": \"\xff\"}\n",
                "{\"a\": \"\x01\"}\n",
                "{\"event\": 5}\n",
                "{\"QMP\": 1}\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(garbage); i++) {
                Fixture *f;

                /* After a protocol error a connection is done for: a fresh
                 * one for each. */
                if (i > 0) {
                        assert_int_equal(teardown(state), 0);
                        assert_int_equal(setup(state), 0);
                }
                f = *state;

                qemu_says(f, garbage[i]);
                assert_int_equal(qmp_process(f->qmp), -EBADMSG);
                /* for the one message the caller gives */
                assert_non_null(startswith(qmp_last_error(f->qmp), "QEMU sent "));
        }
        assert_string_equal(qmp_last_error(((Fixture *) *state)->qmp), "QEMU sent a QMP greeting that is not an object");
}

static void test_garbage_says_which_byte_came_where_a_message_should_start(void **state) {
        Fixture *f = *state;

        qemu_says(f, "hello\n");
        assert_int_equal(qmp_process(f->qmp), -EBADMSG);
        assert_string_equal(qmp_last_error(f->qmp), "QEMU sent garbage on QMP: byte 0x68 where a message should start");
        /* what a caller's message says */
        assert_string_equal(qmp_strerror(f->qmp, -EBADMSG), qmp_last_error(f->qmp));
        assert_string_equal(qmp_strerror(f->qmp, -ETIMEDOUT), strerror(ETIMEDOUT));
        assert_string_equal(qmp_strerror(NULL, -EBADMSG), strerror(EBADMSG));
}

/* Read together with the reply, the garbage would otherwise never be
 * seen again: the socket has nothing more to make an event loop look. */
static void test_garbage_right_after_a_reply_fails_the_command_and_every_call_after(void **state) {
        static const char *const says[] = { "{\"return\": {}, \"id\": 1}garbage\n" };
        Fixture *f = *state;

        fork_fake_qemu(f, NULL, "query-status", 1, says, ELEMENTSOF(says));
        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, soon(), NULL), -EBADMSG);
        assert_fake_qemu_succeeded(f);
        assert_int_equal(qmp_process(f->qmp), -EBADMSG);
        assert_int_equal(qmp_wait_event(f->qmp, "SHUTDOWN", soon(), NULL), -EBADMSG);
        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, soon(), NULL), -EBADMSG);
        /* nothing more was sent on a broken connection */
        qemu_got_nothing(f);
        assert_string_equal(qmp_last_error(f->qmp), "QEMU sent garbage on QMP: byte 0x67 where a message should start");
}

static void test_garbage_before_the_reply_fails_the_command_with_ebadmsg(void **state) {
        static const char *const says[] = { "{\"return\": {}, \"id\": 1", "]}\n" };
        Fixture *f = *state;

        fork_fake_qemu(f, NULL, "query-status", 1, says, ELEMENTSOF(says));
        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, soon(), NULL), -EBADMSG);
        assert_fake_qemu_succeeded(f);
        assert_non_null(startswith(qmp_last_error(f->qmp), "QEMU sent a malformed QMP message: "));
}

static void test_garbage_after_a_message_is_a_protocol_error(void **state) {
        Fixture *f = *state;

        qemu_says(f, EVENT("A") "}\r\n");
        assert_int_equal(qmp_process(f->qmp), -EBADMSG);
        assert_next_event(f->qmp, "A");
}

static void test_an_overlong_message_is_emsgsize_naming_the_limit(void **state) {
        static const char prefix[] = "{\"event\": \"X\", \"data\": \"";
        static char chunk[64 * 1024];
        Fixture *f = *state;
        size_t sent;
        int r;

        memset(chunk, 'x', sizeof(chunk));
        qemu_says(f, prefix);
        sent = strlen(prefix);

        for (;;) {
                ssize_t n = send(f->qemu, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0)
                        assert_int_equal(errno, EAGAIN);
                else
                        sent += (size_t) n;

                r = qmp_process(f->qmp);
                if (r != 0)
                        break;
                assert_true(sent <= QMP_MESSAGE_MAX + 4 * sizeof(chunk));
        }

        assert_int_equal(r, -EMSGSIZE);
        assert_true(sent > QMP_MESSAGE_MAX);
        assert_no_event(f->qmp);
        assert_string_equal(qmp_last_error(f->qmp), "QEMU sent a QMP message of more than the 16 MiB allowed");
}

/* A child answers the command with a reply of `size` bytes, whole JSON. */
static void fork_qemu_replying_with(Fixture *f, size_t size) {
        static const char head[] = "{\"id\": 1, \"return\": \"", tail[] = "\"}\r\n";
        static char chunk[64 * 1024];
        json_t *c;

        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid > 0)
                return;

        c = json_loadfd(f->qemu, JSON_DISABLE_EOF_CHECK, NULL);
        if (!c)
                _exit(EXIT_FAILURE);
        memset(chunk, 'x', sizeof(chunk));
        if (send(f->qemu, head, strlen(head), MSG_NOSIGNAL) < 0)
                _exit(EXIT_FAILURE);
        for (size_t left = size - strlen(head) - strlen(tail); left > 0;) {
                ssize_t n = send(f->qemu, chunk, left < sizeof(chunk) ? left : sizeof(chunk), MSG_NOSIGNAL);
                /* the reader hung up: what it was meant to do */
                if (n < 0)
                        _exit(errno == EPIPE || errno == ECONNRESET ? EXIT_SUCCESS : EXIT_FAILURE);
                left -= (size_t) n;
        }
        (void) send(f->qemu, tail, strlen(tail), MSG_NOSIGNAL);
        _exit(EXIT_SUCCESS);
}

static void test_an_overlong_reply_fails_the_command_with_emsgsize(void **state) {
        Fixture *f = *state;

        fork_qemu_replying_with(f, QMP_MESSAGE_MAX + 64 * 1024);
        assert_int_equal(qmp_execute(f->qmp, "query-qmp-schema", NULL, soon(), NULL), -EMSGSIZE);
        assert_non_null(strstr(qmp_last_error(f->qmp), "16 MiB"));
        /* what the reader does next: hang up, which ends the writer */
        f->qmp = qmp_free(f->qmp);
        assert_fake_qemu_succeeded(f);
}

/* The limit is on the message, from its '{' to its '}': the line end
 * after it is not part of it. */
#define LINE_END_SIZE strlen("\r\n")

static void test_a_reply_of_exactly_the_limit_arrives_whole(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *ret = NULL;

        fork_qemu_replying_with(f, QMP_MESSAGE_MAX + LINE_END_SIZE);
        assert_int_equal(qmp_execute(f->qmp, "query-qmp-schema", NULL, soon(), &ret), 0);
        assert_fake_qemu_succeeded(f);
        assert_int_equal(json_string_length(ret), QMP_MESSAGE_MAX - strlen("{\"id\": 1, \"return\": \"\"}"));
}

/* The reader stops reading only once it holds more than the limit, which
 * here is the whole message: so it is the message that is found too long,
 * and said to be, to the byte. */
static void test_a_reply_of_one_byte_over_the_limit_fails_the_command_with_emsgsize(void **state) {
        Fixture *f = *state;

        fork_qemu_replying_with(f, QMP_MESSAGE_MAX + 1 + LINE_END_SIZE);
        assert_int_equal(qmp_execute(f->qmp, "query-qmp-schema", NULL, soon(), NULL), -EMSGSIZE);
        assert_string_equal(qmp_last_error(f->qmp), "QEMU sent a QMP message of 16777217 bytes, more than the 16 MiB allowed");
        /* what the reader does next: hang up, which ends the writer */
        f->qmp = qmp_free(f->qmp);
        assert_fake_qemu_succeeded(f);
}

static void test_an_event_cut_in_the_middle_then_eof_is_econnreset_and_not_queued(void **state) {
        Fixture *f = *state;

        qemu_says(f, EVENT("WHOLE") "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"SHUTD");
        assert_int_equal(shutdown(f->qemu, SHUT_WR), 0);

        assert_int_equal(qmp_process(f->qmp), -ECONNRESET);
        assert_next_event(f->qmp, "WHOLE");
        assert_no_event(f->qmp);
        /* and it stays that way */
        assert_int_equal(qmp_wait_event(f->qmp, "SHUTDOWN", soon(), NULL), -ECONNRESET);
}

static void test_qemu_closing_the_socket_after_reading_the_command_gives_econnreset(void **state) {
        Fixture *f = *state;

        fork_fake_qemu(f, NULL, "system_powerdown", 1, NULL, 0);
        close(f->qemu);
        f->qemu = -1;
        assert_int_equal(qmp_execute(f->qmp, "system_powerdown", NULL, soon(), NULL), -ECONNRESET);
        assert_fake_qemu_succeeded(f);
}

static void test_wait_event_leaves_other_events_queued_in_order(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *e = NULL;

        qemu_says(f, EVENT("A") EVENT("B") EVENT("C") EVENT("D"));

        assert_int_equal(qmp_wait_event(f->qmp, "C", soon(), &e), 0);
        assert_string_equal(json_string_value(json_object_get(e, "event")), "C");

        assert_int_equal(qmp_wait_event(f->qmp, "NEVER", deadline_after(SHORT_TIMEOUT), NULL), -ETIMEDOUT);

        assert_next_event(f->qmp, "A");
        assert_next_event(f->qmp, "B");
        assert_next_event(f->qmp, "D");
        assert_no_event(f->qmp);
}

static void test_wait_event_takes_a_queued_event_even_past_the_deadline(void **state) {
        Fixture *f = *state;

        qemu_says(f, EVENT("A") EVENT("B"));
        assert_int_equal(qmp_process(f->qmp), 0);

        assert_int_equal(qmp_wait_event(f->qmp, "B", 0, NULL), 0);
        assert_next_event(f->qmp, "A");
        assert_no_event(f->qmp);
}

/* A child plays a QEMU that floods its monitor: `n` events named `noise`,
 * then one named `last`, written as fast as the socket takes them. */
static void fork_flooding_qemu(Fixture *f, size_t n, const char *noise, const char *last) {
        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                char line[256];
                for (size_t i = 0; i <= n; i++) {
                        int k = snprintf(line, sizeof line, "{\"timestamp\": {\"seconds\": %zu, \"microseconds\": 0}, "
                                         "\"event\": \"%s\"}\r\n", i, i < n ? noise : last);
                        if (send(f->qemu, line, (size_t) k, MSG_NOSIGNAL) != k)
                                _exit(1);
                }
                _exit(0);
        }
}

static size_t queued(Qmp *q) {
        size_t n = 0;
        json_t *e;

        while ((e = qmp_next_event(q))) {
                json_decref(e);
                n++;
        }
        return n;
}

/* Nobody reads the queue while a wait lasts: seen, 64 MiB of events made
 * the waiting client's memory reach 1.3 GiB (issue 24). The queue keeps
 * what fits, counts what it drops, and the awaited event still comes. */
static void test_a_flood_of_events_nobody_waits_for_is_bounded_and_counted(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *e = NULL;
        size_t n;

        fork_flooding_qemu(f, 20000, "NOISE", "SHUTDOWN");
        assert_int_equal(qmp_wait_event(f->qmp, "SHUTDOWN", soon(), &e), 0);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "timestamp"), "seconds")), 20000);
        n = queued(f->qmp);
        assert_true(n <= QMP_EVENTS_QUEUED_MAX);
        assert_int_equal(qmp_events_dropped(f->qmp), 20000 - n);
        assert_int_equal(qmp_events_dropped(f->qmp), 0);      /* counted once */
}

/* `n` events of about `size` bytes each, each read as it comes: what
 * the byte bound keeps. */
static size_t queue_big_events(Fixture *f, size_t n, size_t size) {
        _cleanup_free_ char *big = malloc(size + 64);
        size_t k;

        assert_non_null(big);
        k = (size_t) sprintf(big, "{\"event\": \"BIG\", \"data\": \"");
        memset(big + k, 'x', size);
        strcpy(big + k + size, "\"}\r\n");
        for (size_t i = 0; i < n; i++) {
                qemu_says(f, big);
                assert_int_equal(qmp_process(f->qmp), 0);
        }
        return queued(f->qmp);
}

/* The bytes an event took leave the queue with it: what is read frees
 * room for what comes next, round after round. */
static void test_events_read_free_their_room_in_the_queue(void **state) {
        Fixture *f = *state;
        size_t size = QMP_EVENT_MAX / 2, n = QMP_EVENTS_BYTES_MAX / size + 4, first;

        first = queue_big_events(f, n, size);
        assert_true(first > 0 && first < n);
        assert_int_equal(qmp_events_dropped(f->qmp), n - first);
        for (int round = 0; round < 3; round++) {
                assert_int_equal(queue_big_events(f, n, size), first);
                assert_int_equal(qmp_events_dropped(f->qmp), n - first);
        }
}

static void test_an_event_too_large_to_queue_is_dropped_and_the_next_kept(void **state) {
        Fixture *f = *state;
        size_t n = QMP_EVENT_MAX + 1024;
        _cleanup_free_ char *big = malloc(n + 64);

        assert_non_null(big);
        n = (size_t) sprintf(big, "{\"event\": \"BIG\", \"data\": \"");
        memset(big + n, 'x', QMP_EVENT_MAX);
        strcpy(big + n + QMP_EVENT_MAX, "\"}\r\n");
        qemu_says(f, big);
        qemu_says(f, EVENT("SMALL"));
        assert_int_equal(qmp_wait_event(f->qmp, "SMALL", soon(), NULL), 0);
        assert_no_event(f->qmp);
        assert_int_equal(qmp_events_dropped(f->qmp), 1);
}

static void test_real_qemu_handshake_status_and_quit(void **state) {
        Fixture *f = *state;
        _cleanup_json_ json_t *ret = NULL, *command = NULL, *reply = NULL, *e = NULL;
        const char *status;
        usec_t deadline;
        int fds[2], wstatus;

        if (access(QEMU_BINARY, X_OK) < 0)
                skip_because("QEMU (qemu-system-x86_64) is not installed");

        /* Not the fixture's fake: a fresh pair, with QEMU on the other end. */
        f->qmp = qmp_free(f->qmp);
        close(f->qemu);
        f->qemu = -1;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);

        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                char chardev[64];

                /* Only this one end is for QEMU to keep across exec. */
                if (fcntl(fds[1], F_SETFD, 0) < 0)
                        _exit(EXIT_FAILURE);
                snprintf(chardev, sizeof(chardev), "socket,id=qmp0,fd=%d", fds[1]);
                execl(QEMU_BINARY, QEMU_BINARY,
                      "-machine", "q35,accel=tcg",
                      "-nodefaults",
                      "-display", "none",
                      "-S",
                      "-chardev", chardev,
                      "-mon", "chardev=qmp0,mode=control",
                      (char *) NULL);
                _exit(127);
        }
        close(fds[1]);
        assert_int_equal(qmp_new(fds[0], &f->qmp), 0);

        deadline = deadline_after(30 * USEC_PER_SEC);
        assert_int_equal(qmp_handshake(f->qmp, deadline), 0);
        assert_true(json_is_object(json_object_get(qmp_greeting(f->qmp), "version")));

        assert_int_equal(qmp_execute(f->qmp, "query-status", NULL, deadline, &ret), 0);
        status = json_string_value(json_object_get(ret, "status"));
        assert_non_null(status);
        assert_true(streq(status, "prelaunch") || streq(status, "paused"));

        assert_int_equal(qmp_execute(f->qmp, "frobnicate", NULL, deadline, NULL), -EREMOTEIO);
        assert_non_null(startswith(qmp_last_error(f->qmp), "CommandNotFound: "));

        command = json_loads("{\"execute\": \"query-status\", \"id\": \"mine\"}", 0, NULL);
        assert_non_null(command);
        assert_int_equal(qmp_transact(f->qmp, command, deadline, &reply), 0);
        assert_string_equal(json_string_value(json_object_get(reply, "id")), "mine");
        assert_non_null(json_object_get(reply, "return"));

        assert_int_equal(qmp_execute(f->qmp, "quit", NULL, deadline, NULL), 0);
        assert_int_equal(qmp_wait_event(f->qmp, "SHUTDOWN", deadline, &e), 0);
        assert_true(json_is_object(json_object_get(e, "timestamp")));
        assert_int_equal(qmp_wait_event(f->qmp, "SHUTDOWN", deadline, NULL), -ECONNRESET);

        assert_int_equal(waitpid(f->pid, &wstatus, 0), f->pid);
        f->pid = -1;
        assert_true(WIFEXITED(wstatus));
        assert_int_equal(WEXITSTATUS(wstatus), EXIT_SUCCESS);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_new_makes_the_socket_non_blocking),
                TEST(test_handshake_sends_capabilities_after_the_greeting),
                TEST(test_handshake_sends_nothing_and_times_out_without_a_greeting),
                TEST(test_events_before_the_capabilities_reply_are_queued),
                TEST(test_an_event_split_byte_by_byte_arrives_whole),
                TEST(test_a_reply_split_byte_by_byte_arrives_whole),
                TEST(test_a_message_cut_inside_a_literal_number_or_escape_arrives_whole_with_the_next_read),
                TEST(test_several_messages_in_one_write_all_arrive),
                TEST(test_messages_separated_by_crlf_or_by_nothing_both_arrive),
                TEST(test_an_event_between_command_and_reply_is_queued),
                TEST(test_an_error_reply_gives_eremoteio_and_last_error),
                TEST(test_escape_sequences_from_qemu_reach_last_error_escaped),
                TEST(test_arguments_are_sent_with_the_command),
                TEST(test_replies_with_unknown_or_no_id_are_ignored),
                TEST(test_the_deadline_passing_without_a_reply_gives_etimedout),
                TEST(test_a_late_reply_is_not_taken_for_the_next_commands),
                TEST(test_transact_restores_the_callers_id),
                TEST(test_transact_without_an_id_returns_a_reply_without_one),
                TEST(test_transact_returns_an_error_reply_whole),
                TEST(test_transact_refuses_a_command_that_is_not_an_object),
                TEST(test_qemu_hanging_up_in_the_middle_of_a_reply_gives_econnreset),
                TEST(test_qemu_gone_before_the_command_gives_econnreset_not_sigpipe),
                TEST(test_messages_before_a_hang_up_still_count),
                TEST(test_garbage_is_a_protocol_error),
                TEST(test_garbage_after_a_message_is_a_protocol_error),
                TEST(test_an_overlong_message_is_emsgsize_naming_the_limit),
                TEST(test_garbage_says_which_byte_came_where_a_message_should_start),
                TEST(test_garbage_right_after_a_reply_fails_the_command_and_every_call_after),
                TEST(test_garbage_before_the_reply_fails_the_command_with_ebadmsg),
                TEST(test_an_overlong_reply_fails_the_command_with_emsgsize),
                TEST(test_a_reply_of_exactly_the_limit_arrives_whole),
                TEST(test_a_reply_of_one_byte_over_the_limit_fails_the_command_with_emsgsize),
                TEST(test_an_event_cut_in_the_middle_then_eof_is_econnreset_and_not_queued),
                TEST(test_qemu_closing_the_socket_after_reading_the_command_gives_econnreset),
                TEST(test_wait_event_leaves_other_events_queued_in_order),
                TEST(test_wait_event_takes_a_queued_event_even_past_the_deadline),
                TEST(test_a_flood_of_events_nobody_waits_for_is_bounded_and_counted),
                TEST(test_events_read_free_their_room_in_the_queue),
                TEST(test_an_event_too_large_to_queue_is_dropped_and_the_next_kept),
                TEST(test_real_qemu_handshake_status_and_quit),
        };

        /* VMRUN_LOG_LEVEL=debug shows the conversation. */
        log_setup();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
