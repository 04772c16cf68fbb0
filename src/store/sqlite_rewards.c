/* sqlite_rewards.c - the reward catalog, its stock counters and its assignments to loyalty
 * programs; plus the two single-row reads a reward rollback needs (one lot, one entry).
 * Stock is taken and given back with one conditional UPDATE each, the limit in its WHERE
 * clause, so the count stays right however many writers share the database (PostgreSQL
 * later); the table's CHECK is the last line of defence, not the mechanism. */
#include "store/sqlite_internal.h"

#define SQLITE_REWARD_STOCK_ROWS_MAX 1000
#define SQLITE_ASSIGNMENTS_MAX       1000

#define REWARD_COLS "id, name, type, body, active, created_at, updated_at"
#define ASSIGN_COLS "id, reward_id, program_id, points, body, created_at, updated_at"

static const char SQL_REWARD_INSERT[] =
    "INSERT INTO rewards (project_id, " REWARD_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_REWARD_UPDATE[] = "UPDATE rewards SET name = ?3, type = ?4, body = ?5, "
                                        "active = ?6, updated_at = ?7 WHERE project_id = ?1 AND "
                                        "id = ?2";
static const char SQL_REWARD_GET[] =
    "SELECT " REWARD_COLS " FROM rewards WHERE project_id = ?1 AND id = ?2";
static const char SQL_REWARD_LIST[] = "SELECT " REWARD_COLS " FROM rewards WHERE project_id = ?1 "
                                      "ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3";
static const char SQL_REWARD_COUNT[] = "SELECT count(*) FROM rewards WHERE project_id = ?1";
static const char SQL_REWARD_DELETE[] = "DELETE FROM rewards WHERE project_id = ?1 AND id = ?2";
static const char SQL_STOCK_DELETE_ALL[] =
    "DELETE FROM reward_stock WHERE project_id = ?1 AND reward_id = ?2";
static const char SQL_ASSIGN_DELETE_ALL[] =
    "DELETE FROM reward_assignments WHERE project_id = ?1 AND reward_id = ?2";

/* A new limit never drops below what was already redeemed: the WHERE refuses it. */
static const char SQL_STOCK_SET[] =
    "INSERT INTO reward_stock (project_id, reward_id, variant, stock, redeemed) VALUES (?1, ?2, "
    "?3, ?4, 0) ON CONFLICT (project_id, reward_id, variant) DO UPDATE SET stock = excluded.stock "
    "WHERE excluded.stock IS NULL OR reward_stock.redeemed <= excluded.stock";
static const char SQL_STOCK_LIST[] =
    "SELECT variant, stock, redeemed FROM reward_stock WHERE project_id = ?1 AND reward_id = ?2 "
    "ORDER BY variant";
static const char SQL_STOCK_TAKE[] =
    "UPDATE reward_stock SET redeemed = redeemed + ?4 WHERE project_id = ?1 AND reward_id = ?2 AND "
    "variant = ?3 AND (stock IS NULL OR redeemed <= stock - ?4)";
static const char SQL_STOCK_GIVE[] =
    "UPDATE reward_stock SET redeemed = redeemed - ?4 WHERE project_id = ?1 AND reward_id = ?2 AND "
    "variant = ?3 AND redeemed >= ?4";
static const char SQL_STOCK_EXISTS[] = "SELECT count(*) FROM reward_stock WHERE project_id = ?1 "
                                       "AND reward_id = ?2 AND variant = ?3";

static const char SQL_ASSIGN_INSERT[] = "INSERT INTO reward_assignments (project_id, " ASSIGN_COLS
                                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_ASSIGN_UPDATE[] = "UPDATE reward_assignments SET points = ?3, body = ?4, "
                                        "updated_at = ?5 WHERE project_id = ?1 AND id = ?2";
static const char SQL_ASSIGN_GET[] =
    "SELECT " ASSIGN_COLS " FROM reward_assignments WHERE project_id = ?1 AND id = ?2";
static const char SQL_ASSIGN_GET_PAIR[] = "SELECT " ASSIGN_COLS " FROM reward_assignments WHERE "
                                          "project_id = ?1 AND program_id = ?2 AND reward_id = ?3";
static const char SQL_ASSIGN_DELETE[] =
    "DELETE FROM reward_assignments WHERE project_id = ?1 AND id = ?2";
#define ASSIGN_FILTER                                                                              \
    " WHERE project_id = ?1 AND (?2 IS NULL OR reward_id = ?2) AND (?3 IS NULL OR program_id = "   \
    "?3)"
static const char SQL_ASSIGN_LIST[] = "SELECT " ASSIGN_COLS " FROM reward_assignments" ASSIGN_FILTER
                                      " ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5";
static const char SQL_ASSIGN_COUNT[] = "SELECT count(*) FROM reward_assignments" ASSIGN_FILTER;

static const char SQL_LOT_GET[] =
    "SELECT id, amount, remaining, state, expires_at, release_at, entry_id, rule_id, created_at "
    "FROM lots WHERE project_id = ?1 AND member_id = ?2 AND id = ?3";
static const char SQL_ENTRY_GET[] =
    "SELECT id, member_id, seq, program_id, type, points, balance_after, reason, rule_id, "
    "order_id, order_source_id, event_id, event_name, lots, shortfall, created_at, postings FROM "
    "entries WHERE project_id = ?1 AND member_id = ?2 AND id = ?3";

/* ---- rewards ---- */

static void bind_reward(sqlite3_stmt *st, const char *pid, const struct reward *r)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, r->id);
    bind_text(st, 3, r->name);
    bind_text(st, 4, r->type);
    bind_text(st, 5, r->body_json ? r->body_json : "{}");
    bind_bool(st, 6, r->active);
}

static int sq_reward_insert(struct store_conn *bc, const char *pid, const struct reward *r)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_REWARD_INSERT, st);
    bind_reward(st, pid, r);
    sqlite3_bind_int64(st, 7, r->created_at);
    sqlite3_bind_int64(st, 8, r->updated_at ? r->updated_at : r->created_at);
    return sq_exec_step(c, st, "reward insert", NULL);
}

static int sq_reward_update(struct store_conn *bc, const char *pid, const struct reward *r)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_REWARD_UPDATE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, r->id);
    bind_text(st, 3, r->name);
    bind_text(st, 4, r->type);
    bind_text(st, 5, r->body_json ? r->body_json : "{}");
    bind_bool(st, 6, r->active);
    sqlite3_bind_int64(st, 7, r->updated_at);
    return sq_exec_one(c, st, "reward update");
}

static bool sq_read_reward(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct reward *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->name = col_text(st, 1, a, &oom);
    o->type = col_text(st, 2, a, &oom);
    o->body_json = col_text(st, 3, a, &oom);
    o->active = sqlite3_column_int(st, 4) != 0;
    o->created_at = sqlite3_column_int64(st, 5);
    o->updated_at = sqlite3_column_int64(st, 6);
    return !oom;
}

static int sq_reward_get(struct store_conn *bc, const char *pid, const char *id, struct arena *a,
                         struct reward *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_REWARD_GET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_query_one(c, st, sq_read_reward, a, out, "reward get");
}

static int sq_reward_list(struct store_conn *bc, const char *pid, const struct page *pg,
                          struct arena *a, struct reward **out, size_t *n, int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, SQL_REWARD_COUNT, cst);
        bind_text(cst, 1, pid);
        int rc = sq_query_int(c, cst, total, "reward count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, SQL_REWARD_LIST, st);
    bind_text(st, 1, pid);
    sqlite3_bind_int64(st, 2, pg->limit);
    sqlite3_bind_int64(st, 3, pg->offset);
    return sq_query_many(c, st, sq_read_reward, sizeof **out, (size_t)pg->limit, a, (void **)out, n,
                         "reward list");
}

/* The reward goes with its stock rows and its assignments; redemptions keep its id. */
static int sq_reward_delete(struct store_conn *bc, const char *pid, const char *id)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_REWARD_DELETE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    int rc = sq_exec_one(c, st, "reward delete");
    if (rc < 0)
        return rc;
    const char *const more[] = {SQL_STOCK_DELETE_ALL, SQL_ASSIGN_DELETE_ALL};
    for (size_t i = 0; rc == 0 && i < TREU_ARRAY_LEN(more); i++) {
        SQ_PREP(c, more[i], dst);
        bind_text(dst, 1, pid);
        bind_text(dst, 2, id);
        rc = sq_exec_step(c, dst, "reward delete cascade", NULL);
    }
    return rc;
}

/* ---- stock ---- */

static int sq_reward_stock_set(struct store_conn *bc, const char *pid, const char *reward_id,
                               const char *variant, bool limited, int64_t stock)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_STOCK_SET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, reward_id);
    bind_text(st, 3, variant);
    bind_opt_int(st, 4, limited, stock);
    int changes = 0;
    int rc = sq_exec_step(c, st, "reward stock set", &changes);
    return rc == 0 && changes == 0 ? TREU_ECONFLICT : rc;
}

static bool sq_read_stock(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct reward_stock *o = out;
    bool oom = false;
    o->variant = col_text(st, 0, a, &oom);
    o->limited = sqlite3_column_type(st, 1) != SQLITE_NULL;
    o->stock = o->limited ? sqlite3_column_int64(st, 1) : 0;
    o->redeemed = sqlite3_column_int64(st, 2);
    return !oom;
}

static int sq_reward_stock_list(struct store_conn *bc, const char *pid, const char *reward_id,
                                struct arena *a, struct reward_stock **out, size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_STOCK_LIST, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, reward_id);
    return sq_query_many(c, st, sq_read_stock, sizeof **out, SQLITE_REWARD_STOCK_ROWS_MAX, a,
                         (void **)out, n, "reward stock list");
}

/* One conditional UPDATE; when it touches nothing, tells a missing row from a refusal. */
static int stock_move(struct sqlite_conn *c, const char *sql, const char *pid,
                      const char *reward_id, const char *variant, int64_t qty, const char *what)
{
    SQ_PREP(c, sql, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, reward_id);
    bind_text(st, 3, variant);
    sqlite3_bind_int64(st, 4, qty);
    int changes = 0;
    int rc = sq_exec_step(c, st, what, &changes);
    if (rc < 0 || changes > 0)
        return rc;
    SQ_PREP(c, SQL_STOCK_EXISTS, xst);
    bind_text(xst, 1, pid);
    bind_text(xst, 2, reward_id);
    bind_text(xst, 3, variant);
    int64_t exists = 0;
    rc = sq_query_int(c, xst, &exists, "reward stock exists");
    if (rc < 0)
        return rc;
    return exists ? TREU_ECONFLICT : TREU_ENOTFOUND;
}

static int sq_reward_stock_take(struct store_conn *bc, const char *pid, const char *reward_id,
                                const char *variant, int64_t qty)
{
    SQ_CONN(bc);
    return stock_move(c, SQL_STOCK_TAKE, pid, reward_id, variant, qty, "reward stock take");
}

static int sq_reward_stock_give(struct store_conn *bc, const char *pid, const char *reward_id,
                                const char *variant, int64_t qty)
{
    SQ_CONN(bc);
    return stock_move(c, SQL_STOCK_GIVE, pid, reward_id, variant, qty, "reward stock give");
}

/* ---- assignments ---- */

static void bind_assignment_tail(sqlite3_stmt *st, int first, const struct reward_assignment *ra)
{
    bind_opt_int(st, first, ra->has_points, ra->points);
    bind_text(st, first + 1, ra->body_json);
}

static int sq_assignment_insert(struct store_conn *bc, const char *pid,
                                const struct reward_assignment *ra)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_ASSIGN_INSERT, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, ra->id);
    bind_text(st, 3, ra->reward_id);
    bind_text(st, 4, ra->program_id);
    bind_assignment_tail(st, 5, ra);
    sqlite3_bind_int64(st, 7, ra->created_at);
    sqlite3_bind_int64(st, 8, ra->updated_at ? ra->updated_at : ra->created_at);
    return sq_exec_step(c, st, "assignment insert", NULL);
}

static int sq_assignment_update(struct store_conn *bc, const char *pid,
                                const struct reward_assignment *ra)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_ASSIGN_UPDATE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, ra->id);
    bind_assignment_tail(st, 3, ra);
    sqlite3_bind_int64(st, 5, ra->updated_at);
    return sq_exec_one(c, st, "assignment update");
}

static bool sq_read_assignment(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct reward_assignment *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    col_fixed(st, 1, o->reward_id, sizeof o->reward_id);
    col_fixed(st, 2, o->program_id, sizeof o->program_id);
    o->has_points = sqlite3_column_type(st, 3) != SQLITE_NULL;
    o->points = o->has_points ? sqlite3_column_int64(st, 3) : 0;
    o->body_json = col_text(st, 4, a, &oom);
    o->created_at = sqlite3_column_int64(st, 5);
    o->updated_at = sqlite3_column_int64(st, 6);
    return !oom;
}

static int sq_assignment_get(struct store_conn *bc, const char *pid, const char *id,
                             struct arena *a, struct reward_assignment *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_ASSIGN_GET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_query_one(c, st, sq_read_assignment, a, out, "assignment get");
}

static int sq_assignment_get_pair(struct store_conn *bc, const char *pid, const char *program_id,
                                  const char *reward_id, struct arena *a,
                                  struct reward_assignment *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_ASSIGN_GET_PAIR, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, program_id);
    bind_text(st, 3, reward_id);
    return sq_query_one(c, st, sq_read_assignment, a, out, "assignment get pair");
}

static int sq_assignment_delete(struct store_conn *bc, const char *pid, const char *id)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_ASSIGN_DELETE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_exec_one(c, st, "assignment delete");
}

static int sq_assignment_list(struct store_conn *bc, const char *pid, const char *reward_id,
                              const char *program_id, const struct page *pg, struct arena *a,
                              struct reward_assignment **out, size_t *n, int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, SQL_ASSIGN_COUNT, cst);
        bind_text(cst, 1, pid);
        bind_text(cst, 2, reward_id);
        bind_text(cst, 3, program_id);
        int rc = sq_query_int(c, cst, total, "assignment count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, SQL_ASSIGN_LIST, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, reward_id);
    bind_text(st, 3, program_id);
    sqlite3_bind_int64(st, 4, pg->limit);
    sqlite3_bind_int64(st, 5, pg->offset);
    size_t max = pg->limit < SQLITE_ASSIGNMENTS_MAX ? (size_t)pg->limit : SQLITE_ASSIGNMENTS_MAX;
    return sq_query_many(c, st, sq_read_assignment, sizeof **out, max, a, (void **)out, n,
                         "assignment list");
}

/* ---- one lot, one entry (for rollbacks) ---- */

static bool sq_read_one_lot(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct lot *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->amount = sqlite3_column_int64(st, 1);
    o->remaining = sqlite3_column_int64(st, 2);
    o->state = (enum lot_state)sqlite3_column_int(st, 3);
    o->expires_at = sqlite3_column_int64(st, 4);
    o->release_at = sqlite3_column_int64(st, 5);
    col_fixed(st, 6, o->entry_id, sizeof o->entry_id);
    o->rule_id = col_text(st, 7, a, &oom);
    o->created_at = sqlite3_column_int64(st, 8);
    return !oom;
}

static int sq_lot_get(struct store_conn *bc, const char *pid, const char *member_id, const char *id,
                      struct arena *a, struct lot *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_LOT_GET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    bind_text(st, 3, id);
    return sq_query_one(c, st, sq_read_one_lot, a, out, "lot get");
}

static bool sq_read_one_entry(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct entry *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    col_fixed(st, 1, o->member_id, sizeof o->member_id);
    o->seq = sqlite3_column_int64(st, 2);
    col_fixed(st, 3, o->program_id, sizeof o->program_id);
    o->type = col_text(st, 4, a, &oom);
    o->points = sqlite3_column_int64(st, 5);
    o->balance_after = sqlite3_column_int64(st, 6);
    o->reason = col_text(st, 7, a, &oom);
    o->rule_id = col_text(st, 8, a, &oom);
    o->order_id = col_text(st, 9, a, &oom);
    o->order_source_id = col_text(st, 10, a, &oom);
    o->event_id = col_text(st, 11, a, &oom);
    o->event_name = col_text(st, 12, a, &oom);
    o->lots_json = col_text(st, 13, a, &oom);
    o->shortfall = sqlite3_column_int64(st, 14);
    o->created_at = sqlite3_column_int64(st, 15);
    o->postings_json = col_text(st, 16, a, &oom);
    return !oom;
}

static int sq_entry_get(struct store_conn *bc, const char *pid, const char *member_id,
                        const char *id, struct arena *a, struct entry *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_ENTRY_GET, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    bind_text(st, 3, id);
    return sq_query_one(c, st, sq_read_one_entry, a, out, "entry get");
}

void sqlite_reward_ops(struct store_ops *ops)
{
    ops->reward_insert = sq_reward_insert;
    ops->reward_update = sq_reward_update;
    ops->reward_get = sq_reward_get;
    ops->reward_list = sq_reward_list;
    ops->reward_delete = sq_reward_delete;
    ops->reward_stock_set = sq_reward_stock_set;
    ops->reward_stock_list = sq_reward_stock_list;
    ops->reward_stock_take = sq_reward_stock_take;
    ops->reward_stock_give = sq_reward_stock_give;
    ops->assignment_insert = sq_assignment_insert;
    ops->assignment_update = sq_assignment_update;
    ops->assignment_get = sq_assignment_get;
    ops->assignment_get_pair = sq_assignment_get_pair;
    ops->assignment_delete = sq_assignment_delete;
    ops->assignment_list = sq_assignment_list;
    ops->lot_get = sq_lot_get;
    ops->entry_get = sq_entry_get;
}
