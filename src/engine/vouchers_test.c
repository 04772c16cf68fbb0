/* vouchers_test.c - the pure part of vouchers: specs and discount arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/json.h"
#include "engine/vouchers.h"

#include <string.h>

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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discount_amounts), cmocka_unit_test(test_discount_units),
        cmocka_unit_test(test_spec_errors),      cmocka_unit_test(test_spec_round_trip),
        cmocka_unit_test(test_code_space),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
