// customers.test.mjs - the official Voucherify SDK against treu: customers, custom events,
// orders, the error path and the client-side class (/client/v1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWithSdk, sdkError, uid } from './sdk.mjs';

let t;
let vf;
let client;
before(async () => { ({ t, vf, client } = await startWithSdk()); });
after(async () => { await t?.stop(); });

test('customers: create, get, update, list, delete', async () => {
  const sid = uid('ada');
  const c = await vf.customers.create({
    source_id: sid, name: 'Ada Lovelace', email: 'ada@example.com',
    address: { city: 'London', country: 'GB' }, metadata: { pet: 'cat' },
  });
  assert.match(c.id, /^cust_/);
  assert.equal(c.object, 'customer');
  assert.equal(c.source_id, sid);
  assert.equal(c.email, 'ada@example.com');
  assert.equal(c.address.city, 'London');
  assert.deepEqual(c.metadata, { pet: 'cat' });

  const byId = await vf.customers.get(c.id);
  assert.equal(byId.id, c.id);
  const bySource = await vf.customers.get(sid);
  assert.equal(bySource.id, c.id);
  assert.equal(bySource.name, 'Ada Lovelace');

  // The SDK sends the whole object minus `id` (source_id and all) to PUT /customers/{id}.
  const up = await vf.customers.update({ id: c.id, name: 'Ada King', metadata: { pet: 'dog' } });
  assert.equal(up.id, c.id);
  assert.equal(up.name, 'Ada King');
  assert.deepEqual(up.metadata, { pet: 'dog' });
  assert.equal(up.email, 'ada@example.com', 'fields not sent are kept');
  // …and by source_id, which the SDK puts in the path when there is no id.
  const up2 = await vf.customers.update({ source_id: sid, description: 'first programmer' });
  assert.equal(up2.id, c.id);
  assert.equal(up2.description, 'first programmer');

  const other = await vf.customers.create({ source_id: uid('bob'), email: 'bob@example.com' });
  const list = await vf.customers.list({ limit: 10 });
  assert.equal(list.object, 'list');
  assert.equal(list.data_ref, 'customers');
  const ids = list.customers.map((x) => x.id);
  assert.ok(ids.includes(c.id) && ids.includes(other.id), JSON.stringify(ids));
  assert.ok(list.total >= 2);
  const filtered = await vf.customers.list({ email: 'bob@example.com' });
  assert.deepEqual(filtered.customers.map((x) => x.id), [other.id]);

  const del = await vf.customers.delete(other.id);
  assert.ok(del === '' || del === undefined || del === null, `delete answers no body: ${JSON.stringify(del)}`);
  const gone = await sdkError(vf.customers.get(other.id));
  assert.equal(gone.code, 404);
});

test('customers: scroll walks every customer through the SDK\'s cursor paging', async () => {
  const made = [];
  for (let i = 0; i < 3; i++) made.push((await vf.customers.create({ source_id: uid('scroll') })).id);
  const seen = [];
  for await (const c of vf.customers.scroll({ limit: 2 })) seen.push(c.id);
  for (const id of made) assert.ok(seen.includes(id), `scroll saw ${id}`);
  assert.equal(new Set(seen).size, seen.length, 'no customer twice');
});

test('events: Events.create tracks a custom event and runs its earning rule', async () => {
  const prog = await vf.loyalties.create({
    name: uid('events-prog'), vouchers_count: 0,
    voucher: { type: 'LOYALTY_CARD', loyalty_card: { points: 0 } },
  });
  await vf.loyalties.createEarningRule(prog.id, [{ event: 'review.written', loyalty: { type: 'FIXED', points: 25 } }]);
  const sid = uid('reviewer');
  const member = await vf.loyalties.createMember(prog.id, { customer: { source_id: sid } });
  const ev = await vf.events.create('review.written', { customer: { source_id: sid }, metadata: { stars: 5 } });
  assert.equal(ev.object, 'event');
  assert.equal(ev.type, 'review.written');
  assert.equal(ev.customer.source_id, sid);
  assert.equal(ev.customer.object, 'customer');
  const after = await vf.loyalties.getMember(prog.id, member.id);
  assert.equal(after.loyalty_card.balance, 25);
});

test('orders: create answers the order with its amounts, and a paid order earns points', async () => {
  const prog = await vf.loyalties.create({
    name: uid('orders-prog'), voucher: { type: 'LOYALTY_CARD', loyalty_card: { points: 0 } },
  });
  await vf.loyalties.createEarningRule(prog.id, [{
    event: 'order.paid',
    loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 100, points: 1 } } },
  }]);
  const sid = uid('buyer');
  const member = await vf.loyalties.createMember(prog.id, { customer: { source_id: sid } });
  const osid = uid('order');
  const o = await vf.orders.create({
    source_id: osid, status: 'PAID', amount: 18900, customer: { source_id: sid },
    items: [{ product_id: 'prod_mug', quantity: 2, price: 9450 }],
  });
  assert.match(o.id, /^ord_/);
  assert.equal(o.object, 'order');
  assert.equal(o.source_id, osid);
  assert.equal(o.amount, 18900);
  assert.equal(o.status, 'PAID');
  assert.equal(o.items.length, 1);
  assert.equal(o.items[0].quantity, 2);
  const got = await vf.orders.get(o.id);
  assert.equal(got.id, o.id);
  const m = await vf.loyalties.getMember(null, member.id);
  assert.equal(m.loyalty_card.balance, 189);
});

test('errors: a 404 arrives as the SDK\'s error with code, key, details', async () => {
  const e = await sdkError(vf.customers.get('cust_doesnotexist'));
  assert.equal(e.code, 404);
  assert.equal(e.key, 'not_found');
  assert.equal(typeof e.details, 'string');
  assert.ok(e.details.length > 0);
  assert.equal(typeof e.message, 'string');
  assert.equal(typeof e.request_id, 'string');
  const e2 = await sdkError(vf.loyalties.get('camp_nope'));
  assert.equal(e2.code, 404);
  assert.equal(e2.key, 'not_found');
  const e3 = await sdkError(vf.customers.create({ email: 'not-an-email' }));
  assert.equal(e3.code, 400);
  assert.match(e3.details, /email/);
});

test('client side: createCustomer and track reach /client/v1', async () => {
  const sid = uid('visitor');
  const cs = client(sid);
  const c = await cs.createCustomer({ source_id: sid, name: 'Visitor' });
  assert.match(c.id, /^cust_/);
  assert.equal(c.source_id, sid);
  const ev = await cs.track('page.viewed', { source_id: sid }, { page: '/home' });
  assert.equal(ev.object, 'event');
  assert.equal(ev.type, 'page.viewed');
  assert.equal(ev.customer.source_id, sid);
  // The server side sees what the client side wrote.
  const got = await vf.customers.get(sid);
  assert.equal(got.name, 'Visitor');
});
