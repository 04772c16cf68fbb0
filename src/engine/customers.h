/* customers.h - customer commands: create-or-update by source_id, update, delete.
 * Runs on the writer thread inside a command's savepoint; input arrives validated (the
 * api layer checked every field), so the outcomes here are the business ones: not
 * found, source_id taken. Errors: negative TREU_E* for storage trouble only. */
#ifndef TREU_CUSTOMERS_H
#define TREU_CUSTOMERS_H

#include "engine/writer.h"

enum consent_channel { CONSENT_EMAIL, CONSENT_SMS, CONSENT_PUSH, CONSENT_CHANNELS };
extern const char *const customers_consent_channels[CONSENT_CHANNELS];

/* Each field: not set = leave as is; set with v NULL = clear. */
struct customer_patch {
    struct opt_str source_id, name, description, email, phone, birthdate, timezone;
    struct opt_str address_json, metadata_json;
    int8_t consents[CONSENT_CHANNELS]; /* -1 untouched, 0 withdrawn, 1 granted */
};

enum customer_result {
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CUSTOMER_DELETED,
    CUSTOMER_NOT_FOUND,
    CUSTOMER_SOURCE_TAKEN, /* another customer of the project has that source_id */
};

/* A patch that touches nothing (consents all -1). */
void customers_patch_init(struct customer_patch *p);

/* Finds a customer by treu id or, failing that, by source_id. TREU_ENOTFOUND if neither. */
TREU_MUST_USE int customers_find(struct store_conn *c, const char *project_id, const char *ref,
                                 struct arena *a, struct customer *out);

/* Creates a customer, or updates the one with the patch's source_id. *out gets the
 * stored customer (strings in `a`). */
TREU_MUST_USE int customers_upsert(const struct writer_tx *tx, const char *project_id,
                                   const struct customer_patch *p, struct arena *a,
                                   struct customer *out, enum customer_result *res);

/* Updates the customer `ref` (id or source_id). */
TREU_MUST_USE int customers_update(const struct writer_tx *tx, const char *project_id,
                                   const char *ref, const struct customer_patch *p, struct arena *a,
                                   struct customer *out, enum customer_result *res);

/* A customer named by a request: an existing one by id or source_id (`ref`), or one to
 * create-or-update from a patch (upsert by the patch's source_id). */
struct customer_ref {
    const char *ref;
    const struct customer_patch *patch;
};

/* Resolves a customer_ref: CUSTOMER_NOT_FOUND for an unknown ref, else the customer in
 * *out (CUSTOMER_CREATED, or CUSTOMER_UPDATED when it already existed). */
TREU_MUST_USE int customers_resolve(const struct writer_tx *tx, const char *project_id,
                                    const struct customer_ref *cr, struct arena *a,
                                    struct customer *out, enum customer_result *res);

/* Deletes the customer `ref` (id or source_id). */
TREU_MUST_USE int customers_delete(const struct writer_tx *tx, const char *project_id,
                                   const char *ref, struct arena *a, enum customer_result *res);

#endif
