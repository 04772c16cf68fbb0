/* log.c - formatting into a stack buffer, one write(2). The only global is the level,
 * frozen before threads start. Timestamps come from the real clock: logs are for humans
 * and are not part of the deterministic core. */
#include "core/log.h"

#include "core/tstime.h"

#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static enum log_level log_min = LOG_INFO;

void log_set_level(enum log_level l)
{
    log_min = l;
}

int log_level_parse(const char *s, enum log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < TREU_ARRAY_LEN(names); i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return TREU_EINVAL;
}

bool log_enabled(enum log_level l)
{
    return l >= log_min;
}

void log_write(enum log_level l, const char *msg, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (!log_enabled(l))
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char ts[TSTIME_ISO_LEN + 1];
    tstime_format_iso((int64_t)tv.tv_sec * TSTIME_US_PER_S + tv.tv_usec, ts);
    char line[LOG_LINE_BYTES_MAX];
    int n = snprintf(line, sizeof line, "ts=%s level=%s msg=\"%s\" ", ts, names[l], msg);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + len, sizeof line - len, fmt, ap);
    va_end(ap);
    if (m > 0)
        len += (size_t)m < sizeof line - len ? (size_t)m : sizeof line - len - 1;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

_Noreturn void treu_assert_fail(const char *expr, const char *file, int line)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg, "treu: assertion failed: %s (%s:%d)\n", expr, file, line);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg);
        (void)w;
    }
    abort();
}

const char *treu_strerror(int rc)
{
    switch (rc) {
    case TREU_OK: return "ok";
    case TREU_ENOMEM: return "out of memory";
    case TREU_EIO: return "I/O error";
    case TREU_EBUSY: return "storage busy";
    case TREU_ELIMIT: return "limit exceeded";
    case TREU_EINVAL: return "invalid argument";
    case TREU_ENOTFOUND: return "not found";
    case TREU_ECONFLICT: return "conflict";
    case TREU_ESTOPPED: return "shutting down";
    case TREU_EFULL: return "storage full or read-only";
    }
    return "unknown error";
}
