/* api.h - the route table: every path treu answers, its method, who may call it, and the
 * handler. Handlers live one file per resource (customers.c, system.c, ...). */
#ifndef TREU_API_H
#define TREU_API_H

#include "api/request.h"
#include "engine/customers.h"

struct route {
    const char *method;
    const char *pattern; /* "/v1/customers/{id}": {name} matches one path segment */
    enum route_auth auth;
    void (*handler)(struct request *r);
};

extern const struct route api_routes[];
extern const size_t api_routes_count;

void api_customers_create(struct request *r);
void api_customers_get(struct request *r);
void api_customers_update(struct request *r);
void api_customers_delete(struct request *r);
void api_customers_list(struct request *r);
void api_system_health(struct request *r);
void api_system_test_clock(struct request *r);
void api_loyalties_create(struct request *r);
void api_loyalties_get(struct request *r);
void api_loyalties_update(struct request *r);
void api_loyalties_delete(struct request *r);
void api_loyalties_list(struct request *r);
void api_members_create(struct request *r);
void api_members_get(struct request *r);
void api_members_list(struct request *r);
void api_members_balance(struct request *r);
void api_members_transactions(struct request *r);
void api_members_points_expiration(struct request *r);
void api_tiers_create(struct request *r);
void api_tiers_list(struct request *r);
void api_tiers_get(struct request *r);
void api_tiers_delete(struct request *r);
void api_members_tiers(struct request *r);
void api_members_transfers(struct request *r);
void api_members_activities(struct request *r);
void api_rules_create(struct request *r);
void api_rules_list(struct request *r);
void api_rules_get(struct request *r);
void api_rules_update(struct request *r);
void api_rules_delete(struct request *r);
void api_rules_enable(struct request *r);
void api_rules_disable(struct request *r);
void api_vrules_create(struct request *r);
void api_vrules_get(struct request *r);
void api_vrules_list(struct request *r);
void api_vrules_update(struct request *r);
void api_vrules_delete(struct request *r);
void api_orders_create(struct request *r);
void api_orders_get(struct request *r);
void api_orders_update(struct request *r);
void api_events_create(struct request *r);
void api_webhooks_create(struct request *r);
void api_webhooks_list(struct request *r);
void api_webhooks_get(struct request *r);
void api_webhooks_update(struct request *r);
void api_webhooks_delete(struct request *r);
void api_webhooks_rotate_secret(struct request *r);
void api_webhooks_deliveries(struct request *r);
void api_webhooks_delivery_get(struct request *r);
void api_webhooks_redeliver(struct request *r);

/* A customer's metadata as compact JSON (customers.c, and traits merged by segment.c). */
#define CUSTOMER_METADATA_BYTES_MAX (16 * 1024)

/* Segment-style ingestion (segment.c): identify, track and batch; page, screen, group and
 * alias are accepted and ignored. */
void api_segment_identify(struct request *r);
void api_segment_track(struct request *r);
void api_segment_batch(struct request *r);
void api_segment_page(struct request *r);
void api_segment_screen(struct request *r);
void api_segment_group(struct request *r);
void api_segment_alias(struct request *r);

/* A custom event, validated: /v1/events and the Segment-style track call (segment.c) both
 * record events through api_event_apply. */
#define EVENT_NAME_BYTES_MAX      100
#define EVENT_SOURCE_ID_BYTES_MAX 255
#define EVENT_METADATA_BYTES_MAX  (64 * 1024)
struct event_input {
    const char *name;
    const char *source_id; /* NULL: not deduplicated */
    struct customer_ref customer;
    cJSON *metadata; /* NULL or an object; read by rule conditions */
    const char *metadata_json;
};
/* Inside a command: records event `in` for its customer and runs the earning rules named
 * after it, allocating from `a`. A source_id seen before earns nothing again and answers
 * the first answer (200); an unknown customer answers 404; else 201 with the event and
 * its loyalty outcome. The answer goes to *status and `body`. Returns 0, or a negative
 * TREU_E* on storage trouble. */
int api_event_apply(const struct writer_tx *tx, struct request *r, const struct event_input *in,
                    struct arena *a, int *status, struct buf *body);

/* Shared by resources that name a customer ("customer": id, source_id or object). */
struct customer_ref;
struct customer;
int api_customer_ref_or_reply(struct request *r, const cJSON *body, const char *field,
                              struct customer_ref *out);
void api_customer_render(struct jw *w, const struct customer *c);
struct entry;
void api_entry_render(struct jw *w, const struct entry *e);
void api_system_metrics(struct request *r);
void api_rewards_create(struct request *r);
void api_rewards_list(struct request *r);
void api_rewards_get(struct request *r);
void api_rewards_update(struct request *r);
void api_rewards_delete(struct request *r);
void api_reward_assignments_create(struct request *r);
void api_reward_assignments_list(struct request *r);
void api_reward_assignments_get(struct request *r);
void api_reward_assignments_update(struct request *r);
void api_reward_assignments_delete(struct request *r);
void api_program_rewards_create(struct request *r);
void api_program_rewards_list(struct request *r);
void api_program_rewards_get(struct request *r);
void api_program_rewards_update(struct request *r);
void api_program_rewards_delete(struct request *r);
void api_program_reward_details(struct request *r);
void api_tier_rewards_list(struct request *r);
void api_member_rewards_list(struct request *r);
void api_member_redeem_reward(struct request *r);
void api_member_redemption_fulfilment(struct request *r);
/* Inside a command: rolls back reward redemption `redemption_id` (the rollback handler of
 * /v1/redemptions dispatches here by the redemption's kind) and writes the answer. */
int api_reward_rollback_apply(struct command *cmd, const struct writer_tx *tx, struct request *r,
                              const char *redemption_id, const char *reason);

/* Discount and gift campaigns, vouchers, publications, validations and redemptions
 * (campaigns.c, vouchers.c, publications.c, redemptions.c). */
void api_campaigns_create(struct request *r);
void api_campaigns_get(struct request *r);
void api_campaigns_update(struct request *r);
void api_campaigns_delete(struct request *r);
void api_campaigns_list(struct request *r);
void api_campaigns_enable(struct request *r);
void api_campaigns_disable(struct request *r);
void api_campaigns_add_voucher(struct request *r);
void api_vouchers_create(struct request *r);
void api_vouchers_get(struct request *r);
void api_vouchers_update(struct request *r);
void api_vouchers_delete(struct request *r);
void api_vouchers_list(struct request *r);
void api_vouchers_enable(struct request *r);
void api_vouchers_disable(struct request *r);
void api_publications_create(struct request *r);
void api_publications_list(struct request *r);
void api_vouchers_validate(struct request *r);
void api_validations_create(struct request *r);
void api_vouchers_redeem(struct request *r);
void api_redemptions_create(struct request *r);
void api_redemptions_get(struct request *r);
void api_redemptions_list(struct request *r);
void api_vouchers_redemptions(struct request *r);
void api_redemptions_rollback(struct request *r);
/* What a customer may use now (qualifications.c). */
void api_qualifications_create(struct request *r);
void api_customer_redeemables(struct request *r);

/* Shared by the voucher resources (vouchers.c). */
struct voucher_state;
struct voucher_spec;
struct page;
/* Renders a voucher as Voucherify's VouchersResponse. */
void api_voucher_render(struct jw *w, const struct voucher_state *vs);
/* A campaign's validation_rules_assignments list. */
void api_campaign_rules_render(struct jw *w, const struct voucher_spec *s, const char *id);
/* Writes an error answer into a command's body (writer thread). */
void api_cmd_error(struct command *cmd, struct request *r, int status, const char *key,
                   const char *message, const char *fmt, ...) TREU_PRINTF(6, 7);
/* The first of the spec's validation rules that does not exist (NULL: all do); *rc < 0 on
 * storage trouble. */
const char *api_rules_missing(const struct writer_tx *tx, struct request *r,
                              const struct voucher_spec *s, int *rc);
/* A voucher code from a path or body: -1 after replying 400. */
int api_code_or_reply(struct request *r, const char *code, const char *where);
/* The campaign (id or name) and customer (id or source_id) named by the query's `campaign`
 * and `customer` filters; unknown ones become "-", which matches nothing. */
int api_filter_ids(struct request *r, struct store_conn *c, const char **campaign_id,
                   const char **customer_id);

#endif
