/* sqlite.c - the SQLite backend: WAL, synchronous=FULL, one prepared-statement cache per
 * connection. The engine's single writer owns the only write connection of a serving
 * process; readers use read-only connections and see the last committed snapshot, so a
 * read never waits for the writer. Other processes (the CLI) may write too; SQLite's
 * file lock and busy_timeout serialize them. */
#include "store/store.h"

#include "core/log.h"
#include "store/sqlite_internal.h"
#include "store/sqlite_schema.h"

#include <pthread.h>
#include <string.h>

#define SQLITE_BUSY_TIMEOUT_MS 5000
#define SQLITE_PATH_BYTES_MAX  4096

enum stmt_id {
    ST_PROJECT_INSERT,
    ST_PROJECT_GET,
    ST_KEY_INSERT,
    ST_KEY_GET,
    ST_KEY_GET_BY_HASH,
    ST_KEY_LIST_ALL,
    ST_KEY_LIST_PROJECT,
    ST_KEY_REVOKE,
    ST_CUSTOMER_INSERT,
    ST_CUSTOMER_UPDATE,
    ST_CUSTOMER_GET,
    ST_CUSTOMER_GET_SOURCE,
    ST_CUSTOMER_DELETE,
    ST_CUSTOMER_LIST_DESC,
    ST_CUSTOMER_LIST_ASC,
    ST_CUSTOMER_COUNT,
    ST_CUSTOMER_CURSOR,
    ST_IDEM_GET,
    ST_IDEM_PUT,
    ST_PROGRAM_INSERT,
    ST_PROGRAM_UPDATE,
    ST_PROGRAM_GET,
    ST_PROGRAM_GET_NAME,
    ST_PROGRAM_LIST,
    ST_PROGRAM_COUNT,
    ST_PROGRAM_DELETE,
    ST_PROGRAM_ACCOUNT,
    ST_MEMBER_INSERT,
    ST_MEMBER_UPDATE,
    ST_MEMBER_GET,
    ST_MEMBER_GET_CODE,
    ST_MEMBER_GET_CUSTOMER,
    ST_MEMBER_LIST,
    ST_MEMBER_LIST_CUSTOMER,
    ST_MEMBER_COUNT,
    ST_MEMBER_DUE,
    ST_TIER_INSERT,
    ST_TIER_GET,
    ST_TIER_GET_NAME,
    ST_TIER_LIST,
    ST_TIER_DELETE,
    ST_ENTRY_EARNED_SINCE,
    ST_ENTRY_OLDEST_GAIN,
    ST_VRULE_INSERT,
    ST_VRULE_UPDATE,
    ST_VRULE_GET,
    ST_VRULE_DELETE,
    ST_VRULE_LIST,
    ST_VRULE_COUNT,
    ST_LOT_INSERT,
    ST_LOT_UPDATE,
    ST_LOT_LIST_OPEN,
    ST_ENTRY_INSERT,
    ST_ENTRY_LIST,
    ST_ENTRY_LIST_ORDER,
    ST_ENTRY_COUNT,
    ST_ENTRY_LAST_SEQ,
    ST_ENTRY_COUNT_RULE,
    ST_RULE_INSERT,
    ST_RULE_UPDATE,
    ST_RULE_GET,
    ST_RULE_DELETE,
    ST_RULE_LIST,
    ST_RULE_LIST_ACTIVE,
    ST_ORDER_INSERT,
    ST_ORDER_UPDATE,
    ST_ORDER_GET,
    ST_ORDER_GET_SOURCE,
    ST_EVENT_INSERT,
    ST_EVENT_GET_SOURCE,
    ST_COUNT
};

#define PROGRAM_COLS                                                                               \
    "id, name, description, timezone, code_config, expiration, pending_days, allow_negative, "     \
    "start_date, expiration_date, active, metadata, issued, subtracted, expired, created_at, "     \
    "updated_at, tier_qualification, limits"
#define MEMBER_COLS                                                                                \
    "id, program_id, customer_id, code, metadata, earned, balance, pending, subtracted, "          \
    "expired, next_due_at, created_at, updated_at, tier_id, tier_since"
#define LOT_COLS                                                                                   \
    "id, amount, remaining, state, expires_at, release_at, entry_id, rule_id, created_at"
#define ENTRY_COLS                                                                                 \
    "id, member_id, seq, program_id, type, points, balance_after, reason, rule_id, order_id, "     \
    "order_source_id, event_id, event_name, lots, shortfall, created_at, postings"
#define TIER_COLS                                                                                  \
    "id, program_id, name, points_from, points_to, multiplier, rule_multipliers, metadata, "       \
    "created_at, updated_at"
#define RULE_COLS "id, program_id, event, body, active, created_at, updated_at"
#define ORDER_COLS                                                                                 \
    "id, source_id, customer_id, status, amount, items, metadata, earned_at, created_at, "         \
    "updated_at"
#define EVENT_COLS "id, name, customer_id, source_id, metadata, result, created_at"

#define CUSTOMER_COLS                                                                              \
    "id, source_id, name, description, email, phone, birthdate, timezone, address, "               \
    "metadata, consents, created_at, updated_at"
#define CUSTOMER_FILTER                                                                            \
    " WHERE project_id = ?1 AND (?2 IS NULL OR email = ?2)"                                        \
    " AND (?3 IS NULL OR created_at > ?3) AND (?4 IS NULL OR created_at < ?4)"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_PROJECT_INSERT] = "INSERT INTO projects (id, name, created_at) VALUES (?1, ?2, ?3)",
    [ST_PROJECT_GET] = "SELECT id, name, created_at FROM projects WHERE id = ?1",
    [ST_KEY_INSERT] = "INSERT INTO api_keys (app_id, project_id, kind, token_hash, name, "
                      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_KEY_GET] = "SELECT app_id, project_id, kind, token_hash, name, created_at, revoked_at "
                   "FROM api_keys WHERE app_id = ?1",
    [ST_KEY_GET_BY_HASH] = "SELECT app_id, project_id, kind, token_hash, name, created_at, "
                           "revoked_at FROM api_keys WHERE token_hash = ?1",
    [ST_KEY_LIST_ALL] = "SELECT app_id, project_id, kind, token_hash, name, created_at, "
                        "revoked_at FROM api_keys ORDER BY created_at, app_id",
    [ST_KEY_LIST_PROJECT] = "SELECT app_id, project_id, kind, token_hash, name, created_at, "
                            "revoked_at FROM api_keys WHERE project_id = ?1 "
                            "ORDER BY created_at, app_id",
    [ST_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = ?2 WHERE app_id = ?1 "
                      "AND revoked_at IS NULL",
    [ST_CUSTOMER_INSERT] = "INSERT INTO customers (project_id, " CUSTOMER_COLS ") VALUES "
                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [ST_CUSTOMER_UPDATE] = "UPDATE customers SET source_id = ?3, name = ?4, description = ?5, "
                           "email = ?6, phone = ?7, birthdate = ?8, timezone = ?9, "
                           "address = ?10, metadata = ?11, consents = ?12, updated_at = ?14 "
                           "WHERE project_id = ?1 AND id = ?2",
    [ST_CUSTOMER_GET] = "SELECT " CUSTOMER_COLS " FROM customers WHERE project_id = ?1 AND "
                        "id = ?2",
    [ST_CUSTOMER_GET_SOURCE] = "SELECT " CUSTOMER_COLS " FROM customers WHERE project_id = ?1 "
                               "AND source_id = ?2",
    [ST_CUSTOMER_DELETE] = "DELETE FROM customers WHERE project_id = ?1 AND id = ?2",
    [ST_CUSTOMER_LIST_DESC] = "SELECT " CUSTOMER_COLS " FROM customers" CUSTOMER_FILTER
                              " AND (?5 IS NULL OR created_at < ?5 OR (created_at = ?5 AND "
                              "id < ?6)) ORDER BY created_at DESC, id DESC LIMIT ?7 OFFSET ?8",
    [ST_CUSTOMER_LIST_ASC] = "SELECT " CUSTOMER_COLS " FROM customers" CUSTOMER_FILTER
                             " AND (?5 IS NULL OR created_at > ?5 OR (created_at = ?5 AND "
                             "id > ?6)) ORDER BY created_at ASC, id ASC LIMIT ?7 OFFSET ?8",
    [ST_CUSTOMER_COUNT] = "SELECT count(*) FROM customers" CUSTOMER_FILTER,
    [ST_CUSTOMER_CURSOR] = "SELECT created_at FROM customers WHERE project_id = ?1 AND id = ?2",
    [ST_IDEM_GET] = "SELECT request_hash, request, status, response, created_at FROM "
                    "idempotency WHERE project_id = ?1 AND key = ?2",
    [ST_IDEM_PUT] = "INSERT INTO idempotency (project_id, key, request_hash, request, status, "
                    "response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_PROGRAM_INSERT] =
        "INSERT INTO programs (project_id, " PROGRAM_COLS ") VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    [ST_PROGRAM_UPDATE] = "UPDATE programs SET name = ?3, description = ?4, timezone = ?5, "
                          "code_config = ?6, expiration = ?7, pending_days = ?8, "
                          "allow_negative = ?9, start_date = ?10, expiration_date = ?11, "
                          "active = ?12, metadata = ?13, updated_at = ?18, "
                          "tier_qualification = ?19, limits = ?20 "
                          "WHERE project_id = ?1 AND id = ?2",
    [ST_PROGRAM_GET] = "SELECT " PROGRAM_COLS " FROM programs WHERE project_id = ?1 AND id = ?2",
    [ST_PROGRAM_GET_NAME] = "SELECT " PROGRAM_COLS " FROM programs WHERE project_id = ?1 AND "
                            "name = ?2",
    [ST_PROGRAM_LIST] = "SELECT " PROGRAM_COLS " FROM programs WHERE project_id = ?1 "
                        "ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3",
    [ST_PROGRAM_COUNT] = "SELECT count(*) FROM programs WHERE project_id = ?1",
    [ST_PROGRAM_DELETE] = "DELETE FROM programs WHERE project_id = ?1 AND id = ?2",
    [ST_PROGRAM_ACCOUNT] = "UPDATE programs SET issued = issued + ?3, subtracted = subtracted + "
                           "?4, expired = expired + ?5 WHERE project_id = ?1 AND id = ?2",
    [ST_MEMBER_INSERT] = "INSERT INTO members (project_id, " MEMBER_COLS ") VALUES (?1, ?2, ?3, "
                         "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [ST_MEMBER_UPDATE] = "UPDATE members SET metadata = ?6, earned = ?7, balance = ?8, "
                         "pending = ?9, subtracted = ?10, expired = ?11, next_due_at = ?12, "
                         "updated_at = ?14, tier_id = ?15, tier_since = ?16 "
                         "WHERE project_id = ?1 AND id = ?2",
    [ST_MEMBER_GET] = "SELECT " MEMBER_COLS " FROM members WHERE project_id = ?1 AND id = ?2",
    [ST_MEMBER_GET_CODE] = "SELECT " MEMBER_COLS " FROM members WHERE project_id = ?1 AND "
                           "code = ?2",
    [ST_MEMBER_GET_CUSTOMER] = "SELECT " MEMBER_COLS " FROM members WHERE project_id = ?1 AND "
                               "program_id = ?2 AND customer_id = ?3",
    [ST_MEMBER_LIST] = "SELECT " MEMBER_COLS " FROM members WHERE project_id = ?1 AND "
                       "program_id = ?2 ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4",
    [ST_MEMBER_LIST_CUSTOMER] = "SELECT " MEMBER_COLS " FROM members WHERE project_id = ?1 AND "
                                "customer_id = ?2 ORDER BY created_at LIMIT 100",
    [ST_MEMBER_DUE] = "SELECT project_id, id FROM members WHERE next_due_at IS NOT NULL AND "
                      "next_due_at <= ?1 ORDER BY next_due_at LIMIT ?2",
    [ST_MEMBER_COUNT] = "SELECT count(*) FROM members WHERE project_id = ?1 AND program_id = ?2",
    [ST_TIER_INSERT] = "INSERT INTO tiers (project_id, " TIER_COLS ") VALUES (?1, ?2, ?3, ?4, "
                       "?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_TIER_GET] = "SELECT " TIER_COLS " FROM tiers WHERE project_id = ?1 AND program_id = ?2 "
                    "AND id = ?3",
    [ST_TIER_GET_NAME] = "SELECT " TIER_COLS " FROM tiers WHERE project_id = ?1 AND "
                         "program_id = ?2 AND name = ?3",
    [ST_TIER_LIST] = "SELECT " TIER_COLS " FROM tiers WHERE project_id = ?1 AND program_id = ?2 "
                     "ORDER BY points_from, id LIMIT 100",
    [ST_TIER_DELETE] = "DELETE FROM tiers WHERE project_id = ?1 AND program_id = ?2 AND id = ?3",
    [ST_ENTRY_OLDEST_GAIN] = "SELECT coalesce(min(created_at), 0) FROM entries WHERE project_id "
                             "= ?1 AND member_id = ?2 AND created_at >= ?3 AND points > 0 AND "
                             "type IN ('POINTS_ACCRUAL', 'POINTS_ADDITION')",
    [ST_ENTRY_EARNED_SINCE] = "SELECT coalesce(sum(points), 0) FROM entries WHERE project_id = "
                              "?1 AND member_id = ?2 AND created_at >= ?3 AND type IN "
                              "('POINTS_ACCRUAL', 'POINTS_ADDITION', 'POINTS_REFUND')",
    [ST_VRULE_INSERT] = "INSERT INTO validation_rules (project_id, id, name, body, created_at, "
                        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_VRULE_UPDATE] = "UPDATE validation_rules SET name = ?3, body = ?4, updated_at = ?6 "
                        "WHERE project_id = ?1 AND id = ?2",
    [ST_VRULE_GET] = "SELECT id, name, body, created_at, updated_at FROM validation_rules "
                     "WHERE project_id = ?1 AND id = ?2",
    [ST_VRULE_DELETE] = "DELETE FROM validation_rules WHERE project_id = ?1 AND id = ?2",
    [ST_VRULE_LIST] = "SELECT id, name, body, created_at, updated_at FROM validation_rules "
                      "WHERE project_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3",
    [ST_VRULE_COUNT] = "SELECT count(*) FROM validation_rules WHERE project_id = ?1",
    [ST_LOT_INSERT] = "INSERT INTO lots (project_id, member_id, " LOT_COLS ") VALUES (?1, ?2, ?3, "
                      "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_LOT_UPDATE] = "UPDATE lots SET remaining = ?5, state = ?6 WHERE project_id = ?1 AND "
                      "member_id = ?2 AND id = ?3",
    [ST_LOT_LIST_OPEN] = "SELECT " LOT_COLS " FROM lots WHERE project_id = ?1 AND member_id = ?2 "
                         "AND state IN (0, 1) AND remaining > 0 ORDER BY expires_at IS NULL, "
                         "expires_at, created_at, id LIMIT 10000",
    [ST_ENTRY_INSERT] = "INSERT INTO entries (project_id, " ENTRY_COLS ") VALUES (?1, ?2, ?3, "
                        "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    [ST_ENTRY_LIST_ORDER] = "SELECT " ENTRY_COLS " FROM entries WHERE project_id = ?1 AND "
                            "member_id = ?2 AND order_id = ?3 ORDER BY seq LIMIT 1000",
    [ST_ENTRY_LIST] = "SELECT " ENTRY_COLS " FROM entries WHERE project_id = ?1 AND member_id = "
                      "?2 ORDER BY seq DESC LIMIT ?3 OFFSET ?4",
    [ST_ENTRY_COUNT] = "SELECT count(*) FROM entries WHERE project_id = ?1 AND member_id = ?2",
    [ST_ENTRY_LAST_SEQ] = "SELECT coalesce(max(seq), 0) FROM entries WHERE project_id = ?1 AND "
                          "member_id = ?2",
    [ST_ENTRY_COUNT_RULE] = "SELECT count(*) FROM entries WHERE project_id = ?1 AND member_id = "
                            "?2 AND rule_id = ?3 AND created_at >= ?4",
    [ST_RULE_INSERT] = "INSERT INTO earning_rules (project_id, " RULE_COLS ") VALUES (?1, ?2, ?3, "
                       "?4, ?5, ?6, ?7, ?8)",
    [ST_RULE_UPDATE] = "UPDATE earning_rules SET event = ?4, body = ?5, active = ?6, updated_at = "
                       "?8 WHERE project_id = ?1 AND id = ?2 AND program_id = ?3",
    [ST_RULE_GET] = "SELECT " RULE_COLS " FROM earning_rules WHERE project_id = ?1 AND "
                    "program_id = ?2 AND id = ?3",
    [ST_RULE_DELETE] = "DELETE FROM earning_rules WHERE project_id = ?1 AND program_id = ?2 AND "
                       "id = ?3",
    [ST_RULE_LIST] = "SELECT " RULE_COLS " FROM earning_rules WHERE project_id = ?1 AND "
                     "program_id = ?2 ORDER BY created_at, id LIMIT 1000",
    [ST_RULE_LIST_ACTIVE] = "SELECT " RULE_COLS " FROM earning_rules WHERE project_id = ?1 AND "
                            "program_id = ?2 AND active = 1 ORDER BY created_at, id LIMIT 1000",
    [ST_ORDER_INSERT] = "INSERT INTO orders (project_id, " ORDER_COLS ") VALUES (?1, ?2, ?3, ?4, "
                        "?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_ORDER_UPDATE] = "UPDATE orders SET source_id = ?3, customer_id = ?4, status = ?5, "
                        "amount = ?6, items = ?7, metadata = ?8, earned_at = ?9, updated_at = "
                        "?11 WHERE project_id = ?1 AND id = ?2",
    [ST_ORDER_GET] = "SELECT " ORDER_COLS " FROM orders WHERE project_id = ?1 AND id = ?2",
    [ST_ORDER_GET_SOURCE] = "SELECT " ORDER_COLS " FROM orders WHERE project_id = ?1 AND "
                            "source_id = ?2",
    [ST_EVENT_INSERT] = "INSERT INTO events (project_id, " EVENT_COLS ") VALUES (?1, ?2, ?3, ?4, "
                        "?5, ?6, ?7, ?8)",
    [ST_EVENT_GET_SOURCE] = "SELECT " EVENT_COLS " FROM events WHERE project_id = ?1 AND "
                            "source_id = ?2",
};

struct sqlite_store {
    struct store base;
    char path[SQLITE_PATH_BYTES_MAX];
};

static struct store_ops sqlite_ops; /* the base table and each file's part, once */

static int sq_conn_configure(struct sqlite_conn *c, bool writer)
{
    const char *sql =
        writer ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
               : "PRAGMA query_only=ON; PRAGMA cache_size=-16384;";
    sqlite3_busy_timeout(c->db, SQLITE_BUSY_TIMEOUT_MS);
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        log_error("sqlite configure", "err=\"%s\"", msg ? msg : "");
        sqlite3_free(msg);
        return sq_err(c->db, rc, "configure");
    }
    return 0;
}

static void sq_conn_free(struct store_conn *bc)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    if (!c)
        return;
    sq_stmt_cache_free(c);
    sqlite3_close_v2(c->db);
    free(c);
}

static int sq_conn_open(struct store *bs, bool writer, struct store_conn **out)
{
    struct sqlite_store *s = (struct sqlite_store *)bs;
    *out = NULL;
    struct sqlite_conn *c = calloc(1, sizeof *c);
    if (!c)
        return TREU_ENOMEM;
    c->base.ops = &sqlite_ops;
    c->base.writer = writer;
    int flags = SQLITE_OPEN_NOMUTEX |
                (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
    int rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        log_error("sqlite open", "path=\"%s\" err=\"%s\"", s->path,
                  c->db ? sqlite3_errmsg(c->db) : "out of memory");
        rc = rc == SQLITE_CANTOPEN ? TREU_EIO : sq_err(c->db, rc, "open");
        sq_conn_free(&c->base);
        return rc < 0 ? rc : TREU_EIO;
    }
    sqlite3_extended_result_codes(c->db, 1);
    rc = sq_conn_configure(c, writer);
    if (rc < 0) {
        sq_conn_free(&c->base);
        return rc;
    }
    *out = &c->base;
    return 0;
}

static void sq_free(struct store *s)
{
    free(s);
}

static int sq_exec(struct store_conn *bc, const char *what)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    int rc = sqlite3_exec(c->db, what, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : sq_err(c->db, sqlite3_extended_errcode(c->db), what);
}

static int sq_user_version(struct sqlite_conn *c, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_OK) {
        rc = sqlite3_extended_errcode(c->db);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : sq_err(c->db, rc, "user_version");
}

/* Each migration runs in its own IMMEDIATE transaction and re-reads the version inside
 * it, so two processes migrating at once cannot apply one twice. */
static int sq_migrate(struct store *s, int *version)
{
    struct store_conn *bc = NULL;
    int rc = sq_conn_open(s, true, &bc);
    if (rc < 0)
        return rc;
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    int v = 0;
    for (;;) {
        rc = sq_exec(bc, "BEGIN IMMEDIATE");
        if (rc < 0)
            break;
        rc = sq_user_version(c, &v);
        if (rc < 0 || (size_t)v >= sqlite_migrations_count) {
            sq_exec(bc, "ROLLBACK");
            break;
        }
        char *msg = NULL;
        int src = sqlite3_exec(c->db, sqlite_migrations[v], NULL, NULL, &msg);
        if (src == SQLITE_OK) {
            char pragma[64];
            snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
            src = sqlite3_exec(c->db, pragma, NULL, NULL, &msg);
        }
        if (src != SQLITE_OK) {
            log_error("migration failed", "version=%d err=\"%s\"", v + 1, msg ? msg : "");
            sqlite3_free(msg);
            sq_exec(bc, "ROLLBACK");
            rc = TREU_EIO;
            break;
        }
        rc = sq_exec(bc, "COMMIT");
        if (rc < 0)
            break;
        log_info("migrated", "version=%d", v + 1);
    }
    *version = v;
    sq_conn_free(bc);
    return rc;
}

static int sq_project_insert(struct store_conn *bc, const struct project *p)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_PROJECT_INSERT], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, p->id);
    bind_text(st, 2, p->name);
    sqlite3_bind_int64(st, 3, p->created_at);
    return sq_exec_step(c, st, "project insert", NULL);
}

static bool sq_read_project(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct project *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->name = col_text(st, 1, a, &oom);
    o->created_at = sqlite3_column_int64(st, 2);
    return !oom;
}

static int sq_project_get(struct store_conn *bc, const char *id, struct arena *a, struct project *o)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_PROJECT_GET], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, id);
    return sq_query_one(c, st, sq_read_project, a, o, "project get");
}

static int sq_key_insert(struct store_conn *bc, const struct api_key *k)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_KEY_INSERT], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, k->app_id);
    bind_text(st, 2, k->project_id);
    bind_text(st, 3, k->kind == KEY_SERVER ? "server" : "client");
    sqlite3_bind_blob(st, 4, k->token_hash, STORE_HASH_BYTES, SQLITE_STATIC);
    bind_text(st, 5, k->name);
    sqlite3_bind_int64(st, 6, k->created_at);
    return sq_exec_step(c, st, "key insert", NULL);
}

static bool sq_read_key(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct api_key *k = out;
    bool oom = false;
    col_fixed(st, 0, k->app_id, sizeof k->app_id);
    col_fixed(st, 1, k->project_id, sizeof k->project_id);
    const unsigned char *kind = sqlite3_column_text(st, 2);
    k->kind = kind && strcmp((const char *)kind, "server") == 0 ? KEY_SERVER : KEY_CLIENT;
    memset(k->token_hash, 0, sizeof k->token_hash);
    if (sqlite3_column_bytes(st, 3) == STORE_HASH_BYTES)
        memcpy(k->token_hash, sqlite3_column_blob(st, 3), STORE_HASH_BYTES);
    k->name = col_text(st, 4, a, &oom);
    k->created_at = sqlite3_column_int64(st, 5);
    k->revoked_at = sqlite3_column_int64(st, 6);
    return !oom;
}

static int sq_key_get(struct store_conn *bc, const char *app_id, struct arena *a, struct api_key *o)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_KEY_GET], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, app_id);
    return sq_query_one(c, st, sq_read_key, a, o, "key get");
}

static int sq_key_get_by_hash(struct store_conn *bc, const unsigned char *hash, struct arena *a,
                              struct api_key *o)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_KEY_GET_BY_HASH], &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_blob(st, 1, hash, STORE_HASH_BYTES, SQLITE_STATIC);
    return sq_query_one(c, st, sq_read_key, a, o, "key get by hash");
}

#define SQLITE_KEYS_LIST_MAX 10000

static int sq_key_list(struct store_conn *bc, const char *project_id, struct arena *a,
                       struct api_key **out, size_t *n)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[project_id ? ST_KEY_LIST_PROJECT : ST_KEY_LIST_ALL], &st);
    if (rc < 0)
        return rc;
    if (project_id)
        bind_text(st, 1, project_id);
    size_t cap = 16, len = 0;
    struct api_key *keys = arena_alloc(a, cap * sizeof *keys);
    int src;
    while (keys && (src = sqlite3_step(st)) == SQLITE_ROW && len < SQLITE_KEYS_LIST_MAX) {
        if (len == cap) {
            struct api_key *more = arena_alloc(a, 2 * cap * sizeof *keys);
            if (!more) {
                keys = NULL;
                break;
            }
            memcpy(more, keys, len * sizeof *keys);
            keys = more;
            cap *= 2;
        }
        if (!sq_read_key(st, a, &keys[len++])) {
            keys = NULL;
            break;
        }
    }
    if (!keys)
        rc = TREU_ENOMEM;
    else if (src != SQLITE_DONE && src != SQLITE_ROW)
        rc = sq_err(c->db, src, "key list");
    sq_done(st);
    *out = keys;
    *n = rc < 0 ? 0 : len;
    return rc;
}

static int sq_key_revoke(struct store_conn *bc, const char *app_id, int64_t now)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_KEY_REVOKE], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, app_id);
    sqlite3_bind_int64(st, 2, now);
    return sq_exec_one(c, st, "key revoke");
}

static void sq_bind_customer(sqlite3_stmt *st, const char *pid, const struct customer *cu)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, cu->id);
    bind_text(st, 3, cu->source_id);
    bind_text(st, 4, cu->name);
    bind_text(st, 5, cu->description);
    bind_text(st, 6, cu->email);
    bind_text(st, 7, cu->phone);
    bind_text(st, 8, cu->birthdate);
    bind_text(st, 9, cu->timezone);
    bind_text(st, 10, cu->address_json);
    bind_text(st, 11, cu->metadata_json);
    bind_text(st, 12, cu->consents_json);
    sqlite3_bind_int64(st, 13, cu->created_at);
    sqlite3_bind_int64(st, 14, cu->updated_at);
}

static int sq_customer_insert(struct store_conn *bc, const char *pid, const struct customer *cu)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_CUSTOMER_INSERT], &st);
    if (rc < 0)
        return rc;
    sq_bind_customer(st, pid, cu);
    return sq_exec_step(c, st, "customer insert", NULL);
}

static int sq_customer_update(struct store_conn *bc, const char *pid, const struct customer *cu)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_CUSTOMER_UPDATE], &st);
    if (rc < 0)
        return rc;
    sq_bind_customer(st, pid, cu);
    return sq_exec_one(c, st, "customer update");
}

static bool sq_read_customer(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct customer *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->source_id = col_text(st, 1, a, &oom);
    o->name = col_text(st, 2, a, &oom);
    o->description = col_text(st, 3, a, &oom);
    o->email = col_text(st, 4, a, &oom);
    o->phone = col_text(st, 5, a, &oom);
    o->birthdate = col_text(st, 6, a, &oom);
    o->timezone = col_text(st, 7, a, &oom);
    o->address_json = col_text(st, 8, a, &oom);
    o->metadata_json = col_text(st, 9, a, &oom);
    o->consents_json = col_text(st, 10, a, &oom);
    o->created_at = sqlite3_column_int64(st, 11);
    o->updated_at = sqlite3_column_int64(st, 12);
    return !oom;
}

static int sq_customer_get(struct store_conn *bc, const char *pid, const char *id, bool by_source,
                           struct arena *a, struct customer *o)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[by_source ? ST_CUSTOMER_GET_SOURCE : ST_CUSTOMER_GET], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_query_one(c, st, sq_read_customer, a, o, "customer get");
}

static int sq_customer_delete(struct store_conn *bc, const char *pid, const char *id)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_CUSTOMER_DELETE], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_exec_one(c, st, "customer delete");
}

static void sq_bind_filter(sqlite3_stmt *st, const char *pid, const struct customer_query *q)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, q->email);
    bind_time(st, 3, q->created_after);
    bind_time(st, 4, q->created_before);
}

static int sq_customer_count(struct sqlite_conn *c, const char *pid, const struct customer_query *q,
                             int64_t *total)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_CUSTOMER_COUNT], &st);
    if (rc < 0)
        return rc;
    sq_bind_filter(st, pid, q);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *total = sqlite3_column_int64(st, 0);
    else
        rc = sq_err(c->db, src, "customer count");
    sq_done(st);
    return rc;
}

static int sq_customer_cursor(struct sqlite_conn *c, const char *pid, const char *id,
                              int64_t *created_at)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_CUSTOMER_CURSOR], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *created_at = sqlite3_column_int64(st, 0);
    else
        rc = src == SQLITE_DONE ? TREU_ENOTFOUND : sq_err(c->db, src, "customer cursor");
    sq_done(st);
    return rc;
}

static int sq_customer_list(struct store_conn *bc, const char *pid, const struct customer_query *q,
                            struct arena *a, struct customer **out, size_t *n, int64_t *total,
                            bool *has_more)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    *out = NULL;
    *n = 0;
    *has_more = false;
    ASSERT(q->limit >= 1 && q->limit <= 1000);
    int64_t cursor_at = 0;
    int rc = 0;
    if (q->starting_after)
        rc = sq_customer_cursor(c, pid, q->starting_after, &cursor_at);
    if (rc == 0)
        rc = sq_customer_count(c, pid, q, total);
    sqlite3_stmt *st = NULL;
    if (rc == 0)
        rc = sq_stmt(c, stmt_sql[q->ascending ? ST_CUSTOMER_LIST_ASC : ST_CUSTOMER_LIST_DESC], &st);
    if (rc < 0)
        return rc;
    sq_bind_filter(st, pid, q);
    if (q->starting_after) {
        sqlite3_bind_int64(st, 5, cursor_at);
        bind_text(st, 6, q->starting_after);
    }
    sqlite3_bind_int64(st, 7, q->limit + 1);
    sqlite3_bind_int64(st, 8, q->starting_after ? 0 : q->offset);
    struct customer *rows = arena_zalloc(a, (size_t)q->limit * sizeof *rows);
    size_t len = 0;
    int src = SQLITE_DONE;
    while (rows && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == (size_t)q->limit) {
            *has_more = true;
            break;
        }
        if (!sq_read_customer(st, a, &rows[len++])) {
            rows = NULL;
            break;
        }
    }
    if (!rows)
        rc = TREU_ENOMEM;
    else if (src != SQLITE_DONE && src != SQLITE_ROW)
        rc = sq_err(c->db, src, "customer list");
    sq_done(st);
    *out = rows;
    *n = rc < 0 ? 0 : len;
    return rc;
}

static bool sq_read_idem(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct idem_record *o = out;
    memset(o->request_hash, 0, STORE_HASH_BYTES);
    if (sqlite3_column_bytes(st, 0) == STORE_HASH_BYTES)
        memcpy(o->request_hash, sqlite3_column_blob(st, 0), STORE_HASH_BYTES);
    size_t rl = (size_t)sqlite3_column_bytes(st, 1);
    o->request = arena_strndup(a, rl ? sqlite3_column_blob(st, 1) : "", rl);
    o->request_len = rl;
    o->status = sqlite3_column_int(st, 2);
    size_t sl = (size_t)sqlite3_column_bytes(st, 3);
    o->response = arena_strndup(a, sl ? sqlite3_column_blob(st, 3) : "", sl);
    o->response_len = sl;
    o->created_at = sqlite3_column_int64(st, 4);
    return o->request && o->response;
}

static int sq_idem_get(struct store_conn *bc, const char *pid, const char *key, struct arena *a,
                       struct idem_record *o)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_IDEM_GET], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, pid);
    bind_text(st, 2, key);
    return sq_query_one(c, st, sq_read_idem, a, o, "idempotency get");
}

static int sq_idem_put(struct store_conn *bc, const char *pid, const char *key,
                       const struct idem_record *r)
{
    struct sqlite_conn *c = (struct sqlite_conn *)bc;
    sqlite3_stmt *st = NULL;
    int rc = sq_stmt(c, stmt_sql[ST_IDEM_PUT], &st);
    if (rc < 0)
        return rc;
    bind_text(st, 1, pid);
    bind_text(st, 2, key);
    sqlite3_bind_blob(st, 3, r->request_hash, STORE_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, r->request ? r->request : "", (int)r->request_len, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, r->status);
    sqlite3_bind_blob(st, 6, r->response ? r->response : "", (int)r->response_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, r->created_at);
    return sq_exec_step(c, st, "idempotency put", NULL);
}

static const char SQL_IDEM_PURGE[] =
    "DELETE FROM idempotency WHERE (project_id, key) IN (SELECT project_id, key FROM "
    "idempotency WHERE created_at < ?1 LIMIT ?2)";

static int sq_idem_purge(struct store_conn *bc, int64_t before, int64_t max, int64_t *deleted)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_IDEM_PURGE, st);
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int64(st, 2, max);
    int changes = 0;
    int rc = sq_exec_step(c, st, "idempotency purge", &changes);
    *deleted = changes;
    return rc;
}

/* ---- programs ---- */

static void sq_bind_program(sqlite3_stmt *st, const char *pid, const struct program *p)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, p->id);
    bind_text(st, 3, p->name);
    bind_text(st, 4, p->description);
    bind_text(st, 5, p->timezone);
    bind_text(st, 6, p->code_config_json);
    bind_text(st, 7, p->expiration_json);
    sqlite3_bind_int64(st, 8, p->pending_days);
    bind_bool(st, 9, p->allow_negative);
    bind_time(st, 10, p->start_date);
    bind_time(st, 11, p->expiration_date);
    bind_bool(st, 12, p->active);
    bind_text(st, 13, p->metadata_json);
    sqlite3_bind_int64(st, 14, p->issued);
    sqlite3_bind_int64(st, 15, p->subtracted);
    sqlite3_bind_int64(st, 16, p->expired);
    sqlite3_bind_int64(st, 17, p->created_at);
    sqlite3_bind_int64(st, 18, p->updated_at);
    bind_text(st, 19, p->tier_qualification_json);
    bind_text(st, 20, p->limits_json);
}

static bool sq_read_program(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct program *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->name = col_text(st, 1, a, &oom);
    o->description = col_text(st, 2, a, &oom);
    o->timezone = col_text(st, 3, a, &oom);
    o->code_config_json = col_text(st, 4, a, &oom);
    o->expiration_json = col_text(st, 5, a, &oom);
    o->pending_days = sqlite3_column_int64(st, 6);
    o->allow_negative = sqlite3_column_int(st, 7) != 0;
    o->start_date = sqlite3_column_int64(st, 8);
    o->expiration_date = sqlite3_column_int64(st, 9);
    o->active = sqlite3_column_int(st, 10) != 0;
    o->metadata_json = col_text(st, 11, a, &oom);
    o->issued = sqlite3_column_int64(st, 12);
    o->subtracted = sqlite3_column_int64(st, 13);
    o->expired = sqlite3_column_int64(st, 14);
    o->created_at = sqlite3_column_int64(st, 15);
    o->updated_at = sqlite3_column_int64(st, 16);
    o->tier_qualification_json = col_text(st, 17, a, &oom);
    o->limits_json = col_text(st, 18, a, &oom);
    return !oom;
}

static int sq_program_insert(struct store_conn *bc, const char *pid, const struct program *p)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_PROGRAM_INSERT], st);
    sq_bind_program(st, pid, p);
    return sq_exec_step(c, st, "program insert", NULL);
}

static int sq_program_update(struct store_conn *bc, const char *pid, const struct program *p)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_PROGRAM_UPDATE], st);
    sq_bind_program(st, pid, p);
    return sq_exec_one(c, st, "program update");
}

static int sq_program_get(struct store_conn *bc, const char *pid, const char *ref, struct arena *a,
                          struct program *out)
{
    SQ_CONN(bc);
    for (int by_name = 0; by_name < 2; by_name++) {
        SQ_PREP(c, stmt_sql[by_name ? ST_PROGRAM_GET_NAME : ST_PROGRAM_GET], st);
        bind_text(st, 1, pid);
        bind_text(st, 2, ref);
        int rc = sq_query_one(c, st, sq_read_program, a, out, "program get");
        if (rc != TREU_ENOTFOUND)
            return rc;
    }
    return TREU_ENOTFOUND;
}

static int sq_program_list(struct store_conn *bc, const char *pid, const struct page *pg,
                           struct arena *a, struct program **out, size_t *n, int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, stmt_sql[ST_PROGRAM_COUNT], cst);
        bind_text(cst, 1, pid);
        int rc = sq_query_int(c, cst, total, "program count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, stmt_sql[ST_PROGRAM_LIST], st);
    bind_text(st, 1, pid);
    sqlite3_bind_int64(st, 2, pg->limit);
    sqlite3_bind_int64(st, 3, pg->offset);
    return sq_query_many(c, st, sq_read_program, sizeof **out, (size_t)pg->limit, a, (void **)out,
                         n, "program list");
}

static int sq_program_delete(struct store_conn *bc, const char *pid, const char *id)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_PROGRAM_DELETE], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_exec_one(c, st, "program delete");
}

static int sq_program_account(struct store_conn *bc, const char *pid, const char *id,
                              int64_t issued, int64_t subtracted, int64_t expired)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_PROGRAM_ACCOUNT], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    sqlite3_bind_int64(st, 3, issued);
    sqlite3_bind_int64(st, 4, subtracted);
    sqlite3_bind_int64(st, 5, expired);
    return sq_exec_one(c, st, "program account");
}

/* ---- members ---- */

static void sq_bind_member(sqlite3_stmt *st, const char *pid, const struct member *m)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, m->id);
    bind_text(st, 3, m->program_id);
    bind_text(st, 4, m->customer_id);
    bind_text(st, 5, m->code);
    bind_text(st, 6, m->metadata_json);
    sqlite3_bind_int64(st, 7, m->earned);
    sqlite3_bind_int64(st, 8, m->balance);
    sqlite3_bind_int64(st, 9, m->pending);
    sqlite3_bind_int64(st, 10, m->subtracted);
    sqlite3_bind_int64(st, 11, m->expired);
    bind_time(st, 12, m->next_due_at);
    sqlite3_bind_int64(st, 13, m->created_at);
    sqlite3_bind_int64(st, 14, m->updated_at);
    bind_text(st, 15, m->tier_id[0] ? m->tier_id : NULL);
    bind_time(st, 16, m->tier_since);
}

static bool sq_read_member(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct member *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    col_fixed(st, 1, o->program_id, sizeof o->program_id);
    col_fixed(st, 2, o->customer_id, sizeof o->customer_id);
    o->code = col_text(st, 3, a, &oom);
    o->metadata_json = col_text(st, 4, a, &oom);
    o->earned = sqlite3_column_int64(st, 5);
    o->balance = sqlite3_column_int64(st, 6);
    o->pending = sqlite3_column_int64(st, 7);
    o->subtracted = sqlite3_column_int64(st, 8);
    o->expired = sqlite3_column_int64(st, 9);
    o->next_due_at = sqlite3_column_int64(st, 10);
    o->created_at = sqlite3_column_int64(st, 11);
    o->updated_at = sqlite3_column_int64(st, 12);
    col_fixed(st, 13, o->tier_id, sizeof o->tier_id);
    o->tier_since = sqlite3_column_int64(st, 14);
    return !oom;
}

static int sq_member_insert(struct store_conn *bc, const char *pid, const struct member *m)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_MEMBER_INSERT], st);
    sq_bind_member(st, pid, m);
    return sq_exec_step(c, st, "member insert", NULL);
}

static int sq_member_update(struct store_conn *bc, const char *pid, const struct member *m)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_MEMBER_UPDATE], st);
    sq_bind_member(st, pid, m);
    return sq_exec_one(c, st, "member update");
}

static int sq_member_get(struct store_conn *bc, const char *pid, const char *ref, struct arena *a,
                         struct member *out)
{
    SQ_CONN(bc);
    for (int by_code = 0; by_code < 2; by_code++) {
        SQ_PREP(c, stmt_sql[by_code ? ST_MEMBER_GET_CODE : ST_MEMBER_GET], st);
        bind_text(st, 1, pid);
        bind_text(st, 2, ref);
        int rc = sq_query_one(c, st, sq_read_member, a, out, "member get");
        if (rc != TREU_ENOTFOUND)
            return rc;
    }
    return TREU_ENOTFOUND;
}

static int sq_member_get_by_customer(struct store_conn *bc, const char *pid, const char *program_id,
                                     const char *customer_id, struct arena *a, struct member *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_MEMBER_GET_CUSTOMER], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, program_id);
    bind_text(st, 3, customer_id);
    return sq_query_one(c, st, sq_read_member, a, out, "member get by customer");
}

static int sq_member_count(struct store_conn *bc, const char *pid, const char *program_id,
                           int64_t *count)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_MEMBER_COUNT], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, program_id);
    return sq_query_int(c, st, count, "member count");
}

static int sq_member_list(struct store_conn *bc, const char *pid, const char *program_id,
                          const struct page *pg, struct arena *a, struct member **out, size_t *n,
                          int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        int rc = sq_member_count(bc, pid, program_id, total);
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, stmt_sql[ST_MEMBER_LIST], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, program_id);
    sqlite3_bind_int64(st, 3, pg->limit);
    sqlite3_bind_int64(st, 4, pg->offset);
    return sq_query_many(c, st, sq_read_member, sizeof **out, (size_t)pg->limit, a, (void **)out, n,
                         "member list");
}

static int sq_member_list_by_customer(struct store_conn *bc, const char *pid,
                                      const char *customer_id, struct arena *a, struct member **out,
                                      size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_MEMBER_LIST_CUSTOMER], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, customer_id);
    return sq_query_many(c, st, sq_read_member, sizeof **out, 100, a, (void **)out, n,
                         "member list by customer");
}

static bool sq_read_due(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct due_member *o = out;
    (void)a;
    col_fixed(st, 0, o->project_id, sizeof o->project_id);
    col_fixed(st, 1, o->member_id, sizeof o->member_id);
    return true;
}

static int sq_member_list_due(struct store_conn *bc, int64_t now, size_t max, struct arena *a,
                              struct due_member **out, size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_MEMBER_DUE], st);
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    return sq_query_many(c, st, sq_read_due, sizeof **out, max, a, (void **)out, n,
                         "member list due");
}

/* ---- tiers ---- */

static bool sq_read_tier(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct tier *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    col_fixed(st, 1, o->program_id, sizeof o->program_id);
    o->name = col_text(st, 2, a, &oom);
    o->points_from = sqlite3_column_int64(st, 3);
    o->points_to =
        sqlite3_column_type(st, 4) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(st, 4);
    o->multiplier = sqlite3_column_int64(st, 5);
    o->rule_multipliers_json = col_text(st, 6, a, &oom);
    o->metadata_json = col_text(st, 7, a, &oom);
    o->created_at = sqlite3_column_int64(st, 8);
    o->updated_at = sqlite3_column_int64(st, 9);
    return !oom;
}

static int sq_tier_insert(struct store_conn *bc, const char *pid, const struct tier *t)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_TIER_INSERT], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, t->id);
    bind_text(st, 3, t->program_id);
    bind_text(st, 4, t->name);
    sqlite3_bind_int64(st, 5, t->points_from);
    if (t->points_to == INT64_MAX)
        sqlite3_bind_null(st, 6);
    else
        sqlite3_bind_int64(st, 6, t->points_to);
    sqlite3_bind_int64(st, 7, t->multiplier);
    bind_text(st, 8, t->rule_multipliers_json);
    bind_text(st, 9, t->metadata_json);
    sqlite3_bind_int64(st, 10, t->created_at);
    sqlite3_bind_int64(st, 11, t->updated_at);
    return sq_exec_step(c, st, "tier insert", NULL);
}

static int sq_tier_get(struct store_conn *bc, const char *pid, const char *program_id,
                       const char *ref, struct arena *a, struct tier *out)
{
    SQ_CONN(bc);
    for (int by_name = 0; by_name < 2; by_name++) {
        SQ_PREP(c, stmt_sql[by_name ? ST_TIER_GET_NAME : ST_TIER_GET], st);
        bind_text(st, 1, pid);
        bind_text(st, 2, program_id);
        bind_text(st, 3, ref);
        int rc = sq_query_one(c, st, sq_read_tier, a, out, "tier get");
        if (rc != TREU_ENOTFOUND)
            return rc;
    }
    return TREU_ENOTFOUND;
}

static int sq_tier_list(struct store_conn *bc, const char *pid, const char *program_id,
                        struct arena *a, struct tier **out, size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_TIER_LIST], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, program_id);
    return sq_query_many(c, st, sq_read_tier, sizeof **out, 100, a, (void **)out, n, "tier list");
}

static int sq_tier_delete(struct store_conn *bc, const char *pid, const char *program_id,
                          const char *id)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_TIER_DELETE], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, program_id);
    bind_text(st, 3, id);
    return sq_exec_one(c, st, "tier delete");
}

static int sq_entry_oldest_gain_since(struct store_conn *bc, const char *pid, const char *member_id,
                                      int64_t since, int64_t *at)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_ENTRY_OLDEST_GAIN], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    sqlite3_bind_int64(st, 3, since);
    return sq_query_int(c, st, at, "entry oldest gain");
}

static int sq_entry_earned_since(struct store_conn *bc, const char *pid, const char *member_id,
                                 int64_t since, int64_t *sum)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_ENTRY_EARNED_SINCE], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    sqlite3_bind_int64(st, 3, since);
    return sq_query_int(c, st, sum, "entry earned since");
}

/* ---- validation rules ---- */

static void sq_bind_vrule(sqlite3_stmt *st, const char *pid, const struct validation_rule *v)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, v->id);
    bind_text(st, 3, v->name);
    bind_text(st, 4, v->body_json);
    sqlite3_bind_int64(st, 5, v->created_at);
    sqlite3_bind_int64(st, 6, v->updated_at);
}

static bool sq_read_vrule(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct validation_rule *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->name = col_text(st, 1, a, &oom);
    o->body_json = col_text(st, 2, a, &oom);
    o->created_at = sqlite3_column_int64(st, 3);
    o->updated_at = sqlite3_column_int64(st, 4);
    return !oom;
}

static int sq_vrule_insert(struct store_conn *bc, const char *pid, const struct validation_rule *v)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_VRULE_INSERT], st);
    sq_bind_vrule(st, pid, v);
    return sq_exec_step(c, st, "validation rule insert", NULL);
}

static int sq_vrule_update(struct store_conn *bc, const char *pid, const struct validation_rule *v)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_VRULE_UPDATE], st);
    sq_bind_vrule(st, pid, v);
    return sq_exec_one(c, st, "validation rule update");
}

static int sq_vrule_get(struct store_conn *bc, const char *pid, const char *id, struct arena *a,
                        struct validation_rule *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_VRULE_GET], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_query_one(c, st, sq_read_vrule, a, out, "validation rule get");
}

static int sq_vrule_delete(struct store_conn *bc, const char *pid, const char *id)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_VRULE_DELETE], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, id);
    return sq_exec_one(c, st, "validation rule delete");
}

static int sq_vrule_list(struct store_conn *bc, const char *pid, const struct page *pg,
                         struct arena *a, struct validation_rule **out, size_t *n, int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, stmt_sql[ST_VRULE_COUNT], cst);
        bind_text(cst, 1, pid);
        int rc = sq_query_int(c, cst, total, "validation rule count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, stmt_sql[ST_VRULE_LIST], st);
    bind_text(st, 1, pid);
    sqlite3_bind_int64(st, 2, pg->limit);
    sqlite3_bind_int64(st, 3, pg->offset);
    return sq_query_many(c, st, sq_read_vrule, sizeof **out, (size_t)pg->limit, a, (void **)out, n,
                         "validation rule list");
}

/* ---- lots ---- */

static int sq_lot_insert(struct store_conn *bc, const char *pid, const char *member_id,
                         const struct lot *l)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_LOT_INSERT], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    bind_text(st, 3, l->id);
    sqlite3_bind_int64(st, 4, l->amount);
    sqlite3_bind_int64(st, 5, l->remaining);
    sqlite3_bind_int(st, 6, (int)l->state);
    bind_time(st, 7, l->expires_at);
    bind_time(st, 8, l->release_at);
    bind_text(st, 9, l->entry_id);
    bind_text(st, 10, l->rule_id);
    sqlite3_bind_int64(st, 11, l->created_at);
    return sq_exec_step(c, st, "lot insert", NULL);
}

static int sq_lot_update(struct store_conn *bc, const char *pid, const char *member_id,
                         const struct lot *l)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_LOT_UPDATE], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    bind_text(st, 3, l->id);
    sqlite3_bind_int64(st, 5, l->remaining);
    sqlite3_bind_int(st, 6, (int)l->state);
    return sq_exec_one(c, st, "lot update");
}

static bool sq_read_lot(sqlite3_stmt *st, struct arena *a, void *out)
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

#define SQLITE_LOTS_OPEN_MAX 10000

static int sq_lot_list_open(struct store_conn *bc, const char *pid, const char *member_id,
                            struct arena *a, struct lot **out, size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_LOT_LIST_OPEN], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    return sq_query_many(c, st, sq_read_lot, sizeof **out, SQLITE_LOTS_OPEN_MAX, a, (void **)out, n,
                         "lot list");
}

static const char SQL_LOT_NEXT_EXPIRY[] =
    "SELECT expires_at, remaining, state FROM lots WHERE project_id = ?1 AND member_id = ?2 "
    "AND state IN (0, 1) AND remaining > 0 AND expires_at IS NOT NULL "
    "ORDER BY expires_at, created_at, id";

/* Walks the open lots by expiry until past the first instant an active lot expires at. */
static int sq_lot_next_expiry(struct store_conn *bc, const char *pid, const char *member_id,
                              int64_t *at, int64_t *points)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_LOT_NEXT_EXPIRY, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    *at = *points = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t exp = sqlite3_column_int64(st, 0);
        if (*at && exp != *at)
            break;
        if (sqlite3_column_int(st, 2) != LOT_ACTIVE)
            continue;
        *at = exp;
        *points += sqlite3_column_int64(st, 1);
    }
    int rc = src == SQLITE_ROW || src == SQLITE_DONE ? 0 : sq_err(c->db, src, "lot next expiry");
    sq_done(st);
    return rc;
}

static const char SQL_ENTRY_ACCRUED_SINCE[] =
    "SELECT coalesce(sum(points), 0) FROM entries WHERE project_id = ?1 AND member_id = ?2 "
    "AND created_at >= ?3 AND rule_id IS NOT NULL AND type = 'POINTS_ACCRUAL'";

static int sq_entry_accrued_since(struct store_conn *bc, const char *pid, const char *member_id,
                                  int64_t since, int64_t *sum)
{
    SQ_CONN(bc);
    SQ_PREP(c, SQL_ENTRY_ACCRUED_SINCE, st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    sqlite3_bind_int64(st, 3, since);
    return sq_query_int(c, st, sum, "entry accrued since");
}

/* ---- entries ---- */

static int sq_entry_insert(struct store_conn *bc, const char *pid, const struct entry *e)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_ENTRY_INSERT], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, e->id);
    bind_text(st, 3, e->member_id);
    sqlite3_bind_int64(st, 4, e->seq);
    bind_text(st, 5, e->program_id);
    bind_text(st, 6, e->type);
    sqlite3_bind_int64(st, 7, e->points);
    sqlite3_bind_int64(st, 8, e->balance_after);
    bind_text(st, 9, e->reason);
    bind_text(st, 10, e->rule_id);
    bind_text(st, 11, e->order_id);
    bind_text(st, 12, e->order_source_id);
    bind_text(st, 13, e->event_id);
    bind_text(st, 14, e->event_name);
    bind_text(st, 15, e->lots_json);
    sqlite3_bind_int64(st, 16, e->shortfall);
    sqlite3_bind_int64(st, 17, e->created_at);
    bind_text(st, 18, e->postings_json);
    return sq_exec_step(c, st, "entry insert", NULL);
}

static bool sq_read_entry(sqlite3_stmt *st, struct arena *a, void *out)
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

static int sq_entry_list(struct store_conn *bc, const char *pid, const char *member_id,
                         const struct page *pg, struct arena *a, struct entry **out, size_t *n,
                         int64_t *total)
{
    SQ_CONN(bc);
    if (total) {
        SQ_PREP(c, stmt_sql[ST_ENTRY_COUNT], cst);
        bind_text(cst, 1, pid);
        bind_text(cst, 2, member_id);
        int rc = sq_query_int(c, cst, total, "entry count");
        if (rc < 0)
            return rc;
    }
    SQ_PREP(c, stmt_sql[ST_ENTRY_LIST], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    sqlite3_bind_int64(st, 3, pg->limit);
    sqlite3_bind_int64(st, 4, pg->offset);
    return sq_query_many(c, st, sq_read_entry, sizeof **out, (size_t)pg->limit, a, (void **)out, n,
                         "entry list");
}

static int sq_entry_list_order(struct store_conn *bc, const char *pid, const char *member_id,
                               const char *order_id, struct arena *a, struct entry **out, size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_ENTRY_LIST_ORDER], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    bind_text(st, 3, order_id);
    return sq_query_many(c, st, sq_read_entry, sizeof **out, 1000, a, (void **)out, n,
                         "entry list order");
}

static int sq_entry_last_seq(struct store_conn *bc, const char *pid, const char *member_id,
                             int64_t *seq)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_ENTRY_LAST_SEQ], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    return sq_query_int(c, st, seq, "entry last seq");
}

static int sq_entry_count_rule(struct store_conn *bc, const char *pid, const char *member_id,
                               const char *rule_id, int64_t since, int64_t *count)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_ENTRY_COUNT_RULE], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, member_id);
    bind_text(st, 3, rule_id);
    sqlite3_bind_int64(st, 4, since);
    return sq_query_int(c, st, count, "entry count rule");
}

/* ---- earning rules ---- */

static void sq_bind_rule(sqlite3_stmt *st, const char *pid, const struct earning_rule *r)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, r->id);
    bind_text(st, 3, r->program_id);
    bind_text(st, 4, r->event);
    bind_text(st, 5, r->body_json);
    bind_bool(st, 6, r->active);
    sqlite3_bind_int64(st, 7, r->created_at);
    sqlite3_bind_int64(st, 8, r->updated_at);
}

static bool sq_read_rule(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct earning_rule *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    col_fixed(st, 1, o->program_id, sizeof o->program_id);
    o->event = col_text(st, 2, a, &oom);
    o->body_json = col_text(st, 3, a, &oom);
    o->active = sqlite3_column_int(st, 4) != 0;
    o->created_at = sqlite3_column_int64(st, 5);
    o->updated_at = sqlite3_column_int64(st, 6);
    return !oom;
}

static int sq_rule_insert(struct store_conn *bc, const char *pid, const struct earning_rule *r)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_RULE_INSERT], st);
    sq_bind_rule(st, pid, r);
    return sq_exec_step(c, st, "rule insert", NULL);
}

static int sq_rule_update(struct store_conn *bc, const char *pid, const struct earning_rule *r)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_RULE_UPDATE], st);
    sq_bind_rule(st, pid, r);
    return sq_exec_one(c, st, "rule update");
}

static int sq_rule_get(struct store_conn *bc, const char *pid, const char *program_id,
                       const char *id, struct arena *a, struct earning_rule *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_RULE_GET], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, program_id);
    bind_text(st, 3, id);
    return sq_query_one(c, st, sq_read_rule, a, out, "rule get");
}

static int sq_rule_delete(struct store_conn *bc, const char *pid, const char *program_id,
                          const char *id)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_RULE_DELETE], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, program_id);
    bind_text(st, 3, id);
    return sq_exec_one(c, st, "rule delete");
}

static int sq_rule_list(struct store_conn *bc, const char *pid, const char *program_id,
                        bool active_only, struct arena *a, struct earning_rule **out, size_t *n)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[active_only ? ST_RULE_LIST_ACTIVE : ST_RULE_LIST], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, program_id);
    return sq_query_many(c, st, sq_read_rule, sizeof **out, 1000, a, (void **)out, n, "rule list");
}

/* ---- orders and events ---- */

static void sq_bind_order(sqlite3_stmt *st, const char *pid, const struct order *o)
{
    bind_text(st, 1, pid);
    bind_text(st, 2, o->id);
    bind_text(st, 3, o->source_id);
    bind_text(st, 4, o->customer_id);
    bind_text(st, 5, o->status);
    sqlite3_bind_int64(st, 6, o->amount);
    bind_text(st, 7, o->items_json);
    bind_text(st, 8, o->metadata_json);
    bind_time(st, 9, o->earned_at);
    sqlite3_bind_int64(st, 10, o->created_at);
    sqlite3_bind_int64(st, 11, o->updated_at);
}

static bool sq_read_order(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct order *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->source_id = col_text(st, 1, a, &oom);
    o->customer_id = col_text(st, 2, a, &oom);
    o->status = col_text(st, 3, a, &oom);
    o->amount = sqlite3_column_int64(st, 4);
    o->items_json = col_text(st, 5, a, &oom);
    o->metadata_json = col_text(st, 6, a, &oom);
    o->earned_at = sqlite3_column_int64(st, 7);
    o->created_at = sqlite3_column_int64(st, 8);
    o->updated_at = sqlite3_column_int64(st, 9);
    return !oom;
}

static int sq_order_insert(struct store_conn *bc, const char *pid, const struct order *o)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_ORDER_INSERT], st);
    sq_bind_order(st, pid, o);
    return sq_exec_step(c, st, "order insert", NULL);
}

static int sq_order_update(struct store_conn *bc, const char *pid, const struct order *o)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_ORDER_UPDATE], st);
    sq_bind_order(st, pid, o);
    return sq_exec_one(c, st, "order update");
}

static int sq_order_get(struct store_conn *bc, const char *pid, const char *ref, struct arena *a,
                        struct order *out)
{
    SQ_CONN(bc);
    for (int by_source = 0; by_source < 2; by_source++) {
        SQ_PREP(c, stmt_sql[by_source ? ST_ORDER_GET_SOURCE : ST_ORDER_GET], st);
        bind_text(st, 1, pid);
        bind_text(st, 2, ref);
        int rc = sq_query_one(c, st, sq_read_order, a, out, "order get");
        if (rc != TREU_ENOTFOUND)
            return rc;
    }
    return TREU_ENOTFOUND;
}

static int sq_event_insert(struct store_conn *bc, const char *pid, const struct event *e)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_EVENT_INSERT], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, e->id);
    bind_text(st, 3, e->name);
    bind_text(st, 4, e->customer_id);
    bind_text(st, 5, e->source_id);
    bind_text(st, 6, e->metadata_json);
    bind_text(st, 7, e->result_json);
    sqlite3_bind_int64(st, 8, e->created_at);
    return sq_exec_step(c, st, "event insert", NULL);
}

static bool sq_read_event(sqlite3_stmt *st, struct arena *a, void *out)
{
    struct event *o = out;
    bool oom = false;
    col_fixed(st, 0, o->id, sizeof o->id);
    o->name = col_text(st, 1, a, &oom);
    col_fixed(st, 2, o->customer_id, sizeof o->customer_id);
    o->source_id = col_text(st, 3, a, &oom);
    o->metadata_json = col_text(st, 4, a, &oom);
    o->result_json = col_text(st, 5, a, &oom);
    o->created_at = sqlite3_column_int64(st, 6);
    return !oom;
}

static int sq_event_get_by_source(struct store_conn *bc, const char *pid, const char *source_id,
                                  struct arena *a, struct event *out)
{
    SQ_CONN(bc);
    SQ_PREP(c, stmt_sql[ST_EVENT_GET_SOURCE], st);
    bind_text(st, 1, pid);
    bind_text(st, 2, source_id);
    return sq_query_one(c, st, sq_read_event, a, out, "event get");
}

static const struct store_ops sqlite_base_ops = {
    .conn_open = sq_conn_open,
    .conn_free = sq_conn_free,
    .free = sq_free,
    .migrate = sq_migrate,
    .exec = sq_exec,
    .project_insert = sq_project_insert,
    .project_get = sq_project_get,
    .key_insert = sq_key_insert,
    .key_get = sq_key_get,
    .key_get_by_hash = sq_key_get_by_hash,
    .key_list = sq_key_list,
    .key_revoke = sq_key_revoke,
    .customer_insert = sq_customer_insert,
    .customer_update = sq_customer_update,
    .customer_get = sq_customer_get,
    .customer_delete = sq_customer_delete,
    .customer_list = sq_customer_list,
    .idem_get = sq_idem_get,
    .idem_put = sq_idem_put,
    .program_insert = sq_program_insert,
    .program_update = sq_program_update,
    .program_get = sq_program_get,
    .program_list = sq_program_list,
    .program_delete = sq_program_delete,
    .program_account = sq_program_account,
    .member_insert = sq_member_insert,
    .member_update = sq_member_update,
    .member_get = sq_member_get,
    .member_get_by_customer = sq_member_get_by_customer,
    .member_list = sq_member_list,
    .member_list_by_customer = sq_member_list_by_customer,
    .member_count = sq_member_count,
    .member_list_due = sq_member_list_due,
    .tier_insert = sq_tier_insert,
    .tier_get = sq_tier_get,
    .tier_list = sq_tier_list,
    .tier_delete = sq_tier_delete,
    .entry_earned_since = sq_entry_earned_since,
    .entry_oldest_gain_since = sq_entry_oldest_gain_since,
    .vrule_insert = sq_vrule_insert,
    .vrule_update = sq_vrule_update,
    .vrule_get = sq_vrule_get,
    .vrule_delete = sq_vrule_delete,
    .vrule_list = sq_vrule_list,
    .lot_insert = sq_lot_insert,
    .lot_update = sq_lot_update,
    .lot_list_open = sq_lot_list_open,
    .lot_next_expiry = sq_lot_next_expiry,
    .idem_purge = sq_idem_purge,
    .entry_accrued_since = sq_entry_accrued_since,
    .entry_insert = sq_entry_insert,
    .entry_list = sq_entry_list,
    .entry_list_order = sq_entry_list_order,
    .entry_last_seq = sq_entry_last_seq,
    .entry_count_rule = sq_entry_count_rule,
    .rule_insert = sq_rule_insert,
    .rule_update = sq_rule_update,
    .rule_get = sq_rule_get,
    .rule_delete = sq_rule_delete,
    .rule_list = sq_rule_list,
    .order_insert = sq_order_insert,
    .order_update = sq_order_update,
    .order_get = sq_order_get,
    .event_insert = sq_event_insert,
    .event_get_by_source = sq_event_get_by_source,
};

static pthread_once_t sqlite_ops_once = PTHREAD_ONCE_INIT;

static void sqlite_ops_build(void)
{
    sqlite_ops = sqlite_base_ops;
    sqlite_redemption_ops(&sqlite_ops);
    sqlite_webhook_ops(&sqlite_ops);
    sqlite_reward_ops(&sqlite_ops);
    sqlite_referral_ops(&sqlite_ops);
    sqlite_voucher_ops(&sqlite_ops);
}

int store_sqlite_open(const char *path, struct store **out)
{
    *out = NULL;
    pthread_once(&sqlite_ops_once, sqlite_ops_build);
    size_t len = strlen(path);
    if (len == 0 || len >= SQLITE_PATH_BYTES_MAX)
        return TREU_EINVAL;
    struct sqlite_store *s = calloc(1, sizeof *s);
    if (!s)
        return TREU_ENOMEM;
    s->base.ops = &sqlite_ops;
    memcpy(s->path, path, len + 1);
    *out = &s->base;
    return 0;
}
