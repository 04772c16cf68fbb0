/* store.c - picks the backend from the URL and dispatches every call to it. */
#include "store/store.h"

#include "core/log.h"

#include <string.h>

int store_open(const char *url, struct store **out)
{
    *out = NULL;
    if (strncmp(url, "sqlite:", 7) == 0 && url[7] != '\0')
        return store_sqlite_open(url + 7, out);
    log_error("unsupported database url", "url=\"%s\" hint=\"use sqlite:PATH\"", url);
    return TREU_EINVAL;
}

void store_free(struct store *s)
{
    if (s)
        s->ops->free(s);
}

int store_migrate(struct store *s, int *version)
{
    return s->ops->migrate(s, version);
}

int store_conn_open(struct store *s, bool writer, struct store_conn **out)
{
    return s->ops->conn_open(s, writer, out);
}

void store_conn_free(struct store_conn *c)
{
    if (c)
        c->ops->conn_free(c);
}

int store_begin(struct store_conn *c)
{
    ASSERT(c->writer);
    return c->ops->exec(c, "BEGIN IMMEDIATE");
}

int store_commit(struct store_conn *c)
{
    return c->ops->exec(c, "COMMIT");
}

void store_rollback(struct store_conn *c)
{
    (void)c->ops->exec(c, "ROLLBACK");
}

int store_savepoint(struct store_conn *c)
{
    return c->ops->exec(c, "SAVEPOINT cmd");
}

int store_savepoint_release(struct store_conn *c)
{
    return c->ops->exec(c, "RELEASE cmd");
}

int store_savepoint_undo(struct store_conn *c)
{
    return c->ops->exec(c, "ROLLBACK TO cmd");
}

void store_savepoint_rollback(struct store_conn *c)
{
    /* ROLLBACK TO keeps the savepoint open; RELEASE closes it. */
    (void)c->ops->exec(c, "ROLLBACK TO cmd");
    (void)c->ops->exec(c, "RELEASE cmd");
}

int store_read_begin(struct store_conn *c)
{
    return c->ops->exec(c, "BEGIN");
}

void store_read_end(struct store_conn *c)
{
    (void)c->ops->exec(c, "COMMIT");
}

int store_project_insert(struct store_conn *c, const struct project *p)
{
    return c->ops->project_insert(c, p);
}

int store_project_get(struct store_conn *c, const char *id, struct arena *a, struct project *out)
{
    return c->ops->project_get(c, id, a, out);
}

int store_key_insert(struct store_conn *c, const struct api_key *k)
{
    return c->ops->key_insert(c, k);
}

int store_key_get(struct store_conn *c, const char *app_id, struct arena *a, struct api_key *out)
{
    return c->ops->key_get(c, app_id, a, out);
}

int store_key_get_by_hash(struct store_conn *c, const unsigned char *hash, struct arena *a,
                          struct api_key *out)
{
    return c->ops->key_get_by_hash(c, hash, a, out);
}

int store_key_list(struct store_conn *c, const char *project_id, struct arena *a,
                   struct api_key **out, size_t *n)
{
    return c->ops->key_list(c, project_id, a, out, n);
}

int store_key_revoke(struct store_conn *c, const char *app_id, int64_t now)
{
    return c->ops->key_revoke(c, app_id, now);
}

int store_customer_insert(struct store_conn *c, const char *project_id, const struct customer *cu)
{
    return c->ops->customer_insert(c, project_id, cu);
}

int store_customer_update(struct store_conn *c, const char *project_id, const struct customer *cu)
{
    return c->ops->customer_update(c, project_id, cu);
}

int store_customer_get(struct store_conn *c, const char *project_id, const char *id,
                       struct arena *a, struct customer *out)
{
    return c->ops->customer_get(c, project_id, id, false, a, out);
}

int store_customer_get_by_source(struct store_conn *c, const char *project_id,
                                 const char *source_id, struct arena *a, struct customer *out)
{
    return c->ops->customer_get(c, project_id, source_id, true, a, out);
}

int store_customer_delete(struct store_conn *c, const char *project_id, const char *id)
{
    return c->ops->customer_delete(c, project_id, id);
}

int store_customer_list(struct store_conn *c, const char *project_id,
                        const struct customer_query *q, struct arena *a, struct customer **out,
                        size_t *n, int64_t *total, bool *has_more)
{
    return c->ops->customer_list(c, project_id, q, a, out, n, total, has_more);
}

int store_idem_get(struct store_conn *c, const char *project_id, const char *key, struct arena *a,
                   struct idem_record *out)
{
    return c->ops->idem_get(c, project_id, key, a, out);
}

int store_idem_put(struct store_conn *c, const char *project_id, const char *key,
                   const struct idem_record *r)
{
    return c->ops->idem_put(c, project_id, key, r);
}

int store_program_insert(struct store_conn *c, const char *pid, const struct program *p)
{
    return c->ops->program_insert(c, pid, p);
}

int store_program_update(struct store_conn *c, const char *pid, const struct program *p)
{
    return c->ops->program_update(c, pid, p);
}

int store_program_get(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                      struct program *out)
{
    return c->ops->program_get(c, pid, ref, a, out);
}

int store_program_list(struct store_conn *c, const char *pid, const struct page *pg,
                       struct arena *a, struct program **out, size_t *n, int64_t *total)
{
    return c->ops->program_list(c, pid, pg, a, out, n, total);
}

int store_program_delete(struct store_conn *c, const char *pid, const char *id)
{
    return c->ops->program_delete(c, pid, id);
}

int store_program_account(struct store_conn *c, const char *pid, const char *id, int64_t issued,
                          int64_t subtracted, int64_t expired)
{
    return c->ops->program_account(c, pid, id, issued, subtracted, expired);
}

int store_member_insert(struct store_conn *c, const char *pid, const struct member *m)
{
    return c->ops->member_insert(c, pid, m);
}

int store_member_update(struct store_conn *c, const char *pid, const struct member *m)
{
    return c->ops->member_update(c, pid, m);
}

int store_member_get(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                     struct member *out)
{
    return c->ops->member_get(c, pid, ref, a, out);
}

int store_member_get_by_customer(struct store_conn *c, const char *pid, const char *program_id,
                                 const char *customer_id, struct arena *a, struct member *out)
{
    return c->ops->member_get_by_customer(c, pid, program_id, customer_id, a, out);
}

int store_member_list(struct store_conn *c, const char *pid, const char *program_id,
                      const struct page *pg, struct arena *a, struct member **out, size_t *n,
                      int64_t *total)
{
    return c->ops->member_list(c, pid, program_id, pg, a, out, n, total);
}

int store_member_list_by_customer(struct store_conn *c, const char *pid, const char *customer_id,
                                  struct arena *a, struct member **out, size_t *n)
{
    return c->ops->member_list_by_customer(c, pid, customer_id, a, out, n);
}

int store_member_count(struct store_conn *c, const char *pid, const char *program_id,
                       int64_t *count)
{
    return c->ops->member_count(c, pid, program_id, count);
}

int store_lot_insert(struct store_conn *c, const char *pid, const char *member_id,
                     const struct lot *l)
{
    return c->ops->lot_insert(c, pid, member_id, l);
}

int store_lot_update(struct store_conn *c, const char *pid, const char *member_id,
                     const struct lot *l)
{
    return c->ops->lot_update(c, pid, member_id, l);
}

int store_lot_list_open(struct store_conn *c, const char *pid, const char *member_id,
                        struct arena *a, struct lot **out, size_t *n)
{
    return c->ops->lot_list_open(c, pid, member_id, a, out, n);
}

int store_lot_next_expiry(struct store_conn *c, const char *pid, const char *member_id, int64_t *at,
                          int64_t *points)
{
    return c->ops->lot_next_expiry(c, pid, member_id, at, points);
}

int store_entry_insert(struct store_conn *c, const char *pid, const struct entry *e)
{
    return c->ops->entry_insert(c, pid, e);
}

int store_entry_list(struct store_conn *c, const char *pid, const char *member_id,
                     const struct page *pg, struct arena *a, struct entry **out, size_t *n,
                     int64_t *total)
{
    return c->ops->entry_list(c, pid, member_id, pg, a, out, n, total);
}

int store_entry_last_seq(struct store_conn *c, const char *pid, const char *member_id, int64_t *seq)
{
    return c->ops->entry_last_seq(c, pid, member_id, seq);
}

int store_entry_count_rule(struct store_conn *c, const char *pid, const char *member_id,
                           const char *rule_id, int64_t since, int64_t *count)
{
    return c->ops->entry_count_rule(c, pid, member_id, rule_id, since, count);
}

int store_rule_insert(struct store_conn *c, const char *pid, const struct earning_rule *r)
{
    return c->ops->rule_insert(c, pid, r);
}

int store_rule_update(struct store_conn *c, const char *pid, const struct earning_rule *r)
{
    return c->ops->rule_update(c, pid, r);
}

int store_rule_get(struct store_conn *c, const char *pid, const char *program_id, const char *id,
                   struct arena *a, struct earning_rule *out)
{
    return c->ops->rule_get(c, pid, program_id, id, a, out);
}

int store_rule_delete(struct store_conn *c, const char *pid, const char *program_id, const char *id)
{
    return c->ops->rule_delete(c, pid, program_id, id);
}

int store_rule_list(struct store_conn *c, const char *pid, const char *program_id, bool active_only,
                    struct arena *a, struct earning_rule **out, size_t *n)
{
    return c->ops->rule_list(c, pid, program_id, active_only, a, out, n);
}

int store_order_insert(struct store_conn *c, const char *pid, const struct order *o)
{
    return c->ops->order_insert(c, pid, o);
}

int store_order_update(struct store_conn *c, const char *pid, const struct order *o)
{
    return c->ops->order_update(c, pid, o);
}

int store_order_get(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                    struct order *out)
{
    return c->ops->order_get(c, pid, ref, a, out);
}

int store_event_insert(struct store_conn *c, const char *pid, const struct event *e)
{
    return c->ops->event_insert(c, pid, e);
}

int store_event_get_by_source(struct store_conn *c, const char *pid, const char *source_id,
                              struct arena *a, struct event *out)
{
    return c->ops->event_get_by_source(c, pid, source_id, a, out);
}

int store_member_list_due(struct store_conn *c, int64_t now, size_t max, struct arena *a,
                          struct due_member **out, size_t *n)
{
    return c->ops->member_list_due(c, now, max, a, out, n);
}

int store_entry_list_order(struct store_conn *c, const char *pid, const char *member_id,
                           const char *order_id, struct arena *a, struct entry **out, size_t *n)
{
    return c->ops->entry_list_order(c, pid, member_id, order_id, a, out, n);
}

int store_tier_insert(struct store_conn *c, const char *pid, const struct tier *t)
{
    return c->ops->tier_insert(c, pid, t);
}

int store_tier_get(struct store_conn *c, const char *pid, const char *program_id, const char *ref,
                   struct arena *a, struct tier *out)
{
    return c->ops->tier_get(c, pid, program_id, ref, a, out);
}

int store_tier_list(struct store_conn *c, const char *pid, const char *program_id, struct arena *a,
                    struct tier **out, size_t *n)
{
    return c->ops->tier_list(c, pid, program_id, a, out, n);
}

int store_tier_delete(struct store_conn *c, const char *pid, const char *program_id, const char *id)
{
    return c->ops->tier_delete(c, pid, program_id, id);
}

int store_entry_earned_since(struct store_conn *c, const char *pid, const char *member_id,
                             int64_t since, int64_t *sum)
{
    return c->ops->entry_earned_since(c, pid, member_id, since, sum);
}

int store_vrule_insert(struct store_conn *c, const char *pid, const struct validation_rule *v)
{
    return c->ops->vrule_insert(c, pid, v);
}

int store_vrule_update(struct store_conn *c, const char *pid, const struct validation_rule *v)
{
    return c->ops->vrule_update(c, pid, v);
}

int store_vrule_get(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                    struct validation_rule *out)
{
    return c->ops->vrule_get(c, pid, id, a, out);
}

int store_vrule_delete(struct store_conn *c, const char *pid, const char *id)
{
    return c->ops->vrule_delete(c, pid, id);
}

int store_vrule_list(struct store_conn *c, const char *pid, const struct page *pg, struct arena *a,
                     struct validation_rule **out, size_t *n, int64_t *total)
{
    return c->ops->vrule_list(c, pid, pg, a, out, n, total);
}

int store_entry_oldest_gain_since(struct store_conn *c, const char *pid, const char *member_id,
                                  int64_t since, int64_t *at)
{
    return c->ops->entry_oldest_gain_since(c, pid, member_id, since, at);
}

int store_redemption_insert(struct store_conn *c, const char *pid, const struct redemption *r)
{
    return c->ops->redemption_insert(c, pid, r);
}

int store_redemption_update(struct store_conn *c, const char *pid, const struct redemption *r)
{
    return c->ops->redemption_update(c, pid, r);
}

int store_redemption_get(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                         struct redemption *out)
{
    return c->ops->redemption_get(c, pid, id, a, out);
}

int store_redemption_list(struct store_conn *c, const char *pid, const struct redemption_query *q,
                          const struct page *pg, struct arena *a, struct redemption **out,
                          size_t *n, int64_t *total)
{
    return c->ops->redemption_list(c, pid, q, pg, a, out, n, total);
}

int store_redemption_count_voucher(struct store_conn *c, const char *pid, const char *voucher_id,
                                   const char *customer_id, int64_t *count)
{
    return c->ops->redemption_count_voucher(c, pid, voucher_id, customer_id, count);
}

int store_redemption_count_reward(struct store_conn *c, const char *pid, const char *reward_id,
                                  const char *member_id, int64_t since, int64_t *count)
{
    return c->ops->redemption_count_reward(c, pid, reward_id, member_id, since, count);
}

int store_webhook_insert(struct store_conn *c, const char *pid, const struct webhook *w)
{
    return c->ops->webhook_insert(c, pid, w);
}

int store_webhook_update(struct store_conn *c, const char *pid, const struct webhook *w)
{
    return c->ops->webhook_update(c, pid, w);
}

int store_webhook_get(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                      struct webhook *out)
{
    return c->ops->webhook_get(c, pid, id, a, out);
}

int store_webhook_delete(struct store_conn *c, const char *pid, const char *id)
{
    return c->ops->webhook_delete(c, pid, id);
}

int store_webhook_list(struct store_conn *c, const char *pid, const struct page *pg,
                       struct arena *a, struct webhook **out, size_t *n, int64_t *total)
{
    return c->ops->webhook_list(c, pid, pg, a, out, n, total);
}

int store_webhook_list_active(struct store_conn *c, const char *pid, size_t max, struct arena *a,
                              struct webhook **out, size_t *n)
{
    return c->ops->webhook_list_active(c, pid, max, a, out, n);
}

int store_webhook_event_insert(struct store_conn *c, const char *pid, const struct webhook_event *e)
{
    return c->ops->webhook_event_insert(c, pid, e);
}

int store_webhook_delivery_insert(struct store_conn *c, const char *pid,
                                  const struct webhook_delivery *d)
{
    return c->ops->webhook_delivery_insert(c, pid, d);
}

int store_webhook_delivery_update(struct store_conn *c, const char *pid,
                                  const struct webhook_delivery *d)
{
    return c->ops->webhook_delivery_update(c, pid, d);
}

int store_webhook_delivery_get(struct store_conn *c, const char *pid, const char *webhook_id,
                               const char *id, struct arena *a, struct webhook_delivery *out)
{
    return c->ops->webhook_delivery_get(c, pid, webhook_id, id, a, out);
}

int store_webhook_delivery_list(struct store_conn *c, const char *pid, const char *webhook_id,
                                const char *status, const struct page *pg, struct arena *a,
                                struct webhook_delivery **out, size_t *n, int64_t *total)
{
    return c->ops->webhook_delivery_list(c, pid, webhook_id, status, pg, a, out, n, total);
}

int store_webhook_delivery_heads(struct store_conn *c, size_t max, struct arena *a,
                                 struct webhook_delivery **out, size_t *n)
{
    return c->ops->webhook_delivery_heads(c, max, a, out, n);
}

int store_webhook_attempt_insert(struct store_conn *c, const char *pid, const char *delivery_id,
                                 const struct webhook_attempt *at)
{
    return c->ops->webhook_attempt_insert(c, pid, delivery_id, at);
}

int store_webhook_attempt_list(struct store_conn *c, const char *pid, const char *delivery_id,
                               size_t max, struct arena *a, struct webhook_attempt **out, size_t *n)
{
    return c->ops->webhook_attempt_list(c, pid, delivery_id, max, a, out, n);
}

int store_reward_insert(struct store_conn *c, const char *pid, const struct reward *r)
{
    return c->ops->reward_insert(c, pid, r);
}

int store_reward_update(struct store_conn *c, const char *pid, const struct reward *r)
{
    return c->ops->reward_update(c, pid, r);
}

int store_reward_get(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                     struct reward *out)
{
    return c->ops->reward_get(c, pid, id, a, out);
}

int store_reward_list(struct store_conn *c, const char *pid, const struct page *pg, struct arena *a,
                      struct reward **out, size_t *n, int64_t *total)
{
    return c->ops->reward_list(c, pid, pg, a, out, n, total);
}

int store_reward_delete(struct store_conn *c, const char *pid, const char *id)
{
    return c->ops->reward_delete(c, pid, id);
}

int store_reward_stock_set(struct store_conn *c, const char *pid, const char *reward_id,
                           const char *variant, bool limited, int64_t stock)
{
    ASSERT(!limited || stock >= 0);
    return c->ops->reward_stock_set(c, pid, reward_id, variant, limited, stock);
}

int store_reward_stock_list(struct store_conn *c, const char *pid, const char *reward_id,
                            struct arena *a, struct reward_stock **out, size_t *n)
{
    return c->ops->reward_stock_list(c, pid, reward_id, a, out, n);
}

int store_reward_stock_take(struct store_conn *c, const char *pid, const char *reward_id,
                            const char *variant, int64_t qty)
{
    ASSERT(qty > 0);
    return c->ops->reward_stock_take(c, pid, reward_id, variant, qty);
}

int store_reward_stock_give(struct store_conn *c, const char *pid, const char *reward_id,
                            const char *variant, int64_t qty)
{
    ASSERT(qty > 0);
    return c->ops->reward_stock_give(c, pid, reward_id, variant, qty);
}

int store_assignment_insert(struct store_conn *c, const char *pid,
                            const struct reward_assignment *ra)
{
    return c->ops->assignment_insert(c, pid, ra);
}

int store_assignment_update(struct store_conn *c, const char *pid,
                            const struct reward_assignment *ra)
{
    return c->ops->assignment_update(c, pid, ra);
}

int store_assignment_get(struct store_conn *c, const char *pid, const char *id, struct arena *a,
                         struct reward_assignment *out)
{
    return c->ops->assignment_get(c, pid, id, a, out);
}

int store_assignment_get_pair(struct store_conn *c, const char *pid, const char *program_id,
                              const char *reward_id, struct arena *a, struct reward_assignment *out)
{
    return c->ops->assignment_get_pair(c, pid, program_id, reward_id, a, out);
}

int store_assignment_delete(struct store_conn *c, const char *pid, const char *id)
{
    return c->ops->assignment_delete(c, pid, id);
}

int store_assignment_list(struct store_conn *c, const char *pid, const char *reward_id,
                          const char *program_id, const struct page *pg, struct arena *a,
                          struct reward_assignment **out, size_t *n, int64_t *total)
{
    return c->ops->assignment_list(c, pid, reward_id, program_id, pg, a, out, n, total);
}

int store_lot_get(struct store_conn *c, const char *pid, const char *member_id, const char *id,
                  struct arena *a, struct lot *out)
{
    return c->ops->lot_get(c, pid, member_id, id, a, out);
}

int store_entry_get(struct store_conn *c, const char *pid, const char *member_id, const char *id,
                    struct arena *a, struct entry *out)
{
    return c->ops->entry_get(c, pid, member_id, id, a, out);
}

int store_campaign_insert(struct store_conn *c, const char *pid, const struct campaign *cp)
{
    return c->ops->campaign_insert(c, pid, cp);
}

int store_campaign_update(struct store_conn *c, const char *pid, const struct campaign *cp)
{
    return c->ops->campaign_update(c, pid, cp);
}

int store_campaign_get(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                       struct campaign *out)
{
    return c->ops->campaign_get(c, pid, ref, a, out);
}

int store_campaign_list(struct store_conn *c, const char *pid, const struct page *pg,
                        struct arena *a, struct campaign **out, size_t *n, int64_t *total)
{
    return c->ops->campaign_list(c, pid, pg, a, out, n, total);
}

int store_campaign_delete(struct store_conn *c, const char *pid, const char *id)
{
    return c->ops->campaign_delete(c, pid, id);
}

int store_campaign_count_add(struct store_conn *c, const char *pid, const char *id, int64_t delta)
{
    return c->ops->campaign_count_add(c, pid, id, delta);
}

int store_campaign_budget_add(struct store_conn *c, const char *pid, const char *id, int64_t delta)
{
    return c->ops->campaign_budget_add(c, pid, id, delta);
}

int store_voucher_insert(struct store_conn *c, const char *pid, const struct voucher *v)
{
    return c->ops->voucher_insert(c, pid, v);
}

int store_voucher_insert_many(struct store_conn *c, const char *pid, const struct voucher *tmpl,
                              size_t n, const char (*ids)[IDS_MAX_LEN], const char *const *codes,
                              bool *taken, size_t *inserted)
{
    return c->ops->voucher_insert_many(c, pid, tmpl, n, ids, codes, taken, inserted);
}

int store_voucher_update(struct store_conn *c, const char *pid, const struct voucher *v)
{
    return c->ops->voucher_update(c, pid, v);
}

int store_voucher_get(struct store_conn *c, const char *pid, const char *ref, struct arena *a,
                      struct voucher *out)
{
    return c->ops->voucher_get(c, pid, ref, a, out);
}

int store_voucher_delete(struct store_conn *c, const char *pid, const char *id)
{
    return c->ops->voucher_delete(c, pid, id);
}

int store_voucher_list(struct store_conn *c, const char *pid, const struct voucher_query *q,
                       const struct page *pg, struct arena *a, struct voucher **out, size_t *n,
                       int64_t *total)
{
    return c->ops->voucher_list(c, pid, q, pg, a, out, n, total);
}

int store_voucher_counters_add(struct store_conn *c, const char *pid, const char *id,
                               int64_t redeemed, int64_t gift, int64_t now)
{
    return c->ops->voucher_counters_add(c, pid, id, redeemed, gift, now);
}

int store_voucher_claim(struct store_conn *c, const char *pid, const char *campaign_id,
                        const char *customer_id, int64_t now, struct arena *a, struct voucher *out)
{
    return c->ops->voucher_claim(c, pid, campaign_id, customer_id, now, a, out);
}

int store_publication_insert(struct store_conn *c, const char *pid, const struct publication *p)
{
    return c->ops->publication_insert(c, pid, p);
}

int store_publication_get_by_source(struct store_conn *c, const char *pid, const char *source_id,
                                    struct arena *a, struct publication *out)
{
    return c->ops->publication_get_by_source(c, pid, source_id, a, out);
}

int store_publication_list(struct store_conn *c, const char *pid, const struct publication_query *q,
                           const struct page *pg, struct arena *a, struct publication **out,
                           size_t *n, int64_t *total)
{
    return c->ops->publication_list(c, pid, q, pg, a, out, n, total);
}

int store_referral_insert(struct store_conn *c, const char *pid, const struct referral *f)
{
    return c->ops->referral_insert(c, pid, f);
}

int store_referral_update(struct store_conn *c, const char *pid, const struct referral *f)
{
    return c->ops->referral_update(c, pid, f);
}

int store_referral_delete(struct store_conn *c, const char *pid, const char *id)
{
    return c->ops->referral_delete(c, pid, id);
}

int store_referral_get_by_referee(struct store_conn *c, const char *pid, const char *campaign_id,
                                  const char *referee_id, struct arena *a, struct referral *out)
{
    return c->ops->referral_get_by_referee(c, pid, campaign_id, referee_id, a, out);
}

int store_referral_list_by_referee(struct store_conn *c, const char *pid, const char *referee_id,
                                   size_t max, struct arena *a, struct referral **out, size_t *n)
{
    return c->ops->referral_list_by_referee(c, pid, referee_id, max, a, out, n);
}

int store_referral_list_by_referrer(struct store_conn *c, const char *pid, const char *referrer_id,
                                    const struct page *pg, struct arena *a, struct referral **out,
                                    size_t *n, int64_t *total)
{
    return c->ops->referral_list_by_referrer(c, pid, referrer_id, pg, a, out, n, total);
}

int store_entry_accrued_since(struct store_conn *c, const char *pid, const char *member_id,
                              int64_t since, int64_t *sum)
{
    return c->ops->entry_accrued_since(c, pid, member_id, since, sum);
}

int store_redemption_points_since(struct store_conn *c, const char *pid, const char *member_id,
                                  const char *campaign_id, int64_t since, int64_t *sum)
{
    return c->ops->redemption_points_since(c, pid, member_id, campaign_id, since, sum);
}

int store_idem_purge(struct store_conn *c, int64_t before, int64_t max, int64_t *deleted)
{
    return c->ops->idem_purge(c, before, max, deleted);
}
