/* validation_rules.c - /v1/validation-rules: named rule sets in the condition language
 * (Voucherify's validation rules), which earning rules use by `validation_rule_id`. The
 * rule set is compiled when saved, so a stored one always compiles. */
#include "api/api.h"

#include "core/rules.h"

#include <string.h>

#define VRULE_NAME_BYTES_MAX    255
#define VRULE_MESSAGE_BYTES_MAX 500

struct vrule_cmd {
    struct request *r;
    const char *ref;
    const char *name;
    const char *body_json;
    int op; /* 0 create, 1 update, 2 delete */
};

static void vrule_render(struct jw *w, const struct validation_rule *v)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", v->id);
    jw_kv_str(w, "name", v->name);
    cJSON *body = cJSON_Parse(v->body_json);
    for (const cJSON *f = body ? body->child : NULL; f; f = f->next) {
        jw_key(w, f->string);
        jw_item(w, f);
    }
    cJSON_Delete(body);
    jw_kv_time(w, "created_at", v->created_at);
    jw_kv_time(w, "updated_at", v->updated_at);
    jw_kv_str(w, "object", "validation_rules");
    jw_obj_close(w);
}

/* name, rules (compiled and stored canonical), error.message. */
static int vrule_input_or_reply(struct request *r, struct vrule_cmd *vc)
{
    static const char *const fields[] = {"name", "rules", "error", NULL};
    static const char *const ignored[] = {"id",
                                          "object",
                                          "type",
                                          "context_type",
                                          "applicable_to",
                                          "created_at",
                                          "updated_at",
                                          "assignments_count",
                                          NULL};
    cJSON *body;
    struct opt_str name, msg = {0};
    if (req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, ignored, "") < 0 ||
        req_string_field_or_reply(r, body, "name", VRULE_NAME_BYTES_MAX, false, &name) < 0)
        return -1;
    if (!name.set || !name.v[0]) {
        reply_error(r, 400, name.set ? "invalid_param" : "missing_param", "Invalid name",
                    "name: required, 1 to %d bytes", VRULE_NAME_BYTES_MAX);
        return -1;
    }
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(body, "error");
    if (err && !cJSON_IsNull(err) &&
        (!cJSON_IsObject(err) ||
         req_string_field_or_reply(r, err, "message", VRULE_MESSAGE_BYTES_MAX, true, &msg) < 0)) {
        if (!r->status)
            reply_error(r, 400, "invalid_param", "Invalid error",
                        "error: an object such as {\"message\": \"Gold members only\"}");
        return -1;
    }
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(body, "rules");
    struct ruleset *rs;
    struct rule_error re;
    int rc = cJSON_IsObject(rules) ? rules_compile(rules, &r->arena, &rs, &re) : TREU_EINVAL;
    if (rc == TREU_EINVAL) {
        reply_error(r, 400, rules ? "invalid_param" : "missing_param", "Invalid rules",
                    "rules%s%s: %s", cJSON_IsObject(rules) ? "." : "",
                    cJSON_IsObject(rules) ? re.where : "",
                    cJSON_IsObject(rules) ? re.message
                                          : "required, e.g. {\"1\": {\"name\": \"order.amount\", "
                                            "\"conditions\": {\"$more_than\": [5000]}}}");
        return -1;
    }
    struct buf rb, b;
    struct jw w;
    buf_init(&rb, RESPONSE_BYTES_MAX);
    buf_init(&b, RESPONSE_BYTES_MAX);
    if (rc == 0)
        rc = rules_write_json(rs, &rb) < 0 ? TREU_ENOMEM : 0;
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_raw(&w, "rules", buf_cstr(&rb));
    buf_cleanup(&rb);
    jw_key(&w, "error");
    if (msg.v) {
        jw_obj_open(&w);
        jw_kv_str(&w, "message", msg.v);
        jw_obj_close(&w);
    } else {
        jw_null(&w);
    }
    jw_obj_close(&w);
    vc->body_json = rc == 0 && !b.err ? arena_strndup(&r->arena, b.ptr, b.len) : NULL;
    buf_cleanup(&b);
    if (!vc->body_json) {
        reply_op_error(r, rc < 0 ? rc : TREU_ENOMEM);
        return -1;
    }
    vc->name = name.v;
    return 0;
}

static int vrules_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct vrule_cmd *vc = cmd->input;
    struct request *r = vc->r;
    struct validation_rule v = {.name = vc->name, .body_json = vc->body_json};
    int rc = 0;
    if (vc->op == 0) {
        ids_make(tx->rng, "val_", v.id);
        v.created_at = v.updated_at = tx->now_us;
        rc = store_vrule_insert(tx->conn, r->project_id, &v);
        cmd->status = 201;
    } else {
        rc = store_vrule_get(tx->conn, r->project_id, vc->ref, &r->arena, &v);
        if (rc == TREU_ENOTFOUND) {
            char details[320];
            snprintf(details, sizeof details, "Cannot find validation rule with id %.255s",
                     vc->ref);
            cmd->status = 404;
            api_error_body(&cmd->body, 404, "not_found", "Resource not found", details,
                           r->request_id);
            return 0;
        }
        if (rc == 0 && vc->op == 2) {
            cmd->status = 204;
            return store_vrule_delete(tx->conn, r->project_id, v.id);
        }
        v.name = vc->name;
        v.body_json = vc->body_json;
        v.updated_at = tx->now_us;
        if (rc == 0)
            rc = store_vrule_update(tx->conn, r->project_id, &v);
        cmd->status = 200;
    }
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    vrule_render(&w, &v);
    return 0;
}

static void vrules_submit(struct request *r, int op)
{
    struct vrule_cmd *vc = arena_zalloc(&r->arena, sizeof *vc);
    if (!vc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    vc->r = r;
    vc->op = op;
    vc->ref = r->nparams ? r->params[0] : NULL;
    if (op != 2 && vrule_input_or_reply(r, vc) < 0)
        return;
    r->cmd.apply = vrules_apply;
    r->cmd.input = vc;
    api_submit(r);
}

void api_vrules_create(struct request *r)
{
    vrules_submit(r, 0);
}

void api_vrules_update(struct request *r)
{
    vrules_submit(r, 1);
}

void api_vrules_delete(struct request *r)
{
    vrules_submit(r, 2);
}

void api_vrules_get(struct request *r)
{
    struct validation_rule v;
    struct store_conn *c = req_reader(r);
    int rc = store_vrule_get(c, r->project_id, r->params[0], &r->arena, &v);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "validation rule", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    vrule_render(&w, &v);
    reply_json(r, 200);
}

void api_vrules_list(struct request *r)
{
    int64_t limit, page, total = 0;
    if (req_query_int_or_reply(r, "limit", LIST_LIMIT_DEFAULT, 1, LIST_LIMIT_MAX, &limit) < 0 ||
        req_query_int_or_reply(r, "page", 1, 1, LIST_PAGE_MAX, &page) < 0)
        return;
    struct page pg = {.limit = (int)limit, .offset = (page - 1) * limit};
    struct validation_rule *rows = NULL;
    size_t n = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_vrule_list(c, r->project_id, &pg, &r->arena, &rows, &n, &total);
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
    jw_kv_str(&w, "data_ref", "data");
    jw_key(&w, "data");
    jw_arr_open(&w);
    for (size_t i = 0; i < n; i++)
        vrule_render(&w, &rows[i]);
    jw_arr_close(&w);
    jw_kv_int(&w, "total", total);
    jw_kv_bool(&w, "has_more", pg.offset + (int64_t)n < total);
    jw_obj_close(&w);
    reply_json(r, 200);
}
