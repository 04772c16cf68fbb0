/* limits.c - a program's budget and per-member caps (see limits.h). */
#include "engine/limits.h"

#include <stdio.h>
#include <string.h>

#define LIMITS_POINTS_MAX INT64_C(1000000000000)

static const char *const limit_periods[] = {"DAY", "WEEK", "MONTH", "YEAR"};

static int limit_parse(const cJSON *o, const char *where, struct limit *out, char *why,
                       size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (!o || cJSON_IsNull(o))
        return 0;
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(o, "points");
    if (!cJSON_IsObject(o) || !cJSON_IsNumber(pts) || pts->valuedouble < 1 ||
        pts->valuedouble > (double)LIMITS_POINTS_MAX ||
        pts->valuedouble != (double)(int64_t)pts->valuedouble) {
        snprintf(why, why_size, "%s.points: required, whole points from 1", where);
        return TREU_EINVAL;
    }
    const cJSON *per = cJSON_GetObjectItemCaseSensitive(o, "period");
    if (per && !cJSON_IsNull(per)) {
        for (size_t i = 0; cJSON_IsString(per) && i < TREU_ARRAY_LEN(limit_periods); i++) {
            if (strcmp(per->valuestring, limit_periods[i]) == 0)
                out->period = limit_periods[i];
        }
        if (!out->period) {
            snprintf(why, why_size, "%s.period: DAY, WEEK, MONTH, YEAR or null (all time)", where);
            return TREU_EINVAL;
        }
    }
    out->set = true;
    out->points = (int64_t)pts->valuedouble;
    return 0;
}

static bool only_keys(const cJSON *o, const char *const *keys, size_t n, const char **bad)
{
    for (const cJSON *it = o->child; it; it = it->next) {
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(it->string, keys[i]) == 0;
        if (!known) {
            *bad = it->string;
            return false;
        }
    }
    return true;
}

int limits_parse(const cJSON *limits, struct program_limits *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (!limits || cJSON_IsNull(limits))
        return 0;
    static const char *const top[] = {"redemption_budget", "per_member"};
    static const char *const member[] = {"earned", "redeemed"};
    const char *bad = NULL;
    const cJSON *pm = cJSON_GetObjectItemCaseSensitive(limits, "per_member");
    if (!cJSON_IsObject(limits) || !only_keys(limits, top, TREU_ARRAY_LEN(top), &bad)) {
        snprintf(why, why_size, "limits%s%.64s: an object with redemption_budget and per_member",
                 bad ? "." : "", bad ? bad : "");
        return TREU_EINVAL;
    }
    if (pm && !cJSON_IsNull(pm) &&
        (!cJSON_IsObject(pm) || !only_keys(pm, member, TREU_ARRAY_LEN(member), &bad))) {
        snprintf(why, why_size, "limits.per_member%s%.64s: an object with earned and redeemed",
                 bad ? "." : "", bad ? bad : "");
        return TREU_EINVAL;
    }
    int rc = limit_parse(cJSON_GetObjectItemCaseSensitive(limits, "redemption_budget"),
                         "limits.redemption_budget", &out->budget, why, why_size);
    if (rc == 0 && cJSON_IsObject(pm))
        rc = limit_parse(cJSON_GetObjectItemCaseSensitive(pm, "earned"), "limits.per_member.earned",
                         &out->earned, why, why_size);
    if (rc == 0 && cJSON_IsObject(pm))
        rc = limit_parse(cJSON_GetObjectItemCaseSensitive(pm, "redeemed"),
                         "limits.per_member.redeemed", &out->redeemed, why, why_size);
    return rc;
}

int limits_of(const struct program *p, struct program_limits *out)
{
    memset(out, 0, sizeof *out);
    if (!p->limits_json)
        return 0;
    cJSON *j = cJSON_Parse(p->limits_json);
    char why[160];
    int rc = j ? limits_parse(j, out, why, sizeof why) : TREU_EINVAL;
    cJSON_Delete(j);
    return rc;
}

static void limit_write(struct jw *w, const char *key, const struct limit *l)
{
    jw_key(w, key);
    if (!l->set) {
        jw_null(w);
        return;
    }
    jw_obj_open(w);
    jw_kv_int(w, "points", l->points);
    jw_kv_str(w, "period", l->period);
    jw_obj_close(w);
}

void limits_write(struct jw *w, const struct program_limits *l)
{
    jw_obj_open(w);
    limit_write(w, "redemption_budget", &l->budget);
    jw_key(w, "per_member");
    jw_obj_open(w);
    limit_write(w, "earned", &l->earned);
    limit_write(w, "redeemed", &l->redeemed);
    jw_obj_close(w);
    jw_obj_close(w);
}

int limits_earn_allowance(struct store_conn *c, const char *pid, struct zones *zs,
                          const struct program *p, const char *member_id, int64_t now,
                          int64_t points, int64_t *allowed)
{
    *allowed = points;
    struct program_limits l;
    int rc = limits_of(p, &l);
    if (rc < 0 || !l.earned.set)
        return rc == TREU_EINVAL ? 0 : rc;
    int64_t since, used = 0;
    rc = zones_period_start(zs, p->timezone, l.earned.period, now, &since);
    if (rc == 0)
        rc = store_entry_accrued_since(c, pid, member_id, since, &used);
    if (rc < 0)
        return rc;
    int64_t left = l.earned.points - used;
    *allowed = left <= 0 ? 0 : points < left ? points : left;
    return 0;
}

int limits_redeem_check(struct store_conn *c, const char *pid, struct zones *zs,
                        const struct program *p, const char *member_id, int64_t now, int64_t points,
                        enum limits_result *res, char *detail, size_t detail_size)
{
    *res = LIMITS_OK;
    struct program_limits l;
    int rc = limits_of(p, &l);
    if (rc < 0)
        return rc == TREU_EINVAL ? 0 : rc;
    const struct limit *checks[] = {&l.redeemed, &l.budget};
    for (size_t i = 0; i < 2; i++) {
        if (!checks[i]->set)
            continue;
        int64_t since, used = 0;
        rc = zones_period_start(zs, p->timezone, checks[i]->period, now, &since);
        if (rc == 0)
            rc = store_redemption_points_since(c, pid, i == 0 ? member_id : NULL,
                                               i == 0 ? NULL : p->id, since, &used);
        if (rc < 0)
            return rc;
        if (used + points > checks[i]->points) {
            *res = i == 0 ? LIMITS_MEMBER_CAP : LIMITS_BUDGET;
            snprintf(detail, detail_size, "%s: %lld of %lld points %s%s are spent; this costs %lld",
                     i == 0 ? "limits.per_member.redeemed" : "limits.redemption_budget",
                     (long long)used, (long long)checks[i]->points,
                     checks[i]->period ? "this " : "in all",
                     checks[i]->period ? checks[i]->period : "", (long long)points);
            return 0;
        }
    }
    return 0;
}
