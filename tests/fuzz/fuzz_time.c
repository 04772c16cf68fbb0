/* fuzz_time.c - ISO 8601 instants and dates (tstime_parse_iso, tstime_parse_date) and the
 * civil-date arithmetic behind them.
 * Properties: an accepted instant lies within years 1000..9999 (give or take the offset);
 * formatting it and parsing that gives it back to the millisecond; an accepted date is a
 * real calendar date that tstime_parse_iso reads as its midnight UTC, and whose day number
 * converts back to the same date. */
#include "fuzz.h"

#include "core/tstime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int64_t us = 0;
    int rc = tstime_parse_iso(s, size, &us);
    FUZZ_CHECK(rc == 0 || rc == TREU_EINVAL);
    if (rc == 0) {
        int64_t lo = tstime_days_from_civil(1000, 1, 1) - 1,
                hi = tstime_days_from_civil(10000, 1, 1) + 1;
        FUZZ_CHECK(us >= lo * TSTIME_US_PER_DAY && us < hi * TSTIME_US_PER_DAY);
        char iso[TSTIME_ISO_LEN + 1];
        tstime_format_iso(us, iso);
        int64_t back = 0;
        int64_t ms_floor = us - ((us % 1000) + 1000) % 1000;
        if (us >= tstime_days_from_civil(1000, 1, 1) * TSTIME_US_PER_DAY &&
            us < tstime_days_from_civil(10000, 1, 1) * TSTIME_US_PER_DAY) {
            FUZZ_CHECK(strlen(iso) == TSTIME_ISO_LEN);
            FUZZ_CHECK(tstime_parse_iso(iso, strlen(iso), &back) == 0 && back == ms_floor);
        }
    }
    int64_t y = 0;
    unsigned m = 0, d = 0;
    if (tstime_parse_date(s, size, &y, &m, &d) == 0) {
        FUZZ_CHECK(tstime_date_valid(y, m, d));
        int64_t days = tstime_days_from_civil(y, m, d), y2;
        unsigned m2, d2;
        tstime_civil_from_days(days, &y2, &m2, &d2);
        FUZZ_CHECK(y2 == y && m2 == m && d2 == d);
        int64_t mid = 0;
        FUZZ_CHECK(tstime_parse_iso(s, size, &mid) == 0 && mid == days * TSTIME_US_PER_DAY);
    }
    return 0;
}
