/* orders.c - /v1/orders and /v1/events: the two ways points are earned from outside.
 * An order whose status becomes PAID runs the order.paid earning rules of every program
 * the customer belongs to, once per order; an event runs the rules named after it. An
 * earned order that is CANCELED, or whose amount goes down (a partial refund), takes back
 * exactly the difference. All answer with the ledger entries they made, written in the
 * same transaction as the order or event itself. */
#include "api/api.h"

#include "engine/customers.h"
#include "engine/loyalty.h"
#include "engine/referrals.h"

#include <string.h>

#define ORDER_AMOUNT_MAX          INT64_C(10000000000000) /* 100 billion in major units */
#define ORDER_ITEMS_MAX           500
#define ORDER_SOURCE_ID_BYTES_MAX EVENT_SOURCE_ID_BYTES_MAX
#define PAYLOAD_JSON_BYTES_MAX    (64 * 1024)

static const char *const order_statuses[] = {"CREATED", "PAID", "CANCELED", "FULFILLED", NULL};

struct order_cmd {
    struct request *r;
    const char *ref; /* PUT /v1/orders/{id} */
    bool has_customer;
    struct customer_ref customer;
    struct opt_str source_id;
    int status; /* index into order_statuses, -1 = not sent */
    bool has_amount;
    int64_t amount;
    const char *items_json;
    const char *metadata_json;
};

struct event_cmd {
    struct request *r;
    struct event_input in;
};

static void loyalty_render(struct jw *w, const struct earn_result *er)
{
    jw_key(w, "loyalty");
    jw_obj_open(w);
    jw_kv_int(w, "points", er->points);
    jw_key(w, "entries");
    jw_arr_open(w);
    for (size_t i = 0; i < er->n; i++)
        api_entry_render(w, &er->entries[i]);
    jw_arr_close(w);
    jw_obj_close(w);
}

static void order_render(struct jw *w, const struct order *o, const struct earn_result *er)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", o->id);
    jw_kv_str(w, "source_id", o->source_id);
    jw_kv_str(w, "status", o->status);
    jw_kv_int(w, "amount", o->amount);
    jw_kv_raw(w, "items", o->items_json ? o->items_json : "[]");
    jw_kv_raw(w, "metadata", o->metadata_json ? o->metadata_json : "{}");
    jw_kv_str(w, "customer_id", o->customer_id);
    jw_kv_time(w, "loyalty_processed_at", o->earned_at);
    jw_kv_time(w, "created_at", o->created_at);
    jw_kv_time(w, "updated_at", o->updated_at);
    jw_kv_str(w, "object", "order");
    if (er)
        loyalty_render(w, er);
    jw_obj_close(w);
}

static void not_found_into(struct buf *b, struct request *r, const char *what, const char *ref)
{
    char details[320];
    snprintf(details, sizeof details, "Cannot find %s with id %.255s", what, ref ? ref : "");
    api_error_body(b, 404, "not_found", "Resource not found", details, r->request_id);
}

/* Fills the order from the command, keeping stored fields that were not sent. */
static void order_overlay(struct order *o, const struct order_cmd *oc, const char *customer_id)
{
    if (oc->source_id.set)
        o->source_id = oc->source_id.v;
    if (customer_id)
        o->customer_id = customer_id;
    if (oc->status >= 0)
        o->status = order_statuses[oc->status];
    if (oc->has_amount)
        o->amount = oc->amount;
    if (oc->items_json)
        o->items_json = oc->items_json;
    if (oc->metadata_json)
        o->metadata_json = oc->metadata_json;
}

static int orders_find(const struct writer_tx *tx, struct order_cmd *oc, struct order *o)
{
    struct request *r = oc->r;
    const char *ref = oc->ref ? oc->ref : oc->source_id.v;
    if (!ref)
        return TREU_ENOTFOUND;
    return store_order_get(tx->conn, r->project_id, ref, &r->arena, o);
}

static int orders_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct order_cmd *oc = cmd->input;
    struct request *r = oc->r;
    struct customer cu;
    enum customer_result cres = CUSTOMER_UPDATED;
    int rc = 0;
    if (oc->has_customer)
        rc = customers_resolve(tx, r->project_id, &oc->customer, &r->arena, &cu, &cres);
    if (rc < 0)
        return rc;
    if (cres == CUSTOMER_NOT_FOUND || cres == CUSTOMER_SOURCE_TAKEN) {
        cmd->status = 404;
        not_found_into(&cmd->body, r, "customer", oc->customer.ref);
        return 0;
    }
    struct order o = {.status = "CREATED"};
    rc = orders_find(tx, oc, &o);
    bool exists = rc == 0;
    if (rc == TREU_ENOTFOUND && oc->ref) {
        cmd->status = 404;
        not_found_into(&cmd->body, r, "order", oc->ref);
        return 0;
    }
    if (rc < 0 && rc != TREU_ENOTFOUND)
        return rc;
    if (!exists) {
        memset(&o, 0, sizeof o);
        o.status = "CREATED";
        ids_make_at(tx->rng, tx->now_us, "ord_", o.id);
        o.created_at = tx->now_us;
    }
    int64_t old_amount = o.amount;
    order_overlay(&o, oc, oc->has_customer ? cu.id : NULL);
    o.updated_at = tx->now_us;
    struct earn_result *er = arena_zalloc(&r->arena, sizeof *er);
    /* What the order earns or loses others (referrers): kept out of the customer's answer. */
    struct earn_result *others = arena_zalloc(&r->arena, sizeof *others);
    if (!er || !others)
        return TREU_ENOMEM;
    struct loyalty_ctx lc = {
        .tx = tx, .zones = r->app->zones, .pid = r->project_id, .a = &r->arena};
    bool canceled = strcmp(o.status, "CANCELED") == 0;
    if (exists && o.earned_at && (canceled || o.amount < old_amount)) {
        rc = loyalty_reverse_order(&lc, &o, o.amount, canceled, er);
        if (rc == 0)
            rc = referrals_order_reversed(&lc, &o, o.amount, canceled, others);
        if (rc < 0)
            return rc;
    }
    if (strcmp(o.status, "PAID") == 0 && !o.earned_at && o.customer_id) {
        struct customer paid_by;
        rc = store_customer_get(tx->conn, r->project_id, o.customer_id, &r->arena, &paid_by);
        struct trigger t = {.kind = TRIGGER_ORDER_PAID, .order = &o, .customer = &paid_by};
        if (rc == 0)
            rc = loyalty_earn(&lc, &t, NULL, NULL, er);
        if (rc == 0)
            rc = referrals_order_paid(&lc, &o, others);
        if (rc < 0 && rc != TREU_ENOTFOUND)
            return rc;
        o.earned_at = tx->now_us;
    }
    rc = exists ? store_order_update(tx->conn, r->project_id, &o)
                : store_order_insert(tx->conn, r->project_id, &o);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    order_render(&w, &o, er);
    cmd->status = exists ? 200 : 201;
    return 0;
}

/* Sum of items' amounts (or price × quantity) when the order's amount is not sent. */
static int items_or_reply(struct request *r, const cJSON *body, struct order_cmd *oc)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(body, "items");
    if (!items || cJSON_IsNull(items))
        return 0;
    if (!cJSON_IsArray(items) || cJSON_GetArraySize(items) > ORDER_ITEMS_MAX) {
        reply_error(r, 400, "invalid_param", "Invalid items",
                    "items: an array of at most %d item objects", ORDER_ITEMS_MAX);
        return -1;
    }
    int64_t sum = 0;
    int i = 0;
    for (const cJSON *it = items->child; it; it = it->next, i++) {
        char where[32];
        snprintf(where, sizeof where, "items[%d]", i);
        int64_t amount = 0, price = 0, qty = 1;
        bool ha, hp, hq;
        if (!cJSON_IsObject(it)) {
            reply_error(r, 400, "invalid_param", "Invalid item", "%s: must be an object", where);
            return -1;
        }
        if (req_int_field_or_reply(r, it, where, "amount", 0, ORDER_AMOUNT_MAX, &amount, &ha) < 0 ||
            req_int_field_or_reply(r, it, where, "price", 0, ORDER_AMOUNT_MAX, &price, &hp) < 0 ||
            req_int_field_or_reply(r, it, where, "quantity", 0, 1000000, &qty, &hq) < 0)
            return -1;
        int64_t line = ha ? amount : price * qty;
        if (line > ORDER_AMOUNT_MAX || __builtin_add_overflow(sum, line, &sum) ||
            sum > ORDER_AMOUNT_MAX) {
            reply_error(r, 400, "invalid_param", "Amount too large", "%s: order total over %lld",
                        where, (long long)ORDER_AMOUNT_MAX);
            return -1;
        }
    }
    oc->items_json = req_json_text(r, items);
    if (!oc->has_amount) {
        oc->amount = sum;
        oc->has_amount = true;
    }
    return 0;
}

static int order_input_or_reply(struct request *r, struct order_cmd *oc)
{
    static const char *const fields[] = {"source_id", "customer", "customer_id", "status",
                                         "amount",    "items",    "metadata",    NULL};
    static const char *const ignored[] = {"id",       "object",  "created_at", "updated_at",
                                          "referrer", "loyalty", NULL};
    cJSON *body;
    bool has;
    oc->status = -1;
    if (req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, ignored, "") < 0 ||
        req_string_field_or_reply(r, body, "source_id", ORDER_SOURCE_ID_BYTES_MAX, false,
                                  &oc->source_id) < 0 ||
        req_enum_field_or_reply(r, body, "", "status", order_statuses, &oc->status, &has) < 0 ||
        req_int_field_or_reply(r, body, "", "amount", 0, ORDER_AMOUNT_MAX, &oc->amount,
                               &oc->has_amount) < 0 ||
        items_or_reply(r, body, oc) < 0)
        return -1;
    const char *cfield = cJSON_GetObjectItemCaseSensitive(body, "customer")      ? "customer"
                         : cJSON_GetObjectItemCaseSensitive(body, "customer_id") ? "customer_id"
                                                                                 : NULL;
    if (cfield && api_customer_ref_or_reply(r, body, cfield, &oc->customer) < 0)
        return -1;
    oc->has_customer = cfield != NULL;
    const cJSON *md;
    struct opt_str mds;
    if (req_object_field_or_reply(r, body, "metadata", &md, &mds) < 0)
        return -1;
    oc->metadata_json = md ? req_json_text(r, md) : NULL;
    if (oc->metadata_json && strlen(oc->metadata_json) > PAYLOAD_JSON_BYTES_MAX) {
        reply_error(r, 400, "invalid_param", "Metadata too large", "metadata: at most %d bytes",
                    PAYLOAD_JSON_BYTES_MAX);
        return -1;
    }
    return 0;
}

static void orders_submit(struct request *r, const char *ref)
{
    struct order_cmd *oc = arena_zalloc(&r->arena, sizeof *oc);
    if (!oc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    oc->r = r;
    oc->ref = ref;
    if (order_input_or_reply(r, oc) < 0)
        return;
    r->cmd.apply = orders_apply;
    r->cmd.input = oc;
    api_submit(r);
}

void api_orders_create(struct request *r)
{
    orders_submit(r, NULL);
}

void api_orders_update(struct request *r)
{
    orders_submit(r, r->params[0]);
}

void api_orders_get(struct request *r)
{
    struct order o;
    struct store_conn *c = req_reader(r);
    int rc = store_order_get(c, r->project_id, r->params[0], &r->arena, &o);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "order", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    order_render(&w, &o, NULL);
    reply_json(r, 200);
}

/* ---- events ---- */

static void event_render(struct jw *w, const struct event *ev, const struct customer *cu,
                         const struct earn_result *er)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", ev->id);
    jw_kv_str(w, "object", "event");
    jw_kv_str(w, "event", ev->name);
    /* Voucherify's answer names the event `type` and carries the customer as an object;
     * its SDK reads both. */
    jw_kv_str(w, "type", ev->name);
    jw_kv_str(w, "source_id", ev->source_id);
    jw_kv_str(w, "customer_id", cu->id);
    jw_key(w, "customer");
    jw_obj_open(w);
    jw_kv_str(w, "id", cu->id);
    jw_kv_str(w, "source_id", cu->source_id);
    jw_kv_str(w, "object", "customer");
    jw_obj_close(w);
    jw_kv_raw(w, "referral", NULL);
    jw_kv_raw(w, "metadata", ev->metadata_json ? ev->metadata_json : "{}");
    loyalty_render(w, er);
    jw_kv_time(w, "created_at", ev->created_at);
    jw_obj_close(w);
}

int api_event_apply(const struct writer_tx *tx, struct request *r, const struct event_input *in,
                    struct arena *a, int *status, struct buf *body)
{
    if (in->source_id) {
        struct event prev;
        int rc = store_event_get_by_source(tx->conn, r->project_id, in->source_id, a, &prev);
        if (rc == 0) { /* a repeated delivery: the first answer, nothing earned again */
            buf_puts(body, prev.result_json ? prev.result_json : "{}");
            *status = 200;
            return 0;
        }
        if (rc != TREU_ENOTFOUND)
            return rc;
    }
    struct customer cu;
    enum customer_result cres;
    int rc = customers_resolve(tx, r->project_id, &in->customer, a, &cu, &cres);
    if (rc < 0)
        return rc;
    if (cres == CUSTOMER_NOT_FOUND || cres == CUSTOMER_SOURCE_TAKEN) {
        *status = 404;
        not_found_into(body, r, "customer", in->customer.ref);
        return 0;
    }
    struct event ev = {.name = in->name,
                       .source_id = in->source_id,
                       .metadata_json = in->metadata_json,
                       .created_at = tx->now_us};
    ids_make_at(tx->rng, tx->now_us, "evt_", ev.id);
    memcpy(ev.customer_id, cu.id, sizeof ev.customer_id);
    struct earn_result *er = arena_zalloc(a, sizeof *er);
    if (!er)
        return TREU_ENOMEM;
    struct loyalty_ctx lc = {.tx = tx, .zones = r->app->zones, .pid = r->project_id, .a = a};
    struct trigger t = {.kind = TRIGGER_EVENT,
                        .event_name = in->name,
                        .event_id = ev.id,
                        .event_metadata = in->metadata,
                        .customer = &cu};
    rc = loyalty_earn(&lc, &t, NULL, NULL, er);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, body);
    event_render(&w, &ev, &cu, er);
    /* Kept only where a repeat can ask for it: a repeated source_id gets the first answer.
     * Without one the answer is not stored (it is most of an event's bytes). */
    ev.result_json = ev.source_id ? buf_cstr(body) : NULL;
    *status = 201;
    return store_event_insert(tx->conn, r->project_id, &ev);
}

static int events_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct event_cmd *ec = cmd->input;
    return api_event_apply(tx, ec->r, &ec->in, &ec->r->arena, &cmd->status, &cmd->body);
}

void api_events_create(struct request *r)
{
    static const char *const fields[] = {"event",    "customer", "metadata", "source_id",
                                         "referral", "loyalty",  NULL};
    struct event_cmd *ec = arena_zalloc(&r->arena, sizeof *ec);
    cJSON *body;
    struct opt_str name, src;
    if (!ec) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    ec->r = r;
    if (req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, NULL, "") < 0 ||
        req_string_field_or_reply(r, body, "event", EVENT_NAME_BYTES_MAX, false, &name) < 0 ||
        req_string_field_or_reply(r, body, "source_id", ORDER_SOURCE_ID_BYTES_MAX, false, &src) <
            0 ||
        api_customer_ref_or_reply(r, body, "customer", &ec->in.customer) < 0)
        return;
    if (!name.set || !name.v[0]) {
        reply_error(r, 400, name.set ? "invalid_param" : "missing_param", "Invalid event",
                    "event: required, the custom event's name such as \"review\"");
        return;
    }
    const cJSON *md;
    struct opt_str mds;
    if (req_object_field_or_reply(r, body, "metadata", &md, &mds) < 0)
        return;
    ec->in.name = name.v;
    ec->in.source_id = src.set && src.v[0] ? src.v : NULL;
    ec->in.metadata = (cJSON *)md;
    ec->in.metadata_json = md ? req_json_text(r, md) : NULL;
    if (ec->in.metadata_json && strlen(ec->in.metadata_json) > EVENT_METADATA_BYTES_MAX) {
        reply_error(r, 400, "invalid_param", "Metadata too large", "metadata: at most %d bytes",
                    EVENT_METADATA_BYTES_MAX);
        return;
    }
    r->cmd.apply = events_apply;
    r->cmd.input = ec;
    api_submit(r);
}
