// Discount arithmetic, dates, limits, validation rules and gift balances, through
// validate and redeem (docs/api.md "Validations" and "Redemptions").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid } from './harness.mjs';
import { campaign, voucher, getVoucher, redeem, validate } from './vouchers-helpers.mjs';

describe('voucher discounts', () => {
  let t;
  before(async () => { t = await startTreu({ testClock: true }); });
  after(async () => { await t?.stop(); });

  const items = [
    { product_id: 'prod_a', quantity: 3, price: 1000 },
    { sku_id: 'sku_b', quantity: 2, amount: 800 },
    { product_id: 'prod_5h1pp1ng', quantity: 1, price: 499 },
  ];

  for (const [name, discount, order, off] of [
    ['PERCENT rounds half up', { type: 'PERCENT', percent_off: 10 }, { amount: 12345 }, 1235],
    ['PERCENT with decimals', { type: 'PERCENT', percent_off: 12.5 }, { amount: 1000 }, 125],
    ['PERCENT capped by amount_limit', { type: 'PERCENT', percent_off: 50, amount_limit: 2000 }, { amount: 10000 }, 2000],
    ['AMOUNT', { type: 'AMOUNT', amount_off: 1500 }, { amount: 10000 }, 1500],
    ['AMOUNT never above the order', { type: 'AMOUNT', amount_off: 1500 }, { amount: 999 }, 999],
    ['FIXED sets the price', { type: 'FIXED', fixed_amount: 3000 }, { amount: 10000 }, 7000],
    ['FIXED above the order takes nothing', { type: 'FIXED', fixed_amount: 3000 }, { amount: 2000 }, 0],
    ['UNIT of a product', { type: 'UNIT', unit_off: 2, unit_type: 'prod_a' }, { items }, 2000],
    ['UNIT of a sku priced by amount', { type: 'UNIT', unit_off: 1, unit_type: 'sku_b' }, { items }, 400],
    ['free shipping', { type: 'UNIT', unit_off: 1, unit_type: 'prod_5h1pp1ng', effect: 'ADD_MISSING_ITEMS' }, { items }, 499],
    ['UNIT of an absent product', { type: 'UNIT', unit_off: 1, unit_type: 'prod_x' }, { items }, 0],
  ]) {
    test(`${name}: validate and redeem agree to the unit`, async () => {
      const code = uid('D');
      await voucher(t, code, { discount });
      const v = await validate(t, code, { order });
      assert.equal(v.status, 200, v.text);
      assert.equal(v.json.valid, true);
      const amount = order.amount ?? 4299;
      assert.equal(v.json.order.amount, amount);
      assert.equal(v.json.order.discount_amount, off);
      assert.equal(v.json.order.total_amount, amount - off);
      assert.deepEqual(v.json.discount, discount);
      const r = await redeem(t, code, { order, customer: { source_id: uid('c') } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.amount, off);
      assert.equal(r.json.order.discount_amount, off);
      assert.equal(r.json.order.total_amount, amount - off);
      assert.equal(r.json.voucher.redemption.redeemed_quantity, 1);
    });
  }

  test('dates: not active before start_date, expired at expiration_date', async () => {
    const now = Date.now();
    const later = await voucher(t, uid('L'), { start_date: new Date(now + 86400e3).toISOString() });
    const gone = await voucher(t, uid('G'), { expiration_date: new Date(now - 1000).toISOString() });
    let r = await redeem(t, later.code, { order: { amount: 5000 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.key, 'voucher_not_active');
    r = await validate(t, gone.code, { order: { amount: 5000 } });
    assert.equal(r.status, 200);
    assert.equal(r.json.valid, false);
    assert.equal(r.json.error.key, 'voucher_expired');
    assert.equal(r.json.reason, 'voucher expired');
    // A day later the first one works.
    const c = await api(t, 'POST', '/v1/_test/clock', { body: { advance_seconds: 2 * 86400 } });
    assert.equal(c.status, 200, c.text);
    r = await redeem(t, later.code, { order: { amount: 5000 } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await getVoucher(t, gone.code)).redemption.redeemed_quantity, 0);
  });

  test("a campaign's dates and state apply to its vouchers", async () => {
    const old = await campaign(t, { opts: { vouchers_count: 1, expiration_date: '2021-01-01T00:00:00Z' } });
    const code = (await api(t, 'GET', `/v1/vouchers?campaign=${old.id}`)).json.vouchers[0].code;
    let r = await redeem(t, code, { order: { amount: 5000 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.key, 'voucher_expired');
    const u = await api(t, 'PUT', `/v1/campaigns/${old.id}`, { body: { expiration_date: null } });
    assert.equal(u.status, 200, u.text);
    assert.equal((await api(t, 'POST', `/v1/campaigns/${old.id}/disable`)).status, 200);
    r = await redeem(t, code, { order: { amount: 5000 } });
    assert.equal(r.json.key, 'campaign_disabled');
    assert.equal((await api(t, 'POST', `/v1/campaigns/${old.id}/enable`)).status, 200);
    r = await redeem(t, code, { order: { amount: 5000 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.amount, 1000);
  });

  test('quantity and per-customer limits', async () => {
    const code = uid('Q');
    await voucher(t, code, { redemption: { quantity: 3, per_customer: 2 } });
    const ada = { source_id: uid('ada') };
    assert.equal((await redeem(t, code, { customer: ada })).status, 200);
    assert.equal((await redeem(t, code, { customer: ada })).status, 200);
    let r = await redeem(t, code, { customer: ada });
    assert.equal(r.status, 400);
    assert.equal(r.json.key, 'redemption_rules_violated');
    r = await redeem(t, code, {});
    assert.equal(r.status, 400);
    assert.equal(r.json.key, 'missing_customer');
    assert.equal((await redeem(t, code, { customer: { source_id: uid('bob') } })).status, 200);
    r = await redeem(t, code, { customer: { source_id: uid('cy') } });
    assert.equal(r.status, 400);
    assert.equal(r.json.key, 'quantity_exceeded');
    assert.equal((await getVoucher(t, code)).redemption.redeemed_quantity, 3);
  });

  test('disabled vouchers and campaigns are refused; enabling again works', async () => {
    const code = uid('E');
    await voucher(t, code);
    assert.equal((await api(t, 'POST', `/v1/vouchers/${code}/disable`)).json.active, false);
    let r = await redeem(t, code, {});
    assert.equal(r.json.key, 'voucher_disabled');
    assert.equal((await api(t, 'POST', `/v1/vouchers/${code}/enable`)).json.active, true);
    r = await redeem(t, code, {});
    assert.equal(r.status, 200, r.text);
  });

  test('validation rules: customer and order rules pass and fail', async () => {
    const vip = await api(t, 'POST', '/v1/validation-rules', { body: { name: 'VIP', rules: { 1: { name: 'customer.metadata', property: 'vip', conditions: { $is: [true] } } }, error: { message: 'VIPs only' } } });
    const big = await api(t, 'POST', '/v1/validation-rules', { body: { name: 'Big', rules: { 1: { name: 'order.amount', conditions: { $more_than: [5000] } } } } });
    assert.equal(vip.status, 201, vip.text);
    const code = uid('R');
    await voucher(t, code, { validation_rules: [vip.json.id, big.json.id] });
    let r = await validate(t, code, { customer: { source_id: uid('x'), metadata: { vip: false } }, order: { amount: 9000 } });
    assert.equal(r.json.valid, false);
    assert.equal(r.json.error.key, 'customer_rules_violated');
    assert.equal(r.json.error.details, 'VIPs only');
    r = await validate(t, code, { customer: { source_id: uid('x'), metadata: { vip: true } }, order: { amount: 4000 } });
    assert.equal(r.json.error.key, 'order_rules_violated');
    r = await redeem(t, code, { customer: { source_id: uid('x'), metadata: { vip: true } }, order: { amount: 4000 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.key, 'order_rules_violated');
    r = await redeem(t, code, { customer: { source_id: uid('x'), metadata: { vip: true } }, order: { amount: 9000 } });
    assert.equal(r.status, 200, r.text);
    const g = await getVoucher(t, code);
    assert.equal(g.redemption.redeemed_quantity, 1);
    assert.deepEqual(g.validation_rules_assignments.data.map((a) => a.rule_id), [vip.json.id, big.json.id]);
    // An unknown rule id is refused when the voucher is created.
    const bad = await api(t, 'POST', `/v1/vouchers/${uid('R')}`, { body: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 1 }, validation_rules: ['val_nope'] } });
    assert.equal(bad.status, 404);
    assert.match(bad.json.details, /val_nope/);
  });

  test('gift vouchers credit min(balance, order) until empty', async () => {
    const code = uid('GIFT');
    await voucher(t, code, { type: 'GIFT_VOUCHER', gift: { amount: 5000 }, discount: undefined });
    let r = await redeem(t, code, { order: { amount: 3000 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.amount, 3000);
    assert.equal(r.json.gift.amount, 3000);
    assert.equal(r.json.voucher.gift.balance, 2000);
    r = await validate(t, code, { gift: { credits: 2500 } });
    assert.equal(r.json.valid, false);
    assert.equal(r.json.error.key, 'gift_amount_exceeded');
    r = await redeem(t, code, { order: { amount: 9000 } });
    assert.equal(r.json.amount, 2000);
    assert.equal(r.json.order.total_amount, 7000);
    r = await redeem(t, code, { order: { amount: 100 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.key, 'gift_amount_exceeded');
    const g = await getVoucher(t, code);
    assert.deepEqual([g.gift.amount, g.gift.balance, g.redemption.redeemed_quantity], [5000, 0, 2]);
  });

  test('unknown vouchers are 404 and nothing is written', async () => {
    const r = await redeem(t, 'NOPE-NOPE', { customer: { source_id: uid('ghost') }, order: { amount: 100 } });
    assert.equal(r.status, 404);
    assert.match(r.json.details, /NOPE-NOPE/);
    const v = await validate(t, 'NOPE-NOPE', {});
    assert.equal(v.status, 404);
  });
});
