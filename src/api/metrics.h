/* metrics.h - counters and histograms for /metrics: requests by route and status,
 * latency per route, and the writer's batch sizes and commit latency.
 * observe from any thread (atomics); render from any thread. Created once at start. */
#ifndef TREU_METRICS_H
#define TREU_METRICS_H

#include "core/buf.h"
#include "engine/writer.h"

struct metrics;

/* Sized for `routes` routes; index `routes` counts requests that matched no route. */
TREU_MUST_USE int metrics_new(size_t routes, struct metrics **out);
void metrics_free(struct metrics *m);

/* Counts one finished request. `route` may be METRICS_NO_ROUTE. */
#define METRICS_NO_ROUTE ((size_t)-1)
void metrics_observe(struct metrics *m, size_t route, int status, double seconds);

/* Prometheus text exposition of everything, writer stats included. */
void metrics_render(struct metrics *m, const struct writer_stats *ws, struct buf *b);

#endif
