/* writer.h - the single writer thread and its group commit.
 * Every change to the database is a struct command submitted here. The writer takes
 * whatever commands are queued (up to WRITER_BATCH_MAX, or what arrives within
 * WRITER_LINGER_US of the batch's start while it is still applying), applies each inside
 * its own savepoint of one transaction, commits once, and only then completes them:
 * a caller is answered only after the commit that covers its command is durable.
 * Idempotency is enforced here, inside the same transaction as the change.
 * Thread-safety: writer_submit from any thread; everything else from the owner. */
#ifndef TREU_WRITER_H
#define TREU_WRITER_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/hist.h"
#include "core/ids.h"
#include "core/tstime.h"
#include "store/store.h"

#include <stdbool.h>

#define WRITER_BATCH_MAX                512    /* commands per transaction */
#define WRITER_LINGER_US                1000   /* how long a batch keeps taking late arrivals */
#define WRITER_QUEUE_MAX                100000 /* queued commands before submit refuses */
#define WRITER_CONFLICT_FIELD_BYTES_MAX 128

/* What a command sees while it runs on the writer thread. */
struct writer_tx {
    struct store_conn *conn;
    int64_t now_us; /* this command's timestamp; strictly increasing per writer */
    const struct rng *rng;
    /* Set true by a command whose writes a background worker waits for (the outbox). If
     * the command's writes are kept, the writer calls its commit hook after the commit. */
    bool *notify;
};

enum command_outcome {
    COMMAND_APPLIED,       /* apply ran; status/body hold its answer */
    COMMAND_REPLAYED,      /* an earlier answer for the same idempotency key */
    COMMAND_IDEM_CONFLICT, /* same key, different request: conflict_field names it */
    COMMAND_FAILED,        /* operating error (rc): nothing was written */
};

struct command {
    /* Set by the submitter. */
    const char *project_id;
    const char *idem_key; /* NULL when the request carried none */
    unsigned char request_hash[STORE_HASH_BYTES];
    struct slice request; /* the request body, kept with the idempotency record */
    /* Applies the change and writes the answer into status/body. Returns 0, or a
     * negative TREU_E* for operating errors (the command's writes are then undone). An
     * answer with status >= 400 also undoes the command's writes. */
    int (*apply)(struct command *cmd, const struct writer_tx *tx);
    void *input;
    /* Called on the writer thread once the outcome is final (after the commit). */
    void (*done)(struct command *cmd);
    void *done_arg;

    /* Filled by the writer. */
    enum command_outcome outcome;
    int rc;
    int status;
    struct buf body;
    char conflict_field[WRITER_CONFLICT_FIELD_BYTES_MAX];

    int64_t submitted_us; /* monotonic, for the queue-wait histogram */
    struct command *next; /* queue link, owned by the writer while queued */
};

struct writer_stats {
    struct hist batch_size;
    struct hist commit_seconds;
    struct hist queue_seconds; /* per command: submitted → its batch began applying */
    struct hist apply_seconds; /* per batch: applying every command, before the commit */
    _Atomic uint64_t commands;
    _Atomic uint64_t commits;
    _Atomic uint64_t failed_commits;
    _Atomic int64_t queue_depth;
};

struct writer;

/* Opens the write connection and starts the thread. `clock` and `rng` are borrowed and
 * must outlive the writer. */
TREU_MUST_USE int writer_start(struct store *s, const struct clock *clock, const struct rng *rng,
                               struct writer **out);

/* Queues a command. It must stay valid until its done callback has run. Returns
 * TREU_ESTOPPED after writer_stop began, TREU_ELIMIT when the queue is full; in both
 * cases done is not called. */
TREU_MUST_USE int writer_submit(struct writer *w, struct command *cmd);

/* Sets the function the writer calls (on its thread, after a durable commit) when a
 * command of that batch set tx->notify; NULL removes it. Once this returns, the old hook
 * is no longer running and will not be called again. The hook must not submit. */
void writer_set_commit_hook(struct writer *w, void (*hook)(void *arg), void *arg);

/* Stops taking commands, applies and commits everything queued, joins the thread and
 * closes the connection. NULL-safe. */
void writer_free(struct writer *w);

const struct writer_stats *writer_stats(const struct writer *w);

#endif
