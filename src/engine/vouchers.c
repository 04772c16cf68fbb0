/* vouchers.c - voucher specs, discount arithmetic, checks, redemption, rollback,
 * generation and publication. Discount arithmetic uses 128-bit intermediates so that no
 * percentage of a legal amount can overflow; every result is clamped to the order. */
#include "engine/vouchers.h"

#include "engine/outbox.h"
#include "engine/referrals.h"

#include "core/json.h"
#include "core/rules.h"
#include "core/tstime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOUCHERS_QUANTITY_MAX INT64_C(1000000000)
#define VOUCHERS_UNITS_MAX    INT64_C(1000000)

/* Wide enough for any amount times any percentage or unit count. */
__extension__ typedef __int128 wide_t;

static const struct {
    const char *key, *reason;
} result_text[] = {
    [VOUCHER_OK] = {"ok", "ok"},
    [VOUCHER_NOT_FOUND] = {"resource_not_found", "resource not found"},
    [VOUCHER_DISABLED] = {"voucher_disabled", "voucher is disabled"},
    [VOUCHER_CAMPAIGN_DISABLED] = {"campaign_disabled", "campaign is disabled"},
    [VOUCHER_NOT_ACTIVE] = {"voucher_not_active", "voucher not active yet"},
    [VOUCHER_EXPIRED] = {"voucher_expired", "voucher expired"},
    [VOUCHER_MISSING_CUSTOMER] = {"missing_customer", "customer is required"},
    [VOUCHER_NOT_HOLDER] = {"customer_rules_violated", "customer does not hold this voucher"},
    [VOUCHER_SELF_REFERRAL] = {"self_referral", "a customer cannot use their own referral code"},
    [VOUCHER_ALREADY_REFERRED] = {"customer_already_referred",
                                  "customer was referred in this campaign already"},
    [VOUCHER_QUANTITY_EXCEEDED] = {"quantity_exceeded", "quantity exceeded"},
    [VOUCHER_CUSTOMER_LIMIT] = {"redemption_rules_violated",
                                "redemption limit per customer exceeded"},
    [VOUCHER_GIFT_EXCEEDED] = {"gift_amount_exceeded", "gift amount exceeded"},
    [VOUCHER_MISSING_ORDER] = {"missing_order", "order amount is required"},
    [VOUCHER_CUSTOMER_RULES] = {"customer_rules_violated", "customer does not match rules"},
    [VOUCHER_ORDER_RULES] = {"order_rules_violated", "order does not match rules"},
    [VOUCHER_BUDGET_EXCEEDED] = {"budget_exceeded", "campaign budget exceeded"},
    [VOUCHER_ROLLED_BACK] = {"already_rolled_back", "redemption already rolled back"},
    [VOUCHER_CODE_EXHAUSTED] = {"code_config_exhausted", "no free code left"},
    [VOUCHER_ALREADY_PUBLISHED] = {"voucher_already_published",
                                   "voucher was published to another customer"},
};

const char *vouchers_result_key(enum voucher_result r)
{
    return result_text[r].key;
}

const char *vouchers_result_reason(enum voucher_result r)
{
    return result_text[r].reason;
}

/* ---- specs ---- */

static int spec_fail(char *why, size_t ws, const char *msg)
{
    snprintf(why, ws, "%s", msg);
    return TREU_EINVAL;
}

/* An optional integer field in [min, max]; null counts as absent. */
static int json_int_in(const cJSON *o, const char *name, int64_t min, int64_t max, int64_t *out,
                       bool *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *present = v && !cJSON_IsNull(v);
    if (!*present)
        return 0;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)min && v->valuedouble <= (double)max) ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return TREU_EINVAL;
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* A required integer field; the message names it with its range. */
static int need_int(const cJSON *o, const char *where, const char *name, int64_t min, int64_t max,
                    int64_t *out, char *why, size_t ws)
{
    bool present;
    if (json_int_in(o, name, min, max, out, &present) == 0 && present)
        return 0;
    snprintf(why, ws, "%s.%s: required, an integer from %lld to %lld", where, name, (long long)min,
             (long long)max);
    return TREU_EINVAL;
}

static const char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int parse_percent(const cJSON *d, int64_t *out, char *why, size_t ws)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "percent_off");
    double scaled = cJSON_IsNumber(v) ? v->valuedouble * VOUCHERS_PERCENT_SCALE : -1;
    int64_t rounded =
        scaled > 0 && scaled <= 100.0 * VOUCHERS_PERCENT_SCALE ? (int64_t)(scaled + 0.5) : -1;
    double diff = scaled - (double)rounded;
    if (rounded <= 0 || diff > 1e-6 || diff < -1e-6)
        return spec_fail(why, ws,
                         "discount.percent_off: required, a number above 0 and at most 100 with "
                         "at most two decimals");
    *out = rounded;
    return 0;
}

static int parse_discount(const cJSON *d, struct arena *a, struct discount *out, char *why,
                          size_t ws)
{
    static const char *const types[] = {"AMOUNT", "PERCENT", "FIXED", "UNIT"};
    const char *type = json_str(d, "type");
    int t = -1;
    for (int i = 0; type && i < 4; i++)
        t = strcmp(type, types[i]) == 0 ? i : t;
    if (!cJSON_IsObject(d) || t < 0)
        return spec_fail(why, ws,
                         "discount.type: required, one of AMOUNT, PERCENT, FIXED, UNIT "
                         "(e.g. {\"type\": \"PERCENT\", \"percent_off\": 10})");
    for (const char *const *f =
             (const char *const[]){"amount_off_formula", "percent_off_formula",
                                   "fixed_amount_formula", "unit_off_formula", NULL};
         *f; f++) {
        if (cJSON_GetObjectItemCaseSensitive(d, *f))
            return spec_fail(why, ws, "discount: formulas are not supported by treu");
    }
    out->type = (enum discount_type)t;
    out->effect = arena_strdup(a, json_str(d, "effect"));
    bool has;
    switch (out->type) {
    case DISCOUNT_AMOUNT:
        return need_int(d, "discount", "amount_off", 1, VOUCHERS_AMOUNT_MAX, &out->amount_off, why,
                        ws);
    case DISCOUNT_PERCENT:
        if (json_int_in(d, "amount_limit", 1, VOUCHERS_AMOUNT_MAX, &out->amount_limit, &has) < 0)
            return spec_fail(why, ws,
                             "discount.amount_limit: an integer amount above 0, or absent");
        return parse_percent(d, &out->percent_off, why, ws);
    case DISCOUNT_FIXED:
        return need_int(d, "discount", "fixed_amount", 0, VOUCHERS_AMOUNT_MAX, &out->fixed_amount,
                        why, ws);
    case DISCOUNT_UNIT: break;
    }
    const char *ut = json_str(d, "unit_type");
    if (!ut || !ut[0] || strlen(ut) > VOUCHERS_UNIT_TYPE_BYTES)
        return spec_fail(why, ws,
                         "discount.unit_type: required, the product or sku id of the free units "
                         "(\"" VOUCHERS_FREE_SHIPPING "\" for shipping)");
    out->unit_type = arena_strdup(a, ut);
    return need_int(d, "discount", "unit_off", 1, VOUCHERS_UNITS_MAX, &out->unit_off, why, ws);
}

static int parse_code_config(const cJSON *cc, struct arena *a, struct voucher_spec *out, char *why,
                             size_t ws)
{
    if (!cc || cJSON_IsNull(cc))
        return 0;
    if (!cJSON_IsObject(cc))
        return spec_fail(why, ws, "code_config: an object such as {\"length\": 8}");
    int64_t len = 8;
    bool has;
    if (json_int_in(cc, "length", 1, CODES_LEN_MAX, &len, &has) < 0)
        return spec_fail(why, ws, "code_config.length: an integer from 1 to 64");
    const char *post = json_str(cc, "postfix") ? json_str(cc, "postfix") : json_str(cc, "suffix");
    out->cc = (struct code_config){.pattern = arena_strdup(a, json_str(cc, "pattern")),
                                   .charset = arena_strdup(a, json_str(cc, "charset")),
                                   .prefix = arena_strdup(a, json_str(cc, "prefix")),
                                   .postfix = arena_strdup(a, post),
                                   .length = (int)len};
    char msg[160];
    if (!codes_config_valid(&out->cc, msg, sizeof msg)) {
        snprintf(why, ws, "code_config.%s", msg);
        return TREU_EINVAL;
    }
    out->has_code_config = true;
    return 0;
}

static int parse_rule_ids(const cJSON *rules, struct arena *a, struct voucher_spec *out, char *why,
                          size_t ws)
{
    if (!rules || cJSON_IsNull(rules))
        return 0;
    if (!cJSON_IsArray(rules) || cJSON_GetArraySize(rules) > VOUCHERS_RULES_MAX) {
        snprintf(why, ws, "validation_rules: an array of at most %d validation rule ids",
                 VOUCHERS_RULES_MAX);
        return TREU_EINVAL;
    }
    for (const cJSON *r = rules->child; r; r = r->next) {
        if (!cJSON_IsString(r) || !r->valuestring[0] || strlen(r->valuestring) >= IDS_MAX_LEN)
            return spec_fail(why, ws, "validation_rules: each item a validation rule id (val_…)");
        out->rule_ids[out->nrules++] = arena_strdup(a, r->valuestring);
    }
    return 0;
}

static int parse_redemption(const cJSON *t, struct voucher_spec *out, char *why, size_t ws)
{
    const cJSON *red = cJSON_GetObjectItemCaseSensitive(t, "redemption");
    if (red && !cJSON_IsNull(red) && !cJSON_IsObject(red))
        return spec_fail(why, ws, "redemption: an object such as {\"quantity\": 1}");
    if (json_int_in(red, "quantity", 1, VOUCHERS_QUANTITY_MAX, &out->quantity, &out->has_quantity) <
        0)
        return spec_fail(why, ws, "redemption.quantity: an integer from 1 to 1000000000, or null");
    bool has;
    if (json_int_in(red, "per_customer", 1, VOUCHERS_QUANTITY_MAX, &out->per_customer, &has) < 0)
        return spec_fail(why, ws,
                         "redemption.per_customer: an integer from 1 to 1000000000, or null");
    return 0;
}

int vouchers_spec_parse(const cJSON *t, const cJSON *rules, struct arena *a,
                        struct voucher_spec *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(t))
        return spec_fail(why, why_size, "voucher: required, an object with type and discount");
    const char *type = json_str(t, "type");
    if (type && strcmp(type, "GIFT_VOUCHER") != 0 && strcmp(type, "DISCOUNT_VOUCHER") != 0)
        return spec_fail(why, why_size, "type: DISCOUNT_VOUCHER or GIFT_VOUCHER");
    out->gift = type && strcmp(type, "GIFT_VOUCHER") == 0;
    int rc = out->gift ? need_int(cJSON_GetObjectItemCaseSensitive(t, "gift"), "gift", "amount", 1,
                                  VOUCHERS_AMOUNT_MAX, &out->gift_amount, why, why_size)
                       : parse_discount(cJSON_GetObjectItemCaseSensitive(t, "discount"), a, &out->d,
                                        why, why_size);
    if (rc == 0)
        rc = parse_redemption(t, out, why, why_size);
    if (rc == 0)
        rc = parse_code_config(cJSON_GetObjectItemCaseSensitive(t, "code_config"), a, out, why,
                               why_size);
    if (rc == 0)
        rc = parse_rule_ids(rules, a, out, why, why_size);
    return rc;
}

static void write_percent(struct jw *w, int64_t hundredths)
{
    char num[32];
    int64_t whole = hundredths / VOUCHERS_PERCENT_SCALE, frac = hundredths % VOUCHERS_PERCENT_SCALE;
    if (frac == 0)
        snprintf(num, sizeof num, "%lld", (long long)whole);
    else if (frac % 10 == 0)
        snprintf(num, sizeof num, "%lld.%lld", (long long)whole, (long long)(frac / 10));
    else
        snprintf(num, sizeof num, "%lld.%02lld", (long long)whole, (long long)frac);
    jw_raw(w, num);
}

void vouchers_discount_write(struct jw *w, const struct discount *d)
{
    static const char *const types[] = {"AMOUNT", "PERCENT", "FIXED", "UNIT"};
    jw_obj_open(w);
    jw_kv_str(w, "type", types[d->type]);
    switch (d->type) {
    case DISCOUNT_AMOUNT: jw_kv_int(w, "amount_off", d->amount_off); break;
    case DISCOUNT_PERCENT:
        jw_key(w, "percent_off");
        write_percent(w, d->percent_off);
        if (d->amount_limit)
            jw_kv_int(w, "amount_limit", d->amount_limit);
        break;
    case DISCOUNT_FIXED: jw_kv_int(w, "fixed_amount", d->fixed_amount); break;
    case DISCOUNT_UNIT:
        jw_kv_int(w, "unit_off", d->unit_off);
        jw_kv_str(w, "unit_type", d->unit_type);
        break;
    }
    if (d->effect)
        jw_kv_str(w, "effect", d->effect);
    jw_obj_close(w);
}

static void write_code_config(struct jw *w, const struct code_config *cc)
{
    jw_key(w, "code_config");
    jw_obj_open(w);
    if (cc->pattern)
        jw_kv_str(w, "pattern", cc->pattern);
    else
        jw_kv_int(w, "length", cc->length);
    jw_kv_str(w, "charset", cc->charset ? cc->charset : CODES_DEFAULT_CHARSET);
    if (cc->prefix)
        jw_kv_str(w, "prefix", cc->prefix);
    if (cc->postfix)
        jw_kv_str(w, "postfix", cc->postfix);
    jw_obj_close(w);
}

void vouchers_spec_write(struct jw *w, const struct voucher_spec *s, bool with_rules)
{
    jw_kv_str(w, "type", s->gift ? "GIFT_VOUCHER" : "DISCOUNT_VOUCHER");
    if (s->gift) {
        jw_key(w, "gift");
        jw_obj_open(w);
        jw_kv_int(w, "amount", s->gift_amount);
        jw_obj_close(w);
    } else {
        jw_key(w, "discount");
        vouchers_discount_write(w, &s->d);
    }
    jw_key(w, "redemption");
    jw_obj_open(w);
    jw_key(w, "quantity");
    if (s->has_quantity)
        jw_int(w, s->quantity);
    else
        jw_null(w);
    jw_key(w, "per_customer");
    if (s->per_customer)
        jw_int(w, s->per_customer);
    else
        jw_null(w);
    jw_obj_close(w);
    if (s->has_code_config)
        write_code_config(w, &s->cc);
    if (with_rules) {
        jw_key(w, "validation_rules");
        jw_arr_open(w);
        for (size_t i = 0; i < s->nrules; i++)
            jw_str(w, s->rule_ids[i]);
        jw_arr_close(w);
    }
}

/* ---- arithmetic ---- */

static int64_t clamp(wide_t v, int64_t hi)
{
    return v < 0 ? 0 : v > hi ? hi : (int64_t)v;
}

static bool item_matches(const cJSON *it, const char *unit_type)
{
    static const char *const keys[] = {"product_id", "sku_id", "source_id"};
    for (size_t i = 0; i < TREU_ARRAY_LEN(keys); i++) {
        const char *v = json_str(it, keys[i]);
        if (v && strcmp(v, unit_type) == 0)
            return true;
    }
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "product");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(it, "sku");
    const char *pid = json_str(p, "id"), *sid = json_str(s, "id");
    return (pid && strcmp(pid, unit_type) == 0) || (sid && strcmp(sid, unit_type) == 0);
}

static int64_t unit_discount(const struct discount *d, int64_t amount, const cJSON *items)
{
    wide_t total = 0;
    int64_t units_left = d->unit_off;
    for (const cJSON *it = cJSON_IsArray(items) ? items->child : NULL; it && units_left > 0;
         it = it->next) {
        if (!item_matches(it, d->unit_type))
            continue;
        int64_t qty = 1, price = 0, line = 0;
        bool hq, hp, hl;
        (void)json_int_in(it, "quantity", 0, VOUCHERS_UNITS_MAX, &qty, &hq);
        (void)json_int_in(it, "price", 0, VOUCHERS_AMOUNT_MAX, &price, &hp);
        (void)json_int_in(it, "amount", 0, VOUCHERS_AMOUNT_MAX, &line, &hl);
        if (!hp && hl && qty > 0)
            price = line / qty;
        int64_t take = qty < units_left ? qty : units_left;
        total += (wide_t)take * price;
        units_left -= take;
    }
    return clamp(total, amount);
}

int64_t vouchers_discount(const struct discount *d, int64_t amount, const cJSON *items)
{
    if (amount <= 0)
        return 0;
    switch (d->type) {
    case DISCOUNT_AMOUNT: return d->amount_off < amount ? d->amount_off : amount;
    case DISCOUNT_PERCENT: {
        wide_t scaled = (wide_t)amount * d->percent_off;
        wide_t off = (scaled + 50 * VOUCHERS_PERCENT_SCALE) / (100 * VOUCHERS_PERCENT_SCALE);
        if (d->amount_limit && off > d->amount_limit)
            off = d->amount_limit;
        return clamp(off, amount);
    }
    case DISCOUNT_FIXED: return amount > d->fixed_amount ? amount - d->fixed_amount : 0;
    case DISCOUNT_UNIT: return unit_discount(d, amount, items);
    }
    return 0;
}

int64_t vouchers_code_space(const struct code_config *cc)
{
    const char *cs = cc->charset && cc->charset[0] ? cc->charset : CODES_DEFAULT_CHARSET;
    int64_t base = (int64_t)strlen(cs), space = 1;
    size_t random = 0;
    if (cc->pattern) {
        for (const char *p = cc->pattern; *p; p++)
            random += *p == '#';
    } else {
        random = cc->length > 0 ? (size_t)cc->length : 0;
    }
    for (size_t i = 0; i < random; i++) {
        if (__builtin_mul_overflow(space, base, &space))
            return INT64_MAX;
    }
    return space;
}

/* ---- loading ---- */

static int64_t json_time_of(const cJSON *o, const char *name)
{
    const char *s = json_str(o, name);
    int64_t us = 0;
    if (s && tstime_parse_iso(s, strlen(s), &us) < 0)
        us = 0;
    return us;
}

/* The campaign's template, rules and dates from its stored body. */
static int campaign_spec(struct arena *a, const struct campaign *camp, struct voucher_spec *s,
                         int64_t *start, int64_t *expiry)
{
    cJSON *body = cJSON_Parse(camp->body_json ? camp->body_json : "{}");
    if (!body)
        return TREU_ENOMEM;
    char why[VOUCHERS_DETAILS_BYTES];
    int rc = vouchers_spec_parse(cJSON_GetObjectItemCaseSensitive(body, "voucher"),
                                 cJSON_GetObjectItemCaseSensitive(body, "validation_rules"), a, s,
                                 why, sizeof why);
    if (start)
        *start = json_time_of(body, "start_date");
    if (expiry)
        *expiry = json_time_of(body, "expiration_date");
    cJSON_Delete(body);
    ASSERT(rc != TREU_EINVAL); /* stored bodies were accepted by this parser */
    return rc;
}

int vouchers_state_init(struct arena *a, const struct voucher *v, const struct campaign *camp,
                        struct voucher_state *vs)
{
    memset(vs, 0, sizeof *vs);
    vs->v = *v;
    int64_t cstart = 0, cexp = 0;
    int rc;
    if (camp) {
        vs->camp = *camp;
        vs->has_campaign = true;
        rc = campaign_spec(a, camp, &vs->spec, &cstart, &cexp);
    } else {
        cJSON *body = cJSON_Parse(v->body_json ? v->body_json : "{}");
        if (!body)
            return TREU_ENOMEM;
        char why[VOUCHERS_DETAILS_BYTES];
        rc = vouchers_spec_parse(body, cJSON_GetObjectItemCaseSensitive(body, "validation_rules"),
                                 a, &vs->spec, why, sizeof why);
        cJSON_Delete(body);
        ASSERT(rc != TREU_EINVAL); /* stored bodies were accepted by this parser */
    }
    vs->start_date = v->start_date ? v->start_date : cstart;
    vs->expiration_date = v->expiration_date ? v->expiration_date : cexp;
    return rc;
}

int vouchers_load(struct store_conn *c, const char *pid, struct arena *a, const char *ref,
                  struct voucher_state *vs)
{
    struct voucher v;
    struct campaign camp;
    int rc = store_voucher_get(c, pid, ref, a, &v);
    if (rc == 0 && v.campaign_id)
        rc = store_campaign_get(c, pid, v.campaign_id, a, &camp);
    if (rc < 0)
        return rc;
    return vouchers_state_init(a, &v, v.campaign_id ? &camp : NULL, vs);
}

/* ---- checks ---- */

struct rule_ctx {
    const struct voucher_context *ctx;
};

static void items_totals(const cJSON *items, int64_t *count, int64_t *quantity)
{
    *count = *quantity = 0;
    for (const cJSON *it = cJSON_IsArray(items) ? items->child : NULL; it; it = it->next) {
        int64_t q = 1;
        bool has;
        (void)json_int_in(it, "quantity", 0, VOUCHERS_UNITS_MAX, &q, &has);
        *count += 1;
        *quantity += q;
    }
}

static int voucher_rule_get(void *arg, struct slice f, struct rule_value *out)
{
    const struct voucher_context *ctx = ((struct rule_ctx *)arg)->ctx;
    const struct customer *c = ctx->customer;
    const struct voucher_order *o = ctx->order;
    char key[RULES_FIELD_BYTES_MAX + 1];
    int64_t count, quantity;
    out->type = RV_NULL;
    if (slice_eq_str(f, "customer.id"))
        rules_value_str(c ? c->id : NULL, out);
    else if (slice_eq_str(f, "customer.source_id"))
        rules_value_str(c ? c->source_id : NULL, out);
    else if (slice_eq_str(f, "customer.name"))
        rules_value_str(c ? c->name : NULL, out);
    else if (slice_eq_str(f, "customer.email"))
        rules_value_str(c ? c->email : NULL, out);
    else if (rules_field_under(f, "customer.metadata.", key, sizeof key))
        rules_value_json(cJSON_GetObjectItemCaseSensitive(ctx->customer_metadata, key), out);
    else if (slice_eq_str(f, "order.amount") && o && o->has_amount) {
        out->type = RV_INT;
        out->i = o->amount;
    } else if (slice_eq_str(f, "order.status") && o)
        rules_value_str(o->status, out);
    else if (rules_field_under(f, "order.metadata.", key, sizeof key) && o)
        rules_value_json(cJSON_GetObjectItemCaseSensitive(o->metadata, key), out);
    else if ((slice_eq_str(f, "order.items.count") || slice_eq_str(f, "order.items.quantity")) &&
             o) {
        items_totals(o->items, &count, &quantity);
        out->type = RV_INT;
        out->i = slice_eq_str(f, "order.items.count") ? count : quantity;
    }
    return 0;
}

/* Whether a compiled rule set reads the order (order rules) or only the customer. */
static bool rules_read_order(const struct ruleset *rs)
{
    struct slice fields[RULES_CONDITIONS_MAX * 2];
    size_t n = rules_fields(rs, fields, TREU_ARRAY_LEN(fields));
    for (size_t i = 0; i < n && i < TREU_ARRAY_LEN(fields); i++) {
        if (fields[i].len >= 6 && memcmp(fields[i].ptr, "order.", 6) == 0)
            return true;
    }
    return false;
}

/* Evaluates one stored validation rule; a rule deleted since no longer applies (as
 * deleting a rule removes its assignments in Voucherify). */
static int check_rule(struct store_conn *c, const char *pid, struct arena *a, const char *rule_id,
                      const struct voucher_context *ctx, struct voucher_outcome *o)
{
    struct validation_rule vr;
    int rc = store_vrule_get(c, pid, rule_id, a, &vr);
    if (rc == TREU_ENOTFOUND)
        return 0;
    cJSON *body = rc == 0 ? cJSON_Parse(vr.body_json) : NULL;
    if (rc == 0 && !body)
        rc = TREU_ENOMEM;
    struct ruleset *rs = NULL;
    struct rule_error err;
    if (rc == 0)
        rc = rules_compile(cJSON_GetObjectItemCaseSensitive(body, "rules"), a, &rs, &err);
    bool ok = true;
    struct rule_ctx rc_ctx = {ctx};
    struct rule_input in = {voucher_rule_get, &rc_ctx};
    if (rc == 0)
        rc = rules_eval(rs, &in, &ok);
    if (rc == 0 && !ok) {
        o->res = rules_read_order(rs) ? VOUCHER_ORDER_RULES : VOUCHER_CUSTOMER_RULES;
        const char *msg = json_str(cJSON_GetObjectItemCaseSensitive(body, "error"), "message");
        if (msg)
            snprintf(o->details, sizeof o->details, "%s", msg);
        else
            snprintf(o->details, sizeof o->details, "validation rule %.100s (%s) not satisfied",
                     vr.name, vr.id);
    }
    cJSON_Delete(body);
    return rc == TREU_EINVAL ? 0 : rc; /* stored rules compiled when saved */
}

static void fail(struct voucher_outcome *o, enum voucher_result r, const char *fmt, ...)
    TREU_PRINTF(3, 4);

static void fail(struct voucher_outcome *o, enum voucher_result r, const char *fmt, ...)
{
    o->res = r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->details, sizeof o->details, fmt, ap);
    va_end(ap);
}

/* The state checks that need no queries, in the documented order. */
static bool check_state(const struct voucher_state *vs, const struct voucher_context *ctx,
                        struct voucher_outcome *o)
{
    const struct voucher *v = &vs->v;
    const char *referrer = referrals_referrer(vs); /* a referral code is for everyone else */
    if (!v->active)
        fail(o, VOUCHER_DISABLED, "voucher %s is disabled", v->code);
    else if (vs->has_campaign && !vs->camp.active)
        fail(o, VOUCHER_CAMPAIGN_DISABLED, "campaign %s is disabled", vs->camp.name);
    else if (vs->start_date && ctx->now < vs->start_date)
        fail(o, VOUCHER_NOT_ACTIVE, "voucher %s is not active yet", v->code);
    else if (vs->expiration_date && ctx->now >= vs->expiration_date)
        fail(o, VOUCHER_EXPIRED, "voucher %s has expired", v->code);
    else if (!ctx->customer && (v->holder_id || vs->spec.per_customer))
        fail(o, VOUCHER_MISSING_CUSTOMER, "voucher %s needs the customer who redeems it", v->code);
    else if (referrer && strcmp(referrer, ctx->customer->id) == 0)
        fail(o, VOUCHER_SELF_REFERRAL, "voucher %s is this customer's own referral code", v->code);
    else if (!referrer && v->holder_id && strcmp(v->holder_id, ctx->customer->id) != 0)
        fail(o, VOUCHER_NOT_HOLDER, "voucher %s was published to another customer", v->code);
    else if (v->has_quantity && v->redeemed >= v->quantity)
        fail(o, VOUCHER_QUANTITY_EXCEEDED, "voucher %s has no redemptions left", v->code);
    return o->res == VOUCHER_OK;
}

/* What the voucher is worth on `remaining`; gift credits must be there. Without an order
 * amount a gift voucher needs the credits asked; with one it pays at most what is left. */
static void check_value(const struct voucher_state *vs, const struct voucher_context *ctx,
                        int64_t remaining, int64_t credits, struct voucher_outcome *o)
{
    const struct voucher_order *ord = ctx->order;
    bool has_amount = ord && ord->has_amount;
    if (!vs->spec.gift) {
        o->discount =
            has_amount ? vouchers_discount(&vs->spec.d, remaining, ord ? ord->items : NULL) : 0;
        return;
    }
    int64_t balance = vs->v.gift_balance;
    int64_t want = credits > 0 ? credits : balance;
    if (has_amount && want > remaining)
        want = remaining;
    if (balance <= 0 || credits > balance)
        fail(o, VOUCHER_GIFT_EXCEEDED, "gift voucher %s has a balance of %lld, less than asked",
             vs->v.code, (long long)balance);
    else if (!has_amount && credits == 0)
        fail(o, VOUCHER_MISSING_ORDER,
             "gift voucher %s: give order.amount or gift.credits to say how much to use",
             vs->v.code);
    else if (want <= 0)
        fail(o, VOUCHER_MISSING_ORDER, "gift voucher %s: the order has nothing left to pay",
             vs->v.code);
    else
        o->gift = want;
}

int vouchers_check(struct store_conn *c, const char *pid, struct arena *a,
                   const struct voucher_state *vs, const struct voucher_context *ctx,
                   int64_t remaining, int64_t credits, struct voucher_outcome *o)
{
    memset(o, 0, sizeof *o);
    if (!check_state(vs, ctx, o))
        return 0;
    if (vs->spec.per_customer) {
        int64_t used = 0;
        int rc = store_redemption_count_voucher(c, pid, vs->v.id, ctx->customer->id, &used);
        if (rc < 0)
            return rc;
        if (used >= vs->spec.per_customer) {
            fail(o, VOUCHER_CUSTOMER_LIMIT, "customer has used voucher %s as often as allowed",
                 vs->v.code);
            return 0;
        }
    }
    if (referrals_referrer(vs) && ctx->customer) {
        struct referral f;
        int rc = store_referral_get_by_referee(c, pid, vs->camp.id, ctx->customer->id, a, &f);
        if (rc < 0 && rc != TREU_ENOTFOUND)
            return rc;
        if (rc == 0) {
            fail(o, VOUCHER_ALREADY_REFERRED, "customer was referred in campaign %s already",
                 vs->camp.name);
            return 0;
        }
    }
    check_value(vs, ctx, remaining, credits, o);
    for (size_t i = 0; o->res == VOUCHER_OK && i < vs->spec.nrules; i++) {
        int rc = check_rule(c, pid, a, vs->spec.rule_ids[i], ctx, o);
        if (rc < 0)
            return rc;
    }
    const struct campaign *cp = &vs->camp;
    if (o->res == VOUCHER_OK && vs->has_campaign && cp->has_budget &&
        cp->budget_used + o->discount + o->gift > cp->budget)
        fail(o, VOUCHER_BUDGET_EXCEEDED, "campaign %s has spent its budget", cp->name);
    if (o->res != VOUCHER_OK)
        o->discount = o->gift = 0;
    return 0;
}

/* ---- redemption and rollback ---- */

int vouchers_redeem(const struct writer_tx *tx, const char *pid, const struct voucher_state *vs,
                    const struct redemption *tmpl, struct voucher_outcome *o,
                    struct redemption *out)
{
    ASSERT(o->res == VOUCHER_OK);
    ASSERT(o->discount >= 0 && o->gift >= 0);
    int rc = store_voucher_counters_add(tx->conn, pid, vs->v.id, 1, -o->gift, tx->now_us);
    if (rc == TREU_ECONFLICT) {
        bool gift_short = o->gift > 0 && (!vs->v.has_quantity || vs->v.redeemed < vs->v.quantity);
        fail(o, gift_short ? VOUCHER_GIFT_EXCEEDED : VOUCHER_QUANTITY_EXCEEDED,
             "voucher %s was used up meanwhile", vs->v.code);
        return 0;
    }
    int64_t value = o->discount + o->gift;
    if (rc == 0 && vs->has_campaign && value > 0) {
        rc = store_campaign_budget_add(tx->conn, pid, vs->camp.id, value);
        if (rc == TREU_ECONFLICT) {
            fail(o, VOUCHER_BUDGET_EXCEEDED, "campaign %s has spent its budget", vs->camp.name);
            return 0;
        }
    }
    if (rc < 0)
        return rc;
    *out = *tmpl;
    ids_make_at(tx->rng, tx->now_us, "r_", out->id);
    out->kind = "voucher";
    out->status = "SUCCEEDED";
    out->voucher_id = vs->v.id;
    out->campaign_id = vs->v.campaign_id;
    out->amount = value;
    out->created_at = out->updated_at = tx->now_us;
    rc = store_redemption_insert(tx->conn, pid, out);
    if (rc == 0)
        rc = referrals_record(tx, pid, vs, out->customer_id);
    return rc == 0 ? outbox_emit_redemption(tx, pid, "redemption.succeeded", out) : rc;
}

/* Gives back what a redemption took; the voucher or campaign may be gone since. */
static int give_back(const struct writer_tx *tx, const char *pid, const struct redemption *orig)
{
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct voucher v;
    int rc = store_voucher_get(tx->conn, pid, orig->voucher_id, &a, &v);
    if (rc == 0) {
        int64_t gift = v.is_gift ? orig->amount : 0;
        rc = store_voucher_counters_add(tx->conn, pid, v.id, -1, gift, tx->now_us);
        /* A redemption took one, so one goes back; a conflict means `voucher_id` now
         * finds another voucher (a code spelled like the deleted voucher's id): skip it. */
        rc = rc == TREU_ECONFLICT ? 0 : rc;
    }
    if ((rc == 0 || rc == TREU_ENOTFOUND) && orig->campaign_id && orig->amount > 0) {
        rc = store_campaign_budget_add(tx->conn, pid, orig->campaign_id, -orig->amount);
        rc = rc == TREU_ECONFLICT ? 0 : rc; /* campaign deleted since */
    }
    arena_cleanup(&a);
    return rc == TREU_ENOTFOUND ? 0 : rc;
}

int vouchers_rollback(const struct writer_tx *tx, const char *pid, struct redemption *orig,
                      const char *parent_id, const char *body_json, struct redemption *rb,
                      enum voucher_result *res)
{
    *res = VOUCHER_OK;
    ASSERT(strcmp(orig->kind, "voucher") == 0);
    if (strcmp(orig->status, "SUCCEEDED") != 0) {
        *res = VOUCHER_ROLLED_BACK;
        return 0;
    }
    int rc = orig->voucher_id ? give_back(tx, pid, orig) : 0;
    if (rc == 0)
        rc = referrals_redemption_rolled_back(tx, pid, orig);
    if (rc < 0)
        return rc;
    *rb = (struct redemption){.kind = "rollback",
                              .status = "SUCCEEDED",
                              .customer_id = orig->customer_id,
                              .voucher_id = orig->voucher_id,
                              .campaign_id = orig->campaign_id,
                              .order_id = orig->order_id,
                              .amount = orig->amount,
                              .parent_id = parent_id,
                              .rollback_of = orig->id,
                              .channel = orig->channel,
                              .body_json = body_json,
                              .created_at = tx->now_us,
                              .updated_at = tx->now_us};
    ids_make_at(tx->rng, tx->now_us, "rr_", rb->id);
    rc = store_redemption_insert(tx->conn, pid, rb);
    if (rc < 0)
        return rc;
    orig->status = "ROLLED_BACK";
    orig->rollback_id = rb->id;
    orig->updated_at = tx->now_us;
    rc = store_redemption_update(tx->conn, pid, orig);
    return rc == 0 ? outbox_emit_redemption(tx, pid, "redemption.rollback.succeeded", rb) : rc;
}

/* ---- generation ---- */

void vouchers_from_spec(const struct voucher_spec *s, const char *campaign_id, int64_t now,
                        struct voucher *out)
{
    memset(out, 0, sizeof *out);
    out->campaign_id = campaign_id;
    out->type = s->gift ? "GIFT_VOUCHER" : "DISCOUNT_VOUCHER";
    out->active = true;
    out->has_quantity = s->has_quantity;
    out->quantity = s->quantity;
    out->is_gift = s->gift;
    out->gift_amount = out->gift_balance = s->gift_amount;
    out->created_at = out->updated_at = now;
}

static const struct code_config default_code_config = {.length = 8};

static const struct code_config *spec_codes(const struct voucher_spec *s)
{
    return s->has_code_config ? &s->cc : &default_code_config;
}

/* Randomness drawn from the writer's source 4 KiB at a time: code generation asks for one
 * byte per character, and the system source costs a syscall per call. */
struct rng_buffer {
    const struct rng *src;
    unsigned char bytes[4096];
    size_t pos;
};

static void rng_buffer_fill(void *ctx, void *out, size_t n)
{
    struct rng_buffer *rb = ctx;
    unsigned char *o = out;
    while (n > 0) {
        if (rb->pos == sizeof rb->bytes) {
            rb->src->fill(rb->src->ctx, rb->bytes, sizeof rb->bytes);
            rb->pos = 0;
        }
        size_t k = sizeof rb->bytes - rb->pos < n ? sizeof rb->bytes - rb->pos : n;
        memcpy(o, rb->bytes + rb->pos, k);
        rb->pos += k;
        o += k;
        n -= k;
    }
}

/* One chunk's buffers: ids, codes and the pointers the store wants. */
struct code_chunk {
    struct rng_buffer rb;
    struct rng rng; /* over rb */
    char ids[VOUCHERS_CHUNK][IDS_MAX_LEN];
    char codes[VOUCHERS_CHUNK][CODES_LEN_MAX + 1];
    const char *ptrs[VOUCHERS_CHUNK];
    bool taken[VOUCHERS_CHUNK];
};

/* Inserts `n` (<= VOUCHERS_CHUNK) generated vouchers, regenerating only the codes that
 * collided, at most VOUCHERS_CODE_TRIES rounds. */
static int generate_chunk(const struct writer_tx *tx, const char *pid, const struct voucher *tmpl,
                          const struct code_config *cc, struct code_chunk *ch, size_t n,
                          enum voucher_result *res)
{
    for (size_t i = 0; i < n; i++) {
        ids_make(&ch->rng, "v_", ch->ids[i]);
        ch->ptrs[i] = ch->codes[i];
    }
    size_t pending = n;
    for (int round = 0; pending > 0; round++) {
        if (round == VOUCHERS_CODE_TRIES) {
            *res = VOUCHER_CODE_EXHAUSTED;
            return 0;
        }
        for (size_t i = 0; i < pending; i++)
            codes_generate(cc, &ch->rng, ch->codes[i]);
        size_t inserted = 0;
        int rc = store_voucher_insert_many(tx->conn, pid, tmpl, pending,
                                           (const char(*)[IDS_MAX_LEN])ch->ids, ch->ptrs, ch->taken,
                                           &inserted);
        if (rc < 0)
            return rc;
        size_t k = 0;
        for (size_t i = 0; i < pending; i++) {
            if (ch->taken[i] && k != i)
                memcpy(ch->ids[k], ch->ids[i], IDS_MAX_LEN);
            k += ch->taken[i];
        }
        pending = k;
    }
    return 0;
}

int vouchers_generate(const struct writer_tx *tx, const char *pid, const struct campaign *camp,
                      const struct voucher_spec *s, int64_t n, enum voucher_result *res)
{
    ASSERT(n > 0 && n <= VOUCHERS_GENERATE_MAX);
    *res = VOUCHER_OK;
    struct code_chunk *ch = malloc(sizeof *ch);
    if (!ch)
        return TREU_ENOMEM;
    ch->rb.src = tx->rng;
    ch->rb.pos = sizeof ch->rb.bytes;
    ch->rng = (struct rng){rng_buffer_fill, &ch->rb};
    struct voucher tmpl;
    vouchers_from_spec(s, camp->id, tx->now_us, &tmpl);
    int rc = 0;
    for (int64_t done = 0; rc == 0 && *res == VOUCHER_OK && done < n;) {
        size_t k = n - done < VOUCHERS_CHUNK ? (size_t)(n - done) : VOUCHERS_CHUNK;
        rc = generate_chunk(tx, pid, &tmpl, spec_codes(s), ch, k, res);
        done += (int64_t)k;
    }
    free(ch);
    if (rc == 0 && *res == VOUCHER_OK)
        rc = store_campaign_count_add(tx->conn, pid, camp->id, n);
    return rc;
}

int vouchers_add_one(const struct writer_tx *tx, const char *pid, struct arena *a,
                     const struct campaign *camp, const struct voucher_spec *s, const char *code,
                     struct voucher *out, enum voucher_result *res)
{
    *res = VOUCHER_OK;
    /* The voucher outlives the caller's campaign (often a local): its id goes in the arena. */
    const char *camp_id = arena_strdup(a, camp->id);
    vouchers_from_spec(s, camp_id, tx->now_us, out);
    ids_make(tx->rng, "v_", out->id);
    char *buf = arena_alloc(a, CODES_LEN_MAX + 1);
    if (!buf || !camp_id)
        return TREU_ENOMEM;
    out->code = code ? code : buf;
    int rc = TREU_ECONFLICT;
    for (int i = 0; rc == TREU_ECONFLICT && i < (code ? 1 : VOUCHERS_CODE_TRIES); i++) {
        if (!code)
            codes_generate(spec_codes(s), tx->rng, buf);
        rc = store_voucher_insert(tx->conn, pid, out);
    }
    if (rc == TREU_ECONFLICT && !code) {
        *res = VOUCHER_CODE_EXHAUSTED;
        return 0;
    }
    return rc == 0 ? store_campaign_count_add(tx->conn, pid, camp->id, 1) : rc;
}

/* ---- publication ---- */

/* The voucher to publish from a campaign: its oldest unpublished one, else a new one. */
static int publish_from_campaign(const struct writer_tx *tx, const char *pid, struct arena *a,
                                 const struct publish_request *pr, struct voucher *out,
                                 enum voucher_result *res)
{
    struct campaign camp;
    int rc = store_campaign_get(tx->conn, pid, pr->campaign_ref, a, &camp);
    if (rc == TREU_ENOTFOUND) {
        *res = VOUCHER_NOT_FOUND;
        return 0;
    }
    if (rc < 0)
        return rc;
    if (!camp.active) {
        *res = VOUCHER_CAMPAIGN_DISABLED;
        return 0;
    }
    rc = store_voucher_claim(tx->conn, pid, camp.id, pr->customer_id, tx->now_us, a, out);
    if (rc != TREU_ENOTFOUND)
        return rc;
    struct voucher_spec s;
    rc = campaign_spec(a, &camp, &s, NULL, NULL);
    if (rc == 0)
        rc = vouchers_add_one(tx, pid, a, &camp, &s, NULL, out, res);
    if (rc < 0 || *res != VOUCHER_OK)
        return rc;
    out->holder_id = pr->customer_id;
    return store_voucher_update(tx->conn, pid, out);
}

static int publish_voucher(const struct writer_tx *tx, const char *pid, struct arena *a,
                           const struct publish_request *pr, struct voucher *out,
                           enum voucher_result *res)
{
    int rc = store_voucher_get(tx->conn, pid, pr->voucher_ref, a, out);
    if (rc == TREU_ENOTFOUND) {
        *res = VOUCHER_NOT_FOUND;
        return 0;
    }
    if (rc < 0 || (out->holder_id && strcmp(out->holder_id, pr->customer_id) == 0))
        return rc;
    if (out->holder_id) {
        *res = VOUCHER_ALREADY_PUBLISHED;
        return 0;
    }
    out->holder_id = pr->customer_id;
    out->updated_at = tx->now_us;
    return store_voucher_update(tx->conn, pid, out);
}

/* voucher.published: the publication and the voucher it gave the customer. */
struct publish_event {
    const struct publication *pub;
    const struct voucher *v;
};

static void publish_write(struct jw *w, const void *arg)
{
    const struct publish_event *e = arg;
    jw_kv_str(w, "id", e->pub->id);
    jw_kv_str(w, "object", "publication");
    jw_kv_str(w, "customer_id", e->pub->customer_id);
    jw_kv_str(w, "campaign_id", e->pub->campaign_id);
    jw_kv_str(w, "channel", e->pub->channel);
    jw_kv_str(w, "source_id", e->pub->source_id);
    jw_key(w, "voucher");
    jw_obj_open(w);
    jw_kv_str(w, "id", e->v->id);
    jw_kv_str(w, "code", e->v->code);
    jw_kv_str(w, "type", e->v->type);
    jw_kv_str(w, "campaign_id", e->v->campaign_id);
    jw_kv_str(w, "holder_id", e->v->holder_id);
    jw_obj_close(w);
    jw_kv_time(w, "created_at", e->pub->created_at);
}

int vouchers_publish(const struct writer_tx *tx, const char *pid, struct arena *a,
                     const struct publish_request *pr, struct publication *pub, struct voucher *out,
                     enum voucher_result *res)
{
    *res = VOUCHER_OK;
    if (pr->source_id) { /* the same source_id answers the same publication */
        int rc = store_publication_get_by_source(tx->conn, pid, pr->source_id, a, pub);
        if (rc == 0)
            return store_voucher_get(tx->conn, pid, pub->voucher_id, a, out);
        if (rc != TREU_ENOTFOUND)
            return rc;
    }
    int rc = pr->voucher_ref ? publish_voucher(tx, pid, a, pr, out, res)
                             : publish_from_campaign(tx, pid, a, pr, out, res);
    if (rc < 0 || *res != VOUCHER_OK)
        return rc;
    memset(pub, 0, sizeof *pub);
    ids_make(tx->rng, "pub_", pub->id);
    snprintf(pub->voucher_id, sizeof pub->voucher_id, "%s", out->id);
    pub->campaign_id = out->campaign_id;
    snprintf(pub->customer_id, sizeof pub->customer_id, "%s", pr->customer_id);
    pub->source_id = pr->source_id;
    pub->channel = pr->channel ? pr->channel : "API";
    pub->metadata_json = pr->metadata_json;
    pub->created_at = tx->now_us;
    rc = store_publication_insert(tx->conn, pid, pub);
    struct publish_event e = {pub, out};
    return rc == 0 ? outbox_emit_built(tx, pid, "voucher.published", publish_write, &e) : rc;
}

int vouchers_issue(const struct writer_tx *tx, const char *pid, struct arena *a,
                   const char *campaign_ref, const char *customer_id, const char *channel,
                   struct voucher *out, enum voucher_result *res)
{
    struct publish_request pr = {
        .campaign_ref = campaign_ref, .customer_id = customer_id, .channel = channel};
    struct publication pub;
    return vouchers_publish(tx, pid, a, &pr, &pub, out, res);
}
