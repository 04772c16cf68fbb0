/* hist.h - a fixed-bucket histogram with atomic counters, cheap enough to observe on
 * every request from any thread. Rendering (Prometheus text) is done by the reader.
 * Bounds are static arrays owned by the caller and must outlive the histogram. */
#ifndef TREU_HIST_H
#define TREU_HIST_H

#include "core/buf.h"

#include <stdatomic.h>

#define HIST_BUCKETS_MAX 24

struct hist {
    const double *bounds; /* ascending upper bounds, inclusive */
    size_t n;             /* number of bounds; one more bucket catches the rest */
    _Atomic uint64_t counts[HIST_BUCKETS_MAX + 1];
    _Atomic uint64_t count;
    _Atomic uint64_t sum_micros; /* sum of observed values × 1e6 */
};

void hist_init(struct hist *h, const double *bounds, size_t n);
void hist_observe(struct hist *h, double v);

/* Appends `name_bucket{labels,le="…"} N` lines (cumulative), `_sum` and `_count`.
 * `labels` is either "" or `key="value"` pairs without braces. */
void hist_render(const struct hist *h, struct buf *b, const char *name, const char *labels);

#endif
