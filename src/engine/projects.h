/* projects.h - tenants and their API keys: creating a project with its first server and
 * client key, adding and revoking keys, and checking a presented token.
 * Tokens are shown once, when made; the store keeps only their BLAKE2b hash, and
 * checks compare hashes in constant time. Callable from any thread with its own
 * connection (the CLI writes directly; the server only reads keys). */
#ifndef TREU_PROJECTS_H
#define TREU_PROJECTS_H

#include "core/ids.h"
#include "core/tstime.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdbool.h>

#define PROJECT_NAME_BYTES_MAX 100
#define KEY_TOKEN_CHARS        40 /* base62: ~238 bits */

struct new_key {
    char app_id[IDS_MAX_LEN];
    char token[KEY_TOKEN_CHARS + 1];
    enum key_kind kind;
    char project_id[IDS_MAX_LEN];
};

struct new_project {
    char project_id[IDS_MAX_LEN];
    struct new_key server;
    struct new_key client;
};

/* Hashes a presented token for storage or comparison. */
void projects_hash_token(const char *token, size_t len, unsigned char out[STORE_HASH_BYTES]);

/* Creates a project named `name` with one server and one client key, in one transaction
 * on the write connection `c`. TREU_EINVAL for an empty or over-long name. */
TREU_MUST_USE int projects_create(struct store_conn *c, const char *name, int64_t now,
                                  const struct rng *r, struct new_project *out);

/* Adds a key of `kind` to an existing project. TREU_ENOTFOUND for an unknown project. */
TREU_MUST_USE int projects_key_create(struct store_conn *c, const char *project_id,
                                      enum key_kind kind, int64_t now, const struct rng *r,
                                      struct new_key *out);

enum key_check { KEY_OK, KEY_UNKNOWN, KEY_BAD_TOKEN, KEY_REVOKED };

/* Looks up app_id and compares the token's hash in constant time. On KEY_OK *key holds
 * the key (its project and kind). */
TREU_MUST_USE int projects_key_check(struct store_conn *c, const char *app_id, const char *token,
                                     struct arena *a, struct api_key *key, enum key_check *result);

/* Finds the key whose token is `token` (a Segment-style write key: a token without its
 * app id) through the token's hash. *result is KEY_UNKNOWN when no key has it, else as
 * for projects_key_check; on KEY_OK *key holds the key. */
TREU_MUST_USE int projects_key_check_token(struct store_conn *c, const char *token, size_t len,
                                           struct arena *a, struct api_key *key,
                                           enum key_check *result);

/* A real clock that can be moved forward, for black-box tests of time (`treu serve
 * --test-clock`). Never enabled unless asked for. */
struct clock_offset {
    struct clock clock; /* pass &c->clock wherever a clock is wanted */
    _Atomic int64_t offset_us;
};
void engine_clock_offset_init(struct clock_offset *c);

/* The process's real clock and randomness (libsodium), for the server and the CLI. */
const struct clock *engine_clock_system(void);
const struct rng *engine_rng_system(void);

#endif
