/* api.h - the route table: every path treu answers, its method, who may call it, and the
 * handler. Handlers live one file per resource (customers.c, system.c, ...). */
#ifndef TREU_API_H
#define TREU_API_H

#include "api/request.h"

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
void api_reward_redemption_rollback(struct request *r);

#endif
