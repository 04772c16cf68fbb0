/* loyalties.c - /v1/loyalties: programs, members, balances, transactions, point lots and
 * earning rules. Shapes follow Voucherify's loyalty API (a program is a campaign, a
 * member a LOYALTY_CARD voucher); treu adds time zones, pending periods, limits and the
 * condition language. Every write is a command; reads go to a reader connection and show
 * the ledger as of the moment of the read (loyalty_view). */
#include "api/api.h"

#include "core/codes.h"
#include "core/rules.h"
#include "core/tstime.h"
#include "core/validate.h"
#include "engine/customers.h"
#include "engine/limits.h"
#include "engine/loyalty.h"

#include <math.h>
#include <string.h>

#define PROGRAM_NAME_BYTES_MAX        255
#define PROGRAM_DESCRIPTION_BYTES_MAX 1024
#define PROGRAM_PERIOD_MAX            1200
#define PENDING_DAYS_MAX              365
#define RULES_PER_REQUEST_MAX         50
#define RULE_EVENT_BYTES_MAX          100
#define RULE_LIMIT_COUNT_MAX          1000000
#define METADATA_BYTES_MAX            (16 * 1024)

static struct loyalty_ctx lctx(struct request *r, const struct writer_tx *tx)
{
    return (struct loyalty_ctx){
        .tx = tx, .zones = r->app->zones, .pid = r->project_id, .a = &r->arena};
}

/* ---- rendering ---- */

static void program_render(struct jw *w, const struct program *p)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", p->id);
    jw_kv_str(w, "name", p->name);
    jw_kv_str(w, "description", p->description);
    jw_kv_str(w, "campaign_type", "LOYALTY_PROGRAM");
    jw_kv_str(w, "type", "AUTO_UPDATE");
    jw_kv_str(w, "timezone", p->timezone);
    jw_key(w, "voucher");
    jw_obj_open(w);
    jw_kv_str(w, "type", "LOYALTY_CARD");
    jw_key(w, "loyalty_card");
    jw_obj_open(w);
    jw_kv_int(w, "points", 0);
    jw_kv_raw(w, "expiration_rules", p->expiration_json);
    jw_obj_close(w);
    jw_kv_raw(w, "code_config", p->code_config_json);
    jw_obj_close(w);
    jw_key(w, "pending_points");
    jw_obj_open(w);
    jw_kv_int(w, "period_days", p->pending_days);
    jw_obj_close(w);
    jw_kv_bool(w, "allow_negative_balance", p->allow_negative);
    jw_kv_raw(w, "tier_qualification",
              p->tier_qualification_json ? p->tier_qualification_json : "{\"type\":\"BALANCE\"}");
    jw_kv_time(w, "start_date", p->start_date);
    jw_kv_time(w, "expiration_date", p->expiration_date);
    jw_kv_bool(w, "active", p->active);
    jw_kv_raw(w, "metadata", p->metadata_json ? p->metadata_json : "{}");
    jw_kv_raw(w, "limits", p->limits_json); /* stored canonical; null when none */
    jw_key(w, "accounts");
    jw_obj_open(w);
    jw_kv_int(w, "issued", p->issued);
    jw_kv_int(w, "subtracted", p->subtracted);
    jw_kv_int(w, "expired", p->expired);
    jw_kv_int(w, "outstanding", p->issued - p->subtracted - p->expired);
    jw_obj_close(w);
    jw_kv_time(w, "created_at", p->created_at);
    jw_kv_time(w, "updated_at", p->updated_at);
    jw_kv_str(w, "object", "campaign");
    jw_obj_close(w);
}

static void member_render(struct jw *w, const struct member *m, const char *program_name,
                          const struct member_view *v)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", m->id);
    jw_kv_str(w, "code", m->code);
    jw_kv_str(w, "campaign", program_name);
    jw_kv_str(w, "campaign_id", m->program_id);
    jw_kv_str(w, "type", "LOYALTY_CARD");
    jw_kv_str(w, "holder_id", m->customer_id);
    jw_kv_bool(w, "active", true);
    jw_kv_str(w, "tier_id", m->tier_id[0] ? m->tier_id : NULL);
    jw_kv_time(w, "tier_since", m->tier_since);
    jw_key(w, "loyalty_card");
    jw_obj_open(w);
    jw_kv_int(w, "points", v->earned);
    jw_kv_int(w, "balance", v->balance);
    jw_kv_int(w, "pending_points", v->pending);
    jw_kv_int(w, "expired_points", v->expired);
    jw_kv_int(w, "subtracted_points", v->subtracted);
    jw_kv_time(w, "next_expiration_date", v->next_expiry_at);
    jw_key(w, "next_expiration_points");
    if (v->next_expiry_at)
        jw_int(w, v->next_expiry_points);
    else
        jw_null(w);
    jw_obj_close(w);
    jw_kv_raw(w, "metadata", m->metadata_json ? m->metadata_json : "{}");
    jw_kv_time(w, "created_at", m->created_at);
    jw_kv_time(w, "updated_at", m->updated_at);
    jw_kv_str(w, "object", "voucher");
    jw_obj_close(w);
}

/* A member straight from the writer: its totals are settled to now already. */
static void member_render_state(struct jw *w, const struct member_state *ms,
                                const char *program_name)
{
    struct member_view v = {.earned = ms->m.earned,
                            .balance = ms->m.balance,
                            .pending = ms->m.pending,
                            .subtracted = ms->m.subtracted,
                            .expired = ms->m.expired};
    for (size_t i = 0; i < ms->nlots; i++) {
        const struct lot *l = &ms->lots[i];
        if (l->state != LOT_ACTIVE || !l->expires_at)
            continue;
        if (!v.next_expiry_at || l->expires_at < v.next_expiry_at) {
            v.next_expiry_at = l->expires_at;
            v.next_expiry_points = 0;
        }
        if (l->expires_at == v.next_expiry_at)
            v.next_expiry_points += l->remaining;
    }
    member_render(w, &ms->m, program_name, &v);
}

void api_entry_render(struct jw *w, const struct entry *e)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", e->id);
    jw_kv_str(w, "type", e->type);
    jw_kv_int(w, "points", e->points);
    jw_kv_int(w, "balance_after", e->balance_after);
    jw_kv_str(w, "reason", e->reason);
    jw_key(w, "details");
    jw_obj_open(w);
    jw_key(w, "earning_rule");
    if (e->rule_id) {
        jw_obj_open(w);
        jw_kv_str(w, "id", e->rule_id);
        jw_obj_close(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "order");
    if (e->order_id) {
        jw_obj_open(w);
        jw_kv_str(w, "id", e->order_id);
        jw_kv_str(w, "source_id", e->order_source_id);
        jw_obj_close(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "event");
    if (e->event_id) {
        jw_obj_open(w);
        jw_kv_str(w, "id", e->event_id);
        jw_kv_str(w, "name", e->event_name);
        jw_obj_close(w);
    } else {
        jw_null(w);
    }
    jw_kv_raw(w, "lots", e->lots_json ? e->lots_json : "[]");
    jw_kv_int(w, "shortfall", e->shortfall);
    jw_kv_raw(w, "postings", e->postings_json ? e->postings_json : "[]");
    jw_obj_close(w);
    jw_kv_str(w, "voucher_id", e->member_id);
    jw_kv_str(w, "campaign_id", e->program_id);
    jw_kv_time(w, "created_at", e->created_at);
    jw_kv_str(w, "object", "loyalty_card_transaction");
    jw_obj_close(w);
}

static void lot_render(struct jw *w, const struct lot *l, const struct member *m)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", l->id);
    jw_kv_str(w, "voucher_id", m->id);
    jw_kv_str(w, "campaign_id", m->program_id);
    jw_kv_int(w, "points", l->remaining);
    jw_kv_int(w, "original_points", l->amount);
    jw_kv_str(w, "status", l->state == LOT_PENDING ? "PENDING" : "ACTIVE");
    jw_kv_time(w, "expires_at", l->expires_at);
    jw_kv_time(w, "release_at", l->state == LOT_PENDING ? l->release_at : 0);
    jw_kv_time(w, "created_at", l->created_at);
    jw_kv_str(w, "object", "loyalty_points_bucket");
    jw_obj_close(w);
}

static void not_found(struct buf *b, struct request *r, const char *what, const char *ref)
{
    char details[320];
    snprintf(details, sizeof details, "Cannot find %s with id %.255s", what, ref);
    api_error_body(b, 404, "not_found", "Resource not found", details, r->request_id);
}

/* ---- programs ---- */

enum program_field {
    PF_NAME = 1 << 0,
    PF_DESCRIPTION = 1 << 1,
    PF_TIMEZONE = 1 << 2,
    PF_EXPIRATION = 1 << 3,
    PF_CODE = 1 << 4,
    PF_PENDING = 1 << 5,
    PF_NEGATIVE = 1 << 6,
    PF_START = 1 << 7,
    PF_END = 1 << 8,
    PF_ACTIVE = 1 << 9,
    PF_METADATA = 1 << 10,
    PF_TIERQ = 1 << 11,
    PF_LIMITS = 1 << 12,
};

struct program_cmd {
    struct request *r;
    const char *ref;
    struct program in;
    unsigned fields;
};

static const char *const program_fields[] = {"name",
                                             "description",
                                             "campaign_type",
                                             "timezone",
                                             "voucher",
                                             "pending_points",
                                             "allow_negative_balance",
                                             "start_date",
                                             "expiration_date",
                                             "active",
                                             "metadata",
                                             "tier_qualification",
                                             "limits",
                                             NULL};
/* Voucherify fields treu accepts and ignores, so SDK payloads and fetched objects pass. */
static const char *const program_ignored[] = {
    "id",         "object",         "type",
    "created_at", "updated_at",     "join_once",
    "auto_join",  "vouchers_count", "use_voucher_metadata_schema",
    "category",   "category_id",    "accounts",
    NULL};

static int expiration_or_reply(struct request *r, const cJSON *lc, struct program_cmd *pc)
{
    static const char *const fields[] = {"period_type", "period_value", "rounding_type",
                                         "rounding_value", NULL};
    static const char *const types[] = {"MONTH", "DAY", NULL};
    static const char *const rounds[] = {"END_OF_MONTH", "END_OF_QUARTER", "END_OF_HALF_YEAR",
                                         "END_OF_YEAR", NULL};
    const char *where = "voucher.loyalty_card.expiration_rules";
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(lc, "expiration_rules");
    if (!e)
        return 0;
    pc->fields |= PF_EXPIRATION;
    if (cJSON_IsNull(e))
        return 0;
    int type, round = -1;
    int64_t value, rv;
    bool has_type, has_value, has_round, has_rv;
    if (!cJSON_IsObject(e)) {
        reply_error(r, 400, "invalid_param", "Invalid field type", "%s: must be an object or null",
                    where);
        return -1;
    }
    if (req_known_fields_or_reply(r, e, fields, NULL, where) < 0 ||
        req_enum_field_or_reply(r, e, where, "period_type", types, &type, &has_type) < 0 ||
        req_int_field_or_reply(r, e, where, "period_value", 1, PROGRAM_PERIOD_MAX, &value,
                               &has_value) < 0 ||
        req_int_field_or_reply(r, e, where, "rounding_value", 0, 11, &rv, &has_rv) < 0)
        return -1;
    const cJSON *ro = cJSON_GetObjectItemCaseSensitive(e, "rounding_type");
    if (ro && !cJSON_IsNull(ro) &&
        req_enum_field_or_reply(r, e, where, "rounding_type", rounds, &round, &has_round) < 0)
        return -1;
    if (!has_type || !has_value) {
        reply_error(r, 400, "missing_param", "Missing field",
                    "%s: period_type and period_value "
                    "are required",
                    where);
        return -1;
    }
    struct buf b;
    struct jw w;
    buf_init(&b, 1024);
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_str(&w, "period_type", types[type]);
    jw_kv_int(&w, "period_value", value);
    jw_kv_str(&w, "rounding_type", round >= 0 ? rounds[round] : NULL);
    jw_kv_int(&w, "rounding_value", 0);
    jw_obj_close(&w);
    pc->in.expiration_json = arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    return 0;
}

static int code_config_or_reply(struct request *r, const cJSON *cc, struct program_cmd *pc)
{
    static const char *const fields[] = {"pattern", "charset", "prefix", "postfix", "length", NULL};
    const char *where = "voucher.code_config";
    if (!cc)
        return 0;
    if (!cJSON_IsObject(cc)) {
        reply_error(r, 400, "invalid_param", "Invalid field type", "%s: must be an object", where);
        return -1;
    }
    struct opt_str pat, cs, pre, post;
    int64_t len = 8;
    bool has_len;
    if (req_known_fields_or_reply(r, cc, fields, NULL, where) < 0 ||
        req_string_field_or_reply(r, cc, "pattern", CODES_LEN_MAX, true, &pat) < 0 ||
        req_string_field_or_reply(r, cc, "charset", CODES_CHARSET_MAX, true, &cs) < 0 ||
        req_string_field_or_reply(r, cc, "prefix", CODES_LEN_MAX, true, &pre) < 0 ||
        req_string_field_or_reply(r, cc, "postfix", CODES_LEN_MAX, true, &post) < 0 ||
        (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cc, "length")) &&
         req_int_field_or_reply(r, cc, where, "length", CODES_RANDOM_MIN, CODES_LEN_MAX, &len,
                                &has_len) < 0))
        return -1;
    struct code_config c = {pat.v, cs.v, pre.v, post.v, (int)len};
    char why[128];
    if (!codes_config_valid(&c, why, sizeof why)) {
        reply_error(r, 400, "invalid_param", "Invalid code configuration", "%s.%s", where, why);
        return -1;
    }
    struct buf b;
    struct jw w;
    buf_init(&b, 1024);
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_str(&w, "pattern", c.pattern);
    jw_kv_str(&w, "charset", c.charset ? c.charset : CODES_DEFAULT_CHARSET);
    jw_kv_str(&w, "prefix", c.prefix);
    jw_kv_str(&w, "postfix", c.postfix);
    jw_key(&w, "length");
    if (c.pattern)
        jw_null(&w);
    else
        jw_int(&w, c.length);
    jw_obj_close(&w);
    pc->in.code_config_json = arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    pc->fields |= PF_CODE;
    return 0;
}

static int voucher_or_reply(struct request *r, const cJSON *body, struct program_cmd *pc)
{
    static const char *const fields[] = {"type",       "loyalty_card",     "code_config",
                                         "redemption", "is_referral_code", NULL};
    static const char *const lc_fields[] = {"points", "expiration_rules", NULL};
    static const char *const vtypes[] = {"LOYALTY_CARD", NULL};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "voucher");
    if (!v)
        return 0;
    int t;
    bool has;
    if (!cJSON_IsObject(v)) {
        reply_error(r, 400, "invalid_param", "Invalid field type", "voucher: must be an object");
        return -1;
    }
    if (req_known_fields_or_reply(r, v, fields, NULL, "voucher") < 0 ||
        req_enum_field_or_reply(r, v, "voucher", "type", vtypes, &t, &has) < 0)
        return -1;
    const cJSON *lc = cJSON_GetObjectItemCaseSensitive(v, "loyalty_card");
    if (lc && !cJSON_IsObject(lc)) {
        reply_error(r, 400, "invalid_param", "Invalid field type",
                    "voucher.loyalty_card: must be an object");
        return -1;
    }
    if (lc && (req_known_fields_or_reply(r, lc, lc_fields, NULL, "voucher.loyalty_card") < 0 ||
               expiration_or_reply(r, lc, pc) < 0))
        return -1;
    return code_config_or_reply(r, cJSON_GetObjectItemCaseSensitive(v, "code_config"), pc);
}

/* {"type": "BALANCE"} or {"type": "POINTS_IN_PERIOD", "period": "ROLLING_DAYS", "days": N}
 * or {"type": "POINTS_IN_PERIOD", "period": "CALENDAR_MONTH|CALENDAR_QUARTER|CALENDAR_YEAR"}. */
static int tier_qualification_or_reply(struct request *r, const cJSON *body, struct program_cmd *pc)
{
    static const char *const fields[] = {"type", "period", "days", NULL};
    static const char *const types[] = {"BALANCE", "POINTS_IN_PERIOD", NULL};
    static const char *const periods[] = {"ROLLING_DAYS", "CALENDAR_MONTH", "CALENDAR_QUARTER",
                                          "CALENDAR_YEAR", NULL};
    const char *where = "tier_qualification";
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(body, where);
    if (!q)
        return 0;
    pc->fields |= PF_TIERQ;
    if (cJSON_IsNull(q))
        return 0;
    int type = -1, period = -1;
    int64_t days = 365;
    bool has_type, has_period, has_days;
    if (!cJSON_IsObject(q)) {
        reply_error(r, 400, "invalid_param", "Invalid field type", "%s: must be an object", where);
        return -1;
    }
    if (req_known_fields_or_reply(r, q, fields, NULL, where) < 0 ||
        req_enum_field_or_reply(r, q, where, "type", types, &type, &has_type) < 0 ||
        req_enum_field_or_reply(r, q, where, "period", periods, &period, &has_period) < 0 ||
        req_int_field_or_reply(r, q, where, "days", 1, 3660, &days, &has_days) < 0)
        return -1;
    if (!has_type || (type == 1 && !has_period)) {
        reply_error(r, 400, "missing_param", "Missing field",
                    "%s: type is required, and period with POINTS_IN_PERIOD", where);
        return -1;
    }
    struct buf b;
    struct jw w;
    buf_init(&b, 512);
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_str(&w, "type", types[type]);
    if (type == 1) {
        jw_kv_str(&w, "period", periods[period]);
        if (period == 0)
            jw_kv_int(&w, "days", days);
    }
    jw_obj_close(&w);
    pc->in.tier_qualification_json = arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    return 0;
}

/* limits: the program's budget and per-member caps (engine/limits.h), kept canonical. */
static int limits_or_reply(struct request *r, const cJSON *body, struct program_cmd *pc)
{
    const cJSON *lj = cJSON_GetObjectItemCaseSensitive(body, "limits");
    if (!lj)
        return 0;
    struct program_limits l;
    char why[200];
    if (limits_parse(lj, &l, why, sizeof why) < 0) {
        reply_error(r, 400, "invalid_param", "Invalid limits", "%s", why);
        return -1;
    }
    pc->fields |= PF_LIMITS;
    if (!l.budget.set && !l.earned.set && !l.redeemed.set)
        return 0; /* null or all null: no limits */
    struct buf b;
    struct jw w;
    buf_init(&b, 4096);
    jw_init(&w, &b);
    limits_write(&w, &l);
    pc->in.limits_json = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    if (!pc->in.limits_json) {
        reply_op_error(r, TREU_ENOMEM);
        return -1;
    }
    return 0;
}

/* Reads a program body; on create the name is required. */
static int program_input_or_reply(struct request *r, struct program_cmd *pc, bool create)
{
    static const char *const ctypes[] = {"LOYALTY_PROGRAM", NULL};
    cJSON *body;
    struct opt_str name, desc, tz;
    int ct;
    bool has;
    struct program *p = &pc->in;
    if (req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, program_fields, program_ignored, "") < 0 ||
        req_enum_field_or_reply(r, body, "", "campaign_type", ctypes, &ct, &has) < 0 ||
        req_string_field_or_reply(r, body, "name", PROGRAM_NAME_BYTES_MAX, false, &name) < 0 ||
        req_string_field_or_reply(r, body, "description", PROGRAM_DESCRIPTION_BYTES_MAX, true,
                                  &desc) < 0 ||
        req_string_field_or_reply(r, body, "timezone", VALIDATE_TZ_BYTES_MAX, false, &tz) < 0 ||
        voucher_or_reply(r, body, pc) < 0 || tier_qualification_or_reply(r, body, pc) < 0 ||
        limits_or_reply(r, body, pc) < 0)
        return -1;
    if ((create && !name.set) || (name.set && !name.v[0])) {
        reply_error(r, 400, name.set ? "invalid_param" : "missing_param", "Invalid name",
                    "name: required, 1 to %d bytes", PROGRAM_NAME_BYTES_MAX);
        return -1;
    }
    if (tz.set && req_timezone_or_reply(r, tz.v) < 0)
        return -1;
    pc->fields |=
        (name.set ? PF_NAME : 0) | (desc.set ? PF_DESCRIPTION : 0) | (tz.set ? PF_TIMEZONE : 0);
    p->name = name.v;
    p->description = desc.v;
    p->timezone = tz.v;
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(body, "pending_points");
    if (pp && !cJSON_IsNull(pp)) {
        if (!cJSON_IsObject(pp)) {
            reply_error(r, 400, "invalid_param", "Invalid field type",
                        "pending_points: must be an object such as {\"period_days\": 14}");
            return -1;
        }
        if (req_int_field_or_reply(r, pp, "pending_points", "period_days", 0, PENDING_DAYS_MAX,
                                   &p->pending_days, &has) < 0)
            return -1;
    }
    pc->fields |= pp ? PF_PENDING : 0;
    if (req_bool_field_or_reply(r, body, "", "allow_negative_balance", &p->allow_negative, &has) <
        0)
        return -1;
    pc->fields |= has ? PF_NEGATIVE : 0;
    if (req_time_field_or_reply(r, body, "", "start_date", &p->start_date, &has) < 0)
        return -1;
    pc->fields |= has ? PF_START : 0;
    if (req_time_field_or_reply(r, body, "", "expiration_date", &p->expiration_date, &has) < 0)
        return -1;
    pc->fields |= has ? PF_END : 0;
    if (req_bool_field_or_reply(r, body, "", "active", &p->active, &has) < 0)
        return -1;
    pc->fields |= has ? PF_ACTIVE : 0;
    const cJSON *md;
    struct opt_str mds;
    if (req_object_field_or_reply(r, body, "metadata", &md, &mds) < 0)
        return -1;
    pc->fields |= mds.set ? PF_METADATA : 0;
    p->metadata_json = md ? req_json_text(r, md) : NULL;
    if (p->metadata_json && strlen(p->metadata_json) > METADATA_BYTES_MAX) {
        reply_error(r, 400, "invalid_param", "Metadata too large",
                    "metadata: at most %d bytes as compact JSON", METADATA_BYTES_MAX);
        return -1;
    }
    return 0;
}

/* Overlays the fields a request sent onto a stored program. */
static void program_overlay(struct program *dst, const struct program_cmd *pc)
{
    const struct program *s = &pc->in;
    unsigned f = pc->fields;
    if (f & PF_NAME)
        dst->name = s->name;
    if (f & PF_DESCRIPTION)
        dst->description = s->description;
    if (f & PF_TIMEZONE)
        dst->timezone = s->timezone;
    if (f & PF_EXPIRATION)
        dst->expiration_json = s->expiration_json;
    if (f & PF_CODE)
        dst->code_config_json = s->code_config_json;
    if (f & PF_PENDING)
        dst->pending_days = s->pending_days;
    if (f & PF_NEGATIVE)
        dst->allow_negative = s->allow_negative;
    if (f & PF_START)
        dst->start_date = s->start_date;
    if (f & PF_END)
        dst->expiration_date = s->expiration_date;
    if (f & PF_ACTIVE)
        dst->active = s->active;
    if (f & PF_METADATA)
        dst->metadata_json = s->metadata_json;
    if (f & PF_TIERQ)
        dst->tier_qualification_json = s->tier_qualification_json;
    if (f & PF_LIMITS)
        dst->limits_json = s->limits_json;
}

static void program_conflict(struct command *cmd, struct request *r)
{
    cmd->status = 409;
    api_error_body(&cmd->body, 409, "duplicate_found", "Duplicate name",
                   "name: another program of this project already has it", r->request_id);
}

static int programs_apply_create(struct command *cmd, const struct writer_tx *tx)
{
    struct program_cmd *pc = cmd->input;
    struct request *r = pc->r;
    struct program p = {.timezone = "UTC",
                        .active = true,
                        .code_config_json = "{\"pattern\":null,\"charset\":\"" CODES_DEFAULT_CHARSET
                                            "\",\"prefix\":null,"
                                            "\"postfix\":null,\"length\":8}"};
    program_overlay(&p, pc);
    ids_make(tx->rng, "camp_", p.id);
    p.created_at = p.updated_at = tx->now_us;
    int rc = store_program_insert(tx->conn, r->project_id, &p);
    if (rc == TREU_ECONFLICT) {
        program_conflict(cmd, r);
        return 0;
    }
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    program_render(&w, &p);
    cmd->status = 201;
    return 0;
}

static int programs_apply_update(struct command *cmd, const struct writer_tx *tx)
{
    struct program_cmd *pc = cmd->input;
    struct request *r = pc->r;
    struct program p;
    int rc = store_program_get(tx->conn, r->project_id, pc->ref, &r->arena, &p);
    if (rc == TREU_ENOTFOUND) {
        cmd->status = 404;
        not_found(&cmd->body, r, "campaign", pc->ref);
        return 0;
    }
    if (rc < 0)
        return rc;
    program_overlay(&p, pc);
    p.updated_at = tx->now_us;
    rc = store_program_update(tx->conn, r->project_id, &p);
    if (rc == TREU_ECONFLICT) {
        program_conflict(cmd, r);
        return 0;
    }
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    program_render(&w, &p);
    cmd->status = 200;
    return 0;
}

static int programs_apply_delete(struct command *cmd, const struct writer_tx *tx)
{
    struct program_cmd *pc = cmd->input;
    struct request *r = pc->r;
    struct program p;
    int64_t members = 0;
    int rc = store_program_get(tx->conn, r->project_id, pc->ref, &r->arena, &p);
    if (rc == TREU_ENOTFOUND) {
        cmd->status = 404;
        not_found(&cmd->body, r, "campaign", pc->ref);
        return 0;
    }
    if (rc == 0)
        rc = store_member_count(tx->conn, r->project_id, p.id, &members);
    if (rc < 0)
        return rc;
    if (members > 0) {
        cmd->status = 409;
        api_error_body(&cmd->body, 409, "campaign_has_members", "Program has members",
                       "a program with members keeps their points history and cannot be "
                       "deleted; set active to false instead",
                       r->request_id);
        return 0;
    }
    rc = store_program_delete(tx->conn, r->project_id, p.id);
    cmd->status = 204;
    return rc;
}

static void program_submit(struct request *r,
                           int (*apply)(struct command *, const struct writer_tx *), bool with_body,
                           bool create)
{
    struct program_cmd *pc = arena_zalloc(&r->arena, sizeof *pc);
    if (!pc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    pc->r = r;
    pc->ref = r->nparams ? r->params[0] : NULL;
    if (with_body && program_input_or_reply(r, pc, create) < 0)
        return;
    r->cmd.apply = apply;
    r->cmd.input = pc;
    api_submit(r);
}

void api_loyalties_create(struct request *r)
{
    program_submit(r, programs_apply_create, true, true);
}

void api_loyalties_update(struct request *r)
{
    program_submit(r, programs_apply_update, true, false);
}

void api_loyalties_delete(struct request *r)
{
    program_submit(r, programs_apply_delete, false, false);
}

void api_loyalties_get(struct request *r)
{
    struct program p;
    struct store_conn *c = req_reader(r);
    int rc = store_program_get(c, r->project_id, r->params[0], &r->arena, &p);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "campaign", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    program_render(&w, &p);
    reply_json(r, 200);
}

void api_loyalties_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct program *rows;
    size_t n;
    int64_t total;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_program_list(c, r->project_id, &pg, &r->arena, &rows, &n, &total);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_op_error(r, rc);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "campaigns");
    for (size_t i = 0; i < n; i++)
        program_render(&w, &rows[i]);
    api_list_close(&w, total, pg.offset + (int64_t)n < total);
    reply_json(r, 200);
}

/* ---- members ---- */

struct member_cmd {
    struct request *r;
    const char *program_ref; /* NULL on /v1/loyalties/members/{memberId} */
    const char *member_ref;
    struct customer_ref customer;
    int64_t points;
    const char *reason;
};

/* The member ref is the last path parameter; the program ref the first when there are two. */
static void member_refs(struct request *r, struct member_cmd *mc)
{
    mc->program_ref = r->nparams >= 2 ? r->params[0] : NULL;
    mc->member_ref = r->params[r->nparams - 1];
}

/* Loads the member for a command and checks it belongs to the program named in the path.
 * Returns 1 after writing a 404 into the command, 0 when found, negative on errors. */
static int member_for_cmd(struct command *cmd, const struct loyalty_ctx *lc, struct member_cmd *mc,
                          struct member_state *ms, struct program *p)
{
    struct request *r = mc->r;
    int rc = loyalty_load(lc, mc->member_ref, ms);
    if (rc == 0)
        rc = store_program_get(lc->tx->conn, lc->pid, ms->m.program_id, lc->a, p);
    if (rc == 0 && mc->program_ref && strcmp(p->id, mc->program_ref) != 0 &&
        strcmp(p->name, mc->program_ref) != 0)
        rc = TREU_ENOTFOUND;
    if (rc == TREU_ENOTFOUND) {
        cmd->status = 404;
        not_found(&cmd->body, r, "loyalty card", mc->member_ref);
        return 1;
    }
    return rc;
}

static int members_apply_enroll(struct command *cmd, const struct writer_tx *tx)
{
    struct member_cmd *mc = cmd->input;
    struct request *r = mc->r;
    struct loyalty_ctx lc = lctx(r, tx);
    struct program p;
    struct customer cu;
    enum customer_result cres;
    int rc = store_program_get(tx->conn, r->project_id, mc->program_ref, &r->arena, &p);
    if (rc == TREU_ENOTFOUND) {
        cmd->status = 404;
        not_found(&cmd->body, r, "campaign", mc->program_ref);
        return 0;
    }
    if (rc == 0)
        rc = customers_resolve(tx, r->project_id, &mc->customer, &r->arena, &cu, &cres);
    if (rc < 0)
        return rc;
    if (cres == CUSTOMER_NOT_FOUND || cres == CUSTOMER_SOURCE_TAKEN) {
        cmd->status = 404;
        not_found(&cmd->body, r, "customer", mc->customer.ref ? mc->customer.ref : "");
        return 0;
    }
    struct member_state ms;
    bool created;
    enum loyalty_result lres;
    rc = loyalty_enroll(&lc, &p, cu.id, &ms, &created, &lres);
    if (rc < 0)
        return rc;
    if (lres == LOYALTY_CODE_EXHAUSTED) {
        cmd->status = 409;
        api_error_body(&cmd->body, 409, "codes_exhausted", "No free card code",
                       "the program's code_config leaves too few unused codes; make the codes "
                       "longer",
                       r->request_id);
        return 0;
    }
    struct jw w;
    jw_init(&w, &cmd->body);
    member_render_state(&w, &ms, p.name);
    cmd->status = created ? 201 : 200;
    return 0;
}

static int members_apply_balance(struct command *cmd, const struct writer_tx *tx)
{
    struct member_cmd *mc = cmd->input;
    struct request *r = mc->r;
    struct loyalty_ctx lc = lctx(r, tx);
    struct member_state ms;
    struct program p;
    int rc = member_for_cmd(cmd, &lc, mc, &ms, &p);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    struct entry tmpl = {.reason = mc->reason};
    enum loyalty_result res = LOYALTY_OK;
    if (mc->points > 0)
        rc = loyalty_credit(&lc, &p, &ms, mc->points, 0, "POINTS_ADDITION", &tmpl, NULL);
    else
        rc = loyalty_debit(&lc, &p, &ms, -mc->points, "POINTS_REMOVAL", &tmpl, NULL, &res);
    if (rc == 0 && res == LOYALTY_OK)
        rc = loyalty_tier_rules(&lc, &ms);
    if (rc < 0)
        return rc;
    if (res == LOYALTY_INSUFFICIENT) {
        char details[160];
        snprintf(details, sizeof details, "points: the balance is %lld, cannot subtract %lld",
                 (long long)ms.m.balance, (long long)-mc->points);
        cmd->status = 400;
        api_error_body(&cmd->body, 400, "insufficient_balance", "Not enough points", details,
                       r->request_id);
        return 0;
    }
    struct jw w;
    jw_init(&w, &cmd->body);
    jw_obj_open(&w);
    jw_kv_int(&w, "points", mc->points);
    jw_kv_int(&w, "total", ms.m.earned);
    jw_kv_int(&w, "balance", ms.m.balance);
    jw_kv_str(&w, "type", "loyalty_card");
    jw_kv_str(&w, "object", "balance");
    jw_kv_str(&w, "operation_type", "MANUAL");
    jw_key(&w, "related_object");
    jw_obj_open(&w);
    jw_kv_str(&w, "type", "voucher");
    jw_kv_str(&w, "id", ms.m.id);
    jw_obj_close(&w);
    jw_obj_close(&w);
    cmd->status = 200;
    return 0;
}

static struct member_cmd *member_cmd_new(struct request *r)
{
    struct member_cmd *mc = arena_zalloc(&r->arena, sizeof *mc);
    if (!mc) {
        reply_op_error(r, TREU_ENOMEM);
        return NULL;
    }
    mc->r = r;
    return mc;
}

void api_members_create(struct request *r)
{
    static const char *const fields[] = {"customer", "metadata", "channel", "source_id", NULL};
    struct member_cmd *mc = member_cmd_new(r);
    cJSON *body;
    if (!mc || req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, NULL, "") < 0 ||
        api_customer_ref_or_reply(r, body, "customer", &mc->customer) < 0)
        return;
    mc->program_ref = r->params[0];
    r->cmd.apply = members_apply_enroll;
    r->cmd.input = mc;
    api_submit(r);
}

void api_members_balance(struct request *r)
{
    static const char *const fields[] = {"points",          "reason",          "source_id",
                                         "expiration_type", "expiration_date", NULL};
    struct member_cmd *mc = member_cmd_new(r);
    cJSON *body;
    bool has;
    struct opt_str reason;
    if (!mc || req_json_object_or_reply(r, &body) < 0 ||
        req_known_fields_or_reply(r, body, fields, NULL, "") < 0 ||
        req_int_field_or_reply(r, body, "", "points", -LOYALTY_POINTS_MAX, LOYALTY_POINTS_MAX,
                               &mc->points, &has) < 0 ||
        req_string_field_or_reply(r, body, "reason", LOYALTY_REASON_BYTES_MAX, true, &reason) < 0)
        return;
    if (!has || mc->points == 0) {
        reply_error(r, 400, has ? "invalid_param" : "missing_param", "Invalid points",
                    "points: required, a non-zero integer (negative subtracts)");
        return;
    }
    mc->reason = reason.v;
    member_refs(r, mc);
    r->cmd.apply = members_apply_balance;
    r->cmd.input = mc;
    api_submit(r);
}

/* Read side: the member of the path (checked against the program when one is named). */
static int member_read(struct request *r, struct store_conn *c, struct member *m, struct program *p)
{
    struct member_cmd mc = {.r = r};
    member_refs(r, &mc);
    int rc = store_member_get(c, r->project_id, mc.member_ref, &r->arena, m);
    if (rc == 0)
        rc = store_program_get(c, r->project_id, m->program_id, &r->arena, p);
    if (rc == 0 && mc.program_ref && strcmp(p->id, mc.program_ref) != 0 &&
        strcmp(p->name, mc.program_ref) != 0)
        rc = TREU_ENOTFOUND;
    if (rc == TREU_ENOTFOUND) {
        not_found(&r->out, r, "loyalty card", mc.member_ref);
        r->status = 404;
        return -1;
    }
    if (rc < 0) {
        reply_op_error(r, rc);
        return -1;
    }
    return 0;
}

void api_members_get(struct request *r)
{
    struct member m;
    struct program p;
    struct member_view v;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = member_read(r, c, &m, &p);
        if (rc == 0)
            rc = loyalty_view(c, r->project_id, &m, clock_now_us(r->app->clock), &r->arena, &v,
                              NULL, NULL);
        if (rc < 0 && !r->status)
            reply_op_error(r, rc);
        store_read_end(c);
    } else {
        reply_op_error(r, rc);
    }
    req_reader_release(r, c);
    if (rc < 0)
        return;
    struct jw w;
    jw_init(&w, &r->out);
    member_render(&w, &m, p.name, &v);
    reply_json(r, 200);
}

void api_members_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct program p;
    struct member *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    int64_t now = clock_now_us(r->app->clock);
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_program_get(c, r->project_id, r->params[0], &r->arena, &p);
        if (rc == 0)
            rc = store_member_list(c, r->project_id, p.id, &pg, &r->arena, &rows, &n, &total);
        struct jw w;
        jw_init(&w, &r->out);
        api_list_open(&w, "vouchers");
        for (size_t i = 0; rc == 0 && i < n; i++) {
            struct member_view v;
            rc = loyalty_view(c, r->project_id, &rows[i], now, &r->arena, &v, NULL, NULL);
            if (rc == 0)
                member_render(&w, &rows[i], p.name, &v);
        }
        api_list_close(&w, total, pg.offset + (int64_t)n < total);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc == TREU_ENOTFOUND) {
        not_found(&r->out, r, "campaign", r->params[0]);
        r->status = 404;
    } else if (rc < 0) {
        reply_op_error(r, rc);
    } else {
        reply_json(r, 200);
    }
}

/* One page of the path's member's entries, newest first. -1 after replying. */
static int member_entries_or_reply(struct request *r, struct page *pg, struct member *m,
                                   struct entry **rows, size_t *n, int64_t *total)
{
    struct program p;
    *rows = NULL;
    *n = 0;
    *total = 0;
    if (req_page_or_reply(r, pg) < 0)
        return -1;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = member_read(r, c, m, &p);
        if (rc == 0) {
            rc = store_entry_list(c, r->project_id, m->id, pg, &r->arena, rows, n, total);
            if (rc < 0)
                reply_op_error(r, rc);
        }
        store_read_end(c);
    } else {
        reply_op_error(r, rc);
    }
    req_reader_release(r, c);
    return rc < 0 ? -1 : 0;
}

void api_members_transactions(struct request *r)
{
    struct page pg;
    struct member m;
    struct entry *rows;
    size_t n;
    int64_t total;
    if (member_entries_or_reply(r, &pg, &m, &rows, &n, &total) < 0)
        return;
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "data");
    for (size_t i = 0; i < n; i++)
        api_entry_render(&w, &rows[i]);
    api_list_close(&w, total, pg.offset + (int64_t)n < total);
    reply_json(r, 200);
}

/* The Voucherify event name of a ledger entry, for the activity feed. */
static const char *activity_type(const char *entry_type)
{
    static const struct {
        const char *entry, *activity;
    } map[] = {
        {"POINTS_ACCRUAL", "customer.rewarded.loyalty_points"},
        {"POINTS_ADDITION", "customer.loyalty.card.points_added"},
        {"POINTS_REMOVAL", "customer.loyalty.card.points_removed"},
        {"POINTS_EXPIRATION", "customer.loyalty.card.points_expired"},
        {"POINTS_PENDING_ACTIVATION", "customer.loyalty.card.pending_points.activated"},
        {"POINTS_REFUND", "customer.loyalty.card.points_refunded"},
        {"POINTS_TRANSFER_OUT", "customer.loyalty.card.points_transferred"},
        {"POINTS_TRANSFER_IN", "customer.loyalty.card.points_received"},
        /* the names of the webhook events the same redemptions emit */
        {"POINTS_REDEMPTION", "customer.reward_redemptions.created"},
        {"POINTS_REDEMPTION_ROLLBACK", "customer.reward_redemptions.rolledback"},
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(map); i++) {
        if (strcmp(map[i].entry, entry_type) == 0)
            return map[i].activity;
    }
    return "customer.loyalty.card.updated";
}

/* GET …/members/{memberId}/activity(ies): the member's history as Voucherify-style
 * events, newest first, each carrying its ledger entry. */
void api_members_activities(struct request *r)
{
    struct page pg;
    struct member m;
    struct entry *rows;
    size_t n;
    int64_t total;
    if (member_entries_or_reply(r, &pg, &m, &rows, &n, &total) < 0)
        return;
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "data");
    for (size_t i = 0; i < n; i++) {
        jw_obj_open(&w);
        jw_kv_str(&w, "id", rows[i].id);
        jw_kv_str(&w, "type", activity_type(rows[i].type));
        jw_key(&w, "data");
        jw_obj_open(&w);
        jw_kv_str(&w, "customer_id", m.customer_id);
        jw_key(&w, "transaction");
        api_entry_render(&w, &rows[i]);
        jw_obj_close(&w);
        jw_kv_time(&w, "created_at", rows[i].created_at);
        jw_kv_str(&w, "object", "event");
        jw_obj_close(&w);
    }
    api_list_close(&w, total, pg.offset + (int64_t)n < total);
    reply_json(r, 200);
}

void api_members_points_expiration(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct member m;
    struct program p;
    struct member_view v;
    struct lot *lots = NULL;
    size_t n = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = member_read(r, c, &m, &p);
        if (rc == 0) {
            rc = loyalty_view(c, r->project_id, &m, clock_now_us(r->app->clock), &r->arena, &v,
                              &lots, &n);
            if (rc < 0)
                reply_op_error(r, rc);
        }
        store_read_end(c);
    } else {
        reply_op_error(r, rc);
    }
    req_reader_release(r, c);
    if (rc < 0)
        return;
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "data");
    size_t end = (size_t)pg.offset + (size_t)pg.limit;
    for (size_t i = (size_t)pg.offset; i < n && i < end; i++)
        lot_render(&w, &lots[i], &m);
    api_list_close(&w, (int64_t)n, end < n);
    reply_json(r, 200);
}

/* ---- earning rules ---- */

struct rule_def {
    const char *event;
    const char *body_json;
    bool active;
    bool has_active;
};

struct rules_cmd {
    struct request *r;
    const char *program_ref;
    const char *rule_ref;
    struct rule_def *rules;
    size_t n;
    int op; /* 0 create, 1 update, 2 delete, 3 enable, 4 disable */
};

static const char *const rule_fields[] = {"event",
                                          "loyalty",
                                          "custom_event",
                                          "start_date",
                                          "expiration_date",
                                          "validity_day_of_week",
                                          "validity_hours",
                                          "pending_points",
                                          "limits",
                                          "conditions",
                                          "active",
                                          "metadata",
                                          "validation_rule_id",
                                          NULL};
static const char *const rule_ignored[] = {"id",          "object", "created_at", "updated_at",
                                           "campaign_id", "source", NULL};

static bool rule_event_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > RULE_EVENT_BYTES_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static int positive_pair_or_reply(struct request *r, const cJSON *o, const char *where)
{
    int64_t v;
    bool has_every, has_points;
    if (!cJSON_IsObject(o)) {
        reply_error(r, 400, "invalid_param", "Invalid field type",
                    "%s: must be an object with every and points", where);
        return -1;
    }
    if (req_int_field_or_reply(r, o, where, "every", 1, LOYALTY_POINTS_MAX, &v, &has_every) < 0 ||
        req_int_field_or_reply(r, o, where, "points", 1, LOYALTY_POINTS_MAX, &v, &has_points) < 0)
        return -1;
    if (!has_every || !has_points) {
        reply_error(r, 400, "missing_param", "Missing field", "%s: every and points are required",
                    where);
        return -1;
    }
    return 0;
}

static int rule_loyalty_or_reply(struct request *r, const cJSON *rule)
{
    static const char *const types[] = {"FIXED", "PROPORTIONAL", NULL};
    static const char *const calcs[] = {"ORDER_AMOUNT",       "CUSTOM_EVENT_METADATA",
                                        "ORDER_ITEMS_AMOUNT", "ORDER_ITEMS_QUANTITY",
                                        "CUSTOMER_METADATA",  NULL};
    const cJSON *loy = cJSON_GetObjectItemCaseSensitive(rule, "loyalty");
    int type, calc;
    bool has;
    int64_t pts;
    if (!cJSON_IsObject(loy)) {
        reply_error(r, 400, loy ? "invalid_param" : "missing_param", "Invalid loyalty",
                    "loyalty: required, e.g. {\"type\": \"FIXED\", \"points\": 50}");
        return -1;
    }
    if (req_enum_field_or_reply(r, loy, "loyalty", "type", types, &type, &has) < 0)
        return -1;
    if (!has) {
        reply_error(r, 400, "missing_param", "Missing field",
                    "loyalty.type: FIXED or PROPORTIONAL");
        return -1;
    }
    if (type == 0) {
        if (req_int_field_or_reply(r, loy, "loyalty", "points", 1, LOYALTY_POINTS_MAX, &pts, &has) <
            0)
            return -1;
        if (!has) {
            reply_error(r, 400, "missing_param", "Missing field", "loyalty.points: required");
            return -1;
        }
        return 0;
    }
    if (req_enum_field_or_reply(r, loy, "loyalty", "calculation_type", calcs, &calc, &has) < 0)
        return -1;
    if (!has) {
        reply_error(r, 400, "missing_param", "Missing field",
                    "loyalty.calculation_type: ORDER_AMOUNT or CUSTOM_EVENT_METADATA");
        return -1;
    }
    if (calc == 0)
        return positive_pair_or_reply(r,
                                      cJSON_GetObjectItemCaseSensitive(
                                          cJSON_GetObjectItemCaseSensitive(loy, "order"), "amount"),
                                      "loyalty.order.amount");
    if (calc == 2 || calc == 3) {
        const char *key = calc == 2 ? "amount" : "quantity";
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(loy, "order_items"), key);
        char where[64];
        snprintf(where, sizeof where, "loyalty.order_items.%s", key);
        if (positive_pair_or_reply(r, spec, where) < 0)
            return -1;
        struct opt_str prod, sku;
        return req_string_field_or_reply(r, spec, "product_id", 255, false, &prod) < 0 ||
                       req_string_field_or_reply(r, spec, "sku_id", 255, false, &sku) < 0
                   ? -1
                   : 0;
    }
    const char *outer = calc == 1 ? "custom_event" : "customer";
    const char *where = calc == 1 ? "loyalty.custom_event.metadata" : "loyalty.customer.metadata";
    const cJSON *md =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(loy, outer), "metadata");
    const cJSON *prop = cJSON_GetObjectItemCaseSensitive(md, "property");
    int64_t above;
    if (positive_pair_or_reply(r, md, where) < 0 ||
        req_int_field_or_reply(r, md, where, "above", 0, LOYALTY_POINTS_MAX, &above, &has) < 0)
        return -1;
    if (!cJSON_IsString(prop) || !prop->valuestring[0] || strlen(prop->valuestring) > 100) {
        reply_error(r, 400, "invalid_param", "Invalid property",
                    "%s.property: the metadata key to read, 1 to 100 bytes", where);
        return -1;
    }
    return 0;
}

static bool hhmm_valid(const cJSON *v)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    return strlen(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' &&
           s[1] <= '9' && s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9' &&
           (s[0] - '0') * 10 + (s[1] - '0') < 24;
}

static int rule_window_or_reply(struct request *r, const cJSON *rule)
{
    int64_t t;
    bool has;
    if (req_time_field_or_reply(r, rule, "", "start_date", &t, &has) < 0 ||
        req_time_field_or_reply(r, rule, "", "expiration_date", &t, &has) < 0)
        return -1;
    const cJSON *days = cJSON_GetObjectItemCaseSensitive(rule, "validity_day_of_week");
    if (days && !cJSON_IsNull(days)) {
        bool ok = cJSON_IsArray(days) && cJSON_GetArraySize(days) <= 7;
        for (const cJSON *d = ok ? days->child : NULL; d; d = d->next)
            ok &= cJSON_IsNumber(d) && d->valuedouble >= 0 && d->valuedouble <= 6 &&
                  d->valuedouble == (double)d->valueint;
        if (!ok) {
            reply_error(r, 400, "invalid_param", "Invalid days",
                        "validity_day_of_week: an array of 0 (Sunday) to 6 (Saturday)");
            return -1;
        }
    }
    const cJSON *hours = cJSON_GetObjectItemCaseSensitive(rule, "validity_hours");
    if (hours && !cJSON_IsNull(hours) &&
        (!cJSON_IsObject(hours) ||
         !hhmm_valid(cJSON_GetObjectItemCaseSensitive(hours, "start_time")) ||
         !hhmm_valid(cJSON_GetObjectItemCaseSensitive(hours, "end_time")))) {
        reply_error(r, 400, "invalid_param", "Invalid hours",
                    "validity_hours: {\"start_time\": \"HH:MM\", \"end_time\": \"HH:MM\"}");
        return -1;
    }
    return 0;
}

static int rule_extras_or_reply(struct request *r, const cJSON *rule)
{
    static const char *const periods[] = {"DAY", "WEEK", "MONTH", NULL};
    int64_t v;
    bool has;
    int per;
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(rule, "pending_points");
    if (pp && !cJSON_IsNull(pp) &&
        (!cJSON_IsObject(pp) || req_int_field_or_reply(r, pp, "pending_points", "period_days", 0,
                                                       PENDING_DAYS_MAX, &v, &has) < 0)) {
        if (!r->status)
            reply_error(r, 400, "invalid_param", "Invalid pending_points",
                        "pending_points: {\"period_days\": 14}");
        return -1;
    }
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(rule, "limits");
    if (lim && !cJSON_IsNull(lim)) {
        const cJSON *pm = cJSON_GetObjectItemCaseSensitive(lim, "per_member");
        if (!cJSON_IsObject(pm) ||
            req_int_field_or_reply(r, pm, "limits.per_member", "count", 1, RULE_LIMIT_COUNT_MAX, &v,
                                   &has) < 0 ||
            req_enum_field_or_reply(r, pm, "limits.per_member", "period", periods, &per, &has) <
                0) {
            if (!r->status)
                reply_error(r, 400, "invalid_param", "Invalid limits",
                            "limits: {\"per_member\": {\"count\": 3, \"period\": \"WEEK\"}}");
            return -1;
        }
    }
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(rule, "conditions");
    if (cond && !cJSON_IsNull(cond)) {
        struct ruleset *rs;
        struct rule_error err;
        int rc = cJSON_IsObject(cond) ? rules_compile(cond, &r->arena, &rs, &err) : TREU_EINVAL;
        if (rc == TREU_EINVAL) {
            reply_error(r, 400, "invalid_param", "Invalid conditions", "conditions.%s: %s",
                        cJSON_IsObject(cond) ? err.where : "",
                        cJSON_IsObject(cond) ? err.message : "must be an object");
            return -1;
        }
        if (rc < 0) {
            reply_op_error(r, rc);
            return -1;
        }
    }
    return 0;
}

/* A validation_rule_id must name a validation rule of this project. */
static int vrule_exists_or_reply(struct request *r, const cJSON *v)
{
    struct validation_rule vr;
    if (!cJSON_IsString(v)) {
        reply_error(r, 400, "invalid_param", "Invalid field type",
                    "validation_rule_id: must be a validation rule id (val_…) or null");
        return -1;
    }
    struct store_conn *c = req_reader(r);
    int rc = store_vrule_get(c, r->project_id, v->valuestring, &r->arena, &vr);
    req_reader_release(r, c);
    if (rc == TREU_ENOTFOUND)
        reply_error(r, 400, "invalid_param", "Unknown validation rule",
                    "validation_rule_id: no validation rule %.100s in this project",
                    v->valuestring);
    else if (rc < 0)
        reply_op_error(r, rc);
    return rc < 0 ? -1 : 0;
}

/* Validates one rule object; its canonical body is stored without "active". */
static int rule_or_reply(struct request *r, cJSON *rule, struct rule_def *out, bool create)
{
    if (!cJSON_IsObject(rule)) {
        reply_error(r, 400, "invalid_param", "Invalid rule", "each earning rule must be an object");
        return -1;
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(rule, "event");
    if (req_known_fields_or_reply(r, rule, rule_fields, rule_ignored, "") < 0 ||
        req_bool_field_or_reply(r, rule, "", "active", &out->active, &out->has_active) < 0)
        return -1;
    if ((create || ev) && (!cJSON_IsString(ev) || !rule_event_valid(ev->valuestring))) {
        reply_error(r, 400, ev ? "invalid_param" : "missing_param", "Invalid event",
                    "event: order.paid, customer.created, or a custom event name of 1 to %d "
                    "characters a-z 0-9 _ . -",
                    RULE_EVENT_BYTES_MAX);
        return -1;
    }
    if (rule_loyalty_or_reply(r, rule) < 0 || rule_window_or_reply(r, rule) < 0 ||
        rule_extras_or_reply(r, rule) < 0)
        return -1;
    const cJSON *vr = cJSON_GetObjectItemCaseSensitive(rule, "validation_rule_id");
    if (vr && !cJSON_IsNull(vr) && vrule_exists_or_reply(r, vr) < 0)
        return -1;
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(rule, "metadata");
    if (md && !cJSON_IsNull(md) && !cJSON_IsObject(md)) {
        reply_error(r, 400, "invalid_param", "Invalid field type", "metadata: must be an object");
        return -1;
    }
    out->event = cJSON_IsString(ev) ? ev->valuestring : NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(rule, "active");
    static const char *const drop[] = {"id",         "object",      "created_at",
                                       "updated_at", "campaign_id", "source"};
    for (size_t i = 0; i < TREU_ARRAY_LEN(drop); i++)
        cJSON_DeleteItemFromObjectCaseSensitive(rule, drop[i]);
    out->body_json = req_json_text(r, rule);
    if (!out->body_json || strlen(out->body_json) > METADATA_BYTES_MAX * 2) {
        reply_error(r, 400, "invalid_param", "Rule too large",
                    "an earning rule is at most %d "
                    "bytes as JSON",
                    METADATA_BYTES_MAX * 2);
        return -1;
    }
    return 0;
}

/* The stored definition's fields at the top level, as Voucherify shows a rule; the
 * documented fields a rule was created without read as null (metadata as {}). */
static void rule_render(struct jw *w, const struct earning_rule *er)
{
    static const char *const optional[] = {
        "validation_rule_id", "start_date",     "expiration_date", "validity_day_of_week",
        "validity_hours",     "pending_points", "limits",          "conditions"};
    jw_obj_open(w);
    jw_kv_str(w, "id", er->id);
    jw_kv_str(w, "campaign_id", er->program_id);
    cJSON *body = cJSON_Parse(er->body_json);
    for (const cJSON *f = body ? body->child : NULL; f; f = f->next) {
        jw_key(w, f->string);
        jw_item(w, f);
    }
    for (size_t i = 0; i < TREU_ARRAY_LEN(optional); i++) {
        if (!cJSON_GetObjectItemCaseSensitive(body, optional[i])) {
            jw_key(w, optional[i]);
            jw_null(w);
        }
    }
    if (!cJSON_GetObjectItemCaseSensitive(body, "metadata"))
        jw_kv_raw(w, "metadata", "{}");
    cJSON_Delete(body);
    jw_kv_bool(w, "active", er->active);
    jw_kv_time(w, "created_at", er->created_at);
    jw_kv_time(w, "updated_at", er->updated_at);
    jw_kv_str(w, "object", "earning_rule");
    jw_obj_close(w);
}

static int rules_program(struct command *cmd, struct rules_cmd *rc_, const struct writer_tx *tx,
                         struct program *p)
{
    struct request *r = rc_->r;
    int rc = store_program_get(tx->conn, r->project_id, rc_->program_ref, &r->arena, p);
    if (rc == TREU_ENOTFOUND) {
        cmd->status = 404;
        not_found(&cmd->body, r, "campaign", rc_->program_ref);
        return 1;
    }
    return rc;
}

static int rules_apply_create(struct command *cmd, const struct writer_tx *tx)
{
    struct rules_cmd *rcmd = cmd->input;
    struct request *r = rcmd->r;
    struct program p;
    int rc = rules_program(cmd, rcmd, tx, &p);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    struct jw w;
    jw_init(&w, &cmd->body);
    jw_arr_open(&w);
    for (size_t i = 0; rc == 0 && i < rcmd->n; i++) {
        struct earning_rule er = {.event = rcmd->rules[i].event,
                                  .body_json = rcmd->rules[i].body_json,
                                  .active =
                                      rcmd->rules[i].has_active ? rcmd->rules[i].active : true,
                                  .created_at = tx->now_us,
                                  .updated_at = tx->now_us};
        ids_make(tx->rng, "ern_", er.id);
        memcpy(er.program_id, p.id, sizeof er.program_id);
        rc = store_rule_insert(tx->conn, r->project_id, &er);
        rule_render(&w, &er);
    }
    jw_arr_close(&w);
    cmd->status = 201;
    return rc;
}

static int rules_apply_change(struct command *cmd, const struct writer_tx *tx)
{
    struct rules_cmd *rcmd = cmd->input;
    struct request *r = rcmd->r;
    struct program p;
    struct earning_rule er;
    int rc = rules_program(cmd, rcmd, tx, &p);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = store_rule_get(tx->conn, r->project_id, p.id, rcmd->rule_ref, &r->arena, &er);
    if (rc == TREU_ENOTFOUND) {
        cmd->status = 404;
        not_found(&cmd->body, r, "earning rule", rcmd->rule_ref);
        return 0;
    }
    if (rc < 0)
        return rc;
    if (rcmd->op == 2) {
        cmd->status = 204;
        return store_rule_delete(tx->conn, r->project_id, p.id, er.id);
    }
    if (rcmd->op == 1) {
        const struct rule_def *in = &rcmd->rules[0];
        if (in->event)
            er.event = in->event;
        er.body_json = in->body_json;
        if (in->has_active)
            er.active = in->active;
    } else {
        er.active = rcmd->op == 3;
    }
    er.updated_at = tx->now_us;
    rc = store_rule_update(tx->conn, r->project_id, &er);
    struct jw w;
    jw_init(&w, &cmd->body);
    rule_render(&w, &er);
    cmd->status = 200;
    return rc;
}

static struct rules_cmd *rules_cmd_new(struct request *r, int op)
{
    struct rules_cmd *rc = arena_zalloc(&r->arena, sizeof *rc);
    if (!rc) {
        reply_op_error(r, TREU_ENOMEM);
        return NULL;
    }
    rc->r = r;
    rc->op = op;
    rc->program_ref = r->params[0];
    rc->rule_ref = r->nparams > 1 ? r->params[1] : NULL;
    return rc;
}

void api_rules_create(struct request *r)
{
    struct rules_cmd *rc = rules_cmd_new(r, 0);
    cJSON *item;
    size_t n;
    if (!rc ||
        req_json_items_or_reply(r, true, RULES_PER_REQUEST_MAX, "earning rules", &item, &n) < 0)
        return;
    rc->rules = arena_zalloc(&r->arena, n * sizeof *rc->rules);
    if (!rc->rules) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    for (size_t i = 0; i < n; i++, item = item->next) {
        if (rule_or_reply(r, item, &rc->rules[i], true) < 0)
            return;
    }
    rc->n = n;
    r->cmd.apply = rules_apply_create;
    r->cmd.input = rc;
    api_submit(r);
}

/* PUT changes the fields sent and keeps the others, as Voucherify's update does (its SDK
 * sends only what changes): the stored rule's fields missing from `body` are copied in,
 * so the result is validated whole. An unknown program or rule answers 404 here (the
 * command checks again). Another update landing between this read and the write wins
 * for the fields this one did not send. -1 after replying. */
static int rule_merge_or_reply(struct request *r, cJSON *body)
{
    struct program p;
    struct earning_rule er;
    const char *what = "campaign", *ref = r->params[0];
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_program_get(c, r->project_id, r->params[0], &r->arena, &p);
        if (rc == 0) {
            what = "earning rule";
            ref = r->params[1];
            rc = store_rule_get(c, r->project_id, p.id, r->params[1], &r->arena, &er);
        }
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, what, ref);
        return -1;
    }
    cJSON *stored = cJSON_Parse(er.body_json);
    if (!stored) {
        reply_op_error(r, TREU_ENOMEM);
        return -1;
    }
    for (cJSON *f = stored->child; f; f = f->next) {
        if (cJSON_GetObjectItemCaseSensitive(body, f->string))
            continue;
        cJSON *copy = cJSON_Duplicate(f, true);
        if (!copy || !cJSON_AddItemToObject(body, f->string, copy)) {
            cJSON_Delete(copy);
            cJSON_Delete(stored);
            reply_op_error(r, TREU_ENOMEM);
            return -1;
        }
    }
    cJSON_Delete(stored);
    return 0;
}

static void rules_change_submit(struct request *r, int op)
{
    struct rules_cmd *rc = rules_cmd_new(r, op);
    if (!rc)
        return;
    if (op == 1) {
        cJSON *body;
        rc->rules = arena_zalloc(&r->arena, sizeof *rc->rules);
        if (!rc->rules) {
            reply_op_error(r, TREU_ENOMEM);
            return;
        }
        if (req_json_object_or_reply(r, &body) < 0 || rule_merge_or_reply(r, body) < 0 ||
            rule_or_reply(r, body, &rc->rules[0], true) < 0)
            return;
        rc->n = 1;
    }
    r->cmd.apply = rules_apply_change;
    r->cmd.input = rc;
    api_submit(r);
}

void api_rules_update(struct request *r)
{
    rules_change_submit(r, 1);
}

void api_rules_delete(struct request *r)
{
    rules_change_submit(r, 2);
}

void api_rules_enable(struct request *r)
{
    rules_change_submit(r, 3);
}

void api_rules_disable(struct request *r)
{
    rules_change_submit(r, 4);
}

void api_rules_list(struct request *r)
{
    struct page pg;
    if (req_page_or_reply(r, &pg) < 0)
        return;
    struct program p;
    struct earning_rule *rows = NULL;
    size_t n = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    if (rc == 0) {
        rc = store_program_get(c, r->project_id, r->params[0], &r->arena, &p);
        if (rc == 0)
            rc = store_rule_list(c, r->project_id, p.id, false, &r->arena, &rows, &n);
        store_read_end(c);
    }
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "campaign", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "data");
    size_t end = (size_t)pg.offset + (size_t)pg.limit;
    for (size_t i = (size_t)pg.offset; i < n && i < end; i++)
        rule_render(&w, &rows[i]);
    api_list_close(&w, (int64_t)n, end < n);
    reply_json(r, 200);
}

void api_rules_get(struct request *r)
{
    struct program p;
    struct earning_rule er;
    struct store_conn *c = req_reader(r);
    int rc = store_program_get(c, r->project_id, r->params[0], &r->arena, &p);
    if (rc == 0)
        rc = store_rule_get(c, r->project_id, p.id, r->params[1], &r->arena, &er);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "earning rule", r->params[1]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    rule_render(&w, &er);
    reply_json(r, 200);
}

/* ---- tiers ---- */

#define TIER_NAME_BYTES_MAX   100
#define TIERS_PER_REQUEST_MAX 20
#define TIER_MULTIPLIER_MAX   100 /* ×100 at most */

struct tiers_cmd {
    struct request *r;
    const char *program_ref;
    const char *tier_ref;
    struct tier *tiers;
    size_t n;
};

static void tier_render(struct jw *w, const struct tier *t)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", t->id);
    jw_kv_str(w, "campaign_id", t->program_id);
    jw_kv_str(w, "name", t->name);
    jw_key(w, "points");
    jw_obj_open(w);
    jw_kv_int(w, "from", t->points_from);
    jw_key(w, "to");
    if (t->points_to == INT64_MAX)
        jw_null(w);
    else
        jw_int(w, t->points_to);
    jw_obj_close(w);
    char mult[32];
    snprintf(mult, sizeof mult, "%lld.%02lld", (long long)(t->multiplier / 100),
             (long long)(t->multiplier % 100));
    jw_kv_raw(w, "earning_multiplier", mult);
    jw_kv_raw(w, "earning_rules", t->rule_multipliers_json ? t->rule_multipliers_json : "{}");
    jw_kv_raw(w, "metadata", t->metadata_json ? t->metadata_json : "{}");
    jw_kv_time(w, "created_at", t->created_at);
    jw_kv_time(w, "updated_at", t->updated_at);
    jw_kv_str(w, "object", "loyalty_tier");
    jw_obj_close(w);
}

/* A multiplier like 2 or 1.5 as an exact percentage (at most two decimals). */
static int multiplier_or_reply(struct request *r, const cJSON *v, const char *where, int64_t *pct)
{
    double d = cJSON_IsNumber(v) ? v->valuedouble * 100 : -1;
    int64_t rounded = d >= 0 ? (int64_t)(d + 0.5) : -1;
    bool ok = d >= 0 && d <= TIER_MULTIPLIER_MAX * 100 && fabs(d - (double)rounded) < 1e-6;
    if (!ok) {
        reply_error(r, 400, "invalid_param", "Invalid multiplier",
                    "%s: a number from 0 to %d with at most two decimals, e.g. 2 or 1.5", where,
                    TIER_MULTIPLIER_MAX);
        return -1;
    }
    *pct = rounded;
    return 0;
}

static int tier_or_reply(struct request *r, const cJSON *o, struct tier *t)
{
    static const char *const fields[] = {"name",          "points",   "earning_multiplier",
                                         "earning_rules", "metadata", NULL};
    static const char *const ignored[] = {"id",         "object", "campaign_id", "created_at",
                                          "updated_at", "config", NULL};
    struct opt_str name;
    bool has_from, has_to;
    if (!cJSON_IsObject(o)) {
        reply_error(r, 400, "invalid_param", "Invalid tier", "each tier must be an object");
        return -1;
    }
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(o, "points");
    if (req_known_fields_or_reply(r, o, fields, ignored, "") < 0 ||
        req_string_field_or_reply(r, o, "name", TIER_NAME_BYTES_MAX, false, &name) < 0)
        return -1;
    if (!name.set || !name.v[0]) {
        reply_error(r, 400, "missing_param", "Missing name", "name: required, 1 to %d bytes",
                    TIER_NAME_BYTES_MAX);
        return -1;
    }
    t->name = name.v;
    t->points_to = INT64_MAX;
    if (!cJSON_IsObject(pts) ||
        req_int_field_or_reply(r, pts, "points", "from", 0, LOYALTY_POINTS_MAX, &t->points_from,
                               &has_from) < 0 ||
        (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(pts, "to")) &&
         req_int_field_or_reply(r, pts, "points", "to", 0, LOYALTY_POINTS_MAX, &t->points_to,
                                &has_to) < 0)) {
        if (!r->status)
            reply_error(r, 400, "missing_param", "Missing points",
                        "points: required, {\"from\": 1000, \"to\": 4999} (to may be null)");
        return -1;
    }
    if (!has_from || t->points_to < t->points_from) {
        reply_error(r, 400, "invalid_param", "Invalid points",
                    "points: from is required and to must not be below it");
        return -1;
    }
    t->multiplier = 100;
    const cJSON *em = cJSON_GetObjectItemCaseSensitive(o, "earning_multiplier");
    if (em && multiplier_or_reply(r, em, "earning_multiplier", &t->multiplier) < 0)
        return -1;
    const cJSON *er = cJSON_GetObjectItemCaseSensitive(o, "earning_rules");
    if (er && !cJSON_IsNull(er)) {
        /* Voucherify's shape: {"ern_…": {"type": "MULTIPLY", "multiplier": 2}} → percent. */
        cJSON *out = cJSON_CreateObject();
        bool ok = cJSON_IsObject(er) && out;
        for (const cJSON *f = ok ? er->child : NULL; f && ok; f = f->next) {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(f, "type");
            int64_t pct;
            ok = cJSON_IsString(type) && strcmp(type->valuestring, "MULTIPLY") == 0 &&
                 multiplier_or_reply(r, cJSON_GetObjectItemCaseSensitive(f, "multiplier"),
                                     "earning_rules.multiplier", &pct) == 0;
            if (ok)
                cJSON_AddNumberToObject(out, f->string, (double)pct);
        }
        if (ok)
            t->rule_multipliers_json = req_json_text(r, out);
        cJSON_Delete(out);
        if (!ok) {
            if (!r->status)
                reply_error(r, 400, "invalid_param", "Invalid earning_rules",
                            "earning_rules: {\"ern_…\": {\"type\": \"MULTIPLY\", \"multiplier\": "
                            "2}}");
            return -1;
        }
    }
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    if (md && !cJSON_IsNull(md)) {
        if (!cJSON_IsObject(md)) {
            reply_error(r, 400, "invalid_param", "Invalid field type",
                        "metadata: must be an object");
            return -1;
        }
        t->metadata_json = req_json_text(r, md);
    }
    return 0;
}

static int tiers_apply_create(struct command *cmd, const struct writer_tx *tx)
{
    struct tiers_cmd *tc = cmd->input;
    struct request *r = tc->r;
    struct program p;
    int rc = store_program_get(tx->conn, r->project_id, tc->program_ref, &r->arena, &p);
    if (rc == TREU_ENOTFOUND) {
        cmd->status = 404;
        not_found(&cmd->body, r, "campaign", tc->program_ref);
        return 0;
    }
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    jw_arr_open(&w);
    for (size_t i = 0; rc == 0 && i < tc->n; i++) {
        struct tier *t = &tc->tiers[i];
        ids_make(tx->rng, "ltr_", t->id);
        memcpy(t->program_id, p.id, sizeof t->program_id);
        t->created_at = t->updated_at = tx->now_us;
        rc = store_tier_insert(tx->conn, r->project_id, t);
        if (rc == TREU_ECONFLICT) {
            buf_reset(&cmd->body);
            cmd->status = 409;
            api_error_body(&cmd->body, 409, "duplicate_found", "Duplicate tier name",
                           "name: the program already has a tier of this name", r->request_id);
            return 0;
        }
        tier_render(&w, t);
    }
    jw_arr_close(&w);
    cmd->status = 201;
    return rc;
}

static int tiers_apply_delete(struct command *cmd, const struct writer_tx *tx)
{
    struct tiers_cmd *tc = cmd->input;
    struct request *r = tc->r;
    struct program p;
    struct tier t;
    int rc = store_program_get(tx->conn, r->project_id, tc->program_ref, &r->arena, &p);
    if (rc == 0)
        rc = store_tier_get(tx->conn, r->project_id, p.id, tc->tier_ref, &r->arena, &t);
    if (rc == TREU_ENOTFOUND) {
        cmd->status = 404;
        not_found(&cmd->body, r, "loyalty tier", tc->tier_ref);
        return 0;
    }
    if (rc == 0)
        rc = store_tier_delete(tx->conn, r->project_id, p.id, t.id);
    cmd->status = 204;
    return rc;
}

void api_tiers_create(struct request *r)
{
    struct tiers_cmd *tc = arena_zalloc(&r->arena, sizeof *tc);
    if (!tc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    tc->r = r;
    tc->program_ref = r->params[0];
    cJSON *item;
    size_t n;
    if (req_json_items_or_reply(r, true, TIERS_PER_REQUEST_MAX, "tiers", &item, &n) < 0)
        return;
    tc->tiers = arena_zalloc(&r->arena, n * sizeof *tc->tiers);
    if (!tc->tiers) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    for (size_t i = 0; i < n; i++, item = item->next) {
        if (tier_or_reply(r, item, &tc->tiers[i]) < 0)
            return;
    }
    tc->n = n;
    r->cmd.apply = tiers_apply_create;
    r->cmd.input = tc;
    api_submit(r);
}

void api_tiers_delete(struct request *r)
{
    struct tiers_cmd *tc = arena_zalloc(&r->arena, sizeof *tc);
    if (!tc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    tc->r = r;
    tc->program_ref = r->params[0];
    tc->tier_ref = r->params[1];
    r->cmd.apply = tiers_apply_delete;
    r->cmd.input = tc;
    api_submit(r);
}

void api_tiers_list(struct request *r)
{
    struct program p;
    struct tier *rows = NULL;
    size_t n = 0;
    struct store_conn *c = req_reader(r);
    int rc = store_program_get(c, r->project_id, r->params[0], &r->arena, &p);
    if (rc == 0)
        rc = store_tier_list(c, r->project_id, p.id, &r->arena, &rows, &n);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "campaign", r->params[0]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "data");
    for (size_t i = 0; i < n; i++)
        tier_render(&w, &rows[i]);
    api_list_close(&w, (int64_t)n, false);
    reply_json(r, 200);
}

void api_tiers_get(struct request *r)
{
    struct program p;
    struct tier t;
    struct store_conn *c = req_reader(r);
    int rc = store_program_get(c, r->project_id, r->params[0], &r->arena, &p);
    if (rc == 0)
        rc = store_tier_get(c, r->project_id, p.id, r->params[1], &r->arena, &t);
    req_reader_release(r, c);
    if (rc < 0) {
        reply_read_error(r, rc, "loyalty tier", r->params[1]);
        return;
    }
    struct jw w;
    jw_init(&w, &r->out);
    tier_render(&w, &t);
    reply_json(r, 200);
}

/* GET /v1/loyalties/members/{memberId}/tiers: the tier the member holds now (a list, as
 * Voucherify answers; one program, at most one tier). */
void api_members_tiers(struct request *r)
{
    struct member m;
    struct program p;
    struct tier t;
    bool has = false;
    struct store_conn *c = req_reader(r);
    int rc = member_read(r, c, &m, &p);
    if (rc == 0 && m.tier_id[0]) {
        rc = store_tier_get(c, r->project_id, p.id, m.tier_id, &r->arena, &t);
        has = rc == 0;
        if (rc == TREU_ENOTFOUND)
            rc = 0; /* the tier was deleted since */
        if (rc < 0)
            reply_op_error(r, rc);
    }
    req_reader_release(r, c);
    if (rc < 0)
        return;
    struct jw w;
    jw_init(&w, &r->out);
    api_list_open(&w, "data");
    if (has)
        tier_render(&w, &t);
    api_list_close(&w, has ? 1 : 0, false);
    reply_json(r, 200);
}

/* ---- transfers ---- */

#define TRANSFERS_PER_REQUEST_MAX 20

struct transfer_in {
    const char *code;
    int64_t points;
    const char *reason;
};

struct transfer_cmd {
    struct member_cmd mc; /* the receiving member */
    struct transfer_in *items;
    size_t n;
};

static int transfers_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct transfer_cmd *tc = cmd->input;
    struct request *r = tc->mc.r;
    struct loyalty_ctx lc = lctx(r, tx);
    struct member_state to;
    struct program p;
    int rc = member_for_cmd(cmd, &lc, &tc->mc, &to, &p);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    for (size_t i = 0; i < tc->n; i++) {
        const struct transfer_in *t = &tc->items[i];
        struct member_state from;
        rc = loyalty_load(&lc, t->code, &from);
        if (rc == 0 && strcmp(from.m.program_id, to.m.program_id) != 0)
            rc = TREU_ENOTFOUND;
        if (rc == TREU_ENOTFOUND) {
            cmd->status = 404;
            not_found(&cmd->body, r, "loyalty card in this program", t->code);
            return 0;
        }
        if (rc < 0)
            return rc;
        if (strcmp(from.m.id, to.m.id) == 0) {
            cmd->status = 400;
            api_error_body(&cmd->body, 400, "invalid_param", "Invalid transfer",
                           "code: a card cannot transfer points to itself", r->request_id);
            return 0;
        }
        enum loyalty_result res;
        rc = loyalty_transfer(&lc, &from, &to, t->points, t->reason, &res);
        if (rc < 0)
            return rc;
        if (res == LOYALTY_INSUFFICIENT) {
            char details[200];
            snprintf(details, sizeof details,
                     "points: card %.64s has %lld spendable points, cannot transfer %lld", t->code,
                     (long long)(from.m.balance > 0 ? from.m.balance : 0), (long long)t->points);
            cmd->status = 400;
            api_error_body(&cmd->body, 400, "insufficient_balance", "Not enough points", details,
                           r->request_id);
            return 0;
        }
    }
    rc = loyalty_lots(&lc, &to); /* the answer shows the next expiry */
    if (rc < 0)
        return rc;
    struct jw w;
    jw_init(&w, &cmd->body);
    member_render_state(&w, &to, p.name);
    cmd->status = 200;
    return 0;
}

static int transfer_item_or_reply(struct request *r, const cJSON *o, size_t i,
                                  struct transfer_in *out)
{
    static const char *const fields[] = {"code", "points", "reason", "source_id", NULL};
    char where[32];
    snprintf(where, sizeof where, "[%zu]", i);
    struct opt_str code, reason;
    bool has;
    if (!cJSON_IsObject(o)) {
        reply_error(r, 400, "invalid_param", "Invalid transfer", "%s: must be an object", where);
        return -1;
    }
    if (req_known_fields_or_reply(r, o, fields, NULL, where) < 0 ||
        req_string_field_or_reply(r, o, "code", CODES_LEN_MAX, false, &code) < 0 ||
        req_string_field_or_reply(r, o, "reason", LOYALTY_REASON_BYTES_MAX, true, &reason) < 0 ||
        req_int_field_or_reply(r, o, where, "points", 1, LOYALTY_POINTS_MAX, &out->points, &has) <
            0)
        return -1;
    if (!code.set || !code.v[0] || !has) {
        reply_error(r, 400, "missing_param", "Missing field",
                    "%s: code (the card to take points from) and points are required", where);
        return -1;
    }
    out->code = code.v;
    out->reason = reason.v;
    return 0;
}

void api_members_transfers(struct request *r)
{
    struct transfer_cmd *tc = arena_zalloc(&r->arena, sizeof *tc);
    if (!tc) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    tc->mc.r = r;
    member_refs(r, &tc->mc);
    cJSON *first;
    size_t n;
    if (req_json_items_or_reply(r, false, TRANSFERS_PER_REQUEST_MAX, "transfers", &first, &n) < 0)
        return;
    tc->items = arena_zalloc(&r->arena, n * sizeof *tc->items);
    if (!tc->items) {
        reply_op_error(r, TREU_ENOMEM);
        return;
    }
    size_t i = 0;
    for (const cJSON *o = first; o; o = o->next, i++) {
        if (transfer_item_or_reply(r, o, i, &tc->items[i]) < 0)
            return;
    }
    tc->n = n;
    r->cmd.apply = transfers_apply;
    r->cmd.input = tc;
    api_submit(r);
}
