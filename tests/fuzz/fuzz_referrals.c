/* fuzz_referrals.c - a referral campaign's referral_program.referrer_reward
 * (referrals_reward_parse).
 * Properties: a refused object says why and sets nothing; an accepted reward names a
 * non-empty program no longer than the parser allows, copied into the arena (not pointing
 * into the JSON tree), whole points from 1 to LOYALTY_POINTS_MAX, and the trigger given;
 * an absent or null reward is "not set". */
#include "fuzz.h"

#include "core/json.h"
#include "engine/referrals.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = NULL;
    struct json_error jerr;
    if (json_parse((const char *)data, size, JSON_DEPTH_MAX, &j, &jerr) != 0)
        return 0;
    struct arena a;
    arena_init(&a, 1u << 16);
    struct referral_reward rw;
    char why[256] = "";
    int rc = referrals_reward_parse(j, &a, &rw, why, sizeof why);
    FUZZ_CHECK(rc == 0 || rc == TREU_EINVAL || rc == TREU_ENOMEM);
    const cJSON *rr =
        cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "referrer_reward") : NULL;
    if (rc != 0) {
        FUZZ_CHECK(rc != TREU_EINVAL || why[0] != '\0');
        FUZZ_CHECK(!rw.set);
    } else if (!rr || cJSON_IsNull(rr)) {
        FUZZ_CHECK(!rw.set);
    } else {
        FUZZ_CHECK(rw.set && rw.program_ref && rw.program_ref[0]);
        FUZZ_CHECK(strlen(rw.program_ref) < IDS_MAX_LEN * 8);
        const cJSON *parent = cJSON_GetObjectItemCaseSensitive(rr, "related_object_parent");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(parent, "id");
        FUZZ_CHECK(cJSON_IsString(id) && rw.program_ref != id->valuestring &&
                   strcmp(rw.program_ref, id->valuestring) == 0);
        FUZZ_CHECK(rw.points >= 1 && rw.points <= LOYALTY_POINTS_MAX);
        const cJSON *trigger = cJSON_GetObjectItemCaseSensitive(rr, "trigger");
        FUZZ_CHECK(rw.each_order ==
                   (cJSON_IsString(trigger) && !strcmp(trigger->valuestring, "EACH_ORDER")));
    }
    arena_cleanup(&a);
    cJSON_Delete(j);
    return 0;
}
