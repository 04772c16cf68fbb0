/* sqlite_vouchers.c - discount, gift and referral campaigns, their vouchers and
 * publications. Counters (redeemed, gift balance, campaign budget) move only through
 * conditional updates that refuse to pass a limit, so a limit holds whatever the engine
 * above believed when it decided. */
#include "store/sqlite_internal.h"

#define CAMPAIGN_COLS                                                                              \
    "id, name, type, body, active, vouchers_count, budget, budget_used, created_at, updated_at"
#define VOUCHER_COLS                                                                               \
    "id, code, campaign_id, type, body, active, start_date, expiration_date, quantity, "           \
    "redeemed, gift_amount, gift_balance, holder_id, referrer_id, metadata, created_at, "          \
    "updated_at"
#define PUBLICATION_COLS                                                                           \
    "id, voucher_id, campaign_id, customer_id, source_id, channel, metadata, created_at"

static const char SQL_CAMPAIGN_INSERT[] = "INSERT INTO campaigns (project_id, " CAMPAIGN_COLS
                                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_CAMPAIGN_UPDATE[] =
    "UPDATE campaigns SET name = ?3, type = ?4, body = ?5, active = ?6, budget = ?7, "
    "updated_at = ?8 WHERE project_id = ?1 AND id = ?2";
static const char SQL_CAMPAIGN_GET[] =
    "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE project_id = ?1 AND (id = ?2 OR name = ?2) "
    "ORDER BY id = ?2 DESC LIMIT 1";
static const char SQL_CAMPAIGN_LIST[] =
    "SELECT " CAMPAIGN_COLS " FROM campaigns WHERE project_id = ?1 "
    "ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3";
static const char SQL_CAMPAIGN_COUNT[] = "SELECT count(*) FROM campaigns WHERE project_id = ?1";
static const char SQL_CAMPAIGN_DELETE[] = "DELETE FROM campaigns WHERE project_id = ?1 AND id = ?2";
static const char SQL_CAMPAIGN_DELETE_PUBS[] =
    "DELETE FROM publications WHERE project_id = ?1 AND campaign_id = ?2";
static const char SQL_CAMPAIGN_DELETE_VOUCHERS[] =
    "DELETE FROM vouchers WHERE project_id = ?1 AND campaign_id = ?2";
static const char SQL_CAMPAIGN_COUNT_ADD[] =
    "UPDATE campaigns SET vouchers_count = vouchers_count + ?3 WHERE project_id = ?1 AND id = ?2";
static const char SQL_CAMPAIGN_BUDGET_ADD[] =
    "UPDATE campaigns SET budget_used = budget_used + ?3 WHERE project_id = ?1 AND id = ?2 "
    "AND budget_used + ?3 >= 0 AND (budget IS NULL OR budget_used + ?3 <= budget)";

static const char SQL_VOUCHER_INSERT[] =
    "INSERT INTO vouchers (project_id, " VOUCHER_COLS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) "
    "ON CONFLICT DO NOTHING";
static const char SQL_VOUCHER_UPDATE[] =
    "UPDATE vouchers SET body = ?3, active = ?4, start_date = ?5, expiration_date = ?6, "
    "quantity = ?7, gift_amount = ?8, holder_id = ?9, metadata = ?10, updated_at = ?11 "
    "WHERE project_id = ?1 AND id = ?2";
static const char SQL_VOUCHER_GET[] =
    "SELECT " VOUCHER_COLS " FROM vouchers WHERE project_id = ?1 AND (id = ?2 OR code = ?2) "
    "ORDER BY id = ?2 DESC LIMIT 1";
static const char SQL_VOUCHER_DELETE[] = "DELETE FROM vouchers WHERE project_id = ?1 AND id = ?2";
static const char SQL_VOUCHER_DELETE_PUBS[] =
    "DELETE FROM publications WHERE project_id = ?1 AND voucher_id = ?2";
#define VOUCHER_FILTER                                                                             \
    " WHERE project_id = ?1 AND (?2 IS NULL OR campaign_id = ?2) AND "                             \
    "(?3 IS NULL OR holder_id = ?3)"
static const char SQL_VOUCHER_LIST[] = "SELECT " VOUCHER_COLS " FROM vouchers" VOUCHER_FILTER
                                       " ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5";
static const char SQL_VOUCHER_COUNT[] = "SELECT count(*) FROM vouchers" VOUCHER_FILTER;
static const char SQL_VOUCHER_COUNTERS[] =
    "UPDATE vouchers SET redeemed = redeemed + ?3, gift_balance = gift_balance + ?4, "
    "updated_at = ?5 WHERE project_id = ?1 AND id = ?2 AND redeemed + ?3 >= 0 AND "
    "(quantity IS NULL OR redeemed + ?3 <= quantity) AND "
    "(?4 = 0 OR (gift_balance IS NOT NULL AND gift_balance + ?4 >= 0))";
static const char SQL_VOUCHER_CLAIM[] =
    "UPDATE vouchers SET holder_id = ?3, updated_at = ?4 WHERE project_id = ?1 AND id = "
    "(SELECT id FROM vouchers WHERE project_id = ?1 AND campaign_id = ?2 AND holder_id IS NULL "
    "AND active = 1 ORDER BY created_at, id LIMIT 1) RETURNING " VOUCHER_COLS;

static const char SQL_PUB_INSERT[] = "INSERT INTO publications (project_id, " PUBLICATION_COLS
                                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_PUB_GET_SOURCE[] =
    "SELECT " PUBLICATION_COLS " FROM publications WHERE project_id = ?1 AND source_id = ?2";
#define PUB_FILTER                                                                                 \
    " WHERE project_id = ?1 AND (?2 IS NULL OR customer_id = ?2) AND "                             \
    "(?3 IS NULL OR campaign_id = ?3) AND (?4 IS NULL OR voucher_id = ?4)"
static const char SQL_PUB_LIST[] = "SELECT " PUBLICATION_COLS " FROM publications" PUB_FILTER
                                   " ORDER BY created_at DESC, id DESC LIMIT ?5 OFFSET ?6";
static const char SQL_PUB_COUNT[] = "SELECT count(*) FROM publications" PUB_FILTER;

/* ---- campaigns ---- */

static bool sq_read_campaign(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct campaign *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->name = col_text(st, 1, a, &oom);
    o->type = col_text(st, 2, a, &oom);
    o->body_json = col_text(st, 3, a, &oom);
    o->active = sqlite3_column_int(st, 4) != 0;
    o->vouchers_count = sqlite3_column_int64(st, 5);
    o->has_budget = sqlite3_column_type(st, 6) != SQLITE_NULL;
    o->budget = sqlite3_column_int64(st, 6);
    o->budget_used = sqlite3_column_int64(st, 7);
    o->created_at = sqlite3_column_int64(st, 8);
    o->updated_at = sqlite3_column_int64(st, 9);
    return !oom;
}

static int sq_campaign_insert(struct store_conn *bc, const char *pid, const struct campaign *cp)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_CAMPAIGN_INSERT, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, cp->id);
    bind_text(st, 3, cp->name);
    bind_text(st, 4, cp->type);
    bind_text(st, 5, cp->body_json ? cp->body_json : "{}");
    bind_bool(st, 6, cp->active);
    sqlite3_bind_int64(st, 7, cp->vouchers_count);
    bind_opt_int(st, 8, cp->has_budget, cp->budget);
    sqlite3_bind_int64(st, 9, cp->budget_used);
    sqlite3_bind_int64(st, 10, cp->created_at);
    sqlite3_bind_int64(st, 11, cp->updated_at ? cp->updated_at : cp->created_at);
    return sq_exec_step(c, st, "campaign insert", NULL);
}

static int sq_campaign_update(struct store_conn *bc, const char *pid, const struct campaign *cp)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_CAMPAIGN_UPDATE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, cp->id);
    bind_text(st, 3, cp->name);
    bind_text(st, 4, cp->type);
    bind_text(st, 5, cp->body_json ? cp->body_json : "{}");
    bind_bool(st, 6, cp->active);
    bind_opt_int(st, 7, cp->has_budget, cp->budget);
    sqlite3_bind_int64(st, 8, cp->updated_at);
    return sq_exec_one(c, st, "campaign update");
}

static int sq_campaign_get(struct store_conn *bc, const char *pid, const char *ref, struct arena *a,
                           struct campaign *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_CAMPAIGN_GET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, ref);
    return sq_query_one(c, st, sq_read_campaign, a, out, "campaign get");
}

static int sq_campaign_list(struct store_conn *bc, const char *pid, const struct page *pg,
                            struct arena *a, struct campaign **out, size_t *n, int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, SQL_CAMPAIGN_COUNT, cst);
        bind_text(cst, 1, pid);
        int rc = sq_query_int(c, cst, total, "campaign count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, SQL_CAMPAIGN_LIST, st);
    bind_text(st, 1, pid);
    sqlite3_bind_int64(st, 2, pg->limit);
    sqlite3_bind_int64(st, 3, pg->offset);
    return sq_query_many(c, st, sq_read_campaign, sizeof **out, (size_t)pg->limit, a, (void **)out,
                         n, "campaign list");
}

/* Runs one "DELETE … WHERE project_id = ?1 AND <key> = ?2". */
static int sq_delete_by(struct sqlite_conn *c, const char *sql, const char *pid, const char *key,
                        bool must_touch, const char *what)
{
    SQ_PREP(c, sql, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, key);
    return must_touch ? sq_exec_one(c, st, what) : sq_exec_step(c, st, what, NULL);
}

static int sq_campaign_delete(struct store_conn *bc, const char *pid, const char *id)
{
    SQ_CONN(bc);
    int rc = sq_delete_by(c, SQL_CAMPAIGN_DELETE_PUBS, pid, id, false, "campaign delete pubs");
    if (rc == 0)
        rc = sq_delete_by(c, SQL_CAMPAIGN_DELETE_VOUCHERS, pid, id, false,
                          "campaign delete vouchers");
    if (rc == 0)
        rc = sq_delete_by(c, SQL_CAMPAIGN_DELETE, pid, id, true, "campaign delete");
    return rc;
}

/* Runs one "UPDATE … WHERE project_id = ?1 AND id = ?2" with ?3 = delta; a row that the
 * statement's condition refuses is a conflict. */
static int sq_add(struct sqlite_conn *c, const char *sql, const char *pid, const char *id,
                  int64_t delta, const char *what)
{
    SQ_PREP(c, sql, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    sqlite3_bind_int64(st, 3, delta);
    int rc = sq_exec_one(c, st, what);
    return rc == TREU_ENOTFOUND ? TREU_ECONFLICT : rc;
}

static int sq_campaign_count_add(struct store_conn *bc, const char *pid, const char *id,
                                 int64_t delta)
{
    SQ_CONN(bc);
    int rc = sq_add(c, SQL_CAMPAIGN_COUNT_ADD, pid, id, delta, "campaign count add");
    return rc == TREU_ECONFLICT ? TREU_ENOTFOUND : rc;
}

static int sq_campaign_budget_add(struct store_conn *bc, const char *pid, const char *id,
                                  int64_t delta)
{
    SQ_CONN(bc);
    return sq_add(c, SQL_CAMPAIGN_BUDGET_ADD, pid, id, delta, "campaign budget add");
}

/* ---- vouchers ---- */

static bool sq_read_voucher(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct voucher *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->code = col_text(st, 1, a, &oom);
    o->campaign_id = col_text(st, 2, a, &oom);
    o->type = col_text(st, 3, a, &oom);
    o->body_json = col_text(st, 4, a, &oom);
    o->active = sqlite3_column_int(st, 5) != 0;
    o->start_date = sqlite3_column_int64(st, 6);
    o->expiration_date = sqlite3_column_int64(st, 7);
    o->has_quantity = sqlite3_column_type(st, 8) != SQLITE_NULL;
    o->quantity = sqlite3_column_int64(st, 8);
    o->redeemed = sqlite3_column_int64(st, 9);
    o->is_gift = sqlite3_column_type(st, 10) != SQLITE_NULL;
    o->gift_amount = sqlite3_column_int64(st, 10);
    o->gift_balance = sqlite3_column_int64(st, 11);
    o->holder_id = col_text(st, 12, a, &oom);
    o->referrer_id = col_text(st, 13, a, &oom);
    o->metadata_json = col_text(st, 14, a, &oom);
    o->created_at = sqlite3_column_int64(st, 15);
    o->updated_at = sqlite3_column_int64(st, 16);
    return !oom;
}

static void sq_bind_voucher(sqlite3_stmt *st, const char *pid, const struct voucher *v,
                            const char *id, const char *code)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    bind_text(st, 3, code);
    bind_text(st, 4, v->campaign_id);
    bind_text(st, 5, v->type);
    bind_text(st, 6, v->body_json);
    bind_bool(st, 7, v->active);
    bind_time(st, 8, v->start_date);
    bind_time(st, 9, v->expiration_date);
    bind_opt_int(st, 10, v->has_quantity, v->quantity);
    sqlite3_bind_int64(st, 11, v->redeemed);
    bind_opt_int(st, 12, v->is_gift, v->gift_amount);
    bind_opt_int(st, 13, v->is_gift, v->gift_balance);
    bind_text(st, 14, v->holder_id);
    bind_text(st, 15, v->referrer_id);
    bind_text(st, 16, v->metadata_json);
    sqlite3_bind_int64(st, 17, v->created_at);
    sqlite3_bind_int64(st, 18, v->updated_at ? v->updated_at : v->created_at);
}

static int sq_voucher_insert(struct store_conn *bc, const char *pid, const struct voucher *v)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_VOUCHER_INSERT, st);
    sq_bind_voucher(st, pid, v, v->id, v->code);
    int changes = 0;
    int rc = sq_exec_step(c, st, "voucher insert", &changes);
    return rc == 0 && changes == 0 ? TREU_ECONFLICT : rc;
}

static int sq_voucher_insert_many(struct store_conn *bc, const char *pid,
                                  const struct voucher *tmpl, size_t n,
                                  const char (*ids)[IDS_MAX_LEN], const char *const *codes,
                                  bool *taken, size_t *inserted)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_VOUCHER_INSERT, st);
    *inserted = 0;
    for (size_t i = 0; i < n; i++) {
        sq_bind_voucher(st, pid, tmpl, ids[i], codes[i]);
        int changes = 0;
        int rc = sq_exec_step(c, st, "voucher insert many", &changes);
        if (rc < 0)
            return rc;
        taken[i] = changes == 0;
        *inserted += (size_t)changes;
    }
    return 0;
}

static int sq_voucher_update(struct store_conn *bc, const char *pid, const struct voucher *v)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_VOUCHER_UPDATE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, v->id);
    bind_text(st, 3, v->body_json);
    bind_bool(st, 4, v->active);
    bind_time(st, 5, v->start_date);
    bind_time(st, 6, v->expiration_date);
    bind_opt_int(st, 7, v->has_quantity, v->quantity);
    bind_opt_int(st, 8, v->is_gift, v->gift_amount);
    bind_text(st, 9, v->holder_id);
    bind_text(st, 10, v->metadata_json);
    sqlite3_bind_int64(st, 11, v->updated_at);
    return sq_exec_one(c, st, "voucher update");
}

static int sq_voucher_get(struct store_conn *bc, const char *pid, const char *ref, struct arena *a,
                          struct voucher *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_VOUCHER_GET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, ref);
    return sq_query_one(c, st, sq_read_voucher, a, out, "voucher get");
}

static int sq_voucher_delete(struct store_conn *bc, const char *pid, const char *id)
{
    SQ_CONN(bc);
    int rc = sq_delete_by(c, SQL_VOUCHER_DELETE_PUBS, pid, id, false, "voucher delete pubs");
    return rc == 0 ? sq_delete_by(c, SQL_VOUCHER_DELETE, pid, id, true, "voucher delete") : rc;
}

static void sq_bind_voucher_filter(sqlite3_stmt *st, const char *pid, const struct voucher_query *q)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, q->campaign_id);
    bind_text(st, 3, q->holder_id);
}

static int sq_voucher_list(struct store_conn *bc, const char *pid, const struct voucher_query *q,
                           const struct page *pg, struct arena *a, struct voucher **out, size_t *n,
                           int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, SQL_VOUCHER_COUNT, cst);
        sq_bind_voucher_filter(cst, pid, q);
        int rc = sq_query_int(c, cst, total, "voucher count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, SQL_VOUCHER_LIST, st);
    sq_bind_voucher_filter(st, pid, q);
    sqlite3_bind_int64(st, 4, pg->limit);
    sqlite3_bind_int64(st, 5, pg->offset);
    return sq_query_many(c, st, sq_read_voucher, sizeof **out, (size_t)pg->limit, a, (void **)out,
                         n, "voucher list");
}

static int sq_voucher_counters_add(struct store_conn *bc, const char *pid, const char *id,
                                   int64_t redeemed, int64_t gift, int64_t now)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_VOUCHER_COUNTERS, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    sqlite3_bind_int64(st, 3, redeemed);
    sqlite3_bind_int64(st, 4, gift);
    sqlite3_bind_int64(st, 5, now);
    int rc = sq_exec_one(c, st, "voucher counters");
    return rc == TREU_ENOTFOUND ? TREU_ECONFLICT : rc;
}

static int sq_voucher_claim(struct store_conn *bc, const char *pid, const char *campaign_id,
                            const char *customer_id, int64_t now, struct arena *a,
                            struct voucher *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_VOUCHER_CLAIM, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, campaign_id);
    bind_text(st, 3, customer_id);
    sqlite3_bind_int64(st, 4, now);
    return sq_query_one(c, st, sq_read_voucher, a, out, "voucher claim");
}

/* ---- publications ---- */

static bool sq_read_publication(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct publication *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    col_fixed(st, 1, o->voucher_id, sizeof o->voucher_id);
    o->campaign_id = col_text(st, 2, a, &oom);
    col_fixed(st, 3, o->customer_id, sizeof o->customer_id);
    o->source_id = col_text(st, 4, a, &oom);
    o->channel = col_text(st, 5, a, &oom);
    o->metadata_json = col_text(st, 6, a, &oom);
    o->created_at = sqlite3_column_int64(st, 7);
    return !oom;
}

static int sq_publication_insert(struct store_conn *bc, const char *pid,
                                 const struct publication *p)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_PUB_INSERT, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, p->id);
    bind_text(st, 3, p->voucher_id);
    bind_text(st, 4, p->campaign_id);
    bind_text(st, 5, p->customer_id);
    bind_text(st, 6, p->source_id);
    bind_text(st, 7, p->channel);
    bind_text(st, 8, p->metadata_json);
    sqlite3_bind_int64(st, 9, p->created_at);
    return sq_exec_step(c, st, "publication insert", NULL);
}

static int sq_publication_get_by_source(struct store_conn *bc, const char *pid,
                                        const char *source_id, struct arena *a,
                                        struct publication *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_PUB_GET_SOURCE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, source_id);
    return sq_query_one(c, st, sq_read_publication, a, out, "publication get");
}

static void sq_bind_pub_filter(sqlite3_stmt *st, const char *pid, const struct publication_query *q)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, q->customer_id);
    bind_text(st, 3, q->campaign_id);
    bind_text(st, 4, q->voucher_id);
}

static int sq_publication_list(struct store_conn *bc, const char *pid,
                               const struct publication_query *q, const struct page *pg,
                               struct arena *a, struct publication **out, size_t *n, int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, SQL_PUB_COUNT, cst);
        sq_bind_pub_filter(cst, pid, q);
        int rc = sq_query_int(c, cst, total, "publication count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, SQL_PUB_LIST, st);
    sq_bind_pub_filter(st, pid, q);
    sqlite3_bind_int64(st, 5, pg->limit);
    sqlite3_bind_int64(st, 6, pg->offset);
    return sq_query_many(c, st, sq_read_publication, sizeof **out, (size_t)pg->limit, a,
                         (void **)out, n, "publication list");
}

void sqlite_voucher_ops(struct store_ops *ops)
{
    ops->campaign_insert = sq_campaign_insert;
    ops->campaign_update = sq_campaign_update;
    ops->campaign_get = sq_campaign_get;
    ops->campaign_list = sq_campaign_list;
    ops->campaign_delete = sq_campaign_delete;
    ops->campaign_count_add = sq_campaign_count_add;
    ops->campaign_budget_add = sq_campaign_budget_add;
    ops->voucher_insert = sq_voucher_insert;
    ops->voucher_insert_many = sq_voucher_insert_many;
    ops->voucher_update = sq_voucher_update;
    ops->voucher_get = sq_voucher_get;
    ops->voucher_delete = sq_voucher_delete;
    ops->voucher_list = sq_voucher_list;
    ops->voucher_counters_add = sq_voucher_counters_add;
    ops->voucher_claim = sq_voucher_claim;
    ops->publication_insert = sq_publication_insert;
    ops->publication_get_by_source = sq_publication_get_by_source;
    ops->publication_list = sq_publication_list;
}
