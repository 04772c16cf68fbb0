/* router_test.c - router_find over a small table of its own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http/router.h"

#include <string.h>

static void dummy(struct request *r)
{
    (void)r;
}

static const struct route table[] = {
    {"GET", "/", AUTH_PUBLIC, dummy},                                /* 0 */
    {"GET", "/health", AUTH_PUBLIC, dummy},                          /* 1 */
    {"POST", "/v1/customers", AUTH_SERVER, dummy},                   /* 2 */
    {"GET", "/v1/customers", AUTH_SERVER, dummy},                    /* 3 */
    {"GET", "/v1/customers/{id}", AUTH_SERVER, dummy},               /* 4 */
    {"PUT", "/v1/customers/{id}", AUTH_SERVER, dummy},               /* 5 */
    {"GET", "/v1/projects/{pid}/keys/{kid}", AUTH_SERVER, dummy},    /* 6 */
    {"GET", "/v1/customers/{id}/events", AUTH_SERVER, dummy},        /* 7 */
    {"GET", "/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s", AUTH_PUBLIC, dummy}, /* 8: 16 segments */
};

struct fixture {
    struct arena a;
    struct router_match m;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    arena_init(&f->a, 64 * 1024);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    arena_cleanup(&f->a);
    free(f);
    return 0;
}

static enum router_result find(struct fixture *f, const char *method, const char *path)
{
    return router_find(table, TREU_ARRAY_LEN(table), method, path, &f->a, &f->m);
}

static void expect_found(struct fixture *f, const char *method, const char *path, size_t index,
                         int nparams)
{
    enum router_result r = find(f, method, path);
    if (r != ROUTER_FOUND)
        fail_msg("%s %s: result %d, want ROUTER_FOUND", method, path, (int)r);
    assert_int_equal(f->m.index, index);
    assert_int_equal(f->m.nparams, nparams);
}

static void expect_not_found(struct fixture *f, const char *method, const char *path)
{
    enum router_result r = find(f, method, path);
    if (r != ROUTER_NOT_FOUND)
        fail_msg("%s \"%s\": result %d, want ROUTER_NOT_FOUND", method, path, (int)r);
}

static void test_literal(void **state)
{
    struct fixture *f = *state;
    expect_found(f, "GET", "/health", 1, 0);
    expect_found(f, "POST", "/v1/customers", 2, 0);
    expect_found(f, "GET", "/v1/customers", 3, 0);
    /* Methods are matched exactly. */
    assert_int_equal(find(f, "get", "/health"), ROUTER_METHOD_NOT_ALLOWED);
}

static void test_root(void **state)
{
    struct fixture *f = *state;
    expect_found(f, "GET", "/", 0, 0);
    assert_int_equal(find(f, "POST", "/"), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(f->m.allow, "GET");
}

static void test_param(void **state)
{
    struct fixture *f = *state;
    char path[] = "/v1/customers/cust_123";
    expect_found(f, "GET", path, 4, 1);
    assert_string_equal(f->m.params[0], "cust_123");
    /* The value is a copy in the arena, not a pointer into the path. */
    path[14] = 'X';
    assert_string_equal(f->m.params[0], "cust_123");
    expect_found(f, "PUT", "/v1/customers/c-9", 5, 1);
    assert_string_equal(f->m.params[0], "c-9");
    /* A literal after a parameter must match too. */
    expect_found(f, "GET", "/v1/customers/c1/events", 7, 1);
    assert_string_equal(f->m.params[0], "c1");
}

static void test_two_params(void **state)
{
    struct fixture *f = *state;
    expect_found(f, "GET", "/v1/projects/proj_1/keys/app_2", 6, 2);
    assert_string_equal(f->m.params[0], "proj_1");
    assert_string_equal(f->m.params[1], "app_2");
    expect_not_found(f, "GET", "/v1/projects/proj_1/nokeys/app_2");
    expect_not_found(f, "GET", "/v1/projects/proj_1/keys");
}

static void test_method_not_allowed(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(find(f, "DELETE", "/v1/customers/c1"), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(f->m.allow, "GET, PUT");
    assert_int_equal(f->m.nparams, 0);
    assert_int_equal(find(f, "DELETE", "/v1/customers"), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(f->m.allow, "POST, GET");
    assert_int_equal(find(f, "PUT", "/health"), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(f->m.allow, "GET");
    /* The Allow list does not leak into the next lookup. */
    expect_found(f, "GET", "/health", 1, 0);
    assert_string_equal(f->m.allow, "");
}

static void test_not_found(void **state)
{
    struct fixture *f = *state;
    expect_not_found(f, "GET", "/nope");
    expect_not_found(f, "GET", "/v1");
    expect_not_found(f, "GET", "/v1/customers/c1/other");
    expect_not_found(f, "GET", "/v1/customers/c1/events/more");
    expect_not_found(f, "GET", "/healthz");
    expect_not_found(f, "GET", "/HEALTH");
    expect_not_found(f, "GET", "health");
    expect_not_found(f, "GET", "");
    expect_not_found(f, "DELETE", "/nope");
}

static void test_trailing_slash(void **state)
{
    struct fixture *f = *state;
    expect_found(f, "GET", "/health/", 1, 0);
    expect_found(f, "GET", "/v1/customers/", 3, 0);
    expect_found(f, "GET", "/v1/customers/c1/", 4, 1);
    assert_string_equal(f->m.params[0], "c1");
    assert_int_equal(find(f, "DELETE", "/v1/customers/c1/"), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(f->m.allow, "GET, PUT");
}

static void test_empty_segment(void **state)
{
    struct fixture *f = *state;
    expect_not_found(f, "GET", "//");
    expect_not_found(f, "GET", "//health");
    expect_not_found(f, "GET", "/v1//customers");
    expect_not_found(f, "GET", "/v1/customers//");
    expect_not_found(f, "GET", "/v1/customers//c1");
    expect_not_found(f, "GET", "/health//");
    /* An empty segment never fills a parameter. */
    expect_not_found(f, "GET", "/v1/projects//keys/k");
}

/* Writes `n` segments "/s" and then `tail` into out. */
static const char *segments(char *out, size_t size, int n, const char *tail)
{
    size_t off = 0;
    for (int i = 0; i < n; i++)
        off += (size_t)snprintf(out + off, size - off, "/s");
    snprintf(out + off, size - off, "%s", tail);
    return out;
}

static void test_too_many_segments(void **state)
{
    struct fixture *f = *state;
    char path[1024];
    expect_found(f, "GET", segments(path, sizeof path, ROUTER_SEGMENTS_MAX, ""), 8, 0);
    expect_found(f, "GET", segments(path, sizeof path, ROUTER_SEGMENTS_MAX, "/"), 8, 0);
    /* One more segment is refused, not truncated onto the 16-segment route. */
    expect_not_found(f, "GET", segments(path, sizeof path, ROUTER_SEGMENTS_MAX + 1, ""));
    expect_not_found(f, "GET", segments(path, sizeof path, ROUTER_SEGMENTS_MAX + 1, "/"));
    expect_not_found(f, "GET", segments(path, sizeof path, 200, ""));
}

static void test_literal_beats_param(void **state)
{
    struct fixture *f = *state;
    /* routes.c promises "literal segments win over parameters", whatever the order. */
    static const struct route t2[] = {
        {"GET", "/v1/customers/{id}", AUTH_SERVER, dummy},
        {"GET", "/v1/customers/search", AUTH_SERVER, dummy},
    };
    assert_int_equal(router_find(t2, 2, "GET", "/v1/customers/search", &f->a, &f->m), ROUTER_FOUND);
    assert_int_equal(f->m.index, 1);
    assert_int_equal(f->m.nparams, 0);
    assert_int_equal(router_find(t2, 2, "GET", "/v1/customers/c1", &f->a, &f->m), ROUTER_FOUND);
    assert_int_equal(f->m.index, 0);
}

static void test_params_bounded(void **state)
{
    struct fixture *f = *state;
    /* More parameters than params[] holds: nparams never runs past the array. */
    static const struct route t3[] = {
        {"GET", "/{a}/{b}/{c}/{d}/{e}", AUTH_PUBLIC, dummy},
    };
    enum router_result r = router_find(t3, 1, "GET", "/1/2/3/4/5", &f->a, &f->m);
    if (r == ROUTER_FOUND) {
        assert_true(f->m.nparams <= REQUEST_PARAMS_MAX);
        for (int i = 0; i < f->m.nparams; i++)
            assert_non_null(f->m.params[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_literal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_param, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_not_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailing_slash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_literal_beats_param, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
