/* customers.c - /v1/customers: validation of every field up front (a bad request never
 * reaches the writer), commands for writes, direct reads from a reader connection.
 * Shapes follow Voucherify's customer object; `timezone` and per-channel `consents` with
 * timestamps are treu's additions. */
#include "api/api.h"

#include "core/tstime.h"
#include "core/validate.h"
#include "engine/customers.h"

#include <stdio.h>
#include <string.h>

#define CUSTOMER_SOURCE_ID_BYTES_MAX     255
#define CUSTOMER_NAME_BYTES_MAX          255
#define CUSTOMER_DESCRIPTION_BYTES_MAX   1024
#define CUSTOMER_ADDRESS_FIELD_BYTES_MAX 255
#define TZDB_DIR                         "/usr/share/zoneinfo/"

enum customer_op { OP_UPSERT, OP_UPDATE, OP_DELETE };

struct customer_cmd {
    struct request *r;
    enum customer_op op;
    const char *ref;
    struct customer_patch patch;
};

static const char *const customer_fields[] = {
    "source_id", "name",    "description", "email",    "phone", "birthdate",
    "timezone",  "address", "metadata",    "consents", NULL,
};
/* Fields treu returns itself; accepted and ignored so a fetched customer can be sent back. */
static const char *const customer_readonly[] = {"id", "object", "created_at", "updated_at", NULL};
static const char *const address_fields[] = {"city",    "state",       "line_1", "line_2",
                                             "country", "postal_code", NULL};

static void customer_render(struct jw *w, const struct customer *c)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", c->id);
    jw_kv_str(w, "source_id", c->source_id);
    jw_kv_str(w, "name", c->name);
    jw_kv_str(w, "description", c->description);
    jw_kv_str(w, "email", c->email);
    jw_kv_str(w, "phone", c->phone);
    jw_kv_str(w, "birthdate", c->birthdate);
    jw_kv_str(w, "timezone", c->timezone);
    jw_kv_raw(w, "address", c->address_json);
    jw_kv_raw(w, "metadata", c->metadata_json ? c->metadata_json : "{}");
    jw_kv_raw(w, "consents", c->consents_json ? c->consents_json : "{}");
    jw_kv_time(w, "created_at", c->created_at);
    jw_kv_time(w, "updated_at", c->updated_at);
    jw_kv_str(w, "object", "customer");
    jw_obj_close(w);
}

static int64_t today_days(struct request *r)
{
    return clock_now_us(r->app->clock) / TSTIME_US_PER_DAY;
}

static int check_formats_or_reply(struct request *r, const struct customer_patch *p)
{
    if (p->source_id.set && p->source_id.v && !p->source_id.v[0]) {
        reply_error(r, 400, "invalid_param", "Invalid source_id", "source_id: must not be empty");
        return -1;
    }
    if (p->email.v && !validate_email(slice_from(p->email.v))) {
        reply_error(r, 400, "invalid_param", "Invalid email",
                    "email: must look like name@example.com");
        return -1;
    }
    if (p->phone.v && !validate_phone(slice_from(p->phone.v))) {
        reply_error(r, 400, "invalid_param", "Invalid phone",
                    "phone: digits, spaces and + - ( ) . only, at least 3 digits, at most %d "
                    "bytes",
                    VALIDATE_PHONE_BYTES_MAX);
        return -1;
    }
    if (p->birthdate.v) {
        int64_t y;
        unsigned m, d;
        const char *s = p->birthdate.v;
        if (tstime_parse_date(s, strlen(s), &y, &m, &d) < 0 || y < 1900 ||
            tstime_days_from_civil(y, m, d) > today_days(r)) {
            reply_error(r, 400, "invalid_param", "Invalid birthdate",
                        "birthdate: must be a real date YYYY-MM-DD from 1900-01-01 to today");
            return -1;
        }
    }
    if (p->timezone.v && req_timezone_or_reply(r, p->timezone.v) < 0)
        return -1;
    return 0;
}

static int address_or_reply(struct request *r, const cJSON *body, struct opt_str *out)
{
    const cJSON *a;
    if (req_object_field_or_reply(r, body, "address", &a, out) < 0)
        return -1;
    if (!a)
        return 0;
    if (req_known_fields_or_reply(r, a, address_fields, NULL, "address") < 0)
        return -1;
    struct jw w;
    struct buf b;
    buf_init(&b, 4096);
    jw_init(&w, &b);
    jw_obj_open(&w);
    for (const char *const *f = address_fields; *f; f++) {
        struct opt_str v;
        if (req_string_field_or_reply(r, a, *f, CUSTOMER_ADDRESS_FIELD_BYTES_MAX, true, &v) < 0) {
            buf_cleanup(&b);
            return -1;
        }
        jw_kv_str(&w, *f, v.v);
    }
    jw_obj_close(&w);
    out->v = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    if (!out->v) {
        reply_op_error(r, TREU_ENOMEM);
        return -1;
    }
    return 0;
}

static int metadata_or_reply(struct request *r, const cJSON *body, struct opt_str *out)
{
    const cJSON *m;
    if (req_object_field_or_reply(r, body, "metadata", &m, out) < 0)
        return -1;
    if (!m)
        return 0;
    struct buf b;
    buf_init(&b, CUSTOMER_METADATA_BYTES_MAX);
    int rc = json_write_item(&b, m);
    if (rc == 0)
        out->v = arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    if (rc == TREU_ELIMIT) {
        reply_error(r, 400, "invalid_param", "Metadata too large",
                    "metadata: at most %d bytes as compact JSON", CUSTOMER_METADATA_BYTES_MAX);
        return -1;
    }
    if (rc < 0 || !out->v) {
        reply_op_error(r, TREU_ENOMEM);
        return -1;
    }
    return 0;
}

static int consents_or_reply(struct request *r, const cJSON *body, struct customer_patch *p)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(body, "consents");
    if (!c)
        return 0;
    if (!cJSON_IsObject(c)) {
        reply_error(r, 400, "invalid_param", "Invalid field type",
                    "consents: must be an object such as {\"email\": true}");
        return -1;
    }
    for (const cJSON *f = c->child; f; f = f->next) {
        int ch = -1;
        for (int i = 0; i < CONSENT_CHANNELS; i++) {
            if (strcmp(f->string, customers_consent_channels[i]) == 0)
                ch = i;
        }
        if (ch < 0) {
            reply_error(r, 400, "invalid_param", "Unknown consent channel",
                        "consents.%.100s: unknown channel; use email, sms or push", f->string);
            return -1;
        }
        const cJSON *v = f;
        if (cJSON_IsObject(f))
            v = cJSON_GetObjectItemCaseSensitive(f, "granted");
        if (!cJSON_IsBool(v)) {
            reply_error(r, 400, "invalid_param", "Invalid field type",
                        "consents.%s: must be true or false", f->string);
            return -1;
        }
        p->consents[ch] = cJSON_IsTrue(v) ? 1 : 0;
    }
    return 0;
}

/* Checks a customer object into a patch. -1 after replying 400. */
static int customer_patch_from_or_reply(struct request *r, const cJSON *body,
                                        struct customer_patch *p)
{
    customers_patch_init(p);
    if (req_known_fields_or_reply(r, body, customer_fields, customer_readonly, "") < 0)
        return -1;
    struct {
        const char *name;
        size_t max;
        struct opt_str *dst;
    } texts[] = {
        {"source_id", CUSTOMER_SOURCE_ID_BYTES_MAX, &p->source_id},
        {"name", CUSTOMER_NAME_BYTES_MAX, &p->name},
        {"description", CUSTOMER_DESCRIPTION_BYTES_MAX, &p->description},
        {"email", VALIDATE_EMAIL_BYTES_MAX, &p->email},
        {"phone", VALIDATE_PHONE_BYTES_MAX, &p->phone},
        {"birthdate", 10, &p->birthdate},
        {"timezone", VALIDATE_TZ_BYTES_MAX, &p->timezone},
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(texts); i++) {
        if (req_string_field_or_reply(r, body, texts[i].name, texts[i].max, true, texts[i].dst) < 0)
            return -1;
    }
    if (check_formats_or_reply(r, p) < 0 || address_or_reply(r, body, &p->address_json) < 0 ||
        metadata_or_reply(r, body, &p->metadata_json) < 0 || consents_or_reply(r, body, p) < 0)
        return -1;
    return 0;
}

/* Reads and checks the whole body into a patch. -1 after replying 400. */
static int customer_patch_or_reply(struct request *r, struct customer_patch *p)
{
    cJSON *body;
    if (req_json_object_or_reply(r, &body) < 0)
        return -1;
    return customer_patch_from_or_reply(r, body, p);
}

int api_customer_ref_or_reply(struct request *r, const cJSON *body, const char *field,
                              struct customer_ref *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, field);
    memset(out, 0, sizeof *out);
    if (cJSON_IsString(v) && v->valuestring[0] &&
        strlen(v->valuestring) <= CUSTOMER_SOURCE_ID_BYTES_MAX) {
        out->ref = v->valuestring;
        return 0;
    }
    if (!cJSON_IsObject(v)) {
        reply_error(r, 400, v ? "invalid_param" : "missing_param", "Invalid customer",
                    "%s: required; a customer id or source_id, or a customer object such as "
                    "{\"source_id\": \"ada\"}",
                    field);
        return -1;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "id");
    if (cJSON_IsString(id) && id->valuestring[0]) {
        out->ref = id->valuestring;
        return 0;
    }
    struct customer_patch *p = arena_alloc(&r->arena, sizeof *p);
    if (!p) {
        reply_op_error(r, TREU_ENOMEM);
        return -1;
    }
    out->patch = p;
    return customer_patch_from_or_reply(r, v, p);
}

void api_customer_render(struct jw *w, const struct customer *c)
{
    customer_render(w, c);
}

static void customer_not_found(struct buf *b, struct request *r, const char *ref)
{
    char details[320];
    snprintf(details, sizeof details, "Cannot find customer with id %.255s", ref);
    api_error_body(b, 404, "not_found", "Resource not found", details, r->request_id);
}

/* Runs on the writer thread: applies the change and writes the answer. */
static int customers_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct customer_cmd *cc = cmd->input;
    struct request *r = cc->r;
    struct customer cu;
    enum customer_result res = CUSTOMER_NOT_FOUND;
    int rc;
    switch (cc->op) {
    case OP_UPSERT:
        rc = customers_upsert(tx, r->project_id, &cc->patch, &r->arena, &cu, &res);
        break;
    case OP_UPDATE:
        rc = customers_update(tx, r->project_id, cc->ref, &cc->patch, &r->arena, &cu, &res);
        break;
    default: rc = customers_delete(tx, r->project_id, cc->ref, &r->arena, &res); break;
    }
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    switch (res) {
    case CUSTOMER_CREATED:
    case CUSTOMER_UPDATED:
        cmd->status = res == CUSTOMER_CREATED ? 201 : 200;
        customer_render(&w, &cu);
        break;
    case CUSTOMER_DELETED: cmd->status = 204; break;
    case CUSTOMER_NOT_FOUND:
        cmd->status = 404;
        customer_not_found(&cmd->body, r, cc->ref);
        break;
    case CUSTOMER_SOURCE_TAKEN:
        cmd->status = 409;
        api_error_body(&cmd->body, 409, "duplicate_found", "Duplicate source_id",
                       "source_id: another customer of this project already has it", r->request_id);
        break;
    }
    return 0;
}

static void customers_submit(struct request *r, enum customer_op op, const char *ref)
{
    struct customer_cmd *cc = arena_zalloc(&r->arena, sizeof *cc);
    if (!cc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    cc->r = r;
    cc->op = op;
    cc->ref = ref;
    if (op != OP_DELETE && customer_patch_or_reply(r, &cc->patch) < 0)
        return;
    r->cmd.apply = customers_apply;
    r->cmd.input = cc;
    api_submit(r);
}

void api_customers_create(struct request *r)
{
    customers_submit(r, OP_UPSERT, NULL);
}

void api_customers_update(struct request *r)
{
    customers_submit(r, OP_UPDATE, r->params[0]);
}

void api_customers_delete(struct request *r)
{
    customers_submit(r, OP_DELETE, r->params[0]);
}

void api_customers_get(struct request *r)
{
    struct customer cu;
    struct store_conn *c = req_reader(r);
    int rc = customers_find(c, r->project_id, r->params[0], &r->arena, &cu);
    req_reader_release(r, c);
    if (rc == TREU_ENOTFOUND) {
        customer_not_found(&r->out, r, r->params[0]);
        r->status = 404;
        return;
    }
    if (rc < 0) {
        reply_op_error(r, rc);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    customer_render(&w, &cu);
    reply_json(r, 200);
}

/* Voucherify's `starting_after` for customers is a created_at instant (its SDK's
 * customers.scroll() sends the last one it saw, at millisecond precision); treu's own is a
 * customer id. An instant becomes the exclusive created_at bound in the listing order:
 * ascending, everything in the cursor's millisecond was already seen. Always 0. */
static int cursor_time_apply(struct customer_query *q)
{
    int64_t at;
    if (!q->starting_after ||
        tstime_parse_iso(q->starting_after, strlen(q->starting_after), &at) < 0)
        return 0;
    q->starting_after = NULL;
    if (q->ascending) {
        at += 999;
        if (q->created_after == 0 || at > q->created_after)
            q->created_after = at;
    } else if (q->created_before == 0 || at < q->created_before) {
        q->created_before = at;
    }
    q->offset = 0;
    return 0;
}

static int list_query_or_reply(struct request *r, struct customer_query *q)
{
    int64_t limit, page;
    memset(q, 0, sizeof *q);
    if (req_query_int_or_reply(r, "limit", LIST_LIMIT_DEFAULT, 1, LIST_LIMIT_MAX, &limit) < 0 ||
        req_query_int_or_reply(r, "page", 1, 1, LIST_PAGE_MAX, &page) < 0 ||
        req_query_time_or_reply(r, "created_at[after]", &q->created_after) < 0 ||
        req_query_time_or_reply(r, "created_at[before]", &q->created_before) < 0)
        return -1;
    q->limit = (int)limit;
    q->offset = (page - 1) * limit;
    q->email = r->io->query(r, "email");
    q->starting_after = r->io->query(r, "starting_after");
    const char *order = r->io->query(r, "order");
    if (order && strcmp(order, "created_at") != 0 && strcmp(order, "-created_at") != 0) {
        reply_error(r, 400, "invalid_query", "Invalid query parameter",
                    "order: must be created_at or -created_at");
        return -1;
    }
    q->ascending = order && strcmp(order, "created_at") == 0;
    return cursor_time_apply(q);
}

void api_customers_list(struct request *r)
{
    struct customer_query q;
    if (list_query_or_reply(r, &q) < 0)
        return;
    struct customer *rows;
    size_t n;
    int64_t total;
    bool has_more;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_customer_list(c, r->project_id, &q, &r->arena, &rows, &n, &total, &has_more);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc == TREU_ENOTFOUND) {
        reply_error(r, 400, "invalid_query", "Invalid query parameter",
                    "starting_after: no customer %.100s in this project", q.starting_after);
        return;
    }
    if (rc < 0) {
        reply_op_error(r, rc);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    jw_obj_open(&w);
    jw_kv_str(&w, "object", "list");
    jw_kv_str(&w, "data_ref", "customers");
    jw_key(&w, "customers");
    jw_arr_open(&w);
    for (size_t i = 0; i < n; i++)
        customer_render(&w, &rows[i]);
    jw_arr_close(&w);
    jw_kv_int(&w, "total", total);
    jw_kv_bool(&w, "has_more", has_more);
    jw_obj_close(&w);
    reply_json(r, 200);
}
