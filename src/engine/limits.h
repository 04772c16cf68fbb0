/* limits.h - a loyalty program's budget and fraud caps (treu's addition to the program):
 *
 *   "limits": {"redemption_budget": {"points": 500000, "period": "MONTH"},
 *              "per_member": {"earned":   {"points": 2000, "period": "DAY"},
 *                             "redeemed": {"points": 10000, "period": "MONTH"}}}
 *
 * `period` is DAY, WEEK (from Monday), MONTH or YEAR in the program's time zone, or null /
 * absent for all time. The budget caps the points all members together may spend on
 * rewards; `earned` caps what one member earns through earning rules and referrals (an
 * accrual over the cap is cut to what is left, and one with nothing left is skipped);
 * `redeemed` caps what one member spends on rewards. Redemptions check both caps inside
 * their command, summing successful redemptions of the period, so a rollback gives the
 * room back. */
#ifndef TREU_LIMITS_H
#define TREU_LIMITS_H

#include "core/json.h"
#include "engine/zones.h"
#include "store/store.h"

#include <cjson/cJSON.h>

struct limit {
    bool set;
    int64_t points;
    const char *period; /* NULL = all time */
};

struct program_limits {
    struct limit budget, earned, redeemed;
};

/* Reads a limits object (NULL or JSON null = none). TREU_EINVAL with a message naming the
 * field in `why`; strings point into static storage. */
TREU_MUST_USE int limits_parse(const cJSON *limits, struct program_limits *out, char *why,
                               size_t why_size);

/* The program's limits (none when it has none). TREU_EINVAL when the stored text is
 * unreadable. */
TREU_MUST_USE int limits_of(const struct program *p, struct program_limits *out);

/* Writes the canonical object (what limits_parse accepts) as the value of an open key. */
void limits_write(struct jw *w, const struct program_limits *l);

/* How many of `points` the member may still earn at `now` under limits.per_member.earned
 * (all of them when there is no cap). */
TREU_MUST_USE int limits_earn_allowance(struct store_conn *c, const char *pid, struct zones *zs,
                                        const struct program *p, const char *member_id, int64_t now,
                                        int64_t points, int64_t *allowed);

enum limits_result { LIMITS_OK, LIMITS_MEMBER_CAP, LIMITS_BUDGET };

/* Whether a member may spend `points` on a reward at `now`: the member's redeemed cap, then
 * the program's budget. On a refusal `detail` says how much room is left. */
TREU_MUST_USE int limits_redeem_check(struct store_conn *c, const char *pid, struct zones *zs,
                                      const struct program *p, const char *member_id, int64_t now,
                                      int64_t points, enum limits_result *res, char *detail,
                                      size_t detail_size);

#endif
