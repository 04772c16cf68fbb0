/* metrics.c - status codes are counted in a dense array per route (100..599), so an
 * observation is two relaxed atomic adds and never allocates. */
#include "api/metrics.h"

#include "api/api.h"

#include <stdatomic.h>
#include <string.h>

#define METRICS_STATUS_MIN  100
#define METRICS_STATUS_SPAN 500

struct route_metrics {
    _Atomic uint64_t by_status[METRICS_STATUS_SPAN];
    struct hist latency;
};

struct metrics {
    size_t routes;
    struct route_metrics *r; /* routes + 1 entries; the last is "unmatched" */
};

static const double latency_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

int metrics_new(size_t routes, struct metrics **out)
{
    struct metrics *m = calloc(1, sizeof *m);
    if (!m)
        return TREU_ENOMEM;
    m->routes = routes;
    m->r = calloc(routes + 1, sizeof *m->r);
    if (!m->r) {
        free(m);
        return TREU_ENOMEM;
    }
    for (size_t i = 0; i <= routes; i++) {
        for (size_t s = 0; s < METRICS_STATUS_SPAN; s++)
            atomic_init(&m->r[i].by_status[s], 0);
        hist_init(&m->r[i].latency, latency_bounds, TREU_ARRAY_LEN(latency_bounds));
    }
    *out = m;
    return 0;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    free(m->r);
    free(m);
}

void metrics_observe(struct metrics *m, size_t route, int status, double seconds)
{
    size_t i = route < m->routes ? route : m->routes;
    if (status >= METRICS_STATUS_MIN && status < METRICS_STATUS_MIN + METRICS_STATUS_SPAN)
        atomic_fetch_add_explicit(&m->r[i].by_status[status - METRICS_STATUS_MIN], 1,
                                  memory_order_relaxed);
    hist_observe(&m->r[i].latency, seconds);
}

static void route_label(const struct metrics *m, size_t i, char *out, size_t size)
{
    if (i < m->routes)
        snprintf(out, size, "route=\"%s %s\"", api_routes[i].method, api_routes[i].pattern);
    else
        snprintf(out, size, "route=\"unmatched\"");
}

void metrics_render(struct metrics *m, const struct writer_stats *ws, struct buf *b)
{
    char label[160];
    buf_puts(b, "# HELP treu_http_requests_total HTTP requests by route and status.\n"
                "# TYPE treu_http_requests_total counter\n");
    for (size_t i = 0; i <= m->routes; i++) {
        route_label(m, i, label, sizeof label);
        for (size_t s = 0; s < METRICS_STATUS_SPAN; s++) {
            uint64_t n = atomic_load_explicit(&m->r[i].by_status[s], memory_order_relaxed);
            if (n)
                buf_printf(b, "treu_http_requests_total{%s,status=\"%zu\"} %llu\n", label,
                           s + METRICS_STATUS_MIN, (unsigned long long)n);
        }
    }
    buf_puts(b, "# HELP treu_http_request_duration_seconds Time from request start to answer.\n"
                "# TYPE treu_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->routes; i++) {
        if (!atomic_load_explicit(&m->r[i].latency.count, memory_order_relaxed))
            continue;
        route_label(m, i, label, sizeof label);
        hist_render(&m->r[i].latency, b, "treu_http_request_duration_seconds", label);
    }
    buf_puts(b, "# HELP treu_writer_batch_size Commands committed per transaction.\n"
                "# TYPE treu_writer_batch_size histogram\n");
    hist_render(&ws->batch_size, b, "treu_writer_batch_size", "");
    buf_puts(b, "# HELP treu_writer_commit_duration_seconds Time to commit one batch durably.\n"
                "# TYPE treu_writer_commit_duration_seconds histogram\n");
    hist_render(&ws->commit_seconds, b, "treu_writer_commit_duration_seconds", "");
    buf_puts(b, "# HELP treu_writer_queue_wait_seconds Time a command waited for the writer.\n"
                "# TYPE treu_writer_queue_wait_seconds histogram\n");
    hist_render(&ws->queue_seconds, b, "treu_writer_queue_wait_seconds", "");
    buf_puts(b, "# HELP treu_writer_apply_duration_seconds Time to apply one batch before its "
                "commit.\n"
                "# TYPE treu_writer_apply_duration_seconds histogram\n");
    hist_render(&ws->apply_seconds, b, "treu_writer_apply_duration_seconds", "");
    buf_printf(b,
               "# TYPE treu_writer_commands_total counter\ntreu_writer_commands_total %llu\n"
               "# TYPE treu_writer_commits_total counter\ntreu_writer_commits_total %llu\n"
               "# TYPE treu_writer_failed_commits_total counter\n"
               "treu_writer_failed_commits_total %llu\n"
               "# TYPE treu_writer_queue_depth gauge\ntreu_writer_queue_depth %lld\n",
               (unsigned long long)atomic_load(&ws->commands),
               (unsigned long long)atomic_load(&ws->commits),
               (unsigned long long)atomic_load(&ws->failed_commits),
               (long long)atomic_load(&ws->queue_depth));
}
