/* referrals.c - referral codes, the referrals they record, and the referrer's points for
 * the referee's paid orders (see referrals.h). The bonus is an ordinary accrual whose
 * rule_id is the referral's id, so refunds take it back on the ledger's reversal path. */
#include "engine/referrals.h"

#include "core/log.h"
#include "engine/limits.h"

#include <string.h>

#define REFERRAL_REASON_BYTES 160

static const cJSON *jget(const cJSON *o, const char *k)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static int why_fail(char *why, size_t n, const char *msg)
{
    snprintf(why, n, "%s", msg);
    return TREU_EINVAL;
}

int referrals_reward_parse(const cJSON *referral_program, struct arena *a,
                           struct referral_reward *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    const cJSON *rr = jget(referral_program, "referrer_reward");
    if (!rr || cJSON_IsNull(rr))
        return 0;
    if (!cJSON_IsObject(rr))
        return why_fail(why, why_size, "referral_program.referrer_reward: an object");
    const cJSON *type = jget(rr, "type");
    if (type && !(cJSON_IsString(type) && strcmp(type->valuestring, "LOYALTY_CARD") == 0))
        return why_fail(why, why_size,
                        "referral_program.referrer_reward.type: LOYALTY_CARD (points in a "
                        "loyalty program) is the one supported");
    const cJSON *id = jget(jget(rr, "related_object_parent"), "id");
    if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) >= IDS_MAX_LEN * 8)
        return why_fail(why, why_size,
                        "referral_program.referrer_reward.related_object_parent.id: required, "
                        "the loyalty program (id or name) the points go to");
    const cJSON *amount = jget(rr, "amount");
    if (!cJSON_IsNumber(amount) || amount->valuedouble < 1 ||
        amount->valuedouble > (double)LOYALTY_POINTS_MAX ||
        amount->valuedouble != (double)(int64_t)amount->valuedouble)
        return why_fail(why, why_size,
                        "referral_program.referrer_reward.amount: required, whole points from 1");
    const cJSON *trigger = jget(rr, "trigger");
    bool each = cJSON_IsString(trigger) && strcmp(trigger->valuestring, "EACH_ORDER") == 0;
    bool first =
        !trigger || (cJSON_IsString(trigger) && strcmp(trigger->valuestring, "FIRST_ORDER") == 0);
    if (!each && !first)
        return why_fail(why, why_size,
                        "referral_program.referrer_reward.trigger: FIRST_ORDER (default) or "
                        "EACH_ORDER");
    out->program_ref = arena_strdup(a, id->valuestring);
    if (!out->program_ref)
        return TREU_ENOMEM;
    out->set = true;
    out->points = (int64_t)amount->valuedouble;
    out->each_order = each;
    return 0;
}

bool referrals_is_code(const struct voucher_state *vs)
{
    return vs->has_campaign && strcmp(vs->camp.type, "REFERRAL_PROGRAM") == 0;
}

const char *referrals_referrer(const struct voucher_state *vs)
{
    if (!referrals_is_code(vs))
        return NULL;
    return vs->v.referrer_id ? vs->v.referrer_id : vs->v.holder_id;
}

int referrals_record(const struct writer_tx *tx, const char *pid, const struct voucher_state *vs,
                     const char *referee_id)
{
    const char *referrer = referrals_referrer(vs);
    if (!referrer || !referee_id)
        return 0; /* a code nobody holds yet: a discount, no referral */
    struct referral f = {.status = "PENDING", .created_at = tx->now_us, .updated_at = tx->now_us};
    ids_make_at(tx->rng, tx->now_us, LOYALTY_REFERRAL_PREFIX, f.id);
    snprintf(f.campaign_id, sizeof f.campaign_id, "%s", vs->camp.id);
    snprintf(f.voucher_id, sizeof f.voucher_id, "%s", vs->v.id);
    snprintf(f.referrer_id, sizeof f.referrer_id, "%s", referrer);
    snprintf(f.referee_id, sizeof f.referee_id, "%s", referee_id);
    return store_referral_insert(tx->conn, pid, &f);
}

int referrals_redemption_rolled_back(const struct writer_tx *tx, const char *pid,
                                     const struct redemption *orig)
{
    if (!orig->campaign_id || !orig->customer_id || !orig->voucher_id)
        return 0;
    struct arena a;
    arena_init(&a, 16 * 1024);
    struct referral f;
    int rc =
        store_referral_get_by_referee(tx->conn, pid, orig->campaign_id, orig->customer_id, &a, &f);
    if (rc == 0 && strcmp(f.voucher_id, orig->voucher_id) == 0 && f.orders_rewarded == 0)
        rc = store_referral_delete(tx->conn, pid, f.id);
    arena_cleanup(&a);
    return rc == TREU_ENOTFOUND ? 0 : rc;
}

/* The referrer reward of a referral's campaign and the program it pays in; *found false when
 * the campaign, its reward or the program is gone (nothing to pay or take back). */
static int referral_terms(const struct loyalty_ctx *lc, const struct referral *f,
                          struct referral_reward *rw, struct program *p, bool *found)
{
    *found = false;
    struct campaign cp;
    int rc = store_campaign_get(lc->tx->conn, lc->pid, f->campaign_id, lc->a, &cp);
    cJSON *body = rc == 0 ? cJSON_Parse(cp.body_json ? cp.body_json : "{}") : NULL;
    char why[160];
    if (rc == 0)
        rc = referrals_reward_parse(jget(body, "referral_program"), lc->a, rw, why, sizeof why);
    cJSON_Delete(body);
    if (rc == TREU_EINVAL) {
        log_warn("referral terms unreadable", "campaign=%s why=\"%s\"", f->campaign_id, why);
        return 0;
    }
    if (rc == 0 && rw->set)
        rc = store_program_get(lc->tx->conn, lc->pid, rw->program_ref, lc->a, p);
    if (rc == TREU_ENOTFOUND)
        return 0;
    *found = rc == 0 && rw->set;
    return rc;
}

/* Credits the referrer of `f` for order `o` in program `p` (enrolling them when needed). */
static int pay_referrer(const struct loyalty_ctx *lc, struct referral *f,
                        const struct referral_reward *rw, const struct program *p,
                        const struct order *o, struct earn_result *out)
{
    struct member_state ms;
    bool created;
    enum loyalty_result lres;
    int rc = loyalty_enroll(lc, p, f->referrer_id, &ms, &created, &lres);
    if (rc < 0 || lres != LOYALTY_OK)
        return rc;
    int64_t points = rw->points;
    rc = limits_earn_allowance(lc->tx->conn, lc->pid, lc->zones, p, ms.m.id, lc->tx->now_us, points,
                               &points);
    if (rc < 0 || points == 0)
        return rc; /* the referrer's earning cap is reached: the referral stays as it was */
    char reason[REFERRAL_REASON_BYTES];
    snprintf(reason, sizeof reason, "referral: an order of referred customer %s", f->referee_id);
    struct entry tmpl = {
        .rule_id = f->id, .order_id = o->id, .order_source_id = o->source_id, .reason = reason};
    struct loyalty_move mv;
    rc = loyalty_credit(lc, p, &ms, points, p->pending_days, "POINTS_ACCRUAL", &tmpl, &mv);
    if (rc == 0)
        rc = loyalty_tier_rules(lc, &ms);
    if (rc < 0)
        return rc;
    if (out->n < LOYALTY_ENTRIES_PER_TRIGGER_MAX) {
        out->entries[out->n++] = mv.e;
        out->points += points;
    }
    f->status = "COMPLETED";
    f->orders_rewarded++;
    f->updated_at = lc->tx->now_us;
    return store_referral_update(lc->tx->conn, lc->pid, f);
}

int referrals_order_paid(const struct loyalty_ctx *lc, const struct order *o,
                         struct earn_result *out)
{
    if (!o->customer_id)
        return 0;
    struct referral *fs;
    size_t n;
    int rc = store_referral_list_by_referee(lc->tx->conn, lc->pid, o->customer_id,
                                            REFERRALS_PER_REFEREE_MAX, lc->a, &fs, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct referral_reward rw;
        struct program p;
        bool found;
        if (strcmp(fs[i].status, "REVERSED") == 0)
            continue;
        rc = referral_terms(lc, &fs[i], &rw, &p, &found);
        if (rc < 0 || !found || (!rw.each_order && fs[i].orders_rewarded > 0))
            continue;
        rc = pay_referrer(lc, &fs[i], &rw, &p, o, out);
    }
    return rc;
}

int referrals_order_reversed(const struct loyalty_ctx *lc, const struct order *o,
                             int64_t new_amount, bool cancel, struct earn_result *out)
{
    if (!o->customer_id)
        return 0;
    struct referral *fs;
    size_t n;
    int rc = store_referral_list_by_referee(lc->tx->conn, lc->pid, o->customer_id,
                                            REFERRALS_PER_REFEREE_MAX, lc->a, &fs, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct referral_reward rw;
        struct program p;
        bool found;
        if (fs[i].orders_rewarded == 0)
            continue;
        rc = referral_terms(lc, &fs[i], &rw, &p, &found);
        if (rc < 0 || !found)
            continue;
        size_t before = out->n;
        rc = loyalty_reverse_order_card(lc, p.id, fs[i].referrer_id, o, new_amount, cancel, out);
        bool taken = false;
        for (size_t k = before; k < out->n; k++)
            taken = taken ||
                    (out->entries[k].rule_id && strcmp(out->entries[k].rule_id, fs[i].id) == 0);
        if (rc == 0 && taken && !rw.each_order) {
            fs[i].status = "REVERSED"; /* its one bonus is gone; later orders pay nothing */
            fs[i].updated_at = lc->tx->now_us;
            rc = store_referral_update(lc->tx->conn, lc->pid, &fs[i]);
        }
    }
    return rc;
}
