/* fuzz_codes.c - code configurations (pattern, charset, prefix, postfix, length) and code
 * generation.
 * Input: five lines "length\npattern\ncharset\nprefix\npostfix"; a line "~" is absent.
 * Properties: a refused configuration says why; an accepted one has a charset of 2..128
 * distinct printable characters without '#', at least CODES_RANDOM_MIN random characters
 * and at most CODES_LEN_MAX in all; every generated code has exactly the configured length,
 * the fixed characters where the configuration puts them and charset characters in every
 * random position; the code space is at least charset size ^ CODES_RANDOM_MIN. */
#include "fuzz.h"

#include "core/codes.h"
#include "engine/vouchers.h"

#include <stdbool.h>

struct xs {
    uint64_t s;
};

static void xs_fill(void *ctx, void *out, size_t n)
{
    struct xs *x = ctx;
    unsigned char *o = out;
    for (size_t i = 0; i < n; i++) {
        x->s ^= x->s << 13, x->s ^= x->s >> 7, x->s ^= x->s << 17;
        o[i] = (unsigned char)x->s;
    }
}

/* Splits s in place at '\n' into up to n fields; "~" → NULL, missing → NULL. */
static void split_lines(char *s, char **f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        f[i] = s;
        if (s) {
            char *nl = strchr(s, '\n');
            if (nl)
                *nl = '\0';
            s = nl ? nl + 1 : NULL;
            if (strcmp(f[i], "~") == 0)
                f[i] = NULL;
        }
    }
}

static int parse_length(const char *s)
{
    if (!s)
        return 0;
    int v = 0;
    bool neg = s[0] == '-';
    for (const char *p = s + neg; *p >= '0' && *p <= '9' && v < 100000; p++)
        v = v * 10 + (*p - '0');
    return neg ? -v : v;
}

static void check_code(const struct code_config *cc, const char *code)
{
    const char *cs = cc->charset && cc->charset[0] ? cc->charset : CODES_DEFAULT_CHARSET;
    size_t len = strlen(code), o = 0;
    FUZZ_CHECK(len >= CODES_RANDOM_MIN && len <= CODES_LEN_MAX);
    if (cc->pattern) {
        FUZZ_CHECK(len == strlen(cc->pattern));
        for (const char *p = cc->pattern; *p; p++, o++)
            FUZZ_CHECK(*p == '#' ? strchr(cs, code[o]) != NULL : code[o] == *p);
        return;
    }
    size_t pre = cc->prefix ? strlen(cc->prefix) : 0, post = cc->postfix ? strlen(cc->postfix) : 0;
    FUZZ_CHECK(len == pre + (size_t)cc->length + post);
    FUZZ_CHECK(pre == 0 || memcmp(code, cc->prefix, pre) == 0);
    for (o = pre; o < pre + (size_t)cc->length; o++)
        FUZZ_CHECK(code[o] != '\0' && strchr(cs, code[o]) != NULL);
    FUZZ_CHECK(post == 0 || memcmp(code + len - post, cc->postfix, post) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    char *f[5];
    split_lines(s, f, 5);
    struct code_config cc = {.pattern = f[1],
                             .charset = f[2],
                             .prefix = f[3],
                             .postfix = f[4],
                             .length = parse_length(f[0])};
    char why[160] = "";
    bool ok = codes_config_valid(&cc, why, sizeof why);
    if (!ok) {
        FUZZ_CHECK(why[0] != '\0');
        free(s);
        return 0;
    }
    const char *cs = cc.charset && cc.charset[0] ? cc.charset : CODES_DEFAULT_CHARSET;
    size_t cn = strlen(cs);
    FUZZ_CHECK(cn >= 2 && cn <= CODES_CHARSET_MAX && !strchr(cs, '#'));
    for (size_t i = 0; i < cn; i++)
        FUZZ_CHECK(cs[i] >= 0x21 && cs[i] <= 0x7E && !strchr(cs + i + 1, cs[i]));
    int64_t space = vouchers_code_space(&cc), floor = 1;
    for (int i = 0; i < CODES_RANDOM_MIN; i++)
        floor *= (int64_t)cn;
    FUZZ_CHECK(space >= floor);
    struct xs x = {size * 0x9E3779B97F4A7C15u + 1};
    struct rng r = {xs_fill, &x};
    for (int i = 0; i < 4; i++) {
        char code[CODES_LEN_MAX + 1];
        memset(code, 0x55, sizeof code);
        codes_generate(&cc, &r, code);
        FUZZ_CHECK(memchr(code, 0, sizeof code));
        check_code(&cc, code);
    }
    free(s);
    return 0;
}
