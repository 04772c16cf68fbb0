/* sqlite_internal.h - what the SQLite backend's files share: the connection, the
 * statement cache and the small helpers that bind, step and read. Only store/sqlite*.c
 * include it.
 * Statements are prepared once per connection and cached by the address of their SQL
 * text, so each file keeps its SQL in its own static strings: SQ_PREP(c, SQL, st). */
#ifndef TREU_SQLITE_INTERNAL_H
#define TREU_SQLITE_INTERNAL_H

#include "store/store.h"

#include <sqlite3.h>

#define SQLITE_STMT_CACHE_SLOTS 512 /* power of two; statements of all files together */

struct sq_cached {
    const char *sql;
    sqlite3_stmt *st;
};

struct sqlite_conn {
    struct store_conn base;
    sqlite3 *db;
    struct sq_cached cache[SQLITE_STMT_CACHE_SLOTS];
};

/* Maps a SQLite result code onto treu's operating errors, logging the unexpected ones. */
int sq_err(sqlite3 *db, int rc, const char *what);
/* The cached statement for `sql` (prepared on first use). */
TREU_MUST_USE int sq_stmt(struct sqlite_conn *c, const char *sql, sqlite3_stmt **out);
/* Finalizes every cached statement. */
void sq_stmt_cache_free(struct sqlite_conn *c);
/* Resets a statement and clears its bindings for the next use. */
void sq_done(sqlite3_stmt *st);

void bind_text(sqlite3_stmt *st, int i, const char *s); /* NULL binds NULL */
void bind_time(sqlite3_stmt *st, int i, int64_t us);    /* 0 binds NULL */
void bind_bool(sqlite3_stmt *st, int i, bool v);
void bind_opt_int(sqlite3_stmt *st, int i, bool set, int64_t v); /* unset binds NULL */
/* Column text copied into the arena; NULL stays NULL. *oom set when the arena is full. */
const char *col_text(sqlite3_stmt *st, int i, struct arena *a, bool *oom);
/* Column text into a fixed buffer (truncated to fit). */
void col_fixed(sqlite3_stmt *st, int i, char *out, size_t size);

/* Runs a statement that returns no rows; *changes gets the number of rows touched. */
TREU_MUST_USE int sq_exec_step(struct sqlite_conn *c, sqlite3_stmt *st, const char *what,
                               int *changes);
/* Runs a statement that must touch exactly one row: TREU_ENOTFOUND when it touched none. */
TREU_MUST_USE int sq_exec_one(struct sqlite_conn *c, sqlite3_stmt *st, const char *what);

typedef bool (*sq_row_reader)(sqlite3_stmt *st, struct arena *a, void *out);

/* Steps a query that returns at most one row and reads it: TREU_ENOTFOUND for none. */
TREU_MUST_USE int sq_query_one(struct sqlite_conn *c, sqlite3_stmt *st, sq_row_reader read,
                               struct arena *a, void *out, const char *what);
/* Reads rows into a growing arena array of `elem`-byte records, at most `max`. */
TREU_MUST_USE int sq_query_many(struct sqlite_conn *c, sqlite3_stmt *st, sq_row_reader read,
                                size_t elem, size_t max, struct arena *a, void **out, size_t *n,
                                const char *what);
/* A single integer from a one-row query (count, max). */
TREU_MUST_USE int sq_query_int(struct sqlite_conn *c, sqlite3_stmt *st, int64_t *v,
                               const char *what);

#define SQ_PREP(c, sql, st)                                                                        \
    sqlite3_stmt *st = NULL;                                                                       \
    do {                                                                                           \
        int prc_ = sq_stmt((c), (sql), &st);                                                       \
        if (prc_ < 0)                                                                              \
            return prc_;                                                                           \
    } while (0)

/* Each file of the backend beyond sqlite.c fills its part of the ops table. */
void sqlite_redemption_ops(struct store_ops *ops);
void sqlite_webhook_ops(struct store_ops *ops);
void sqlite_reward_ops(struct store_ops *ops);
void sqlite_referral_ops(struct store_ops *ops);
void sqlite_voucher_ops(struct store_ops *ops);

#define SQ_CONN(bc) struct sqlite_conn *c = (struct sqlite_conn *)(bc)

#endif
