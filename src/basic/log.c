/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <sys/stat.h>

#include "basic/log.h"
#include "basic/text.h"

/* Logging is the one piece of process-wide state besides the options:
 * every file logs, and threading a context through all of them would
 * only add noise. */
static struct {
        int max_level;
        bool journal;
        bool color;
        usec_t origin;
} log_state = { .max_level = LOG_INFO };

/* journald sets JOURNAL_STREAM=DEV:INODE for the stream it reads; only if
 * that is still our stderr (not redirected since) do we speak its dialect. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(void) {
        const char *e;

        log_state.origin = now_usec();
        log_state.journal = stderr_is_journal();
        log_state.color = !log_state.journal && isatty(STDERR_FILENO) && !getenv("NO_COLOR");

        e = getenv("VMRUN_LOG_LEVEL");
        if (e) {
                if (streq(e, "debug"))
                        log_state.max_level = LOG_DEBUG;
                else if (streq(e, "info"))
                        log_state.max_level = LOG_INFO;
                else if (streq(e, "warning"))
                        log_state.max_level = LOG_WARNING;
                else if (streq(e, "error"))
                        log_state.max_level = LOG_ERR;
        }
}

void log_set_max_level(int level) {
        log_state.max_level = level;
}

int log_get_max_level(void) {
        return log_state.max_level;
}

double log_elapsed(void) {
        if (log_state.origin == 0)
                return 0;
        return (double) (now_usec() - log_state.origin) / (double) USEC_PER_SEC;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        char msg[4096];
        const char *on = "", *off = "";
        va_list ap;
        int saved = errno;

        if (error < 0)
                error = -error;

        if (level <= log_state.max_level) {
                _cleanup_free_ char *escaped = NULL;
                const char *text = msg;

                va_start(ap, format);
                vsnprintf(msg, sizeof msg, format, ap);
                va_end(ap);
                /* whatever a message quotes (a process's name, a unit's,
                 * QEMU's words) writes no escape to a terminal and no
                 * second line to the timeline or the journal */
                if (text_has_control_chars(msg) || !text_is_utf8(msg)) {
                        escaped = text_escape(msg);
                        if (escaped)
                                text = escaped;
                        else
                                for (char *c = msg; *c; c++)
                                        if ((unsigned char) *c < 0x20 || *c == 0x7f)
                                                *c = '?';
                }

                if (log_state.color) {
                        if (level <= LOG_ERR)
                                on = "\033[1;31m";
                        else if (level == LOG_WARNING)
                                on = "\033[1;33m";
                        else if (level == LOG_DEBUG)
                                on = "\033[2m";
                        if (*on)
                                off = "\033[0m";
                }

                if (log_state.journal)
                        fprintf(stderr, "<%d>", level);
                fprintf(stderr, "%s[%7.3fs] ", on, log_elapsed());
                if (level == LOG_DEBUG)
                        fprintf(stderr, "(%s:%d %s) ", file, line, func);
                else if (level <= LOG_ERR)
                        fputs("error: ", stderr);
                else if (level == LOG_WARNING)
                        fputs("warning: ", stderr);
                fprintf(stderr, "%s%s\n", text, off);
        }

        errno = saved;
        return error > 0 ? -error : 0;
}

static void log_foreign_line(const char *who, const char *line, size_t n) {
        _cleanup_free_ char *e = NULL;
        size_t w = strlen(who);

        if (n > w + 1 && strncmp(line, who, w) == 0 && line[w] == ':' && line[w + 1] == ' ') {
                line += w + 2;
                n -= w + 2;
        }
        if (n == 0)
                return;
        e = text_escape_n(line, n);
        if (!e) {
                (void) log_oom();
                return;
        }
        log_warning("%s: %s", who, e);
}

/* Every whole line; with `flush` (the end) or a full buffer without a
 * newline, what there is as well. */
static void foreign_output_log(ForeignOutput *o, bool flush) {
        char *start = o->buf, *nl;

        while ((nl = memchr(start, '\n', o->len - (size_t) (start - o->buf)))) {
                log_foreign_line(o->who, start, (size_t) (nl - start));
                start = nl + 1;
        }
        o->len -= (size_t) (start - o->buf);
        memmove(o->buf, start, o->len);
        if (o->len > 0 && (flush || o->len == sizeof o->buf)) {
                log_foreign_line(o->who, o->buf, o->len);
                o->len = 0;
        }
}

bool foreign_output_read(ForeignOutput *o) {
        while (o->fd >= 0) {
                ssize_t n = read(o->fd, o->buf + o->len, sizeof o->buf - o->len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return true;
                if (n <= 0) {
                        foreign_output_log(o, true);
                        closep(&o->fd);
                        return false;
                }
                o->len += (size_t) n;
                foreign_output_log(o, false);
        }
        return false;
}
