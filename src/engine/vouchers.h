/* vouchers.h - discount and gift vouchers: what a voucher is worth for an order, whether
 * it may be used (Voucherify's validation), redemption and rollback, code generation and
 * publication to customers.
 * The pure part (spec parsing, discount arithmetic) runs anywhere. Checks read through any
 * store connection; everything that writes runs on the writer thread inside a command's
 * savepoint, so a command that answers >= 400 leaves nothing behind.
 * Amounts are int64 in the smallest currency unit, at most VOUCHERS_AMOUNT_MAX.
 * Errors: negative TREU_E* for storage trouble only; business outcomes in enum
 * voucher_result (precedence: the order of vouchers_check's steps, see there). */
#ifndef TREU_VOUCHERS_H
#define TREU_VOUCHERS_H

#include "core/codes.h"
#include "core/json.h"
#include "engine/writer.h"

#include <cjson/cJSON.h>

#define VOUCHERS_AMOUNT_MAX      INT64_C(10000000000000) /* 100 billion in major units */
#define VOUCHERS_GENERATE_MAX    1000000 /* codes one campaign create may generate */
#define VOUCHERS_SPACE_FACTOR    4       /* code space must be this many times the codes asked */
#define VOUCHERS_CODE_TRIES      16      /* collision retries per code before giving up */
#define VOUCHERS_CHUNK           1024    /* codes generated and inserted per statement loop */
#define VOUCHERS_RULES_MAX       10      /* validation rule ids on one campaign or voucher */
#define VOUCHERS_UNIT_TYPE_BYTES 100
#define VOUCHERS_DETAILS_BYTES   320
#define VOUCHERS_FREE_SHIPPING   "prod_5h1pp1ng" /* Voucherify's shipping product id */
#define VOUCHERS_PERCENT_SCALE   100             /* percent_off kept in hundredths */

enum discount_type { DISCOUNT_AMOUNT, DISCOUNT_PERCENT, DISCOUNT_FIXED, DISCOUNT_UNIT };

struct discount {
    enum discount_type type;
    int64_t amount_off;   /* AMOUNT */
    int64_t percent_off;  /* PERCENT, in hundredths of a percent: 12.5 % = 1250 */
    int64_t amount_limit; /* PERCENT: 0 = no cap */
    int64_t fixed_amount; /* FIXED: what the order costs after the discount */
    int64_t unit_off;     /* UNIT: units free */
    const char *unit_type;
    const char *effect; /* as given, or NULL */
};

/* What a voucher is and its limits: a campaign's voucher template or a standalone
 * voucher's own settings. */
struct voucher_spec {
    bool gift;
    struct discount d;   /* !gift */
    int64_t gift_amount; /* gift */
    bool has_quantity;
    int64_t quantity;     /* redemptions of one voucher */
    int64_t per_customer; /* redemptions of one voucher by one customer, 0 = no limit */
    bool has_code_config;
    struct code_config cc;
    const char *rule_ids[VOUCHERS_RULES_MAX];
    size_t nrules;
};

enum voucher_result {
    VOUCHER_OK,
    VOUCHER_NOT_FOUND,         /* resource_not_found */
    VOUCHER_DISABLED,          /* voucher_disabled */
    VOUCHER_CAMPAIGN_DISABLED, /* campaign_disabled */
    VOUCHER_NOT_ACTIVE,        /* voucher_not_active: before its start date */
    VOUCHER_EXPIRED,           /* voucher_expired */
    VOUCHER_MISSING_CUSTOMER,  /* missing_customer: the voucher needs to know who redeems */
    VOUCHER_NOT_HOLDER,        /* customer_rules_violated: published to someone else */
    VOUCHER_QUANTITY_EXCEEDED, /* quantity_exceeded */
    VOUCHER_CUSTOMER_LIMIT,    /* redemption_rules_violated: per_customer reached */
    VOUCHER_GIFT_EXCEEDED,     /* gift_amount_exceeded: balance empty or below credits asked */
    VOUCHER_MISSING_ORDER,     /* missing_order: a gift voucher with nothing to pay */
    VOUCHER_CUSTOMER_RULES,    /* customer_rules_violated */
    VOUCHER_ORDER_RULES,       /* order_rules_violated */
    VOUCHER_BUDGET_EXCEEDED,   /* budget_exceeded: the campaign's budget is spent */
    VOUCHER_ROLLED_BACK,       /* already_rolled_back */
    VOUCHER_CODE_EXHAUSTED,    /* code_config_exhausted: no free code after the retries */
    VOUCHER_ALREADY_PUBLISHED, /* voucher_already_published: held by another customer */
    VOUCHER_SELF_REFERRAL,     /* self_referral: a referrer redeeming their own code */
    VOUCHER_ALREADY_REFERRED,  /* customer_already_referred: once per referral campaign */
};

/* The stable error key and a short reason (Voucherify's wording where it has one). */
const char *vouchers_result_key(enum voucher_result r);
const char *vouchers_result_reason(enum voucher_result r);

/* Parses a voucher template {type, discount | gift, redemption: {quantity, per_customer},
 * code_config} and a validation_rules array of ids (NULL = none). Strings are copied into
 * `a`. TREU_EINVAL with a message naming the field in `why`; TREU_ENOMEM. */
TREU_MUST_USE int vouchers_spec_parse(const cJSON *tmpl, const cJSON *rules, struct arena *a,
                                      struct voucher_spec *out, char *why, size_t why_size);
/* Writes the template fields (canonical form, what vouchers_spec_parse accepts) into an
 * open JSON object; validation rules go under "validation_rules" when `with_rules`. */
void vouchers_spec_write(struct jw *w, const struct voucher_spec *s, bool with_rules);
/* Writes the discount object alone. */
void vouchers_discount_write(struct jw *w, const struct discount *d);

/* The discount `d` gives on an order of `amount` with `items` (an array of order items or
 * NULL): 0 <= result <= amount. UNIT discounts only units present in the items, priced at
 * the item's price (or amount / quantity). */
int64_t vouchers_discount(const struct discount *d, int64_t amount, const cJSON *items);

/* How many distinct codes the configuration can produce (saturating at INT64_MAX). */
int64_t vouchers_code_space(const struct code_config *cc);

/* The order a check or redemption is about. */
struct voucher_order {
    bool has_amount;
    int64_t amount;
    const cJSON *items;    /* array or NULL */
    const cJSON *metadata; /* object or NULL */
    const char *status;
};

struct voucher_context {
    const struct customer *customer; /* NULL: none given */
    const cJSON *customer_metadata;  /* the customer's metadata parsed, or NULL */
    const struct voucher_order *order;
    int64_t now;
};

/* A voucher loaded with its campaign and effective settings. */
struct voucher_state {
    struct voucher v;
    bool has_campaign;
    struct campaign camp;
    struct voucher_spec spec;
    int64_t start_date, expiration_date; /* the voucher's own, else the campaign's; 0 none */
};

struct voucher_outcome {
    enum voucher_result res;
    char details[VOUCHERS_DETAILS_BYTES]; /* for the developer: which limit, which rule */
    int64_t discount;                     /* discount vouchers: what it takes off */
    int64_t gift;                         /* gift vouchers: credits used */
};

/* Fills *vs from a voucher row and its campaign (NULL for a standalone voucher). */
TREU_MUST_USE int vouchers_state_init(struct arena *a, const struct voucher *v,
                                      const struct campaign *camp, struct voucher_state *vs);

/* Loads the voucher `ref` (id or code). TREU_ENOTFOUND when there is none. */
TREU_MUST_USE int vouchers_load(struct store_conn *c, const char *pid, struct arena *a,
                                const char *ref, struct voucher_state *vs);

/* Decides whether the voucher may be used in `ctx` and what it is worth on `remaining` (the
 * order's amount after earlier stacked redeemables). `credits` (> 0) asks a gift voucher
 * for that much. Steps, first failure wins: voucher active, campaign active, start date,
 * expiration date, customer present when needed, holder, quantity, per-customer limit,
 * gift balance, validation rules (customer or order rules by the fields they read),
 * campaign budget. */
TREU_MUST_USE int vouchers_check(struct store_conn *c, const char *pid, struct arena *a,
                                 const struct voucher_state *vs, const struct voucher_context *ctx,
                                 int64_t remaining, int64_t credits, struct voucher_outcome *o);

/* Redeems a voucher that vouchers_check passed in this command: takes the voucher's
 * counters and gift balance and the campaign's budget with conditional updates, then
 * inserts the redemption row (kind "voucher", id "r_…") made from *tmpl (customer_id,
 * order_id, parent_id, channel, body_json). A limit reached meanwhile turns o->res into
 * the matching failure and writes nothing. *out gets the row. */
TREU_MUST_USE int vouchers_redeem(const struct writer_tx *tx, const char *pid,
                                  const struct voucher_state *vs, const struct redemption *tmpl,
                                  struct voucher_outcome *o, struct redemption *out);

/* Rolls back the voucher redemption *orig (kind "voucher" with a voucher): gives back the
 * voucher's counter, its gift credits and the campaign's budget, inserts the rollback
 * (kind "rollback", id "rr_…", parent_id from `parent_id`, body_json from `body_json`) and
 * marks *orig ROLLED_BACK. VOUCHER_ROLLED_BACK when it is not SUCCEEDED. */
TREU_MUST_USE int vouchers_rollback(const struct writer_tx *tx, const char *pid,
                                    struct redemption *orig, const char *parent_id,
                                    const char *body_json, struct redemption *rb,
                                    enum voucher_result *res);

/* The voucher row a campaign's template gives (type, quantity, gift), without id or code. */
void vouchers_from_spec(const struct voucher_spec *s, const char *campaign_id, int64_t now,
                        struct voucher *out);

/* Generates `n` (1..VOUCHERS_GENERATE_MAX) vouchers of the campaign with unique codes from
 * the spec's code_config, VOUCHERS_CHUNK at a time with one prepared statement, retrying
 * only collisions; adds n to the campaign's vouchers_count. VOUCHER_CODE_EXHAUSTED when a
 * code stays taken after VOUCHERS_CODE_TRIES tries (the caller's command then fails and
 * undoes everything). */
TREU_MUST_USE int vouchers_generate(const struct writer_tx *tx, const char *pid,
                                    const struct campaign *camp, const struct voucher_spec *s,
                                    int64_t n, enum voucher_result *res);

/* Adds one voucher to a campaign: with `code`, that code (TREU_ECONFLICT when taken), else
 * a generated one. *out is the stored voucher. */
TREU_MUST_USE int vouchers_add_one(const struct writer_tx *tx, const char *pid, struct arena *a,
                                   const struct campaign *camp, const struct voucher_spec *s,
                                   const char *code, struct voucher *out, enum voucher_result *res);

struct publish_request {
    const char *campaign_ref; /* publish one of this campaign's vouchers, or */
    const char *voucher_ref;  /* this voucher */
    const char *customer_id;
    const char *source_id; /* NULL = none */
    const char *channel;   /* NULL = "API" */
    const char *metadata_json;
};

/* Publishes a voucher to a customer: the given voucher, or the campaign's oldest
 * unpublished one, or — when none is left — a freshly generated one. Records a
 * publication and sets the voucher's holder. Outcomes: VOUCHER_NOT_FOUND (campaign or
 * voucher), VOUCHER_CAMPAIGN_DISABLED, VOUCHER_ALREADY_PUBLISHED, VOUCHER_CODE_EXHAUSTED. */
TREU_MUST_USE int vouchers_publish(const struct writer_tx *tx, const char *pid, struct arena *a,
                                   const struct publish_request *pr, struct publication *pub,
                                   struct voucher *out, enum voucher_result *res);

/* For other engine code (CAMPAIGN rewards): issues a voucher of campaign `campaign_ref` (id
 * or name) to `customer_id` inside the caller's command — claims an unpublished code or
 * generates a fresh unique one from the campaign's code_config, publishes it (channel
 * `channel`, e.g. "reward") and returns it in *out (strings in `a`). Outcomes as
 * vouchers_publish. Nothing to undo on failure beyond the caller's savepoint. */
TREU_MUST_USE int vouchers_issue(const struct writer_tx *tx, const char *pid, struct arena *a,
                                 const char *campaign_ref, const char *customer_id,
                                 const char *channel, struct voucher *out,
                                 enum voucher_result *res);

#endif
