/* ids.h - resource ids ("cust_" + 24 base62 chars), UUIDs and secret tokens, made from
 * randomness the caller passes in (struct rng), so tests can make them deterministic. */
#ifndef TREU_IDS_H
#define TREU_IDS_H

#include "core/common.h"

struct rng {
    void (*fill)(void *ctx, void *out, size_t n);
    void *ctx;
};

#define IDS_RANDOM_CHARS 24 /* base62 characters after the prefix: ~143 bits */
#define IDS_MAX_LEN      40 /* longest id including prefix and NUL */
#define IDS_UUID_LEN     36
#define IDS_TIME_CHARS   9 /* 62^9 µs reach past the year 2400 */

/* Writes prefix + IDS_RANDOM_CHARS base62 characters + NUL into out (IDS_MAX_LEN bytes).
 * The prefix must be at most 12 bytes. */
void ids_make(const struct rng *r, const char *prefix, char out[IDS_MAX_LEN]);

/* Like ids_make, but the first IDS_TIME_CHARS characters encode `now_us` (microseconds
 * since the epoch, base62, fixed width), so ids made later sort later: rows keyed by them
 * are appended at the right edge of their B-tree instead of scattered across it (a random
 * key dirties one page per insert). The rest stays random. */
void ids_make_at(const struct rng *r, int64_t now_us, const char *prefix, char out[IDS_MAX_LEN]);

/* Writes `n` uniformly random base62 characters and a NUL (out holds n + 1 bytes). */
void ids_base62(const struct rng *r, char *out, size_t n);

/* Writes a random (version 4) UUID, lower-case, and a NUL. */
void ids_uuid(const struct rng *r, char out[IDS_UUID_LEN + 1]);

#endif
