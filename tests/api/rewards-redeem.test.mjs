// Redeeming rewards and rolling redemptions back (docs/api.md "Redeeming a reward",
// "Rolling back a reward redemption"): every type, variants, stock, limits, availability,
// conditions, the member's reward list, the ledger entries, idempotency, isolation.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, createProject, uid } from './harness.mjs';
import {
  createReward, material, assign, redeem, programWithMember, addMember, card, memberRewards,
  assertErr, clock, enc, RED_RE, RR_RE,
} from './rewards-helpers.mjs';
import { campaign as vcampaign, getVoucher, redeem as vredeem, validate as vvalidate } from './vouchers-helpers.mjs';

const DAY = 86_400;

describe('reward redemption', () => {
  let t;
  let other;
  before(async () => {
    t = await startTreu({ testClock: true });
    other = await createProject(t.dataDir, 'other');
  });
  after(async () => { await t?.stop(); });

  const lots = async (m) => (await api(t, 'GET', `/v1/loyalties/members/${enc(m.id)}/points-expiration?limit=100`)).json.data;
  const txs = async (m) => (await api(t, 'GET', `/v1/loyalties/members/${enc(m.id)}/transactions?limit=100`)).json.data;
  const rewardNow = async (r) => (await api(t, 'GET', `/v1/rewards/${r.id}`)).json;
  const add = async (m, points) => assert.equal((await api(t, 'POST', `/v1/loyalties/members/${m.id}/balance`, { body: { points } })).status, 200);
  const expiring = { voucher: { loyalty_card: { expiration_rules: { period_type: 'DAY', period_value: 10 } } } };

  test('MATERIAL: debits soonest-expiring lots first, answers the SDK shape, refuses what the balance cannot cover', async () => {
    const { p, m } = await programWithMember(t, 0, {}, expiring);
    await add(m, 60);
    await clock(t, DAY);
    await add(m, 40);
    const before_ = await lots(m);
    assert.deepEqual(before_.map((l) => l.points), [60, 40]);
    const rw = await createReward(t, material({ stock: 10 }));
    const a = await assign(t, p.id, rw.id, 80);
    const r = await redeem(t, p.id, m.id, { reward: { id: rw.id }, metadata: { note: 'front desk' } });
    assert.equal(r.status, 200, r.text);
    const b = r.json;
    assert.match(b.id, RED_RE);
    assert.deepEqual([b.object, b.result, b.status, b.points, b.amount, b.customer_id],
      ['redemption', 'SUCCESS', 'SUCCEEDED', 80, 0, m.holder_id]);
    assert.deepEqual([b.reward.id, b.reward.assignment_id, b.reward.type, b.reward.object], [rw.id, a.id, 'MATERIAL', 'reward']);
    assert.deepEqual(b.reward.product, { id: 'prod_mug', sku: 'mug-red' });
    assert.deepEqual(b.fulfilment, { status: 'PENDING' });
    assert.deepEqual(b.metadata, { note: 'front desk' });
    assert.deepEqual([b.voucher.id, b.voucher.type, b.voucher.loyalty_card], [m.id, 'LOYALTY_CARD', { points: 100, balance: 20 }]);
    assert.equal(b.customer.id, m.holder_id);
    assert.deepEqual([b.transaction.type, b.transaction.points, b.transaction.balance_after], ['POINTS_REDEMPTION', -80, 20]);
    assert.deepEqual(b.transaction.details.lots, [{ id: before_[0].id, points: -60 }, { id: before_[1].id, points: -20 }]);
    assert.deepEqual(b.transaction.details.postings, [{ account: 'member.available', amount: -80 }, { account: 'program.redemption', amount: 80 }]);
    assert.ok(b.transaction.reason.includes(rw.id), 'the entry names the reward');
    const c = await card(t, m.id);
    assert.deepEqual([c.balance, c.subtracted_points], [20, 80]);
    assert.deepEqual((await lots(m)).map((l) => [l.id, l.points]), [[before_[1].id, 20]]);
    assert.equal((await rewardNow(rw)).redeemed, 1);
    assert.equal((await txs(m))[0].id, b.transaction.id);
    assert.equal((await api(t, 'GET', `/v1/loyalties/${p.id}`)).json.accounts.outstanding, 20);

    const n = (await txs(m)).length;
    const no = await redeem(t, null, m.code, { reward: { id: rw.id } });
    assertErr(no, 400, 'insufficient_balance', '20');
    assert.equal((await card(t, m.id)).balance, 20, 'a refusal changes nothing');
    assert.equal((await txs(m)).length, n);
    assert.equal((await rewardNow(rw)).redeemed, 1, 'the stock taken for a refused redemption went back');
    // exactly the balance is enough
    await add(m, 60);
    const exact = await redeem(t, null, m.code, { reward: { id: rw.id } });
    assert.equal(exact.status, 200, exact.text);
    assert.equal((await card(t, m.id)).balance, 0);
  });

  test('rollback returns the points to their lots with their expiry and restores the stock; once', async () => {
    const { p, m } = await programWithMember(t, 0, {}, expiring);
    await add(m, 50);
    await clock(t, DAY);
    await add(m, 50);
    const orig = await lots(m);
    const rw = await createReward(t, material({ stock: 1, limits: { per_member: { count: 1 } } }));
    await assign(t, p.id, rw.id, 70);
    const r = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await rewardNow(rw)).redeemed, 1);
    await clock(t, 3600);
    const rb = await api(t, 'POST', `/v1/redemptions/${r.json.id}/rollback?reason=${enc('wrong size')}`);
    assert.equal(rb.status, 200, rb.text);
    assert.match(rb.json.id, RR_RE);
    assert.deepEqual([rb.json.object, rb.json.redemption, rb.json.result, rb.json.points, rb.json.reason],
      ['redemption_rollback', r.json.id, 'SUCCESS', 70, 'wrong size']);
    assert.equal(rb.json.transaction.type, 'POINTS_REDEMPTION_ROLLBACK');
    assert.deepEqual(rb.json.transaction.details.lots, [{ id: orig[0].id, points: 50 }, { id: orig[1].id, points: 20 }]);
    assert.deepEqual(rb.json.transaction.details.postings, [{ account: 'member.available', amount: 70 }, { account: 'program.redemption', amount: -70 }]);
    const now = await lots(m);
    assert.deepEqual(now.map((l) => [l.id, l.points, l.expires_at]), orig.map((l) => [l.id, l.points, l.expires_at]),
      'the same lots, the same expiry');
    const c = await card(t, m.id);
    assert.deepEqual([c.balance, c.subtracted_points, c.points], [100, 0, 100]);
    assert.equal((await rewardNow(rw)).redeemed, 0, 'stock restored');
    assert.equal((await api(t, 'GET', `/v1/loyalties/${p.id}`)).json.accounts.outstanding, 100);

    assertErr(await api(t, 'POST', `/v1/redemptions/${r.json.id}/rollback`), 400, 'already_rolled_back', rb.json.id);
    assertErr(await api(t, 'POST', `/v1/redemptions/${rb.json.id}/rollback`), 400, 'rollback_not_supported');
    assertErr(await api(t, 'POST', '/v1/redemptions/r_nope/rollback'), 404, 'not_found', 'r_nope');
    assertErr(await api(t, 'POST', `/v1/redemptions/${r.json.id}/rollback`, { project: other }), 404, 'not_found');
    // the rolled-back redemption no longer counts against the limit, and its stock is free
    const again = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
    assert.equal(again.status, 200, again.text);
    assert.equal((await card(t, m.id)).balance, 30);
  });

  test('rollback after the lots expired: the points come back and expire at once', async () => {
    const { p, m } = await programWithMember(t, 0, {}, expiring);
    await add(m, 50); // expires on day 10
    await clock(t, 2 * DAY);
    await add(m, 50); // expires on day 12
    const rw = await createReward(t, material());
    await assign(t, p.id, rw.id, 70);
    const r = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
    assert.equal(r.status, 200, r.text);
    await clock(t, 9 * DAY); // day 11: the first lot's expiry has passed
    const c0 = await card(t, m.id);
    assert.deepEqual([c0.balance, c0.expired_points], [30, 0], 'the spent lot had nothing left to expire');
    const rb = await api(t, 'POST', `/v1/redemptions/${r.json.id}/rollback`);
    assert.equal(rb.status, 200, rb.text);
    const c = await card(t, m.id);
    assert.deepEqual([c.balance, c.expired_points, c.subtracted_points], [50, 50, 0],
      '20 went back into the live lot, 50 came back past their expiry and expired');
    const [exp, back] = (await txs(m)).slice(0, 2);
    assert.deepEqual([back.type, back.points], ['POINTS_REDEMPTION_ROLLBACK', 70]);
    assert.deepEqual([exp.type, exp.points], ['POINTS_EXPIRATION', -50]);
    assert.deepEqual((await lots(m)).map((l) => l.points), [50]);
    assert.equal((await api(t, 'GET', `/v1/loyalties/${p.id}`)).json.accounts.outstanding, 50);
  });

  test('a redemption never creates a debt; a rollback into a debt pays the debt first', async () => {
    const { p, m } = await programWithMember(t, 50, {}, { allow_negative_balance: true });
    assert.equal(p.allow_negative_balance, true);
    const rw = await createReward(t, material());
    await assign(t, p.id, rw.id, 30);
    const r = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await api(t, 'POST', `/v1/loyalties/members/${m.id}/balance`, { body: { points: -60 } })).status, 200);
    assert.equal((await card(t, m.id)).balance, -40);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: rw.id } }), 400, 'insufficient_balance', '-40');
    const rb = await api(t, 'POST', `/v1/redemptions/${r.json.id}/rollback`);
    assert.equal(rb.status, 200, rb.text);
    const c = await card(t, m.id);
    assert.deepEqual([c.balance, c.subtracted_points], [-10, 60]);
    assert.deepEqual(await lots(m), [], 'the returned points went to the debt');
    await add(m, 40);
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: rw.id } })).status, 200);
    assert.equal((await card(t, m.id)).balance, 0);
  });

  test('COIN pays for an order at the exchange ratio, rounding the discount down', async () => {
    const { p, m } = await programWithMember(t, 500);
    const coin = await createReward(t, { type: 'COIN', parameters: { coin: { exchange_ratio: 100, points_ratio: 10 } } });
    await assign(t, p.id, coin.id);
    // 1234 needs ceil(1234 × 10 / 100) = 124 points; the discount is capped at the amount
    const all = await redeem(t, p.id, m.id, { reward: { id: coin.id }, order: { source_id: 'ord-1', amount: 1234 } });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual([all.json.points, all.json.amount], [124, 1234]);
    assert.deepEqual([all.json.order.source_id, all.json.order.amount, all.json.order.total_discount_amount, all.json.order.total_amount], ['ord-1', 1234, 1234, 0]);
    assert.equal(all.json.fulfilment, null);
    const part = await redeem(t, p.id, m.id, { reward: { id: coin.id, points: 37 }, order: { amount: 1000 } });
    assert.deepEqual([part.json.points, part.json.amount, part.json.order.total_amount], [37, 370, 630]);
    assert.equal((await card(t, m.id)).balance, 500 - 124 - 37);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: coin.id, points: 101 }, order: { amount: 1000 } }), 400, 'invalid_points', '100');
    assertErr(await redeem(t, p.id, m.id, { reward: { id: coin.id } }), 400, 'missing_order', 'order.amount');
    assertErr(await redeem(t, p.id, m.id, { reward: { id: coin.id }, order: { amount: -5 } }), 400, 'invalid_param', 'order.amount');
    assertErr(await redeem(t, p.id, m.id, { reward: { id: coin.id }, order: { amount: 1.5 } }), 400, 'invalid_param', 'order.amount');
    // without points the member spends what the order needs or the whole balance
    const rest = await redeem(t, p.id, m.id, { reward: { id: coin.id }, order: { amount: 100000 } });
    assert.deepEqual([rest.json.points, rest.json.amount], [339, 3390]);
    assert.equal((await card(t, m.id)).balance, 0);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: coin.id }, order: { amount: 100 } }), 400, 'insufficient_balance');
  });

  test('CUSTOM and MATERIAL fulfilment moves PENDING → SHIPPED → DELIVERED; CAMPAIGN is not redeemable yet', async () => {
    const { p, m } = await programWithMember(t, 1000);
    const spa = await createReward(t, { type: 'CUSTOM', parameters: { custom: { experience: 'spa day' } } });
    await assign(t, p.id, spa.id, 100);
    const r = await redeem(t, p.id, m.id, { reward: { id: spa.id } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.fulfilment, { status: 'PENDING' });
    const path = `/v1/loyalties/${p.id}/members/${m.id}/redemptions/${r.json.id}`;
    const s1 = await api(t, 'PUT', path, { body: { fulfilment: 'SHIPPED' } });
    assert.equal(s1.status, 200, s1.text);
    assert.deepEqual([s1.json.id, s1.json.fulfilment.status], [r.json.id, 'SHIPPED']);
    assertErr(await api(t, 'PUT', path, { body: { fulfilment: 'PENDING' } }), 400, 'invalid_fulfilment_transition', 'SHIPPED');
    assertErr(await api(t, 'PUT', path, { body: { fulfilment: 'LOST' } }), 400, 'invalid_param', 'fulfilment');
    const s2 = await api(t, 'PUT', `/v1/loyalties/members/${m.code}/redemptions/${r.json.id}`, { body: { fulfilment: 'DELIVERED' } });
    assert.equal(s2.json.fulfilment.status, 'DELIVERED');
    assertErr(await api(t, 'PUT', path, { body: { fulfilment: 'CANCELLED' } }), 400, 'invalid_fulfilment_transition');
    const stranger = await addMember(t, p.id, 0);
    assertErr(await api(t, 'PUT', `/v1/loyalties/${p.id}/members/${stranger.id}/redemptions/${r.json.id}`, { body: { fulfilment: 'SHIPPED' } }), 404, 'not_found');

    const mug = await createReward(t, material());
    await assign(t, p.id, mug.id, 10);
    const r2 = await redeem(t, p.id, m.id, { reward: { id: mug.id } });
    assert.equal((await api(t, 'POST', `/v1/redemptions/${r2.json.id}/rollback`)).status, 200);
    assertErr(await api(t, 'PUT', `/v1/loyalties/${p.id}/members/${m.id}/redemptions/${r2.json.id}`, { body: { fulfilment: 'SHIPPED' } }), 400, 'fulfilment_not_applicable', 'rolled back');

    const coin = await createReward(t, { type: 'COIN', parameters: { coin: { exchange_ratio: 1 } } });
    await assign(t, p.id, coin.id);
    const r3 = await redeem(t, p.id, m.id, { reward: { id: coin.id }, order: { amount: 5 } });
    assertErr(await api(t, 'PUT', `/v1/loyalties/${p.id}/members/${m.id}/redemptions/${r3.json.id}`, { body: { fulfilment: 'SHIPPED' } }), 400, 'fulfilment_not_applicable');

    // A CAMPAIGN reward whose campaign does not exist refuses and debits nothing.
    const camp = await createReward(t, { type: 'CAMPAIGN', parameters: { campaign: { id: 'camp_x' } } });
    await assign(t, p.id, camp.id, 10);
    const bal = (await card(t, m.id)).balance;
    assertErr(await redeem(t, p.id, m.id, { reward: { id: camp.id } }), 400, 'reward_campaign_failed');
    assert.equal((await card(t, m.id)).balance, bal);
  });

  test('a CAMPAIGN reward issues a coupon of its campaign to the member; rollback withdraws it', async () => {
    const { p, m } = await programWithMember(t, 100);
    const cp = await vcampaign(t, { voucher: { discount: { type: 'AMOUNT', amount_off: 500 } } });
    const rw = await createReward(t, { type: 'CAMPAIGN', parameters: { campaign: { id: cp.id } } });
    await assign(t, p.id, rw.id, 30);
    const r1 = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
    assert.equal(r1.status, 200, r1.text);
    const v1 = r1.json.reward.voucher;
    assert.ok(v1 && v1.code, `the answer carries the issued voucher: ${r1.text}`);
    assert.equal(v1.campaign_id, cp.id);
    assert.equal((await card(t, m.id)).balance, 70);
    const got = await getVoucher(t, v1.code);
    assert.equal(got.active, true);
    // The coupon is the member's: it validates for them and is worth its discount.
    const val = await vvalidate(t, v1.code, { customer: { id: m.holder_id }, order: { amount: 2000 } });
    assert.equal(val.status, 200, val.text);
    assert.equal(val.json.valid, true, val.text);
    assert.equal(val.json.discount.amount_off, 500);
    // Rolled back before use: points return and the coupon is withdrawn.
    const rb = await api(t, 'POST', `/v1/redemptions/${r1.json.id}/rollback`);
    assert.equal(rb.status, 200, rb.text);
    assert.equal((await card(t, m.id)).balance, 100);
    assert.equal((await getVoucher(t, v1.code)).active, false);
    assertErr(await vredeem(t, v1.code, { customer: { id: m.holder_id }, order: { amount: 2000 } }), 400, 'voucher_disabled');
    // Used, then rolled back: refused, the points stay spent.
    const r2 = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
    assert.equal(r2.status, 200, r2.text);
    const v2 = r2.json.reward.voucher;
    assert.notEqual(v2.code, v1.code);
    const used = await vredeem(t, v2.code, { customer: { id: m.holder_id }, order: { amount: 2000 } });
    assert.equal(used.status, 200, used.text);
    assertErr(await api(t, 'POST', `/v1/redemptions/${r2.json.id}/rollback`), 400, 'voucher_already_redeemed');
    assert.equal((await card(t, m.id)).balance, 70);
    // A disabled campaign issues nothing, and the member keeps the points.
    assert.equal((await api(t, 'POST', `/v1/campaigns/${cp.id}/disable`)).status, 200);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: rw.id } }), 400, 'reward_campaign_failed');
    assert.equal((await card(t, m.id)).balance, 70);
  });

  test('variants: the member gets the option matching their attribute, each with its own stock', async () => {
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    const fair = await addMember(t, p.id, 100, { metadata: { skin_tone: 'fair' } });
    const fair2 = await addMember(t, p.id, 100, { metadata: { skin_tone: 'fair' } });
    const dark = await addMember(t, p.id, 100, { metadata: { skin_tone: 'dark' } });
    const none = await addMember(t, p.id, 100);
    const cream = await createReward(t, material({
      stock: 3,
      variants: {
        attribute: 'customer.metadata.skin_tone',
        options: [
          { value: 'fair', name: 'Cream for fair skin', product: { id: 'prod_cream', sku: 'cream-fair' }, stock: 1 },
          { value: 'dark', name: 'Cream for dark skin', product: { id: 'prod_cream', sku: 'cream-dark' } },
        ],
      },
    }));
    assert.deepEqual(cream.variants.options.map((o) => [o.value, o.stock, o.redeemed]), [['fair', 1, 0], ['dark', null, 0]]);
    await assign(t, p.id, cream.id, 10);
    const lf = await memberRewards(t, fair.id);
    assert.deepEqual([lf.length, lf[0].variant.value, lf[0].stock_left], [1, 'fair', 1]);
    assert.equal((await memberRewards(t, none.id)).length, 0, 'no matching value: not offered');

    const a = await redeem(t, p.id, fair.id, { reward: { id: cream.id } });
    const b = await redeem(t, p.id, dark.id, { reward: { id: cream.id } });
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.equal(a.json.reward.product.sku, 'cream-fair');
    assert.equal(b.json.reward.product.sku, 'cream-dark');
    assert.equal(a.json.reward.variant.value, 'fair');
    assertErr(await redeem(t, p.id, fair2.id, { reward: { id: cream.id } }), 400, 'reward_out_of_stock', 'fair');
    assert.equal((await memberRewards(t, fair2.id)).length, 0, 'an exhausted variant is not offered');
    assertErr(await redeem(t, p.id, none.id, { reward: { id: cream.id } }), 400, 'reward_not_eligible', 'skin_tone');
    const got = await rewardNow(cream);
    assert.deepEqual(got.variants.options.map((o) => [o.value, o.redeemed]), [['fair', 1], ['dark', 1]]);
    assert.equal(got.redeemed, 2);
    // the whole reward's stock limits every variant
    assert.equal((await redeem(t, p.id, dark.id, { reward: { id: cream.id } })).status, 200);
    assertErr(await redeem(t, p.id, dark.id, { reward: { id: cream.id } }), 400, 'reward_out_of_stock');
    // a default option serves members without a match
    const upd = await api(t, 'PUT', `/v1/rewards/${cream.id}`, { body: { stock: 10, variants: { ...cream.variants, options: cream.variants.options.map(({ redeemed, ...o }) => o), default: 'dark' } } });
    assert.equal(upd.status, 200, upd.text);
    const d = await redeem(t, p.id, none.id, { reward: { id: cream.id } });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.reward.product.sku, 'cream-dark');
    // stock cannot be set below what is redeemed
    assertErr(await api(t, 'PUT', `/v1/rewards/${cream.id}`, { body: { stock: 2 } }), 400, 'invalid_stock');
    assert.equal((await rewardNow(cream)).stock, 10);
  });

  test('stock runs out across members and comes back with a rollback', async () => {
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    const rw = await createReward(t, material({ stock: 2 }));
    await assign(t, p.id, rw.id, 5);
    const ms = [];
    for (let i = 0; i < 3; i++) ms.push(await addMember(t, p.id, 20));
    const r0 = await redeem(t, p.id, ms[0].id, { reward: { id: rw.id } });
    assert.equal((await redeem(t, p.id, ms[1].id, { reward: { id: rw.id } })).status, 200);
    assertErr(await redeem(t, p.id, ms[2].id, { reward: { id: rw.id } }), 400, 'reward_out_of_stock');
    assert.equal((await card(t, ms[2].id)).balance, 20);
    assert.deepEqual([(await rewardNow(rw)).stock, (await rewardNow(rw)).redeemed], [2, 2]);
    assert.equal((await api(t, 'POST', `/v1/redemptions/${r0.json.id}/rollback`)).status, 200);
    assert.equal((await redeem(t, p.id, ms[2].id, { reward: { id: rw.id } })).status, 200);
  });

  test('per-member limits count per calendar period', async () => {
    const { p, m } = await programWithMember(t, 1000);
    const daily = await createReward(t, material({ limits: { per_member: { count: 2, period: 'DAY' } } }));
    const once = await createReward(t, material({ limits: { per_member: { count: 1, period: null } } }));
    await assign(t, p.id, daily.id, 10);
    await assign(t, p.id, once.id, 10);
    const other2 = await addMember(t, p.id, 100);
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: daily.id } })).status, 200);
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: daily.id } })).status, 200);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: daily.id } }), 400, 'reward_limit_exceeded', 'DAY');
    assert.equal((await redeem(t, p.id, other2.id, { reward: { id: daily.id } })).status, 200, 'the limit is per member');
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: once.id } })).status, 200);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: once.id } }), 400, 'reward_limit_exceeded');
    assert.deepEqual((await memberRewards(t, m.id)).map((x) => x.reward.id), [], 'limits reached: nothing offered');
    await clock(t, DAY);
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: daily.id } })).status, 200, 'a new day');
    assertErr(await redeem(t, p.id, m.id, { reward: { id: once.id } }), 400, 'reward_limit_exceeded', '1 of 1'); // a lifetime limit stays
    assert.equal((await card(t, m.id)).balance, 1000 - 40);
  });

  test('a weekly limit opens again on Monday (program time zone)', async () => {
    const { p, m } = await programWithMember(t, 100, {}, { timezone: 'Europe/Berlin' });
    const weekly = await createReward(t, material({ limits: { per_member: { count: 1, period: 'WEEK' } } }));
    await assign(t, p.id, weekly.id, 10);
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: weekly.id } })).status, 200);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: weekly.id } }), 400, 'reward_limit_exceeded', 'WEEK');
    await clock(t, 7 * DAY);
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: weekly.id } })).status, 200, 'seven days later it is another week');
    assertErr(await redeem(t, p.id, m.id, { reward: { id: weekly.id } }), 400, 'reward_limit_exceeded');
  });

  test('availability window and active flag', async () => {
    const { p, m } = await programWithMember(t, 100);
    const now = Date.parse((await api(t, 'GET', `/v1/loyalties/members/${m.id}`)).json.updated_at);
    const start = new Date(now + DAY * 1000).toISOString();
    const end = new Date(now + 3 * DAY * 1000).toISOString();
    const rw = await createReward(t, material({ start_date: start, expiration_date: end }));
    await assign(t, p.id, rw.id, 10);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: rw.id } }), 400, 'reward_not_active_yet');
    assert.equal((await memberRewards(t, m.id)).length, 0);
    await clock(t, DAY + 60);
    assert.equal((await memberRewards(t, m.id)).length, 1);
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: rw.id } })).status, 200);
    await clock(t, 2 * DAY);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: rw.id } }), 400, 'reward_expired');
    const off = await createReward(t, material({ active: false }));
    await assign(t, p.id, off.id, 10);
    assertErr(await redeem(t, p.id, m.id, { reward: { id: off.id } }), 400, 'reward_inactive');
    assertErr(await redeem(t, p.id, m.id, { reward: { id: 'rew_nope' } }), 404, 'reward_not_assigned');
    const unassigned = await createReward(t, material());
    assertErr(await redeem(t, p.id, m.id, { reward: { id: unassigned.id } }), 404, 'reward_not_assigned');
  });

  test('eligibility conditions over the customer, the member, the tier and validation rules', async () => {
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    const tiers = (await api(t, 'POST', `/v1/loyalties/${p.id}/tiers`, { body: [{ name: 'Gold', points: { from: 500 } }] })).json;
    const vip = await addMember(t, p.id, 100, { metadata: { vip: true, pets: 'dog' } });
    const plain = await addMember(t, p.id, 100, { metadata: { vip: false } });
    const gold = await addMember(t, p.id, 600);
    const vipOnly = await createReward(t, material({ conditions: { 1: { name: 'customer.metadata', property: 'vip', conditions: { $is: [true] } } } }));
    const goldOnly = await createReward(t, material({ conditions: { 1: { name: 'member.tier', conditions: { $in: ['Gold'] } } } }));
    const vr = await api(t, 'POST', '/v1/validation-rules', { body: { name: uid('vr'), rules: { 1: { name: 'customer.metadata', property: 'pets', conditions: { $is: ['dog'] } } } } });
    assert.equal(vr.status, 201, vr.text);
    const dogs = await createReward(t, material({ validation_rule_id: vr.json.id }));
    const goldTier = await createReward(t, material());
    for (const r of [vipOnly, goldOnly, dogs]) await assign(t, p.id, r.id, 10);
    await assign(t, p.id, goldTier.id, 10, { tiers: [tiers[0].id] });
    const offered = async (m) => (await memberRewards(t, m.id)).map((x) => x.reward.id).sort();
    assert.deepEqual(await offered(vip), [vipOnly.id, dogs.id].sort());
    assert.deepEqual(await offered(plain), []);
    assert.deepEqual(await offered(gold), [goldOnly.id, goldTier.id].sort());
    assertErr(await redeem(t, p.id, plain.id, { reward: { id: vipOnly.id } }), 400, 'reward_not_eligible', 'conditions');
    assertErr(await redeem(t, p.id, vip.id, { reward: { id: goldOnly.id } }), 400, 'reward_not_eligible');
    assertErr(await redeem(t, p.id, vip.id, { reward: { id: goldTier.id } }), 400, 'reward_not_eligible');
    assert.equal((await redeem(t, p.id, vip.id, { reward: { id: dogs.id } })).status, 200);
    const g = await redeem(t, p.id, gold.id, { reward: { id: goldTier.id } });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.reward.loyalty_tier_id, tiers[0].id);
  });

  test('the member reward list: eligible now, and with affordable_only what the balance covers', async () => {
    const { p, m } = await programWithMember(t, 50);
    const cheap = await createReward(t, material({ stock: 4 }));
    const dear = await createReward(t, material());
    const coin = await createReward(t, { type: 'COIN', parameters: { coin: { exchange_ratio: 1, points_ratio: 60 } } });
    const gone = await createReward(t, material({ stock: 0 }));
    await assign(t, p.id, cheap.id, 30);
    await assign(t, p.id, dear.id, 80);
    await assign(t, p.id, coin.id);
    await assign(t, p.id, gone.id, 1);
    const all = await memberRewards(t, m.id);
    assert.deepEqual(all.map((x) => x.reward.id).sort(), [cheap.id, dear.id, coin.id].sort(), 'out of stock is not offered');
    const c = all.find((x) => x.reward.id === cheap.id);
    assert.deepEqual([c.points, c.stock_left, c.variant, c.assignment.parameters.loyalty.points], [30, 4, null, 30]);
    const aff = await memberRewards(t, m.id, '&affordable_only=true');
    assert.deepEqual(aff.map((x) => x.reward.id), [cheap.id], 'the balance covers only the cheap one (COIN needs 60 for one unit)');
    const viaProgram = await api(t, 'GET', `/v1/loyalties/${p.id}/members/${m.id}/rewards?affordable_only=true`);
    assert.deepEqual(viaProgram.json.data.map((x) => x.reward.id), [cheap.id]);
    const paged = await api(t, 'GET', `/v1/loyalties/members/${m.id}/rewards?limit=1&page=2`);
    assert.equal(paged.json.total, 3);
    assert.equal(paged.json.data.length, 1);
    assertErr(await api(t, 'GET', `/v1/loyalties/members/${m.id}/rewards?affordable_only=yes`), 400, 'invalid_param', 'affordable_only');
    assertErr(await api(t, 'GET', '/v1/loyalties/members/v_nope/rewards'), 404, 'not_found');
    const p2 = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    assertErr(await api(t, 'GET', `/v1/loyalties/${p2.id}/members/${m.id}/rewards`), 404, 'not_found');
  });

  test('bad redemption bodies get a 400 and change nothing', async () => {
    const { p, m } = await programWithMember(t, 100);
    const rw = await createReward(t, material());
    await assign(t, p.id, rw.id, 10);
    const cases = [
      [{}, 'missing_param', 'reward'],
      [{ reward: 'x' }, 'invalid_param', 'reward'],
      [{ reward: {} }, 'missing_param', 'reward.id'],
      [{ reward: { id: rw.id, points: 0 } }, 'invalid_param', 'reward.points'],
      [{ reward: { id: rw.id, points: 11 } }, 'invalid_points', 'costs 10'],
      [{ reward: { id: rw.id }, order: 5 }, 'invalid_param', 'order'],
      [{ reward: { id: rw.id }, order: { amount: 10, colour: 1 } }, 'invalid_param', 'colour'],
      [{ reward: { id: rw.id }, metadata: 'x' }, 'invalid_param', 'metadata'],
      [{ reward: { id: rw.id }, extra: 1 }, 'invalid_param', 'extra'],
    ];
    for (const [body, key, detail] of cases) assertErr(await redeem(t, p.id, m.id, body), 400, key, detail);
    assertErr(await redeem(t, p.id, 'v_nope', { reward: { id: rw.id } }), 404, 'not_found', 'v_nope');
    assert.equal((await card(t, m.id)).balance, 100);
    const byAssignment = await redeem(t, p.id, m.id, { reward: { id: rw.id, points: 10, assignment_id: (await api(t, 'GET', `/v1/loyalties/${p.id}/rewards`)).json.data[0].id } });
    assert.equal(byAssignment.status, 200, byAssignment.text);
  });

  test('a retried redemption with the same Idempotency-Key debits once and answers the same', async () => {
    const { p, m } = await programWithMember(t, 100);
    const rw = await createReward(t, material());
    await assign(t, p.id, rw.id, 30);
    const key = uid('idem');
    const h = { headers: { 'Idempotency-Key': key } };
    const a = await redeem(t, p.id, m.id, { reward: { id: rw.id } }, h);
    const b = await redeem(t, p.id, m.id, { reward: { id: rw.id } }, h);
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200);
    assert.equal(b.text, a.text, 'byte for byte');
    assert.equal(b.headers['idempotent-replayed'], 'true');
    assert.equal((await card(t, m.id)).balance, 70);
    const c = await redeem(t, p.id, m.id, { reward: { id: rw.id }, metadata: { x: 1 } }, h);
    assert.equal(c.status, 409, c.text);
    assert.equal((await card(t, m.id)).balance, 70);
    const rk = { headers: { 'Idempotency-Key': uid('rb') } };
    const r1 = await api(t, 'POST', `/v1/redemptions/${a.json.id}/rollback`, rk);
    const r2 = await api(t, 'POST', `/v1/redemptions/${a.json.id}/rollback`, rk);
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r2.text, r1.text);
    assert.equal((await card(t, m.id)).balance, 100);
  });

  test('another project can neither see nor redeem', async () => {
    const { p, m } = await programWithMember(t, 100);
    const rw = await createReward(t, material());
    await assign(t, p.id, rw.id, 10);
    const o = { project: other };
    assertErr(await redeem(t, p.id, m.id, { reward: { id: rw.id } }, o), 404, 'not_found');
    assertErr(await redeem(t, null, m.id, { reward: { id: rw.id } }, o), 404, 'not_found');
    assertErr(await api(t, 'GET', `/v1/loyalties/members/${m.id}/rewards`, o), 404, 'not_found');
    // its own member cannot take our reward either
    const op = (await api(t, 'POST', '/v1/loyalties', { ...o, body: { name: uid('p') } })).json;
    const om = await addMember(t, op.id, 100, {}, o);
    assertErr(await redeem(t, op.id, om.id, { reward: { id: rw.id } }, o), 404, 'reward_not_assigned');
    const r = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
    assertErr(await api(t, 'PUT', `/v1/loyalties/members/${m.id}/redemptions/${r.json.id}`, { ...o, body: { fulfilment: 'SHIPPED' } }), 404, 'not_found');
    assert.equal((await card(t, m.id)).balance, 90);
  });
});
