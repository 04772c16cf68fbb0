/* store.h - the only door to persistent data. Nothing outside store/ speaks SQL.
 * A struct store is one database (SQLite file today, PostgreSQL later); a struct
 * store_conn is one connection to it, used by one thread at a time: the engine's writer
 * owns the only write connection in a process, request threads borrow read-only ones.
 * Backends implement struct store_ops; everything here dispatches through it, so a new
 * backend is a new file, not a rewrite.
 * Errors: 0 or a negative TREU_E*; TREU_ENOTFOUND and TREU_ECONFLICT are outcomes the
 * caller is expected to handle. Strings read back are allocated in the caller's arena. */
#ifndef TREU_STORE_H
#define TREU_STORE_H

#include "core/arena.h"
#include "core/ids.h"

#include <stdbool.h>

#define STORE_HASH_BYTES 32

struct project {
    char id[IDS_MAX_LEN];
    const char *name;
    int64_t created_at;
};

enum key_kind { KEY_SERVER = 0, KEY_CLIENT = 1 };

struct api_key {
    char app_id[IDS_MAX_LEN];
    char project_id[IDS_MAX_LEN];
    enum key_kind kind;
    unsigned char token_hash[STORE_HASH_BYTES];
    const char *name;
    int64_t created_at;
    int64_t revoked_at; /* 0 while valid */
};

/* A customer as stored. JSON-valued fields hold compact JSON text (or NULL). */
struct customer {
    char id[IDS_MAX_LEN];
    const char *source_id;
    const char *name;
    const char *description;
    const char *email;
    const char *phone;
    const char *birthdate; /* "YYYY-MM-DD" */
    const char *timezone;
    const char *address_json;
    const char *metadata_json;
    const char *consents_json;
    int64_t created_at;
    int64_t updated_at;
};

struct customer_query {
    const char *email;          /* exact match, or NULL */
    int64_t created_after;      /* exclusive bound, 0 = none */
    int64_t created_before;     /* exclusive bound, 0 = none */
    bool ascending;             /* by created_at, then id */
    const char *starting_after; /* customer id, or NULL */
    int limit;                  /* 1..100 */
    int64_t offset;             /* rows to skip; ignored with starting_after */
};

/* The stored answer to an idempotent request. */
struct idem_record {
    unsigned char request_hash[STORE_HASH_BYTES];
    const char *request; /* the request body as received, for naming a differing field */
    size_t request_len;
    int status;
    const char *response;
    size_t response_len;
    int64_t created_at;
};

/* A loyalty program (a campaign of type LOYALTY_PROGRAM). */
struct program {
    char id[IDS_MAX_LEN];
    const char *name;
    const char *description;
    const char *timezone;
    const char *code_config_json; /* {"pattern", "charset", "prefix", "postfix", "length"} */
    const char *expiration_json;  /* expiration_rules object, or NULL = never */
    int64_t pending_days;
    bool allow_negative;
    int64_t start_date, expiration_date; /* 0 = none */
    bool active;
    const char *metadata_json;
    int64_t issued, subtracted, expired; /* program accounts: totals over all members */
    const char *tier_qualification_json; /* how members qualify for tiers; NULL = BALANCE */
    const char *limits_json; /* budget and per-member caps (engine/limits.h), NULL = none */
    int64_t created_at, updated_at;
};

/* A member: one customer's card in one program, with its materialized totals. */
struct member {
    char id[IDS_MAX_LEN];
    char program_id[IDS_MAX_LEN];
    char customer_id[IDS_MAX_LEN];
    const char *code;
    const char *metadata_json;
    int64_t earned, balance, pending, subtracted, expired;
    int64_t next_due_at;       /* earliest pending release or expiry among open lots, 0 = none */
    char tier_id[IDS_MAX_LEN]; /* "" = no tier */
    int64_t tier_since;
    int64_t created_at, updated_at;
};

/* A tier of a program: members whose qualification value is in [points_from, points_to]
 * hold it. Multipliers are percentages (200 = double), exact in integers. */
struct tier {
    char id[IDS_MAX_LEN];
    char program_id[IDS_MAX_LEN];
    const char *name;
    int64_t points_from;
    int64_t points_to; /* INT64_MAX = no upper bound */
    int64_t multiplier;
    const char *rule_multipliers_json; /* {"ern_…": 300, …} or NULL */
    const char *metadata_json;
    int64_t created_at, updated_at;
};

enum lot_state {
    LOT_PENDING = 0,
    LOT_ACTIVE = 1,
    LOT_SPENT = 2,
    LOT_EXPIRED = 3,
    LOT_REVERSED = 4
};

/* A lot of points: what one credit created, and what is left of it. */
struct lot {
    char id[IDS_MAX_LEN];
    int64_t amount, remaining;
    enum lot_state state;
    int64_t expires_at; /* 0 = never */
    int64_t release_at; /* pending until then; 0 = none */
    char entry_id[IDS_MAX_LEN];
    const char *rule_id;
    int64_t created_at;
};

/* An immutable ledger entry. */
struct entry {
    char id[IDS_MAX_LEN];
    char member_id[IDS_MAX_LEN];
    int64_t seq; /* per member, from 1 */
    char program_id[IDS_MAX_LEN];
    const char *type;
    int64_t points, balance_after;
    const char *reason, *rule_id, *order_id, *order_source_id, *event_id, *event_name;
    const char *lots_json;     /* [{"id": "lopb_…", "points": -20}, …] */
    int64_t shortfall;         /* reversals: points that could not be reclaimed (already spent) */
    const char *postings_json; /* [{"account": "member.available", "amount": 50}, …], sum 0 */
    int64_t created_at;
};

struct earning_rule {
    char id[IDS_MAX_LEN];
    char program_id[IDS_MAX_LEN];
    const char *event;
    const char *body_json; /* the rule as accepted, canonical */
    bool active;
    int64_t created_at, updated_at;
};

struct order {
    char id[IDS_MAX_LEN];
    const char *source_id;
    const char *customer_id;
    const char *status;
    int64_t amount;
    const char *items_json, *metadata_json;
    int64_t earned_at; /* when its PAID status was processed for loyalty, 0 = not yet */
    int64_t created_at, updated_at;
};

struct event {
    char id[IDS_MAX_LEN];
    const char *name;
    char customer_id[IDS_MAX_LEN];
    const char *source_id;
    const char *metadata_json;
    const char *result_json; /* the loyalty outcome, as answered */
    int64_t created_at;
};

/* A reward in the catalog. body_json holds the rest as accepted, canonical: parameters,
 * attributes, metadata, variants, eligibility, availability and limits. */
struct reward {
    char id[IDS_MAX_LEN];
    const char *name;
    const char *type; /* COIN, CAMPAIGN, MATERIAL, CUSTOM */
    const char *body_json;
    bool active;
    int64_t created_at, updated_at;
};

/* What is left of a reward (variant "") or of one of its variants. */
struct reward_stock {
    const char *variant;
    bool limited; /* false: no stock limit */
    int64_t stock, redeemed;
};

/* A reward offered in a loyalty program at a points cost. */
struct reward_assignment {
    char id[IDS_MAX_LEN];
    char reward_id[IDS_MAX_LEN];
    char program_id[IDS_MAX_LEN];
    bool has_points;
    int64_t points;
    const char *body_json; /* validation_rules and the like, or NULL */
    int64_t created_at, updated_at;
};

/* A discount, gift or referral campaign. body_json holds the voucher template (discount
 * or gift, code_config, redemption limits, validity, validation rules, referral settings,
 * metadata, description) as accepted. */
struct campaign {
    char id[IDS_MAX_LEN];
    const char *name;
    const char *type; /* DISCOUNT_COUPONS, GIFT_VOUCHERS, REFERRAL_PROGRAM */
    const char *body_json;
    bool active;
    int64_t vouchers_count;
    bool has_budget;
    int64_t budget, budget_used;
    int64_t created_at, updated_at;
};

/* A voucher: a code that can be validated and redeemed. A campaign's vouchers keep body_json
 * NULL and follow the campaign's template; standalone vouchers carry their own. */
struct voucher {
    char id[IDS_MAX_LEN];
    const char *code;
    const char *campaign_id; /* NULL = standalone */
    const char *type;        /* DISCOUNT_VOUCHER, GIFT_VOUCHER */
    const char *body_json;
    bool active;
    int64_t start_date, expiration_date; /* 0 = none */
    bool has_quantity;
    int64_t quantity, redeemed;
    bool is_gift;
    int64_t gift_amount, gift_balance;
    const char *holder_id;   /* the customer it was published to, or NULL */
    const char *referrer_id; /* referral codes: the customer who refers */
    const char *metadata_json;
    int64_t created_at, updated_at;
};

struct publication {
    char id[IDS_MAX_LEN];
    char voucher_id[IDS_MAX_LEN];
    const char *campaign_id;
    char customer_id[IDS_MAX_LEN];
    const char *source_id;
    const char *channel;
    const char *metadata_json;
    int64_t created_at;
};

/* A redemption of a voucher or a reward, or the rollback of one (kind "rollback",
 * rollback_of naming it). body_json is the answer as rendered when it happened. */
struct redemption {
    char id[IDS_MAX_LEN];
    const char *kind;   /* voucher, reward, rollback */
    const char *status; /* SUCCEEDED, FAILED, ROLLED_BACK */
    const char *customer_id;
    const char *voucher_id;
    const char *campaign_id;
    const char *member_id;
    const char *reward_id;
    const char *assignment_id;
    const char *variant;
    const char *order_id;
    int64_t amount; /* discount or gift credit in the smallest currency unit */
    int64_t points; /* points debited (a reward) or returned (its rollback) */
    const char *entry_id;
    const char *issued_voucher_id; /* CAMPAIGN rewards: the voucher issued */
    const char *fulfilment;        /* MATERIAL rewards: PENDING, SHIPPED, DELIVERED, CANCELLED */
    const char *parent_id;         /* stackable redemptions: the parent */
    const char *rollback_of;
    const char *rollback_id;
    const char *channel;
    const char *body_json;
    int64_t created_at, updated_at;
};

struct redemption_query {
    const char *customer_id; /* NULL = any */
    const char *voucher_id;  /* NULL = any */
    const char *campaign_id; /* NULL = any */
    const char *parent_id;   /* NULL = any */
    const char *kind;        /* NULL = any */
};

struct referral {
    char id[IDS_MAX_LEN];
    char campaign_id[IDS_MAX_LEN];
    char voucher_id[IDS_MAX_LEN];
    char referrer_id[IDS_MAX_LEN];
    char referee_id[IDS_MAX_LEN];
    const char *status; /* PENDING, COMPLETED, REVERSED */
    int64_t orders_rewarded;
    int64_t created_at, updated_at;
};

/* A webhook endpoint. events holds the subscribed event types joined by commas ("*" =
 * every type); the secret signs deliveries (hex). */
struct webhook {
    char id[IDS_MAX_LEN];
    const char *url;
    const char *events;
    const char *description;
    bool active;
    const char *secret;
    int64_t created_at, updated_at;
};

/* An event in the outbox: body is the exact JSON text every delivery sends and signs. */
struct webhook_event {
    char id[IDS_MAX_LEN];
    const char *type;
    const char *body;
    int64_t created_at;
};

/* One event to one endpoint. status: PENDING, DELIVERED, FAILED. Deliveries of one
 * endpoint are sent in seq order (seq grows with every insert). */
struct webhook_delivery {
    char id[IDS_MAX_LEN];
    char project_id[IDS_MAX_LEN];
    char webhook_id[IDS_MAX_LEN];
    char event_id[IDS_MAX_LEN];
    int64_t seq;
    const char *event_type;
    const char *status;
    int64_t attempts;
    int64_t next_attempt_at;  /* PENDING only, else 0 */
    int64_t retry_from;       /* start of the retry window (queued or redelivered) */
    int64_t last_status_code; /* 0 = no HTTP answer yet */
    const char *last_error;
    int64_t created_at, updated_at;
    /* Filled by store_webhook_delivery_heads only: what the sender needs. */
    const char *url, *secret, *body;
};

/* One attempt to deliver. */
struct webhook_attempt {
    int64_t n; /* 1, 2, ... per delivery */
    int64_t at;
    int64_t duration_us;
    int64_t status_code; /* 0 = no HTTP answer */
    const char *error;   /* NULL on success */
};

/* A page request for simple lists: newest first. */
struct page {
    int limit; /* 1..100 */
    int64_t offset;
};

struct store;
struct store_conn;

/* Opens the database named by `url` ("sqlite:PATH"), creating the file if missing.
 * Does not migrate. On failure *out is NULL and a message went to the log. */
TREU_MUST_USE int store_open(const char *url, struct store **out);

/* Closes the database. All connections must be closed first. NULL-safe. */
void store_free(struct store *s);

/* Brings the schema to the newest version, one numbered migration per transaction.
 * Safe to run concurrently from several processes. *version gets the version reached. */
TREU_MUST_USE int store_migrate(struct store *s, int *version);

/* Opens a connection; `writer` selects read-write, else read-only. */
TREU_MUST_USE int store_conn_open(struct store *s, bool writer, struct store_conn **out);
void store_conn_free(struct store_conn *c);

/* Transactions on a write connection. begin takes the write lock at once. */
TREU_MUST_USE int store_begin(struct store_conn *c);
TREU_MUST_USE int store_commit(struct store_conn *c);
void store_rollback(struct store_conn *c);
/* A savepoint around one command inside a batch transaction. */
TREU_MUST_USE int store_savepoint(struct store_conn *c);
TREU_MUST_USE int store_savepoint_release(struct store_conn *c);
/* Undoes the command's writes but keeps the savepoint open (more may follow). */
TREU_MUST_USE int store_savepoint_undo(struct store_conn *c);
/* Undoes the command's writes and closes the savepoint. */
void store_savepoint_rollback(struct store_conn *c);

/* Read transactions: a consistent snapshot across several queries. */
TREU_MUST_USE int store_read_begin(struct store_conn *c);
void store_read_end(struct store_conn *c);

TREU_MUST_USE int store_project_insert(struct store_conn *c, const struct project *p);
TREU_MUST_USE int store_project_get(struct store_conn *c, const char *id, struct arena *a,
                                    struct project *out);

TREU_MUST_USE int store_key_insert(struct store_conn *c, const struct api_key *k);
/* TREU_ENOTFOUND when no key has this app id (revoked keys are returned). */
TREU_MUST_USE int store_key_get(struct store_conn *c, const char *app_id, struct arena *a,
                                struct api_key *out);
/* The key whose token hashes to `hash` (STORE_HASH_BYTES), revoked or not; TREU_ENOTFOUND
 * when none. For callers that are given only a token (Segment-style write keys). */
TREU_MUST_USE int store_key_get_by_hash(struct store_conn *c, const unsigned char *hash,
                                        struct arena *a, struct api_key *out);
/* All keys, or those of one project when project_id is not NULL, oldest first. */
TREU_MUST_USE int store_key_list(struct store_conn *c, const char *project_id, struct arena *a,
                                 struct api_key **out, size_t *n);
/* TREU_ENOTFOUND when there is no such unrevoked key. */
TREU_MUST_USE int store_key_revoke(struct store_conn *c, const char *app_id, int64_t now);

/* TREU_ECONFLICT when the source_id is taken in this project. */
TREU_MUST_USE int store_customer_insert(struct store_conn *c, const char *project_id,
                                        const struct customer *cu);
/* Replaces every field but id and created_at. TREU_ENOTFOUND, TREU_ECONFLICT. */
TREU_MUST_USE int store_customer_update(struct store_conn *c, const char *project_id,
                                        const struct customer *cu);
TREU_MUST_USE int store_customer_get(struct store_conn *c, const char *project_id, const char *id,
                                     struct arena *a, struct customer *out);
TREU_MUST_USE int store_customer_get_by_source(struct store_conn *c, const char *project_id,
                                               const char *source_id, struct arena *a,
                                               struct customer *out);
TREU_MUST_USE int store_customer_delete(struct store_conn *c, const char *project_id,
                                        const char *id);
/* One page of customers; *total counts all that match the filters (not the cursor).
 * TREU_ENOTFOUND when starting_after names no customer of this project. */
TREU_MUST_USE int store_customer_list(struct store_conn *c, const char *project_id,
                                      const struct customer_query *q, struct arena *a,
                                      struct customer **out, size_t *n, int64_t *total,
                                      bool *has_more);

/* TREU_ENOTFOUND when the key was never used in this project. */
TREU_MUST_USE int store_idem_get(struct store_conn *c, const char *project_id, const char *key,
                                 struct arena *a, struct idem_record *out);
TREU_MUST_USE int store_idem_put(struct store_conn *c, const char *project_id, const char *key,
                                 const struct idem_record *r);
/* Deletes at most `max` stored answers made before `before` (all projects); *deleted gets
 * how many went. */
TREU_MUST_USE int store_idem_purge(struct store_conn *c, int64_t before, int64_t max,
                                   int64_t *deleted);

/* Loyalty. Lists fill *out (arena) and *n, and *total when not NULL. Gets answer
 * TREU_ENOTFOUND; inserts TREU_ECONFLICT on a taken unique key. */
TREU_MUST_USE int store_program_insert(struct store_conn *c, const char *pid,
                                       const struct program *p);
TREU_MUST_USE int store_program_update(struct store_conn *c, const char *pid,
                                       const struct program *p);
/* By id, or by name when the id is not found. */
TREU_MUST_USE int store_program_get(struct store_conn *c, const char *pid, const char *ref,
                                    struct arena *a, struct program *out);
TREU_MUST_USE int store_program_list(struct store_conn *c, const char *pid, const struct page *pg,
                                     struct arena *a, struct program **out, size_t *n,
                                     int64_t *total);
TREU_MUST_USE int store_program_delete(struct store_conn *c, const char *pid, const char *id);
/* Adds to the program accounts. */
TREU_MUST_USE int store_program_account(struct store_conn *c, const char *pid, const char *id,
                                        int64_t issued, int64_t subtracted, int64_t expired);

TREU_MUST_USE int store_member_insert(struct store_conn *c, const char *pid,
                                      const struct member *m);
/* Writes totals, next_due_at and updated_at. */
TREU_MUST_USE int store_member_update(struct store_conn *c, const char *pid,
                                      const struct member *m);
/* By member id, or by card code when the id is not found. */
TREU_MUST_USE int store_member_get(struct store_conn *c, const char *pid, const char *ref,
                                   struct arena *a, struct member *out);
TREU_MUST_USE int store_member_get_by_customer(struct store_conn *c, const char *pid,
                                               const char *program_id, const char *customer_id,
                                               struct arena *a, struct member *out);
TREU_MUST_USE int store_member_list(struct store_conn *c, const char *pid, const char *program_id,
                                    const struct page *pg, struct arena *a, struct member **out,
                                    size_t *n, int64_t *total);
/* Every card of one customer (all programs), at most 100. */
TREU_MUST_USE int store_member_list_by_customer(struct store_conn *c, const char *pid,
                                                const char *customer_id, struct arena *a,
                                                struct member **out, size_t *n);
TREU_MUST_USE int store_member_count(struct store_conn *c, const char *pid, const char *program_id,
                                     int64_t *count);

/* A member whose pending release or expiry has come (for the scheduler; across projects). */
struct due_member {
    char project_id[IDS_MAX_LEN];
    char member_id[IDS_MAX_LEN];
};
/* Members with next_due_at <= now, soonest first, at most `max`. */
TREU_MUST_USE int store_member_list_due(struct store_conn *c, int64_t now, size_t max,
                                        struct arena *a, struct due_member **out, size_t *n);

TREU_MUST_USE int store_tier_insert(struct store_conn *c, const char *pid, const struct tier *t);
/* By id, or by name within the program. */
TREU_MUST_USE int store_tier_get(struct store_conn *c, const char *pid, const char *program_id,
                                 const char *ref, struct arena *a, struct tier *out);
/* A program's tiers by points_from (at most 100). */
TREU_MUST_USE int store_tier_list(struct store_conn *c, const char *pid, const char *program_id,
                                  struct arena *a, struct tier **out, size_t *n);
TREU_MUST_USE int store_tier_delete(struct store_conn *c, const char *pid, const char *program_id,
                                    const char *id);
/* The oldest positive accrual or addition of the member at or after `since` (0 = none):
 * when it leaves a rolling window, the window's total drops. */
TREU_MUST_USE int store_entry_oldest_gain_since(struct store_conn *c, const char *pid,
                                                const char *member_id, int64_t since, int64_t *at);
/* The points the member earned through earning rules and referrals (POINTS_ACCRUAL) at or
 * after `since`. */
TREU_MUST_USE int store_entry_accrued_since(struct store_conn *c, const char *pid,
                                            const char *member_id, int64_t since, int64_t *sum);
/* How many entries of the member add up since `since` (accruals, additions, refunds). */
TREU_MUST_USE int store_entry_earned_since(struct store_conn *c, const char *pid,
                                           const char *member_id, int64_t since, int64_t *sum);

/* A named rule set (Voucherify's validation rule). body_json holds name, rules, error. */
struct validation_rule {
    char id[IDS_MAX_LEN];
    const char *name;
    const char *body_json;
    int64_t created_at, updated_at;
};
TREU_MUST_USE int store_vrule_insert(struct store_conn *c, const char *pid,
                                     const struct validation_rule *v);
TREU_MUST_USE int store_vrule_update(struct store_conn *c, const char *pid,
                                     const struct validation_rule *v);
TREU_MUST_USE int store_vrule_get(struct store_conn *c, const char *pid, const char *id,
                                  struct arena *a, struct validation_rule *out);
TREU_MUST_USE int store_vrule_delete(struct store_conn *c, const char *pid, const char *id);
/* Newest first. */
TREU_MUST_USE int store_vrule_list(struct store_conn *c, const char *pid, const struct page *pg,
                                   struct arena *a, struct validation_rule **out, size_t *n,
                                   int64_t *total);

TREU_MUST_USE int store_lot_insert(struct store_conn *c, const char *pid, const char *member_id,
                                   const struct lot *l);
/* Writes remaining and state. */
TREU_MUST_USE int store_lot_update(struct store_conn *c, const char *pid, const char *member_id,
                                   const struct lot *l);
/* The member's lots that still hold points (pending or active with remaining > 0),
 * soonest expiry first (never-expiring last), then oldest. At most 10,000. */
TREU_MUST_USE int store_lot_list_open(struct store_conn *c, const char *pid, const char *member_id,
                                      struct arena *a, struct lot **out, size_t *n);

/* The soonest expiry among the member's active lots and the points expiring then (0 and
 * 0 when none), without reading every open lot. */
TREU_MUST_USE int store_lot_next_expiry(struct store_conn *c, const char *pid,
                                        const char *member_id, int64_t *at, int64_t *points);

TREU_MUST_USE int store_entry_insert(struct store_conn *c, const char *pid, const struct entry *e);
/* Newest first. */
TREU_MUST_USE int store_entry_list(struct store_conn *c, const char *pid, const char *member_id,
                                   const struct page *pg, struct arena *a, struct entry **out,
                                   size_t *n, int64_t *total);
/* Every entry of one order for one member (at most 1,000), oldest first. */
TREU_MUST_USE int store_entry_list_order(struct store_conn *c, const char *pid,
                                         const char *member_id, const char *order_id,
                                         struct arena *a, struct entry **out, size_t *n);
/* The member's highest seq (0 when none). */
TREU_MUST_USE int store_entry_last_seq(struct store_conn *c, const char *pid, const char *member_id,
                                       int64_t *seq);
/* How many entries of `rule_id` the member got at or after `since`. */
TREU_MUST_USE int store_entry_count_rule(struct store_conn *c, const char *pid,
                                         const char *member_id, const char *rule_id, int64_t since,
                                         int64_t *count);

TREU_MUST_USE int store_rule_insert(struct store_conn *c, const char *pid,
                                    const struct earning_rule *r);
TREU_MUST_USE int store_rule_update(struct store_conn *c, const char *pid,
                                    const struct earning_rule *r);
TREU_MUST_USE int store_rule_get(struct store_conn *c, const char *pid, const char *program_id,
                                 const char *id, struct arena *a, struct earning_rule *out);
TREU_MUST_USE int store_rule_delete(struct store_conn *c, const char *pid, const char *program_id,
                                    const char *id);
/* All rules of a program (at most 1,000), oldest first; only active ones when asked. */
TREU_MUST_USE int store_rule_list(struct store_conn *c, const char *pid, const char *program_id,
                                  bool active_only, struct arena *a, struct earning_rule **out,
                                  size_t *n);

TREU_MUST_USE int store_order_insert(struct store_conn *c, const char *pid, const struct order *o);
TREU_MUST_USE int store_order_update(struct store_conn *c, const char *pid, const struct order *o);
/* By id, or by source_id when the id is not found. */
TREU_MUST_USE int store_order_get(struct store_conn *c, const char *pid, const char *ref,
                                  struct arena *a, struct order *out);

TREU_MUST_USE int store_event_insert(struct store_conn *c, const char *pid, const struct event *e);
TREU_MUST_USE int store_event_get_by_source(struct store_conn *c, const char *pid,
                                            const char *source_id, struct arena *a,
                                            struct event *out);

TREU_MUST_USE int store_redemption_insert(struct store_conn *c, const char *pid,
                                          const struct redemption *r);
/* Writes status, fulfilment, rollback_id, body_json and updated_at. */
TREU_MUST_USE int store_redemption_update(struct store_conn *c, const char *pid,
                                          const struct redemption *r);
TREU_MUST_USE int store_redemption_get(struct store_conn *c, const char *pid, const char *id,
                                       struct arena *a, struct redemption *out);
/* Newest first, filtered. */
TREU_MUST_USE int store_redemption_list(struct store_conn *c, const char *pid,
                                        const struct redemption_query *q, const struct page *pg,
                                        struct arena *a, struct redemption **out, size_t *n,
                                        int64_t *total);
/* Successful (not rolled back) redemptions of a voucher, by one customer when customer_id
 * is not NULL. */
TREU_MUST_USE int store_redemption_count_voucher(struct store_conn *c, const char *pid,
                                                 const char *voucher_id, const char *customer_id,
                                                 int64_t *count);
/* Points of successful (not rolled back) reward redemptions at or after `since`, of one
 * member (member_id) or of one program (campaign_id, member_id NULL). */
TREU_MUST_USE int store_redemption_points_since(struct store_conn *c, const char *pid,
                                                const char *member_id, const char *campaign_id,
                                                int64_t since, int64_t *sum);
/* Successful (not rolled back) redemptions of a reward by one member at or after `since`
 * (member_id NULL = every member). */
TREU_MUST_USE int store_redemption_count_reward(struct store_conn *c, const char *pid,
                                                const char *reward_id, const char *member_id,
                                                int64_t since, int64_t *count);

/* Webhooks (the outbox and its delivery log). */
TREU_MUST_USE int store_webhook_insert(struct store_conn *c, const char *pid,
                                       const struct webhook *w);
/* Writes url, events, description, active, secret and updated_at. */
TREU_MUST_USE int store_webhook_update(struct store_conn *c, const char *pid,
                                       const struct webhook *w);
TREU_MUST_USE int store_webhook_get(struct store_conn *c, const char *pid, const char *id,
                                    struct arena *a, struct webhook *out);
/* Deletes the endpoint with its deliveries and their attempts. */
TREU_MUST_USE int store_webhook_delete(struct store_conn *c, const char *pid, const char *id);
/* Newest first. */
TREU_MUST_USE int store_webhook_list(struct store_conn *c, const char *pid, const struct page *pg,
                                     struct arena *a, struct webhook **out, size_t *n,
                                     int64_t *total);
/* The project's active endpoints (id and events only), at most `max`: one indexed read,
 * on the hot path of every ledger entry. */
TREU_MUST_USE int store_webhook_list_active(struct store_conn *c, const char *pid, size_t max,
                                            struct arena *a, struct webhook **out, size_t *n);
TREU_MUST_USE int store_webhook_event_insert(struct store_conn *c, const char *pid,
                                             const struct webhook_event *e);
/* seq is assigned by the store. */
TREU_MUST_USE int store_webhook_delivery_insert(struct store_conn *c, const char *pid,
                                                const struct webhook_delivery *d);
/* Writes status, attempts, next_attempt_at, retry_from, last_status_code, last_error and
 * updated_at. */
TREU_MUST_USE int store_webhook_delivery_update(struct store_conn *c, const char *pid,
                                                const struct webhook_delivery *d);
TREU_MUST_USE int store_webhook_delivery_get(struct store_conn *c, const char *pid,
                                             const char *webhook_id, const char *id,
                                             struct arena *a, struct webhook_delivery *out);
/* One endpoint's deliveries, newest first, of one status when status is not NULL. */
TREU_MUST_USE int store_webhook_delivery_list(struct store_conn *c, const char *pid,
                                              const char *webhook_id, const char *status,
                                              const struct page *pg, struct arena *a,
                                              struct webhook_delivery **out, size_t *n,
                                              int64_t *total);
/* Across projects: the oldest PENDING delivery of every active endpoint (the head of its
 * queue), soonest next_attempt_at first, at most `max`, with url, secret and body. */
TREU_MUST_USE int store_webhook_delivery_heads(struct store_conn *c, size_t max, struct arena *a,
                                               struct webhook_delivery **out, size_t *n);
TREU_MUST_USE int store_webhook_attempt_insert(struct store_conn *c, const char *pid,
                                               const char *delivery_id,
                                               const struct webhook_attempt *at);
/* A delivery's attempts, oldest first, at most `max` (the latest ones). */
TREU_MUST_USE int store_webhook_attempt_list(struct store_conn *c, const char *pid,
                                             const char *delivery_id, size_t max, struct arena *a,
                                             struct webhook_attempt **out, size_t *n);
/* Rewards (sqlite_rewards.c). A reward's stock lives in reward_stock rows: variant "" for
 * the reward as a whole, one row per variant; no row or stock NULL = unlimited. */
TREU_MUST_USE int store_reward_insert(struct store_conn *c, const char *pid,
                                      const struct reward *r);
/* Writes name, type, body, active and updated_at. TREU_ENOTFOUND. */
TREU_MUST_USE int store_reward_update(struct store_conn *c, const char *pid,
                                      const struct reward *r);
TREU_MUST_USE int store_reward_get(struct store_conn *c, const char *pid, const char *id,
                                   struct arena *a, struct reward *out);
/* Newest first. */
TREU_MUST_USE int store_reward_list(struct store_conn *c, const char *pid, const struct page *pg,
                                    struct arena *a, struct reward **out, size_t *n,
                                    int64_t *total);
/* Deletes the reward with its stock rows and assignments (redemptions keep its id). */
TREU_MUST_USE int store_reward_delete(struct store_conn *c, const char *pid, const char *id);
/* Sets the limit of one stock row (creating it with nothing redeemed); `limited` false =
 * unlimited. TREU_ECONFLICT (nothing changed) when more than `stock` is already redeemed. */
TREU_MUST_USE int store_reward_stock_set(struct store_conn *c, const char *pid,
                                         const char *reward_id, const char *variant, bool limited,
                                         int64_t stock);
/* Every stock row of a reward, by variant ("" first). At most 1,000. */
TREU_MUST_USE int store_reward_stock_list(struct store_conn *c, const char *pid,
                                          const char *reward_id, struct arena *a,
                                          struct reward_stock **out, size_t *n);
/* Takes `qty` (> 0) from a stock row in one conditional update: TREU_ECONFLICT (nothing
 * changed) when fewer are left, TREU_ENOTFOUND when the row does not exist. */
TREU_MUST_USE int store_reward_stock_take(struct store_conn *c, const char *pid,
                                          const char *reward_id, const char *variant, int64_t qty);
/* Gives `qty` back: TREU_ECONFLICT when fewer were redeemed, TREU_ENOTFOUND without a row. */
TREU_MUST_USE int store_reward_stock_give(struct store_conn *c, const char *pid,
                                          const char *reward_id, const char *variant, int64_t qty);
/* TREU_ECONFLICT when the reward is already assigned to the program. */
TREU_MUST_USE int store_assignment_insert(struct store_conn *c, const char *pid,
                                          const struct reward_assignment *ra);
/* Writes points, body and updated_at. */
TREU_MUST_USE int store_assignment_update(struct store_conn *c, const char *pid,
                                          const struct reward_assignment *ra);
TREU_MUST_USE int store_assignment_get(struct store_conn *c, const char *pid, const char *id,
                                       struct arena *a, struct reward_assignment *out);
/* The assignment of `reward_id` in `program_id`. */
TREU_MUST_USE int store_assignment_get_pair(struct store_conn *c, const char *pid,
                                            const char *program_id, const char *reward_id,
                                            struct arena *a, struct reward_assignment *out);
TREU_MUST_USE int store_assignment_delete(struct store_conn *c, const char *pid, const char *id);
/* Newest first, of one reward and/or one program (NULL = any); at most 1,000 per page. */
TREU_MUST_USE int store_assignment_list(struct store_conn *c, const char *pid,
                                        const char *reward_id, const char *program_id,
                                        const struct page *pg, struct arena *a,
                                        struct reward_assignment **out, size_t *n, int64_t *total);
/* One lot of a member, whatever its state (a rollback puts points back where they came
 * from). */
TREU_MUST_USE int store_lot_get(struct store_conn *c, const char *pid, const char *member_id,
                                const char *id, struct arena *a, struct lot *out);
/* One entry of a member by id. */
TREU_MUST_USE int store_entry_get(struct store_conn *c, const char *pid, const char *member_id,
                                  const char *id, struct arena *a, struct entry *out);
/* Discount, gift and referral campaigns, their vouchers and publications
 * (sqlite_vouchers.c). Gets take an id or, failing that, the campaign's name / the
 * voucher's code. Inserts answer TREU_ECONFLICT on a taken name, code or source_id. */
TREU_MUST_USE int store_campaign_insert(struct store_conn *c, const char *pid,
                                        const struct campaign *cp);
/* Writes name, type, body, active, budget and updated_at. */
TREU_MUST_USE int store_campaign_update(struct store_conn *c, const char *pid,
                                        const struct campaign *cp);
TREU_MUST_USE int store_campaign_get(struct store_conn *c, const char *pid, const char *ref,
                                     struct arena *a, struct campaign *out);
/* Newest first. */
TREU_MUST_USE int store_campaign_list(struct store_conn *c, const char *pid, const struct page *pg,
                                      struct arena *a, struct campaign **out, size_t *n,
                                      int64_t *total);
/* Deletes the campaign with its vouchers and their publications (redemptions stay). */
TREU_MUST_USE int store_campaign_delete(struct store_conn *c, const char *pid, const char *id);
/* Adds `delta` to vouchers_count. */
TREU_MUST_USE int store_campaign_count_add(struct store_conn *c, const char *pid, const char *id,
                                           int64_t delta);
/* Adds `delta` (negative gives back) to budget_used unless that would pass the budget or go
 * below zero: TREU_ECONFLICT then, and nothing changes. Campaigns without a budget accept. */
TREU_MUST_USE int store_campaign_budget_add(struct store_conn *c, const char *pid, const char *id,
                                            int64_t delta);

struct voucher_query {
    const char *campaign_id; /* NULL = any */
    const char *holder_id;   /* NULL = any */
};

TREU_MUST_USE int store_voucher_insert(struct store_conn *c, const char *pid,
                                       const struct voucher *v);
/* Inserts n vouchers that differ from *tmpl only in id and code, with one prepared
 * statement. A code that is taken (in the project or earlier in this batch) is skipped and
 * flagged in taken[i]; everything else is inserted. *inserted counts the rows written. */
TREU_MUST_USE int store_voucher_insert_many(struct store_conn *c, const char *pid,
                                            const struct voucher *tmpl, size_t n,
                                            const char (*ids)[IDS_MAX_LEN],
                                            const char *const *codes, bool *taken,
                                            size_t *inserted);
/* Writes body, active, dates, quantity, gift_amount, holder, metadata and updated_at (not
 * redeemed or gift_balance: those move only through store_voucher_counters_add). */
TREU_MUST_USE int store_voucher_update(struct store_conn *c, const char *pid,
                                       const struct voucher *v);
TREU_MUST_USE int store_voucher_get(struct store_conn *c, const char *pid, const char *ref,
                                    struct arena *a, struct voucher *out);
TREU_MUST_USE int store_voucher_delete(struct store_conn *c, const char *pid, const char *id);
/* Newest first, filtered. */
TREU_MUST_USE int store_voucher_list(struct store_conn *c, const char *pid,
                                     const struct voucher_query *q, const struct page *pg,
                                     struct arena *a, struct voucher **out, size_t *n,
                                     int64_t *total);
/* Adds `redeemed` to the redemption counter and `gift` to the gift balance in one
 * conditional update: TREU_ECONFLICT (nothing changes) when the quantity would be
 * exceeded, the counter would go below zero or the balance would go negative. */
TREU_MUST_USE int store_voucher_counters_add(struct store_conn *c, const char *pid, const char *id,
                                             int64_t redeemed, int64_t gift, int64_t now);
/* Publishes the campaign's oldest unpublished voucher to `customer_id` and reads it back.
 * TREU_ENOTFOUND when the campaign has none left. */
TREU_MUST_USE int store_voucher_claim(struct store_conn *c, const char *pid,
                                      const char *campaign_id, const char *customer_id, int64_t now,
                                      struct arena *a, struct voucher *out);

struct publication_query {
    const char *customer_id; /* NULL = any */
    const char *campaign_id; /* NULL = any */
    const char *voucher_id;  /* NULL = any */
};

TREU_MUST_USE int store_publication_insert(struct store_conn *c, const char *pid,
                                           const struct publication *p);
TREU_MUST_USE int store_publication_get_by_source(struct store_conn *c, const char *pid,
                                                  const char *source_id, struct arena *a,
                                                  struct publication *out);
/* Newest first, filtered. */
TREU_MUST_USE int store_publication_list(struct store_conn *c, const char *pid,
                                         const struct publication_query *q, const struct page *pg,
                                         struct arena *a, struct publication **out, size_t *n,
                                         int64_t *total);

/* Referrals: one row per (campaign, referee). TREU_ECONFLICT when the referee was referred
 * in the campaign already. */
TREU_MUST_USE int store_referral_insert(struct store_conn *c, const char *pid,
                                        const struct referral *f);
/* Writes status, orders_rewarded and updated_at. */
TREU_MUST_USE int store_referral_update(struct store_conn *c, const char *pid,
                                        const struct referral *f);
TREU_MUST_USE int store_referral_delete(struct store_conn *c, const char *pid, const char *id);
TREU_MUST_USE int store_referral_get_by_referee(struct store_conn *c, const char *pid,
                                                const char *campaign_id, const char *referee_id,
                                                struct arena *a, struct referral *out);
/* Every referral of one referee (all campaigns), oldest first, at most `max`. */
TREU_MUST_USE int store_referral_list_by_referee(struct store_conn *c, const char *pid,
                                                 const char *referee_id, size_t max,
                                                 struct arena *a, struct referral **out, size_t *n);
/* One referrer's referrals, newest first. */
TREU_MUST_USE int store_referral_list_by_referrer(struct store_conn *c, const char *pid,
                                                  const char *referrer_id, const struct page *pg,
                                                  struct arena *a, struct referral **out, size_t *n,
                                                  int64_t *total);

/* The backend table. Each backend fills one; the functions above dispatch through it. */
struct store_ops {
    int (*conn_open)(struct store *s, bool writer, struct store_conn **out);
    void (*conn_free)(struct store_conn *c);
    void (*free)(struct store *s);
    int (*migrate)(struct store *s, int *version);
    int (*exec)(struct store_conn *c, const char *what); /* begin/commit/savepoints */
    int (*project_insert)(struct store_conn *c, const struct project *p);
    int (*project_get)(struct store_conn *c, const char *id, struct arena *a, struct project *o);
    int (*key_insert)(struct store_conn *c, const struct api_key *k);
    int (*key_get)(struct store_conn *c, const char *app_id, struct arena *a, struct api_key *o);
    int (*key_get_by_hash)(struct store_conn *c, const unsigned char *hash, struct arena *a,
                           struct api_key *o);
    int (*key_list)(struct store_conn *c, const char *project_id, struct arena *a,
                    struct api_key **out, size_t *n);
    int (*key_revoke)(struct store_conn *c, const char *app_id, int64_t now);
    int (*customer_insert)(struct store_conn *c, const char *pid, const struct customer *cu);
    int (*customer_update)(struct store_conn *c, const char *pid, const struct customer *cu);
    int (*customer_get)(struct store_conn *c, const char *pid, const char *id, bool by_source,
                        struct arena *a, struct customer *out);
    int (*customer_delete)(struct store_conn *c, const char *pid, const char *id);
    int (*customer_list)(struct store_conn *c, const char *pid, const struct customer_query *q,
                         struct arena *a, struct customer **out, size_t *n, int64_t *total,
                         bool *has_more);
    int (*idem_get)(struct store_conn *c, const char *pid, const char *key, struct arena *a,
                    struct idem_record *out);
    int (*idem_put)(struct store_conn *c, const char *pid, const char *key,
                    const struct idem_record *r);
    int (*program_insert)(struct store_conn *c, const char *pid, const struct program *p);
    int (*program_update)(struct store_conn *c, const char *pid, const struct program *p);
    int (*program_get)(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                       struct program *out);
    int (*program_list)(struct store_conn *c, const char *pid, const struct page *pg,
                        struct arena *a, struct program **out, size_t *n, int64_t *total);
    int (*program_delete)(struct store_conn *c, const char *pid, const char *id);
    int (*program_account)(struct store_conn *c, const char *pid, const char *id, int64_t issued,
                           int64_t subtracted, int64_t expired);
    int (*member_insert)(struct store_conn *c, const char *pid, const struct member *m);
    int (*member_update)(struct store_conn *c, const char *pid, const struct member *m);
    int (*member_get)(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                      struct member *out);
    int (*member_get_by_customer)(struct store_conn *c, const char *pid, const char *program_id,
                                  const char *customer_id, struct arena *a, struct member *out);
    int (*member_list)(struct store_conn *c, const char *pid, const char *program_id,
                       const struct page *pg, struct arena *a, struct member **out, size_t *n,
                       int64_t *total);
    int (*member_list_by_customer)(struct store_conn *c, const char *pid, const char *customer_id,
                                   struct arena *a, struct member **out, size_t *n);
    int (*member_count)(struct store_conn *c, const char *pid, const char *program_id,
                        int64_t *count);
    int (*member_list_due)(struct store_conn *c, int64_t now, size_t max, struct arena *a,
                           struct due_member **out, size_t *n);
    int (*tier_insert)(struct store_conn *c, const char *pid, const struct tier *t);
    int (*tier_get)(struct store_conn *c, const char *pid, const char *program_id, const char *ref,
                    struct arena *a, struct tier *out);
    int (*tier_list)(struct store_conn *c, const char *pid, const char *program_id, struct arena *a,
                     struct tier **out, size_t *n);
    int (*tier_delete)(struct store_conn *c, const char *pid, const char *program_id,
                       const char *id);
    int (*entry_oldest_gain_since)(struct store_conn *c, const char *pid, const char *member_id,
                                   int64_t since, int64_t *at);
    int (*entry_earned_since)(struct store_conn *c, const char *pid, const char *member_id,
                              int64_t since, int64_t *sum);
    int (*vrule_insert)(struct store_conn *c, const char *pid, const struct validation_rule *v);
    int (*vrule_update)(struct store_conn *c, const char *pid, const struct validation_rule *v);
    int (*vrule_get)(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                     struct validation_rule *out);
    int (*vrule_delete)(struct store_conn *c, const char *pid, const char *id);
    int (*vrule_list)(struct store_conn *c, const char *pid, const struct page *pg, struct arena *a,
                      struct validation_rule **out, size_t *n, int64_t *total);
    int (*lot_insert)(struct store_conn *c, const char *pid, const char *member_id,
                      const struct lot *l);
    int (*lot_update)(struct store_conn *c, const char *pid, const char *member_id,
                      const struct lot *l);
    int (*lot_list_open)(struct store_conn *c, const char *pid, const char *member_id,
                         struct arena *a, struct lot **out, size_t *n);
    int (*lot_next_expiry)(struct store_conn *c, const char *pid, const char *member_id,
                           int64_t *at, int64_t *points);
    int (*entry_insert)(struct store_conn *c, const char *pid, const struct entry *e);
    int (*entry_list)(struct store_conn *c, const char *pid, const char *member_id,
                      const struct page *pg, struct arena *a, struct entry **out, size_t *n,
                      int64_t *total);
    int (*entry_list_order)(struct store_conn *c, const char *pid, const char *member_id,
                            const char *order_id, struct arena *a, struct entry **out, size_t *n);
    int (*entry_last_seq)(struct store_conn *c, const char *pid, const char *member_id,
                          int64_t *seq);
    int (*entry_count_rule)(struct store_conn *c, const char *pid, const char *member_id,
                            const char *rule_id, int64_t since, int64_t *count);
    int (*rule_insert)(struct store_conn *c, const char *pid, const struct earning_rule *r);
    int (*rule_update)(struct store_conn *c, const char *pid, const struct earning_rule *r);
    int (*rule_get)(struct store_conn *c, const char *pid, const char *program_id, const char *id,
                    struct arena *a, struct earning_rule *out);
    int (*rule_delete)(struct store_conn *c, const char *pid, const char *program_id,
                       const char *id);
    int (*rule_list)(struct store_conn *c, const char *pid, const char *program_id,
                     bool active_only, struct arena *a, struct earning_rule **out, size_t *n);
    int (*order_insert)(struct store_conn *c, const char *pid, const struct order *o);
    int (*order_update)(struct store_conn *c, const char *pid, const struct order *o);
    int (*order_get)(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                     struct order *out);
    int (*event_insert)(struct store_conn *c, const char *pid, const struct event *e);
    int (*event_get_by_source)(struct store_conn *c, const char *pid, const char *source_id,
                               struct arena *a, struct event *out);
    int (*redemption_insert)(struct store_conn *c, const char *pid, const struct redemption *r);
    int (*redemption_update)(struct store_conn *c, const char *pid, const struct redemption *r);
    int (*redemption_get)(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                          struct redemption *out);
    int (*redemption_list)(struct store_conn *c, const char *pid, const struct redemption_query *q,
                           const struct page *pg, struct arena *a, struct redemption **out,
                           size_t *n, int64_t *total);
    int (*redemption_count_voucher)(struct store_conn *c, const char *pid, const char *voucher_id,
                                    const char *customer_id, int64_t *count);
    int (*redemption_count_reward)(struct store_conn *c, const char *pid, const char *reward_id,
                                   const char *member_id, int64_t since, int64_t *count);
    int (*webhook_insert)(struct store_conn *c, const char *pid, const struct webhook *w);
    int (*webhook_update)(struct store_conn *c, const char *pid, const struct webhook *w);
    int (*webhook_get)(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                       struct webhook *out);
    int (*webhook_delete)(struct store_conn *c, const char *pid, const char *id);
    int (*webhook_list)(struct store_conn *c, const char *pid, const struct page *pg,
                        struct arena *a, struct webhook **out, size_t *n, int64_t *total);
    int (*webhook_list_active)(struct store_conn *c, const char *pid, size_t max, struct arena *a,
                               struct webhook **out, size_t *n);
    int (*webhook_event_insert)(struct store_conn *c, const char *pid,
                                const struct webhook_event *e);
    int (*webhook_delivery_insert)(struct store_conn *c, const char *pid,
                                   const struct webhook_delivery *d);
    int (*webhook_delivery_update)(struct store_conn *c, const char *pid,
                                   const struct webhook_delivery *d);
    int (*webhook_delivery_get)(struct store_conn *c, const char *pid, const char *webhook_id,
                                const char *id, struct arena *a, struct webhook_delivery *out);
    int (*webhook_delivery_list)(struct store_conn *c, const char *pid, const char *webhook_id,
                                 const char *status, const struct page *pg, struct arena *a,
                                 struct webhook_delivery **out, size_t *n, int64_t *total);
    int (*webhook_delivery_heads)(struct store_conn *c, size_t max, struct arena *a,
                                  struct webhook_delivery **out, size_t *n);
    int (*webhook_attempt_insert)(struct store_conn *c, const char *pid, const char *delivery_id,
                                  const struct webhook_attempt *at);
    int (*webhook_attempt_list)(struct store_conn *c, const char *pid, const char *delivery_id,
                                size_t max, struct arena *a, struct webhook_attempt **out,
                                size_t *n);
    int (*reward_insert)(struct store_conn *c, const char *pid, const struct reward *r);
    int (*reward_update)(struct store_conn *c, const char *pid, const struct reward *r);
    int (*reward_get)(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                      struct reward *out);
    int (*reward_list)(struct store_conn *c, const char *pid, const struct page *pg,
                       struct arena *a, struct reward **out, size_t *n, int64_t *total);
    int (*reward_delete)(struct store_conn *c, const char *pid, const char *id);
    int (*reward_stock_set)(struct store_conn *c, const char *pid, const char *reward_id,
                            const char *variant, bool limited, int64_t stock);
    int (*reward_stock_list)(struct store_conn *c, const char *pid, const char *reward_id,
                             struct arena *a, struct reward_stock **out, size_t *n);
    int (*reward_stock_take)(struct store_conn *c, const char *pid, const char *reward_id,
                             const char *variant, int64_t qty);
    int (*reward_stock_give)(struct store_conn *c, const char *pid, const char *reward_id,
                             const char *variant, int64_t qty);
    int (*assignment_insert)(struct store_conn *c, const char *pid,
                             const struct reward_assignment *ra);
    int (*assignment_update)(struct store_conn *c, const char *pid,
                             const struct reward_assignment *ra);
    int (*assignment_get)(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                          struct reward_assignment *out);
    int (*assignment_get_pair)(struct store_conn *c, const char *pid, const char *program_id,
                               const char *reward_id, struct arena *a,
                               struct reward_assignment *out);
    int (*assignment_delete)(struct store_conn *c, const char *pid, const char *id);
    int (*assignment_list)(struct store_conn *c, const char *pid, const char *reward_id,
                           const char *program_id, const struct page *pg, struct arena *a,
                           struct reward_assignment **out, size_t *n, int64_t *total);
    int (*lot_get)(struct store_conn *c, const char *pid, const char *member_id, const char *id,
                   struct arena *a, struct lot *out);
    int (*entry_get)(struct store_conn *c, const char *pid, const char *member_id, const char *id,
                     struct arena *a, struct entry *out);
    int (*campaign_insert)(struct store_conn *c, const char *pid, const struct campaign *cp);
    int (*campaign_update)(struct store_conn *c, const char *pid, const struct campaign *cp);
    int (*campaign_get)(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                        struct campaign *out);
    int (*campaign_list)(struct store_conn *c, const char *pid, const struct page *pg,
                         struct arena *a, struct campaign **out, size_t *n, int64_t *total);
    int (*campaign_delete)(struct store_conn *c, const char *pid, const char *id);
    int (*campaign_count_add)(struct store_conn *c, const char *pid, const char *id, int64_t delta);
    int (*campaign_budget_add)(struct store_conn *c, const char *pid, const char *id,
                               int64_t delta);
    int (*voucher_insert)(struct store_conn *c, const char *pid, const struct voucher *v);
    int (*voucher_insert_many)(struct store_conn *c, const char *pid, const struct voucher *tmpl,
                               size_t n, const char (*ids)[IDS_MAX_LEN], const char *const *codes,
                               bool *taken, size_t *inserted);
    int (*voucher_update)(struct store_conn *c, const char *pid, const struct voucher *v);
    int (*voucher_get)(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                       struct voucher *out);
    int (*voucher_delete)(struct store_conn *c, const char *pid, const char *id);
    int (*voucher_list)(struct store_conn *c, const char *pid, const struct voucher_query *q,
                        const struct page *pg, struct arena *a, struct voucher **out, size_t *n,
                        int64_t *total);
    int (*voucher_counters_add)(struct store_conn *c, const char *pid, const char *id,
                                int64_t redeemed, int64_t gift, int64_t now);
    int (*voucher_claim)(struct store_conn *c, const char *pid, const char *campaign_id,
                         const char *customer_id, int64_t now, struct arena *a,
                         struct voucher *out);
    int (*publication_insert)(struct store_conn *c, const char *pid, const struct publication *p);
    int (*publication_get_by_source)(struct store_conn *c, const char *pid, const char *source_id,
                                     struct arena *a, struct publication *out);
    int (*publication_list)(struct store_conn *c, const char *pid,
                            const struct publication_query *q, const struct page *pg,
                            struct arena *a, struct publication **out, size_t *n, int64_t *total);
    int (*referral_insert)(struct store_conn *c, const char *pid, const struct referral *f);
    int (*referral_update)(struct store_conn *c, const char *pid, const struct referral *f);
    int (*referral_delete)(struct store_conn *c, const char *pid, const char *id);
    int (*referral_get_by_referee)(struct store_conn *c, const char *pid, const char *campaign_id,
                                   const char *referee_id, struct arena *a, struct referral *out);
    int (*referral_list_by_referee)(struct store_conn *c, const char *pid, const char *referee_id,
                                    size_t max, struct arena *a, struct referral **out, size_t *n);
    int (*referral_list_by_referrer)(struct store_conn *c, const char *pid, const char *referrer_id,
                                     const struct page *pg, struct arena *a, struct referral **out,
                                     size_t *n, int64_t *total);
    int (*entry_accrued_since)(struct store_conn *c, const char *pid, const char *member_id,
                               int64_t since, int64_t *sum);
    int (*redemption_points_since)(struct store_conn *c, const char *pid, const char *member_id,
                                   const char *campaign_id, int64_t since, int64_t *sum);
    int (*idem_purge)(struct store_conn *c, int64_t before, int64_t max, int64_t *deleted);
};

/* Every backend's store and connection begin with these, so dispatch needs no casts
 * beyond the backend's own. */
struct store {
    const struct store_ops *ops;
};
struct store_conn {
    const struct store_ops *ops;
    bool writer;
};

/* Backend constructors, called by store_open. */
TREU_MUST_USE int store_sqlite_open(const char *path, struct store **out);

#endif
