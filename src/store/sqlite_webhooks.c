/* sqlite_webhooks.c - webhook endpoints, the outbox (events and their deliveries) and the
 * delivery log (attempts). */
#include "store/sqlite_internal.h"

#define WEBHOOK_COLS "id, url, events, description, active, secret, created_at, updated_at"
#define DELIVERY_COLS                                                                              \
    "d.project_id, d.id, d.webhook_id, d.event_id, d.seq, d.event_type, d.status, d.attempts, "    \
    "d.next_attempt_at, d.retry_from, d.last_status_code, d.last_error, d.created_at, "            \
    "d.updated_at"

static const char SQL_WH_INSERT[] = "INSERT INTO webhooks (project_id, " WEBHOOK_COLS
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_WH_UPDATE[] =
    "UPDATE webhooks SET url = ?3, events = ?4, description = ?5, active = ?6, secret = ?7, "
    "updated_at = ?8 WHERE project_id = ?1 AND id = ?2";
static const char SQL_WH_GET[] =
    "SELECT " WEBHOOK_COLS " FROM webhooks WHERE project_id = ?1 AND id = ?2";
static const char SQL_WH_DELETE_ATTEMPTS[] =
    "DELETE FROM webhook_attempts WHERE project_id = ?1 AND delivery_id IN (SELECT id FROM "
    "webhook_deliveries WHERE project_id = ?1 AND webhook_id = ?2)";
static const char SQL_WH_DELETE_DELIVERIES[] =
    "DELETE FROM webhook_deliveries WHERE project_id = ?1 AND webhook_id = ?2";
static const char SQL_WH_DELETE[] = "DELETE FROM webhooks WHERE project_id = ?1 AND id = ?2";
static const char SQL_WH_LIST[] = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE project_id = ?1 "
                                  "ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3";
static const char SQL_WH_COUNT[] = "SELECT count(*) FROM webhooks WHERE project_id = ?1";
static const char SQL_WH_ACTIVE[] =
    "SELECT id, events FROM webhooks WHERE project_id = ?1 AND active = 1 ORDER BY id LIMIT ?2";
static const char SQL_EV_INSERT[] = "INSERT INTO webhook_events (project_id, id, type, body, "
                                    "created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_DL_INSERT[] =
    "INSERT INTO webhook_deliveries (project_id, id, webhook_id, event_id, event_type, status, "
    "attempts, next_attempt_at, retry_from, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
    "'PENDING', 0, ?6, ?7, ?8, ?8)";
static const char SQL_DL_UPDATE[] =
    "UPDATE webhook_deliveries SET status = ?3, attempts = ?4, next_attempt_at = ?5, "
    "retry_from = ?6, last_status_code = ?7, last_error = ?8, updated_at = ?9 "
    "WHERE project_id = ?1 AND id = ?2";
static const char SQL_DL_GET[] = "SELECT " DELIVERY_COLS " FROM webhook_deliveries d WHERE "
                                 "d.project_id = ?1 AND d.webhook_id = ?2 AND d.id = ?3";
#define DELIVERY_FILTER                                                                            \
    " WHERE d.project_id = ?1 AND d.webhook_id = ?2 AND (?3 IS NULL OR d.status = ?3)"
static const char SQL_DL_LIST[] =
    "SELECT " DELIVERY_COLS " FROM webhook_deliveries d" DELIVERY_FILTER
    " ORDER BY d.seq DESC LIMIT ?4 OFFSET ?5";
static const char SQL_DL_COUNT[] = "SELECT count(*) FROM webhook_deliveries d" DELIVERY_FILTER;
/* Per active endpoint, the lowest seq still PENDING: one probe of the queue index each. */
static const char SQL_DL_HEADS[] =
    "SELECT " DELIVERY_COLS ", w.url, w.secret, e.body FROM webhooks w "
    "JOIN webhook_deliveries d ON d.seq = (SELECT x.seq FROM webhook_deliveries x WHERE "
    "x.project_id = w.project_id AND x.webhook_id = w.id AND x.status = 'PENDING' ORDER BY "
    "x.seq LIMIT 1) "
    "JOIN webhook_events e ON e.project_id = d.project_id AND e.id = d.event_id "
    "WHERE w.active = 1 ORDER BY d.next_attempt_at, d.seq LIMIT ?1";
static const char SQL_AT_INSERT[] =
    "INSERT INTO webhook_attempts (project_id, delivery_id, n, at, duration_us, status_code, "
    "error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_AT_LIST[] =
    "SELECT n, at, duration_us, status_code, error FROM (SELECT * FROM webhook_attempts WHERE "
    "project_id = ?1 AND delivery_id = ?2 ORDER BY n DESC LIMIT ?3) ORDER BY n";

static void bind_webhook(sqlite3_stmt *st, const char *pid, const struct webhook *w)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, w->id);
    bind_text(st, 3, w->url);
    bind_text(st, 4, w->events);
    bind_text(st, 5, w->description);
    bind_bool(st, 6, w->active);
    bind_text(st, 7, w->secret);
}

static int sq_webhook_insert(struct store_conn *bc, const char *pid, const struct webhook *w)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_WH_INSERT, st);
    bind_webhook(st, pid, w);
    sqlite3_bind_int64(st, 8, w->created_at);
    sqlite3_bind_int64(st, 9, w->updated_at);
    return sq_exec_step(c, st, "webhook insert", NULL);
}

static int sq_webhook_update(struct store_conn *bc, const char *pid, const struct webhook *w)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_WH_UPDATE, st);
    bind_webhook(st, pid, w);
    sqlite3_bind_int64(st, 8, w->updated_at);
    return sq_exec_one(c, st, "webhook update");
}

static bool sq_read_webhook(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct webhook *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->url = col_text(st, 1, a, &oom);
    o->events = col_text(st, 2, a, &oom);
    o->description = col_text(st, 3, a, &oom);
    o->active = sqlite3_column_int(st, 4) != 0;
    o->secret = col_text(st, 5, a, &oom);
    o->created_at = sqlite3_column_int64(st, 6);
    o->updated_at = sqlite3_column_int64(st, 7);
    return !oom;
}

static int sq_webhook_get(struct store_conn *bc, const char *pid, const char *id, struct arena *a,
                          struct webhook *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_WH_GET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_query_one(c, st, sq_read_webhook, a, out, "webhook get");
}

static int sq_webhook_delete(struct store_conn *bc, const char *pid, const char *id)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_WH_DELETE_ATTEMPTS, sa);
    bind_text(sa, 1, pid);
    bind_text(sa, 2, id);
    int rc = sq_exec_step(c, sa, "webhook delete attempts", NULL);
    if (rc < 0)
        return rc;
    SQ_PREP(c, SQL_WH_DELETE_DELIVERIES, sd);
    bind_text(sd, 1, pid);
    bind_text(sd, 2, id);
    rc = sq_exec_step(c, sd, "webhook delete deliveries", NULL);
    if (rc < 0)
        return rc;
    SQ_PREP(c, SQL_WH_DELETE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_exec_one(c, st, "webhook delete");
}

static int sq_webhook_list(struct store_conn *bc, const char *pid, const struct page *pg,
                           struct arena *a, struct webhook **out, size_t *n, int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, SQL_WH_COUNT, cst);
        bind_text(cst, 1, pid);
        int rc = sq_query_int(c, cst, total, "webhook count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, SQL_WH_LIST, st);
    bind_text(st, 1, pid);
    sqlite3_bind_int64(st, 2, pg->limit);
    sqlite3_bind_int64(st, 3, pg->offset);
    return sq_query_many(c, st, sq_read_webhook, sizeof **out, (size_t)pg->limit, a, (void **)out,
                         n, "webhook list");
}

static bool sq_read_active(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct webhook *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->events = col_text(st, 1, a, &oom);
    return !oom;
}

static int sq_webhook_list_active(struct store_conn *bc, const char *pid, size_t max,
                                  struct arena *a, struct webhook **out, size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_WH_ACTIVE, st);
    bind_text(st, 1, pid);
    sqlite3_bind_int64(st, 2, (int64_t)max);
    return sq_query_many(c, st, sq_read_active, sizeof **out, max, a, (void **)out, n,
                         "webhook list active");
}

static int sq_webhook_event_insert(struct store_conn *bc, const char *pid,
                                   const struct webhook_event *e)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_EV_INSERT, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, e->id);
    bind_text(st, 3, e->type);
    bind_text(st, 4, e->body);
    sqlite3_bind_int64(st, 5, e->created_at);
    return sq_exec_step(c, st, "webhook event insert", NULL);
}

static int sq_webhook_delivery_insert(struct store_conn *bc, const char *pid,
                                      const struct webhook_delivery *d)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_DL_INSERT, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, d->id);
    bind_text(st, 3, d->webhook_id);
    bind_text(st, 4, d->event_id);
    bind_text(st, 5, d->event_type);
    sqlite3_bind_int64(st, 6, d->next_attempt_at);
    sqlite3_bind_int64(st, 7, d->retry_from);
    sqlite3_bind_int64(st, 8, d->created_at);
    return sq_exec_step(c, st, "webhook delivery insert", NULL);
}

static int sq_webhook_delivery_update(struct store_conn *bc, const char *pid,
                                      const struct webhook_delivery *d)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_DL_UPDATE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, d->id);
    bind_text(st, 3, d->status);
    sqlite3_bind_int64(st, 4, d->attempts);
    bind_time(st, 5, d->next_attempt_at);
    sqlite3_bind_int64(st, 6, d->retry_from);
    bind_opt_int(st, 7, d->last_status_code != 0, d->last_status_code);
    bind_text(st, 8, d->last_error);
    sqlite3_bind_int64(st, 9, d->updated_at);
    return sq_exec_one(c, st, "webhook delivery update");
}

static bool sq_read_delivery(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct webhook_delivery *o = out;
    bool oom = false;
    col_fixed(st, 0, o->project_id, sizeof o->project_id);
    col_fixed(st, 1, o->id, sizeof o->id);
    col_fixed(st, 2, o->webhook_id, sizeof o->webhook_id);
    col_fixed(st, 3, o->event_id, sizeof o->event_id);
    o->seq = sqlite3_column_int64(st, 4);
    o->event_type = col_text(st, 5, a, &oom);
    o->status = col_text(st, 6, a, &oom);
    o->attempts = sqlite3_column_int64(st, 7);
    o->next_attempt_at = sqlite3_column_int64(st, 8);
    o->retry_from = sqlite3_column_int64(st, 9);
    o->last_status_code = sqlite3_column_int64(st, 10);
    o->last_error = col_text(st, 11, a, &oom);
    o->created_at = sqlite3_column_int64(st, 12);
    o->updated_at = sqlite3_column_int64(st, 13);
    return !oom;
}

static bool sq_read_head(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct webhook_delivery *o = out;
    bool oom = !sq_read_delivery(st, a, out);
    o->url = col_text(st, 14, a, &oom);
    o->secret = col_text(st, 15, a, &oom);
    o->body = col_text(st, 16, a, &oom);
    return !oom;
}

static int sq_webhook_delivery_get(struct store_conn *bc, const char *pid, const char *webhook_id,
                                   const char *id, struct arena *a, struct webhook_delivery *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_DL_GET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, webhook_id);
    bind_text(st, 3, id);
    return sq_query_one(c, st, sq_read_delivery, a, out, "webhook delivery get");
}

static int sq_webhook_delivery_list(struct store_conn *bc, const char *pid, const char *webhook_id,
                                    const char *status, const struct page *pg, struct arena *a,
                                    struct webhook_delivery **out, size_t *n, int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, SQL_DL_COUNT, cst);
        bind_text(cst, 1, pid);
        bind_text(cst, 2, webhook_id);
        bind_text(cst, 3, status);
        int rc = sq_query_int(c, cst, total, "webhook delivery count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, SQL_DL_LIST, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, webhook_id);
    bind_text(st, 3, status);
    sqlite3_bind_int64(st, 4, pg->limit);
    sqlite3_bind_int64(st, 5, pg->offset);
    return sq_query_many(c, st, sq_read_delivery, sizeof **out, (size_t)pg->limit, a, (void **)out,
                         n, "webhook delivery list");
}

static int sq_webhook_delivery_heads(struct store_conn *bc, size_t max, struct arena *a,
                                     struct webhook_delivery **out, size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_DL_HEADS, st);
    sqlite3_bind_int64(st, 1, (int64_t)max);
    return sq_query_many(c, st, sq_read_head, sizeof **out, max, a, (void **)out, n,
                         "webhook delivery heads");
}

static int sq_webhook_attempt_insert(struct store_conn *bc, const char *pid,
                                     const char *delivery_id, const struct webhook_attempt *at)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_AT_INSERT, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, delivery_id);
    sqlite3_bind_int64(st, 3, at->n);
    sqlite3_bind_int64(st, 4, at->at);
    sqlite3_bind_int64(st, 5, at->duration_us);
    bind_opt_int(st, 6, at->status_code != 0, at->status_code);
    bind_text(st, 7, at->error);
    return sq_exec_step(c, st, "webhook attempt insert", NULL);
}

static bool sq_read_attempt(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct webhook_attempt *o = out;
    bool oom = false;
    o->n = sqlite3_column_int64(st, 0);
    o->at = sqlite3_column_int64(st, 1);
    o->duration_us = sqlite3_column_int64(st, 2);
    o->status_code = sqlite3_column_int64(st, 3);
    o->error = col_text(st, 4, a, &oom);
    return !oom;
}

static int sq_webhook_attempt_list(struct store_conn *bc, const char *pid, const char *delivery_id,
                                   size_t max, struct arena *a, struct webhook_attempt **out,
                                   size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_AT_LIST, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, delivery_id);
    sqlite3_bind_int64(st, 3, (int64_t)max);
    return sq_query_many(c, st, sq_read_attempt, sizeof **out, max, a, (void **)out, n,
                         "webhook attempt list");
}

void sqlite_webhook_ops(struct store_ops *ops)
{
    ops->webhook_insert = sq_webhook_insert;
    ops->webhook_update = sq_webhook_update;
    ops->webhook_get = sq_webhook_get;
    ops->webhook_delete = sq_webhook_delete;
    ops->webhook_list = sq_webhook_list;
    ops->webhook_list_active = sq_webhook_list_active;
    ops->webhook_event_insert = sq_webhook_event_insert;
    ops->webhook_delivery_insert = sq_webhook_delivery_insert;
    ops->webhook_delivery_update = sq_webhook_delivery_update;
    ops->webhook_delivery_get = sq_webhook_delivery_get;
    ops->webhook_delivery_list = sq_webhook_delivery_list;
    ops->webhook_delivery_heads = sq_webhook_delivery_heads;
    ops->webhook_attempt_insert = sq_webhook_attempt_insert;
    ops->webhook_attempt_list = sq_webhook_attempt_list;
}
