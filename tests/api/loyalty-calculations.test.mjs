// Earning rules proportional to order items (amount or quantity, filtered by product or
// SKU) and to a customer metadata field (docs/api.md "Earning rules"), and what an item
// refund takes back.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid } from './harness.mjs';

describe('loyalty calculations', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  const setup = async (rule) => {
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    const r = await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules`, { body: [rule] });
    assert.equal(r.status, 201, r.text);
    return p;
  };
  const enrol = async (p, customer) => {
    const r = await api(t, 'POST', `/v1/loyalties/${p.id}/members`, { body: { customer } });
    assert.ok([200, 201].includes(r.status), r.text);
    return r.json;
  };
  const items = [
    { product_id: 'ring', sku_id: 'ring-gold', quantity: 2, price: 15000 },
    { product_id: 'ring', sku_id: 'ring-silver', quantity: 1, amount: 4000 },
    { product_id: 'polish', quantity: 3, price: 500 },
  ];

  test('ORDER_ITEMS_AMOUNT counts only the filtered product; the order total comes from the items', async () => {
    const p = await setup({ event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_ITEMS_AMOUNT', order_items: { amount: { every: 1000, points: 3, product_id: 'ring' } } } });
    const src = uid('c');
    await enrol(p, { source_id: src });
    const o = await api(t, 'POST', '/v1/orders', { body: { source_id: uid('o'), customer: { source_id: src }, status: 'PAID', items } });
    assert.equal(o.status, 201, o.text);
    assert.equal(o.json.amount, 30000 + 4000 + 1500, 'amount is the sum of the items');
    assert.equal(o.json.loyalty.points, 34 * 3, 'rings: 340.00 → 34 units of 10.00 × 3 points');
  });

  test('ORDER_ITEMS_QUANTITY by SKU; removing the item takes its points back', async () => {
    const p = await setup({ event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_ITEMS_QUANTITY', order_items: { quantity: { every: 1, points: 25, sku_id: 'ring-gold' } } } });
    const src = uid('c');
    const m = await enrol(p, { source_id: src });
    const o = await api(t, 'POST', '/v1/orders', { body: { source_id: uid('o'), customer: { source_id: src }, status: 'PAID', items } });
    assert.equal(o.json.loyalty.points, 50);
    // the customer returns one gold ring: the order now has one
    const fewer = items.map((it) => (it.sku_id === 'ring-gold' ? { ...it, quantity: 1 } : it));
    const r = await api(t, 'PUT', `/v1/orders/${o.json.id}`, { body: { items: fewer } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.loyalty.points, -25);
    const card = (await api(t, 'GET', `/v1/loyalties/members/${m.code}`)).json.loyalty_card;
    assert.equal(card.balance, 25);
  });

  test('CUSTOMER_METADATA on enrolment: points per unit of a customer field above a threshold', async () => {
    const p = await setup({ event: 'customer.created', loyalty: { type: 'PROPORTIONAL', calculation_type: 'CUSTOMER_METADATA', customer: { metadata: { property: 'referrals', every: 1, points: 10, above: 2 } } } });
    const m5 = await enrol(p, { source_id: uid('c'), metadata: { referrals: 5 } });
    assert.equal(m5.loyalty_card.balance, 30);
    const m1 = await enrol(p, { source_id: uid('c'), metadata: { referrals: 1 } });
    assert.equal(m1.loyalty_card.balance, 0);
    const none = await enrol(p, { source_id: uid('c') });
    assert.equal(none.loyalty_card.balance, 0);
  });

  test('validation names the part', async () => {
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    for (const [loyalty, field] of [
      [{ type: 'PROPORTIONAL', calculation_type: 'ORDER_ITEMS_AMOUNT', order_items: { amount: { every: 0, points: 1 } } }, 'loyalty.order_items.amount'],
      [{ type: 'PROPORTIONAL', calculation_type: 'ORDER_ITEMS_QUANTITY', order_items: {} }, 'loyalty.order_items.quantity'],
      [{ type: 'PROPORTIONAL', calculation_type: 'CUSTOMER_METADATA', customer: { metadata: { every: 1, points: 1 } } }, 'loyalty.customer.metadata.property'],
    ]) {
      const r = await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules`, { body: [{ event: 'order.paid', loyalty }] });
      assert.equal(r.status, 400, r.text);
      assert.ok(r.json.details.includes(field), `${field}: ${r.json.details}`);
    }
  });
});
