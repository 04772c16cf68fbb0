/* rewards.c - /v1/rewards (the catalog), reward assignments (a reward offered in a loyalty
 * program at a points cost), what a member may redeem, redeeming it, its fulfilment and
 * its rollback. Shapes follow Voucherify's Rewards and Loyalties APIs; treu adds variants
 * chosen by a customer attribute, eligibility conditions, availability windows and
 * per-member limits (docs/api.md "Rewards"). Decisions live in engine/rewards.c; this file
 * validates, renders and submits. */
#include "api/api.h"

#include "core/rules.h"
#include "core/tstime.h"
#include "engine/loyalty.h"
#include "engine/outbox.h"
#include "engine/rewards.h"

#include <string.h>

#define REWARD_NAME_BYTES_MAX     255
#define REWARD_TEXT_BYTES_MAX     1024
#define REWARD_STOCK_MAX          INT64_C(1000000000)
#define REWARD_LIMIT_COUNT_MAX    1000000
#define REWARD_TIERS_MAX          20
#define REWARD_VRULES_MAX         5
#define REWARD_BODY_BYTES_MAX     (64 * 1024)
#define REWARD_METADATA_BYTES_MAX (16 * 1024)

static struct loyalty_ctx rctx(struct request *r, const struct writer_tx *tx)
{
    return (struct loyalty_ctx){
        .tx = tx, .zones = r->app->zones, .pid = r->project_id, .a = &r->arena};
}

static void cmd_not_found(struct command *cmd, struct request *r, const char *what, const char *ref)
{
    api_cmd_error(cmd, r, 404, "not_found", "Resource not found", "Cannot find %s with id %.255s",
                  what, ref ? ref : "");
}

/* ---- rendering ---- */

static const cJSON *jget(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* The variants with each option's stock and redeemed count from its stock row. */
static void variants_render(struct jw *w, const cJSON *variants, const struct reward_stock *st,
                            size_t nst)
{
    jw_key(w, "variants");
    if (!cJSON_IsObject(variants)) {
        jw_null(w);
        return;
    }
    jw_obj_open(w);
    jw_key(w, "attribute");
    jw_item(w, jget(variants, "attribute"));
    jw_key(w, "default");
    jw_item(w, jget(variants, "default"));
    jw_key(w, "options");
    jw_arr_open(w);
    const cJSON *opts = jget(variants, "options");
    for (const cJSON *o = cJSON_IsArray(opts) ? opts->child : NULL; o; o = o->next) {
        jw_obj_open(w);
        const cJSON *value = jget(o, "value");
        for (const cJSON *f = o->child; f; f = f->next) {
            if (strcmp(f->string, "stock") == 0)
                continue;
            jw_key(w, f->string);
            jw_item(w, f);
        }
        const struct reward_stock *vs = NULL;
        for (size_t i = 0; i < nst; i++) {
            if (cJSON_IsString(value) && strcmp(st[i].variant, value->valuestring) == 0)
                vs = &st[i];
        }
        jw_key(w, "stock");
        if (vs && vs->limited)
            jw_int(w, vs->stock);
        else
            jw_null(w);
        jw_kv_int(w, "redeemed", vs ? vs->redeemed : 0);
        jw_obj_close(w);
    }
    jw_arr_close(w);
    jw_obj_close(w);
}

/* The reward: its stored definition plus stock and redeemed from the stock rows. */
static void reward_render_fields(struct jw *w, const struct reward *rw,
                                 const struct reward_stock *st, size_t nst)
{
    cJSON *body = cJSON_Parse(rw->body_json ? rw->body_json : "{}");
    const struct reward_stock *whole = NULL;
    for (size_t i = 0; i < nst; i++) {
        if (st[i].variant[0] == '\0')
            whole = &st[i];
    }
    jw_kv_str(w, "id", rw->id);
    jw_kv_str(w, "name", rw->name);
    jw_kv_str(w, "type", rw->type);
    jw_key(w, "parameters");
    jw_item(w, jget(body, "parameters"));
    jw_key(w, "stock");
    if (whole && whole->limited)
        jw_int(w, whole->stock);
    else
        jw_null(w);
    jw_kv_int(w, "redeemed", whole ? whole->redeemed : 0);
    static const char *const passthrough[] = {"attributes",        "metadata", "start_date",
                                              "expiration_date",   "limits",   "conditions",
                                              "validation_rule_id"};
    for (size_t i = 0; i < TREU_ARRAY_LEN(passthrough); i++) {
        jw_key(w, passthrough[i]);
        const cJSON *v = jget(body, passthrough[i]);
        if (v)
            jw_item(w, v);
        else if (strcmp(passthrough[i], "metadata") == 0 ||
                 strcmp(passthrough[i], "attributes") == 0)
            jw_raw(w, "{}");
        else
            jw_null(w);
    }
    variants_render(w, jget(body, "variants"), st, nst);
    jw_kv_bool(w, "active", rw->active);
    jw_kv_time(w, "created_at", rw->created_at);
    jw_kv_time(w, "updated_at", rw->updated_at);
    jw_kv_str(w, "object", "reward");
    cJSON_Delete(body);
}

static void reward_render(struct jw *w, const struct reward *rw, const struct reward_stock *st,
                          size_t nst)
{
    jw_obj_open(w);
    reward_render_fields(w, rw, st, nst);
    jw_obj_close(w);
}

/* Reads the stock rows and renders; returns the store's error. */
static int reward_render_read(struct jw *w, struct store_conn *c, struct request *r,
                              const struct reward *rw)
{
    struct reward_stock *st = NULL;
    size_t nst = 0;
    int rc = store_reward_stock_list(c, r->project_id, rw->id, &r->arena, &st, &nst);
    if (rc == 0)
        reward_render(w, rw, st, nst);
    return rc;
}

static void assignment_render(struct jw *w, const struct reward_assignment *ra)
{
    cJSON *body = ra->body_json ? cJSON_Parse(ra->body_json) : NULL;
    jw_obj_open(w);
    jw_kv_str(w, "id", ra->id);
    jw_kv_str(w, "reward_id", ra->reward_id);
    jw_kv_str(w, "related_object_id", ra->program_id);
    jw_kv_str(w, "related_object_type", "campaign");
    if (ra->has_points) {
        jw_key(w, "parameters");
        jw_obj_open(w);
        jw_key(w, "loyalty");
        jw_obj_open(w);
        jw_kv_int(w, "points", ra->points);
        jw_obj_close(w);
        jw_obj_close(w);
    }
    jw_key(w, "tiers");
    jw_item(w, jget(body, "tiers"));
    jw_key(w, "validation_rules");
    jw_item(w, jget(body, "validation_rules"));
    jw_kv_time(w, "created_at", ra->created_at);
    jw_kv_time(w, "updated_at", ra->updated_at);
    jw_kv_str(w, "object", "reward_assignment");
    jw_obj_close(w);
    cJSON_Delete(body);
}

static void customer_brief(struct jw *w, const struct customer *cu)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", cu->id);
    jw_kv_str(w, "source_id", cu->source_id);
    jw_kv_str(w, "name", cu->name);
    jw_kv_str(w, "email", cu->email);
    jw_kv_raw(w, "metadata", cu->metadata_json ? cu->metadata_json : "{}");
    jw_kv_str(w, "object", "customer");
    jw_obj_close(w);
}

/* ---- rewards: validation ---- */

static const char *const reward_fields[] = {
    "name",       "type",       "parameters",         "stock",
    "attributes", "metadata",   "start_date",         "expiration_date",
    "limits",     "conditions", "validation_rule_id", "variants",
    "active",     NULL};
static const char *const reward_ignored[] = {"id",         "object",   "created_at",
                                             "updated_at", "redeemed", NULL};
static const char *const reward_types[] = {"COIN", "MATERIAL", "CUSTOM", "CAMPAIGN", NULL};

static int bad(struct request *r, const char *key, const char *message, const char *details)
{
    reply_error(r, 400, key, message, "%s", details);
    return -1;
}

static int text_field_or_reply(struct request *r, const cJSON *o, const char *where,
                               const char *name, size_t max, bool required)
{
    const cJSON *v = jget(o, name);
    char d[200];
    if (!v && !required)
        return 0;
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0' || strlen(v->valuestring) > max) {
        snprintf(d, sizeof d, "%s%s%s: %s a non-empty string of at most %zu bytes", where,
                 where[0] ? "." : "", name, v ? "must be" : "required,", max);
        return bad(r, v ? "invalid_param" : "missing_param", "Invalid field", d);
    }
    return 0;
}

static int product_or_reply(struct request *r, const cJSON *p, const char *where)
{
    static const char *const fields[] = {"id", "sku", "sku_id", NULL};
    if (!cJSON_IsObject(p)) {
        char d[160];
        snprintf(d, sizeof d, "%s: must be an object {id, sku}", where);
        return bad(r, "invalid_param", "Invalid product", d);
    }
    if (req_known_fields_or_reply(r, p, fields, NULL, where) < 0 ||
        text_field_or_reply(r, p, where, "id", REWARD_NAME_BYTES_MAX, true) < 0)
        return -1;
    for (int i = 1; i < 3; i++) {
        const cJSON *s = jget(p, fields[i]);
        if (s && !cJSON_IsNull(s) &&
            text_field_or_reply(r, p, where, fields[i], REWARD_NAME_BYTES_MAX, true) < 0)
            return -1;
    }
    return 0;
}

static int parameters_or_reply(struct request *r, const cJSON *def, const char *type)
{
    const cJSON *p = jget(def, "parameters");
    bool has;
    int64_t v;
    if (strcmp(type, "CUSTOM") == 0)
        return !p || cJSON_IsObject(p) ? 0
                                       : bad(r, "invalid_param", "Invalid parameters",
                                             "parameters: must be an object for CUSTOM rewards");
    const char *key = strcmp(type, "COIN") == 0       ? "coin"
                      : strcmp(type, "MATERIAL") == 0 ? "product"
                                                      : "campaign";
    const cJSON *inner = jget(p, key);
    if (!cJSON_IsObject(p) || !cJSON_IsObject(inner) || cJSON_GetArraySize(p) != 1) {
        char d[200];
        snprintf(d, sizeof d, "parameters: a %s reward takes exactly {\"%s\": {…}}", type, key);
        return bad(r, inner ? "invalid_param" : "missing_param", "Invalid parameters", d);
    }
    if (strcmp(key, "coin") == 0) {
        static const char *const f[] = {"exchange_ratio", "points_ratio", NULL};
        if (req_known_fields_or_reply(r, inner, f, NULL, "parameters.coin") < 0 ||
            req_int_field_or_reply(r, inner, "parameters.coin", "exchange_ratio", 1,
                                   REWARDS_RATIO_MAX, &v, &has) < 0)
            return -1;
        if (!has)
            return bad(r, "missing_param", "Invalid parameters",
                       "parameters.coin.exchange_ratio: required, the money (smallest currency "
                       "unit) that points_ratio points are worth");
        return req_int_field_or_reply(r, inner, "parameters.coin", "points_ratio", 1,
                                      REWARDS_RATIO_MAX, &v, &has);
    }
    if (strcmp(key, "product") == 0)
        return product_or_reply(r, inner, "parameters.product");
    static const char *const f[] = {"id", "balance", "type", NULL};
    if (req_known_fields_or_reply(r, inner, f, NULL, "parameters.campaign") < 0 ||
        text_field_or_reply(r, inner, "parameters.campaign", "id", REWARD_NAME_BYTES_MAX, true) <
            0 ||
        req_int_field_or_reply(r, inner, "parameters.campaign", "balance", 0, LOYALTY_POINTS_MAX,
                               &v, &has) < 0)
        return -1;
    return jget(inner, "type")
               ? text_field_or_reply(r, inner, "parameters.campaign", "type", 64, true)
               : 0;
}

static int stock_value_or_reply(struct request *r, const cJSON *o, const char *where)
{
    const cJSON *s = jget(o, "stock");
    int64_t v;
    bool has;
    if (!s || cJSON_IsNull(s))
        return 0;
    return req_int_field_or_reply(r, o, where, "stock", 0, REWARD_STOCK_MAX, &v, &has);
}

static int limits_or_reply(struct request *r, const cJSON *def)
{
    const cJSON *l = jget(def, "limits");
    if (!l || cJSON_IsNull(l))
        return 0;
    static const char *const f[] = {"per_member", NULL};
    static const char *const pf[] = {"count", "period", NULL};
    static const char *const periods[] = {"DAY", "WEEK", "MONTH", "YEAR", NULL};
    const cJSON *pm = jget(l, "per_member");
    int64_t count;
    bool has;
    int idx;
    if (!cJSON_IsObject(l) || req_known_fields_or_reply(r, l, f, NULL, "limits") < 0)
        return r->status ? -1
                         : bad(r, "invalid_param", "Invalid limits",
                               "limits: must be an object {per_member: {count, period}}");
    if (!cJSON_IsObject(pm))
        return bad(r, "invalid_param", "Invalid limits",
                   "limits.per_member: must be an object {count, period}");
    if (req_known_fields_or_reply(r, pm, pf, NULL, "limits.per_member") < 0 ||
        req_int_field_or_reply(r, pm, "limits.per_member", "count", 1, REWARD_LIMIT_COUNT_MAX,
                               &count, &has) < 0)
        return -1;
    if (!has)
        return bad(r, "missing_param", "Invalid limits", "limits.per_member.count: required");
    const cJSON *p = jget(pm, "period");
    return !p || cJSON_IsNull(p)
               ? 0
               : req_enum_field_or_reply(r, pm, "limits.per_member", "period", periods, &idx, &has);
}

static int conditions_or_reply(struct request *r, const cJSON *def)
{
    const cJSON *c = jget(def, "conditions");
    if (!c || cJSON_IsNull(c))
        return 0;
    struct ruleset *rs;
    struct rule_error err;
    int rc = cJSON_IsObject(c) ? rules_compile(c, &r->arena, &rs, &err) : TREU_EINVAL;
    if (rc == TREU_ENOMEM) {
        reply_op_error(r, rc);
        return -1;
    }
    if (rc < 0) {
        reply_error(r, 400, "invalid_param", "Invalid conditions", "conditions%s%s: %s",
                    cJSON_IsObject(c) ? "." : "", cJSON_IsObject(c) ? err.where : "",
                    cJSON_IsObject(c) ? err.message
                                      : "must be a rule set {\"1\": {name, conditions}, logic}");
        return -1;
    }
    return 0;
}

static int variant_option_or_reply(struct request *r, const cJSON *o, size_t i)
{
    static const char *const f[] = {"value", "name", "product", "stock", "metadata", NULL};
    char where[64];
    snprintf(where, sizeof where, "variants.options[%zu]", i);
    if (!cJSON_IsObject(o))
        return bad(r, "invalid_param", "Invalid variants",
                   "variants.options: each option is an object {value, name, product, stock}");
    if (req_known_fields_or_reply(r, o, f, NULL, where) < 0 ||
        text_field_or_reply(r, o, where, "value", REWARDS_VARIANT_BYTES_MAX, true) < 0 ||
        text_field_or_reply(r, o, where, "name", REWARD_NAME_BYTES_MAX, false) < 0 ||
        stock_value_or_reply(r, o, where) < 0)
        return -1;
    const cJSON *p = jget(o, "product");
    char pw[80];
    snprintf(pw, sizeof pw, "%s.product", where);
    if (p && product_or_reply(r, p, pw) < 0)
        return -1;
    const cJSON *md = jget(o, "metadata");
    return !md || cJSON_IsObject(md) ? 0
                                     : bad(r, "invalid_param", "Invalid variants",
                                           "variants.options[].metadata: must be an object");
}

static int variants_or_reply(struct request *r, const cJSON *def, const char *type)
{
    const cJSON *v = jget(def, "variants");
    if (!v || cJSON_IsNull(v))
        return 0;
    static const char *const f[] = {"attribute", "options", "default", NULL};
    if (strcmp(type, "COIN") == 0)
        return bad(r, "invalid_param", "Invalid variants",
                   "variants: COIN rewards pay with points and have no variants");
    if (!cJSON_IsObject(v) || req_known_fields_or_reply(r, v, f, NULL, "variants") < 0)
        return r->status ? -1
                         : bad(r, "invalid_param", "Invalid variants",
                               "variants: must be an object {attribute, options, default}");
    if (text_field_or_reply(r, v, "variants", "attribute", RULES_FIELD_BYTES_MAX, true) < 0)
        return -1;
    const cJSON *opts = jget(v, "options");
    int n = cJSON_IsArray(opts) ? cJSON_GetArraySize(opts) : 0;
    if (n < 1 || n > REWARDS_VARIANTS_MAX)
        return bad(r, "invalid_param", "Invalid variants",
                   "variants.options: an array of 1 to 50 options");
    size_t i = 0;
    for (const cJSON *o = opts->child; o; o = o->next, i++) {
        if (variant_option_or_reply(r, o, i) < 0)
            return -1;
        for (const cJSON *p = opts->child; p != o; p = p->next) {
            if (strcmp(jget(p, "value")->valuestring, jget(o, "value")->valuestring) == 0)
                return bad(r, "invalid_param", "Invalid variants",
                           "variants.options: two options have the same value");
        }
    }
    const cJSON *d = jget(v, "default");
    if (!d || cJSON_IsNull(d))
        return 0;
    for (const cJSON *o = opts->child; cJSON_IsString(d) && o; o = o->next) {
        if (strcmp(jget(o, "value")->valuestring, d->valuestring) == 0)
            return 0;
    }
    return bad(r, "invalid_param", "Invalid variants",
               "variants.default: must be the value of one of the options");
}

static int window_or_reply(struct request *r, const cJSON *def)
{
    int64_t start = 0, end = 0;
    bool hs, he;
    if (req_time_field_or_reply(r, def, "", "start_date", &start, &hs) < 0 ||
        req_time_field_or_reply(r, def, "", "expiration_date", &end, &he) < 0)
        return -1;
    if (start && end && end <= start)
        return bad(r, "invalid_param", "Invalid dates",
                   "expiration_date: must be after start_date");
    return 0;
}

static int attributes_or_reply(struct request *r, const cJSON *def)
{
    static const char *const f[] = {"image_url", "description", NULL};
    const cJSON *a = jget(def, "attributes");
    if (!a || cJSON_IsNull(a))
        return 0;
    if (!cJSON_IsObject(a))
        return bad(r, "invalid_param", "Invalid attributes",
                   "attributes: must be an object {image_url, description}");
    if (req_known_fields_or_reply(r, a, f, NULL, "attributes") < 0)
        return -1;
    for (int i = 0; f[i]; i++) {
        const cJSON *s = jget(a, f[i]);
        if (s && !cJSON_IsNull(s) &&
            text_field_or_reply(r, a, "attributes", f[i], REWARD_TEXT_BYTES_MAX, true) < 0)
            return -1;
    }
    return 0;
}

/* Validates a whole reward definition (a create, or a stored one with an update laid
 * over it). *type_out is the reward's type. */
static int reward_def_or_reply(struct request *r, cJSON *def, const char **type_out)
{
    int idx = -1;
    bool has, b;
    const cJSON *md = jget(def, "metadata"), *vid = jget(def, "validation_rule_id");
    if (req_known_fields_or_reply(r, def, reward_fields, reward_ignored, "") < 0 ||
        text_field_or_reply(r, def, "", "name", REWARD_NAME_BYTES_MAX, true) < 0 ||
        req_enum_field_or_reply(r, def, "", "type", reward_types, &idx, &has) < 0 ||
        req_bool_field_or_reply(r, def, "", "active", &b, &has) < 0)
        return -1;
    if (idx < 0) {
        const cJSON *p = jget(def, "parameters");
        idx = jget(p, "coin") ? 0 : jget(p, "product") ? 1 : jget(p, "campaign") ? 3 : -1;
        if (idx < 0)
            return bad(r, "missing_param", "Invalid type",
                       "type: required, one of COIN, MATERIAL, CUSTOM, CAMPAIGN");
        cJSON_AddStringToObject(def, "type", reward_types[idx]);
    }
    *type_out = reward_types[idx];
    if (parameters_or_reply(r, def, *type_out) < 0 || stock_value_or_reply(r, def, "") < 0 ||
        attributes_or_reply(r, def) < 0 || window_or_reply(r, def) < 0 ||
        limits_or_reply(r, def) < 0 || conditions_or_reply(r, def) < 0 ||
        variants_or_reply(r, def, *type_out) < 0)
        return -1;
    if (md && !cJSON_IsNull(md) && !cJSON_IsObject(md))
        return bad(r, "invalid_param", "Invalid metadata", "metadata: must be an object");
    if (vid && !cJSON_IsNull(vid) &&
        text_field_or_reply(r, def, "", "validation_rule_id", REWARD_NAME_BYTES_MAX, true) < 0)
        return -1;
    return 0;
}

/* ---- rewards: commands ---- */

struct reward_cmd {
    struct request *r;
    const char *ref;
    struct reward rw;
    const cJSON *def;
    bool create;
};

/* Writes the stock rows the definition names (the whole and each variant). */
static int reward_write_stock(struct command *cmd, struct reward_cmd *rc_,
                              const struct writer_tx *tx)
{
    struct request *r = rc_->r;
    const cJSON *variants = jget(jget(rc_->def, "variants"), "options");
    const cJSON *whole = jget(rc_->def, "stock");
    int rc = store_reward_stock_set(tx->conn, r->project_id, rc_->rw.id, "", cJSON_IsNumber(whole),
                                    cJSON_IsNumber(whole) ? (int64_t)whole->valuedouble : 0);
    for (const cJSON *o = variants ? variants->child : NULL; rc == 0 && o; o = o->next) {
        const cJSON *s = jget(o, "stock");
        rc = store_reward_stock_set(tx->conn, r->project_id, rc_->rw.id,
                                    jget(o, "value")->valuestring, cJSON_IsNumber(s),
                                    cJSON_IsNumber(s) ? (int64_t)s->valuedouble : 0);
    }
    if (rc == TREU_ECONFLICT) {
        api_cmd_error(cmd, r, 400, "invalid_stock", "Invalid stock", "%s",
                      "stock: cannot be set below what was already redeemed");
        return 0;
    }
    return rc;
}

static int rewards_apply_save(struct command *cmd, const struct writer_tx *tx)
{
    struct reward_cmd *rc_ = cmd->input;
    struct request *r = rc_->r;
    int rc;
    if (rc_->create) {
        ids_make(tx->rng, "rew_", rc_->rw.id);
        rc_->rw.created_at = rc_->rw.updated_at = tx->now_us;
        rc = store_reward_insert(tx->conn, r->project_id, &rc_->rw);
    } else {
        struct reward cur;
        rc = store_reward_get(tx->conn, r->project_id, rc_->ref, &r->arena, &cur);
        if (rc == 0) {
            rc_->rw.created_at = cur.created_at;
            rc_->rw.updated_at = tx->now_us;
            rc = store_reward_update(tx->conn, r->project_id, &rc_->rw);
        }
    }
    if (rc == TREU_ENOTFOUND) {
        cmd_not_found(cmd, r, "reward", rc_->ref);
        return 0;
    }
    if (rc == 0)
        rc = reward_write_stock(cmd, rc_, tx);
    if (rc < 0 || cmd->status)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    rc = reward_render_read(&w, tx->conn, r, &rc_->rw);
    cmd->status = rc_->create ? 201 : 200;
    return rc;
}

static int rewards_apply_delete(struct command *cmd, const struct writer_tx *tx)
{
    struct reward_cmd *rc_ = cmd->input;
    int rc = store_reward_delete(tx->conn, rc_->r->project_id, rc_->ref);
    if (rc == TREU_ENOTFOUND) {
        cmd_not_found(cmd, rc_->r, "reward", rc_->ref);
        return 0;
    }
    cmd->status = 204;
    return rc;
}

static struct reward_cmd *reward_cmd_new(struct request *r)
{
    struct reward_cmd *rc_ = arena_zalloc(&r->arena, sizeof *rc_);
    if (!rc_)
        reply_op_error(r, TREU_ENOMEM);
    else
        rc_->r = r;
    return rc_;
}

/* Canonical text of a validated definition into the command. */
static int reward_def_take(struct request *r, struct reward_cmd *rc_, cJSON *def, const char *type)
{
    const cJSON *active = jget(def, "active");
    rc_->rw.name = jget(def, "name")->valuestring;
    rc_->rw.type = type;
    rc_->rw.active = !cJSON_IsFalse(active);
    rc_->rw.body_json = req_json_text(r, def);
    rc_->def = def;
    if (!rc_->rw.body_json) {
        reply_op_error(r, TREU_ENOMEM);
        return -1;
    }
    if (strlen(rc_->rw.body_json) > REWARD_BODY_BYTES_MAX) {
        reply_error(r, 413, "too_large", "Reward too large",
                    "the reward's definition exceeds %d bytes", REWARD_BODY_BYTES_MAX);
        return -1;
    }
    const cJSON *md = jget(def, "metadata");
    if (md && strlen(req_json_text(r, md) ? req_json_text(r, md) : "") > REWARD_METADATA_BYTES_MAX)
        return bad(r, "invalid_param", "Invalid metadata", "metadata: at most 16384 bytes");
    return 0;
}

void api_rewards_create(struct request *r)
{
    struct reward_cmd *rc_ = reward_cmd_new(r);
    cJSON *body;
    const char *type;
    if (!rc_ || req_json_object_or_reply(r, &body) < 0 || reward_def_or_reply(r, body, &type) < 0)
        return;
    for (const char *const *f = reward_ignored; *f; f++)
        cJSON_DeleteItemFromObjectCaseSensitive(body, *f);
    if (reward_def_take(r, rc_, body, type) < 0)
        return;
    rc_->create = true;
    r->cmd.apply = rewards_apply_save;
    r->cmd.input = rc_;
    api_submit(r);
}

/* PUT: the stored definition with the request's fields laid over it. */
void api_rewards_update(struct request *r)
{
    struct reward_cmd *rc_ = reward_cmd_new(r);
    cJSON *body;
    if (!rc_ || req_json_object_or_reply(r, &body) < 0)
        return;
    struct reward cur;
    struct store_conn *c = req_reader(r);
    int rc = store_reward_get(c, r->project_id, r->params[0], &r->arena, &cur);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "reward", r->params[0]);
        return;
    }
    cJSON *def = cJSON_Parse(cur.body_json);
    if (!def) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    cJSON_AddItemToObject(body, "_stored", def); /* freed with the request's body */
    const cJSON *type = jget(body, "type");
    if (type && !(cJSON_IsString(type) && strcmp(type->valuestring, cur.type) == 0)) {
        reply_error(r, 400, "invalid_param", "Invalid type",
                    "type: a reward's type cannot change (it is %s)", cur.type);
        return;
    }
    for (const cJSON *f = body->child; f; f = f->next) {
        if (strcmp(f->string, "_stored") == 0 || strcmp(f->string, "id") == 0)
            continue;
        cJSON *copy = cJSON_Duplicate(f, true);
        if (!copy || !cJSON_ReplaceItemInObjectCaseSensitive(def, f->string, copy)) {
            if (copy && !cJSON_AddItemToObject(def, f->string, copy))
                cJSON_Delete(copy);
        }
    }
    const char *t;
    if (reward_def_or_reply(r, def, &t) < 0)
        return;
    for (const char *const *f = reward_ignored; *f; f++)
        cJSON_DeleteItemFromObjectCaseSensitive(def, *f);
    if (reward_def_take(r, rc_, def, t) < 0)
        return;
    snprintf(rc_->rw.id, sizeof rc_->rw.id, "%s", cur.id);
    rc_->ref = r->params[0];
    r->cmd.apply = rewards_apply_save;
    r->cmd.input = rc_;
    api_submit(r);
}

void api_rewards_delete(struct request *r)
{
    struct reward_cmd *rc_ = reward_cmd_new(r);
    if (!rc_)
        return;
    rc_->ref = r->params[0];
    r->cmd.apply = rewards_apply_delete;
    r->cmd.input = rc_;
    api_submit(r);
}

void api_rewards_get(struct request *r)
{
    struct reward rw;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_reward_get(c, r->project_id, r->params[0], &r->arena, &rw);
        struct jw w;
        jw_init(&w, &r->out);
        if (rc == 0)
            rc = reward_render_read(&w, c, r, &rw);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0)
        reply_read_error(r, rc, "reward", r->params[0]);
    else
        reply_json(r, 200);
}

void api_rewards_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct reward *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_reward_list(c, r->project_id, &pg, &r->arena, &rows, &n, &total);
        struct jw w;
        jw_init(&w, &r->out);
        api_list_open(&w, "data");
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = reward_render_read(&w, c, r, &rows[i]);
        api_list_close(&w, total, pg.offset + (int64_t)n < total);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0)
        reply_op_error(r, rc);
    else
        reply_json(r, 200);
}

/* ---- assignments ---- */

enum assign_op { ASSIGN_CREATE, ASSIGN_UPDATE, ASSIGN_DELETE };

struct assign_cmd {
    struct request *r;
    enum assign_op op;
    const char *reward_ref;  /* /v1/rewards/{rewardId}/… or the body's "reward" */
    const char *program_ref; /* /v1/loyalties/{campaignId}/… or the body's "campaign" */
    const char *id;          /* the assignment, for update and delete */
    bool has_points;
    int64_t points;
    const cJSON *tiers, *vrules;
};

/* Points, tiers and validation rules of an assignment body. */
static int assign_body_or_reply(struct request *r, const cJSON *body, struct assign_cmd *ac)
{
    static const char *const pf[] = {"loyalty", NULL};
    static const char *const lf[] = {"points", NULL};
    const cJSON *params = jget(body, "parameters");
    if (params && !cJSON_IsNull(params)) {
        const cJSON *loy = jget(params, "loyalty");
        if (!cJSON_IsObject(params) ||
            req_known_fields_or_reply(r, params, pf, NULL, "parameters") < 0)
            return r->status ? -1
                             : bad(r, "invalid_param", "Invalid parameters",
                                   "parameters: must be {loyalty: {points}}");
        if (loy && (!cJSON_IsObject(loy) ||
                    req_known_fields_or_reply(r, loy, lf, NULL, "parameters.loyalty") < 0))
            return r->status ? -1
                             : bad(r, "invalid_param", "Invalid parameters",
                                   "parameters.loyalty: must be {points}");
        if (req_int_field_or_reply(r, loy, "parameters.loyalty", "points", 1, LOYALTY_POINTS_MAX,
                                   &ac->points, &ac->has_points) < 0)
            return -1;
    }
    const struct {
        const char *name;
        int max;
        const cJSON **out;
    } lists[] = {{"tiers", REWARD_TIERS_MAX, &ac->tiers},
                 {"validation_rules", REWARD_VRULES_MAX, &ac->vrules}};
    for (size_t i = 0; i < TREU_ARRAY_LEN(lists); i++) {
        const cJSON *v = jget(body, lists[i].name);
        if (!v || cJSON_IsNull(v))
            continue;
        bool okay = cJSON_IsArray(v) && cJSON_GetArraySize(v) <= lists[i].max;
        for (const cJSON *e = okay ? v->child : NULL; e; e = e->next)
            okay &= cJSON_IsString(e) && strlen(e->valuestring) < IDS_MAX_LEN;
        if (!okay) {
            reply_error(r, 400, "invalid_param", "Invalid field", "%s: an array of at most %d ids",
                        lists[i].name, lists[i].max);
            return -1;
        }
        *lists[i].out = v;
    }
    return 0;
}

/* The ids in `list` must name rows that exist (tiers of the program, validation rules). */
static int assign_refs_check(struct command *cmd, struct assign_cmd *ac, const struct writer_tx *tx,
                             const char *program_id)
{
    struct request *r = ac->r;
    int rc = 0;
    for (const cJSON *t = ac->tiers ? ac->tiers->child : NULL; rc == 0 && t; t = t->next) {
        struct tier tr;
        rc = store_tier_get(tx->conn, r->project_id, program_id, t->valuestring, &r->arena, &tr);
        if (rc == TREU_ENOTFOUND) {
            cmd_not_found(cmd, r, "tier", t->valuestring);
            return 0;
        }
    }
    for (const cJSON *v = ac->vrules ? ac->vrules->child : NULL; rc == 0 && v; v = v->next) {
        struct validation_rule vr;
        rc = store_vrule_get(tx->conn, r->project_id, v->valuestring, &r->arena, &vr);
        if (rc == TREU_ENOTFOUND) {
            cmd_not_found(cmd, r, "validation rule", v->valuestring);
            return 0;
        }
    }
    return rc;
}

static const char *assign_body_text(struct request *r, const struct assign_cmd *ac)
{
    if (!ac->tiers && !ac->vrules)
        return NULL;
    struct buf b;
    struct jw w;
    buf_init(&b, 8192);
    jw_init(&w, &b);
    jw_obj_open(&w);
    if (ac->tiers) {
        jw_key(&w, "tiers");
        jw_item(&w, ac->tiers);
    }
    if (ac->vrules) {
        jw_key(&w, "validation_rules");
        jw_item(&w, ac->vrules);
    }
    jw_obj_close(&w);
    const char *s = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    return s;
}

/* Points are the cost of every type but COIN, which converts at its exchange ratio. */
static bool assign_points_fit(struct command *cmd, struct request *r, const struct reward *rw,
                              bool has_points)
{
    bool coin = strcmp(rw->type, "COIN") == 0;
    if (coin == has_points) {
        api_cmd_error(cmd, r, 400, coin ? "invalid_param" : "missing_param", "Invalid parameters",
                      "%s",
                      coin ? "parameters.loyalty.points: a COIN reward converts points at its "
                             "exchange ratio; send no points"
                           : "parameters.loyalty.points: required, the reward's cost in points");
        return false;
    }
    return true;
}

static int assign_apply_create(struct command *cmd, struct assign_cmd *ac,
                               const struct writer_tx *tx, const struct reward *rw,
                               const struct program *p)
{
    struct request *r = ac->r;
    struct reward_assignment ra = {.has_points = ac->has_points, .points = ac->points};
    if (!assign_points_fit(cmd, r, rw, ac->has_points))
        return 0;
    int rc = assign_refs_check(cmd, ac, tx, p->id);
    if (rc < 0 || cmd->status)
        return rc;
    ids_make(tx->rng, "rewa_", ra.id);
    memcpy(ra.reward_id, rw->id, sizeof ra.reward_id);
    memcpy(ra.program_id, p->id, sizeof ra.program_id);
    ra.body_json = assign_body_text(r, ac);
    ra.created_at = ra.updated_at = tx->now_us;
    rc = store_assignment_insert(tx->conn, r->project_id, &ra);
    if (rc == TREU_ECONFLICT) {
        api_cmd_error(cmd, r, 409, "duplicate_found", "Duplicate found", "%s",
                      "reward: already assigned to this program; update that assignment instead");
        return 0;
    }
    struct jw w;
    jw_init(&w, &cmd->body);
    assignment_render(&w, &ra);
    cmd->status = 201;
    return rc;
}

static int assign_apply_change(struct command *cmd, struct assign_cmd *ac,
                               const struct writer_tx *tx, struct reward_assignment *ra,
                               const struct reward *rw)
{
    struct request *r = ac->r;
    if (ac->op == ASSIGN_DELETE) {
        cmd->status = 204;
        return store_assignment_delete(tx->conn, r->project_id, ra->id);
    }
    if (ac->has_points && !assign_points_fit(cmd, r, rw, true))
        return 0;
    int rc = assign_refs_check(cmd, ac, tx, ra->program_id);
    if (rc < 0 || cmd->status)
        return rc;
    if (ac->has_points)
        ra->points = ac->points;
    if (ac->tiers || ac->vrules) {
        cJSON *old = ra->body_json ? cJSON_Parse(ra->body_json) : NULL;
        struct assign_cmd merged = *ac;
        merged.tiers = ac->tiers ? ac->tiers : jget(old, "tiers");
        merged.vrules = ac->vrules ? ac->vrules : jget(old, "validation_rules");
        ra->body_json = assign_body_text(r, &merged);
        cJSON_Delete(old);
    }
    ra->updated_at = tx->now_us;
    rc = store_assignment_update(tx->conn, r->project_id, ra);
    struct jw w;
    jw_init(&w, &cmd->body);
    assignment_render(&w, ra);
    cmd->status = 200;
    return rc;
}

static int assign_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct assign_cmd *ac = cmd->input;
    struct request *r = ac->r;
    struct reward_assignment ra;
    struct reward rw;
    struct program p;
    int rc = 0;
    if (ac->op != ASSIGN_CREATE) {
        rc = store_assignment_get(tx->conn, r->project_id, ac->id, &r->arena, &ra);
        bool mine = rc == 0 && (!ac->reward_ref || strcmp(ra.reward_id, ac->reward_ref) == 0);
        if (rc == 0 && mine && ac->program_ref) {
            rc = store_program_get(tx->conn, r->project_id, ac->program_ref, &r->arena, &p);
            mine = rc == 0 && strcmp(p.id, ra.program_id) == 0;
        }
        if (rc == TREU_ENOTFOUND || (rc == 0 && !mine)) {
            cmd_not_found(cmd, r, "reward assignment", ac->id);
            return 0;
        }
        if (rc == 0)
            rc = store_reward_get(tx->conn, r->project_id, ra.reward_id, &r->arena, &rw);
        return rc == 0 ? assign_apply_change(cmd, ac, tx, &ra, &rw) : rc;
    }
    rc = store_reward_get(tx->conn, r->project_id, ac->reward_ref, &r->arena, &rw);
    if (rc == TREU_ENOTFOUND) {
        cmd_not_found(cmd, r, "reward", ac->reward_ref);
        return 0;
    }
    if (rc == 0)
        rc = store_program_get(tx->conn, r->project_id, ac->program_ref, &r->arena, &p);
    if (rc == TREU_ENOTFOUND) {
        cmd_not_found(cmd, r, "campaign", ac->program_ref);
        return 0;
    }
    return rc == 0 ? assign_apply_create(cmd, ac, tx, &rw, &p) : rc;
}

/* `by_program`: the path is /v1/loyalties/{campaignId}/rewards[/{assignmentId}]. */
/* The body of an assignment request. Voucherify's POST /v1/loyalties/{id}/rewards takes an
 * array (its SDKs send `[{reward, parameters}]`) and answers the assignment: `one_array`
 * accepts that array with one item as well as the object. -1 after replying 400. */
static int assign_body_parse_or_reply(struct request *r, bool one_array, cJSON **body)
{
    if (!one_array)
        return req_json_object_or_reply(r, body);
    size_t n;
    if (req_json_items_or_reply(r, true, 1, "reward assignments", body, &n) < 0)
        return -1;
    if (!cJSON_IsObject(*body)) {
        reply_error(r, 400, "invalid_param", "Invalid reward assignment",
                    "each reward assignment must be an object");
        return -1;
    }
    return 0;
}

static void assign_submit(struct request *r, enum assign_op op, bool by_program)
{
    static const char *const create_p[] = {"reward", "parameters", "tiers", "validation_rules",
                                           NULL};
    static const char *const create_r[] = {"campaign", "parameters", "tiers", "validation_rules",
                                           NULL};
    static const char *const update_f[] = {"parameters", "tiers", "validation_rules", NULL};
    static const char *const ignored[] = {
        "id",         "object",     "reward_id", "related_object_id", "related_object_type",
        "created_at", "updated_at", NULL};
    struct assign_cmd *ac = arena_zalloc(&r->arena, sizeof *ac);
    if (!ac) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    ac->r = r;
    ac->op = op;
    if (by_program)
        ac->program_ref = r->params[0];
    else
        ac->reward_ref = r->params[0];
    ac->id = r->nparams > 1 ? r->params[1] : NULL;
    if (op != ASSIGN_DELETE) {
        cJSON *body;
        const char *const *allowed = op == ASSIGN_UPDATE ? update_f
                                     : by_program        ? create_p
                                                         : create_r;
        if (assign_body_parse_or_reply(r, op == ASSIGN_CREATE && by_program, &body) < 0 ||
            req_known_fields_or_reply(r, body, allowed, ignored, "") < 0 ||
            assign_body_or_reply(r, body, ac) < 0)
            return;
        const char *other = by_program ? "reward" : "campaign";
        if (op == ASSIGN_CREATE) {
            if (text_field_or_reply(r, body, "", other, REWARD_NAME_BYTES_MAX, true) < 0)
                return;
            const char *v = jget(body, other)->valuestring;
            if (by_program)
                ac->reward_ref = v;
            else
                ac->program_ref = v;
        }
    }
    r->cmd.apply = assign_apply;
    r->cmd.input = ac;
    api_submit(r);
}

void api_reward_assignments_create(struct request *r)
{
    assign_submit(r, ASSIGN_CREATE, false);
}
void api_reward_assignments_update(struct request *r)
{
    assign_submit(r, ASSIGN_UPDATE, false);
}
void api_reward_assignments_delete(struct request *r)
{
    assign_submit(r, ASSIGN_DELETE, false);
}
void api_program_rewards_create(struct request *r)
{
    assign_submit(r, ASSIGN_CREATE, true);
}
void api_program_rewards_update(struct request *r)
{
    assign_submit(r, ASSIGN_UPDATE, true);
}
void api_program_rewards_delete(struct request *r)
{
    assign_submit(r, ASSIGN_DELETE, true);
}

/* Reads one assignment of the path; `by_program`: params[0] is a program ref. -1 after
 * replying. With `reward_out`, also its reward. */
static int assignment_read(struct request *r, struct store_conn *c, bool by_program,
                           struct reward_assignment *ra, struct reward *reward_out)
{
    int rc = store_assignment_get(c, r->project_id, r->params[1], &r->arena, ra);
    if (rc == 0 && by_program) {
        struct program p;
        rc = store_program_get(c, r->project_id, r->params[0], &r->arena, &p);
        if (rc == 0 && strcmp(p.id, ra->program_id) != 0)
            rc = TREU_ENOTFOUND;
    } else if (rc == 0 && strcmp(ra->reward_id, r->params[0]) != 0) {
        rc = TREU_ENOTFOUND;
    }
    if (rc == 0 && reward_out)
        rc = store_reward_get(c, r->project_id, ra->reward_id, &r->arena, reward_out);
    if (rc < 0) {
        reply_read_error(r, rc, "reward assignment", r->params[1]);
        return -1;
    }
    return 0;
}

static void assignment_get(struct request *r, bool by_program)
{
    struct reward_assignment ra;
    struct store_conn *c = req_reader(r);
    int rc = assignment_read(r, c, by_program, &ra, NULL);
    req_reader_release(r, c);
    if (rc < 0)
        return;
    struct jw w;
    jw_init(&w, &r->out);
    assignment_render(&w, &ra);
    reply_json(r, 200);
}

void api_reward_assignments_get(struct request *r)
{
    assignment_get(r, false);
}
void api_program_rewards_get(struct request *r)
{
    assignment_get(r, true);
}

/* GET /v1/loyalties/{campaignId}/reward-assignments/{assignmentId}/reward */
void api_program_reward_details(struct request *r)
{
    struct reward_assignment ra;
    struct reward rw;
    struct store_conn *c = req_reader(r);
    int rc = assignment_read(r, c, true, &ra, &rw);
    if (rc == 0) {
        struct jw w;
        jw_init(&w, &r->out);
        rc = reward_render_read(&w, c, r, &rw);
        if (rc < 0)
            reply_op_error(r, rc);
    }
    req_reader_release(r, c);
    if (rc == 0)
        reply_json(r, 200);
}

static void assignments_list(struct request *r, bool by_program)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct reward_assignment *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        struct program p;
        struct reward rw;
        rc = by_program ? store_program_get(c, r->project_id, r->params[0], &r->arena, &p)
                        : store_reward_get(c, r->project_id, r->params[0], &r->arena, &rw);
        if (rc == 0)
            rc = store_assignment_list(c, r->project_id, by_program ? NULL : rw.id,
                                       by_program ? p.id : NULL, &pg, &r->arena, &rows, &n, &total);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, by_program ? "campaign" : "reward", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "data");
    for (size_t i = 0; i < n; i++)
        assignment_render(&w, &rows[i]);
    api_list_close(&w, total, pg.offset + (int64_t)n < total);
    reply_json(r, 200);
}

void api_reward_assignments_list(struct request *r)
{
    assignments_list(r, false);
}
void api_program_rewards_list(struct request *r)
{
    assignments_list(r, true);
}

/* ---- a program's rewards per tier ---- */

/* Every assignment of a program (at most REWARDS_PROGRAM_REWARDS_MAX). */
static int program_assignments(struct store_conn *c, struct request *r, const char *program_id,
                               struct reward_assignment **rows, size_t *n)
{
    struct page all = {.limit = REWARDS_PROGRAM_REWARDS_MAX};
    return store_assignment_list(c, r->project_id, NULL, program_id, &all, &r->arena, rows, n,
                                 NULL);
}

static bool assignment_for_tier(const struct reward_assignment *ra, const char *tier_id)
{
    cJSON *body = ra->body_json ? cJSON_Parse(ra->body_json) : NULL;
    const cJSON *tiers = jget(body, "tiers");
    bool hit = !cJSON_IsArray(tiers) || cJSON_GetArraySize(tiers) == 0;
    for (const cJSON *t = hit ? NULL : tiers->child; t; t = t->next)
        hit |= cJSON_IsString(t) && strcmp(t->valuestring, tier_id) == 0;
    cJSON_Delete(body);
    return hit;
}

/* GET /v1/loyalties/{campaignId}/tiers/{tierId}/rewards: the assignments open to the tier
 * (those without a tiers restriction, and those naming it). */
void api_tier_rewards_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct program p;
    struct tier t;
    struct reward_assignment *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    const char *what = "campaign", *ref = r->params[0];
    if (rc == 0) {
        rc = store_program_get(c, r->project_id, r->params[0], &r->arena, &p);
        if (rc == 0) {
            what = "tier";
            ref = r->params[1];
            rc = store_tier_get(c, r->project_id, p.id, r->params[1], &r->arena, &t);
        }
        if (rc == 0)
            rc = program_assignments(c, r, p.id, &rows, &n);
        struct jw w;
        jw_init(&w, &r->out);
        api_list_open(&w, "data");
        for (size_t i = 0; rc == 0 && i < n; i++) {
            struct reward rw;
            if (!assignment_for_tier(&rows[i], t.id))
                continue;
            if (total++ < pg.offset || total > pg.offset + pg.limit)
                continue;
            rc = store_reward_get(c, r->project_id, rows[i].reward_id, &r->arena, &rw);
            jw_obj_open(&w);
            jw_key(&w, "reward");
            if (rc == 0)
                rc = reward_render_read(&w, c, r, &rw);
            jw_key(&w, "assignment");
            assignment_render(&w, &rows[i]);
            jw_kv_str(&w, "object", "loyalty_tier_reward");
            jw_obj_close(&w);
        }
        api_list_close(&w, total, pg.offset + pg.limit < total);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0)
        reply_read_error(r, rc, what, ref);
    else
        reply_json(r, 200);
}

/* ---- what a member may redeem ---- */

struct member_read {
    struct member m;
    struct program p;
    struct customer cu;
    struct tier *tiers;
    size_t ntiers;
    struct member_view v;
};

/* The member of the path (checked against the program when one is named), settled to now
 * in memory. -1 after replying. */
static int member_read_or_reply(struct request *r, struct store_conn *c, struct member_read *mr)
{
    const char *program_ref = r->nparams >= 2 ? r->params[0] : NULL;
    const char *member_ref = r->params[r->nparams - 1];
    struct lot *lots;
    size_t nl;
    int rc = store_member_get(c, r->project_id, member_ref, &r->arena, &mr->m);
    if (rc == 0)
        rc = store_program_get(c, r->project_id, mr->m.program_id, &r->arena, &mr->p);
    if (rc == 0 && program_ref && strcmp(mr->p.id, program_ref) != 0 &&
        strcmp(mr->p.name, program_ref) != 0)
        rc = TREU_ENOTFOUND;
    if (rc == TREU_ENOTFOUND) {
        reply_read_error(r, rc, "loyalty card", member_ref);
        return -1;
    }
    if (rc == 0)
        rc = loyalty_view(c, r->project_id, &mr->m, clock_now_us(r->app->clock), &r->arena, &mr->v,
                          &lots, &nl);
    if (rc == 0)
        rc = store_tier_list(c, r->project_id, mr->p.id, &r->arena, &mr->tiers, &mr->ntiers);
    if (rc == 0)
        rc = store_customer_get(c, r->project_id, mr->m.customer_id, &r->arena, &mr->cu);
    if (rc < 0) {
        reply_op_error(r, rc);
        return -1;
    }
    return 0;
}

static void member_reward_render(struct jw *w, struct store_conn *c, struct request *r,
                                 const struct reward *rw, const struct reward_assignment *ra,
                                 const struct reward_check *ck, int *rc)
{
    jw_obj_open(w);
    jw_key(w, "reward");
    *rc = reward_render_read(w, c, r, rw);
    jw_key(w, "assignment");
    assignment_render(w, ra);
    jw_kv_raw(w, "variant", ck->variant_json);
    jw_key(w, "points");
    if (ra->has_points)
        jw_int(w, ra->points);
    else
        jw_null(w);
    jw_key(w, "stock_left");
    if (ck->stock_left >= 0)
        jw_int(w, ck->stock_left);
    else
        jw_null(w);
    jw_kv_str(w, "object", "loyalty_reward");
    jw_obj_close(w);
}

/* GET /v1/loyalties/[{campaignId}/]members/{memberId}/rewards[?affordable_only=true]: the
 * program's rewards this member is eligible for now (availability, conditions, tiers,
 * variant, limits, stock), and with affordable_only those the balance covers. */
void api_member_rewards_list(struct request *r)
{
    struct page pg;
    const char *aff = r->io->query(r, "affordable_only");
    if (req_page_or_reply(r, &pg) < 0)
        return;
    if (aff && strcmp(aff, "true") != 0 && strcmp(aff, "false") != 0) {
        reply_error(r, 400, "invalid_param", "Invalid query", "affordable_only: true or false");
        return;
    }
    bool affordable = aff && strcmp(aff, "true") == 0;
    struct member_read mr;
    struct reward_assignment *rows = NULL;
    size_t n = 0;
    int64_t total = 0, now = clock_now_us(r->app->clock);
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc < 0) {
        req_reader_release(r, c);
        reply_op_error(r, rc);
        return;
    }
    if (member_read_or_reply(r, c, &mr) < 0) {
        store_read_end(c);
        req_reader_release(r, c);
        return;
    }
    rc = program_assignments(c, r, mr.p.id, &rows, &n);
    struct reward_subject s = {.customer = &mr.cu,
                               .m = &mr.m,
                               .balance = mr.v.balance,
                               .tiers = mr.tiers,
                               .ntiers = mr.ntiers,
                               .p = &mr.p};
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "data");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct reward rw;
        struct reward_check ck;
        rc = store_reward_get(c, r->project_id, rows[i].reward_id, &r->arena, &rw);
        if (rc == 0)
            rc = rewards_check(c, r->project_id, r->app->zones, &r->arena, now, &rw, &rows[i], &s,
                               affordable, &ck);
        if (rc < 0 || ck.result != REWARDS_OK)
            continue;
        if (total++ >= pg.offset && total <= pg.offset + pg.limit)
            member_reward_render(&w, c, r, &rw, &rows[i], &ck, &rc);
    }
    api_list_close(&w, total, pg.offset + pg.limit < total);
    store_read_end(c);
    req_reader_release(r, c);
    if (rc < 0)
        reply_op_error(r, rc);
    else
        reply_json(r, 200);
}

/* ---- redeeming, fulfilment, rollback ---- */

struct redeem_cmd {
    struct request *r;
    const char *program_ref, *member_ref;
    struct rewards_redeem_in in;
    const char *redemption_id; /* fulfilment and rollback */
    const char *fulfilment;
    const char *reason;
};

static void loyalty_card_brief(struct jw *w, const struct member_state *ms)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", ms->m.id);
    jw_kv_str(w, "code", ms->m.code);
    jw_kv_str(w, "campaign", ms->p.name);
    jw_kv_str(w, "campaign_id", ms->m.program_id);
    jw_kv_str(w, "type", "LOYALTY_CARD");
    jw_key(w, "loyalty_card");
    jw_obj_open(w);
    jw_kv_int(w, "points", ms->m.earned);
    jw_kv_int(w, "balance", ms->m.balance);
    jw_obj_close(w);
    jw_kv_str(w, "holder_id", ms->m.customer_id);
    jw_kv_bool(w, "active", true);
    jw_kv_str(w, "object", "voucher");
    jw_obj_close(w);
}

static void redeemed_reward(struct jw *w, const struct member_state *ms,
                            const struct rewards_redeem_out *o)
{
    cJSON *body = o->reward.body_json ? cJSON_Parse(o->reward.body_json) : NULL;
    cJSON *variant = o->check.variant_json ? cJSON_Parse(o->check.variant_json) : NULL;
    const cJSON *params = jget(body, "parameters");
    const cJSON *product =
        jget(variant, "product") ? jget(variant, "product") : jget(params, "product");
    jw_obj_open(w);
    jw_kv_str(w, "id", o->reward.id);
    jw_kv_str(w, "assignment_id", o->red.assignment_id);
    jw_kv_str(w, "loyalty_tier_id", ms->m.tier_id[0] ? ms->m.tier_id : NULL);
    jw_kv_str(w, "name", o->reward.name);
    jw_kv_str(w, "type", o->reward.type);
    jw_key(w, "parameters");
    jw_item(w, params);
    jw_key(w, "product");
    jw_item(w, product);
    jw_key(w, "variant");
    jw_item(w, variant);
    if (o->issued) { /* CAMPAIGN: the coupon the member got */
        jw_key(w, "voucher");
        jw_obj_open(w);
        jw_kv_str(w, "id", o->voucher.id);
        jw_kv_str(w, "code", o->voucher.code);
        jw_kv_str(w, "campaign_id", o->voucher.campaign_id);
        jw_kv_str(w, "type", o->voucher.type);
        jw_kv_bool(w, "active", o->voucher.active);
        jw_kv_str(w, "holder_id", o->voucher.holder_id);
        jw_kv_str(w, "object", "voucher");
        jw_obj_close(w);
    }
    jw_kv_time(w, "created_at", o->reward.created_at);
    jw_kv_time(w, "updated_at", o->reward.updated_at);
    jw_kv_str(w, "object", "reward");
    jw_obj_close(w);
    cJSON_Delete(body);
    cJSON_Delete(variant);
}

static void redeemed_order(struct jw *w, const struct redeem_cmd *rc_,
                           const struct rewards_redeem_out *o)
{
    const struct rewards_redeem_in *in = &rc_->in;
    if (!in->has_order) {
        jw_null(w);
        return;
    }
    jw_obj_open(w);
    jw_kv_str(w, "id", in->order_id);
    jw_kv_str(w, "source_id", in->order_source_id);
    jw_kv_int(w, "amount", in->order_amount);
    jw_kv_int(w, "total_discount_amount", o->discount);
    jw_kv_int(w, "total_amount", in->order_amount - o->discount);
    jw_kv_raw(w, "metadata", in->metadata_json ? in->metadata_json : "{}");
    jw_kv_str(w, "object", "order");
    jw_obj_close(w);
}

/* The answer to a redemption (LoyaltiesRedeemRewardResponse) or a rollback
 * (RedemptionsRollbackResponse), stored as the redemption's body. */
static const char *redemption_body(void *ctx, const struct member_state *ms,
                                   const struct rewards_redeem_out *o)
{
    struct redeem_cmd *rc_ = ctx;
    struct request *r = rc_->r;
    bool rollback = o->red.rollback_of != NULL;
    struct buf b;
    struct jw w;
    buf_init(&b, RESPONSE_BYTES_MAX);
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_str(&w, "id", o->red.id);
    jw_kv_str(&w, "object", rollback ? "redemption_rollback" : "redemption");
    jw_kv_time(&w, "date", o->red.created_at);
    jw_kv_str(&w, "customer_id", o->red.customer_id);
    jw_kv_str(&w, "tracking_id", NULL);
    if (rollback) {
        jw_kv_str(&w, "redemption", o->red.rollback_of);
        jw_kv_str(&w, "reason", rc_->reason);
    }
    jw_kv_int(&w, "amount", o->red.amount);
    jw_kv_int(&w, "points", o->red.points);
    jw_kv_str(&w, "result", "SUCCESS");
    jw_kv_str(&w, "status", "SUCCEEDED");
    jw_kv_str(&w, "channel", o->red.channel);
    if (!rollback) {
        jw_key(&w, "order");
        redeemed_order(&w, rc_, o);
        jw_key(&w, "fulfilment");
        if (o->red.fulfilment) {
            jw_obj_open(&w);
            jw_kv_str(&w, "status", o->red.fulfilment);
            jw_obj_close(&w);
        } else {
            jw_null(&w);
        }
        jw_kv_raw(&w, "metadata", rc_->in.metadata_json ? rc_->in.metadata_json : "{}");
    }
    jw_key(&w, "customer");
    customer_brief(&w, &o->customer);
    jw_key(&w, "reward");
    redeemed_reward(&w, ms, o);
    jw_key(&w, "voucher");
    loyalty_card_brief(&w, ms);
    jw_key(&w, "transaction");
    api_entry_render(&w, &o->move.e);
    jw_obj_close(&w);
    const char *s = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    return s;
}

static int redeem_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct redeem_cmd *rc_ = cmd->input;
    struct request *r = rc_->r;
    struct loyalty_ctx lc = rctx(r, tx);
    struct member_state ms;
    int rc = loyalty_load(&lc, rc_->member_ref, &ms);
    if (rc == 0 && rc_->program_ref && strcmp(ms.p.id, rc_->program_ref) != 0 &&
        strcmp(ms.p.name, rc_->program_ref) != 0)
        rc = TREU_ENOTFOUND;
    if (rc == TREU_ENOTFOUND) {
        cmd_not_found(cmd, r, "loyalty card", rc_->member_ref);
        return 0;
    }
    struct rewards_redeem_out *out = arena_zalloc(&r->arena, sizeof *out);
    if (rc == 0 && !out)
        rc = TREU_ENOMEM;
    if (rc == 0)
        rc = rewards_redeem(&lc, &ms, &rc_->in, redemption_body, rc_, out);
    if (rc < 0)
        return rc;
    if (out->result != REWARDS_OK) {
        int status = out->result == REWARDS_NOT_ASSIGNED ? 404 : 400;
        api_cmd_error(cmd, r, status, rewards_result_key(out->result),
                      rewards_result_message(out->result), "%s", out->detail);
        return 0;
    }
    cmd->status = 200;
    buf_append(&cmd->body, out->red.body_json, strlen(out->red.body_json));
    return 0;
}

static int redeem_order_or_reply(struct request *r, const cJSON *order,
                                 struct rewards_redeem_in *in)
{
    static const char *const f[] = {"id",       "source_id", "amount", "items",
                                    "metadata", "status",    NULL};
    if (!cJSON_IsObject(order))
        return bad(r, "invalid_param", "Invalid order", "order: must be an object");
    if (req_known_fields_or_reply(r, order, f, NULL, "order") < 0 ||
        text_field_or_reply(r, order, "order", "id", REWARD_NAME_BYTES_MAX, false) < 0 ||
        text_field_or_reply(r, order, "order", "source_id", REWARD_NAME_BYTES_MAX, false) < 0 ||
        req_int_field_or_reply(r, order, "order", "amount", 0, REWARDS_ORDER_AMOUNT_MAX,
                               &in->order_amount, &in->has_order) < 0)
        return -1;
    if (!in->has_order)
        return bad(r, "missing_param", "Invalid order", "order.amount: required");
    const cJSON *md = jget(order, "metadata"), *id = jget(order, "id"),
                *sid = jget(order, "source_id");
    in->order_id = id ? id->valuestring : NULL;
    in->order_source_id = sid ? sid->valuestring : NULL;
    if (md && !cJSON_IsObject(md))
        return bad(r, "invalid_param", "Invalid order", "order.metadata: must be an object");
    in->metadata_json = md ? req_json_text(r, md) : NULL;
    return 0;
}

static int redeem_reward_or_reply(struct request *r, const cJSON *reward,
                                  struct rewards_redeem_in *in)
{
    static const char *const f[] = {"id", "points", "assignment_id", NULL};
    if (!cJSON_IsObject(reward))
        return bad(r, reward ? "invalid_param" : "missing_param", "Invalid reward",
                   "reward: required, {id, points?}");
    if (req_known_fields_or_reply(r, reward, f, NULL, "reward") < 0 ||
        text_field_or_reply(r, reward, "reward", "id", IDS_MAX_LEN - 1, false) < 0 ||
        text_field_or_reply(r, reward, "reward", "assignment_id", IDS_MAX_LEN - 1, false) < 0 ||
        req_int_field_or_reply(r, reward, "reward", "points", 1, LOYALTY_POINTS_MAX, &in->points,
                               &in->has_points) < 0)
        return -1;
    const cJSON *id = jget(reward, "id"), *aid = jget(reward, "assignment_id");
    if (!id && !aid)
        return bad(r, "missing_param", "Invalid reward", "reward.id: required");
    in->reward_id = id ? id->valuestring : NULL;
    in->assignment_id = aid ? aid->valuestring : NULL;
    return 0;
}

static struct redeem_cmd *redeem_cmd_new(struct request *r)
{
    struct redeem_cmd *rc_ = arena_zalloc(&r->arena, sizeof *rc_);
    if (!rc_) {
        reply_op_error(r, TREU_ENOMEM);
        return NULL;
    }
    rc_->r = r;
    rc_->program_ref = r->nparams >= 2 ? r->params[0] : NULL;
    rc_->member_ref = r->params[r->nparams >= 2 ? 1 : 0];
    return rc_;
}

/* POST /v1/loyalties/[{campaignId}/]members/{memberId}/redemption */
void api_member_redeem_reward(struct request *r)
{
    static const char *const fields[] = {"reward", "order", "metadata", NULL};
    struct redeem_cmd *rc_ = redeem_cmd_new(r);
    cJSON *body;
    if (!rc_ || req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, NULL, "") < 0 ||
        redeem_reward_or_reply(r, jget(body, "reward"), &rc_->in) < 0)
        return;
    const cJSON *order = jget(body, "order"), *md = jget(body, "metadata");
    if (order && redeem_order_or_reply(r, order, &rc_->in) < 0)
        return;
    if (md && !cJSON_IsObject(md)) {
        bad(r, "invalid_param", "Invalid metadata", "metadata: must be an object");
        return;
    }
    if (md) /* the redemption's own metadata wins over the order's in the answer */
        rc_->in.metadata_json = req_json_text(r, md);
    const char *ch = r->io->header(r, "X-Voucherify-Channel");
    rc_->in.channel = ch && strlen(ch) <= 64 ? arena_strdup(&r->arena, ch) : "API";
    r->cmd.apply = redeem_apply;
    r->cmd.input = rc_;
    api_submit(r);
}

static void redemption_row_render(struct jw *w, const struct redemption *red)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", red->id);
    jw_kv_str(w, "object", "redemption");
    jw_kv_str(w, "status", red->status);
    jw_kv_str(w, "customer_id", red->customer_id);
    jw_kv_str(w, "campaign_id", red->campaign_id);
    jw_kv_str(w, "voucher_id", red->member_id);
    jw_kv_str(w, "reward_id", red->reward_id);
    jw_kv_str(w, "assignment_id", red->assignment_id);
    jw_kv_str(w, "variant", red->variant);
    jw_kv_int(w, "points", red->points);
    jw_key(w, "fulfilment");
    jw_obj_open(w);
    jw_kv_str(w, "status", red->fulfilment);
    jw_obj_close(w);
    jw_kv_str(w, "rollback_id", red->rollback_id);
    jw_kv_time(w, "created_at", red->created_at);
    jw_kv_time(w, "updated_at", red->updated_at);
    jw_obj_close(w);
}

/* PENDING → SHIPPED → DELIVERED; PENDING or SHIPPED → CANCELLED. */
static bool fulfilment_step_ok(const char *from, const char *to)
{
    static const char *const steps[][2] = {{"PENDING", "SHIPPED"},
                                           {"SHIPPED", "DELIVERED"},
                                           {"PENDING", "DELIVERED"},
                                           {"PENDING", "CANCELLED"},
                                           {"SHIPPED", "CANCELLED"}};
    for (size_t i = 0; i < TREU_ARRAY_LEN(steps); i++) {
        if (strcmp(steps[i][0], from) == 0 && strcmp(steps[i][1], to) == 0)
            return true;
    }
    return false;
}

static int fulfilment_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct redeem_cmd *rc_ = cmd->input;
    struct request *r = rc_->r;
    struct member m;
    struct redemption red;
    int rc = store_member_get(tx->conn, r->project_id, rc_->member_ref, &r->arena, &m);
    if (rc == 0)
        rc = store_redemption_get(tx->conn, r->project_id, rc_->redemption_id, &r->arena, &red);
    bool mine = rc == 0 && red.member_id && strcmp(red.member_id, m.id) == 0 &&
                (!rc_->program_ref || strcmp(m.program_id, rc_->program_ref) == 0);
    if (rc == TREU_ENOTFOUND || (rc == 0 && !mine)) {
        cmd_not_found(cmd, r, "redemption", rc_->redemption_id);
        return 0;
    }
    if (rc < 0)
        return rc;
    char d[200];
    if (!red.fulfilment || strcmp(red.status, "SUCCEEDED") != 0) {
        snprintf(d, sizeof d, "fulfilment: redemption %s %s", red.id,
                 red.fulfilment ? "was rolled back" : "has no fulfilment (COIN or CAMPAIGN)");
        api_cmd_error(cmd, r, 400, "fulfilment_not_applicable", "Nothing to fulfil", "%s", d);
        return 0;
    }
    bool changed = strcmp(red.fulfilment, rc_->fulfilment) != 0;
    if (changed) {
        if (!fulfilment_step_ok(red.fulfilment, rc_->fulfilment)) {
            snprintf(d, sizeof d, "fulfilment: cannot go from %s to %s", red.fulfilment,
                     rc_->fulfilment);
            api_cmd_error(cmd, r, 400, "invalid_fulfilment_transition", "Invalid fulfilment", "%s",
                          d);
            return 0;
        }
        red.fulfilment = rc_->fulfilment;
        red.updated_at = tx->now_us;
        rc = store_redemption_update(tx->conn, r->project_id, &red);
    }
    struct jw w;
    jw_init(&w, &cmd->body);
    redemption_row_render(&w, &red);
    cmd->status = 200;
    if (rc == 0 && strcmp(red.fulfilment, "DELIVERED") == 0 && changed)
        rc = outbox_emit(tx, r->project_id, "customer.reward_redemptions.completed",
                         buf_cstr(&cmd->body));
    return rc;
}

/* PUT /v1/loyalties/[{campaignId}/]members/{memberId}/redemptions/{redemptionId}
 * {"fulfilment": "SHIPPED"}: moves a MATERIAL or CUSTOM reward's fulfilment on. */
void api_member_redemption_fulfilment(struct request *r)
{
    static const char *const fields[] = {"fulfilment", NULL};
    static const char *const states[] = {"PENDING", "SHIPPED", "DELIVERED", "CANCELLED", NULL};
    struct redeem_cmd *rc_ = arena_zalloc(&r->arena, sizeof *rc_);
    cJSON *body;
    int idx;
    bool has;
    if (!rc_) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    if (req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, NULL, "") < 0 ||
        req_enum_field_or_reply(r, body, "", "fulfilment", states, &idx, &has) < 0)
        return;
    if (!has) {
        bad(r, "missing_param", "Invalid fulfilment",
            "fulfilment: required, SHIPPED, DELIVERED or CANCELLED");
        return;
    }
    rc_->r = r;
    rc_->program_ref = r->nparams == 3 ? r->params[0] : NULL;
    rc_->member_ref = r->params[r->nparams - 2];
    rc_->redemption_id = r->params[r->nparams - 1];
    rc_->fulfilment = states[idx];
    r->cmd.apply = fulfilment_apply;
    r->cmd.input = rc_;
    api_submit(r);
}

int api_reward_rollback_apply(struct command *cmd, const struct writer_tx *tx, struct request *r,
                              const char *redemption_id, const char *reason)
{
    struct redeem_cmd *rc_ = arena_zalloc(&r->arena, sizeof *rc_);
    if (!rc_)
        return TREU_ENOMEM;
    rc_->r = r;
    rc_->redemption_id = redemption_id;
    rc_->reason = reason;
    struct loyalty_ctx lc = rctx(r, tx);
    struct rewards_rollback_out *out = arena_zalloc(&r->arena, sizeof *out);
    if (!out)
        return TREU_ENOMEM;
    int rc = rewards_rollback(&lc, rc_->redemption_id, rc_->reason, redemption_body, rc_, out);
    if (rc < 0)
        return rc;
    char d[200];
    switch (out->result) {
    case REWARDS_ROLLBACK_OK: break;
    case REWARDS_ROLLBACK_NOT_FOUND:
        cmd_not_found(cmd, r, "redemption", rc_->redemption_id);
        return 0;
    case REWARDS_ROLLBACK_NOT_REWARD:
        snprintf(d, sizeof d, "redemption %.64s is not a reward redemption", rc_->redemption_id);
        api_cmd_error(cmd, r, 400, "invalid_redemption", "Not a reward redemption", "%s", d);
        return 0;
    case REWARDS_ROLLBACK_VOUCHER_USED:
        snprintf(d, sizeof d, "redemption %.64s issued voucher %.64s, which was redeemed already",
                 redemption_id, out->original.issued_voucher_id);
        api_cmd_error(cmd, r, 400, "voucher_already_redeemed", "The issued voucher was used", "%s",
                      d);
        return 0;
    case REWARDS_ROLLBACK_ALREADY:
        snprintf(d, sizeof d, "redemption %.64s is %s (rollback %s)", rc_->redemption_id,
                 out->original.status, out->original.rollback_id ? out->original.rollback_id : "-");
        api_cmd_error(cmd, r, 400, "already_rolled_back", "Redemption already rolled back", "%s",
                      d);
        return 0;
    }
    cmd->status = 200;
    buf_append(&cmd->body, out->r.red.body_json, strlen(out->r.red.body_json));
    return 0;
}
