/* vouchers.c - /v1/vouchers (standalone vouchers and every voucher's reads, updates,
 * enable/disable, delete) and /v1/publications (handing vouchers to customers). Also the
 * voucher rendering the campaign and redemption resources share. A campaign's voucher
 * keeps no template of its own: it follows its campaign's, so rendering needs both. */
#include "api/api.h"

#include "engine/customers.h"
#include "engine/vouchers.h"

#include <stdarg.h>
#include <string.h>

#define VOUCHER_TEXT_BYTES_MAX 1000
#define METADATA_BYTES_MAX     (64 * 1024)
#define PUB_SOURCE_BYTES_MAX   255
#define PUB_CHANNEL_BYTES_MAX  100

enum voucher_op { VOP_CREATE, VOP_UPDATE, VOP_DELETE, VOP_ENABLE, VOP_DISABLE };

struct voucher_cmd {
    struct request *r;
    enum voucher_op op;
    const char *ref;
    const char *code;         /* create: NULL = generate */
    struct voucher_spec spec; /* create */
    const char *body_json;    /* create */
    bool has_active, active;
    bool has_start, has_expiry;
    int64_t start, expiry;
    const char *metadata_json;
    bool has_quantity_field, has_quantity;
    int64_t quantity;
    struct opt_str category, info; /* update */
};

void api_cmd_error(struct command *cmd, struct request *r, int status, const char *key,
                   const char *message, const char *fmt, ...)
{
    char details[VOUCHERS_DETAILS_BYTES + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(details, sizeof details, fmt, ap);
    va_end(ap);
    cmd->status = status;
    buf_reset(&cmd->body);
    api_error_body(&cmd->body, status, key, message, details, r->request_id);
}

const char *api_rules_missing(const struct writer_tx *tx, struct request *r,
                              const struct voucher_spec *s, int *rc)
{
    *rc = 0;
    for (size_t i = 0; i < s->nrules; i++) {
        struct validation_rule vr;
        *rc = store_vrule_get(tx->conn, r->project_id, s->rule_ids[i], &r->arena, &vr);
        if (*rc == TREU_ENOTFOUND) {
            *rc = 0;
            return s->rule_ids[i];
        }
        if (*rc < 0)
            return NULL;
    }
    return NULL;
}

/* ---- rendering ---- */

static void render_rules(struct jw *w, const struct voucher_spec *s, const char *object_id,
                         const char *object_type)
{
    jw_key(w, "validation_rules_assignments");
    jw_obj_open(w);
    jw_kv_str(w, "object", "list");
    jw_kv_str(w, "data_ref", "data");
    jw_key(w, "data");
    jw_arr_open(w);
    for (size_t i = 0; i < s->nrules; i++) {
        jw_obj_open(w);
        jw_kv_str(w, "rule_id", s->rule_ids[i]);
        jw_kv_str(w, "related_object_id", object_id);
        jw_kv_str(w, "related_object_type", object_type);
        jw_kv_str(w, "object", "validation_rules_assignment");
        jw_obj_close(w);
    }
    jw_arr_close(w);
    jw_kv_int(w, "total", (int64_t)s->nrules);
    jw_obj_close(w);
}

static void render_value(struct jw *w, const struct voucher_state *vs)
{
    const struct voucher_spec *s = &vs->spec;
    jw_kv_str(w, "type", s->gift ? "GIFT_VOUCHER" : "DISCOUNT_VOUCHER");
    if (s->gift) {
        jw_key(w, "gift");
        jw_obj_open(w);
        jw_kv_int(w, "amount", vs->v.gift_amount);
        jw_kv_int(w, "balance", vs->v.gift_balance);
        jw_kv_str(w, "effect", "APPLY_TO_ORDER");
        jw_obj_close(w);
    } else {
        jw_key(w, "discount");
        vouchers_discount_write(w, &s->d);
    }
}

static void render_counts(struct jw *w, const struct voucher_state *vs)
{
    const struct voucher *v = &vs->v;
    jw_key(w, "redemption");
    jw_obj_open(w);
    jw_key(w, "quantity");
    if (v->has_quantity)
        jw_int(w, v->quantity);
    else
        jw_null(w);
    jw_kv_int(w, "redeemed_quantity", v->redeemed);
    if (vs->spec.per_customer)
        jw_kv_int(w, "per_customer", vs->spec.per_customer);
    jw_kv_str(w, "object", "list");
    jw_kv_str(w, "data_ref", "redemption_entries");
    jw_kv_int(w, "total", v->redeemed);
    jw_obj_close(w);
    jw_key(w, "publish");
    jw_obj_open(w);
    jw_kv_str(w, "object", "list");
    jw_kv_int(w, "count", v->holder_id ? 1 : 0);
    jw_obj_close(w);
}

/* The body's extra text fields (category, additional_info) of a standalone voucher. */
static void render_body_text(struct jw *w, const struct voucher *v)
{
    cJSON *body = v->body_json ? cJSON_Parse(v->body_json) : NULL;
    const cJSON *cat = cJSON_GetObjectItemCaseSensitive(body, "category");
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(body, "additional_info");
    jw_kv_str(w, "category", cJSON_IsString(cat) ? cat->valuestring : NULL);
    jw_kv_str(w, "additional_info", cJSON_IsString(info) ? info->valuestring : NULL);
    cJSON_Delete(body);
}

void api_voucher_render(struct jw *w, const struct voucher_state *vs)
{
    const struct voucher *v = &vs->v;
    jw_obj_open(w);
    jw_kv_str(w, "id", v->id);
    jw_kv_str(w, "code", v->code);
    jw_kv_str(w, "campaign", vs->has_campaign ? vs->camp.name : NULL);
    jw_kv_str(w, "campaign_id", v->campaign_id);
    render_body_text(w, v);
    render_value(w, vs);
    jw_kv_time(w, "start_date", vs->start_date);
    jw_kv_time(w, "expiration_date", vs->expiration_date);
    jw_kv_bool(w, "active", v->active);
    jw_kv_raw(w, "metadata", v->metadata_json ? v->metadata_json : "{}");
    render_counts(w, vs);
    jw_kv_bool(w, "is_referral_code",
               vs->has_campaign && strcmp(vs->camp.type, "REFERRAL_PROGRAM") == 0);
    jw_kv_str(w, "referrer_id", v->referrer_id);
    jw_kv_str(w, "holder_id", v->holder_id);
    render_rules(w, &vs->spec, v->id, "voucher");
    jw_kv_time(w, "created_at", v->created_at);
    jw_kv_time(w, "updated_at", v->updated_at);
    jw_kv_str(w, "object", "voucher");
    jw_obj_close(w);
}

void api_campaign_rules_render(struct jw *w, const struct voucher_spec *s, const char *id)
{
    render_rules(w, s, id, "campaign");
}

/* Renders a voucher row, loading what it needs (its campaign). */
static int voucher_render_row(struct jw *w, struct store_conn *c, struct request *r,
                              const struct voucher *v)
{
    struct campaign camp;
    int rc =
        v->campaign_id ? store_campaign_get(c, r->project_id, v->campaign_id, &r->arena, &camp) : 0;
    struct voucher_state vs;
    if (rc == 0)
        rc = vouchers_state_init(&r->arena, v, v->campaign_id ? &camp : NULL, &vs);
    if (rc == 0)
        api_voucher_render(w, &vs);
    return rc;
}

/* ---- commands ---- */

static int voucher_create(struct command *cmd, const struct writer_tx *tx, struct voucher_cmd *vc)
{
    struct request *r = vc->r;
    int rc;
    const char *missing = api_rules_missing(tx, r, &vc->spec, &rc);
    if (rc < 0 || missing) {
        if (missing)
            api_cmd_error(cmd, r, 404, "not_found", "Resource not found",
                          "Cannot find validation rule with id %s", missing);
        return rc;
    }
    struct voucher v;
    vouchers_from_spec(&vc->spec, NULL, tx->now_us, &v);
    v.campaign_id = NULL;
    v.body_json = vc->body_json;
    v.active = vc->has_active ? vc->active : true;
    v.start_date = vc->start;
    v.expiration_date = vc->expiry;
    v.metadata_json = vc->metadata_json;
    ids_make(tx->rng, "v_", v.id);
    char *code = arena_alloc(&r->arena, CODES_LEN_MAX + 1);
    if (!code)
        return TREU_ENOMEM;
    v.code = vc->code ? vc->code : code;
    struct code_config dflt = {.length = 8};
    rc = TREU_ECONFLICT;
    for (int i = 0; rc == TREU_ECONFLICT && i < (vc->code ? 1 : VOUCHERS_CODE_TRIES); i++) {
        if (!vc->code)
            codes_generate(vc->spec.has_code_config ? &vc->spec.cc : &dflt, tx->rng, code);
        rc = store_voucher_insert(tx->conn, r->project_id, &v);
    }
    if (rc == TREU_ECONFLICT) {
        api_cmd_error(cmd, r, 409, "duplicate_found", "Duplicated resource found",
                      "A voucher with code %s already exists", v.code);
        return 0;
    }
    struct voucher_state vs;
    if (rc == 0)
        rc = vouchers_state_init(&r->arena, &v, NULL, &vs);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    api_voucher_render(&w, &vs);
    cmd->status = 201;
    return 0;
}

/* The voucher's body with category / additional_info replaced (a campaign's voucher keeps
 * only these in its body). NULL when out of memory. */
static const char *body_with_text(struct request *r, const char *body_json,
                                  const struct voucher_cmd *vc)
{
    cJSON *b = cJSON_Parse(body_json ? body_json : "{}");
    const struct opt_str *f[] = {&vc->category, &vc->info};
    const char *names[] = {"category", "additional_info"};
    for (size_t i = 0; b && i < 2; i++) {
        if (!f[i]->set)
            continue;
        cJSON_DeleteItemFromObjectCaseSensitive(b, names[i]);
        if (f[i]->v)
            cJSON_AddItemToObject(b, names[i], cJSON_CreateString(f[i]->v));
    }
    const char *out = b ? req_json_text(r, b) : NULL;
    cJSON_Delete(b);
    return out;
}

/* Applies an update / enable / disable to a loaded voucher. */
static bool voucher_overlay(struct command *cmd, struct voucher_cmd *vc, struct voucher *v)
{
    if (vc->op == VOP_ENABLE || vc->op == VOP_DISABLE)
        v->active = vc->op == VOP_ENABLE;
    if (vc->has_active)
        v->active = vc->active;
    if (vc->has_start)
        v->start_date = vc->start;
    if (vc->has_expiry)
        v->expiration_date = vc->expiry;
    if (vc->metadata_json)
        v->metadata_json = vc->metadata_json;
    if ((vc->category.set || vc->info.set) &&
        !(v->body_json = body_with_text(vc->r, v->body_json, vc))) {
        api_cmd_error(cmd, vc->r, 503, "out_of_memory", "Try again", "the voucher is too large");
        return false;
    }
    if (vc->has_quantity_field) {
        if (vc->has_quantity && vc->quantity < v->redeemed) {
            api_cmd_error(cmd, vc->r, 400, "invalid_param", "Invalid quantity",
                          "redemption.quantity: %lld redemptions happened already, the quantity "
                          "cannot be lower",
                          (long long)v->redeemed);
            return false;
        }
        v->has_quantity = vc->has_quantity;
        v->quantity = vc->quantity;
    }
    if (v->start_date && v->expiration_date && v->start_date >= v->expiration_date) {
        api_cmd_error(cmd, vc->r, 400, "invalid_param", "Invalid dates",
                      "expiration_date: must be after start_date");
        return false;
    }
    return true;
}

static int vouchers_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct voucher_cmd *vc = cmd->input;
    struct request *r = vc->r;
    if (vc->op == VOP_CREATE)
        return voucher_create(cmd, tx, vc);
    struct voucher v;
    int rc = store_voucher_get(tx->conn, r->project_id, vc->ref, &r->arena, &v);
    if (rc == TREU_ENOTFOUND) {
        api_cmd_error(cmd, r, 404, "not_found", "Resource not found",
                      "Cannot find voucher with id %.255s", vc->ref);
        return 0;
    }
    if (rc < 0)
        return rc;
    if (vc->op == VOP_DELETE) {
        rc = store_voucher_delete(tx->conn, r->project_id, v.id);
        if (rc == 0 && v.campaign_id)
            rc = store_campaign_count_add(tx->conn, r->project_id, v.campaign_id, -1);
        cmd->status = 204;
        return rc == TREU_ENOTFOUND ? 0 : rc;
    }
    if (!voucher_overlay(cmd, vc, &v))
        return 0;
    v.updated_at = tx->now_us;
    rc = store_voucher_update(tx->conn, r->project_id, &v);
    struct jw w;
    jw_init(&w, &cmd->body);
    if (rc == 0)
        rc = voucher_render_row(&w, tx->conn, r, &v);
    cmd->status = 200;
    return rc;
}

/* ---- input ---- */

static int dates_or_reply(struct request *r, const cJSON *body, struct voucher_cmd *vc)
{
    if (req_time_field_or_reply(r, body, "", "start_date", &vc->start, &vc->has_start) < 0 ||
        req_time_field_or_reply(r, body, "", "expiration_date", &vc->expiry, &vc->has_expiry) < 0)
        return -1;
    if (vc->start && vc->expiry && vc->start >= vc->expiry) {
        reply_error(r, 400, "invalid_param", "Invalid dates",
                    "expiration_date: must be after start_date");
        return -1;
    }
    const cJSON *md;
    struct opt_str mds;
    if (req_object_field_or_reply(r, body, "metadata", &md, &mds) < 0 ||
        req_bool_field_or_reply(r, body, "", "active", &vc->active, &vc->has_active) < 0)
        return -1;
    vc->metadata_json = md ? req_json_text(r, md) : mds.set ? "{}" : NULL;
    if (vc->metadata_json && strlen(vc->metadata_json) > METADATA_BYTES_MAX) {
        reply_error(r, 400, "invalid_param", "Metadata too large", "metadata: at most %d bytes",
                    METADATA_BYTES_MAX);
        return -1;
    }
    return 0;
}

int api_code_or_reply(struct request *r, const char *code, const char *where)
{
    size_t n = strlen(code);
    bool ok = n > 0 && n <= CODES_LEN_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = code[i] > 0x20 && code[i] < 0x7F;
    if (!ok)
        reply_error(r, 400, "invalid_param", "Invalid code",
                    "%s: 1 to %d printable ASCII characters without spaces", where, CODES_LEN_MAX);
    return ok ? 0 : -1;
}

/* The standalone voucher's stored body: its template, rules and text fields. */
static const char *voucher_body(struct request *r, const cJSON *body, const struct voucher_spec *s)
{
    struct buf b;
    struct jw w;
    buf_init(&b, RESPONSE_BYTES_MAX);
    jw_init(&w, &b);
    jw_obj_open(&w);
    vouchers_spec_write(&w, s, true);
    for (const char *const *f = (const char *const[]){"category", "additional_info", NULL}; *f;
         f++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, *f);
        if (cJSON_IsString(v))
            jw_kv_str(&w, *f, v->valuestring);
    }
    jw_obj_close(&w);
    const char *out = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    return out;
}

static int create_input_or_reply(struct request *r, const cJSON *body, struct voucher_cmd *vc)
{
    static const char *const fields[] = {"code",
                                         "type",
                                         "discount",
                                         "gift",
                                         "redemption",
                                         "code_config",
                                         "start_date",
                                         "expiration_date",
                                         "active",
                                         "metadata",
                                         "validation_rules",
                                         "category",
                                         "additional_info",
                                         NULL};
    static const char *const ignored[] = {"object",           "id", "created_at", "updated_at",
                                          "is_referral_code", NULL};
    struct opt_str code, cat, info;
    if (req_known_fields_or_reply(r, body, fields, ignored, "") < 0 ||
        req_string_field_or_reply(r, body, "code", CODES_LEN_MAX, false, &code) < 0 ||
        req_string_field_or_reply(r, body, "category", VOUCHER_TEXT_BYTES_MAX, true, &cat) < 0 ||
        req_string_field_or_reply(r, body, "additional_info", VOUCHER_TEXT_BYTES_MAX, true, &info) <
            0 ||
        dates_or_reply(r, body, vc) < 0)
        return -1;
    if (vc->code && code.v && strcmp(vc->code, code.v) != 0) {
        reply_error(r, 400, "invalid_param", "Invalid code",
                    "code: the body says %s but the path says %s", code.v, vc->code);
        return -1;
    }
    vc->code = vc->code ? vc->code : code.v;
    if (vc->code && api_code_or_reply(r, vc->code, "code") < 0)
        return -1;
    char why[VOUCHERS_DETAILS_BYTES];
    int rc = vouchers_spec_parse(body, cJSON_GetObjectItemCaseSensitive(body, "validation_rules"),
                                 &r->arena, &vc->spec, why, sizeof why);
    if (rc == TREU_EINVAL) {
        reply_error(r, 400, "invalid_param", "Invalid voucher", "%s", why);
        return -1;
    }
    vc->body_json = rc == 0 ? voucher_body(r, body, &vc->spec) : NULL;
    if (!vc->body_json) {
        reply_op_error(r, rc < 0 ? rc : TREU_ENOMEM);
        return -1;
    }
    return 0;
}

static int update_input_or_reply(struct request *r, const cJSON *body, struct voucher_cmd *vc)
{
    static const char *const fields[] = {
        "start_date", "expiration_date", "active",          "metadata",
        "redemption", "category",        "additional_info", NULL};
    static const char *const ignored[] = {"object",     "id",   "code", "created_at",
                                          "updated_at", "type", NULL};
    if (req_known_fields_or_reply(r, body, fields, ignored, "") < 0 ||
        req_string_field_or_reply(r, body, "category", VOUCHER_TEXT_BYTES_MAX, true,
                                  &vc->category) < 0 ||
        req_string_field_or_reply(r, body, "additional_info", VOUCHER_TEXT_BYTES_MAX, true,
                                  &vc->info) < 0 ||
        dates_or_reply(r, body, vc) < 0)
        return -1;
    const cJSON *red = cJSON_GetObjectItemCaseSensitive(body, "redemption");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(red, "quantity");
    if (red && !cJSON_IsObject(red)) {
        reply_error(r, 400, "invalid_param", "Invalid redemption",
                    "redemption: an object such as {\"quantity\": 5}");
        return -1;
    }
    vc->has_quantity_field = q != NULL;
    vc->has_quantity = q && !cJSON_IsNull(q);
    if (vc->has_quantity && req_int_field_or_reply(r, red, "redemption", "quantity", 1, 1000000000,
                                                   &vc->quantity, &vc->has_quantity) < 0)
        return -1;
    return 0;
}

static void vouchers_submit(struct request *r, enum voucher_op op, const char *ref)
{
    struct voucher_cmd *vc = arena_zalloc(&r->arena, sizeof *vc);
    if (!vc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    vc->r = r;
    vc->op = op;
    vc->ref = ref;
    cJSON *body = NULL;
    if (op == VOP_CREATE) {
        vc->code = ref;
        if (req_json_object_or_reply(r, &body) < 0 || create_input_or_reply(r, body, vc) < 0)
            return;
    } else if (op == VOP_UPDATE) {
        if (req_json_object_or_reply(r, &body) < 0 || update_input_or_reply(r, body, vc) < 0)
            return;
    }
    r->cmd.apply = vouchers_apply;
    r->cmd.input = vc;
    api_submit(r);
}

void api_vouchers_create(struct request *r)
{
    vouchers_submit(r, VOP_CREATE, r->nparams ? r->params[0] : NULL);
}

void api_vouchers_update(struct request *r)
{
    vouchers_submit(r, VOP_UPDATE, r->params[0]);
}

void api_vouchers_delete(struct request *r)
{
    vouchers_submit(r, VOP_DELETE, r->params[0]);
}

void api_vouchers_enable(struct request *r)
{
    vouchers_submit(r, VOP_ENABLE, r->params[0]);
}

void api_vouchers_disable(struct request *r)
{
    vouchers_submit(r, VOP_DISABLE, r->params[0]);
}

/* ---- reads ---- */

void api_vouchers_get(struct request *r)
{
    struct voucher_state vs;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = vouchers_load(c, r->project_id, &r->arena, r->params[0], &vs);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "voucher", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    api_voucher_render(&w, &vs);
    reply_json(r, 200);
}

/* Query filters name a campaign (id or name) and a customer (id or source_id); an unknown
 * one matches nothing. */
int api_filter_ids(struct request *r, struct store_conn *c, const char **campaign_id,
                   const char **customer_id)
{
    const char *camp = r->io->query(r, "campaign");
    const char *cust = r->io->query(r, "customer");
    int rc = 0;
    if (camp && campaign_id) {
        struct campaign cp;
        rc = store_campaign_get(c, r->project_id, camp, &r->arena, &cp);
        *campaign_id = rc == 0 ? arena_strdup(&r->arena, cp.id) : "-";
    }
    if (cust && customer_id && (rc == 0 || rc == TREU_ENOTFOUND)) {
        struct customer cu;
        rc = customers_find(c, r->project_id, cust, &r->arena, &cu);
        *customer_id = rc == 0 ? arena_strdup(&r->arena, cu.id) : "-";
    }
    return rc == TREU_ENOTFOUND ? 0 : rc;
}

void api_vouchers_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct voucher_query q = {0};
    struct voucher *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct jw w;
    jw_init(&w, &r->out);
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = api_filter_ids(r, c, &q.campaign_id, &q.holder_id);
        if (rc == 0)
            rc = store_voucher_list(c, r->project_id, &q, &pg, &r->arena, &rows, &n, &total);
        jw_obj_open(&w);
        jw_kv_str(&w, "object", "list");
        jw_kv_str(&w, "data_ref", "vouchers");
        jw_key(&w, "vouchers");
        jw_arr_open(&w);
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = voucher_render_row(&w, c, r, &rows[i]);
        jw_arr_close(&w);
        jw_kv_int(&w, "total", total);
        jw_kv_bool(&w, "has_more", pg.offset + (int64_t)n < total);
        jw_obj_close(&w);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        buf_reset(&r->out);
        reply_op_error(r, rc);
        return;
    }
    reply_json(r, 200);
}
