/* fuzz_voucher_spec.c - voucher templates (vouchers_spec_parse: type, discount, gift,
 * redemption limits, code_config, validation rule ids) and the discount arithmetic.
 * Input: a JSON object, the template as POST /v1/vouchers takes it, with
 * "validation_rules" inside and optionally "amount" and "items" for an order.
 * Properties: a refused template says why; an accepted one writes a canonical form that
 * is accepted again and writes back byte for byte; the discount on any order amount lies
 * in [0, amount], grows with the amount, equals min(amount_off, amount) for AMOUNT and
 * max(0, amount - fixed_amount) for FIXED, is the rounded percentage (capped by
 * amount_limit) for PERCENT; its rendering is valid JSON. */
#include "fuzz.h"

#include "core/json.h"
#include "engine/vouchers.h"

#define FUZZ_ARENA_BYTES (1u << 20)

__extension__ typedef __int128 wide_t;

static void write_spec(const struct voucher_spec *s, struct buf *b)
{
    struct jw w;
    jw_init(&w, b);
    jw_obj_open(&w);
    vouchers_spec_write(&w, s, true);
    jw_obj_close(&w);
    FUZZ_CHECK(b->err == 0);
}

static void check_canonical(const struct voucher_spec *s, struct arena *a)
{
    struct buf b1, b2;
    buf_init(&b1, 1u << 20);
    buf_init(&b2, 1u << 20);
    write_spec(s, &b1);
    cJSON *j = NULL;
    struct json_error jerr;
    FUZZ_CHECK(json_parse(b1.ptr, b1.len, JSON_DEPTH_MAX, &j, &jerr) == 0);
    struct voucher_spec s2;
    char why[320] = "";
    int rc = vouchers_spec_parse(j, cJSON_GetObjectItemCaseSensitive(j, "validation_rules"), a, &s2,
                                 why, sizeof why);
    if (rc != 0)
        fprintf(stderr, "canonical form refused: %s\n%s\n", why, buf_cstr(&b1));
    FUZZ_CHECK(rc == 0);
    write_spec(&s2, &b2);
    FUZZ_CHECK(b1.len == b2.len && memcmp(b1.ptr, b2.ptr, b1.len) == 0);
    cJSON_Delete(j);
    buf_cleanup(&b1);
    buf_cleanup(&b2);
}

static void check_discount(const struct discount *d, const int64_t *amounts, size_t n,
                           const cJSON *items)
{
    int64_t prev_amount = 0, prev = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t amt = amounts[i], off = vouchers_discount(d, amt, items);
        if (amt <= 0) {
            FUZZ_CHECK(off == 0);
            continue;
        }
        FUZZ_CHECK(off >= 0 && off <= amt);
        FUZZ_CHECK(amt < prev_amount || off >= prev); /* amounts come in ascending order */
        prev_amount = amt, prev = off;
        switch (d->type) {
        case DISCOUNT_AMOUNT: FUZZ_CHECK(off == (d->amount_off < amt ? d->amount_off : amt)); break;
        case DISCOUNT_FIXED:
            FUZZ_CHECK(off == (amt > d->fixed_amount ? amt - d->fixed_amount : 0));
            break;
        case DISCOUNT_PERCENT: {
            FUZZ_CHECK(d->percent_off > 0 && d->percent_off <= 100 * VOUCHERS_PERCENT_SCALE);
            FUZZ_CHECK(!d->amount_limit || off <= d->amount_limit);
            wide_t exact = (wide_t)amt * d->percent_off, got = (wide_t)off * 10000;
            bool capped = d->amount_limit && off == d->amount_limit;
            FUZZ_CHECK(capped || (got - exact <= 5000 && exact - got < 5000));
            break;
        }
        case DISCOUNT_UNIT: break;
        }
    }
    struct buf b;
    buf_init(&b, 1u << 16);
    struct jw w;
    jw_init(&w, &b);
    vouchers_discount_write(&w, d);
    cJSON *j = NULL;
    struct json_error jerr;
    FUZZ_CHECK(b.err == 0 && json_parse(b.ptr, b.len, JSON_DEPTH_MAX, &j, &jerr) == 0);
    cJSON_Delete(j);
    buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = NULL;
    struct json_error jerr;
    if (json_parse((const char *)data, size, JSON_DEPTH_MAX, &j, &jerr) != 0)
        return 0;
    struct arena a;
    arena_init(&a, FUZZ_ARENA_BYTES);
    struct voucher_spec s;
    char why[320] = "";
    int rc = vouchers_spec_parse(j, cJSON_GetObjectItemCaseSensitive(j, "validation_rules"), &a, &s,
                                 why, sizeof why);
    FUZZ_CHECK(rc == 0 || rc == TREU_EINVAL || rc == TREU_ENOMEM);
    FUZZ_CHECK(rc != TREU_EINVAL || why[0] != '\0');
    if (rc == 0) {
        check_canonical(&s, &a);
        if (!s.gift) {
            int64_t amounts[] = {-5,  0,    1,     2,       99, 100,
                                 101, 1000, 12345, 1000000, 0,  VOUCHERS_AMOUNT_MAX};
            const cJSON *given = cJSON_GetObjectItemCaseSensitive(j, "amount");
            if (cJSON_IsNumber(given) && given->valuedouble >= 0 &&
                given->valuedouble <= (double)VOUCHERS_AMOUNT_MAX)
                amounts[10] = (int64_t)given->valuedouble;
            for (size_t i = 1; i < TREU_ARRAY_LEN(amounts); i++) { /* ascending */
                for (size_t k = i; k > 0 && amounts[k - 1] > amounts[k]; k--) {
                    int64_t t = amounts[k];
                    amounts[k] = amounts[k - 1], amounts[k - 1] = t;
                }
            }
            check_discount(&s.d, amounts, TREU_ARRAY_LEN(amounts),
                           cJSON_GetObjectItemCaseSensitive(j, "items"));
        }
    }
    arena_cleanup(&a);
    cJSON_Delete(j);
    return 0;
}
