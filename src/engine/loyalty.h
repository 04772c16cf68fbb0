/* loyalty.h - members and the points ledger: enrolment, credits, debits, pending release
 * and expiry, and earning-rule evaluation. Runs on the writer thread inside a command's
 * savepoint; reads use member_view on any thread.
 *
 * The ledger (DESIGN.md "The ledger"): every credit creates a lot; debits consume active
 * lots soonest-expiry first and record which lots they drew from; every movement is an
 * immutable entry with a type, a reason and what caused it; the program's accounts
 * (issued, subtracted, expired) move with every entry. Invariants, asserted after every
 * change: balance = Σ remaining of active lots (less any allowed debt), pending = Σ
 * remaining of pending lots, earned = balance + pending + subtracted + expired, and the
 * program's issued − subtracted − expired = Σ members' balance + pending.
 *
 * Errors: negative TREU_E* for storage trouble; business outcomes in enum loyalty_result. */
#ifndef TREU_LOYALTY_H
#define TREU_LOYALTY_H

#include "engine/writer.h"
#include "engine/zones.h"

#include <cjson/cJSON.h>

#define LOYALTY_POINTS_MAX                                                                         \
    INT64_C(1000000000000) /* one movement; totals stay far from overflow                          \
                            */
#define LOYALTY_REASON_BYTES_MAX        255
#define LOYALTY_ENTRIES_PER_TRIGGER_MAX 64 /* entries one order or event may produce */
#define LOYALTY_CODE_TRIES              16 /* card-code collisions tolerated before giving up */

enum loyalty_result {
    LOYALTY_OK,
    LOYALTY_INSUFFICIENT,   /* not enough active points; nothing was written */
    LOYALTY_CODE_EXHAUSTED, /* no free card code after LOYALTY_CODE_TRIES */
};

/* A member with its open lots, settled to the command's instant. */
struct member_state {
    struct member m;
    struct lot *lots; /* open lots, soonest expiry first; see lots_loaded */
    size_t nlots;
    bool lots_loaded;   /* lots holds every open lot; else only those this command created */
    size_t lots_cap;    /* room in lots before it must grow (0: as loaded, no spare) */
    int64_t seq;        /* last entry seq */
    struct program p;   /* the member's program */
    struct tier *tiers; /* the program's tiers, by points_from */
    size_t ntiers;
    bool tier_changed;           /* this command moved the member into another tier */
    bool tier_event_done;        /* customer.loyalty.tier.joined already ran in this command */
    char tier_left[IDS_MAX_LEN]; /* the tier this command moved the member out of, "" none */
    bool tier_left_done;         /* customer.loyalty.tier.left already ran in this command */
    bool deferred;               /* credits skip the member and account writes until flushed */
    int64_t deferred_issued;     /* points credited since the last flush */
    int64_t expiry_for;          /* credits made at this instant in expiry_program */
    char expiry_program[IDS_MAX_LEN];
    int64_t expiry_at;      /* expire at this instant (0 = never) */
    int64_t posted_balance; /* balance and pending as of the last entry's postings */
    int64_t posted_pending;
};

/* What one credit or debit did, for answers. */
struct loyalty_move {
    struct entry e;
};

/* Everything the writer-side loyalty code needs. */
struct loyalty_ctx {
    const struct writer_tx *tx;
    struct zones *zones;
    const char *pid;
    struct arena *a;
};

/* Loads a member (by id or card code) with its open lots and applies every pending release
 * and expiry due at tx->now_us, writing their entries. TREU_ENOTFOUND if unknown. */
TREU_MUST_USE int loyalty_load(const struct loyalty_ctx *lc, const char *member_ref,
                               struct member_state *ms);

/* Loads every open lot of the member unless this command did already. Credits never need
 * them (a credit appends a lot); debits, settling, transfers, reversals and answers that
 * show the next expiry do, and call this first. */
TREU_MUST_USE int loyalty_lots(const struct loyalty_ctx *lc, struct member_state *ms);

/* Enrols `customer_id` in `program` (returns the existing member when already enrolled:
 * *created false), then runs the program's customer.created rules for a new member. */
TREU_MUST_USE int loyalty_enroll(const struct loyalty_ctx *lc, const struct program *program,
                                 const char *customer_id, struct member_state *ms, bool *created,
                                 enum loyalty_result *res);

/* Credits `points` (> 0) as a new lot, pending for `pending_days` when > 0, expiring by the
 * program's policy. `type` is the entry type (POINTS_ADDITION, POINTS_ACCRUAL). The
 * entry's references (rule, order, event, reason) come from *tmpl; the rest is filled. */
TREU_MUST_USE int loyalty_credit(const struct loyalty_ctx *lc, const struct program *program,
                                 struct member_state *ms, int64_t points, int64_t pending_days,
                                 const char *type, const struct entry *tmpl,
                                 struct loyalty_move *out);

/* Debits `points` (> 0) from active lots, soonest expiry first. Without enough balance:
 * LOYALTY_INSUFFICIENT and nothing written, unless the program allows negative balances. */
TREU_MUST_USE int loyalty_debit(const struct loyalty_ctx *lc, const struct program *program,
                                struct member_state *ms, int64_t points, const char *type,
                                const struct entry *tmpl, struct loyalty_move *out,
                                enum loyalty_result *res);

/* Moves `points` (> 0) from `from` to `to` (same program): taken from `from`'s active lots
 * soonest expiry first, and credited to `to` as lots that keep each source lot's expiry.
 * LOYALTY_INSUFFICIENT (nothing written) when `from` has fewer active points, whatever the
 * negative-balance policy: a transfer never creates a debt. */
TREU_MUST_USE int loyalty_transfer(const struct loyalty_ctx *lc, struct member_state *from,
                                   struct member_state *to, int64_t points, const char *reason,
                                   enum loyalty_result *res);

/* What triggered earning. */
enum trigger_kind {
    TRIGGER_ORDER_PAID,
    TRIGGER_EVENT,
    TRIGGER_ENROLLED,
    TRIGGER_TIER_JOINED,
    TRIGGER_TIER_LEFT,
};

struct trigger {
    enum trigger_kind kind;
    const char *event_name; /* TRIGGER_EVENT */
    const char *event_id;
    const cJSON *event_metadata; /* object or NULL */
    const struct order *order;   /* TRIGGER_ORDER_PAID */
    const struct customer *customer;
};

struct earn_result {
    struct entry entries[LOYALTY_ENTRIES_PER_TRIGGER_MAX];
    size_t n;
    int64_t points;
};

/* Runs the matching active earning rules of every program the customer is a member of
 * (or only `only_program` when not NULL) and credits what they award. */
TREU_MUST_USE int loyalty_earn(const struct loyalty_ctx *lc, const struct trigger *t,
                               const struct program *only_program, struct member_state *only_ms,
                               struct earn_result *out);

/* Takes back what order `o` earned beyond what it would earn at `new_amount` (`cancel`:
 * everything), in every program the customer belongs to, rule by rule: from the lots
 * those accruals created, pending remainders first, then active ones. Points already spent
 * cannot be taken back: they are recorded as the entry's shortfall, and the balance never
 * goes below zero because of a refund. Repeating a refund takes nothing twice. */
TREU_MUST_USE int loyalty_reverse_order(const struct loyalty_ctx *lc, const struct order *o,
                                        int64_t new_amount, bool cancel, struct earn_result *out);

/* Entries whose rule_id starts with this are referral bonuses (the referral's id), not
 * earning rules: a refund takes them back only when the order is canceled or refunded in
 * full. */
#define LOYALTY_REFERRAL_PREFIX "ref_"

/* Like loyalty_reverse_order for the card of `customer_id` in `program_id` only: what the
 * order earned someone other than its customer (a referrer's bonus). */
TREU_MUST_USE int loyalty_reverse_order_card(const struct loyalty_ctx *lc, const char *program_id,
                                             const char *customer_id, const struct order *o,
                                             int64_t new_amount, bool cancel,
                                             struct earn_result *out);

/* The member as a reader sees it at `now`: totals with every due release and expiry
 * applied in memory (nothing is written). Also the next expiry (instant and points).
 * With lots NULL the open lots are not returned, and are read only when something fell
 * due since the last write (the common case reads one expiry group, not every lot). */
struct member_view {
    int64_t earned, balance, pending, subtracted, expired;
    int64_t next_expiry_at, next_expiry_points;
};
TREU_MUST_USE int loyalty_view(struct store_conn *c, const char *pid, const struct member *m,
                               int64_t now, struct arena *a, struct member_view *v,
                               struct lot **lots, size_t *nlots);

/* Runs the customer.loyalty.tier.joined / .left rules for a tier move this command made
 * outside an earning request (a refund, a transfer, a removal, the scheduler), once. */
TREU_MUST_USE int loyalty_tier_rules(const struct loyalty_ctx *lc, struct member_state *ms);

/* The tier a qualification value falls in (NULL = none); tiers sorted by points_from. */
const struct tier *loyalty_tier_for(const struct tier *tiers, size_t n, int64_t value);

/* Computes when points earned at `earned_at` expire under the program's expiration
 * rules JSON (NULL = never → 0), in its time zone. */
TREU_MUST_USE int loyalty_expiry_at(struct zones *zs, const struct program *p, int64_t earned_at,
                                    int64_t *expires_at);

/* Gives back what debit entry `debit` (of this member, points < 0) took, as one entry of
 * `type` with +points and the references in *tmpl: each take returns to the lot it came
 * from while that lot is still good (active or spent, its expiry not passed); otherwise to
 * a fresh lot that keeps the original expiry. A fresh lot whose expiry has already passed
 * expires in the same command (a POINTS_EXPIRATION entry follows): the member regains
 * nothing they would have lost anyway. Moves the program's subtracted account back; the
 * caller runs loyalty_tier_rules. TREU_EINVAL when the entry's lots list is unreadable. */
TREU_MUST_USE int loyalty_restore(const struct loyalty_ctx *lc, struct member_state *ms,
                                  const struct entry *debit, const char *type,
                                  const struct entry *tmpl, struct loyalty_move *out);

#endif
