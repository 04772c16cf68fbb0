/* log.h - one line per event on stderr, logfmt ("ts=… level=… msg=… key=value").
 * The level is configuration: set once at start (log_set_level) before threads run.
 * Thread-safe: each line goes out in one write(2), so lines never interleave. */
#ifndef TREU_LOG_H
#define TREU_LOG_H

#include "core/common.h"

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

#define LOG_LINE_BYTES_MAX 2048

/* Sets the minimum level. Call before starting threads. */
void log_set_level(enum log_level l);

/* Parses "debug|info|warn|error". TREU_EINVAL for anything else. */
TREU_MUST_USE int log_level_parse(const char *s, enum log_level *out);

bool log_enabled(enum log_level l);

/* Writes "ts=<now> level=<l> msg=<msg> " followed by the formatted key=value pairs. */
void log_write(enum log_level l, const char *msg, const char *fmt, ...) TREU_PRINTF(3, 4);

#define log_info(msg, ...)  log_write(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...)  log_write(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_write(LOG_ERROR, msg, __VA_ARGS__)

#endif
