/* core_test.c - unit tests for src/core: arena, buf, json, tstime, ids, validate.
 * Every expectation is an exact value taken from the header contracts; boundaries are
 * tested at the limit and one past it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/tstime.h"
#include "core/validate.h"

#include <string.h>

/* A byte-string literal with its length, embedded NULs included. */
#define BYTES(s) (s), (sizeof(s) - 1)

/* ------------------------------------------------------------------ arena */

static void test_arena_alloc_aligned(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 1024 * 1024);
    static const size_t sizes[] = {1, 3, 16, 17, 100, 4095, 5000, 9000, 1, 7};
    unsigned char *ptrs[TREU_ARRAY_LEN(sizes)];
    for (size_t i = 0; i < TREU_ARRAY_LEN(sizes); i++) {
        ptrs[i] = arena_alloc(&a, sizes[i]);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % 16, 0);
        memset(ptrs[i], (int)(i + 1), sizes[i]);
    }
    /* No allocation overwrote another. */
    for (size_t i = 0; i < TREU_ARRAY_LEN(sizes); i++)
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(ptrs[i][k], i + 1);
    assert_true(a.used_bytes <= a.cap_bytes);
    arena_cleanup(&a);
    assert_null(a.head);
    assert_int_equal(a.used_bytes, 0);
}

static void test_arena_zero_size_and_zalloc(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 1024 * 1024);
    void *p = arena_alloc(&a, 0);
    void *q = arena_alloc(&a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    unsigned char *dirty = arena_alloc(&a, 64);
    assert_non_null(dirty);
    memset(dirty, 0xAB, 64);
    unsigned char *z = arena_zalloc(&a, 300);
    assert_non_null(z);
    for (size_t i = 0; i < 300; i++)
        assert_int_equal(z[i], 0);
    arena_cleanup(&a);
    arena_cleanup(NULL);
}

static void test_arena_cap(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 64 * 1024);
    /* One allocation bigger than the whole cap. */
    assert_null(arena_alloc(&a, 128 * 1024));
    assert_int_equal(a.used_bytes, 0);
    /* Overflowing sizes are refused, never wrapped. */
    assert_null(arena_alloc(&a, SIZE_MAX));
    assert_null(arena_alloc(&a, SIZE_MAX - 8));
    assert_int_equal(a.used_bytes, 0);

    size_t count = 0;
    while (arena_alloc(&a, 1000) != NULL) {
        count++;
        assert_true(count < 1000);
    }
    assert_true(a.used_bytes <= a.cap_bytes);
    assert_true(count * 1000 <= 64 * 1024);
    /* Most of the cap is usable (at most two blocks' worth of slack). */
    assert_true(count * 1000 >= 64 * 1024 - 2 * 8192 - 1024);
    /* Still refused once full. */
    assert_null(arena_alloc(&a, 1000));
    assert_null(arena_alloc(&a, 8192));
    arena_cleanup(&a);

    /* After cleanup + init it works again. */
    arena_init(&a, 64 * 1024);
    assert_non_null(arena_alloc(&a, 1000));
    arena_cleanup(&a);
}

static void test_arena_strndup(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 64 * 1024);
    char *s = arena_strndup(&a, "hello world", 5);
    assert_non_null(s);
    assert_string_equal(s, "hello");
    assert_int_equal(s[5], '\0');
    char *e = arena_strndup(&a, "xyz", 0);
    assert_non_null(e);
    assert_string_equal(e, "");
    /* Copies exactly len bytes, embedded NULs included. */
    char *nul = arena_strndup(&a, BYTES("a\0b"));
    assert_non_null(nul);
    assert_memory_equal(nul, "a\0b\0", 4);
    char src[] = "mutable";
    char *d = arena_strdup(&a, src);
    src[0] = 'X';
    assert_string_equal(d, "mutable");
    assert_null(arena_strdup(&a, NULL));
    arena_cleanup(&a);

    /* Over the cap → NULL. */
    arena_init(&a, 16 * 1024);
    static char big[32 * 1024];
    memset(big, 'q', sizeof big);
    assert_null(arena_strndup(&a, big, sizeof big));
    arena_cleanup(&a);
}

/* -------------------------------------------------------------------- buf */

static void test_buf_append_printf(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 4096);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_append(&b, "ab", 2), 0);
    assert_int_equal(buf_puts(&b, "c"), 0);
    assert_int_equal(buf_putc(&b, '-'), 0);
    assert_int_equal(buf_printf(&b, "%d/%s/%03u", 42, "x", 7u), 0);
    assert_string_equal(buf_cstr(&b), "abc-42/x/007");
    assert_int_equal(b.len, 12);
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(b.len, 12);

    /* Longer than printf's on-stack scratch (256). */
    char long_s[301];
    memset(long_s, 'L', 300);
    long_s[300] = '\0';
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_printf(&b, "<%s>", long_s), 0);
    assert_int_equal(b.len, 302);
    assert_int_equal(buf_cstr(&b)[0], '<');
    assert_int_equal(buf_cstr(&b)[301], '>');
    assert_int_equal(buf_cstr(&b)[302], '\0');
    assert_int_equal(strspn(buf_cstr(&b) + 1, "L"), 300);
    buf_cleanup(&b);
    buf_cleanup(NULL);
}

static void test_buf_put_i64(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        const char *s;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {-1, "-1"},
        {10, "10"},
        {-1234567890, "-1234567890"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
        {INT64_MIN + 1, "-9223372036854775807"},
    };
    struct buf b;
    buf_init(&b, 1024);
    for (size_t i = 0; i < TREU_ARRAY_LEN(cases); i++) {
        buf_reset(&b);
        assert_int_equal(buf_put_i64(&b, cases[i].v), 0);
        assert_string_equal(buf_cstr(&b), cases[i].s);
        assert_int_equal(b.len, strlen(cases[i].s));
    }
    buf_cleanup(&b);
}

static void test_buf_cap_sticky(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    /* Exactly the cap fits. */
    assert_int_equal(buf_append(&b, "12345678", 8), 0);
    assert_int_equal(b.len, 8);
    assert_int_equal(b.err, 0);
    /* One more byte does not, and the content stays. */
    assert_int_equal(buf_putc(&b, '9'), TREU_ELIMIT);
    assert_int_equal(b.err, TREU_ELIMIT);
    assert_int_equal(b.len, 8);
    assert_string_equal(buf_cstr(&b), "12345678");
    /* Sticky: even an empty append reports the error now. */
    assert_int_equal(buf_append(&b, "", 0), TREU_ELIMIT);
    assert_int_equal(buf_printf(&b, "%s", ""), TREU_ELIMIT);
    assert_int_equal(buf_put_i64(&b, 1), TREU_ELIMIT);
    assert_int_equal(b.len, 8);
    assert_null(buf_take(&b));
    /* reset clears the error. */
    buf_reset(&b);
    assert_int_equal(b.err, 0);
    assert_int_equal(buf_puts(&b, "ok"), 0);
    assert_string_equal(buf_cstr(&b), "ok");
    buf_cleanup(&b);

    /* A printf past the cap, big enough to take the long path. */
    buf_init(&b, 300);
    char s[400];
    memset(s, 'x', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    assert_int_equal(buf_printf(&b, "%s", s), TREU_ELIMIT);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    buf_cleanup(&b);

    /* A cap of 0 holds nothing. */
    buf_init(&b, 0);
    assert_int_equal(buf_putc(&b, 'a'), TREU_ELIMIT);
    buf_cleanup(&b);
}

static void test_buf_take(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(buf_puts(&b, "hello"), 0);
    char *p = buf_take(&b);
    assert_non_null(p);
    assert_string_equal(p, "hello");
    free(p);
    /* The buf is empty and usable afterwards. */
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_puts(&b, "again"), 0);
    assert_string_equal(buf_cstr(&b), "again");
    buf_cleanup(&b);
}

static void test_buf_take_empty(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    /* Never written to: take still hands back a NUL-terminated "". */
    char *p = buf_take(&b);
    assert_non_null(p);
    char first = p[0];
    free(p);
    buf_cleanup(&b);
    assert_int_equal(first, '\0');
}

/* ------------------------------------------------------------------- json */

struct utf8_case {
    const char *s;
    size_t len;
    bool ok;
};

static void test_json_utf8_valid(void **state)
{
    (void)state;
    static const struct utf8_case cases[] = {
        {BYTES(""), true},
        {BYTES("plain ascii"), true},
        {BYTES("\xC3\xA9"), true},         /* é */
        {BYTES("\xE2\x82\xAC"), true},     /* € */
        {BYTES("\xEF\xBF\xBF"), true},     /* U+FFFF */
        {BYTES("\xED\x9F\xBF"), true},     /* U+D7FF, just below surrogates */
        {BYTES("\xEE\x80\x80"), true},     /* U+E000, just above */
        {BYTES("\xF0\x9D\x84\x9E"), true}, /* U+1D11E, 4 bytes */
        {BYTES("\xF4\x8F\xBF\xBF"), true}, /* U+10FFFF, the last code point */
        {BYTES("\xC2\x80"), true},         /* U+0080, smallest 2-byte */
        {BYTES("\xE0\xA0\x80"), true},     /* U+0800, smallest 3-byte */
        {BYTES("\xF0\x90\x80\x80"), true}, /* U+10000, smallest 4-byte */
        {BYTES("a\0b"), true},             /* NUL is valid UTF-8 */
        /* overlongs */
        {BYTES("\xC0\x80"), false},
        {BYTES("\xC1\xBF"), false},
        {BYTES("\xE0\x80\x80"), false},
        {BYTES("\xE0\x9F\xBF"), false},
        {BYTES("\xF0\x80\x80\x80"), false},
        {BYTES("\xF0\x8F\xBF\xBF"), false},
        /* surrogates */
        {BYTES("\xED\xA0\x80"), false},
        {BYTES("\xED\xBF\xBF"), false},
        {BYTES("\xED\xA0\xBD\xED\xB8\x80"), false}, /* CESU-8 pair */
        /* truncated */
        {BYTES("\xC3"), false},
        {BYTES("\xE2\x82"), false},
        {BYTES("\xF0\x9D\x84"), false},
        {BYTES("ok\xE2\x82"), false},
        {BYTES("\xE2\x82\x41"), false},     /* E2 82 then "A" */
        {BYTES("\xF0\x9D\x41\x42"), false}, /* F0 9D then "AB" */
        /* beyond U+10FFFF and never-valid bytes */
        {BYTES("\xF4\x90\x80\x80"), false},
        {BYTES("\xF5\x80\x80\x80"), false},
        {BYTES("\xF8\x88\x80\x80\x80"), false},
        {BYTES("\x80"), false},
        {BYTES("a\xBF"), false},
        {BYTES("\xFE"), false},
        {BYTES("\xFF"), false},
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(cases); i++) {
        bool got = json_utf8_valid(cases[i].s, cases[i].len);
        if (got != cases[i].ok)
            fail_msg("case %zu: json_utf8_valid = %d, want %d", i, got, cases[i].ok);
    }
}

/* "[[[...]]]" with `depth` levels, or objects {"a":{"a":...1}} when `obj`. */
static char *nested(int depth, bool obj, size_t *len)
{
    struct buf b;
    buf_init(&b, 4096);
    for (int i = 0; i < depth; i++)
        buf_puts(&b, obj ? "{\"a\":" : "[");
    buf_puts(&b, "1");
    for (int i = 0; i < depth; i++)
        buf_putc(&b, obj ? '}' : ']');
    *len = b.len;
    char *s = buf_take(&b);
    assert_non_null(s);
    return s;
}

static void test_json_parse_depth(void **state)
{
    (void)state;
    for (int obj = 0; obj < 2; obj++) {
        size_t len;
        cJSON *root = NULL;
        struct json_error err;
        char *s = nested(JSON_DEPTH_MAX, obj, &len);
        assert_int_equal(json_parse(s, len, JSON_DEPTH_MAX, &root, &err), 0);
        assert_non_null(root);
        cJSON_Delete(root);
        free(s);

        s = nested(JSON_DEPTH_MAX + 1, obj, &len);
        root = (cJSON *)1;
        assert_int_equal(json_parse(s, len, JSON_DEPTH_MAX, &root, &err), TREU_EINVAL);
        assert_null(root);
        assert_non_null(err.why);
        /* The offending bracket is the 33rd opener. */
        size_t opener = obj ? (size_t)JSON_DEPTH_MAX * 5 : (size_t)JSON_DEPTH_MAX;
        assert_int_equal(err.offset, opener);
        free(s);
    }
    /* Brackets inside strings do not count, escaped quotes included. */
    static const char in_str[] = "[\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]";
    cJSON *root = NULL;
    struct json_error err;
    assert_int_equal(json_parse(BYTES(in_str), JSON_DEPTH_MAX, &root, &err), 0);
    assert_true(cJSON_IsArray(root));
    cJSON_Delete(root);
    /* The limit is the caller's. */
    assert_int_equal(json_parse(BYTES("[[1]]"), 1, &root, &err), TREU_EINVAL);
    assert_int_equal(json_parse(BYTES("[[1]]"), 2, &root, &err), 0);
    cJSON_Delete(root);
}

static void expect_parse_fails(const char *s, size_t len)
{
    cJSON *root = (cJSON *)1;
    struct json_error err = {0};
    int rc = json_parse(s, len, JSON_DEPTH_MAX, &root, &err);
    if (rc != TREU_EINVAL) {
        if (rc == 0)
            cJSON_Delete(root);
        fail_msg("json_parse of %zu bytes \"%.*s\" = %d, want TREU_EINVAL", len, (int)len, s, rc);
    }
    assert_null(root);
    assert_non_null(err.why);
}

static void test_json_parse_refusals(void **state)
{
    (void)state;
    expect_parse_fails(BYTES(""));
    expect_parse_fails(BYTES("   "));
    expect_parse_fails(BYTES("{"));
    expect_parse_fails(BYTES("{\"a\":}"));
    /* trailing garbage */
    expect_parse_fails(BYTES("{} x"));
    expect_parse_fails(BYTES("{}}"));
    expect_parse_fails(BYTES("1 2"));
    expect_parse_fails(BYTES("{\"a\":1},"));
    /* NUL bytes outside strings */
    expect_parse_fails(BYTES("{}\0"));
    expect_parse_fails(BYTES("{\"a\":1\0}"));
    expect_parse_fails(BYTES("\0{}"));
    /* other control bytes outside strings: cJSON would skip them as whitespace (fuzz_json) */
    expect_parse_fails(BYTES("[1,\x14"
                             "2]"));
    expect_parse_fails(BYTES("\x0b{}"));
    /* numbers a double cannot hold would become infinity (fuzz_json) */
    expect_parse_fails(BYTES("[1e400]"));
    expect_parse_fails(BYTES("{\"a\":{\"b\":-1e309}}"));
    /* invalid UTF-8, inside a string and out */
    expect_parse_fails(BYTES("{\"a\":\"\xC3\x28\"}"));
    expect_parse_fails(BYTES("{\"a\":\"\xED\xA0\x80\"}"));
    expect_parse_fails(BYTES("{\"a\":\"\xC0\xAF\"}"));
    expect_parse_fails(BYTES("[1]\xFF"));

    cJSON *root = NULL;
    struct json_error err;
    assert_int_equal(json_parse(BYTES("[1] x"), JSON_DEPTH_MAX, &root, &err), TREU_EINVAL);
    assert_int_equal(err.offset, 4);
    assert_int_equal(json_parse(BYTES("{}\0"), JSON_DEPTH_MAX, &root, &err), TREU_EINVAL);
    assert_int_equal(err.offset, 2);
}

static void test_json_parse_nul_in_string(void **state)
{
    (void)state;
    /* A raw NUL inside a string is not JSON (controls must be escaped) and would cut the
     * value short ("x\0y" → "x") if it got through. */
    expect_parse_fails(BYTES("{\"a\":\"x\0y\"}"));
    expect_parse_fails(BYTES("[\"\0\"]"));
}

static void test_json_parse_ok(void **state)
{
    (void)state;
    cJSON *root = NULL;
    struct json_error err;
    assert_int_equal(json_parse(BYTES(" \n{\"a\":1,\"s\":\"\xE2\x82\xAC\"} \t\r\n "),
                                JSON_DEPTH_MAX, &root, &err),
                     0);
    assert_true(cJSON_IsObject(root));
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "a");
    assert_true(cJSON_IsNumber(a));
    assert_int_equal(a->valueint, 1);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "s");
    assert_string_equal(s->valuestring, "\xE2\x82\xAC");
    cJSON_Delete(root);

    /* Only len bytes are read: what follows in memory does not matter. */
    assert_int_equal(json_parse("[true]garbage", 6, JSON_DEPTH_MAX, &root, &err), 0);
    assert_true(cJSON_IsArray(root));
    cJSON_Delete(root);

    assert_int_equal(json_parse(BYTES("\"x\""), JSON_DEPTH_MAX, &root, &err), 0);
    assert_string_equal(root->valuestring, "x");
    cJSON_Delete(root);
}

static void expect_escape(const char *in, size_t len, const char *want)
{
    struct buf b;
    buf_init(&b, 4096);
    json_escape(&b, in, len);
    assert_int_equal(b.err, 0);
    assert_string_equal(buf_cstr(&b), want);
    buf_cleanup(&b);
}

static void test_json_escape(void **state)
{
    (void)state;
    expect_escape(BYTES(""), "\"\"");
    expect_escape(BYTES("plain"), "\"plain\"");
    expect_escape(BYTES("a\"b\\c"), "\"a\\\"b\\\\c\"");
    expect_escape(BYTES("\n\r\t"), "\"\\n\\r\\t\"");
    expect_escape(BYTES("\x01\x1F\x7F"), "\"\\u0001\\u001f\\u007f\"");
    expect_escape(BYTES("a\0b"), "\"a\\u0000b\"");
    expect_escape(BYTES("<script>&</script>"),
                  "\"\\u003cscript\\u003e\\u0026\\u003c/script\\u003e\"");
    /* U+2028 and U+2029 break JavaScript string literals. */
    expect_escape(BYTES("a\xE2\x80\xA8"
                        "b\xE2\x80\xA9"),
                  "\"a\\u2028b\\u2029\"");
    expect_escape(BYTES("\xE2\x80\xA8"), "\"\\u2028\"");
    /* Neighbours of U+2028 and other UTF-8 pass through untouched. */
    expect_escape(BYTES("\xE2\x80\xA6\xC3\xA9\xF0\x9D\x84\x9E"),
                  "\"\xE2\x80\xA6\xC3\xA9\xF0\x9D\x84\x9E\"");
    /* A truncated E2 80 at the end is not mistaken for U+2028; like every byte that is not
     * UTF-8 (fuzz_api: a path segment echoed in a 404), each becomes U+FFFD. */
    expect_escape(BYTES("x\xE2\x80"), "\"x\\ufffd\\ufffd\"");
    expect_escape(BYTES("n\x8D\x9D y\xC0\xAF z\xED\xA0\x80 \xF4\x90\x80\x80"),
                  "\"n\\ufffd\\ufffd y\\ufffd\\ufffd z\\ufffd\\ufffd\\ufffd "
                  "\\ufffd\\ufffd\\ufffd\\ufffd\"");
    /* Only len bytes. */
    expect_escape("abcdef", 3, "\"abc\"");
}

static void test_jw_writer(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 4096);
    struct jw w;
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_str(&w, "a", "x");
    jw_kv_int(&w, "n", -5);
    jw_key(&w, "o");
    jw_obj_open(&w);
    jw_kv_bool(&w, "t", true);
    jw_kv_bool(&w, "f", false);
    jw_key(&w, "arr");
    jw_arr_open(&w);
    jw_int(&w, 1);
    jw_str(&w, NULL);
    jw_null(&w);
    jw_obj_open(&w);
    jw_obj_close(&w);
    jw_arr_open(&w);
    jw_arr_close(&w);
    jw_strn(&w, "abc", 2);
    jw_arr_close(&w);
    jw_obj_close(&w);
    jw_kv_raw(&w, "r", "[1,2]");
    jw_kv_raw(&w, "rn", NULL);
    jw_kv_time(&w, "t0", 0);
    jw_kv_time(&w, "t1", INT64_C(1700000000123456));
    jw_kv_str(&w, "q\"k", "<a href=\"x\">&\\</a>\n");
    jw_obj_close(&w);
    assert_int_equal(b.err, 0);
    assert_int_equal(w.depth, 0);
    assert_string_equal(
        buf_cstr(&b),
        "{\"a\":\"x\",\"n\":-5,\"o\":{\"t\":true,\"f\":false,\"arr\":[1,null,null,{},[],\"ab\"]},"
        "\"r\":[1,2],\"rn\":null,\"t0\":null,\"t1\":\"2023-11-14T22:13:20.123Z\","
        "\"q\\\"k\":\"\\u003ca href=\\\"x\\\"\\u003e\\u0026\\\\\\u003c/a\\u003e\\n\"}");

    /* What the writer produced is valid JSON. */
    cJSON *root = NULL;
    struct json_error err;
    assert_int_equal(json_parse(b.ptr, b.len, JSON_DEPTH_MAX, &root, &err), 0);
    cJSON_Delete(root);

    /* Top-level array of objects. */
    buf_reset(&b);
    jw_init(&w, &b);
    jw_arr_open(&w);
    for (int i = 0; i < 3; i++) {
        jw_obj_open(&w);
        jw_kv_int(&w, "i", i);
        jw_kv_int(&w, "min", INT64_MIN);
        jw_obj_close(&w);
    }
    jw_arr_close(&w);
    assert_string_equal(buf_cstr(&b), "[{\"i\":0,\"min\":-9223372036854775808},"
                                      "{\"i\":1,\"min\":-9223372036854775808},"
                                      "{\"i\":2,\"min\":-9223372036854775808}]");
    buf_cleanup(&b);
}

static void test_jw_writer_depth_max(void **state)
{
    (void)state;
    /* The writer takes as deep as the parser accepts, and the output parses back. */
    struct buf b;
    buf_init(&b, 4096);
    struct jw w;
    jw_init(&w, &b);
    for (int i = 0; i < JSON_DEPTH_MAX; i++) {
        jw_arr_open(&w);
        jw_int(&w, i);
    }
    for (int i = 0; i < JSON_DEPTH_MAX; i++)
        jw_arr_close(&w);
    assert_int_equal(b.err, 0);
    assert_int_equal(w.depth, 0);
    cJSON *root = NULL;
    struct json_error err;
    assert_int_equal(json_parse(b.ptr, b.len, JSON_DEPTH_MAX, &root, &err), 0);
    cJSON_Delete(root);
    assert_memory_equal(b.ptr, "[0,[1,[2,", 9);
    buf_cleanup(&b);
}

static void test_json_write_item_round_trip(void **state)
{
    (void)state;
    static const char in[] =
        "{\"i\":42,\"neg\":-7,\"zero\":0,\"big\":9007199254740992,\"f\":0.1,\"g\":-2.5,"
        "\"e\":1e300,\"h\":1e20,\"s\":\"a\\\"<\\u2028\",\"t\":true,\"no\":false,\"n\":null,"
        "\"arr\":[1,2.75,[],{}],\"o\":{\"k\":\"v\"}}";
    static const char want[] =
        "{\"i\":42,\"neg\":-7,\"zero\":0,\"big\":9007199254740992,\"f\":0.10000000000000001,"
        "\"g\":-2.5,\"e\":1.0000000000000001e+300,\"h\":1e+20,\"s\":\"a\\\"\\u003c\\u2028\","
        "\"t\":true,\"no\":false,\"n\":null,\"arr\":[1,2.75,[],{}],\"o\":{\"k\":\"v\"}}";
    cJSON *root = NULL, *again = NULL;
    struct json_error err;
    assert_int_equal(json_parse(BYTES(in), JSON_DEPTH_MAX, &root, &err), 0);
    struct buf b, b2;
    buf_init(&b, 4096);
    buf_init(&b2, 4096);
    assert_int_equal(json_write_item(&b, root), 0);
    assert_string_equal(buf_cstr(&b), want);

    /* Parsing the output gives the same tree, and writing it again the same bytes. */
    assert_int_equal(json_parse(b.ptr, b.len, JSON_DEPTH_MAX, &again, &err), 0);
    assert_true(cJSON_Compare(root, again, 1));
    assert_int_equal(json_write_item(&b2, again), 0);
    assert_string_equal(buf_cstr(&b2), buf_cstr(&b));
    assert_true(cJSON_GetObjectItemCaseSensitive(again, "f")->valuedouble == 0.1);
    assert_true(cJSON_GetObjectItemCaseSensitive(again, "e")->valuedouble == 1e300);

    /* Over the buffer's cap → the buf's error. */
    struct buf small;
    buf_init(&small, 10);
    assert_int_equal(json_write_item(&small, root), TREU_ELIMIT);
    buf_cleanup(&small);

    cJSON_Delete(root);
    cJSON_Delete(again);
    buf_cleanup(&b);
    buf_cleanup(&b2);
}

/* ----------------------------------------------------------------- tstime */

static void test_tstime_civil_round_trip(void **state)
{
    (void)state;
    /* Every day from about 2800 BC to AD 4700, consecutive days stepping the calendar. */
    int64_t py = 0;
    unsigned pm = 0, pd = 0;
    for (int64_t days = -2000000; days <= 1000000; days++) {
        int64_t y;
        unsigned m, d;
        tstime_civil_from_days(days, &y, &m, &d);
        if (!tstime_date_valid(y, m, d))
            fail_msg("day %lld gives invalid %lld-%u-%u", (long long)days, (long long)y, m, d);
        if (tstime_days_from_civil(y, m, d) != days)
            fail_msg("day %lld does not round-trip", (long long)days);
        if (days > -2000000) {
            bool next_day = y == py && m == pm && d == pd + 1;
            bool next_month = y == py && m == pm + 1 && d == 1;
            bool next_year = y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31;
            if (!next_day && !next_month && !next_year)
                fail_msg("day %lld: %lld-%u-%u does not follow %lld-%u-%u", (long long)days,
                         (long long)y, m, d, (long long)py, pm, pd);
        }
        py = y, pm = m, pd = d;
    }
}

static void test_tstime_known_days(void **state)
{
    (void)state;
    static const struct {
        int64_t y;
        unsigned m, d;
        int64_t days;
    } cases[] = {
        {1970, 1, 1, 0},       {1969, 12, 31, -1},      {2000, 2, 29, 11016},   {2000, 3, 1, 11017},
        {1900, 2, 28, -25509}, {1900, 3, 1, -25508},    {2024, 2, 29, 19782},   {1, 1, 1, -719162},
        {1000, 1, 1, -354285}, {9999, 12, 31, 2932896}, {1600, 2, 29, -135081}, {0, 3, 1, -719468},
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(cases); i++) {
        assert_int_equal(tstime_days_from_civil(cases[i].y, cases[i].m, cases[i].d), cases[i].days);
        int64_t y;
        unsigned m, d;
        tstime_civil_from_days(cases[i].days, &y, &m, &d);
        assert_int_equal(y, cases[i].y);
        assert_int_equal(m, cases[i].m);
        assert_int_equal(d, cases[i].d);
    }
    /* Leap years: 2000 yes (÷400), 1900 no (÷100), 2024 yes, 2023 and 2100 no. */
    assert_true(tstime_date_valid(2000, 2, 29));
    assert_false(tstime_date_valid(1900, 2, 29));
    assert_true(tstime_date_valid(2024, 2, 29));
    assert_false(tstime_date_valid(2023, 2, 29));
    assert_false(tstime_date_valid(2100, 2, 29));
    assert_false(tstime_date_valid(2024, 2, 30));
    assert_false(tstime_date_valid(2024, 4, 31));
    assert_true(tstime_date_valid(2024, 12, 31));
    assert_false(tstime_date_valid(2024, 13, 1));
    assert_false(tstime_date_valid(2024, 0, 1));
    assert_false(tstime_date_valid(2024, 1, 0));
    assert_int_equal(tstime_days_from_civil(2000, 3, 1) - tstime_days_from_civil(2000, 2, 28), 2);
    assert_int_equal(tstime_days_from_civil(1900, 3, 1) - tstime_days_from_civil(1900, 2, 28), 1);
    assert_int_equal(tstime_days_from_civil(2025, 1, 1) - tstime_days_from_civil(2024, 1, 1), 366);
    assert_int_equal(tstime_days_from_civil(1901, 1, 1) - tstime_days_from_civil(1900, 1, 1), 365);
}

static void expect_iso(int64_t us, const char *want)
{
    char out[TSTIME_ISO_LEN + 1];
    memset(out, 'X', sizeof out);
    tstime_format_iso(us, out);
    assert_string_equal(out, want);
    assert_int_equal(strlen(out), TSTIME_ISO_LEN);
}

static void test_tstime_format_iso(void **state)
{
    (void)state;
    expect_iso(0, "1970-01-01T00:00:00.000Z");
    expect_iso(INT64_C(1700000000123456), "2023-11-14T22:13:20.123Z");
    expect_iso(INT64_C(1700000000123999), "2023-11-14T22:13:20.123Z"); /* truncates */
    expect_iso(-1, "1969-12-31T23:59:59.999Z");
    expect_iso(-TSTIME_US_PER_DAY, "1969-12-31T00:00:00.000Z");
    expect_iso(INT64_C(951782400) * TSTIME_US_PER_S, "2000-02-29T00:00:00.000Z");
    expect_iso(INT64_C(253402300799999999), "9999-12-31T23:59:59.999Z");
}

static void expect_parse_iso(const char *s, int64_t want)
{
    int64_t us = -42;
    int rc = tstime_parse_iso(s, strlen(s), &us);
    if (rc != 0)
        fail_msg("tstime_parse_iso(\"%s\") = %d, want 0", s, rc);
    if (us != want)
        fail_msg("tstime_parse_iso(\"%s\") gave %lld, want %lld", s, (long long)us,
                 (long long)want);
}

static void expect_parse_iso_fails(const char *s)
{
    int64_t us = -42;
    int rc = tstime_parse_iso(s, strlen(s), &us);
    if (rc != TREU_EINVAL)
        fail_msg("tstime_parse_iso(\"%s\") = %d (us=%lld), want TREU_EINVAL", s, rc, (long long)us);
    assert_int_equal(us, -42); /* untouched on failure */
}

static void test_tstime_parse_iso(void **state)
{
    (void)state;
    const int64_t t = INT64_C(1700000000) * TSTIME_US_PER_S; /* 2023-11-14T22:13:20Z */
    expect_parse_iso("1970-01-01", 0);
    expect_parse_iso("2024-02-29", 19782 * TSTIME_US_PER_DAY);
    expect_parse_iso("1000-01-01", -354285 * TSTIME_US_PER_DAY);
    expect_parse_iso("2023-11-14T22:13:20Z", t);
    expect_parse_iso("2023-11-14T22:13Z", t - 20 * TSTIME_US_PER_S);
    expect_parse_iso("2023-11-15T00:13:20+02:00", t);
    expect_parse_iso("2023-11-14T16:43:20-05:30", t);
    expect_parse_iso("2023-11-14T22:13:20+00:00", t);
    expect_parse_iso("2023-11-14T22:13:20-00:00", t);
    /* An offset can cross the date line. */
    expect_parse_iso("1970-01-01T00:00:00+01:00", -3600 * TSTIME_US_PER_S);
    /* fractions, 1 to 6 digits */
    expect_parse_iso("2023-11-14T22:13:20.1Z", t + 100000);
    expect_parse_iso("2023-11-14T22:13:20.12Z", t + 120000);
    expect_parse_iso("2023-11-14T22:13:20.123Z", t + 123000);
    expect_parse_iso("2023-11-14T22:13:20.1234Z", t + 123400);
    expect_parse_iso("2023-11-14T22:13:20.12345Z", t + 123450);
    expect_parse_iso("2023-11-14T22:13:20.123456Z", t + 123456);
    expect_parse_iso("2023-11-14T22:13:20.000001+02:00", t - 2 * 3600 * TSTIME_US_PER_S + 1);
    expect_parse_iso("9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999));

    /* Only len bytes are read. */
    int64_t us = 0;
    assert_int_equal(tstime_parse_iso("2024-02-29T10:00:00Zjunk", 20, &us), 0);
    assert_int_equal(us, 19782 * TSTIME_US_PER_DAY + 10 * 3600 * TSTIME_US_PER_S);
}

static void test_tstime_parse_iso_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2023",
        "2023-02-29", /* not a leap year */
        "2023-02-29T00:00:00Z",
        "2024-02-30",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "2024-1-01",
        "2024-01-01T24:00:00Z", /* 24:00 is not accepted */
        "2024-01-01T24:00Z",
        "2024-01-01T10:60Z",
        "2024-01-01T10:00:60Z", /* no leap seconds */
        "2024-01-01T10:00:00",  /* missing zone */
        "2024-01-01T10:00",
        "2024-01-01T10",
        "2024-01-01T",
        "2024-01-01Z",
        "2024-01-01T10:00:00Zx", /* trailing text */
        "2024-01-01T10:00:00+02:00x",
        "2024-01-01x",
        "2024-01-01 ",
        "2024-01-01T10:00:00.Z", /* empty fraction */
        "2024-01-01T10:00:00+0200",
        "2024-01-01T10:00:00+02",
        "2024-01-01T10:00:00+24:00",
        "2024-01-01T10:00:00+02:60",
        "2024-01-01T10:00:00z0",
        "0999-12-31", /* year 999 */
        "0999-12-31T00:00:00Z",
        "999-12-31",
        "10000-01-01",
        "-2024-01-01",
        "2024/01/01",
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(bad); i++)
        expect_parse_iso_fails(bad[i]);
}

static void test_tstime_parse_iso_fraction_digits(void **state)
{
    (void)state;
    /* The contract is ".f{1,6}": microseconds, no more. */
    expect_parse_iso_fails("2024-01-01T10:00:00.1234567Z");
    expect_parse_iso_fails("2024-01-01T10:00:00.123456789Z");
    expect_parse_iso_fails("2024-01-01T10:00:00.1234567890Z");
}

static void test_tstime_parse_date(void **state)
{
    (void)state;
    int64_t y = 0;
    unsigned m = 0, d = 0;
    assert_int_equal(tstime_parse_date(BYTES("2024-02-29"), &y, &m, &d), 0);
    assert_int_equal(y, 2024);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
    assert_int_equal(tstime_parse_date(BYTES("1900-02-29"), &y, &m, &d), TREU_EINVAL);
    assert_int_equal(tstime_parse_date(BYTES("2024-02-29T00:00Z"), &y, &m, &d), TREU_EINVAL);
    assert_int_equal(tstime_parse_date(BYTES("0999-01-01"), &y, &m, &d), TREU_EINVAL);
}

/* -------------------------------------------------------------------- ids */

/* A fake rng: replays `script` over and over. */
struct script_rng {
    const unsigned char *script;
    size_t len;
    size_t pos;
    size_t calls;
};

static void script_fill(void *ctx, void *out, size_t n)
{
    struct script_rng *s = ctx;
    unsigned char *o = out;
    for (size_t i = 0; i < n; i++) {
        o[i] = s->script[s->pos];
        s->pos = (s->pos + 1) % s->len;
    }
    s->calls++;
}

/* A fake rng: a splitmix64 stream from a seed. */
static void splitmix_fill(void *ctx, void *out, size_t n)
{
    uint64_t *x = ctx;
    unsigned char *o = out;
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        o[i] = (unsigned char)(z ^ (z >> 31));
    }
}

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void test_ids_make(void **state)
{
    (void)state;
    uint64_t seed = 1;
    struct rng r = {splitmix_fill, &seed};
    char id[IDS_MAX_LEN];
    memset(id, 'X', sizeof id);
    ids_make(&r, "cust_", id);
    assert_int_equal(strlen(id), 5 + IDS_RANDOM_CHARS);
    assert_memory_equal(id, "cust_", 5);
    assert_int_equal(strspn(id + 5, base62), IDS_RANDOM_CHARS);

    /* Same seed → same id; the stream moves on → a different one. */
    uint64_t seed2 = 1;
    struct rng r2 = {splitmix_fill, &seed2};
    char id2[IDS_MAX_LEN];
    ids_make(&r2, "cust_", id2);
    assert_string_equal(id, id2);
    ids_make(&r2, "cust_", id2);
    assert_string_not_equal(id, id2);

    /* Empty and longest (12-byte) prefixes. */
    ids_make(&r, "", id);
    assert_int_equal(strlen(id), IDS_RANDOM_CHARS);
    assert_int_equal(strspn(id, base62), IDS_RANDOM_CHARS);
    ids_make(&r, "abcdefghijk_", id);
    assert_int_equal(strlen(id), 12 + IDS_RANDOM_CHARS);
    assert_true(strlen(id) < IDS_MAX_LEN);
    assert_memory_equal(id, "abcdefghijk_", 12);
    assert_int_equal(strspn(id + 12, base62), IDS_RANDOM_CHARS);
}

static void test_ids_make_at(void **state)
{
    (void)state;
    uint64_t seed = 7;
    struct rng r = {splitmix_fill, &seed};
    char a[IDS_MAX_LEN], b[IDS_MAX_LEN], c[IDS_MAX_LEN];
    /* 2026-11-23T00:00:00Z, one microsecond later, and a much later instant. */
    int64_t t0 = INT64_C(1795392000000000);
    ids_make_at(&r, t0, "lopb_", a);
    ids_make_at(&r, t0 + 1, "lopb_", b);
    ids_make_at(&r, t0 + INT64_C(86400000000) * 365 * 300, "lopb_", c);
    assert_int_equal(strlen(a), 5 + IDS_RANDOM_CHARS);
    assert_int_equal(strspn(a + 5, base62), IDS_RANDOM_CHARS);
    assert_true(strcmp(a, b) < 0);
    assert_true(strcmp(b, c) < 0);
    /* The time part is the instant in fixed-width base62: decode it back. */
    int64_t v = 0;
    for (int i = 0; i < IDS_TIME_CHARS; i++)
        v = v * 62 + (int64_t)(strchr(base62, a[5 + i]) - base62);
    assert_int_equal(v, t0);
    /* The same instant twice still gives two ids. */
    ids_make_at(&r, t0, "lopb_", b);
    assert_string_not_equal(a, b);
    assert_memory_equal(a, b, 5 + IDS_TIME_CHARS);
}

static void test_ids_base62(void **state)
{
    (void)state;
    /* Bytes 248..255 would bias the modulo, so they are skipped. */
    static const unsigned char script[] = {255, 248, 0, 61, 62, 247};
    struct script_rng s = {script, sizeof script, 0, 0};
    struct rng r = {script_fill, &s};
    char out[11];
    memset(out, 'X', sizeof out);
    ids_base62(&r, out, 10);
    assert_string_equal(out, "0z0z0z0z0z");

    /* All rejected but one byte per pass still terminates and fills. */
    static const unsigned char mostly_bad[] = {255, 254, 253, 252, 251, 250, 249, 248, 10};
    struct script_rng s2 = {mostly_bad, sizeof mostly_bad, 0, 0};
    struct rng r2 = {script_fill, &s2};
    char out2[41];
    ids_base62(&r2, out2, 40);
    assert_int_equal(strlen(out2), 40);
    assert_int_equal(strspn(out2, "A"), 40);

    /* Zero length writes just the NUL. */
    out[0] = 'X';
    ids_base62(&r, out, 0);
    assert_int_equal(out[0], '\0');

    /* A uniform stream reaches every character of the alphabet. */
    uint64_t seed = 7;
    struct rng u = {splitmix_fill, &seed};
    char many[4001];
    ids_base62(&u, many, 4000);
    assert_int_equal(strlen(many), 4000);
    assert_int_equal(strspn(many, base62), 4000);
    for (size_t i = 0; i < 62; i++)
        assert_non_null(memchr(many, base62[i], 4000));
}

static void check_uuid_shape(const char *u)
{
    assert_int_equal(strlen(u), IDS_UUID_LEN);
    for (int i = 0; i < IDS_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(u[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", u[i]));
    }
    assert_int_equal(u[14], '4');           /* version 4 */
    assert_non_null(strchr("89ab", u[19])); /* RFC 4122 variant */
}

static void test_ids_uuid(void **state)
{
    (void)state;
    static const unsigned char counting[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    struct script_rng s = {counting, sizeof counting, 0, 0};
    struct rng r = {script_fill, &s};
    char u[IDS_UUID_LEN + 1];
    ids_uuid(&r, u);
    assert_string_equal(u, "00010203-0405-4607-8809-0a0b0c0d0e0f");
    check_uuid_shape(u);

    static const unsigned char ones[] = {0xFF};
    struct script_rng s2 = {ones, sizeof ones, 0, 0};
    struct rng r2 = {script_fill, &s2};
    ids_uuid(&r2, u);
    assert_string_equal(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    check_uuid_shape(u);

    static const unsigned char zeros[] = {0};
    struct script_rng s3 = {zeros, sizeof zeros, 0, 0};
    struct rng r3 = {script_fill, &s3};
    ids_uuid(&r3, u);
    assert_string_equal(u, "00000000-0000-4000-8000-000000000000");

    uint64_t seed = 99;
    struct rng r4 = {splitmix_fill, &seed};
    for (int i = 0; i < 100; i++) {
        ids_uuid(&r4, u);
        check_uuid_shape(u);
    }
}

/* --------------------------------------------------------------- validate */

static struct slice sl(const char *s)
{
    return slice_from(s);
}

/* A string of `n` copies of `c` (n < 512). */
static struct slice rep(char *store, char c, size_t n)
{
    memset(store, c, n);
    store[n] = '\0';
    return (struct slice){store, n};
}

static void test_validate_email(void **state)
{
    (void)state;
    assert_true(validate_email(sl("a@b.co")));
    assert_true(validate_email(sl("first.last+tag@mail.example.com")));
    assert_true(validate_email(sl("a@b.c")));
    assert_false(validate_email(sl("")));
    assert_false(validate_email(sl("a@b")));
    assert_false(validate_email(sl("@b.co")));
    assert_false(validate_email(sl("a@")));
    assert_false(validate_email(sl("a@.co")));
    assert_false(validate_email(sl("a@co.")));
    assert_false(validate_email(sl("a@b..co")));
    assert_false(validate_email(sl("a@@b.co")));
    assert_false(validate_email(sl("a@b@c.co")));
    assert_false(validate_email(sl("a b@c.de")));
    assert_false(validate_email(sl("a@c.de\n")));
    assert_false(validate_email(sl("<a@b.co>")));
    assert_false(validate_email(sl("a@b.co,c@d.co")));
    assert_false(validate_email((struct slice){"a@b.co\0x", 8}));

    /* Length bound: 254 ok, 255 not. */
    char buf[300];
    size_t local = VALIDATE_EMAIL_BYTES_MAX - strlen("@example.com");
    memset(buf, 'x', local);
    memcpy(buf + local, "@example.com", strlen("@example.com") + 1);
    assert_int_equal(strlen(buf), VALIDATE_EMAIL_BYTES_MAX);
    assert_true(validate_email(sl(buf)));
    memset(buf, 'x', local + 1);
    memcpy(buf + local + 1, "@example.com", strlen("@example.com") + 1);
    assert_false(validate_email(sl(buf)));
}

static void test_validate_phone(void **state)
{
    (void)state;
    assert_true(validate_phone(sl("+49 (30) 123-45.67")));
    assert_true(validate_phone(sl("123")));
    assert_false(validate_phone(sl("12")));
    assert_false(validate_phone(sl("+-() .")));
    assert_false(validate_phone(sl("")));
    assert_false(validate_phone(sl("12a3")));
    assert_false(validate_phone(sl("123/456")));
    assert_false(validate_phone(sl("123\n")));
    char buf[64];
    assert_true(validate_phone(rep(buf, '5', VALIDATE_PHONE_BYTES_MAX)));
    assert_false(validate_phone(rep(buf, '5', VALIDATE_PHONE_BYTES_MAX + 1)));
}

static void test_validate_tz_name(void **state)
{
    (void)state;
    assert_true(validate_tz_name(sl("Europe/Berlin")));
    assert_true(validate_tz_name(sl("UTC")));
    assert_true(validate_tz_name(sl("Etc/GMT+5")));
    assert_true(validate_tz_name(sl("Etc/GMT-14")));
    assert_true(validate_tz_name(sl("America/Argentina/Buenos_Aires")));
    assert_true(validate_tz_name(sl("America/Port-au-Prince")));
    assert_false(validate_tz_name(sl("../etc")));
    assert_false(validate_tz_name(sl("../../etc/passwd")));
    assert_false(validate_tz_name(sl("Europe/../etc")));
    assert_false(validate_tz_name(sl(".hidden")));
    assert_false(validate_tz_name(sl("Europe/.x")));
    assert_false(validate_tz_name(sl("/UTC")));
    assert_false(validate_tz_name(sl("UTC/")));
    assert_false(validate_tz_name(sl("Europe//Berlin")));
    assert_false(validate_tz_name(sl("-UTC")));
    assert_false(validate_tz_name(sl("Etc/-5")));
    assert_false(validate_tz_name(sl("Europe Berlin")));
    assert_false(validate_tz_name(sl("Europe\\Berlin")));
    assert_false(validate_tz_name(sl("")));
    assert_false(validate_tz_name((struct slice){"UTC\0", 4}));
    char buf[128];
    assert_true(validate_tz_name(rep(buf, 'a', VALIDATE_TZ_BYTES_MAX)));
    assert_false(validate_tz_name(rep(buf, 'a', VALIDATE_TZ_BYTES_MAX + 1)));
}

static void test_validate_token_and_request_id(void **state)
{
    (void)state;
    char buf[64];
    /* token: printable ASCII, 1..max_len */
    assert_true(validate_token(rep(buf, 'k', 16), 16));
    assert_false(validate_token(rep(buf, 'k', 17), 16));
    assert_true(validate_token(rep(buf, 'k', 1), 16));
    assert_false(validate_token(rep(buf, 'k', 0), 16));
    assert_true(validate_token(sl("!~azAZ09{}"), 16));
    assert_false(validate_token(sl("has space"), 16));
    assert_false(validate_token(sl("tab\t"), 16));
    assert_false(validate_token(sl("del\x7F"), 16));
    assert_false(validate_token(sl("\xC3\xA9"), 16));

    /* request id: [A-Za-z0-9-_.:], 1..max_len */
    assert_true(validate_request_id(rep(buf, 'r', 8), 8));
    assert_false(validate_request_id(rep(buf, 'r', 9), 8));
    assert_false(validate_request_id(rep(buf, 'r', 0), 8));
    assert_true(validate_request_id(sl("aZ09-_.:"), 8));
    assert_false(validate_request_id(sl("a/b"), 8));
    assert_false(validate_request_id(sl("a b"), 8));
    assert_false(validate_request_id(sl("a\"b"), 8));
    assert_false(validate_request_id(sl("a=b"), 8));
}

static void test_validate_text(void **state)
{
    (void)state;
    assert_true(validate_text(sl("")));
    assert_true(validate_text(sl("tab\there \xC3\xA9")));
    assert_false(validate_text(sl("line\nbreak")));
    assert_false(validate_text(sl("cr\r")));
    assert_false(validate_text(sl("del\x7F")));
    assert_false(validate_text((struct slice){"a\0b", 3}));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alloc_aligned),
        cmocka_unit_test(test_arena_zero_size_and_zalloc),
        cmocka_unit_test(test_arena_cap),
        cmocka_unit_test(test_arena_strndup),
        cmocka_unit_test(test_buf_append_printf),
        cmocka_unit_test(test_buf_put_i64),
        cmocka_unit_test(test_buf_cap_sticky),
        cmocka_unit_test(test_buf_take),
        cmocka_unit_test(test_buf_take_empty),
        cmocka_unit_test(test_json_utf8_valid),
        cmocka_unit_test(test_json_parse_depth),
        cmocka_unit_test(test_json_parse_refusals),
        cmocka_unit_test(test_json_parse_nul_in_string),
        cmocka_unit_test(test_json_parse_ok),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_jw_writer),
        cmocka_unit_test(test_jw_writer_depth_max),
        cmocka_unit_test(test_json_write_item_round_trip),
        cmocka_unit_test(test_tstime_civil_round_trip),
        cmocka_unit_test(test_tstime_known_days),
        cmocka_unit_test(test_tstime_format_iso),
        cmocka_unit_test(test_tstime_parse_iso),
        cmocka_unit_test(test_tstime_parse_iso_invalid),
        cmocka_unit_test(test_tstime_parse_iso_fraction_digits),
        cmocka_unit_test(test_tstime_parse_date),
        cmocka_unit_test(test_ids_make),
        cmocka_unit_test(test_ids_make_at),
        cmocka_unit_test(test_ids_base62),
        cmocka_unit_test(test_ids_uuid),
        cmocka_unit_test(test_validate_email),
        cmocka_unit_test(test_validate_phone),
        cmocka_unit_test(test_validate_tz_name),
        cmocka_unit_test(test_validate_token_and_request_id),
        cmocka_unit_test(test_validate_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
