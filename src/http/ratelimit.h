/* ratelimit.h - per-key request rate limits: one token bucket per API key (app id), refilled
 * at the key kind's rate, holding at most one second's worth. A request takes one token;
 * without one it is answered 429 with Retry-After. Limits are per process (several nodes
 * each apply them). The table keeps the recently active keys; an evicted key starts again
 * with a full bucket, which only ever errs towards letting a request through.
 * Thread-safety: ratelimit_take from any thread. */
#ifndef TREU_RATELIMIT_H
#define TREU_RATELIMIT_H

#include "store/store.h"

#include <stdbool.h>

#define RATELIMIT_SLOTS   4096 /* keys tracked at once (power of two) */
#define RATELIMIT_STRIPES 64   /* locks over the slots */
#define RATELIMIT_PROBE   8    /* slots looked at for a key before evicting the stalest */

struct ratelimit;

/* Requests per second for server and client keys; 0 = unlimited. */
TREU_MUST_USE int ratelimit_new(double server_rps, double client_rps, struct ratelimit **out);
void ratelimit_free(struct ratelimit *rl);

/* Takes one request for `app_id` at monotonic `now_us`. False when the key's bucket is
 * empty; *retry_after_s is then the whole seconds until a token is back (at least 1). */
bool ratelimit_take(struct ratelimit *rl, const char *app_id, enum key_kind kind, int64_t now_us,
                    int *retry_after_s);

#endif
