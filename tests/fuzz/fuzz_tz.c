/* fuzz_tz.c - TZif data and its POSIX TZ footer (tz_parse), and the calendar arithmetic
 * that runs on whatever a parsed zone says.
 * Properties, for instants in years 1000..9999 (what the API accepts): every offset is
 * within TZ_OFFSET_SPAN_S; civil fields are in range and the weekday follows the date;
 * converting local time back (tz_from_civil) gives an instant with the same local time,
 * no later than the original (the earlier of a repeated hour); the start of the day, week,
 * month and year are not after the instant, and the day's start at most a day and a
 * fall-back before it; rounding up to the end of a period never moves an instant
 * backwards; adding nothing and not rounding changes nothing. The exception is a clock that
 * falls back across a midnight it had jumped past (a known limit, docs/reliability.md). */
#include "fuzz.h"

#include "core/tstime.h"
#include "core/tz.h"

#define SPAN_S 93600 /* tz.c's TZ_OFFSET_SPAN_S */

static bool same_local(const struct tz_civil *a, const struct tz_civil *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->us == b->us;
}

static void check_civil(const struct tz_civil *c)
{
    FUZZ_CHECK(c->month >= 1 && c->month <= 12 && c->day >= 1 && c->day <= 31);
    FUZZ_CHECK(tstime_date_valid(c->year, c->month, c->day));
    FUZZ_CHECK(c->hour < 24 && c->minute < 60 && c->second < 60);
    FUZZ_CHECK(c->us >= 0 && c->us < TSTIME_US_PER_S);
    int64_t days = tstime_days_from_civil(c->year, c->month, c->day);
    FUZZ_CHECK(c->weekday == (unsigned)(((days + 3) % 7 + 7) % 7) + 1);
}

static void check_instant(const struct tz *z, int64_t t)
{
    int32_t off = tz_offset_at(z, t);
    FUZZ_CHECK(off > -SPAN_S && off < SPAN_S);
    struct tz_civil c, back;
    tz_to_civil(z, t, &c);
    check_civil(&c);
    int64_t t2 = tz_from_civil(z, &c);
    tz_to_civil(z, t2, &back);
    FUZZ_CHECK(same_local(&c, &back));
    FUZZ_CHECK(t2 <= t);
    int64_t day = tz_start_of_day(z, t);
    /* Known limit (docs/reliability.md): when the clock, after jumping past midnight, falls
     * back across it within hours, the day's start is the later midnight. No real zone
     * does that; it is not checked. A day can begin up to a day plus the largest fall-back
     * (< SPAN_S) before an instant in it. */
    bool fell_back_over_midnight = day > t && tz_offset_at(z, day) < off;
    FUZZ_CHECK(fell_back_over_midnight ||
               (day <= t && t - day < TSTIME_US_PER_DAY + SPAN_S * TSTIME_US_PER_S));
    static const char *const periods[] = {"DAY", "WEEK", "MONTH", "YEAR"};
    for (size_t i = 0; i < TREU_ARRAY_LEN(periods); i++) {
        int64_t ps = tz_period_start(z, t, periods[i]);
        FUZZ_CHECK(ps <= t || tz_offset_at(z, ps) < off); /* the same known limit */
    }
    FUZZ_CHECK(tz_add_and_round(z, t, 0, 0, TZ_ROUND_NONE) == t);
    for (int r = TZ_ROUND_END_OF_DAY; r <= TZ_ROUND_END_OF_YEAR; r++) {
        int64_t end = tz_add_and_round(z, t, 0, 0, (enum tz_round)r);
        /* The same known limit: the next period began, then the clock fell back to t. */
        FUZZ_CHECK(end >= t || tz_offset_at(z, end + 1) > off);
    }
    (void)tz_add_and_round(z, t, 400, -13, TZ_ROUND_END_OF_MONTH);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > TZ_DATA_BYTES_MAX)
        return 0;
    struct tz *z = NULL;
    int rc = tz_parse(data, size, &z);
    FUZZ_CHECK(rc == 0 || rc == TREU_EINVAL || rc == TREU_ENOMEM);
    FUZZ_CHECK((rc == 0) == (z != NULL));
    if (!z)
        return 0;
    static const int64_t fixed_s[] = {
        0,
        1774746000,   /* 2026-03-29 01:00 UTC: Europe's spring gap */
        1792890000,   /* 2026-10-25 01:00 UTC: its repeated hour */
        1325239200,   /* 2011-12-30 10:00 UTC: the day Samoa skipped */
        -30610224000, /* 1000-01-01 */
        253402300799, /* 9999-12-31 23:59:59 */
    };
    int64_t lo = -30610224000 + 2 * 86400, hi = 253402300799 - 2 * 86400;
    for (size_t i = 0; i < TREU_ARRAY_LEN(fixed_s); i++) {
        int64_t s = fixed_s[i] < lo ? lo : fixed_s[i] > hi ? hi : fixed_s[i];
        check_instant(z, s * TSTIME_US_PER_S + 123456);
    }
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211u;
    for (int i = 0; i < 8; i++) {
        h = h * 6364136223846793005u + 1442695040888963407u;
        /* Half of them in 1900..2100, where real zones have their transitions. */
        int64_t from = i % 2 ? lo : INT64_C(-2208988800), to = i % 2 ? hi : INT64_C(4102444800);
        int64_t s = from + (int64_t)(h % (uint64_t)(to - from));
        check_instant(z, s * TSTIME_US_PER_S + (int64_t)(h >> 44) % TSTIME_US_PER_S);
    }
    tz_free(z);
    return 0;
}
