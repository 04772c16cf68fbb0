/* codes.h - card and voucher codes from a pattern or a prefix/length/postfix, drawn
 * uniformly from a charset with randomness the caller passes in. Pure.
 * Uniqueness is the caller's business (the store refuses a taken code; retry). */
#ifndef TREU_CODES_H
#define TREU_CODES_H

#include "core/ids.h"

#include <stdbool.h>

#define CODES_LEN_MAX         64  /* a whole code */
#define CODES_CHARSET_MAX     128 /* distinct characters in a charset */
#define CODES_RANDOM_MIN      6   /* random characters at least: guessing must be hard */
#define CODES_DEFAULT_CHARSET "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"

struct code_config {
    const char *pattern; /* '#' = one random character; NULL = prefix + length + postfix */
    const char *charset; /* NULL = CODES_DEFAULT_CHARSET */
    const char *prefix;
    const char *postfix;
    int length; /* random characters when there is no pattern */
};

/* Checks a configuration. On a problem returns false and writes a message naming the
 * field into why. */
bool codes_config_valid(const struct code_config *cc, char *why, size_t why_size);

/* Writes one code and a NUL into out (CODES_LEN_MAX + 1 bytes). The configuration must
 * be valid. */
void codes_generate(const struct code_config *cc, const struct rng *r, char *out);

#endif
