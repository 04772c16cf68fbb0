/* validations.c - POST /v1/vouchers/{code}/validate and POST /v1/validations (stackable):
 * what vouchers are worth for a customer's order, without redeeming them. Read-only: they
 * run on a reader connection; a customer given by a source_id treu does not know is
 * validated as described in the body (Voucherify creates it on redemption, not here).
 * Also the body parsing and order helpers redemptions.c shares (redeem.h). */
#include "api/redeem.h"

#include <string.h>

static const char *const order_statuses[] = {"CREATED", "PAID", "CANCELED", "FULFILLED", NULL};

/* ---- input ---- */

static int item_or_reply(struct request *r, const cJSON *it, int i, int64_t *sum)
{
    char where[32];
    snprintf(where, sizeof where, "order.items[%d]", i);
    int64_t amount = 0, price = 0, qty = 1;
    bool ha, hp, hq;
    if (!cJSON_IsObject(it)) {
        reply_error(r, 400, "invalid_param", "Invalid item", "%s: must be an object", where);
        return -1;
    }
    if (req_int_field_or_reply(r, it, where, "amount", 0, VOUCHERS_AMOUNT_MAX, &amount, &ha) < 0 ||
        req_int_field_or_reply(r, it, where, "price", 0, VOUCHERS_AMOUNT_MAX, &price, &hp) < 0 ||
        req_int_field_or_reply(r, it, where, "quantity", 0, 1000000, &qty, &hq) < 0)
        return -1;
    int64_t line = 0;
    if ((ha ? (line = amount, false) : __builtin_mul_overflow(price, qty, &line)) ||
        line > VOUCHERS_AMOUNT_MAX || __builtin_add_overflow(*sum, line, sum) ||
        *sum > VOUCHERS_AMOUNT_MAX) {
        reply_error(r, 400, "invalid_param", "Amount too large", "%s: order total over %lld", where,
                    (long long)VOUCHERS_AMOUNT_MAX);
        return -1;
    }
    return 0;
}

int api_order_or_reply(struct request *r, const cJSON *o, struct redeem_input *in)
{
    static const char *const fields[] = {"id",       "source_id", "amount", "items",
                                         "metadata", "status",    NULL};
    static const char *const ignored[] = {"object",     "customer",   "customer_id", "referrer",
                                          "created_at", "updated_at", NULL};
    struct opt_str id, src;
    int status = 0;
    bool has_status;
    if (req_known_fields_or_reply(r, o, fields, ignored, "order") < 0 ||
        req_string_field_or_reply(r, o, "id", REDEEM_TEXT_BYTES_MAX, true, &id) < 0 ||
        req_string_field_or_reply(r, o, "source_id", REDEEM_TEXT_BYTES_MAX, true, &src) < 0 ||
        req_enum_field_or_reply(r, o, "order", "status", order_statuses, &status, &has_status) <
            0 ||
        req_int_field_or_reply(r, o, "order", "amount", 0, VOUCHERS_AMOUNT_MAX, &in->order.amount,
                               &in->order.has_amount) < 0)
        return -1;
    in->order_ref = id.v && id.v[0] ? id.v : NULL;
    in->order_source_id = src.v && src.v[0] ? src.v : NULL;
    in->order.status = has_status ? order_statuses[status] : NULL;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
    if (items && !cJSON_IsNull(items) &&
        (!cJSON_IsArray(items) || cJSON_GetArraySize(items) > REDEEM_ORDER_ITEMS_MAX)) {
        reply_error(r, 400, "invalid_param", "Invalid items",
                    "order.items: an array of at most %d items", REDEEM_ORDER_ITEMS_MAX);
        return -1;
    }
    int64_t sum = 0;
    int i = 0;
    for (const cJSON *it = cJSON_IsArray(items) ? items->child : NULL; it; it = it->next, i++) {
        if (item_or_reply(r, it, i, &sum) < 0)
            return -1;
    }
    in->items_json = cJSON_IsArray(items) ? req_json_text(r, items) : NULL;
    if (!in->order.has_amount && in->items_json) {
        in->order.amount = sum;
        in->order.has_amount = true;
    }
    const cJSON *md;
    struct opt_str mds;
    if (req_object_field_or_reply(r, o, "metadata", &md, &mds) < 0)
        return -1;
    in->order_metadata_json = md ? req_json_text(r, md) : NULL;
    in->has_order = true;
    return 0;
}

static int credits_or_reply(struct request *r, const cJSON *obj, const char *where, int64_t *out)
{
    const cJSON *gift = cJSON_GetObjectItemCaseSensitive(obj, "gift");
    bool has;
    if (gift && !cJSON_IsNull(gift) && !cJSON_IsObject(gift)) {
        reply_error(r, 400, "invalid_param", "Invalid gift",
                    "%sgift: an object such as {\"credits\": 1000}", where);
        return -1;
    }
    return req_int_field_or_reply(r, gift, "gift", "credits", 1, VOUCHERS_AMOUNT_MAX, out, &has);
}

static int redeemables_or_reply(struct request *r, const cJSON *body, struct redeem_input *in)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "redeemables");
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    if (n < 1 || n > REDEEM_STACK_MAX) {
        reply_error(
            r, 400, list ? "invalid_param" : "missing_param", "Invalid redeemables",
            "redeemables: 1 to %d items such as {\"object\": \"voucher\", \"id\": \"CODE\"}",
            REDEEM_STACK_MAX);
        return -1;
    }
    int i = 0;
    for (const cJSON *it = list->child; it; it = it->next, i++) {
        const cJSON *obj = cJSON_GetObjectItemCaseSensitive(it, "object");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        char where[40];
        snprintf(where, sizeof where, "redeemables[%d].", i);
        if (!cJSON_IsString(obj) || strcmp(obj->valuestring, "voucher") != 0 ||
            !cJSON_IsString(id)) {
            reply_error(r, 400, "invalid_param", "Invalid redeemable",
                        "%sobject and id: {\"object\": \"voucher\", \"id\": \"CODE\"}; treu "
                        "redeems vouchers here (promotion tiers are not supported)",
                        where);
            return -1;
        }
        if (api_code_or_reply(r, id->valuestring, "redeemables[].id") < 0 ||
            credits_or_reply(r, it, where, &in->items[i].credits) < 0)
            return -1;
        in->items[i].code = id->valuestring;
    }
    in->n = (size_t)n;
    return 0;
}

int api_redeem_input_or_reply(struct request *r, bool stackable, const char *code,
                              struct redeem_input *in)
{
    static const char *const fields[] = {"customer",    "order",   "metadata", "gift",
                                         "redeemables", "options", "session",  "reward",
                                         "tracking_id", NULL};
    memset(in, 0, sizeof *in);
    in->stackable = stackable;
    in->channel = r->io->header(r, "X-Voucherify-Channel");
    if (in->channel && (strlen(in->channel) > REDEEM_TEXT_BYTES_MAX ||
                        !json_utf8_valid(in->channel, strlen(in->channel))))
        in->channel = NULL; /* a label only: one we cannot store as text is dropped */
    cJSON *body;
    if (r->body.len == 0 && !stackable)
        body = NULL;
    else if (req_json_object_or_reply(r, &body) < 0 ||
             req_known_fields_or_reply(r, body, fields, NULL, "") < 0)
        return -1;
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(body, "order");
    const cJSON *md;
    struct opt_str mds;
    if ((order && !cJSON_IsNull(order) &&
         (!cJSON_IsObject(order) ? (reply_error(r, 400, "invalid_param", "Invalid order",
                                                "order: an object such as {\"amount\": 10000}"),
                                    -1)
                                 : api_order_or_reply(r, order, in)) < 0) ||
        req_object_field_or_reply(r, body, "metadata", &md, &mds) < 0)
        return -1;
    in->metadata_json = md ? req_json_text(r, md) : NULL;
    in->has_customer = cJSON_GetObjectItemCaseSensitive(body, "customer") != NULL;
    if (in->has_customer && api_customer_ref_or_reply(r, body, "customer", &in->customer) < 0)
        return -1;
    if (stackable)
        return redeemables_or_reply(r, body, in);
    if (api_code_or_reply(r, code, "code") < 0 ||
        credits_or_reply(r, body, "", &in->items[0].credits) < 0)
        return -1;
    in->items[0].code = code;
    in->n = 1;
    return 0;
}

/* ---- orders ---- */

int api_order_resolve(struct store_conn *c, struct request *r, const struct redeem_input *in,
                      struct order *o, bool *found)
{
    memset(o, 0, sizeof *o);
    *found = false;
    const char *ref = in->order_ref ? in->order_ref : in->order_source_id;
    if (ref) {
        int rc = store_order_get(c, r->project_id, ref, &r->arena, o);
        if (rc < 0 && (rc != TREU_ENOTFOUND || in->order_ref))
            return rc;
        *found = rc == 0;
    }
    if (!*found) {
        memset(o, 0, sizeof *o);
        o->source_id = in->order_source_id;
        o->status = "CREATED";
    }
    if (in->order.has_amount)
        o->amount = in->order.amount;
    if (in->items_json)
        o->items_json = in->items_json;
    if (in->order_metadata_json)
        o->metadata_json = in->order_metadata_json;
    if (in->order.status)
        o->status = in->order.status;
    return 0;
}

void api_order_view(const struct order *o, struct voucher_order *vo)
{
    memset(vo, 0, sizeof *vo);
    vo->has_amount = true;
    vo->amount = o->amount;
    vo->status = o->status;
    vo->items = o->items_json ? cJSON_Parse(o->items_json) : NULL;
    vo->metadata = o->metadata_json ? cJSON_Parse(o->metadata_json) : NULL;
}

void api_order_view_cleanup(struct voucher_order *vo)
{
    cJSON_Delete((cJSON *)vo->items);
    cJSON_Delete((cJSON *)vo->metadata);
    vo->items = vo->metadata = NULL;
}

void api_order_totals_render(struct jw *w, const struct order *o, int64_t applied)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", o->id[0] ? o->id : NULL);
    jw_kv_str(w, "source_id", o->source_id);
    jw_kv_str(w, "status", o->status);
    jw_kv_int(w, "amount", o->amount);
    jw_kv_int(w, "discount_amount", applied);
    jw_kv_int(w, "total_discount_amount", applied);
    jw_kv_int(w, "total_amount", o->amount - applied);
    jw_kv_int(w, "applied_discount_amount", applied);
    jw_kv_int(w, "total_applied_discount_amount", applied);
    jw_kv_raw(w, "items", o->items_json ? o->items_json : "[]");
    jw_kv_raw(w, "metadata", o->metadata_json ? o->metadata_json : "{}");
    jw_kv_str(w, "customer_id", o->customer_id);
    jw_kv_str(w, "object", "order");
    jw_obj_close(w);
}

const char *api_tracking_id(const struct customer *cu)
{
    return !cu ? NULL : cu->source_id ? cu->source_id : cu->id[0] ? cu->id : NULL;
}

/* ---- validation ---- */

/* A customer for a read-only check: stored (by id or source_id) or described. */
static int customer_lookup(struct store_conn *c, struct request *r, const struct customer_ref *cr,
                           struct customer *out)
{
    memset(out, 0, sizeof *out);
    const struct customer_patch *p = cr->patch;
    const char *ref = cr->ref ? cr->ref : p && p->source_id.v ? p->source_id.v : NULL;
    int rc = ref ? customers_find(c, r->project_id, ref, &r->arena, out) : TREU_ENOTFOUND;
    if (rc != TREU_ENOTFOUND || cr->ref)
        return rc;
    memset(out, 0, sizeof *out);
    out->source_id = p->source_id.v;
    out->name = p->name.v;
    out->email = p->email.v;
    out->metadata_json = p->metadata_json.v;
    return 0;
}

struct check_run {
    struct customer cu;
    bool has_customer;
    cJSON *customer_metadata;
    struct order o;
    struct voucher_order vo;
    struct voucher_context ctx;
    struct voucher_state vs[REDEEM_STACK_MAX];
    bool loaded[REDEEM_STACK_MAX];
    struct voucher_outcome oc[REDEEM_STACK_MAX];
    int64_t applied;
    size_t failures;
};

static int check_all(struct store_conn *c, struct request *r, const struct redeem_input *in,
                     struct check_run *cr)
{
    int64_t remaining = cr->o.amount;
    for (size_t i = 0; i < in->n; i++) {
        int rc = vouchers_load(c, r->project_id, &r->arena, in->items[i].code, &cr->vs[i]);
        cr->loaded[i] = rc == 0;
        if (rc == TREU_ENOTFOUND) {
            cr->oc[i] = (struct voucher_outcome){.res = VOUCHER_NOT_FOUND};
            snprintf(cr->oc[i].details, sizeof cr->oc[i].details,
                     "Cannot find voucher with id %.255s", in->items[i].code);
        } else if (rc == 0) {
            rc = vouchers_check(c, r->project_id, &r->arena, &cr->vs[i], &cr->ctx, remaining,
                                in->items[i].credits, &cr->oc[i]);
        }
        if (rc < 0 && rc != TREU_ENOTFOUND)
            return rc;
        cr->failures += cr->oc[i].res != VOUCHER_OK;
        remaining -= cr->oc[i].discount + cr->oc[i].gift;
    }
    cr->applied = cr->o.amount - remaining;
    return 0;
}

static int validate_run(struct request *r, const struct redeem_input *in, struct check_run *cr)
{
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    bool begun = rc == 0, found;
    if (rc == 0 && in->has_customer)
        rc = customer_lookup(c, r, &in->customer, &cr->cu);
    cr->has_customer = in->has_customer && rc == 0;
    if (rc == 0)
        rc = api_order_resolve(c, r, in, &cr->o, &found);
    if (rc == 0) {
        cr->o.customer_id = cr->has_customer && cr->cu.id[0] ? cr->cu.id : cr->o.customer_id;
        api_order_view(&cr->o, &cr->vo);
        cr->vo.has_amount = in->has_order;
        cr->customer_metadata =
            cr->has_customer && cr->cu.metadata_json ? cJSON_Parse(cr->cu.metadata_json) : NULL;
        cr->ctx = (struct voucher_context){.customer = cr->has_customer ? &cr->cu : NULL,
                                           .customer_metadata = cr->customer_metadata,
                                           .order = &cr->vo,
                                           .now = clock_now_us(r->app->clock)};
        rc = check_all(c, r, in, cr);
    }
    if (begun)
        store_read_end(c);
    req_reader_release(r, c);
    return rc;
}

static void check_cleanup(struct check_run *cr)
{
    api_order_view_cleanup(&cr->vo);
    cJSON_Delete(cr->customer_metadata);
}

static void error_render(struct jw *w, const struct voucher_outcome *o)
{
    jw_obj_open(w);
    jw_kv_int(w, "code", o->res == VOUCHER_NOT_FOUND ? 404 : 400);
    jw_kv_str(w, "key", vouchers_result_key(o->res));
    jw_kv_str(w, "message", vouchers_result_reason(o->res));
    jw_kv_str(w, "details", o->details);
    jw_obj_close(w);
}

static void value_render(struct jw *w, const struct voucher_state *vs,
                         const struct voucher_outcome *o)
{
    if (vs->spec.gift) {
        jw_key(w, "gift");
        jw_obj_open(w);
        jw_kv_int(w, "amount", vs->v.gift_amount);
        jw_kv_int(w, "balance", vs->v.gift_balance);
        jw_kv_int(w, "credits", o->gift);
        jw_obj_close(w);
    } else {
        jw_key(w, "discount");
        vouchers_discount_write(w, &vs->spec.d);
    }
}

static void single_render(struct jw *w, const struct redeem_input *in, const struct check_run *cr)
{
    const struct voucher_state *vs = &cr->vs[0];
    const struct voucher_outcome *o = &cr->oc[0];
    jw_obj_open(w);
    jw_kv_bool(w, "valid", o->res == VOUCHER_OK);
    jw_kv_str(w, "code", in->items[0].code);
    if (o->res != VOUCHER_OK) {
        jw_kv_str(w, "reason", vouchers_result_reason(o->res));
        jw_key(w, "error");
        error_render(w, o);
    } else {
        value_render(w, vs, o);
        if (in->has_order) {
            jw_key(w, "order");
            api_order_totals_render(w, &cr->o, o->discount + o->gift);
        }
        jw_kv_time(w, "start_date", vs->start_date);
        jw_kv_time(w, "expiration_date", vs->expiration_date);
        jw_kv_raw(w, "metadata", vs->v.metadata_json ? vs->v.metadata_json : "{}");
    }
    if (cr->loaded[0]) {
        jw_kv_str(w, "campaign", vs->has_campaign ? vs->camp.name : NULL);
        jw_kv_str(w, "campaign_id", vs->v.campaign_id);
    }
    jw_kv_str(w, "tracking_id", api_tracking_id(cr->has_customer ? &cr->cu : NULL));
    jw_obj_close(w);
}

void api_vouchers_validate(struct request *r)
{
    struct redeem_input *in = arena_zalloc(&r->arena, sizeof *in);
    struct check_run *cr = arena_zalloc(&r->arena, sizeof *cr);
    if (!in || !cr) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    if (api_redeem_input_or_reply(r, false, r->params[0], in) < 0)
        return;
    int rc = validate_run(r, in, cr);
    if (rc == 0 && cr->oc[0].res == VOUCHER_NOT_FOUND) {
        reply_error(r, 404, "not_found", "Resource not found", "Cannot find voucher with id %.255s",
                    r->params[0]);
    } else if (rc < 0) {
        reply_read_error(r, rc, in->order_ref ? "order" : "customer",
                         in->order_ref ? in->order_ref : in->customer.ref);
    } else {
        struct jw w;
        jw_init(&w, &r->out);
        single_render(&w, in, cr);
        reply_json(r, 200);
    }
    check_cleanup(cr);
}

static void redeemable_render(struct jw *w, const struct redeem_input *in,
                              const struct check_run *cr, size_t i)
{
    const struct voucher_outcome *o = &cr->oc[i];
    const char *status = o->res != VOUCHER_OK ? "INAPPLICABLE"
                         : cr->failures       ? "SKIPPED"
                                              : "APPLICABLE";
    jw_obj_open(w);
    jw_kv_str(w, "status", status);
    jw_kv_str(w, "id", in->items[i].code);
    jw_kv_str(w, "object", "voucher");
    jw_key(w, "result");
    jw_obj_open(w);
    if (o->res != VOUCHER_OK) {
        jw_key(w, "error");
        error_render(w, o);
    } else if (cr->failures) {
        jw_key(w, "details");
        jw_obj_open(w);
        jw_kv_str(w, "key", "preceding_validation_failed");
        jw_kv_str(w, "message", "Another redeemable is inapplicable, so none is applied");
        jw_obj_close(w);
    } else {
        value_render(w, &cr->vs[i], o);
    }
    jw_obj_close(w);
    if (cr->loaded[i])
        jw_kv_raw(w, "metadata", cr->vs[i].v.metadata_json ? cr->vs[i].v.metadata_json : "{}");
    jw_obj_close(w);
}

static void stack_list(struct jw *w, const struct redeem_input *in, const struct check_run *cr,
                       const char *key, int which)
{
    jw_key(w, key);
    jw_arr_open(w);
    for (size_t i = 0; i < in->n; i++) {
        bool bad = cr->oc[i].res != VOUCHER_OK;
        if (which == 0 || (which == 1 && bad) || (which == 2 && !bad && cr->failures))
            redeemable_render(w, in, cr, i);
    }
    jw_arr_close(w);
}

void api_validations_create(struct request *r)
{
    struct redeem_input *in = arena_zalloc(&r->arena, sizeof *in);
    struct check_run *cr = arena_zalloc(&r->arena, sizeof *cr);
    if (!in || !cr) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    if (api_redeem_input_or_reply(r, true, NULL, in) < 0)
        return;
    int rc = validate_run(r, in, cr);
    if (rc < 0) {
        reply_read_error(r, rc, in->order_ref ? "order" : "customer",
                         in->order_ref ? in->order_ref : in->customer.ref);
        check_cleanup(cr);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    jw_obj_open(&w);
    jw_kv_bool(&w, "valid", cr->failures == 0);
    stack_list(&w, in, cr, "redeemables", 0);
    stack_list(&w, in, cr, "inapplicable_redeemables", 1);
    stack_list(&w, in, cr, "skipped_redeemables", 2);
    if (in->has_order) {
        jw_key(&w, "order");
        api_order_totals_render(&w, &cr->o, cr->failures ? 0 : cr->applied);
    }
    jw_kv_str(&w, "tracking_id", api_tracking_id(cr->has_customer ? &cr->cu : NULL));
    jw_key(&w, "stacking_rules");
    jw_obj_open(&w);
    jw_kv_int(&w, "redeemables_limit", REDEEM_STACK_MAX);
    jw_kv_int(&w, "applicable_redeemables_limit", REDEEM_STACK_MAX);
    jw_kv_int(&w, "applicable_exclusive_redeemables_limit", 1);
    jw_kv_str(&w, "redeemables_application_mode", "ALL");
    jw_kv_str(&w, "redeemables_sorting_rule", "REQUESTED_ORDER");
    jw_obj_close(&w);
    jw_obj_close(&w);
    reply_json(r, 200);
    check_cleanup(cr);
}
