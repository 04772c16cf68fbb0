/* webhooks.c - the dispatcher and its senders.
 *
 * Why one delivery in flight per endpoint: a receiver that checks order (or applies
 * balance changes in sequence) must never see event N+1 before event N. The dispatcher
 * therefore only ever takes the head of an endpoint's queue, and never one whose endpoint
 * already has a transfer in flight. Different endpoints proceed in parallel, up to
 * WEBHOOKS_SENDERS at once, so one slow receiver does not hold up the others beyond its
 * own slot. */
#include "jobs/webhooks.h"

#include "core/log.h"
#include "treu_version.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum slot_state { SLOT_IDLE, SLOT_ASSIGNED, SLOT_RUNNING };

struct webhooks;

/* What one sender is doing; strings are heap copies owned by the slot while not idle. */
struct slot {
    struct webhooks *wh;
    pthread_t thread;
    enum slot_state state; /* guarded by wh->mu */
    char project_id[IDS_MAX_LEN];
    char webhook_id[IDS_MAX_LEN];
    char delivery_id[IDS_MAX_LEN];
    char event_id[IDS_MAX_LEN];
    int64_t attempt; /* the number of this attempt */
    int64_t seq;     /* the delivery's place in its endpoint's queue */
    char *url, *secret, *body;
    CURL *curl;
};

struct webhooks {
    struct store_pool *readers;
    struct writer *writer;
    const struct clock *clock;
    const struct rng *rng;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* the dispatcher waits here */
    pthread_cond_t job_cv;  /* senders wait for a job */
    pthread_cond_t done_cv; /* senders wait for their attempt's commit */
    bool poked;             /* guarded by mu */
    uint64_t completions;   /* attempts settled; guarded by mu */
    atomic_bool stopping;
    struct slot slots[WEBHOOKS_SENDERS];
};

/* ---- pure parts ---- */

int64_t webhooks_backoff_us(int64_t failures, uint64_t random)
{
    int64_t cap = WEBHOOKS_BACKOFF_BASE_US;
    for (int64_t i = 1; i < failures && cap < WEBHOOKS_BACKOFF_CAP_US; i++)
        cap *= 2;
    if (cap > WEBHOOKS_BACKOFF_CAP_US)
        cap = WEBHOOKS_BACKOFF_CAP_US;
    return WEBHOOKS_BACKOFF_MIN_US + (int64_t)(random % (uint64_t)cap);
}

bool webhooks_give_up(int64_t retry_from, int64_t now)
{
    return now - retry_from >= WEBHOOKS_RETRY_WINDOW_US;
}

void webhooks_sign(const char *secret, const char *body, size_t len,
                   char out[WEBHOOKS_SIGNATURE_LEN + 1])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, WEBHOOKS_SIGNATURE_LEN + 1, mac, sizeof mac);
}

/* ---- recording an attempt ---- */

struct attempt_cmd {
    struct command cmd;
    struct slot *slot;
    int64_t status_code; /* 0 = no HTTP answer */
    int64_t duration_us;
    char error[WEBHOOKS_ERROR_BYTES_MAX + 1]; /* "" on success */
    bool done;                                /* guarded by wh->mu */
};

static int attempt_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct attempt_cmd *ac = (struct attempt_cmd *)cmd;
    struct slot *s = ac->slot;
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct webhook_delivery d;
    int rc =
        store_webhook_delivery_get(tx->conn, s->project_id, s->webhook_id, s->delivery_id, &a, &d);
    cmd->status = 200;
    if (rc == TREU_ENOTFOUND || (rc == 0 && strcmp(d.status, "PENDING") != 0)) {
        rc = 0; /* the endpoint was deleted, or the delivery settled meanwhile */
        goto out;
    }
    bool ok = ac->error[0] == '\0';
    struct webhook_attempt at = {.n = d.attempts + 1,
                                 .at = tx->now_us,
                                 .duration_us = ac->duration_us,
                                 .status_code = ac->status_code,
                                 .error = ok ? NULL : ac->error};
    if (rc == 0)
        rc = store_webhook_attempt_insert(tx->conn, s->project_id, d.id, &at);
    d.attempts = at.n;
    d.last_status_code = ac->status_code;
    d.last_error = at.error;
    d.updated_at = tx->now_us;
    d.next_attempt_at = 0;
    if (ok) {
        d.status = "DELIVERED";
    } else if (webhooks_give_up(d.retry_from, tx->now_us)) {
        d.status = "FAILED";
    } else {
        uint64_t r;
        tx->rng->fill(tx->rng->ctx, &r, sizeof r);
        d.next_attempt_at = tx->now_us + webhooks_backoff_us(at.n, r);
    }
    if (rc == 0)
        rc = store_webhook_delivery_update(tx->conn, s->project_id, &d);
out:
    arena_cleanup(&a);
    return rc;
}

static void attempt_done(struct command *cmd)
{
    struct attempt_cmd *ac = (struct attempt_cmd *)cmd;
    struct webhooks *wh = ac->slot->wh;
    if (cmd->outcome == COMMAND_FAILED)
        log_warn("webhook attempt not recorded", "delivery=%s err=\"%s\"", ac->slot->delivery_id,
                 treu_strerror(cmd->rc));
    pthread_mutex_lock(&wh->mu);
    ac->done = true;
    pthread_cond_broadcast(&wh->done_cv);
    pthread_mutex_unlock(&wh->mu);
}

/* Submits the attempt and waits for its commit. Not under wh->mu (the writer's commit
 * hook takes wh->mu while holding the writer's lock). */
static void attempt_record(struct slot *s, struct attempt_cmd *ac)
{
    struct webhooks *wh = s->wh;
    ac->slot = s;
    buf_init(&ac->cmd.body, 4096);
    ac->cmd.project_id = s->project_id;
    ac->cmd.apply = attempt_apply;
    ac->cmd.done = attempt_done;
    if (writer_submit(wh->writer, &ac->cmd) == 0) {
        pthread_mutex_lock(&wh->mu);
        while (!ac->done)
            pthread_cond_wait(&wh->done_cv, &wh->mu);
        pthread_mutex_unlock(&wh->mu);
    }
    buf_cleanup(&ac->cmd.body);
}

/* ---- one POST ---- */

static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
    (void)ptr;
    (void)arg;
    return size * n;
}

static int abort_check(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct webhooks *wh = arg;
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&wh->stopping) ? 1 : 0;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sends the slot's delivery once. Returns false when shutdown aborted it (nothing to
 * record); else fills the attempt's outcome. */
static bool post_once(struct slot *s, struct attempt_cmd *ac)
{
    char sig[WEBHOOKS_SIGNATURE_LEN + 1], h_sig[128], h_id[96], h_try[64], h_dl[96], h_seq[64];
    size_t len = strlen(s->body);
    webhooks_sign(s->secret, s->body, len, sig);
    snprintf(h_sig, sizeof h_sig, "X-Treu-Signature: %s", sig);
    snprintf(h_id, sizeof h_id, "X-Treu-Event-Id: %s", s->event_id);
    snprintf(h_try, sizeof h_try, "X-Treu-Delivery-Attempt: %lld", (long long)s->attempt);
    snprintf(h_dl, sizeof h_dl, "X-Treu-Delivery-Id: %s", s->delivery_id);
    snprintf(h_seq, sizeof h_seq, "X-Treu-Delivery-Seq: %lld", (long long)s->seq);
    struct curl_slist *hs = NULL, *more;
    const char *lines[] = {
        "Content-Type: application/json", h_sig, h_id, h_try, h_dl, h_seq, "Expect:"};
    for (size_t i = 0; i < TREU_ARRAY_LEN(lines); i++) {
        more = curl_slist_append(hs, lines[i]);
        if (!more)
            break;
        hs = more;
    }
    CURL *c = s->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)WEBHOOKS_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)WEBHOOKS_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "treu/" TREU_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_check);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s->wh);
    int64_t t0 = mono_us();
    CURLcode cc = curl_easy_perform(c);
    ac->duration_us = mono_us() - t0;
    curl_slist_free_all(hs);
    if (cc == CURLE_ABORTED_BY_CALLBACK && atomic_load(&s->wh->stopping))
        return false;
    long code = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    ac->status_code = code;
    if (cc != CURLE_OK)
        snprintf(ac->error, sizeof ac->error, "%s", curl_easy_strerror(cc));
    else if (code < 200 || code > 299)
        snprintf(ac->error, sizeof ac->error, "HTTP %ld", code);
    return true;
}

/* ---- senders ---- */

static void slot_release_locked(struct slot *s)
{
    free(s->url);
    free(s->secret);
    free(s->body);
    s->url = s->secret = s->body = NULL;
    s->state = SLOT_IDLE;
}

static void *sender_main(void *arg)
{
    struct slot *s = arg;
    struct webhooks *wh = s->wh;
    for (;;) {
        pthread_mutex_lock(&wh->mu);
        while (s->state != SLOT_ASSIGNED && !atomic_load(&wh->stopping))
            pthread_cond_wait(&wh->job_cv, &wh->mu);
        if (s->state != SLOT_ASSIGNED) {
            pthread_mutex_unlock(&wh->mu);
            break;
        }
        s->state = SLOT_RUNNING;
        pthread_mutex_unlock(&wh->mu);
        struct attempt_cmd ac = {0};
        if (post_once(s, &ac))
            attempt_record(s, &ac);
        pthread_mutex_lock(&wh->mu);
        slot_release_locked(s);
        wh->completions++;
        wh->poked = true;
        pthread_cond_broadcast(&wh->cv);
        pthread_mutex_unlock(&wh->mu);
    }
    return NULL;
}

/* ---- the dispatcher ---- */

static bool in_flight_locked(struct webhooks *wh, const struct webhook_delivery *d)
{
    for (size_t i = 0; i < WEBHOOKS_SENDERS; i++) {
        const struct slot *s = &wh->slots[i];
        if (s->state != SLOT_IDLE && strcmp(s->project_id, d->project_id) == 0 &&
            strcmp(s->webhook_id, d->webhook_id) == 0)
            return true;
    }
    return false;
}

static struct slot *idle_slot_locked(struct webhooks *wh)
{
    for (size_t i = 0; i < WEBHOOKS_SENDERS; i++) {
        if (wh->slots[i].state == SLOT_IDLE)
            return &wh->slots[i];
    }
    return NULL;
}

static bool assign_locked(struct slot *s, const struct webhook_delivery *d)
{
    s->url = strdup(d->url ? d->url : "");
    s->secret = strdup(d->secret ? d->secret : "");
    s->body = strdup(d->body ? d->body : "");
    if (!s->url || !s->secret || !s->body) {
        slot_release_locked(s);
        return false;
    }
    memcpy(s->project_id, d->project_id, sizeof s->project_id);
    memcpy(s->webhook_id, d->webhook_id, sizeof s->webhook_id);
    memcpy(s->delivery_id, d->id, sizeof s->delivery_id);
    memcpy(s->event_id, d->event_id, sizeof s->event_id);
    s->attempt = d->attempts + 1;
    s->seq = d->seq;
    s->state = SLOT_ASSIGNED;
    return true;
}

/* Hands out the due heads; returns when the earliest not-yet-due head falls due (0 = none). */
static int64_t dispatch_round(struct webhooks *wh)
{
    struct arena a;
    arena_init(&a, 16u * 1024 * 1024);
    struct webhook_delivery *heads = NULL;
    size_t n = 0;
    pthread_mutex_lock(&wh->mu);
    uint64_t seen = wh->completions;
    pthread_mutex_unlock(&wh->mu);
    struct store_conn *c = store_pool_acquire(wh->readers);
    int rc = store_webhook_delivery_heads(c, WEBHOOKS_HEADS_MAX, &a, &heads, &n);
    store_pool_release(wh->readers, c);
    if (rc < 0)
        log_warn("webhook queues unreadable", "err=\"%s\"", treu_strerror(rc));
    int64_t now = clock_now_us(wh->clock), next = 0;
    pthread_mutex_lock(&wh->mu);
    /* A head read before a sender settled it may be stale (already delivered): read again.
     * The sender's completion also set poked, so the dispatcher does not sleep. */
    if (wh->completions != seen)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        const struct webhook_delivery *d = &heads[i];
        if (in_flight_locked(wh, d))
            continue; /* its sender pokes when done */
        if (d->next_attempt_at > now) {
            if (!next || d->next_attempt_at < next)
                next = d->next_attempt_at;
            continue;
        }
        struct slot *s = idle_slot_locked(wh);
        if (s && assign_locked(s, d))
            pthread_cond_broadcast(&wh->job_cv);
    }
    pthread_mutex_unlock(&wh->mu);
    arena_cleanup(&a);
    return rc < 0 ? now + WEBHOOKS_BACKOFF_MIN_US : next;
}

static void wait_locked(struct webhooks *wh, int64_t wait_us)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t ns = until.tv_nsec + (wait_us % 1000000) * 1000;
    until.tv_sec += (time_t)(wait_us / 1000000 + ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    pthread_cond_timedwait(&wh->cv, &wh->mu, &until);
}

static void *dispatcher_main(void *arg)
{
    struct webhooks *wh = arg;
    while (!atomic_load(&wh->stopping)) {
        pthread_mutex_lock(&wh->mu);
        wh->poked = false;
        pthread_mutex_unlock(&wh->mu);
        int64_t next = dispatch_round(wh);
        int64_t wait = WEBHOOKS_IDLE_US;
        if (next) {
            int64_t until = next - clock_now_us(wh->clock);
            wait = until < 1000 ? 1000 : until < wait ? until : wait;
        }
        pthread_mutex_lock(&wh->mu);
        if (!wh->poked && !atomic_load(&wh->stopping))
            wait_locked(wh, wait);
        pthread_mutex_unlock(&wh->mu);
    }
    return NULL;
}

void webhooks_poke(struct webhooks *wh)
{
    pthread_mutex_lock(&wh->mu);
    wh->poked = true;
    pthread_cond_broadcast(&wh->cv);
    pthread_mutex_unlock(&wh->mu);
}

static void poke_hook(void *arg)
{
    webhooks_poke(arg);
}

/* Stops and joins `nsenders` senders and, with `dispatcher`, the dispatcher. */
static void webhooks_stop(struct webhooks *wh, size_t nsenders, bool dispatcher)
{
    pthread_mutex_lock(&wh->mu);
    atomic_store(&wh->stopping, true);
    pthread_cond_broadcast(&wh->cv);
    pthread_cond_broadcast(&wh->job_cv);
    pthread_mutex_unlock(&wh->mu);
    if (dispatcher)
        pthread_join(wh->thread, NULL);
    for (size_t i = 0; i < nsenders; i++)
        pthread_join(wh->slots[i].thread, NULL);
    for (size_t i = 0; i < WEBHOOKS_SENDERS; i++) {
        slot_release_locked(&wh->slots[i]);
        curl_easy_cleanup(wh->slots[i].curl);
    }
    pthread_cond_destroy(&wh->done_cv);
    pthread_cond_destroy(&wh->job_cv);
    pthread_cond_destroy(&wh->cv);
    pthread_mutex_destroy(&wh->mu);
    curl_global_cleanup();
    free(wh);
}

int webhooks_start(struct store_pool *readers, struct writer *w, const struct clock *clock,
                   const struct rng *rng, struct webhooks **out)
{
    *out = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return TREU_ENOMEM;
    struct webhooks *wh = calloc(1, sizeof *wh);
    if (!wh) {
        curl_global_cleanup();
        return TREU_ENOMEM;
    }
    wh->readers = readers;
    wh->writer = w;
    wh->clock = clock;
    wh->rng = rng;
    pthread_mutex_init(&wh->mu, NULL);
    pthread_cond_init(&wh->cv, NULL);
    pthread_cond_init(&wh->job_cv, NULL);
    pthread_cond_init(&wh->done_cv, NULL);
    size_t started = 0;
    int rc = 0;
    for (size_t i = 0; i < WEBHOOKS_SENDERS && rc == 0; i++) {
        struct slot *s = &wh->slots[i];
        s->wh = wh;
        s->curl = curl_easy_init();
        if (!s->curl || pthread_create(&s->thread, NULL, sender_main, s) != 0)
            rc = TREU_ENOMEM;
        else
            started++;
    }
    if (rc == 0 && pthread_create(&wh->thread, NULL, dispatcher_main, wh) != 0)
        rc = TREU_ENOMEM;
    if (rc < 0) {
        webhooks_stop(wh, started, false);
        return rc;
    }
    writer_set_commit_hook(w, poke_hook, wh);
    *out = wh;
    return 0;
}

void webhooks_free(struct webhooks *wh)
{
    if (!wh)
        return;
    writer_set_commit_hook(wh->writer, NULL, NULL);
    webhooks_stop(wh, WEBHOOKS_SENDERS, true);
}
