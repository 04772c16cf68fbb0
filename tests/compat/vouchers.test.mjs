// vouchers.test.mjs - the official Voucherify SDK against treu: validation rules, vouchers,
// the stackable validation and redemption API, rollbacks, publications and qualifications.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWithSdk, sdkError, uid } from './sdk.mjs';

let t;
let vf;
before(async () => { ({ t, vf } = await startWithSdk()); });
after(async () => { await t?.stop(); });

test('validation rules: create, and a voucher obeys it', async () => {
  const vr = await vf.validationRules.create({
    name: uid('big orders'),
    rules: { 1: { name: 'order.amount', conditions: { $more_than: [5000] } }, logic: '1' },
    error: { message: 'orders over 50.00 only' },
  });
  assert.match(vr.id, /^val_/);
  assert.equal(vr.object, 'validation_rules');
  assert.deepEqual(vr.rules['1'].conditions, { $more_than: [5000] });
  assert.equal(vr.error.message, 'orders over 50.00 only');
  assert.equal((await vf.validationRules.get(vr.id)).id, vr.id);
  const list = await vf.validationRules.list();
  assert.ok(list.data.some((x) => x.id === vr.id));

  const code = uid('BIG').toUpperCase();
  await vf.vouchers.create({ code, type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 1000 }, validation_rules: [vr.id] });
  const small = await vf.validations.validateStackable({ redeemables: [{ object: 'voucher', id: code }], order: { amount: 3000 } });
  assert.equal(small.valid, false);
  assert.equal(small.redeemables[0].status, 'INAPPLICABLE');
  assert.equal(small.redeemables[0].result.error.key, 'order_rules_violated');
  const big = await vf.validations.validateStackable({ redeemables: [{ object: 'voucher', id: code }], order: { amount: 8000 } });
  assert.equal(big.valid, true);
  assert.equal(big.order.total_discount_amount, 1000);
});

test('vouchers: create and get', async () => {
  const code = uid('SUMMER').toUpperCase();
  const v = await vf.vouchers.create({
    code, type: 'DISCOUNT_VOUCHER', discount: { type: 'PERCENT', percent_off: 10 },
    redemption: { quantity: 2 }, metadata: { source: 'sdk' },
  });
  assert.match(v.id, /^v_/);
  assert.equal(v.object, 'voucher');
  assert.equal(v.code, code);
  assert.equal(v.type, 'DISCOUNT_VOUCHER');
  assert.equal(v.discount.percent_off, 10);
  assert.equal(v.redemption.quantity, 2);
  assert.deepEqual(v.metadata, { source: 'sdk' });
  const got = await vf.vouchers.get(code);
  assert.equal(got.id, v.id);
  assert.equal(got.redemption.redeemed_quantity, 0);
  const missing = await sdkError(vf.vouchers.get('NO-SUCH-CODE'));
  assert.equal(missing.code, 404);
  assert.equal(missing.key, 'not_found');
});

test('stackable: validate, redeem, rollback one redemption and roll back the parent', async () => {
  const a = uid('TEN').toUpperCase();
  const b = uid('FIVE').toUpperCase();
  await vf.vouchers.create({ code: a, type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 1000 }, redemption: { quantity: 1 } });
  await vf.vouchers.create({ code: b, type: 'DISCOUNT_VOUCHER', discount: { type: 'PERCENT', percent_off: 5 } });
  const sid = uid('shopper');
  const body = {
    redeemables: [{ object: 'voucher', id: a }, { object: 'voucher', id: b }],
    customer: { source_id: sid },
    order: { source_id: uid('o'), amount: 11000 },
  };
  const val = await vf.validations.validateStackable(body);
  assert.equal(val.valid, true);
  assert.deepEqual(val.redeemables.map((x) => x.status), ['APPLICABLE', 'APPLICABLE']);
  // 10.00 off, then 5 % of the 100.00 left.
  assert.equal(val.order.amount, 11000);
  assert.equal(val.order.total_discount_amount, 1500);
  assert.equal(val.order.total_amount, 9500);

  const red = await vf.redemptions.redeemStackable(body);
  assert.equal(red.redemptions.length, 2);
  assert.match(red.parent_redemption.id, /^r_/);
  for (const x of red.redemptions) {
    assert.match(x.id, /^r_/);
    assert.equal(x.result, 'SUCCESS');
    assert.equal(x.redemption, red.parent_redemption.id);
  }
  assert.equal(red.order.total_discount_amount, 1500);
  assert.equal(red.order.total_amount, 9500);
  assert.equal((await vf.vouchers.get(a)).redemption.redeemed_quantity, 1);

  // Used up: validation now says why.
  const again = await vf.validations.validateStackable(body);
  assert.equal(again.valid, false);
  assert.equal(again.redeemables[0].result.error.key, 'quantity_exceeded');
  const refused = await sdkError(vf.redemptions.redeemStackable(body));
  assert.equal(refused.code, 400);
  assert.equal(refused.key, 'quantity_exceeded');

  // Redemptions.rollback on one child, with the reason as the SDK sends it (query).
  const childA = red.redemptions.find((x) => x.voucher.code === a);
  assert.ok(childA, JSON.stringify(red.redemptions.map((x) => x.voucher)));
  const rb = await vf.redemptions.rollback(childA.id, { reason: 'customer changed mind' });
  assert.match(rb.id, /^rr_/);
  assert.equal(rb.redemption, childA.id);
  assert.equal(rb.reason, 'customer changed mind');
  assert.equal((await vf.vouchers.get(a)).redemption.redeemed_quantity, 0);
  assert.equal((await vf.redemptions.get(childA.id)).status, 'ROLLED_BACK');

  // rollbackStackable rolls back what is left of the parent.
  const prb = await vf.redemptions.rollbackStackable(red.parent_redemption.id, { reason: 'order cancelled' });
  assert.ok(Array.isArray(prb.rollbacks));
  assert.equal(prb.rollbacks.length, 1);
  assert.equal(prb.rollbacks[0].redemption, red.redemptions.find((x) => x.voucher.code === b).id);
  assert.match(prb.parent_rollback.id, /^rr_/);
  const twice = await sdkError(vf.redemptions.rollback(childA.id));
  assert.equal(twice.code, 400);
  assert.equal(twice.key, 'already_rolled_back');
});

test('publications: create and list', async () => {
  const camp = await vf.campaigns.create({
    name: uid('welcome'), campaign_type: 'DISCOUNT_COUPONS', vouchers_count: 3,
    voucher: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 500 }, code_config: { pattern: 'WEL-######' } },
  });
  assert.match(camp.id, /^camp_/);
  const sid = uid('newbie');
  const pub = await vf.distributions.publications.create({ campaign: { name: camp.name }, customer: { source_id: sid }, channel: 'API' });
  assert.equal(pub.object, 'publication');
  assert.match(pub.id, /^pub_/);
  assert.equal(pub.customer.source_id, sid);
  assert.match(pub.voucher.code, /^WEL-[0-9A-Z]{6}$/);
  const code = pub.voucher.code;
  const list = await vf.distributions.publications.list({ customer: sid });
  assert.equal(list.object, 'list');
  assert.deepEqual(list.publications.map((p) => p.id), [pub.id]);
  assert.equal(list.publications[0].voucher.code, code);
  assert.equal((await vf.vouchers.get(code)).holder_id, pub.customer.id ?? pub.customer_id);
});

test('qualifications: checkEligibility lists the customer\'s vouchers with what they take off', async () => {
  const camp = await vf.campaigns.create({
    name: uid('vip'), campaign_type: 'DISCOUNT_COUPONS', vouchers_count: 1,
    voucher: { type: 'DISCOUNT_VOUCHER', discount: { type: 'PERCENT', percent_off: 20 } },
  });
  const sid = uid('vip-customer');
  const pub = await vf.distributions.publications.create({ campaign: { name: camp.name }, customer: { source_id: sid } });
  const q = await vf.qualifications.checkEligibility({ customer: { source_id: sid }, order: { amount: 5000 }, scenario: 'ALL' });
  assert.equal(q.redeemables.object, 'list');
  const mine = q.redeemables.data.find((x) => x.id === pub.voucher.code);
  assert.ok(mine, JSON.stringify(q.redeemables.data));
  assert.equal(mine.object, 'voucher');
  assert.equal(mine.order.total_discount_amount, 1000);
  assert.equal(mine.order.total_amount, 4000);
  assert.equal(mine.campaign_id, camp.id);
});

test.todo('segments: Segments.create — treu has no segments yet (issue 5)');
