/* scheduler.h - makes time-driven changes happen without waiting for a request: pending
 * points become spendable and points expire at their instants, with their ledger entries.
 * One thread; every tick it lists members whose next_due_at has passed and submits one
 * settle command per member to the writer. It catches up after downtime (due means
 * next_due_at <= now, however long ago) and is idempotent: settling a member with nothing
 * due changes nothing. Start after the writer, free before it. */
#ifndef TREU_SCHEDULER_H
#define TREU_SCHEDULER_H

#include "engine/writer.h"
#include "engine/zones.h"
#include "store/pool.h"

#define SCHEDULER_BATCH_MAX 256           /* members settled per round */
#define SCHEDULER_TICK_US   (1000 * 1000) /* between rounds when nothing is left */
#define SCHEDULER_IDEM_RETENTION_US                                                                \
    (INT64_C(24) * 3600 * 1000000)     /* stored idempotent answers are kept this long */
#define SCHEDULER_IDEM_PURGE_MAX 10000 /* stored answers deleted per round */
#define SCHEDULER_PURGE_EVERY_US (INT64_C(60) * 1000 * 1000) /* between purges */

struct scheduler;

/* All borrowed; they must outlive the scheduler. */
TREU_MUST_USE int scheduler_start(struct store_pool *readers, struct writer *w, struct zones *zs,
                                  const struct clock *clock, struct scheduler **out);

/* Runs one round now and waits for it (for tests and for `treu serve` at start). Returns
 * the number of members settled, or a negative error. Not while the thread is running a
 * round concurrently: call it only from the thread that owns the scheduler. */
TREU_MUST_USE int scheduler_run_once(struct scheduler *s);

/* Asks the scheduler to run a round as soon as possible (e.g. after the test clock moved). */
void scheduler_poke(struct scheduler *s);

/* Stops the thread after its current round. NULL-safe. */
void scheduler_free(struct scheduler *s);

#endif
