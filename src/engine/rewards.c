/* rewards.c - reward eligibility, redemption and rollback.
 *
 * Redemption runs inside one writer command, so "check the balance, take the stock, debit
 * the lots, record the redemption" is one atomic step: the single writer sees no other
 * command meanwhile, and the stock is taken with a conditional update that stays right
 * with several writers. A refusal writes nothing here; the caller answers >= 400 and the
 * command's savepoint drops anything else. */
#include "engine/rewards.h"

#include "engine/limits.h"
#include "engine/outbox.h"
#include "engine/vouchers.h"

#include "core/json.h"
#include "core/rules.h"
#include "core/tstime.h"
#include "core/tz.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *key, *message;
} result_text[] = {
    [REWARDS_OK] = {"ok", "OK"},
    [REWARDS_NOT_ASSIGNED] = {"reward_not_assigned", "Reward not offered in this program"},
    [REWARDS_INACTIVE] = {"reward_inactive", "Reward is not active"},
    [REWARDS_NOT_YET] = {"reward_not_active_yet", "Reward is not available yet"},
    [REWARDS_EXPIRED] = {"reward_expired", "Reward is not available anymore"},
    [REWARDS_CAMPAIGN_FAILED] = {"reward_campaign_failed",
                                 "The reward's campaign issued no voucher"},
    [REWARDS_NOT_ELIGIBLE] = {"reward_not_eligible", "Member is not eligible for this reward"},
    [REWARDS_LIMIT_REACHED] = {"reward_limit_exceeded", "Reward limit reached"},
    [REWARDS_ORDER_REQUIRED] = {"missing_order", "Order required"},
    [REWARDS_POINTS_INVALID] = {"invalid_points", "Invalid points"},
    [REWARDS_INSUFFICIENT] = {"insufficient_balance", "Not enough points"},
    [REWARDS_MEMBER_CAP] = {"member_redemption_cap", "Member redemption cap reached"},
    [REWARDS_BUDGET] = {"redemption_budget_exceeded", "Program redemption budget spent"},
    [REWARDS_OUT_OF_STOCK] = {"reward_out_of_stock", "Reward out of stock"},
};

const char *rewards_result_key(enum rewards_result r)
{
    return result_text[r].key;
}

const char *rewards_result_message(enum rewards_result r)
{
    return result_text[r].message;
}

/* ---- small JSON readers over a stored body ---- */

static const cJSON *jget(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t jint(const cJSON *o, const char *k, int64_t dflt)
{
    const cJSON *v = jget(o, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

static int64_t jtime(const cJSON *o, const char *k)
{
    const char *s = jstr(o, k);
    int64_t us = 0;
    if (s && tstime_parse_iso(s, strlen(s), &us) < 0)
        us = 0;
    return us;
}

/* ---- the condition language over the customer and the member ---- */

struct subject_input {
    const struct reward_subject *s;
    cJSON *customer_md, *member_md;
    char num[32]; /* a number rendered for variant matching */
};

static const char *tier_name(const struct reward_subject *s)
{
    for (size_t i = 0; s->m->tier_id[0] && i < s->ntiers; i++) {
        if (strcmp(s->tiers[i].id, s->m->tier_id) == 0)
            return s->tiers[i].name;
    }
    return NULL;
}

static int subject_get(void *ctx, struct slice f, struct rule_value *out)
{
    struct subject_input *in = ctx;
    const struct customer *c = in->s->customer;
    const struct member *m = in->s->m;
    char key[RULES_FIELD_BYTES_MAX + 1];
    static const struct {
        const char *name;
        size_t off;
    } cust_str[] = {
        {"customer.source_id", offsetof(struct customer, source_id)},
        {"customer.name", offsetof(struct customer, name)},
        {"customer.email", offsetof(struct customer, email)},
        {"customer.phone", offsetof(struct customer, phone)},
        {"customer.birthdate", offsetof(struct customer, birthdate)},
        {"customer.timezone", offsetof(struct customer, timezone)},
    };
    out->type = RV_NULL;
    for (size_t i = 0; i < TREU_ARRAY_LEN(cust_str); i++) {
        if (slice_eq_str(f, cust_str[i].name)) {
            rules_value_str(c ? *(const char *const *)((const char *)c + cust_str[i].off) : NULL,
                            out);
            return 0;
        }
    }
    if (slice_eq_str(f, "customer.id"))
        rules_value_str(c ? c->id : NULL, out);
    else if (rules_field_under(f, "customer.metadata.", key, sizeof key) ||
             rules_field_under(f, "metadata.", key, sizeof key))
        rules_value_json(jget(in->customer_md, key), out);
    else if (rules_field_under(f, "member.metadata.", key, sizeof key))
        rules_value_json(jget(in->member_md, key), out);
    else if (slice_eq_str(f, "member.tier") || slice_eq_str(f, "customer.tier"))
        rules_value_str(tier_name(in->s), out);
    else if (slice_eq_str(f, "member.tier_id"))
        rules_value_str(m->tier_id[0] ? m->tier_id : NULL, out);
    else if (slice_eq_str(f, "member.balance")) {
        out->type = RV_INT;
        out->i = in->s->balance;
    } else if (slice_eq_str(f, "member.points")) {
        out->type = RV_INT;
        out->i = m->earned;
    }
    return 0;
}

/* One rule set; absent holds, one that no longer compiles does not. */
static int set_holds(struct arena *a, const cJSON *cond, struct subject_input *in, bool *ok)
{
    *ok = true;
    if (!cJSON_IsObject(cond))
        return 0;
    struct ruleset *rs;
    struct rule_error err;
    int rc = rules_compile(cond, a, &rs, &err);
    if (rc == TREU_EINVAL) {
        *ok = false;
        return 0;
    }
    if (rc < 0)
        return rc;
    struct rule_input ri = {subject_get, in};
    return rules_eval(rs, &ri, ok);
}

/* A named validation rule (a deleted one fails: what it guarded is not offered). */
static int vrule_holds(struct store_conn *c, const char *pid, struct arena *a, const char *id,
                       struct subject_input *in, bool *ok)
{
    struct validation_rule vr;
    int rc = store_vrule_get(c, pid, id, a, &vr);
    if (rc == TREU_ENOTFOUND) {
        *ok = false;
        return 0;
    }
    cJSON *vb = rc == 0 ? cJSON_Parse(vr.body_json) : NULL;
    if (rc == 0)
        rc = set_holds(a, jget(vb, "rules"), in, ok);
    cJSON_Delete(vb);
    return rc;
}

/* The reward's conditions and validation rule, then the assignment's tiers and rules. */
static int conditions_hold(struct store_conn *c, const char *pid, struct arena *a,
                           const cJSON *body, const cJSON *abody, struct subject_input *in,
                           bool *ok)
{
    int rc = set_holds(a, jget(body, "conditions"), in, ok);
    const char *vid = jstr(body, "validation_rule_id");
    if (rc == 0 && *ok && vid)
        rc = vrule_holds(c, pid, a, vid, in, ok);
    const cJSON *vrs = jget(abody, "validation_rules");
    for (const cJSON *v = cJSON_IsArray(vrs) ? vrs->child : NULL; rc == 0 && *ok && v; v = v->next)
        rc = cJSON_IsString(v) ? vrule_holds(c, pid, a, v->valuestring, in, ok) : 0;
    const cJSON *tiers = jget(abody, "tiers");
    if (rc == 0 && *ok && cJSON_IsArray(tiers) && cJSON_GetArraySize(tiers) > 0) {
        bool hit = false;
        for (const cJSON *t = tiers->child; t; t = t->next)
            hit |= cJSON_IsString(t) && strcmp(t->valuestring, in->s->m->tier_id) == 0;
        *ok = hit;
    }
    return rc;
}

/* ---- variants ---- */

/* The member's value of the variant attribute as text ("" when absent). */
static const char *variant_key(struct subject_input *in, const char *attr)
{
    struct rule_value v;
    (void)subject_get(in, slice_from(attr), &v);
    if (v.type == RV_STR) {
        return v.s.ptr; /* NUL-terminated: a cJSON string or a stored column */
    } else if (v.type == RV_INT) {
        snprintf(in->num, sizeof in->num, "%lld", (long long)v.i);
    } else if (v.type == RV_BOOL) {
        snprintf(in->num, sizeof in->num, "%s", v.i ? "true" : "false");
    } else {
        in->num[0] = '\0';
    }
    return in->num;
}

/* Picks the option matching the member's attribute, else the default; NULL when none. */
static const cJSON *variant_pick(struct subject_input *in, const cJSON *variants)
{
    const char *attr = jstr(variants, "attribute");
    const cJSON *opts = jget(variants, "options");
    const char *want = attr ? variant_key(in, attr) : "";
    const char *dflt = jstr(variants, "default");
    const cJSON *fallback = NULL;
    for (const cJSON *o = cJSON_IsArray(opts) ? opts->child : NULL; o; o = o->next) {
        const char *v = jstr(o, "value");
        if (v && want[0] && strcmp(v, want) == 0)
            return o;
        if (v && dflt && strcmp(v, dflt) == 0)
            fallback = o;
    }
    return fallback;
}

/* ---- limits and stock ---- */

static int limit_ok(struct store_conn *c, const char *pid, struct zones *zs, int64_t now,
                    const struct reward *r, const cJSON *body, const struct reward_subject *s,
                    struct reward_check *out)
{
    const cJSON *pm = jget(jget(body, "limits"), "per_member");
    int64_t max = jint(pm, "count", 0);
    if (max <= 0)
        return 0;
    const char *period = jstr(pm, "period");
    int64_t since = 0, n = 0;
    int rc = zones_period_start(zs, s->p->timezone, period, now, &since);
    if (rc == 0)
        rc = store_redemption_count_reward(c, pid, r->id, s->m->id, since, &n);
    if (rc == 0 && n >= max) {
        out->result = REWARDS_LIMIT_REACHED;
        snprintf(out->detail, sizeof out->detail,
                 "limits.per_member: %lld of %lld redemptions used%s%s", (long long)n,
                 (long long)max, period ? " this " : "", period ? period : "");
    }
    return rc;
}

static int stock_left(struct store_conn *c, const char *pid, struct arena *a,
                      const struct reward *r, const char *variant, int64_t *left)
{
    struct reward_stock *rows;
    size_t n;
    *left = -1;
    int rc = store_reward_stock_list(c, pid, r->id, a, &rows, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!rows[i].limited || (rows[i].variant[0] && strcmp(rows[i].variant, variant) != 0))
            continue;
        int64_t l = rows[i].stock - rows[i].redeemed;
        if (*left < 0 || l < *left)
            *left = l;
    }
    return rc;
}

/* ---- eligibility ---- */

static void window_check(const struct reward *r, const cJSON *body, int64_t now,
                         struct reward_check *out)
{
    int64_t start = jtime(body, "start_date"), end = jtime(body, "expiration_date");
    if (!r->active)
        out->result = REWARDS_INACTIVE;
    else if (start && now < start)
        out->result = REWARDS_NOT_YET;
    else if (end && now >= end)
        out->result = REWARDS_EXPIRED;
}

static int subject_check(struct store_conn *c, const char *pid, struct arena *a, const cJSON *body,
                         const cJSON *abody, const struct reward_subject *s,
                         struct reward_check *out)
{
    struct subject_input in = {.s = s};
    const struct customer *cu = s->customer;
    in.customer_md = cu && cu->metadata_json ? cJSON_Parse(cu->metadata_json) : NULL;
    in.member_md = s->m->metadata_json ? cJSON_Parse(s->m->metadata_json) : NULL;
    bool ok = true;
    int rc = conditions_hold(c, pid, a, body, abody, &in, &ok);
    if (rc == 0 && !ok) {
        out->result = REWARDS_NOT_ELIGIBLE;
        snprintf(out->detail, sizeof out->detail,
                 "conditions: the member does not meet the reward's conditions");
    }
    const cJSON *variants = jget(body, "variants");
    if (rc == 0 && ok && cJSON_IsObject(variants)) {
        const cJSON *pick = variant_pick(&in, variants);
        const char *v = pick ? jstr(pick, "value") : NULL;
        char *text = pick ? cJSON_PrintUnformatted(pick) : NULL;
        out->variant = v ? arena_strdup(a, v) : NULL;
        out->variant_json = text ? arena_strdup(a, text) : NULL;
        cJSON_free(text);
        if (!pick) {
            out->result = REWARDS_NOT_ELIGIBLE;
            snprintf(out->detail, sizeof out->detail,
                     "variants: no option matches the member's %.100s",
                     jstr(variants, "attribute") ? jstr(variants, "attribute") : "attribute");
        } else if (!out->variant || !out->variant_json) {
            rc = TREU_ENOMEM;
        }
    }
    cJSON_Delete(in.customer_md);
    cJSON_Delete(in.member_md);
    return rc;
}

int rewards_check(struct store_conn *c, const char *pid, struct zones *zs, struct arena *a,
                  int64_t now, const struct reward *r, const struct reward_assignment *ra,
                  const struct reward_subject *s, bool check_balance, struct reward_check *out)
{
    memset(out, 0, sizeof *out);
    out->variant = "";
    out->stock_left = -1;
    out->points = ra->has_points ? ra->points : 0;
    cJSON *body = cJSON_Parse(r->body_json ? r->body_json : "{}");
    cJSON *abody = ra->body_json ? cJSON_Parse(ra->body_json) : NULL;
    const cJSON *coin = jget(jget(body, "parameters"), "coin");
    out->exchange_ratio = jint(coin, "exchange_ratio", 0);
    out->points_ratio = jint(coin, "points_ratio", 1);
    int rc = 0;
    window_check(r, body, now, out);
    if (!body)
        out->result = REWARDS_NOT_ELIGIBLE; /* validated when saved: cannot happen */
    if (out->result == REWARDS_OK)
        rc = subject_check(c, pid, a, body, abody, s, out);
    if (rc == 0 && out->result == REWARDS_OK)
        rc = limit_ok(c, pid, zs, now, r, body, s, out);
    bool is_coin = strcmp(r->type, "COIN") == 0;
    int64_t need = is_coin ? (out->points_ratio > 0 ? out->points_ratio : 1) : out->points;
    if (rc == 0 && out->result == REWARDS_OK && check_balance && s->balance < need) {
        out->result = REWARDS_INSUFFICIENT;
        snprintf(out->detail, sizeof out->detail,
                 "points: the balance is %lld, the reward costs %lld", (long long)s->balance,
                 (long long)need);
    }
    if (rc == 0 && out->result == REWARDS_OK)
        rc = stock_left(c, pid, a, r, out->variant, &out->stock_left);
    if (rc == 0 && out->result == REWARDS_OK && out->stock_left == 0) {
        out->result = REWARDS_OUT_OF_STOCK;
        snprintf(out->detail, sizeof out->detail, "stock: no %s%s%s left", r->id,
                 out->variant[0] ? " variant " : "", out->variant);
    }
    if (out->result != REWARDS_OK && !out->detail[0])
        snprintf(out->detail, sizeof out->detail, "reward %s: %s", r->id,
                 rewards_result_message(out->result));
    cJSON_Delete(body);
    cJSON_Delete(abody);
    return rc;
}

/* ---- redemption ---- */

/* COIN: the points to spend and the discount they buy. The most points an order takes is
 * ceil(amount × points_ratio / exchange_ratio); without reward.points the member spends
 * that or the whole balance, whichever is less. The discount is floor(points ×
 * exchange_ratio / points_ratio), never more than the order's amount. */
enum rewards_result rewards_coin_amount(const struct rewards_redeem_in *in,
                                        const struct reward_check *ck, int64_t balance,
                                        int64_t *points, int64_t *discount, char *detail,
                                        size_t size)
{
    int64_t er = ck->exchange_ratio, pr = ck->points_ratio, prod, max;
    if (!in->has_order) {
        snprintf(detail, size, "order.amount: a COIN reward pays for an order; send its amount");
        return REWARDS_ORDER_REQUIRED;
    }
    if (er <= 0 || pr <= 0 || __builtin_mul_overflow(in->order_amount, pr, &prod)) {
        snprintf(detail, size, "order.amount: too large for the reward's exchange ratio");
        return REWARDS_POINTS_INVALID;
    }
    max = prod / er + (prod % er != 0);
    *points = in->has_points ? in->points : max < balance ? max : balance;
    if (!in->has_points && max >= 1 && balance < 1) {
        snprintf(detail, size, "points: the balance is %lld", (long long)balance);
        return REWARDS_INSUFFICIENT;
    }
    if (*points < 1 || *points > max) {
        snprintf(detail, size, "reward.points: between 1 and %lld for an order of %lld",
                 (long long)max, (long long)in->order_amount);
        return max < 1 ? REWARDS_ORDER_REQUIRED : REWARDS_POINTS_INVALID;
    }
    if (__builtin_mul_overflow(*points, er, &prod))
        prod = INT64_MAX;
    *discount = prod / pr < in->order_amount ? prod / pr : in->order_amount;
    return REWARDS_OK;
}

static int redeem_load(const struct loyalty_ctx *lc, const struct member_state *ms,
                       const struct rewards_redeem_in *in, struct rewards_redeem_out *out)
{
    struct store_conn *c = lc->tx->conn;
    int rc;
    if (in->assignment_id) {
        rc = store_assignment_get(c, lc->pid, in->assignment_id, lc->a, &out->ra);
        if (rc == 0 && (strcmp(out->ra.program_id, ms->m.program_id) != 0 ||
                        (in->reward_id && strcmp(in->reward_id, out->ra.reward_id) != 0)))
            rc = TREU_ENOTFOUND;
    } else {
        rc =
            store_assignment_get_pair(c, lc->pid, ms->m.program_id, in->reward_id, lc->a, &out->ra);
    }
    if (rc == 0)
        rc = store_reward_get(c, lc->pid, out->ra.reward_id, lc->a, &out->reward);
    if (rc == TREU_ENOTFOUND) {
        out->result = REWARDS_NOT_ASSIGNED;
        snprintf(out->detail, sizeof out->detail, "reward: %.100s is not offered in program %s",
                 in->reward_id ? in->reward_id : in->assignment_id, ms->m.program_id);
        return 0;
    }
    if (rc == 0)
        rc = store_customer_get(c, lc->pid, ms->m.customer_id, lc->a, &out->customer);
    return rc;
}

/* Takes one from the variant's stock and from the reward's; a missing row is no limit. */
static int take_stock(const struct loyalty_ctx *lc, struct rewards_redeem_out *out)
{
    const char *variants[] = {out->check.variant, ""};
    for (size_t i = out->check.variant[0] ? 0 : 1; i < 2; i++) {
        int rc = store_reward_stock_take(lc->tx->conn, lc->pid, out->reward.id, variants[i], 1);
        if (rc == TREU_ECONFLICT) {
            out->result = REWARDS_OUT_OF_STOCK;
            snprintf(out->detail, sizeof out->detail, "stock: no %s%s%s left", out->reward.id,
                     i == 0 ? " variant " : "", variants[i]);
            return 0;
        }
        if (rc < 0 && rc != TREU_ENOTFOUND)
            return rc;
    }
    return 0;
}

static int redeem_record(const struct loyalty_ctx *lc, struct member_state *ms,
                         const struct rewards_redeem_in *in, rewards_render_fn render,
                         void *render_ctx, struct rewards_redeem_out *out)
{
    struct redemption *red = &out->red;
    memset(red, 0, sizeof *red);
    ids_make_at(lc->tx->rng, lc->tx->now_us, "r_", red->id);
    red->kind = "reward";
    red->status = "SUCCEEDED";
    red->customer_id = ms->m.customer_id;
    red->campaign_id = ms->m.program_id;
    red->member_id = ms->m.id;
    red->reward_id = out->reward.id;
    red->assignment_id = out->ra.id;
    red->variant = out->check.variant[0] ? out->check.variant : NULL;
    red->order_id = in->order_id ? in->order_id : in->order_source_id;
    red->amount = out->discount;
    red->points = out->points;
    red->entry_id = out->move.e.id;
    red->issued_voucher_id = out->issued ? out->voucher.id : NULL;
    bool fulfil =
        strcmp(out->reward.type, "MATERIAL") == 0 || strcmp(out->reward.type, "CUSTOM") == 0;
    red->fulfilment = fulfil ? "PENDING" : NULL;
    red->channel = in->channel;
    red->created_at = red->updated_at = lc->tx->now_us;
    red->body_json = render(render_ctx, ms, out);
    if (!red->body_json)
        return TREU_ENOMEM;
    int rc = store_redemption_insert(lc->tx->conn, lc->pid, red);
    /* The answer is the event: a CUSTOM reward's fulfilment (a ticket, an experience)
     * starts from it. */
    return rc == 0
               ? outbox_emit(lc->tx, lc->pid, "customer.reward_redemptions.created", red->body_json)
               : rc;
}

/* CAMPAIGN: a fresh (or unpublished) voucher of the reward's campaign, published to the
 * member's customer in this command. A campaign that cannot issue one (disabled, gone,
 * out of codes) refuses the redemption; the caller's savepoint then drops the debit. */
static int issue_voucher(const struct loyalty_ctx *lc, const struct member_state *ms,
                         struct rewards_redeem_out *out)
{
    cJSON *body = cJSON_Parse(out->reward.body_json ? out->reward.body_json : "{}");
    const char *camp = jstr(jget(jget(body, "parameters"), "campaign"), "id");
    char *ref = camp ? arena_strdup(lc->a, camp) : NULL;
    cJSON_Delete(body);
    if (!ref) {
        out->result = REWARDS_CAMPAIGN_FAILED;
        snprintf(out->detail, sizeof out->detail, "reward: parameters.campaign.id is missing");
        return 0;
    }
    enum voucher_result vres;
    int rc = vouchers_issue(lc->tx, lc->pid, lc->a, ref, ms->m.customer_id, "reward", &out->voucher,
                            &vres);
    if (rc < 0)
        return rc;
    if (vres != VOUCHER_OK) {
        out->result = REWARDS_CAMPAIGN_FAILED;
        snprintf(out->detail, sizeof out->detail, "campaign %.64s: %s (%s)", ref,
                 vouchers_result_reason(vres), vouchers_result_key(vres));
        return 0;
    }
    out->issued = true;
    out->red.issued_voucher_id = out->voucher.id;
    return 0;
}

int rewards_redeem(const struct loyalty_ctx *lc, struct member_state *ms,
                   const struct rewards_redeem_in *in, rewards_render_fn render, void *render_ctx,
                   struct rewards_redeem_out *out)
{
    memset(out, 0, sizeof *out);
    int rc = redeem_load(lc, ms, in, out);
    if (rc < 0 || out->result != REWARDS_OK)
        return rc;
    struct reward_subject s = {.customer = &out->customer,
                               .m = &ms->m,
                               .balance = ms->m.balance,
                               .tiers = ms->tiers,
                               .ntiers = ms->ntiers,
                               .p = &ms->p};
    rc = rewards_check(lc->tx->conn, lc->pid, lc->zones, lc->a, lc->tx->now_us, &out->reward,
                       &out->ra, &s, false, &out->check);
    out->result = out->check.result;
    memcpy(out->detail, out->check.detail, sizeof out->detail);
    if (rc < 0 || out->result != REWARDS_OK)
        return rc;
    if (strcmp(out->reward.type, "COIN") == 0) {
        out->result = rewards_coin_amount(in, &out->check, ms->m.balance, &out->points,
                                          &out->discount, out->detail, sizeof out->detail);
    } else {
        out->points = out->check.points;
        if (in->has_points && in->points != out->points) {
            out->result = REWARDS_POINTS_INVALID;
            snprintf(out->detail, sizeof out->detail, "reward.points: this reward costs %lld",
                     (long long)out->points);
        }
    }
    if (out->result == REWARDS_OK && out->points < 1) {
        out->result = REWARDS_POINTS_INVALID; /* assignments are saved with points >= 1 */
        snprintf(out->detail, sizeof out->detail, "reward: the assignment has no points cost");
    }
    /* Like a transfer, a redemption never creates a debt, whatever the program allows. */
    if (out->result == REWARDS_OK && ms->m.balance < out->points) {
        out->result = REWARDS_INSUFFICIENT;
        snprintf(out->detail, sizeof out->detail,
                 "points: the balance is %lld, the reward costs %lld", (long long)ms->m.balance,
                 (long long)out->points);
    }
    if (out->result != REWARDS_OK)
        return 0;
    enum limits_result lim;
    rc = limits_redeem_check(lc->tx->conn, lc->pid, lc->zones, &ms->p, ms->m.id, lc->tx->now_us,
                             out->points, &lim, out->detail, sizeof out->detail);
    if (rc < 0 || lim != LIMITS_OK) {
        out->result = lim == LIMITS_MEMBER_CAP ? REWARDS_MEMBER_CAP : REWARDS_BUDGET;
        return rc;
    }
    rc = take_stock(lc, out);
    if (rc < 0 || out->result != REWARDS_OK)
        return rc;
    char reason[LOYALTY_REASON_BYTES_MAX + 1];
    snprintf(reason, sizeof reason, "reward %s", out->reward.id);
    struct entry tmpl = {
        .reason = reason, .order_id = in->order_id, .order_source_id = in->order_source_id};
    enum loyalty_result lres;
    rc = loyalty_debit(lc, &ms->p, ms, out->points, "POINTS_REDEMPTION", &tmpl, &out->move, &lres);
    if (rc == 0 && lres == LOYALTY_INSUFFICIENT) {
        out->result = REWARDS_INSUFFICIENT;
        return 0;
    }
    if (rc == 0)
        rc = loyalty_tier_rules(lc, ms);
    if (rc == 0 && strcmp(out->reward.type, "CAMPAIGN") == 0)
        rc = issue_voucher(lc, ms, out);
    if (rc < 0 || out->result != REWARDS_OK)
        return rc;
    return redeem_record(lc, ms, in, render, render_ctx, out);
}

/* ---- rollback ---- */

static int give_stock(const struct loyalty_ctx *lc, const struct redemption *red)
{
    const char *variants[] = {red->variant ? red->variant : "", ""};
    for (size_t i = red->variant && red->variant[0] ? 0 : 1; i < 2; i++) {
        int rc = store_reward_stock_give(lc->tx->conn, lc->pid, red->reward_id, variants[i], 1);
        if (rc < 0 && rc != TREU_ENOTFOUND && rc != TREU_ECONFLICT)
            return rc; /* a deleted reward or a reset stock has nothing to give back to */
    }
    return 0;
}

/* The stored option of a reward's variant, as JSON text (NULL when gone). */
static const char *variant_text(struct arena *a, const char *body_json, const char *value)
{
    cJSON *body = body_json ? cJSON_Parse(body_json) : NULL;
    const cJSON *opts = jget(jget(body, "variants"), "options");
    const char *out = NULL;
    for (const cJSON *o = cJSON_IsArray(opts) ? opts->child : NULL; o && !out; o = o->next) {
        const char *v = jstr(o, "value");
        char *text = v && strcmp(v, value) == 0 ? cJSON_PrintUnformatted(o) : NULL;
        out = text ? arena_strdup(a, text) : NULL;
        cJSON_free(text);
    }
    cJSON_Delete(body);
    return out;
}

static int rollback_record(const struct loyalty_ctx *lc, rewards_render_fn render, void *render_ctx,
                           struct rewards_rollback_out *out)
{
    struct redemption *orig = &out->original, *rb = &out->r.red;
    memset(rb, 0, sizeof *rb);
    ids_make_at(lc->tx->rng, lc->tx->now_us, "rr_", rb->id);
    rb->kind = "rollback";
    rb->status = "SUCCEEDED";
    rb->customer_id = orig->customer_id;
    rb->campaign_id = orig->campaign_id;
    rb->member_id = orig->member_id;
    rb->reward_id = orig->reward_id;
    rb->assignment_id = orig->assignment_id;
    rb->variant = orig->variant;
    rb->order_id = orig->order_id;
    rb->amount = orig->amount;
    rb->points = orig->points;
    rb->entry_id = out->r.move.e.id;
    rb->rollback_of = orig->id;
    rb->created_at = rb->updated_at = lc->tx->now_us;
    orig->status = "ROLLED_BACK";
    orig->rollback_id = arena_strdup(lc->a, rb->id);
    orig->fulfilment = orig->fulfilment ? "CANCELLED" : NULL;
    orig->updated_at = lc->tx->now_us;
    rb->body_json = render(render_ctx, &out->ms, &out->r);
    if (!rb->body_json || !orig->rollback_id)
        return TREU_ENOMEM;
    int rc = store_redemption_update(lc->tx->conn, lc->pid, orig);
    if (rc == 0)
        rc = store_redemption_insert(lc->tx->conn, lc->pid, rb);
    return rc == 0 ? outbox_emit(lc->tx, lc->pid, "customer.reward_redemptions.rolledback",
                                 rb->body_json)
                   : rc;
}

/* CAMPAIGN: the voucher the redemption issued is disabled, so the points and the coupon
 * cannot both be had; once redeemed it cannot be taken back, and neither can the points. */
static int withdraw_voucher(const struct loyalty_ctx *lc, const struct redemption *orig,
                            struct rewards_rollback_out *out)
{
    if (!orig->issued_voucher_id)
        return 0;
    struct voucher v;
    int rc = store_voucher_get(lc->tx->conn, lc->pid, orig->issued_voucher_id, lc->a, &v);
    if (rc == TREU_ENOTFOUND)
        return 0; /* deleted since: nothing left to withdraw */
    if (rc < 0)
        return rc;
    if (v.redeemed > 0) {
        out->result = REWARDS_ROLLBACK_VOUCHER_USED;
        return 0;
    }
    v.active = false;
    v.updated_at = lc->tx->now_us;
    out->r.issued = true;
    out->r.voucher = v;
    return store_voucher_update(lc->tx->conn, lc->pid, &v);
}

int rewards_rollback(const struct loyalty_ctx *lc, const char *redemption_id, const char *reason,
                     rewards_render_fn render, void *render_ctx, struct rewards_rollback_out *out)
{
    memset(out, 0, sizeof *out);
    struct redemption *orig = &out->original;
    int rc = store_redemption_get(lc->tx->conn, lc->pid, redemption_id, lc->a, orig);
    if (rc == TREU_ENOTFOUND) {
        out->result = REWARDS_ROLLBACK_NOT_FOUND;
        return 0;
    }
    if (rc < 0)
        return rc;
    if (strcmp(orig->kind, "reward") != 0 || !orig->member_id || !orig->entry_id) {
        out->result = REWARDS_ROLLBACK_NOT_REWARD;
        return 0;
    }
    if (strcmp(orig->status, "SUCCEEDED") != 0) {
        out->result = REWARDS_ROLLBACK_ALREADY;
        return 0;
    }
    rc = withdraw_voucher(lc, orig, out);
    if (rc < 0 || out->result != REWARDS_ROLLBACK_OK)
        return rc;
    struct entry debit;
    rc = loyalty_load(lc, orig->member_id, &out->ms);
    if (rc == 0)
        rc = store_entry_get(lc->tx->conn, lc->pid, orig->member_id, orig->entry_id, lc->a, &debit);
    if (rc < 0)
        return rc;
    char why[LOYALTY_REASON_BYTES_MAX + 1];
    snprintf(why, sizeof why, "%.200s%srollback of %s", reason ? reason : "", reason ? "; " : "",
             orig->id);
    struct entry tmpl = {
        .reason = why, .order_id = debit.order_id, .order_source_id = debit.order_source_id};
    rc = loyalty_restore(lc, &out->ms, &debit, "POINTS_REDEMPTION_ROLLBACK", &tmpl, &out->r.move);
    if (rc == 0)
        rc = loyalty_tier_rules(lc, &out->ms);
    if (rc == 0)
        rc = give_stock(lc, orig);
    if (rc < 0)
        return rc;
    out->r.points = orig->points;
    out->r.discount = orig->amount;
    rc = store_reward_get(lc->tx->conn, lc->pid, orig->reward_id, lc->a, &out->r.reward);
    if (rc == TREU_ENOTFOUND) { /* deleted since: the answer names it by id only */
        snprintf(out->r.reward.id, sizeof out->r.reward.id, "%s", orig->reward_id);
        out->r.reward.type = "";
        rc = 0;
    }
    if (rc == 0 && orig->variant)
        out->r.check.variant_json = variant_text(lc->a, out->r.reward.body_json, orig->variant);
    if (rc == 0)
        rc = store_customer_get(lc->tx->conn, lc->pid, out->ms.m.customer_id, lc->a,
                                &out->r.customer);
    return rc == 0 ? rollback_record(lc, render, render_ctx, out) : rc;
}
