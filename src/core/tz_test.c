/* tz_test.c - unit tests for core/tz (TZif and POSIX TZ parsing, calendar arithmetic in a
 * zone). Real zones come from Debian's tzdata in
 * /usr/share/zoneinfo; expected instants were read off `zdump -v` and are written out
 * here as exact UTC values, so any drift fails. Synthetic TZif files built below cover
 * the footer rule forms and the malformed inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/tstime.h"
#include "core/tz.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define US           INT64_C(1000000)
#define HOUR_S       3600
#define DAY_US       (INT64_C(86400) * US)

/* ------------------------------------------------------------------ helpers */

/* A UTC instant from its fields (tstime's day count is tested in core_test). */
static int64_t utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
    int64_t days = tstime_days_from_civil(y, mo, d);
    return ((days * 86400) + h * 3600 + mi * 60 + s) * US;
}

static unsigned char *read_zone_file(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s", ZONEINFO_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(TZ_DATA_BYTES_MAX);
    assert_non_null(buf);
    *len = fread(buf, 1, TZ_DATA_BYTES_MAX, f);
    fclose(f);
    assert_true(*len > 0);
    return buf;
}

static struct tz *load(const char *name)
{
    size_t len;
    unsigned char *buf = read_zone_file(name, &len);
    struct tz *z = NULL;
    assert_int_equal(tz_parse(buf, len, &z), 0);
    assert_non_null(z);
    free(buf);
    return z;
}

static void assert_civil(const struct tz_civil *c, int64_t y, unsigned mo, unsigned d, unsigned h,
                         unsigned mi, unsigned s, int64_t us, unsigned wd)
{
    assert_int_equal(c->year, y);
    assert_int_equal(c->month, mo);
    assert_int_equal(c->day, d);
    assert_int_equal(c->hour, h);
    assert_int_equal(c->minute, mi);
    assert_int_equal(c->second, s);
    assert_int_equal(c->us, us);
    assert_int_equal(c->weekday, wd);
}

static struct tz_civil civil(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                             unsigned s)
{
    return (struct tz_civil){
        .year = y, .month = mo, .day = d, .hour = h, .minute = mi, .second = s};
}

static int64_t from_civil(const struct tz *z, int64_t y, unsigned mo, unsigned d, unsigned h,
                          unsigned mi, unsigned s)
{
    struct tz_civil c = civil(y, mo, d, h, mi, s);
    return tz_from_civil(z, &c);
}

/* Offset just before and at a transition instant. */
static void assert_transition(const struct tz *z, int64_t at, int32_t before, int32_t after)
{
    assert_int_equal(tz_offset_at(z, at - 1), before);
    assert_int_equal(tz_offset_at(z, at - US), before);
    assert_int_equal(tz_offset_at(z, at), after);
    assert_int_equal(tz_offset_at(z, at + US), after);
}

/* A synthetic TZif file. Version 0 writes one 32-bit block and no footer; '2'..'4' write
 * a stub v1 block, the 64-bit block and "\n" footer "\n". */
struct tzif {
    char version;
    uint32_t ntrans;
    const int64_t *at;
    const uint8_t *idx;
    uint32_t ntypes;
    const int32_t *offs;
    uint32_t nleap;
    const char *footer;
};

#define TZIF_CHARS       4 /* "ABC\0" */
#define TZIF_V1_STUB_LEN (44 + 6 + TZIF_CHARS)

static unsigned char *put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return p + 4;
}

static unsigned char *put64(unsigned char *p, int64_t v)
{
    p = put32(p, (uint32_t)((uint64_t)v >> 32));
    return put32(p, (uint32_t)(uint64_t)v);
}

static unsigned char *put_header(unsigned char *p, char version, uint32_t ntrans, uint32_t ntypes,
                                 uint32_t nleap)
{
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    memset(p + 5, 0, 15);
    p += 20;
    p = put32(p, 0); /* isutcnt */
    p = put32(p, 0); /* isstdcnt */
    p = put32(p, nleap);
    p = put32(p, ntrans);
    p = put32(p, ntypes);
    return put32(p, TZIF_CHARS);
}

static unsigned char *put_block(unsigned char *p, const struct tzif *t, unsigned tb)
{
    for (uint32_t i = 0; i < t->ntrans; i++)
        p = tb == 4 ? put32(p, (uint32_t)(int32_t)t->at[i]) : put64(p, t->at[i]);
    for (uint32_t i = 0; i < t->ntrans; i++)
        *p++ = t->idx[i];
    for (uint32_t i = 0; i < t->ntypes; i++) {
        p = put32(p, (uint32_t)t->offs[i]);
        *p++ = 0; /* isdst */
        *p++ = 0; /* desigidx */
    }
    memcpy(p, "ABC", TZIF_CHARS);
    p += TZIF_CHARS;
    for (uint32_t i = 0; i < t->nleap; i++) {
        p = tb == 4 ? put32(p, 0) : put64(p, 0);
        p = put32(p, 1);
    }
    return p;
}

static unsigned char *tzif_build(const struct tzif *t, size_t *len)
{
    size_t tb = t->version == 0 ? 4 : 8;
    size_t block = t->ntrans * (tb + 1) + t->ntypes * 6 + TZIF_CHARS + t->nleap * (tb + 4);
    size_t footer = t->footer ? strlen(t->footer) : 0;
    size_t n = t->version == 0 ? 44 + block : TZIF_V1_STUB_LEN + 44 + block + footer + 2;
    unsigned char *buf = malloc(n);
    assert_non_null(buf);
    unsigned char *p = buf;
    if (t->version != 0) {
        static const int32_t zero = 0;
        struct tzif stub = {.version = t->version, .ntypes = 1, .offs = &zero};
        p = put_header(p, t->version, 0, 1, 0);
        p = put_block(p, &stub, 4);
    }
    p = put_header(p, t->version, t->ntrans, t->ntypes, t->nleap);
    p = put_block(p, t, (unsigned)tb);
    if (t->version != 0) {
        *p++ = '\n';
        memcpy(p, t->footer ? t->footer : "", footer);
        p += footer;
        *p++ = '\n';
    }
    assert_int_equal((size_t)(p - buf), n);
    *len = n;
    return buf;
}

static int parse_tzif(const struct tzif *t, struct tz **out)
{
    size_t len;
    unsigned char *buf = tzif_build(t, &len);
    int rc = tz_parse(buf, len, out);
    free(buf);
    return rc;
}

/* A zone with no transitions whose only rule is the footer `footer`. */
static struct tz *footer_zone(const char *footer)
{
    static const int32_t zero = 0;
    struct tzif t = {.version = '2', .ntypes = 1, .offs = &zero, .footer = footer};
    struct tz *z = NULL;
    assert_int_equal(parse_tzif(&t, &z), 0);
    assert_non_null(z);
    return z;
}

/* ------------------------------------------------------------------ real zones */

static void test_berlin_2026_transitions(void **state)
{
    (void)state;
    struct tz *z = load("Europe/Berlin");
    int64_t spring = utc(2026, 3, 29, 1, 0, 0);
    int64_t autumn = utc(2026, 10, 25, 1, 0, 0);
    assert_int_equal(spring, INT64_C(1774746000) * US);
    assert_int_equal(autumn, INT64_C(1792890000) * US);
    assert_transition(z, spring, HOUR_S, 2 * HOUR_S);
    assert_transition(z, autumn, 2 * HOUR_S, HOUR_S);

    struct tz_civil c;
    tz_to_civil(z, spring - 1, &c);
    assert_civil(&c, 2026, 3, 29, 1, 59, 59, 999999, 7);
    tz_to_civil(z, spring, &c);
    assert_civil(&c, 2026, 3, 29, 3, 0, 0, 0, 7);
    tz_to_civil(z, autumn - 1, &c);
    assert_civil(&c, 2026, 10, 25, 2, 59, 59, 999999, 7);
    tz_to_civil(z, autumn, &c);
    assert_civil(&c, 2026, 10, 25, 2, 0, 0, 0, 7);
    tz_free(z);
}

static void test_berlin_from_civil(void **state)
{
    (void)state;
    struct tz *z = load("Europe/Berlin");
    /* Ordinary times, winter and summer. */
    assert_int_equal(from_civil(z, 2026, 1, 15, 12, 0, 0), utc(2026, 1, 15, 11, 0, 0));
    assert_int_equal(from_civil(z, 2026, 7, 1, 12, 0, 0), utc(2026, 7, 1, 10, 0, 0));
    struct tz_civil c = civil(2026, 7, 1, 12, 0, 0);
    c.us = 123456;
    assert_int_equal(tz_from_civil(z, &c), utc(2026, 7, 1, 10, 0, 0) + 123456);

    /* Gap: 02:00..02:59:59 do not exist on 2026-03-29; the offset before (+01) applies. */
    int64_t gap = from_civil(z, 2026, 3, 29, 2, 30, 0);
    assert_int_equal(gap, utc(2026, 3, 29, 1, 30, 0));
    tz_to_civil(z, gap, &c);
    assert_civil(&c, 2026, 3, 29, 3, 30, 0, 0, 7);
    assert_int_equal(from_civil(z, 2026, 3, 29, 2, 0, 0), utc(2026, 3, 29, 1, 0, 0));
    assert_int_equal(from_civil(z, 2026, 3, 29, 3, 0, 0), utc(2026, 3, 29, 1, 0, 0));
    assert_int_equal(from_civil(z, 2026, 3, 29, 1, 59, 59), utc(2026, 3, 29, 0, 59, 59));

    /* Overlap: 02:00..02:59:59 happen twice on 2026-10-25; the earlier (+02) is chosen. */
    int64_t overlap = from_civil(z, 2026, 10, 25, 2, 30, 0);
    assert_int_equal(overlap, utc(2026, 10, 25, 0, 30, 0));
    tz_to_civil(z, utc(2026, 10, 25, 1, 30, 0), &c); /* the later one exists too */
    assert_civil(&c, 2026, 10, 25, 2, 30, 0, 0, 7);
    assert_int_equal(from_civil(z, 2026, 10, 25, 2, 0, 0), utc(2026, 10, 25, 0, 0, 0));
    assert_int_equal(from_civil(z, 2026, 10, 25, 3, 0, 0), utc(2026, 10, 25, 2, 0, 0));
    assert_int_equal(from_civil(z, 2026, 10, 25, 1, 59, 59), utc(2026, 10, 24, 23, 59, 59));
    tz_free(z);
}

static void test_new_york(void **state)
{
    (void)state;
    struct tz *z = load("America/New_York");
    assert_transition(z, utc(2026, 3, 8, 7, 0, 0), -5 * HOUR_S, -4 * HOUR_S);
    assert_transition(z, utc(2026, 11, 1, 6, 0, 0), -4 * HOUR_S, -5 * HOUR_S);
    assert_int_equal(from_civil(z, 2026, 3, 8, 2, 30, 0), utc(2026, 3, 8, 7, 30, 0));
    assert_int_equal(from_civil(z, 2026, 11, 1, 1, 30, 0), utc(2026, 11, 1, 5, 30, 0));
    struct tz_civil c;
    tz_to_civil(z, utc(2026, 1, 1, 3, 0, 0), &c);
    assert_civil(&c, 2025, 12, 31, 22, 0, 0, 0, 3);
    tz_free(z);
}

static void test_kolkata(void **state)
{
    (void)state;
    struct tz *z = load("Asia/Kolkata");
    int32_t ist = 5 * HOUR_S + 30 * 60;
    assert_int_equal(tz_offset_at(z, utc(1990, 6, 1, 0, 0, 0)), ist);
    assert_int_equal(tz_offset_at(z, utc(2026, 6, 1, 0, 0, 0)), ist);
    assert_int_equal(tz_offset_at(z, utc(2100, 12, 31, 0, 0, 0)), ist);
    struct tz_civil c;
    tz_to_civil(z, utc(2026, 1, 1, 0, 0, 0), &c);
    assert_civil(&c, 2026, 1, 1, 5, 30, 0, 0, 4);
    assert_int_equal(from_civil(z, 2026, 1, 1, 0, 0, 0), utc(2025, 12, 31, 18, 30, 0));
    tz_free(z);
}

static void test_lord_howe(void **state)
{
    (void)state;
    struct tz *z = load("Australia/Lord_Howe");
    int32_t std = 10 * HOUR_S + 30 * 60, dst = 11 * HOUR_S;
    assert_transition(z, utc(2026, 4, 4, 15, 0, 0), dst, std);
    assert_transition(z, utc(2026, 10, 3, 15, 30, 0), std, dst);
    assert_transition(z, utc(2100, 4, 3, 15, 0, 0), dst, std); /* footer */
    assert_transition(z, utc(2100, 10, 2, 15, 30, 0), std, dst);
    /* 01:30..01:59 happen twice on 2026-04-05; 02:00..02:29 are skipped on 2026-10-04. */
    assert_int_equal(from_civil(z, 2026, 4, 5, 1, 45, 0), utc(2026, 4, 4, 14, 45, 0));
    assert_int_equal(from_civil(z, 2026, 10, 4, 2, 15, 0), utc(2026, 10, 3, 15, 45, 0));
    tz_free(z);
}

static void test_chatham(void **state)
{
    (void)state;
    struct tz *z = load("Pacific/Chatham");
    int32_t std = 12 * HOUR_S + 45 * 60, dst = 13 * HOUR_S + 45 * 60;
    assert_transition(z, utc(2026, 4, 4, 14, 0, 0), dst, std);
    assert_transition(z, utc(2026, 9, 26, 14, 0, 0), std, dst);
    assert_transition(z, utc(2100, 4, 3, 14, 0, 0), dst, std);
    assert_transition(z, utc(2100, 9, 25, 14, 0, 0), std, dst);
    struct tz_civil c;
    tz_to_civil(z, utc(2026, 1, 1, 0, 0, 0), &c);
    assert_civil(&c, 2026, 1, 1, 13, 45, 0, 0, 4);
    tz_to_civil(z, utc(2026, 7, 1, 11, 15, 0), &c);
    assert_civil(&c, 2026, 7, 2, 0, 0, 0, 0, 4);
    tz_free(z);
}

static void test_utc(void **state)
{
    (void)state;
    struct tz *file = load("UTC");
    const struct tz *zones[] = {file, tz_utc()};
    for (size_t i = 0; i < TREU_ARRAY_LEN(zones); i++) {
        const struct tz *z = zones[i];
        assert_int_equal(tz_offset_at(z, 0), 0);
        assert_int_equal(tz_offset_at(z, utc(2100, 7, 1, 0, 0, 0)), 0);
        assert_int_equal(tz_offset_at(z, INT64_MIN), 0);
        assert_int_equal(tz_offset_at(z, INT64_MAX), 0);
        struct tz_civil c;
        tz_to_civil(z, 0, &c);
        assert_civil(&c, 1970, 1, 1, 0, 0, 0, 0, 4);
        tz_to_civil(z, -1, &c);
        assert_civil(&c, 1969, 12, 31, 23, 59, 59, 999999, 3);
        assert_int_equal(from_civil(z, 2026, 3, 29, 2, 30, 0), utc(2026, 3, 29, 2, 30, 0));
        assert_int_equal(tz_start_of_day(z, utc(2026, 3, 29, 2, 30, 0) + 5),
                         utc(2026, 3, 29, 0, 0, 0));
    }
    tz_free((struct tz *)tz_utc()); /* ignored */
    tz_free(NULL);
    tz_free(file);
}

static void test_footer_2100(void **state)
{
    (void)state;
    struct tz *berlin = load("Europe/Berlin");
    assert_transition(berlin, utc(2100, 3, 28, 1, 0, 0), HOUR_S, 2 * HOUR_S);
    assert_transition(berlin, utc(2100, 10, 31, 1, 0, 0), 2 * HOUR_S, HOUR_S);
    assert_int_equal(tz_offset_at(berlin, utc(2500, 7, 1, 0, 0, 0)), 2 * HOUR_S);
    assert_int_equal(tz_offset_at(berlin, utc(9999, 12, 31, 0, 0, 0)), HOUR_S);
    struct tz *ny = load("America/New_York");
    assert_transition(ny, utc(2100, 3, 14, 7, 0, 0), -5 * HOUR_S, -4 * HOUR_S);
    assert_transition(ny, utc(2100, 11, 7, 6, 0, 0), -4 * HOUR_S, -5 * HOUR_S);
    assert_int_equal(from_civil(ny, 2100, 11, 7, 1, 30, 0), utc(2100, 11, 7, 5, 30, 0));
    assert_int_equal(from_civil(ny, 2100, 3, 14, 2, 30, 0), utc(2100, 3, 14, 7, 30, 0));
    tz_free(berlin);
    tz_free(ny);
}

static void test_weekdays(void **state)
{
    (void)state;
    static const struct {
        int64_t y;
        unsigned m, d, wd;
    } cases[] = {
        {1970, 1, 1, 4},  {1969, 12, 31, 3}, {1969, 12, 29, 1}, {2000, 1, 1, 6},
        {2026, 3, 29, 7}, {2026, 3, 30, 1},  {2024, 2, 29, 4},  {1900, 1, 1, 1},
    };
    struct tz_civil c;
    for (size_t i = 0; i < TREU_ARRAY_LEN(cases); i++) {
        tz_to_civil(tz_utc(), utc(cases[i].y, cases[i].m, cases[i].d, 12, 0, 0), &c);
        assert_int_equal(c.weekday, cases[i].wd);
    }
    /* The local date decides: 22:30Z Sunday is 00:30 Monday in Berlin (CEST). */
    struct tz *z = load("Europe/Berlin");
    tz_to_civil(z, utc(2026, 3, 29, 22, 30, 0), &c);
    assert_civil(&c, 2026, 3, 30, 0, 30, 0, 0, 1);
    tz_free(z);
}

/* to_civil then from_civil gives the instant back, except for the second pass through an
 * overlap, which maps to the first; checked every 15 minutes of 2026. */
static void round_trip_year(const char *name)
{
    struct tz *z = load(name);
    int64_t step = 15 * 60 * US;
    for (int64_t t = utc(2026, 1, 1, 0, 0, 0); t < utc(2027, 1, 1, 0, 0, 0); t += step) {
        struct tz_civil c;
        tz_to_civil(z, t + 7, &c);
        int64_t back = tz_from_civil(z, &c);
        if (back != t + 7) {
            assert_true(back < t + 7);
            struct tz_civil c2;
            tz_to_civil(z, back, &c2);
            assert_memory_equal(&c, &c2, sizeof c);
        }
    }
    tz_free(z);
}

static void test_round_trip(void **state)
{
    (void)state;
    round_trip_year("Europe/Berlin");
    round_trip_year("Australia/Lord_Howe");
    round_trip_year("Pacific/Chatham");
    round_trip_year("America/New_York");
}

/* Offsets agree with the C library reading the same files (an independent reader), every
 * 5 hours 17 minutes from 1901 to 2199. */
static void compare_with_libc(const char *name)
{
    struct tz *z = load(name);
    char tzvar[128];
    snprintf(tzvar, sizeof tzvar, ":%s%s", ZONEINFO_DIR, name);
    assert_int_equal(setenv("TZ", tzvar, 1), 0);
    tzset();
    for (int64_t s = utc(1901, 1, 1, 0, 0, 0) / US; s < utc(2199, 1, 1, 0, 0, 0) / US;
         s += 5 * 3600 + 17 * 60) {
        time_t tt = (time_t)s;
        struct tm tm;
        assert_non_null(localtime_r(&tt, &tm));
        if (tz_offset_at(z, s * US) != tm.tm_gmtoff)
            fail_msg("%s at %lld: %d != %ld", name, (long long)s, tz_offset_at(z, s * US),
                     tm.tm_gmtoff);
    }
    unsetenv("TZ");
    tz_free(z);
}

static void test_agrees_with_libc(void **state)
{
    (void)state;
    static const char *const names[] = {
        "Europe/Berlin",   "America/New_York", "Asia/Kolkata",      "Australia/Lord_Howe",
        "Pacific/Chatham", "America/Santiago", "Africa/Casablanca", "America/Nuuk",
        "Asia/Tehran",     "Pacific/Apia",     "Europe/Dublin",     "Antarctica/Troll",
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(names); i++)
        compare_with_libc(names[i]);
}

/* ------------------------------------------------------------------ add and round */

static void test_add_months_clamp(void **state)
{
    (void)state;
    struct tz *z = load("Europe/Berlin");
    int64_t jan31 = from_civil(z, 2026, 1, 31, 10, 0, 0);
    assert_int_equal(jan31, utc(2026, 1, 31, 9, 0, 0));
    assert_int_equal(tz_add_and_round(z, jan31, 0, 1, TZ_ROUND_NONE), utc(2026, 2, 28, 9, 0, 0));
    assert_int_equal(tz_add_and_round(z, jan31, 0, 1, TZ_ROUND_END_OF_MONTH),
                     utc(2026, 2, 28, 22, 59, 59) + 999999);
    assert_int_equal(tz_add_and_round(z, jan31, 0, 13, TZ_ROUND_NONE), utc(2027, 2, 28, 9, 0, 0));
    assert_int_equal(tz_add_and_round(z, jan31, 0, 2, TZ_ROUND_NONE), utc(2026, 3, 31, 8, 0, 0));
    /* Leap year. */
    int64_t jan31_24 = from_civil(z, 2024, 1, 31, 10, 0, 0);
    assert_int_equal(tz_add_and_round(z, jan31_24, 0, 1, TZ_ROUND_NONE), utc(2024, 2, 29, 9, 0, 0));
    /* Days first, then months: Jan 30 + 1 day = Jan 31, + 1 month = Feb 28 (not Mar 1). */
    int64_t jan30 = from_civil(z, 2026, 1, 30, 10, 0, 0);
    assert_int_equal(tz_add_and_round(z, jan30, 1, 1, TZ_ROUND_NONE), utc(2026, 2, 28, 9, 0, 0));
    /* Backwards. */
    int64_t mar31 = from_civil(z, 2026, 3, 31, 10, 0, 0);
    assert_int_equal(tz_add_and_round(z, mar31, 0, -1, TZ_ROUND_NONE), utc(2026, 2, 28, 9, 0, 0));
    assert_int_equal(tz_add_and_round(z, mar31, 0, -12, TZ_ROUND_NONE), utc(2025, 3, 31, 8, 0, 0));
    int64_t mar1 = from_civil(z, 2026, 3, 1, 10, 0, 0);
    assert_int_equal(tz_add_and_round(z, mar1, -1, 0, TZ_ROUND_NONE), utc(2026, 2, 28, 9, 0, 0));
    /* Nothing to add and no rounding keeps the instant to the microsecond, even the
     * second pass through an overlap. */
    int64_t odd = utc(2026, 10, 25, 1, 30, 0) + 17;
    assert_int_equal(tz_add_and_round(z, odd, 0, 0, TZ_ROUND_NONE), odd);
    tz_free(z);
}

static void test_round_periods_berlin(void **state)
{
    (void)state;
    struct tz *z = load("Europe/Berlin");
    int64_t t = from_civil(z, 2026, 2, 10, 12, 0, 0);
    int64_t end_day = utc(2026, 2, 10, 22, 59, 59) + 999999;
    int64_t end_feb = utc(2026, 2, 28, 22, 59, 59) + 999999;
    int64_t end_q1 = utc(2026, 3, 31, 21, 59, 59) + 999999; /* CEST */
    int64_t end_h1 = utc(2026, 6, 30, 21, 59, 59) + 999999;
    int64_t end_year = utc(2026, 12, 31, 22, 59, 59) + 999999;
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_DAY), end_day);
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_MONTH), end_feb);
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_QUARTER), end_q1);
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_HALF_YEAR), end_h1);
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_YEAR), end_year);
    /* The last quarter and the second half end with the year. */
    int64_t nov = from_civil(z, 2026, 11, 15, 12, 0, 0);
    assert_int_equal(tz_add_and_round(z, nov, 0, 0, TZ_ROUND_END_OF_QUARTER), end_year);
    assert_int_equal(tz_add_and_round(z, nov, 0, 0, TZ_ROUND_END_OF_HALF_YEAR), end_year);
    /* Boundaries: the first microsecond of a period belongs to it, the last one too. */
    int64_t apr1 = from_civil(z, 2026, 4, 1, 0, 0, 0);
    assert_int_equal(apr1, utc(2026, 3, 31, 22, 0, 0));
    assert_int_equal(tz_add_and_round(z, apr1, 0, 0, TZ_ROUND_END_OF_QUARTER),
                     utc(2026, 6, 30, 21, 59, 59) + 999999);
    assert_int_equal(tz_add_and_round(z, apr1 - 1, 0, 0, TZ_ROUND_END_OF_QUARTER), end_q1);
    assert_int_equal(tz_add_and_round(z, end_q1, 0, 0, TZ_ROUND_END_OF_QUARTER), end_q1);
    int64_t jul1 = from_civil(z, 2026, 7, 1, 0, 0, 0);
    assert_int_equal(tz_add_and_round(z, jul1, 0, 0, TZ_ROUND_END_OF_HALF_YEAR), end_year);
    /* Add and round together: 3 months after Feb 10, end of that quarter (Q2). */
    assert_int_equal(tz_add_and_round(z, t, 0, 3, TZ_ROUND_END_OF_QUARTER), end_h1);
    assert_int_equal(tz_add_and_round(z, t, 0, 12, TZ_ROUND_END_OF_YEAR),
                     utc(2027, 12, 31, 22, 59, 59) + 999999);
    tz_free(z);
}

static void test_round_periods_kolkata(void **state)
{
    (void)state;
    struct tz *z = load("Asia/Kolkata");
    int64_t t = from_civil(z, 2026, 2, 10, 12, 0, 0);
    assert_int_equal(t, utc(2026, 2, 10, 6, 30, 0));
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_DAY),
                     utc(2026, 2, 10, 18, 29, 59) + 999999);
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_MONTH),
                     utc(2026, 2, 28, 18, 29, 59) + 999999);
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_QUARTER),
                     utc(2026, 3, 31, 18, 29, 59) + 999999);
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_HALF_YEAR),
                     utc(2026, 6, 30, 18, 29, 59) + 999999);
    assert_int_equal(tz_add_and_round(z, t, 0, 0, TZ_ROUND_END_OF_YEAR),
                     utc(2026, 12, 31, 18, 29, 59) + 999999);
    /* 20:00Z on Dec 31 is already Jan 1 in Kolkata: the next year's end. */
    assert_int_equal(tz_add_and_round(z, utc(2026, 12, 31, 20, 0, 0), 0, 0, TZ_ROUND_END_OF_YEAR),
                     utc(2027, 12, 31, 18, 29, 59) + 999999);
    tz_free(z);
}

static void test_add_days_across_dst(void **state)
{
    (void)state;
    struct tz *z = load("Europe/Berlin");
    /* A local day is 23 h in spring and 25 h in autumn. */
    int64_t sat = from_civil(z, 2026, 3, 28, 12, 0, 0);
    assert_int_equal(tz_add_and_round(z, sat, 1, 0, TZ_ROUND_NONE), utc(2026, 3, 29, 10, 0, 0));
    int64_t oct = from_civil(z, 2026, 10, 24, 12, 0, 0);
    assert_int_equal(tz_add_and_round(z, oct, 1, 0, TZ_ROUND_NONE), utc(2026, 10, 25, 11, 0, 0));
    assert_int_equal(tz_add_and_round(z, oct, 7, 0, TZ_ROUND_NONE), utc(2026, 10, 31, 11, 0, 0));
    assert_int_equal(tz_add_and_round(z, sat, 0, 0, TZ_ROUND_NONE), sat);
    /* Landing in the gap: 02:30 does not exist on Mar 29, so it is 03:30 CEST. */
    int64_t early = from_civil(z, 2026, 3, 28, 2, 30, 0);
    assert_int_equal(tz_add_and_round(z, early, 1, 0, TZ_ROUND_NONE), utc(2026, 3, 29, 1, 30, 0));
    /* End of the short and the long day. */
    assert_int_equal(tz_add_and_round(z, sat, 1, 0, TZ_ROUND_END_OF_DAY),
                     utc(2026, 3, 29, 21, 59, 59) + 999999);
    assert_int_equal(tz_add_and_round(z, oct, 1, 0, TZ_ROUND_END_OF_DAY),
                     utc(2026, 10, 25, 22, 59, 59) + 999999);
    /* 30 days from March 1 (CET) to March 31 (CEST) at the same wall time. */
    int64_t mar1 = from_civil(z, 2026, 3, 1, 9, 0, 0);
    assert_int_equal(tz_add_and_round(z, mar1, 30, 0, TZ_ROUND_NONE), utc(2026, 3, 31, 7, 0, 0));
    tz_free(z);

    struct tz *ny = load("America/New_York");
    int64_t t = from_civil(ny, 2026, 3, 7, 12, 0, 0);
    assert_int_equal(t, utc(2026, 3, 7, 17, 0, 0));
    assert_int_equal(tz_add_and_round(ny, t, 1, 0, TZ_ROUND_NONE), utc(2026, 3, 8, 16, 0, 0));
    tz_free(ny);
}

static void test_start_of_day(void **state)
{
    (void)state;
    struct tz *z = load("Europe/Berlin");
    assert_int_equal(tz_start_of_day(z, utc(2026, 3, 29, 12, 0, 0)), utc(2026, 3, 28, 23, 0, 0));
    assert_int_equal(tz_start_of_day(z, utc(2026, 10, 25, 12, 0, 0)), utc(2026, 10, 24, 22, 0, 0));
    assert_int_equal(tz_start_of_day(z, utc(2026, 10, 24, 22, 0, 0)), utc(2026, 10, 24, 22, 0, 0));
    assert_int_equal(tz_start_of_day(z, utc(2026, 10, 24, 22, 0, 0) - 1),
                     utc(2026, 10, 23, 22, 0, 0));
    tz_free(z);

    /* Havana skips from 00:00 to 01:00: Mar 8 starts at 01:00 CDT = 05:00Z. In November
     * 00:00..00:59 happen twice; the day starts at the first. */
    struct tz *havana = load("America/Havana");
    assert_int_equal(tz_start_of_day(havana, utc(2026, 3, 8, 12, 0, 0)), utc(2026, 3, 8, 5, 0, 0));
    assert_int_equal(tz_add_and_round(havana, utc(2026, 3, 7, 12, 0, 0), 0, 0, TZ_ROUND_END_OF_DAY),
                     utc(2026, 3, 8, 4, 59, 59) + 999999);
    assert_int_equal(tz_start_of_day(havana, utc(2026, 11, 1, 12, 0, 0)),
                     utc(2026, 11, 1, 4, 0, 0));
    tz_free(havana);

    /* Apia skipped 2011-12-30 entirely: Dec 29 ends where Dec 31 begins. */
    struct tz *apia = load("Pacific/Apia");
    int64_t skip = utc(2011, 12, 30, 10, 0, 0);
    assert_int_equal(tz_add_and_round(apia, utc(2011, 12, 29, 22, 0, 0), 0, 0, TZ_ROUND_END_OF_DAY),
                     skip - 1);
    assert_int_equal(tz_start_of_day(apia, skip), skip);
    assert_int_equal(tz_start_of_day(apia, skip + DAY_US / 2), skip);
    tz_free(apia);
}

/* A gap from 23:30 to 00:30: midnight never happens, the day starts at the transition. */
static void test_midnight_inside_gap(void **state)
{
    (void)state;
    int64_t at = utc(2026, 1, 1, 23, 30, 0) / US;
    uint8_t idx = 1;
    int32_t offs[] = {0, HOUR_S};
    struct tzif t = {.version = 0, .ntrans = 1, .at = &at, .idx = &idx, .ntypes = 2, .offs = offs};
    struct tz *z = NULL;
    assert_int_equal(parse_tzif(&t, &z), 0);
    assert_int_equal(tz_start_of_day(z, utc(2026, 1, 2, 12, 0, 0)), at * US);
    assert_int_equal(tz_add_and_round(z, utc(2026, 1, 1, 12, 0, 0), 0, 0, TZ_ROUND_END_OF_DAY),
                     at * US - 1);
    assert_int_equal(tz_add_and_round(z, utc(2025, 12, 20, 12, 0, 0), 0, 0, TZ_ROUND_END_OF_YEAR),
                     utc(2026, 1, 1, 0, 0, 0) - 1);
    /* Midnight itself, by the gap rule, is 00:00 at the old offset. */
    assert_int_equal(from_civil(z, 2026, 1, 2, 0, 0, 0), utc(2026, 1, 2, 0, 0, 0));
    tz_free(z);
}

static void test_extremes_saturate(void **state)
{
    (void)state;
    struct tz *z = load("Europe/Berlin");
    struct tz_civil c;
    tz_to_civil(z, INT64_MAX, &c);
    assert_true(c.year > 290000);
    tz_to_civil(z, INT64_MIN, &c);
    assert_true(c.year < -290000);
    struct tz_civil far = civil(400000, 1, 1, 0, 0, 0);
    assert_int_equal(tz_from_civil(z, &far), INT64_MAX);
    far.year = -400000;
    assert_int_equal(tz_from_civil(z, &far), INT64_MIN);
    assert_int_equal(tz_add_and_round(z, 0, INT32_MAX, 0, TZ_ROUND_NONE), INT64_MAX);
    assert_int_equal(tz_add_and_round(z, 0, 0, INT32_MIN, TZ_ROUND_NONE), INT64_MIN);
    (void)tz_add_and_round(z, INT64_MAX, 0, 0, TZ_ROUND_END_OF_YEAR);
    (void)tz_add_and_round(z, INT64_MIN, 0, 0, TZ_ROUND_END_OF_YEAR);
    (void)tz_start_of_day(z, INT64_MIN);
    (void)tz_start_of_day(z, INT64_MAX);
    tz_free(z);
}

/* ------------------------------------------------------------------ footer forms */

static void test_footer_forms(void **state)
{
    (void)state;
    struct tz *z = footer_zone("<+0330>-3:30");
    assert_int_equal(tz_offset_at(z, utc(2026, 6, 1, 0, 0, 0)), 3 * HOUR_S + 30 * 60);
    tz_free(z);
    z = footer_zone("UTC0");
    assert_int_equal(tz_offset_at(z, utc(2026, 6, 1, 0, 0, 0)), 0);
    tz_free(z);
    z = footer_zone("<-0230>2:30");
    assert_int_equal(tz_offset_at(z, utc(2026, 6, 1, 0, 0, 0)), -(2 * HOUR_S + 30 * 60));
    tz_free(z);

    /* The US rule, without transitions. */
    z = footer_zone("EST5EDT,M3.2.0,M11.1.0");
    assert_transition(z, utc(2026, 3, 8, 7, 0, 0), -5 * HOUR_S, -4 * HOUR_S);
    assert_transition(z, utc(2026, 11, 1, 6, 0, 0), -4 * HOUR_S, -5 * HOUR_S);
    tz_free(z);
    z = footer_zone("CET-1CEST,M3.5.0,M10.5.0/3");
    assert_transition(z, utc(2026, 3, 29, 1, 0, 0), HOUR_S, 2 * HOUR_S);
    assert_transition(z, utc(2026, 10, 25, 1, 0, 0), 2 * HOUR_S, HOUR_S);
    tz_free(z);

    /* Jn never counts Feb 29, so it names the same date every year: J60 is March 1 and
     * J300 is October 27 (ending at 00:00 DST = 23:00Z the day before). */
    z = footer_zone("STD0DST-1,J60/0,J300/0");
    assert_transition(z, utc(2024, 3, 1, 0, 0, 0), 0, HOUR_S);
    assert_transition(z, utc(2025, 3, 1, 0, 0, 0), 0, HOUR_S);
    assert_transition(z, utc(2024, 10, 26, 23, 0, 0), HOUR_S, 0);
    assert_transition(z, utc(2025, 10, 26, 23, 0, 0), HOUR_S, 0);
    tz_free(z);
    /* n counts from 0 and counts Feb 29: day 59 is Feb 29 in 2024, Mar 1 in 2025; day 300
     * is Oct 27 in 2024 and Oct 28 in 2025. */
    z = footer_zone("STD0DST-1,59/0,300/0");
    assert_transition(z, utc(2024, 2, 29, 0, 0, 0), 0, HOUR_S);
    assert_transition(z, utc(2025, 3, 1, 0, 0, 0), 0, HOUR_S);
    assert_transition(z, utc(2024, 10, 26, 23, 0, 0), HOUR_S, 0);
    assert_transition(z, utc(2025, 10, 27, 23, 0, 0), HOUR_S, 0);
    tz_free(z);

    /* Version 3: negative rule times (the EU switch expressed in -03 local time). */
    z = footer_zone("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1");
    assert_transition(z, utc(2026, 3, 29, 1, 0, 0), -3 * HOUR_S, -2 * HOUR_S);
    assert_transition(z, utc(2026, 10, 25, 1, 0, 0), -2 * HOUR_S, -3 * HOUR_S);
    tz_free(z);
    /* Version 3: DST all year. */
    z = footer_zone("EST5EDT,0/0,J365/25");
    assert_int_equal(tz_offset_at(z, utc(2026, 1, 1, 0, 0, 0)), -4 * HOUR_S);
    assert_int_equal(tz_offset_at(z, utc(2026, 7, 1, 0, 0, 0)), -4 * HOUR_S);
    assert_int_equal(tz_offset_at(z, utc(2026, 12, 31, 23, 59, 59)), -4 * HOUR_S);
    assert_int_equal(tz_offset_at(z, utc(2027, 1, 1, 4, 59, 59)), -4 * HOUR_S);
    tz_free(z);
    /* Explicit DST offset with seconds, rule times with minutes, week 5 = last. */
    z = footer_zone("AAA-1:02:03BBB-2:02:03,M2.5.0/1:30,M10.5.0/3");
    assert_int_equal(tz_offset_at(z, utc(2026, 1, 1, 0, 0, 0)), 3723);
    assert_transition(z, utc(2026, 2, 22, 1, 30, 0) - 3723 * US, 3723, 7323);
    tz_free(z);
    /* Southern hemisphere: DST across the new year. */
    z = footer_zone("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
    assert_int_equal(tz_offset_at(z, utc(2026, 1, 1, 0, 0, 0)), 11 * HOUR_S);
    assert_int_equal(tz_offset_at(z, utc(2026, 7, 1, 0, 0, 0)), 10 * HOUR_S + 30 * 60);
    assert_transition(z, utc(2026, 10, 3, 15, 30, 0), 10 * HOUR_S + 30 * 60, 11 * HOUR_S);
    tz_free(z);
}

/* Transitions first, then the footer; an empty footer or a v1 file keeps the last offset. */
static void test_transitions_then_footer(void **state)
{
    (void)state;
    int64_t at = utc(2000, 1, 1, 0, 0, 0) / US;
    uint8_t idx = 1;
    int32_t offs[] = {1800, HOUR_S};
    struct tzif t = {.version = '2',
                     .ntrans = 1,
                     .at = &at,
                     .idx = &idx,
                     .ntypes = 2,
                     .offs = offs,
                     .footer = "CET-1CEST,M3.5.0,M10.5.0/3"};
    struct tz *z = NULL;
    assert_int_equal(parse_tzif(&t, &z), 0);
    assert_transition(z, at * US, 1800, HOUR_S);
    assert_int_equal(tz_offset_at(z, utc(2026, 7, 1, 0, 0, 0)), 2 * HOUR_S);
    tz_free(z);

    static const char versions[] = {'2', '3', '4', 0};
    for (size_t i = 0; i < sizeof versions; i++) {
        t.version = versions[i];
        t.footer = "";
        assert_int_equal(parse_tzif(&t, &z), 0);
        assert_int_equal(tz_offset_at(z, utc(1999, 7, 1, 0, 0, 0)), 1800);
        assert_int_equal(tz_offset_at(z, utc(2026, 7, 1, 0, 0, 0)), HOUR_S);
        tz_free(z);
    }
}

/* ------------------------------------------------------------------ malformed data */

/* Every prefix of a real file, each in a buffer of exactly its size (ASan checks reads). */
static void check_prefixes(const char *name)
{
    size_t len;
    unsigned char *full = read_zone_file(name, &len);
    for (size_t n = 0; n <= len; n++) {
        unsigned char *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, full, n);
        struct tz *z = NULL;
        int rc = tz_parse(n ? p : NULL, n, &z);
        if (n < len) {
            assert_int_equal(rc, TREU_EINVAL);
            assert_null(z);
        } else {
            assert_int_equal(rc, 0);
            assert_non_null(z);
        }
        tz_free(z);
        free(p);
    }
    free(full);
}

static void test_truncated_files(void **state)
{
    (void)state;
    check_prefixes("Europe/Berlin");
    check_prefixes("Asia/Kolkata");
    check_prefixes("UTC");
}

/* Every byte of a real file replaced by a few values: parse fails or succeeds cleanly, and
 * a zone that parses answers queries without crashing. */
static void test_corrupted_bytes(void **state)
{
    (void)state;
    static const unsigned char values[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, '\n', '-', 'M'};
    size_t len;
    unsigned char *orig = read_zone_file("Asia/Kolkata", &len);
    unsigned char *p = malloc(len);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++) {
        for (size_t v = 0; v < sizeof values; v++) {
            memcpy(p, orig, len);
            p[i] = values[v];
            struct tz *z = NULL;
            int rc = tz_parse(p, len, &z);
            assert_true(rc == 0 || rc == TREU_EINVAL);
            if (rc == 0) {
                (void)tz_offset_at(z, utc(2100, 1, 1, 0, 0, 0));
                (void)tz_add_and_round(z, utc(2026, 1, 31, 0, 0, 0), 1, 1, TZ_ROUND_END_OF_QUARTER);
                (void)tz_start_of_day(z, utc(1900, 1, 1, 0, 0, 0));
            }
            tz_free(z);
        }
    }
    free(p);
    free(orig);
}

static int parse_patched(const struct tzif *t, size_t at, uint32_t v)
{
    size_t len;
    unsigned char *buf = tzif_build(t, &len);
    put32(buf + at, v);
    struct tz *z = NULL;
    int rc = tz_parse(buf, len, &z);
    tz_free(z);
    free(buf);
    return rc;
}

static void test_bad_headers(void **state)
{
    (void)state;
    int64_t at[] = {0, 1000};
    uint8_t idx[] = {1, 0};
    int32_t offs[] = {0, HOUR_S};
    struct tzif v1 = {.version = 0, .ntrans = 2, .at = at, .idx = idx, .ntypes = 2, .offs = offs};
    struct tz *z = NULL;
    assert_int_equal(parse_tzif(&v1, &z), 0);
    tz_free(z);

    size_t len;
    unsigned char *buf = tzif_build(&v1, &len);
    static const unsigned char bad_version[] = {'1', '5', 'A', 0xFF};
    for (size_t i = 0; i < sizeof bad_version; i++) {
        buf[4] = bad_version[i];
        assert_int_equal(tz_parse(buf, len, &z), TREU_EINVAL);
        assert_null(z);
    }
    buf[4] = 0;
    buf[3] = 'F'; /* "TZiF" */
    assert_int_equal(tz_parse(buf, len, &z), TREU_EINVAL);
    free(buf);

    /* Counts: isut 20, isstd 24, leap 28, time 32, type 36, chars 40. */
    assert_int_equal(parse_patched(&v1, 32, UINT32_MAX), TREU_EINVAL);
    assert_int_equal(parse_patched(&v1, 36, UINT32_MAX), TREU_EINVAL);
    assert_int_equal(parse_patched(&v1, 40, UINT32_MAX), TREU_EINVAL);
    assert_int_equal(parse_patched(&v1, 28, UINT32_MAX), TREU_EINVAL);
    assert_int_equal(parse_patched(&v1, 36, 0), TREU_EINVAL);   /* no types */
    assert_int_equal(parse_patched(&v1, 36, 257), TREU_EINVAL); /* > one byte's worth */
    assert_int_equal(parse_patched(&v1, 40, 0), TREU_EINVAL);   /* no designations */
    assert_int_equal(parse_patched(&v1, 20, 1), TREU_EINVAL);   /* isut neither 0 nor typecnt */
    assert_int_equal(parse_patched(&v1, 24, 1), TREU_EINVAL);   /* isstd likewise */
    assert_int_equal(parse_patched(&v1, 32, 3), TREU_EINVAL);   /* more than the data */

    /* A v2 file whose second header disagrees, or whose v1 block claims too much. */
    struct tzif v2 = v1;
    v2.version = '2';
    v2.footer = "CET-1";
    assert_int_equal(parse_tzif(&v2, &z), 0);
    tz_free(z);
    buf = tzif_build(&v2, &len);
    buf[TZIF_V1_STUB_LEN + 4] = '3';
    assert_int_equal(tz_parse(buf, len, &z), TREU_EINVAL);
    free(buf);
    assert_int_equal(parse_patched(&v2, 32, 1000), TREU_EINVAL);
    assert_int_equal(parse_patched(&v2, TZIF_V1_STUB_LEN + 32, TZ_TRANSITIONS_MAX + 1),
                     TREU_EINVAL);
}

static void test_bad_data_blocks(void **state)
{
    (void)state;
    int64_t at[] = {0, 1000};
    uint8_t idx[] = {1, 0};
    int32_t offs[] = {0, HOUR_S};
    struct tzif t = {.version = '2',
                     .ntrans = 2,
                     .at = at,
                     .idx = idx,
                     .ntypes = 2,
                     .offs = offs,
                     .footer = "CET-1"};
    struct tz *z = NULL;

    uint8_t bad_idx[] = {1, 2};
    t.idx = bad_idx;
    assert_int_equal(parse_tzif(&t, &z), TREU_EINVAL);
    t.idx = idx;

    int64_t same[] = {1000, 1000}, down[] = {1000, 0};
    t.at = same;
    assert_int_equal(parse_tzif(&t, &z), TREU_EINVAL);
    t.at = down;
    assert_int_equal(parse_tzif(&t, &z), TREU_EINVAL);
    t.at = at;

    int32_t wild[] = {0, 26 * HOUR_S};
    t.offs = wild;
    assert_int_equal(parse_tzif(&t, &z), TREU_EINVAL);
    int32_t wild_neg[] = {INT32_MIN, 0};
    t.offs = wild_neg;
    assert_int_equal(parse_tzif(&t, &z), TREU_EINVAL);
    t.offs = offs;

    /* isdst must be 0 or 1: type records follow 2 * 8 + 2 bytes of transitions. */
    size_t len;
    unsigned char *buf = tzif_build(&t, &len);
    size_t types = TZIF_V1_STUB_LEN + 44 + 2 * 9;
    buf[types + 4] = 2;
    assert_int_equal(tz_parse(buf, len, &z), TREU_EINVAL);
    buf[types + 4] = 1;
    buf[types + 5] = TZIF_CHARS; /* designation index past the characters */
    assert_int_equal(tz_parse(buf, len, &z), TREU_EINVAL);
    free(buf);

    /* Leap seconds are refused (treu counts POSIX time), the real right/ zones too. */
    t.nleap = 1;
    assert_int_equal(parse_tzif(&t, &z), TREU_EINVAL);
    t.nleap = 0;
    size_t rlen;
    unsigned char *right = read_zone_file("right/UTC", &rlen);
    assert_int_equal(tz_parse(right, rlen, &z), TREU_EINVAL);
    free(right);
}

static void test_transitions_max(void **state)
{
    (void)state;
    int64_t *at = malloc((TZ_TRANSITIONS_MAX + 1) * sizeof *at);
    uint8_t *idx = malloc(TZ_TRANSITIONS_MAX + 1);
    assert_non_null(at);
    assert_non_null(idx);
    for (size_t i = 0; i <= TZ_TRANSITIONS_MAX; i++) {
        at[i] = (int64_t)i * 1000;
        idx[i] = (uint8_t)(i % 2);
    }
    int32_t offs[] = {0, HOUR_S};
    struct tzif t = {.version = '2',
                     .ntrans = TZ_TRANSITIONS_MAX,
                     .at = at,
                     .idx = idx,
                     .ntypes = 2,
                     .offs = offs,
                     .footer = "UTC0"};
    struct tz *z = NULL;
    assert_int_equal(parse_tzif(&t, &z), 0);
    assert_int_equal(tz_offset_at(z, 1001 * US), HOUR_S);
    assert_int_equal(tz_offset_at(z, 2001 * US), 0);
    assert_int_equal(tz_offset_at(z, (TZ_TRANSITIONS_MAX - 1) * INT64_C(1000) * US), HOUR_S);
    tz_free(z);
    t.ntrans = TZ_TRANSITIONS_MAX + 1;
    z = NULL;
    assert_int_equal(parse_tzif(&t, &z), TREU_EINVAL);
    assert_null(z);
    t.version = 0;
    assert_int_equal(parse_tzif(&t, &z), TREU_EINVAL);
    free(at);
    free(idx);
}

static void test_bad_footers(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "garbage",
        "CET",                          /* no offset */
        "CE-1",                         /* abbreviation too short */
        "<ab>3",                        /* quoted abbreviation too short */
        "<+03",                         /* unterminated */
        "<+0 3>-3",                     /* space in a quoted name */
        "CET-25",                       /* offset hours past 24 */
        "CET-001",                      /* three hour digits in an offset */
        "CET-1:60",                     /* minutes */
        "CET-1:00:60",                  /* seconds */
        "CET-1:",                       /* dangling colon */
        "CET-1CEST",                    /* DST without rules */
        "CET-1CEST,M3.5.0",             /* one rule */
        "CET-1CEST,M13.5.0,M10.5.0",    /* month */
        "CET-1CEST,M3.6.0,M10.5.0",     /* week */
        "CET-1CEST,M3.0.0,M10.5.0",     /* week */
        "CET-1CEST,M3.5.7,M10.5.0",     /* weekday */
        "CET-1CEST,M3.5,M10.5.0",       /* missing weekday */
        "CET-1CEST,M3.5.0,M10.5.0/168", /* rule time past 167 h */
        "CET-1CEST,M3.5.0,M10.5.0/",    /* empty rule time */
        "CET-1CEST,J0,J365",            /* Jn starts at 1 */
        "CET-1CEST,J1,J366",            /* Jn ends at 365 */
        "CET-1CEST,366,0",              /* n ends at 365 */
        "CET-1CEST,M3.5.0,M10.5.0x",    /* trailing text */
        "CET-1CEST-25,M3.5.0,M10.5.0",  /* DST offset hours */
        "CET-1 ",                       /* trailing space */
        " CET-1",
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(bad); i++) {
        static const int32_t zero = 0;
        struct tzif t = {.version = '2', .ntypes = 1, .offs = &zero, .footer = bad[i]};
        struct tz *z = NULL;
        if (parse_tzif(&t, &z) != TREU_EINVAL)
            fail_msg("footer \"%s\" was accepted", bad[i]);
        assert_null(z);
    }

    /* Framing: the footer must start and end with a newline and hold no NUL. */
    static const int32_t zero = 0;
    struct tzif t = {.version = '2', .ntypes = 1, .offs = &zero, .footer = "CET-1"};
    size_t len;
    unsigned char *buf = tzif_build(&t, &len);
    struct tz *z = NULL;
    assert_int_equal(tz_parse(buf, len - 1, &z), TREU_EINVAL);
    size_t nl = len - strlen("CET-1") - 2;
    assert_int_equal(buf[nl], '\n');
    buf[nl] = 'x';
    assert_int_equal(tz_parse(buf, len, &z), TREU_EINVAL);
    buf[nl] = '\n';
    buf[len - 2] = '\0'; /* "CET-\0" */
    assert_int_equal(tz_parse(buf, len, &z), TREU_EINVAL);
    buf[len - 2] = '1';
    assert_int_equal(tz_parse(buf, len, &z), 0);
    tz_free(z);
    free(buf);
}

/* fuzz_tz: an offset in effect for less than the search window (3.6 h of +23:42:16 between
 * two stretches of +06:30) was never tried, so a local time it shows first came back as its
 * later occurrence. */
static void test_from_civil_short_lived_offset(void **state)
{
    (void)state;
    static const int64_t at[] = {0, 12968};
    static const uint8_t idx[] = {1, 0};
    static const int32_t offs[] = {23400, 85336};
    struct tzif t = {.version = '2', .ntrans = 2, .at = at, .idx = idx, .ntypes = 2, .offs = offs};
    struct tz *z = NULL;
    assert_int_equal(parse_tzif(&t, &z), 0);
    struct tz_civil c;
    tz_to_civil(z, 0, &c);
    assert_civil(&c, 1970, 1, 1, 23, 42, 16, 0, 4);
    assert_int_equal(tz_from_civil(z, &c), 0);
    tz_to_civil(z, 61936 * TSTIME_US_PER_S, &c);
    assert_civil(&c, 1970, 1, 1, 23, 42, 16, 0, 4);
    assert_int_equal(tz_from_civil(z, &c), 0);
    tz_free(z);
}

/* fuzz_tz: a day that begins inside a gap (clocks jump from 23:30 to 00:30) starts where the
 * gap ends; tz_period_start used to answer the gap-shifted midnight, 01:00, which lies after
 * instants of that day. */
static void test_period_start_in_gap(void **state)
{
    (void)state;
    int64_t jump = utc(2026, 1, 9, 23, 30, 0) / TSTIME_US_PER_S;
    const int64_t at[] = {jump};
    static const uint8_t idx[] = {1};
    static const int32_t offs[] = {0, 3600};
    struct tzif t = {.version = '2', .ntrans = 1, .at = at, .idx = idx, .ntypes = 2, .offs = offs};
    struct tz *z = NULL;
    assert_int_equal(parse_tzif(&t, &z), 0);
    int64_t t0 = jump * TSTIME_US_PER_S + 10 * 60 * TSTIME_US_PER_S; /* local 00:40 */
    assert_int_equal(tz_start_of_day(z, t0), jump * TSTIME_US_PER_S);
    assert_int_equal(tz_period_start(z, t0, "DAY"), jump * TSTIME_US_PER_S);
    assert_int_equal(tz_period_start(z, t0, "MONTH"), utc(2026, 1, 1, 0, 0, 0));
    tz_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_berlin_2026_transitions),
        cmocka_unit_test(test_berlin_from_civil),
        cmocka_unit_test(test_new_york),
        cmocka_unit_test(test_kolkata),
        cmocka_unit_test(test_lord_howe),
        cmocka_unit_test(test_chatham),
        cmocka_unit_test(test_utc),
        cmocka_unit_test(test_footer_2100),
        cmocka_unit_test(test_weekdays),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_agrees_with_libc),
        cmocka_unit_test(test_add_months_clamp),
        cmocka_unit_test(test_round_periods_berlin),
        cmocka_unit_test(test_round_periods_kolkata),
        cmocka_unit_test(test_add_days_across_dst),
        cmocka_unit_test(test_start_of_day),
        cmocka_unit_test(test_midnight_inside_gap),
        cmocka_unit_test(test_extremes_saturate),
        cmocka_unit_test(test_footer_forms),
        cmocka_unit_test(test_transitions_then_footer),
        cmocka_unit_test(test_truncated_files),
        cmocka_unit_test(test_corrupted_bytes),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_data_blocks),
        cmocka_unit_test(test_transitions_max),
        cmocka_unit_test(test_bad_footers),
        cmocka_unit_test(test_from_civil_short_lived_offset),
        cmocka_unit_test(test_period_start_in_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
