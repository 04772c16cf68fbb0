/* redemptions.c - POST /v1/vouchers/{code}/redemption, POST /v1/redemptions (stackable),
 * their reads, and rollbacks. A redemption is one command: customer upsert, order upsert,
 * each voucher checked and taken in turn (conditional counter updates), the rows written;
 * any failure answers 4xx and the writer undoes the whole command, so a stack redeems all
 * of its vouchers or none. Each row keeps a snapshot of what was answered (customer,
 * order, voucher) so reads show the redemption as it happened. */
#include "api/redeem.h"

#include <string.h>

#define REDEEM_REASON_BYTES_MAX 500
#define REDEEM_LIST_MAX         100

struct redeem_cmd {
    struct request *r;
    struct redeem_input in;
};

/* What one redemption command builds up. */
struct redeem_run {
    struct customer cu;
    bool has_customer;
    cJSON *customer_metadata;
    struct order o;
    bool has_order;
    struct voucher_order vo;
    struct voucher_context ctx;
    struct voucher_state vs;
    struct redemption rows[REDEEM_STACK_MAX];
    size_t n;
    char parent_id[IDS_MAX_LEN];
    int64_t applied;
    const char *metadata_json;
    struct voucher_outcome fail;
    size_t failed_at;
};

/* ---- rendering ---- */

static void redemption_render(struct jw *w, const struct redemption *row)
{
    bool rollback = strcmp(row->kind, "rollback") == 0;
    jw_obj_open(w);
    jw_kv_str(w, "id", row->id);
    jw_kv_str(w, "object", rollback ? "redemption_rollback" : "redemption");
    jw_kv_time(w, "date", row->created_at);
    jw_kv_str(w, "customer_id", row->customer_id);
    jw_kv_int(w, "amount", row->amount);
    jw_kv_str(w, "result", strcmp(row->status, "FAILED") == 0 ? "FAILURE" : "SUCCESS");
    jw_kv_str(w, "status", row->status);
    jw_kv_str(w, "redemption", rollback ? row->rollback_of : row->parent_id);
    if (rollback && row->parent_id)
        jw_kv_str(w, "parent_rollback_id", row->parent_id);
    if (row->rollback_id)
        jw_kv_str(w, "rollback_id", row->rollback_id);
    jw_kv_str(w, "related_object_type", row->voucher_id ? "voucher" : "redemption");
    jw_kv_str(w, "related_object_id", row->voucher_id ? row->voucher_id : row->id);
    jw_key(w, "channel");
    jw_obj_open(w);
    jw_kv_str(w, "channel_type", "API");
    jw_kv_str(w, "channel_id", row->channel);
    jw_obj_close(w);
    cJSON *snap = cJSON_Parse(row->body_json ? row->body_json : "{}");
    for (const cJSON *f = snap ? snap->child : NULL; f; f = f->next) {
        jw_key(w, f->string);
        jw_item(w, f);
    }
    cJSON_Delete(snap);
    jw_obj_close(w);
}

/* The snapshot kept with a voucher redemption: what the answer shows besides the row. */
static const char *snapshot(struct request *r, const struct redeem_run *rr,
                            const struct voucher_state *vs, const struct voucher_outcome *oc)
{
    struct buf b;
    struct jw w;
    buf_init(&b, RESPONSE_BYTES_MAX);
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_str(&w, "tracking_id", api_tracking_id(rr->has_customer ? &rr->cu : NULL));
    jw_kv_raw(&w, "metadata", rr->metadata_json ? rr->metadata_json : "{}");
    if (rr->has_customer) {
        jw_key(&w, "customer");
        api_customer_render(&w, &rr->cu);
    }
    if (rr->has_order) {
        jw_key(&w, "order");
        api_order_totals_render(&w, &rr->o, oc ? oc->discount + oc->gift : rr->applied);
    }
    if (vs) {
        jw_key(&w, "voucher");
        api_voucher_render(&w, vs);
        if (vs->spec.gift) {
            jw_key(&w, "gift");
            jw_obj_open(&w);
            jw_kv_int(&w, "amount", oc->gift);
            jw_obj_close(&w);
        }
    }
    jw_obj_close(&w);
    const char *out = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    return out;
}

/* ---- redemption ---- */

static int run_customer_order(const struct writer_tx *tx, struct request *r,
                              const struct redeem_input *in, struct redeem_run *rr,
                              struct command *cmd)
{
    enum customer_result cres = CUSTOMER_UPDATED;
    int rc = in->has_customer
                 ? customers_resolve(tx, r->project_id, &in->customer, &r->arena, &rr->cu, &cres)
                 : 0;
    if (rc < 0)
        return rc;
    if (cres == CUSTOMER_NOT_FOUND || cres == CUSTOMER_SOURCE_TAKEN) {
        api_cmd_error(cmd, r, 404, "not_found", "Resource not found",
                      "Cannot find customer with id %.255s", in->customer.ref);
        return 1;
    }
    rr->has_customer = in->has_customer;
    rr->has_order = in->has_order;
    bool found = false;
    rc = in->has_order ? api_order_resolve(tx->conn, r, in, &rr->o, &found) : 0;
    if (rc == TREU_ENOTFOUND) {
        api_cmd_error(cmd, r, 404, "not_found", "Resource not found",
                      "Cannot find order with id %.255s", in->order_ref);
        return 1;
    }
    if (rc < 0 || !in->has_order)
        return rc;
    if (!rr->o.customer_id && rr->has_customer)
        rr->o.customer_id = rr->cu.id;
    rr->o.updated_at = tx->now_us;
    if (!found) {
        ids_make(tx->rng, "ord_", rr->o.id);
        rr->o.created_at = tx->now_us;
    }
    return found ? store_order_update(tx->conn, r->project_id, &rr->o)
                 : store_order_insert(tx->conn, r->project_id, &rr->o);
}

/* Checks and takes one voucher; a failure is left in rr->fail. */
static int redeem_one(const struct writer_tx *tx, struct request *r, const struct redeem_input *in,
                      struct redeem_run *rr, size_t i, int64_t remaining)
{
    struct voucher_outcome *o = &rr->fail;
    int rc = vouchers_load(tx->conn, r->project_id, &r->arena, in->items[i].code, &rr->vs);
    if (rc == TREU_ENOTFOUND) {
        *o = (struct voucher_outcome){.res = VOUCHER_NOT_FOUND};
        snprintf(o->details, sizeof o->details, "Cannot find voucher with id %.255s",
                 in->items[i].code);
        return 0;
    }
    if (rc == 0)
        rc = vouchers_check(tx->conn, r->project_id, &r->arena, &rr->vs, &rr->ctx, remaining,
                            in->items[i].credits, o);
    if (rc < 0 || o->res != VOUCHER_OK)
        return rc;
    struct voucher_state after = rr->vs; /* as it will be once taken, for the snapshot */
    after.v.redeemed++;
    after.v.gift_balance -= o->gift;
    after.v.updated_at = tx->now_us;
    struct redemption tmpl = {.customer_id = rr->has_customer ? rr->cu.id : NULL,
                              .order_id = rr->has_order ? rr->o.id : NULL,
                              .parent_id = in->stackable ? rr->parent_id : NULL,
                              .channel = in->channel,
                              .body_json = snapshot(r, rr, &after, o)};
    if (!tmpl.body_json)
        return TREU_ENOMEM;
    return vouchers_redeem(tx, r->project_id, &rr->vs, &tmpl, o, &rr->rows[i]);
}

static void failure_render(struct command *cmd, struct request *r, const struct redeem_input *in,
                           const struct redeem_run *rr)
{
    const struct voucher_outcome *o = &rr->fail;
    bool missing = o->res == VOUCHER_NOT_FOUND && !in->stackable;
    int status = missing ? 404 : 400;
    struct jw w;
    buf_reset(&cmd->body);
    jw_init(&w, &cmd->body);
    jw_obj_open(&w);
    jw_kv_int(&w, "code", status);
    jw_kv_str(&w, "key", missing ? "not_found" : vouchers_result_key(o->res));
    jw_kv_str(&w, "message", missing ? "Resource not found" : vouchers_result_reason(o->res));
    char details[VOUCHERS_DETAILS_BYTES + 64];
    snprintf(details, sizeof details, "%s%s%s", in->stackable ? in->items[rr->failed_at].code : "",
             in->stackable ? ": " : "", o->details);
    jw_kv_str(&w, "details", details);
    jw_kv_str(&w, "request_id", r->request_id);
    if (in->stackable) {
        jw_key(&w, "inapplicable_redeemables");
        jw_arr_open(&w);
        jw_obj_open(&w);
        jw_kv_str(&w, "status", "INAPPLICABLE");
        jw_kv_str(&w, "id", in->items[rr->failed_at].code);
        jw_kv_str(&w, "object", "voucher");
        jw_key(&w, "result");
        jw_obj_open(&w);
        jw_key(&w, "error");
        jw_obj_open(&w);
        jw_kv_int(&w, "code", o->res == VOUCHER_NOT_FOUND ? 404 : 400);
        jw_kv_str(&w, "key", vouchers_result_key(o->res));
        jw_kv_str(&w, "message", vouchers_result_reason(o->res));
        jw_kv_str(&w, "details", o->details);
        jw_obj_close(&w);
        jw_obj_close(&w);
        jw_obj_close(&w);
        jw_arr_close(&w);
    }
    jw_obj_close(&w);
    cmd->status = status;
}

static int stack_answer(struct command *cmd, const struct writer_tx *tx, struct request *r,
                        const struct redeem_input *in, struct redeem_run *rr)
{
    struct redemption parent = {.kind = "voucher",
                                .status = "SUCCEEDED",
                                .customer_id = rr->has_customer ? rr->cu.id : NULL,
                                .order_id = rr->has_order ? rr->o.id : NULL,
                                .amount = rr->applied,
                                .channel = in->channel,
                                .body_json = snapshot(r, rr, NULL, NULL),
                                .created_at = tx->now_us,
                                .updated_at = tx->now_us};
    memcpy(parent.id, rr->parent_id, sizeof parent.id);
    int rc =
        parent.body_json ? store_redemption_insert(tx->conn, r->project_id, &parent) : TREU_ENOMEM;
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    jw_obj_open(&w);
    jw_key(&w, "redemptions");
    jw_arr_open(&w);
    for (size_t i = 0; i < rr->n; i++)
        redemption_render(&w, &rr->rows[i]);
    jw_arr_close(&w);
    jw_key(&w, "parent_redemption");
    redemption_render(&w, &parent);
    if (rr->has_order) {
        jw_key(&w, "order");
        api_order_totals_render(&w, &rr->o, rr->applied);
    }
    jw_key(&w, "inapplicable_redeemables");
    jw_arr_open(&w);
    jw_arr_close(&w);
    jw_obj_close(&w);
    cmd->status = 200;
    return 0;
}

static int redeem_stack(struct command *cmd, const struct writer_tx *tx, struct request *r,
                        const struct redeem_input *in, struct redeem_run *rr)
{
    int64_t remaining = rr->o.amount;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < in->n; i++) {
        rc = redeem_one(tx, r, in, rr, i, remaining);
        if (rc < 0)
            return rc;
        if (rr->fail.res != VOUCHER_OK) {
            rr->failed_at = i;
            failure_render(cmd, r, in, rr);
            return 0;
        }
        remaining -= rr->rows[i].amount;
        rr->n = i + 1;
    }
    rr->applied = rr->o.amount - remaining;
    if (in->stackable)
        return stack_answer(cmd, tx, r, in, rr);
    struct jw w;
    jw_init(&w, &cmd->body);
    redemption_render(&w, &rr->rows[0]);
    cmd->status = 200;
    return 0;
}

static int redeem_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct redeem_cmd *rc_ = cmd->input;
    struct request *r = rc_->r;
    const struct redeem_input *in = &rc_->in;
    struct redeem_run *rr = arena_zalloc(&r->arena, sizeof *rr);
    if (!rr)
        return TREU_ENOMEM;
    int rc = run_customer_order(tx, r, in, rr, cmd);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    api_order_view(&rr->o, &rr->vo);
    rr->vo.has_amount = in->has_order;
    rr->metadata_json = in->metadata_json;
    rr->customer_metadata =
        rr->has_customer && rr->cu.metadata_json ? cJSON_Parse(rr->cu.metadata_json) : NULL;
    rr->ctx = (struct voucher_context){.customer = rr->has_customer ? &rr->cu : NULL,
                                       .customer_metadata = rr->customer_metadata,
                                       .order = in->has_order ? &rr->vo : NULL,
                                       .now = tx->now_us};
    if (in->stackable)
        ids_make(tx->rng, "r_", rr->parent_id);
    rc = redeem_stack(cmd, tx, r, in, rr);
    api_order_view_cleanup(&rr->vo);
    cJSON_Delete(rr->customer_metadata);
    return rc;
}

static void redeem_submit(struct request *r, bool stackable)
{
    struct redeem_cmd *rc = arena_zalloc(&r->arena, sizeof *rc);
    if (!rc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    rc->r = r;
    if (api_redeem_input_or_reply(r, stackable, stackable ? NULL : r->params[0], &rc->in) < 0)
        return;
    r->cmd.apply = redeem_apply;
    r->cmd.input = rc;
    api_submit(r);
}

void api_vouchers_redeem(struct request *r)
{
    redeem_submit(r, false);
}

void api_redemptions_create(struct request *r)
{
    redeem_submit(r, true);
}

/* ---- reads ---- */

void api_redemptions_get(struct request *r)
{
    struct redemption row;
    struct store_conn *c = req_reader(r);
    int rc = store_redemption_get(c, r->project_id, r->params[0], &r->arena, &row);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "redemption", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    redemption_render(&w, &row);
    reply_json(r, 200);
}

static void list_render(struct jw *w, const struct redemption *rows, size_t n)
{
    jw_arr_open(w);
    for (size_t i = 0; i < n; i++)
        redemption_render(w, &rows[i]);
    jw_arr_close(w);
}

void api_redemptions_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct redemption_query q = {0};
    struct redemption *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    const char *code = r->io->query(r, "voucher");
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = api_filter_ids(r, c, &q.campaign_id, &q.customer_id);
        struct voucher v;
        int vrc = rc == 0 && code ? store_voucher_get(c, r->project_id, code, &r->arena, &v) : 0;
        q.voucher_id = !code ? NULL : vrc == 0 ? v.id : "-";
        rc = rc == 0 && vrc != TREU_ENOTFOUND && vrc < 0 ? vrc : rc;
        if (rc == 0)
            rc = store_redemption_list(c, r->project_id, &q, &pg, &r->arena, &rows, &n, &total);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_op_error(r, rc);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    jw_obj_open(&w);
    jw_kv_str(&w, "object", "list");
    jw_kv_str(&w, "data_ref", "redemptions");
    jw_key(&w, "redemptions");
    list_render(&w, rows, n);
    jw_kv_int(&w, "total", total);
    jw_kv_bool(&w, "has_more", pg.offset + (int64_t)n < total);
    jw_obj_close(&w);
    reply_json(r, 200);
}

void api_vouchers_redemptions(struct request *r)
{
    struct voucher v;
    struct redemption *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct page pg = {.limit = REDEEM_LIST_MAX};
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_voucher_get(c, r->project_id, r->params[0], &r->arena, &v);
        struct redemption_query q = {.voucher_id = rc == 0 ? v.id : NULL};
        if (rc == 0)
            rc = store_redemption_list(c, r->project_id, &q, &pg, &r->arena, &rows, &n, &total);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "voucher", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    jw_obj_open(&w);
    jw_kv_str(&w, "object", "list");
    jw_key(&w, "quantity");
    if (v.has_quantity)
        jw_int(&w, v.quantity);
    else
        jw_null(&w);
    jw_kv_int(&w, "redeemed_quantity", v.redeemed);
    jw_kv_str(&w, "data_ref", "redemption_entries");
    jw_key(&w, "redemption_entries");
    list_render(&w, rows, n);
    jw_kv_int(&w, "total", total);
    jw_obj_close(&w);
    reply_json(r, 200);
}

/* ---- rollbacks ---- */

struct rollback_cmd {
    struct request *r;
    const char *ref;
    const char *reason;
};

/* The original's snapshot with the rollback's reason. */
static const char *rollback_body(struct request *r, const struct redemption *orig,
                                 const char *reason)
{
    cJSON *snap = cJSON_Parse(orig->body_json ? orig->body_json : "{}");
    if (!snap)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(snap, "reason");
    cJSON_AddItemToObject(snap, "reason", reason ? cJSON_CreateString(reason) : cJSON_CreateNull());
    const char *out = req_json_text(r, snap);
    cJSON_Delete(snap);
    return out;
}

static int rollback_one(const struct writer_tx *tx, struct rollback_cmd *rb,
                        struct redemption *orig, const char *parent_id, struct redemption *out,
                        enum voucher_result *res)
{
    const char *body = rollback_body(rb->r, orig, rb->reason);
    if (!body)
        return TREU_ENOMEM;
    return vouchers_rollback(tx, rb->r->project_id, orig, parent_id, body, out, res);
}

/* A stack's parent first (its rollback id becomes the children's parent), then each
 * child that is still SUCCEEDED. */
static int rollback_stack(struct command *cmd, const struct writer_tx *tx, struct rollback_cmd *rb,
                          struct redemption *parent, enum voucher_result *res)
{
    struct request *r = rb->r;
    struct redemption prb, *kids = NULL, *rbs;
    size_t n = 0;
    int rc = rollback_one(tx, rb, parent, NULL, &prb, res);
    if (rc < 0 || *res != VOUCHER_OK)
        return rc;
    struct redemption_query q = {.parent_id = parent->id, .kind = "voucher"};
    struct page pg = {.limit = REDEEM_STACK_MAX};
    rc = store_redemption_list(tx->conn, r->project_id, &q, &pg, &r->arena, &kids, &n, NULL);
    rbs = rc == 0 ? arena_zalloc(&r->arena, (n + 1) * sizeof *rbs) : NULL;
    if (rc == 0 && !rbs)
        rc = TREU_ENOMEM;
    size_t done = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        enum voucher_result kr;
        rc = rollback_one(tx, rb, &kids[i], prb.id, &rbs[done], &kr);
        done += rc == 0 && kr == VOUCHER_OK;
    }
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    jw_obj_open(&w);
    jw_key(&w, "rollbacks");
    list_render(&w, rbs, done);
    jw_key(&w, "parent_rollback");
    redemption_render(&w, &prb);
    jw_obj_close(&w);
    return 0;
}

static int rollback_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct rollback_cmd *rb = cmd->input;
    struct request *r = rb->r;
    struct redemption orig, out;
    int rc = store_redemption_get(tx->conn, r->project_id, rb->ref, &r->arena, &orig);
    if (rc == TREU_ENOTFOUND) {
        api_cmd_error(cmd, r, 404, "not_found", "Resource not found",
                      "Cannot find redemption with id %.255s", rb->ref);
        return 0;
    }
    if (rc < 0)
        return rc;
    enum voucher_result res = VOUCHER_OK;
    if (strcmp(orig.kind, "reward") == 0)
        return api_reward_rollback_apply(cmd, tx, r, orig.id, rb->reason);
    if (strcmp(orig.kind, "voucher") != 0) {
        api_cmd_error(cmd, r, 400, "rollback_not_supported", "Rollback not supported",
                      "%s is a rollback; a rollback cannot be rolled back", orig.id);
        return 0;
    }
    cmd->status = 200;
    if (!orig.voucher_id) {
        rc = rollback_stack(cmd, tx, rb, &orig, &res);
    } else {
        rc = rollback_one(tx, rb, &orig, NULL, &out, &res);
        struct jw w;
        jw_init(&w, &cmd->body);
        if (rc == 0 && res == VOUCHER_OK)
            redemption_render(&w, &out);
    }
    if (rc == 0 && res != VOUCHER_OK)
        api_cmd_error(cmd, r, 400, vouchers_result_key(res), vouchers_result_reason(res),
                      "redemption %s was rolled back already (%s)", orig.id,
                      orig.rollback_id ? orig.rollback_id : "");
    return rc;
}

void api_redemptions_rollback(struct request *r)
{
    static const char *const fields[] = {"reason", "customer", "metadata", "tracking_id", NULL};
    struct rollback_cmd *rb = arena_zalloc(&r->arena, sizeof *rb);
    if (!rb) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    rb->r = r;
    rb->ref = r->params[0];
    rb->reason = r->io->query(r, "reason");
    if (r->body.len > 0) {
        cJSON *body;
        struct opt_str reason;
        if (req_json_object_or_reply(r, &body) < 0 ||
            req_known_fields_or_reply(r, body, fields, NULL, "") < 0 ||
            req_string_field_or_reply(r, body, "reason", REDEEM_REASON_BYTES_MAX, true, &reason) <
                0)
            return;
        rb->reason = reason.v ? reason.v : rb->reason;
    }
    if (rb->reason && (strlen(rb->reason) > REDEEM_REASON_BYTES_MAX ||
                       !json_utf8_valid(rb->reason, strlen(rb->reason)))) {
        reply_error(r, 400, "invalid_param", "Invalid reason",
                    "reason: valid UTF-8, at most %d bytes", REDEEM_REASON_BYTES_MAX);
        return;
    }
    r->cmd.apply = rollback_apply;
    r->cmd.input = rb;
    api_submit(r);
}
