/* system.c - health and metrics: unauthenticated, cheap, never touch the writer. */
#include "api/api.h"
#include "api/metrics.h"

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
