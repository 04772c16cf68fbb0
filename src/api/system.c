/* system.c - health and metrics: unauthenticated, cheap, never touch the writer. */
#include "api/api.h"
#include "api/metrics.h"
#include "engine/projects.h"
#include "jobs/scheduler.h"
#include "jobs/webhooks.h"

void api_system_health(struct request *r)
{
    struct jw w;
    jw_init(&w, &r->out);
    jw_obj_open(&w);
    jw_kv_str(&w, "status", "ok");
    jw_kv_str(&w, "version", r->app->version);
    jw_obj_close(&w);
    reply_json(r, 200);
}

void api_system_metrics(struct request *r)
{
    metrics_render(r->app->metrics, writer_stats(r->app->writer), &r->out);
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4";
}

/* POST /v1/_test/clock {"advance_seconds": N}: moves the server's clock forward, then runs
 * the scheduler, for tests of pending periods and expiry. 404 unless --test-clock. */
void api_system_test_clock(struct request *r)
{
    struct clock_offset *tc = r->app->test_clock;
    cJSON *body;
    int64_t secs;
    bool has;
    if (!tc) {
        reply_error(r, 404, "not_found", "Resource not found",
                    "the test clock is off; start treu serve with --test-clock");
        return;
    }
    if (req_json_object_or_reply(r, &body) < 0 ||
        req_int_field_or_reply(r, body, "", "advance_seconds", 0, INT64_C(100) * 366 * 86400, &secs,
                               &has) < 0)
        return;
    atomic_fetch_add(&tc->offset_us, secs * TSTIME_US_PER_S);
    if (r->app->scheduler)
        scheduler_poke(r->app->scheduler);
    if (r->app->webhooks)
        webhooks_poke(r->app->webhooks);
    struct jw w;
    jw_init(&w, &r->out);
    jw_obj_open(&w);
    jw_kv_time(&w, "now", clock_now_us(r->app->clock));
    jw_kv_int(&w, "offset_seconds", atomic_load(&tc->offset_us) / TSTIME_US_PER_S);
    jw_obj_close(&w);
    reply_json(r, 200);
}
