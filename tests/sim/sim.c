/* sim.c - the seeded simulation of the points ledger against a simple reference model.
 *
 * Each seed builds a fresh SQLite store holding one program (pending period, negative
 * balances, expiry policy and time zone drawn from the seed), a few enrolled customers and
 * its earning rules, then runs random operations straight against the engine (no HTTP),
 * one transaction each, on a fake clock that only moves forward. A reference model made of
 * plain arrays, written from docs/api.md and engine/README.md rather than from loyalty.c,
 * goes through the same operations. After every step it compares, for every member, the
 * stored row, the read-side view at the clock's now, the open lots and the entries with the
 * model, and the program's accounts with the members' totals. Why and what: README.md.
 *
 * Usage: test_sim [--seeds N (200)] [--ops M (500)] [--first F (1)] [--seed S] [--verbose]
 *                 [--stats]
 * The output ends with cmocka-style "[  PASSED  ]" / "[  FAILED  ]" lines (scripts/test
 * sums those) and one "N passed, M failed" line, counting seeds; the exit status is
 * non-zero when any seed failed. */
#include "core/codes.h"
#include "core/log.h"
#include "core/tz.h"
#include "engine/loyalty.h"
#include "engine/zones.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIM_SEEDS_DEFAULT           200
#define SIM_OPS_DEFAULT             500
#define SIM_PID                     "proj_sim"
#define SIM_ZONE_DIR                "/usr/share/zoneinfo/"
#define SIM_CUSTOMERS_MAX           4
#define SIM_ARENA_BYTES_MAX         (64u * 1024 * 1024) /* one step's arena */
#define SIM_ENTRY_PAGE              100                 /* store_entry_list's largest page */
#define SIM_CREDIT_POINTS_MAX       500
#define SIM_CREDIT_PENDING_DAYS_MAX 3
#define SIM_ORDER_AMOUNT_MAX        50000 /* smallest currency units */
#define SIM_JUMP_DAYS_MAX           40
#define SIM_STEP_US_MAX             (INT64_C(4) * 3600 * TSTIME_US_PER_S) /* a step's usual move */
#define SIM_EVENT_NAME              "review"
#define SIM_TEXT_BYTES_MAX          512

#define DAY TSTIME_US_PER_DAY

enum { SIM_MISMATCH = 1 }; /* a check failed: positive, so `rc != 0` stops a step */

/* ---- the seeded randomness ---- */

static uint64_t splitmix_next(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* The engine's ids and card codes, from a stream of their own so they never shift the
 * operations a seed makes. */
static void splitmix_fill(void *ctx, void *out, size_t n)
{
    unsigned char *o = out;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = splitmix_next(ctx);
        size_t k = n - i < 8 ? n - i : 8;
        memcpy(o + i, &v, k);
    }
}

/* ---- the reference model ---- */

struct mlot {
    int64_t amount, remaining;
    enum lot_state state;
    int64_t expires_at, release_at, created_at;
    /* The engine's id, learnt only for lots a transfer made: they are the only lots of a
     * member created at one instant, and the engine orders such ties by id. "" = unknown. */
    char id[IDS_MAX_LEN];
};

struct totals {
    int64_t earned, balance, pending, subtracted, expired;
    int64_t released; /* what went from pending to active: the sum of activation entries */
};

/* A member's totals with the lots that still hold points. */
struct lset {
    struct totals t;
    struct mlot *lots;
    size_t *open; /* indices into lots of those still holding points, in consumption order */
    size_t nopen;
    int64_t due; /* earliest release or expiry among them, 0 = none */
};

struct mmember {
    char id[IDS_MAX_LEN];
    char customer_id[IDS_MAX_LEN];
    /* The member as the engine must have written it last, settled to that step's instant
     * (what a read shows at any later instant is derived from it: model_now). Its lots
     * array holds every lot ever made, in creation order. */
    struct lset base;
    size_t nlots, lots_cap, open_cap;
    int64_t checked_at; /* the row's updated_at at the last check */
    int64_t seen_seq;   /* entries checked so far, and their sums */
    int64_t sum_points, sum_activation;
};

enum ostatus { O_CREATED, O_PAID, O_CANCELED };
static const char *const ostatus_names[] = {"CREATED", "PAID", "CANCELED"};

struct morder {
    char source_id[24];
    int member;
    int64_t amount;
    enum ostatus status;
    bool earned; /* its PAID status was processed for loyalty */
    int64_t accrued, reversed;
    bool has_lot;
    size_t lot;
};

struct mevent {
    char source_id[24];
    int member;
};

enum exp_kind { EXP_NONE, EXP_DAYS, EXP_MONTHS };

struct config {
    const char *zone;
    int64_t pending_days;
    bool allow_negative;
    enum exp_kind exp;
    int exp_value;
    bool exp_end_of_month;
    int ncustomers;
    int64_t every, per_every;   /* the order rule: `per_every` points per `every` */
    int64_t event_points;       /* the custom-event rule, FIXED */
    int64_t event_pending_days; /* its own pending period, -1 = the program's */
    int64_t welcome_points;     /* a customer.created rule, 0 = none */
};

enum op_kind {
    OP_CREDIT,
    OP_DEBIT,
    OP_ORDER,
    OP_ORDER_REPEAT,
    OP_REFUND,
    OP_CANCEL,
    OP_EVENT,
    OP_EVENT_REPEAT,
    OP_JUMP,
    OP_JUMP_DUE,
    OP_SETTLE,
    OP_ENROLL_AGAIN,
    OP_TRANSFER,
    OP_KINDS
};

/* How often each step comes, out of their sum. */
static const int op_weights[OP_KINDS] = {
    [OP_CREDIT] = 13,   [OP_DEBIT] = 15,   [OP_ORDER] = 14, [OP_ORDER_REPEAT] = 6,
    [OP_REFUND] = 9,    [OP_CANCEL] = 5,   [OP_EVENT] = 10, [OP_EVENT_REPEAT] = 4,
    [OP_JUMP] = 7,      [OP_JUMP_DUE] = 6, [OP_SETTLE] = 7, [OP_ENROLL_AGAIN] = 4,
    [OP_TRANSFER] = 10,
};

/* What the runs went through, for --stats: evidence that the edges are reached. */
enum sim_stat {
    ST_RELEASE,
    ST_EXPIRY,
    ST_DEBT_PAID_BY_RELEASE,
    ST_DEBT_PAID_BY_CREDIT,
    ST_DEBIT_REFUSED,
    ST_DEBIT_INTO_DEBT,
    ST_REFUND_ENTRY,
    ST_REFUND_FROM_PENDING,
    ST_REFUND_SHORTFALL,
    ST_ORDER_REPEAT_UNEARNED,
    ST_EVENT_REPEAT,
    ST_JUMP_EXACT,
    ST_TRANSFER,
    ST_TRANSFER_REFUSED,
    ST_TRANSFER_LOTS,
    ST_TRANSFER_TIES,
    ST_TRANSFER_PAYS_DEBT,
    ST_KINDS
};
static const char *const stat_names[ST_KINDS] = {
    [ST_RELEASE] = "loads releasing pending points",
    [ST_EXPIRY] = "loads expiring points",
    [ST_DEBT_PAID_BY_RELEASE] = "debts paid by a release",
    [ST_DEBT_PAID_BY_CREDIT] = "debts paid by a credit",
    [ST_DEBIT_REFUSED] = "debits refused",
    [ST_DEBIT_INTO_DEBT] = "debits into a debt",
    [ST_REFUND_ENTRY] = "refund entries",
    [ST_REFUND_FROM_PENDING] = "refunds from a pending lot",
    [ST_REFUND_SHORTFALL] = "refunds with a shortfall",
    [ST_ORDER_REPEAT_UNEARNED] = "repeated orders earning nothing",
    [ST_EVENT_REPEAT] = "repeated events earning nothing",
    [ST_JUMP_EXACT] = "jumps exactly onto a release or expiry",
    [ST_TRANSFER] = "transfers",
    [ST_TRANSFER_REFUSED] = "transfers refused",
    [ST_TRANSFER_LOTS] = "transfers taking from several lots",
    [ST_TRANSFER_TIES] = "transfers making lots that tie in order (by id)",
    [ST_TRANSFER_PAYS_DEBT] = "debts paid by a transfer",
};

struct sim {
    uint64_t seed;
    uint64_t *stats;             /* ST_KINDS counters, shared by every seed */
    uint64_t op_state, id_state; /* the two random streams */
    struct rng rng;
    bool verbose;
    struct zones *zones;
    const struct tz *z;
    struct store *store;
    struct store_conn *c;
    struct config cfg;
    char program_id[IDS_MAX_LEN];
    int64_t start, now;
    struct mmember m[SIM_CUSTOMERS_MAX];
    int nm;
    struct morder *orders;
    size_t norders, orders_cap;
    struct mevent *events; /* events sent with a source_id */
    size_t nevents, events_cap;
    struct lset now_set; /* model_now's answer, in these arrays */
    struct mlot *now_lots;
    size_t *now_open;
    size_t now_lots_cap, now_open_cap;
    long op;
    char what[SIM_TEXT_BYTES_MAX]; /* the current step, for reports */
    char why[SIM_TEXT_BYTES_MAX];  /* the first mismatch */
};

static int64_t pick(struct sim *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(splitmix_next(&s->op_state) % (uint64_t)(hi - lo + 1));
}

static TREU_PRINTF(2, 3) int fail(struct sim *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    return SIM_MISMATCH;
}

static TREU_PRINTF(2, 3) void describe(struct sim *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->what, sizeof s->what, fmt, ap);
    va_end(ap);
    if (s->verbose)
        printf("  op %ld at %lld: %s\n", s->op, (long long)s->now, s->what);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * size);
    if (!q) {
        fprintf(stderr, "sim: out of memory\n");
        abort();
    }
    *cap = n;
    return q;
}

static int64_t max0(int64_t v)
{
    return v > 0 ? v : 0;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Consumption order: soonest expiry first, never-expiring last, then oldest, then by id
 * (only a transfer makes several lots of a member at one instant; see model_learn_ids). */
static bool lot_before(const struct mlot *a, const struct mlot *b)
{
    bool an = a->expires_at == 0, bn = b->expires_at == 0;
    if (an != bn)
        return bn;
    if (a->expires_at != b->expires_at)
        return a->expires_at < b->expires_at;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at;
    return strcmp(a->id, b->id) < 0;
}

static int64_t lot_due(const struct mlot *l)
{
    return l->state == LOT_PENDING ? l->release_at : l->expires_at;
}

/* Drops lots that hold nothing any more from the open list, and finds the next due. */
static void set_compact(struct lset *ls)
{
    size_t o = 0;
    ls->due = 0;
    for (size_t k = 0; k < ls->nopen; k++) {
        const struct mlot *l = &ls->lots[ls->open[k]];
        if (l->remaining == 0 || (l->state != LOT_PENDING && l->state != LOT_ACTIVE))
            continue;
        ls->open[o++] = ls->open[k];
        int64_t t = lot_due(l);
        if (t && (!ls->due || t < ls->due))
            ls->due = t;
    }
    ls->nopen = o;
}

/* New active points pay an allowed debt first. */
static void pay_debt(struct mlot *l, int64_t balance_before)
{
    if (balance_before >= 0)
        return;
    int64_t pay = min64(-balance_before, l->remaining);
    l->remaining -= pay;
    if (l->remaining == 0)
        l->state = LOT_SPENT;
}

static void set_release(struct lset *ls, struct mlot *l)
{
    int64_t before = ls->t.balance;
    l->state = LOT_ACTIVE;
    ls->t.pending -= l->remaining;
    ls->t.balance += l->remaining;
    ls->t.released += l->remaining;
    pay_debt(l, before);
}

static void set_expire(struct lset *ls, struct mlot *l)
{
    ls->t.balance -= l->remaining;
    ls->t.expired += l->remaining;
    l->remaining = 0;
    l->state = LOT_EXPIRED;
}

/* Applies every release and expiry due at `now` in the order they fell due, as a clock
 * running each at its instant would: at one instant releases first, then in consumption
 * order. An expiry that passed while its lot was pending happens on release. */
static void set_settle(struct lset *ls, int64_t now)
{
    while (ls->due && ls->due <= now) {
        struct mlot *due = NULL;
        int64_t at = 0;
        bool release = false;
        for (size_t k = 0; k < ls->nopen; k++) {
            struct mlot *l = &ls->lots[ls->open[k]];
            bool rel = l->state == LOT_PENDING;
            int64_t t = lot_due(l);
            if (!t || t > now)
                continue;
            if (!due || t < at || (t == at && rel && !release)) {
                due = l;
                at = t;
                release = rel;
            }
        }
        if (!due)
            break;
        if (release)
            set_release(ls, due);
        else
            set_expire(ls, due);
        set_compact(ls);
    }
}

/* The member as a read at the clock's now must show it: a settled copy of its open lots,
 * valid until the next call. */
static const struct lset *model_now(struct sim *s, const struct mmember *mm)
{
    const struct lset *b = &mm->base;
    s->now_lots = grow(s->now_lots, &s->now_lots_cap, b->nopen + 1, sizeof *s->now_lots);
    s->now_open = grow(s->now_open, &s->now_open_cap, b->nopen + 1, sizeof *s->now_open);
    for (size_t k = 0; k < b->nopen; k++) {
        s->now_lots[k] = b->lots[b->open[k]];
        s->now_open[k] = k;
    }
    s->now_set = *b;
    s->now_set.lots = s->now_lots;
    s->now_set.open = s->now_open;
    set_settle(&s->now_set, s->now);
    return &s->now_set;
}

/* A command loaded the member: what is due is settled, and written. */
static void model_load(struct sim *s, struct mmember *mm)
{
    struct totals before = mm->base.t;
    set_settle(&mm->base, s->now);
    const struct totals *t = &mm->base.t;
    s->stats[ST_RELEASE] += t->released > before.released;
    s->stats[ST_EXPIRY] += t->expired > before.expired;
    s->stats[ST_DEBT_PAID_BY_RELEASE] += before.balance < 0 && t->released > before.released;
}

static int64_t days_in_month(int64_t y, unsigned m)
{
    unsigned ny = m == 12 ? 1 : m + 1;
    return tstime_days_from_civil(m == 12 ? y + 1 : y, ny, 1) - tstime_days_from_civil(y, m, 1);
}

/* When points earned at `at` expire: the period added to the local date and time (a
 * month-end clamps), then, when asked, the last microsecond of that local month. */
static int64_t model_expiry(const struct sim *s, int64_t at)
{
    const struct config *cf = &s->cfg;
    if (cf->exp == EXP_NONE)
        return 0;
    struct tz_civil c;
    tz_to_civil(s->z, at, &c);
    if (cf->exp == EXP_DAYS) {
        int64_t dn = tstime_days_from_civil(c.year, c.month, c.day) + cf->exp_value;
        tstime_civil_from_days(dn, &c.year, &c.month, &c.day);
    } else {
        int64_t mi = c.year * 12 + (c.month - 1) + cf->exp_value;
        c.year = mi / 12;
        c.month = (unsigned)(mi % 12) + 1;
        int64_t dim = days_in_month(c.year, c.month);
        if (c.day > dim)
            c.day = (unsigned)dim;
    }
    int64_t t = tz_from_civil(s->z, &c);
    if (!cf->exp_end_of_month)
        return t;
    tz_to_civil(s->z, t, &c);
    int64_t mi = c.year * 12 + c.month; /* the next month, 0-based */
    struct tz_civil first = {.year = mi / 12, .month = (unsigned)(mi % 12) + 1, .day = 1};
    return tz_from_civil(s->z, &first) - 1;
}

/* Puts lot `i` in the open list at its place in consumption order, when it holds points
 * (after those it ties with). */
static void set_add_open(struct lset *b, size_t i)
{
    const struct mlot *l = &b->lots[i];
    if (l->remaining == 0)
        return;
    size_t k = b->nopen;
    while (k > 0 && lot_before(l, &b->lots[b->open[k - 1]]))
        k--;
    memmove(&b->open[k + 1], &b->open[k], (b->nopen - k) * sizeof *b->open);
    b->open[k] = i;
    b->nopen++;
}

/* Credits a new lot at the clock's now to a loaded member; returns its index. */
static size_t model_credit(struct sim *s, struct mmember *mm, int64_t points, int64_t pending_days)
{
    struct lset *b = &mm->base;
    b->lots = grow(b->lots, &mm->lots_cap, mm->nlots + 1, sizeof *b->lots);
    b->open = grow(b->open, &mm->open_cap, b->nopen + 1, sizeof *b->open);
    struct mlot *l = &b->lots[mm->nlots];
    *l = (struct mlot){.amount = points, .remaining = points, .created_at = s->now};
    l->release_at = pending_days > 0 ? s->now + pending_days * DAY : 0;
    l->state = l->release_at ? LOT_PENDING : LOT_ACTIVE;
    l->expires_at = model_expiry(s, s->now);
    int64_t before = b->t.balance;
    b->t.earned += points;
    if (l->state == LOT_PENDING) {
        b->t.pending += points;
    } else {
        b->t.balance += points;
        pay_debt(l, before);
        s->stats[ST_DEBT_PAID_BY_CREDIT] += before < 0;
    }
    set_add_open(b, mm->nlots);
    set_compact(b);
    return mm->nlots++;
}

/* Whether a debit of `points` goes through: the balance covers it or debts are allowed. */
static bool model_covers(const struct sim *s, const struct lset *ls, int64_t points)
{
    return max0(ls->t.balance) >= points || s->cfg.allow_negative;
}

/* Takes `points` from a loaded member's active lots in consumption order (model_covers
 * said it may). */
static void model_debit(struct mmember *mm, int64_t points)
{
    struct lset *b = &mm->base;
    int64_t left = points;
    for (size_t k = 0; k < b->nopen && left > 0; k++) {
        struct mlot *l = &b->lots[b->open[k]];
        if (l->state != LOT_ACTIVE)
            continue;
        int64_t take = min64(l->remaining, left);
        l->remaining -= take;
        left -= take;
        if (l->remaining == 0)
            l->state = LOT_SPENT;
    }
    b->t.balance -= points;
    b->t.subtracted += points;
    set_compact(b);
}

/* Moves `points` from loaded member `from` to loaded member `to` (from's balance covers
 * them): taken from from's active lots in consumption order, each take a new active lot of
 * `to` keeping its expiry, created now; to's debt, if any, paid by the new lots in the order
 * they were made. */
static void model_transfer(struct sim *s, struct mmember *from, struct mmember *to, int64_t points)
{
    struct lset *f = &from->base, *b = &to->base;
    int64_t left = points;
    size_t first = to->nlots;
    for (size_t k = 0; k < f->nopen && left > 0; k++) {
        struct mlot *l = &f->lots[f->open[k]];
        if (l->state != LOT_ACTIVE)
            continue;
        int64_t take = min64(l->remaining, left);
        l->remaining -= take;
        left -= take;
        if (l->remaining == 0)
            l->state = LOT_SPENT;
        b->lots = grow(b->lots, &to->lots_cap, to->nlots + 1, sizeof *b->lots);
        b->lots[to->nlots++] = (struct mlot){.amount = take,
                                             .remaining = take,
                                             .state = LOT_ACTIVE,
                                             .expires_at = l->expires_at,
                                             .created_at = s->now};
    }
    f->t.balance -= points;
    f->t.subtracted += points;
    set_compact(f);
    int64_t before = b->t.balance;
    s->stats[ST_TRANSFER_PAYS_DEBT] += before < 0;
    s->stats[ST_TRANSFER_LOTS] += to->nlots - first > 1;
    b->t.balance += points;
    b->t.earned += points;
    b->open = grow(b->open, &to->open_cap, b->nopen + (to->nlots - first), sizeof *b->open);
    for (size_t i = first; i < to->nlots; i++) {
        pay_debt(&b->lots[i], before);
        before += b->lots[i].amount;
        set_add_open(b, i);
    }
    set_compact(b);
}

static int64_t order_points(const struct sim *s, int64_t amount)
{
    return amount > 0 ? amount / s->cfg.every * s->cfg.per_every : 0;
}

/* What a refund (to `new_amount`) or a cancellation takes back from a loaded member: the
 * order's lot gives up to what is due, pending or active; what it no longer holds is the
 * shortfall. Returns whether an entry is due, with the points taken and the shortfall. */
static bool model_reverse(struct sim *s, struct morder *o, int64_t new_amount, bool cancel,
                          int64_t *taken, int64_t *shortfall)
{
    *taken = *shortfall = 0;
    if (!o->has_lot)
        return false;
    int64_t target = cancel ? 0 : min64(order_points(s, new_amount), o->accrued);
    int64_t due = o->accrued - o->reversed - target;
    if (due <= 0)
        return false;
    struct lset *b = &s->m[o->member].base;
    struct mlot *l = &b->lots[o->lot];
    if ((l->state == LOT_PENDING || l->state == LOT_ACTIVE) && l->remaining > 0) {
        *taken = min64(l->remaining, due);
        l->remaining -= *taken;
        s->stats[ST_REFUND_FROM_PENDING] += l->state == LOT_PENDING;
        if (l->state == LOT_PENDING)
            b->t.pending -= *taken;
        else
            b->t.balance -= *taken;
        if (l->remaining == 0)
            l->state = LOT_REVERSED;
    }
    *shortfall = due - *taken;
    s->stats[ST_REFUND_ENTRY]++;
    s->stats[ST_REFUND_SHORTFALL] += *shortfall > 0;
    b->t.subtracted += *taken;
    o->reversed += due;
    set_compact(b);
    return true;
}

/* ---- one step: a transaction on the write connection ---- */

struct step {
    struct writer_tx tx;
    struct loyalty_ctx lc;
    struct arena a;
};

/* `st` must stay where it is until step_end: lc points at tx. */
static int step_begin(struct sim *s, struct step *st)
{
    arena_init(&st->a, SIM_ARENA_BYTES_MAX);
    st->tx = (struct writer_tx){.conn = s->c, .now_us = s->now, .rng = &s->rng};
    st->lc = (struct loyalty_ctx){.tx = &st->tx, .zones = s->zones, .pid = SIM_PID, .a = &st->a};
    return store_begin(s->c);
}

/* Commits when asked and all went well, else rolls back (as the writer undoes a command
 * answered with an error). */
static int step_end(struct sim *s, struct step *st, bool commit, int rc)
{
    if (rc == 0 && commit)
        rc = store_commit(s->c);
    if (rc != 0 || !commit)
        store_rollback(s->c);
    arena_cleanup(&st->a);
    return rc;
}

static int load_program(struct sim *s, struct step *st, struct program *p)
{
    return store_program_get(s->c, SIM_PID, s->program_id, &st->a, p);
}

static int op_credit(struct sim *s, int k)
{
    struct mmember *mm = &s->m[k];
    int64_t points = pick(s, 1, SIM_CREDIT_POINTS_MAX);
    int64_t pdays = pick(s, 0, SIM_CREDIT_PENDING_DAYS_MAX);
    describe(s, "credit member %d: %lld points, pending %lld days", k, (long long)points,
             (long long)pdays);
    struct step st;
    struct member_state ms;
    struct program p;
    struct entry tmpl = {.reason = "sim credit"};
    struct loyalty_move mv;
    int rc = step_begin(s, &st);
    if (rc == 0)
        rc = loyalty_load(&st.lc, mm->id, &ms);
    if (rc == 0)
        rc = load_program(s, &st, &p);
    if (rc == 0)
        rc = loyalty_credit(&st.lc, &p, &ms, points, pdays, "POINTS_ADDITION", &tmpl, &mv);
    if (rc == 0 && mv.e.points != points)
        rc = fail(s, "credit entry has %lld points", (long long)mv.e.points);
    rc = step_end(s, &st, true, rc);
    model_load(s, mm);
    model_credit(s, mm, points, pdays);
    return rc;
}

/* Debits of every size around the balance, so both outcomes and the edges happen. */
static int64_t debit_points(struct sim *s, int64_t balance)
{
    int64_t avail = max0(balance);
    switch (pick(s, 0, 9)) {
    case 0:
    case 1: return avail > 0 ? avail : 1;
    case 2: return avail + 1;
    case 3:
    case 4:
    case 5: return pick(s, 1, avail > 1 ? avail : 1);
    default: return pick(s, 1, SIM_CREDIT_POINTS_MAX);
    }
}

static int op_debit(struct sim *s, int k)
{
    struct mmember *mm = &s->m[k];
    const struct lset *now = model_now(s, mm);
    int64_t points = debit_points(s, now->t.balance);
    bool ok = model_covers(s, now, points);
    describe(s, "debit member %d: %lld points (model balance %lld)", k, (long long)points,
             (long long)now->t.balance);
    struct step st;
    struct member_state ms;
    struct program p;
    struct entry tmpl = {.reason = "sim debit"};
    enum loyalty_result res = LOYALTY_OK;
    int rc = step_begin(s, &st);
    if (rc == 0)
        rc = loyalty_load(&st.lc, mm->id, &ms);
    if (rc == 0)
        rc = load_program(s, &st, &p);
    if (rc == 0)
        rc = loyalty_debit(&st.lc, &p, &ms, points, "POINTS_REMOVAL", &tmpl, NULL, &res);
    if (rc == 0 && ok != (res == LOYALTY_OK))
        rc = fail(s, "debit: the engine answered %s, the model %s",
                  res == LOYALTY_OK ? "OK" : "INSUFFICIENT", ok ? "OK" : "INSUFFICIENT");
    rc = step_end(s, &st, res == LOYALTY_OK, rc);
    if (ok) { /* else the engine undid the whole command, its settling included */
        model_load(s, mm);
        model_debit(mm, points);
        s->stats[ST_DEBIT_INTO_DEBT] += mm->base.t.balance < 0;
    }
    s->stats[ST_DEBIT_REFUSED] += !ok;
    return rc;
}

/* What the model expects one order step to answer. */
struct order_expect {
    int64_t points;
    size_t nentries;
    int64_t refund_points, shortfall; /* of the refund entry, when one is due */
    bool refund;
};

/* The model's side of an order step: refund or cancel first, then earning once. The
 * engine loads the member only when one of them happens. */
static void order_model(struct sim *s, struct morder *mo, enum ostatus status, int64_t amount,
                        bool exists, struct order_expect *x)
{
    memset(x, 0, sizeof *x);
    struct mmember *mm = &s->m[mo->member];
    int64_t old = exists ? mo->amount : 0;
    bool canceled = status == O_CANCELED;
    bool reverse = exists && mo->earned && (canceled || amount < old);
    bool earn = status == O_PAID && !mo->earned;
    if (reverse || earn)
        model_load(s, mm);
    if (reverse) {
        int64_t taken;
        x->refund = model_reverse(s, mo, amount, canceled, &taken, &x->shortfall);
        if (x->refund) {
            x->refund_points = -taken;
            x->points -= taken;
            x->nentries++;
        }
    }
    mo->amount = amount;
    mo->status = status;
    if (earn) {
        mo->earned = true;
        mo->accrued = order_points(s, amount);
        if (mo->accrued > 0) {
            mo->lot = model_credit(s, mm, mo->accrued, s->cfg.pending_days);
            mo->has_lot = true;
            x->points += mo->accrued;
            x->nentries++;
        }
    }
}

/* The engine's side, as api/orders.c orders_apply does it: the earned_at guard lives
 * there, so this driver keeps it the same way. */
static int order_engine(struct sim *s, struct step *st, const struct morder *mo,
                        enum ostatus status, int64_t amount, struct earn_result *er,
                        struct order *o)
{
    const struct mmember *mm = &s->m[mo->member];
    int rc = store_order_get(s->c, SIM_PID, mo->source_id, &st->a, o);
    bool exists = rc == 0;
    if (rc < 0 && rc != TREU_ENOTFOUND)
        return rc;
    if (!exists) {
        memset(o, 0, sizeof *o);
        ids_make(&s->rng, "ord_", o->id);
        o->source_id = mo->source_id;
        o->created_at = s->now;
    }
    int64_t old_amount = o->amount;
    o->customer_id = mm->customer_id;
    o->status = ostatus_names[status];
    o->amount = amount;
    o->updated_at = s->now;
    bool canceled = status == O_CANCELED;
    rc = 0;
    if (exists && o->earned_at && (canceled || o->amount < old_amount))
        rc = loyalty_reverse_order(&st->lc, o, o->amount, canceled, er);
    if (rc == 0 && status == O_PAID && !o->earned_at) {
        struct customer paid_by;
        rc = store_customer_get(s->c, SIM_PID, o->customer_id, &st->a, &paid_by);
        struct trigger t = {.kind = TRIGGER_ORDER_PAID, .order = o, .customer = &paid_by};
        if (rc == 0)
            rc = loyalty_earn(&st->lc, &t, NULL, NULL, er);
        o->earned_at = s->now;
    }
    if (rc == 0)
        rc = exists ? store_order_update(s->c, SIM_PID, o) : store_order_insert(s->c, SIM_PID, o);
    return rc;
}

static int order_compare(struct sim *s, const struct morder *mo, const struct order_expect *x,
                         const struct earn_result *er, const struct order *o)
{
    if ((o->earned_at != 0) != mo->earned)
        return fail(s, "order %s: earned_at %lld, the model says %s", mo->source_id,
                    (long long)o->earned_at, mo->earned ? "earned" : "not earned");
    if (er->points != x->points || er->n != x->nentries)
        return fail(s, "order %s: answered %lld points in %zu entries, the model %lld in %zu",
                    mo->source_id, (long long)er->points, er->n, (long long)x->points, x->nentries);
    if (x->refund &&
        (er->entries[0].points != x->refund_points || er->entries[0].shortfall != x->shortfall ||
         strcmp(er->entries[0].type, "POINTS_REFUND") != 0))
        return fail(s, "order %s: refund entry %s %lld shortfall %lld, the model %lld / %lld",
                    mo->source_id, er->entries[0].type, (long long)er->entries[0].points,
                    (long long)er->entries[0].shortfall, (long long)x->refund_points,
                    (long long)x->shortfall);
    return 0;
}

/* Sends order `oi` with this status and amount, as PUT /v1/orders would. */
static int order_drive(struct sim *s, size_t oi, enum ostatus status, int64_t amount, bool exists)
{
    struct morder *mo = &s->orders[oi];
    struct step st;
    struct order o;
    int rc = step_begin(s, &st);
    struct earn_result *er = rc == 0 ? arena_zalloc(&st.a, sizeof *er) : NULL;
    if (rc == 0 && !er)
        rc = TREU_ENOMEM;
    if (rc == 0)
        rc = order_engine(s, &st, mo, status, amount, er, &o);
    struct order_expect x;
    order_model(s, mo, status, amount, exists, &x);
    if (rc == 0)
        rc = order_compare(s, mo, &x, er, &o);
    return step_end(s, &st, true, rc);
}

static int op_order(struct sim *s)
{
    s->orders = grow(s->orders, &s->orders_cap, s->norders + 1, sizeof *s->orders);
    struct morder *mo = &s->orders[s->norders];
    *mo = (struct morder){.member = (int)pick(s, 0, s->nm - 1)};
    snprintf(mo->source_id, sizeof mo->source_id, "o-%zu", s->norders);
    int64_t amount = pick(s, 0, SIM_ORDER_AMOUNT_MAX);
    if (pick(s, 0, 3) == 0) /* exactly on a step of the proportional rule */
        amount -= amount % s->cfg.every;
    enum ostatus status = pick(s, 0, 99) < 85 ? O_PAID : O_CREATED;
    describe(s, "order %s member %d: %s amount %lld", mo->source_id, mo->member,
             ostatus_names[status], (long long)amount);
    return order_drive(s, s->norders++, status, amount, false);
}

/* A repeated delivery of an order's PAID status (the same id): earns only the first time. */
static int op_order_repeat(struct sim *s)
{
    if (s->norders == 0)
        return op_order(s);
    size_t oi = (size_t)pick(s, 0, (int64_t)s->norders - 1);
    struct morder *mo = &s->orders[oi];
    describe(s, "order %s again: PAID amount %lld (was %s, %s)", mo->source_id,
             (long long)mo->amount, ostatus_names[mo->status], mo->earned ? "earned" : "unearned");
    s->stats[ST_ORDER_REPEAT_UNEARNED] += mo->earned;
    return order_drive(s, oi, O_PAID, mo->amount, true);
}

static int op_refund(struct sim *s)
{
    if (s->norders == 0)
        return op_order(s);
    size_t oi = (size_t)pick(s, 0, (int64_t)s->norders - 1);
    struct morder *mo = &s->orders[oi];
    int64_t amount = mo->amount > 0 ? pick(s, 0, mo->amount - 1) : 0;
    if (pick(s, 0, 3) == 0)
        amount -= amount % s->cfg.every;
    describe(s, "refund order %s (%s): amount %lld -> %lld", mo->source_id,
             ostatus_names[mo->status], (long long)mo->amount, (long long)amount);
    return order_drive(s, oi, mo->status, amount, true);
}

static int op_cancel(struct sim *s)
{
    if (s->norders == 0)
        return op_order(s);
    size_t oi = (size_t)pick(s, 0, (int64_t)s->norders - 1);
    struct morder *mo = &s->orders[oi];
    describe(s, "cancel order %s (%s, amount %lld)", mo->source_id, ostatus_names[mo->status],
             (long long)mo->amount);
    return order_drive(s, oi, O_CANCELED, mo->amount, true);
}

/* The engine's side of an event, as api/orders.c events_apply does it: a source_id seen
 * before is a repeated delivery and earns nothing. */
static int event_engine(struct sim *s, struct step *st, int k, const char *name,
                        const char *source_id, struct earn_result *er, bool *repeated)
{
    const struct mmember *mm = &s->m[k];
    *repeated = false;
    if (source_id) {
        struct event prev;
        int rc = store_event_get_by_source(s->c, SIM_PID, source_id, &st->a, &prev);
        if (rc == 0)
            *repeated = true;
        if (rc != TREU_ENOTFOUND)
            return rc;
    }
    struct customer cu;
    int rc = store_customer_get(s->c, SIM_PID, mm->customer_id, &st->a, &cu);
    struct event ev = {.name = name, .source_id = source_id, .created_at = s->now};
    ids_make(&s->rng, "evt_", ev.id);
    memcpy(ev.customer_id, cu.id, sizeof ev.customer_id);
    struct trigger t = {
        .kind = TRIGGER_EVENT, .event_name = name, .event_id = ev.id, .customer = &cu};
    if (rc == 0)
        rc = loyalty_earn(&st->lc, &t, NULL, NULL, er);
    return rc == 0 ? store_event_insert(s->c, SIM_PID, &ev) : rc;
}

static int event_drive(struct sim *s, int k, const char *name, const char *source_id, bool repeat)
{
    struct mmember *mm = &s->m[k];
    struct step st;
    bool repeated = false;
    int rc = step_begin(s, &st);
    struct earn_result *er = rc == 0 ? arena_zalloc(&st.a, sizeof *er) : NULL;
    if (rc == 0 && !er)
        rc = TREU_ENOMEM;
    if (rc == 0)
        rc = event_engine(s, &st, k, name, source_id, er, &repeated);
    int64_t want = 0;
    if (!repeat) {
        model_load(s, mm);
        if (strcmp(name, SIM_EVENT_NAME) == 0) {
            int64_t pd = s->cfg.event_pending_days;
            model_credit(s, mm, s->cfg.event_points, pd >= 0 ? pd : s->cfg.pending_days);
            want = s->cfg.event_points;
        }
    }
    if (rc == 0 && repeated != repeat)
        rc = fail(s, "event %s: the engine took it as %s", source_id ? source_id : "(none)",
                  repeated ? "a repeat" : "new");
    if (rc == 0 && er->points != want)
        rc = fail(s, "event: answered %lld points, the model %lld", (long long)er->points,
                  (long long)want);
    return step_end(s, &st, true, rc);
}

static int op_event(struct sim *s)
{
    int k = (int)pick(s, 0, s->nm - 1);
    const char *name = pick(s, 0, 99) < 85 ? SIM_EVENT_NAME : "visit";
    const char *source_id = NULL;
    if (pick(s, 0, 3) > 0) {
        s->events = grow(s->events, &s->events_cap, s->nevents + 1, sizeof *s->events);
        struct mevent *me = &s->events[s->nevents++];
        me->member = k;
        snprintf(me->source_id, sizeof me->source_id, "e-%zu-%s", s->nevents - 1, name);
        source_id = me->source_id;
    }
    describe(s, "event %s member %d source_id %s", name, k, source_id ? source_id : "(none)");
    return event_drive(s, k, name, source_id, false);
}

static int op_event_repeat(struct sim *s)
{
    if (s->nevents == 0)
        return op_event(s);
    const struct mevent *me = &s->events[pick(s, 0, (int64_t)s->nevents - 1)];
    const char *name = strstr(me->source_id, SIM_EVENT_NAME) ? SIM_EVENT_NAME : "visit";
    describe(s, "event %s member %d again", me->source_id, me->member);
    s->stats[ST_EVENT_REPEAT]++;
    return event_drive(s, me->member, name, me->source_id, true);
}

static int op_settle(struct sim *s, int k);

/* The lots a transfer made for member `k` (its lots from `first` on) tie in consumption
 * order whenever they keep one expiry (never-expiring points, END_OF_MONTH, …): same expiry,
 * same creation. The engine breaks such ties by id, which the model cannot know in advance,
 * so it learns the ids of these lots from the store, matching them by amount, remaining and
 * expiry (lots equal in all three are interchangeable), and puts them in order again. */
static int model_learn_ids(struct sim *s, struct step *st, int k, size_t first)
{
    struct mmember *mm = &s->m[k];
    struct lset *b = &mm->base;
    struct lot *ls;
    size_t n;
    int rc = store_lot_list_open(s->c, SIM_PID, mm->id, &st->a, &ls, &n);
    if (rc < 0)
        return rc;
    size_t made = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lot *l = &ls[i];
        if (l->created_at != s->now)
            continue;
        size_t q = first;
        for (; q < mm->nlots; q++) {
            struct mlot *ml = &b->lots[q];
            if (!ml->id[0] && ml->remaining > 0 && ml->state == l->state &&
                ml->amount == l->amount && ml->remaining == l->remaining &&
                ml->expires_at == l->expires_at && ml->release_at == l->release_at)
                break;
        }
        if (q == mm->nlots)
            return fail(s,
                        "member %d: transfer lot %s (%lld of %lld, expires %lld) is not in "
                        "the model",
                        k, l->id, (long long)l->remaining, (long long)l->amount,
                        (long long)l->expires_at);
        memcpy(b->lots[q].id, l->id, sizeof b->lots[q].id);
        made++;
    }
    size_t open_new = 0;
    for (size_t q = first; q < mm->nlots; q++)
        open_new += b->lots[q].remaining > 0;
    if (made != open_new)
        return fail(s, "member %d: the transfer made %zu open lots, the model %zu", k, made,
                    open_new);
    for (size_t i = 1; i < b->nopen; i++) { /* insertion sort: at most a few out of place */
        size_t v = b->open[i], j = i;
        for (; j > 0 && lot_before(&b->lots[v], &b->lots[b->open[j - 1]]); j--)
            b->open[j] = b->open[j - 1];
        b->open[j] = v;
    }
    for (size_t i = 1; i < b->nopen; i++)
        if (b->lots[b->open[i]].expires_at == b->lots[b->open[i - 1]].expires_at &&
            b->lots[b->open[i]].created_at == s->now &&
            b->lots[b->open[i - 1]].created_at == s->now) {
            s->stats[ST_TRANSFER_TIES]++;
            break;
        }
    return 0;
}

/* A transfer from member `k` to another, of sizes around k's balance: refused (and rolled
 * back, its settling included) when the balance does not cover it, debts allowed or not. */
static int op_transfer(struct sim *s, int k)
{
    if (s->nm < 2)
        return op_settle(s, k);
    int j = (int)pick(s, 0, s->nm - 2);
    j += j >= k;
    struct mmember *mf = &s->m[k], *mt = &s->m[j];
    int64_t balance = model_now(s, mf)->t.balance; /* model_now's answer lasts one call */
    int64_t points = debit_points(s, balance);
    bool ok = max0(balance) >= points;
    describe(s, "transfer member %d -> %d: %lld points (model balances %lld, %lld)", k, j,
             (long long)points, (long long)balance, (long long)model_now(s, mt)->t.balance);
    struct step st;
    struct member_state from, to;
    enum loyalty_result res = LOYALTY_OK;
    int rc = step_begin(s, &st);
    if (rc == 0)
        rc = loyalty_load(&st.lc, mf->id, &from);
    if (rc == 0)
        rc = loyalty_load(&st.lc, mt->id, &to);
    if (rc == 0)
        rc = loyalty_transfer(&st.lc, &from, &to, points, "sim transfer", &res);
    if (rc == 0 && ok != (res == LOYALTY_OK))
        rc = fail(s, "transfer: the engine answered %s, the model %s",
                  res == LOYALTY_OK ? "OK" : "INSUFFICIENT", ok ? "OK" : "INSUFFICIENT");
    if (ok) { /* else the engine undid the whole command, its settling included */
        size_t first = mt->nlots;
        model_load(s, mf);
        model_load(s, mt);
        model_transfer(s, mf, mt, points);
        if (rc == 0)
            rc = model_learn_ids(s, &st, j, first);
    }
    s->stats[ST_TRANSFER] += ok;
    s->stats[ST_TRANSFER_REFUSED] += !ok;
    return step_end(s, &st, res == LOYALTY_OK, rc);
}

static int op_jump(struct sim *s)
{
    int64_t by = pick(s, 0, SIM_JUMP_DAYS_MAX) * DAY + pick(s, 0, DAY - 1);
    s->now += by;
    describe(s, "clock +%lld us (%lld days)", (long long)by, (long long)(by / DAY));
    return 0;
}

/* Jumps to just before, at or just after some lot's release or expiry. */
static int op_jump_due(struct sim *s)
{
    const struct lset *now = model_now(s, &s->m[pick(s, 0, s->nm - 1)]);
    if (now->nopen == 0)
        return op_jump(s);
    const struct mlot *l = &now->lots[now->open[pick(s, 0, (int64_t)now->nopen - 1)]];
    int64_t t = lot_due(l);
    if (!t)
        return op_jump(s);
    int64_t to = t + pick(s, -1, 1);
    if (to > s->now)
        s->now = to;
    s->stats[ST_JUMP_EXACT] += s->now == t;
    describe(s, "clock to %lld (a lot's %s at %lld)", (long long)s->now,
             l->state == LOT_PENDING ? "release" : "expiry", (long long)t);
    return 0;
}

static int op_settle(struct sim *s, int k)
{
    describe(s, "settle member %d", k);
    struct step st;
    struct member_state ms;
    int rc = step_begin(s, &st);
    if (rc == 0)
        rc = loyalty_load(&st.lc, s->m[k].id, &ms);
    model_load(s, &s->m[k]);
    return step_end(s, &st, true, rc);
}

static int op_enroll_again(struct sim *s, int k)
{
    describe(s, "enroll member %d's customer again", k);
    struct step st;
    struct member_state ms;
    struct program p;
    bool created = true;
    enum loyalty_result res = LOYALTY_OK;
    int rc = step_begin(s, &st);
    if (rc == 0)
        rc = load_program(s, &st, &p);
    if (rc == 0)
        rc = loyalty_enroll(&st.lc, &p, s->m[k].customer_id, &ms, &created, &res);
    if (rc == 0 && (created || strcmp(ms.m.id, s->m[k].id) != 0))
        rc = fail(s, "enrolling again made a new member %s", ms.m.id);
    model_load(s, &s->m[k]);
    return step_end(s, &st, true, rc);
}

static int run_op(struct sim *s, enum op_kind kind)
{
    int k = (int)pick(s, 0, s->nm - 1);
    switch (kind) {
    case OP_CREDIT: return op_credit(s, k);
    case OP_DEBIT: return op_debit(s, k);
    case OP_ORDER: return op_order(s);
    case OP_ORDER_REPEAT: return op_order_repeat(s);
    case OP_REFUND: return op_refund(s);
    case OP_CANCEL: return op_cancel(s);
    case OP_EVENT: return op_event(s);
    case OP_EVENT_REPEAT: return op_event_repeat(s);
    case OP_JUMP: return op_jump(s);
    case OP_JUMP_DUE: return op_jump_due(s);
    case OP_SETTLE: return op_settle(s, k);
    case OP_ENROLL_AGAIN: return op_enroll_again(s, k);
    case OP_TRANSFER: return op_transfer(s, k);
    case OP_KINDS: break;
    }
    return 0;
}

static enum op_kind pick_op(struct sim *s)
{
    int64_t total = 0;
    for (int k = 0; k < OP_KINDS; k++)
        total += op_weights[k];
    int64_t r = pick(s, 0, total - 1);
    for (int k = 0; k < OP_KINDS; k++) {
        r -= op_weights[k];
        if (r < 0)
            return (enum op_kind)k;
    }
    return OP_SETTLE;
}

/* ---- checks ---- */

static bool row_matches(const struct member *row, const struct totals *t)
{
    return row->earned == t->earned && row->balance == t->balance && row->pending == t->pending &&
           row->subtracted == t->subtracted && row->expired == t->expired;
}

/* The row against the model at its last write, and its own invariants. */
static int check_row(struct sim *s, int k, const struct member *row)
{
    const struct mmember *mm = &s->m[k];
    if (!row_matches(row, &mm->base.t))
        return fail(s, "member %d: the stored totals differ from the model at its last write", k);
    if (row->earned != row->balance + row->pending + row->subtracted + row->expired)
        return fail(s, "member %d: earned != balance + pending + subtracted + expired", k);
    if ((row->balance < 0 && !s->cfg.allow_negative) || row->pending < 0)
        return fail(s, "member %d: balance %lld / pending %lld below zero", k,
                    (long long)row->balance, (long long)row->pending);
    if (row->next_due_at != mm->base.due)
        return fail(s, "member %d: next_due_at %lld, the model %lld", k,
                    (long long)row->next_due_at, (long long)mm->base.due);
    return 0;
}

/* The open lots as stored (before any settling) against the row. */
static int check_stored_lots(struct sim *s, int k, const struct member *row, const struct lot *ls,
                             size_t n)
{
    int64_t active = 0, pending = 0, due = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lot *l = &ls[i];
        if (l->remaining <= 0 || l->remaining > l->amount ||
            (l->state != LOT_ACTIVE && l->state != LOT_PENDING))
            return fail(s, "member %d: open lot %s is %d with %lld of %lld", k, l->id, l->state,
                        (long long)l->remaining, (long long)l->amount);
        *(l->state == LOT_ACTIVE ? &active : &pending) += l->remaining;
        int64_t t = l->state == LOT_PENDING ? l->release_at : l->expires_at;
        if (t && (!due || t < due))
            due = t;
    }
    if (active != max0(row->balance) || pending != row->pending)
        return fail(s,
                    "member %d: stored lots hold %lld active / %lld pending, the row %lld / %lld",
                    k, (long long)active, (long long)pending, (long long)row->balance,
                    (long long)row->pending);
    if (row->next_due_at != due)
        return fail(s, "member %d: next_due_at %lld, its lots say %lld", k,
                    (long long)row->next_due_at, (long long)due);
    return 0;
}

static int compare_lots(struct sim *s, int k, const struct lset *now, const struct lot *vl,
                        size_t nv)
{
    if (nv != now->nopen)
        return fail(s, "member %d: the view has %zu open lots, the model %zu", k, nv, now->nopen);
    for (size_t i = 0; i < nv; i++) {
        const struct lot *l = &vl[i];
        const struct mlot *ml = &now->lots[now->open[i]];
        if (l->amount != ml->amount || l->remaining != ml->remaining || l->state != ml->state ||
            l->expires_at != ml->expires_at || l->release_at != ml->release_at ||
            l->created_at != ml->created_at)
            return fail(s, "member %d: open lot #%zu (%s) differs from the model's", k, i, l->id);
    }
    return 0;
}

/* The read-side view at now: totals, next expiry and open lots, against the model. */
static int check_view(struct sim *s, struct arena *a, int k, const struct member *row,
                      struct lot **lots, size_t *nlots)
{
    const struct lset *now = model_now(s, &s->m[k]);
    struct member_view v;
    struct lot *vl;
    size_t nv;
    int rc = loyalty_view(s->c, SIM_PID, row, s->now, a, &v, &vl, &nv);
    *lots = vl;
    *nlots = nv;
    if (rc < 0)
        return rc;
    const struct totals *t = &now->t;
    if (v.earned != t->earned || v.balance != t->balance || v.pending != t->pending ||
        v.subtracted != t->subtracted || v.expired != t->expired)
        return fail(s, "member %d: the view's totals at now differ from the model", k);
    int64_t next = 0, next_points = 0;
    for (size_t i = 0; i < now->nopen; i++) {
        const struct mlot *l = &now->lots[now->open[i]];
        if (l->state != LOT_ACTIVE || !l->expires_at)
            continue;
        if (!next || l->expires_at < next) {
            next = l->expires_at;
            next_points = 0;
        }
        if (l->expires_at == next)
            next_points += l->remaining;
    }
    if (v.next_expiry_at != next || v.next_expiry_points != next_points)
        return fail(s, "member %d: next expiry %lld (%lld points), the model %lld (%lld)", k,
                    (long long)v.next_expiry_at, (long long)v.next_expiry_points, (long long)next,
                    (long long)next_points);
    /* The view without lots (member reads) must say the same. */
    struct member_view vq;
    rc = loyalty_view(s->c, SIM_PID, row, s->now, a, &vq, NULL, NULL);
    if (rc < 0)
        return rc;
    if (memcmp(&vq, &v, sizeof v) != 0)
        return fail(s, "member %d: the view without lots differs: balance %lld next expiry %lld "
                       "(%lld points), with lots %lld, %lld (%lld)",
                    k, (long long)vq.balance, (long long)vq.next_expiry_at,
                    (long long)vq.next_expiry_points, (long long)v.balance,
                    (long long)v.next_expiry_at, (long long)v.next_expiry_points);
    return compare_lots(s, k, now, vl, nv);
}

/* Adds the entries written since the last check (newest first, seq contiguous) to the
 * member's running sums. A step writes a few entries at most, so the pages start small. */
static int entries_catch_up(struct sim *s, struct arena *a, int k, int64_t *newest_balance)
{
    struct mmember *mm = &s->m[k];
    int64_t total = 0, expect = -1;
    *newest_balance = 0; /* no entries: nothing was ever credited */
    struct page pg = {.limit = 4};
    for (;; pg.offset += pg.limit, pg.limit = SIM_ENTRY_PAGE) {
        struct entry *es;
        size_t n;
        int rc = store_entry_list(s->c, SIM_PID, mm->id, &pg, a, &es, &n, &total);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n; i++) {
            if (expect < 0) {
                expect = total;
                *newest_balance = es[i].balance_after;
            }
            if (es[i].seq != expect)
                return fail(s, "member %d: entry seq %lld where %lld was due", k,
                            (long long)es[i].seq, (long long)expect);
            if (es[i].seq <= mm->seen_seq) {
                mm->seen_seq = total;
                return 0;
            }
            expect--;
            bool act = strcmp(es[i].type, "POINTS_PENDING_ACTIVATION") == 0;
            *(act ? &mm->sum_activation : &mm->sum_points) += es[i].points;
        }
        if (n < (size_t)pg.limit)
            break;
    }
    if (expect > 0 || mm->seen_seq > 0)
        return fail(s, "member %d: entries end at seq %lld, %lld were seen before", k,
                    (long long)expect + 1, (long long)mm->seen_seq);
    mm->seen_seq = total;
    return 0;
}

/* Σ entries = balance + pending, counting each point once: an activation entry moves
 * points from pending to balance, so those sum to what was released instead. */
static int check_entries(struct sim *s, struct arena *a, int k, const struct member *row)
{
    struct mmember *mm = &s->m[k];
    int64_t newest = 0;
    int rc = entries_catch_up(s, a, k, &newest);
    if (rc != 0)
        return rc;
    if (mm->sum_points != row->balance + row->pending)
        return fail(s, "member %d: Σ entries (activations aside) %lld, balance + pending %lld", k,
                    (long long)mm->sum_points, (long long)(row->balance + row->pending));
    if (mm->sum_activation != mm->base.t.released)
        return fail(s, "member %d: Σ activation entries %lld, the model released %lld", k,
                    (long long)mm->sum_activation, (long long)mm->base.t.released);
    if (newest != row->balance)
        return fail(s, "member %d: newest entry's balance_after %lld, the row's balance %lld", k,
                    (long long)newest, (long long)row->balance);
    return 0;
}

static int check_program(struct sim *s, struct arena *a, const struct member *rows)
{
    struct program p;
    int rc = store_program_get(s->c, SIM_PID, s->program_id, a, &p);
    if (rc < 0)
        return rc;
    int64_t earned = 0, subtracted = 0, expired = 0, held = 0;
    for (int k = 0; k < s->nm; k++) {
        earned += rows[k].earned;
        subtracted += rows[k].subtracted;
        expired += rows[k].expired;
        held += rows[k].balance + rows[k].pending;
    }
    if (p.issued != earned || p.subtracted != subtracted || p.expired != expired ||
        p.issued - p.subtracted - p.expired != held)
        return fail(s,
                    "program accounts issued %lld subtracted %lld expired %lld; members earned "
                    "%lld subtracted %lld expired %lld hold %lld",
                    (long long)p.issued, (long long)p.subtracted, (long long)p.expired,
                    (long long)earned, (long long)subtracted, (long long)expired, (long long)held);
    return 0;
}

/* The model's own bookkeeping, so that a bug of the model is not blamed on the engine. */
static int check_set(struct sim *s, int k, const struct lset *ls, const char *which)
{
    const struct totals *t = &ls->t;
    int64_t active = 0, pending = 0;
    for (size_t i = 0; i < ls->nopen; i++) {
        const struct mlot *l = &ls->lots[ls->open[i]];
        *(l->state == LOT_ACTIVE ? &active : &pending) += l->remaining;
        if (i > 0 && !lot_before(&ls->lots[ls->open[i - 1]], l))
            return fail(s, "model: member %d's open lots (%s) out of order", k, which);
    }
    if (t->earned != t->balance + t->pending + t->subtracted + t->expired ||
        active != max0(t->balance) || pending != t->pending)
        return fail(s, "model: member %d's totals (%s) do not add up", k, which);
    return 0;
}

static int check_model(struct sim *s, int k)
{
    int rc = check_set(s, k, &s->m[k].base, "stored");
    return rc == 0 ? check_set(s, k, model_now(s, &s->m[k]), "now") : rc;
}

/* One member: its row, its view at now, its stored lots and its entries. */
static int check_member(struct sim *s, struct arena *a, int k, const struct member *row)
{
    struct mmember *mm = &s->m[k];
    struct lot *ls;
    size_t n;
    int rc = check_row(s, k, row);
    if (rc == 0)
        rc = check_view(s, a, k, row, &ls, &n);
    /* With nothing due at now (per the row and the model, both checked above), the view
     * changed nothing: its lots are the stored ones. Else read them as stored. */
    if (rc == 0 && row->next_due_at && row->next_due_at <= s->now)
        rc = store_lot_list_open(s->c, SIM_PID, row->id, a, &ls, &n);
    if (rc == 0)
        rc = check_stored_lots(s, k, row, ls, n);
    /* A row not written since the last check has no new entries: the engine writes the
     * row with every entry. (Entries written behind its back still show, at the row's next
     * write and in the recount at the end.) */
    if (rc == 0 && row->updated_at != mm->checked_at)
        rc = check_entries(s, a, k, row);
    if (rc == 0)
        mm->checked_at = row->updated_at;
    return rc;
}

static int check_all(struct sim *s)
{
    struct arena a;
    struct member rows[SIM_CUSTOMERS_MAX];
    arena_init(&a, SIM_ARENA_BYTES_MAX);
    int rc = store_read_begin(s->c);
    if (rc < 0) {
        arena_cleanup(&a);
        return rc;
    }
    for (int k = 0; rc == 0 && k < s->nm; k++) {
        rc = check_model(s, k);
        if (rc == 0)
            rc = store_member_get(s->c, SIM_PID, s->m[k].id, &a, &rows[k]);
        if (rc == 0)
            rc = check_member(s, &a, k, &rows[k]);
    }
    if (rc == 0)
        rc = check_program(s, &a, rows);
    store_read_end(s->c);
    arena_cleanup(&a);
    return rc;
}

/* At the end of a seed: every entry summed again from scratch, so entries that changed
 * after they were first counted are caught too. */
static int check_entries_again(struct sim *s)
{
    int rc = store_read_begin(s->c);
    for (int k = 0; rc == 0 && k < s->nm; k++) {
        struct mmember *mm = &s->m[k];
        int64_t points = 0, act = 0, total = 0, seen = 0;
        for (struct page pg = {.limit = SIM_ENTRY_PAGE}; rc == 0; pg.offset += SIM_ENTRY_PAGE) {
            struct arena a;
            struct entry *es;
            size_t n = 0;
            arena_init(&a, SIM_ARENA_BYTES_MAX);
            rc = store_entry_list(s->c, SIM_PID, mm->id, &pg, &a, &es, &n, &total);
            for (size_t i = 0; rc == 0 && i < n; i++, seen++) {
                bool is_act = strcmp(es[i].type, "POINTS_PENDING_ACTIVATION") == 0;
                *(is_act ? &act : &points) += es[i].points;
                if (es[i].seq != total - seen)
                    rc = fail(s, "member %d: entry seq %lld at position %lld", k,
                              (long long)es[i].seq, (long long)seen);
            }
            arena_cleanup(&a);
            if (n < SIM_ENTRY_PAGE)
                break;
        }
        if (rc == 0 && (points != mm->sum_points || act != mm->sum_activation || seen != total))
            rc = fail(s, "member %d: entries re-summed to %lld / %lld, %lld were counted", k,
                      (long long)points, (long long)act, (long long)mm->sum_points);
    }
    store_read_end(s->c);
    return rc;
}

/* ---- reports ---- */

static const char *lot_state_name(enum lot_state st)
{
    static const char *const names[] = {"PENDING", "ACTIVE", "SPENT", "EXPIRED", "REVERSED"};
    return (unsigned)st < TREU_ARRAY_LEN(names) ? names[st] : "?";
}

static void print_totals(const char *label, int64_t earned, int64_t balance, int64_t pending,
                         int64_t subtracted, int64_t expired)
{
    printf("    %-14s earned %lld balance %lld pending %lld subtracted %lld expired %lld\n", label,
           (long long)earned, (long long)balance, (long long)pending, (long long)subtracted,
           (long long)expired);
}

static void print_lot(const char *who, int64_t amount, int64_t remaining, enum lot_state st,
                      int64_t expires_at, int64_t release_at, int64_t created_at)
{
    printf("      %-6s created %lld amount %lld remaining %lld %-8s expires %lld release %lld\n",
           who, (long long)created_at, (long long)amount, (long long)remaining, lot_state_name(st),
           (long long)expires_at, (long long)release_at);
}

static void dump_engine(struct sim *s, struct arena *a, const struct mmember *mm)
{
    struct member row;
    struct member_view v;
    struct lot *vl = NULL;
    size_t nv = 0;
    if (store_member_get(s->c, SIM_PID, mm->id, a, &row) < 0 ||
        loyalty_view(s->c, SIM_PID, &row, s->now, a, &v, &vl, &nv) < 0) {
        printf("    (could not read the engine's state)\n");
        return;
    }
    print_totals("engine row", row.earned, row.balance, row.pending, row.subtracted, row.expired);
    printf("    %-14s next_due_at %lld\n", "", (long long)row.next_due_at);
    print_totals("engine view", v.earned, v.balance, v.pending, v.subtracted, v.expired);
    printf("    %-14s next expiry %lld (%lld points)\n", "", (long long)v.next_expiry_at,
           (long long)v.next_expiry_points);
    for (size_t i = 0; i < nv; i++)
        print_lot("engine", vl[i].amount, vl[i].remaining, vl[i].state, vl[i].expires_at,
                  vl[i].release_at, vl[i].created_at);
}

static void dump_state(struct sim *s)
{
    const struct config *cf = &s->cfg;
    printf("  config: zone %s, pending %lld days, negative %s, expiry %s %d%s, order rule "
           "%lld per %lld, event %lld points pending %lld, welcome %lld\n",
           cf->zone, (long long)cf->pending_days, cf->allow_negative ? "allowed" : "refused",
           cf->exp == EXP_NONE   ? "never"
           : cf->exp == EXP_DAYS ? "DAY"
                                 : "MONTH",
           cf->exp_value, cf->exp_end_of_month ? " END_OF_MONTH" : "", (long long)cf->per_every,
           (long long)cf->every, (long long)cf->event_points, (long long)cf->event_pending_days,
           (long long)cf->welcome_points);
    char iso[TSTIME_ISO_LEN + 1];
    tstime_format_iso(s->now, iso);
    printf("  now %lld (%s)\n", (long long)s->now, iso);
    struct arena a;
    arena_init(&a, SIM_ARENA_BYTES_MAX);
    for (int k = 0; k < s->nm; k++) {
        const struct mmember *mm = &s->m[k];
        const struct lset *b = &mm->base, *now = model_now(s, mm);
        printf("  member %d %s\n", k, mm->id);
        print_totals("model stored", b->t.earned, b->t.balance, b->t.pending, b->t.subtracted,
                     b->t.expired);
        printf("    %-14s next_due_at %lld, released %lld\n", "", (long long)b->due,
               (long long)b->t.released);
        for (size_t i = 0; i < b->nopen; i++) {
            const struct mlot *l = &b->lots[b->open[i]];
            print_lot("stored", l->amount, l->remaining, l->state, l->expires_at, l->release_at,
                      l->created_at);
        }
        print_totals("model now", now->t.earned, now->t.balance, now->t.pending, now->t.subtracted,
                     now->t.expired);
        for (size_t i = 0; i < now->nopen; i++) {
            const struct mlot *l = &now->lots[now->open[i]];
            print_lot("now", l->amount, l->remaining, l->state, l->expires_at, l->release_at,
                      l->created_at);
        }
        dump_engine(s, &a, mm);
    }
    arena_cleanup(&a);
}

/* ---- a seed ---- */

struct options {
    uint64_t seeds, ops, first, only;
    bool has_only, verbose, stats;
};

static void draw_config(struct sim *s)
{
    struct config *cf = &s->cfg;
    static const int64_t rules[][2] = {{100, 1}, {100, 2}, {250, 3}, {50, 1}};
    cf->zone = pick(s, 0, 1) ? "Europe/Berlin" : "UTC";
    cf->pending_days = pick(s, 0, 1) ? 3 : 0;
    cf->allow_negative = pick(s, 0, 4) == 0;
    int64_t e = pick(s, 0, 99);
    cf->exp = e < 25 ? EXP_NONE : e < 65 ? EXP_DAYS : EXP_MONTHS;
    cf->exp_value = cf->exp == EXP_DAYS ? (int)pick(s, 1, 60) : (int)pick(s, 1, 3);
    cf->exp_end_of_month =
        cf->exp == EXP_MONTHS ? pick(s, 0, 3) > 0 : cf->exp == EXP_DAYS && pick(s, 0, 3) == 0;
    cf->ncustomers = (int)pick(s, 2, SIM_CUSTOMERS_MAX);
    int64_t r = pick(s, 0, 3);
    cf->every = rules[r][0];
    cf->per_every = rules[r][1];
    cf->event_points = pick(s, 1, 200);
    cf->event_pending_days = pick(s, 0, 2) == 0 ? pick(s, 0, 5) : -1;
    cf->welcome_points = pick(s, 0, 1) ? pick(s, 10, 100) : 0;
}

static void expiration_json(const struct config *cf, char *out, size_t size)
{
    if (cf->exp == EXP_NONE) {
        out[0] = '\0';
        return;
    }
    snprintf(out, size,
             "{\"period_type\":\"%s\",\"period_value\":%d,\"rounding_type\":%s,"
             "\"rounding_value\":0}",
             cf->exp == EXP_DAYS ? "DAY" : "MONTH", cf->exp_value,
             cf->exp_end_of_month ? "\"END_OF_MONTH\"" : "null");
}

static int add_rule(struct sim *s, const char *event, const char *body)
{
    struct earning_rule r = {.event = event,
                             .body_json = body,
                             .active = true,
                             .created_at = s->now,
                             .updated_at = s->now};
    ids_make(&s->rng, "ern_", r.id);
    memcpy(r.program_id, s->program_id, sizeof r.program_id);
    return store_rule_insert(s->c, SIM_PID, &r);
}

static int setup_program(struct sim *s, struct program *p, char *exp_json, size_t exp_size)
{
    const struct config *cf = &s->cfg;
    struct project pr = {.id = SIM_PID, .name = "sim", .created_at = s->now};
    int rc = store_project_insert(s->c, &pr);
    expiration_json(cf, exp_json, exp_size);
    *p = (struct program){.name = "Sim Club",
                          .timezone = cf->zone,
                          .active = true,
                          .code_config_json =
                              "{\"pattern\":null,\"charset\":\"" CODES_DEFAULT_CHARSET
                              "\",\"prefix\":null,\"postfix\":null,\"length\":8}",
                          .expiration_json = exp_json[0] ? exp_json : NULL,
                          .pending_days = cf->pending_days,
                          .allow_negative = cf->allow_negative,
                          .created_at = s->now,
                          .updated_at = s->now};
    ids_make(&s->rng, "camp_", p->id);
    memcpy(s->program_id, p->id, sizeof s->program_id);
    if (rc == 0)
        rc = store_program_insert(s->c, SIM_PID, p);
    char body[SIM_TEXT_BYTES_MAX];
    snprintf(body, sizeof body,
             "{\"event\":\"order.paid\",\"loyalty\":{\"type\":\"PROPORTIONAL\",\"calculation_"
             "type\":\"ORDER_AMOUNT\",\"order\":{\"amount\":{\"every\":%lld,\"points\":%lld}}}}",
             (long long)cf->every, (long long)cf->per_every);
    if (rc == 0)
        rc = add_rule(s, "order.paid", body);
    char pending[64] = "null";
    if (cf->event_pending_days >= 0)
        snprintf(pending, sizeof pending, "{\"period_days\":%lld}",
                 (long long)cf->event_pending_days);
    snprintf(body, sizeof body,
             "{\"event\":\"" SIM_EVENT_NAME "\",\"loyalty\":{\"type\":\"FIXED\",\"points\":%lld},"
             "\"pending_points\":%s}",
             (long long)cf->event_points, pending);
    if (rc == 0)
        rc = add_rule(s, SIM_EVENT_NAME, body);
    snprintf(body, sizeof body,
             "{\"event\":\"customer.created\",\"loyalty\":{\"type\":\"FIXED\",\"points\":%lld}}",
             (long long)cf->welcome_points);
    if (rc == 0 && cf->welcome_points > 0)
        rc = add_rule(s, "customer.created", body);
    return rc;
}

static int setup_member(struct sim *s, struct step *st, const struct program *p, int k)
{
    struct mmember *mm = &s->m[k];
    char source[16];
    snprintf(source, sizeof source, "c-%d", k);
    struct customer cu = {.source_id = source, .created_at = s->now, .updated_at = s->now};
    ids_make(&s->rng, "cust_", cu.id);
    memcpy(mm->customer_id, cu.id, sizeof mm->customer_id);
    struct member_state ms;
    bool created = false;
    enum loyalty_result res = LOYALTY_OK;
    int rc = store_customer_insert(s->c, SIM_PID, &cu);
    if (rc == 0)
        rc = loyalty_enroll(&st->lc, p, cu.id, &ms, &created, &res);
    if (rc == 0 && (!created || res != LOYALTY_OK))
        rc = fail(s, "enrolling customer %d did not make a member", k);
    if (rc == 0)
        memcpy(mm->id, ms.m.id, sizeof mm->id);
    if (s->cfg.welcome_points > 0)
        model_credit(s, mm, s->cfg.welcome_points, s->cfg.pending_days);
    return rc;
}

static int setup(struct sim *s)
{
    int rc = zones_get(s->zones, s->cfg.zone, &s->z);
    struct step st;
    struct program p;
    char exp_json[SIM_TEXT_BYTES_MAX];
    if (rc < 0)
        return rc;
    rc = step_begin(s, &st);
    if (rc == 0)
        rc = setup_program(s, &p, exp_json, sizeof exp_json);
    s->nm = s->cfg.ncustomers;
    for (int k = 0; rc == 0 && k < s->nm; k++)
        rc = setup_member(s, &st, &p, k);
    return step_end(s, &st, true, rc);
}

/* Moves the clock on a little before every step: often by microseconds, so steps crowd
 * together, else by up to a few hours. */
static void tick(struct sim *s)
{
    s->now += pick(s, 0, 9) < 3 ? pick(s, 1, 1000) : pick(s, TSTIME_US_PER_S, SIM_STEP_US_MAX);
}

static int run_steps(struct sim *s, long nops, volatile long *op_seen)
{
    int rc = setup(s);
    if (rc == 0)
        rc = check_all(s);
    for (long op = 0; rc == 0 && op < nops; op++) {
        s->op = *op_seen = op;
        tick(s);
        rc = run_op(s, pick_op(s));
        if (rc == 0)
            rc = check_all(s);
    }
    if (rc == 0) {
        s->op = nops; /* the final recount */
        rc = check_entries_again(s);
    }
    return rc;
}

static void sim_cleanup(struct sim *s)
{
    store_conn_free(s->c);
    store_free(s->store);
    for (int k = 0; k < SIM_CUSTOMERS_MAX; k++) {
        free(s->m[k].base.lots);
        free(s->m[k].base.open);
    }
    free(s->now_lots);
    free(s->now_open);
    free(s->orders);
    free(s->events);
}

static void remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[512];
    for (size_t i = 0; i < TREU_ARRAY_LEN(suffixes); i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

/* Where the run is, for the abort handler: an engine ASSERT or a sanitizer report aborts
 * the process, and the seed and step are what one needs to reproduce it. Written only by
 * the main thread. */
static volatile uint64_t sim_current_seed;
static volatile long sim_current_op = -1;

/* Runs one seed; true when every check held. */
/* What every seed shares: zones, and a migrated database to start from. */
struct run {
    struct zones *zones;
    uint64_t stats[ST_KINDS];
    char dir[128];
    char template_path[256];
};

/* Copies a closed SQLite file (migrating a fresh one per seed would cost more than many
 * of its steps). */
static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[64 * 1024];
    size_t n;
    int rc = in && out ? 0 : TREU_EIO;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fwrite(buf, 1, n, out) == n ? 0 : TREU_EIO;
    if (rc == 0 && ferror(in))
        rc = TREU_EIO;
    if (out && fclose(out) != 0)
        rc = TREU_EIO;
    if (in)
        fclose(in);
    return rc;
}

static int make_template(struct run *r)
{
    char url[300];
    snprintf(r->template_path, sizeof r->template_path, "%s/template.db", r->dir);
    snprintf(url, sizeof url, "sqlite:%s", r->template_path);
    struct store *st = NULL;
    int version = 0;
    int rc = store_open(url, &st);
    if (rc == 0)
        rc = store_migrate(st, &version);
    store_free(st); /* the last connection closing folds the WAL into the file */
    return rc;
}

static bool run_seed(struct run *r, uint64_t seed, const struct options *o)
{
    long nops = (long)o->ops;
    struct sim s = {
        .seed = seed, .stats = r->stats, .verbose = o->verbose, .zones = r->zones, .op = -1};
    s.op_state = seed;
    s.id_state = seed ^ UINT64_C(0x5EED5EED5EED5EED);
    s.rng = (struct rng){.fill = splitmix_fill, .ctx = &s.id_state};
    sim_current_seed = seed;
    sim_current_op = -1;
    draw_config(&s);
    /* Somewhere in 2024..2026, so time zones' transitions fall inside the run. */
    s.start = tstime_days_from_civil(2024, 1, 1) * DAY + pick(&s, 0, 3 * 365 * DAY);
    s.now = s.start;
    char path[256], url[300];
    snprintf(path, sizeof path, "%s/seed-%llu.db", r->dir, (unsigned long long)seed);
    snprintf(url, sizeof url, "sqlite:%s", path);
    remove_db(path);
    int version = 0;
    int rc = copy_file(r->template_path, path);
    if (rc == 0)
        rc = store_open(url, &s.store);
    if (rc == 0)
        rc = store_migrate(s.store, &version);
    if (rc == 0)
        rc = store_conn_open(s.store, true, &s.c);
    if (rc == 0)
        rc = run_steps(&s, nops, &sim_current_op);
    if (rc != 0) {
        printf("sim: seed %llu failed at op %ld (%s): %s\n", (unsigned long long)seed, s.op,
               s.op < 0       ? "setup"
               : s.op >= nops ? "the final recount"
                              : s.what,
               rc < 0 ? treu_strerror(rc) : s.why);
        printf("  reproduce: test_sim --seed %llu --ops %ld --verbose\n", (unsigned long long)seed,
               s.op + 1 < nops ? s.op + 1 : nops);
        if (s.c)
            dump_state(&s);
    }
    sim_cleanup(&s);
    remove_db(path);
    return rc == 0;
}

/* ---- the program ---- */

static void put_u64(char *buf, size_t *len, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        buf[(*len)++] = tmp[--n];
}

static void on_abort(int sig)
{
    char buf[160];
    size_t n = 0;
    const char *a = "sim: aborted in seed ", *b = " at op ";
    memcpy(buf, a, strlen(a));
    n += strlen(a);
    put_u64(buf, &n, sim_current_seed);
    memcpy(buf + n, b, strlen(b));
    n += strlen(b);
    long op = sim_current_op;
    if (op < 0)
        buf[n++] = '-';
    else
        put_u64(buf, &n, (uint64_t)op);
    buf[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, n);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0 || strcmp(a, "--stats") == 0) {
            *(a[2] == 's' ? &o->stats : &o->verbose) = true;
            continue;
        }
        if (strcmp(a, "--seeds") == 0)
            ok = parse_u64(v, &o->seeds);
        else if (strcmp(a, "--ops") == 0)
            ok = parse_u64(v, &o->ops) && o->ops <= 10000000;
        else if (strcmp(a, "--first") == 0)
            ok = parse_u64(v, &o->first);
        else if (strcmp(a, "--seed") == 0)
            ok = (o->has_only = parse_u64(v, &o->only));
        else
            ok = false;
        if (!ok) {
            fprintf(stderr, "usage: test_sim [--seeds N] [--ops M] [--first F] [--seed S] "
                            "[--verbose] [--stats]\n");
            return -1;
        }
        i++;
    }
    return 0;
}

static const char *temp_root(void)
{
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return "/tmp";
}

int main(int argc, char **argv)
{
    /* The defaults are what CI runs (scripts/test runs every test_* without arguments):
     * about 35 s in the ASan debug build. Soak with more: --seeds 2000 --ops 2000. */
    struct options o = {.seeds = SIM_SEEDS_DEFAULT, .ops = SIM_OPS_DEFAULT, .first = 1};
    if (parse_options(argc, argv, &o) < 0)
        return 2;
    log_set_level(LOG_ERROR);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGABRT, on_abort);
    struct run r = {0};
    snprintf(r.dir, sizeof r.dir, "%s/treu-sim-XXXXXX", temp_root());
    if (zones_new(SIM_ZONE_DIR, &r.zones) < 0 || !mkdtemp(r.dir) || make_template(&r) < 0) {
        fprintf(stderr, "sim: cannot open %s, make a temporary directory or migrate in it\n",
                SIM_ZONE_DIR);
        remove_db(r.template_path);
        rmdir(r.dir);
        zones_free(r.zones);
        return 2;
    }
    uint64_t first = o.has_only ? o.only : o.first, n = o.has_only ? 1 : o.seeds;
    uint64_t passed = 0, failed = 0;
    for (uint64_t seed = first; seed < first + n; seed++) {
        if (run_seed(&r, seed, &o))
            passed++;
        else
            failed++;
    }
    remove_db(r.template_path);
    rmdir(r.dir);
    zones_free(r.zones);
    for (int k = 0; o.stats && k < ST_KINDS; k++)
        printf("%10llu %s\n", (unsigned long long)r.stats[k], stat_names[k]);
    printf("[==========] %llu seed(s) of %llu ops run.\n", (unsigned long long)n,
           (unsigned long long)o.ops);
    printf("[  PASSED  ] %llu test(s).\n", (unsigned long long)passed);
    if (failed)
        printf("[  FAILED  ] %llu test(s).\n", (unsigned long long)failed);
    printf("%llu passed, %llu failed\n", (unsigned long long)passed, (unsigned long long)failed);
    return failed ? 1 : 0;
}
