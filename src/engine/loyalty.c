/* loyalty.c - the points ledger on top of the store.
 *
 * A command loads the member with all its open lots once (loyalty_load), settles what is
 * due, then credits or debits in memory and writes each change through. Keeping the
 * open lots in memory for the whole command makes the invariants cheap to assert after
 * every step. The single writer thread guarantees that no other command touches the
 * member meanwhile, so check-then-debit needs no locks. */
#include "engine/loyalty.h"

#include "core/codes.h"
#include "core/json.h"
#include "core/rules.h"
#include "core/tz.h"
#include "engine/customers.h"
#include "engine/limits.h"
#include "engine/outbox.h"
#include "engine/rulecache.h"

#include <stdlib.h>
#include <string.h>

/* ---- members in memory ---- */

static int lot_cmp(const void *pa, const void *pb)
{
    const struct lot *a = pa, *b = pb;
    bool an = a->expires_at == 0, bn = b->expires_at == 0;
    if (an != bn)
        return an ? 1 : -1;
    if (a->expires_at != b->expires_at)
        return a->expires_at < b->expires_at ? -1 : 1;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* The ledger's invariants for one member; a breach means corruption, so it aborts. */
static void member_assert(const struct member_state *ms)
{
    int64_t active = 0, pending = 0;
    for (size_t i = 0; i < ms->nlots; i++) {
        const struct lot *l = &ms->lots[i];
        ASSERT(l->remaining >= 0 && l->remaining <= l->amount);
        if (l->state == LOT_ACTIVE)
            active += l->remaining;
        else if (l->state == LOT_PENDING)
            pending += l->remaining;
    }
    const struct member *m = &ms->m;
    ASSERT(active == (m->balance > 0 ? m->balance : 0));
    ASSERT(pending == m->pending);
    ASSERT(m->earned == m->balance + m->pending + m->subtracted + m->expired);
}

/* Drops lots that hold nothing any more, keeps the rest in consumption order. */
static void member_compact(struct member_state *ms)
{
    size_t o = 0;
    for (size_t i = 0; i < ms->nlots; i++) {
        struct lot *l = &ms->lots[i];
        if ((l->state == LOT_ACTIVE || l->state == LOT_PENDING) && l->remaining > 0)
            ms->lots[o++] = *l;
    }
    ms->nlots = o;
    qsort(ms->lots, ms->nlots, sizeof *ms->lots, lot_cmp);
}

/* The earliest release or expiry among the lots in memory; without every lot loaded, no
 * later than the member's stored due time either (an early wake-up only settles nothing). */
static int64_t member_next_due(const struct member_state *ms)
{
    int64_t due = ms->lots_loaded ? 0 : ms->m.next_due_at;
    for (size_t i = 0; i < ms->nlots; i++) {
        const struct lot *l = &ms->lots[i];
        if ((l->state != LOT_ACTIVE && l->state != LOT_PENDING) || l->remaining == 0)
            continue; /* spent paying a debt: nothing left to release or expire */
        int64_t t = l->state == LOT_PENDING ? l->release_at : l->expires_at;
        if (t && (!due || t < due))
            due = t;
    }
    return due;
}

const struct tier *loyalty_tier_for(const struct tier *tiers, size_t n, int64_t value)
{
    const struct tier *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (value >= tiers[i].points_from && value <= tiers[i].points_to)
            best = &tiers[i];
    }
    return best;
}

/* The start of the calendar period containing now, in the program's zone. */
static int64_t calendar_start(const struct tz *z, int64_t now, const char *period)
{
    struct tz_civil c;
    tz_to_civil(z, now, &c);
    unsigned months = strcmp(period, "CALENDAR_YEAR") == 0      ? 12
                      : strcmp(period, "CALENDAR_QUARTER") == 0 ? 3
                                                                : 1;
    struct tz_civil s = {.year = c.year, .month = c.month - (c.month - 1) % months, .day = 1};
    return tz_from_civil(z, &s);
}

/* The value tiers are decided on, and when it next changes by itself (0 = only on activity). */
static int tier_value(const struct loyalty_ctx *lc, const struct member_state *ms, int64_t *value,
                      int64_t *review_at)
{
    *value = ms->m.balance;
    *review_at = 0;
    cJSON *q = ms->p.tier_qualification_json ? cJSON_Parse(ms->p.tier_qualification_json) : NULL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(q, "type");
    const cJSON *period = cJSON_GetObjectItemCaseSensitive(q, "period");
    const cJSON *days = cJSON_GetObjectItemCaseSensitive(q, "days");
    int rc = 0;
    if (cJSON_IsString(type) && strcmp(type->valuestring, "POINTS_IN_PERIOD") == 0 &&
        cJSON_IsString(period)) {
        int64_t now = lc->tx->now_us, since = 0;
        if (strcmp(period->valuestring, "ROLLING_DAYS") == 0) {
            int64_t window =
                (cJSON_IsNumber(days) ? (int64_t)days->valuedouble : 365) * TSTIME_US_PER_DAY;
            since = now - window;
            /* The total next drops when the oldest gain in the window leaves it. */
            int64_t oldest = 0;
            rc = store_entry_oldest_gain_since(lc->tx->conn, lc->pid, ms->m.id, since, &oldest);
            if (rc == 0 && oldest)
                *review_at = oldest + window + 1;
        } else {
            const struct tz *z = NULL;
            rc = zones_get(lc->zones, ms->p.timezone, &z);
            if (rc == 0) {
                since = calendar_start(z, now, period->valuestring);
                int months = strcmp(period->valuestring, "CALENDAR_YEAR") == 0      ? 12
                             : strcmp(period->valuestring, "CALENDAR_QUARTER") == 0 ? 3
                                                                                    : 1;
                *review_at = tz_add_and_round(z, since, 0, months, TZ_ROUND_NONE);
            }
        }
        if (rc == 0)
            rc = store_entry_earned_since(lc->tx->conn, lc->pid, ms->m.id, since, value);
    }
    cJSON_Delete(q);
    return rc;
}

/* ---- webhook events ----
 * Emitted in two places only: entry_write (every ledger movement) and member_review_tier
 * (every tier change), so no credit, debit, expiry or tier move can skip its event. */

/* The webhook event an entry type raises (NULL = none: other modules emit their own). */
static const char *entry_event_type(const char *type)
{
    static const struct {
        const char *entry, *event;
    } map[] = {
        {"POINTS_ACCRUAL", "customer.rewarded.loyalty_points"},
        {"POINTS_ADDITION", "voucher.loyalty_card.points_added"},
        {"POINTS_REMOVAL", "voucher.loyalty_card.points_removed"},
        {"POINTS_REFUND", "voucher.loyalty_card.points_refunded"},
        {"POINTS_EXPIRATION", "customer.voucher.loyalty_card.points_expired"},
        {"POINTS_PENDING_ACTIVATION", "customer.voucher.loyalty_card.pending_points.activated"},
        {"POINTS_TRANSFER_OUT", "customer.voucher.loyalty_card.points_transferred"},
        {"POINTS_TRANSFER_IN", "customer.voucher.loyalty_card.points_transferred"},
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(map); i++) {
        if (strcmp(map[i].entry, type) == 0)
            return map[i].event;
    }
    return NULL;
}

/* customer_id, program_id and the member card with its totals after the change. */
static void event_member(struct jw *w, const struct member_state *ms)
{
    jw_kv_str(w, "customer_id", ms->m.customer_id);
    jw_kv_str(w, "program_id", ms->m.program_id);
    jw_key(w, "member");
    jw_obj_open(w);
    jw_kv_str(w, "id", ms->m.id);
    jw_kv_str(w, "code", ms->m.code);
    jw_kv_int(w, "balance", ms->m.balance);
    jw_kv_int(w, "pending", ms->m.pending);
    jw_kv_int(w, "earned", ms->m.earned);
    jw_kv_str(w, "tier_id", ms->m.tier_id[0] ? ms->m.tier_id : NULL);
    jw_obj_close(w);
}

static void event_entry(struct jw *w, const struct entry *e)
{
    jw_key(w, "entry");
    jw_obj_open(w);
    jw_kv_str(w, "id", e->id);
    jw_kv_str(w, "type", e->type);
    jw_kv_int(w, "points", e->points);
    jw_kv_int(w, "balance_after", e->balance_after);
    jw_kv_str(w, "reason", e->reason);
    jw_kv_str(w, "rule_id", e->rule_id);
    jw_kv_str(w, "order_id", e->order_id);
    jw_kv_str(w, "order_source_id", e->order_source_id);
    jw_kv_str(w, "event_id", e->event_id);
    jw_kv_str(w, "event_name", e->event_name);
    jw_kv_time(w, "created_at", e->created_at);
    jw_obj_close(w);
}

static void event_tier(struct jw *w, const struct member_state *ms, const char *tier_id)
{
    const char *name = NULL;
    for (size_t i = 0; i < ms->ntiers; i++) {
        if (strcmp(ms->tiers[i].id, tier_id) == 0)
            name = ms->tiers[i].name;
    }
    jw_key(w, "tier");
    jw_obj_open(w);
    jw_kv_str(w, "id", tier_id);
    jw_kv_str(w, "name", name);
    jw_obj_close(w);
}

/* An event about the member: its card, and the entry or the tier it is about. */
struct member_event {
    const struct member_state *ms;
    const struct entry *e;
    const char *tier_id;
};

static void member_event_write(struct jw *w, const void *arg)
{
    const struct member_event *ev = arg;
    event_member(w, ev->ms);
    if (ev->e)
        event_entry(w, ev->e);
    if (ev->tier_id)
        event_tier(w, ev->ms, ev->tier_id);
}

static int emit_member_event(const struct loyalty_ctx *lc, const struct member_state *ms,
                             const char *type, const struct entry *e, const char *tier_id)
{
    struct member_event ev = {ms, e, tier_id};
    return outbox_emit_built(lc->tx, lc->pid, type, member_event_write, &ev);
}

/* Moves the member into the tier its qualification value falls in. */
static int member_review_tier(const struct loyalty_ctx *lc, struct member_state *ms,
                              int64_t *review_at)
{
    *review_at = 0;
    if (ms->ntiers == 0 && !ms->m.tier_id[0])
        return 0;
    int64_t value;
    int rc = tier_value(lc, ms, &value, review_at);
    if (rc < 0)
        return rc;
    const struct tier *t = loyalty_tier_for(ms->tiers, ms->ntiers, value);
    const char *now_id = t ? t->id : "";
    if (strcmp(now_id, ms->m.tier_id) != 0) {
        char was[IDS_MAX_LEN];
        memcpy(was, ms->m.tier_id, sizeof was);
        if (ms->m.tier_id[0] && !ms->tier_left[0])
            memcpy(ms->tier_left, ms->m.tier_id, sizeof ms->tier_left);
        snprintf(ms->m.tier_id, sizeof ms->m.tier_id, "%s", now_id);
        ms->m.tier_since = lc->tx->now_us;
        ms->tier_changed = t != NULL;
        if (was[0])
            rc = emit_member_event(lc, ms, "customer.loyalty.tier.left", NULL, was);
        if (rc == 0 && t)
            rc = emit_member_event(lc, ms, "customer.loyalty.tier.joined", NULL, t->id);
    }
    return rc;
}

static int member_write(const struct loyalty_ctx *lc, struct member_state *ms)
{
    if (ms->lots_loaded) {
        member_compact(ms);
        member_assert(ms);
    }
    int64_t review_at;
    int rc = member_review_tier(lc, ms, &review_at);
    if (rc < 0)
        return rc;
    ms->m.next_due_at = member_next_due(ms);
    if (review_at && (!ms->m.next_due_at || review_at < ms->m.next_due_at))
        ms->m.next_due_at = review_at;
    ms->m.updated_at = lc->tx->now_us;
    return store_member_update(lc->tx->conn, lc->pid, &ms->m);
}

/* Appends room for one more lot. The array lives in the command's arena and grows by
 * doubling: an event that credits many rules must not copy every open lot per credit. */
static struct lot *member_add_lot(const struct loyalty_ctx *lc, struct member_state *ms)
{
    if (ms->nlots >= ms->lots_cap) {
        size_t cap = ms->nlots < 8 ? 16 : ms->nlots * 2;
        struct lot *more = arena_alloc(lc->a, cap * sizeof *more);
        if (!more)
            return NULL;
        if (ms->nlots)
            memcpy(more, ms->lots, ms->nlots * sizeof *more);
        ms->lots = more;
        ms->lots_cap = cap;
    }
    struct lot *l = &ms->lots[ms->nlots++];
    memset(l, 0, sizeof *l);
    return l;
}

/* ---- entries ---- */

struct lot_takes {
    struct buf b;
    struct jw w;
};

static void takes_init(struct lot_takes *t)
{
    buf_init(&t->b, 256 * 1024);
    jw_init(&t->w, &t->b);
    jw_arr_open(&t->w);
}

static void takes_add(struct lot_takes *t, const char *lot_id, int64_t points)
{
    jw_obj_open(&t->w);
    jw_kv_str(&t->w, "id", lot_id);
    jw_kv_int(&t->w, "points", points);
    jw_obj_close(&t->w);
}

/* Finishes the takes list into the arena. */
static const char *takes_done(const struct loyalty_ctx *lc, struct lot_takes *t)
{
    jw_arr_close(&t->w);
    const char *s = t->b.err ? NULL : arena_strndup(lc->a, t->b.ptr, t->b.len);
    buf_cleanup(&t->b);
    return s;
}

/* The program account on the other side of an entry of this type. */
static const char *entry_counter_account(const char *type)
{
    if (strcmp(type, "POINTS_ACCRUAL") == 0 || strcmp(type, "POINTS_ADDITION") == 0)
        return "program.issuance";
    if (strcmp(type, "POINTS_EXPIRATION") == 0)
        return "program.expiry";
    if (strncmp(type, "POINTS_TRANSFER", 15) == 0)
        return "program.transfers";
    return "program.redemption"; /* removals and refunds */
}

/* The entry's double-entry postings: what moved between the member's available and
 * pending points since the last entry, balanced by the program account its type names.
 * The amounts sum to zero by construction; an activation moves points between the
 * member's own two accounts only. */
static const char *entry_postings(const struct loyalty_ctx *lc, struct member_state *ms,
                                  const char *type)
{
    int64_t da = ms->m.balance - ms->posted_balance, dp = ms->m.pending - ms->posted_pending;
    const struct {
        const char *account;
        int64_t amount;
    } legs[] = {{"member.available", da},
                {"member.pending", dp},
                {entry_counter_account(type), -(da + dp)}};
    struct buf b;
    struct jw w;
    buf_init(&b, 1024);
    jw_init(&w, &b);
    jw_arr_open(&w);
    int64_t sum = 0;
    for (size_t i = 0; i < TREU_ARRAY_LEN(legs); i++) {
        sum += legs[i].amount;
        if (legs[i].amount == 0)
            continue;
        jw_obj_open(&w);
        jw_kv_str(&w, "account", legs[i].account);
        jw_kv_int(&w, "amount", legs[i].amount);
        jw_obj_close(&w);
    }
    jw_arr_close(&w);
    ASSERT(sum == 0);
    ms->posted_balance = ms->m.balance;
    ms->posted_pending = ms->m.pending;
    const char *s = b.err ? NULL : arena_strndup(lc->a, b.ptr, b.len);
    buf_cleanup(&b);
    return s;
}

static int entry_write(const struct loyalty_ctx *lc, struct member_state *ms, const char *type,
                       int64_t points, const struct entry *tmpl, const char *lots_json, int64_t at,
                       struct entry *out)
{
    struct entry e;
    if (tmpl)
        e = *tmpl;
    else
        memset(&e, 0, sizeof e);
    ids_make_at(lc->tx->rng, lc->tx->now_us, "vtx_", e.id);
    memcpy(e.member_id, ms->m.id, sizeof e.member_id);
    memcpy(e.program_id, ms->m.program_id, sizeof e.program_id);
    e.seq = ++ms->seq;
    e.type = type;
    e.points = points;
    e.balance_after = ms->m.balance;
    e.lots_json = lots_json;
    e.postings_json = entry_postings(lc, ms, type);
    if (!e.postings_json)
        return TREU_ENOMEM;
    e.created_at = at;
    if (out)
        *out = e;
    int rc = store_entry_insert(lc->tx->conn, lc->pid, &e);
    const char *event = entry_event_type(type);
    if (rc == 0 && event)
        rc = emit_member_event(lc, ms, event, &e, NULL);
    return rc;
}

/* A credit while the balance is negative (an allowed debt) first pays the debt. */
static void lot_pay_debt(struct member_state *ms, struct lot *l, int64_t balance_before)
{
    if (balance_before >= 0)
        return;
    int64_t pay = -balance_before < l->remaining ? -balance_before : l->remaining;
    l->remaining -= pay;
    if (l->remaining == 0)
        l->state = LOT_SPENT;
    (void)ms;
}

/* ---- settling what is due ---- */

static int settle_release(const struct loyalty_ctx *lc, struct member_state *ms, struct lot *l)
{
    int64_t before = ms->m.balance;
    int64_t pts = l->remaining;
    l->state = LOT_ACTIVE;
    ms->m.pending -= pts;
    ms->m.balance += pts;
    lot_pay_debt(ms, l, before);
    int rc = store_lot_update(lc->tx->conn, lc->pid, ms->m.id, l);
    if (rc == 0) {
        struct lot_takes t;
        takes_init(&t);
        takes_add(&t, l->id, pts);
        const char *lots = takes_done(lc, &t);
        struct entry tmpl = {.reason = "pending period over", .rule_id = l->rule_id};
        rc = lots ? entry_write(lc, ms, "POINTS_PENDING_ACTIVATION", pts, &tmpl, lots,
                                l->release_at, NULL)
                  : TREU_ENOMEM;
    }
    return rc;
}

static int settle_expire(const struct loyalty_ctx *lc, const struct program *p,
                         struct member_state *ms, struct lot *l)
{
    int64_t pts = l->remaining;
    l->state = LOT_EXPIRED;
    l->remaining = 0;
    ms->m.balance -= pts;
    ms->m.expired += pts;
    int rc = store_lot_update(lc->tx->conn, lc->pid, ms->m.id, l);
    if (rc == 0)
        rc = store_program_account(lc->tx->conn, lc->pid, p->id, 0, 0, pts);
    if (rc == 0) {
        struct lot_takes t;
        takes_init(&t);
        takes_add(&t, l->id, -pts);
        const char *lots = takes_done(lc, &t);
        struct entry tmpl = {.reason = "points expired"};
        rc = lots ? entry_write(lc, ms, "POINTS_EXPIRATION", -pts, &tmpl, lots, l->expires_at, NULL)
                  : TREU_ENOMEM;
    }
    return rc;
}

/* The pending lot due soonest at `now` (NULL when none): releases are applied in the
 * order they fell due, because a debt is paid by the points that became active first. */
static struct lot *next_release(struct lot *lots, size_t n, int64_t now)
{
    struct lot *best = NULL;
    for (size_t i = 0; i < n; i++) {
        struct lot *l = &lots[i];
        if (l->state == LOT_PENDING && l->release_at && l->release_at <= now &&
            (!best || l->release_at < best->release_at))
            best = l;
    }
    return best;
}

/* Applies every release and expiry due at now, releases first. */
static int member_settle(const struct loyalty_ctx *lc, const struct program *p,
                         struct member_state *ms)
{
    int64_t now = lc->tx->now_us;
    if (!ms->m.next_due_at || ms->m.next_due_at > now)
        return 0;
    int rc = loyalty_lots(lc, ms);
    struct lot *rel;
    while (rc == 0 && (rel = next_release(ms->lots, ms->nlots, now)))
        rc = settle_release(lc, ms, rel);
    for (size_t i = 0; rc == 0 && i < ms->nlots; i++) {
        struct lot *l = &ms->lots[i];
        if (l->state == LOT_ACTIVE && l->expires_at && l->expires_at <= now && l->remaining > 0)
            rc = settle_expire(lc, p, ms, l);
    }
    return rc == 0 ? member_write(lc, ms) : rc;
}

static int member_open(const struct loyalty_ctx *lc, struct member_state *ms)
{
    int rc = store_program_get(lc->tx->conn, lc->pid, ms->m.program_id, lc->a, &ms->p);
    if (rc == 0)
        rc = store_tier_list(lc->tx->conn, lc->pid, ms->m.program_id, lc->a, &ms->tiers,
                             &ms->ntiers);
    if (rc == 0)
        rc = store_entry_last_seq(lc->tx->conn, lc->pid, ms->m.id, &ms->seq);
    ms->posted_balance = ms->m.balance;
    ms->posted_pending = ms->m.pending;
    return rc;
}

int loyalty_lots(const struct loyalty_ctx *lc, struct member_state *ms)
{
    if (ms->lots_loaded)
        return 0;
    /* Lots this command created are in the store already, as they are in memory. */
    int rc = store_lot_list_open(lc->tx->conn, lc->pid, ms->m.id, lc->a, &ms->lots, &ms->nlots);
    if (rc < 0)
        return rc;
    ms->lots_cap = 0;
    ms->lots_loaded = true;
    member_assert(ms);
    return 0;
}

int loyalty_load(const struct loyalty_ctx *lc, const char *member_ref, struct member_state *ms)
{
    memset(ms, 0, sizeof *ms);
    int rc = store_member_get(lc->tx->conn, lc->pid, member_ref, lc->a, &ms->m);
    if (rc == 0)
        rc = member_open(lc, ms);
    if (rc == 0)
        rc = member_settle(lc, &ms->p, ms);
    return rc == 0 ? loyalty_tier_rules(lc, ms) : rc;
}

/* ---- expiry policy ---- */

int loyalty_expiry_at(struct zones *zs, const struct program *p, int64_t earned_at,
                      int64_t *expires_at)
{
    *expires_at = 0;
    if (!p->expiration_json)
        return 0;
    cJSON *j = cJSON_Parse(p->expiration_json);
    if (!j)
        return TREU_EINVAL;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "period_type");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(j, "period_value");
    const cJSON *round = cJSON_GetObjectItemCaseSensitive(j, "rounding_type");
    static const struct {
        const char *name;
        enum tz_round r;
    } rounds[] = {{"END_OF_MONTH", TZ_ROUND_END_OF_MONTH},
                  {"END_OF_QUARTER", TZ_ROUND_END_OF_QUARTER},
                  {"END_OF_HALF_YEAR", TZ_ROUND_END_OF_HALF_YEAR},
                  {"END_OF_YEAR", TZ_ROUND_END_OF_YEAR}};
    enum tz_round r = TZ_ROUND_NONE;
    for (size_t i = 0; cJSON_IsString(round) && i < TREU_ARRAY_LEN(rounds); i++) {
        if (strcmp(round->valuestring, rounds[i].name) == 0)
            r = rounds[i].r;
    }
    int n = cJSON_IsNumber(value) ? value->valueint : 0;
    bool months = cJSON_IsString(type) && strcmp(type->valuestring, "MONTH") == 0;
    const struct tz *z = NULL;
    int rc = zones_get(zs, p->timezone, &z);
    if (rc == 0)
        *expires_at = tz_add_and_round(z, earned_at, months ? 0 : n, months ? n : 0, r);
    cJSON_Delete(j);
    return rc;
}

/* ---- credits and debits ---- */

int loyalty_credit(const struct loyalty_ctx *lc, const struct program *program,
                   struct member_state *ms, int64_t points, int64_t pending_days, const char *type,
                   const struct entry *tmpl, struct loyalty_move *out)
{
    ASSERT(points > 0 && points <= LOYALTY_POINTS_MAX);
    int64_t now = lc->tx->now_us;
    struct lot *l = member_add_lot(lc, ms);
    if (!l)
        return TREU_ENOMEM;
    ids_make_at(lc->tx->rng, lc->tx->now_us, "lopb_", l->id);
    l->amount = l->remaining = points;
    l->created_at = now;
    l->rule_id = tmpl ? tmpl->rule_id : NULL;
    l->release_at = pending_days > 0 ? now + pending_days * TSTIME_US_PER_DAY : 0;
    l->state = l->release_at ? LOT_PENDING : LOT_ACTIVE;
    /* Every credit of a command expires alike: the policy is read once per command. */
    int rc = 0;
    if (ms->expiry_for != now || strcmp(ms->expiry_program, program->id) != 0) {
        rc = loyalty_expiry_at(lc->zones, program, now, &ms->expiry_at);
        if (rc < 0)
            return rc;
        ms->expiry_for = now;
        snprintf(ms->expiry_program, sizeof ms->expiry_program, "%s", program->id);
    }
    l->expires_at = ms->expiry_at;
    int64_t before = ms->m.balance;
    ms->m.earned += points;
    if (l->state == LOT_PENDING) {
        ms->m.pending += points;
    } else {
        ms->m.balance += points;
        lot_pay_debt(ms, l, before);
    }
    struct lot_takes t;
    takes_init(&t);
    takes_add(&t, l->id, points);
    const char *lots = takes_done(lc, &t);
    if (!lots)
        return TREU_ENOMEM;
    struct entry e;
    rc = entry_write(lc, ms, type, points, tmpl, lots, now, &e);
    memcpy(l->entry_id, e.id, sizeof l->entry_id);
    if (rc == 0)
        rc = store_lot_insert(lc->tx->conn, lc->pid, ms->m.id, l);
    if (rc == 0 && ms->deferred)
        ms->deferred_issued += points; /* written once by member_flush */
    else if (rc == 0)
        rc = store_program_account(lc->tx->conn, lc->pid, program->id, points, 0, 0);
    if (rc == 0 && !ms->deferred)
        rc = member_write(lc, ms);
    if (rc == 0 && out)
        out->e = e;
    return rc;
}

/* Writes what deferred credits left in memory: the program's issued account and the
 * member (with its invariants checked and its tier reviewed). */
static int member_flush(const struct loyalty_ctx *lc, struct member_state *ms)
{
    if (ms->deferred_issued == 0)
        return 0;
    int rc = store_program_account(lc->tx->conn, lc->pid, ms->p.id, ms->deferred_issued, 0, 0);
    ms->deferred_issued = 0;
    return rc == 0 ? member_write(lc, ms) : rc;
}

int loyalty_debit(const struct loyalty_ctx *lc, const struct program *program,
                  struct member_state *ms, int64_t points, const char *type,
                  const struct entry *tmpl, struct loyalty_move *out, enum loyalty_result *res)
{
    ASSERT(points > 0 && points <= LOYALTY_POINTS_MAX);
    *res = LOYALTY_OK;
    int64_t available = ms->m.balance > 0 ? ms->m.balance : 0;
    if (available < points && !program->allow_negative) {
        *res = LOYALTY_INSUFFICIENT;
        return 0;
    }
    int rc = loyalty_lots(lc, ms);
    if (rc < 0)
        return rc;
    struct lot_takes t;
    takes_init(&t);
    int64_t left = points;
    for (size_t i = 0; rc == 0 && left > 0 && i < ms->nlots; i++) {
        struct lot *l = &ms->lots[i];
        if (l->state != LOT_ACTIVE || l->remaining == 0)
            continue;
        int64_t take = l->remaining < left ? l->remaining : left;
        l->remaining -= take;
        if (l->remaining == 0)
            l->state = LOT_SPENT;
        left -= take;
        takes_add(&t, l->id, -take);
        rc = store_lot_update(lc->tx->conn, lc->pid, ms->m.id, l);
    }
    const char *lots = takes_done(lc, &t);
    if (rc < 0)
        return rc;
    if (!lots)
        return TREU_ENOMEM;
    ms->m.balance -= points; /* may go below zero only when the program allows it */
    ms->m.subtracted += points;
    struct entry e;
    rc = entry_write(lc, ms, type, -points, tmpl, lots, lc->tx->now_us, &e);
    if (rc == 0)
        rc = store_program_account(lc->tx->conn, lc->pid, program->id, 0, points, 0);
    if (rc == 0)
        rc = member_write(lc, ms);
    if (rc == 0 && out)
        out->e = e;
    return rc;
}

int loyalty_transfer(const struct loyalty_ctx *lc, struct member_state *from,
                     struct member_state *to, int64_t points, const char *reason,
                     enum loyalty_result *res)
{
    ASSERT(points > 0 && points <= LOYALTY_POINTS_MAX);
    ASSERT(strcmp(from->m.program_id, to->m.program_id) == 0);
    *res = LOYALTY_OK;
    if ((from->m.balance > 0 ? from->m.balance : 0) < points) {
        *res = LOYALTY_INSUFFICIENT;
        return 0;
    }
    int rc = loyalty_lots(lc, from);
    if (rc < 0)
        return rc;
    int64_t now = lc->tx->now_us, left = points;
    struct lot_takes out, in;
    takes_init(&out);
    takes_init(&in);
    size_t n = from->nlots; /* credits below may grow `to`, never `from` */
    for (size_t i = 0; rc == 0 && left > 0 && i < n; i++) {
        struct lot *src = &from->lots[i];
        if (src->state != LOT_ACTIVE || src->remaining == 0)
            continue;
        int64_t take = src->remaining < left ? src->remaining : left;
        src->remaining -= take;
        if (src->remaining == 0)
            src->state = LOT_SPENT;
        left -= take;
        takes_add(&out, src->id, -take);
        rc = store_lot_update(lc->tx->conn, lc->pid, from->m.id, src);
        struct lot *dst = rc == 0 ? member_add_lot(lc, to) : NULL;
        if (rc == 0 && !dst)
            rc = TREU_ENOMEM;
        if (rc < 0)
            break;
        ids_make_at(lc->tx->rng, lc->tx->now_us, "lopb_", dst->id);
        dst->amount = dst->remaining = take;
        dst->state = LOT_ACTIVE;
        dst->expires_at = src->expires_at; /* transferred points keep their expiry */
        dst->created_at = now;
        takes_add(&in, dst->id, take);
    }
    const char *out_lots = takes_done(lc, &out), *in_lots = takes_done(lc, &in);
    if (rc < 0)
        return rc;
    if (!out_lots || !in_lots)
        return TREU_ENOMEM;
    from->m.balance -= points;
    from->m.subtracted += points;
    int64_t before = to->m.balance;
    to->m.balance += points;
    to->m.earned += points;
    struct entry tmpl = {.reason = reason}, e_in;
    rc = entry_write(lc, from, "POINTS_TRANSFER_OUT", -points, &tmpl, out_lots, now, NULL);
    if (rc == 0)
        rc = entry_write(lc, to, "POINTS_TRANSFER_IN", points, &tmpl, in_lots, now, &e_in);
    /* The new lots exist only now that their entry does; a debt of `to` is paid first. */
    for (size_t i = 0; rc == 0 && i < to->nlots; i++) {
        struct lot *l = &to->lots[i];
        if (l->created_at != now || l->entry_id[0])
            continue;
        memcpy(l->entry_id, e_in.id, sizeof l->entry_id);
        lot_pay_debt(to, l, before);
        before += l->amount;
        rc = store_lot_insert(lc->tx->conn, lc->pid, to->m.id, l);
    }
    if (rc == 0)
        rc = store_program_account(lc->tx->conn, lc->pid, from->p.id, points, points, 0);
    if (rc == 0)
        rc = member_write(lc, from);
    if (rc == 0)
        rc = member_write(lc, to);
    if (rc == 0)
        rc = loyalty_tier_rules(lc, from);
    return rc == 0 ? loyalty_tier_rules(lc, to) : rc;
}

/* ---- enrolment ---- */

static int member_new_code(const struct loyalty_ctx *lc, const struct program *p, char *out)
{
    cJSON *j = cJSON_Parse(p->code_config_json ? p->code_config_json : "{}");
    if (!j)
        return TREU_EINVAL;
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(j, "pattern");
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(j, "charset");
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(j, "prefix");
    const cJSON *post = cJSON_GetObjectItemCaseSensitive(j, "postfix");
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(j, "length");
    struct code_config cc = {
        .pattern = cJSON_IsString(pat) ? pat->valuestring : NULL,
        .charset = cJSON_IsString(cs) ? cs->valuestring : NULL,
        .prefix = cJSON_IsString(pre) ? pre->valuestring : NULL,
        .postfix = cJSON_IsString(post) ? post->valuestring : NULL,
        .length = cJSON_IsNumber(len) ? len->valueint : 8,
    };
    char why[128];
    int rc = codes_config_valid(&cc, why, sizeof why) ? 0 : TREU_EINVAL;
    if (rc == 0)
        codes_generate(&cc, lc->tx->rng, out);
    cJSON_Delete(j);
    return rc;
}

int loyalty_enroll(const struct loyalty_ctx *lc, const struct program *program,
                   const char *customer_id, struct member_state *ms, bool *created,
                   enum loyalty_result *res)
{
    memset(ms, 0, sizeof *ms);
    *created = false;
    *res = LOYALTY_OK;
    int rc = store_member_get_by_customer(lc->tx->conn, lc->pid, program->id, customer_id, lc->a,
                                          &ms->m);
    if (rc == 0) {
        rc = member_open(lc, ms);
        if (rc == 0)
            rc = member_settle(lc, program, ms);
        return rc == 0 ? loyalty_lots(lc, ms) : rc; /* the answer shows the next expiry */
    }
    if (rc != TREU_ENOTFOUND)
        return rc;
    struct member *m = &ms->m;
    ids_make_at(lc->tx->rng, lc->tx->now_us, "v_", m->id);
    memcpy(m->program_id, program->id, sizeof m->program_id);
    snprintf(m->customer_id, sizeof m->customer_id, "%s", customer_id);
    m->created_at = m->updated_at = lc->tx->now_us;
    char *code = arena_alloc(lc->a, CODES_LEN_MAX + 1);
    if (!code)
        return TREU_ENOMEM;
    m->code = code;
    rc = TREU_ECONFLICT;
    for (int i = 0; rc == TREU_ECONFLICT && i < LOYALTY_CODE_TRIES; i++) {
        rc = member_new_code(lc, program, code);
        if (rc == 0)
            rc = store_member_insert(lc->tx->conn, lc->pid, m);
    }
    if (rc == TREU_ECONFLICT) {
        *res = LOYALTY_CODE_EXHAUSTED;
        return 0;
    }
    if (rc < 0)
        return rc;
    *created = true;
    ms->lots_loaded = true; /* a new member has none */
    ms->p = *program;
    rc = store_tier_list(lc->tx->conn, lc->pid, program->id, lc->a, &ms->tiers, &ms->ntiers);
    if (rc < 0)
        return rc;
    struct customer cu;
    rc = store_customer_get(lc->tx->conn, lc->pid, customer_id, lc->a, &cu);
    if (rc < 0)
        return rc;
    struct trigger t = {.kind = TRIGGER_ENROLLED, .customer = &cu};
    struct earn_result *er = arena_zalloc(lc->a, sizeof *er);
    return er ? loyalty_earn(lc, &t, program, ms, er) : TREU_ENOMEM;
}

/* ---- earning rules ---- */

/* What the condition language can read while a rule is evaluated. */
struct earn_input {
    const struct trigger *t;
    const struct member_state *ms;
    const cJSON *customer_metadata;
    const cJSON *order_metadata;
    struct tz_civil local;
};

static int earn_get(void *ctx, struct slice f, struct rule_value *out)
{
    const struct earn_input *in = ctx;
    const struct customer *c = in->t->customer;
    char key[RULES_FIELD_BYTES_MAX + 1];
    out->type = RV_NULL;
    if (slice_eq_str(f, "customer.id"))
        rules_value_str(c ? c->id : NULL, out);
    else if (slice_eq_str(f, "customer.source_id"))
        rules_value_str(c ? c->source_id : NULL, out);
    else if (slice_eq_str(f, "customer.name"))
        rules_value_str(c ? c->name : NULL, out);
    else if (slice_eq_str(f, "customer.email"))
        rules_value_str(c ? c->email : NULL, out);
    else if (slice_eq_str(f, "customer.birthdate"))
        rules_value_str(c ? c->birthdate : NULL, out);
    else if (slice_eq_str(f, "customer.timezone"))
        rules_value_str(c ? c->timezone : NULL, out);
    else if (rules_field_under(f, "customer.metadata.", key, sizeof key))
        rules_value_json(cJSON_GetObjectItemCaseSensitive(in->customer_metadata, key), out);
    else if (slice_eq_str(f, "order.amount") && in->t->order)
        rules_value_int(in->t->order->amount, out);
    else if (slice_eq_str(f, "order.status") && in->t->order)
        rules_value_str(in->t->order->status, out);
    else if (rules_field_under(f, "order.metadata.", key, sizeof key))
        rules_value_json(cJSON_GetObjectItemCaseSensitive(in->order_metadata, key), out);
    else if (slice_eq_str(f, "event.name"))
        rules_value_str(in->t->event_name, out);
    else if (rules_field_under(f, "event.metadata.", key, sizeof key))
        rules_value_json(cJSON_GetObjectItemCaseSensitive(in->t->event_metadata, key), out);
    else if (slice_eq_str(f, "member.tier") || slice_eq_str(f, "customer.tier") ||
             slice_eq_str(f, "member.previous_tier")) {
        const char *id =
            slice_eq_str(f, "member.previous_tier") ? in->ms->tier_left : in->ms->m.tier_id;
        for (size_t i = 0; i < in->ms->ntiers; i++) {
            if (strcmp(in->ms->tiers[i].id, id) == 0)
                rules_value_str(in->ms->tiers[i].name, out);
        }
    } else if (slice_eq_str(f, "member.balance"))
        rules_value_int(in->ms->m.balance, out);
    else if (slice_eq_str(f, "member.points"))
        rules_value_int(in->ms->m.earned, out);
    else if (slice_eq_str(f, "time.weekday"))
        rules_value_int(in->local.weekday, out);
    else if (slice_eq_str(f, "time.hour"))
        rules_value_int(in->local.hour, out);
    return 0;
}

static int64_t json_int(const cJSON *o, const char *k, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

static int64_t json_time(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    int64_t us = 0;
    if (cJSON_IsString(v) && tstime_parse_iso(v->valuestring, strlen(v->valuestring), &us) < 0)
        us = 0;
    return us;
}

/* Minutes since local midnight of "HH:MM", or -1. */
static int hhmm(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    if (strlen(s) != 5 || s[2] != ':')
        return -1;
    return ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
}

/* Start date, end date, weekdays and daily hours, in the program's zone. */
static bool rule_in_window(const cJSON *body, int64_t now, const struct tz_civil *local)
{
    int64_t start = json_time(body, "start_date"), end = json_time(body, "expiration_date");
    if ((start && now < start) || (end && now >= end))
        return false;
    const cJSON *days = cJSON_GetObjectItemCaseSensitive(body, "validity_day_of_week");
    if (cJSON_IsArray(days)) {
        int today = (int)(local->weekday % 7); /* Voucherify: 0 = Sunday */
        bool hit = false;
        for (const cJSON *d = days->child; d; d = d->next)
            hit |= cJSON_IsNumber(d) && d->valueint == today;
        if (!hit)
            return false;
    }
    const cJSON *hours = cJSON_GetObjectItemCaseSensitive(body, "validity_hours");
    if (cJSON_IsObject(hours)) {
        int from = hhmm(hours, "start_time"), to = hhmm(hours, "end_time");
        int m = (int)(local->hour * 60 + local->minute);
        bool in = from <= to ? (m >= from && m < to) : (m >= from || m < to);
        if (from >= 0 && to >= 0 && !in)
            return false;
    }
    return true;
}

/* floor(value / every) × points, saturating; 0 for nothing to count. */
static int64_t proportional(int64_t value, int64_t every, int64_t pts)
{
    if (every <= 0 || value <= 0)
        return 0;
    int64_t out;
    return __builtin_mul_overflow(value / every, pts, &out) ? LOYALTY_POINTS_MAX : out;
}

/* A metadata number over `above`, as whole units (0 when absent, not a number, or below). */
static int64_t metadata_units(const cJSON *metadata, const cJSON *spec)
{
    const cJSON *prop = cJSON_GetObjectItemCaseSensitive(spec, "property");
    const cJSON *v =
        cJSON_IsString(prop) ? cJSON_GetObjectItemCaseSensitive(metadata, prop->valuestring) : NULL;
    if (!cJSON_IsNumber(v))
        return 0;
    double over = v->valuedouble - (double)json_int(spec, "above", 0);
    return over > 0 && over <= 1e15 ? (int64_t)over : 0;
}

/* Sum of the order's items' amounts (or quantities) matching the rule's product/SKU filter. */
static int64_t items_total(const struct order *o, const cJSON *spec, bool quantity)
{
    const cJSON *prod = cJSON_GetObjectItemCaseSensitive(spec, "product_id");
    const cJSON *sku = cJSON_GetObjectItemCaseSensitive(spec, "sku_id");
    cJSON *items = o->items_json ? cJSON_Parse(o->items_json) : NULL;
    int64_t total = 0;
    for (const cJSON *it = cJSON_IsArray(items) ? items->child : NULL; it; it = it->next) {
        const cJSON *ip = cJSON_GetObjectItemCaseSensitive(it, "product_id");
        const cJSON *is = cJSON_GetObjectItemCaseSensitive(it, "sku_id");
        if (cJSON_IsString(prod) &&
            !(cJSON_IsString(ip) && strcmp(ip->valuestring, prod->valuestring) == 0))
            continue;
        if (cJSON_IsString(sku) &&
            !(cJSON_IsString(is) && strcmp(is->valuestring, sku->valuestring) == 0))
            continue;
        int64_t qty = json_int(it, "quantity", 1);
        int64_t line = quantity ? qty
                       : cJSON_GetObjectItemCaseSensitive(it, "amount")
                           ? json_int(it, "amount", 0)
                           : json_int(it, "price", 0) * qty;
        int64_t sum;
        if (line > 0 && !__builtin_add_overflow(total, line, &sum))
            total = sum;
    }
    cJSON_Delete(items);
    return total;
}

/* Points a rule awards for this trigger (0 = nothing). */
static int64_t rule_points(const cJSON *body, const struct trigger *t)
{
    const cJSON *loy = cJSON_GetObjectItemCaseSensitive(body, "loyalty");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(loy, "type");
    if (!cJSON_IsString(type))
        return 0;
    if (strcmp(type->valuestring, "FIXED") == 0)
        return json_int(loy, "points", 0);
    const cJSON *calc = cJSON_GetObjectItemCaseSensitive(loy, "calculation_type");
    const char *ct = cJSON_IsString(calc) ? calc->valuestring : "";
    const cJSON *spec = NULL;
    int64_t value = 0;
    if (strcmp(ct, "ORDER_AMOUNT") == 0 && t->order) {
        spec = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(loy, "order"),
                                                "amount");
        value = t->order->amount;
    } else if ((strcmp(ct, "ORDER_ITEMS_AMOUNT") == 0 || strcmp(ct, "ORDER_ITEMS_QUANTITY") == 0) &&
               t->order) {
        bool qty = strcmp(ct, "ORDER_ITEMS_QUANTITY") == 0;
        spec = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(loy, "order_items"), qty ? "quantity" : "amount");
        value = items_total(t->order, spec, qty);
    } else if (strcmp(ct, "CUSTOM_EVENT_METADATA") == 0 && t->event_metadata) {
        spec = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(loy, "custom_event"), "metadata");
        value = metadata_units(t->event_metadata, spec);
    } else if (strcmp(ct, "CUSTOMER_METADATA") == 0 && t->customer && t->customer->metadata_json) {
        spec = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(loy, "customer"),
                                                "metadata");
        cJSON *md = cJSON_Parse(t->customer->metadata_json);
        value = metadata_units(md, spec);
        cJSON_Delete(md);
    }
    return spec ? proportional(value, json_int(spec, "every", 0), json_int(spec, "points", 0)) : 0;
}

/* Applies the member's tier multiplier (per rule, else the tier's), in percent. */
static int64_t tier_multiply(const struct member_state *ms, const char *rule_id, int64_t points)
{
    const struct tier *t = NULL;
    for (size_t i = 0; ms->m.tier_id[0] && i < ms->ntiers; i++) {
        if (strcmp(ms->tiers[i].id, ms->m.tier_id) == 0)
            t = &ms->tiers[i];
    }
    if (!t || points <= 0)
        return points;
    int64_t pct = t->multiplier;
    cJSON *rm = t->rule_multipliers_json ? cJSON_Parse(t->rule_multipliers_json) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rm, rule_id);
    if (cJSON_IsNumber(v))
        pct = (int64_t)v->valuedouble;
    cJSON_Delete(rm);
    int64_t out;
    if (__builtin_mul_overflow(points, pct, &out))
        return LOYALTY_POINTS_MAX;
    return out / 100;
}

/* The start of the current DAY/WEEK/MONTH in the zone, for per-member limits. */
static int rule_under_limit(const struct loyalty_ctx *lc, const struct earning_rule *r,
                            const cJSON *body, const struct member_state *ms, const struct tz *z,
                            bool *ok)
{
    *ok = true;
    const cJSON *pm = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(body, "limits"), "per_member");
    const cJSON *period = cJSON_GetObjectItemCaseSensitive(pm, "period");
    int64_t max = json_int(pm, "count", 0);
    if (!cJSON_IsString(period) || max <= 0)
        return 0;
    int64_t since = tz_period_start(z, lc->tx->now_us, period->valuestring), n = 0;
    int rc = store_entry_count_rule(lc->tx->conn, lc->pid, ms->m.id, r->id, since, &n);
    *ok = n < max;
    return rc;
}

static int rule_set_holds(const struct loyalty_ctx *lc, const cJSON *cond, struct earn_input *in,
                          bool *ok);

/* The rule's inline conditions, then the validation rule it names, must both hold. */
static int rule_conditions_hold(const struct loyalty_ctx *lc, const cJSON *body,
                                struct earn_input *in, bool *ok)
{
    *ok = true;
    int rc = rule_set_holds(lc, cJSON_GetObjectItemCaseSensitive(body, "conditions"), in, ok);
    const cJSON *vid = cJSON_GetObjectItemCaseSensitive(body, "validation_rule_id");
    if (rc < 0 || !*ok || !cJSON_IsString(vid))
        return rc;
    struct validation_rule vr;
    rc = store_vrule_get(lc->tx->conn, lc->pid, vid->valuestring, lc->a, &vr);
    if (rc == TREU_ENOTFOUND) { /* deleted since: the rule it guarded awards nothing */
        *ok = false;
        return 0;
    }
    cJSON *vb = rc == 0 ? cJSON_Parse(vr.body_json) : NULL;
    if (rc == 0)
        rc = rule_set_holds(lc, cJSON_GetObjectItemCaseSensitive(vb, "rules"), in, ok);
    cJSON_Delete(vb);
    return rc;
}

/* One rule set in the condition language; absent holds. */
static int rule_set_holds(const struct loyalty_ctx *lc, const cJSON *cond, struct earn_input *in,
                          bool *ok)
{
    *ok = true;
    if (!cJSON_IsObject(cond))
        return 0;
    struct ruleset *rs;
    struct rule_error err;
    int rc = rules_compile(cond, lc->a, &rs, &err);
    if (rc == TREU_EINVAL) {
        *ok = false; /* stored rules were validated when saved; a rule that no longer
                        compiles awards nothing rather than failing the whole command */
        return 0;
    }
    if (rc < 0)
        return rc;
    struct rule_input ri = {earn_get, in};
    return rules_eval(rs, &ri, ok);
}

static const char *trigger_event(const struct trigger *t)
{
    switch (t->kind) {
    case TRIGGER_ORDER_PAID: return "order.paid";
    case TRIGGER_ENROLLED: return "customer.created";
    case TRIGGER_EVENT: return t->event_name;
    case TRIGGER_TIER_JOINED: return "customer.loyalty.tier.joined";
    case TRIGGER_TIER_LEFT: return "customer.loyalty.tier.left";
    }
    return "";
}

/* Evaluates one rule for one member and credits what it awards. */
static int earn_rule(const struct loyalty_ctx *lc, const struct program *p, struct member_state *ms,
                     const struct earning_rule *r, struct earn_input *in, const struct tz *z,
                     struct earn_result *out)
{
    const cJSON *body = rulecache_body(r);
    if (!body)
        return TREU_EINVAL;
    int rc = 0;
    bool ok = rule_in_window(body, lc->tx->now_us, &in->local);
    if (ok)
        rc = rule_under_limit(lc, r, body, ms, z, &ok);
    if (rc == 0 && ok)
        rc = rule_conditions_hold(lc, body, in, &ok);
    int64_t points = rc == 0 && ok ? rule_points(body, in->t) : 0;
    points = tier_multiply(ms, r->id, points);
    if (points > LOYALTY_POINTS_MAX)
        points = LOYALTY_POINTS_MAX;
    if (points > 0 && p->limits_json) /* the program's per-member earning cap */
        rc = limits_earn_allowance(lc->tx->conn, lc->pid, lc->zones, p, ms->m.id, lc->tx->now_us,
                                   points, &points);
    if (points > 0 && out->n < LOYALTY_ENTRIES_PER_TRIGGER_MAX) {
        const cJSON *pp = cJSON_GetObjectItemCaseSensitive(body, "pending_points");
        int64_t pending = cJSON_IsObject(pp) ? json_int(pp, "period_days", 0) : p->pending_days;
        struct entry tmpl = {.rule_id = r->id, .reason = "earning rule"};
        if (in->t->order) {
            tmpl.order_id = in->t->order->id;
            tmpl.order_source_id = in->t->order->source_id;
        }
        tmpl.event_id = in->t->event_id;
        tmpl.event_name = in->t->kind == TRIGGER_EVENT ? in->t->event_name : NULL;
        struct loyalty_move mv;
        rc = loyalty_credit(lc, p, ms, points, pending, "POINTS_ACCRUAL", &tmpl, &mv);
        if (rc == 0) {
            out->entries[out->n++] = mv.e;
            out->points += points;
        }
    }
    return rc;
}

static int tier_triggers(const struct loyalty_ctx *lc, const struct program *p,
                         struct member_state *ms, const struct customer *cu,
                         struct earn_result *out);

static int earn_program(const struct loyalty_ctx *lc, const struct trigger *t,
                        const struct program *p, struct member_state *ms, struct earn_result *out)
{
    int64_t now = lc->tx->now_us;
    if (!p->active || (p->start_date && now < p->start_date) ||
        (p->expiration_date && now >= p->expiration_date))
        return 0;
    struct earning_rule *rules;
    size_t n;
    int rc = store_rule_list(lc->tx->conn, lc->pid, p->id, true, lc->a, &rules, &n);
    const struct tz *z = NULL;
    if (rc == 0)
        rc = zones_get(lc->zones, p->timezone, &z);
    if (rc < 0)
        return rc;
    cJSON *cmd =
        t->customer && t->customer->metadata_json ? cJSON_Parse(t->customer->metadata_json) : NULL;
    cJSON *omd = t->order && t->order->metadata_json ? cJSON_Parse(t->order->metadata_json) : NULL;
    struct earn_input in = {.t = t, .ms = ms, .customer_metadata = cmd, .order_metadata = omd};
    tz_to_civil(z, now, &in.local);
    const char *ev = trigger_event(t);
    /* One member and account write for all the rules an event satisfies, not one each. */
    bool outer = ms->deferred;
    ms->deferred = true;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(rules[i].event, ev) == 0)
            rc = earn_rule(lc, p, ms, &rules[i], &in, z, out);
    }
    ms->deferred = outer;
    if (rc == 0 && !outer)
        rc = member_flush(lc, ms);
    cJSON_Delete(cmd);
    cJSON_Delete(omd);
    return rc == 0 ? tier_triggers(lc, p, ms, t->customer, out) : rc;
}

/* Runs the tier.joined / tier.left rules for a move not yet handled in this command.
 * Each runs at most once per command, so a bonus that moves the member again cannot loop. */
static int tier_triggers(const struct loyalty_ctx *lc, const struct program *p,
                         struct member_state *ms, const struct customer *cu,
                         struct earn_result *out)
{
    int rc = 0;
    if (ms->tier_changed && !ms->tier_event_done) {
        ms->tier_event_done = true;
        struct trigger tj = {.kind = TRIGGER_TIER_JOINED, .customer = cu};
        rc = earn_program(lc, &tj, p, ms, out);
    }
    if (rc == 0 && ms->tier_left[0] && !ms->tier_left_done) {
        ms->tier_left_done = true;
        struct trigger tl = {.kind = TRIGGER_TIER_LEFT, .customer = cu};
        rc = earn_program(lc, &tl, p, ms, out);
    }
    return rc;
}

int loyalty_tier_rules(const struct loyalty_ctx *lc, struct member_state *ms)
{
    if (!(ms->tier_changed && !ms->tier_event_done) && !(ms->tier_left[0] && !ms->tier_left_done))
        return 0;
    struct customer cu;
    struct earn_result *er = arena_zalloc(lc->a, sizeof *er);
    if (!er)
        return TREU_ENOMEM;
    int rc = store_customer_get(lc->tx->conn, lc->pid, ms->m.customer_id, lc->a, &cu);
    if (rc < 0)
        return rc;
    return tier_triggers(lc, &ms->p, ms, &cu, er);
}

int loyalty_earn(const struct loyalty_ctx *lc, const struct trigger *t,
                 const struct program *only_program, struct member_state *only_ms,
                 struct earn_result *out)
{
    if (only_program)
        return earn_program(lc, t, only_program, only_ms, out);
    struct member *cards;
    size_t n;
    int rc =
        store_member_list_by_customer(lc->tx->conn, lc->pid, t->customer->id, lc->a, &cards, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct member_state ms = {.m = cards[i]};
        rc = member_open(lc, &ms);
        if (rc == 0)
            rc = member_settle(lc, &ms.p, &ms);
        if (rc == 0)
            rc = earn_program(lc, t, &ms.p, &ms, out);
    }
    return rc;
}

/* ---- reversals ---- */

/* Takes up to `points` from the open lots that `accrual_ids` created, pending first. */
static int64_t reverse_from_lots(const struct loyalty_ctx *lc, struct member_state *ms,
                                 const char *const *accrual_ids, size_t nids, int64_t points,
                                 struct lot_takes *t, int *rc)
{
    int64_t taken = 0;
    for (int pass = 0; pass < 2 && taken < points && *rc == 0; pass++) {
        enum lot_state want = pass == 0 ? LOT_PENDING : LOT_ACTIVE;
        for (size_t i = 0; i < ms->nlots && taken < points && *rc == 0; i++) {
            struct lot *l = &ms->lots[i];
            bool mine = false;
            for (size_t k = 0; k < nids && !mine; k++)
                mine = strcmp(l->entry_id, accrual_ids[k]) == 0;
            if (!mine || l->state != want || l->remaining == 0)
                continue;
            int64_t take = l->remaining < points - taken ? l->remaining : points - taken;
            l->remaining -= take;
            if (want == LOT_PENDING)
                ms->m.pending -= take;
            else
                ms->m.balance -= take;
            if (l->remaining == 0)
                l->state = LOT_REVERSED;
            taken += take;
            takes_add(t, l->id, -take);
            *rc = store_lot_update(lc->tx->conn, lc->pid, ms->m.id, l);
        }
    }
    return taken;
}

/* What one rule should have awarded for the order at its new amount. */
static int reverse_target(const struct loyalty_ctx *lc, const struct member_state *ms,
                          const char *rule_id, const struct order *o, int64_t new_amount,
                          bool cancel, int64_t earned, int64_t *target)
{
    *target = 0;
    if (cancel)
        return 0;
    if (strncmp(rule_id, LOYALTY_REFERRAL_PREFIX, strlen(LOYALTY_REFERRAL_PREFIX)) == 0) {
        *target = new_amount > 0 ? earned : 0; /* a referral bonus: kept unless fully refunded */
        return 0;
    }
    struct earning_rule r;
    int rc = store_rule_get(lc->tx->conn, lc->pid, ms->m.program_id, rule_id, lc->a, &r);
    if (rc == TREU_ENOTFOUND) { /* the rule is gone: keep what it gave */
        *target = earned;
        return 0;
    }
    cJSON *body = rc == 0 ? cJSON_Parse(r.body_json) : NULL;
    if (rc == 0 && !body)
        rc = TREU_EINVAL;
    if (rc < 0)
        return rc;
    struct order smaller = *o;
    smaller.amount = new_amount;
    struct trigger t = {.kind = TRIGGER_ORDER_PAID, .order = &smaller};
    int64_t pts = rule_points(body, &t);
    *target = pts < earned ? pts : earned;
    cJSON_Delete(body);
    return 0;
}

/* Reverses one rule's accruals for one order and member. */
static int reverse_rule(const struct loyalty_ctx *lc, const struct program *p,
                        struct member_state *ms, const struct entry *es, size_t n,
                        const char *rule_id, const struct order *o, int64_t new_amount, bool cancel,
                        struct earn_result *out)
{
    int64_t earned = 0, reversed = 0;
    const char **ids = arena_alloc(lc->a, (n ? n : 1) * sizeof *ids);
    size_t nids = 0;
    if (!ids)
        return TREU_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!es[i].rule_id || strcmp(es[i].rule_id, rule_id) != 0)
            continue;
        if (strcmp(es[i].type, "POINTS_ACCRUAL") == 0) {
            earned += es[i].points;
            ids[nids++] = es[i].id;
        } else if (strcmp(es[i].type, "POINTS_REFUND") == 0) {
            reversed += -es[i].points + es[i].shortfall;
        }
    }
    int64_t target;
    int rc = reverse_target(lc, ms, rule_id, o, new_amount, cancel, earned, &target);
    int64_t due = earned - reversed - target;
    if (rc < 0 || due <= 0)
        return rc;
    struct lot_takes t;
    takes_init(&t);
    int64_t taken = reverse_from_lots(lc, ms, ids, nids, due, &t, &rc);
    const char *lots = takes_done(lc, &t);
    if (rc < 0)
        return rc;
    if (!lots)
        return TREU_ENOMEM;
    ms->m.subtracted += taken;
    struct entry tmpl = {.rule_id = rule_id,
                         .order_id = o->id,
                         .order_source_id = o->source_id,
                         .reason = cancel ? "order canceled" : "order partly refunded",
                         .shortfall = due - taken};
    struct entry e;
    rc = entry_write(lc, ms, "POINTS_REFUND", -taken, &tmpl, lots, lc->tx->now_us, &e);
    if (rc == 0)
        rc = store_program_account(lc->tx->conn, lc->pid, p->id, 0, taken, 0);
    if (rc == 0)
        rc = member_write(lc, ms);
    if (rc == 0 && out->n < LOYALTY_ENTRIES_PER_TRIGGER_MAX) {
        out->entries[out->n++] = e;
        out->points -= taken;
    }
    return rc;
}

static int reverse_member(const struct loyalty_ctx *lc, struct member_state *ms,
                          const struct order *o, int64_t new_amount, bool cancel,
                          struct earn_result *out)
{
    struct entry *es;
    size_t n;
    int rc = member_open(lc, ms);
    if (rc == 0)
        rc = member_settle(lc, &ms->p, ms);
    if (rc == 0)
        rc = loyalty_lots(lc, ms);
    if (rc == 0)
        rc = store_entry_list_order(lc->tx->conn, lc->pid, ms->m.id, o->id, lc->a, &es, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        bool first = es[i].rule_id && strcmp(es[i].type, "POINTS_ACCRUAL") == 0;
        for (size_t k = 0; first && k < i; k++)
            first = !(es[k].rule_id && strcmp(es[k].rule_id, es[i].rule_id) == 0 &&
                      strcmp(es[k].type, "POINTS_ACCRUAL") == 0);
        if (first)
            rc = reverse_rule(lc, &ms->p, ms, es, n, es[i].rule_id, o, new_amount, cancel, out);
    }
    return rc == 0 ? loyalty_tier_rules(lc, ms) : rc;
}

int loyalty_reverse_order_card(const struct loyalty_ctx *lc, const char *program_id,
                               const char *customer_id, const struct order *o, int64_t new_amount,
                               bool cancel, struct earn_result *out)
{
    struct member_state ms = {0};
    int rc =
        store_member_get_by_customer(lc->tx->conn, lc->pid, program_id, customer_id, lc->a, &ms.m);
    if (rc == TREU_ENOTFOUND)
        return 0;
    return rc == 0 ? reverse_member(lc, &ms, o, new_amount, cancel, out) : rc;
}

int loyalty_reverse_order(const struct loyalty_ctx *lc, const struct order *o, int64_t new_amount,
                          bool cancel, struct earn_result *out)
{
    if (!o->customer_id)
        return 0;
    struct member *cards;
    size_t n;
    int rc =
        store_member_list_by_customer(lc->tx->conn, lc->pid, o->customer_id, lc->a, &cards, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct member_state ms = {.m = cards[i]};
        rc = reverse_member(lc, &ms, o, new_amount, cancel, out);
    }
    return rc;
}

/* ---- the read-side view ---- */

int loyalty_view(struct store_conn *c, const char *pid, const struct member *m, int64_t now,
                 struct arena *a, struct member_view *v, struct lot **lots, size_t *nlots)
{
    memset(v, 0, sizeof *v);
    v->earned = m->earned;
    v->balance = m->balance;
    v->pending = m->pending;
    v->subtracted = m->subtracted;
    v->expired = m->expired;
    if (!lots && (!m->next_due_at || m->next_due_at > now))
        return store_lot_next_expiry(c, pid, m->id, &v->next_expiry_at, &v->next_expiry_points);
    struct lot *own;
    size_t nown;
    if (!lots) {
        lots = &own;
        nlots = &nown;
    }
    int rc = store_lot_list_open(c, pid, m->id, a, lots, nlots);
    if (rc < 0)
        return rc;
    /* Apply in memory what the next write would settle: releases in the order they fell
     * due, then expiries. */
    struct lot *rel;
    while ((rel = next_release(*lots, *nlots, now))) {
        int64_t before = v->balance;
        rel->state = LOT_ACTIVE;
        v->pending -= rel->remaining;
        v->balance += rel->remaining;
        if (before < 0)
            rel->remaining -= -before < rel->remaining ? -before : rel->remaining;
    }
    for (size_t i = 0; i < *nlots; i++) {
        struct lot *l = &(*lots)[i];
        if (l->state == LOT_ACTIVE && l->expires_at && l->expires_at <= now && l->remaining) {
            v->balance -= l->remaining;
            v->expired += l->remaining;
            l->remaining = 0;
            l->state = LOT_EXPIRED;
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < *nlots; i++) {
        struct lot *l = &(*lots)[i];
        if (l->remaining == 0)
            continue;
        (*lots)[o++] = *l;
        if (l->expires_at && l->state == LOT_ACTIVE) {
            if (!v->next_expiry_at || l->expires_at < v->next_expiry_at) {
                v->next_expiry_at = l->expires_at;
                v->next_expiry_points = 0;
            }
            if (l->expires_at == v->next_expiry_at)
                v->next_expiry_points += l->remaining;
        }
    }
    *nlots = o;
    return 0;
}

/* ---- restoring a debit (reward rollbacks) ---- */

/* Where one take of a debit goes back to: the lot itself while it is still good, else a
 * fresh lot with the lot's original expiry. Returns the index in ms->lots, or -1 with *rc
 * set. */
static ptrdiff_t restore_target(const struct loyalty_ctx *lc, struct member_state *ms,
                                const char *lot_id, int64_t pts, bool *fresh, int *rc)
{
    int64_t now = lc->tx->now_us;
    for (size_t i = 0; i < ms->nlots; i++) {
        struct lot *l = &ms->lots[i];
        if (strcmp(l->id, lot_id) == 0 && l->state == LOT_ACTIVE &&
            (!l->expires_at || l->expires_at > now) && l->remaining <= l->amount - pts) {
            *fresh = false;
            return (ptrdiff_t)i;
        }
    }
    struct lot stored;
    *rc = store_lot_get(lc->tx->conn, lc->pid, ms->m.id, lot_id, lc->a, &stored);
    if (*rc == TREU_ENOTFOUND) {
        memset(&stored, 0, sizeof stored); /* cannot happen with an intact ledger */
        stored.state = LOT_EXPIRED;
        *rc = 0;
    }
    if (*rc < 0)
        return -1;
    bool good = stored.state == LOT_SPENT && (!stored.expires_at || stored.expires_at > now) &&
                stored.remaining <= stored.amount - pts;
    struct lot *l = member_add_lot(lc, ms);
    if (!l) {
        *rc = TREU_ENOMEM;
        return -1;
    }
    *fresh = !good;
    if (good) {
        *l = stored;
    } else {
        ids_make_at(lc->tx->rng, lc->tx->now_us, "lopb_", l->id);
        l->amount = pts;
        l->remaining = 0;
        l->expires_at = stored.expires_at; /* the points keep the expiry they had */
        l->created_at = now;
    }
    return (ptrdiff_t)(ms->nlots - 1);
}

struct restored {
    size_t at; /* index in ms->lots */
    int64_t pts;
    bool fresh; /* a new lot, to insert */
};

/* Writes what loyalty_restore put back in memory: the entry, the lots, the program
 * account, and the expiry of points whose original expiry has passed. */
static int restore_write(const struct loyalty_ctx *lc, struct member_state *ms,
                         const struct restored *rs, size_t n, int64_t total, const char *type,
                         const struct entry *tmpl, struct loyalty_move *out)
{
    int64_t now = lc->tx->now_us;
    int rc;
    ms->m.balance += total;
    ms->m.subtracted -= total;
    struct lot_takes t;
    takes_init(&t);
    for (size_t k = 0; k < n; k++)
        takes_add(&t, ms->lots[rs[k].at].id, rs[k].pts);
    const char *lots = takes_done(lc, &t);
    if (!lots)
        return TREU_ENOMEM;
    struct entry e;
    rc = entry_write(lc, ms, type, total, tmpl, lots, now, &e);
    for (size_t k = 0; rc == 0 && k < n; k++) {
        struct lot *l = &ms->lots[rs[k].at];
        if (rs[k].fresh) {
            memcpy(l->entry_id, e.id, sizeof l->entry_id);
            rc = store_lot_insert(lc->tx->conn, lc->pid, ms->m.id, l);
        } else {
            rc = store_lot_update(lc->tx->conn, lc->pid, ms->m.id, l);
        }
    }
    if (rc == 0)
        rc = store_program_account(lc->tx->conn, lc->pid, ms->p.id, 0, -total, 0);
    /* Points whose original expiry has passed come back and expire at once: the member
     * regains nothing they would not have lost anyway, and the ledger shows both. */
    for (size_t k = 0; rc == 0 && k < n; k++) {
        struct lot *l = &ms->lots[rs[k].at];
        if (l->state == LOT_ACTIVE && l->expires_at && l->expires_at <= now && l->remaining > 0)
            rc = settle_expire(lc, &ms->p, ms, l);
    }
    if (rc == 0)
        rc = member_write(lc, ms);
    if (rc == 0 && out)
        out->e = e;
    return rc;
}

int loyalty_restore(const struct loyalty_ctx *lc, struct member_state *ms,
                    const struct entry *debit, const char *type, const struct entry *tmpl,
                    struct loyalty_move *out)
{
    ASSERT(debit->points < 0 && strcmp(debit->member_id, ms->m.id) == 0);
    int lrc = loyalty_lots(lc, ms); /* the takes go back into lots that may be open */
    if (lrc < 0)
        return lrc;
    cJSON *takes = debit->lots_json ? cJSON_Parse(debit->lots_json) : NULL;
    if (!cJSON_IsArray(takes)) {
        cJSON_Delete(takes);
        return TREU_EINVAL;
    }
    int64_t total = 0, before = ms->m.balance;
    size_t cap = (size_t)cJSON_GetArraySize(takes) + 1, n = 0;
    struct restored *rs = arena_alloc(lc->a, cap * sizeof *rs);
    int rc = rs ? 0 : TREU_ENOMEM;
    for (const cJSON *it = takes->child; rc == 0 && it; it = it->next) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        const cJSON *pj = cJSON_GetObjectItemCaseSensitive(it, "points");
        int64_t pts = cJSON_IsNumber(pj) ? -(int64_t)pj->valuedouble : 0;
        if (!cJSON_IsString(id) || pts <= 0 || pts > LOYALTY_POINTS_MAX) {
            rc = TREU_EINVAL;
            break;
        }
        bool fresh = false;
        ptrdiff_t at = restore_target(lc, ms, id->valuestring, pts, &fresh, &rc);
        if (at < 0)
            break;
        struct lot *l = &ms->lots[at];
        l->remaining += pts;
        l->state = LOT_ACTIVE;
        lot_pay_debt(ms, l, before); /* a program that allows debt is paid back first */
        before += pts;
        rs[n++] = (struct restored){(size_t)at, pts, fresh};
        total += pts;
    }
    cJSON_Delete(takes);
    if (rc < 0)
        return rc;
    ASSERT(total == -debit->points && total <= ms->m.subtracted);
    return restore_write(lc, ms, rs, n, total, type, tmpl, out);
}
