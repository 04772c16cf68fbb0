/* rules.h - the condition language shared by earning rules, reward eligibility, voucher
 * validation rules and segment filters. Its JSON form follows Voucherify's validation
 * rules:
 *
 *   {"1": {"name": "customer.metadata", "property": "pet", "conditions": {"$is": ["dog"]}},
 *    "2": {"name": "order.amount", "conditions": {"$more_than": [5000]}},
 *    "3": {"name": "customer.tier", "conditions": {"$in": ["gold", "silver"]}},
 *    "logic": "(1 and 2) or 3"}
 *
 * Each numbered rule names a field ("name", plus "." + "property" when given), and one or
 * more operators, each with an array of values; several operators in one rule must all
 * hold. "logic" joins the numbered rules with and/or/not and parentheses; when absent,
 * all rules are ANDed. Compiled once into a flat array of conditions and a postfix logic
 * program; evaluation allocates nothing and recursion depth is bounded.
 *
 * Pure: no I/O, no clock (time comes in as fields such as "time.weekday").
 * Errors: rules_compile returns TREU_EINVAL and fills struct rule_error naming the part. */
#ifndef TREU_RULES_H
#define TREU_RULES_H

#include "core/arena.h"
#include "core/buf.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

#define RULES_CONDITIONS_MAX  32  /* numbered rules in one rule set */
#define RULES_VALUES_MAX      100 /* values in one operator's array */
#define RULES_VALUE_BYTES_MAX 255 /* one string value */
#define RULES_FIELD_BYTES_MAX 128 /* "customer.metadata.pet" */
#define RULES_LOGIC_BYTES_MAX 256 /* the logic expression */
#define RULES_LOGIC_DEPTH_MAX 16  /* parentheses nesting in logic */
#define RULES_PROGRAM_MAX     128 /* postfix program length */

enum rule_op {
    RULE_IS,     /* field equals any value */
    RULE_IS_NOT, /* field equals none of the values */
    RULE_IN,     /* same as RULE_IS (Voucherify has both) */
    RULE_NOT_IN,
    RULE_MORE_THAN, /* numeric (or ISO instant) > the single value */
    RULE_LESS_THAN,
    RULE_MORE_THAN_EQUAL,
    RULE_LESS_THAN_EQUAL,
    RULE_STARTS_WITH, /* string prefix, any value */
    RULE_ENDS_WITH,
    RULE_CONTAINS,   /* string contains any value */
    RULE_TIMEFRAME,  /* instant within [value0, value1) (ISO 8601) */
    RULE_AFTER,      /* instant > value0 */
    RULE_BEFORE,     /* instant < value0 */
    RULE_IS_UNKNOWN, /* field absent or null; takes no values (an empty array) */
    RULE_HAS_VALUE,  /* field present and not null; no values */
};

enum rule_value_type { RV_NULL, RV_INT, RV_NUM, RV_STR, RV_BOOL, RV_TIME };

/* A field value handed to the evaluator, or a compiled constant. RV_TIME is microseconds
 * since the epoch; RV_INT covers points and money; RV_NUM other numbers. Numeric
 * comparisons accept any mix of RV_INT and RV_NUM. */
struct rule_value {
    enum rule_value_type type;
    int64_t i;      /* RV_INT, RV_TIME, RV_BOOL (0/1) */
    double d;       /* RV_NUM */
    struct slice s; /* RV_STR: valid UTF-8, not NUL-terminated necessarily */
};

/* Helpers for `get` functions: a JSON value (string, bool, number exact as RV_INT when it
 * is a whole number within ±2^53; anything else RV_NULL), a C string (NULL → RV_NULL), an
 * integer. */
void rules_value_json(const cJSON *j, struct rule_value *out);
void rules_value_str(const char *s, struct rule_value *out);
void rules_value_int(int64_t v, struct rule_value *out);
/* When field path `f` is `prefix` followed by more, copies the rest, NUL-terminated, into
 * `rest` (size bytes) and answers true: "customer.metadata." + "pet". */
bool rules_field_under(struct slice f, const char *prefix, char *rest, size_t size);

/* The caller's view of the world. `get` fills *out for a field path (RV_NULL when the
 * field is unknown or absent) and returns 0; a negative return aborts evaluation with that
 * error. It must not allocate per call on the hot path. rules_eval calls it at most once
 * per distinct field and keeps the value until it returns, so a string it points to must
 * stay valid for the whole rules_eval call. */
struct rule_input {
    int (*get)(void *ctx, struct slice field, struct rule_value *out);
    void *ctx;
};

struct rule_error {
    char where[96]; /* "2.conditions.$more_than" or "logic" */
    char message[160];
};

struct ruleset; /* compiled; lives in the arena it was compiled into */

/* Compiles the rule-set object `json` (numbered rules + optional "logic") into `a`.
 * TREU_EINVAL with *err filled for anything malformed: unknown operator, wrong value
 * type for the operator, too many rules/values, logic that references a missing rule,
 * unbalanced parentheses, over-long strings. TREU_ENOMEM when the arena is full. */
TREU_MUST_USE int rules_compile(const cJSON *json, struct arena *a, struct ruleset **out,
                                struct rule_error *err);

/* Evaluates; *result is the logic's value. Returns 0, or the negative code `get` gave. */
TREU_MUST_USE int rules_eval(const struct ruleset *rs, const struct rule_input *in, bool *result);

/* The distinct field paths the rule set reads (for callers that precompute inputs).
 * Returns the count; writes at most `max` slices pointing into the compiled set. */
size_t rules_fields(const struct ruleset *rs, struct slice *fields, size_t max);

/* Writes the rule set back as canonical JSON (same shape as accepted). */
int rules_write_json(const struct ruleset *rs, struct buf *b);

#endif
