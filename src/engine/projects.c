/* projects.c - app ids are UUIDs like Voucherify's; tokens are long base62 secrets. */
#include "engine/projects.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

void projects_hash_token(const char *token, size_t len, unsigned char out[STORE_HASH_BYTES])
{
    crypto_generichash(out, STORE_HASH_BYTES, (const unsigned char *)token, len, NULL, 0);
}

static int projects_key_insert(struct store_conn *c, const char *project_id, enum key_kind kind,
                               int64_t now, const struct rng *r, struct new_key *out)
{
    struct api_key k = {.kind = kind, .created_at = now};
    ids_uuid(r, out->app_id);
    ids_base62(r, out->token, KEY_TOKEN_CHARS);
    out->kind = kind;
    snprintf(out->project_id, sizeof out->project_id, "%s", project_id);
    memcpy(k.app_id, out->app_id, sizeof k.app_id);
    memcpy(k.project_id, out->project_id, sizeof k.project_id);
    projects_hash_token(out->token, KEY_TOKEN_CHARS, k.token_hash);
    k.name = kind == KEY_SERVER ? "server" : "client";
    return store_key_insert(c, &k);
}

int projects_create(struct store_conn *c, const char *name, int64_t now, const struct rng *r,
                    struct new_project *out)
{
    size_t len = strlen(name);
    if (len == 0 || len > PROJECT_NAME_BYTES_MAX)
        return TREU_EINVAL;
    struct project p = {.name = name, .created_at = now};
    ids_make(r, "proj_", p.id);
    memcpy(out->project_id, p.id, sizeof p.id);
    int rc = store_begin(c);
    if (rc < 0)
        return rc;
    rc = store_project_insert(c, &p);
    if (rc == 0)
        rc = projects_key_insert(c, p.id, KEY_SERVER, now, r, &out->server);
    if (rc == 0)
        rc = projects_key_insert(c, p.id, KEY_CLIENT, now, r, &out->client);
    if (rc == 0)
        rc = store_commit(c);
    if (rc < 0)
        store_rollback(c);
    return rc;
}

int projects_key_create(struct store_conn *c, const char *project_id, enum key_kind kind,
                        int64_t now, const struct rng *r, struct new_key *out)
{
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct project p;
    int rc = store_begin(c);
    if (rc < 0)
        goto out;
    rc = store_project_get(c, project_id, &a, &p);
    if (rc == 0)
        rc = projects_key_insert(c, project_id, kind, now, r, out);
    if (rc == 0)
        rc = store_commit(c);
    if (rc < 0)
        store_rollback(c);
out:
    arena_cleanup(&a);
    return rc;
}

int projects_key_check(struct store_conn *c, const char *app_id, const char *token, struct arena *a,
                       struct api_key *key, enum key_check *result)
{
    *result = KEY_UNKNOWN;
    int rc = store_key_get(c, app_id, a, key);
    if (rc == TREU_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    unsigned char h[STORE_HASH_BYTES];
    projects_hash_token(token, strlen(token), h);
    if (sodium_memcmp(h, key->token_hash, STORE_HASH_BYTES) != 0)
        *result = KEY_BAD_TOKEN;
    else if (key->revoked_at)
        *result = KEY_REVOKED;
    else
        *result = KEY_OK;
    return 0;
}

int projects_key_check_token(struct store_conn *c, const char *token, size_t len, struct arena *a,
                             struct api_key *key, enum key_check *result)
{
    *result = KEY_UNKNOWN;
    unsigned char h[STORE_HASH_BYTES];
    projects_hash_token(token, len, h);
    int rc = store_key_get_by_hash(c, h, a, key);
    if (rc == TREU_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    /* The index found it by equality already; the comparison keeps the one rule that a
     * token is only ever accepted after a constant-time match. */
    if (sodium_memcmp(h, key->token_hash, STORE_HASH_BYTES) != 0)
        *result = KEY_BAD_TOKEN;
    else if (key->revoked_at)
        *result = KEY_REVOKED;
    else
        *result = KEY_OK;
    return 0;
}

static int64_t clock_real_now(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t clock_offset_now(void *ctx)
{
    struct clock_offset *c = ctx;
    return clock_real_now(NULL) + atomic_load(&c->offset_us);
}

void engine_clock_offset_init(struct clock_offset *c)
{
    c->clock.now_us = clock_offset_now;
    c->clock.ctx = c;
    atomic_init(&c->offset_us, 0);
}

#define RNG_POOL_BYTES 512

/* libsodium's randomness, drawn RNG_POOL_BYTES at a time per thread: one getrandom call
 * per few dozen ids instead of one per id (it showed in the earn profile). */
static void rng_sodium_fill(void *ctx, void *out, size_t n)
{
    static _Thread_local unsigned char pool[RNG_POOL_BYTES];
    static _Thread_local size_t left;
    (void)ctx;
    if (n > RNG_POOL_BYTES / 4) {
        randombytes_buf(out, n);
        return;
    }
    if (n > left) {
        randombytes_buf(pool, sizeof pool);
        left = sizeof pool;
    }
    memcpy(out, pool + sizeof pool - left, n);
    sodium_memzero(pool + sizeof pool - left, n);
    left -= n;
}

static const struct clock clock_system = {clock_real_now, NULL};
static const struct rng rng_system = {rng_sodium_fill, NULL};

const struct clock *engine_clock_system(void)
{
    return &clock_system;
}

const struct rng *engine_rng_system(void)
{
    return &rng_system;
}
