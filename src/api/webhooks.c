/* webhooks.c - /v1/webhooks: endpoints that receive the project's events, their secrets,
 * and the delivery log with manual redelivery. Every change goes through the writer and
 * pokes the delivery worker after its commit (tx->notify). */
#include "api/api.h"

#include "engine/outbox.h"
#include "jobs/webhooks.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#define WEBHOOK_URL_BYTES_MAX         2048
#define WEBHOOK_DESCRIPTION_BYTES_MAX 500
#define WEBHOOK_EVENTS_MAX            32
#define WEBHOOK_SECRET_BYTES          32
#define WEBHOOK_ATTEMPTS_SHOWN_MAX    100

enum wh_op { WH_CREATE, WH_UPDATE, WH_DELETE, WH_ROTATE, WH_REDELIVER };

struct wh_cmd {
    struct request *r;
    enum wh_op op;
    const char *ref, *delivery_ref;
    struct opt_str url, description;
    const char *events; /* comma-joined, NULL = unchanged */
    bool active, has_active;
};

/* ---- rendering ---- */

static void events_render(struct jw *w, const char *events)
{
    jw_arr_open(w);
    const char *p = events;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        jw_strn(w, p, len);
        p = end ? end + 1 : NULL;
    }
    jw_arr_close(w);
}

static void webhook_render(struct jw *w, const struct webhook *h)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", h->id);
    jw_kv_str(w, "object", "webhook");
    jw_kv_str(w, "url", h->url);
    jw_key(w, "events");
    events_render(w, h->events);
    jw_kv_str(w, "description", h->description);
    jw_kv_bool(w, "active", h->active);
    jw_kv_str(w, "secret", h->secret);
    jw_kv_time(w, "created_at", h->created_at);
    jw_kv_time(w, "updated_at", h->updated_at);
    jw_obj_close(w);
}

static void delivery_fields(struct jw *w, const struct webhook_delivery *d)
{
    jw_kv_str(w, "id", d->id);
    jw_kv_str(w, "object", "webhook_delivery");
    jw_kv_str(w, "webhook_id", d->webhook_id);
    jw_kv_str(w, "event_id", d->event_id);
    jw_kv_str(w, "event_type", d->event_type);
    jw_kv_int(w, "seq", d->seq);
    jw_kv_str(w, "status", d->status);
    jw_kv_int(w, "attempts", d->attempts);
    jw_key(w, "last_status_code");
    if (d->last_status_code)
        jw_int(w, d->last_status_code);
    else
        jw_null(w);
    jw_kv_str(w, "last_error", d->last_error);
    jw_kv_time(w, "next_attempt_at", d->next_attempt_at);
    jw_kv_time(w, "created_at", d->created_at);
    jw_kv_time(w, "updated_at", d->updated_at);
}

static void delivery_render(struct jw *w, const struct webhook_delivery *d,
                            const struct webhook_attempt *at, size_t nat)
{
    jw_obj_open(w);
    delivery_fields(w, d);
    if (at) {
        jw_key(w, "attempt_log");
        jw_arr_open(w);
        for (size_t i = 0; i < nat; i++) {
            jw_obj_open(w);
            jw_kv_int(w, "attempt", at[i].n);
            jw_kv_time(w, "at", at[i].at);
            jw_kv_int(w, "duration_ms", at[i].duration_us / 1000);
            jw_key(w, "status_code");
            if (at[i].status_code)
                jw_int(w, at[i].status_code);
            else
                jw_null(w);
            jw_kv_str(w, "error", at[i].error);
            jw_obj_close(w);
        }
        jw_arr_close(w);
    }
    jw_obj_close(w);
}

/* ---- input ---- */

/* http or https, a host, no credentials, no spaces or control characters. */
static const char *url_problem(const char *u)
{
    size_t len = strlen(u);
    if (len == 0 || len > WEBHOOK_URL_BYTES_MAX)
        return "url: required, 1 to 2048 bytes";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)u[i];
        if (ch <= 0x20 || ch >= 0x7f)
            return "url: must not contain spaces, control or non-ASCII characters";
    }
    size_t skip = strncasecmp(u, "https://", 8) == 0  ? 8
                  : strncasecmp(u, "http://", 7) == 0 ? 7
                                                      : 0;
    if (!skip)
        return "url: must start with http:// or https://";
    const char *host = u + skip;
    size_t hl = strcspn(host, "/?#");
    if (hl == 0 || host[0] == ':')
        return "url: must name a host, e.g. https://shop.example/hooks/treu";
    if (memchr(host, '@', hl))
        return "url: must not carry credentials (user:password@); authenticate with the "
               "signature instead";
    return NULL;
}

/* events: ["*"] or 1..WEBHOOK_EVENTS_MAX known, distinct names; joined with commas. */
static int events_or_reply(struct request *r, const cJSON *ev, const char **out)
{
    int n = cJSON_IsArray(ev) ? cJSON_GetArraySize(ev) : -1;
    if (n < 1 || n > WEBHOOK_EVENTS_MAX) {
        reply_error(r, 400, ev ? "invalid_param" : "missing_param", "Invalid events",
                    "events: an array of 1 to %d event types, or [\"*\"] for all, e.g. "
                    "[\"customer.rewarded.loyalty_points\"]",
                    WEBHOOK_EVENTS_MAX);
        return -1;
    }
    struct buf b;
    buf_init(&b, (size_t)WEBHOOK_EVENTS_MAX * (OUTBOX_TYPE_BYTES_MAX + 1));
    int i = 0;
    for (const cJSON *e = ev->child; e; e = e->next, i++) {
        const char *s = cJSON_IsString(e) ? e->valuestring : NULL;
        bool star = s && strcmp(s, "*") == 0;
        if (!s || (!star && !outbox_event_known(s)) || (star && n > 1) ||
            (b.len && outbox_subscribed(buf_cstr(&b), s) && !star)) {
            buf_cleanup(&b);
            reply_error(r, 400, "invalid_param", "Invalid events", "events[%d]: %s", i,
                        !s     ? "must be a string"
                        : star ? "\"*\" subscribes to every event and must be alone"
                        : outbox_event_known(s)
                            ? "listed twice"
                            : "unknown event type; see docs/api.md for the list");
            return -1;
        }
        if (b.len)
            buf_append(&b, ",", 1);
        buf_append(&b, s, strlen(s));
    }
    *out = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    if (!*out) {
        reply_op_error(r, TREU_ENOMEM);
        return -1;
    }
    return 0;
}

static int webhook_input_or_reply(struct request *r, struct wh_cmd *wc, bool create)
{
    static const char *const fields[] = {"url", "events", "description", "active", NULL};
    static const char *const ignored[] = {"id",         "object",     "secret",
                                          "created_at", "updated_at", NULL};
    cJSON *body;
    if (req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, ignored, "") < 0 ||
        req_string_field_or_reply(r, body, "url", WEBHOOK_URL_BYTES_MAX + 1, false, &wc->url) < 0 ||
        req_string_field_or_reply(r, body, "description", WEBHOOK_DESCRIPTION_BYTES_MAX, true,
                                  &wc->description) < 0 ||
        req_bool_field_or_reply(r, body, "", "active", &wc->active, &wc->has_active) < 0)
        return -1;
    const char *why = wc->url.set ? url_problem(wc->url.v) : create ? "url: required" : NULL;
    if (why) {
        reply_error(r, 400, wc->url.set ? "invalid_param" : "missing_param", "Invalid url", "%s",
                    why);
        return -1;
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(body, "events");
    if ((ev || create) && events_or_reply(r, ev, &wc->events) < 0)
        return -1;
    return 0;
}

/* ---- commands ---- */

static void not_found_body(struct command *cmd, struct request *r, const char *what,
                           const char *ref)
{
    char details[320];
    snprintf(details, sizeof details, "Cannot find %s with id %.255s", what, ref);
    cmd->status = 404;
    api_error_body(&cmd->body, 404, "not_found", "Resource not found", details, r->request_id);
}

static void new_secret(const struct writer_tx *tx, struct request *r, struct webhook *h)
{
    unsigned char raw[WEBHOOK_SECRET_BYTES];
    char *hex = arena_alloc(&r->arena, 2 * WEBHOOK_SECRET_BYTES + 1);
    tx->rng->fill(tx->rng->ctx, raw, sizeof raw);
    if (hex)
        sodium_bin2hex(hex, 2 * WEBHOOK_SECRET_BYTES + 1, raw, sizeof raw);
    h->secret = hex;
}

static int webhook_create(struct command *cmd, const struct writer_tx *tx, struct wh_cmd *wc)
{
    struct request *r = wc->r;
    struct page pg = {.limit = 1};
    struct webhook *rows;
    size_t n;
    int64_t total = 0;
    int rc = store_webhook_list(tx->conn, r->project_id, &pg, &r->arena, &rows, &n, &total);
    if (rc < 0)
        return rc;
    if (total >= OUTBOX_WEBHOOKS_PER_PROJECT_MAX) {
        cmd->status = 400;
        api_error_body(&cmd->body, 400, "limit_exceeded", "Too many webhooks",
                       "a project may have at most 16 webhooks; delete one first", r->request_id);
        return 0;
    }
    struct webhook h = {.url = wc->url.v,
                        .events = wc->events,
                        .description = wc->description.v,
                        .active = wc->has_active ? wc->active : true,
                        .created_at = tx->now_us,
                        .updated_at = tx->now_us};
    ids_make(tx->rng, "wh_", h.id);
    new_secret(tx, r, &h);
    if (!h.secret)
        return TREU_ENOMEM;
    rc = store_webhook_insert(tx->conn, r->project_id, &h);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    webhook_render(&w, &h);
    cmd->status = 201;
    return 0;
}

static int delivery_redeliver(struct command *cmd, const struct writer_tx *tx, struct wh_cmd *wc)
{
    struct request *r = wc->r;
    struct webhook_delivery d;
    int rc = store_webhook_delivery_get(tx->conn, r->project_id, wc->ref, wc->delivery_ref,
                                        &r->arena, &d);
    if (rc == TREU_ENOTFOUND) {
        not_found_body(cmd, r, "webhook delivery", wc->delivery_ref);
        return 0;
    }
    if (rc < 0)
        return rc;
    d.status = "PENDING";
    d.next_attempt_at = tx->now_us;
    d.retry_from = tx->now_us;
    d.updated_at = tx->now_us;
    rc = store_webhook_delivery_update(tx->conn, r->project_id, &d);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    delivery_render(&w, &d, NULL, 0);
    cmd->status = 200;
    return 0;
}

static int webhooks_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct wh_cmd *wc = cmd->input;
    struct request *r = wc->r;
    *tx->notify = true; /* the queues may have changed: let the worker look */
    if (wc->op == WH_CREATE)
        return webhook_create(cmd, tx, wc);
    struct webhook h;
    int rc = store_webhook_get(tx->conn, r->project_id, wc->ref, &r->arena, &h);
    if (rc == TREU_ENOTFOUND) {
        not_found_body(cmd, r, "webhook", wc->ref);
        return 0;
    }
    if (rc < 0)
        return rc;
    if (wc->op == WH_REDELIVER)
        return delivery_redeliver(cmd, tx, wc);
    if (wc->op == WH_DELETE) {
        cmd->status = 204;
        return store_webhook_delete(tx->conn, r->project_id, h.id);
    }
    if (wc->op == WH_ROTATE) {
        new_secret(tx, r, &h);
        if (!h.secret)
            return TREU_ENOMEM;
    }
    if (wc->url.set)
        h.url = wc->url.v;
    if (wc->events)
        h.events = wc->events;
    if (wc->description.set)
        h.description = wc->description.v;
    if (wc->has_active)
        h.active = wc->active;
    h.updated_at = tx->now_us;
    rc = store_webhook_update(tx->conn, r->project_id, &h);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    webhook_render(&w, &h);
    cmd->status = 200;
    return 0;
}

static void webhooks_submit(struct request *r, enum wh_op op)
{
    struct wh_cmd *wc = arena_zalloc(&r->arena, sizeof *wc);
    if (!wc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    wc->r = r;
    wc->op = op;
    wc->ref = r->nparams > 0 ? r->params[0] : NULL;
    wc->delivery_ref = r->nparams > 1 ? r->params[1] : NULL;
    if ((op == WH_CREATE || op == WH_UPDATE) && webhook_input_or_reply(r, wc, op == WH_CREATE) < 0)
        return;
    r->cmd.apply = webhooks_apply;
    r->cmd.input = wc;
    api_submit(r);
}

void api_webhooks_create(struct request *r)
{
    webhooks_submit(r, WH_CREATE);
}

void api_webhooks_update(struct request *r)
{
    webhooks_submit(r, WH_UPDATE);
}

void api_webhooks_delete(struct request *r)
{
    webhooks_submit(r, WH_DELETE);
}

void api_webhooks_rotate_secret(struct request *r)
{
    webhooks_submit(r, WH_ROTATE);
}

void api_webhooks_redeliver(struct request *r)
{
    webhooks_submit(r, WH_REDELIVER);
}

/* ---- reads ---- */

void api_webhooks_get(struct request *r)
{
    struct webhook h;
    struct store_conn *c = req_reader(r);
    int rc = store_webhook_get(c, r->project_id, r->params[0], &r->arena, &h);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "webhook", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    webhook_render(&w, &h);
    reply_json(r, 200);
}

void api_webhooks_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct webhook *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_webhook_list(c, r->project_id, &pg, &r->arena, &rows, &n, &total);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_op_error(r, rc);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "data");
    for (size_t i = 0; i < n; i++)
        webhook_render(&w, &rows[i]);
    api_list_close(&w, total, pg.offset + (int64_t)n < total);
    reply_json(r, 200);
}

void api_webhooks_deliveries(struct request *r)
{
    static const char *const statuses[] = {"PENDING", "DELIVERED", "FAILED", NULL};
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    const char *status = r->io->query(r, "status");
    bool known = !status;
    for (size_t i = 0; status && statuses[i]; i++)
        known |= strcmp(statuses[i], status) == 0;
    if (!known) {
        reply_error(r, 400, "invalid_param", "Invalid status",
                    "status: one of PENDING, DELIVERED, FAILED");
        return;
    }
    struct webhook h;
    struct webhook_delivery *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_webhook_get(c, r->project_id, r->params[0], &r->arena, &h);
        if (rc == 0)
            rc = store_webhook_delivery_list(c, r->project_id, h.id, status, &pg, &r->arena, &rows,
                                             &n, &total);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "webhook", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "deliveries");
    for (size_t i = 0; i < n; i++)
        delivery_render(&w, &rows[i], NULL, 0);
    api_list_close(&w, total, pg.offset + (int64_t)n < total);
    reply_json(r, 200);
}

void api_webhooks_delivery_get(struct request *r)
{
    struct webhook_delivery d;
    struct webhook_attempt *at = NULL;
    size_t nat = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc =
            store_webhook_delivery_get(c, r->project_id, r->params[0], r->params[1], &r->arena, &d);
        if (rc == 0)
            rc = store_webhook_attempt_list(c, r->project_id, d.id, WEBHOOK_ATTEMPTS_SHOWN_MAX,
                                            &r->arena, &at, &nat);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "webhook delivery", r->params[1]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    struct webhook_attempt none;
    delivery_render(&w, &d, at ? at : &none, nat);
    reply_json(r, 200);
}
