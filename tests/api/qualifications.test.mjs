// Qualifications: POST /v1/qualifications and GET /v1/customers/{id}/redeemables
// (docs/api.md "Qualifications").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid, createProject } from './harness.mjs';
import { campaign } from './vouchers-helpers.mjs';
import { createReward, assign, material, programWithMember, card, assertErr } from './rewards-helpers.mjs';

const ORDER = { amount: 10000 };

function qualify(t, body, opts = {}) {
  return api(t, 'POST', '/v1/qualifications', { body, ...opts });
}

async function ok(t, body, opts) {
  const r = await qualify(t, body, opts);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.redeemables.object, 'list');
  assert.equal(r.json.redeemables.data_ref, 'data');
  return r.json;
}

async function publish(t, cust, camp) {
  const r = await api(t, 'POST', '/v1/publications', { body: { customer: { source_id: cust }, campaign: { name: camp.name } } });
  assert.equal(r.status, 200, r.text);
  return r.json.voucher;
}

describe('qualifications', () => {
  let t;
  const f = {};
  before(async () => {
    t = await startTreu();
    f.cust = uid('ada');
    const { p, m } = await programWithMember(t, 420, { source_id: f.cust });
    Object.assign(f, { p, m, rewards: [], assignments: [] });
    for (const pts of [100, 300, 500]) {
      const rw = await createReward(t, material({ name: `mug-${pts}-${uid('r')}` }));
      f.rewards.push(rw);
      f.assignments.push(await assign(t, p.id, rw.id, pts));
    }
    const big = await api(t, 'POST', '/v1/validation-rules', { body: { name: 'Big orders', rules: { 1: { name: 'order.amount', conditions: { $more_than: [50000] } } } } });
    assert.equal(big.status, 201, big.text);
    f.good = await campaign(t, { voucher: { discount: { type: 'PERCENT', percent_off: 15 } } });
    f.bad = await campaign(t, { voucher: { discount: { type: 'AMOUNT', amount_off: 2500 } }, opts: { validation_rules: [big.json.id] } });
    f.goodCode = (await publish(t, f.cust, f.good)).code;
    f.badCode = (await publish(t, f.cust, f.bad)).code;
  });
  after(async () => { await t?.stop(); });

  const ids = (list) => list.data.map((e) => e.id);

  test('lists the valid coupon with its discount, the card and the two affordable rewards, each with its reason', async () => {
    const q = await ok(t, { customer: { source_id: f.cust }, order: ORDER, options: { limit: 50 } });
    const d = q.redeemables.data;
    assert.equal(q.redeemables.total, 4, JSON.stringify(d));
    const v = d.find((e) => e.id === f.goodCode);
    assert.equal(v.object, 'voucher');
    assert.deepEqual(v.result.discount, { type: 'PERCENT', percent_off: 15 });
    assert.equal(v.order.amount, 10000);
    assert.equal(v.order.applied_discount_amount, 1500);
    assert.equal(v.order.total_discount_amount, 1500);
    assert.equal(v.order.total_amount, 8500);
    assert.equal(v.campaign_id, f.good.id);
    assert.equal(v.reason, 'published to the customer');
    assert.ok(!ids(q.redeemables).includes(f.badCode));
    const c = d.find((e) => e.id === f.m.code);
    assert.equal(c.voucher_type, 'LOYALTY_CARD');
    assert.equal(c.result.loyalty_card.balance, 420);
    assert.match(c.reason, /420 points/);
    const rewards = d.filter((e) => e.object === 'reward');
    assert.deepEqual(rewards.map((e) => e.reward.id).sort(), [f.rewards[0].id, f.rewards[1].id].sort());
    const r300 = rewards.find((e) => e.reward.id === f.rewards[1].id);
    assert.equal(r300.id, f.assignments[1].id);
    assert.equal(r300.points, 300);
    assert.equal(r300.loyalty_card.id, f.m.id);
    assert.equal(r300.reason, 'holds 420 points, costs 300');
    assert.equal(q.tracking_id, f.cust);
    assert.equal(q.order.amount, 10000);
    assert.equal(q.inapplicable_redeemables, undefined);
  });

  test('the customer may be named by id; default limit is 5', async () => {
    const q = await ok(t, { customer: { id: f.m.holder_id }, order: ORDER });
    assert.equal(q.redeemables.total, 4);
    const q2 = await ok(t, { customer: f.cust, order: ORDER, options: { limit: 1 } });
    assert.equal(q2.redeemables.data.length, 1);
    assert.equal(q2.redeemables.has_more, true);
  });

  test('ineligible entries list the failing check: validation rule, insufficient balance with the points to go', async () => {
    for (const options of [{ include_ineligible: true }, { expand: ['redeemable'] }]) {
      const q = await ok(t, { customer: { source_id: f.cust }, order: ORDER, options });
      const bad = q.inapplicable_redeemables.data;
      assert.equal(q.inapplicable_redeemables.total, 2, JSON.stringify(bad));
      const v = bad.find((e) => e.id === f.badCode);
      assert.equal(v.result.error.key, 'order_rules_violated');
      const r = bad.find((e) => e.object === 'reward');
      assert.equal(r.reward.id, f.rewards[2].id);
      assert.equal(r.result.error.key, 'insufficient_balance');
      assert.equal(r.result.error.points_missing, 80);
      assert.equal(r.reason, 'holds 420 points, costs 500: 80 points to go');
    }
  });

  test('sorting_rule BEST_DEAL puts the largest discount first, LEAST_DEAL last', async () => {
    const coin = await createReward(t, { type: 'COIN', parameters: { coin: { exchange_ratio: 10, points_ratio: 1 } } });
    const src = uid('bo');
    const p2 = await programWithMember(t, 50, { source_id: src });
    const a = await assign(t, p2.p.id, coin.id);
    const c = await campaign(t, { voucher: { discount: { type: 'AMOUNT', amount_off: 300 } } });
    const code = (await publish(t, src, c)).code;
    const body = { customer: { id: p2.m.holder_id }, order: ORDER };
    const best = await ok(t, { ...body, options: { sorting_rule: 'BEST_DEAL' } });
    // 50 points × 10 = 500 off beats the 300 coupon; the card takes nothing off
    assert.deepEqual(ids(best.redeemables), [a.id, code, p2.m.code]);
    assert.equal(best.redeemables.data[0].object, 'reward');
    assert.equal(best.redeemables.data[0].order.total_discount_amount, 500);
    assert.equal(best.redeemables.data[0].result.discount.amount_off, 500);
    assert.match(best.redeemables.data[0].reason, /50 of them take 500 off/);
    const least = await ok(t, { ...body, options: { sorting_rule: 'LEAST_DEAL' } });
    assert.deepEqual(ids(least.redeemables), [p2.m.code, code, a.id]);
    // DEFAULT: newest first (the coupon was published after the card and the assignment)
    const dflt = await ok(t, body);
    assert.equal(dflt.redeemables.data[0].id, code);
  });

  test('paging with starting_after walks every entry once', async () => {
    const all = await ok(t, { customer: f.cust, order: ORDER, options: { limit: 50 } });
    const seen = [];
    let after;
    for (let i = 0; i < 10; i++) {
      const q = await ok(t, { customer: f.cust, order: ORDER, options: { limit: 3, starting_after: after } });
      seen.push(...ids(q.redeemables));
      assert.equal(q.redeemables.total, 4);
      if (!q.redeemables.has_more) { assert.equal(q.redeemables.more_starting_after, null); break; }
      after = q.redeemables.more_starting_after;
      assert.equal(after, seen.at(-1));
    }
    assert.deepEqual(seen, ids(all.redeemables));
    const bad = await qualify(t, { customer: f.cust, options: { starting_after: 'nope' } });
    assertErr(bad, 400, 'invalid_param', 'options.starting_after');
  });

  test('filters on resource_type and campaign_id', async () => {
    const base = { customer: f.cust, order: ORDER, options: { limit: 50 } };
    const f1 = await ok(t, { ...base, options: { ...base.options, filters: { resource_type: { conditions: { $in: ['reward'] } } } } });
    assert.equal(f1.redeemables.total, 2);
    assert.ok(f1.redeemables.data.every((e) => e.object === 'reward'));
    const f2 = await ok(t, { ...base, options: { ...base.options, filters: { junction: 'and', campaign_id: { conditions: { $is: f.good.id } } } } });
    assert.deepEqual(ids(f2.redeemables), [f.goodCode]);
    const f3 = await ok(t, { ...base, options: { ...base.options, filters: { resource_type: { conditions: { $is: ['voucher'] } }, campaign_id: { conditions: { $not_in: [f.good.id] } } } } });
    assert.deepEqual(ids(f3.redeemables), [f.m.code]);
    assertErr(await qualify(t, { ...base, options: { filters: { code: { conditions: { $is: 'x' } } } } }), 400, 'invalid_param', 'options.filters.code');
    assertErr(await qualify(t, { ...base, options: { filters: { resource_type: { conditions: { $starts_with: 'v' } } } } }), 400, 'invalid_param', 'options.filters.resource_type');
    assertErr(await qualify(t, { ...base, options: { filters: { junction: 'or' } } }), 400, 'invalid_param', 'junction');
  });

  test('scenario CUSTOMER_WALLET leaves out rewards; other scenarios are refused', async () => {
    const q = await ok(t, { customer: f.cust, order: ORDER, scenario: 'CUSTOMER_WALLET', options: { limit: 50 } });
    assert.deepEqual(ids(q.redeemables).sort(), [f.goodCode, f.m.code].sort());
    assertErr(await qualify(t, { customer: f.cust, scenario: 'PRODUCTS' }), 400, 'invalid_param', 'scenario');
  });

  test('unknown customer, no customer and a customer of another project see nothing', async () => {
    for (const body of [{ customer: { source_id: uid('nobody') }, order: ORDER }, { order: ORDER }, {}]) {
      const q = await ok(t, body);
      assert.deepEqual(q.redeemables.data, []);
      assert.equal(q.redeemables.total, 0);
    }
    const other = await createProject(t.dataDir, 'other');
    for (const customer of [{ source_id: f.cust }, { id: f.m.holder_id }]) {
      const q = await ok(t, { customer, order: ORDER, options: { include_ineligible: true } }, { project: other });
      assert.equal(q.redeemables.total, 0);
      assert.equal(q.inapplicable_redeemables.total, 0);
    }
  });

  test('bad input gets 400 naming the field', async () => {
    const c = { customer: f.cust };
    for (const [body, field] of [
      [{ ...c, options: { limit: 0 } }, 'limit'],
      [{ ...c, options: { limit: 51 } }, 'limit'],
      [{ ...c, options: { sorting_rule: 'CHEAPEST' } }, 'sorting_rule'],
      [{ ...c, options: { expand: ['everything'] } }, 'options.expand'],
      [{ ...c, options: { include_ineligible: 'yes' } }, 'include_ineligible'],
      [{ ...c, options: { colour: 1 } }, 'options.colour'],
      [{ ...c, options: 5 }, 'options'],
      [{ ...c, order: { amount: -1 } }, 'order.amount'],
      [{ ...c, order: 'big' }, 'order'],
      [{ ...c, nope: true }, 'nope'],
      [{ customer: 7 }, 'customer'],
    ]) {
      const r = await qualify(t, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.ok(r.json.details.includes(field), `details name ${field}: ${r.json.details}`);
    }
    const raw = await api(t, 'POST', '/v1/qualifications', { raw: '{"customer":' });
    assert.equal(raw.status, 400);
    assertErr(await qualify(t, { ...c, order: { id: 'ord_missing' } }), 404, 'not_found', 'ord_missing');
    const client = await qualify(t, c, { keys: 'client' });
    assert.ok(client.status === 401 || client.status === 403, client.text);
  });

  test('qualifying writes nothing: balances, voucher counters, orders and redemptions unchanged', async () => {
    const before = {
      card: await card(t, f.m.id),
      voucher: (await api(t, 'GET', `/v1/vouchers/${f.goodCode}`)).json,
      redemptions: (await api(t, 'GET', '/v1/redemptions?limit=100')).json.total,
    };
    const src = uid('ord');
    await ok(t, { customer: f.cust, order: { ...ORDER, source_id: src }, options: { include_ineligible: true } });
    assert.deepEqual(await card(t, f.m.id), before.card);
    assert.deepEqual((await api(t, 'GET', `/v1/vouchers/${f.goodCode}`)).json, before.voucher);
    assert.equal((await api(t, 'GET', '/v1/redemptions?limit=100')).json.total, before.redemptions);
    assert.equal((await api(t, 'GET', `/v1/orders/${src}`)).status, 404);
  });

  test('GET /v1/customers/{id}/redeemables lists the held vouchers and cards, paged', async () => {
    const r = await api(t, 'GET', `/v1/customers/${encodeURIComponent(f.cust)}/redeemables?limit=2`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total, 3);
    assert.equal(r.json.data.length, 2);
    assert.equal(r.json.has_more, true);
    const next = await api(t, 'GET', `/v1/customers/${f.m.holder_id}/redeemables?limit=2&starting_after_id=${r.json.more_starting_after}`);
    assert.equal(next.status, 200, next.text);
    const all = [...r.json.data, ...next.json.data];
    assert.deepEqual(all.map((e) => e.redeemable.voucher.code).sort(), [f.goodCode, f.badCode, f.m.code].sort());
    for (const e of all) {
      assert.equal(e.customer_id, f.m.holder_id);
      assert.equal(e.redeemable.status, 'ACTIVE');
    }
    const cardEntry = all.find((e) => e.voucher_type === 'LOYALTY_CARD');
    assert.equal(cardEntry.redeemable.voucher.loyalty_card.balance, 420);
    assert.equal(cardEntry.campaign_type, 'LOYALTY_PROGRAM');
    assert.equal((await api(t, 'GET', `/v1/customers/${uid('nobody')}/redeemables`)).status, 404);
    assertErr(await api(t, 'GET', `/v1/customers/${f.m.holder_id}/redeemables?limit=101`), 400, 'invalid_query', 'limit');
  });
});
