/* customers.c - the patch is applied onto the stored record in memory, then written in
 * one statement; consents keep the instant of each change per channel. */
#include "engine/customers.h"

#include "core/json.h"

#include <string.h>

const char *const customers_consent_channels[CONSENT_CHANNELS] = {"email", "sms", "push"};

void customers_patch_init(struct customer_patch *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < CONSENT_CHANNELS; i++)
        p->consents[i] = -1;
}

int customers_find(struct store_conn *c, const char *project_id, const char *ref, struct arena *a,
                   struct customer *out)
{
    int rc = TREU_ENOTFOUND;
    if (strncmp(ref, "cust_", 5) == 0)
        rc = store_customer_get(c, project_id, ref, a, out);
    if (rc == TREU_ENOTFOUND)
        rc = store_customer_get_by_source(c, project_id, ref, a, out);
    return rc;
}

static void patch_field(const char **dst, const struct opt_str *f)
{
    if (f->set)
        *dst = f->v;
}

/* Merges the patch's consent changes into the stored consents JSON. A channel whose
 * value does not change keeps its old timestamp. */
static int customers_merge_consents(const char *old_json, const int8_t *changes, int64_t now,
                                    struct arena *a, const char **out)
{
    bool any = false;
    for (int i = 0; i < CONSENT_CHANNELS; i++)
        any |= changes[i] >= 0;
    if (!any) {
        *out = old_json;
        return 0;
    }
    cJSON *old = old_json ? cJSON_Parse(old_json) : NULL;
    struct buf b;
    buf_init(&b, 4096);
    struct jw w;
    jw_init(&w, &b);
    jw_obj_open(&w);
    for (int i = 0; i < CONSENT_CHANNELS; i++) {
        const char *ch = customers_consent_channels[i];
        cJSON *prev = old ? cJSON_GetObjectItemCaseSensitive(old, ch) : NULL;
        cJSON *pg = prev ? cJSON_GetObjectItemCaseSensitive(prev, "granted") : NULL;
        cJSON *pt = prev ? cJSON_GetObjectItemCaseSensitive(prev, "updated_at") : NULL;
        bool had = cJSON_IsBool(pg) && cJSON_IsString(pt);
        if (changes[i] < 0 && !had)
            continue;
        jw_key(&w, ch);
        jw_obj_open(&w);
        if (changes[i] < 0 || (had && cJSON_IsTrue(pg) == (changes[i] == 1))) {
            jw_kv_bool(&w, "granted", cJSON_IsTrue(pg));
            jw_kv_str(&w, "updated_at", pt->valuestring);
        } else {
            jw_kv_bool(&w, "granted", changes[i] == 1);
            jw_kv_time(&w, "updated_at", now);
        }
        jw_obj_close(&w);
    }
    jw_obj_close(&w);
    cJSON_Delete(old);
    int rc = b.err;
    if (rc == 0) {
        *out = arena_strndup(a, b.ptr, b.len);
        rc = *out ? 0 : TREU_ENOMEM;
    }
    buf_cleanup(&b);
    return rc;
}

static int customers_apply_patch(struct customer *cu, const struct customer_patch *p, int64_t now,
                                 struct arena *a)
{
    patch_field(&cu->source_id, &p->source_id);
    patch_field(&cu->name, &p->name);
    patch_field(&cu->description, &p->description);
    patch_field(&cu->email, &p->email);
    patch_field(&cu->phone, &p->phone);
    patch_field(&cu->birthdate, &p->birthdate);
    patch_field(&cu->timezone, &p->timezone);
    patch_field(&cu->address_json, &p->address_json);
    patch_field(&cu->metadata_json, &p->metadata_json);
    cu->updated_at = now;
    return customers_merge_consents(cu->consents_json, p->consents, now, a, &cu->consents_json);
}

static int customers_write_update(const struct writer_tx *tx, const char *project_id,
                                  struct customer *cu, const struct customer_patch *p,
                                  struct arena *a, enum customer_result *res)
{
    int rc = customers_apply_patch(cu, p, tx->now_us, a);
    if (rc < 0)
        return rc;
    rc = store_customer_update(tx->conn, project_id, cu);
    if (rc == TREU_ECONFLICT) {
        *res = CUSTOMER_SOURCE_TAKEN;
        return 0;
    }
    if (rc == TREU_ENOTFOUND) {
        *res = CUSTOMER_NOT_FOUND;
        return 0;
    }
    if (rc == 0)
        *res = CUSTOMER_UPDATED;
    return rc;
}

int customers_upsert(const struct writer_tx *tx, const char *project_id,
                     const struct customer_patch *p, struct arena *a, struct customer *out,
                     enum customer_result *res)
{
    memset(out, 0, sizeof *out);
    if (p->source_id.set && p->source_id.v) {
        int rc = store_customer_get_by_source(tx->conn, project_id, p->source_id.v, a, out);
        if (rc == 0)
            return customers_write_update(tx, project_id, out, p, a, res);
        if (rc != TREU_ENOTFOUND)
            return rc;
        memset(out, 0, sizeof *out);
    }
    ids_make_at(tx->rng, tx->now_us, "cust_", out->id);
    out->created_at = tx->now_us;
    int rc = customers_apply_patch(out, p, tx->now_us, a);
    if (rc < 0)
        return rc;
    rc = store_customer_insert(tx->conn, project_id, out);
    if (rc == TREU_ECONFLICT) {
        *res = CUSTOMER_SOURCE_TAKEN;
        return 0;
    }
    if (rc == 0)
        *res = CUSTOMER_CREATED;
    return rc;
}

int customers_update(const struct writer_tx *tx, const char *project_id, const char *ref,
                     const struct customer_patch *p, struct arena *a, struct customer *out,
                     enum customer_result *res)
{
    int rc = customers_find(tx->conn, project_id, ref, a, out);
    if (rc == TREU_ENOTFOUND) {
        *res = CUSTOMER_NOT_FOUND;
        return 0;
    }
    if (rc < 0)
        return rc;
    return customers_write_update(tx, project_id, out, p, a, res);
}

int customers_delete(const struct writer_tx *tx, const char *project_id, const char *ref,
                     struct arena *a, enum customer_result *res)
{
    struct customer cu;
    int rc = customers_find(tx->conn, project_id, ref, a, &cu);
    if (rc == TREU_ENOTFOUND) {
        *res = CUSTOMER_NOT_FOUND;
        return 0;
    }
    if (rc == 0)
        rc = store_customer_delete(tx->conn, project_id, cu.id);
    if (rc == 0)
        *res = CUSTOMER_DELETED;
    return rc;
}

int customers_resolve(const struct writer_tx *tx, const char *project_id,
                      const struct customer_ref *cr, struct arena *a, struct customer *out,
                      enum customer_result *res)
{
    if (cr->patch)
        return customers_upsert(tx, project_id, cr->patch, a, out, res);
    int rc = customers_find(tx->conn, project_id, cr->ref, a, out);
    if (rc == TREU_ENOTFOUND) {
        *res = CUSTOMER_NOT_FOUND;
        return 0;
    }
    if (rc == 0)
        *res = CUSTOMER_UPDATED;
    return rc;
}
