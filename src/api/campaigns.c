/* campaigns.c - /v1/campaigns: discount, gift and referral campaigns (loyalty programs
 * live under /v1/loyalties). A campaign holds the voucher template its vouchers follow;
 * `vouchers_count` generates that many unique codes inside the creating command, so the
 * answer comes after they are all durable, or nothing was written. */
#include "api/api.h"

#include "engine/referrals.h"

#include "engine/vouchers.h"

#include <string.h>

#define CAMPAIGN_NAME_BYTES_MAX 255
#define CAMPAIGN_TEXT_BYTES_MAX 1000
#define CAMPAIGN_JSON_BYTES_MAX (64 * 1024)

static const char *const campaign_types[] = {"DISCOUNT_COUPONS", "GIFT_VOUCHERS",
                                             "REFERRAL_PROGRAM", NULL};
static const char *const generation_types[] = {"STATIC", "AUTO_UPDATE", NULL};

enum campaign_op { COP_CREATE, COP_UPDATE, COP_DELETE, COP_ENABLE, COP_DISABLE, COP_ADD };

/* The stored body's fields; for an update, the stored ones overlaid with what was sent. */
struct campaign_fields {
    const char *gen_type, *description, *category;
    int64_t start, expiry;
    const char *metadata_json, *voucher_json, *rules_json, *referral_json;
};

struct campaign_cmd {
    struct request *r;
    enum campaign_op op;
    const char *ref;
    const char *name, *type;
    struct campaign_fields f;
    bool has_start, has_expiry;
    struct voucher_spec spec; /* create */
    int64_t vouchers_count;
    bool has_active, active;
    bool has_budget_field, has_budget;
    int64_t budget;
    const char *code; /* COP_ADD: the given code, NULL = generate */
    const char *voucher_metadata_json;
};

static const char *fields_json(struct request *r, const struct campaign_fields *f)
{
    struct buf b;
    struct jw w;
    buf_init(&b, RESPONSE_BYTES_MAX);
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_str(&w, "type", f->gen_type ? f->gen_type : "STATIC");
    jw_kv_str(&w, "description", f->description);
    jw_kv_str(&w, "category", f->category);
    jw_kv_time(&w, "start_date", f->start);
    jw_kv_time(&w, "expiration_date", f->expiry);
    jw_kv_raw(&w, "metadata", f->metadata_json ? f->metadata_json : "{}");
    jw_kv_raw(&w, "validation_rules", f->rules_json ? f->rules_json : "[]");
    jw_kv_raw(&w, "voucher", f->voucher_json);
    if (f->referral_json)
        jw_kv_raw(&w, "referral_program", f->referral_json);
    jw_obj_close(&w);
    const char *out = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    return out;
}

static const char *item_text(struct request *r, const cJSON *body, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    if (!v || cJSON_IsNull(v))
        return NULL;
    return cJSON_IsString(v) ? arena_strdup(&r->arena, v->valuestring) : req_json_text(r, v);
}

/* Reads a stored body back into fields. */
static int fields_from_body(struct request *r, const char *body_json, struct campaign_fields *f)
{
    cJSON *b = cJSON_Parse(body_json ? body_json : "{}");
    if (!b)
        return TREU_ENOMEM;
    f->gen_type = item_text(r, b, "type");
    f->description = item_text(r, b, "description");
    f->category = item_text(r, b, "category");
    const char *s = item_text(r, b, "start_date"), *e = item_text(r, b, "expiration_date");
    f->start = f->expiry = 0;
    if (s && tstime_parse_iso(s, strlen(s), &f->start) < 0)
        f->start = 0;
    if (e && tstime_parse_iso(e, strlen(e), &f->expiry) < 0)
        f->expiry = 0;
    f->metadata_json = item_text(r, b, "metadata");
    f->rules_json = item_text(r, b, "validation_rules");
    f->voucher_json = item_text(r, b, "voucher");
    f->referral_json = item_text(r, b, "referral_program");
    cJSON_Delete(b);
    return 0;
}

static void campaign_render(struct jw *w, struct request *r, const struct campaign *cp)
{
    struct campaign_fields f = {0};
    struct voucher_spec spec = {0};
    int64_t start = 0, exp = 0;
    (void)fields_from_body(r, cp->body_json, &f);
    cJSON *vj = f.voucher_json ? cJSON_Parse(f.voucher_json) : NULL;
    cJSON *rj = f.rules_json ? cJSON_Parse(f.rules_json) : NULL;
    char why[VOUCHERS_DETAILS_BYTES];
    if (vouchers_spec_parse(vj, rj, &r->arena, &spec, why, sizeof why) < 0)
        spec.nrules = 0; /* only the rules are read from it here */
    cJSON_Delete(vj);
    cJSON_Delete(rj);
    start = f.start;
    exp = f.expiry;
    jw_obj_open(w);
    jw_kv_str(w, "id", cp->id);
    jw_kv_str(w, "name", cp->name);
    jw_kv_str(w, "campaign_type", cp->type);
    jw_kv_str(w, "type", f.gen_type ? f.gen_type : "STATIC");
    jw_kv_str(w, "description", f.description);
    jw_kv_str(w, "category", f.category);
    jw_kv_time(w, "start_date", start);
    jw_kv_time(w, "expiration_date", exp);
    jw_kv_raw(w, "metadata", f.metadata_json ? f.metadata_json : "{}");
    jw_kv_raw(w, "voucher", f.voucher_json);
    if (f.referral_json)
        jw_kv_raw(w, "referral_program", f.referral_json);
    api_campaign_rules_render(w, &spec, cp->id);
    jw_kv_int(w, "vouchers_count", cp->vouchers_count);
    jw_kv_str(w, "vouchers_generation_status", "DONE");
    jw_kv_bool(w, "active", cp->active);
    jw_key(w, "budget");
    if (cp->has_budget)
        jw_int(w, cp->budget);
    else
        jw_null(w);
    jw_kv_int(w, "budget_used", cp->budget_used);
    jw_kv_time(w, "created_at", cp->created_at);
    jw_kv_time(w, "updated_at", cp->updated_at);
    jw_kv_str(w, "object", "campaign");
    jw_obj_close(w);
}

static void not_found(struct command *cmd, struct request *r, const char *ref)
{
    api_cmd_error(cmd, r, 404, "not_found", "Resource not found",
                  "Cannot find campaign with id %.255s", ref);
}

/* ---- commands ---- */

static int campaign_create(struct command *cmd, const struct writer_tx *tx, struct campaign_cmd *cc)
{
    struct request *r = cc->r;
    int rc;
    const char *missing = api_rules_missing(tx, r, &cc->spec, &rc);
    if (rc < 0 || missing) {
        if (missing)
            api_cmd_error(cmd, r, 404, "not_found", "Resource not found",
                          "Cannot find validation rule with id %s", missing);
        return rc;
    }
    struct campaign cp = {.name = cc->name,
                          .type = cc->type,
                          .body_json = fields_json(r, &cc->f),
                          .active = cc->has_active ? cc->active : true,
                          .has_budget = cc->has_budget,
                          .budget = cc->budget,
                          .created_at = tx->now_us,
                          .updated_at = tx->now_us};
    ids_make(tx->rng, "camp_", cp.id);
    if (!cp.body_json)
        return TREU_ENOMEM;
    rc = store_campaign_insert(tx->conn, r->project_id, &cp);
    if (rc == TREU_ECONFLICT) {
        api_cmd_error(cmd, r, 409, "duplicate_found", "Duplicated resource found",
                      "A campaign named %s already exists", cc->name);
        return 0;
    }
    enum voucher_result res = VOUCHER_OK;
    if (rc == 0 && cc->vouchers_count > 0)
        rc = vouchers_generate(tx, r->project_id, &cp, &cc->spec, cc->vouchers_count, &res);
    if (rc < 0)
        return rc;
    if (res != VOUCHER_OK) {
        api_cmd_error(cmd, r, 400, vouchers_result_key(res), "Code space exhausted",
                      "voucher.code_config: could not find %lld free codes; use a longer code",
                      (long long)cc->vouchers_count);
        return 0;
    }
    cp.vouchers_count = cc->vouchers_count;
    struct jw w;
    jw_init(&w, &cmd->body);
    campaign_render(&w, r, &cp);
    cmd->status = 201;
    return 0;
}

static int campaign_add(struct command *cmd, const struct writer_tx *tx, struct campaign_cmd *cc,
                        struct campaign *cp)
{
    struct request *r = cc->r;
    struct voucher_state vs;
    int rc = vouchers_state_init(&r->arena, &(struct voucher){.id = ""}, cp, &vs);
    enum voucher_result res;
    struct voucher v;
    if (rc == 0)
        rc = vouchers_add_one(tx, r->project_id, &r->arena, cp, &vs.spec, cc->code, &v, &res);
    if (rc == TREU_ECONFLICT) {
        api_cmd_error(cmd, r, 409, "duplicate_found", "Duplicated resource found",
                      "A voucher with code %s already exists", cc->code);
        return 0;
    }
    if (rc == 0 && res != VOUCHER_OK) {
        api_cmd_error(cmd, r, 400, vouchers_result_key(res), "Code space exhausted",
                      "campaign %s: no free code left in its code_config", cp->name);
        return 0;
    }
    if (rc == 0 && cc->voucher_metadata_json) {
        v.metadata_json = cc->voucher_metadata_json;
        rc = store_voucher_update(tx->conn, r->project_id, &v);
    }
    if (rc < 0)
        return rc;
    cp->vouchers_count++;
    rc = vouchers_state_init(&r->arena, &v, cp, &vs);
    struct jw w;
    jw_init(&w, &cmd->body);
    if (rc == 0)
        api_voucher_render(&w, &vs);
    cmd->status = 201;
    return rc;
}

static void campaign_overlay(const struct campaign_cmd *cc, struct campaign *cp,
                             struct campaign_fields *f)
{
    const struct campaign_fields *in = &cc->f;
    if (cc->op == COP_ENABLE || cc->op == COP_DISABLE)
        cp->active = cc->op == COP_ENABLE;
    if (cc->has_active)
        cp->active = cc->active;
    if (cc->has_budget_field) {
        cp->has_budget = cc->has_budget;
        cp->budget = cc->budget;
    }
    f->gen_type = in->gen_type ? in->gen_type : f->gen_type;
    f->description = in->description ? in->description : f->description;
    f->category = in->category ? in->category : f->category;
    f->metadata_json = in->metadata_json ? in->metadata_json : f->metadata_json;
    f->rules_json = in->rules_json ? in->rules_json : f->rules_json;
    f->referral_json = in->referral_json ? in->referral_json : f->referral_json;
    if (cc->has_start)
        f->start = in->start;
    if (cc->has_expiry)
        f->expiry = in->expiry;
}

static int campaign_change(struct command *cmd, const struct writer_tx *tx, struct campaign_cmd *cc,
                           struct campaign *cp)
{
    struct request *r = cc->r;
    struct campaign_fields f;
    int rc = fields_from_body(r, cp->body_json, &f);
    if (rc < 0)
        return rc;
    campaign_overlay(cc, cp, &f);
    if (f.start && f.expiry && f.start >= f.expiry) {
        api_cmd_error(cmd, r, 400, "invalid_param", "Invalid dates",
                      "expiration_date: must be after start_date");
        return 0;
    }
    if (cp->has_budget && cp->budget < cp->budget_used) {
        api_cmd_error(cmd, r, 400, "invalid_param", "Invalid budget",
                      "budget: %lld was spent already", (long long)cp->budget_used);
        return 0;
    }
    const char *missing = api_rules_missing(tx, r, &cc->spec, &rc);
    if (rc < 0 || missing) {
        if (missing)
            api_cmd_error(cmd, r, 404, "not_found", "Resource not found",
                          "Cannot find validation rule with id %s", missing);
        return rc;
    }
    cp->body_json = fields_json(r, &f);
    cp->updated_at = tx->now_us;
    rc = cp->body_json ? store_campaign_update(tx->conn, r->project_id, cp) : TREU_ENOMEM;
    struct jw w;
    jw_init(&w, &cmd->body);
    if (rc == 0)
        campaign_render(&w, r, cp);
    cmd->status = 200;
    return rc;
}

static int campaigns_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct campaign_cmd *cc = cmd->input;
    struct request *r = cc->r;
    if (cc->op == COP_CREATE)
        return campaign_create(cmd, tx, cc);
    struct campaign cp;
    int rc = store_campaign_get(tx->conn, r->project_id, cc->ref, &r->arena, &cp);
    if (rc == TREU_ENOTFOUND) {
        not_found(cmd, r, cc->ref);
        return 0;
    }
    if (rc < 0)
        return rc;
    switch (cc->op) {
    case COP_DELETE:
        cmd->status = 204;
        return store_campaign_delete(tx->conn, r->project_id, cp.id);
    case COP_ADD: return campaign_add(cmd, tx, cc, &cp);
    default: return campaign_change(cmd, tx, cc, &cp);
    }
}

/* ---- input ---- */

static int text_fields_or_reply(struct request *r, const cJSON *body, struct campaign_cmd *cc)
{
    struct opt_str desc, cat;
    int gen = 0;
    bool has_gen;
    if (req_string_field_or_reply(r, body, "description", CAMPAIGN_TEXT_BYTES_MAX, true, &desc) <
            0 ||
        req_string_field_or_reply(r, body, "category", CAMPAIGN_TEXT_BYTES_MAX, true, &cat) < 0 ||
        req_enum_field_or_reply(r, body, "", "type", generation_types, &gen, &has_gen) < 0 ||
        req_time_field_or_reply(r, body, "", "start_date", &cc->f.start, &cc->has_start) < 0 ||
        req_time_field_or_reply(r, body, "", "expiration_date", &cc->f.expiry, &cc->has_expiry) <
            0 ||
        req_bool_field_or_reply(r, body, "", "active", &cc->active, &cc->has_active) < 0)
        return -1;
    cc->f.description = desc.v;
    cc->f.category = cat.v;
    cc->f.gen_type = has_gen ? generation_types[gen] : NULL;
    if (cc->f.start && cc->f.expiry && cc->f.start >= cc->f.expiry) {
        reply_error(r, 400, "invalid_param", "Invalid dates",
                    "expiration_date: must be after start_date");
        return -1;
    }
    const cJSON *budget = cJSON_GetObjectItemCaseSensitive(body, "budget");
    cc->has_budget_field = budget != NULL;
    cc->has_budget = budget && !cJSON_IsNull(budget);
    if (cc->has_budget && req_int_field_or_reply(r, body, "", "budget", 1, VOUCHERS_AMOUNT_MAX,
                                                 &cc->budget, &cc->has_budget) < 0)
        return -1;
    return 0;
}

/* referral_program.referrer_reward must be readable and name a loyalty program that exists
 * (a program deleted later only stops the payments). */
static int referral_or_reply(struct request *r, const cJSON *ref)
{
    struct referral_reward rw;
    char why[200];
    int rc = referrals_reward_parse(ref, &r->arena, &rw, why, sizeof why);
    if (rc == TREU_EINVAL) {
        reply_error(r, 400, "invalid_param", "Invalid referral program", "%s", why);
        return -1;
    }
    if (rc == 0 && rw.set) {
        struct program p;
        struct store_conn *c = req_reader(r);
        rc = store_program_get(c, r->project_id, rw.program_ref, &r->arena, &p);
        req_reader_release(r, c);
        if (rc == TREU_ENOTFOUND) {
            reply_error(r, 400, "invalid_param", "Invalid referral program",
                        "referral_program.referrer_reward.related_object_parent.id: no loyalty "
                        "program %.100s",
                        rw.program_ref);
            return -1;
        }
    }
    if (rc < 0) {
        reply_op_error(r, rc);
        return -1;
    }
    return 0;
}

/* metadata, referral_program (objects) and validation_rules (ids, checked by the parser). */
static int json_fields_or_reply(struct request *r, const cJSON *body, struct campaign_cmd *cc)
{
    const cJSON *md, *ref;
    struct opt_str mds, refs;
    if (req_object_field_or_reply(r, body, "metadata", &md, &mds) < 0 ||
        req_object_field_or_reply(r, body, "referral_program", &ref, &refs) < 0)
        return -1;
    cc->f.metadata_json = md ? req_json_text(r, md) : mds.set ? "{}" : NULL;
    cc->f.referral_json = ref ? req_json_text(r, ref) : NULL;
    if (ref && referral_or_reply(r, ref) < 0)
        return -1;
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(body, "validation_rules");
    cc->f.rules_json = rules ? req_json_text(r, rules) : NULL;
    size_t total = (cc->f.metadata_json ? strlen(cc->f.metadata_json) : 0) +
                   (cc->f.referral_json ? strlen(cc->f.referral_json) : 0);
    if (total > CAMPAIGN_JSON_BYTES_MAX) {
        reply_error(r, 400, "invalid_param", "Campaign too large",
                    "metadata and referral_program: at most %d bytes together",
                    CAMPAIGN_JSON_BYTES_MAX);
        return -1;
    }
    return 0;
}

static int spec_or_reply(struct request *r, const cJSON *body, struct campaign_cmd *cc,
                         const cJSON *tmpl)
{
    char why[VOUCHERS_DETAILS_BYTES];
    int rc = vouchers_spec_parse(tmpl, cJSON_GetObjectItemCaseSensitive(body, "validation_rules"),
                                 &r->arena, &cc->spec, why, sizeof why);
    if (rc == TREU_EINVAL) {
        reply_error(r, 400, tmpl ? "invalid_param" : "missing_param", "Invalid voucher", "%s%s",
                    strncmp(why, "voucher", 7) == 0 || strncmp(why, "validation", 10) == 0
                        ? ""
                        : "voucher.",
                    why);
        return -1;
    }
    if (rc < 0) {
        reply_op_error(r, rc);
        return -1;
    }
    return 0;
}

/* The template must fit the campaign type, and the code space the codes asked for. */
static int template_or_reply(struct request *r, const cJSON *body, struct campaign_cmd *cc)
{
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(body, "voucher");
    if (spec_or_reply(r, body, cc, tmpl) < 0)
        return -1;
    bool gift_campaign = strcmp(cc->type, "GIFT_VOUCHERS") == 0;
    if (cc->spec.gift != gift_campaign) {
        reply_error(r, 400, "invalid_param", "Invalid voucher", "voucher.type: %s for %s campaigns",
                    gift_campaign ? "GIFT_VOUCHER" : "DISCOUNT_VOUCHER", cc->type);
        return -1;
    }
    bool has;
    if (req_int_field_or_reply(r, body, "", "vouchers_count", 0, VOUCHERS_GENERATE_MAX,
                               &cc->vouchers_count, &has) < 0)
        return -1;
    struct code_config dflt = {.length = 8};
    int64_t space = vouchers_code_space(cc->spec.has_code_config ? &cc->spec.cc : &dflt);
    if (cc->vouchers_count > space / VOUCHERS_SPACE_FACTOR) {
        reply_error(r, 400, "invalid_param", "Code space too small",
                    "voucher.code_config: %lld codes need a code space of at least %d times as "
                    "many, but this configuration has only %lld codes; use a longer length or "
                    "pattern, or a larger charset",
                    (long long)cc->vouchers_count, VOUCHERS_SPACE_FACTOR, (long long)space);
        return -1;
    }
    struct buf b;
    struct jw w;
    buf_init(&b, RESPONSE_BYTES_MAX);
    jw_init(&w, &b);
    jw_obj_open(&w);
    vouchers_spec_write(&w, &cc->spec, false);
    jw_obj_close(&w);
    cc->f.voucher_json = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    if (!cc->f.voucher_json) {
        reply_op_error(r, TREU_ENOMEM);
        return -1;
    }
    return 0;
}

static int create_input_or_reply(struct request *r, const cJSON *body, struct campaign_cmd *cc)
{
    static const char *const fields[] = {
        "name",           "campaign_type",    "type",     "description",      "category",
        "start_date",     "expiration_date",  "metadata", "validation_rules", "voucher",
        "vouchers_count", "referral_program", "active",   "budget",           NULL};
    static const char *const ignored[] = {"object",
                                          "id",
                                          "created_at",
                                          "updated_at",
                                          "join_once",
                                          "auto_join",
                                          "use_voucher_metadata_schema",
                                          NULL};
    struct opt_str name;
    int type = 0;
    bool has_type;
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(body, "campaign_type");
    if (cJSON_IsString(ct) && strcmp(ct->valuestring, "LOYALTY_PROGRAM") == 0) {
        reply_error(r, 400, "invalid_param", "Invalid campaign_type",
                    "campaign_type: loyalty programs are created with POST /v1/loyalties");
        return -1;
    }
    if (req_known_fields_or_reply(r, body, fields, ignored, "") < 0 ||
        req_string_field_or_reply(r, body, "name", CAMPAIGN_NAME_BYTES_MAX, false, &name) < 0 ||
        req_enum_field_or_reply(r, body, "", "campaign_type", campaign_types, &type, &has_type) <
            0 ||
        text_fields_or_reply(r, body, cc) < 0 || json_fields_or_reply(r, body, cc) < 0)
        return -1;
    if (!name.v || !name.v[0]) {
        reply_error(r, 400, name.set ? "invalid_param" : "missing_param", "Invalid name",
                    "name: required, 1 to %d bytes", CAMPAIGN_NAME_BYTES_MAX);
        return -1;
    }
    cc->name = name.v;
    cc->type = campaign_types[type];
    return template_or_reply(r, body, cc);
}

static int update_input_or_reply(struct request *r, const cJSON *body, struct campaign_cmd *cc)
{
    static const char *const fields[] = {
        "type",     "description",      "category",         "start_date", "expiration_date",
        "metadata", "validation_rules", "referral_program", "active",     "budget",
        NULL};
    static const char *const ignored[] = {"object",     "id",         "name", "campaign_type",
                                          "created_at", "updated_at", NULL};
    if (req_known_fields_or_reply(r, body, fields, ignored, "") < 0 ||
        text_fields_or_reply(r, body, cc) < 0 || json_fields_or_reply(r, body, cc) < 0)
        return -1;
    char why[VOUCHERS_DETAILS_BYTES];
    struct voucher_spec probe;
    cJSON *any = cJSON_Parse("{\"discount\":{\"type\":\"AMOUNT\",\"amount_off\":1}}");
    int rc = vouchers_spec_parse(any, cJSON_GetObjectItemCaseSensitive(body, "validation_rules"),
                                 &r->arena, &probe, why, sizeof why);
    cJSON_Delete(any);
    if (rc == TREU_EINVAL) {
        reply_error(r, 400, "invalid_param", "Invalid validation_rules", "%s", why);
        return -1;
    }
    cc->spec.nrules = probe.nrules;
    memcpy(cc->spec.rule_ids, probe.rule_ids, sizeof probe.rule_ids);
    return rc < 0 ? (reply_op_error(r, rc), -1) : 0;
}

static int add_input_or_reply(struct request *r, struct campaign_cmd *cc)
{
    static const char *const fields[] = {"metadata", NULL};
    static const char *const ignored[] = {"code", "object", NULL};
    if (cc->code && api_code_or_reply(r, cc->code, "code") < 0)
        return -1;
    if (r->body.len == 0)
        return 0;
    cJSON *body;
    const cJSON *md;
    struct opt_str mds;
    if (req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, ignored, "") < 0 ||
        req_object_field_or_reply(r, body, "metadata", &md, &mds) < 0)
        return -1;
    cc->voucher_metadata_json = md ? req_json_text(r, md) : NULL;
    return 0;
}

static void campaigns_submit(struct request *r, enum campaign_op op)
{
    struct campaign_cmd *cc = arena_zalloc(&r->arena, sizeof *cc);
    if (!cc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    cc->r = r;
    cc->op = op;
    cc->ref = r->nparams ? r->params[0] : NULL;
    cc->code = op == COP_ADD && r->nparams > 1 ? r->params[1] : NULL;
    cJSON *body;
    if (op == COP_CREATE &&
        (req_json_object_or_reply(r, &body) < 0 || create_input_or_reply(r, body, cc) < 0))
        return;
    if (op == COP_UPDATE &&
        (req_json_object_or_reply(r, &body) < 0 || update_input_or_reply(r, body, cc) < 0))
        return;
    if (op == COP_ADD && add_input_or_reply(r, cc) < 0)
        return;
    r->cmd.apply = campaigns_apply;
    r->cmd.input = cc;
    api_submit(r);
}

void api_campaigns_create(struct request *r)
{
    campaigns_submit(r, COP_CREATE);
}

void api_campaigns_update(struct request *r)
{
    campaigns_submit(r, COP_UPDATE);
}

void api_campaigns_delete(struct request *r)
{
    campaigns_submit(r, COP_DELETE);
}

void api_campaigns_enable(struct request *r)
{
    campaigns_submit(r, COP_ENABLE);
}

void api_campaigns_disable(struct request *r)
{
    campaigns_submit(r, COP_DISABLE);
}

void api_campaigns_add_voucher(struct request *r)
{
    campaigns_submit(r, COP_ADD);
}

void api_campaigns_get(struct request *r)
{
    struct campaign cp;
    struct store_conn *c = req_reader(r);
    int rc = store_campaign_get(c, r->project_id, r->params[0], &r->arena, &cp);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "campaign", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    campaign_render(&w, r, &cp);
    reply_json(r, 200);
}

void api_campaigns_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct campaign *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_campaign_list(c, r->project_id, &pg, &r->arena, &rows, &n, &total);
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
    jw_kv_str(&w, "data_ref", "campaigns");
    jw_key(&w, "campaigns");
    jw_arr_open(&w);
    for (size_t i = 0; i < n; i++)
        campaign_render(&w, r, &rows[i]);
    jw_arr_close(&w);
    jw_kv_int(&w, "total", total);
    jw_kv_bool(&w, "has_more", pg.offset + (int64_t)n < total);
    jw_obj_close(&w);
    reply_json(r, 200);
}
