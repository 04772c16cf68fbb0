/* publications.c - /v1/publications: hands a voucher to a customer — a named voucher, or
 * one of a campaign's (its oldest unpublished code, or a fresh one when none is left). The
 * same source_id answers the same publication, so a retried call never hands out two. */
#include "api/api.h"

#include "engine/customers.h"
#include "engine/vouchers.h"

#include <string.h>

#define PUB_SOURCE_BYTES_MAX   255
#define PUB_CHANNEL_BYTES_MAX  100
#define PUB_METADATA_BYTES_MAX (64 * 1024)

struct publication_cmd {
    struct request *r;
    struct customer_ref customer;
    struct publish_request pr;
};

/* With `vs` the full voucher, else a reference to it by `code`. */
static void publication_render(struct jw *w, const struct publication *p, const struct customer *cu,
                               const struct voucher_state *vs, const char *code)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", p->id);
    jw_kv_str(w, "object", "publication");
    jw_kv_time(w, "created_at", p->created_at);
    jw_kv_str(w, "customer_id", p->customer_id);
    jw_kv_str(w, "tracking_id", cu ? cu->source_id : NULL);
    jw_kv_raw(w, "metadata", p->metadata_json ? p->metadata_json : "{}");
    jw_kv_str(w, "channel", p->channel);
    jw_kv_str(w, "source_id", p->source_id);
    jw_kv_str(w, "result", "SUCCESS");
    if (cu) {
        jw_key(w, "customer");
        api_customer_render(w, cu);
    }
    jw_key(w, "vouchers_id");
    jw_arr_open(w);
    jw_str(w, p->voucher_id);
    jw_arr_close(w);
    jw_key(w, "voucher");
    if (vs) {
        api_voucher_render(w, vs);
    } else {
        jw_obj_open(w);
        jw_kv_str(w, "id", p->voucher_id);
        jw_kv_str(w, "code", code);
        jw_kv_str(w, "campaign_id", p->campaign_id);
        jw_kv_str(w, "object", "voucher");
        jw_obj_close(w);
    }
    jw_obj_close(w);
}

static int publications_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct publication_cmd *pc = cmd->input;
    struct request *r = pc->r;
    struct customer cu;
    enum customer_result cres;
    int rc = customers_resolve(tx, r->project_id, &pc->customer, &r->arena, &cu, &cres);
    if (rc < 0)
        return rc;
    if (cres == CUSTOMER_NOT_FOUND || cres == CUSTOMER_SOURCE_TAKEN) {
        api_cmd_error(cmd, r, 404, "not_found", "Resource not found",
                      "Cannot find customer with id %.255s", pc->customer.ref);
        return 0;
    }
    pc->pr.customer_id = cu.id;
    struct publication pub;
    struct voucher v;
    enum voucher_result res;
    rc = vouchers_publish(tx, r->project_id, &r->arena, &pc->pr, &pub, &v, &res);
    if (rc < 0)
        return rc;
    if (res != VOUCHER_OK) {
        bool missing = res == VOUCHER_NOT_FOUND;
        api_cmd_error(cmd, r, missing ? 404 : 400, missing ? "not_found" : vouchers_result_key(res),
                      missing ? "Resource not found" : vouchers_result_reason(res),
                      "Cannot publish %s %.255s: %s", pc->pr.voucher_ref ? "voucher" : "campaign",
                      pc->pr.voucher_ref ? pc->pr.voucher_ref : pc->pr.campaign_ref,
                      vouchers_result_reason(res));
        return 0;
    }
    struct voucher_state vs;
    rc = vouchers_load(tx->conn, r->project_id, &r->arena, v.id, &vs);
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    publication_render(&w, &pub, &cu, &vs, NULL);
    cmd->status = 200;
    return 0;
}

/* campaign: "name" or {"name"|"id"}; voucher: "CODE". Exactly one. */
static int target_or_reply(struct request *r, const cJSON *body, struct publish_request *pr)
{
    const cJSON *camp = cJSON_GetObjectItemCaseSensitive(body, "campaign");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "voucher");
    if (cJSON_IsObject(camp)) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(camp, "name");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(camp, "id");
        camp = cJSON_IsString(n) ? n : id;
    }
    if (cJSON_IsObject(v))
        v = cJSON_GetObjectItemCaseSensitive(v, "code");
    bool one_camp = cJSON_IsString(camp) && camp->valuestring[0];
    bool one_voucher = cJSON_IsString(v) && v->valuestring[0];
    if (one_camp == one_voucher) {
        reply_error(r, 400, "invalid_param", "Invalid publication",
                    "campaign or voucher: exactly one, e.g. {\"campaign\": {\"name\": "
                    "\"Summer\"}} or {\"voucher\": \"CODE\"}");
        return -1;
    }
    pr->campaign_ref = one_camp ? camp->valuestring : NULL;
    pr->voucher_ref = one_voucher ? v->valuestring : NULL;
    return 0;
}

void api_publications_create(struct request *r)
{
    static const char *const fields[] = {"customer", "campaign", "voucher", "source_id",
                                         "channel",  "metadata", NULL};
    struct publication_cmd *pc = arena_zalloc(&r->arena, sizeof *pc);
    cJSON *body;
    struct opt_str src, chan, mds;
    const cJSON *md;
    if (!pc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    pc->r = r;
    if (req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, NULL, "") < 0 ||
        req_string_field_or_reply(r, body, "source_id", PUB_SOURCE_BYTES_MAX, true, &src) < 0 ||
        req_string_field_or_reply(r, body, "channel", PUB_CHANNEL_BYTES_MAX, true, &chan) < 0 ||
        req_object_field_or_reply(r, body, "metadata", &md, &mds) < 0 ||
        target_or_reply(r, body, &pc->pr) < 0 ||
        api_customer_ref_or_reply(r, body, "customer", &pc->customer) < 0)
        return;
    pc->pr.source_id = src.v && src.v[0] ? src.v : NULL;
    pc->pr.channel = chan.v;
    pc->pr.metadata_json = md ? req_json_text(r, md) : NULL;
    if (pc->pr.metadata_json && strlen(pc->pr.metadata_json) > PUB_METADATA_BYTES_MAX) {
        reply_error(r, 400, "invalid_param", "Metadata too large", "metadata: at most %d bytes",
                    PUB_METADATA_BYTES_MAX);
        return;
    }
    r->cmd.apply = publications_apply;
    r->cmd.input = pc;
    api_submit(r);
}

/* The list shows each publication with its voucher's code (no full voucher). */
static int list_render(struct jw *w, struct store_conn *c, struct request *r,
                       const struct publication *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct voucher v;
        int rc = store_voucher_get(c, r->project_id, rows[i].voucher_id, &r->arena, &v);
        if (rc < 0 && rc != TREU_ENOTFOUND)
            return rc;
        publication_render(w, &rows[i], NULL, NULL, rc == 0 ? v.code : NULL);
    }
    return 0;
}

void api_publications_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct publication_query q = {0};
    struct publication *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct jw w;
    jw_init(&w, &r->out);
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = api_filter_ids(r, c, &q.campaign_id, &q.customer_id);
        if (rc == 0)
            rc = store_publication_list(c, r->project_id, &q, &pg, &r->arena, &rows, &n, &total);
        jw_obj_open(&w);
        jw_kv_str(&w, "object", "list");
        jw_kv_str(&w, "data_ref", "publications");
        jw_key(&w, "publications");
        jw_arr_open(&w);
        if (rc == 0)
            rc = list_render(&w, c, r, rows, n);
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
