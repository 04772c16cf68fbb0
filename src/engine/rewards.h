/* rewards.h - what a member may take from a program's reward catalog, and taking it:
 * eligibility (availability window, conditions over the customer and the member, tier,
 * variant chosen by a customer attribute, per-member limits, stock left, balance),
 * redemption (points debited soonest-expiry first, stock taken, a redemption recorded, all
 * in the caller's command) and its rollback (points back into the lots they came from,
 * stock given back).
 *
 * rewards_check reads only (any thread, any connection); rewards_redeem and
 * rewards_rollback run on the writer thread inside a command's savepoint. A reward's
 * definition is its stored body (struct reward.body_json), validated when it was saved by
 * api/rewards.c; a stored body that no longer parses makes the reward ineligible, never
 * a crash.
 * Errors: negative TREU_E* for storage trouble; business outcomes in enum rewards_result. */
#ifndef TREU_REWARDS_H
#define TREU_REWARDS_H

#include "engine/loyalty.h"

#define REWARDS_VARIANTS_MAX        50  /* options of one reward */
#define REWARDS_VARIANT_BYTES_MAX   255 /* one option's value */
#define REWARDS_RATIO_MAX           INT64_C(1000000000)
#define REWARDS_ORDER_AMOUNT_MAX    INT64_C(1000000000000)
#define REWARDS_PROGRAM_REWARDS_MAX 1000 /* assignments of one program a listing looks at */

/* Outcomes, in the order they are checked: the first that applies is answered. */
enum rewards_result {
    REWARDS_OK,
    REWARDS_NOT_ASSIGNED,    /* the reward is not offered in the member's program */
    REWARDS_INACTIVE,        /* the reward was switched off (active: false) */
    REWARDS_NOT_YET,         /* before its start_date */
    REWARDS_EXPIRED,         /* at or after its expiration_date */
    REWARDS_CAMPAIGN_FAILED, /* CAMPAIGN: its campaign could not issue a voucher */
    REWARDS_NOT_ELIGIBLE,    /* conditions, tiers, or no variant for this member */
    REWARDS_LIMIT_REACHED,   /* the per-member limit for the current period */
    REWARDS_ORDER_REQUIRED,  /* COIN without an order amount */
    REWARDS_POINTS_INVALID,  /* COIN points beyond what the order needs; other types: points
                                differing from the assignment's cost */
    REWARDS_INSUFFICIENT,    /* the balance does not cover the cost */
    REWARDS_MEMBER_CAP,      /* the program's per-member redemption cap for the period */
    REWARDS_BUDGET,          /* the program's redemption budget for the period */
    REWARDS_OUT_OF_STOCK,    /* the variant's or the reward's stock is used up */
};

/* The Voucherify-style error key and a short message for a refusal. */
const char *rewards_result_key(enum rewards_result r);
const char *rewards_result_message(enum rewards_result r);

/* Who is asking, as of now. */
struct reward_subject {
    const struct customer *customer;
    const struct member *m;
    int64_t balance;          /* settled to now */
    const struct tier *tiers; /* the program's tiers */
    size_t ntiers;
    const struct program *p;
};

/* What rewards_check found. Strings point into the arena or the stored body. */
struct reward_check {
    enum rewards_result result;
    char detail[256];         /* for the error's details */
    const char *variant;      /* the chosen option's value; "" without variants */
    const char *variant_json; /* the chosen option as stored ({value, name, product, stock}) */
    int64_t points;           /* the cost (assignment points); 0 for COIN */
    int64_t stock_left;       /* of the variant or the reward, whichever is less; -1 = no limit */
    int64_t exchange_ratio, points_ratio; /* COIN */
};

/* Checks everything but the order-dependent COIN amount, on connection `c` at `now`.
 * `check_balance` false skips the balance (listing without affordable_only). */
TREU_MUST_USE int rewards_check(struct store_conn *c, const char *pid, struct zones *zs,
                                struct arena *a, int64_t now, const struct reward *r,
                                const struct reward_assignment *ra, const struct reward_subject *s,
                                bool check_balance, struct reward_check *out);

struct rewards_redeem_in {
    const char *program_ref; /* NULL: the member's program */
    const char *reward_id;   /* or NULL with assignment_id */
    const char *assignment_id;
    bool has_points;
    int64_t points; /* COIN: points to spend (default: what the order needs) */
    bool has_order;
    int64_t order_amount;
    const char *order_id, *order_source_id;
    const char *metadata_json;
    const char *channel;
};

struct rewards_redeem_out {
    enum rewards_result result;
    char detail[256];
    struct reward reward;
    struct reward_assignment ra;
    struct customer customer;
    struct reward_check check;
    int64_t points;   /* debited */
    int64_t discount; /* COIN: the order's discount, smallest currency unit */
    struct loyalty_move move;
    struct redemption red; /* as inserted */
    bool issued;           /* CAMPAIGN: voucher is the one issued to the member */
    struct voucher voucher;
};

/* COIN: the points `in` spends (in->points, or what the order needs capped by `balance`)
 * and the discount they buy on in->order_amount, from ck's ratios. Pure; refusals are
 * REWARDS_ORDER_REQUIRED, REWARDS_POINTS_INVALID or REWARDS_INSUFFICIENT with `detail`.
 * rewards_redeem uses it; qualifications use it to say what a card's points are worth. */
enum rewards_result rewards_coin_amount(const struct rewards_redeem_in *in,
                                        const struct reward_check *ck, int64_t balance,
                                        int64_t *points, int64_t *discount, char *detail,
                                        size_t size);

/* Renders the answer for a redemption or rollback; the result is stored as the
 * redemption's body. Returns arena text, NULL when out of memory. */
typedef const char *(*rewards_render_fn)(void *ctx, const struct member_state *ms,
                                         const struct rewards_redeem_out *o);

/* Redeems a reward for the loaded member `ms`: checks (rewards_check's order, then the
 * COIN amount; the balance must cover the cost even where the program allows negative
 * balances), takes the variant's and the reward's stock, debits the points as one
 * POINTS_REDEMPTION entry, and inserts redemption "r_…" (status SUCCEEDED, fulfilment
 * PENDING for MATERIAL and CUSTOM) with `render`'s text as its body. On a refusal nothing
 * is written by this function, but the caller must still answer >= 400 so the savepoint
 * drops anything earlier in the command. */
TREU_MUST_USE int rewards_redeem(const struct loyalty_ctx *lc, struct member_state *ms,
                                 const struct rewards_redeem_in *in, rewards_render_fn render,
                                 void *render_ctx, struct rewards_redeem_out *out);

enum rewards_rollback_result {
    REWARDS_ROLLBACK_OK,
    REWARDS_ROLLBACK_NOT_FOUND,    /* no such redemption of a reward in this project */
    REWARDS_ROLLBACK_NOT_REWARD,   /* a voucher redemption or a rollback: not ours */
    REWARDS_ROLLBACK_ALREADY,      /* already rolled back (or failed) */
    REWARDS_ROLLBACK_VOUCHER_USED, /* CAMPAIGN: the issued voucher was redeemed already */
};

struct rewards_rollback_out {
    enum rewards_rollback_result result;
    struct redemption original;  /* after the update: ROLLED_BACK */
    struct rewards_redeem_out r; /* r.red is the rollback "rr_…"; r.move its entry */
    struct member_state ms;
};

/* Rolls back reward redemption `redemption_id`: returns its points with loyalty_restore
 * (entry POINTS_REDEMPTION_ROLLBACK), gives back the stock it took (when the reward still
 * exists), marks it ROLLED_BACK (fulfilment CANCELLED) and inserts rollback "rr_…"
 * (kind rollback, rollback_of naming it). */
TREU_MUST_USE int rewards_rollback(const struct loyalty_ctx *lc, const char *redemption_id,
                                   const char *reason, rewards_render_fn render, void *render_ctx,
                                   struct rewards_rollback_out *out);

#endif
