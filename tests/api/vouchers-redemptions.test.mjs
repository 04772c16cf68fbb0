// Stackable validation and redemption (all or nothing), rollbacks, concurrency, holders
// and tenant isolation (docs/api.md "Redemptions").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid, createProject } from './harness.mjs';
import { campaign, voucher, getVoucher, redeem, validate, stack } from './vouchers-helpers.mjs';

describe('voucher redemptions', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('stackable validation applies discounts in order on what is left', async () => {
    const p = uid('P'), g = uid('G');
    await voucher(t, p, { discount: { type: 'PERCENT', percent_off: 10 } });
    await voucher(t, g, { type: 'GIFT_VOUCHER', gift: { amount: 5000 }, discount: undefined });
    const r = await api(t, 'POST', '/v1/validations', { body: { redeemables: stack([p, g]), order: { amount: 10000 } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.valid, true);
    assert.deepEqual(r.json.redeemables.map((x) => x.status), ['APPLICABLE', 'APPLICABLE']);
    assert.equal(r.json.redeemables[0].result.discount.percent_off, 10);
    assert.equal(r.json.redeemables[1].result.gift.credits, 5000);
    assert.equal(r.json.order.amount, 10000);
    assert.equal(r.json.order.total_discount_amount, 6000); // 1000, then 5000 of the 9000 left
    assert.equal(r.json.order.total_amount, 4000);
    // Validation takes nothing.
    assert.equal((await getVoucher(t, g)).gift.balance, 5000);
  });

  test('stackable redemption is all or nothing, and says which failed and why', async () => {
    const a = uid('A'), b = uid('B'), gone = uid('X');
    await voucher(t, a);
    await voucher(t, b, { redemption: { quantity: 1 } });
    await voucher(t, gone, { expiration_date: '2020-01-01T00:00:00Z' });
    const cust = { source_id: uid('stack') };
    let r = await api(t, 'POST', '/v1/redemptions', { body: { customer: cust, order: { source_id: uid('o'), amount: 5000 }, redeemables: stack([a, b, gone]) } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.key, 'voucher_expired');
    assert.match(r.json.details, new RegExp(gone));
    assert.equal(r.json.inapplicable_redeemables[0].id, gone);
    for (const code of [a, b]) assert.equal((await getVoucher(t, code)).redemption.redeemed_quantity, 0);
    const list = await api(t, 'GET', `/v1/redemptions?customer=${cust.source_id}`);
    assert.equal(list.json.total, 0);

    r = await api(t, 'POST', '/v1/redemptions', { body: { customer: cust, order: { amount: 5000 }, redeemables: stack([a, b]) } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.redemptions.length, 2);
    assert.equal(r.json.order.total_discount_amount, 2000);
    const parent = r.json.parent_redemption;
    assert.match(parent.id, /^r_/);
    assert.equal(parent.amount, 2000);
    for (const x of r.json.redemptions) assert.equal(x.redemption, parent.id);
    const byCust = await api(t, 'GET', `/v1/redemptions?customer=${cust.source_id}&limit=10`);
    assert.equal(byCust.json.total, 3); // parent + 2

    // Rolling the parent back rolls back both and gives the quantity back.
    const rb = await api(t, 'POST', `/v1/redemptions/${parent.id}/rollbacks`, { body: { reason: 'refund' } });
    assert.equal(rb.status, 200, rb.text);
    assert.equal(rb.json.rollbacks.length, 2);
    assert.equal(rb.json.parent_rollback.redemption, parent.id);
    assert.equal(rb.json.rollbacks[0].reason, 'refund');
    assert.equal((await getVoucher(t, b)).redemption.redeemed_quantity, 0);
    const again = await api(t, 'POST', `/v1/redemptions/${parent.id}/rollbacks`);
    assert.equal(again.status, 400);
    assert.equal(again.json.key, 'already_rolled_back');
  });

  test('rollback restores counters, gift balance and budget; a second rollback is refused', async () => {
    const camp = await campaign(t, { voucher: { type: 'GIFT_VOUCHER', gift: { amount: 4000 }, redemption: { quantity: 1 } }, opts: { campaign_type: 'GIFT_VOUCHERS', vouchers_count: 1, budget: 10000 } });
    const vs = await api(t, 'GET', `/v1/vouchers?campaign=${camp.id}`);
    const code = vs.json.vouchers[0].code;
    const r = await redeem(t, code, { order: { amount: 3000 } });
    assert.equal(r.status, 200, r.text);
    let v = await getVoucher(t, code);
    assert.deepEqual([v.gift.balance, v.redemption.redeemed_quantity], [1000, 1]);
    let c = await api(t, 'GET', `/v1/campaigns/${camp.id}`);
    assert.equal(c.json.budget_used, 3000);
    const rb = await api(t, 'POST', `/v1/redemptions/${r.json.id}/rollback?reason=mistake`);
    assert.equal(rb.status, 200, rb.text);
    assert.match(rb.json.id, /^rr_/);
    assert.equal(rb.json.object, 'redemption_rollback');
    assert.equal(rb.json.reason, 'mistake');
    assert.equal(rb.json.amount, 3000);
    v = await getVoucher(t, code);
    assert.deepEqual([v.gift.balance, v.redemption.redeemed_quantity], [4000, 0]);
    c = await api(t, 'GET', `/v1/campaigns/${camp.id}`);
    assert.equal(c.json.budget_used, 0);
    const got = await api(t, 'GET', `/v1/redemptions/${r.json.id}`);
    assert.equal(got.json.status, 'ROLLED_BACK');
    assert.equal(got.json.rollback_id, rb.json.id);
    const second = await api(t, 'POST', `/v1/redemptions/${r.json.id}/rollback`);
    assert.equal(second.status, 400);
    assert.equal(second.json.key, 'already_rolled_back');
    const ofRollback = await api(t, 'POST', `/v1/redemptions/${rb.json.id}/rollback`);
    assert.equal(ofRollback.status, 400);
    assert.equal(ofRollback.json.key, 'rollback_not_supported');
    v = await getVoucher(t, code);
    assert.equal(v.gift.balance, 4000);
    const hist = await api(t, 'GET', `/v1/vouchers/${code}/redemption`);
    assert.equal(hist.json.total, 2);
    assert.equal(hist.json.data_ref, 'redemption_entries');
  });

  test('campaign budget stops redemptions', async () => {
    const camp = await campaign(t, { voucher: { discount: { type: 'AMOUNT', amount_off: 600 } }, opts: { vouchers_count: 2, budget: 1000 } });
    const codes = (await api(t, 'GET', `/v1/vouchers?campaign=${camp.name}`)).json.vouchers.map((v) => v.code);
    assert.equal((await redeem(t, codes[0], { order: { amount: 5000 } })).status, 200);
    const r = await redeem(t, codes[1], { order: { amount: 5000 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.key, 'budget_exceeded');
  });

  test('50 parallel redemptions of a voucher with quantity 10: exactly 10 succeed', async () => {
    const code = uid('HOT');
    await voucher(t, code, { redemption: { quantity: 10 } });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      redeem(t, code, { customer: { source_id: `hot-${i}` }, order: { amount: 5000 } })));
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 400 && r.json.key === 'quantity_exceeded').length;
    assert.equal(ok, 10);
    assert.equal(refused, 40);
    const v = await getVoucher(t, code);
    assert.equal(v.redemption.redeemed_quantity, 10);
    const hist = await api(t, 'GET', `/v1/vouchers/${code}/redemption`);
    assert.equal(hist.json.total, 10);
  });

  test('a published voucher is redeemable by its holder only', async () => {
    const camp = await campaign(t, { opts: { vouchers_count: 1 } });
    const pub = await api(t, 'POST', '/v1/publications', { body: { customer: { source_id: uid('holder') }, campaign: { name: camp.name } } });
    assert.equal(pub.status, 200, pub.text);
    const code = pub.json.voucher.code;
    let r = await redeem(t, code, { customer: { source_id: uid('other') } });
    assert.equal(r.status, 400);
    assert.equal(r.json.key, 'customer_rules_violated');
    r = await redeem(t, code, { customer: pub.json.customer.source_id });
    assert.equal(r.status, 200, r.text);
  });

  test('idempotent redemption: the same key answers the same redemption once', async () => {
    const code = uid('IDEM');
    await voucher(t, code, { redemption: { quantity: 5 } });
    const headers = { 'Idempotency-Key': uid('k'), 'X-Voucherify-Channel': 'pos-7' };
    const a = await redeem(t, code, { order: { amount: 5000 } }, { headers });
    const b = await redeem(t, code, { order: { amount: 5000 } }, { headers });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.channel.channel_id, 'pos-7');
    assert.equal(b.text, a.text);
    assert.equal((await getVoucher(t, code)).redemption.redeemed_quantity, 1);
  });

  test('bad input gets a 4xx naming the field and changes nothing', async () => {
    const code = uid('BAD');
    await voucher(t, code, { redemption: { quantity: 5 } });
    for (const [body, field] of [
      [{ order: { amount: -1 } }, 'order.amount'],
      [{ order: { amount: 1.5 } }, 'order.amount'],
      [{ order: { amount: 1e15 } }, 'order.amount'],
      [{ order: { items: [{ price: 1e13, quantity: 1000 }] } }, 'order.items[0]'],
      [{ order: 'x' }, 'order'],
      [{ gift: { credits: 0 } }, 'credits'],
      [{ customer: 42 }, 'customer'],
      [{ nonsense: true }, 'nonsense'],
    ]) {
      const r = await redeem(t, code, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
      assert.match(r.json.details, new RegExp(field.replace(/[[\]]/g, '\\$&')), r.text);
    }
    for (const body of [{}, { redeemables: [] }, { redeemables: [{ object: 'promotion_tier', id: 'x' }] }, { redeemables: Array(31).fill({ object: 'voucher', id: code }) }]) {
      const r = await api(t, 'POST', '/v1/redemptions', { body });
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.details, /redeemables/);
    }
    const raw = await api(t, 'POST', `/v1/vouchers/${code}/redemption`, { raw: '{"order":' });
    assert.equal(raw.status, 400);
    assert.equal((await getVoucher(t, code)).redemption.redeemed_quantity, 0);
    const missing = await api(t, 'POST', '/v1/redemptions/r_nope/rollback');
    assert.equal(missing.status, 404);
  });

  test('another project can neither see nor redeem the vouchers', async () => {
    const other = await createProject(t.dataDir, 'other');
    const code = uid('MINE');
    await voucher(t, code);
    const camp = await campaign(t, { opts: { vouchers_count: 2 } });
    assert.equal((await api(t, 'GET', `/v1/vouchers/${code}`, { project: other })).status, 404);
    assert.equal((await redeem(t, code, {}, { project: other })).status, 404);
    assert.equal((await validate(t, code, {}, { project: other })).status, 404);
    assert.equal((await api(t, 'GET', `/v1/campaigns/${camp.id}`, { project: other })).status, 404);
    const list = await api(t, 'GET', '/v1/vouchers', { project: other });
    assert.equal(list.json.total, 0);
    const stacked = await api(t, 'POST', '/v1/redemptions', { project: other, body: { redeemables: stack([code]) } });
    assert.equal(stacked.status, 400);
    assert.equal(stacked.json.key, 'resource_not_found');
    const r = await redeem(t, code, {});
    assert.equal(r.status, 200);
    assert.equal((await api(t, 'GET', `/v1/redemptions/${r.json.id}`, { project: other })).status, 404);
    assert.equal((await api(t, 'POST', `/v1/redemptions/${r.json.id}/rollback`, { project: other })).status, 404);
    // The same code may exist in both projects.
    await voucher(t, code, {}, other);
  });
});
