/* json.h - JSON in and out.
 * In: json_parse checks the raw bytes first (valid UTF-8, nesting depth, size) and only
 * then hands them to cJSON, so cJSON never sees input treu would refuse.
 * Out: a streaming writer (struct jw) over one bounded buf; it escapes everything that
 * could break out of a string, including <, > and & for pages that embed our JSON.
 * Not thread-safe; one writer per buf. */
#ifndef TREU_JSON_H
#define TREU_JSON_H

#include "core/buf.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

#define JSON_DEPTH_MAX 32 /* nesting levels accepted in any request body */

struct json_error {
    size_t offset;   /* byte offset of the problem in the input */
    const char *why; /* static text: "invalid UTF-8", "nesting deeper than 32", ... */
};

/* Checks that `p[0..len)` is valid UTF-8 with nesting at most `depth_max` and no control
 * bytes outside strings but tab, CR and LF, then parses it; numbers must fit a double.
 * On success *out is a tree the caller frees with cJSON_Delete. On bad input returns
 * TREU_EINVAL and fills *err; TREU_ENOMEM if cJSON ran out of memory. */
TREU_MUST_USE int json_parse(const char *p, size_t len, int depth_max, cJSON **out,
                             struct json_error *err);

/* True when `p[0..len)` is valid UTF-8 without overlongs or surrogates. */
bool json_utf8_valid(const char *p, size_t len);

/* Serializes `item` compactly into `b`, escaping strings like jw_str. Returns b->err. */
int json_write_item(struct buf *b, const cJSON *item);

/* Streaming writer. Commas and colons are placed for the caller. */
struct jw {
    struct buf *b;
    int depth;
    bool after_key;
    bool first[JSON_DEPTH_MAX + 2];
};

void jw_init(struct jw *w, struct buf *b);
void jw_obj_open(struct jw *w);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w);
void jw_arr_close(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s); /* NULL → null */
void jw_strn(struct jw *w, const char *s, size_t len);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_raw(struct jw *w, const char *json);   /* already-valid JSON text; NULL → null */
void jw_time(struct jw *w, int64_t us);        /* ISO 8601 UTC with ms; 0 → null */
void jw_item(struct jw *w, const cJSON *item); /* a parsed value; NULL → null */

static inline void jw_kv_str(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v);
}
static inline void jw_kv_int(struct jw *w, const char *k, int64_t v)
{
    jw_key(w, k);
    jw_int(w, v);
}
static inline void jw_kv_bool(struct jw *w, const char *k, bool v)
{
    jw_key(w, k);
    jw_bool(w, v);
}
static inline void jw_kv_raw(struct jw *w, const char *k, const char *json)
{
    jw_key(w, k);
    jw_raw(w, json);
}
static inline void jw_kv_time(struct jw *w, const char *k, int64_t us)
{
    jw_key(w, k);
    jw_time(w, us);
}

/* Appends `s[0..len)` as a quoted, escaped JSON string. Bytes that are not UTF-8 become
 * U+FFFD, so the result is valid JSON whatever `s` holds. */
void json_escape(struct buf *b, const char *s, size_t len);

#endif
