/* webhooks.h - delivers the outbox (engine/outbox.h) to webhook endpoints.
 * One dispatcher thread reads the head of every endpoint's queue (its oldest PENDING
 * delivery) on a read connection and hands the due ones to WEBHOOKS_SENDERS sender
 * threads; each POSTs with libcurl and records the attempt through a writer command.
 * An endpoint has at most one delivery in flight and its next is not sent before the
 * earlier one was delivered or given up, so a receiver sees its events in order.
 * Delivery is at least once: a crash between the POST and the recorded attempt sends
 * again after the restart. The dispatcher sleeps until the next attempt is due, or until
 * poked (after a commit that queued deliveries, after the test clock moved).
 * Start after the writer, free before it. Errors: 0 or a negative TREU_E*. */
#ifndef TREU_WEBHOOKS_H
#define TREU_WEBHOOKS_H

#include "engine/writer.h"
#include "store/pool.h"

#define WEBHOOKS_SENDERS            4
#define WEBHOOKS_HEADS_MAX          256 /* queues looked at per round */
#define WEBHOOKS_TIMEOUT_MS         10000
#define WEBHOOKS_CONNECT_TIMEOUT_MS 5000
#define WEBHOOKS_IDLE_US            (60 * 1000 * 1000) /* longest sleep without a poke */
#define WEBHOOKS_BACKOFF_BASE_US    (30 * INT64_C(1000000))
#define WEBHOOKS_BACKOFF_CAP_US     (3600 * INT64_C(1000000))
#define WEBHOOKS_BACKOFF_MIN_US     INT64_C(1000000)
#define WEBHOOKS_RETRY_WINDOW_US    (24 * 3600 * INT64_C(1000000))
#define WEBHOOKS_ERROR_BYTES_MAX    255
#define WEBHOOKS_SIGNATURE_LEN      64 /* hex of a SHA-256 HMAC */

/* The wait before the next attempt after `failures` (>= 1) failed ones, from `random`
 * (uniform 64 bits): 1 s plus full jitter, uniform in [0, min(30 s × 2^(failures−1), 1 h)).
 * Pure. */
int64_t webhooks_backoff_us(int64_t failures, uint64_t random);

/* True when a delivery whose retry window began at `retry_from` is given up after a
 * failure at `now` (the window is WEBHOOKS_RETRY_WINDOW_US). */
bool webhooks_give_up(int64_t retry_from, int64_t now);

/* Hex HMAC-SHA256 of body with the secret's text as key, and a NUL. */
void webhooks_sign(const char *secret, const char *body, size_t len,
                   char out[WEBHOOKS_SIGNATURE_LEN + 1]);

struct webhooks;

/* All borrowed; they must outlive the worker. Registers the writer's commit hook. */
TREU_MUST_USE int webhooks_start(struct store_pool *readers, struct writer *w,
                                 const struct clock *clock, const struct rng *rng,
                                 struct webhooks **out);

/* Asks the dispatcher to look at the queues now. Any thread. */
void webhooks_poke(struct webhooks *wh);

/* Aborts transfers in progress (their deliveries stay PENDING and are sent again after a
 * restart), waits for attempts being recorded, joins the threads. NULL-safe. */
void webhooks_free(struct webhooks *wh);

#endif
