/* ratelimit_test.c - token buckets with a clock the test moves. */
#include "http/ratelimit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

static void test_bucket_refills(void **state)
{
    (void)state;
    struct ratelimit *rl;
    assert_int_equal(ratelimit_new(4, 0, &rl), 0);
    int wait = -1;
    for (int i = 0; i < 4; i++)
        assert_true(ratelimit_take(rl, "app_a", KEY_SERVER, 1000000, &wait));
    assert_false(ratelimit_take(rl, "app_a", KEY_SERVER, 1000000, &wait));
    assert_int_equal(wait, 1);
    /* A quarter second later one token is back, and only one. */
    assert_true(ratelimit_take(rl, "app_a", KEY_SERVER, 1250000, &wait));
    assert_false(ratelimit_take(rl, "app_a", KEY_SERVER, 1250000, &wait));
    /* Another key has its own bucket; client keys are unlimited here. */
    assert_true(ratelimit_take(rl, "app_b", KEY_SERVER, 1250000, &wait));
    for (int i = 0; i < 100; i++)
        assert_true(ratelimit_take(rl, "app_c", KEY_CLIENT, 1250000, &wait));
    /* Never more than one second's worth, however long it rested. */
    int ok = 0;
    for (int i = 0; i < 10; i++)
        ok += ratelimit_take(rl, "app_a", KEY_SERVER, 100000000, &wait);
    assert_int_equal(ok, 4);
    ratelimit_free(rl);
}

static void test_slow_rate_waits_longer(void **state)
{
    (void)state;
    struct ratelimit *rl;
    assert_int_equal(ratelimit_new(0.2, 0, &rl), 0); /* one request per 5 s */
    int wait = 0;
    assert_true(ratelimit_take(rl, "app_a", KEY_SERVER, 0, &wait));
    assert_false(ratelimit_take(rl, "app_a", KEY_SERVER, 1000000, &wait));
    assert_int_equal(wait, 4);
    assert_true(ratelimit_take(rl, "app_a", KEY_SERVER, 5000000, &wait));
    ratelimit_free(rl);
}

static void test_many_keys(void **state)
{
    (void)state;
    struct ratelimit *rl;
    assert_int_equal(ratelimit_new(1, 0, &rl), 0);
    char id[32];
    /* Far more keys than slots: every new key starts full, none is refused wrongly. */
    for (int i = 0; i < 3 * RATELIMIT_SLOTS; i++) {
        snprintf(id, sizeof id, "app_%d", i);
        int wait;
        assert_true(ratelimit_take(rl, id, KEY_SERVER, i, &wait));
    }
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_refills),
        cmocka_unit_test(test_slow_rate_waits_longer),
        cmocka_unit_test(test_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
