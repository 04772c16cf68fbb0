/* vouchers_test.c - the pure part of vouchers: specs and discount arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/log.h"
#include "engine/vouchers.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct arena arena;

static int spec_from(const char *json, const char *rules, struct voucher_spec *s, char *why)
{
    cJSON *t = cJSON_Parse(json);
    cJSON *r = rules ? cJSON_Parse(rules) : NULL;
    int rc = vouchers_spec_parse(t, r, &arena, s, why, 200);
    cJSON_Delete(t);
    cJSON_Delete(r);
    return rc;
}

static struct discount discount_of(const char *json)
{
    struct voucher_spec s;
    char why[200] = "";
    char buf[512];
    snprintf(buf, sizeof buf, "{\"type\":\"DISCOUNT_VOUCHER\",\"discount\":%s}", json);
    int rc = spec_from(buf, NULL, &s, why);
    if (rc != 0)
        fail_msg("%s: %s", json, why);
    return s.d;
}

static int64_t off(const char *discount, int64_t amount, const char *items)
{
    struct discount d = discount_of(discount);
    cJSON *it = items ? cJSON_Parse(items) : NULL;
    int64_t v = vouchers_discount(&d, amount, it);
    cJSON_Delete(it);
    return v;
}

static void test_discount_amounts(void **state)
{
    (void)state;
    assert_int_equal(off("{\"type\":\"AMOUNT\",\"amount_off\":1500}", 10000, NULL), 1500);
    assert_int_equal(off("{\"type\":\"AMOUNT\",\"amount_off\":1500}", 1000, NULL), 1000);
    assert_int_equal(off("{\"type\":\"PERCENT\",\"percent_off\":10}", 12345, NULL), 1235);
    assert_int_equal(off("{\"type\":\"PERCENT\",\"percent_off\":12.5}", 1000, NULL), 125);
    assert_int_equal(off("{\"type\":\"PERCENT\",\"percent_off\":12.34}", 10000, NULL), 1234);
    assert_int_equal(
        off("{\"type\":\"PERCENT\",\"percent_off\":50,\"amount_limit\":2000}", 10000, NULL), 2000);
    assert_int_equal(off("{\"type\":\"PERCENT\",\"percent_off\":100}", 10000000000000, NULL),
                     10000000000000);
    assert_int_equal(off("{\"type\":\"FIXED\",\"fixed_amount\":3000}", 10000, NULL), 7000);
    assert_int_equal(off("{\"type\":\"FIXED\",\"fixed_amount\":3000}", 2000, NULL), 0);
    assert_int_equal(off("{\"type\":\"AMOUNT\",\"amount_off\":1500}", 0, NULL), 0);
}

static void test_discount_units(void **state)
{
    (void)state;
    const char *items = "[{\"product_id\":\"prod_a\",\"quantity\":3,\"price\":1000},"
                        "{\"sku_id\":\"sku_b\",\"quantity\":2,\"amount\":800},"
                        "{\"product_id\":\"prod_5h1pp1ng\",\"quantity\":1,\"price\":499}]";
    assert_int_equal(
        off("{\"type\":\"UNIT\",\"unit_off\":2,\"unit_type\":\"prod_a\"}", 4300, items), 2000);
    assert_int_equal(
        off("{\"type\":\"UNIT\",\"unit_off\":5,\"unit_type\":\"prod_a\"}", 4300, items), 3000);
    assert_int_equal(off("{\"type\":\"UNIT\",\"unit_off\":1,\"unit_type\":\"sku_b\"}", 4300, items),
                     400);
    assert_int_equal(
        off("{\"type\":\"UNIT\",\"unit_off\":1,\"unit_type\":\"prod_5h1pp1ng\"}", 4300, items),
        499);
    assert_int_equal(
        off("{\"type\":\"UNIT\",\"unit_off\":1,\"unit_type\":\"prod_x\"}", 4300, items), 0);
    /* Never more than the order. */
    assert_int_equal(off("{\"type\":\"UNIT\",\"unit_off\":3,\"unit_type\":\"prod_a\"}", 100, items),
                     100);
}

static void test_spec_errors(void **state)
{
    (void)state;
    struct voucher_spec s;
    char why[200];
    assert_int_equal(spec_from("{\"discount\":{\"type\":\"BOGUS\"}}", NULL, &s, why), TREU_EINVAL);
    assert_non_null(strstr(why, "discount.type"));
    assert_int_equal(
        spec_from("{\"discount\":{\"type\":\"PERCENT\",\"percent_off\":101}}", NULL, &s, why),
        TREU_EINVAL);
    assert_non_null(strstr(why, "percent_off"));
    assert_int_equal(
        spec_from("{\"discount\":{\"type\":\"PERCENT\",\"percent_off\":1.234}}", NULL, &s, why),
        TREU_EINVAL);
    assert_int_equal(
        spec_from("{\"discount\":{\"type\":\"AMOUNT\",\"amount_off\":1.5}}", NULL, &s, why),
        TREU_EINVAL);
    assert_non_null(strstr(why, "amount_off"));
    assert_int_equal(spec_from("{\"type\":\"GIFT_VOUCHER\",\"gift\":{}}", NULL, &s, why),
                     TREU_EINVAL);
    assert_non_null(strstr(why, "gift.amount"));
    assert_int_equal(spec_from("{\"discount\":{\"type\":\"AMOUNT\",\"amount_off\":1},"
                               "\"code_config\":{\"length\":3}}",
                               NULL, &s, why),
                     TREU_EINVAL);
    assert_non_null(strstr(why, "code_config"));
    assert_int_equal(spec_from("{\"discount\":{\"type\":\"AMOUNT\",\"amount_off\":1}}",
                               "[\"val_1\", 2]", &s, why),
                     TREU_EINVAL);
    assert_non_null(strstr(why, "validation_rules"));
    assert_int_equal(spec_from("{\"discount\":{\"type\":\"AMOUNT\",\"amount_off\":1},"
                               "\"redemption\":{\"quantity\":0}}",
                               NULL, &s, why),
                     TREU_EINVAL);
}

static void test_spec_round_trip(void **state)
{
    (void)state;
    struct voucher_spec s;
    char why[200] = "";
    const char *in = "{\"type\":\"DISCOUNT_VOUCHER\",\"discount\":{\"type\":\"PERCENT\","
                     "\"percent_off\":12.5,\"amount_limit\":500},\"redemption\":{\"quantity\":3,"
                     "\"per_customer\":1},\"code_config\":{\"pattern\":\"SUM-####-##\","
                     "\"charset\":\"ABC\"}}";
    assert_int_equal(spec_from(in, "[\"val_a\"]", &s, why), 0);
    assert_int_equal(s.d.percent_off, 1250);
    assert_int_equal(s.quantity, 3);
    assert_int_equal(s.per_customer, 1);
    assert_int_equal(s.nrules, 1);
    struct buf b;
    buf_init(&b, 4096);
    struct jw w;
    jw_init(&w, &b);
    jw_obj_open(&w);
    vouchers_spec_write(&w, &s, true);
    jw_obj_close(&w);
    assert_string_equal(buf_cstr(&b),
                        "{\"type\":\"DISCOUNT_VOUCHER\",\"discount\":{\"type\":\"PERCENT\","
                        "\"percent_off\":12.5,\"amount_limit\":500},\"redemption\":{\"quantity\":3,"
                        "\"per_customer\":1},\"code_config\":{\"pattern\":\"SUM-####-##\","
                        "\"charset\":\"ABC\"},\"validation_rules\":[\"val_a\"]}");
    /* What was written parses to the same spec. */
    struct voucher_spec again;
    cJSON *j = cJSON_Parse(buf_cstr(&b));
    assert_int_equal(vouchers_spec_parse(j, cJSON_GetObjectItem(j, "validation_rules"), &arena,
                                         &again, why, sizeof why),
                     0);
    assert_int_equal(again.d.percent_off, s.d.percent_off);
    assert_string_equal(again.cc.pattern, "SUM-####-##");
    cJSON_Delete(j);
    buf_cleanup(&b);
}

static void test_code_space(void **state)
{
    (void)state;
    struct code_config cc = {.pattern = "X-######", .charset = "01"};
    assert_int_equal(vouchers_code_space(&cc), 64);
    cc = (struct code_config){.length = 8};
    assert_int_equal(vouchers_code_space(&cc), INT64_C(1785793904896)); /* 34^8 */
    cc = (struct code_config){.length = 60, .charset = CODES_DEFAULT_CHARSET};
    assert_int_equal(vouchers_code_space(&cc), INT64_MAX);
}

/* ---- against a real store: generation, issuing, redemption and rollback ---- */

struct db {
    char dir[64];
    struct store *s;
    struct store_conn *w;
    uint64_t seed;
    struct rng rng;
    struct writer_tx tx;
};

static void splitmix_fill(void *ctx, void *out, size_t n)
{
    uint64_t *x = ctx;
    unsigned char *o = out;
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        o[i] = (unsigned char)(z ^ (z >> 31));
    }
}

static void db_open(struct db *d)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "/tmp/treu-vouchers-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/t.db", d->dir);
    int version;
    assert_int_equal(store_open(url, &d->s), 0);
    assert_int_equal(store_migrate(d->s, &version), 0);
    assert_int_equal(store_conn_open(d->s, true, &d->w), 0);
    assert_int_equal(store_begin(d->w), 0);
    d->seed = 42;
    d->rng = (struct rng){splitmix_fill, &d->seed};
    d->tx = (struct writer_tx){.conn = d->w, .now_us = 1000000, .rng = &d->rng};
}

static void db_close(struct db *d)
{
    store_rollback(d->w);
    store_conn_free(d->w);
    store_free(d->s);
    DIR *dir = opendir(d->dir);
    struct dirent *e;
    char path[384];
    while (dir && (e = readdir(dir)) != NULL) {
        snprintf(path, sizeof path, "%s/%s", d->dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(path);
    }
    if (dir)
        closedir(dir);
    rmdir(d->dir);
}

/* A campaign whose stored body holds `tmpl` as its voucher template. */
static void make_campaign(struct db *d, const char *id, const char *tmpl, struct campaign *cp,
                          struct voucher_spec *s)
{
    char why[200] = "", body[512];
    assert_int_equal(spec_from(tmpl, NULL, s, why), 0);
    snprintf(body, sizeof body, "{\"voucher\":%s}", tmpl);
    *cp = (struct campaign){.name = id,
                            .type = "DISCOUNT_COUPONS",
                            .active = true,
                            .body_json = arena_strdup(&arena, body),
                            .created_at = 1};
    snprintf(cp->id, sizeof cp->id, "%s", id);
    assert_int_equal(store_campaign_insert(d->w, "p", cp), 0);
}

static void test_issue_claims_then_generates(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    struct campaign cp;
    struct voucher_spec s;
    make_campaign(&d, "camp_a",
                  "{\"discount\":{\"type\":\"AMOUNT\",\"amount_off\":5},"
                  "\"code_config\":{\"pattern\":\"W-######\"}}",
                  &cp, &s);
    enum voucher_result res;
    assert_int_equal(vouchers_generate(&d.tx, "p", &cp, &s, 2, &res), 0);
    assert_int_equal(res, VOUCHER_OK);
    struct voucher v1, v2, v3;
    assert_int_equal(vouchers_issue(&d.tx, "p", &arena, "camp_a", "cust_1", "reward", &v1, &res),
                     0);
    assert_int_equal(res, VOUCHER_OK);
    assert_int_equal(vouchers_issue(&d.tx, "p", &arena, "camp_a", "cust_2", "reward", &v2, &res),
                     0);
    /* Both generated codes are taken: the third is generated on the spot. */
    assert_int_equal(vouchers_issue(&d.tx, "p", &arena, "camp_a", "cust_3", "reward", &v3, &res),
                     0);
    assert_int_equal(res, VOUCHER_OK);
    assert_string_equal(v1.holder_id, "cust_1");
    assert_string_equal(v3.holder_id, "cust_3");
    assert_int_equal(strncmp(v3.code, "W-", 2), 0);
    assert_int_equal(strlen(v3.code), 8);
    assert_string_not_equal(v1.code, v2.code);
    struct campaign got;
    assert_int_equal(store_campaign_get(d.w, "p", "camp_a", &arena, &got), 0);
    assert_int_equal(got.vouchers_count, 3);
    struct publication *pubs;
    size_t n;
    int64_t total;
    struct publication_query q = {.campaign_id = "camp_a"};
    struct page pg = {.limit = 10};
    assert_int_equal(store_publication_list(d.w, "p", &q, &pg, &arena, &pubs, &n, &total), 0);
    assert_int_equal(total, 3);
    assert_string_equal(pubs[0].channel, "reward");
    /* Unknown and disabled campaigns are outcomes, not errors. */
    assert_int_equal(vouchers_issue(&d.tx, "p", &arena, "nope", "cust_1", NULL, &v1, &res), 0);
    assert_int_equal(res, VOUCHER_NOT_FOUND);
    got.active = false;
    assert_int_equal(store_campaign_update(d.w, "p", &got), 0);
    assert_int_equal(vouchers_issue(&d.tx, "p", &arena, "camp_a", "cust_1", NULL, &v1, &res), 0);
    assert_int_equal(res, VOUCHER_CAMPAIGN_DISABLED);
    /* Another project sees none of it. */
    assert_int_equal(vouchers_issue(&d.tx, "q", &arena, "camp_a", "cust_1", NULL, &v1, &res), 0);
    assert_int_equal(res, VOUCHER_NOT_FOUND);
    db_close(&d);
}

static void test_generate_retries_collisions(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    struct campaign cp;
    struct voucher_spec s;
    /* 2^6 = 64 possible codes: 16 of them collide often but fit. */
    make_campaign(&d, "camp_small",
                  "{\"discount\":{\"type\":\"AMOUNT\",\"amount_off\":5},"
                  "\"code_config\":{\"pattern\":\"######\",\"charset\":\"AB\"}}",
                  &cp, &s);
    enum voucher_result res;
    assert_int_equal(vouchers_generate(&d.tx, "p", &cp, &s, 16, &res), 0);
    assert_int_equal(res, VOUCHER_OK);
    struct voucher *rows;
    size_t n;
    int64_t total;
    struct voucher_query q = {.campaign_id = "camp_small"};
    struct page pg = {.limit = 100};
    assert_int_equal(store_voucher_list(d.w, "p", &q, &pg, &arena, &rows, &n, &total), 0);
    assert_int_equal(total, 16);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(strspn(rows[i].code, "AB"), 6);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(rows[i].code, rows[j].code);
    }
    /* 64 more cannot fit in the 48 codes left. */
    assert_int_equal(vouchers_generate(&d.tx, "p", &cp, &s, 64, &res), 0);
    assert_int_equal(res, VOUCHER_CODE_EXHAUSTED);
    db_close(&d);
}

static void test_redeem_and_rollback(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    struct voucher_spec s;
    char why[200];
    assert_int_equal(spec_from("{\"type\":\"GIFT_VOUCHER\",\"gift\":{\"amount\":5000},"
                               "\"redemption\":{\"quantity\":1}}",
                               NULL, &s, why),
                     0);
    struct voucher v;
    vouchers_from_spec(&s, NULL, 1, &v);
    snprintf(v.id, sizeof v.id, "v_gift");
    v.code = "GIFT";
    v.body_json = "{\"type\":\"GIFT_VOUCHER\",\"gift\":{\"amount\":5000},"
                  "\"redemption\":{\"quantity\":1}}";
    assert_int_equal(store_voucher_insert(d.w, "p", &v), 0);
    struct voucher_state vs;
    assert_int_equal(vouchers_load(d.w, "p", &arena, "GIFT", &vs), 0);
    struct voucher_order ord = {.has_amount = true, .amount = 3000};
    struct customer cu = {.id = "cust_1"};
    struct voucher_context ctx = {.customer = &cu, .order = &ord, .now = 2};
    struct voucher_outcome o;
    assert_int_equal(vouchers_check(d.w, "p", &arena, &vs, &ctx, 3000, 0, &o), 0);
    assert_int_equal(o.res, VOUCHER_OK);
    assert_int_equal(o.gift, 3000);
    struct redemption tmpl = {.customer_id = "cust_1"}, row, rb;
    assert_int_equal(vouchers_redeem(&d.tx, "p", &vs, &tmpl, &o, &row), 0);
    assert_int_equal(o.res, VOUCHER_OK);
    assert_int_equal(row.amount, 3000);
    assert_int_equal(vouchers_load(d.w, "p", &arena, "GIFT", &vs), 0);
    assert_int_equal(vs.v.gift_balance, 2000);
    assert_int_equal(vouchers_check(d.w, "p", &arena, &vs, &ctx, 3000, 0, &o), 0);
    assert_int_equal(o.res, VOUCHER_QUANTITY_EXCEEDED);
    enum voucher_result res;
    assert_int_equal(vouchers_rollback(&d.tx, "p", &row, NULL, NULL, &rb, &res), 0);
    assert_int_equal(res, VOUCHER_OK);
    assert_int_equal(strncmp(rb.id, "rr_", 3), 0);
    assert_int_equal(vouchers_load(d.w, "p", &arena, "GIFT", &vs), 0);
    assert_int_equal(vs.v.gift_balance, 5000);
    assert_int_equal(vs.v.redeemed, 0);
    assert_int_equal(vouchers_rollback(&d.tx, "p", &row, NULL, NULL, &rb, &res), 0);
    assert_int_equal(res, VOUCHER_ROLLED_BACK);
    db_close(&d);
}

static int setup(void **state)
{
    (void)state;
    arena_init(&arena, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_cleanup(&arena);
    return 0;
}

int main(void)
{
    log_set_level(LOG_ERROR); /* migrations log at info */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discount_amounts),
        cmocka_unit_test(test_discount_units),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_spec_round_trip),
        cmocka_unit_test(test_code_space),
        cmocka_unit_test(test_issue_claims_then_generates),
        cmocka_unit_test(test_generate_retries_collisions),
        cmocka_unit_test(test_redeem_and_rollback),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
