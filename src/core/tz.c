/* tz.c - TZif (RFC 8536) and POSIX TZ strings, read defensively, and calendar arithmetic.
 *
 * Parsing checks every count against the bytes actually present before reading anything,
 * so truncated or hostile data fails with TREU_EINVAL instead of reading past `len`. Only
 * the offsets matter to treu, so a parsed zone keeps one (instant, offset) pair per
 * transition plus the footer rule; abbreviations and the std/UT indicators are checked
 * for shape and dropped. Leap-second tables are refused: treu's instants are POSIX time,
 * and a "right/" zone would shift every answer by the accumulated leap seconds.
 *
 * Local time is handled as int64 seconds plus a microsecond remainder. Every offset is
 * bounded (|offset| < TZ_OFFSET_SPAN_S), so the offsets that can apply to a local time are
 * exactly those in effect somewhere in [local - span, local + span]: tz_from_civil tries
 * each of them (the one at the window's start and every one taking effect inside it). */
#include "core/tz.h"

#include "core/tstime.h"

#include <string.h>

#define TZ_HEADER_BYTES        44
#define TZ_TYPES_MAX           256 /* a transition names its type in one byte */
#define TZ_TYPE_BYTES          6
#define TZ_UTOFF_MIN_S         (-89999) /* RFC 8536 3.2: utoff SHOULD be within these */
#define TZ_UTOFF_MAX_S         93599
#define TZ_OFFSET_SPAN_S       93600  /* strictly more than any offset, in either direction */
#define TZ_OFFSET_HOURS_MAX    24     /* POSIX TZ offsets: hh is 0..24 */
#define TZ_RULE_HOURS_MAX      167    /* RFC 8536 3.3.1: rule times within -167..167 h */
#define TZ_RULE_TIME_DEFAULT_S 7200   /* POSIX: a rule without /time switches at 02:00 */
#define TZ_DST_SHIFT_DEFAULT_S 3600   /* POSIX: DST without an offset is one hour ahead */
#define TZ_NAME_CHARS_MIN      3      /* POSIX: abbreviations have at least three characters */
#define TZ_YEAR_ABS_MAX        300000 /* past what int64 microseconds can hold (292277) */
#define TZ_S_PER_DAY           INT64_C(86400)
#define TZ_S_PER_HOUR          3600
#define TZ_S_PER_MIN           60
#define TZ_DAY_START_STEPS_MAX 64 /* bisection steps; 2^64 > any span searched */

static_assert(TZ_UTOFF_MAX_S < TZ_OFFSET_SPAN_S && -TZ_UTOFF_MIN_S < TZ_OFFSET_SPAN_S,
              "the search window must bracket every TZif offset");
static_assert((TZ_OFFSET_HOURS_MAX * 3600 + 59 * 60 + 59) + TZ_DST_SHIFT_DEFAULT_S <
                  TZ_OFFSET_SPAN_S,
              "the search window must bracket every POSIX TZ offset");

enum tz_rule_kind {
    TZ_RULE_JULIAN1, /* Jn: 1..365, February 29 never counted */
    TZ_RULE_DAY0,    /* n: 0..365, February 29 counted */
    TZ_RULE_MONTH,   /* Mm.w.d: weekday d (0 = Sunday) of week w (5 = last) of month m */
};

struct tz_rule {
    enum tz_rule_kind kind;
    unsigned day; /* Jn / n: the day number; Mm.w.d: the weekday */
    unsigned month, week;
    int32_t time_s; /* local time of day of the switch, may be negative or past 24 h */
};

/* A POSIX TZ string: standard time, and optionally DST between two yearly rules. */
struct tz_posix {
    int32_t std_off, dst_off; /* seconds east of UTC */
    bool has_dst;
    struct tz_rule start, end; /* start in standard time, end in DST */
};

struct tz_trans {
    int64_t at_s;  /* the instant the offset takes effect, seconds since the epoch */
    int32_t off_s; /* offset from then on */
};

struct tz {
    int32_t first_off; /* before the first transition: time type 0 */
    bool has_footer;   /* false: the last transition's offset holds forever */
    struct tz_posix footer;
    size_t count;
    struct tz_trans trans[]; /* strictly ascending at_s */
};

/* TZif header counts, in file order. */
struct tz_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

static const struct tz tz_utc_zone = {.first_off = 0, .has_footer = false, .count = 0};

const struct tz *tz_utc(void)
{
    return &tz_utc_zone;
}

void tz_free(struct tz *z)
{
    if (z == NULL || z == &tz_utc_zone)
        return;
    free(z);
}

/* ------------------------------------------------------------------ arithmetic */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a % b < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* Seconds and microseconds back to one instant, saturating at the int64 range. */
static int64_t tz_us_from_s(int64_t s, int64_t us)
{
    int64_t r;
    if (__builtin_mul_overflow(s, TSTIME_US_PER_S, &r) || __builtin_add_overflow(r, us, &r))
        return s < 0 ? INT64_MIN : INT64_MAX;
    return r;
}

/* Splits an instant into floor seconds and the microseconds within that second. */
static int64_t tz_s_from_us(int64_t utc_us, int64_t *us)
{
    int64_t s = utc_us / TSTIME_US_PER_S;
    int64_t r = utc_us % TSTIME_US_PER_S;
    if (r < 0) {
        s--;
        r += TSTIME_US_PER_S;
    }
    *us = r;
    return s;
}

static unsigned tz_days_in_month(int64_t y, unsigned m)
{
    int64_t first = tstime_days_from_civil(y, m, 1);
    int64_t next =
        m == 12 ? tstime_days_from_civil(y + 1, 1, 1) : tstime_days_from_civil(y, m + 1, 1);
    return (unsigned)(next - first);
}

static int64_t tz_year_of_local(int64_t local_s)
{
    int64_t y;
    unsigned m, d;
    tstime_civil_from_days(floor_div(local_s, TZ_S_PER_DAY), &y, &m, &d);
    return y;
}

/* ------------------------------------------------------------------ POSIX TZ rules */

/* Days since the epoch of the day a rule switches in year y. */
static int64_t tz_rule_day(const struct tz_rule *r, int64_t y)
{
    int64_t jan1 = tstime_days_from_civil(y, 1, 1);
    if (r->kind == TZ_RULE_JULIAN1)
        return jan1 + r->day - 1 + (r->day >= 60 && tstime_date_valid(y, 2, 29));
    if (r->kind == TZ_RULE_DAY0)
        return jan1 + r->day;
    int64_t first = tstime_days_from_civil(y, r->month, 1);
    int64_t first_wday = floor_mod(first + 4, 7); /* 1970-01-01 was a Thursday; Sunday = 0 */
    int64_t day = first + floor_mod((int64_t)r->day - first_wday, 7) + (int64_t)(r->week - 1) * 7;
    int64_t end = first + tz_days_in_month(y, r->month);
    while (day >= end) /* week 5 means the last one */
        day -= 7;
    return day;
}

static int32_t tz_posix_offset(const struct tz_posix *p, int64_t t)
{
    if (!p->has_dst)
        return p->std_off;
    int64_t y = tz_year_of_local(t + p->std_off);
    int64_t start = tz_rule_day(&p->start, y) * TZ_S_PER_DAY + p->start.time_s - p->std_off;
    int64_t end = tz_rule_day(&p->end, y) * TZ_S_PER_DAY + p->end.time_s - p->dst_off;
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? p->dst_off : p->std_off;
}

/* ------------------------------------------------------------------ POSIX TZ parsing */

struct tz_text {
    const char *s;
    size_t len, pos;
};

static bool tz_text_eat(struct tz_text *t, char c)
{
    if (t->pos < t->len && t->s[t->pos] == c) {
        t->pos++;
        return true;
    }
    return false;
}

static bool tz_text_at_end(const struct tz_text *t)
{
    return t->pos == t->len;
}

static bool tz_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool tz_is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool tz_text_digit_next(const struct tz_text *t)
{
    return t->pos < t->len && tz_is_digit(t->s[t->pos]);
}

/* An abbreviation: letters, or "<...>" of letters, digits, '+' and '-'. */
static bool tz_posix_name(struct tz_text *t)
{
    size_t n = 0;
    if (tz_text_eat(t, '<')) {
        while (t->pos < t->len) {
            char c = t->s[t->pos];
            if (!tz_is_alpha(c) && !tz_is_digit(c) && c != '+' && c != '-')
                break;
            t->pos++;
            n++;
        }
        return tz_text_eat(t, '>') && n >= TZ_NAME_CHARS_MIN;
    }
    while (t->pos < t->len && tz_is_alpha(t->s[t->pos])) {
        t->pos++;
        n++;
    }
    return n >= TZ_NAME_CHARS_MIN;
}

/* 1..max_digits decimal digits, and no digit after them. */
static bool tz_posix_number(struct tz_text *t, unsigned max_digits, uint32_t *out)
{
    uint32_t v = 0;
    unsigned n = 0;
    while (n < max_digits && tz_text_digit_next(t)) {
        v = v * 10 + (uint32_t)(t->s[t->pos] - '0');
        t->pos++;
        n++;
    }
    if (n == 0 || tz_text_digit_next(t))
        return false;
    *out = v;
    return true;
}

/* [+|-]h[h][:mm[:ss]] in seconds, with at most hours_max hours (three digits if that
 * is more than 99: the rule-time extension). */
static bool tz_posix_hms(struct tz_text *t, uint32_t hours_max, int32_t *out)
{
    bool neg = tz_text_eat(t, '-');
    if (!neg)
        (void)tz_text_eat(t, '+');
    uint32_t h, m = 0, s = 0;
    if (!tz_posix_number(t, hours_max > 99 ? 3 : 2, &h) || h > hours_max)
        return false;
    if (tz_text_eat(t, ':')) {
        if (!tz_posix_number(t, 2, &m) || m > 59)
            return false;
        if (tz_text_eat(t, ':') && (!tz_posix_number(t, 2, &s) || s > 59))
            return false;
    }
    int32_t v = (int32_t)(h * TZ_S_PER_HOUR + m * TZ_S_PER_MIN + s);
    *out = neg ? -v : v;
    return true;
}

/* Jn, n or Mm.w.d, then an optional /time. */
static bool tz_posix_date(struct tz_text *t, struct tz_rule *r)
{
    uint32_t a, w, d;
    memset(r, 0, sizeof *r);
    if (tz_text_eat(t, 'J')) {
        if (!tz_posix_number(t, 3, &a) || a < 1 || a > 365)
            return false;
        r->kind = TZ_RULE_JULIAN1;
        r->day = a;
    } else if (tz_text_eat(t, 'M')) {
        if (!tz_posix_number(t, 2, &a) || !tz_text_eat(t, '.') || !tz_posix_number(t, 1, &w) ||
            !tz_text_eat(t, '.') || !tz_posix_number(t, 1, &d))
            return false;
        if (a < 1 || a > 12 || w < 1 || w > 5 || d > 6)
            return false;
        r->kind = TZ_RULE_MONTH;
        r->month = a;
        r->week = w;
        r->day = d;
    } else {
        if (!tz_posix_number(t, 3, &a) || a > 365)
            return false;
        r->kind = TZ_RULE_DAY0;
        r->day = a;
    }
    r->time_s = TZ_RULE_TIME_DEFAULT_S;
    if (tz_text_eat(t, '/') && !tz_posix_hms(t, TZ_RULE_HOURS_MAX, &r->time_s))
        return false;
    return true;
}

/* std offset [dst [offset] ,start[/time],end[/time]]. A DST name without rules is refused:
 * POSIX leaves its dates to the implementation, and zic always writes them. */
static int tz_posix_parse(const char *s, size_t len, struct tz_posix *p)
{
    struct tz_text t = {s, len, 0};
    int32_t west;
    memset(p, 0, sizeof *p);
    if (!tz_posix_name(&t) || !tz_posix_hms(&t, TZ_OFFSET_HOURS_MAX, &west))
        return TREU_EINVAL;
    p->std_off = -west;
    if (tz_text_at_end(&t))
        return 0;
    if (!tz_posix_name(&t))
        return TREU_EINVAL;
    p->has_dst = true;
    p->dst_off = p->std_off + TZ_DST_SHIFT_DEFAULT_S;
    if (!tz_text_at_end(&t) && t.s[t.pos] != ',') {
        if (!tz_posix_hms(&t, TZ_OFFSET_HOURS_MAX, &west))
            return TREU_EINVAL;
        p->dst_off = -west;
    }
    if (!tz_text_eat(&t, ',') || !tz_posix_date(&t, &p->start) || !tz_text_eat(&t, ',') ||
        !tz_posix_date(&t, &p->end) || !tz_text_at_end(&t))
        return TREU_EINVAL;
    return 0;
}

/* ------------------------------------------------------------------ TZif parsing */

static uint32_t tz_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t tz_be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)tz_be32(p) << 32 | tz_be32(p + 4));
}

/* Reads the header at data[at]; *version is 1, 2, 3 or 4. */
static int tz_read_header(const unsigned char *data, size_t len, size_t at, int *version,
                          struct tz_counts *c)
{
    if (at > len || len - at < TZ_HEADER_BYTES || memcmp(data + at, "TZif", 4) != 0)
        return TREU_EINVAL;
    const unsigned char *p = data + at;
    if (p[4] == 0)
        *version = 1;
    else if (p[4] >= '2' && p[4] <= '4')
        *version = p[4] - '0';
    else
        return TREU_EINVAL;
    c->isut = tz_be32(p + 20);
    c->isstd = tz_be32(p + 24);
    c->leap = tz_be32(p + 28);
    c->time = tz_be32(p + 32);
    c->type = tz_be32(p + 36);
    c->chars = tz_be32(p + 40);
    return 0;
}

/* Bytes of the data block after a header (fits easily in 64 bits: six 32-bit counts). */
static uint64_t tz_block_bytes(const struct tz_counts *c, unsigned time_bytes)
{
    return (uint64_t)c->time * (time_bytes + 1) + (uint64_t)c->type * TZ_TYPE_BYTES + c->chars +
           (uint64_t)c->leap * (time_bytes + 4) + c->isstd + c->isut;
}

static int tz_check_counts(const struct tz_counts *c)
{
    if (c->time > TZ_TRANSITIONS_MAX || c->type < 1 || c->type > TZ_TYPES_MAX || c->chars < 1)
        return TREU_EINVAL;
    if ((c->isut != 0 && c->isut != c->type) || (c->isstd != 0 && c->isstd != c->type))
        return TREU_EINVAL;
    if (c->leap != 0) /* see the top of this file */
        return TREU_EINVAL;
    return 0;
}

/* Checks the local time types and indicators; fills offs[] with each type's offset. */
static int tz_read_types(const unsigned char *p, const struct tz_counts *c, int32_t *offs)
{
    for (uint32_t i = 0; i < c->type; i++) {
        const unsigned char *t = p + (size_t)i * TZ_TYPE_BYTES;
        int32_t off = (int32_t)tz_be32(t);
        if (off < TZ_UTOFF_MIN_S || off > TZ_UTOFF_MAX_S || t[4] > 1 || t[5] >= c->chars)
            return TREU_EINVAL;
        offs[i] = off;
    }
    /* The indicators follow the designations directly: there are no leap records. */
    const unsigned char *ind = p + (size_t)c->type * TZ_TYPE_BYTES + c->chars;
    for (uint32_t i = 0; i < c->isstd + c->isut; i++)
        if (ind[i] > 1)
            return TREU_EINVAL;
    return 0;
}

/* Reads a data block whose size was checked against the input. */
static int tz_read_block(const unsigned char *p, const struct tz_counts *c, unsigned time_bytes,
                         struct tz *z)
{
    int32_t offs[TZ_TYPES_MAX];
    const unsigned char *idx = p + (size_t)c->time * time_bytes;
    const unsigned char *types = idx + c->time;
    int rc = tz_read_types(types, c, offs);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < c->time; i++) {
        const unsigned char *at = p + (size_t)i * time_bytes;
        int64_t s = time_bytes == 4 ? (int64_t)(int32_t)tz_be32(at) : tz_be64(at);
        if ((i > 0 && s <= z->trans[i - 1].at_s) || idx[i] >= c->type)
            return TREU_EINVAL;
        z->trans[i] = (struct tz_trans){.at_s = s, .off_s = offs[idx[i]]};
    }
    z->count = c->time;
    z->first_off = offs[0];
    return 0;
}

/* The footer at data[at]: "\n" TZ-string "\n". An empty string means no rule. */
static int tz_read_footer(const unsigned char *data, size_t len, size_t at, struct tz *z)
{
    if (at >= len || data[at] != '\n')
        return TREU_EINVAL;
    const unsigned char *s = data + at + 1;
    const unsigned char *nl = memchr(s, '\n', len - at - 1);
    if (nl == NULL)
        return TREU_EINVAL;
    size_t n = (size_t)(nl - s);
    if (n == 0)
        return 0;
    z->has_footer = true;
    return tz_posix_parse((const char *)s, n, &z->footer);
}

/* Finds the block treu reads: the only one in version 1, the 64-bit one after it in 2+.
 * Sets *at to its header and *time_bytes to the width of its transition times. */
static int tz_locate_block(const unsigned char *data, size_t len, size_t *at, unsigned *time_bytes,
                           struct tz_counts *c)
{
    int version, version2;
    int rc = tz_read_header(data, len, 0, &version, c);
    if (rc < 0)
        return rc;
    *at = 0;
    *time_bytes = 4;
    if (version == 1)
        return 0;
    uint64_t skip = TZ_HEADER_BYTES + tz_block_bytes(c, 4);
    if (skip > len)
        return TREU_EINVAL;
    *at = (size_t)skip;
    *time_bytes = 8;
    rc = tz_read_header(data, len, *at, &version2, c);
    if (rc == 0 && version2 != version)
        rc = TREU_EINVAL;
    return rc;
}

int tz_parse(const unsigned char *data, size_t len, struct tz **out)
{
    ASSERT(out && (data || len == 0));
    *out = NULL;
    struct tz *z = NULL;
    struct tz_counts c;
    size_t at;
    unsigned time_bytes;
    int rc = tz_locate_block(data, len, &at, &time_bytes, &c);
    if (rc < 0)
        goto out;
    rc = tz_check_counts(&c);
    if (rc < 0)
        goto out;
    uint64_t block = tz_block_bytes(&c, time_bytes);
    if (block > len - at - TZ_HEADER_BYTES) {
        rc = TREU_EINVAL;
        goto out;
    }
    z = calloc(1, sizeof *z + (size_t)c.time * sizeof z->trans[0]);
    if (z == NULL) {
        rc = TREU_ENOMEM;
        goto out;
    }
    rc = tz_read_block(data + at + TZ_HEADER_BYTES, &c, time_bytes, z);
    if (rc == 0 && time_bytes == 8)
        rc = tz_read_footer(data, len, at + TZ_HEADER_BYTES + (size_t)block, z);
    if (rc < 0)
        goto out;
    *out = z;
    z = NULL;
out:
    tz_free(z);
    return rc;
}

/* ------------------------------------------------------------------ queries */

/* Offset at the instant `t` (seconds since the epoch). */
static int32_t tz_offset_s(const struct tz *z, int64_t t)
{
    if (z->count == 0)
        return z->has_footer ? tz_posix_offset(&z->footer, t) : z->first_off;
    if (t < z->trans[0].at_s)
        return z->first_off;
    const struct tz_trans *last = &z->trans[z->count - 1];
    if (t > last->at_s && z->has_footer)
        return tz_posix_offset(&z->footer, t);
    size_t lo = 0, hi = z->count; /* trans[lo].at_s <= t < trans[hi].at_s */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid].at_s <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->trans[lo].off_s;
}

int32_t tz_offset_at(const struct tz *z, int64_t utc_us)
{
    ASSERT(z);
    int64_t us;
    return tz_offset_s(z, tz_s_from_us(utc_us, &us));
}

static void tz_civil_from_local(int64_t local_s, int64_t us, struct tz_civil *out)
{
    int64_t days = floor_div(local_s, TZ_S_PER_DAY);
    int64_t sod = local_s - days * TZ_S_PER_DAY;
    tstime_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (unsigned)(sod / TZ_S_PER_HOUR);
    out->minute = (unsigned)(sod / TZ_S_PER_MIN % 60);
    out->second = (unsigned)(sod % 60);
    out->weekday = (unsigned)floor_mod(days + 3, 7) + 1; /* 1970-01-01 was a Thursday (4) */
    out->us = us;
}

void tz_to_civil(const struct tz *z, int64_t utc_us, struct tz_civil *out)
{
    ASSERT(z && out);
    int64_t us;
    int64_t s = tz_s_from_us(utc_us, &us);
    tz_civil_from_local(s + tz_offset_s(z, s), us, out);
}

/* Tries `off` as the offset of local time `local`: when `off` is in effect at local - off,
 * that instant shows `local`; the earliest such instant is kept in *best. */
static void tz_try_offset(const struct tz *z, int64_t local, int32_t off, int64_t *best,
                          bool *found)
{
    int64_t t = local - off;
    if (tz_offset_s(z, t) == off && (!*found || t < *best)) {
        *best = t;
        *found = true;
    }
}

/* The index of the first transition after `t` (z->count when there is none). */
static size_t tz_first_after(const struct tz *z, int64_t t)
{
    size_t lo = 0, hi = z->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid].at_s <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The instant of local time `local` (seconds): the earliest one when it occurs more than
 * once; in a gap, the one it would be with the offset in effect before the gap. Every
 * instant showing `local` lies within TZ_OFFSET_SPAN_S of it, so its offset is the one in
 * effect at the window's start, or one that takes effect inside the window (a transition,
 * or the footer's standard or daylight offset past the last transition): each is tried.
 * Real zones have at most two transitions in a window; hostile data at most
 * TZ_TRANSITIONS_MAX. */
static int64_t tz_utc_from_local(const struct tz *z, int64_t local)
{
    int64_t lo = local - TZ_OFFSET_SPAN_S, hi = local + TZ_OFFSET_SPAN_S;
    int32_t before = tz_offset_s(z, lo);
    bool found = false;
    int64_t best = 0;
    tz_try_offset(z, local, before, &best, &found);
    for (size_t i = tz_first_after(z, lo); i < z->count && z->trans[i].at_s <= hi; i++)
        tz_try_offset(z, local, z->trans[i].off_s, &best, &found);
    if (z->has_footer && (z->count == 0 || hi > z->trans[z->count - 1].at_s)) {
        tz_try_offset(z, local, z->footer.std_off, &best, &found);
        if (z->footer.has_dst)
            tz_try_offset(z, local, z->footer.dst_off, &best, &found);
    }
    return found ? best : local - before;
}

int64_t tz_from_civil(const struct tz *z, const struct tz_civil *c)
{
    ASSERT(z && c && c->month >= 1 && c->month <= 12);
    if (c->year > TZ_YEAR_ABS_MAX)
        return INT64_MAX;
    if (c->year < -TZ_YEAR_ABS_MAX)
        return INT64_MIN;
    int64_t us = floor_mod(c->us, TSTIME_US_PER_S);
    int64_t local = tstime_days_from_civil(c->year, c->month, c->day) * TZ_S_PER_DAY +
                    (int64_t)c->hour * TZ_S_PER_HOUR + (int64_t)c->minute * TZ_S_PER_MIN +
                    c->second + floor_div(c->us, TSTIME_US_PER_S);
    return tz_us_from_s(tz_utc_from_local(z, local), us);
}

/* The first instant whose local date is `days` (since the epoch) or later. When midnight
 * falls inside a gap that began before it, that is the transition itself, found by
 * bisection between a point certainly before the day and the gap-shifted midnight. */
static int64_t tz_day_start_s(const struct tz *z, int64_t days)
{
    int64_t local = days * TZ_S_PER_DAY;
    int64_t t = tz_utc_from_local(z, local);
    if (t + tz_offset_s(z, t) == local)
        return t;
    int64_t lo = local - TZ_OFFSET_SPAN_S; /* local time at lo is before midnight */
    int64_t hi = t;                        /* local time at hi is after midnight */
    for (int i = 0; i < TZ_DAY_START_STEPS_MAX && hi - lo > 1; i++) {
        int64_t mid = lo + (hi - lo) / 2;
        if (mid + tz_offset_s(z, mid) >= local)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

int64_t tz_start_of_day(const struct tz *z, int64_t utc_us)
{
    ASSERT(z);
    int64_t us;
    int64_t s = tz_s_from_us(utc_us, &us);
    int64_t days = floor_div(s + tz_offset_s(z, s), TZ_S_PER_DAY);
    return tz_us_from_s(tz_day_start_s(z, days), 0);
}

int64_t tz_period_start(const struct tz *z, int64_t utc_us, const char *period)
{
    struct tz_civil c;
    tz_to_civil(z, utc_us, &c);
    int64_t y = c.year;
    unsigned m = c.month, d = c.day;
    if (strcmp(period, "WEEK") == 0) {
        int64_t days = tstime_days_from_civil(c.year, c.month, c.day) - (c.weekday - 1);
        tstime_civil_from_days(days, &y, &m, &d);
    } else if (strcmp(period, "MONTH") == 0) {
        d = 1;
    } else if (strcmp(period, "YEAR") == 0) {
        m = d = 1;
    }
    /* The period's first day may begin inside a gap: its start is then where the gap
     * ends, as for tz_start_of_day, never the gap-shifted midnight after it. */
    return tz_us_from_s(tz_day_start_s(z, tstime_days_from_civil(y, m, d)), 0);
}

/* Adds months to a civil date; a day past the new month's end becomes its last day. */
static void tz_add_months(struct tz_civil *c, int months)
{
    int64_t idx = c->year * 12 + (int64_t)(c->month - 1) + months;
    c->year = floor_div(idx, 12);
    c->month = (unsigned)floor_mod(idx, 12) + 1;
    unsigned dim = tz_days_in_month(c->year, c->month);
    if (c->day > dim)
        c->day = dim;
}

/* Months in a rounding period; 0 for a day. */
static unsigned tz_round_months(enum tz_round round)
{
    switch (round) {
    case TZ_ROUND_END_OF_MONTH: return 1;
    case TZ_ROUND_END_OF_QUARTER: return 3;
    case TZ_ROUND_END_OF_HALF_YEAR: return 6;
    case TZ_ROUND_END_OF_YEAR: return 12;
    case TZ_ROUND_NONE:
    case TZ_ROUND_END_OF_DAY: break;
    }
    return 0;
}

/* One microsecond before the local start of the period after the one containing c. */
static int64_t tz_period_end(const struct tz *z, const struct tz_civil *c, enum tz_round round)
{
    unsigned span = tz_round_months(round);
    int64_t next_days;
    if (span == 0) {
        next_days = tstime_days_from_civil(c->year, c->month, c->day) + 1;
    } else {
        int64_t idx = c->year * 12 + (int64_t)((c->month - 1) / span * span) + span;
        next_days = tstime_days_from_civil(floor_div(idx, 12), (unsigned)floor_mod(idx, 12) + 1, 1);
    }
    int64_t start = tz_us_from_s(tz_day_start_s(z, next_days), 0);
    return start == INT64_MIN ? start : start - 1;
}

int64_t tz_add_and_round(const struct tz *z, int64_t utc_us, int days, int months,
                         enum tz_round round)
{
    ASSERT(z && round >= TZ_ROUND_NONE && round <= TZ_ROUND_END_OF_YEAR);
    struct tz_civil c;
    tz_to_civil(z, utc_us, &c);
    if (days != 0 || months != 0) {
        int64_t dn = tstime_days_from_civil(c.year, c.month, c.day) + days;
        tstime_civil_from_days(dn, &c.year, &c.month, &c.day);
        tz_add_months(&c, months);
        utc_us = tz_from_civil(z, &c);
    }
    if (round == TZ_ROUND_NONE)
        return utc_us;
    tz_to_civil(z, utc_us, &c);
    return tz_period_end(z, &c, round);
}
