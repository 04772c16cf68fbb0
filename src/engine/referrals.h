/* referrals.h - referral programs: a REFERRAL_PROGRAM campaign's code published to a
 * customer (the referrer) gives whoever else redeems it (the referee) the campaign's
 * discount; the redemption records the referral; when the referee's order is paid the
 * referrer earns points in a loyalty program (on the first paid order, or on each, as the
 * campaign says); cancelling or fully refunding that order takes them back through the
 * ledger's reversal path.
 * A customer cannot use their own code, and is referred at most once per campaign.
 * Everything that writes runs on the writer thread inside the command's savepoint. */
#ifndef TREU_REFERRALS_H
#define TREU_REFERRALS_H

#include "engine/loyalty.h"
#include "engine/vouchers.h"

#define REFERRALS_PER_REFEREE_MAX 100 /* referrals of one customer looked at per order */

/* A campaign's referral_program.referrer_reward (treu's addition, shaped like Voucherify's
 * referee_reward): {"type": "LOYALTY_CARD", "related_object_parent": {"id": program},
 * "amount": points, "trigger": "FIRST_ORDER" | "EACH_ORDER"}. */
struct referral_reward {
    bool set;
    const char *program_ref; /* loyalty program id or name */
    int64_t points;
    bool each_order;
};

/* Reads referral_program (an object, or NULL = no reward). TREU_EINVAL with a message naming
 * the field in `why`; strings are copied into `a`. */
TREU_MUST_USE int referrals_reward_parse(const cJSON *referral_program, struct arena *a,
                                         struct referral_reward *out, char *why, size_t why_size);

/* Whether a loaded voucher is a referral code, and whose (NULL: not published yet). */
bool referrals_is_code(const struct voucher_state *vs);
const char *referrals_referrer(const struct voucher_state *vs);

/* Records that `referee_id` was referred by the code's holder (the redemption passed
 * vouchers_check, which refused self-referral and a second referral). */
TREU_MUST_USE int referrals_record(const struct writer_tx *tx, const char *pid,
                                   const struct voucher_state *vs, const char *referee_id);

/* A rolled-back redemption of a referral code that earned nothing yet withdraws the
 * referral, so the customer may be referred again. */
TREU_MUST_USE int referrals_redemption_rolled_back(const struct writer_tx *tx, const char *pid,
                                                   const struct redemption *orig);

/* Order `o` of a referee was paid: credits each referrer whose campaign rewards this order
 * (entries go into *out). Runs once per order, where the order's own earning runs. */
TREU_MUST_USE int referrals_order_paid(const struct loyalty_ctx *lc, const struct order *o,
                                       struct earn_result *out);

/* Order `o` was canceled or refunded down to `new_amount`: takes back the referrer bonuses
 * it earned when nothing of it is left paid. */
TREU_MUST_USE int referrals_order_reversed(const struct loyalty_ctx *lc, const struct order *o,
                                           int64_t new_amount, bool cancel,
                                           struct earn_result *out);

#endif
