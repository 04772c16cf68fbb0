/* tz.h - IANA time zones from TZif data, and calendar arithmetic in a zone.
 * Parsing is pure (the bytes come in from the caller; engine/zones.c reads the files).
 * A parsed zone is immutable and safe to share between threads.
 * Instants are int64 microseconds since the epoch, UTC. Local times are civil fields.
 * Errors: tz_parse returns TREU_EINVAL for malformed data, TREU_ENOMEM. */
#ifndef TREU_TZ_H
#define TREU_TZ_H

#include "core/common.h"

#include <stdbool.h>

#define TZ_TRANSITIONS_MAX 4096 /* per zone; real zones have < 2000 */
#define TZ_DATA_BYTES_MAX  (256 * 1024)

struct tz;

struct tz_civil {
    int64_t year;
    unsigned month; /* 1..12 */
    unsigned day;   /* 1..31 */
    unsigned hour, minute, second;
    unsigned weekday; /* 1 = Monday .. 7 = Sunday (ISO) */
    int64_t us;       /* microseconds within the second */
};

/* Parses TZif data (versions 1, 2, 3; the 64-bit section when present, and the POSIX TZ
 * footer for instants after the last transition). *out is heap-allocated; tz_free it. */
TREU_MUST_USE int tz_parse(const unsigned char *data, size_t len, struct tz **out);

/* The zone that is always UTC (static; tz_free ignores it). */
const struct tz *tz_utc(void);

void tz_free(struct tz *z);

/* Offset of local time from UTC at `utc_us`, in seconds (east positive). */
int32_t tz_offset_at(const struct tz *z, int64_t utc_us);

/* Local civil time at `utc_us`. */
void tz_to_civil(const struct tz *z, int64_t utc_us, struct tz_civil *out);

/* The instant of a local civil time (weekday ignored). For a local time that occurs twice
 * (clocks going back) the earlier instant; for one that does not exist (clocks going
 * forward) the instant it would be with the offset before the gap, i.e. shifted forward. */
int64_t tz_from_civil(const struct tz *z, const struct tz_civil *c);

enum tz_round {
    TZ_ROUND_NONE,
    TZ_ROUND_END_OF_DAY,
    TZ_ROUND_END_OF_MONTH,
    TZ_ROUND_END_OF_QUARTER,
    TZ_ROUND_END_OF_HALF_YEAR,
    TZ_ROUND_END_OF_YEAR,
};

/* Adds `days` and then `months` to `utc_us` in local time (a month-end clamps: Jan 31 +
 * 1 month = Feb 28/29), then rounds up to the end of the period containing the result:
 * the last microsecond before the next period starts in local time (e.g. end of March in
 * Europe/Berlin = 2026-03-31T23:59:59.999999+02:00). TZ_ROUND_NONE keeps the instant. */
int64_t tz_add_and_round(const struct tz *z, int64_t utc_us, int days, int months,
                         enum tz_round round);

/* The instant local midnight starts on the civil date containing `utc_us`. */
int64_t tz_start_of_day(const struct tz *z, int64_t utc_us);

/* The local start of the calendar period containing `utc_us` (the first instant whose local
 * date is in it, so never after `utc_us`): "DAY", "WEEK" (from Monday), "MONTH" or "YEAR";
 * any other name is the day. */
int64_t tz_period_start(const struct tz *z, int64_t utc_us, const char *period);

#endif
