/* json.c - the byte-level pre-check, cJSON hand-off, and the writer. */
#include "core/json.h"

#include "core/tstime.h"

#include <math.h>
#include <string.h>

/* The length (1..4) of the well-formed UTF-8 sequence starting at s[0], `left` > 0 bytes
 * being available; 0 when it is not one (stray continuation byte, overlong form, surrogate,
 * past U+10FFFF, cut short). */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left <= n)
        return 0;
    for (size_t k = 1; k <= n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    return n + 1;
}

bool json_utf8_valid(const char *p, size_t len)
{
    const unsigned char *s = (const unsigned char *)p;
    for (size_t i = 0, n; i < len; i += n) {
        n = utf8_seq_len(s + i, len - i);
        if (n == 0)
            return false;
    }
    return true;
}

/* One pass over the raw text: depth and stray control bytes outside strings. Strings are skipped
 * honouring escapes; cJSON reports any other syntax error afterwards. */
static int json_check_depth(const char *p, size_t len, int depth_max, struct json_error *err)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (in_str) {
            if ((unsigned char)c < 0x20) {
                err->offset = i;
                err->why = "unescaped control character in a string";
                return TREU_EINVAL;
            }
            if (c == '\\' && i + 5 < len && memcmp(p + i + 1, "u0000", 5) == 0) {
                /* cJSON would cut the string short at the NUL: refuse, never truncate. */
                err->offset = i;
                err->why = "\\u0000 in a string";
                return TREU_EINVAL;
            }
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > depth_max) {
                err->offset = i;
                err->why = "nesting too deep";
                return TREU_EINVAL;
            }
        } else if (c == '}' || c == ']') {
            depth--;
        } else if ((unsigned char)c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            /* cJSON skips every byte up to 0x20 as whitespace; JSON allows only these four. */
            err->offset = i;
            err->why = c == '\0' ? "NUL byte in JSON text" : "control character outside a string";
            return TREU_EINVAL;
        }
    }
    return 0;
}

/* cJSON turns a number too large for a double (1e400) into infinity, which has no JSON
 * form: written back it would be "inf", and arithmetic on it is meaningless. The tree is
 * at most depth_max deep, so the recursion is bounded. */
static bool json_numbers_finite(const cJSON *item)
{
    if (cJSON_IsNumber(item))
        return isfinite(item->valuedouble);
    for (const cJSON *c = item->child; c; c = c->next) {
        if (!json_numbers_finite(c))
            return false;
    }
    return true;
}

int json_parse(const char *p, size_t len, int depth_max, cJSON **out, struct json_error *err)
{
    *out = NULL;
    err->offset = 0;
    err->why = NULL;
    if (!json_utf8_valid(p, len)) {
        err->why = "body is not valid UTF-8";
        return TREU_EINVAL;
    }
    int rc = json_check_depth(p, len, depth_max, err);
    if (rc < 0)
        return rc;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(p, len, &end, 0);
    if (!root) {
        /* On failure cJSON points `end` at the error (its global error pointer is not
         * thread-safe, so it is not used). */
        err->offset = end && end >= p && end <= p + len ? (size_t)(end - p) : 0;
        err->why = "malformed JSON";
        return TREU_EINVAL;
    }
    while (end && end < p + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (!end || end != p + len) {
        cJSON_Delete(root);
        err->offset = end ? (size_t)(end - p) : 0;
        err->why = "unexpected text after the JSON value";
        return TREU_EINVAL;
    }
    if (!json_numbers_finite(root)) {
        cJSON_Delete(root);
        err->why = "number too large";
        return TREU_EINVAL;
    }
    *out = root;
    return 0;
}

void json_escape(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);
        bool ls = n == 3 && c == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
                  ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9);
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7F) {
            u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
            u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = '\0';
            esc = u;
        } else if (n == 0) {
            /* Not UTF-8 (a path segment or header echoed in an error): the replacement
             * character, so what treu writes is always valid JSON. */
            esc = "\\ufffd";
        } else if (ls) {
            esc = (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
        }
        if (!esc) {
            run += n;
            i += n - 1;
            continue;
        }
        buf_append(b, s + i - run, run);
        run = 0;
        buf_puts(b, esc);
        if (ls)
            i += 2;
    }
    buf_append(b, s + len - run, run);
    buf_putc(b, '"');
}

void jw_init(struct jw *w, struct buf *b)
{
    w->b = b;
    w->depth = 0;
    w->after_key = false;
    w->first[0] = true;
}

static void jw_sep(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        buf_putc(w->b, ',');
    w->first[w->depth] = false;
}

static void jw_open(struct jw *w, char c)
{
    jw_sep(w);
    buf_putc(w->b, c);
    ASSERT(w->depth < JSON_DEPTH_MAX + 1);
    w->depth++;
    w->first[w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
    ASSERT(w->depth > 0);
    w->depth--;
    buf_putc(w->b, c);
}

void jw_obj_open(struct jw *w)
{
    jw_open(w, '{');
}
void jw_obj_close(struct jw *w)
{
    jw_close(w, '}');
}
void jw_arr_open(struct jw *w)
{
    jw_open(w, '[');
}
void jw_arr_close(struct jw *w)
{
    jw_close(w, ']');
}

void jw_key(struct jw *w, const char *key)
{
    jw_sep(w);
    json_escape(w->b, key, strlen(key));
    buf_putc(w->b, ':');
    w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t len)
{
    jw_sep(w);
    json_escape(w->b, s, len);
}

void jw_str(struct jw *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    jw_strn(w, s, strlen(s));
}

void jw_int(struct jw *w, int64_t v)
{
    jw_sep(w);
    buf_put_i64(w->b, v);
}

void jw_bool(struct jw *w, bool v)
{
    jw_sep(w);
    buf_puts(w->b, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
    jw_sep(w);
    buf_puts(w->b, "null");
}

void jw_raw(struct jw *w, const char *json)
{
    jw_sep(w);
    buf_puts(w->b, json ? json : "null");
}

void jw_time(struct jw *w, int64_t us)
{
    if (!us) {
        jw_null(w);
        return;
    }
    char t[TSTIME_ISO_LEN + 1];
    tstime_format_iso(us, t);
    jw_str(w, t);
}

/* Numbers print as integers when they are exact integers cJSON holds exactly, else with
 * enough digits to round-trip. */
static void json_write_number(struct buf *b, double d)
{
    if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(int64_t)d)
        buf_put_i64(b, (int64_t)d);
    else
        buf_printf(b, "%.17g", d);
}

static void json_write_rec(struct buf *b, const cJSON *item, int depth)
{
    ASSERT(depth <= JSON_DEPTH_MAX + 1);
    if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
        bool obj = cJSON_IsObject(item);
        buf_putc(b, obj ? '{' : '[');
        for (const cJSON *c = item->child; c; c = c->next) {
            if (c != item->child)
                buf_putc(b, ',');
            if (obj) {
                json_escape(b, c->string, strlen(c->string));
                buf_putc(b, ':');
            }
            json_write_rec(b, c, depth + 1);
        }
        buf_putc(b, obj ? '}' : ']');
    } else if (cJSON_IsString(item)) {
        json_escape(b, item->valuestring, strlen(item->valuestring));
    } else if (cJSON_IsNumber(item)) {
        json_write_number(b, item->valuedouble);
    } else if (cJSON_IsTrue(item)) {
        buf_puts(b, "true");
    } else if (cJSON_IsFalse(item)) {
        buf_puts(b, "false");
    } else {
        buf_puts(b, "null");
    }
}

int json_write_item(struct buf *b, const cJSON *item)
{
    json_write_rec(b, item, 0);
    return b->err;
}

void jw_item(struct jw *w, const cJSON *item)
{
    jw_sep(w);
    if (item)
        json_write_rec(w->b, item, 0);
    else
        buf_puts(w->b, "null");
}
