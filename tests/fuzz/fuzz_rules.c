/* fuzz_rules.c - the condition language: rules_compile over any JSON, rules_eval, and the
 * canonical writer.
 * Properties: compile never fails with anything but EINVAL/ENOMEM and always names where;
 * a compiled set lists at most RULES_CONDITIONS_MAX distinct fields; its canonical JSON
 * compiles again and writes back byte for byte; the original and the recompiled set give
 * the same answer for the same field values; rules_eval asks for each field at most once
 * per call, passes a getter's error through unchanged, and is deterministic. Field values
 * come from a hash of the field name and a round number, so every type (null, integer,
 * number, string, bool, instant) reaches every operator. */
#include "fuzz.h"

#include "core/json.h"
#include "core/rules.h"

#define FUZZ_ARENA_BYTES (1u << 20)
#define FUZZ_ROUNDS      8

struct world {
    unsigned round;
    int fail_field; /* index into the calls table that answers an error, or -1 */
    struct slice seen[RULES_CONDITIONS_MAX * 2];
    unsigned calls[RULES_CONDITIONS_MAX * 2];
    size_t nseen;
};

static uint64_t fnv(struct slice s, unsigned round)
{
    uint64_t h = 1469598103934665603u ^ round;
    for (size_t i = 0; i < s.len; i++)
        h = (h ^ (unsigned char)s.ptr[i]) * 1099511628211u;
    return h;
}

static int world_get(void *ctx, struct slice field, struct rule_value *out)
{
    static const char *const strs[] = {"dog", "gold", "silver", "", "a", "2026-01-01T00:00:00Z"};
    struct world *w = ctx;
    size_t i = 0;
    while (i < w->nseen && !slice_eq(w->seen[i], field))
        i++;
    FUZZ_CHECK(i < TREU_ARRAY_LEN(w->seen));
    if (i == w->nseen)
        w->seen[w->nseen++] = field;
    w->calls[i]++;
    FUZZ_CHECK(w->calls[i] == 1); /* one get per distinct field per evaluation */
    if ((int)i == w->fail_field)
        return TREU_EIO;
    uint64_t h = fnv(field, w->round);
    int64_t n = (int64_t)((h >> 8) % 20001) - 10000;
    switch (h % 6) {
    case 0: *out = (struct rule_value){.type = RV_NULL}; break;
    case 1: *out = (struct rule_value){.type = RV_INT, .i = n}; break;
    case 2: *out = (struct rule_value){.type = RV_NUM, .d = (double)n / 7.0}; break;
    case 3: *out = (struct rule_value){.type = RV_STR, .s = slice_from(strs[(h >> 8) % 6])}; break;
    case 4: *out = (struct rule_value){.type = RV_BOOL, .i = (h >> 8) & 1}; break;
    default:
        *out = (struct rule_value){.type = RV_TIME,
                                   .i = INT64_C(1767225600000000) + n * INT64_C(3600000000)};
    }
    return 0;
}

static bool eval(const struct ruleset *rs, unsigned round, int fail_field, int *rc)
{
    struct world w = {.round = round, .fail_field = fail_field};
    struct rule_input in = {world_get, &w};
    bool result = true;
    *rc = rules_eval(rs, &in, &result);
    bool asked_failing = fail_field >= 0 && (size_t)fail_field < w.nseen;
    FUZZ_CHECK(asked_failing ? *rc == TREU_EIO : *rc == 0);
    return result;
}

static void check_canonical(const struct ruleset *rs, struct arena *a)
{
    struct buf b1, b2;
    buf_init(&b1, 1u << 20);
    buf_init(&b2, 1u << 20);
    FUZZ_CHECK(rules_write_json(rs, &b1) == 0);
    cJSON *j = NULL;
    struct json_error jerr;
    FUZZ_CHECK(json_parse(b1.ptr, b1.len, JSON_DEPTH_MAX, &j, &jerr) == 0);
    struct ruleset *rs2 = NULL;
    struct rule_error err;
    memset(&err, 0, sizeof err);
    int rc = rules_compile(j, a, &rs2, &err);
    if (rc != 0)
        fprintf(stderr, "canonical form refused at %s: %s\n%s\n", err.where, err.message,
                buf_cstr(&b1));
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(rules_write_json(rs2, &b2) == 0);
    FUZZ_CHECK(b1.len == b2.len && memcmp(b1.ptr, b2.ptr, b1.len) == 0);
    for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
        int rc1, rc2;
        bool r1 = eval(rs, round, -1, &rc1), r2 = eval(rs2, round, -1, &rc2);
        FUZZ_CHECK(rc1 == 0 && rc2 == 0 && r1 == r2);
        FUZZ_CHECK(eval(rs, round, -1, &rc1) == r1); /* deterministic */
    }
    cJSON_Delete(j);
    buf_cleanup(&b1);
    buf_cleanup(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = NULL;
    struct json_error jerr;
    if (json_parse((const char *)data, size, JSON_DEPTH_MAX, &j, &jerr) != 0)
        return 0;
    struct arena a;
    arena_init(&a, FUZZ_ARENA_BYTES);
    struct ruleset *rs = NULL;
    struct rule_error err;
    memset(&err, 0, sizeof err);
    int rc = rules_compile(j, &a, &rs, &err);
    FUZZ_CHECK(rc == 0 || rc == TREU_EINVAL || rc == TREU_ENOMEM);
    FUZZ_CHECK(memchr(err.where, 0, sizeof err.where) &&
               memchr(err.message, 0, sizeof err.message));
    if (rc == TREU_EINVAL)
        FUZZ_CHECK(err.message[0] != '\0');
    if (rc == 0) {
        struct slice fields[RULES_CONDITIONS_MAX + 1];
        size_t nf = rules_fields(rs, fields, TREU_ARRAY_LEN(fields));
        FUZZ_CHECK(nf <= RULES_CONDITIONS_MAX);
        for (size_t i = 0; i < nf; i++)
            FUZZ_CHECK(fields[i].len > 0 && fields[i].len <= RULES_FIELD_BYTES_MAX);
        check_canonical(rs, &a);
        for (int fail = 0; fail < (int)nf; fail++) {
            int erc;
            (void)eval(rs, 0, fail, &erc);
        }
    }
    arena_cleanup(&a);
    cJSON_Delete(j);
    return 0;
}
