/* sqlite_redemptions.c - redemptions of vouchers and rewards, and their rollbacks. */
#include "store/sqlite_internal.h"

#define REDEMPTION_COLS                                                                            \
    "id, kind, status, customer_id, voucher_id, campaign_id, member_id, reward_id, "               \
    "assignment_id, variant, order_id, amount, points, entry_id, issued_voucher_id, fulfilment, "  \
    "parent_id, rollback_of, rollback_id, channel, body, created_at, updated_at"

static const char SQL_INSERT[] =
    "INSERT INTO redemptions (project_id, " REDEMPTION_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)";
static const char SQL_UPDATE[] =
    "UPDATE redemptions SET status = ?3, fulfilment = ?4, rollback_id = ?5, body = ?6, "
    "updated_at = ?7 WHERE project_id = ?1 AND id = ?2";
static const char SQL_GET[] =
    "SELECT " REDEMPTION_COLS " FROM redemptions WHERE project_id = ?1 AND id = ?2";
#define REDEMPTION_FILTER                                                                          \
    " WHERE project_id = ?1 AND (?2 IS NULL OR customer_id = ?2) AND (?3 IS NULL OR "              \
    "voucher_id = ?3) AND (?4 IS NULL OR campaign_id = ?4) AND (?5 IS NULL OR parent_id = ?5) "    \
    "AND (?6 IS NULL OR kind = ?6)"
static const char SQL_LIST[] = "SELECT " REDEMPTION_COLS " FROM redemptions" REDEMPTION_FILTER
                               " ORDER BY created_at DESC, id DESC LIMIT ?7 OFFSET ?8";
static const char SQL_COUNT[] = "SELECT count(*) FROM redemptions" REDEMPTION_FILTER;
static const char SQL_COUNT_VOUCHER[] =
    "SELECT count(*) FROM redemptions WHERE project_id = ?1 AND voucher_id = ?2 AND "
    "(?3 IS NULL OR customer_id = ?3) AND kind = 'voucher' AND status = 'SUCCEEDED'";
static const char SQL_COUNT_REWARD[] =
    "SELECT count(*) FROM redemptions WHERE project_id = ?1 AND reward_id = ?2 AND "
    "(?3 IS NULL OR member_id = ?3) AND created_at >= ?4 AND kind = 'reward' AND "
    "status = 'SUCCEEDED'";

static const char SQL_POINTS_MEMBER[] =
    "SELECT coalesce(sum(points), 0) FROM redemptions WHERE project_id = ?1 AND member_id = ?2 "
    "AND created_at >= ?3 AND kind = 'reward' AND status = 'SUCCEEDED'";
static const char SQL_POINTS_CAMPAIGN[] =
    "SELECT coalesce(sum(points), 0) FROM redemptions WHERE project_id = ?1 AND campaign_id = ?2 "
    "AND created_at >= ?3 AND kind = 'reward' AND status = 'SUCCEEDED'";

static int sq_redemption_points_since(struct store_conn *bc, const char *pid, const char *member_id,
                                      const char *campaign_id, int64_t since, int64_t *sum)
{
    SQ_CONN(bc);
    SQ_PREP(c, member_id ? SQL_POINTS_MEMBER : SQL_POINTS_CAMPAIGN, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id ? member_id : campaign_id);
    sqlite3_bind_int64(st, 3, since);
    return sq_query_int(c, st, sum, "redemption points since");
}

static int sq_redemption_insert(struct store_conn *bc, const char *pid, const struct redemption *r)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_INSERT, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, r->id);
    bind_text(st, 3, r->kind);
    bind_text(st, 4, r->status);
    bind_text(st, 5, r->customer_id);
    bind_text(st, 6, r->voucher_id);
    bind_text(st, 7, r->campaign_id);
    bind_text(st, 8, r->member_id);
    bind_text(st, 9, r->reward_id);
    bind_text(st, 10, r->assignment_id);
    bind_text(st, 11, r->variant);
    bind_text(st, 12, r->order_id);
    sqlite3_bind_int64(st, 13, r->amount);
    sqlite3_bind_int64(st, 14, r->points);
    bind_text(st, 15, r->entry_id);
    bind_text(st, 16, r->issued_voucher_id);
    bind_text(st, 17, r->fulfilment);
    bind_text(st, 18, r->parent_id);
    bind_text(st, 19, r->rollback_of);
    bind_text(st, 20, r->rollback_id);
    bind_text(st, 21, r->channel);
    bind_text(st, 22, r->body_json ? r->body_json : "{}");
    sqlite3_bind_int64(st, 23, r->created_at);
    sqlite3_bind_int64(st, 24, r->updated_at ? r->updated_at : r->created_at);
    return sq_exec_step(c, st, "redemption insert", NULL);
}

static int sq_redemption_update(struct store_conn *bc, const char *pid, const struct redemption *r)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_UPDATE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, r->id);
    bind_text(st, 3, r->status);
    bind_text(st, 4, r->fulfilment);
    bind_text(st, 5, r->rollback_id);
    bind_text(st, 6, r->body_json ? r->body_json : "{}");
    sqlite3_bind_int64(st, 7, r->updated_at);
    return sq_exec_one(c, st, "redemption update");
}

static bool sq_read_redemption(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct redemption *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->kind = col_text(st, 1, a, &oom);
    o->status = col_text(st, 2, a, &oom);
    o->customer_id = col_text(st, 3, a, &oom);
    o->voucher_id = col_text(st, 4, a, &oom);
    o->campaign_id = col_text(st, 5, a, &oom);
    o->member_id = col_text(st, 6, a, &oom);
    o->reward_id = col_text(st, 7, a, &oom);
    o->assignment_id = col_text(st, 8, a, &oom);
    o->variant = col_text(st, 9, a, &oom);
    o->order_id = col_text(st, 10, a, &oom);
    o->amount = sqlite3_column_int64(st, 11);
    o->points = sqlite3_column_int64(st, 12);
    o->entry_id = col_text(st, 13, a, &oom);
    o->issued_voucher_id = col_text(st, 14, a, &oom);
    o->fulfilment = col_text(st, 15, a, &oom);
    o->parent_id = col_text(st, 16, a, &oom);
    o->rollback_of = col_text(st, 17, a, &oom);
    o->rollback_id = col_text(st, 18, a, &oom);
    o->channel = col_text(st, 19, a, &oom);
    o->body_json = col_text(st, 20, a, &oom);
    o->created_at = sqlite3_column_int64(st, 21);
    o->updated_at = sqlite3_column_int64(st, 22);
    return !oom;
}

static int sq_redemption_get(struct store_conn *bc, const char *pid, const char *id,
                             struct arena *a, struct redemption *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_GET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_query_one(c, st, sq_read_redemption, a, out, "redemption get");
}

static void sq_bind_redemption_filter(sqlite3_stmt *st, const char *pid,
                                      const struct redemption_query *q)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, q->customer_id);
    bind_text(st, 3, q->voucher_id);
    bind_text(st, 4, q->campaign_id);
    bind_text(st, 5, q->parent_id);
    bind_text(st, 6, q->kind);
}

static int sq_redemption_list(struct store_conn *bc, const char *pid,
                              const struct redemption_query *q, const struct page *pg,
                              struct arena *a, struct redemption **out, size_t *n, int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, SQL_COUNT, cst);
        sq_bind_redemption_filter(cst, pid, q);
        int rc = sq_query_int(c, cst, total, "redemption count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, SQL_LIST, st);
    sq_bind_redemption_filter(st, pid, q);
    sqlite3_bind_int64(st, 7, pg->limit);
    sqlite3_bind_int64(st, 8, pg->offset);
    return sq_query_many(c, st, sq_read_redemption, sizeof **out, (size_t)pg->limit, a,
                         (void **)out, n, "redemption list");
}

static int sq_redemption_count_voucher(struct store_conn *bc, const char *pid,
                                       const char *voucher_id, const char *customer_id,
                                       int64_t *count)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_COUNT_VOUCHER, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, voucher_id);
    bind_text(st, 3, customer_id);
    return sq_query_int(c, st, count, "redemption count voucher");
}

static int sq_redemption_count_reward(struct store_conn *bc, const char *pid, const char *reward_id,
                                      const char *member_id, int64_t since, int64_t *count)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_COUNT_REWARD, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, reward_id);
    bind_text(st, 3, member_id);
    sqlite3_bind_int64(st, 4, since);
    return sq_query_int(c, st, count, "redemption count reward");
}

void sqlite_redemption_ops(struct store_ops *ops)
{
    ops->redemption_insert = sq_redemption_insert;
    ops->redemption_update = sq_redemption_update;
    ops->redemption_get = sq_redemption_get;
    ops->redemption_list = sq_redemption_list;
    ops->redemption_count_voucher = sq_redemption_count_voucher;
    ops->redemption_count_reward = sq_redemption_count_reward;
    ops->redemption_points_since = sq_redemption_points_since;
}
