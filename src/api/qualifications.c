/* qualifications.c - POST /v1/qualifications and GET /v1/customers/{id}/redeemables: what
 * a customer may use now. The vouchers published to the customer (wallet and referral
 * codes) are validated with vouchers_check against the order; the customer's loyalty cards
 * are listed with their balance, and with scenario ALL the rewards each card can redeem now
 * (rewards_check, and for COIN rewards the discount the points buy on the order). Every
 * entry says why it applies; ineligible ones can be listed with the failing check.
 * Read-only: one read transaction on a reader connection; nothing is written or tracked.
 * Shapes follow Voucherify's Qualifications and Customers APIs (docs/api.md). */
#include "api/redeem.h"

#include "engine/loyalty.h"
#include "engine/rewards.h"

#include <stdlib.h>
#include <string.h>

#define QUAL_LIMIT_DEFAULT       5   /* Voucherify's default page */
#define QUAL_LIMIT_MAX           50  /* entries on one page */
#define QUAL_VOUCHERS_MAX        100 /* published vouchers looked at: the customer's newest */
#define QUAL_ITEMS_MAX           500 /* vouchers, cards and rewards one call considers */
#define QUAL_FILTER_VALUES_MAX   20
#define QUAL_INAPPLICABLE_MAX    50 /* ineligible entries listed (not paged) */
#define QUAL_CURSOR_BYTES_MAX    255
#define QUAL_REASON_BYTES        384
#define CUSTOMER_REDEEMABLES_MAX 100 /* limit of GET /v1/customers/{id}/redeemables */

enum qual_kind { QUAL_VOUCHER, QUAL_CARD, QUAL_REWARD };
enum qual_scenario { SCENARIO_ALL, SCENARIO_WALLET };
enum qual_sort { SORT_DEFAULT, SORT_BEST_DEAL, SORT_LEAST_DEAL };

static const char *const scenarios[] = {"ALL", "CUSTOMER_WALLET", NULL};
static const char *const sortings[] = {"DEFAULT", "BEST_DEAL", "LEAST_DEAL", NULL};
static const char *const expands[] = {"redeemable", "category", "validation_rules", NULL};
static const char *const junctions[] = {"and", "AND", NULL};
static const char *const EMPTY_LIST = "{\"data\":[],\"total\":0,\"data_ref\":\"data\","
                                      "\"object\":\"list\"}";

struct qual_filter {
    bool used, negate;
    size_t n;
    const char *v[QUAL_FILTER_VALUES_MAX];
};

struct qual_opts {
    int scenario, sort;
    int64_t limit;
    const char *starting_after;
    bool ineligible;
    struct qual_filter type, campaign;
};

/* A loyalty card with what its rewards are checked against. */
struct qual_card {
    struct member m;
    struct program p;
    struct member_view v;
    struct tier *tiers;
    size_t ntiers;
};

struct qual_item {
    enum qual_kind kind;
    const char *id;
    int64_t created_at;
    const char *campaign_id, *campaign_name, *metadata;
    bool ok;
    bool has_discount; /* it takes something off the order: discount is that amount */
    int64_t discount;  /* the sort key of BEST_DEAL / LEAST_DEAL */
    int64_t points;    /* rewards: the cost (COIN: the points the order takes) */
    int64_t missing;   /* insufficient balance: the points to go */
    const char *key, *message;
    char reason[QUAL_REASON_BYTES];
    const struct voucher_state *vs;
    const struct voucher_outcome *vo;
    const struct qual_card *card;
    const struct reward *rw;
    const struct reward_assignment *ra;
    const struct reward_check *ck;
};

struct qual_run {
    struct redeem_input in; /* customer and order as sent */
    struct qual_opts opt;
    bool has_customer;
    struct customer cu;
    cJSON *customer_metadata;
    struct order o;
    struct voucher_order vo;
    struct voucher_context ctx;
    int64_t now;
    struct qual_item *items;
    size_t n;
};

/* ---- input ---- */

static int bad_filter(struct request *r, const char *name)
{
    reply_error(r, 400, "invalid_param", "Invalid filter",
                "options.filters.%s: {\"conditions\": {\"$in\": [\"…\"]}} with one of $in, $is, "
                "$not_in, $is_not and 1 to %d strings",
                name, QUAL_FILTER_VALUES_MAX);
    return -1;
}

static int filter_or_reply(struct request *r, const cJSON *filters, const char *name,
                           struct qual_filter *f)
{
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(filters, name);
    if (!fv)
        return 0;
    const cJSON *conds = cJSON_GetObjectItemCaseSensitive(fv, "conditions");
    if (!cJSON_IsObject(conds) || !conds->child || conds->child->next)
        return bad_filter(r, name);
    const cJSON *vals = conds->child;
    const char *op = vals->string;
    f->negate = strcmp(op, "$not_in") == 0 || strcmp(op, "$is_not") == 0;
    if (!f->negate && strcmp(op, "$in") != 0 && strcmp(op, "$is") != 0)
        return bad_filter(r, name);
    if (cJSON_IsString(vals)) {
        f->v[f->n++] = vals->valuestring;
    } else if (cJSON_IsArray(vals)) {
        for (const cJSON *v = vals->child; v; v = v->next) {
            if (!cJSON_IsString(v) || f->n >= QUAL_FILTER_VALUES_MAX)
                return bad_filter(r, name);
            f->v[f->n++] = v->valuestring;
        }
    }
    if (f->n == 0)
        return bad_filter(r, name);
    f->used = true;
    return 0;
}

static int filters_or_reply(struct request *r, const cJSON *opts, struct qual_opts *o)
{
    static const char *const fields[] = {"junction", "resource_type", "campaign_id", NULL};
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(opts, "filters");
    int junction;
    bool has;
    if (!filters || cJSON_IsNull(filters))
        return 0;
    if (!cJSON_IsObject(filters)) {
        reply_error(r, 400, "invalid_param", "Invalid filters",
                    "options.filters: an object such as {\"resource_type\": {\"conditions\": "
                    "{\"$in\": [\"voucher\"]}}}");
        return -1;
    }
    if (req_known_fields_or_reply(r, filters, fields, NULL, "options.filters") < 0 ||
        req_enum_field_or_reply(r, filters, "options.filters", "junction", junctions, &junction,
                                &has) < 0)
        return -1;
    return filter_or_reply(r, filters, "resource_type", &o->type) < 0 ||
                   filter_or_reply(r, filters, "campaign_id", &o->campaign) < 0
               ? -1
               : 0;
}

static int expand_or_reply(struct request *r, const cJSON *opts, struct qual_opts *o)
{
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(opts, "expand");
    if (!ex || cJSON_IsNull(ex))
        return 0;
    bool ok = cJSON_IsArray(ex);
    for (const cJSON *e = ok ? ex->child : NULL; e && ok; e = e->next) {
        size_t i = 0;
        while (cJSON_IsString(e) && expands[i] && strcmp(expands[i], e->valuestring) != 0)
            i++;
        ok = cJSON_IsString(e) && expands[i];
        o->ineligible |= ok && i == 0;
    }
    if (!ok)
        reply_error(r, 400, "invalid_param", "Invalid expand",
                    "options.expand: an array of \"redeemable\", \"category\", "
                    "\"validation_rules\"");
    return ok ? 0 : -1;
}

static int options_or_reply(struct request *r, const cJSON *body, struct qual_opts *o)
{
    static const char *const fields[] = {"limit",        "starting_after",     "filters", "expand",
                                         "sorting_rule", "include_ineligible", NULL};
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(body, "options");
    struct opt_str after;
    bool has, inel = false;
    o->limit = QUAL_LIMIT_DEFAULT;
    if (!opts || cJSON_IsNull(opts))
        return 0;
    if (!cJSON_IsObject(opts)) {
        reply_error(r, 400, "invalid_param", "Invalid options",
                    "options: an object such as {\"limit\": 5}");
        return -1;
    }
    if (req_known_fields_or_reply(r, opts, fields, NULL, "options") < 0 ||
        req_int_field_or_reply(r, opts, "options", "limit", 1, QUAL_LIMIT_MAX, &o->limit, &has) <
            0 ||
        req_string_field_or_reply(r, opts, "starting_after", QUAL_CURSOR_BYTES_MAX, true, &after) <
            0 ||
        req_enum_field_or_reply(r, opts, "options", "sorting_rule", sortings, &o->sort, &has) < 0 ||
        req_bool_field_or_reply(r, opts, "options", "include_ineligible", &inel, &has) < 0 ||
        expand_or_reply(r, opts, o) < 0 || filters_or_reply(r, opts, o) < 0)
        return -1;
    o->starting_after = after.v;
    o->ineligible |= inel;
    return 0;
}

static int qual_body_or_reply(struct request *r, struct qual_run *q)
{
    static const char *const fields[] = {"customer", "order",    "scenario",
                                         "options",  "metadata", NULL};
    static const char *const ignored[] = {"mode", "tracking_id", "session", NULL};
    cJSON *body = NULL;
    const cJSON *md;
    struct opt_str mds;
    bool has;
    if (r->body.len > 0 && (req_json_object_or_reply(r, &body) < 0 ||
                            req_known_fields_or_reply(r, body, fields, ignored, "") < 0))
        return -1;
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(body, "order");
    if (order && !cJSON_IsNull(order) && !cJSON_IsObject(order)) {
        reply_error(r, 400, "invalid_param", "Invalid order",
                    "order: an object such as {\"amount\": 10000}");
        return -1;
    }
    if ((cJSON_IsObject(order) && api_order_or_reply(r, order, &q->in) < 0) ||
        req_object_field_or_reply(r, body, "metadata", &md, &mds) < 0)
        return -1;
    if (req_enum_field_or_reply(r, body, "", "scenario", scenarios, &q->opt.scenario, &has) < 0)
        return -1;
    const cJSON *cust = cJSON_GetObjectItemCaseSensitive(body, "customer");
    q->in.has_customer = cust && !cJSON_IsNull(cust);
    if (q->in.has_customer && api_customer_ref_or_reply(r, body, "customer", &q->in.customer) < 0)
        return -1;
    return options_or_reply(r, body, &q->opt);
}

/* ---- collecting ---- */

static bool filter_hit(const struct qual_filter *f, const char *value)
{
    if (!f->used)
        return true;
    bool in = false;
    for (size_t i = 0; i < f->n && !in; i++)
        in = value && strcmp(f->v[i], value) == 0;
    return in != f->negate;
}

static bool wanted(const struct qual_run *q, const char *type, const char *campaign_id)
{
    return filter_hit(&q->opt.type, type) && filter_hit(&q->opt.campaign, campaign_id);
}

/* The next entry, or NULL once QUAL_ITEMS_MAX are taken (the rest is not considered). */
static struct qual_item *item_add(struct qual_run *q, enum qual_kind kind)
{
    if (q->n >= QUAL_ITEMS_MAX)
        return NULL;
    struct qual_item *it = &q->items[q->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    return it;
}

static void voucher_item(struct qual_run *q, struct qual_item *it, const struct voucher_state *vs,
                         const struct voucher_outcome *vo)
{
    bool referral = vs->has_campaign && strcmp(vs->camp.type, "REFERRAL_PROGRAM") == 0;
    it->id = vs->v.code;
    it->created_at = vs->v.created_at;
    it->campaign_id = vs->v.campaign_id;
    it->campaign_name = vs->has_campaign ? vs->camp.name : NULL;
    it->metadata = vs->v.metadata_json;
    it->vs = vs;
    it->vo = vo;
    it->ok = vo->res == VOUCHER_OK;
    it->discount = vo->discount + vo->gift;
    it->has_discount = it->ok && q->in.has_order;
    it->key = vouchers_result_key(vo->res);
    it->message = vouchers_result_reason(vo->res);
    if (it->ok)
        snprintf(it->reason, sizeof it->reason, "%s",
                 referral ? "referral code held by the customer" : "published to the customer");
    else
        snprintf(it->reason, sizeof it->reason, "%s", vo->details[0] ? vo->details : it->message);
}

static int qual_vouchers(struct store_conn *c, struct request *r, struct qual_run *q)
{
    struct voucher_query vq = {.holder_id = q->cu.id};
    struct page pg = {.limit = QUAL_VOUCHERS_MAX};
    struct voucher *rows = NULL;
    size_t n = 0;
    int64_t total;
    int rc = store_voucher_list(c, r->project_id, &vq, &pg, &r->arena, &rows, &n, &total);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!wanted(q, "voucher", rows[i].campaign_id))
            continue;
        struct voucher_state *vs = arena_zalloc(&r->arena, sizeof *vs);
        struct voucher_outcome *vo = arena_zalloc(&r->arena, sizeof *vo);
        struct qual_item *it = item_add(q, QUAL_VOUCHER);
        if (!vs || !vo)
            return TREU_ENOMEM;
        if (!it)
            break;
        rc = vouchers_load(c, r->project_id, &r->arena, rows[i].id, vs);
        if (rc == 0)
            rc = vouchers_check(c, r->project_id, &r->arena, vs, &q->ctx, q->o.amount, 0, vo);
        if (rc == 0)
            voucher_item(q, it, vs, vo);
    }
    return rc;
}

/* COIN: what the card's points buy on the order (refused without one). */
static void coin_value(const struct qual_run *q, const struct qual_card *cd, struct qual_item *it,
                       struct reward_check *ck)
{
    struct rewards_redeem_in in = {.has_order = q->in.has_order, .order_amount = q->o.amount};
    int64_t points = 0, discount = 0;
    ck->result = rewards_coin_amount(&in, ck, cd->v.balance, &points, &discount, ck->detail,
                                     sizeof ck->detail);
    it->points = points;
    it->discount = discount;
    it->has_discount = ck->result == REWARDS_OK;
}

static void reward_item(const struct qual_run *q, const struct qual_card *cd, struct qual_item *it,
                        struct reward_check *ck)
{
    bool coin = strcmp(it->rw->type, "COIN") == 0;
    int64_t bal = cd->v.balance;
    it->points = ck->points;
    if (ck->result == REWARDS_OK && coin)
        coin_value(q, cd, it, ck);
    it->ok = ck->result == REWARDS_OK;
    it->key = rewards_result_key(ck->result);
    it->message = rewards_result_message(ck->result);
    if (it->ok && coin)
        snprintf(it->reason, sizeof it->reason,
                 "holds %lld points; %lld of them take %lld off "
                 "the order",
                 (long long)bal, (long long)it->points, (long long)it->discount);
    else if (it->ok)
        snprintf(it->reason, sizeof it->reason, "holds %lld points, costs %lld", (long long)bal,
                 (long long)it->points);
    else if (ck->result == REWARDS_INSUFFICIENT) {
        int64_t need = coin ? (ck->points_ratio > 0 ? ck->points_ratio : 1) : ck->points;
        it->missing = need - bal;
        snprintf(it->reason, sizeof it->reason, "holds %lld points, costs %lld: %lld points to go",
                 (long long)bal, (long long)need, (long long)it->missing);
    } else
        snprintf(it->reason, sizeof it->reason, "%s", ck->detail[0] ? ck->detail : it->message);
}

static int reward_one(struct store_conn *c, struct request *r, struct qual_run *q,
                      const struct qual_card *cd, const struct reward_subject *s,
                      const struct reward_assignment *ra)
{
    struct reward *rw = arena_zalloc(&r->arena, sizeof *rw);
    struct reward_check *ck = arena_zalloc(&r->arena, sizeof *ck);
    if (!rw || !ck)
        return TREU_ENOMEM;
    int rc = store_reward_get(c, r->project_id, ra->reward_id, &r->arena, rw);
    if (rc == TREU_ENOTFOUND)
        return 0;
    if (rc == 0)
        rc = rewards_check(c, r->project_id, r->app->zones, &r->arena, q->now, rw, ra, s, true, ck);
    struct qual_item *it = rc == 0 ? item_add(q, QUAL_REWARD) : NULL;
    if (!it)
        return rc;
    it->id = ra->id;
    it->created_at = ra->created_at;
    it->campaign_id = cd->p.id;
    it->campaign_name = cd->p.name;
    it->card = cd;
    it->rw = rw;
    it->ra = ra;
    it->ck = ck;
    reward_item(q, cd, it, ck);
    return 0;
}

static int qual_rewards(struct store_conn *c, struct request *r, struct qual_run *q,
                        const struct qual_card *cd)
{
    struct page all = {.limit = REWARDS_PROGRAM_REWARDS_MAX};
    struct reward_assignment *rows = NULL;
    size_t n = 0;
    if (!wanted(q, "reward", cd->p.id))
        return 0;
    int rc =
        store_assignment_list(c, r->project_id, NULL, cd->p.id, &all, &r->arena, &rows, &n, NULL);
    struct reward_subject s = {.customer = &q->cu,
                               .m = &cd->m,
                               .balance = cd->v.balance,
                               .tiers = cd->tiers,
                               .ntiers = cd->ntiers,
                               .p = &cd->p};
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = reward_one(c, r, q, cd, &s, &rows[i]);
    return rc;
}

static void card_item(struct qual_item *it, const struct qual_card *cd)
{
    it->id = cd->m.code;
    it->created_at = cd->m.created_at;
    it->campaign_id = cd->p.id;
    it->campaign_name = cd->p.name;
    it->metadata = cd->m.metadata_json;
    it->card = cd;
    it->ok = true;
    snprintf(it->reason, sizeof it->reason, "loyalty card of the customer, holds %lld points",
             (long long)cd->v.balance);
}

static int card_load(struct store_conn *c, struct request *r, int64_t now, struct qual_card *cd)
{
    struct lot *lots;
    size_t nl;
    int rc = store_program_get(c, r->project_id, cd->m.program_id, &r->arena, &cd->p);
    if (rc == 0)
        rc = loyalty_view(c, r->project_id, &cd->m, now, &r->arena, &cd->v, &lots, &nl);
    if (rc == 0)
        rc = store_tier_list(c, r->project_id, cd->p.id, &r->arena, &cd->tiers, &cd->ntiers);
    return rc;
}

static int qual_cards(struct store_conn *c, struct request *r, struct qual_run *q)
{
    struct member *ms = NULL;
    size_t n = 0;
    int rc = store_member_list_by_customer(c, r->project_id, q->cu.id, &r->arena, &ms, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct qual_card *cd = arena_zalloc(&r->arena, sizeof *cd);
        if (!cd)
            return TREU_ENOMEM;
        cd->m = ms[i];
        rc = card_load(c, r, q->now, cd);
        struct qual_item *it =
            rc == 0 && wanted(q, "voucher", cd->p.id) ? item_add(q, QUAL_CARD) : NULL;
        if (it)
            card_item(it, cd);
        if (rc == 0 && q->opt.scenario == SCENARIO_ALL)
            rc = qual_rewards(c, r, q, cd);
    }
    return rc;
}

/* The stored customer the body names; an unknown one (or none) leaves has_customer false. */
static int qual_customer(struct store_conn *c, struct request *r, struct qual_run *q)
{
    const struct customer_ref *cr = &q->in.customer;
    const char *ref = cr->ref                               ? cr->ref
                      : cr->patch && cr->patch->source_id.v ? cr->patch->source_id.v
                                                            : NULL;
    if (!q->in.has_customer || !ref)
        return 0;
    int rc = customers_find(c, r->project_id, ref, &r->arena, &q->cu);
    q->has_customer = rc == 0;
    return rc == TREU_ENOTFOUND ? 0 : rc;
}

static int qual_context(struct store_conn *c, struct request *r, struct qual_run *q)
{
    bool found;
    int rc = api_order_resolve(c, r, &q->in, &q->o, &found);
    if (rc < 0)
        return rc;
    q->o.customer_id = q->has_customer ? q->cu.id : q->o.customer_id;
    api_order_view(&q->o, &q->vo);
    q->vo.has_amount = q->in.has_order;
    q->customer_metadata =
        q->has_customer && q->cu.metadata_json ? cJSON_Parse(q->cu.metadata_json) : NULL;
    q->ctx = (struct voucher_context){.customer = q->has_customer ? &q->cu : NULL,
                                      .customer_metadata = q->customer_metadata,
                                      .order = &q->vo,
                                      .now = q->now};
    return 0;
}

/* Everything in one read transaction: a consistent snapshot, nothing written. */
static int qual_collect(struct request *r, struct qual_run *q)
{
    struct store_conn *c = req_reader(r);
    int rc = store_read_begin(c);
    bool begun = rc == 0;
    q->now = clock_now_us(r->app->clock);
    if (rc == 0)
        rc = qual_customer(c, r, q);
    if (rc == 0)
        rc = qual_context(c, r, q);
    if (rc == 0 && q->has_customer)
        rc = qual_vouchers(c, r, q);
    if (rc == 0 && q->has_customer)
        rc = qual_cards(c, r, q);
    if (begun)
        store_read_end(c);
    req_reader_release(r, c);
    return rc;
}

static void qual_cleanup(struct qual_run *q)
{
    api_order_view_cleanup(&q->vo);
    cJSON_Delete(q->customer_metadata);
    q->customer_metadata = NULL;
}

/* ---- order and paging ---- */

static int cmp_default(const void *a, const void *b)
{
    const struct qual_item *x = a, *y = b;
    if (x->created_at != y->created_at)
        return x->created_at < y->created_at ? 1 : -1;
    int d = strcmp(x->id ? x->id : "", y->id ? y->id : "");
    return d ? d : (int)x->kind - (int)y->kind;
}

static int cmp_best(const void *a, const void *b)
{
    const struct qual_item *x = a, *y = b;
    if (x->discount != y->discount)
        return x->discount < y->discount ? 1 : -1;
    return cmp_default(a, b);
}

static int cmp_least(const void *a, const void *b)
{
    const struct qual_item *x = a, *y = b;
    if (x->discount != y->discount)
        return x->discount > y->discount ? 1 : -1;
    return cmp_default(a, b);
}

static void qual_sort(struct qual_run *q)
{
    int (*cmp)(const void *, const void *) = q->opt.sort == SORT_BEST_DEAL    ? cmp_best
                                             : q->opt.sort == SORT_LEAST_DEAL ? cmp_least
                                                                              : cmp_default;
    if (q->n > 1)
        qsort(q->items, q->n, sizeof *q->items, cmp);
}

/* Where the page starts: after the eligible entry named by starting_after. */
static int start_or_reply(struct request *r, const struct qual_run *q, size_t *start)
{
    *start = 0;
    if (!q->opt.starting_after)
        return 0;
    for (size_t i = 0; i < q->n; i++) {
        if (q->items[i].ok && q->items[i].id &&
            strcmp(q->items[i].id, q->opt.starting_after) == 0) {
            *start = i + 1;
            return 0;
        }
    }
    reply_error(r, 400, "invalid_param", "Invalid starting_after",
                "options.starting_after: %.255s is not an entry of this listing; pass the "
                "more_starting_after of the previous page",
                q->opt.starting_after);
    return -1;
}

/* ---- rendering ---- */

static void error_render(struct jw *w, const struct qual_item *it)
{
    jw_key(w, "error");
    jw_obj_open(w);
    jw_kv_int(w, "code", 400);
    jw_kv_str(w, "key", it->key);
    jw_kv_str(w, "message", it->message);
    jw_kv_str(w, "details", it->kind == QUAL_VOUCHER ? it->vo->details : it->ck->detail);
    if (it->missing > 0)
        jw_kv_int(w, "points_missing", it->missing);
    jw_obj_close(w);
}

static void card_brief(struct jw *w, const char *key, const struct qual_card *cd, int64_t points)
{
    jw_key(w, key);
    jw_obj_open(w);
    if (points >= 0)
        jw_kv_int(w, "points", points);
    jw_kv_int(w, "balance", cd->v.balance);
    jw_kv_int(w, "pending_points", cd->v.pending);
    if (points < 0) {
        jw_kv_time(w, "next_expiration_date", cd->v.next_expiry_at);
        jw_kv_int(w, "next_expiration_points", cd->v.next_expiry_points);
    }
    jw_obj_close(w);
}

static void result_render(struct jw *w, const struct qual_item *it)
{
    jw_key(w, "result");
    jw_obj_open(w);
    if (!it->ok) {
        error_render(w, it);
    } else if (it->kind == QUAL_VOUCHER && it->vs->spec.gift) {
        jw_key(w, "gift");
        jw_obj_open(w);
        jw_kv_int(w, "balance", it->vs->v.gift_balance);
        jw_kv_int(w, "credits", it->vo->gift);
        jw_obj_close(w);
    } else if (it->kind == QUAL_VOUCHER) {
        jw_key(w, "discount");
        vouchers_discount_write(w, &it->vs->spec.d);
    } else if (it->kind == QUAL_CARD) {
        card_brief(w, "loyalty_card", it->card, it->card->v.earned);
    } else {
        if (it->has_discount) {
            jw_key(w, "discount");
            jw_obj_open(w);
            jw_kv_str(w, "type", "AMOUNT");
            jw_kv_int(w, "amount_off", it->discount);
            jw_kv_str(w, "effect", "APPLY_TO_ORDER");
            jw_obj_close(w);
        }
        card_brief(w, "loyalty_card", it->card, it->points);
    }
    jw_obj_close(w);
}

static void reward_fields(struct jw *w, const struct qual_item *it)
{
    jw_key(w, "reward");
    jw_obj_open(w);
    jw_kv_str(w, "id", it->rw->id);
    jw_kv_str(w, "name", it->rw->name);
    jw_kv_str(w, "type", it->rw->type);
    jw_kv_str(w, "object", "reward");
    jw_obj_close(w);
    jw_kv_str(w, "assignment_id", it->ra->id);
    jw_key(w, "loyalty_card");
    jw_obj_open(w);
    jw_kv_str(w, "id", it->card->m.id);
    jw_kv_str(w, "code", it->card->m.code);
    jw_kv_int(w, "balance", it->card->v.balance);
    jw_obj_close(w);
    jw_kv_int(w, "points", it->points);
    jw_kv_raw(w, "variant", it->ok ? it->ck->variant_json : NULL);
    jw_key(w, "stock_left");
    if (it->ok && it->ck->stock_left >= 0)
        jw_int(w, it->ck->stock_left);
    else
        jw_null(w);
}

static void item_render(struct jw *w, const struct qual_run *q, const struct qual_item *it)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", it->id);
    jw_kv_str(w, "object", it->kind == QUAL_REWARD ? "reward" : "voucher");
    jw_kv_time(w, "created_at", it->created_at);
    if (it->kind != QUAL_REWARD)
        jw_kv_str(w, "voucher_type", it->kind == QUAL_CARD ? "LOYALTY_CARD" : it->vs->v.type);
    result_render(w, it);
    if (it->has_discount) {
        jw_key(w, "order");
        api_order_totals_render(w, &q->o, it->discount);
    }
    if (it->kind == QUAL_REWARD)
        reward_fields(w, it);
    jw_kv_raw(w, "applicable_to", EMPTY_LIST);
    jw_kv_raw(w, "inapplicable_to", EMPTY_LIST);
    jw_kv_raw(w, "metadata", it->metadata ? it->metadata : "{}");
    jw_kv_raw(w, "categories", "[]");
    jw_kv_str(w, "name", it->kind == QUAL_REWARD ? it->rw->name : it->campaign_name);
    jw_kv_str(w, "campaign_name", it->campaign_name);
    jw_kv_str(w, "campaign_id", it->campaign_id);
    jw_kv_str(w, "reason", it->reason);
    jw_obj_close(w);
}

/* The eligible entries from `start` (a page of opt.limit), or the ineligible ones. */
static void list_render(struct jw *w, const struct qual_run *q, bool ok, size_t start,
                        int64_t limit)
{
    int64_t total = 0, shown = 0;
    const char *last = NULL;
    bool more = false;
    jw_obj_open(w);
    jw_kv_str(w, "object", "list");
    jw_kv_str(w, "data_ref", "data");
    jw_key(w, "data");
    jw_arr_open(w);
    for (size_t i = 0; i < q->n; i++) {
        if (q->items[i].ok != ok)
            continue;
        total++;
        if (i < start)
            continue;
        if (shown == limit) {
            more = true;
            continue;
        }
        item_render(w, q, &q->items[i]);
        last = q->items[i].id;
        shown++;
    }
    jw_arr_close(w);
    jw_kv_int(w, "total", total);
    jw_kv_bool(w, "has_more", more);
    jw_kv_str(w, "more_starting_after", more && ok ? last : NULL);
    jw_obj_close(w);
}

static void qual_render(struct jw *w, const struct qual_run *q, size_t start)
{
    jw_obj_open(w);
    jw_key(w, "redeemables");
    list_render(w, q, true, start, q->opt.limit);
    if (q->opt.ineligible) {
        jw_key(w, "inapplicable_redeemables");
        list_render(w, q, false, 0, QUAL_INAPPLICABLE_MAX);
    }
    jw_kv_str(w, "tracking_id", api_tracking_id(q->has_customer ? &q->cu : NULL));
    if (q->in.has_order) {
        jw_key(w, "order");
        api_order_totals_render(w, &q->o, 0);
    }
    jw_key(w, "stacking_rules");
    jw_obj_open(w);
    jw_kv_int(w, "redeemables_limit", REDEEM_STACK_MAX);
    jw_kv_int(w, "applicable_redeemables_limit", REDEEM_STACK_MAX);
    jw_kv_int(w, "applicable_exclusive_redeemables_limit", 1);
    jw_kv_raw(w, "exclusive_categories", "[]");
    jw_kv_raw(w, "joint_categories", "[]");
    jw_obj_close(w);
    jw_obj_close(w);
}

static struct qual_run *qual_new(struct request *r)
{
    struct qual_run *q = arena_zalloc(&r->arena, sizeof *q);
    if (q)
        q->items = arena_alloc(&r->arena, QUAL_ITEMS_MAX * sizeof *q->items);
    if (!q || !q->items) {
        reply_op_error(r, TREU_ENOMEM);
        return NULL;
    }
    return q;
}

/* POST /v1/qualifications */
void api_qualifications_create(struct request *r)
{
    struct qual_run *q = qual_new(r);
    size_t start;
    if (!q || qual_body_or_reply(r, q) < 0)
        return;
    int rc = qual_collect(r, q);
    if (rc < 0) {
        reply_read_error(r, rc, "order", q->in.order_ref);
    } else {
        qual_sort(q);
        if (start_or_reply(r, q, &start) == 0) {
            struct jw w;
            jw_init(&w, &r->out);
            qual_render(&w, q, start);
            reply_json(r, 200);
        }
    }
    qual_cleanup(q);
}

/* ---- GET /v1/customers/{customerId}/redeemables ---- */

/* Voucherify's status of a held voucher, from what the check found without an order. */
static const char *held_status(const struct qual_item *it)
{
    if (it->kind == QUAL_CARD)
        return "ACTIVE";
    switch (it->vo->res) {
    case VOUCHER_DISABLED:
    case VOUCHER_CAMPAIGN_DISABLED: return "DISABLED";
    case VOUCHER_NOT_ACTIVE: return "NOT_ACTIVE_YET";
    case VOUCHER_EXPIRED: return "EXPIRED";
    case VOUCHER_QUANTITY_EXCEEDED:
    case VOUCHER_CUSTOMER_LIMIT: return "USED";
    case VOUCHER_GIFT_EXCEEDED:
    case VOUCHER_BUDGET_EXCEEDED: return "NO_BALANCE";
    default: return "ACTIVE";
    }
}

static void held_card_render(struct jw *w, const struct qual_card *cd)
{
    jw_obj_open(w);
    jw_kv_str(w, "id", cd->m.id);
    jw_kv_str(w, "code", cd->m.code);
    jw_kv_str(w, "campaign", cd->p.name);
    jw_kv_str(w, "campaign_id", cd->p.id);
    jw_kv_str(w, "type", "LOYALTY_CARD");
    card_brief(w, "loyalty_card", cd, -1);
    jw_kv_str(w, "holder_id", cd->m.customer_id);
    jw_kv_str(w, "object", "voucher");
    jw_obj_close(w);
}

static void held_render(struct jw *w, const struct qual_run *q, const struct qual_item *it)
{
    bool card = it->kind == QUAL_CARD;
    const char *ctype = card ? "LOYALTY_PROGRAM" : it->vs->has_campaign ? it->vs->camp.type : NULL;
    jw_obj_open(w);
    jw_kv_str(w, "id", card ? it->card->m.id : it->vs->v.id);
    jw_kv_time(w, "created_at", it->created_at);
    jw_kv_str(w, "redeemable_id", card ? it->card->m.id : it->vs->v.id);
    jw_kv_str(w, "redeemable_object", "voucher");
    jw_kv_str(w, "customer_id", q->cu.id);
    jw_kv_str(w, "holder_role",
              ctype && strcmp(ctype, "REFERRAL_PROGRAM") == 0 ? "REFERRER" : "OWNER");
    jw_kv_str(w, "campaign_id", it->campaign_id);
    jw_kv_str(w, "campaign_type", ctype);
    jw_kv_str(w, "voucher_type", card ? "LOYALTY_CARD" : it->vs->v.type);
    jw_key(w, "redeemable");
    jw_obj_open(w);
    jw_kv_str(w, "type", "voucher");
    jw_key(w, "voucher");
    if (card)
        held_card_render(w, it->card);
    else
        api_voucher_render(w, it->vs);
    jw_kv_str(w, "status", held_status(it));
    jw_obj_close(w);
    jw_kv_str(w, "object", "customer_redeemable");
    jw_obj_close(w);
}

static int held_query_or_reply(struct request *r, struct qual_run *q, bool *oldest_first)
{
    const char *order = r->io->query(r, "order");
    q->opt.starting_after = r->io->query(r, "starting_after_id");
    q->opt.scenario = SCENARIO_WALLET;
    q->in.has_customer = true;
    q->in.customer.ref = r->params[0];
    *oldest_first = order && strcmp(order, "created_at") == 0;
    if (order && !*oldest_first && strcmp(order, "-created_at") != 0) {
        reply_error(r, 400, "invalid_query", "Invalid query parameter",
                    "order: created_at or -created_at (the default, newest first)");
        return -1;
    }
    return req_query_int_or_reply(r, "limit", 10, 1, CUSTOMER_REDEEMABLES_MAX, &q->opt.limit);
}

static void held_list_render(struct jw *w, const struct qual_run *q, size_t start)
{
    int64_t shown = 0;
    jw_obj_open(w);
    jw_kv_str(w, "object", "list");
    jw_kv_str(w, "data_ref", "data");
    jw_key(w, "data");
    jw_arr_open(w);
    for (size_t i = start; i < q->n && shown < q->opt.limit; i++, shown++)
        held_render(w, q, &q->items[i]);
    jw_arr_close(w);
    bool more = start + (size_t)shown < q->n;
    const struct qual_item *last = shown ? &q->items[start + (size_t)shown - 1] : NULL;
    jw_kv_int(w, "total", (int64_t)q->n);
    jw_kv_bool(w, "has_more", more);
    jw_kv_str(w, "more_starting_after",
              !more || !last            ? NULL
              : last->kind == QUAL_CARD ? last->card->m.id
                                        : last->vs->v.id);
    jw_obj_close(w);
}

/* Where the page starts: after the entry whose redeemable id is starting_after_id. */
static int held_start_or_reply(struct request *r, const struct qual_run *q, size_t *start)
{
    *start = 0;
    for (size_t i = 0; q->opt.starting_after && i < q->n; i++) {
        const struct qual_item *it = &q->items[i];
        const char *id = it->kind == QUAL_CARD ? it->card->m.id : it->vs->v.id;
        if (strcmp(id, q->opt.starting_after) == 0) {
            *start = i + 1;
            return 0;
        }
    }
    if (!q->opt.starting_after)
        return 0;
    reply_error(r, 400, "invalid_param", "Invalid starting_after_id",
                "starting_after_id: %.255s is not one of the customer's redeemables",
                q->opt.starting_after);
    return -1;
}

static void items_reverse(struct qual_run *q)
{
    for (size_t i = 0, j = q->n; i + 1 < j; i++, j--) {
        struct qual_item t = q->items[i];
        q->items[i] = q->items[j - 1];
        q->items[j - 1] = t;
    }
}

/* GET /v1/customers/{customerId}/redeemables: the vouchers published to the customer and
 * their loyalty cards, newest first (order=created_at: oldest first). */
void api_customer_redeemables(struct request *r)
{
    struct qual_run *q = qual_new(r);
    bool oldest_first;
    size_t start;
    if (!q || held_query_or_reply(r, q, &oldest_first) < 0)
        return;
    int rc = qual_collect(r, q);
    if (rc == 0 && !q->has_customer)
        rc = TREU_ENOTFOUND;
    if (rc < 0) {
        reply_read_error(r, rc, "customer", r->params[0]);
    } else {
        qual_sort(q);
        if (oldest_first)
            items_reverse(q);
        if (held_start_or_reply(r, q, &start) == 0) {
            struct jw w;
            jw_init(&w, &r->out);
            held_list_render(&w, q, start);
            reply_json(r, 200);
        }
    }
    qual_cleanup(q);
}
