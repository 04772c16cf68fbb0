/* pool.h - a fixed set of read-only connections shared by request threads.
 * Sized to the number of request threads, so acquire rarely waits; it blocks rather than
 * fail when all are lent out. Thread-safe. */
#ifndef TREU_POOL_H
#define TREU_POOL_H

#include "store/store.h"

#define POOL_CONNS_MAX 64

struct store_pool;

/* Opens `n` (1..POOL_CONNS_MAX) read-only connections to `s`. */
TREU_MUST_USE int store_pool_new(struct store *s, int n, struct store_pool **out);

/* Closes every connection; all must have been released. NULL-safe. */
void store_pool_free(struct store_pool *p);

/* Borrows a connection; blocks until one is free. */
struct store_conn *store_pool_acquire(struct store_pool *p);

/* Returns a borrowed connection. NULL-safe. */
void store_pool_release(struct store_pool *p, struct store_conn *c);

#endif
