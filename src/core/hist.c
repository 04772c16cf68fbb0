/* hist.c - relaxed atomics: counts are monotonic and read for reporting only. */
#include "core/hist.h"

void hist_init(struct hist *h, const double *bounds, size_t n)
{
    ASSERT(n <= HIST_BUCKETS_MAX);
    h->bounds = bounds;
    h->n = n;
    for (size_t i = 0; i <= HIST_BUCKETS_MAX; i++)
        atomic_init(&h->counts[i], 0);
    atomic_init(&h->count, 0);
    atomic_init(&h->sum_micros, 0);
}

void hist_observe(struct hist *h, double v)
{
    size_t i = 0;
    while (i < h->n && v > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    if (v > 0)
        atomic_fetch_add_explicit(&h->sum_micros, (uint64_t)(v * 1e6), memory_order_relaxed);
}

void hist_render(const struct hist *h, struct buf *b, const char *name, const char *labels)
{
    const char *sep = labels[0] ? "," : "";
    uint64_t cum = 0;
    for (size_t i = 0; i <= h->n; i++) {
        cum += atomic_load_explicit(&h->counts[i], memory_order_relaxed);
        if (i < h->n)
            buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, h->bounds[i],
                       (unsigned long long)cum);
        else
            buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                       (unsigned long long)cum);
    }
    uint64_t sum = atomic_load_explicit(&h->sum_micros, memory_order_relaxed);
    const char *open = labels[0] ? "{" : "";
    const char *close = labels[0] ? "}" : "";
    buf_printf(b, "%s_sum%s%s%s %.6f\n", name, open, labels, close, (double)sum / 1e6);
    buf_printf(b, "%s_count%s%s%s %llu\n", name, open, labels, close,
               (unsigned long long)atomic_load_explicit(&h->count, memory_order_relaxed));
}
