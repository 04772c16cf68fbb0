/* request.c - replies, input helpers and the bridge from a request to the writer. */
#include "api/request.h"

#include "core/log.h"
#include "core/tstime.h"
#include "core/validate.h"
#include "engine/zones.h"

#include <sodium.h>
#include <stdarg.h>
#include <string.h>

void request_init(struct request *r, struct app *app, const struct request_io *io)
{
    memset(r, 0, sizeof *r);
    r->app = app;
    r->io = io;
    arena_init(&r->arena, REQUEST_ARENA_BYTES_MAX);
    buf_init(&r->out, RESPONSE_BYTES_MAX);
    buf_init(&r->cmd.body, RESPONSE_BYTES_MAX);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

void request_cleanup(struct request *r)
{
    cJSON_Delete(r->json);
    r->json = NULL;
    buf_cleanup(&r->cmd.body);
    buf_cleanup(&r->out);
    arena_cleanup(&r->arena);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

void reply_json(struct request *r, int status)
{
    r->status = status;
}

void reply_empty(struct request *r, int status)
{
    buf_reset(&r->out);
    r->status = status;
}

void api_error_body(struct buf *b, int status, const char *key, const char *message,
                    const char *details, const char *request_id)
{
    struct jw w;
    buf_reset(b);
    jw_init(&w, b);
    jw_obj_open(&w);
    jw_kv_int(&w, "code", status);
    jw_kv_str(&w, "key", key);
    jw_kv_str(&w, "message", message);
    jw_kv_str(&w, "details", details);
    jw_kv_str(&w, "request_id", request_id);
    jw_obj_close(&w);
}

void reply_error(struct request *r, int status, const char *key, const char *message,
                 const char *details_fmt, ...)
{
    char details[512];
    va_list ap;
    va_start(ap, details_fmt);
    vsnprintf(details, sizeof details, details_fmt, ap);
    va_end(ap);
    api_error_body(&r->out, status, key, message, details, r->request_id);
    r->status = status;
}

void reply_op_error(struct request *r, int rc)
{
    switch (rc) {
    case TREU_EFULL:
    case TREU_EBUSY:
    case TREU_EIO:
        reply_error(r, 503, "service_unavailable", "Storage unavailable",
                    "the database could not commit (%s); nothing was changed, retry later",
                    treu_strerror(rc));
        break;
    case TREU_ESTOPPED:
        reply_error(r, 503, "service_unavailable", "Shutting down",
                    "treu is stopping; nothing was changed, retry on another node or later");
        break;
    case TREU_ELIMIT:
    case TREU_ENOMEM:
        reply_error(r, 503, "service_unavailable", "Overloaded",
                    "a size or queue limit was reached (%s); nothing was changed",
                    treu_strerror(rc));
        break;
    default:
        log_error("internal error", "request_id=%s err=\"%s\"", r->request_id, treu_strerror(rc));
        reply_error(r, 500, "internal_error", "Internal error",
                    "an unexpected error occurred; it was logged with this request_id");
        break;
    }
}

void reply_read_error(struct request *r, int rc, const char *what, const char *ref)
{
    if (rc == TREU_ENOTFOUND)
        reply_error(r, 404, "not_found", "Resource not found", "Cannot find %s with id %.255s",
                    what, ref ? ref : "");
    else
        reply_op_error(r, rc);
}

int req_json_object_or_reply(struct request *r, cJSON **out)
{
    struct json_error e;
    if (r->body.len == 0) {
        reply_error(r, 400, "invalid_json", "Invalid JSON",
                    "the request body is empty; send a "
                    "JSON object");
        return -1;
    }
    int rc = json_parse(r->body.ptr, r->body.len, JSON_DEPTH_MAX, &r->json, &e);
    if (rc == TREU_ENOMEM) {
        reply_op_error(r, rc);
        return -1;
    }
    if (rc < 0) {
        reply_error(r, 400, "invalid_json", "Invalid JSON", "%s at byte %zu%s", e.why, e.offset,
                    strcmp(e.why, "nesting too deep") == 0 ? " (at most 32 levels)" : "");
        return -1;
    }
    if (!cJSON_IsObject(r->json)) {
        reply_error(r, 400, "invalid_json", "Invalid JSON",
                    "the request body must be a JSON "
                    "object");
        return -1;
    }
    *out = r->json;
    return 0;
}

int req_json_items_or_reply(struct request *r, bool one_ok, size_t max, const char *what,
                            cJSON **first, size_t *n)
{
    struct json_error e = {0};
    int rc = r->body.len ? json_parse(r->body.ptr, r->body.len, JSON_DEPTH_MAX, &r->json, &e)
                         : TREU_EINVAL;
    if (rc == TREU_ENOMEM) {
        reply_op_error(r, rc);
        return -1;
    }
    cJSON *body = r->json;
    if (rc < 0 || !(cJSON_IsArray(body) || (one_ok && cJSON_IsObject(body)))) {
        reply_error(r, 400, "invalid_json", "Invalid JSON", "the body must be an array of %s%s%s%s",
                    what, one_ok ? " (or one object)" : "", e.why ? ": " : "", e.why ? e.why : "");
        return -1;
    }
    *n = cJSON_IsArray(body) ? (size_t)cJSON_GetArraySize(body) : 1;
    if (*n == 0 || *n > max) {
        reply_error(r, 400, "invalid_param", "Invalid count", "send 1 to %zu %s per request", max,
                    what);
        return -1;
    }
    *first = cJSON_IsArray(body) ? body->child : body;
    return 0;
}

int req_timezone_or_reply(struct request *r, const char *name)
{
    const struct tz *z;
    int rc = zones_get(r->app->zones, name, &z);
    if (rc == 0)
        return 0;
    if (rc == TREU_EINVAL || rc == TREU_ENOTFOUND)
        reply_error(r, 400, "invalid_param", "Invalid timezone",
                    "timezone: must be an IANA time zone name such as Europe/Berlin");
    else
        reply_op_error(r, rc);
    return -1;
}

static bool parse_i64(const char *s, int64_t *out)
{
    if (!*s || strlen(s) > 18)
        return false;
    int64_t v = 0;
    bool neg = *s == '-';
    if (neg)
        s++;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return true;
}

int req_query_int_or_reply(struct request *r, const char *name, int64_t dflt, int64_t min,
                           int64_t max, int64_t *out)
{
    const char *v = r->io->query(r, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    int64_t n;
    if (!parse_i64(v, &n) || n < min || n > max) {
        reply_error(r, 400, "invalid_query", "Invalid query parameter",
                    "%s: must be an integer from %lld to %lld", name, (long long)min,
                    (long long)max);
        return -1;
    }
    *out = n;
    return 0;
}

int req_query_time_or_reply(struct request *r, const char *name, int64_t *out)
{
    const char *v = r->io->query(r, name);
    *out = 0;
    if (!v)
        return 0;
    if (tstime_parse_iso(v, strlen(v), out) < 0) {
        reply_error(r, 400, "invalid_query", "Invalid query parameter",
                    "%s: must be an ISO 8601 date or date-time such as "
                    "2026-11-23T10:00:00Z",
                    name);
        return -1;
    }
    return 0;
}

static bool in_list(const char *s, const char *const *list)
{
    for (; list && *list; list++) {
        if (strcmp(s, *list) == 0)
            return true;
    }
    return false;
}

int req_known_fields_or_reply(struct request *r, const cJSON *obj, const char *const *allowed,
                              const char *const *ignored, const char *where)
{
    for (const cJSON *f = obj->child; f; f = f->next) {
        if (in_list(f->string, allowed) || in_list(f->string, ignored))
            continue;
        reply_error(r, 400, "invalid_param", "Unknown field", "%s%s%.100s: unknown field", where,
                    where[0] ? "." : "", f->string);
        return -1;
    }
    return 0;
}

int req_string_field_or_reply(struct request *r, const cJSON *obj, const char *name, size_t max_len,
                              bool nullable, struct opt_str *f)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    f->set = false;
    f->v = NULL;
    if (!v)
        return 0;
    if (cJSON_IsNull(v) && nullable) {
        f->set = true;
        return 0;
    }
    if (!cJSON_IsString(v)) {
        reply_error(r, 400, "invalid_param", "Invalid field type", "%s: must be a string%s", name,
                    nullable ? " or null" : "");
        return -1;
    }
    struct slice s = slice_from(v->valuestring);
    if (s.len > max_len) {
        reply_error(r, 400, "invalid_param", "Field too long", "%s: at most %zu bytes, got %zu",
                    name, max_len, s.len);
        return -1;
    }
    if (!validate_text(s)) {
        reply_error(r, 400, "invalid_param", "Invalid characters",
                    "%s: control characters are not allowed", name);
        return -1;
    }
    f->set = true;
    f->v = v->valuestring;
    return 0;
}

int req_object_field_or_reply(struct request *r, const cJSON *body, const char *name,
                              const cJSON **obj, struct opt_str *f)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    *obj = NULL;
    f->set = v != NULL;
    f->v = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v)) {
        reply_error(r, 400, "invalid_param", "Invalid field type", "%s: must be an object or null",
                    name);
        return -1;
    }
    *obj = v;
    return 0;
}

static const char *dot(const char *where)
{
    return where[0] ? "." : "";
}

int req_int_field_or_reply(struct request *r, const cJSON *obj, const char *where, const char *name,
                           int64_t min, int64_t max, int64_t *out, bool *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *present = v != NULL;
    if (!v)
        return 0;
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
    /* The range first: converting a double outside int64's range is undefined. */
    if (!cJSON_IsNumber(v) || !(d >= (double)min && d <= (double)max) || d < -0x1p63 ||
        d >= 0x1p63 || d != (double)(int64_t)d) {
        reply_error(r, 400, "invalid_param", "Invalid number",
                    "%s%s%s: must be an integer from %lld to %lld", where, dot(where), name,
                    (long long)min, (long long)max);
        return -1;
    }
    *out = (int64_t)d;
    return 0;
}

int req_bool_field_or_reply(struct request *r, const cJSON *obj, const char *where,
                            const char *name, bool *out, bool *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *present = v != NULL;
    if (!v)
        return 0;
    if (!cJSON_IsBool(v)) {
        reply_error(r, 400, "invalid_param", "Invalid field type", "%s%s%s: must be true or false",
                    where, dot(where), name);
        return -1;
    }
    *out = cJSON_IsTrue(v);
    return 0;
}

int req_time_field_or_reply(struct request *r, const cJSON *obj, const char *where,
                            const char *name, int64_t *out, bool *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *present = v != NULL;
    if (!v)
        return 0;
    *out = 0;
    if (cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v) || tstime_parse_iso(v->valuestring, strlen(v->valuestring), out) < 0) {
        reply_error(r, 400, "invalid_param", "Invalid date",
                    "%s%s%s: must be an ISO 8601 date or date-time such as "
                    "2026-11-23T10:00:00Z, or null",
                    where, dot(where), name);
        return -1;
    }
    return 0;
}

int req_enum_field_or_reply(struct request *r, const cJSON *obj, const char *where,
                            const char *name, const char *const *values, int *out, bool *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *present = v != NULL;
    if (!v)
        return 0;
    for (int i = 0; cJSON_IsString(v) && values[i]; i++) {
        if (strcmp(v->valuestring, values[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    char list[256] = "";
    for (int i = 0; values[i]; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", values[i]);
    }
    reply_error(r, 400, "invalid_param", "Invalid value", "%s%s%s: must be one of %s", where,
                dot(where), name, list);
    return -1;
}

const char *req_json_text(struct request *r, const cJSON *v)
{
    struct buf b;
    buf_init(&b, RESPONSE_BYTES_MAX);
    const char *out = json_write_item(&b, v) == 0 ? arena_strndup(&r->arena, b.ptr, b.len) : NULL;
    buf_cleanup(&b);
    return out;
}

/* Runs on the writer thread. After the unlock the writer must not touch r again: the
 * request thread may return and free it. */
static void api_command_done(struct command *cmd)
{
    struct request *r = cmd->done_arg;
    pthread_mutex_lock(&r->mu);
    r->cmd_done = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Turns the command's outcome into the answer. */
static void api_finish(struct request *r)
{
    struct command *cmd = &r->cmd;
    switch (cmd->outcome) {
    case COMMAND_REPLAYED:
        r->replayed = true;
        /* fall through */
    case COMMAND_APPLIED:
        buf_reset(&r->out);
        buf_append(&r->out, cmd->body.ptr ? cmd->body.ptr : "", cmd->body.len);
        r->status = cmd->status;
        break;
    case COMMAND_IDEM_CONFLICT:
        reply_error(r, 409, "idempotency_conflict", "Idempotency-Key reused",
                    "this Idempotency-Key was used with a different request; first difference: "
                    "%s",
                    cmd->conflict_field);
        break;
    case COMMAND_FAILED: reply_op_error(r, cmd->rc); break;
    }
}

void api_submit(struct request *r)
{
    struct command *cmd = &r->cmd;
    cmd->project_id = r->project_id;
    cmd->idem_key = r->idem_key;
    cmd->request = r->body;
    cmd->done = api_command_done;
    cmd->done_arg = r;
    if (r->idem_key) {
        crypto_generichash_state st;
        crypto_generichash_init(&st, NULL, 0, STORE_HASH_BYTES);
        crypto_generichash_update(&st, (const unsigned char *)r->method, strlen(r->method) + 1);
        crypto_generichash_update(&st, (const unsigned char *)r->path, strlen(r->path) + 1);
        crypto_generichash_update(&st, (const unsigned char *)r->body.ptr, r->body.len);
        crypto_generichash_final(&st, cmd->request_hash, STORE_HASH_BYTES);
    }
    int rc = writer_submit(r->app->writer, cmd);
    if (rc < 0) {
        cmd->outcome = COMMAND_FAILED;
        cmd->rc = rc;
    } else {
        pthread_mutex_lock(&r->mu);
        while (!r->cmd_done)
            pthread_cond_wait(&r->cv, &r->mu);
        pthread_mutex_unlock(&r->mu);
    }
    api_finish(r);
}

struct store_conn *req_reader(struct request *r)
{
    return store_pool_acquire(r->app->readers);
}

void req_reader_release(struct request *r, struct store_conn *c)
{
    store_pool_release(r->app->readers, c);
}

void api_list_open(struct jw *w, const char *data_ref)
{
    jw_obj_open(w);
    jw_kv_str(w, "object", "list");
    jw_kv_str(w, "data_ref", data_ref);
    jw_key(w, data_ref);
    jw_arr_open(w);
}

void api_list_close(struct jw *w, int64_t total, bool has_more)
{
    jw_arr_close(w);
    jw_kv_int(w, "total", total);
    jw_kv_bool(w, "has_more", has_more);
    jw_obj_close(w);
}

int req_page_or_reply(struct request *r, struct page *pg)
{
    int64_t limit, page;
    if (req_query_int_or_reply(r, "limit", LIST_LIMIT_DEFAULT, 1, LIST_LIMIT_MAX, &limit) < 0 ||
        req_query_int_or_reply(r, "page", 1, 1, LIST_PAGE_MAX, &page) < 0)
        return -1;
    pg->limit = (int)limit;
    pg->offset = (page - 1) * limit;
    return 0;
}
