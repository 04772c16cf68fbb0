/* fuzz_json.c - json_parse (UTF-8 pre-check, depth, NULs, then cJSON) and the writer.
 * Properties: the UTF-8 check agrees with an independent decoder written from Unicode's
 * table of well-formed byte sequences; what json_parse accepts is valid UTF-8, nests at
 * most JSON_DEPTH_MAX deep and has no control bytes but tab, CR and LF; writing an
 * accepted tree gives text that parses again and writes back byte for byte (the written
 * form is canonical); that text has no raw '<', '>' or '&' (it may be embedded in pages);
 * any bytes without NUL, escaped, are valid UTF-8 JSON that parses, back to themselves
 * when they were UTF-8. */
#include "fuzz.h"

#include "core/json.h"

#include <stdbool.h>

/* Unicode 15, table 3-7: the well-formed UTF-8 byte sequences, checked byte by byte. */
static bool ref_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c <= 0x7F) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
        } else if (c == 0xE0) {
            k = 2, lo = 0xA0;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            k = 2;
        } else if (c == 0xED) {
            k = 2, hi = 0x9F;
        } else if (c == 0xF0) {
            k = 3, lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            k = 3;
        } else if (c == 0xF4) {
            k = 3, hi = 0x8F;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t j = 2; j <= k; j++) {
            if (s[i + j] < 0x80 || s[i + j] > 0xBF)
                return false;
        }
        i += k + 1;
    }
    return true;
}

static int tree_depth(const cJSON *item)
{
    int deepest = 0;
    for (const cJSON *c = item->child; c; c = c->next) {
        int d = tree_depth(c);
        deepest = d > deepest ? d : deepest;
    }
    return (cJSON_IsObject(item) || cJSON_IsArray(item)) ? deepest + 1 : deepest;
}

static void check_round_trip(const cJSON *root)
{
    FUZZ_CHECK(tree_depth(root) <= JSON_DEPTH_MAX);
    struct buf b1, b2;
    buf_init(&b1, 1u << 22);
    buf_init(&b2, 1u << 22);
    FUZZ_CHECK(json_write_item(&b1, root) == 0);
    FUZZ_CHECK(json_utf8_valid(b1.ptr, b1.len));
    FUZZ_CHECK(!memchr(b1.ptr, '<', b1.len) && !memchr(b1.ptr, '>', b1.len) &&
               !memchr(b1.ptr, '&', b1.len));
    cJSON *again = NULL;
    struct json_error err;
    int rc = json_parse(b1.ptr, b1.len, JSON_DEPTH_MAX, &again, &err);
    if (rc != 0)
        fprintf(stderr, "written form refused (%s at %zu): %.*s\n", err.why, err.offset,
                (int)b1.len, b1.ptr);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(json_write_item(&b2, again) == 0);
    FUZZ_CHECK(b1.len == b2.len && memcmp(b1.ptr, b2.ptr, b1.len) == 0);
    cJSON_Delete(again);
    buf_cleanup(&b1);
    buf_cleanup(&b2);
}

/* Any bytes without NUL, escaped, are a JSON string that parses; valid UTF-8 parses back
 * to itself (other bytes become U+FFFD). */
static void check_escape(const uint8_t *data, size_t size)
{
    if (memchr(data, 0, size))
        return;
    struct buf b;
    buf_init(&b, 1u << 22);
    json_escape(&b, (const char *)data, size);
    FUZZ_CHECK(b.err == 0);
    FUZZ_CHECK(ref_utf8_valid((const uint8_t *)b.ptr, b.len));
    cJSON *s = NULL;
    struct json_error err;
    FUZZ_CHECK(json_parse(b.ptr, b.len, 1, &s, &err) == 0);
    FUZZ_CHECK(cJSON_IsString(s));
    if (ref_utf8_valid(data, size))
        FUZZ_CHECK(strlen(s->valuestring) == size && memcmp(s->valuestring, data, size) == 0);
    cJSON_Delete(s);
    buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    FUZZ_CHECK(json_utf8_valid(p, size) == ref_utf8_valid(data, size));
    cJSON *root = NULL;
    struct json_error err = {0};
    int rc = json_parse(p, size, JSON_DEPTH_MAX, &root, &err);
    FUZZ_CHECK(rc == 0 || rc == TREU_EINVAL || rc == TREU_ENOMEM);
    if (rc == 0) {
        FUZZ_CHECK(root && ref_utf8_valid(data, size));
        for (size_t i = 0; i < size; i++) /* RFC 8259: no other control bytes anywhere */
            FUZZ_CHECK(data[i] >= 0x20 || data[i] == '\t' || data[i] == '\n' || data[i] == '\r');
        check_round_trip(root);
        cJSON_Delete(root);
    } else {
        FUZZ_CHECK(!root && err.why && err.offset <= size);
    }
    check_escape(data, size);
    return 0;
}
