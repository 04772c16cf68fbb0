/* tstime.h - instants as int64 microseconds since the Unix epoch (UTC), calendar dates,
 * and their ISO 8601 forms. Pure: the current time always comes in through a struct
 * clock, so tests can run on a clock of their own. */
#ifndef TREU_TSTIME_H
#define TREU_TSTIME_H

#include "core/common.h"

#include <stdbool.h>

#define TSTIME_ISO_LEN    24 /* "2026-11-23T10:00:00.000Z" */
#define TSTIME_US_PER_S   INT64_C(1000000)
#define TSTIME_US_PER_DAY (INT64_C(86400) * TSTIME_US_PER_S)

struct clock {
    int64_t (*now_us)(void *ctx);
    void *ctx;
};

static inline int64_t clock_now_us(const struct clock *c)
{
    return c->now_us(c->ctx);
}

/* Days since 1970-01-01 for a proleptic Gregorian date (no range check). */
int64_t tstime_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Inverse of tstime_days_from_civil. */
void tstime_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* True when y-m-d is a real calendar date. */
bool tstime_date_valid(int64_t y, unsigned m, unsigned d);

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" and a NUL into out (TSTIME_ISO_LEN + 1 bytes). */
void tstime_format_iso(int64_t us, char out[TSTIME_ISO_LEN + 1]);

/* Parses "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM[:SS[.f{1,6}]](Z|±HH:MM)"; as
 * RFC 3339 allows, the 'T' may also be 't' or a space.
 * Returns 0 and sets *us, or TREU_EINVAL for anything else (including years outside
 * 1000..9999 and impossible dates). */
TREU_MUST_USE int tstime_parse_iso(const char *s, size_t len, int64_t *us);

/* Parses exactly "YYYY-MM-DD" into its parts. TREU_EINVAL when not a real date. */
TREU_MUST_USE int tstime_parse_date(const char *s, size_t len, int64_t *y, unsigned *m,
                                    unsigned *d);

#endif
