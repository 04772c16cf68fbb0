/* webhooks_test.c - the pure parts of webhook delivery: the retry schedule (bounds of every
 * step, the cap, that the window really spans 24 hours), the signature (RFC 4231 vectors)
 * and subscription matching. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "engine/outbox.h"
#include "jobs/webhooks.h"

#include <string.h>

#define S INT64_C(1000000)

static void test_backoff_bounds(void **state)
{
    (void)state;
    /* failures → the top of the jitter range before the 1 s floor */
    static const struct {
        int64_t failures, cap;
    } steps[] = {{1, 30 * S},  {2, 60 * S},   {3, 120 * S},  {4, 240 * S},   {5, 480 * S},
                 {6, 960 * S}, {7, 1920 * S}, {8, 3600 * S}, {20, 3600 * S}, {1000, 3600 * S}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int64_t lo = webhooks_backoff_us(steps[i].failures, 0);
        int64_t hi = webhooks_backoff_us(steps[i].failures, UINT64_MAX);
        assert_int_equal(lo, WEBHOOKS_BACKOFF_MIN_US);
        assert_true(hi < WEBHOOKS_BACKOFF_MIN_US + steps[i].cap);
        /* the exact top: random = cap - 1 */
        assert_int_equal(webhooks_backoff_us(steps[i].failures, (uint64_t)steps[i].cap - 1),
                         WEBHOOKS_BACKOFF_MIN_US + steps[i].cap - 1);
        assert_int_equal(webhooks_backoff_us(steps[i].failures, (uint64_t)steps[i].cap),
                         WEBHOOKS_BACKOFF_MIN_US);
    }
}

/* Even with the longest waits the jitter allows, a delivery is retried past 24 hours and
 * then given up at the first failure after the window. */
static void test_retry_window(void **state)
{
    (void)state;
    int64_t t = 0, failures = 0;
    while (!webhooks_give_up(0, t)) {
        failures++;
        t += webhooks_backoff_us(failures, (uint64_t)WEBHOOKS_BACKOFF_CAP_US - 1); /* slowest */
    }
    assert_true(t >= WEBHOOKS_RETRY_WINDOW_US);
    assert_true(failures >= 24); /* capped at ~1 h: at least one a hour */
    int64_t fast = 0, nfast = 0;
    while (!webhooks_give_up(0, fast)) {
        nfast++;
        fast += webhooks_backoff_us(nfast, 0); /* fastest: 1 s each */
    }
    assert_int_equal(nfast, 86400);
    assert_false(webhooks_give_up(1000, 1000 + WEBHOOKS_RETRY_WINDOW_US - 1));
    assert_true(webhooks_give_up(1000, 1000 + WEBHOOKS_RETRY_WINDOW_US));
}

static void test_signature_rfc4231(void **state)
{
    (void)state;
    char out[WEBHOOKS_SIGNATURE_LEN + 1];
    const char *data = "what do ya want for nothing?";
    webhooks_sign("Jefe", data, strlen(data), out);
    assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* A key longer than the block (131 bytes of 0xaa) is hashed first. */
    char key[132];
    memset(key, 0xaa, 131);
    key[131] = '\0';
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    webhooks_sign(key, msg, strlen(msg), out);
    assert_string_equal(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    /* The length counts, not a NUL: a body with an embedded NUL signs all of it. */
    char a[WEBHOOKS_SIGNATURE_LEN + 1], b[WEBHOOKS_SIGNATURE_LEN + 1];
    webhooks_sign("k", "ab\0c", 4, a);
    webhooks_sign("k", "ab\0d", 4, b);
    assert_string_not_equal(a, b);
}

static void test_subscribed(void **state)
{
    (void)state;
    assert_true(outbox_subscribed("*", "customer.loyalty.tier.joined"));
    assert_true(
        outbox_subscribed("a.b,customer.loyalty.tier.joined", "customer.loyalty.tier.joined"));
    assert_false(outbox_subscribed("customer.loyalty.tier.joined", "customer.loyalty.tier"));
    assert_false(outbox_subscribed("customer.loyalty.tier", "customer.loyalty.tier.joined"));
    assert_false(outbox_subscribed("", "x"));
    assert_true(outbox_event_known("customer.rewarded.loyalty_points"));
    assert_false(outbox_event_known("*"));
    assert_false(outbox_event_known("customer.rewarded"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_retry_window),
        cmocka_unit_test(test_signature_rfc4231),
        cmocka_unit_test(test_subscribed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
