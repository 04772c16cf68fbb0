/* sqlite_referrals.c - who referred whom in which referral campaign. */
#include "store/sqlite_internal.h"

#define REFERRAL_COLS                                                                              \
    "id, campaign_id, voucher_id, referrer_id, referee_id, status, orders_rewarded, created_at, "  \
    "updated_at"

static const char SQL_INSERT[] = "INSERT INTO referrals (project_id, " REFERRAL_COLS
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_UPDATE[] = "UPDATE referrals SET status = ?3, orders_rewarded = ?4, "
                                 "updated_at = ?5 WHERE project_id = ?1 AND id = ?2";
static const char SQL_GET_REFEREE[] = "SELECT " REFERRAL_COLS " FROM referrals WHERE project_id = "
                                      "?1 AND campaign_id = ?2 AND referee_id = ?3";
static const char SQL_LIST_REFEREE[] =
    "SELECT " REFERRAL_COLS " FROM referrals WHERE project_id = ?1 AND referee_id = ?2 "
    "ORDER BY created_at, id LIMIT ?3";
static const char SQL_LIST_REFERRER[] =
    "SELECT " REFERRAL_COLS " FROM referrals WHERE project_id = ?1 AND referrer_id = ?2 "
    "ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4";
static const char SQL_COUNT_REFERRER[] =
    "SELECT count(*) FROM referrals WHERE project_id = ?1 AND referrer_id = ?2";
static const char SQL_DELETE[] = "DELETE FROM referrals WHERE project_id = ?1 AND id = ?2";

static int sq_referral_insert(struct store_conn *bc, const char *pid, const struct referral *f)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_INSERT, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, f->id);
    bind_text(st, 3, f->campaign_id);
    bind_text(st, 4, f->voucher_id);
    bind_text(st, 5, f->referrer_id);
    bind_text(st, 6, f->referee_id);
    bind_text(st, 7, f->status);
    sqlite3_bind_int64(st, 8, f->orders_rewarded);
    sqlite3_bind_int64(st, 9, f->created_at);
    sqlite3_bind_int64(st, 10, f->updated_at ? f->updated_at : f->created_at);
    return sq_exec_step(c, st, "referral insert", NULL);
}

static int sq_referral_update(struct store_conn *bc, const char *pid, const struct referral *f)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_UPDATE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, f->id);
    bind_text(st, 3, f->status);
    sqlite3_bind_int64(st, 4, f->orders_rewarded);
    sqlite3_bind_int64(st, 5, f->updated_at);
    return sq_exec_one(c, st, "referral update");
}

static int sq_referral_delete(struct store_conn *bc, const char *pid, const char *id)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_DELETE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_exec_one(c, st, "referral delete");
}

static bool sq_read_referral(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct referral *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    col_fixed(st, 1, o->campaign_id, sizeof o->campaign_id);
    col_fixed(st, 2, o->voucher_id, sizeof o->voucher_id);
    col_fixed(st, 3, o->referrer_id, sizeof o->referrer_id);
    col_fixed(st, 4, o->referee_id, sizeof o->referee_id);
    o->status = col_text(st, 5, a, &oom);
    o->orders_rewarded = sqlite3_column_int64(st, 6);
    o->created_at = sqlite3_column_int64(st, 7);
    o->updated_at = sqlite3_column_int64(st, 8);
    return !oom;
}

static int sq_referral_get_by_referee(struct store_conn *bc, const char *pid,
                                      const char *campaign_id, const char *referee_id,
                                      struct arena *a, struct referral *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_GET_REFEREE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, campaign_id);
    bind_text(st, 3, referee_id);
    return sq_query_one(c, st, sq_read_referral, a, out, "referral get");
}

static int sq_referral_list_by_referee(struct store_conn *bc, const char *pid,
                                       const char *referee_id, size_t max, struct arena *a,
                                       struct referral **out, size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_LIST_REFEREE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, referee_id);
    sqlite3_bind_int64(st, 3, (int64_t)max);
    return sq_query_many(c, st, sq_read_referral, sizeof **out, max, a, (void **)out, n,
                         "referral list referee");
}

static int sq_referral_list_by_referrer(struct store_conn *bc, const char *pid,
                                        const char *referrer_id, const struct page *pg,
                                        struct arena *a, struct referral **out, size_t *n,
                                        int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, SQL_COUNT_REFERRER, cst);
        bind_text(cst, 1, pid);
        bind_text(cst, 2, referrer_id);
        int rc = sq_query_int(c, cst, total, "referral count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, SQL_LIST_REFERRER, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, referrer_id);
    sqlite3_bind_int64(st, 3, pg->limit);
    sqlite3_bind_int64(st, 4, pg->offset);
    return sq_query_many(c, st, sq_read_referral, sizeof **out, (size_t)pg->limit, a, (void **)out,
                         n, "referral list referrer");
}

void sqlite_referral_ops(struct store_ops *ops)
{
    ops->referral_insert = sq_referral_insert;
    ops->referral_update = sq_referral_update;
    ops->referral_delete = sq_referral_delete;
    ops->referral_get_by_referee = sq_referral_get_by_referee;
    ops->referral_list_by_referee = sq_referral_list_by_referee;
    ops->referral_list_by_referrer = sq_referral_list_by_referrer;
}
