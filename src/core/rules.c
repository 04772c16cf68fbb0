/* rules.c - compiles Voucherify-style rule sets into a flat array of conditions plus a
 * postfix logic program, and evaluates them without allocating.
 *
 * Compilation is strict: whatever it cannot give one clear meaning is refused with a
 * message naming the part, because a rule that silently never matches costs a marketer
 * money and nobody notices. Evaluation reads each distinct field at most once (a cache on
 * the stack indexed by the interned field number), turns every condition into one bit,
 * then runs the logic program on a fixed stack. Nothing here recurses and every loop is
 * bounded by a RULES_*_MAX constant or by the size of the input. */
#include "core/rules.h"

#include "core/json.h"
#include "core/tstime.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define RULES_STR_(x)     #x
#define RULES_STR(x)      RULES_STR_(x)
#define RULES_VALUES_TEXT RULES_STR(RULES_VALUES_MAX) /* "100", for messages */

/* Doubles hold every integer up to 2^53 exactly; rule constants within it become RV_INT. */
#define RULES_EXACT_INT_MAX  9007199254740992.0
#define RULES_TEXT_SHOWN_MAX 40 /* bytes of user text quoted back in an error */

static_assert(RULES_CONDITIONS_MAX <= 64, "condition truth values live in one uint64_t");
static_assert(RULES_CONDITIONS_MAX < UINT8_MAX, "logic steps name a condition in a uint8_t");
/* In normalized logic every binary operator costs at least 4 bytes (" or ") and adds 2
 * steps with its right operand, every "not " 4 bytes and 1 step, and the first operand 1
 * byte and 1 step; so steps <= 2 * bytes / 5 + 1 and the program cannot overflow. */
static_assert(RULES_PROGRAM_MAX >= (2 * RULES_LOGIC_BYTES_MAX) / 5 + 1,
              "a logic string within RULES_LOGIC_BYTES_MAX must fit the program");

/* ------------------------------------------------------------------ compiled form */

/* A constant from an operator's array, kept as written (for rules_write_json) and, when it
 * is a string that reads as an ISO 8601 instant, also as that instant. */
struct rule_const {
    struct rule_value v; /* RV_INT, RV_NUM, RV_STR or RV_BOOL */
    int64_t time_us;     /* valid when is_time */
    bool is_time;
};

/* One operator of one rule. */
struct rule_test {
    enum rule_op op;
    uint32_t nvals;
    const struct rule_const *vals;
};

/* One numbered rule: a field and the operators that must all hold on it. */
struct rule_cond {
    uint32_t number;       /* its key in the rule set */
    uint32_t field;        /* index into ruleset.fields */
    struct slice name;     /* points into the field path */
    struct slice property; /* .ptr NULL when absent */
    uint32_t ntests;
    struct rule_test *tests; /* sorted by op */
};

enum logic_kind { STEP_PUSH, STEP_NOT, STEP_AND, STEP_OR };

struct logic_step {
    uint8_t kind; /* enum logic_kind */
    uint8_t cond; /* STEP_PUSH: index into ruleset.conds */
};

struct ruleset {
    uint32_t ncond;
    uint32_t nfields;
    uint32_t nsteps;
    bool has_logic;     /* false: all conditions ANDed, no program */
    struct slice logic; /* normalized, when has_logic */
    struct slice fields[RULES_CONDITIONS_MAX];
    struct rule_cond conds[RULES_CONDITIONS_MAX]; /* in rule-number order */
    struct logic_step steps[RULES_PROGRAM_MAX];
};

/* ------------------------------------------------------------------ operators */

enum rule_kind { KIND_SET, KIND_ORDER, KIND_STRING, KIND_RANGE, KIND_INSTANT, KIND_PRESENCE };

static const struct {
    const char *name;
    enum rule_kind kind;
} op_specs[] = {
    [RULE_IS] = {"$is", KIND_SET},
    [RULE_IS_NOT] = {"$is_not", KIND_SET},
    [RULE_IN] = {"$in", KIND_SET},
    [RULE_NOT_IN] = {"$not_in", KIND_SET},
    [RULE_MORE_THAN] = {"$more_than", KIND_ORDER},
    [RULE_LESS_THAN] = {"$less_than", KIND_ORDER},
    [RULE_MORE_THAN_EQUAL] = {"$more_than_equal", KIND_ORDER},
    [RULE_LESS_THAN_EQUAL] = {"$less_than_equal", KIND_ORDER},
    [RULE_STARTS_WITH] = {"$starts_with", KIND_STRING},
    [RULE_ENDS_WITH] = {"$ends_with", KIND_STRING},
    [RULE_CONTAINS] = {"$contains", KIND_STRING},
    [RULE_TIMEFRAME] = {"$timeframe", KIND_RANGE},
    [RULE_AFTER] = {"$after", KIND_INSTANT},
    [RULE_BEFORE] = {"$before", KIND_INSTANT},
    [RULE_IS_UNKNOWN] = {"$is_unknown", KIND_PRESENCE},
    [RULE_HAS_VALUE] = {"$has_value", KIND_PRESENCE},
};

#define RULE_OP_COUNT TREU_ARRAY_LEN(op_specs)
static_assert(RULE_OP_COUNT == RULE_HAS_VALUE + 1, "op_specs covers enum rule_op");
static_assert(RULE_OP_COUNT <= 32, "operators seen in one rule live in a uint32_t");

/* What each kind of operator accepts in its array. */
enum { VT_NUM = 1, VT_STR = 2, VT_BOOL = 4, VT_INSTANT = 8 };

static const struct {
    uint32_t min, max; /* number of values */
    unsigned types;    /* VT_* */
    const char *usage; /* the message when the array does not fit */
} kind_specs[] = {
    [KIND_SET] = {1, RULES_VALUES_MAX, VT_NUM | VT_STR | VT_BOOL,
                  "expects an array of 1 to " RULES_VALUES_TEXT " numbers, strings or booleans"},
    [KIND_ORDER] = {1, 1, VT_NUM | VT_INSTANT, "expects exactly one number or ISO 8601 instant"},
    [KIND_STRING] = {1, RULES_VALUES_MAX, VT_STR,
                     "expects an array of 1 to " RULES_VALUES_TEXT " strings"},
    [KIND_RANGE] = {2, 2, VT_INSTANT, "expects exactly two ISO 8601 instants: start and end"},
    [KIND_INSTANT] = {1, 1, VT_INSTANT, "expects exactly one ISO 8601 instant"},
    [KIND_PRESENCE] = {0, 0, 0, "expects an empty array (or true)"},
};

static int op_lookup(const char *name)
{
    for (size_t i = 0; i < RULE_OP_COUNT; i++)
        if (strcmp(op_specs[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------ errors */

struct compiler {
    struct arena *a;
    struct rule_error *err;
    struct ruleset *rs;
};

static void set_where(struct compiler *c, const char *fmt, ...) TREU_PRINTF(2, 3);
static int fail(struct compiler *c, const char *fmt, ...) TREU_PRINTF(2, 3);

static void set_where(struct compiler *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->where, sizeof c->err->where, fmt, ap);
    va_end(ap);
}

/* Fills the message (the caller set `where`) and returns TREU_EINVAL. */
static int fail(struct compiler *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
    va_end(ap);
    return TREU_EINVAL;
}

static int out_of_memory(struct compiler *c)
{
    set_where(c, "%s", "rules");
    fail(c, "%s", "out of memory compiling the rule set");
    return TREU_ENOMEM;
}

/* ------------------------------------------------------------------ top level */

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* "1".."RULES_CONDITIONS_MAX" without leading zeros. */
static bool rule_number(const char *s, uint32_t *n)
{
    size_t len = strlen(s);
    if (len == 0 || len > 3 || s[0] == '0' || !all_digits(s))
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++)
        v = v * 10 + (uint32_t)(s[i] - '0');
    if (v > RULES_CONDITIONS_MAX)
        return false;
    *n = v;
    return true;
}

/* Sorts the top-level keys: numbered rules into by_num[number], "logic" into *logic. */
static int top_keys(struct compiler *c, const cJSON *json, const cJSON **by_num,
                    const cJSON **logic)
{
    set_where(c, "%s", "rules");
    if (!cJSON_IsObject(json))
        return fail(c, "must be an object of numbered rules and an optional \"logic\"");
    size_t count = 0;
    for (const cJSON *k = json->child; k; k = k->next) {
        if (strcmp(k->string, "logic") == 0) {
            set_where(c, "%s", "logic");
            if (*logic)
                return fail(c, "appears twice");
            *logic = k;
        } else if (all_digits(k->string)) {
            count++;
        } else {
            set_where(c, "%.*s", RULES_TEXT_SHOWN_MAX, k->string);
            return fail(c, "unknown key; a rule set has numbered rules (\"1\", \"2\", ...) "
                           "and an optional \"logic\"");
        }
    }
    set_where(c, "%s", "rules");
    if (count == 0)
        return fail(c, "has no rules; give at least one numbered rule such as \"1\"");
    if (count > RULES_CONDITIONS_MAX)
        return fail(c, "has %zu rules; at most %d", count, RULES_CONDITIONS_MAX);
    for (const cJSON *k = json->child; k; k = k->next) {
        uint32_t n;
        if (!all_digits(k->string))
            continue;
        set_where(c, "%.*s", RULES_TEXT_SHOWN_MAX, k->string);
        if (!rule_number(k->string, &n))
            return fail(c, "rule numbers run from 1 to %d, without leading zeros",
                        RULES_CONDITIONS_MAX);
        if (by_num[n])
            return fail(c, "appears twice");
        by_num[n] = k;
    }
    return 0;
}

/* ------------------------------------------------------------------ one rule */

enum { KEY_NAME, KEY_PROPERTY, KEY_CONDITIONS, KEY_RULES, KEY_ERROR, KEY_COUNT };
static const char *const rule_keys[KEY_COUNT] = {"name", "property", "conditions", "rules",
                                                 "error"};

static int rule_parts(struct compiler *c, uint32_t n, const cJSON *rule,
                      const cJSON *parts[KEY_COUNT])
{
    for (const cJSON *k = rule->child; k; k = k->next) {
        size_t i = 0;
        while (i < KEY_COUNT && strcmp(rule_keys[i], k->string) != 0)
            i++;
        set_where(c, "%u.%.*s", n, RULES_TEXT_SHOWN_MAX, k->string);
        if (i == KEY_COUNT)
            return fail(c, "unknown key; a rule has \"name\", \"property\", \"conditions\", "
                           "\"rules\" and \"error\"");
        if (parts[i])
            return fail(c, "appears twice");
        parts[i] = k;
    }
    return 0;
}

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
}

static bool property_char(char ch)
{
    return name_char(ch) || (ch >= 'A' && ch <= 'Z') || ch == '-';
}

/* Checks one part of a field path: allowed characters, no empty dot-separated segment.
 * The caller has set `where` and checked the length. */
static int check_path_part(struct compiler *c, struct slice s, bool property)
{
    if (s.len == 0)
        return fail(c, "must not be empty");
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.ptr[i];
        if (!(property ? property_char(ch) : name_char(ch)))
            return fail(c, "may contain only %s; found byte 0x%02X at offset %zu",
                        property ? "a-z, A-Z, 0-9, '_', '-' and '.'" : "a-z, 0-9, '_' and '.'",
                        (unsigned char)ch, i);
        if (ch == '.' && (i == 0 || i + 1 == s.len || s.ptr[i + 1] == '.'))
            return fail(c, "has an empty segment around '.' at offset %zu", i);
    }
    return 0;
}

/* Index of `path` among the rule set's fields, adding it when new. */
static uint32_t intern_field(struct ruleset *rs, struct slice path)
{
    for (uint32_t i = 0; i < rs->nfields; i++)
        if (slice_eq(rs->fields[i], path))
            return i;
    ASSERT(rs->nfields < RULES_CONDITIONS_MAX);
    rs->fields[rs->nfields] = path;
    return rs->nfields++;
}

/* Validates "name" and "property" and sets cond->name, ->property and ->field. */
static int compile_field(struct compiler *c, uint32_t n, const cJSON *name, const cJSON *prop,
                         struct rule_cond *cond)
{
    set_where(c, "%u.name", n);
    if (!name)
        return fail(c, "is required: the field the rule reads, such as \"order.amount\"");
    if (!cJSON_IsString(name))
        return fail(c, "must be a string such as \"order.amount\"");
    struct slice nm = slice_from(name->valuestring);
    if (nm.len > RULES_FIELD_BYTES_MAX)
        return fail(c, "is %zu bytes; at most %d", nm.len, RULES_FIELD_BYTES_MAX);
    int rc = check_path_part(c, nm, false);
    if (rc < 0)
        return rc;
    struct slice pr = {NULL, 0};
    if (prop && !cJSON_IsNull(prop)) {
        set_where(c, "%u.property", n);
        if (!cJSON_IsString(prop))
            return fail(c, "must be a string such as \"pet\"");
        pr = slice_from(prop->valuestring);
        if (pr.len > RULES_FIELD_BYTES_MAX)
            return fail(c, "is %zu bytes; at most %d", pr.len, RULES_FIELD_BYTES_MAX);
        rc = check_path_part(c, pr, true);
        if (rc < 0)
            return rc;
    }
    size_t total = nm.len + (pr.ptr ? 1 + pr.len : 0);
    if (total > RULES_FIELD_BYTES_MAX)
        return fail(c, "the field path (name + \".\" + property) is %zu bytes; at most %d", total,
                    RULES_FIELD_BYTES_MAX);
    char *path = arena_alloc(c->a, total + 1);
    if (!path)
        return out_of_memory(c);
    memcpy(path, nm.ptr, nm.len);
    if (pr.ptr) {
        path[nm.len] = '.';
        memcpy(path + nm.len + 1, pr.ptr, pr.len);
        cond->property = (struct slice){path + nm.len + 1, pr.len};
    }
    path[total] = '\0';
    cond->name = (struct slice){path, nm.len};
    cond->field = intern_field(c->rs, (struct slice){path, total});
    return 0;
}

/* "rules" (nested item rules) and "error" (a custom message we do not use). */
static int check_extras(struct compiler *c, uint32_t n, const cJSON *rules, const cJSON *error)
{
    if (rules && !cJSON_IsNull(rules)) {
        set_where(c, "%u.rules", n);
        if (!cJSON_IsObject(rules))
            return fail(c, "must be an object");
        if (rules->child)
            return fail(c, "nested rules are not supported yet");
    }
    if (error && !cJSON_IsNull(error) && !cJSON_IsObject(error)) {
        set_where(c, "%u.error", n);
        return fail(c, "must be an object");
    }
    return 0;
}

/* ------------------------------------------------------------------ values */

/* One element of an operator's array. `where` names the operator; errors about this
 * element alone append its index. */
static int compile_value(struct compiler *c, enum rule_kind kind, const cJSON *item, size_t idx,
                         struct rule_const *out)
{
    unsigned types = kind_specs[kind].types;
    const char *usage = kind_specs[kind].usage;
    if (cJSON_IsBool(item)) {
        if (!(types & VT_BOOL))
            return fail(c, "%s", usage);
        out->v = (struct rule_value){.type = RV_BOOL, .i = cJSON_IsTrue(item)};
        return 0;
    }
    if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        if (!(types & VT_NUM))
            return fail(c, "%s", usage);
        if (!isfinite(d))
            return fail(c, "value %zu is not a finite number", idx);
        if (d >= -RULES_EXACT_INT_MAX && d <= RULES_EXACT_INT_MAX && d == (double)(int64_t)d)
            out->v = (struct rule_value){.type = RV_INT, .i = (int64_t)d};
        else
            out->v = (struct rule_value){.type = RV_NUM, .d = d};
        return 0;
    }
    if (!cJSON_IsString(item) || !(types & (VT_STR | VT_INSTANT)))
        return fail(c, "%s", usage);
    struct slice s = slice_from(item->valuestring);
    if (s.len > RULES_VALUE_BYTES_MAX)
        return fail(c, "value %zu is %zu bytes; at most %d", idx, s.len, RULES_VALUE_BYTES_MAX);
    if (!json_utf8_valid(s.ptr, s.len))
        return fail(c, "value %zu is not valid UTF-8", idx);
    out->is_time = tstime_parse_iso(s.ptr, s.len, &out->time_us) == 0;
    if (!out->is_time && !(types & VT_STR))
        return fail(c, "%s", usage);
    char *copy = arena_strndup(c->a, s.ptr, s.len);
    if (!copy)
        return out_of_memory(c);
    out->v = (struct rule_value){.type = RV_STR, .s = {copy, s.len}};
    return 0;
}

/* One operator and its array. The caller has set `where` to "N.conditions.$op". */
static int compile_test(struct compiler *c, enum rule_op op, const cJSON *item, struct rule_test *t)
{
    enum rule_kind kind = op_specs[op].kind;
    *t = (struct rule_test){.op = op};
    if (kind == KIND_PRESENCE && cJSON_IsTrue(item))
        return 0;
    if (!cJSON_IsArray(item))
        return fail(c, "%s", kind_specs[kind].usage);
    size_t count = 0;
    for (const cJSON *v = item->child; v; v = v->next)
        count++;
    if (count > RULES_VALUES_MAX)
        return fail(c, "has %zu values; at most %d", count, RULES_VALUES_MAX);
    if (count < kind_specs[kind].min || count > kind_specs[kind].max)
        return fail(c, "%s", kind_specs[kind].usage);
    struct rule_const *vals = arena_zalloc(c->a, count * sizeof *vals);
    if (!vals)
        return out_of_memory(c);
    size_t i = 0;
    for (const cJSON *v = item->child; v; v = v->next, i++) {
        int rc = compile_value(c, kind, v, i, &vals[i]);
        if (rc < 0)
            return rc;
    }
    if (kind == KIND_RANGE && vals[0].time_us >= vals[1].time_us)
        return fail(c, "starts at or after it ends; give start before end");
    t->vals = vals;
    t->nvals = (uint32_t)count;
    return 0;
}

static void sort_tests(struct rule_test *t, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        struct rule_test x = t[i];
        uint32_t j = i;
        for (; j > 0 && t[j - 1].op > x.op; j--)
            t[j] = t[j - 1];
        t[j] = x;
    }
}

static int compile_conditions(struct compiler *c, uint32_t n, const cJSON *conds,
                              struct rule_cond *cond)
{
    set_where(c, "%u.conditions", n);
    if (!conds)
        return fail(c, "is required: an object of operators such as {\"$is\": [\"gold\"]}");
    if (!cJSON_IsObject(conds))
        return fail(c, "must be an object of operators such as {\"$is\": [\"gold\"]}");
    if (!conds->child)
        return fail(c, "has no operators; give at least one, such as {\"$is\": [\"gold\"]}");
    struct rule_test *tests = arena_alloc(c->a, RULE_OP_COUNT * sizeof *tests);
    if (!tests)
        return out_of_memory(c);
    uint32_t seen = 0, count = 0;
    for (const cJSON *k = conds->child; k; k = k->next) {
        set_where(c, "%u.conditions.%.*s", n, RULES_TEXT_SHOWN_MAX, k->string);
        int op = op_lookup(k->string);
        if (op < 0)
            return fail(c, "is not an operator; use $is, $in, $more_than, $timeframe or "
                           "another listed in the rules reference");
        if (seen & (UINT32_C(1) << op))
            return fail(c, "appears twice");
        seen |= UINT32_C(1) << op;
        ASSERT(count < RULE_OP_COUNT);
        int rc = compile_test(c, (enum rule_op)op, k, &tests[count]);
        if (rc < 0)
            return rc;
        count++;
    }
    sort_tests(tests, count);
    cond->tests = tests;
    cond->ntests = count;
    return 0;
}

static int compile_rule(struct compiler *c, uint32_t n, const cJSON *rule)
{
    set_where(c, "%u", n);
    if (!cJSON_IsObject(rule))
        return fail(c, "must be an object with \"name\" and \"conditions\"");
    const cJSON *parts[KEY_COUNT] = {0};
    int rc = rule_parts(c, n, rule, parts);
    if (rc < 0)
        return rc;
    struct rule_cond *cond = &c->rs->conds[c->rs->ncond];
    *cond = (struct rule_cond){.number = n};
    rc = compile_field(c, n, parts[KEY_NAME], parts[KEY_PROPERTY], cond);
    if (rc < 0)
        return rc;
    rc = check_extras(c, n, parts[KEY_RULES], parts[KEY_ERROR]);
    if (rc < 0)
        return rc;
    rc = compile_conditions(c, n, parts[KEY_CONDITIONS], cond);
    if (rc < 0)
        return rc;
    c->rs->ncond++;
    return 0;
}

/* ------------------------------------------------------------------ logic */

enum tok { TOK_NUM, TOK_AND, TOK_OR, TOK_NOT, TOK_LP, TOK_RP, TOK_END };

struct token {
    enum tok kind;
    size_t pos; /* byte offset in the logic string */
    size_t len;
};

/* A bounded shunting-yard: operators wait on `ops`, output goes to rs->steps, and the
 * normalized text (lower case, single spaces) is rebuilt as tokens arrive. */
struct logic_parser {
    struct compiler *c;
    struct slice src;
    const uint8_t *index_of;            /* rule number -> condition index, UINT8_MAX when absent */
    uint8_t ops[RULES_LOGIC_BYTES_MAX]; /* TOK_NOT / TOK_AND / TOK_OR / TOK_LP */
    size_t nops;
    size_t open_pos[RULES_LOGIC_DEPTH_MAX];
    size_t depth;
    bool want_operand;
    enum tok prev;
    uint64_t used; /* bit per condition index */
    char norm[RULES_LOGIC_BYTES_MAX];
    size_t norm_len;
};

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool word_is(struct slice s, size_t pos, size_t len, const char *word)
{
    if (strlen(word) != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s.ptr[pos + i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != word[i])
            return false;
    }
    return true;
}

static int logic_token(struct logic_parser *p, size_t *at, struct token *t)
{
    struct slice s = p->src;
    size_t i = *at;
    while (i < s.len && is_space(s.ptr[i]))
        i++;
    *t = (struct token){.kind = TOK_END, .pos = i, .len = 1};
    if (i == s.len) {
        t->len = 0;
    } else if (s.ptr[i] == '(' || s.ptr[i] == ')') {
        t->kind = s.ptr[i] == '(' ? TOK_LP : TOK_RP;
    } else if (is_digit(s.ptr[i])) {
        while (i + t->len < s.len && is_digit(s.ptr[i + t->len]))
            t->len++;
        t->kind = TOK_NUM;
    } else if (is_alpha(s.ptr[i])) {
        while (i + t->len < s.len && is_alpha(s.ptr[i + t->len]))
            t->len++;
        t->kind = word_is(s, i, t->len, "and")   ? TOK_AND
                  : word_is(s, i, t->len, "or")  ? TOK_OR
                  : word_is(s, i, t->len, "not") ? TOK_NOT
                                                 : TOK_END;
        if (t->kind == TOK_END)
            return fail(p->c, "unknown word '%.*s' at position %zu; use and, or, not",
                        (int)(t->len < RULES_TEXT_SHOWN_MAX ? t->len : RULES_TEXT_SHOWN_MAX),
                        s.ptr + i, i + 1);
    } else {
        unsigned char ch = (unsigned char)s.ptr[i];
        if (ch > ' ' && ch < 0x7F)
            return fail(p->c, "unexpected character '%c' at position %zu", ch, i + 1);
        return fail(p->c, "unexpected byte 0x%02X at position %zu", ch, i + 1);
    }
    *at = i + t->len;
    return 0;
}

static void logic_emit(struct logic_parser *p, enum logic_kind kind, uint8_t cond)
{
    struct ruleset *rs = p->c->rs;
    ASSERT(rs->nsteps < RULES_PROGRAM_MAX); /* see the static_assert at the top */
    rs->steps[rs->nsteps++] = (struct logic_step){.kind = (uint8_t)kind, .cond = cond};
}

static void logic_emit_op(struct logic_parser *p, uint8_t op)
{
    logic_emit(p, op == TOK_NOT ? STEP_NOT : op == TOK_AND ? STEP_AND : STEP_OR, 0);
}

static int precedence(uint8_t op)
{
    return op == TOK_NOT ? 3 : op == TOK_AND ? 2 : op == TOK_OR ? 1 : 0;
}

/* Appends the token to the normalized text: one space between tokens except after '('
 * and before ')'. */
static int logic_normalize(struct logic_parser *p, const struct token *t)
{
    bool space = p->norm_len > 0 && p->prev != TOK_LP && t->kind != TOK_RP;
    if (p->norm_len + space + t->len > RULES_LOGIC_BYTES_MAX)
        return fail(p->c, "is longer than %d bytes once written with single spaces",
                    RULES_LOGIC_BYTES_MAX);
    if (space)
        p->norm[p->norm_len++] = ' ';
    for (size_t i = 0; i < t->len; i++) {
        char ch = p->src.ptr[t->pos + i];
        p->norm[p->norm_len++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    p->prev = t->kind;
    return 0;
}

/* An operand or a prefix operator must come next, or an infix one; says which was wrong. */
static int logic_check_place(struct logic_parser *p, const struct token *t)
{
    bool operand_like = t->kind == TOK_NUM || t->kind == TOK_NOT || t->kind == TOK_LP;
    int shown = (int)(t->len < RULES_TEXT_SHOWN_MAX ? t->len : RULES_TEXT_SHOWN_MAX);
    if (p->want_operand && !operand_like) {
        if (t->kind == TOK_END && p->norm_len == 0)
            return fail(p->c, "is empty; leave \"logic\" out to require all rules");
        if (t->kind == TOK_END)
            return fail(p->c, "ends early; expected a rule number, 'not' or '(' at the end");
        return fail(p->c, "expected a rule number, 'not' or '(' at position %zu, found '%.*s'",
                    t->pos + 1, shown, p->src.ptr + t->pos);
    }
    if (!p->want_operand && operand_like)
        return fail(p->c, "expected 'and', 'or' or ')' at position %zu, found '%.*s'", t->pos + 1,
                    shown, p->src.ptr + t->pos);
    return 0;
}

static int logic_operand(struct logic_parser *p, const struct token *t)
{
    uint32_t n = 0;
    for (size_t i = 0; i < t->len && n <= RULES_CONDITIONS_MAX; i++)
        n = n * 10 + (uint32_t)(p->src.ptr[t->pos + i] - '0');
    bool leading_zero = t->len > 1 && p->src.ptr[t->pos] == '0';
    if (leading_zero || n == 0 || n > RULES_CONDITIONS_MAX || p->index_of[n] == UINT8_MAX)
        return fail(p->c, "unknown rule %.*s at position %zu",
                    (int)(t->len < RULES_TEXT_SHOWN_MAX ? t->len : RULES_TEXT_SHOWN_MAX),
                    p->src.ptr + t->pos, t->pos + 1);
    uint8_t idx = p->index_of[n];
    p->used |= UINT64_C(1) << idx;
    logic_emit(p, STEP_PUSH, idx);
    return 0;
}

static int logic_close(struct logic_parser *p, const struct token *t)
{
    if (p->depth == 0)
        return fail(p->c, "unmatched ')' at position %zu", t->pos + 1);
    while (p->ops[p->nops - 1] != TOK_LP)
        logic_emit_op(p, p->ops[--p->nops]);
    p->nops--;
    p->depth--;
    return 0;
}

static int logic_end(struct logic_parser *p)
{
    if (p->depth > 0)
        return fail(p->c, "unclosed '(' at position %zu", p->open_pos[p->depth - 1] + 1);
    while (p->nops > 0)
        logic_emit_op(p, p->ops[--p->nops]);
    return 0;
}

/* One shunting-yard step. */
static int logic_feed(struct logic_parser *p, const struct token *t)
{
    int rc = logic_check_place(p, t);
    if (rc == 0 && t->kind != TOK_END)
        rc = logic_normalize(p, t);
    if (rc < 0)
        return rc;
    p->want_operand = t->kind != TOK_NUM && t->kind != TOK_RP;
    switch (t->kind) {
    case TOK_NUM: return logic_operand(p, t);
    case TOK_RP: return logic_close(p, t);
    case TOK_END: return logic_end(p);
    case TOK_LP:
        if (p->depth == RULES_LOGIC_DEPTH_MAX)
            return fail(p->c, "parentheses nest deeper than %d at position %zu",
                        RULES_LOGIC_DEPTH_MAX, t->pos + 1);
        p->open_pos[p->depth++] = t->pos;
        break;
    case TOK_AND:
    case TOK_OR:
        while (p->nops > 0 && precedence(p->ops[p->nops - 1]) >= precedence((uint8_t)t->kind))
            logic_emit_op(p, p->ops[--p->nops]);
        break;
    case TOK_NOT: break;
    }
    ASSERT(p->nops < RULES_LOGIC_BYTES_MAX); /* every waiting operator is a distinct byte */
    p->ops[p->nops++] = (uint8_t)t->kind;
    return 0;
}

/* Debug check that the program leaves exactly one value and never underflows. */
static void logic_verify(const struct ruleset *rs)
{
    size_t sp = 0;
    for (uint32_t i = 0; i < rs->nsteps; i++) {
        uint8_t k = rs->steps[i].kind;
        ASSERT(k == STEP_PUSH || sp >= (k == STEP_NOT ? 1u : 2u));
        sp = k == STEP_PUSH ? sp + 1 : k == STEP_NOT ? sp : sp - 1;
    }
    ASSERT(sp == 1);
}

static int compile_logic(struct compiler *c, const cJSON *item, const uint8_t *index_of)
{
    set_where(c, "%s", "logic");
    if (!cJSON_IsString(item))
        return fail(c, "must be a string such as \"(1 and 2) or 3\"");
    struct logic_parser p = {.c = c, .index_of = index_of, .want_operand = true};
    p.src = slice_from(item->valuestring);
    if (p.src.len > RULES_LOGIC_BYTES_MAX)
        return fail(c, "is %zu bytes; at most %d", p.src.len, RULES_LOGIC_BYTES_MAX);
    struct token t;
    size_t at = 0;
    do {
        int rc = logic_token(&p, &at, &t);
        if (rc == 0)
            rc = logic_feed(&p, &t);
        if (rc < 0)
            return rc;
    } while (t.kind != TOK_END);
    for (uint32_t i = 0; i < c->rs->ncond; i++)
        if (!(p.used & (UINT64_C(1) << i)))
            return fail(c, "rule %u is not used; reference it in logic or remove it",
                        c->rs->conds[i].number);
    logic_verify(c->rs);
    char *norm = arena_strndup(c->a, p.norm, p.norm_len);
    if (!norm)
        return out_of_memory(c);
    c->rs->logic = (struct slice){norm, p.norm_len};
    c->rs->has_logic = true;
    return 0;
}

int rules_compile(const cJSON *json, struct arena *a, struct ruleset **out, struct rule_error *err)
{
    ASSERT(a && out);
    struct rule_error scratch;
    struct compiler c = {.a = a, .err = err ? err : &scratch};
    c.err->where[0] = '\0';
    c.err->message[0] = '\0';
    *out = NULL;
    const cJSON *by_num[RULES_CONDITIONS_MAX + 1] = {0};
    const cJSON *logic = NULL;
    uint8_t index_of[RULES_CONDITIONS_MAX + 1];
    memset(index_of, UINT8_MAX, sizeof index_of);

    int rc = top_keys(&c, json, by_num, &logic);
    if (rc < 0)
        goto out;
    c.rs = arena_zalloc(a, sizeof *c.rs);
    if (!c.rs) {
        rc = out_of_memory(&c);
        goto out;
    }
    for (uint32_t n = 1; n <= RULES_CONDITIONS_MAX; n++) {
        if (!by_num[n])
            continue;
        index_of[n] = (uint8_t)c.rs->ncond;
        rc = compile_rule(&c, n, by_num[n]);
        if (rc < 0)
            goto out;
    }
    if (logic) {
        rc = compile_logic(&c, logic, index_of);
        if (rc < 0)
            goto out;
    }
    *out = c.rs;
    c.err->where[0] = '\0';
    c.err->message[0] = '\0';
out:
    return rc;
}

/* ------------------------------------------------------------------ evaluation */

enum { CMP_LESS = -1, CMP_EQUAL = 0, CMP_MORE = 1, CMP_NONE = 2 /* NaN or not comparable */ };

/* Compares an integer with a double exactly (no rounding of large integers). */
static int cmp_int_double(int64_t i, double d)
{
    if (isnan(d))
        return CMP_NONE;
    if (d >= 0x1p63)
        return CMP_LESS;
    if (d < -0x1p63)
        return CMP_MORE;
    int64_t whole = (int64_t)d; /* exact: |d| < 2^63, truncates toward zero */
    if (i != whole)
        return i < whole ? CMP_LESS : CMP_MORE;
    double frac = d - (double)whole; /* exact: the fraction bits of d */
    return frac > 0 ? CMP_LESS : frac < 0 ? CMP_MORE : CMP_EQUAL;
}

static int cmp_numbers(const struct rule_value *a, const struct rule_value *b)
{
    if (a->type == RV_INT && b->type == RV_INT)
        return a->i < b->i ? CMP_LESS : a->i > b->i ? CMP_MORE : CMP_EQUAL;
    if (a->type == RV_INT)
        return cmp_int_double(a->i, b->d);
    if (b->type == RV_INT) {
        int r = cmp_int_double(b->i, a->d);
        return r == CMP_NONE ? r : -r;
    }
    if (isnan(a->d) || isnan(b->d))
        return CMP_NONE;
    return a->d < b->d ? CMP_LESS : a->d > b->d ? CMP_MORE : CMP_EQUAL;
}

static bool is_number(const struct rule_value *v)
{
    return v->type == RV_INT || v->type == RV_NUM;
}

/* Field against constant: numbers with numbers, instants with ISO constants. */
static int cmp_field(const struct rule_value *f, const struct rule_const *k)
{
    if (f->type == RV_TIME && k->is_time)
        return f->i < k->time_us ? CMP_LESS : f->i > k->time_us ? CMP_MORE : CMP_EQUAL;
    if (is_number(f) && is_number(&k->v))
        return cmp_numbers(f, &k->v);
    return CMP_NONE;
}

static bool equal_field(const struct rule_value *f, const struct rule_const *k)
{
    switch (f->type) {
    case RV_STR: return k->v.type == RV_STR && slice_eq(f->s, k->v.s);
    case RV_BOOL: return k->v.type == RV_BOOL && (f->i != 0) == (k->v.i != 0);
    case RV_INT:
    case RV_NUM:
    case RV_TIME: return cmp_field(f, k) == CMP_EQUAL;
    case RV_NULL: return false;
    }
    return false;
}

static bool string_matches(enum rule_op op, struct slice f, struct slice v)
{
    if (v.len == 0)
        return true;
    if (f.len < v.len)
        return false;
    switch (op) {
    case RULE_STARTS_WITH: return memcmp(f.ptr, v.ptr, v.len) == 0;
    case RULE_ENDS_WITH: return memcmp(f.ptr + f.len - v.len, v.ptr, v.len) == 0;
    default: return memmem(f.ptr, f.len, v.ptr, v.len) != NULL;
    }
}

static bool any_value(const struct rule_test *t, const struct rule_value *f)
{
    for (uint32_t i = 0; i < t->nvals; i++) {
        bool hit = op_specs[t->op].kind == KIND_STRING
                       ? f->type == RV_STR && string_matches(t->op, f->s, t->vals[i].v.s)
                       : equal_field(f, &t->vals[i]);
        if (hit)
            return true;
    }
    return false;
}

static bool test_holds(const struct rule_test *t, const struct rule_value *f)
{
    bool time = f->type == RV_TIME;
    switch (t->op) {
    case RULE_IS:
    case RULE_IN:
    case RULE_STARTS_WITH:
    case RULE_ENDS_WITH:
    case RULE_CONTAINS: return any_value(t, f);
    case RULE_IS_NOT:
    case RULE_NOT_IN: return !any_value(t, f);
    case RULE_MORE_THAN: return cmp_field(f, &t->vals[0]) == CMP_MORE;
    case RULE_LESS_THAN: return cmp_field(f, &t->vals[0]) == CMP_LESS;
    case RULE_MORE_THAN_EQUAL: {
        int r = cmp_field(f, &t->vals[0]);
        return r == CMP_MORE || r == CMP_EQUAL;
    }
    case RULE_LESS_THAN_EQUAL: {
        int r = cmp_field(f, &t->vals[0]);
        return r == CMP_LESS || r == CMP_EQUAL;
    }
    case RULE_TIMEFRAME: return time && f->i >= t->vals[0].time_us && f->i < t->vals[1].time_us;
    case RULE_AFTER: return time && f->i > t->vals[0].time_us;
    case RULE_BEFORE: return time && f->i < t->vals[0].time_us;
    case RULE_IS_UNKNOWN: return f->type == RV_NULL;
    case RULE_HAS_VALUE: return f->type != RV_NULL;
    }
    return false;
}

/* Field values fetched so far in one rules_eval. */
struct field_cache {
    uint64_t loaded; /* bit per field index */
    struct rule_value v[RULES_CONDITIONS_MAX];
};

static int cond_holds(const struct ruleset *rs, uint32_t i, const struct rule_input *in,
                      struct field_cache *fc, bool *holds)
{
    const struct rule_cond *cond = &rs->conds[i];
    uint64_t bit = UINT64_C(1) << cond->field;
    struct rule_value *f = &fc->v[cond->field];
    if (!(fc->loaded & bit)) {
        *f = (struct rule_value){.type = RV_NULL};
        int rc = in->get(in->ctx, rs->fields[cond->field], f);
        if (rc < 0)
            return rc;
        fc->loaded |= bit;
    }
    *holds = true;
    for (uint32_t k = 0; k < cond->ntests && *holds; k++)
        *holds = test_holds(&cond->tests[k], f);
    return 0;
}

static bool logic_run(const struct ruleset *rs, uint64_t truth)
{
    bool stack[RULES_PROGRAM_MAX];
    size_t sp = 0;
    for (uint32_t i = 0; i < rs->nsteps; i++) {
        const struct logic_step *s = &rs->steps[i];
        switch (s->kind) {
        case STEP_PUSH:
            ASSERT(sp < RULES_PROGRAM_MAX);
            stack[sp++] = (truth >> s->cond) & 1;
            break;
        case STEP_NOT:
            ASSERT(sp >= 1);
            stack[sp - 1] = !stack[sp - 1];
            break;
        default:
            ASSERT(sp >= 2);
            sp--;
            stack[sp - 1] =
                s->kind == STEP_AND ? stack[sp - 1] && stack[sp] : stack[sp - 1] || stack[sp];
            break;
        }
    }
    ASSERT(sp == 1);
    return stack[0];
}

int rules_eval(const struct ruleset *rs, const struct rule_input *in, bool *result)
{
    ASSERT(rs && in && in->get && result);
    struct field_cache fc;
    fc.loaded = 0;
    uint64_t truth = 0;
    int rc = 0;
    *result = false;
    for (uint32_t i = 0; i < rs->ncond; i++) {
        bool holds;
        rc = cond_holds(rs, i, in, &fc, &holds);
        if (rc < 0)
            goto out;
        if (holds)
            truth |= UINT64_C(1) << i;
        else if (!rs->has_logic)
            goto out; /* all rules ANDed: the first false one decides */
    }
    *result = rs->has_logic ? logic_run(rs, truth) : true;
out:
    return rc;
}

size_t rules_fields(const struct ruleset *rs, struct slice *fields, size_t max)
{
    ASSERT(rs);
    ASSERT(fields || max == 0);
    for (size_t i = 0; i < rs->nfields && i < max; i++)
        fields[i] = rs->fields[i];
    return rs->nfields;
}

/* ------------------------------------------------------------------ JSON out */

/* The shortest of %.15g..%.17g that reads back as the same double. */
static void write_double(struct jw *w, double d)
{
    char tmp[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    jw_raw(w, tmp);
}

static void write_test(struct jw *w, const struct rule_test *t)
{
    jw_key(w, op_specs[t->op].name);
    jw_arr_open(w);
    for (uint32_t i = 0; i < t->nvals; i++) {
        const struct rule_value *v = &t->vals[i].v;
        switch (v->type) {
        case RV_INT: jw_int(w, v->i); break;
        case RV_NUM: write_double(w, v->d); break;
        case RV_STR: jw_strn(w, v->s.ptr, v->s.len); break;
        case RV_BOOL: jw_bool(w, v->i != 0); break;
        case RV_NULL:
        case RV_TIME: ASSERT(!"constants are never null or RV_TIME"); break;
        }
    }
    jw_arr_close(w);
}

static void write_cond(struct jw *w, const struct rule_cond *cond)
{
    char key[16];
    snprintf(key, sizeof key, "%u", cond->number);
    jw_key(w, key);
    jw_obj_open(w);
    jw_key(w, "name");
    jw_strn(w, cond->name.ptr, cond->name.len);
    if (cond->property.ptr) {
        jw_key(w, "property");
        jw_strn(w, cond->property.ptr, cond->property.len);
    }
    jw_key(w, "conditions");
    jw_obj_open(w);
    for (uint32_t k = 0; k < cond->ntests; k++)
        write_test(w, &cond->tests[k]);
    jw_obj_close(w);
    jw_obj_close(w);
}

int rules_write_json(const struct ruleset *rs, struct buf *b)
{
    ASSERT(rs && b);
    struct jw w;
    jw_init(&w, b);
    jw_obj_open(&w);
    for (uint32_t i = 0; i < rs->ncond; i++)
        write_cond(&w, &rs->conds[i]);
    if (rs->has_logic) {
        jw_key(&w, "logic");
        jw_strn(&w, rs->logic.ptr, rs->logic.len);
    }
    jw_obj_close(&w);
    return b->err;
}

void rules_value_str(const char *s, struct rule_value *out)
{
    out->type = s ? RV_STR : RV_NULL;
    out->s = slice_from(s);
}

void rules_value_int(int64_t v, struct rule_value *out)
{
    out->type = RV_INT;
    out->i = v;
}

void rules_value_json(const cJSON *j, struct rule_value *out)
{
    out->type = RV_NULL;
    if (cJSON_IsString(j)) {
        rules_value_str(j->valuestring, out);
    } else if (cJSON_IsBool(j)) {
        out->type = RV_BOOL;
        out->i = cJSON_IsTrue(j);
    } else if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        bool exact = d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(int64_t)d;
        out->type = exact ? RV_INT : RV_NUM;
        out->i = exact ? (int64_t)d : 0;
        out->d = d;
    }
}

bool rules_field_under(struct slice f, const char *prefix, char *rest, size_t size)
{
    size_t pl = strlen(prefix);
    if (f.len <= pl || memcmp(f.ptr, prefix, pl) != 0 || f.len - pl >= size)
        return false;
    memcpy(rest, f.ptr + pl, f.len - pl);
    rest[f.len - pl] = '\0';
    return true;
}
