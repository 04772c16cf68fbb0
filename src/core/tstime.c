/* tstime.c - civil-date arithmetic on the proleptic Gregorian calendar (era-based day
 * counting), and strict ISO 8601 parsing: we accept only what we can read unambiguously. */
#include "core/tstime.h"

#include <string.h>

int64_t tstime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tstime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool tstime_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool tstime_date_valid(int64_t y, unsigned m, unsigned d)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    unsigned max = mdays[m - 1] + (m == 2 && tstime_leap(y));
    return d <= max;
}

static void put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void tstime_format_iso(int64_t us, char out[TSTIME_ISO_LEN + 1])
{
    int64_t days = us / TSTIME_US_PER_DAY;
    int64_t rem = us % TSTIME_US_PER_DAY;
    if (rem < 0) {
        rem += TSTIME_US_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    tstime_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    int64_t secs = rem / TSTIME_US_PER_S;
    int64_t ms = (rem % TSTIME_US_PER_S) / 1000;
    memcpy(out, "0000-00-00T00:00:00.000Z", TSTIME_ISO_LEN + 1);
    put_digits(out, y, 4);
    put_digits(out + 5, m, 2);
    put_digits(out + 8, d, 2);
    put_digits(out + 11, secs / 3600, 2);
    put_digits(out + 14, secs / 60 % 60, 2);
    put_digits(out + 17, secs % 60, 2);
    put_digits(out + 20, ms, 3);
}

/* Reads exactly n digits at s[*i]; advances *i. */
static bool read_digits(const char *s, size_t len, size_t *i, int n, int64_t *out)
{
    int64_t v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i < len && s[*i] == c) {
        (*i)++;
        return true;
    }
    return false;
}

int tstime_parse_date(const char *s, size_t len, int64_t *y, unsigned *m, unsigned *d)
{
    size_t i = 0;
    int64_t yy, mm, dd;
    if (!read_digits(s, len, &i, 4, &yy) || !expect(s, len, &i, '-') ||
        !read_digits(s, len, &i, 2, &mm) || !expect(s, len, &i, '-') ||
        !read_digits(s, len, &i, 2, &dd) || i != len)
        return TREU_EINVAL;
    if (yy < 1000 || !tstime_date_valid(yy, (unsigned)mm, (unsigned)dd))
        return TREU_EINVAL;
    *y = yy;
    *m = (unsigned)mm;
    *d = (unsigned)dd;
    return 0;
}

static int parse_time_part(const char *s, size_t len, size_t i, int64_t *out_us)
{
    int64_t hh, mi, ss = 0, frac = 0;
    if (!read_digits(s, len, &i, 2, &hh) || !expect(s, len, &i, ':') ||
        !read_digits(s, len, &i, 2, &mi))
        return TREU_EINVAL;
    if (expect(s, len, &i, ':')) {
        if (!read_digits(s, len, &i, 2, &ss))
            return TREU_EINVAL;
        if (expect(s, len, &i, '.')) {
            int n = 0;
            while (i < len && s[i] >= '0' && s[i] <= '9') {
                if (n < 6)
                    frac = frac * 10 + (s[i] - '0');
                n++;
                i++;
            }
            if (n == 0 || n > 6)
                return TREU_EINVAL;
            for (int k = n; k < 6; k++)
                frac *= 10;
        }
    }
    if (hh > 23 || mi > 59 || ss > 59)
        return TREU_EINVAL;
    int64_t off = 0;
    if (expect(s, len, &i, 'Z')) {
        off = 0;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        int64_t oh, om;
        if (!read_digits(s, len, &i, 2, &oh) || !expect(s, len, &i, ':') ||
            !read_digits(s, len, &i, 2, &om) || oh > 23 || om > 59)
            return TREU_EINVAL;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return TREU_EINVAL;
    }
    if (i != len)
        return TREU_EINVAL;
    *out_us = ((hh * 3600 + mi * 60 + ss) - off) * TSTIME_US_PER_S + frac;
    return 0;
}

int tstime_parse_iso(const char *s, size_t len, int64_t *us)
{
    if (len < 10)
        return TREU_EINVAL;
    int64_t y;
    unsigned m, d;
    int rc = tstime_parse_date(s, 10, &y, &m, &d);
    if (rc < 0)
        return rc;
    int64_t day_us = tstime_days_from_civil(y, m, d) * TSTIME_US_PER_DAY;
    if (len == 10) {
        *us = day_us;
        return 0;
    }
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return TREU_EINVAL;
    int64_t t;
    rc = parse_time_part(s, len, 11, &t);
    if (rc < 0)
        return rc;
    *us = day_us + t;
    return 0;
}
