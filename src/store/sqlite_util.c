/* sqlite_util.c - the SQLite backend's shared helpers: error mapping, the statement
 * cache, binding and reading columns, stepping. */
#include "store/sqlite_internal.h"

#include "core/log.h"

#include <stdint.h>
#include <string.h>

int sq_err(sqlite3 *db, int rc, const char *what)
{
    int primary = rc & 0xFF;
    int out;
    switch (primary) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: out = TREU_EBUSY; break;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return TREU_ECONFLICT;
        out = TREU_EINVAL;
        break;
    case SQLITE_NOMEM: out = TREU_ENOMEM; break;
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN: out = TREU_EFULL; break;
    case SQLITE_TOOBIG: out = TREU_ELIMIT; break;
    default: out = TREU_EIO; break;
    }
    log_error("sqlite", "what=\"%s\" rc=%d err=\"%s\"", what, rc, db ? sqlite3_errmsg(db) : "");
    return out;
}

int sq_stmt(struct sqlite_conn *c, const char *sql, sqlite3_stmt **out)
{
    size_t mask = SQLITE_STMT_CACHE_SLOTS - 1;
    size_t i = ((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15u >> 40 & mask;
    for (size_t probe = 0; probe < SQLITE_STMT_CACHE_SLOTS; probe++, i = (i + 1) & mask) {
        struct sq_cached *slot = &c->cache[i];
        if (slot->sql == sql) {
            *out = slot->st;
            return 0;
        }
        if (slot->sql)
            continue;
        int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot->st, NULL);
        if (rc != SQLITE_OK)
            return sq_err(c->db, rc, sql);
        slot->sql = sql;
        *out = slot->st;
        return 0;
    }
    log_error("sqlite", "what=\"statement cache full\" slots=%d", SQLITE_STMT_CACHE_SLOTS);
    return TREU_ELIMIT;
}

void sq_stmt_cache_free(struct sqlite_conn *c)
{
    for (size_t i = 0; i < SQLITE_STMT_CACHE_SLOTS; i++)
        sqlite3_finalize(c->cache[i].st);
}

void sq_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

void bind_time(sqlite3_stmt *st, int i, int64_t us)
{
    if (us)
        sqlite3_bind_int64(st, i, us);
    else
        sqlite3_bind_null(st, i);
}

/* Column text copied into the arena; NULL stays NULL. *oom set when the arena is full. */
const char *col_text(sqlite3_stmt *st, int i, struct arena *a, bool *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    char *p = arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
    if (!p)
        *oom = true;
    return p;
}

void col_fixed(sqlite3_stmt *st, int i, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(out, t, n);
    out[n] = '\0';
}

/* Runs a statement that returns no rows; *changes gets the number of rows touched. */
int sq_exec_step(struct sqlite_conn *c, sqlite3_stmt *st, const char *what, int *changes)
{
    int rc = sqlite3_step(st);
    int out = rc == SQLITE_DONE ? 0 : sq_err(c->db, sqlite3_extended_errcode(c->db), what);
    if (changes)
        *changes = sqlite3_changes(c->db);
    sq_done(st);
    return out;
}

/* Runs a statement that must touch exactly one row: TREU_ENOTFOUND when it touched none. */
int sq_exec_one(struct sqlite_conn *c, sqlite3_stmt *st, const char *what)
{
    int changes = 0;
    int rc = sq_exec_step(c, st, what, &changes);
    return rc < 0 ? rc : changes == 1 ? 0 : TREU_ENOTFOUND;
}

/* Steps a query that returns at most one row and reads it: TREU_ENOTFOUND for none. */
int sq_query_one(struct sqlite_conn *c, sqlite3_stmt *st, sq_row_reader read, struct arena *a,
                 void *out, const char *what)
{
    int src = sqlite3_step(st);
    int rc;
    if (src == SQLITE_ROW)
        rc = read(st, a, out) ? 0 : TREU_ENOMEM;
    else
        rc = src == SQLITE_DONE ? TREU_ENOTFOUND : sq_err(c->db, src, what);
    sq_done(st);
    return rc;
}

/* Reads rows into a growing arena array of `elem`-byte records, at most `max`. */
int sq_query_many(struct sqlite_conn *c, sqlite3_stmt *st, sq_row_reader read, size_t elem,
                  size_t max, struct arena *a, void **out, size_t *n, const char *what)
{
    size_t cap = 8, len = 0;
    char *rows = arena_zalloc(a, cap * elem);
    int src = SQLITE_DONE;
    while (rows && len < max && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            char *more = arena_zalloc(a, 2 * cap * elem);
            if (more)
                memcpy(more, rows, len * elem);
            rows = more;
            cap *= 2;
            if (!rows)
                break;
        }
        if (!read(st, a, rows + len * elem)) {
            rows = NULL;
            break;
        }
        len++;
    }
    int rc = 0;
    if (!rows)
        rc = TREU_ENOMEM;
    else if (src != SQLITE_DONE && src != SQLITE_ROW)
        rc = sq_err(c->db, src, what);
    sq_done(st);
    *out = rows;
    *n = rc < 0 ? 0 : len;
    return rc;
}

/* A single integer from a one-row query (count, max). */
int sq_query_int(struct sqlite_conn *c, sqlite3_stmt *st, int64_t *v, const char *what)
{
    int src = sqlite3_step(st);
    int rc = 0;
    if (src == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    else
        rc = sq_err(c->db, src, what);
    sq_done(st);
    return rc;
}

void bind_bool(sqlite3_stmt *st, int i, bool v)
{
    sqlite3_bind_int(st, i, v ? 1 : 0);
}

void bind_opt_int(sqlite3_stmt *st, int i, bool set, int64_t v)
{
    if (set)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}
