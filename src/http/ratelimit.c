/* ratelimit.c - token buckets per API key in a striped, fixed-size table (ratelimit.h). */
#include "http/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct bucket {
    char app_id[IDS_MAX_LEN]; /* "" = free */
    double tokens;
    int64_t last_us;
};

struct ratelimit {
    double rps[2]; /* by enum key_kind */
    pthread_mutex_t mu[RATELIMIT_STRIPES];
    struct bucket slots[RATELIMIT_SLOTS];
};

int ratelimit_new(double server_rps, double client_rps, struct ratelimit **out)
{
    *out = NULL;
    struct ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return TREU_ENOMEM;
    rl->rps[KEY_SERVER] = server_rps > 0 ? server_rps : 0;
    rl->rps[KEY_CLIENT] = client_rps > 0 ? client_rps : 0;
    for (int i = 0; i < RATELIMIT_STRIPES; i++)
        pthread_mutex_init(&rl->mu[i], NULL);
    *out = rl;
    return 0;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < RATELIMIT_STRIPES; i++)
        pthread_mutex_destroy(&rl->mu[i]);
    free(rl);
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The key's bucket in the probe window, or the stalest slot there reset to a full one. A
 * window never crosses a stripe, so one lock covers it. */
static struct bucket *bucket_for(struct ratelimit *rl, const char *app_id, double cap,
                                 int64_t now_us, size_t first)
{
    struct bucket *stalest = NULL;
    for (size_t i = 0; i < RATELIMIT_PROBE; i++) {
        struct bucket *b = &rl->slots[first + i];
        if (strcmp(b->app_id, app_id) == 0)
            return b;
        if (!stalest || !b->app_id[0] || (stalest->app_id[0] && b->last_us < stalest->last_us))
            stalest = b;
    }
    snprintf(stalest->app_id, sizeof stalest->app_id, "%s", app_id);
    stalest->tokens = cap;
    stalest->last_us = now_us;
    return stalest;
}

static int seconds_up(double s)
{
    int whole = (int)s;
    return (double)whole < s ? whole + 1 : whole;
}

bool ratelimit_take(struct ratelimit *rl, const char *app_id, enum key_kind kind, int64_t now_us,
                    int *retry_after_s)
{
    *retry_after_s = 0;
    double rps = rl->rps[kind == KEY_CLIENT ? KEY_CLIENT : KEY_SERVER];
    if (rps <= 0)
        return true;
    double cap = rps < 1 ? 1 : rps; /* one second's worth, at least one request */
    size_t per_stripe = RATELIMIT_SLOTS / RATELIMIT_STRIPES;
    size_t stripe = hash(app_id) % RATELIMIT_STRIPES;
    size_t first = stripe * per_stripe + (hash(app_id) >> 16) % (per_stripe - RATELIMIT_PROBE + 1);
    pthread_mutex_lock(&rl->mu[stripe]);
    struct bucket *b = bucket_for(rl, app_id, cap, now_us, first);
    double elapsed = now_us > b->last_us ? (double)(now_us - b->last_us) / 1e6 : 0;
    b->tokens += elapsed * rps;
    if (b->tokens > cap)
        b->tokens = cap;
    b->last_us = now_us > b->last_us ? now_us : b->last_us;
    bool ok = b->tokens >= 1;
    if (ok)
        b->tokens -= 1;
    else
        *retry_after_s = seconds_up((1 - b->tokens) / rps);
    pthread_mutex_unlock(&rl->mu[stripe]);
    if (!ok && *retry_after_s < 1)
        *retry_after_s = 1;
    return ok;
}
