/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "basic/log.h"
#include "basic/process.h"
#include "basic/spawn.h"
#include "qemu/caps.h"
#include "basic/strv.h"

/* QEMU 7.2's CPU help is about 20 KiB; anything near this is not help. */
#define HELP_MAX (1u << 20)

/* Read the child's output from `fd` until its end, at most HELP_MAX
 * bytes, before `deadline`. */
static int read_all(int fd, usec_t deadline, char **ret) {
        _cleanup_free_ char *buf = malloc(HELP_MAX + 1);
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t n;
                int r;

                r = poll(&pfd, 1, deadline_to_poll_ms(deadline));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return r == 0 ? -ETIMEDOUT : negative_errno();
                n = read(fd, buf + len, HELP_MAX - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len == HELP_MAX)
                        return -E2BIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Run BINARY with ARGV (argv[0] included), stdin from /dev/null, and
 * return what it wrote to stdout and stderr if it exits 0 in time. When it
 * exits with an error: -EIO, and what it said in *ret_said if that is
 * given. */
static int run_help(const char *binary, char *const *argv, usec_t timeout, char **ret, char **ret_said) {
        _cleanup_close_pair_ int out[2] = { -1, -1 };
        _cleanup_close_ int pidfd = -1;
        _cleanup_free_ char *buf = NULL;
        siginfo_t si;
        usec_t deadline = deadline_after(timeout);
        pid_t pid;
        int r;

        assert(streq(argv[0], binary));

        /* said here, rather than as an exit status 127 of the child */
        if (access(binary, X_OK) < 0)
                return negative_errno();
        if (pipe2(out, O_CLOEXEC) < 0)
                return negative_errno();
        r = spawn(&(const Spawn) { .argv = argv, .fds = (const int[]) { -1, out[1], out[1] }, .n_fds = 3 }, &pid,
                  &pidfd);
        if (r < 0)
                return r;
        /* only the child holds the write end now: its exit is our EOF */
        closep(&out[1]);

        r = read_all(out[0], deadline, &buf);
        if (r >= 0)
                r = pidfd_wait(pidfd, deadline);
        if (r < 0) {
                /* the error that matters is r; this only cleans up */
                (void) pidfd_kill_and_reap(pidfd);
                return r;
        }
        r = pidfd_reap(pidfd, &si);
        if (r < 0)
                return r;
        if (si.si_code != CLD_EXITED || si.si_status != 0) {
                log_debug("%s (pid %d) exited with %s %d; it said: %s", binary, (int) pid,
                          si.si_code == CLD_EXITED ? "status" : "signal", si.si_status, buf);
                if (ret_said)
                        *ret_said = TAKE_PTR(buf);
                return -EIO;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

int qemu_parse_device_help(const char *text, char ***ret) {
        _cleanup_strv_ Strv props = { 0 };
        const char *line = text;

        while (*line) {
                size_t l = strcspn(line, "\n"), n;
                const char *s = line, *dot;

                line += l + (line[l] == '\n');
                s += strspn(s, " \t");
                /* before QEMU 5.0: "max-x86_64-cpu.hv-relaxed=bool" */
                dot = memchr(s, '.', (size_t) (line - s));
                if (dot && dot < s + strcspn(s, "=\n"))
                        s = dot + 1;
                n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
                /* "max-x86_64-cpu options:" and QEMU's warnings are no properties */
                if (n == 0 || s[n] != '=')
                        continue;
                char *name = strndup(s, n);
                if (!name)
                        return -ENOMEM;
                if (strv_contains(props.v, name)) {
                        free(name);
                        continue;
                }
                if (strv_consume(&props, name) < 0)
                        return -ENOMEM;
        }
        if (props.n == 0)
                return -EBADMSG;
        *ret = TAKE_PTR(props.v);
        props = (Strv) { 0 };
        return 0;
}

int qemu_cpu_properties(const char *binary, const char *model, usec_t timeout, char ***ret) {
        _cleanup_free_ char *device = NULL, *out = NULL;
        int r;

        /* the CPU model as a device type: -cpu MODEL,help would start a VM */
        if (asprintf(&device, "%s-x86_64-cpu,help", model) < 0)
                return -ENOMEM;
        char *const argv[] = {
                (char *) binary, (char *) "-nodefaults", (char *) "-no-user-config", (char *) "-device", device, NULL,
        };
        r = run_help(binary, argv, timeout, &out, NULL);
        if (r < 0)
                return r;
        return qemu_parse_device_help(out, ret);
}

/* QEMU's words about an option it lacks, its "PROGRAM: -OPTION help: "
 * taken off each line, the lines joined with "; " */
static int said_without_prefix(const char *said, const char *option, char **ret) {
        _cleanup_free_ char *marker = NULL, *out = NULL;
        const char *line = said;
        size_t len = 0;

        if (asprintf(&marker, "%s help: ", option) < 0)
                return -ENOMEM;
        out = malloc(strlen(said) * 2 + 1);
        if (!out)
                return -ENOMEM;
        while (*line) {
                size_t l = strcspn(line, "\n");
                const char *s = line, *m;

                line += l + (line[l] == '\n');
                m = memmem(s, l, marker, strlen(marker));
                if (m) {
                        l -= (size_t) (m + strlen(marker) - s);
                        s = m + strlen(marker);
                }
                if (l == 0)
                        continue;
                if (len > 0) {
                        memcpy(out + len, "; ", 2);
                        len += 2;
                }
                memcpy(out + len, s, l);
                len += l;
        }
        out[len] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

int qemu_has_spice(const char *binary, usec_t timeout, char **ret_said) {
        _cleanup_free_ char *out = NULL, *said = NULL;
        _cleanup_strv_free_ char **options = NULL;
        char *const argv[] = {
                (char *) binary, (char *) "-nodefaults", (char *) "-no-user-config", (char *) "-spice", (char *) "help",
                NULL,
        };
        int r;

        /* QEMU (7.2 and 10 alike) exits 1 after listing the options too:
         * what it says decides */
        r = run_help(binary, argv, timeout, &out, &said);
        if (r == -EIO && said) {
                out = TAKE_PTR(said);
                r = 0;
        }
        if (r < 0)
                return r;
        r = qemu_parse_device_help(out, &options);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && strv_contains(options, "port"))
                return 1;
        /* "There is no option group 'spice'", and where the module is a
         * package of its own, which one */
        r = said_without_prefix(out, "-spice", ret_said);
        return r < 0 ? r : 0;
}
