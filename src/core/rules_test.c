/* rules_test.c - unit tests for the condition engine (src/core/rules.c).
 * Rule sets are written as JSON text, compiled, and evaluated against a fake rule_input
 * over a small table of fields that counts its calls. Every limit is tested at the
 * boundary and one past it; every compile error is checked for its `where` and message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/rules.h"
#include "core/tstime.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define TEST_ARENA_BYTES (8u * 1024 * 1024)
#define TEST_JSON_BYTES  (64u * 1024)
#define TEST_FIELDS_MAX  40

/* ------------------------------------------------------------------ fake input */

struct fake_field {
    const char *name;
    struct rule_value v;
};

struct fake {
    struct fake_field fields[TEST_FIELDS_MAX];
    size_t n;
    int calls;
    int calls_per[TEST_FIELDS_MAX]; /* by index in fields; unknown fields not counted */
    const char *fail_on;            /* field whose get fails with fail_rc */
    int fail_rc;
};

static int fake_get(void *ctx, struct slice field, struct rule_value *out)
{
    struct fake *f = ctx;
    f->calls++;
    if (f->fail_on && slice_eq_str(field, f->fail_on))
        return f->fail_rc;
    for (size_t i = 0; i < f->n; i++) {
        if (slice_eq_str(field, f->fields[i].name)) {
            f->calls_per[i]++;
            *out = f->fields[i].v;
            return 0;
        }
    }
    *out = (struct rule_value){.type = RV_NULL};
    return 0;
}

static void fake_set(struct fake *f, const char *name, struct rule_value v)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->fields[i].name, name) == 0) {
            f->fields[i].v = v;
            return;
        }
    }
    assert_true(f->n < TEST_FIELDS_MAX);
    f->fields[f->n++] = (struct fake_field){name, v};
}

static struct rule_value v_int(int64_t i)
{
    return (struct rule_value){.type = RV_INT, .i = i};
}

static struct rule_value v_num(double d)
{
    return (struct rule_value){.type = RV_NUM, .d = d};
}

static struct rule_value v_str(const char *s)
{
    return (struct rule_value){.type = RV_STR, .s = slice_from(s)};
}

static struct rule_value v_bool(bool b)
{
    return (struct rule_value){.type = RV_BOOL, .i = b};
}

static struct rule_value v_null(void)
{
    return (struct rule_value){.type = RV_NULL};
}

static int64_t iso(const char *s)
{
    int64_t us = 0;
    assert_int_equal(tstime_parse_iso(s, strlen(s), &us), 0);
    return us;
}

static struct rule_value v_time(const char *s)
{
    return (struct rule_value){.type = RV_TIME, .i = iso(s)};
}

/* ------------------------------------------------------------------ helpers */

static int compile_text(const char *text, struct arena *a, struct ruleset **rs,
                        struct rule_error *err)
{
    cJSON *json = NULL;
    struct json_error jerr;
    int rc = json_parse(text, strlen(text), JSON_DEPTH_MAX, &json, &jerr);
    if (rc < 0)
        print_message("test JSON does not parse at %zu: %s\n%s\n", jerr.offset, jerr.why, text);
    assert_int_equal(rc, 0);
    rc = rules_compile(json, a, rs, err);
    cJSON_Delete(json);
    return rc;
}

static struct ruleset *compile_ok(struct arena *a, const char *text)
{
    struct ruleset *rs = NULL;
    struct rule_error err;
    int rc = compile_text(text, a, &rs, &err);
    if (rc != 0)
        print_message("unexpected error %s: %s\nfor %s\n", err.where, err.message, text);
    assert_int_equal(rc, 0);
    assert_non_null(rs);
    return rs;
}

/* Compiles `text` expecting TREU_EINVAL at exactly `where` with `message_part` in the
 * message. */
static void expect_error(const char *text, const char *where, const char *message_part)
{
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = (struct ruleset *)1;
    struct rule_error err;
    int rc = compile_text(text, &a, &rs, &err);
    if (rc != TREU_EINVAL || strcmp(err.where, where) != 0 || !strstr(err.message, message_part))
        print_message("for %s\n  got rc=%d where=\"%s\" message=\"%s\"\n  want where=\"%s\" "
                      "message containing \"%s\"\n",
                      text, rc, err.where, err.message, where, message_part);
    assert_int_equal(rc, TREU_EINVAL);
    assert_null(rs);
    assert_string_equal(err.where, where);
    assert_non_null(strstr(err.message, message_part));
    arena_cleanup(&a);
}

static bool eval_ok(const struct ruleset *rs, struct fake *f)
{
    struct rule_input in = {fake_get, f};
    bool result = true;
    assert_int_equal(rules_eval(rs, &in, &result), 0);
    return result;
}

/* One rule on field "f" with the given conditions object, evaluated with f = v. */
static bool check(const char *conditions, struct rule_value v)
{
    char text[1024];
    int n =
        snprintf(text, sizeof text, "{\"1\": {\"name\": \"f\", \"conditions\": %s}}", conditions);
    assert_true(n > 0 && (size_t)n < sizeof text);
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = compile_ok(&a, text);
    struct fake f = {0};
    fake_set(&f, "f", v);
    bool r = eval_ok(rs, &f);
    arena_cleanup(&a);
    return r;
}

/* ------------------------------------------------------------------ equality */

static void test_is(void **state)
{
    (void)state;
    assert_true(check("{\"$is\": [\"gold\", \"silver\"]}", v_str("gold")));
    assert_true(check("{\"$is\": [\"gold\", \"silver\"]}", v_str("silver")));
    assert_false(check("{\"$is\": [\"gold\", \"silver\"]}", v_str("bronze")));
    assert_false(check("{\"$is\": [\"gold\"]}", v_str("Gold")));  /* bytewise */
    assert_false(check("{\"$is\": [\"gold\"]}", v_str("gol")));   /* no prefix match */
    assert_false(check("{\"$is\": [\"gold\"]}", v_str("golds"))); /* no prefix match */
    assert_true(check("{\"$is\": [\"\"]}", v_str("")));
    assert_true(check("{\"$is\": [5]}", v_int(5)));
    assert_true(check("{\"$is\": [5]}", v_num(5.0)));
    assert_false(check("{\"$is\": [5]}", v_int(6)));
    assert_false(check("{\"$is\": [5]}", v_str("5"))); /* no coercion */
    assert_true(check("{\"$is\": [4.5]}", v_num(4.5)));
    assert_false(check("{\"$is\": [4.5]}", v_int(4)));
    assert_true(check("{\"$is\": [5.0]}", v_int(5)));
    assert_true(check("{\"$is\": [true]}", v_bool(true)));
    assert_false(check("{\"$is\": [true]}", v_bool(false)));
    assert_false(check("{\"$is\": [true]}", v_str("true")));
    assert_false(check("{\"$is\": [true]}", v_int(1)));
    assert_false(check("{\"$is\": [1]}", v_bool(true)));
    assert_true(check("{\"$is\": [false]}", v_bool(false)));
}

static void test_is_instants(void **state)
{
    (void)state;
    const char *c = "{\"$is\": [\"2024-03-01T10:00:00Z\"]}";
    assert_true(check(c, v_time("2024-03-01T10:00:00Z")));
    assert_false(
        check(c, (struct rule_value){.type = RV_TIME, .i = iso("2024-03-01T10:00:00Z") + 1}));
    /* A string field is compared as a string, an instant as an instant. */
    assert_true(check(c, v_str("2024-03-01T10:00:00Z")));
    assert_false(check(c, v_str("2024-03-01T11:00:00+01:00")));
    assert_true(
        check("{\"$is\": [\"2024-03-01T11:00:00+01:00\"]}", v_time("2024-03-01T10:00:00Z")));
    /* A number is never an instant. */
    assert_false(check("{\"$is\": [0]}", (struct rule_value){.type = RV_TIME, .i = 0}));
}

static void test_is_not(void **state)
{
    (void)state;
    assert_false(check("{\"$is_not\": [\"gold\", \"silver\"]}", v_str("gold")));
    assert_true(check("{\"$is_not\": [\"gold\", \"silver\"]}", v_str("bronze")));
    assert_false(check("{\"$is_not\": [5]}", v_num(5.0)));
    assert_true(check("{\"$is_not\": [5]}", v_str("5"))); /* different types: not equal */
    assert_true(check("{\"$is_not\": [true]}", v_bool(false)));
    assert_false(check("{\"$is_not\": [true]}", v_bool(true)));
}

static void test_in_and_not_in(void **state)
{
    (void)state;
    assert_true(check("{\"$in\": [\"gold\", 3, true]}", v_int(3)));
    assert_true(check("{\"$in\": [\"gold\", 3, true]}", v_str("gold")));
    assert_true(check("{\"$in\": [\"gold\", 3, true]}", v_bool(true)));
    assert_false(check("{\"$in\": [\"gold\", 3, true]}", v_num(3.5)));
    assert_false(check("{\"$not_in\": [\"gold\", 3]}", v_num(3.0)));
    assert_true(check("{\"$not_in\": [\"gold\", 3]}", v_str("silver")));
}

/* ------------------------------------------------------------------ ordering */

static void test_order_integers(void **state)
{
    (void)state;
    const char *mt = "{\"$more_than\": [5000]}", *lt = "{\"$less_than\": [5000]}";
    const char *mte = "{\"$more_than_equal\": [5000]}", *lte = "{\"$less_than_equal\": [5000]}";
    assert_true(check(mt, v_int(5001)));
    assert_false(check(mt, v_int(5000)));
    assert_false(check(mt, v_int(4999)));
    assert_true(check(lt, v_int(4999)));
    assert_false(check(lt, v_int(5000)));
    assert_false(check(lt, v_int(5001)));
    assert_true(check(mte, v_int(5000)));
    assert_true(check(mte, v_int(5001)));
    assert_false(check(mte, v_int(4999)));
    assert_true(check(lte, v_int(5000)));
    assert_true(check(lte, v_int(4999)));
    assert_false(check(lte, v_int(5001)));
    assert_true(check("{\"$more_than\": [-10]}", v_int(-9)));
    assert_false(check("{\"$more_than\": [-10]}", v_int(-11)));
    /* No coercion of strings or booleans. */
    assert_false(check(mt, v_str("6000")));
    assert_false(check(lt, v_str("6000")));
    assert_false(check(mt, v_bool(true)));
}

static void test_order_int_vs_decimal(void **state)
{
    (void)state;
    assert_true(check("{\"$more_than\": [4.5]}", v_int(5)));
    assert_false(check("{\"$more_than\": [4.5]}", v_int(4)));
    assert_false(check("{\"$more_than\": [4.5]}", v_num(4.5)));
    assert_true(check("{\"$more_than_equal\": [4.5]}", v_num(4.5)));
    assert_true(check("{\"$less_than\": [10]}", v_num(9.99)));
    assert_false(check("{\"$less_than\": [10]}", v_num(10.0)));
    assert_true(check("{\"$less_than_equal\": [10]}", v_num(10.0)));
    assert_true(check("{\"$less_than\": [-4.5]}", v_int(-5)));
    assert_false(check("{\"$less_than\": [-4.5]}", v_int(-4)));
    assert_true(check("{\"$more_than\": [0.1]}", v_num(0.2)));
    /* 1e17 is a decimal constant (above 2^53); the integer beside it must not round to it. */
    assert_true(check("{\"$more_than\": [1e17]}", v_int(INT64_C(100000000000000001))));
    assert_false(check("{\"$more_than\": [1e17]}", v_int(INT64_C(100000000000000000))));
    assert_true(check("{\"$more_than_equal\": [1e17]}", v_int(INT64_C(100000000000000000))));
    assert_true(check("{\"$is\": [1e17]}", v_int(INT64_C(100000000000000000))));
    assert_false(check("{\"$is\": [1e17]}", v_int(INT64_C(99999999999999999))));
    assert_true(check("{\"$less_than\": [1e19]}", v_int(INT64_MAX)));
    assert_true(check("{\"$more_than\": [-1e19]}", v_int(INT64_MIN)));
    /* A field that is not a number at all (NaN) satisfies no comparison. */
    assert_false(check("{\"$more_than\": [1]}", v_num(NAN)));
    assert_false(check("{\"$less_than\": [1]}", v_num(NAN)));
    assert_false(check("{\"$less_than_equal\": [1.5]}", v_num(NAN)));
    assert_false(check("{\"$is\": [1]}", v_num(NAN)));
    assert_true(check("{\"$is_not\": [1]}", v_num(NAN)));
}

static void test_order_instants(void **state)
{
    (void)state;
    const char *mt = "{\"$more_than\": [\"2024-01-01\"]}";
    assert_true(check(mt, v_time("2024-01-01T00:00:00.000001Z")));
    assert_false(check(mt, v_time("2024-01-01T00:00:00Z")));
    assert_false(check(mt, v_time("2023-12-31T23:00:00Z")));
    assert_false(check(mt, v_str("2024-06-01")));     /* strings are not instants */
    assert_false(check(mt, v_int(INT64_C(1) << 60))); /* nor numbers */
    assert_true(check("{\"$less_than_equal\": [\"2024-01-01T00:00:00Z\"]}",
                      v_time("2024-01-01T00:00:00Z")));
    assert_false(
        check("{\"$less_than\": [\"2024-01-01T00:00:00Z\"]}", v_time("2024-01-01T00:00:00Z")));
    /* A numeric constant does not compare with an instant. */
    assert_false(check("{\"$more_than\": [0]}", v_time("2024-01-01T00:00:00Z")));
}

/* ------------------------------------------------------------------ strings */

static void test_string_ops(void **state)
{
    (void)state;
    const char *sw = "{\"$starts_with\": [\"ab\", \"x\"]}";
    assert_true(check(sw, v_str("abc")));
    assert_true(check(sw, v_str("xyz")));
    assert_true(check(sw, v_str("ab")));
    assert_false(check(sw, v_str("cab")));
    assert_false(check(sw, v_str("a")));
    assert_false(check(sw, v_str("")));
    assert_false(check(sw, v_int(1)));
    const char *ew = "{\"$ends_with\": [\"bc\"]}";
    assert_true(check(ew, v_str("abc")));
    assert_true(check(ew, v_str("bc")));
    assert_false(check(ew, v_str("bca")));
    assert_false(check(ew, v_str("c")));
    const char *co = "{\"$contains\": [\"ell\", \"caf\\u00e9\"]}";
    assert_true(check(co, v_str("hello")));
    assert_true(check(co, v_str("ell")));
    assert_true(check(co, v_str("le caf\xc3\xa9 noir")));
    assert_false(check(co, v_str("help")));
    assert_false(check(co, v_str("el")));
    assert_false(check(co, v_str("cafe")));
    assert_false(check(co, v_bool(true)));
    /* Case-sensitive, bytewise. */
    assert_false(check("{\"$contains\": [\"ELL\"]}", v_str("hello")));
}

/* ------------------------------------------------------------------ time */

static void test_time_ops(void **state)
{
    (void)state;
    const char *tf = "{\"$timeframe\": [\"2024-01-01T00:00:00Z\", \"2024-02-01T00:00:00Z\"]}";
    assert_true(check(tf, v_time("2024-01-01T00:00:00Z"))); /* start included */
    assert_true(check(tf, v_time("2024-01-15T12:00:00Z")));
    assert_true(check(tf, v_time("2024-01-31T23:59:59.999999Z")));
    assert_false(check(tf, v_time("2024-02-01T00:00:00Z"))); /* end excluded */
    assert_false(check(tf, v_time("2023-12-31T23:59:59.999999Z")));
    assert_false(check(tf, v_str("2024-01-15T12:00:00Z")));
    assert_false(check(tf, v_int(iso("2024-01-15T12:00:00Z"))));

    const char *af = "{\"$after\": [\"2024-01-01T00:00:00+02:00\"]}";
    int64_t t = iso("2023-12-31T22:00:00Z");
    assert_true(check(af, (struct rule_value){.type = RV_TIME, .i = t + 1}));
    assert_false(check(af, (struct rule_value){.type = RV_TIME, .i = t}));
    assert_false(check(af, (struct rule_value){.type = RV_TIME, .i = t - 1}));
    assert_false(check(af, v_int(t + 1)));

    const char *be = "{\"$before\": [\"2023-12-31T22:00:00Z\"]}";
    assert_true(check(be, (struct rule_value){.type = RV_TIME, .i = t - 1}));
    assert_false(check(be, (struct rule_value){.type = RV_TIME, .i = t}));
    assert_false(check(be, (struct rule_value){.type = RV_TIME, .i = t + 1}));
    assert_false(check(be, v_str("2000-01-01")));
}

/* ------------------------------------------------------------------ presence */

static void test_presence(void **state)
{
    (void)state;
    assert_true(check("{\"$is_unknown\": []}", v_null()));
    assert_true(check("{\"$is_unknown\": true}", v_null()));
    assert_false(check("{\"$is_unknown\": []}", v_str("")));
    assert_false(check("{\"$is_unknown\": []}", v_bool(false)));
    assert_false(check("{\"$has_value\": []}", v_null()));
    assert_false(check("{\"$has_value\": true}", v_null()));
    assert_true(check("{\"$has_value\": []}", v_bool(false)));
    assert_true(check("{\"$has_value\": []}", v_int(0)));
    assert_true(check("{\"$has_value\": true}", v_str("")));
}

/* An absent field satisfies only $is_not, $not_in and $is_unknown. */
static void test_missing_fields(void **state)
{
    (void)state;
    static const struct {
        const char *conditions;
        bool expected;
    } cases[] = {
        {"{\"$is\": [\"a\"]}", false},
        {"{\"$is_not\": [\"a\"]}", true},
        {"{\"$in\": [1, 2]}", false},
        {"{\"$not_in\": [1, 2]}", true},
        {"{\"$more_than\": [0]}", false},
        {"{\"$less_than\": [0]}", false},
        {"{\"$more_than_equal\": [0]}", false},
        {"{\"$less_than_equal\": [0]}", false},
        {"{\"$more_than\": [\"2024-01-01\"]}", false},
        {"{\"$starts_with\": [\"\"]}", false},
        {"{\"$ends_with\": [\"a\"]}", false},
        {"{\"$contains\": [\"a\"]}", false},
        {"{\"$timeframe\": [\"2000-01-01\", \"2100-01-01\"]}", false},
        {"{\"$after\": [\"2000-01-01\"]}", false},
        {"{\"$before\": [\"2100-01-01\"]}", false},
        {"{\"$is_unknown\": []}", true},
        {"{\"$has_value\": []}", false},
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(cases); i++) {
        /* The field is absent from the table: fake_get answers RV_NULL. */
        char text[512];
        snprintf(text, sizeof text, "{\"1\": {\"name\": \"absent\", \"conditions\": %s}}",
                 cases[i].conditions);
        struct arena a;
        arena_init(&a, TEST_ARENA_BYTES);
        struct ruleset *rs = compile_ok(&a, text);
        struct fake f = {0};
        fake_set(&f, "present", v_int(1));
        bool r = eval_ok(rs, &f);
        if (r != cases[i].expected)
            print_message("absent field with %s gave %d\n", cases[i].conditions, r);
        assert_int_equal(r, cases[i].expected);
        assert_int_equal(f.calls, 1);
        arena_cleanup(&a);
    }
}

static void test_several_operators_all_hold(void **state)
{
    (void)state;
    const char *c = "{\"$more_than\": [10], \"$less_than\": [20], \"$is_not\": [15]}";
    assert_true(check(c, v_int(11)));
    assert_true(check(c, v_num(19.5)));
    assert_false(check(c, v_int(15)));
    assert_false(check(c, v_int(10)));
    assert_false(check(c, v_int(20)));
    assert_false(check(c, v_null()));
}

/* ------------------------------------------------------------------ logic */

struct logic_case {
    const char *logic; /* NULL: no "logic" key */
    bool (*expected)(bool a, bool b, bool c);
};

static bool l_and3(bool a, bool b, bool c)
{
    return a && b && c;
}
static bool l_or_and(bool a, bool b, bool c)
{
    return a || (b && c);
}
static bool l_paren_or_and(bool a, bool b, bool c)
{
    return (a || b) && c;
}
static bool l_not_and(bool a, bool b, bool c)
{
    return (!a && b) || c;
}
static bool l_not_paren(bool a, bool b, bool c)
{
    return !(a && b) || c;
}
static bool l_mixed_case(bool a, bool b, bool c)
{
    return !a || (!!b && c);
}
static bool l_and_or(bool a, bool b, bool c)
{
    return (a && b) || c;
}
static bool l_repeat(bool a, bool b, bool c)
{
    return (a && !a) || (b && (c || a));
}

static void test_logic_precedence(void **state)
{
    (void)state;
    static const struct logic_case cases[] = {
        {NULL, l_and3},
        {"1 and 2 and 3", l_and3},
        {"1 or 2 and 3", l_or_and},
        {"(1 or 2) and 3", l_paren_or_and},
        {"not 1 and 2 or 3", l_not_and},
        {"not (1 and 2) or 3", l_not_paren},
        {"NOT 1 Or not NOT 2 AND 3", l_mixed_case},
        {"1 and 2 or 3", l_and_or},
        {"((1)) and (2) or ((3))", l_and_or},
        {"(1 and not 1) or (2 and (3 or 1))", l_repeat},
        {"1\tor\n2 and\r3", l_or_and},
        {"1or(2and3)", l_or_and},
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(cases); i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"1\": {\"name\": \"a\", \"conditions\": {\"$is\": [true]}},"
                 " \"2\": {\"name\": \"b\", \"conditions\": {\"$is\": [true]}},"
                 " \"3\": {\"name\": \"c\", \"conditions\": {\"$is\": [true]}}%s%s%s}",
                 cases[i].logic ? ", \"logic\": \"" : "", cases[i].logic ? cases[i].logic : "",
                 cases[i].logic ? "\"" : "");
        /* The JSON string needs its control characters escaped. */
        char esc[600];
        size_t k = 0;
        for (const char *p = text; *p && k + 3 < sizeof esc; p++) {
            if (*p == '\t' || *p == '\n' || *p == '\r') {
                esc[k++] = '\\';
                esc[k++] = *p == '\t' ? 't' : *p == '\n' ? 'n' : 'r';
            } else {
                esc[k++] = *p;
            }
        }
        esc[k] = '\0';
        struct arena a;
        arena_init(&a, TEST_ARENA_BYTES);
        struct ruleset *rs = compile_ok(&a, esc);
        for (unsigned m = 0; m < 8; m++) {
            bool va = m & 1, vb = m & 2, vc = m & 4;
            struct fake f = {0};
            fake_set(&f, "a", v_bool(va));
            fake_set(&f, "b", v_bool(vb));
            fake_set(&f, "c", v_bool(vc));
            bool want = cases[i].expected(va, vb, vc);
            bool got = eval_ok(rs, &f);
            if (got != want)
                print_message("logic \"%s\" with a=%d b=%d c=%d: got %d want %d\n",
                              cases[i].logic ? cases[i].logic : "(none)", va, vb, vc, got, want);
            assert_int_equal(got, want);
        }
        arena_cleanup(&a);
    }
}

/* Builds {"1": ..., "2": ..., "logic": "<depth '('> 1 and 2 <depth ')'>"}. */
static void nested_logic(char *text, size_t size, int depth)
{
    char logic[RULES_LOGIC_BYTES_MAX];
    size_t k = 0;
    for (int i = 0; i < depth; i++)
        logic[k++] = '(';
    memcpy(logic + k, "1 and not 2", 11);
    k += 11;
    for (int i = 0; i < depth; i++)
        logic[k++] = ')';
    logic[k] = '\0';
    snprintf(text, size,
             "{\"1\": {\"name\": \"a\", \"conditions\": {\"$is\": [true]}},"
             " \"2\": {\"name\": \"b\", \"conditions\": {\"$is\": [true]}},"
             " \"logic\": \"%s\"}",
             logic);
}

static void test_logic_depth_limit(void **state)
{
    (void)state;
    char text[1024];
    nested_logic(text, sizeof text, RULES_LOGIC_DEPTH_MAX);
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = compile_ok(&a, text);
    struct fake f = {0};
    fake_set(&f, "a", v_bool(true));
    fake_set(&f, "b", v_bool(false));
    assert_true(eval_ok(rs, &f));
    fake_set(&f, "b", v_bool(true));
    assert_false(eval_ok(rs, &f));
    arena_cleanup(&a);

    nested_logic(text, sizeof text, RULES_LOGIC_DEPTH_MAX + 1);
    expect_error(text, "logic", "parentheses nest deeper than 16 at position 17");
}

static void test_logic_normalized(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = compile_ok(&a, "{\"1\": {\"name\": \"a\", \"conditions\": {\"$is\": [1]}},"
                                        " \"2\": {\"name\": \"b\", \"conditions\": {\"$is\": [1]}},"
                                        " \"3\": {\"name\": \"c\", \"conditions\": {\"$is\": [1]}},"
                                        " \"logic\": \"  ( 1  AND 2)OR   NOT(Not 3 ) \"}");
    struct buf b;
    buf_init(&b, TEST_JSON_BYTES);
    assert_int_equal(rules_write_json(rs, &b), 0);
    assert_non_null(strstr(buf_cstr(&b), "\"logic\":\"(1 and 2) or not (not 3)\""));
    buf_cleanup(&b);
    arena_cleanup(&a);
}

/* ------------------------------------------------------------------ compile errors */

struct error_case {
    const char *json;
    const char *where;
    const char *message;
};

static void run_error_cases(const struct error_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        expect_error(cases[i].json, cases[i].where, cases[i].message);
}

#define RULE1(conds) "{\"1\": {\"name\": \"order.amount\", \"conditions\": " conds "}}"

static void test_errors_operators(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {RULE1("{\"$iss\": [1]}"), "1.conditions.$iss", "is not an operator"},
        {RULE1("{\"is\": [1]}"), "1.conditions.is", "is not an operator"},
        {RULE1("{\"$is\": [1], \"$is\": [2]}"), "1.conditions.$is", "appears twice"},
        {RULE1("{\"$more_than\": [\"abc\"]}"), "1.conditions.$more_than",
         "expects exactly one number or ISO 8601 instant"},
        {RULE1("{\"$more_than\": [1, 2]}"), "1.conditions.$more_than",
         "expects exactly one number or ISO 8601 instant"},
        {RULE1("{\"$more_than\": []}"), "1.conditions.$more_than",
         "expects exactly one number or ISO 8601 instant"},
        {RULE1("{\"$less_than\": 5}"), "1.conditions.$less_than",
         "expects exactly one number or ISO 8601 instant"},
        {RULE1("{\"$less_than_equal\": [true]}"), "1.conditions.$less_than_equal",
         "expects exactly one number or ISO 8601 instant"},
        {RULE1("{\"$more_than_equal\": [null]}"), "1.conditions.$more_than_equal",
         "expects exactly one number or ISO 8601 instant"},
        {RULE1("{\"$timeframe\": [\"2024-01-01\"]}"), "1.conditions.$timeframe",
         "expects exactly two ISO 8601 instants"},
        {RULE1("{\"$timeframe\": [1, 2]}"), "1.conditions.$timeframe",
         "expects exactly two ISO 8601 instants"},
        {RULE1("{\"$timeframe\": [\"2024-02-01\", \"2024-01-01\"]}"), "1.conditions.$timeframe",
         "starts at or after it ends"},
        {RULE1("{\"$timeframe\": [\"2024-01-01\", \"2024-01-01\"]}"), "1.conditions.$timeframe",
         "starts at or after it ends"},
        {RULE1("{\"$after\": [5]}"), "1.conditions.$after", "expects exactly one ISO 8601 instant"},
        {RULE1("{\"$before\": [\"yesterday\"]}"), "1.conditions.$before",
         "expects exactly one ISO 8601 instant"},
        {RULE1("{\"$before\": [\"2024-02-30\"]}"), "1.conditions.$before",
         "expects exactly one ISO 8601 instant"},
        {RULE1("{\"$is_unknown\": [1]}"), "1.conditions.$is_unknown",
         "expects an empty array (or true)"},
        {RULE1("{\"$has_value\": false}"), "1.conditions.$has_value",
         "expects an empty array (or true)"},
        {RULE1("{\"$starts_with\": [1]}"), "1.conditions.$starts_with",
         "expects an array of 1 to 100 strings"},
        {RULE1("{\"$contains\": []}"), "1.conditions.$contains",
         "expects an array of 1 to 100 strings"},
        {RULE1("{\"$ends_with\": \"x\"}"), "1.conditions.$ends_with",
         "expects an array of 1 to 100 strings"},
        {RULE1("{\"$is\": []}"), "1.conditions.$is",
         "expects an array of 1 to 100 numbers, strings or booleans"},
        {RULE1("{\"$is\": \"gold\"}"), "1.conditions.$is",
         "expects an array of 1 to 100 numbers, strings or booleans"},
        {RULE1("{\"$in\": [1, null]}"), "1.conditions.$in",
         "expects an array of 1 to 100 numbers, strings or booleans"},
        {RULE1("{\"$in\": [[1]]}"), "1.conditions.$in",
         "expects an array of 1 to 100 numbers, strings or booleans"},
        {RULE1("{\"$not_in\": [{\"a\": 1}]}"), "1.conditions.$not_in",
         "expects an array of 1 to 100 numbers, strings or booleans"},
    };
    run_error_cases(cases, TREU_ARRAY_LEN(cases));
}

static void test_errors_rule_shape(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"{\"1\": {\"name\": \"a\"}}", "1.conditions", "is required"},
        {"{\"1\": {\"name\": \"a\", \"conditions\": {}}}", "1.conditions", "has no operators"},
        {"{\"1\": {\"name\": \"a\", \"conditions\": []}}", "1.conditions", "must be an object"},
        {"{\"1\": {\"conditions\": {\"$is\": [1]}}}", "1.name", "is required"},
        {"{\"1\": {\"name\": 5, \"conditions\": {\"$is\": [1]}}}", "1.name", "must be a string"},
        {"{\"1\": {\"name\": \"\", \"conditions\": {\"$is\": [1]}}}", "1.name",
         "must not be empty"},
        {"{\"1\": {\"name\": \"Order.amount\", \"conditions\": {\"$is\": [1]}}}", "1.name",
         "may contain only a-z, 0-9, '_' and '.'; found byte 0x4F at offset 0"},
        {"{\"1\": {\"name\": \"order-amount\", \"conditions\": {\"$is\": [1]}}}", "1.name",
         "may contain only"},
        {"{\"1\": {\"name\": \"order..amount\", \"conditions\": {\"$is\": [1]}}}", "1.name",
         "empty segment"},
        {"{\"1\": {\"name\": \".order\", \"conditions\": {\"$is\": [1]}}}", "1.name",
         "empty segment"},
        {"{\"1\": {\"name\": \"order.\", \"conditions\": {\"$is\": [1]}}}", "1.name",
         "empty segment"},
        {"{\"1\": {\"name\": \"a\", \"property\": 5, \"conditions\": {\"$is\": [1]}}}",
         "1.property", "must be a string"},
        {"{\"1\": {\"name\": \"a\", \"property\": \"pet name\", \"conditions\": {\"$is\": [1]}}}",
         "1.property", "may contain only a-z, A-Z, 0-9, '_', '-' and '.'"},
        {"{\"1\": {\"name\": \"a\", \"property\": \"\", \"conditions\": {\"$is\": [1]}}}",
         "1.property", "must not be empty"},
        {"{\"1\": {\"name\": \"a\", \"conditions\": {\"$is\": [1]}, \"foo\": 1}}", "1.foo",
         "unknown key"},
        {"{\"1\": {\"name\": \"a\", \"name\": \"b\", \"conditions\": {\"$is\": [1]}}}", "1.name",
         "appears twice"},
        {"{\"1\": {\"name\": \"a\", \"conditions\": {\"$is\": [1]}, \"rules\": {\"1\": {}}}}",
         "1.rules", "nested rules are not supported yet"},
        {"{\"1\": {\"name\": \"a\", \"conditions\": {\"$is\": [1]}, \"rules\": []}}", "1.rules",
         "must be an object"},
        {"{\"1\": {\"name\": \"a\", \"conditions\": {\"$is\": [1]}, \"error\": \"x\"}}", "1.error",
         "must be an object"},
        {"{\"1\": 5}", "1", "must be an object"},
    };
    run_error_cases(cases, TREU_ARRAY_LEN(cases));
}

#define R(n) "\"" #n "\": {\"name\": \"f" #n "\", \"conditions\": {\"$is\": [1]}}"

static void test_errors_top_level(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"[]", "rules", "must be an object"},
        {"{}", "rules", "has no rules"},
        {"{\"logic\": \"1\"}", "rules", "has no rules"},
        {"{" R(1) ", \"foo\": 1}", "foo", "unknown key"},
        {"{" R(1) ", \"Logic\": \"1\"}", "Logic", "unknown key"},
        {"{" R(1) ", \"-1\": 1}", "-1", "unknown key"},
        {"{" R(0) "}", "0", "rule numbers run from 1 to 32, without leading zeros"},
        {"{\"01\": {\"name\": \"a\", \"conditions\": {\"$is\": [1]}}}", "01",
         "rule numbers run from 1 to 32"},
        {"{" R(33) "}", "33", "rule numbers run from 1 to 32"},
        {"{\"99999999999999999999\": 1}", "99999999999999999999", "rule numbers run from 1"},
        {"{" R(1) ", " R(1) "}", "1", "appears twice"},
        {"{" R(1) ", \"logic\": \"1\", \"logic\": \"1\"}", "logic", "appears twice"},
    };
    run_error_cases(cases, TREU_ARRAY_LEN(cases));
}

static void test_errors_logic(void **state)
{
    (void)state;
#define L2(logic) "{" R(1) ", " R(2) ", \"logic\": " logic "}"
    static const struct error_case cases[] = {
        {L2("\"1 and 2 or 4\""), "logic", "unknown rule 4 at position 12"},
        {L2("\"1 and 2 or 0\""), "logic", "unknown rule 0 at position 12"},
        {L2("\"01 and 2\""), "logic", "unknown rule 01 at position 1"},
        {L2("\"1 and 2 or 99999999999999999999\""), "logic",
         "unknown rule 99999999999999999999 at position 12"},
        {L2("\"(1 and 2\""), "logic", "unclosed '(' at position 1"},
        {L2("\"((1 and 2)\""), "logic", "unclosed '(' at position 1"},
        {L2("\"(1) and (2\""), "logic", "unclosed '(' at position 9"},
        {L2("\"1 and 2)\""), "logic", "unmatched ')' at position 8"},
        {L2("\"(1 and 2))\""), "logic", "unmatched ')' at position 10"},
        {L2("\"1 and\""), "logic", "ends early"},
        {L2("\"1 and 2 not\""), "logic", "expected 'and', 'or' or ')' at position 9, found 'not'"},
        {L2("\"not\""), "logic", "ends early"},
        {L2("\"1 2\""), "logic", "expected 'and', 'or' or ')' at position 3, found '2'"},
        {L2("\"1 (2)\""), "logic", "expected 'and', 'or' or ')' at position 3, found '('"},
        {L2("\"and 1 2\""), "logic", "expected a rule number, 'not' or '(' at position 1"},
        {L2("\"1 and or 2\""), "logic", "at position 7, found 'or'"},
        {L2("\"1 and () 2\""), "logic", "expected a rule number, 'not' or '(' at position 8"},
        {L2("\"1 xor 2\""), "logic", "unknown word 'xor' at position 3"},
        {L2("\"1 andnot 2\""), "logic", "unknown word 'andnot' at position 3"},
        {L2("\"1 & 2\""), "logic", "unexpected character '&' at position 3"},
        {L2("\"1 \\u00e9 2\""), "logic", "unexpected byte 0xC3 at position 3"},
        {L2("\"\""), "logic", "is empty"},
        {L2("\"   \""), "logic", "is empty"},
        {L2("5"), "logic", "must be a string"},
        {L2("null"), "logic", "must be a string"},
        {"{" R(1) ", " R(2) ", " R(3) ", \"logic\": \"1 and 2\"}", "logic", "rule 3 is not used"},
        {"{" R(1) ", " R(2) ", " R(3) ", \"logic\": \"3 or 3\"}", "logic", "rule 1 is not used"},
    };
#undef L2
    run_error_cases(cases, TREU_ARRAY_LEN(cases));
}

static void test_error_values_built_in_code(void **state)
{
    (void)state;
    cJSON *root = cJSON_CreateObject();
    cJSON *rule = cJSON_AddObjectToObject(root, "1");
    cJSON_AddStringToObject(rule, "name", "a");
    cJSON *conds = cJSON_AddObjectToObject(rule, "conditions");
    cJSON *arr = cJSON_AddArrayToObject(conds, "$in");
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(1));
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(INFINITY));
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = NULL;
    struct rule_error err;
    assert_int_equal(rules_compile(root, &a, &rs, &err), TREU_EINVAL);
    assert_string_equal(err.where, "1.conditions.$in");
    assert_string_equal(err.message, "value 1 is not a finite number");
    /* Strings from a tree built in code have not been through json_parse's UTF-8 check. */
    cJSON_DeleteItemFromObject(conds, "$in");
    cJSON *bad = cJSON_AddArrayToObject(conds, "$contains");
    cJSON_AddItemToArray(bad, cJSON_CreateString("ok"));
    cJSON_AddItemToArray(bad, cJSON_CreateString("caf\xc3"));
    assert_int_equal(rules_compile(root, &a, &rs, &err), TREU_EINVAL);
    assert_string_equal(err.where, "1.conditions.$contains");
    assert_string_equal(err.message, "value 1 is not valid UTF-8");
    /* A NULL error struct is allowed. */
    assert_int_equal(rules_compile(root, &a, &rs, NULL), TREU_EINVAL);
    assert_null(rs);
    arena_cleanup(&a);
    cJSON_Delete(root);
}

/* ------------------------------------------------------------------ limits */

/* {"1": ..., "n": ...} with `n` rules on distinct fields, optional logic "1 or 2 ... n". */
static char *many_rules(size_t n, bool with_logic)
{
    struct buf b;
    buf_init(&b, TEST_JSON_BYTES);
    assert_int_equal(buf_putc(&b, '{'), 0);
    for (size_t i = 1; i <= n; i++)
        buf_printf(&b, "%s\"%zu\": {\"name\": \"f%zu\", \"conditions\": {\"$is\": [%zu]}}",
                   i > 1 ? ", " : "", i, i, i);
    if (with_logic) {
        buf_puts(&b, ", \"logic\": \"");
        for (size_t i = 1; i <= n; i++)
            buf_printf(&b, "%s%zu", i > 1 ? " or " : "", i);
        buf_putc(&b, '"');
    }
    buf_putc(&b, '}');
    assert_int_equal(b.err, 0);
    char *s = buf_take(&b);
    assert_non_null(s);
    return s;
}

static void test_too_many_rules(void **state)
{
    (void)state;
    char *ok = many_rules(RULES_CONDITIONS_MAX, true);
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = compile_ok(&a, ok);
    struct slice fields[RULES_CONDITIONS_MAX];
    assert_int_equal(rules_fields(rs, fields, RULES_CONDITIONS_MAX), RULES_CONDITIONS_MAX);
    assert_true(slice_eq_str(fields[0], "f1"));
    assert_true(slice_eq_str(fields[RULES_CONDITIONS_MAX - 1], "f32"));
    struct fake f = {0};
    fake_set(&f, "f32", v_int(32));
    assert_true(eval_ok(rs, &f));
    fake_set(&f, "f32", v_int(31));
    assert_false(eval_ok(rs, &f));
    arena_cleanup(&a);
    free(ok);

    char *over = many_rules(RULES_CONDITIONS_MAX + 1, false);
    expect_error(over, "rules", "has 33 rules; at most 32");
    free(over);
}

static char *rule_with_values(size_t n)
{
    struct buf b;
    buf_init(&b, TEST_JSON_BYTES);
    buf_puts(&b, "{\"1\": {\"name\": \"f\", \"conditions\": {\"$in\": [");
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%zu", i ? ", " : "", i);
    buf_puts(&b, "]}}}");
    assert_int_equal(b.err, 0);
    char *s = buf_take(&b);
    assert_non_null(s);
    return s;
}

static void test_too_many_values(void **state)
{
    (void)state;
    char *ok = rule_with_values(RULES_VALUES_MAX);
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = compile_ok(&a, ok);
    struct fake f = {0};
    fake_set(&f, "f", v_int(RULES_VALUES_MAX - 1));
    assert_true(eval_ok(rs, &f));
    fake_set(&f, "f", v_int(RULES_VALUES_MAX));
    assert_false(eval_ok(rs, &f));
    arena_cleanup(&a);
    free(ok);

    char *over = rule_with_values(RULES_VALUES_MAX + 1);
    expect_error(over, "1.conditions.$in", "has 101 values; at most 100");
    free(over);
}

static void fill(char *s, char ch, size_t n)
{
    memset(s, ch, n);
    s[n] = '\0';
}

static void test_long_strings(void **state)
{
    (void)state;
    char v[RULES_VALUE_BYTES_MAX + 2], text[2048];
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);

    fill(v, 'x', RULES_VALUE_BYTES_MAX);
    snprintf(text, sizeof text, "{\"1\": {\"name\": \"f\", \"conditions\": {\"$is\": [\"%s\"]}}}",
             v);
    struct ruleset *rs = compile_ok(&a, text);
    struct fake f = {0};
    fake_set(&f, "f", v_str(v));
    assert_true(eval_ok(rs, &f));
    fill(v, 'x', RULES_VALUE_BYTES_MAX + 1);
    snprintf(text, sizeof text,
             "{\"1\": {\"name\": \"f\", \"conditions\": {\"$starts_with\": [\"a\", \"%s\"]}}}", v);
    expect_error(text, "1.conditions.$starts_with", "value 1 is 256 bytes; at most 255");

    /* name alone */
    char name[RULES_FIELD_BYTES_MAX + 2];
    fill(name, 'n', RULES_FIELD_BYTES_MAX);
    snprintf(text, sizeof text, "{\"1\": {\"name\": \"%s\", \"conditions\": {\"$is\": [1]}}}",
             name);
    compile_ok(&a, text);
    fill(name, 'n', RULES_FIELD_BYTES_MAX + 1);
    snprintf(text, sizeof text, "{\"1\": {\"name\": \"%s\", \"conditions\": {\"$is\": [1]}}}",
             name);
    expect_error(text, "1.name", "is 129 bytes; at most 128");

    /* name + "." + property: 100 + 1 + 27 = 128 fits, one more does not */
    char prop[64];
    fill(name, 'n', 100);
    fill(prop, 'P', 27);
    snprintf(text, sizeof text,
             "{\"1\": {\"name\": \"%s\", \"property\": \"%s\", \"conditions\": {\"$is\": [1]}}}",
             name, prop);
    rs = compile_ok(&a, text);
    struct slice fl[1];
    assert_int_equal(rules_fields(rs, fl, 1), 1);
    assert_int_equal(fl[0].len, RULES_FIELD_BYTES_MAX);
    fill(prop, 'P', 28);
    snprintf(text, sizeof text,
             "{\"1\": {\"name\": \"%s\", \"property\": \"%s\", \"conditions\": {\"$is\": [1]}}}",
             name, prop);
    expect_error(text, "1.property", "field path (name + \".\" + property) is 129 bytes");
    arena_cleanup(&a);
}

static void test_logic_length_limits(void **state)
{
    (void)state;
    char logic[RULES_LOGIC_BYTES_MAX + 2], text[1024];
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);

    /* Exactly RULES_LOGIC_BYTES_MAX raw bytes (padding spaces) is accepted. */
    fill(logic, ' ', RULES_LOGIC_BYTES_MAX);
    memcpy(logic, "1 or 2", 6);
    snprintf(text, sizeof text, "{" R(1) ", " R(2) ", \"logic\": \"%s\"}", logic);
    compile_ok(&a, text);
    fill(logic, ' ', RULES_LOGIC_BYTES_MAX + 1);
    memcpy(logic, "1 or 2", 6);
    snprintf(text, sizeof text, "{" R(1) ", " R(2) ", \"logic\": \"%s\"}", logic);
    expect_error(text, "logic", "is 257 bytes; at most 256");

    /* Short raw text whose normalized form would not fit is refused too, so that what
     * rules_write_json writes always compiles again. */
    size_t k = 0;
    logic[k++] = '1';
    while (k + 3 <= RULES_LOGIC_BYTES_MAX) {
        memcpy(logic + k, "or2", 3);
        k += 3;
    }
    logic[k] = '\0';
    snprintf(text, sizeof text, "{" R(1) ", " R(2) ", \"logic\": \"%s\"}", logic);
    expect_error(text, "logic", "is longer than 256 bytes once written with single spaces");
    arena_cleanup(&a);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 64);
    struct ruleset *rs = NULL;
    struct rule_error err;
    assert_int_equal(compile_text("{" R(1) "}", &a, &rs, &err), TREU_ENOMEM);
    assert_null(rs);
    assert_string_equal(err.message, "out of memory compiling the rule set");
    arena_cleanup(&a);
}

/* ------------------------------------------------------------------ evaluation */

static void test_get_error_propagates(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = compile_ok(&a, "{" R(1) ", " R(2) ", \"logic\": \"1 or 2\"}");
    struct fake f = {0};
    fake_set(&f, "f1", v_int(1));
    fake_set(&f, "f2", v_int(1));
    f.fail_on = "f2";
    f.fail_rc = TREU_EIO;
    struct rule_input in = {fake_get, &f};
    bool result = true;
    assert_int_equal(rules_eval(rs, &in, &result), TREU_EIO);
    assert_false(result);
    f.fail_on = "f1";
    f.fail_rc = TREU_EBUSY;
    result = true;
    assert_int_equal(rules_eval(rs, &in, &result), TREU_EBUSY);
    assert_false(result);
    arena_cleanup(&a);
}

static void test_field_cache(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    /* Rules 1-3 read the same field, spelled two ways; rule 4 another one. */
    struct ruleset *rs = compile_ok(
        &a, "{\"1\": {\"name\": \"customer\", \"property\": \"tier\","
            "        \"conditions\": {\"$is\": [\"gold\"]}},"
            " \"2\": {\"name\": \"customer.tier\", \"conditions\": {\"$has_value\": []}},"
            " \"3\": {\"name\": \"customer\", \"property\": \"tier\","
            "        \"conditions\": {\"$starts_with\": [\"g\"]}},"
            " \"4\": {\"name\": \"order.amount\", \"conditions\": {\"$more_than\": [100]}},"
            " \"logic\": \"1 and 2 and 3 and 4 or 4\"}");
    struct slice fields[4];
    assert_int_equal(rules_fields(rs, fields, 4), 2);
    assert_true(slice_eq_str(fields[0], "customer.tier"));
    assert_true(slice_eq_str(fields[1], "order.amount"));
    assert_int_equal(rules_fields(rs, fields, 1), 2); /* count even when `max` is smaller */
    assert_int_equal(rules_fields(rs, NULL, 0), 2);

    struct fake f = {0};
    fake_set(&f, "customer.tier", v_str("gold"));
    fake_set(&f, "order.amount", v_int(150));
    assert_true(eval_ok(rs, &f));
    assert_int_equal(f.calls, 2);
    assert_int_equal(f.calls_per[0], 1);
    assert_int_equal(f.calls_per[1], 1);
    /* The cache lives for one evaluation only. */
    fake_set(&f, "order.amount", v_int(50));
    assert_false(eval_ok(rs, &f));
    assert_int_equal(f.calls, 4);
    assert_int_equal(f.calls_per[0], 2);
    arena_cleanup(&a);
}

/* Without "logic" all rules are ANDed, and reading stops at the first false one. */
static void test_implicit_and_stops_early(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = compile_ok(&a, "{" R(2) ", " R(1) ", " R(3) "}");
    struct fake f = {0};
    fake_set(&f, "f1", v_int(1)); /* R(n) rules all test "$is": [1] */
    fake_set(&f, "f2", v_int(1));
    fake_set(&f, "f3", v_int(1));
    assert_true(eval_ok(rs, &f));
    assert_int_equal(f.calls, 3);
    fake_set(&f, "f1", v_int(0));
    f.calls = 0;
    assert_false(eval_ok(rs, &f));
    assert_int_equal(f.calls, 1); /* rules run in number order: rule 1 decided */
    arena_cleanup(&a);
}

/* ------------------------------------------------------------------ round trip */

static char *write_json(const struct ruleset *rs)
{
    struct buf b;
    buf_init(&b, TEST_JSON_BYTES);
    assert_int_equal(rules_write_json(rs, &b), 0);
    char *s = buf_take(&b);
    assert_non_null(s);
    return s;
}

static void test_round_trip(void **state)
{
    (void)state;
    static const char *const input =
        "{\"3\": {\"name\": \"order.amount\", \"conditions\": "
        "         {\"$less_than\": [10000.0], \"$more_than_equal\": [49.99]}},"
        " \"1\": {\"name\": \"customer.metadata\", \"property\": \"Pet-Name_1\","
        "         \"conditions\": {\"$in\": [\"dog\", \"caf\\u00e9\", \"q\\\"<&>\", 4.5, "
        "          -2.75, 0.1, 1e20, 7, true, false, \"2024-01-01\"]},"
        "         \"rules\": {}, \"error\": {\"message\": \"pets only\"}},"
        " \"2\": {\"name\": \"customer.tier\", \"property\": null, \"conditions\": "
        "         {\"$is_unknown\": true}},"
        " \"4\": {\"name\": \"event.time\", \"conditions\": {\"$timeframe\": "
        "         [\"2024-01-01T00:00:00Z\", \"2024-12-31T23:00:00-01:00\"],"
        "         \"$after\": [\"2024-01-01\"], \"$before\": [\"2030-01-01T00:00:00.5Z\"]}},"
        " \"5\": {\"name\": \"customer.name\", \"conditions\": {\"$starts_with\": [\"A\"],"
        "         \"$ends_with\": [\"z\"], \"$contains\": [\"m\"], \"$has_value\": [],"
        "         \"$is_not\": [\"Amz\"], \"$not_in\": [\"Abz\"], \"$is\": [\"Amnz\"],"
        "         \"$less_than_equal\": [1], \"$more_than\": [\"2020-01-01\"]}},"
        " \"logic\": \" NOT(1 AND 2)or (3 and (4 OR 5)) \"}";
    static const char *const canonical =
        "{\"1\":{\"name\":\"customer.metadata\",\"property\":\"Pet-Name_1\",\"conditions\":"
        "{\"$in\":[\"dog\",\"caf\xc3\xa9\",\"q\\\"\\u003c\\u0026\\u003e\",4.5,-2.75,0.1,1e+20,7,"
        "true,false,\"2024-01-01\"]}},"
        "\"2\":{\"name\":\"customer.tier\",\"conditions\":{\"$is_unknown\":[]}},"
        "\"3\":{\"name\":\"order.amount\",\"conditions\":{\"$less_than\":[10000],"
        "\"$more_than_equal\":[49.99]}},"
        "\"4\":{\"name\":\"event.time\",\"conditions\":{\"$timeframe\":[\"2024-01-01T00:00:00Z\","
        "\"2024-12-31T23:00:00-01:00\"],\"$after\":[\"2024-01-01\"],"
        "\"$before\":[\"2030-01-01T00:00:00.5Z\"]}},"
        "\"5\":{\"name\":\"customer.name\",\"conditions\":{\"$is\":[\"Amnz\"],"
        "\"$is_not\":[\"Amz\"],\"$not_in\":[\"Abz\"],\"$more_than\":[\"2020-01-01\"],"
        "\"$less_than_equal\":[1],\"$starts_with\":[\"A\"],\"$ends_with\":[\"z\"],"
        "\"$contains\":[\"m\"],\"$has_value\":[]}},"
        "\"logic\":\"not (1 and 2) or (3 and (4 or 5))\"}";
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs1 = compile_ok(&a, input);
    char *out1 = write_json(rs1);
    if (strcmp(out1, canonical) != 0)
        print_message("got  %s\nwant %s\n", out1, canonical);
    assert_string_equal(out1, canonical);
    struct ruleset *rs2 = compile_ok(&a, out1);
    char *out2 = write_json(rs2);
    assert_string_equal(out1, out2);

    /* Same answers from both compilations. */
    static const char *const pets[] = {"dog", "cat", NULL};
    for (size_t p = 0; p < 3; p++) {
        for (int tier = 0; tier < 2; tier++) {
            struct fake f = {0};
            if (pets[p])
                fake_set(&f, "customer.metadata.Pet-Name_1", v_str(pets[p]));
            if (tier)
                fake_set(&f, "customer.tier", v_str("gold"));
            fake_set(&f, "order.amount", v_num(49.99));
            fake_set(&f, "event.time", v_time("2023-06-01T00:00:00Z")); /* rule 4 false */
            bool r1 = eval_ok(rs1, &f), r2 = eval_ok(rs2, &f);
            assert_int_equal(r1, r2);
            /* not (1 and 2) or (3 and false): false only when the pet matches and no tier. */
            assert_int_equal(r1, !(p == 0 && !tier));
        }
    }
    free(out1);
    free(out2);
    arena_cleanup(&a);
}

static void test_round_trip_without_logic(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = compile_ok(&a, "{" R(2) ", " R(1) "}");
    char *out = write_json(rs);
    assert_string_equal(out, "{\"1\":{\"name\":\"f1\",\"conditions\":{\"$is\":[1]}},"
                             "\"2\":{\"name\":\"f2\",\"conditions\":{\"$is\":[1]}}}");
    struct ruleset *rs2 = compile_ok(&a, out);
    char *out2 = write_json(rs2);
    assert_string_equal(out, out2);
    free(out);
    free(out2);
    arena_cleanup(&a);
}

/* ------------------------------------------------------------------ throughput */

static int table_get(void *ctx, struct slice field, struct rule_value *out)
{
    const struct fake *f = ctx;
    for (size_t i = 0; i < f->n; i++) {
        if (slice_eq_str(field, f->fields[i].name)) {
            *out = f->fields[i].v;
            return 0;
        }
    }
    *out = (struct rule_value){.type = RV_NULL};
    return 0;
}

/* Printed, not asserted: the number depends on the machine and on the sanitizers. */
static void test_throughput(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, TEST_ARENA_BYTES);
    struct ruleset *rs = compile_ok(
        &a, "{\"1\": {\"name\": \"customer.tier\", \"conditions\": {\"$in\": [\"gold\", "
            "\"silver\", \"platinum\"]}},"
            " \"2\": {\"name\": \"order.amount\", \"conditions\": {\"$more_than\": [5000]}},"
            " \"3\": {\"name\": \"customer.metadata\", \"property\": \"pet\","
            "        \"conditions\": {\"$is\": [\"dog\", \"cat\"]}},"
            " \"4\": {\"name\": \"time.weekday\", \"conditions\": {\"$in\": [6, 7]}},"
            " \"5\": {\"name\": \"event.time\", \"conditions\": {\"$timeframe\": "
            "        [\"2024-01-01\", \"2025-01-01\"]}},"
            " \"6\": {\"name\": \"customer.email\", \"conditions\": {\"$ends_with\": "
            "        [\"@example.com\"]}},"
            " \"7\": {\"name\": \"customer.balance\", \"conditions\": {\"$more_than_equal\": "
            "        [100], \"$less_than\": [100000]}},"
            " \"8\": {\"name\": \"customer.skin_tone\", \"conditions\": {\"$has_value\": []}},"
            " \"9\": {\"name\": \"order.items_count\", \"conditions\": {\"$more_than\": [2.5]}},"
            " \"10\": {\"name\": \"customer.segment\", \"conditions\": {\"$not_in\": "
            "        [\"blocked\"]}},"
            " \"logic\": \"(1 and 2) or (3 and not 4) and 5 and (6 or 7) and 8 and 9 and 10\"}");
    struct fake f = {0};
    fake_set(&f, "customer.tier", v_str("silver"));
    fake_set(&f, "order.amount", v_int(4000));
    fake_set(&f, "customer.metadata.pet", v_str("dog"));
    fake_set(&f, "time.weekday", v_int(3));
    fake_set(&f, "event.time", v_time("2024-06-01T12:00:00Z"));
    fake_set(&f, "customer.email", v_str("ann@example.com"));
    fake_set(&f, "customer.balance", v_int(2500));
    fake_set(&f, "customer.skin_tone", v_str("fair"));
    fake_set(&f, "order.items_count", v_int(3));
    fake_set(&f, "customer.segment", v_str("regular"));
    struct rule_input in = {table_get, &f};
    enum { ROUNDS = 1000000 };
    unsigned hits = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < ROUNDS; i++) {
        bool r = false;
        assert_int_equal(rules_eval(rs, &in, &r), 0);
        hits += r;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("throughput: %d evaluations of a 10-condition set in %.3f s = %.0f/s "
                  "(%.0f ns each)\n",
                  ROUNDS, s, ROUNDS / s, s * 1e9 / ROUNDS);
    assert_int_equal(hits, ROUNDS); /* the set is true for this input */
    arena_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is),
        cmocka_unit_test(test_is_instants),
        cmocka_unit_test(test_is_not),
        cmocka_unit_test(test_in_and_not_in),
        cmocka_unit_test(test_order_integers),
        cmocka_unit_test(test_order_int_vs_decimal),
        cmocka_unit_test(test_order_instants),
        cmocka_unit_test(test_string_ops),
        cmocka_unit_test(test_time_ops),
        cmocka_unit_test(test_presence),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_several_operators_all_hold),
        cmocka_unit_test(test_logic_precedence),
        cmocka_unit_test(test_logic_depth_limit),
        cmocka_unit_test(test_logic_normalized),
        cmocka_unit_test(test_errors_operators),
        cmocka_unit_test(test_errors_rule_shape),
        cmocka_unit_test(test_errors_top_level),
        cmocka_unit_test(test_errors_logic),
        cmocka_unit_test(test_error_values_built_in_code),
        cmocka_unit_test(test_too_many_rules),
        cmocka_unit_test(test_too_many_values),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_logic_length_limits),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_get_error_propagates),
        cmocka_unit_test(test_field_cache),
        cmocka_unit_test(test_implicit_and_stops_early),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_without_logic),
        cmocka_unit_test(test_throughput),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
