/* outbox.c - the outbox's write side. Cost when a project has no endpoint: one read of the
 * webhooks table's primary key for (project_id, active) rows, which finds none; no JSON is
 * built (callers ask outbox_wanted first) and nothing is written. A per-project cache was
 * the alternative; it would need invalidation that follows savepoint rollbacks, and the
 * read is a single B-tree probe on a page that stays in SQLite's cache. */
#include "engine/outbox.h"

#include "core/json.h"
#include "core/log.h"

#include <string.h>

/* Every type an endpoint may subscribe to. Other modules add theirs here when they emit. */
static const char *const outbox_types[] = {
    "customer.rewarded.loyalty_points",
    "voucher.loyalty_card.points_added",
    "voucher.loyalty_card.points_removed",
    "voucher.loyalty_card.points_refunded",
    "customer.voucher.loyalty_card.points_expired",
    "customer.voucher.loyalty_card.pending_points.activated",
    "customer.voucher.loyalty_card.points_transferred",
    "customer.loyalty.tier.joined",
    "customer.loyalty.tier.left",
    /* reserved for the rewards and vouchers work */
    "redemption.succeeded",
    "redemption.rollback.succeeded",
    "voucher.published",
    "customer.reward_redemptions.created",
    "customer.reward_redemptions.completed",
    "customer.reward_redemptions.rolledback",
};

bool outbox_event_known(const char *type)
{
    for (size_t i = 0; i < TREU_ARRAY_LEN(outbox_types); i++) {
        if (strcmp(outbox_types[i], type) == 0)
            return true;
    }
    return false;
}

bool outbox_subscribed(const char *events, const char *type)
{
    size_t tl = strlen(type);
    const char *p = events;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if ((len == 1 && p[0] == '*') || (len == tl && memcmp(p, type, tl) == 0))
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static int outbox_targets(const struct writer_tx *tx, const char *pid, struct arena *a,
                          struct webhook **hooks, size_t *n)
{
    return store_webhook_list_active(tx->conn, pid, OUTBOX_WEBHOOKS_PER_PROJECT_MAX, a, hooks, n);
}

int outbox_wanted(const struct writer_tx *tx, const char *pid, const char *type, bool *wanted)
{
    *wanted = false;
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct webhook *hooks = NULL;
    size_t n = 0;
    int rc = outbox_targets(tx, pid, &a, &hooks, &n);
    for (size_t i = 0; rc == 0 && i < n && !*wanted; i++)
        *wanted = outbox_subscribed(hooks[i].events, type);
    arena_cleanup(&a);
    return rc;
}

static int outbox_body(const struct writer_tx *tx, const char *id, const char *type,
                       const char *data_json, struct buf *b)
{
    struct jw w;
    jw_init(&w, b);
    jw_obj_open(&w);
    jw_kv_str(&w, "id", id);
    jw_kv_str(&w, "object", "event");
    jw_kv_str(&w, "type", type);
    jw_kv_time(&w, "created_at", tx->now_us);
    jw_kv_raw(&w, "data", data_json);
    jw_obj_close(&w);
    return b->err ? b->err : 0;
}

int outbox_emit(const struct writer_tx *tx, const char *pid, const char *type,
                const char *data_json)
{
    ASSERT(tx && pid && type && data_json);
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct webhook *hooks = NULL;
    size_t n = 0, subscribed = 0;
    int rc = outbox_targets(tx, pid, &a, &hooks, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        subscribed += outbox_subscribed(hooks[i].events, type);
    struct buf b;
    buf_init(&b, OUTBOX_EVENT_BYTES_MAX);
    struct webhook_event ev = {.type = type, .created_at = tx->now_us};
    if (rc < 0 || subscribed == 0)
        goto out;
    ids_make_at(tx->rng, tx->now_us, "whevt_", ev.id);
    rc = outbox_body(tx, ev.id, type, data_json, &b);
    ev.body = buf_cstr(&b);
    if (rc == 0)
        rc = store_webhook_event_insert(tx->conn, pid, &ev);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!outbox_subscribed(hooks[i].events, type))
            continue;
        struct webhook_delivery d = {.event_type = type,
                                     .next_attempt_at = tx->now_us,
                                     .retry_from = tx->now_us,
                                     .created_at = tx->now_us};
        ids_make_at(tx->rng, tx->now_us, "whdl_", d.id);
        memcpy(d.webhook_id, hooks[i].id, sizeof d.webhook_id);
        memcpy(d.event_id, ev.id, sizeof d.event_id);
        rc = store_webhook_delivery_insert(tx->conn, pid, &d);
    }
    if (rc == 0 && tx->notify)
        *tx->notify = true;
out:
    buf_cleanup(&b);
    arena_cleanup(&a);
    return rc;
}

int outbox_emit_built(const struct writer_tx *tx, const char *pid, const char *type,
                      outbox_write_fn write, const void *arg)
{
    bool wanted;
    int rc = outbox_wanted(tx, pid, type, &wanted);
    if (rc < 0 || !wanted)
        return rc;
    struct buf b;
    struct jw w;
    buf_init(&b, OUTBOX_EVENT_BYTES_MAX);
    jw_init(&w, &b);
    jw_obj_open(&w);
    write(&w, arg);
    jw_obj_close(&w);
    const char *data = buf_cstr(&b);
    rc = data ? outbox_emit(tx, pid, type, data) : (b.err ? b.err : TREU_ENOMEM);
    buf_cleanup(&b);
    return rc;
}

static void redemption_write(struct jw *w, const void *arg)
{
    const struct redemption *red = arg;
    jw_kv_str(w, "id", red->id);
    jw_kv_str(w, "object",
              strcmp(red->kind, "rollback") == 0 ? "redemption_rollback" : "redemption");
    jw_kv_str(w, "kind", red->kind);
    jw_kv_str(w, "status", red->status);
    jw_kv_str(w, "customer_id", red->customer_id);
    jw_kv_str(w, "voucher_id", red->voucher_id);
    jw_kv_str(w, "campaign_id", red->campaign_id);
    jw_kv_str(w, "order_id", red->order_id);
    jw_kv_int(w, "amount", red->amount);
    jw_kv_str(w, "parent_id", red->parent_id);
    jw_kv_str(w, "rollback_of", red->rollback_of);
    jw_kv_str(w, "channel", red->channel);
    jw_kv_time(w, "created_at", red->created_at);
}

int outbox_emit_redemption(const struct writer_tx *tx, const char *pid, const char *type,
                           const struct redemption *red)
{
    return outbox_emit_built(tx, pid, type, redemption_write, red);
}
