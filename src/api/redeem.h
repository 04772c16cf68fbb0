/* redeem.h - what validations.c and redemptions.c share: the parsed body of a validation
 * or redemption (single or stackable), the order and customer it names, and the order
 * totals they both answer. Only src/api includes it. */
#ifndef TREU_API_REDEEM_H
#define TREU_API_REDEEM_H

#include "api/api.h"
#include "engine/customers.h"
#include "engine/vouchers.h"

#define REDEEM_STACK_MAX       30 /* redeemables in one stackable call (Voucherify's limit) */
#define REDEEM_ORDER_ITEMS_MAX 500
#define REDEEM_TEXT_BYTES_MAX  255
#define REDEEM_JSON_BYTES_MAX  (64 * 1024)

struct redeemable_in {
    const char *code;
    int64_t credits; /* gift.credits asked, 0 = as much as fits */
};

struct redeem_input {
    bool stackable;
    bool has_customer;
    struct customer_ref customer;
    bool has_order;
    const char *order_ref;       /* order.id */
    const char *order_source_id; /* order.source_id */
    struct voucher_order order;  /* amount, items, metadata as sent */
    const char *items_json, *order_metadata_json;
    const char *metadata_json;
    const char *channel; /* X-Voucherify-Channel, or NULL */
    size_t n;
    struct redeemable_in items[REDEEM_STACK_MAX];
};

/* Parses a validation or redemption body. Single calls name their voucher by `code` (the
 * path) and may ask gift.credits; stackable ones carry redeemables. -1 after replying. */
int api_redeem_input_or_reply(struct request *r, bool stackable, const char *code,
                              struct redeem_input *in);

/* Parses the body's `order` object (id, source_id, amount, items, metadata, status) into
 * in's order fields; the amount defaults to the items' sum. -1 after replying 400 naming
 * the field. (Qualifications use it with a redeem_input of their own.) */
int api_order_or_reply(struct request *r, const cJSON *o, struct redeem_input *in);

/* The stored order the input names, with the input's fields laid over it (amount, items,
 * metadata, status); a new one (not stored, id "") when it names none. *found says which.
 * TREU_ENOTFOUND when order.id names an order that does not exist. */
int api_order_resolve(struct store_conn *c, struct request *r, const struct redeem_input *in,
                      struct order *o, bool *found);

/* The voucher_order view of an order for the engine (items and metadata parsed); release
 * it with api_order_view_cleanup. */
void api_order_view(const struct order *o, struct voucher_order *vo);
void api_order_view_cleanup(struct voucher_order *vo);

/* Writes an order object with its discount totals (Voucherify's order in validations and
 * redemptions): `applied` is what these redeemables take off. */
void api_order_totals_render(struct jw *w, const struct order *o, int64_t applied);

/* The tracking id answered for a customer (its source_id, else its id). */
const char *api_tracking_id(const struct customer *cu);

#endif
