/* fuzz_limits.c - a loyalty program's "limits" object (limits_parse) and its canonical
 * form (limits_write).
 * Properties: a refused object says why; an accepted one has whole positive points and a
 * known period (or none) for each limit set; writing it gives JSON that parses to the
 * same limits and writes back byte for byte. */
#include "fuzz.h"

#include "core/json.h"
#include "engine/limits.h"

static void check_limit(const struct limit *l)
{
    if (!l->set) {
        FUZZ_CHECK(l->points == 0 && !l->period);
        return;
    }
    FUZZ_CHECK(l->points >= 1);
    FUZZ_CHECK(!l->period || strcmp(l->period, "DAY") == 0 || strcmp(l->period, "WEEK") == 0 ||
               strcmp(l->period, "MONTH") == 0 || strcmp(l->period, "YEAR") == 0);
}

static bool same_limit(const struct limit *a, const struct limit *b)
{
    return a->set == b->set && a->points == b->points &&
           (a->period == b->period || (a->period && b->period && !strcmp(a->period, b->period)));
}

static void write_limits(const struct program_limits *l, struct buf *b)
{
    struct jw w;
    jw_init(&w, b);
    jw_obj_open(&w);
    jw_key(&w, "limits");
    limits_write(&w, l);
    jw_obj_close(&w);
    FUZZ_CHECK(b->err == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = NULL;
    struct json_error jerr;
    if (json_parse((const char *)data, size, JSON_DEPTH_MAX, &j, &jerr) != 0)
        return 0;
    struct program_limits l, l2;
    char why[256] = "";
    int rc = limits_parse(j, &l, why, sizeof why);
    FUZZ_CHECK(rc == 0 || rc == TREU_EINVAL);
    FUZZ_CHECK(rc == 0 || why[0] != '\0');
    if (rc == 0) {
        check_limit(&l.budget);
        check_limit(&l.earned);
        check_limit(&l.redeemed);
        struct buf b1, b2;
        buf_init(&b1, 1u << 16);
        buf_init(&b2, 1u << 16);
        write_limits(&l, &b1);
        cJSON *w = NULL;
        FUZZ_CHECK(json_parse(b1.ptr, b1.len, JSON_DEPTH_MAX, &w, &jerr) == 0);
        rc = limits_parse(cJSON_GetObjectItemCaseSensitive(w, "limits"), &l2, why, sizeof why);
        if (rc != 0)
            fprintf(stderr, "canonical form refused: %s\n%s\n", why, buf_cstr(&b1));
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(same_limit(&l.budget, &l2.budget) && same_limit(&l.earned, &l2.earned) &&
                   same_limit(&l.redeemed, &l2.redeemed));
        write_limits(&l2, &b2);
        FUZZ_CHECK(b1.len == b2.len && memcmp(b1.ptr, b2.ptr, b1.len) == 0);
        cJSON_Delete(w);
        buf_cleanup(&b1);
        buf_cleanup(&b2);
    }
    cJSON_Delete(j);
    return 0;
}
