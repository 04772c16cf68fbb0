/* codes.c - rejection sampling keeps every charset character equally likely. */
#include "core/codes.h"

#include <stdio.h>
#include <string.h>

static const char *codes_charset(const struct code_config *cc)
{
    return cc->charset && cc->charset[0] ? cc->charset : CODES_DEFAULT_CHARSET;
}

static size_t codes_random_count(const struct code_config *cc)
{
    if (!cc->pattern)
        return cc->length > 0 ? (size_t)cc->length : 0;
    size_t n = 0;
    for (const char *p = cc->pattern; *p; p++)
        n += *p == '#';
    return n;
}

bool codes_config_valid(const struct code_config *cc, char *why, size_t why_size)
{
    const char *cs = codes_charset(cc);
    size_t cn = strlen(cs);
    if (cn < 2 || cn > CODES_CHARSET_MAX) {
        snprintf(why, why_size, "charset: 2 to %d characters", CODES_CHARSET_MAX);
        return false;
    }
    for (size_t i = 0; i < cn; i++) {
        if (cs[i] < 0x21 || cs[i] > 0x7E || cs[i] == '#' || strchr(cs + i + 1, cs[i])) {
            snprintf(why, why_size, "charset: printable ASCII without '#' and repeats");
            return false;
        }
    }
    size_t total = cc->pattern ? strlen(cc->pattern)
                               : (cc->prefix ? strlen(cc->prefix) : 0) + codes_random_count(cc) +
                                     (cc->postfix ? strlen(cc->postfix) : 0);
    if (codes_random_count(cc) < CODES_RANDOM_MIN || total > CODES_LEN_MAX) {
        snprintf(why, why_size, "%s: at least %d random characters and at most %d in all",
                 cc->pattern ? "pattern" : "length", CODES_RANDOM_MIN, CODES_LEN_MAX);
        return false;
    }
    const char *fixed[] = {cc->pattern, cc->prefix, cc->postfix};
    for (size_t f = 0; f < 3; f++) {
        for (const char *p = fixed[f]; p && *p; p++) {
            if (*p < 0x21 || *p > 0x7E) {
                snprintf(why, why_size, "%s: printable ASCII only",
                         f == 0   ? "pattern"
                         : f == 1 ? "prefix"
                                  : "postfix");
                return false;
            }
        }
    }
    return true;
}

static char codes_draw(const char *cs, size_t cn, const struct rng *r)
{
    size_t limit = 256 - 256 % cn;
    for (;;) {
        unsigned char b;
        r->fill(r->ctx, &b, 1);
        if (b < limit)
            return cs[b % cn];
    }
}

void codes_generate(const struct code_config *cc, const struct rng *r, char *out)
{
    const char *cs = codes_charset(cc);
    size_t cn = strlen(cs), o = 0;
    if (cc->pattern) {
        for (const char *p = cc->pattern; *p && o < CODES_LEN_MAX; p++)
            out[o++] = *p == '#' ? codes_draw(cs, cn, r) : *p;
    } else {
        for (const char *p = cc->prefix; p && *p && o < CODES_LEN_MAX; p++)
            out[o++] = *p;
        for (int i = 0; i < cc->length && o < CODES_LEN_MAX; i++)
            out[o++] = codes_draw(cs, cn, r);
        for (const char *p = cc->postfix; p && *p && o < CODES_LEN_MAX; p++)
            out[o++] = *p;
    }
    out[o] = '\0';
}
