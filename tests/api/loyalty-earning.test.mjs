// Earning from orders and events: proportional order points, paid-once, CREATED → PAID,
// several programs, custom events with source_id and Idempotency-Key dedupe, per-member
// limits, metadata-proportional points, conditions, weekdays in the program's zone,
// enrolment rules. docs/api.md "Earning rules" and "Orders and events".
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, sleep, uid } from './harness.mjs';
import {
  EVT_RE, CUST_RE, enc, assertError, assertEntry, createProgram, createRules, newMember, enroll, expectCard,
  transactions, zoneParts, msToLocalMidnight,
} from './loyalty-helpers.mjs';

const PER_EURO = { event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 100, points: 1 } } } };
const REVIEW = { event: 'review', loyalty: { type: 'FIXED', points: 50 } };

describe('loyalty earning: orders', () => {
  let t;
  let p; // 1 point per 1 €
  let rule;
  before(async () => {
    t = await startTreu();
    p = await createProgram(t, { name: uid('Per Euro') });
    [rule] = await createRules(t, p.id, [PER_EURO]);
  });
  after(async () => { await t?.stop(); });

  const order = (body, opts = {}) => api(t, 'POST', '/v1/orders', { body, ...opts });

  test('a paid order earns 1 point per euro, rounded down, with one POINTS_ACCRUAL entry', async () => {
    const { member: m, sid, customerId } = await newMember(t, p.id);
    const src = uid('o');
    const r = await order({ source_id: src, customer: { source_id: sid }, amount: 18950, status: 'PAID' });
    assert.equal(r.status, 201, r.text);
    const o = r.json;
    assert.equal(o.source_id, src);
    assert.equal(o.status, 'PAID');
    assert.equal(o.amount, 18950);
    assert.equal(o.object, 'order');
    assert.ok(o.loyalty && typeof o.loyalty === 'object', `order has loyalty: ${r.text}`);
    assert.equal(o.loyalty.points, 189);
    assert.equal(o.loyalty.entries.length, 1);
    const e = o.loyalty.entries[0];
    assertEntry(e);
    assert.equal(e.type, 'POINTS_ACCRUAL');
    assert.equal(e.points, 189);
    assert.equal(e.balance_after, 189);
    assert.equal(e.voucher_id, m.id);
    assert.equal(e.campaign_id, p.id);
    assert.deepEqual(e.details.earning_rule, { id: rule.id });
    assert.deepEqual(e.details.order, { id: o.id, source_id: src });
    await expectCard(t, m.id, { points: 189, balance: 189, pending_points: 0, subtracted_points: 0, expired_points: 0 });
    // the entry is the member's transaction
    const tx = await transactions(t, m.id);
    assert.equal(tx.total, 1);
    assert.deepEqual(tx.data[0], e);
    assert.ok(customerId.match(CUST_RE));
  });

  test('the same paid order sent again earns nothing more', async () => {
    const { member: m, sid } = await newMember(t, p.id);
    const body = { source_id: uid('o'), customer: { source_id: sid }, amount: 18950, status: 'PAID' };
    const a = await order(body);
    assert.equal(a.status, 201, a.text);
    assert.equal(a.json.loyalty.points, 189);
    const b = await order(body);
    assert.equal(b.status, 200, `an upsert of an existing order: ${b.text}`);
    assert.equal(b.json.id, a.json.id, 'the same order');
    assert.equal(b.json.loyalty.points, 0);
    assert.deepEqual(b.json.loyalty.entries, []);
    // a bigger amount on the already paid order does not earn again either
    const c = await order({ ...body, amount: 50000 });
    assert.equal(c.json.loyalty.points, 0);
    await expectCard(t, m.id, { points: 189, balance: 189 });
    assert.equal((await transactions(t, m.id)).total, 1);
  });

  test('the same paid order sent 6 times at once earns once', async () => {
    const { member: m, sid } = await newMember(t, p.id);
    const body = { source_id: uid('o'), customer: { source_id: sid }, amount: 2000, status: 'PAID' };
    const rs = await Promise.all(Array.from({ length: 6 }, () => order(body)));
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201], rs.map((r) => r.text).join('\n'));
    assert.equal(new Set(rs.map((r) => r.json.id)).size, 1, 'one order');
    assert.deepEqual(rs.map((r) => r.json.loyalty.points).sort((a, b) => a - b), [0, 0, 0, 0, 0, 20]);
    await expectCard(t, m.id, { points: 20, balance: 20 });
  });

  test('CREATED then PAID (upsert by source_id) earns once, when paid', async () => {
    const { member: m, sid } = await newMember(t, p.id);
    const src = uid('o');
    const a = await order({ source_id: src, customer: { source_id: sid }, amount: 4999, status: 'CREATED' });
    assert.equal(a.status, 201, a.text);
    assert.equal(a.json.status, 'CREATED');
    assert.equal(a.json.loyalty.points, 0);
    assert.deepEqual(a.json.loyalty.entries, []);
    await expectCard(t, m.id, { points: 0, balance: 0 });
    const b = await order({ source_id: src, status: 'PAID' });
    assert.equal(b.status, 200, b.text);
    assert.equal(b.json.id, a.json.id);
    assert.equal(b.json.status, 'PAID');
    assert.equal(b.json.amount, 4999, 'amount kept');
    assert.equal(b.json.loyalty.points, 49);
    await expectCard(t, m.id, { points: 49, balance: 49 });
    const c = await order({ source_id: src, status: 'PAID' });
    assert.equal(c.json.loyalty.points, 0);
    await expectCard(t, m.id, { points: 49, balance: 49 });
  });

  test('CREATED then PUT /v1/orders/{id} status PAID earns once', async () => {
    const { member: m, sid } = await newMember(t, p.id);
    const a = await order({ source_id: uid('o'), customer: { source_id: sid }, amount: 12345, status: 'CREATED' });
    assert.equal(a.status, 201, a.text);
    const u = await api(t, 'PUT', `/v1/orders/${a.json.id}`, { body: { status: 'PAID' } });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.json.loyalty.points, 123);
    assert.equal(u.json.loyalty.entries[0].details.order.id, a.json.id);
    const again = await api(t, 'PUT', `/v1/orders/${a.json.id}`, { body: { status: 'PAID' } });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.loyalty.points, 0);
    await expectCard(t, m.id, { points: 123, balance: 123 });
    assertError(await api(t, 'PUT', '/v1/orders/ord_doesnotexist000000000', { body: { status: 'PAID' } }), 404, 'not_found');
  });

  test('a customer without membership: 201, nothing earned', async () => {
    const sid = uid('nomember');
    const r = await order({ source_id: uid('o'), customer: { source_id: sid }, amount: 10000, status: 'PAID' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.loyalty.points, 0);
    assert.deepEqual(r.json.loyalty.entries, []);
    // the customer was created by the order
    assert.equal((await api(t, 'GET', `/v1/customers/${enc(sid)}`)).status, 200);
  });

  test('a customer in two programs earns in both', async () => {
    const q = await createProgram(t, { name: uid('Double') });
    const [rq] = await createRules(t, q.id, [{ event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 1000, points: 5 } } } }]);
    const { members: [mp, mq], sid } = await newMember(t, [p.id, q.id]);
    const r = await order({ source_id: uid('o'), customer: { source_id: sid }, amount: 18950, status: 'PAID' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.loyalty.points, 189 + 90);
    assert.equal(r.json.loyalty.entries.length, 2);
    const byProgram = new Map(r.json.loyalty.entries.map((e) => [e.campaign_id, e]));
    assert.equal(byProgram.get(p.id)?.points, 189);
    assert.equal(byProgram.get(p.id)?.voucher_id, mp.id);
    assert.equal(byProgram.get(q.id)?.points, 90);
    assert.equal(byProgram.get(q.id)?.voucher_id, mq.id);
    assert.equal(byProgram.get(q.id)?.details.earning_rule.id, rq.id);
    await expectCard(t, mp.id, { points: 189, balance: 189 });
    await expectCard(t, mq.id, { points: 90, balance: 90 });
  });

  test('several matching rules in one program all earn', async () => {
    const q = await createProgram(t);
    await createRules(t, q.id, [PER_EURO, { event: 'order.paid', loyalty: { type: 'FIXED', points: 10 } }, REVIEW]);
    const { member: m, sid } = await newMember(t, q.id);
    const r = await order({ source_id: uid('o'), customer: { source_id: sid }, amount: 1000, status: 'PAID' });
    assert.equal(r.json.loyalty.points, 20);
    assert.equal(r.json.loyalty.entries.length, 2);
    await expectCard(t, m.id, { points: 20, balance: 20 });
  });

  test('order validation: 400 naming the field, no points', async () => {
    const { member: m, sid } = await newMember(t, p.id);
    for (const [body, key, field] of [
      [{ source_id: uid('o'), customer: { source_id: sid }, amount: 100, status: 'BOGUS' }, 'invalid_param', 'status'],
      [{ source_id: uid('o'), customer: { source_id: sid }, amount: -1, status: 'PAID' }, 'invalid_param', 'amount'],
      [{ source_id: uid('o'), customer: { source_id: sid }, amount: 'ten', status: 'PAID' }, 'invalid_param', 'amount'],
      [{ source_id: uid('o'), customer: { source_id: sid }, amount: 100, status: 'PAID', bogus: 1 }, 'invalid_param', 'bogus'],
    ]) {
      assertError(await order(body), 400, key, field);
    }
    await expectCard(t, m.id, { points: 0 });
  });
});

describe('loyalty earning: events', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  const event = (body, opts = {}) => api(t, 'POST', '/v1/events', { body, ...opts });

  test('FIXED 50 for "review" → loyalty.points 50 and the event answer', async () => {
    const p = await createProgram(t);
    const [rule] = await createRules(t, p.id, [REVIEW]);
    const { member: m, sid, customerId } = await newMember(t, p.id);
    const r = await event({ event: 'review', customer: { source_id: sid }, metadata: { stars: 5 } });
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.id, EVT_RE);
    assert.equal(r.json.object, 'event');
    assert.equal(r.json.event, 'review');
    assert.equal(r.json.customer_id, customerId);
    assert.equal(r.json.loyalty.points, 50);
    assert.equal(r.json.loyalty.entries.length, 1);
    const e = r.json.loyalty.entries[0];
    assertEntry(e);
    assert.equal(e.type, 'POINTS_ACCRUAL');
    assert.equal(e.points, 50);
    assert.equal(e.balance_after, 50);
    assert.equal(e.voucher_id, m.id);
    assert.deepEqual(e.details.earning_rule, { id: rule.id });
    assert.deepEqual(e.details.event, { id: r.json.id, name: 'review' });
    await expectCard(t, m.id, { points: 50, balance: 50 });
    // another event name earns nothing; the customer reference by id works too
    const other = await event({ event: 'reviewed', customer: customerId });
    assert.equal(other.status, 201, other.text);
    assert.equal(other.json.loyalty.points, 0);
    await expectCard(t, m.id, { points: 50, balance: 50 });
  });

  test('an event for an unknown customer object creates the customer, earns nothing', async () => {
    const sid = uid('newbie');
    const r = await event({ event: 'review', customer: { source_id: sid } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.loyalty.points, 0);
    const c = await api(t, 'GET', `/v1/customers/${enc(sid)}`);
    assert.equal(c.status, 200, c.text);
    assert.equal(r.json.customer_id, c.json.id);
  });

  test('event validation: missing event, bad customer → 400', async () => {
    assertError(await event({ customer: { source_id: uid('x') } }), 400, 'missing_param', 'event');
    assertError(await event({ event: 'review' }), 400, 'missing_param', 'customer');
    assertError(await event({ event: 'review', customer: { source_id: uid('x') }, bogus: 1 }), 400, 'invalid_param', 'bogus');
  });

  test('the same source_id twice → 200 with the first answer, earned once', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [REVIEW]);
    const { member: m, sid } = await newMember(t, p.id);
    const body = { event: 'review', source_id: uid('delivery'), customer: { source_id: sid } };
    const a = await event(body);
    assert.equal(a.status, 201, a.text);
    assert.equal(a.json.loyalty.points, 50);
    const b = await event(body);
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(b.json, a.json, 'the first answer');
    await expectCard(t, m.id, { points: 50, balance: 50 });
    assert.equal((await transactions(t, m.id)).total, 1);
    // a different source_id is a different event
    const c = await event({ ...body, source_id: uid('delivery') });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.loyalty.points, 50);
    assert.notEqual(c.json.id, a.json.id);
    await expectCard(t, m.id, { points: 100, balance: 100 });
  });

  test('the same event source_id sent 6 times at once earns once', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [REVIEW]);
    const { member: m, sid } = await newMember(t, p.id);
    const body = { event: 'review', source_id: uid('burst'), customer: { source_id: sid } };
    const rs = await Promise.all(Array.from({ length: 6 }, () => event(body)));
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201], rs.map((r) => r.text).join('\n'));
    assert.equal(new Set(rs.map((r) => r.json.id)).size, 1, 'one event');
    for (const r of rs) assert.equal(r.json.loyalty.points, 50, 'every answer is the first answer');
    await expectCard(t, m.id, { points: 50, balance: 50 });
  });

  test('Idempotency-Key repeated → the stored answer byte for byte, earned once', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [REVIEW]);
    const { member: m, sid } = await newMember(t, p.id);
    const key = uid('idem');
    const body = { event: 'review', customer: { source_id: sid } };
    const a = await event(body, { headers: { 'Idempotency-Key': key } });
    assert.equal(a.status, 201, a.text);
    assert.equal(a.json.loyalty.points, 50);
    const b = await event(body, { headers: { 'Idempotency-Key': key } });
    assert.equal(b.status, 201, b.text);
    assert.equal(b.text, a.text, 'byte-identical');
    assert.equal(b.headers['idempotent-replayed'], 'true');
    await expectCard(t, m.id, { points: 50, balance: 50 });
    // the same key with another body → 409 idempotency_conflict
    assertError(await event({ event: 'review', customer: { source_id: uid('other') } }, { headers: { 'Idempotency-Key': key } }),
      409, 'idempotency_conflict');
    // the same body without the key is a new event
    const c = await event(body);
    assert.equal(c.status, 201);
    assert.equal(c.json.loyalty.points, 50);
    await expectCard(t, m.id, { points: 100, balance: 100 });
  });

  test('Idempotency-Key on a balance change and on a paid order: applied once', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [PER_EURO]);
    const { member: m, sid } = await newMember(t, p.id);
    const key = uid('bal');
    const url = `/v1/loyalties/${p.id}/members/${m.id}/balance`;
    const a = await api(t, 'POST', url, { body: { points: 40 }, headers: { 'Idempotency-Key': key } });
    assert.equal(a.status, 200, a.text);
    const b = await api(t, 'POST', url, { body: { points: 40 }, headers: { 'Idempotency-Key': key } });
    assert.equal(b.text, a.text);
    assert.equal(b.headers['idempotent-replayed'], 'true');
    await expectCard(t, m.id, { points: 40, balance: 40 });
    const ok = uid('ord');
    const ob = { source_id: uid('o'), customer: { source_id: sid }, amount: 1000, status: 'PAID' };
    const o1 = await api(t, 'POST', '/v1/orders', { body: ob, headers: { 'Idempotency-Key': ok } });
    assert.equal(o1.status, 201, o1.text);
    assert.equal(o1.json.loyalty.points, 10);
    const o2 = await api(t, 'POST', '/v1/orders', { body: ob, headers: { 'Idempotency-Key': ok } });
    assert.equal(o2.status, 201);
    assert.equal(o2.text, o1.text, 'the stored answer, not a fresh one with 0 points');
    await expectCard(t, m.id, { points: 50, balance: 50 });
  });

  test('limits per_member 3 per WEEK: the 4th earns 0, other members unaffected', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [{ event: 'checkin', loyalty: { type: 'FIXED', points: 10 }, limits: { per_member: { count: 3, period: 'WEEK' } } }]);
    const { member: m, sid } = await newMember(t, p.id);
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await event({ event: 'checkin', customer: { source_id: sid } })).json.loyalty.points);
    assert.deepEqual(got, [10, 10, 10, 0]);
    await expectCard(t, m.id, { points: 30, balance: 30 });
    const { member: m2, sid: sid2 } = await newMember(t, p.id);
    assert.equal((await event({ event: 'checkin', customer: { source_id: sid2 } })).json.loyalty.points, 10);
    await expectCard(t, m2.id, { points: 10 });
    // manual additions do not count toward a rule's limit, and the limit still holds
    assert.equal((await api(t, 'POST', `/v1/loyalties/${p.id}/members/${m.id}/balance`, { body: { points: 1 } })).status, 200);
    assert.equal((await event({ event: 'checkin', customer: { source_id: sid } })).json.loyalty.points, 0);
  });

  test('limits per_member 1 per DAY', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [{ event: 'daily', loyalty: { type: 'FIXED', points: 4 }, limits: { per_member: { count: 1, period: 'DAY' } } }]);
    const { member: m, sid } = await newMember(t, p.id);
    if (msToLocalMidnight(Date.now(), 'UTC') < 5000) await sleep(6000);
    assert.equal((await event({ event: 'daily', customer: { source_id: sid } })).json.loyalty.points, 4);
    assert.equal((await event({ event: 'daily', customer: { source_id: sid } })).json.loyalty.points, 0);
    await expectCard(t, m.id, { points: 4 });
  });

  test('CUSTOM_EVENT_METADATA: 2 points per minute over 60', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [{
      event: 'ride.finished',
      loyalty: { type: 'PROPORTIONAL', calculation_type: 'CUSTOM_EVENT_METADATA', custom_event: { metadata: { property: 'minutes', every: 1, points: 2, above: 60 } } },
    }]);
    const { member: m, sid } = await newMember(t, p.id);
    const ride = async (metadata) => {
      const r = await event({ event: 'ride.finished', customer: { source_id: sid }, metadata });
      assert.equal(r.status, 201, r.text);
      return r.json.loyalty.points;
    };
    assert.equal(await ride({ minutes: 75 }), 30);
    await expectCard(t, m.id, { points: 30, balance: 30 });
    assert.equal(await ride({ minutes: 50 }), 0);
    assert.equal(await ride({ minutes: 60 }), 0);
    assert.equal(await ride({ minutes: 61 }), 2);
    assert.equal(await ride({ seconds: 7200 }), 0, 'the property is missing');
    assert.equal(await ride({ minutes: 'ninety' }), 0, 'not a number');
    await expectCard(t, m.id, { points: 32, balance: 32 });
  });

  test('CUSTOM_EVENT_METADATA with every > 1 rounds down', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [{
      event: 'steps', loyalty: { type: 'PROPORTIONAL', calculation_type: 'CUSTOM_EVENT_METADATA', custom_event: { metadata: { property: 'count', every: 1000, points: 3 } } },
    }]);
    const { sid } = await newMember(t, p.id);
    const r = await event({ event: 'steps', customer: { source_id: sid }, metadata: { count: 4999 } });
    assert.equal(r.json.loyalty.points, 12);
  });

  test('conditions on customer.metadata: a dog owner earns, a cat owner does not', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [{
      event: 'photo', loyalty: { type: 'FIXED', points: 5 },
      conditions: { 1: { name: 'customer.metadata', property: 'pet', conditions: { $is: ['dog'] } } },
    }]);
    const dog = await newMember(t, p.id, { metadata: { pet: 'dog' } });
    const cat = await newMember(t, p.id, { metadata: { pet: 'cat' } });
    const none = await newMember(t, p.id);
    assert.equal((await event({ event: 'photo', customer: { source_id: dog.sid } })).json.loyalty.points, 5);
    assert.equal((await event({ event: 'photo', customer: { source_id: cat.sid } })).json.loyalty.points, 0);
    assert.equal((await event({ event: 'photo', customer: { source_id: none.sid } })).json.loyalty.points, 0);
    await expectCard(t, dog.member.id, { points: 5 });
    await expectCard(t, cat.member.id, { points: 0 });
    // the cat owner gets a dog: the condition now holds (evaluated at earning time)
    const u = await api(t, 'PUT', `/v1/customers/${enc(cat.sid)}`, { body: { metadata: { pet: 'dog' } } });
    assert.equal(u.status, 200, u.text);
    assert.equal((await event({ event: 'photo', customer: { source_id: cat.sid } })).json.loyalty.points, 5);
  });

  test('conditions with logic "1 or 2"', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [{
      event: 'share', loyalty: { type: 'FIXED', points: 3 },
      conditions: {
        1: { name: 'customer.metadata', property: 'pet', conditions: { $is: ['dog'] } },
        2: { name: 'customer.metadata', property: 'vip', conditions: { $is: [true] } },
        logic: '1 or 2',
      },
    }]);
    const vip = await newMember(t, p.id, { metadata: { pet: 'cat', vip: true } });
    const neither = await newMember(t, p.id, { metadata: { pet: 'cat', vip: false } });
    assert.equal((await event({ event: 'share', customer: { source_id: vip.sid } })).json.loyalty.points, 3);
    assert.equal((await event({ event: 'share', customer: { source_id: neither.sid } })).json.loyalty.points, 0);
  });

  test('validity_day_of_week in the program\'s zone: today earns, another day does not', async () => {
    const zone = 'Pacific/Kiritimati'; // UTC+14: its weekday often differs from UTC's
    if (msToLocalMidnight(Date.now(), zone) < 10_000) await sleep(11_000);
    const today = zoneParts(Date.now(), zone).weekday;
    const notToday = (today + 3) % 7;
    const p = await createProgram(t, { timezone: zone });
    await createRules(t, p.id, [
      { event: 'visit.today', loyalty: { type: 'FIXED', points: 7 }, validity_day_of_week: [today] },
      { event: 'visit.other', loyalty: { type: 'FIXED', points: 9 }, validity_day_of_week: [notToday] },
      { event: 'visit.all', loyalty: { type: 'FIXED', points: 1 }, validity_day_of_week: [0, 1, 2, 3, 4, 5, 6] },
    ]);
    const { member: m, sid } = await newMember(t, p.id);
    assert.equal((await event({ event: 'visit.today', customer: { source_id: sid } })).json.loyalty.points, 7,
      `today is weekday ${today} in ${zone}`);
    assert.equal((await event({ event: 'visit.other', customer: { source_id: sid } })).json.loyalty.points, 0);
    assert.equal((await event({ event: 'visit.all', customer: { source_id: sid } })).json.loyalty.points, 1);
    await expectCard(t, m.id, { points: 8, balance: 8 });
  });

  test('validity_hours in the program\'s zone: a window around now earns, a window elsewhere does not', async () => {
    const zone = 'Asia/Kolkata'; // UTC+5:30
    const now = zoneParts(Date.now(), zone);
    const hh = (h, mi = 0) => `${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}`;
    // windows that do not wrap midnight: one holding now, one 4 h or more away from it
    const open = [hh(Math.max(0, now.hour - 2)), now.hour >= 21 ? '23:59' : hh(now.hour + 2)];
    const closed = now.hour >= 12 ? ['00:00', hh(now.hour - 4)] : [hh(now.hour + 4), '23:59'];
    if (now.hour === 23 && now.minute === 59) await sleep(61_000);
    const p = await createProgram(t, { timezone: zone });
    await createRules(t, p.id, [
      { event: 'open', loyalty: { type: 'FIXED', points: 2 }, validity_hours: { start_time: open[0], end_time: open[1] } },
      { event: 'closed', loyalty: { type: 'FIXED', points: 3 }, validity_hours: { start_time: closed[0], end_time: closed[1] } },
    ]);
    const { sid } = await newMember(t, p.id);
    assert.equal((await event({ event: 'open', customer: { source_id: sid } })).json.loyalty.points, 2);
    assert.equal((await event({ event: 'closed', customer: { source_id: sid } })).json.loyalty.points, 0);
  });

  test('start_date in the future / expiration_date in the past → nothing earned', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [
      { event: 'later', loyalty: { type: 'FIXED', points: 2 }, start_date: new Date(Date.now() + 86_400_000).toISOString() },
      { event: 'over', loyalty: { type: 'FIXED', points: 3 }, expiration_date: new Date(Date.now() - 86_400_000).toISOString() },
      { event: 'now', loyalty: { type: 'FIXED', points: 4 }, start_date: new Date(Date.now() - 86_400_000).toISOString(),
        expiration_date: new Date(Date.now() + 86_400_000).toISOString() },
    ]);
    const { sid } = await newMember(t, p.id);
    assert.equal((await event({ event: 'later', customer: { source_id: sid } })).json.loyalty.points, 0);
    assert.equal((await event({ event: 'over', customer: { source_id: sid } })).json.loyalty.points, 0);
    assert.equal((await event({ event: 'now', customer: { source_id: sid } })).json.loyalty.points, 4);
  });

  test('customer.created rules award on enrolment, once', async () => {
    const p = await createProgram(t);
    const [rule] = await createRules(t, p.id, [{ event: 'customer.created', loyalty: { type: 'FIXED', points: 25 } }]);
    const sid = uid('welcome');
    const m = await enroll(t, p.id, { source_id: sid }, 201);
    assert.equal(m.loyalty_card.points, 25, `the enrolment answer shows the welcome points: ${JSON.stringify(m.loyalty_card)}`);
    assert.equal(m.loyalty_card.balance, 25);
    await expectCard(t, m.id, { points: 25, balance: 25 });
    const tx = await transactions(t, m.id);
    assert.equal(tx.total, 1);
    assert.equal(tx.data[0].type, 'POINTS_ACCRUAL');
    assert.equal(tx.data[0].points, 25);
    assert.deepEqual(tx.data[0].details.earning_rule, { id: rule.id });
    const again = await enroll(t, p.id, { source_id: sid }, 200);
    assert.equal(again.id, m.id);
    await expectCard(t, m.id, { points: 25, balance: 25 });
  });

  test('an inactive program earns nothing', async () => {
    const p = await createProgram(t);
    await createRules(t, p.id, [REVIEW]);
    const { member: m, sid } = await newMember(t, p.id);
    const u = await api(t, 'PUT', `/v1/loyalties/${p.id}`, { body: { active: false } });
    assert.equal(u.status, 200, u.text);
    assert.equal((await event({ event: 'review', customer: { source_id: sid } })).json.loyalty.points, 0);
    await expectCard(t, m.id, { points: 0 });
  });
});
